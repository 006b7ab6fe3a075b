"""Text of linked documents (PDF, DOCX, XLSX), extracted in a limited subprocess.

Documents come from untrusted sites: a malformed, encrypted, decompression-bomb or
extractor-hanging file must end as a named status, never as a stalled or crashed crawl.
Each extraction runs ``python -m crawler.extract_worker`` in its own process group with an
address-space limit (``mem_mb``), a CPU limit and a wall-clock ``timeout_s`` after which
the whole group is killed. PDFs are read with poppler's ``pdfinfo``/``pdftotext`` (the one
extractor that keeps Thai intact); the bytes go to a private temporary directory under a
generated name, and no shell is ever used, so a hostile file name cannot reach a command line.

Statuses (``Document.extract_status``): ok | no_text | encrypted | malformed | timeout |
too_large | unsupported. Text is NFC-normalised only; the checks normalise further.

``extract_document`` blocks for up to ``timeout_s``: from Scrapy callbacks use
``await extract_document_async(...)`` (runs it in a worker thread), never the blocking call.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExtractResult", "extract_document", "extract_document_async", "sniff_kind", "STATUSES", "TOOLS",
           "repair_encoding", "CharsetRepairMiddleware", "set_max_workers"]

STATUSES = ("ok", "no_text", "encrypted", "malformed", "timeout", "too_large", "unsupported")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
REPO_ROOT = Path(__file__).resolve().parent.parent
#: External tools; tests may point these at stand-ins (for example one that hangs).
TOOLS = {"pdfinfo": "pdfinfo", "pdftotext": "pdftotext"}
#: Bytes larger than this are not extracted at all (the crawler's DOWNLOAD_MAXSIZE usually stops them first).
MAX_INPUT_BYTES = 100_000_000
#: At most this many extractions at once in one process (2-core machines); see set_max_workers.
_SLOTS = threading.BoundedSemaphore(2)


def set_max_workers(n: int) -> None:
    """Allow ``n`` extractions at once (the spider passes OIT_EXTRACT_WORKERS). Call before crawling."""
    global _SLOTS
    _SLOTS = threading.BoundedSemaphore(max(1, int(n)))


@dataclass
class ExtractResult:
    status: str                 # one of STATUSES
    text: str | None = None     # extracted text, None when nothing could be read
    pages: int | None = None    # pages (PDF) or sheets (XLSX) when known
    detail: str = ""            # short technical reason, for logs


def sniff_kind(body: bytes, declared: str = "") -> str:
    """pdf | docx | xlsx | pptx | doc | xls | ole_encrypted | html | other, from the bytes first.

    Sites often serve an HTML error page under a .pdf link, or a .doc renamed .docx.
    """
    head = body[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        window = body[:200_000] + body[-200_000:]
        if b"word/" in window:
            return "docx"
        if b"xl/" in window:
            return "xlsx"
        if b"ppt/" in window:
            return "pptx"
        return declared if declared in ("docx", "xlsx", "pptx") else "other"
    if head.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in body[:2_000_000]:
            return "ole_encrypted"
        return declared if declared in ("doc", "xls", "ppt") else "doc"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    return "other"


def _status_for_kind(kind: str, declared: str) -> ExtractResult | None:
    if kind in ("pdf", "docx", "xlsx"):
        return None
    if kind == "ole_encrypted":
        return ExtractResult("encrypted", detail="password-protected Office file")
    if kind == "html" or (kind == "other" and declared in ("pdf", "docx", "xlsx")):
        return ExtractResult("malformed", detail=f"body is {kind}, not {declared}")
    return ExtractResult("unsupported", detail=f"kind {kind}")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


def extract_document(body: bytes, kind: str, *, timeout_s: float = 20, mem_mb: int = 512,
                     max_pages: int = 500, max_chars: int = 2_000_000) -> ExtractResult:
    """Extract the text of one document in a limited subprocess. Never raises for bad input."""
    declared = (kind or "").lower().strip(". ")
    if len(body) > MAX_INPUT_BYTES:
        return ExtractResult("too_large", detail=f"{len(body)} bytes")
    if not body:
        return ExtractResult("malformed", detail="empty body")
    real = sniff_kind(body, declared)
    early = _status_for_kind(real, declared)
    if early is not None:
        return early
    workdir = tempfile.mkdtemp(prefix="oit-extract-")
    try:
        path = os.path.join(workdir, f"document.{real}")  # generated name: never site-supplied
        with open(path, "wb") as fh:
            fh.write(body)
        argv = [sys.executable, "-m", "crawler.extract_worker", "--kind", real,
                "--mem-mb", str(int(mem_mb)), "--cpu-s", str(int(timeout_s) + 1),
                "--max-pages", str(int(max_pages)), "--max-chars", str(int(max_chars)),
                "--wall-s", str(int(timeout_s) + 5),
                "--pdfinfo", TOOLS["pdfinfo"], "--pdftotext", TOOLS["pdftotext"], path]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1", "HOME": workdir}
        with _SLOTS:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, cwd=workdir, env=env,
                                    start_new_session=True, shell=False)
            try:
                out, err = proc.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return ExtractResult("timeout", detail=f"extraction took longer than {timeout_s} s")
            finally:
                if proc.poll() is None:
                    _kill_group(proc)
        if proc.returncode != 0 or not out:
            rc = proc.returncode
            if rc in (-signal.SIGXCPU, -signal.SIGKILL):
                return ExtractResult("timeout", detail=f"worker killed (rc {rc})")
            tail = err.decode("utf-8", "replace")[-300:]
            status = "too_large" if "MemoryError" in tail else "malformed"
            return ExtractResult(status, detail=f"worker rc {rc}: {tail}")
        try:
            data = json.loads(out.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return ExtractResult("malformed", detail=f"worker output unreadable: {exc}")
        status = data.get("status") if data.get("status") in STATUSES else "malformed"
        return ExtractResult(status, data.get("text"), data.get("pages"), data.get("detail") or "")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def extract_document_async(body: bytes, kind: str, **kwargs) -> ExtractResult:
    """``extract_document`` in a worker thread, so the reactor keeps running meanwhile."""
    return await asyncio.to_thread(extract_document, body, kind, **kwargs)


# --------------------------------------------------------------------------- HTML charset repair

_LATIN_DECLARED = {"iso-8859-1", "latin-1", "latin1", "l1", "cp1252", "windows-1252", "us-ascii", "ascii",
                   "iso8859-1", "iso_8859-1"}
_THAI_RANGE = range(0x0E00, 0x0E80)


def _thai_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(ord(c) in _THAI_RANGE for c in letters) / len(letters)


def repair_encoding(body: bytes, declared: str | None) -> str | None:
    """A better encoding for an HTML body whose declared one is wrong, else None.

    Scrapy follows the HTTP header first (as browsers do), so a Thai page in UTF-8 served
    with ``charset=iso-8859-1`` comes out as mojibake, and TIS-620 bytes declared UTF-8 come
    out as replacement characters. Undeclared TIS-620/windows-874 is already detected
    correctly by Scrapy (w3lib) and needs nothing here.
    """
    declared = (declared or "").lower().replace("_", "-")
    sample = body[:200_000]
    if not any(b > 0x7F for b in sample):
        return None
    try:
        as_utf8 = sample.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError as exc:
        utf8_ok = exc.start > len(sample) - 4  # only a character cut at the sample's end
        as_utf8 = sample[: exc.start].decode("utf-8", "ignore") if utf8_ok else ""
    if declared in _LATIN_DECLARED or declared.startswith(("iso-8859", "windows-125")):
        if utf8_ok and _thai_share(as_utf8) > 0.2:
            return "utf-8"
        if not utf8_ok and _thai_share(sample.decode("cp874", "replace")) > 0.5:
            return "cp874"
        return None
    if declared in ("utf-8", "utf8") and not utf8_ok:
        if _thai_share(sample.decode("cp874", "replace")) > 0.5:
            return "cp874"
    return None


class CharsetRepairMiddleware:
    """Downloader middleware: re-decode HTML responses whose declared charset is wrong.

    Setting OIT_CHARSET_REPAIR_ENABLED (default True). Only text responses are touched.
    Register it below HttpCompressionMiddleware (590), e.g. at 580, so it sees decoded bodies.
    """

    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool("OIT_CHARSET_REPAIR_ENABLED", True):
            raise NotConfigured("OIT_CHARSET_REPAIR_ENABLED is False")
        return cls(crawler.stats)

    def process_response(self, request, response, spider=None):
        from scrapy.http import TextResponse

        if not isinstance(response, TextResponse) or not response.body:
            return response
        if response.headers.get(b"Content-Encoding"):
            return response  # still compressed: this middleware must sit below HttpCompression (590)
        better = repair_encoding(response.body, response.encoding)
        if better is None or better == response.encoding:
            return response
        if self.stats is not None:
            self.stats.inc_value("oit/charset_repaired")
        return response.replace(encoding=better)
