"""The results store: migrations, incremental evidence, dedup, resume bookkeeping, results frames."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

import pytest

from checks.evidence import Document, Link, Page
from oitwatch.store import RESULT_COLUMNS, SCHEMA_VERSION, Store, StoreError


@dataclass
class FakeItem:
    code: str
    key: str
    order: int
    status: str
    problem: str | None = None
    reason: str = "r"
    evidence_url: str | None = None
    matched_text: str = ""
    found_year: int | None = None
    confidence: float = 0.9
    host: str = ""
    reason_th: str = "th"
    reason_en: str = "en"


@dataclass
class FakeReport:
    items: list = field(default_factory=list)
    score: float = 50.0


def _report(*statuses):
    return FakeReport([FakeItem(f"O{i + 1}", f"item-{i + 1}", i + 1, s) for i, s in enumerate(statuses)])


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path)
    yield s
    s.close()


def test_new_store_is_migrated_to_the_current_schema_in_wal_mode(store):
    assert store.schema_version == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.path.name == "oitwatch.sqlite"


def test_a_store_written_by_a_newer_version_is_refused(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "oitwatch.sqlite")
    db.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(StoreError):
        Store(tmp_path)


def test_begin_site_clears_partial_evidence_of_that_site_only(store):
    run = store.start_run("crawl", {})
    store.begin_site(run, "A", "http://a.example/")
    store.begin_site(run, "B", "http://b.example/")
    store.add_page(run, "A", Page(url="http://a.example/", status=200, text="hello"))
    store.add_page(run, "B", Page(url="http://b.example/", status=200, text="bee"))
    store.add_links(run, "A", [Link(source_url="http://a.example/", href="#", url=None)])
    store.begin_site(run, "A", "http://a.example/")          # restart after a crash
    ev_a, ev_b = store.load_evidence(run, "A"), store.load_evidence(run, "B")
    assert (ev_a.pages, ev_a.links) == ([], [])
    assert [p.text for p in ev_b.pages] == ["bee"]
    assert not store.site_done(run, "A")


def test_evidence_round_trips_and_placeholders_keep_url_none(store):
    run = store.start_run("crawl", {})
    store.begin_site(run, "A", "http://a.example/", name_th="n", lao_type_th="t")
    store.add_page(run, "A", Page(url="http://a.example/", status=200, title="T", text="x" * 50, depth=0))
    store.add_links(run, "A", [Link(source_url="http://a.example/", href="javascript:void(0)", url=None, text="m"),
                               Link(source_url="http://a.example/", href="https://fb.example/x",
                                    url="https://fb.example/x", in_nav=True)])
    store.finish_site(run, "A", "ok", "http://a.example/", "wordpress", ["js_rendered"])
    ev = store.load_evidence(run, "A")
    assert (ev.status, ev.platform, ev.flags, ev.name_th) == ("ok", "wordpress", ["js_rendered"], "n")
    assert ev.pages[0].title == "T" and ev.pages[0].text == "x" * 50
    assert [(l.href, l.url, l.in_nav) for l in ev.links] == [
        ("javascript:void(0)", None, False), ("https://fb.example/x", "https://fb.example/x", True)]
    assert store.site_done(run, "A")


def test_documents_are_stored_once_per_content_hash(store):
    run = store.start_run("crawl", {})
    store.begin_site(run, "A", "http://a.example/")
    for url in ("http://a.example/1.pdf", "http://a.example/2.pdf"):
        store.add_document(run, "A", Document(url=url, kind="pdf", size=10, sha256="abc", text="same text"))
    assert store.db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 1
    docs = store.load_evidence(run, "A").documents
    assert [(d.url, d.text) for d in docs] == [("http://a.example/1.pdf", "same text"),
                                               ("http://a.example/2.pdf", "same text")]


def test_save_results_replaces_a_sites_rows_and_frames_are_tidy(store):
    run = store.start_run("crawl", {"year": 2565})
    store.begin_site(run, "A", "http://a.example/")
    store.finish_site(run, "A", "ok", None, "generic", [])
    store.save_results(run, "A", 2565, date(2022, 4, 30), _report("pass", "fail"))
    store.save_results(run, "A", 2565, date(2022, 4, 30), _report("fail", "fail"))
    df = store.results_frame(run)
    assert list(df.columns) == RESULT_COLUMNS
    assert list(zip(df["lao_id"], df["code"], df["status"])) == [("A", "O1", "fail"), ("A", "O2", "fail")]
    sites = store.sites_frame(run)
    assert sites.loc[0, "status"] == "ok" and sites.loc[0, "flags"] == []


def test_runs_latest_previous_and_interrupted(store):
    r1 = store.start_run("crawl", {})
    store.begin_site(r1, "A", "u")
    store.save_results(r1, "A", 2565, "2022-04-30", _report("pass"))
    store.finish_run(r1, "finished")
    r2 = store.start_run("nightly", {})
    assert store.latest_run() == r2 and store.latest_run("crawl") == r1
    assert store.previous_run(r2) == r1
    assert store.interrupted_run("nightly") == r2          # still "running": a killed process
    store.finish_run(r2, "finished")
    assert store.interrupted_run("nightly") is None
    assert list(store.runs_frame()["kind"]) == ["crawl", "nightly"]


def test_validators_are_kept_per_url(store):
    store.save_validators("http://a.example/1.pdf", etag='"e1"', last_modified=None, sha256="abc", kind="pdf", size=3)
    v = store.validators("http://a.example/1.pdf")
    assert (v["etag"], v["sha256"], v["kind"]) == ('"e1"', "abc", "pdf")
    assert store.validators("http://a.example/other.pdf") is None
