"""The spider opens a site's Google Drive / Forms links through the sim proxy (subprocess crawls).

With robots.txt modelled on Google's real files the Drive download path is disallowed: the viewer
is opened (public or sign-in page) and the download is recorded as refused by robots.txt. With open
robots files (the download mechanics) the file's bytes are fetched at the public download URL and
the evidence keeps them under the viewer URL the site shows.
"""
from __future__ import annotations

import csv
import json
from urllib.parse import urlsplit

import pytest

from oitwatch.paths import DEFAULT_LAOS
from oitwatch.store import Store
from tests.crawl_site import write_registry_rows

YEAR, AS_OF = "2565", "2022-04-30"


def _drive_site(world) -> tuple[dict, dict[str, dict]]:
    """A registry row whose site links public and private Drive files, and its Drive label rows."""
    by_host: dict[str, dict[str, dict]] = {}
    for r in world.labels():
        if r["form"] == "drive" and r["evidence_url"]:
            by_host.setdefault(r["host"], {})[r["code"]] = r
    with open(DEFAULT_LAOS, encoding="utf-8") as fh:
        rows = {(urlsplit(r["url"]).hostname or "").lower(): r for r in csv.DictReader(fh) if r["url"]}
    for host, labels in sorted(by_host.items()):
        problems = {r["problem"] for r in labels.values()}
        if host in rows and {"offsite", "private"} <= problems and world.styles().get(host) in ("joomla", "itatable"):
            return rows[host], labels
    pytest.skip("no simulated site links both a public and a private Drive file")


def _crawl(run_command, tmp_path, proxy, row) -> object:
    registry = write_registry_rows(tmp_path / "laos.csv", [row])
    proc = run_command.oit("crawl", "--registry", registry, "--proxy", proxy, "--allow-private", "--fast", "--no-js",
                           "--data-dir", tmp_path / "data", "--year", YEAR, "--as-of", AS_OF, "--no-check",
                           "--max-pages", "40", "--max-docs", "4", timeout=150)
    assert proc.returncode == 0, proc.stderr[-3000:]
    store = Store(tmp_path / "data")
    return store.load_evidence(store.latest_run("crawl"), row["lao_id"])


@pytest.mark.slow
def test_drive_links_are_opened_and_real_robots_keep_the_download_unread(sim_proxy, tmp_path, run_command):
    from oitsim.generator import mukdahan_world

    row, labels = _drive_site(mukdahan_world())
    ev = _crawl(run_command, tmp_path, sim_proxy.url, row)
    docs = {d.url: d for d in ev.documents}
    pages = {p.url: p for p in ev.pages}
    public = [r["evidence_url"] for r in labels.values() if r["problem"] == "offsite"]
    private = [r["evidence_url"] for r in labels.values() if r["problem"] == "private"]
    opened = [u for u in public if u in pages]
    assert opened, f"no public Drive viewer was opened among {public}"
    for url in opened:
        assert pages[url].status == 200 and pages[url].title.endswith("- Google Drive")
        doc = docs[url]
        assert doc.fetch_error == "robots_disallowed" and "/uc?export=download" in doc.source_url
    assert any(pages.get(u) is not None and pages[u].fetch_error == "signin_required" for u in private)


@pytest.mark.slow
def test_drive_file_is_fetched_at_its_download_url_and_kept_under_the_viewer_url(tmp_path, run_command):
    from oitsim.generator import mukdahan_world
    from oitsim.google import OPEN_ROBOTS
    from oitsim.server import SimServer

    world = mukdahan_world()
    world.google.robots = dict(OPEN_ROBOTS)
    row, labels = _drive_site(world)
    server = SimServer(world, ca_dir=tmp_path / "ca")
    proxy, _ca = server.start_in_thread()
    try:
        ev = _crawl(run_command, tmp_path, proxy, row)
    finally:
        server.stop()
    docs = {d.url: d for d in ev.documents}
    site = world.site(urlsplit(row["url"]).hostname)
    fetched = 0
    for code, label in labels.items():
        doc = docs.get(label["evidence_url"])
        if doc is None:
            continue
        if label["problem"] == "private":
            assert doc.fetch_error == "signin_required", doc
            continue
        assert doc.fetch_error is None and doc.kind in ("pdf", "docx"), doc
        assert doc.source_url == "https://drive.google.com/uc?export=download&id=" + label["evidence_url"].split("/")[5]
        assert site.lao.full_name in (doc.text or "")
        fetched += 1
    assert fetched, f"no Drive file fetched; documents: {sorted(docs)}"
    assert not any(d.url.startswith("https://drive.usercontent.google.com/") for d in ev.documents)


SIM_KEY = "sim-KEY-4f9a1c7e"      # any non-empty key works against the simulated Drive API


def _check_json(run_command, proxy, row, env) -> dict:
    proc = run_command.oit("check", row["url"], "--proxy", proxy, "--allow-private", "--format", "json",
                           "--year", YEAR, "--as-of", AS_OF, "--max-pages", "40", env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert SIM_KEY not in proc.stdout and SIM_KEY not in proc.stderr
    return {it["code"]: it for it in json.loads(proc.stdout)["items"]}


@pytest.mark.slow
def test_with_an_api_key_the_drive_pdf_is_read_through_the_drive_api_and_the_key_is_never_kept(
        sim_proxy, tmp_path, run_command):
    from oitsim.generator import mukdahan_world

    world = mukdahan_world()
    row, labels = _drive_site(world)
    env = {"OIT_GOOGLE_API_KEY": SIM_KEY}
    proc_env = dict(env, OIT_DATA_DIR=str(tmp_path / "data"))
    registry = write_registry_rows(tmp_path / "laos.csv", [row])
    proc = run_command.oit("crawl", "--registry", registry, "--proxy", sim_proxy.url, "--allow-private", "--fast",
                           "--no-js", "--data-dir", tmp_path / "data", "--year", YEAR, "--as-of", AS_OF,
                           "--max-pages", "40", "--max-docs", "4", env=proc_env, timeout=200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert SIM_KEY not in proc.stdout and SIM_KEY not in proc.stderr
    store = Store(tmp_path / "data")
    ev = store.load_evidence(store.latest_run("crawl"), row["lao_id"])
    store.close()
    docs = {d.url: d for d in ev.documents}
    pages = {p.url: p for p in ev.pages}
    site = world.site(urlsplit(row["url"]).hostname)
    read = 0
    for label in labels.values():
        doc = docs.get(label["evidence_url"])
        if doc is None:
            continue
        fid = label["evidence_url"].split("/")[5]
        assert doc.source_url == f"https://www.googleapis.com/drive/v3/files/{fid}?alt=media&key=REDACTED", doc
        if label["problem"] == "private":    # the viewer sent the crawl to sign in; the API answered 404
            assert doc.fetch_error == "drive_api_not_found" and doc.status == 404, doc
            assert pages[label["evidence_url"]].fetch_error == "signin_required"
            continue
        assert doc.fetch_error is None and doc.kind in ("pdf", "docx"), doc
        assert site.lao.full_name in (doc.text or "")
        read += 1
    assert read, f"no Drive file read through the API; documents: {sorted(docs)}"
    for path in (tmp_path / "data").rglob("*"):          # the SQLite file, its WAL, logs
        if path.is_file():
            assert SIM_KEY.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_oit_check_reads_a_public_drive_file_only_with_a_key_and_never_prints_the_key(sim_proxy, run_command):
    from oitsim.generator import mukdahan_world

    row, labels = _drive_site(mukdahan_world())
    public = {c for c, r in labels.items() if r["problem"] == "offsite" and r["label"] == "pass"}
    without = _check_json(run_command, sim_proxy.url, row, {"OIT_GOOGLE_API_KEY": ""})
    with_key = _check_json(run_command, sim_proxy.url, row, {"OIT_GOOGLE_API_KEY": SIM_KEY})
    unread = {c for c in public if without[c]["reason"] == "offsite_unfetched"}
    assert unread, {c: without[c]["reason"] for c in public}
    assert all(without[c]["status"] == "needs_review" for c in unread)
    assert not any(with_key[c]["reason"] == "offsite_unfetched" for c in unread), \
        {c: with_key[c]["reason"] for c in unread}
    assert any(with_key[c]["status"] == "pass" for c in unread)
    private = {c for c, r in labels.items() if r["problem"] == "private"}
    assert all(with_key[c]["reason"] == without[c]["reason"] for c in private), \
        {c: (without[c]["reason"], with_key[c]["reason"]) for c in private}


@pytest.mark.slow
def test_a_later_crawl_with_an_api_key_reuses_an_unchanged_drive_file_after_a_304(sim_proxy, tmp_path, run_command):
    """The nightly case: the store holds the Drive file from the night before, so the Drive API is
    asked conditionally and answers 304; the file is recorded as before (not a fetch error) and not
    extracted again."""
    from oitsim.generator import mukdahan_world

    row, labels = _drive_site(mukdahan_world())
    registry = write_registry_rows(tmp_path / "laos.csv", [row])
    env = {"OIT_GOOGLE_API_KEY": SIM_KEY, "OIT_DATA_DIR": str(tmp_path / "data")}
    for _night in range(2):
        proc = run_command.oit("crawl", "--registry", registry, "--proxy", sim_proxy.url, "--allow-private",
                               "--fast", "--no-js", "--data-dir", tmp_path / "data", "--no-check",
                               "--max-pages", "40", "--max-docs", "4", env=env, timeout=200)
        assert proc.returncode == 0, proc.stderr[-3000:]
    store = Store(tmp_path / "data")
    first, second = sorted(r[0] for r in store.db.execute("SELECT run_id FROM runs WHERE kind='crawl'"))
    public = {label["evidence_url"] for label in labels.values() if label["problem"] != "private"}

    def drive_docs(run_id):
        return {d["url"]: d for d in store.db.execute(
            "SELECT url, status, sha256, fetch_error, reused FROM documents WHERE run_id=?", (run_id,))
            if d["url"] in public}

    before, after = drive_docs(first), drive_docs(second)
    read = {u for u, d in before.items() if d["sha256"] and not d["fetch_error"]}
    assert read, f"no Drive file read through the API on the first night: {before}"
    for url in read:
        d = after[url]
        assert d["fetch_error"] is None and d["sha256"] == before[url]["sha256"] and d["reused"] == 1, dict(d)
    ev = store.load_evidence(second, row["lao_id"])
    site = mukdahan_world().site(urlsplit(row["url"]).hostname)
    assert all(site.lao.full_name in (d.text or "") for d in ev.documents if d.url in read)
    store.close()
