"""OCR of scanned PDFs: extraction (pdftoppm under limits + a long-lived OCR worker), the worker's
failure handling, the per-site cap, how far the checks trust OCR text, and a stored document
never OCR'd twice.

These tests run the real tesseract model through tesserocr (scripts/bootstrap.sh installs the
Thai data, pyproject.toml the binding); without them they fail naming what to install, they do
not skip. Stand-in workers (small Python scripts speaking the worker protocol) play a worker
that hangs, dies or answers fixed text.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import sys
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
    """The real OCR model, binding and renderer, or a failure naming what to install."""
    missing = ["pdftoppm"] if shutil.which("pdftoppm") is None else []
    if importlib.util.find_spec("tesserocr") is None:
        missing.append("the Python package tesserocr")
    try:
        extract.tessdata_dir("tha+eng")
    except extract.OcrUnavailable:
        missing.append("tesseract Thai data")
    if missing:
        pytest.fail(f"OCR needs {', '.join(missing)}: apt-get install tesseract-ocr tesseract-ocr-tha poppler-utils, "
                    "pip install tesserocr (scripts/bootstrap.sh installs them)")


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


#: A stand-in OCR worker: the protocol of crawler.extract_worker --serve (header line, body, one
#: JSON answer line), with ``{job}`` run per page to make the answer ``out`` (or to misbehave).
_WORKER = """import json, os, sys, time
pids, log = sys.argv[1], sys.argv[2]
with open(pids, "a") as fh:
    fh.write(f"{{os.getpid()}}\\n")
stdin = sys.stdin.buffer
while True:
    line = stdin.readline()
    if not line:
        sys.exit(0)
    header = json.loads(line)
    body = stdin.read(header["size"])
    with open(log, "a") as fh:
        fh.write(json.dumps({{k: header[k] for k in ("kind", "dpi")}}) + " " + body[:2].decode("latin-1") + "\\n")
{job}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
"""


def _stand_in_worker(tmp_path: Path, monkeypatch, job: str) -> tuple[Path, Path]:
    """Put a stand-in OCR worker in place of the real one; (file of its pids, file of the jobs it got)."""
    tmp_path.mkdir(exist_ok=True)
    script = tmp_path / "worker.py"
    pids, log = tmp_path / "worker-pids", tmp_path / "worker-jobs"
    script.write_text(_WORKER.format(job="\n".join("    " + line for line in job.strip().splitlines())))
    extract.shutdown_workers()
    monkeypatch.setattr(extract, "_ocr_argv", lambda policy: (
        [sys.executable, str(script), str(pids), str(log)], {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}))
    return pids, log


def _answer(text: str) -> str:
    return f"out = {{'status': 'ok', 'text': {text!r}, 'pages': 1, 'detail': '', 'cpu_s': 0.01}}"


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"


# --------------------------------------------------------------------------- extraction

def test_ocr_of_a_simulated_scan_reads_the_thai_title_and_year(scan_text):
    # tesseract writes sara am as nikhahit + aa: the checks' normalisation maps it back
    assert squash(TITLE) in squash(scan_text)
    assert "2564" in scan_text and squash("องค์การบริหารส่วนตำบลนาสวน") in squash(scan_text)


def test_without_an_ocr_budget_a_scan_stays_no_text():
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf")
    assert (res.status, res.text) == ("no_text", None)


def test_a_pdf_with_a_text_layer_is_not_ocrd(tmp_path, monkeypatch):
    pids, _log = _stand_in_worker(tmp_path, monkeypatch, _answer("OCR"))
    budget = OcrBudget(POLICY)
    res = extract_document(text_pdf([TITLE, *LINES]), "pdf", ocr=budget)
    assert res.status == "ok" and "OCR" not in res.text
    assert budget.used == 0 and not pids.exists(), "no OCR worker was started"


def test_a_short_text_layer_is_kept_unless_ocr_reads_clearly_more(tmp_path, monkeypatch):
    _stand_in_worker(tmp_path, monkeypatch, _answer("Plan 2565"))
    res = extract_document(text_pdf(["Plan fiscal year 2565"]), "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text.strip()) == ("ok", "Plan fiscal year 2565")
    stamp = text_pdf(["Scanned with CamScanner"])      # a scanner's stamp on a scanned page
    _stand_in_worker(tmp_path / "second", monkeypatch, _answer(f"{TITLE}\n{LINES[0]}"))
    res = extract_document(stamp, "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr" and squash(TITLE) in squash(res.text)


def test_the_per_site_cap_leaves_further_scans_no_text(tmp_path, monkeypatch):
    _stand_in_worker(tmp_path, monkeypatch, _answer("ข้อความจาก OCR 2564"))
    budget = OcrBudget(OcrPolicy(pages=1, timeout_s=60, max_per_site=2))
    statuses = [extract_document(pdf_scanned(TITLE, LINES, seed=i), "pdf", ocr=budget).status for i in range(3)]
    assert statuses == ["ocr", "ocr", "no_text"]
    off = OcrBudget(OcrPolicy(enabled=False))
    assert extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=off).status == "no_text"


def test_one_worker_reads_every_page_as_a_grey_image_and_is_kept_for_the_next_document(tmp_path, monkeypatch):
    pids, log = _stand_in_worker(tmp_path, monkeypatch, _answer("หน้า 2564"))
    policy = OcrPolicy(pages=2, timeout_s=60, max_per_site=5)
    for seed in range(2):
        res = extract_document(pdf_scanned(TITLE, LINES, seed=seed), "pdf", ocr=OcrBudget(policy))
        assert (res.status, res.text) == ("ocr", "หน้า 2564")
    assert len(pids.read_text().split()) == 1, "one worker served both documents"
    jobs = log.read_text().splitlines()
    assert jobs == ['{"kind": "page", "dpi": 150} P5'] * 2, "one page each (the scans have one), a PGM image"
    [idle] = [w for ws in extract._OCR_POOL._idle.values() for w in ws]
    assert idle.jobs == 2
    extract.shutdown_workers()
    assert _gone(idle.proc.pid) and extract._OCR_POOL._idle == {}


def test_scans_in_parallel_share_the_ocr_workers(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    pids, log = _stand_in_worker(tmp_path, monkeypatch, _answer("พร้อมกัน 2564"))
    budget = OcrBudget(OcrPolicy(pages=1, timeout_s=60, max_per_site=5))
    bodies = [pdf_scanned(TITLE, LINES, seed=i) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda b: extract_document(b, "pdf", ocr=budget), bodies))
    assert [(r.status, r.text) for r in results] == [("ocr", "พร้อมกัน 2564")] * 4
    assert 1 <= len(pids.read_text().split()) <= extract.OCR_WORKERS <= 2
    assert len(log.read_text().splitlines()) == 4
    extract.shutdown_workers()


def test_a_hanging_ocr_worker_is_killed_with_its_group_at_the_time_limit_and_replaced(tmp_path, monkeypatch):
    marker = tmp_path / "still-running"
    pids, _log = _stand_in_worker(tmp_path, monkeypatch, f"""
import subprocess
subprocess.Popen(["sleep", "60"])           # a child in the worker's process group
time.sleep(60)
open({str(marker)!r}, "w").close()
out = {{}}
""")
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(OcrPolicy(pages=2, timeout_s=2)))
    assert (res.status, res.text) == ("ocr", None)
    assert "time limit" in res.detail and "reading page 1" in res.detail
    pid = int(pids.read_text().split()[0])
    time.sleep(0.5)
    assert _gone(pid), "the overrunning worker was killed"
    assert extract._OCR_POOL._idle == {}, "the killed worker is not offered again"
    assert not marker.exists()
    # the next scan gets a new worker (this one answers at once)
    _stand_in_worker(tmp_path / "second", monkeypatch, _answer("ใหม่ 2564"))
    res = extract_document(pdf_scanned(TITLE, LINES, seed=1), "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text) == ("ocr", "ใหม่ 2564")
    extract.shutdown_workers()


def test_a_crashing_ocr_worker_is_a_named_failure_and_the_next_document_gets_a_new_one(tmp_path, monkeypatch):
    pids, _log = _stand_in_worker(tmp_path, monkeypatch, "os.abort()")
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text) == ("ocr", None)
    assert "OCR worker: too_large on page 1" in res.detail and "rc -6" in res.detail
    res = extract_document(pdf_scanned(TITLE, LINES, seed=1), "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr" and res.text is None
    assert len(set(pids.read_text().split())) == 2, "a dead worker is replaced, not reused"
    _stand_in_worker(tmp_path / "second", monkeypatch, "out = 'not an answer'")
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(POLICY))
    assert "worker output unreadable" in res.detail
    extract.shutdown_workers()


def test_the_real_worker_names_a_garbage_image_and_keeps_serving(tesseract, tmp_path, monkeypatch):
    extract.shutdown_workers()
    junk = _stand_in(tmp_path, "pdftoppm", "cat > /dev/null; printf 'P5 40 40 255 short'\n")
    monkeypatch.setitem(extract.TOOLS, "pdftoppm", str(junk))
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text) == ("ocr", None)
    assert "malformed" in res.detail and "cut short" in res.detail
    noise = _stand_in(tmp_path, "pdftoppm", "cat > /dev/null; printf 'P5\\n64 64\\n255\\n'; "
                      "head -c 4096 /dev/urandom\n")
    monkeypatch.setitem(extract.TOOLS, "pdftoppm", str(noise))
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr" and "OCR of 1 page" in res.detail   # read (as noise), not a crash
    [worker] = [w for ws in extract._OCR_POOL._idle.values() for w in ws]
    assert worker.jobs == 2, "one worker answered both images"
    monkeypatch.setitem(extract.TOOLS, "pdftoppm", "pdftoppm")
    res = extract_document(pdf_scanned(TITLE, LINES, seed=3), "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr" and "2564" in res.text
    assert [w.proc.pid for ws in extract._OCR_POOL._idle.values() for w in ws] == [worker.proc.pid]
    extract.shutdown_workers()


def test_the_real_worker_runs_under_its_limits(tesseract):
    extract.shutdown_workers()
    res = extract_document(pdf_scanned(TITLE, LINES, seed=3), "pdf", ocr=OcrBudget(POLICY))
    assert res.status == "ocr"
    [worker] = [w for ws in extract._OCR_POOL._idle.values() for w in ws]
    limits = Path(f"/proc/{worker.proc.pid}/limits").read_text()
    assert f"{POLICY.mem_mb * 2**20}" in next(line for line in limits.splitlines() if "address space" in line)
    assert next(line for line in limits.splitlines() if "core file" in line).split()[-3] == "0"
    assert os.getsid(worker.proc.pid) == worker.proc.pid != os.getsid(0), "it leads its own session"
    environ = Path(f"/proc/{worker.proc.pid}/environ").read_bytes().split(b"\0")
    assert b"OMP_THREAD_LIMIT=1" in environ
    extract.shutdown_workers()


def test_missing_ocr_data_is_an_error_naming_the_files_and_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.setattr(extract, "TESSDATA_DIRS", (str(tmp_path / "none"),))
    with pytest.raises(extract.OcrUnavailable, match=r"tha\.traineddata, eng\.traineddata.*tesseract-ocr-tha"):
        extract.ocr_ready(OcrPolicy())
    extract.ocr_ready(OcrPolicy(enabled=False))     # OCR off: nothing needed
    for lang in ("tha", "eng"):
        (tmp_path / f"{lang}.traineddata").write_bytes(b"")
    assert extract.tessdata_dir("tha+eng") == str(tmp_path)


def test_a_worker_that_cannot_load_its_model_stops_the_document_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    for lang in ("tha", "eng"):
        (tmp_path / f"{lang}.traineddata").write_bytes(b"not a model")   # present but unusable
    extract.shutdown_workers()
    with pytest.raises(extract.OcrUnavailable, match=r"cannot load the OCR model tha\+eng"):
        extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(POLICY))
    assert extract._OCR_POOL._idle == {}


def test_a_failing_renderer_keeps_the_pages_read_and_names_the_failure(tmp_path, monkeypatch):
    monkeypatch.setitem(extract.TOOLS, "pdftoppm", str(_stand_in(tmp_path, "pdftoppm", "echo broken >&2; exit 3\n")))
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text) == ("ocr", None)
    assert "pdftoppm rc 3" in res.detail


def test_a_page_too_large_to_render_is_named(tesseract):
    # a blank page of 200 x 200 inches: 30000 x 30000 pixels at 150 dpi, over the 512 MB limit
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>",
            "<< /Length 0 >>\nstream\n\nendstream"]
    body, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(body))
        body += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(body)
    body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    res = extract_document(body, "pdf", ocr=OcrBudget(POLICY))
    assert (res.status, res.text) == ("ocr", None)
    assert "out of memory at 150 dpi" in res.detail


def test_a_hanging_renderer_is_killed_at_the_ocr_time_limit(tmp_path, monkeypatch):
    pids = tmp_path / "pids"
    marker = tmp_path / "still-running"
    tool = _stand_in(tmp_path, "pdftoppm", f"echo $$ >> {pids}\nsleep 60\ntouch {marker}\n")
    monkeypatch.setitem(extract.TOOLS, "pdftoppm", str(tool))
    res = extract_document(pdf_scanned(TITLE, LINES), "pdf", ocr=OcrBudget(OcrPolicy(pages=2, timeout_s=2)))
    assert (res.status, res.text) == ("ocr", None)
    assert "time limit" in res.detail and "rendering page 1" in res.detail
    time.sleep(0.5)
    assert _gone(int(pids.read_text().split()[0]))
    assert not marker.exists()


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
    calls = tmp_path / "pdftoppm-calls"     # one page rendered for OCR per call
    real = shutil.which("pdftoppm")
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    _stand_in(wrappers, "pdftoppm", f'echo "$PPID $@" >> {calls}\nexec {real} "$@"\n')
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


def test_the_ocr_worker_ends_when_its_caller_is_killed(tesseract):
    from tests.test_extract import assert_workers_end_with_their_caller

    assert_workers_end_with_their_caller(
        "from crawler.extract import OcrBudget, OcrPolicy, extract_document\n"
        "from oitsim.docs import pdf_scanned\n"
        f"res = extract_document(pdf_scanned({TITLE!r}, []), 'pdf', ocr=OcrBudget(OcrPolicy(pages=1, timeout_s=90)))\n"
        "print(res.status, flush=True)\n", "ocr", what="OCR worker")
