"""OCR of scanned PDFs: extraction (pdftocairo + tesseract under limits), the per-site cap, how far
the checks trust OCR text, and a stored document never OCR'd twice.

These tests run the real tesseract (scripts/bootstrap.sh installs it); without it they fail and
name the Debian packages, they do not skip.
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from checks.engine import check_site
from checks.thai import squash
from checks_cases import as_of, build_evidence
from crawler import extract
from crawler.extract import OcrBudget, OcrPolicy, extract_document, ocr_pending
from oitsim.docs import pdf_scanned
from oitsim.faults import text_pdf
from oitwatch.store import Store
from tests.crawl_site import LocalSite, write_registry

TITLE = "รายงานผลการดำเนินงานประจำปี ประจำปีงบประมาณ พ.ศ. 2564"
LINES = ["องค์การบริหารส่วนตำบลนาสวน อำเภอเมือง จังหวัดมุกดาหาร", "ประกาศ ณ วันที่ 15 ตุลาคม 2564"]
#: One page, and a time limit generous enough for a busy 2-core test machine.
POLICY = OcrPolicy(pages=1, timeout_s=90, max_per_site=5)


@pytest.fixture(scope="module")
def tesseract():
    """The real OCR tools, or a failure naming what to install."""
    missing = [tool for tool in ("tesseract", "pdftocairo") if shutil.which(tool) is None]
    if "tesseract" not in missing:
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
        if "tha" not in langs:
            missing.append("tesseract Thai data")
    if missing:
        pytest.fail(f"OCR needs {', '.join(missing)}: apt-get install tesseract-ocr tesseract-ocr-tha poppler-utils "
                    "(scripts/bootstrap.sh installs them)")


@pytest.fixture(scope="module")
def scan_text(tesseract) -> str:
    res = extract_document(pdf_scanned(TITLE, LINES, seed=3), "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr", res
    return res.text


def _stand_in(tmp_path: Path, name: str, script: str) -> Path:
    tool = tmp_path / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return tool


# --------------------------------------------------------------------------- extraction

def test_ocr_of_a_simulated_scan_reads_the_thai_title_and_year(scan_text):
    # tesseract writes sara am as nikhahit + aa: the checks' normalisation maps it back
    assert squash(TITLE) in squash(scan_text)
    assert "2564" in scan_text and squash("องค์การบริหารส่วนตำบลนาสวน") in squash(scan_text)


def test_without_an_ocr_budget_a_scan_stays_no_text():
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf")
    assert (res.status, res.text) == ("no_text", None)


def test_a_pdf_with_a_text_layer_is_not_ocrd(tmp_path, monkeypatch):
    monkeypatch.setitem(extract.TOOLS, "tesseract", str(_stand_in(tmp_path, "tesseract", "echo OCR; exit 0\n")))
    budget = OcrBudget(POLICY)
    res = extract_document(text_pdf([TITLE, *LINES]), "pdf", ocr=budget)
    assert res.status == "ok" and "OCR" not in res.text
    assert budget.used == 0


def test_a_short_text_layer_is_kept_unless_ocr_reads_clearly_more(tmp_path, monkeypatch):
    monkeypatch.setitem(extract.TOOLS, "tesseract", str(_stand_in(tmp_path, "tesseract", "echo 'Plan 2565'\n")))
    res = extract_document(text_pdf(["Plan fiscal year 2565"]), "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text.strip()) == ("ok", "Plan fiscal year 2565")
    stamp = text_pdf(["Scanned with CamScanner"])      # a scanner's stamp on a scanned page
    monkeypatch.setitem(extract.TOOLS, "tesseract", str(_stand_in(
        tmp_path, "tesseract", f"echo '{TITLE}'; echo '{LINES[0]}'\n")))
    res = extract_document(stamp, "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr" and squash(TITLE) in squash(res.text)


def test_the_per_site_cap_leaves_further_scans_no_text(tmp_path, monkeypatch):
    monkeypatch.setitem(extract.TOOLS, "tesseract",
                        str(_stand_in(tmp_path, "tesseract", "cat > /dev/null; echo 'ข้อความจาก OCR 2564'\n")))
    budget = OcrBudget(OcrPolicy(pages=1, timeout_s=60, max_per_site=2))
    statuses = [extract_document(pdf_scanned(TITLE, LINES, seed=i), "pdf", ocr=budget).status for i in range(3)]
    assert statuses == ["ocr", "ocr", "no_text"]
    off = OcrBudget(OcrPolicy(enabled=False))
    assert extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=off).status == "no_text"


def test_a_hanging_tesseract_is_killed_at_the_ocr_time_limit(tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    marker = tmp_path / "still-running"
    tool = _stand_in(tmp_path, "tesseract", f"echo $$ >> {pids}\nsleep 60\ntouch {marker}\n")
    monkeypatch.setitem(extract.TOOLS, "tesseract", str(tool))
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(OcrPolicy(pages=2, timeout_s=2)))
    assert res.status == "ocr" and res.text is None
    assert "time limit" in res.detail
    pid = int(pids.read_text().split()[0])
    time.sleep(0.5)
    assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
    assert not marker.exists()


def test_a_failing_renderer_keeps_the_pages_read_and_names_the_failure(tmp_path, monkeypatch):
    monkeypatch.setitem(extract.TOOLS, "pdftocairo", str(_stand_in(tmp_path, "pdftocairo", "echo broken >&2; exit 3\n")))
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text) == ("ocr", None)
    assert "pdftocairo rc 3" in res.detail


def test_ocr_policy_rejects_bad_config_values_naming_the_key():
    with pytest.raises(ValueError, match="ocr.pages"):
        OcrPolicy.from_config({"pages": "many"})
    with pytest.raises(ValueError, match="unknown key"):
        OcrPolicy.from_config({"page": 2})
    with pytest.raises(ValueError, match="ocr.languages"):
        OcrPolicy.from_config({"languages": "tha; rm -rf /"})
    assert OcrPolicy.from_config({"dpi": 200, "max_per_site": 0}).dpi == 200


def test_only_an_unocrd_pdf_blob_is_pending():
    on = OcrPolicy()
    assert ocr_pending({"kind": "pdf", "extract_status": "no_text"}, on)
    assert not ocr_pending({"kind": "pdf", "extract_status": "ocr"}, on)
    assert not ocr_pending({"kind": "pdf", "extract_status": "ok"}, on)
    assert not ocr_pending({"kind": "docx", "extract_status": "no_text"}, on)
    assert not ocr_pending({"kind": "pdf", "extract_status": "no_text"}, OcrPolicy(enabled=False))


# --------------------------------------------------------------------------- checks on real OCR text

def _o12(ocr_text: str):
    spec = {"site": "ita_table", "ocr_documents": {"/upload/oit/o12.pdf": ocr_text}}
    report = check_site(build_evidence(spec), 2565, as_of(spec), codes={"O12"})
    return report.items[0]


def test_a_scan_with_the_right_year_passes_flagged_as_ocr_with_lower_confidence(scan_text):
    got = _o12(scan_text)
    assert (got.status, got.reason, got.found_year) == ("pass", "year_ok_ocr", 2564), got.reason_en
    assert got.confidence <= 0.6
    assert "OCR" in got.reason_th and "OCR" in got.reason_en
    text_layer = check_site(build_evidence({"site": "ita_table"}), 2565, as_of({}), codes={"O12"}).items[0]
    assert text_layer.status == "pass" and text_layer.confidence > got.confidence


def test_a_scan_whose_ocr_text_is_garbage_stays_needs_review(tesseract):
    junk = ["~ ^ ; ' \" | \\ / _ = + * & % $ # @ ! ? < > { } [ ]" * 2, ". , : ; ~ ^ ` ' \" | _ - = +" * 3]
    res = extract_document(pdf_scanned("~ ^ | ; @ # %", junk, seed=5), "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr"
    got = _o12(res.text or "")
    assert (got.status, got.reason) == ("needs_review", "scanned_only"), (res.text, got.reason_en)


# --------------------------------------------------------------------------- once per document, ever

def _crawl(run_command, registry, data_dir, env):
    return run_command.oit("crawl", "--registry", registry, "--allow-private", "--fast", "--no-js",
                           "--data-dir", data_dir, "--year", "2565", "--as-of", "2022-04-30", timeout=180, env=env)


def test_a_stored_scan_is_not_ocrd_again_and_an_unocrd_one_is_ocrd_once(tesseract, tmp_path, run_command):
    calls = tmp_path / "tesseract-calls"
    real = shutil.which("tesseract")
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    _stand_in(wrappers, "tesseract", f'echo "$PPID $@" >> {calls}\nexec {real} "$@"\n')
    env = {"PATH": f"{wrappers}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"}
    registry = tmp_path / "laos.csv"
    data = tmp_path / "data"
    n_calls = lambda: len(calls.read_text().splitlines()) if calls.exists() else 0  # noqa: E731
    with LocalSite() as site:
        ctype, html = site.pages["/ita.html"]
        site.pages["/ita.html"] = (ctype, html.replace(b"</table>", b'<tr><td>O12</td><td>'
                                                       b'<a href="/files/scan.pdf">scan</a></td></tr></table>'))
        site.pages["/files/scan.pdf"] = ("application/pdf", pdf_scanned(TITLE, LINES, seed=3))
        write_registry(registry, [("X-LOCAL-1", site.url)])
        proc = _crawl(run_command, registry, data, env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        first_pages = n_calls()
        assert first_pages >= 1, "the scan was not OCR'd"
        proc = _crawl(run_command, registry, data, env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert site.count("/files/scan.pdf", 304) == 1, site.requests
        store = Store(data)
        [(sha, status, text)] = store.db.execute(
            "SELECT b.sha256, b.extract_status, b.text FROM blobs b JOIN documents d ON d.sha256=b.sha256"
            " WHERE d.url LIKE '%scan.pdf' GROUP BY b.sha256").fetchall()
        assert status == "ocr" and text
        assert n_calls() == first_pages, "the second crawl OCR'd the stored scan again"
        # a store from before OCR: the scan is stored without text and gets OCR'd by the next crawl, once
        store.db.execute("UPDATE blobs SET extract_status='no_text', text=NULL WHERE sha256=?", (sha,))
        store.db.execute("UPDATE documents SET extract_status='no_text' WHERE sha256=?", (sha,))
        old_run = store.latest_run("crawl")
        for _ in range(2):
            proc = _crawl(run_command, registry, data, env)
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert n_calls() == first_pages + 1, calls.read_text()     # the scan's one page, once
    assert store.blob(sha)["extract_status"] == "ocr"
    # the older run's evidence now reads the OCR text as OCR text
    ev = store.load_evidence(old_run, "X-LOCAL-1")
    [doc] = [d for d in ev.documents if d.url.endswith("scan.pdf")]
    assert doc.extract_status == "ocr" and "2564" in doc.text
