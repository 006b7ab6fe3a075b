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
