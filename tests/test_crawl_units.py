"""Crawler pieces that need no network: fingerprinting, row validation, link priority, progress."""
from __future__ import annotations

import io

import pytest
from scrapy.exceptions import NotConfigured

from checks.evidence import Page
from crawler.fingerprint import fingerprint
from crawler.progress import LineProgress, RichProgress, make_progress
from crawler.runner import Budget, build_settings
from crawler.spiders.lao import LaoSpider, SiteRow, host_variants, norm_url


@pytest.mark.parametrize("html, generator, expected", [
    ('<a href="/Pages/ita_all">ITA</a><script src="/assets/frontend/js/app.js"></script>', "", "assystem"),
    ('<link href="/wp-content/themes/x/style.css">', "WordPress 6.4", "wordpress"),
    ('<script src="/media/jui/js/jquery.min.js"></script><a href="index.php?option=com_content">', "", "joomla"),
    ('<a href="https://www.inthai.info/eservice/manual/a.pdf">manual</a>', "", "inthai"),
    ("<p>a custom PHP site</p>", "", "generic"),
])
def test_fingerprint_picks_the_platform_adapter(html, generator, expected):
    assert fingerprint("https://x.go.th/", html, generator).name == expected


def test_rows_with_an_unknown_pinned_platform_or_a_bad_url_are_refused():
    with pytest.raises(NotConfigured, match="nosuchcms"):
        LaoSpider.validate_row(SiteRow(lao_id="X", urls=["https://x.go.th/"], platform="nosuchcms"))
    with pytest.raises(NotConfigured, match="not an http"):
        LaoSpider.validate_row(SiteRow(lao_id="X", urls=["ftp://x.go.th/"]))
    LaoSpider.validate_row(SiteRow(lao_id="X", urls=[]))          # crawled as status no_url
    LaoSpider.validate_row(SiteRow(lao_id="X", urls=["https://x.go.th/"], platform="assystem"))


def test_site_scope_and_dedup_keys():
    assert host_variants("https://www.bsy.go.th/x") == {"www.bsy.go.th", "bsy.go.th"}
    assert norm_url("HTTP://A.go.th/p?q=1#frag") == norm_url("http://a.go.th/p?q=1")
    assert norm_url("http://a.go.th/p?q=1") != norm_url("http://a.go.th/p?q=2")


def test_hub_links_outrank_ordinary_links():
    hub_re, _ = LaoSpider._term_patterns(["ita", "oit"], 2565)
    spider = LaoSpider.__new__(LaoSpider)
    spider.hub_re, spider.term_re = hub_re, None
    hub, is_hub = spider._score("ITA 2565", "https://x.go.th/Pages/ita_all", False, 1)
    plain, plain_hub = spider._score("news", "https://x.go.th/news/1", True, 1)
    assert is_hub and not plain_hub and hub > plain
    assert spider._score("editable", "https://x.go.th/credit", False, 1)[1] is False   # no match inside words


def test_an_item_named_with_an_en_dash_is_relevant_like_with_a_hyphen():
    """The ITA's own title is "E–Service" (en dash); sites copy it, so the frontier must read it."""
    hub_re, term_re = LaoSpider._term_patterns(["ita", "oit"], 2565)
    spider = LaoSpider.__new__(LaoSpider)
    spider.hub_re, spider.term_re, spider.old_before = hub_re, term_re, None
    assert spider._score("๘. E–Service คลิกที่นี่", "https://docs.google.com/forms/d/e/x/viewform", False, 2)[1]
    assert spider._score("๘. E-Service คลิกที่นี่", "https://docs.google.com/forms/d/e/x/viewform", False, 2)[1]


def test_links_naming_only_old_fiscal_years_are_crawled_later():
    """An archive keeps every year's post (FY 2565, 2564, 2563 ...): with a page and document
    budget, this year's and last year's links go first; a link without a year is not demoted."""
    _, term_re = LaoSpider._term_patterns([], 2565)
    spider = LaoSpider.__new__(LaoSpider)
    spider.hub_re, spider.term_re = None, term_re
    spider.old_before = LaoSpider._old_year_bound(2565)
    url = "https://x.go.th/index/?page=article1"
    score = lambda text: spider._score(text, url, False, 3)[0]  # noqa: E731
    now, last = score("แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. 2565"), score("แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. 2564")
    old, thai_digits = score("แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. 2562"), score("แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. ๒๕๖๒")
    assert now == last == score("แผนการดำเนินงาน") > old == thai_digits
    assert score("แผนพัฒนาท้องถิ่น (พ.ศ. 2561 - 2565)") == score("แผนพัฒนาท้องถิ่น")   # a range covering this year


def test_playwright_handlers_only_when_enabled():
    on = build_settings(overrides={"OIT_PLAYWRIGHT_ENABLED": True}, proxy="http://127.0.0.1:1")
    off = build_settings(overrides={"OIT_PLAYWRIGHT_ENABLED": False})
    assert "playwright" in str(on.getdict("DOWNLOAD_HANDLERS"))
    assert on.getdict("OIT_PLAYWRIGHT_CONTEXT")["proxy"] == {"server": "http://127.0.0.1:1"}
    assert "playwright" not in str(off.getdict("DOWNLOAD_HANDLERS"))
    s = build_settings(budget=Budget(max_pages=7, max_depth=2), proxy="http://p:1")
    assert (s.getint("OIT_MAX_PAGES"), s.getint("OIT_MAX_DEPTH"), s.get("OIT_PROXY")) == (7, 2, "http://p:1")
    assert s.getbool("ROBOTSTXT_OBEY") and not s.getbool("COOKIES_ENABLED") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert "+http" in s.get("USER_AGENT") and not s.getbool("REMOTE_CONTROL_ENABLED")


def test_progress_is_a_live_bar_on_a_terminal_and_lines_otherwise():
    bar = make_progress(2, stream=io.StringIO(), tty=True)
    assert isinstance(bar, RichProgress)
    bar.start()
    bar.page("A", Page(url="u", status=200))
    bar.site_finished("A", "ok", 1)
    bar.site_finished("B", "timeout", 0)
    bar.close()
    assert (bar.done, bar.pages, bar.errors) == (2, 1, 1)
    out = io.StringIO()
    lines = make_progress(2, stream=out)
    assert isinstance(lines, LineProgress)
    lines.site_finished("A", "dns_error", 0)
    assert "1/2 sites" in out.getvalue() and "A: dns_error" in out.getvalue()


def test_nightly_lock_refuses_a_second_run_until_released(tmp_path):
    from oitwatch.commands.nightly import RunLock

    first, second = RunLock(tmp_path / "nightly.lock"), RunLock(tmp_path / "nightly.lock")
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_nightly_diff_lists_changed_items_per_lao(tmp_path):
    from types import SimpleNamespace

    from oitwatch.commands.nightly import diff_runs, write_diff
    from oitwatch.store import Store

    def report(*statuses):
        return SimpleNamespace(score=0, items=[SimpleNamespace(code=f"O{i + 1}", key=f"k{i + 1}", order=i + 1,
                                                               status=s, reason=f"r-{s}")
                                               for i, s in enumerate(statuses)])

    store = Store(tmp_path)
    old, new = store.start_run("nightly", {}), None
    store.save_results(old, "A", 2565, "2022-04-30", report("pass", "fail"))
    new = store.start_run("nightly", {})
    store.save_results(new, "A", 2565, "2022-04-30", report("pass", "pass"))
    store.save_results(new, "B", 2565, "2022-04-30", report("fail", "fail"))
    assert store.previous_run(new) == old
    diff = diff_runs(store, new, old)
    rows = [(r.lao_id, r.code, r.previous_status if isinstance(r.previous_status, str) else None, r.status)
            for r in diff.itertuples()]
    assert rows == [("A", "O2", "fail", "pass"), ("B", "O1", None, "fail"), ("B", "O2", None, "fail")]
    write_diff(diff, tmp_path / "out", new, old)
    assert (tmp_path / "out" / "diff.csv").read_text().count("\n") == 4
    assert '"previous_run": 1' in (tmp_path / "out" / "diff.json").read_text()


def _detector():
    spider = LaoSpider.__new__(LaoSpider)
    spider.js_min_text, spider.js_min_links = 200, 3
    return spider


_CHROME = "<header><h1>Tambon LAO</h1><p>" + "Welcome to the website of the tambon. " * 8 + "</p></header>"


@pytest.mark.parametrize("body, hub, expected", [
    # header/footer text but no link at all, and a script: the menu is built by JavaScript
    (_CHROME + "<div id='nav'></div><script>build()</script><footer>address</footer>", False, True),
    # an external bundle only, same shape (a single-page app)
    (_CHROME + "<div id='root'></div><script src='/app.js'></script>", False, True),
    # an ordinary page with its menu and a tracking script
    (_CHROME + "<nav><a href='/'>home</a><a href='/a'>a</a><a href='/b'>b</a></nav><script>track()</script>",
     False, False),
    # an ITA hub with its menu but an empty content area and a data island: the list is injected
    (_CHROME + "<nav><a href='/'>home</a><a href='/a'>a</a><a href='/b'>b</a></nav><main id='list'></main>"
     "<script type='application/json'>{\"items\": []}</script>", True, True),
    # an ITA hub whose list is in the static HTML
    (_CHROME + "<nav><a href='/'>h</a></nav><main>" + "".join(f"<p><a href='/o{i}'>O{i}</a></p>" for i in range(9))
     + "</main><script>track()</script>", True, False),
    # no script at all: nothing to render, however empty
    ("<p>short</p>", False, False),
])
def test_js_need_is_detected_from_page_signals(body, hub, expected):
    from crawler.parse import parse_page

    url = "https://x.go.th/ita.html"
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    parsed = parse_page(url, html)
    own = [l for l in parsed.links if l.url and "x.go.th" in l.url]
    assert _detector()._needs_js(parsed, own, hub, html.encode()) is expected


def test_a_long_menu_of_one_url_shape_does_not_crowd_out_relevant_links():
    from crawler import faults
    from crawler.spiders.lao import RELEVANT_SHAPE_CAP, SiteState

    site = SiteState(row=SiteRow(lao_id="X", urls=["https://x.go.th/"]), trap=faults.TrapDetector(),
                     trap_relevant=faults.TrapDetector(max_per_shape=RELEVANT_SHAPE_CAP))
    spider = LaoSpider.__new__(LaoSpider)
    for i in range(40):                      # a generic side menu: /menu/1000 ... /menu/1039
        spider._enqueue(site, f"https://x.go.th/menu/{1000 + i}", 1, "page", 0)
    spider._enqueue(site, "https://x.go.th/menu/2000", 1, "page", 60, relevant=True)
    queued = {url for _, _, url, _, _ in site.frontier}
    assert "https://x.go.th/menu/2000" in queued
    assert "trap_suspected" in site.flags and len(queued) == 31   # the generic ones are still capped
    spider._enqueue(site, "https://x.go.th/a/a/a/a/a/x", 1, "page", 60, relevant=True)
    assert "https://x.go.th/a/a/a/a/a/x" not in {url for _, _, url, _, _ in site.frontier}


def _robots_mw(**settings):
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import RobotsTxtMiddleware

    return RobotsTxtMiddleware(get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, **settings}))


def test_host_whose_robots_txt_timed_out_is_given_up_without_another_request():
    import asyncio

    from scrapy import Request
    from scrapy.exceptions import DownloadTimeoutError
    from twisted.internet.defer import Deferred

    mw = _robots_mw()
    mw._parsers["slow.go.th"] = Deferred()          # its robots.txt was being fetched ...
    mw._robots_error(DownloadTimeoutError("Getting http://slow.go.th/robots.txt took longer than 30 s"), "slow.go.th")
    home = Request("http://slow.go.th/")
    with pytest.raises(DownloadTimeoutError, match="robots.txt of slow.go.th timed out"):
        asyncio.run(mw.process_request(home))
    assert home.meta["dont_retry"] is True           # one wait for the site, not another with retries

    mw._parsers["refused.go.th"] = Deferred()        # other robots.txt failures keep Scrapy's behaviour
    mw._robots_error(ConnectionRefusedError("refused"), "refused.go.th")
    assert "refused.go.th" not in mw._timed_out


def test_robots_txt_state_is_bounded_whatever_the_number_of_sites():
    from twisted.internet.defer import Deferred

    mw = _robots_mw(OIT_ROBOTS_HOSTS=64)
    pending = Deferred()
    mw._parsers["busy.go.th"] = pending              # still being fetched: never forgotten
    for i in range(200):
        mw._parsers[f"h{i}.go.th"] = None
    mw._forget_old_hosts()
    assert len(mw._parsers) == 64
    assert mw._parsers["busy.go.th"] is pending
    assert "h199.go.th" in mw._parsers and "h0.go.th" not in mw._parsers


def test_robots_txt_of_a_finished_site_is_forgotten():
    """When the spider drops a site (signal site_closed) the parsed robots.txt of its hosts goes,
    whatever the port or case of the netloc; other hosts and a robots.txt being fetched stay."""
    from twisted.internet.defer import Deferred

    from crawler.items import site_closed

    mw = _robots_mw()
    pending = Deferred()
    mw._parsers.update({"x.go.th": object(), "WWW.X.GO.TH:8080": object(), "other.go.th": object(),
                        "www.x.go.th": pending})
    mw._timed_out.update({"x.go.th:443": "timeout", "other.go.th": "timeout"})
    mw.crawler.signals.send_catch_log(site_closed, lao_id="X", hosts=frozenset(host_variants("https://x.go.th/")))
    assert set(mw._parsers) == {"other.go.th", "www.x.go.th"} and mw._parsers["www.x.go.th"] is pending
    assert set(mw._timed_out) == {"other.go.th"}


def test_spider_drops_a_finished_site_and_tells_the_per_host_components():
    """A site's state leaves the spider when it finishes: its SiteState, the text memo of the
    old-year test, and (through site_closed) the per-host state of other components."""
    from scrapy.utils.test import get_crawler

    from checks import thai
    from crawler import faults
    from crawler.items import SiteFinished, site_closed
    from crawler.spiders.lao import SiteState

    crawler = get_crawler(LaoSpider)
    spider = LaoSpider.from_crawler(crawler, sites=[{"lao_id": "X", "url": "https://x.go.th/"}])
    closed = []
    crawler.signals.connect(lambda lao_id, hosts: closed.append((lao_id, hosts)), signal=site_closed, weak=False)
    site = SiteState(row=spider.rows[0], trap=faults.TrapDetector(), trap_relevant=faults.TrapDetector())
    site.hosts = host_variants("https://x.go.th/")
    site.inflight = 1
    spider.sites["X"] = site
    assert spider._score("ข่าว ปี 2550", "https://x.go.th/news", False, 1)   # fills the text memo
    assert thai._NORM_CACHE
    out = spider._settle(site, [])
    assert [type(x) for x in out] == [SiteFinished]
    assert "X" not in spider.sites and not thai._NORM_CACHE
    assert closed == [("X", frozenset({"x.go.th", "www.x.go.th"}))]


def test_idle_connections_are_not_kept_for_finished_sites():
    """Idle keep-alive connections live OIT_HTTP_IDLE_TIMEOUT s, not Twisted's 240 s, and the pool's
    empty per-host entries go when a site closes (a connection still cached stays)."""
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler
    from twisted.internet.testing import MemoryReactorClock
    from twisted.web.client import HTTPConnectionPool

    from crawler.items import site_closed
    from crawler.middlewares import IdleConnectionsExtension

    crawler = get_crawler(settings_dict={"OIT_HTTP_IDLE_TIMEOUT": 45})
    pool = HTTPConnectionPool(MemoryReactorClock())
    assert pool.cachedConnectionTimeout == 240
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(handlers=SimpleNamespace(
        _handlers={"http": SimpleNamespace(_pool=pool), "https": SimpleNamespace(_pool=pool), "data": object()})))
    ext = IdleConnectionsExtension.from_crawler(crawler)
    ext.apply()                                      # on engine_started
    assert pool.cachedConnectionTimeout == 45 and ext.pools() == [pool]
    cached = object()
    pool._connections.update({("https", b"x.go.th", 443): [], ("https", b"y.go.th", 443): [cached]})
    crawler.signals.send_catch_log(site_closed, lao_id="X", hosts=frozenset({"x.go.th", "www.x.go.th"}))
    assert pool._connections == {("https", b"y.go.th", 443): [cached]}
    with pytest.raises(NotConfigured):
        IdleConnectionsExtension.from_crawler(get_crawler(settings_dict={"OIT_IDLE_CONNECTIONS_ENABLED": False}))
