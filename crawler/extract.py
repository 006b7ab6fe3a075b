"""Text of linked documents (PDF, DOCX, XLSX), extracted in limited subprocesses.

Documents come from untrusted sites: a malformed, encrypted, decompression-bomb or
extractor-hanging file must end as a named status, never as a stalled or crashed crawl.

* PDFs are read by poppler's ``pdftotext`` (the one extractor that keeps Thai intact), started
  directly, one process per document: ``prlimit`` sets its address-space (``mem_mb``), CPU,
  file-size and core limits and execs ``timeout``, which kills it after ``timeout_s + 5`` s even
  if the crawler itself was killed. It runs in its own session (process group), and the caller
  kills the whole group at the wall-clock ``timeout_s``. ``pdfinfo`` runs only when a PDF has
  more than ``max_pages`` pages (for the page count); otherwise pages are counted from
  pdftotext's page breaks and encrypted/malformed are told apart by its exit status and stderr.
* DOCX/XLSX are parsed by a small pool of long-lived ``python -m crawler.extract_worker --serve``
  processes (``OFFICE_WORKERS``, one by default), each with the same address-space limit, a
  per-document CPU limit and a self-destruct alarm; a worker that overruns ``timeout_s`` is killed
  with its process group and replaced. A worker exits when the crawler goes away (EOF on stdin).
* Scanned PDFs (no usable text layer; ``OcrBudget``) are OCR'd page by page: ``pdftoppm -gray``
  renders one page to a grey PGM on its stdout (a short-lived tool under the same limits as
  pdftotext, so a renderer crash or hang ends that tool, never the crawl), and a long-lived
  ``crawler.extract_worker --serve --ocr`` process reads it with the tesseract model it loaded
  once (tesserocr, one thread). The OCR workers (``OCR_WORKERS``, two on 2 cores) have the office
  workers' safety: address-space limit (``ocr.mem_mb``), per-page CPU limit, self-destruct alarm,
  killed with their process group and replaced on overrun, replaced after ``WORKER_MAX_JOBS``
  pages, gone on EOF. The model is found by ``tessdata_dir`` (``TESSDATA_PREFIX``, then the
  Debian paths); when it or the binding is missing, ``OcrUnavailable`` names what (raised at
  crawl start by crawler/settings.py through ``ocr_ready``, and by ``extract_document``).

The bytes never get a file name: they sit in an anonymous memory file (``memfd``, else an
unnamed temporary file) given to the tool as its stdin and opened as ``/dev/stdin``, and the
tool writes into another one whose size ``RLIMIT_FSIZE`` caps. No shell is ever used, so a
hostile file name or declared kind cannot reach a command line; the kind comes from the bytes.

Statuses (``Document.extract_status``): ok | ocr | no_text | encrypted | malformed | timeout |
too_large | unsupported. ``no_text`` means no text layer and no OCR tried (OCR off, or over the
site's cap); ``ocr`` means OCR was tried: the text, None when it read nothing, comes from OCR.
Text is NFC-normalised only; the checks normalise further.

``extract_document`` blocks for up to ``timeout_s`` (a scan: up to ``ocr.timeout_s`` more, counted
from when an OCR worker is free): from Scrapy callbacks use
``await extract_document_async(...)`` (runs it in a worker thread), never the blocking call.
"""
from __future__ import annotations

import asyncio
import atexit
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from crawler.extract_worker import normalise

__all__ = ["ExtractResult", "extract_document", "extract_document_async", "sniff_kind", "STATUSES", "TOOLS",
           "repair_encoding", "CharsetRepairMiddleware", "set_max_workers", "shutdown_workers",
           "OcrPolicy", "OcrBudget", "ocr_policy", "ocr_pending", "OcrUnavailable", "tessdata_dir", "ocr_ready",
           "ocr_usage"]

STATUSES = ("ok", "ocr", "no_text", "encrypted", "malformed", "timeout", "too_large", "unsupported")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
REPO_ROOT = Path(__file__).resolve().parent.parent
#: External tools; tests may point these at stand-ins (for example one that hangs).
TOOLS = {"pdfinfo": "pdfinfo", "pdftotext": "pdftotext", "pdftoppm": "pdftoppm"}
#: Bytes larger than this are not extracted at all (the crawler's DOWNLOAD_MAXSIZE usually stops them first).
MAX_INPUT_BYTES = 100_000_000
#: At most this many extractions at once in one process (2-core machines); see set_max_workers.
_SLOTS = threading.BoundedSemaphore(2)
#: Seconds after ``timeout_s`` at which a tool or worker kills itself if nobody did (caller killed).
SELF_DESTRUCT_GRACE_S = 5
#: A DOCX/XLSX worker is replaced after this many documents (bounds leaks and CPU-limit drift).
WORKER_MAX_JOBS = 200
#: DOCX/XLSX workers alive at once (per memory limit). Office files are about one document in eight
#: and take milliseconds once the worker runs; each worker costs ~1 s of CPU to start and ~60 MB.
OFFICE_WORKERS = 1
#: OCR workers alive at once (at most 2, and not more than the cores). Each holds the tesseract model
#: (tha+eng: ~65 MB resident, ~0.3 s of CPU to start) and reads one page at a time on one thread.
#: On 2 cores, 2 workers crawled the 20-site benchmark in ~50 s against ~80 s with 1 (same CPU: the
#: scans of a site no longer queue behind one worker). A further scan waits for a free worker.
OCR_WORKERS = min(2, os.cpu_count() or 1)
_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
#: Rendered page images are read back up to this size (a 150 dpi grey A4 page is 2.2 MB as PGM).
_MAX_PAGE_IMAGE = 48_000_000
#: Where Debian/Ubuntu (tesseract 4 and 5) and source builds put LANG.traineddata; TESSDATA_PREFIX first.
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")
_CRAWL_YAML = REPO_ROOT / "config" / "crawl.yaml"


def set_max_workers(n: int) -> None:
    """Allow ``n`` extractions at once (the spider passes OIT_EXTRACT_WORKERS). Call before crawling.
    OCR of scans comes on top, ``OCR_WORKERS`` documents at once."""
    global _SLOTS
    _SLOTS = threading.BoundedSemaphore(max(1, int(n)))


@dataclass
class ExtractResult:
    status: str                 # one of STATUSES
    text: str | None = None     # extracted text, None when nothing could be read
    pages: int | None = None    # pages (PDF) or sheets (XLSX) when known
    detail: str = ""            # short technical reason, for logs
    cpu_s: float = 0.0          # CPU seconds a worker reported for this job (OCR accounting)


@dataclass(frozen=True)
class OcrPolicy:
    """How scanned PDFs are read (the ``ocr:`` section of config/crawl.yaml)."""

    enabled: bool = True
    pages: int = 2                 # first pages OCR'd per document
    dpi: int = 150                 # rendering resolution
    languages: str = "tha+eng"     # tesseract -l
    psm: int = 6                   # tesseract page segmentation mode (6: one uniform block of text)
    timeout_s: float = 30.0        # wall clock for all pages of one document
    mem_mb: int = 512              # address-space limit of the page renderer and of the OCR worker
    max_per_site: int = 10         # documents OCR'd per site and crawl; the rest stay no_text
    min_layer_chars: int = 50      # a text layer with fewer letters and digits is no usable text layer

    @classmethod
    def from_config(cls, data: dict | None) -> "OcrPolicy":
        """From the ``ocr:`` mapping; a bad value is an error naming the key (config is checked at start)."""
        data = dict(data or {})
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"{_CRAWL_YAML}: ocr: unknown key(s) {', '.join(unknown)}")
        out = {}
        for name, f in cls.__dataclass_fields__.items():
            if name not in data:
                continue
            value = data[name]
            kind = type(f.default)
            if kind is bool and not isinstance(value, bool):
                raise ValueError(f"{_CRAWL_YAML}: ocr.{name} must be true or false, not {value!r}")
            try:
                value = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{_CRAWL_YAML}: ocr.{name} must be a {kind.__name__}, not {value!r}") from None
            if kind in (int, float) and value < (0 if name == "max_per_site" else 1):
                raise ValueError(f"{_CRAWL_YAML}: ocr.{name} must be positive, not {value!r}")
            if name == "languages" and not re.fullmatch(r"[a-z_]+(\+[a-z_]+)*", value):
                raise ValueError(f"{_CRAWL_YAML}: ocr.languages must look like 'tha+eng', not {value!r}")
            out[name] = value
        return cls(**out)


_POLICY: OcrPolicy | None = None


def ocr_policy() -> OcrPolicy:
    """The OCR policy of config/crawl.yaml (read once per process)."""
    global _POLICY
    if _POLICY is None:
        import yaml

        with _CRAWL_YAML.open(encoding="utf-8") as fh:
            _POLICY = OcrPolicy.from_config((yaml.safe_load(fh) or {}).get("ocr"))
    return _POLICY


class OcrUnavailable(RuntimeError):
    """OCR is on but cannot run on this machine (no tesserocr, no traineddata): an install problem,
    not a bad document. The message names what is missing and how to install it."""


def tessdata_dir(languages: str) -> str:
    """The directory holding LANG.traineddata of every language in ``languages`` ("tha+eng").

    ``TESSDATA_PREFIX`` (the tessdata directory itself, or its parent as tesseract 3 had it) is
    tried first, then TESSDATA_DIRS. Raises OcrUnavailable naming the missing files and places."""
    names = [f"{lang}.traineddata" for lang in languages.split("+")]
    tried: list[str] = []
    prefix = os.environ.get("TESSDATA_PREFIX", "").strip()
    candidates = [prefix, os.path.join(prefix, "tessdata")] if prefix else []
    for place in [*candidates, *TESSDATA_DIRS]:
        if place in tried:
            continue
        tried.append(place)
        if all(os.path.isfile(os.path.join(place, n)) for n in names):
            return place
    raise OcrUnavailable(
        f"OCR (config/crawl.yaml ocr.languages {languages}) needs {', '.join(names)}, found in none of: "
        f"{', '.join(tried)}{'' if prefix else ' (TESSDATA_PREFIX is not set)'}. Install them with "
        f"apt-get install tesseract-ocr-tha (scripts/bootstrap.sh does), set TESSDATA_PREFIX to their "
        f"directory, or set ocr.enabled: false")


def _check_binding() -> None:
    import importlib.util

    if importlib.util.find_spec("tesserocr") is None:
        raise OcrUnavailable("OCR needs the Python package tesserocr (pip install tesserocr; it is in "
                             "pyproject.toml), or set ocr.enabled: false in config/crawl.yaml")


def ocr_ready(policy: OcrPolicy | None = None) -> None:
    """Raise OcrUnavailable now, naming what is missing, if OCR is on and could not run."""
    policy = policy or ocr_policy()
    if policy.enabled:
        tessdata_dir(policy.languages)
        _check_binding()


class OcrBudget:
    """One site's OCR allowance in one crawl: at most ``policy.max_per_site`` documents are OCR'd.

    Shared by the extraction threads of that site, so ``take`` is thread-safe.
    """

    def __init__(self, policy: OcrPolicy | None = None):
        self.policy = policy or ocr_policy()
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one document of the allowance; False when OCR is off or the allowance is spent."""
        with self._lock:
            if not self.policy.enabled or self.used >= self.policy.max_per_site:
                return False
            self.used += 1
            return True


def ocr_pending(stored: dict | None, policy: OcrPolicy | None = None) -> bool:
    """A stored document (a results-store blob: kind, extract_status) never OCR'd that OCR could read:
    a PDF stored as ``no_text`` (over a site's cap, or stored before OCR existed). A re-crawl
    extracts it again instead of reusing it; a document OCR'd once (status ``ocr``) never is."""
    policy = policy or ocr_policy()
    return bool(stored) and policy.enabled and stored.get("kind") == "pdf" and stored.get("extract_status") == "no_text"


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


def extract_document(body: bytes, kind: str, *, timeout_s: float = 20, mem_mb: int = 512,
                     max_pages: int = 500, max_chars: int = 2_000_000,
                     ocr: OcrBudget | None = None) -> ExtractResult:
    """Extract the text of one document in a limited subprocess. Never raises for bad input.

    With ``ocr`` (the site's OcrBudget), a PDF without a usable text layer is read by OCR while
    the budget allows; without it, such a PDF is ``no_text``.
    """
    declared = (kind or "").lower().strip(". ")
    if len(body) > MAX_INPUT_BYTES:
        return ExtractResult("too_large", detail=f"{len(body)} bytes")
    if not body:
        return ExtractResult("malformed", detail="empty body")
    real = sniff_kind(body, declared)
    early = _status_for_kind(real, declared)
    if early is not None:
        return early
    limits = _Limits(timeout_s=float(timeout_s), mem_mb=int(mem_mb), max_chars=int(max_chars))
    with _SLOTS:
        if real != "pdf":
            return _run_office(real, body, limits)
        res = _extract_pdf(body, limits, max_pages=max(1, int(max_pages)))
    if ocr is not None and res.status in ("ok", "no_text") and _needs_ocr(res.text, ocr.policy) and ocr.take():
        # outside the extraction slots: a scan waiting for the OCR worker holds no slot that
        # text PDFs and office files could use (OCR_WORKERS bounds OCR on its own)
        return _ocr_pdf(body, res, ocr.policy, max_chars=limits.max_chars)
    return res


async def extract_document_async(body: bytes, kind: str, **kwargs) -> ExtractResult:
    """``extract_document`` in a worker thread, so the reactor keeps running meanwhile."""
    return await asyncio.to_thread(extract_document, body, kind, **kwargs)


# --------------------------------------------------------------------------- limits and processes

@dataclass(frozen=True)
class _Limits:
    timeout_s: float
    mem_mb: int
    max_chars: int

    @property
    def cpu_s(self) -> int:
        return int(self.timeout_s) + 1

    @property
    def wall_s(self) -> int:
        return int(self.timeout_s) + SELF_DESTRUCT_GRACE_S

    @property
    def fsize(self) -> int:
        """Largest file the tool may write (its stdout): enough for ``max_chars`` of UTF-8 and its page breaks."""
        return max(64 << 20, self.max_chars * 4 + (1 << 20))


_PRLIMIT = shutil.which("prlimit")
_TIMEOUT = shutil.which("timeout")


def _limited(argv: list[str], lim: _Limits):
    """(argv, preexec_fn): the tool under its resource limits and self-destruct timer.

    ``prlimit`` (util-linux) sets the limits and execs ``timeout`` (coreutils), which runs the
    tool and kills it after ``wall_s``; both are exec'd, so the big crawler process is only
    vfork'ed. Without prlimit, a ``preexec_fn`` sets the same limits (a full fork: slower).
    """
    mem = lim.mem_mb << 20
    prefix: list[str] = []
    preexec = None
    if _PRLIMIT:
        prefix += [_PRLIMIT, f"--as={mem}:{mem}", f"--cpu={lim.cpu_s}:{lim.cpu_s + 1}",
                   f"--fsize={lim.fsize}:{lim.fsize}", "--core=0:0", "--"]
    else:
        def preexec() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_s, lim.cpu_s + 1))
            resource.setrlimit(resource.RLIMIT_FSIZE, (lim.fsize, lim.fsize))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if _TIMEOUT:
        prefix += [_TIMEOUT, "-s", "KILL", str(lim.wall_s)]
    return prefix + argv, preexec


def _anon_file(data: bytes = b""):
    """An anonymous read/write file (no name anywhere), positioned at 0."""
    try:
        fd = os.memfd_create("oit-extract", os.MFD_CLOEXEC)
    except (AttributeError, OSError):
        fh = tempfile.TemporaryFile(prefix="oit-extract-")   # O_TMPFILE or unlinked at once
        fd = os.dup(fh.fileno())
        fh.close()
    if data:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_all(fd: int, limit: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, min(size, limit), 0) if size else b""


def _read_tail(fd: int, n: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, min(size, n), max(0, size - n)) if size else b""


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _reap(proc: subprocess.Popen) -> float:
    """Reap an ended process; the CPU seconds it and its reaped descendants used (prlimit/timeout/tool)."""
    try:
        _pid, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:   # already reaped
        proc.wait()
        return 0.0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def _wait(proc: subprocess.Popen, timeout_s: float) -> float | None:
    """Wait for the process to end and reap it: its CPU seconds, None when ``timeout_s`` passed first.
    Exact (pidfd), no polling loop."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout=timeout_s)
            return 0.0
        except subprocess.TimeoutExpired:
            return None
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _reap(proc) if poller.poll(0) else None
            if poller.poll(max(1, int(remaining * 1000) + 1)):
                return _reap(proc)
    finally:
        os.close(pidfd)


def _run_tool(argv: list[str], body: bytes, lim: _Limits, *, env: dict | None = None,
              max_out: int | None = None, cpu: list[float] | None = None) -> tuple[int | None, bytes, str]:
    """Run one tool on ``body`` (its stdin, opened as /dev/stdin). rc None means the wall clock ran out.
    The CPU seconds it used are appended to ``cpu`` when given."""
    argv, preexec = _limited(argv, lim)
    fd_in = _anon_file(body)
    fd_out = _anon_file()
    fd_err = _anon_file()
    try:
        try:
            proc = subprocess.Popen(argv, stdin=fd_in, stdout=fd_out, stderr=fd_err, cwd="/", env=env or _ENV,
                                    start_new_session=True, shell=False, close_fds=True, preexec_fn=preexec)
        except OSError as exc:   # the tool (or a wrapper) is missing: not the document's fault, but no crash
            return 127, b"", f"cannot run {argv[0]}: {exc}"
        try:
            used = _wait(proc, lim.timeout_s)
        finally:
            if proc.returncode is None:
                _kill_group(proc)
        if used is None:
            return None, b"", ""
        if cpu is not None:
            cpu.append(used)
        out = _read_all(fd_out, max_out or lim.max_chars * 4 + 4096)
        err = _read_tail(fd_err, 2000).decode("utf-8", "replace")
        return proc.returncode, out, err
    finally:
        for fd in (fd_in, fd_out, fd_err):
            os.close(fd)


def _died_of(rc: int, stderr: str) -> str:
    """Status for a tool that failed: killed by a limit, out of memory, or a bad file."""
    if rc in (-signal.SIGXCPU, -signal.SIGKILL, 124, 128 + signal.SIGKILL):
        return "timeout"
    if rc == -signal.SIGXFSZ:
        return "too_large"
    low = stderr.lower()
    if ("bad_alloc" in low or "memoryerror" in low or "out of memory" in low or "cannot allocate" in low
            or rc == -signal.SIGABRT):
        return "too_large"
    if "password" in low or "encrypt" in low or rc == 3:   # pdftotext: 3 = permission error
        return "encrypted"
    return "malformed"


# --------------------------------------------------------------------------- PDF

_WORD_CHAR = re.compile(r"\w")


def _needs_ocr(text: str | None, policy: OcrPolicy) -> bool:
    """No usable text layer: fewer than ``min_layer_chars`` letters and digits (a scanner's stamp, a page number)."""
    if not text:
        return True
    return len(_WORD_CHAR.findall(text, 0, 10_000)) < policy.min_layer_chars


_USAGE_LOCK = threading.Lock()
_OCR_USAGE = {"documents": 0, "pages": 0, "render_cpu_s": 0.0, "read_cpu_s": 0.0}


def ocr_usage() -> dict:
    """OCR done by this process so far: documents, pages read, and CPU seconds of the page renderer
    (pdftoppm, with its limit wrappers) and of the OCR workers reading pages (as they report it;
    a worker's start, ~0.3 s with the model load, is not in it)."""
    with _USAGE_LOCK:
        return dict(_OCR_USAGE)


def _ocr_argv(policy: OcrPolicy) -> tuple[list[str], dict]:
    """The OCR worker's command line and environment (tests may stand another worker in)."""
    tessdata = tessdata_dir(policy.languages)
    _check_binding()
    argv = [sys.executable, "-m", "crawler.extract_worker", "--serve", "--mem-mb", str(policy.mem_mb),
            "--ocr", policy.languages, "--psm", str(policy.psm), "--tessdata", tessdata]
    env = dict(_ENV, PYTHONPATH=str(REPO_ROOT), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0",
               OMP_THREAD_LIMIT="1")   # tesseract on one thread (OpenMP would take every core)
    return argv, env


def _ocr_pdf(body: bytes, layer: ExtractResult, policy: OcrPolicy, *, max_chars: int) -> ExtractResult:
    """Read the first pages by OCR: render one page (``pdftoppm``, a grey PGM on stdout, under
    ``_limited`` like every tool), have an OCR worker read it, next page, all within
    ``policy.timeout_s`` counted from when a worker is free. The pages read before a failure or
    the time limit are kept. Status ``ocr``, text None when nothing was read."""
    argv, env = _ocr_argv(policy)
    last = min(policy.pages, layer.pages or policy.pages)
    texts: list[str] = []
    detail = ""
    render_cpu: list[float] = []
    read_cpu = 0.0
    with _OCR_POOL.slot():   # the time limit counts from here: waiting for a worker is no reading time
        deadline = time.monotonic() + policy.timeout_s
        for page in range(1, last + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                detail = f"OCR time limit ({policy.timeout_s} s) reached before page {page}"
                break
            lim = _Limits(timeout_s=left, mem_mb=policy.mem_mb, max_chars=_MAX_PAGE_IMAGE // 4)
            render = [TOOLS["pdftoppm"], "-gray", "-r", str(policy.dpi), "-f", str(page), "-l", str(page),
                      "-singlefile", "/dev/stdin"]
            rc, image, err = _run_tool(render, body, lim, max_out=_MAX_PAGE_IMAGE + 1, cpu=render_cpu)
            if rc != 0 or not image:
                detail = (f"OCR time limit ({policy.timeout_s} s) reached rendering page {page}" if rc is None
                          else f"pdftoppm rc {rc} on page {page}: {err.strip()[-200:]}")
                break
            if "out of memory" in err.lower():   # pdftoppm then writes a 1x1 image and exits 0
                detail = f"pdftoppm on page {page}: out of memory at {policy.dpi} dpi ({policy.mem_mb} MB limit)"
                break
            if len(image) > _MAX_PAGE_IMAGE:
                detail = f"page {page} renders larger than {_MAX_PAGE_IMAGE} bytes at {policy.dpi} dpi"
                break
            left = deadline - time.monotonic()
            if left <= 0:
                detail = f"OCR time limit ({policy.timeout_s} s) reached before reading page {page}"
                break
            lim = _Limits(timeout_s=left, mem_mb=policy.mem_mb, max_chars=max_chars)
            res = _OCR_POOL.ask(argv, env, {"kind": "page", "dpi": policy.dpi}, image, lim, held=True)
            del image
            read_cpu += res.cpu_s
            if res.status not in ("ok", "no_text"):
                detail = (f"OCR time limit ({policy.timeout_s} s) reached reading page {page}"
                          if res.status == "timeout" and "longer than" in res.detail
                          else f"OCR worker: {res.status} on page {page} ({res.detail})")
                break
            texts.append(res.text or "")
    with _USAGE_LOCK:
        _OCR_USAGE["documents"] += 1
        _OCR_USAGE["pages"] += len(texts)
        _OCR_USAGE["render_cpu_s"] += sum(render_cpu)
        _OCR_USAGE["read_cpu_s"] += read_cpu
    text = normalise("\n".join(texts)).strip()[:max_chars]
    if layer.text and layer.text.strip():
        # a short text layer (a one-line PDF, or a scanner's stamp on a scan): OCR replaces it only
        # when it reads clearly more than the layer holds
        have = len(_WORD_CHAR.findall(layer.text, 0, 10_000))
        if len(_WORD_CHAR.findall(text, 0, 10_000)) < have + policy.min_layer_chars:
            return ExtractResult(layer.status, layer.text, layer.pages, detail or "OCR read no more than the text layer")
    return ExtractResult("ocr", text or None, layer.pages, detail or f"OCR of {len(texts)} page(s)")


def _pdf_pages(body: bytes, lim: _Limits) -> int | None:
    """Page count from pdfinfo (only asked for PDFs longer than max_pages)."""
    rc, out, _err = _run_tool([TOOLS["pdfinfo"], "/dev/stdin"], body, lim)
    m = re.search(r"^Pages:\s+(\d+)", out.decode("utf-8", "replace"), re.M) if rc == 0 else None
    return int(m.group(1)) if m else None


def _extract_pdf(body: bytes, lim: _Limits, *, max_pages: int) -> ExtractResult:
    # One page more than allowed: its page break tells a too-long PDF without asking pdfinfo.
    argv = [TOOLS["pdftotext"], "-enc", "UTF-8", "-f", "1", "-l", str(max_pages + 1), "/dev/stdin", "-"]
    started = time.monotonic()
    rc, out, err = _run_tool(argv, body, lim)
    if rc is None:
        return ExtractResult("timeout", detail=f"extraction took longer than {lim.timeout_s} s")
    encrypted = b"/Encrypt" in body
    raw = out.decode("utf-8", "replace")
    if rc != 0:
        status = _died_of(rc, err)
        if status == "malformed" and encrypted:
            status = "encrypted"
        if status == "too_large" and rc == -signal.SIGXFSZ and raw.strip():
            return ExtractResult("too_large", normalise(raw)[: lim.max_chars], None,
                                 f"more than {lim.fsize} bytes of text")
        return ExtractResult(status, detail=f"pdftotext rc {rc}: {err.strip()[-300:]}")
    breaks = raw.count("\f")
    pages: int | None = breaks or None
    too_many = breaks > max_pages
    if too_many:
        cut = -1
        for _ in range(max_pages):
            cut = raw.index("\f", cut + 1)
        raw = raw[: cut + 1]
        left = lim.timeout_s - (time.monotonic() - started)
        pages = _pdf_pages(body, _Limits(max(1.0, left), lim.mem_mb, lim.max_chars)) or breaks
    text = normalise(raw)[: lim.max_chars]
    if not text.strip():
        return ExtractResult("encrypted" if encrypted else "no_text", None, pages)
    if too_many:
        return ExtractResult("too_large", text, pages, f"{pages} pages; text of the first {max_pages} kept")
    return ExtractResult("ok", text, pages)


# --------------------------------------------------------------------------- DOCX / XLSX worker pool

class _Worker:
    """One ``crawler.extract_worker --serve`` process: JSON header line + body in, JSON line out."""

    def __init__(self, argv: list[str], env: dict):
        self.argv = argv
        self.jobs = 0
        self.owner = os.getpid()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd="/", env=env, start_new_session=True,
                                     shell=False, close_fds=True)

    def kill(self) -> None:
        if self.proc.poll() is None:
            _kill_group(self.proc)
        self.close_pipes()

    def close_pipes(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def ask(self, header: dict, body: bytes, lim: _Limits) -> dict | None:
        """The worker's answer; None when it died or overran (it is then killed); raises TimeoutError."""
        header = {**header, "size": len(body), "cpu_s": lim.cpu_s, "wall_s": lim.wall_s, "max_chars": lim.max_chars}
        deadline = time.monotonic() + lim.timeout_s
        fd = self.proc.stdout.fileno()
        try:
            self.proc.stdin.write(json.dumps(header).encode() + b"\n")
            self.proc.stdin.write(body)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            # died before reading (an OCR worker that could not load its model says why first)
            ready, _, _ = select.select([fd], [], [], 0)
            return self._read_line(fd, deadline) if ready else None
        self.jobs += 1
        return self._read_line(fd, deadline)

    @staticmethod
    def _read_line(fd: int, deadline: float) -> dict | None:
        chunks: list[bytes] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            chunks.append(chunk)
            if b"\n" in chunk:
                break
        line, _, rest = b"".join(chunks).partition(b"\n")
        if rest:   # never happens with a well-behaved worker: do not trust it further
            raise ValueError("worker wrote more than one answer")
        return json.loads(line.decode("utf-8"))


class _Pool:
    """Idle workers by command line; at most ``size`` busy at once (others wait).

    ``size`` is read at each use (tests and callers may change OFFICE_WORKERS / OCR_WORKERS before
    the first document)."""

    def __init__(self, size):
        self._size = size
        self._lock = threading.Lock()
        self._idle: dict[tuple, list[_Worker]] = {}
        self._busy = None

    def _slots(self) -> threading.BoundedSemaphore:
        with self._lock:
            if self._busy is None:
                self._busy = threading.BoundedSemaphore(max(1, int(self._size())))
            return self._busy

    def _take(self, argv: list[str], env: dict) -> _Worker:
        with self._lock:
            idle = self._idle.get(tuple(argv)) or []
            while idle:
                worker = idle.pop()
                if worker.owner == os.getpid() and worker.proc.poll() is None:
                    return worker
                worker.kill()
        return _Worker(argv, env)

    def _give_back(self, worker: _Worker) -> None:
        if worker.jobs >= WORKER_MAX_JOBS or worker.proc.poll() is not None:
            worker.kill()
            return
        with self._lock:
            self._idle.setdefault(tuple(worker.argv), []).append(worker)

    def slot(self) -> threading.BoundedSemaphore:
        """Hold one of the ``size`` busy places (a context manager) across several ``ask(held=True)``."""
        return self._slots()

    def ask(self, argv: list[str], env: dict, header: dict, body: bytes, lim: _Limits, *,
            held: bool = False) -> ExtractResult:
        """One job on an idle (or new) worker of this command line; every failure is a status.

        A worker that overran, died or answered garbage is killed with its process group (a new
        one serves the next job). Raises OcrUnavailable when an OCR worker cannot load its model."""
        if held:
            return self._ask(argv, env, header, body, lim)
        with self._slots():
            return self._ask(argv, env, header, body, lim)

    def _ask(self, argv: list[str], env: dict, header: dict, body: bytes, lim: _Limits) -> ExtractResult:
        worker = self._take(argv, env)
        try:
            answer = worker.ask(header, body, lim)
        except TimeoutError:
            worker.kill()
            return ExtractResult("timeout", detail=f"extraction took longer than {lim.timeout_s:.1f} s")
        except (ValueError, UnicodeDecodeError) as exc:
            worker.kill()
            return ExtractResult("malformed", detail=f"worker output unreadable: {exc}")
        except BaseException:
            worker.kill()
            raise
        if answer is None:   # the worker died on this document
            worker.kill()
            rc = worker.proc.returncode
            if rc in (-signal.SIGXCPU, -signal.SIGKILL):
                return ExtractResult("timeout", detail=f"worker killed (rc {rc})")
            status = "too_large" if rc == -signal.SIGABRT else "malformed"
            return ExtractResult(status, detail=f"worker rc {rc}")
        if not isinstance(answer, dict):
            worker.kill()
            return ExtractResult("malformed", detail="worker output unreadable: not an object")
        if answer.get("status") == "unavailable":
            worker.kill()
            raise OcrUnavailable(str(answer.get("detail") or "the OCR worker could not start"))
        if answer.pop("recycle", False):
            worker.kill()
        else:
            self._give_back(worker)
        status = answer.get("status") if answer.get("status") in STATUSES else "malformed"
        res = ExtractResult(status, answer.get("text"), answer.get("pages"), answer.get("detail") or "")
        cpu = answer.get("cpu_s")
        res.cpu_s = float(cpu) if isinstance(cpu, (int, float)) else 0.0
        return res

    def shutdown(self) -> None:
        with self._lock:
            workers = [w for ws in self._idle.values() for w in ws]
            self._idle.clear()
        for worker in workers:
            if worker.owner == os.getpid():
                worker.kill()
            else:
                worker.close_pipes()

    def forget(self) -> None:
        """In a forked child: drop the parent's workers without touching them (their pipes only)."""
        self._lock = threading.Lock()
        self._busy = None
        for ws in self._idle.values():
            for worker in ws:
                worker.close_pipes()
        self._idle = {}


def _office_argv(mem_mb: int) -> tuple[list[str], dict]:
    argv = [sys.executable, "-m", "crawler.extract_worker", "--serve", "--mem-mb", str(mem_mb)]
    return argv, dict(_ENV, PYTHONPATH=str(REPO_ROOT), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")


def _run_office(kind: str, body: bytes, lim: _Limits) -> ExtractResult:
    argv, env = _office_argv(lim.mem_mb)
    return _POOL.ask(argv, env, {"kind": kind}, body, lim)


_POOL = _Pool(lambda: OFFICE_WORKERS)
_OCR_POOL = _Pool(lambda: OCR_WORKERS)


def shutdown_workers() -> None:
    """Stop the idle DOCX/XLSX and OCR workers (also done at exit; they stop by themselves if the process dies)."""
    _POOL.shutdown()
    _OCR_POOL.shutdown()


def _forget_workers() -> None:
    _POOL.forget()
    _OCR_POOL.forget()


atexit.register(shutdown_workers)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


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
