"""`oit crawl` / `oit recheck` against a small local site (subprocess crawls, 127.0.0.1 only)."""
from __future__ import annotations

import pytest

from oitwatch.store import Store
from tests.crawl_site import LocalSite, write_registry

YEAR, AS_OF = "2565", "2022-04-30"


def _crawl(run_command, registry, data_dir, *extra):
    return run_command.oit("crawl", "--registry", registry, "--allow-private", "--fast", "--no-js",
                           "--data-dir", data_dir, "--year", YEAR, "--as-of", AS_OF, *extra, timeout=90)


@pytest.fixture
def site():
    with LocalSite() as s:
        yield s


def test_one_site_crawl_stores_pages_links_documents_and_results(site, tmp_path, run_command):
    registry = tmp_path / "laos.csv"
    write_registry(registry, [("X-LOCAL-1", site.url)])
    proc = _crawl(run_command, registry, tmp_path / "data", "--max-depth", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    store = Store(tmp_path / "data")
    run = store.latest_run("crawl")
    sites = store.sites_frame(run)
    assert list(zip(sites["lao_id"], sites["status"])) == [("X-LOCAL-1", "ok")]
    ev = store.load_evidence(run, "X-LOCAL-1")
    urls = {p.url.replace(site.url, "/") for p in ev.pages}
    assert {"/", "/ita.html", "/about.html", "/deep1.html"} <= urls
    assert "/deep2.html" not in urls, "the depth budget (2) was not applied"
    assert not any("secret-from-a-comment" in (l.href or "") for l in ev.links)
    hrefs = {l.href: l.url for l in ev.links}
    assert hrefs["#"] is None and hrefs["javascript:void(0)"] is None
    assert hrefs["https://www.facebook.com/testlao"] == "https://www.facebook.com/testlao"
    assert not any("facebook" in p.url for p in ev.pages), "an off-site link was fetched"
    docs = {d.url.replace(site.url, "/"): d for d in ev.documents}
    assert set(docs) == {"/files/report.pdf", "/files/plan.pdf"}
    assert "2565" in (docs["/files/report.pdf"].text or "") and docs["/files/report.pdf"].sha256
    results = store.results_frame(run)
    try:
        from checks.catalog import load_catalog
    except ImportError:
        pytest.skip("the check engine is not installed: evidence verified, results not")
    codes = [i.code for i in load_catalog(int(YEAR)).items]
    assert list(results["code"]) == codes and set(results["lao_id"]) == {"X-LOCAL-1"}


def test_second_crawl_reuses_unchanged_documents_and_recheck_needs_no_network(tmp_path, run_command):
    registry = tmp_path / "laos.csv"
    with LocalSite() as site:
        write_registry(registry, [("X-LOCAL-1", site.url)])
        first = _crawl(run_command, registry, tmp_path / "data")
        assert first.returncode == 0, first.stderr[-3000:]
        second = _crawl(run_command, registry, tmp_path / "data")
        assert second.returncode == 0, second.stderr[-3000:]
        assert site.count("/files/report.pdf", 200) == 1
        assert site.count("/files/report.pdf", 304) == 1, site.requests
    store = Store(tmp_path / "data")
    run2 = store.latest_run("crawl")
    rows = store.db.execute("SELECT url, reused, sha256 FROM documents WHERE run_id=? ORDER BY url",
                            (run2,)).fetchall()
    assert [r["reused"] for r in rows] == [1, 1]
    ev = store.load_evidence(run2, "X-LOCAL-1")
    assert all(d.text and "2565" in d.text for d in ev.documents)
    # the site is gone now: a recheck must still work from the stored evidence alone
    recheck = run_command.oit("recheck", "--run", str(run2), "--data-dir", tmp_path / "data", timeout=60)
    assert recheck.returncode == 0, recheck.stderr[-3000:]
    rerun = store.latest_run("recheck")
    assert store.run_info(rerun)["source_run"] == run2
    before = store.results_frame(run2)[["lao_id", "code", "status"]].values.tolist()
    after = store.results_frame(rerun)[["lao_id", "code", "status"]].values.tolist()
    assert after == before
    sites = store.sites_frame(rerun)
    assert sites["status"].tolist() == ["ok"] and sites["pages"].tolist() == store.sites_frame(run2)["pages"].tolist()


def test_a_document_behind_a_url_without_a_file_extension_is_asked_for_conditionally_next_time(tmp_path,
                                                                                                run_command):
    """Real LAO sites serve files from scripts (download.php?file=123): the link looks like a page.
    Once it answered a document, a later crawl asks for it with its validators like any document:
    a 304 reuses the stored copy, which is neither downloaded nor extracted again."""
    from tests.crawl_site import make_pdf

    registry = tmp_path / "laos.csv"
    with LocalSite() as site:
        site.pages["/download.php"] = ("application/pdf", make_pdf("Budget plan fiscal year 2565"))
        ctype, body = site.pages["/ita.html"]
        site.pages["/ita.html"] = (ctype, body.replace(b"</table>", b'<tr><td>O4</td><td>'
                                                       b'<a href="/download.php?file=123">download</a></td></tr></table>'))
        write_registry(registry, [("X-LOCAL-1", site.url)])
        for _night in range(2):
            proc = _crawl(run_command, registry, tmp_path / "data", "--no-check")
            assert proc.returncode == 0, proc.stderr[-3000:]
        assert site.count("/download.php", 200) == 1 and site.count("/download.php", 304) == 1, site.requests
    store = Store(tmp_path / "data")
    runs = sorted(r[0] for r in store.db.execute("SELECT run_id FROM runs"))
    got = [store.db.execute("SELECT status, reused, sha256, fetch_error FROM documents WHERE run_id=? AND url LIKE "
                            "'%/download.php?file=123'", (run,)).fetchall() for run in runs]
    assert [len(g) for g in got] == [1, 1], got
    (first,), (second,) = got
    assert first["sha256"] and (second["status"], second["reused"], second["sha256"], second["fetch_error"]) == \
        (200, 1, first["sha256"], None)
    doc = [d for d in store.load_evidence(runs[1], "X-LOCAL-1").documents if d.url.endswith("file=123")][0]
    assert "2565" in (doc.text or "") and doc.kind == "pdf"
    assert not [p for p in store.load_evidence(runs[1], "X-LOCAL-1").pages if "download.php" in p.url]


def test_pinned_unknown_platform_is_refused_before_crawling(tmp_path, run_command):
    registry = tmp_path / "laos.csv"
    write_registry(registry, [("X-LOCAL-1", "http://127.0.0.1:9/")])
    text = registry.read_text(encoding="utf-8").replace("490103,http://127.0.0.1:9/,,,", "490103,http://127.0.0.1:9/,,,nosuchcms")
    registry.write_text(text, encoding="utf-8")
    proc = _crawl(run_command, registry, tmp_path / "data")
    assert proc.returncode == 2
    assert "nosuchcms" in proc.stderr


@pytest.mark.browser
def test_a_javascript_shell_home_page_is_rendered_and_its_links_followed(tmp_path, run_command):
    import shutil

    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed")
    shell = (b"<html><head><title>JS LAO</title></head><body><div id='app'></div><script>"
             b"document.getElementById('app').innerHTML = '<p>' + 'Inserted by script. '.repeat(20) + "
             b"'</p><a href=\"/about.html\">About</a>';</script></body></html>")
    with LocalSite() as site:
        site.pages["/"] = ("text/html; charset=utf-8", shell)
        registry = tmp_path / "laos.csv"
        write_registry(registry, [("X-LOCAL-JS", site.url)])
        proc = run_command.oit("crawl", "--registry", registry, "--allow-private", "--fast", "--data-dir",
                               tmp_path / "data", "--year", YEAR, "--as-of", AS_OF, "--no-check", timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    store = Store(tmp_path / "data")
    ev = store.load_evidence(store.latest_run("crawl"), "X-LOCAL-JS")
    home = ev.home
    assert home.rendered and "Inserted by script" in home.text
    assert "js_rendered" in ev.flags
    about = [p for p in ev.pages if p.url.endswith("/about.html")]
    assert about and not about[0].rendered, "a page with static content was rendered"
