"""benchmarks/crawl_speed.py, warm mode: each warm run starts from its own copy of the earlier
night's store, and the per-run document counts are of that run alone (no timing here)."""
from __future__ import annotations

from benchmarks.crawl_speed import copy_store, run_counts
from checks.evidence import Document
from oitwatch.store import Store


def _night(store: Store, kind: str, docs: list[tuple[Document, bool]]) -> int:
    run = store.start_run(kind)
    store.begin_site(run, "X-1", "http://x.example/")
    for doc, reused in docs:
        store.add_document(run, "X-1", doc, reused=reused)
    store.finish_site(run, "X-1", "ok", "http://x.example/", "generic", [])
    store.finish_run(run, "finished")
    return run


def test_a_warm_run_writes_its_own_copy_and_counts_only_its_own_documents(tmp_path):
    earlier = Store(tmp_path / "earlier.sqlite")
    first = _night(earlier, "crawl", [
        (Document("http://x.example/a.pdf", sha256="a" * 64, text="2565"), False),
        (Document("http://x.example/scan.pdf", sha256="b" * 64, text="OCR 2565", extract_status="ocr"), False),
        (Document("http://x.example/gone.pdf", status=404, fetch_error="not_found", extract_status="fetch_error"),
         False)])
    earlier.save_validators("http://x.example/a.pdf", etag='"1"', last_modified=None, sha256="a" * 64, kind="pdf",
                            size=4)
    earlier.close()          # left as the benchmark's cold child leaves it

    copies = [copy_store(tmp_path / "earlier.sqlite", tmp_path / f"warm{i}.sqlite") for i in range(2)]
    warm = Store(copies[0])
    assert warm.validators("http://x.example/a.pdf")["sha256"] == "a" * 64, "the copy lost the validators"
    second = _night(warm, "nightly", [
        (Document("http://x.example/a.pdf", sha256="a" * 64, text="2565"), True),
        (Document("http://x.example/scan.pdf", sha256="b" * 64, text="OCR 2565", extract_status="ocr"), True),
        (Document("http://x.example/new.pdf", sha256="c" * 64, text="new"), False)])
    counts = run_counts(warm, second)
    warm.close()
    assert {k: counts[k] for k in ("sites_done", "documents", "documents_reused", "documents_extracted",
                                   "documents_ocr")} == {"sites_done": 1, "documents": 3, "documents_reused": 2,
                                                         "documents_extracted": 1, "documents_ocr": 0}

    untouched = Store(copies[1])      # the next pair's copy does not see the first pair's run
    assert untouched.latest_run() == first
    assert run_counts(untouched, first)["documents_extracted"] == 2
    assert run_counts(untouched, first)["documents_ocr"] == 1
    untouched.close()
    original = Store(tmp_path / "earlier.sqlite")
    assert original.latest_run() == first
    original.close()
