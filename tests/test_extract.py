"""Document extraction in a limited subprocess: statuses for hostile files, Thai round-trip."""
from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from pathlib import Path

import pytest

from crawler import extract
from crawler.extract import extract_document, repair_encoding, sniff_kind
from oitsim.faults import encrypted_pdf, hang_pdf, malformed_pdf, many_pages_pdf, text_pdf

THAI_LINES = [
    "รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. ๒๕๖๕",
    "องค์การบริหารส่วนตำบลน้ำปู่ ตำบลบ้านเป้า",
]


def test_thai_pdf_round_trip_keeps_every_mark():
    res = extract_document(text_pdf(THAI_LINES), "pdf")
    assert res.status == "ok"
    assert res.pages == 1
    for line in THAI_LINES:
        assert line in res.text


def test_extractor_that_hangs_is_killed_at_the_timeout():
    res = extract_document(hang_pdf(), "pdf", timeout_s=2)
    assert res.status == "timeout"
    assert res.text is None


def test_hanging_stand_in_tool_is_killed_with_its_process_group(tmp_path, monkeypatch):
    marker = tmp_path / "still-running"
    tool = tmp_path / "fake-pdftotext"
    tool.write_text(f"#!/bin/sh\nsleep 30\ntouch {marker}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(extract.TOOLS, "pdftotext", str(tool))
    res = extract_document(text_pdf(["x"]), "pdf", timeout_s=1)
    assert res.status == "timeout"
    time.sleep(0.5)
    assert not marker.exists()


def test_encrypted_pdf_is_named_encrypted():
    res = extract_document(encrypted_pdf(), "pdf")
    assert res.status == "encrypted"
    assert res.text is None


def test_malformed_pdf_is_named_malformed():
    res = extract_document(malformed_pdf(), "pdf")
    assert res.status == "malformed"


def test_html_error_page_served_as_pdf_is_malformed():
    res = extract_document(b"<!DOCTYPE html><html><body>404</body></html>", "pdf")
    assert res.status == "malformed"


def test_pdf_with_too_many_pages_keeps_first_pages_and_says_too_large():
    res = extract_document(many_pages_pdf(30), "pdf", max_pages=10)
    assert res.status == "too_large"
    assert res.pages == 30
    assert res.text.count("page") == 10


def test_memory_limit_applies_to_the_extractor_tool(tmp_path, monkeypatch):
    # A stand-in pdftotext that tries to allocate 2 GB; the worker's RLIMIT_AS is inherited.
    tool = tmp_path / "greedy-pdftotext"
    tool.write_text("#!/usr/bin/env python3\nx = bytearray(2 * 1024 ** 3)\nprint(len(x))\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(extract.TOOLS, "pdftotext", str(tool))
    res = extract_document(text_pdf(["x"]), "pdf", mem_mb=256)
    assert res.status == "too_large"
    assert res.text is None


def test_scanned_pdf_without_text_layer_is_no_text():
    from oitsim.docs import pdf_scanned

    res = extract_document(pdf_scanned("title", ["line"]), "pdf")
    assert res.status == "no_text"


def test_docx_text_including_thai(tmp_path):
    from oitsim.docs import docx_bytes

    res = extract_document(docx_bytes(THAI_LINES[0], [THAI_LINES[1]]), "docx")
    assert res.status == "ok"
    assert THAI_LINES[0] in res.text and THAI_LINES[1] in res.text


def test_xlsx_text_including_thai():
    from oitsim.docs import xlsx_bytes

    res = extract_document(xlsx_bytes(THAI_LINES[0], ["a", "b"], [[THAI_LINES[1], 2565]]), "xlsx")
    assert res.status == "ok"
    assert THAI_LINES[1] in res.text and "2565" in res.text


def test_zip_bomb_docx_is_too_large():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<w:document/>")
        zf.writestr("word/bomb.xml", b"\0" * (20 * 1024 * 1024))  # inflates ~1000x
    res = extract_document(buf.getvalue(), "docx")
    assert res.status == "too_large"


def test_docx_with_external_entity_does_not_read_local_files():
    secret = "/etc/hostname"
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           "<w:body><w:p><w:r><w:t>&x;safe</w:t></w:r></w:p></w:body></w:document>").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", xml)
    res = extract_document(buf.getvalue(), "docx")
    host = Path(secret).read_text().strip() if Path(secret).exists() else "\0never"
    assert res.status in {"ok", "no_text", "malformed"}
    assert host not in (res.text or "")


def test_password_protected_office_file_is_encrypted():
    body = extract.OLE_MAGIC + b"\0" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 512
    assert extract_document(body, "docx").status == "encrypted"


def test_legacy_and_unknown_kinds_are_unsupported():
    assert extract_document(extract.OLE_MAGIC + b"\0" * 1024, "doc").status == "unsupported"
    assert extract_document(b"\x89PNG\r\n\x1a\n....", "other").status == "unsupported"


def test_empty_body_is_malformed():
    assert extract_document(b"", "pdf").status == "malformed"


@pytest.mark.parametrize("hostile_kind", ['pdf"; touch PWNED; echo "', "$(touch PWNED)", "../../PWNED", "`touch PWNED`"])
def test_shell_hostile_kind_never_reaches_a_shell(hostile_kind, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = extract_document(text_pdf(["x"]), hostile_kind)
    # The bytes decide the kind; the hostile declared kind is never used in a path or command.
    assert res.status == "ok"
    assert not list(tmp_path.iterdir())
    assert not Path("/tmp/PWNED").exists()


def test_temporary_files_are_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    extract_document(text_pdf(["x"]), "pdf")
    extract_document(hang_pdf(), "pdf", timeout_s=1)
    assert os.listdir(tmp_path) == []


def test_sniff_kind_trusts_bytes_over_the_declared_kind():
    assert sniff_kind(b"%PDF-1.4 ...", "docx") == "pdf"
    assert sniff_kind(b"<html><body>x</body></html>", "pdf") == "html"


def test_repair_encoding_for_wrong_or_missing_charset():
    thai = "<p>องค์การบริหารส่วนตำบล ข้อมูลพื้นฐาน</p>"
    assert repair_encoding(thai.encode("utf-8"), "cp1252") == "utf-8"
    assert repair_encoding(thai.encode("tis-620"), "utf-8") == "cp874"
    assert repair_encoding(thai.encode("utf-8"), "utf-8") is None
    assert repair_encoding(b"<p>plain ascii</p>", "cp1252") is None
    assert repair_encoding("<p>café crème</p>".encode("cp1252"), "cp1252") is None


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (walks /proc's parent links)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat_line = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat_line.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


@pytest.mark.parametrize("hang", ["cpu", "sleep"])
def test_extraction_orphaned_by_a_killed_crawler_cleans_itself_up(tmp_path, hang):
    """kill -9 of the caller mid-extraction: the tool dies anyway (its own timer) and leaves no file.

    ``cpu``: pdftotext churning on a PDF "billion laughs"; ``sleep``: a stand-in tool that blocks
    without using CPU, so only the wall-clock self-destruct (timeout_s + 5 s) can end it.
    """
    import signal
    import subprocess
    import sys

    marker = tmp_path / "still-running"
    tool = tmp_path / "sleepy-pdftotext"
    tool.write_text(f"#!/bin/sh\nsleep 60\ntouch {marker}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    code = ("import sys\n"
            "from crawler import extract\n"
            "from oitsim.faults import hang_pdf, text_pdf\n"
            f"if {hang!r} == 'sleep': extract.TOOLS['pdftotext'] = {str(tool)!r}\n"
            "print('start', flush=True)\n"
            "extract.extract_document(hang_pdf() if {hang!r} == 'cpu' else text_pdf(['x']), 'pdf', timeout_s=3)\n"
            .replace("{hang!r}", repr(hang)))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONPATH=str(Path(extract.__file__).resolve().parent.parent))
    caller = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert caller.stdout.readline().strip() == "start"
    tools: set[int] = set()
    for _ in range(100):  # until the tool runs
        tools = _descendants(caller.pid)
        if tools:
            break
        time.sleep(0.05)
    assert tools, "no extraction process was started"
    time.sleep(0.3)
    tools = _descendants(caller.pid)
    caller.send_signal(signal.SIGKILL)
    caller.wait(timeout=10)
    started = time.monotonic()
    while _alive(tools) and time.monotonic() - started < 20:
        time.sleep(0.1)
    assert not _alive(tools), "extraction processes outlived their killed caller"
    # the caller asked for 3 s: they went at their own CPU limit (4 s) or self-destruct (3 + 5 s) at the latest
    assert not marker.exists()
    assert os.listdir(tmpdir) == []


def test_docx_xlsx_workers_are_reused_and_replaced_after_a_timeout():
    from oitsim.docs import docx_bytes, xlsx_bytes

    extract.shutdown_workers()
    first = extract_document(docx_bytes("one", ["a"]), "docx")
    second = extract_document(xlsx_bytes("two", ["h"], [["b"]]), "xlsx")
    assert first.status == second.status == "ok"
    idle = [w for ws in extract._POOL._idle.values() for w in ws]
    assert len(idle) == 1 and idle[0].jobs == 2, "one worker served both documents"
    pid = idle[0].proc.pid
    big = xlsx_bytes("big", ["h"] * 20, [[f"cell {i} {j}" for j in range(20)] for i in range(20000)])
    res = extract_document(big, "xlsx", timeout_s=0.2)
    assert res.status == "timeout"
    time.sleep(0.2)
    assert not _alive({pid}), "the overrunning worker was killed"
    again = extract_document(docx_bytes("three", ["c"]), "docx")
    assert again.status == "ok" and "three" in again.text
    extract.shutdown_workers()
    assert extract._POOL._idle == {}


def assert_workers_end_with_their_caller(code: str, status: str, what: str = "worker") -> None:
    """Run `code` (it prints one extraction's status, then sleeps) in a caller process; its idle
    workers must be alive while it lives and end once it is killed (EOF on their stdin)."""
    import signal
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(Path(extract.__file__).resolve().parent.parent))
    caller = subprocess.Popen([sys.executable, "-c", code + "import time; time.sleep(60)\n"], env=env,
                              stdout=subprocess.PIPE, text=True)
    assert caller.stdout.readline().strip() == status
    workers = _descendants(caller.pid)
    assert workers, f"the idle {what} is kept for the next document"
    caller.send_signal(signal.SIGKILL)
    caller.wait(timeout=10)
    started = time.monotonic()
    while _alive(workers) and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert not _alive(workers), f"an idle {what} outlived its killed caller"


def test_docx_worker_ends_when_its_caller_is_killed(tmp_path):
    assert_workers_end_with_their_caller(
        "from crawler import extract\n"
        "from oitsim.docs import docx_bytes\n"
        "print(extract.extract_document(docx_bytes('t', ['x']), 'docx').status, flush=True)\n", "ok")


def test_pdf_tool_runs_under_its_limits(tmp_path, monkeypatch):
    # A stand-in pdftotext that prints its own limits: memory, CPU, file size, no core dumps.
    tool = tmp_path / "limits-pdftotext"
    tool.write_text("#!/bin/sh\nulimit -v; ulimit -t; ulimit -f; ulimit -c; cat /proc/self/stat | cut -d' ' -f6\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(extract.TOOLS, "pdftotext", str(tool))
    res = extract_document(text_pdf(["x"]), "pdf", mem_mb=300, timeout_s=7)
    mem_kb, cpu_s, fsize_blocks, core, session = res.text.split()
    assert int(mem_kb) == 300 * 1024
    assert int(cpu_s) == 8
    assert fsize_blocks != "unlimited" and core == "0"
    assert int(session) != os.getsid(0), "the tool runs in its own session (process group)"


def test_office_documents_in_parallel_share_the_worker_pool():
    from concurrent.futures import ThreadPoolExecutor

    from oitsim.docs import docx_bytes

    extract.shutdown_workers()
    bodies = [docx_bytes(f"doc {i}", [THAI_LINES[0]]) for i in range(6)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda b: extract_document(b, "docx"), bodies))
    assert [r.status for r in results] == ["ok"] * 6
    assert all(f"doc {i}" in r.text and THAI_LINES[0] in r.text for i, r in enumerate(results))
    assert sum(len(ws) for ws in extract._POOL._idle.values()) <= extract.OFFICE_WORKERS
    extract.shutdown_workers()
