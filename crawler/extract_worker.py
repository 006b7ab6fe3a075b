"""Worker side of DOCX/XLSX text extraction (see crawler/extract.py).

``python -m crawler.extract_worker --serve --mem-mb 512`` is a long-lived worker that the crawler
keeps in a small pool. At start it lowers its own limits (address space, file size, no core
dumps) and imports its parsers once. Then, per document, it reads one JSON header line
``{"kind", "size", "cpu_s", "wall_s", "max_chars"}`` and ``size`` bytes of body from stdin, sets
its CPU limit to what it has used so far plus ``cpu_s`` and an alarm of ``wall_s`` seconds
(after which it kills its whole process group: it leads its own session), and answers with one
JSON line ``{"status", "text", "pages", "detail"[, "recycle"]}`` on stdout. The caller enforces
the wall-clock ``timeout_s`` by killing the worker's process group and starting another one.
EOF on stdin (the caller ended or was killed) ends the worker. No file and no shell is involved:
the bytes are parsed from memory.

``python -m crawler.extract_worker --kind docx FILE`` extracts one local file (for debugging).
PDFs do not come here: the caller runs pdftotext directly (fewer processes per document).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import signal
import sys
import unicodedata
import zipfile

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ZIP_RATIO_MAX = 200          # uncompressed/compressed; above this a member is a bomb
_DOCX_PART = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
MAX_UNZIPPED = 200_000_000
MAX_CELLS = 500_000


def normalise(text: str) -> str:
    """Minimal normalisation: NFC, page breaks as newlines, no NULs. The checks do the rest."""
    text = unicodedata.normalize("NFC", text)
    return text.replace("\x00", "").replace("\f", "\n")


def _result(status: str, text: str | None = None, pages: int | None = None, detail: str = "") -> dict:
    return {"status": status, "text": text, "pages": pages, "detail": detail[:500]}


def _limit(mem_mb: int, fsize_mb: int) -> None:
    mem = mem_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    fsize = fsize_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _cpu_limit(cpu_s: int) -> None:
    """This document may use ``cpu_s`` more CPU seconds (RLIMIT_CPU counts the process's whole life)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + max(1, cpu_s) + 1
    _cur_soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _check_zip(zf: zipfile.ZipFile, max_unzipped: int) -> str | None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > _ZIP_RATIO_MAX and info.file_size > 1 << 20:
            return f"member {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}x"
        if total > max_unzipped:
            return f"more than {max_unzipped} bytes once unzipped"
    return None


def _xml_parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def extract_docx(source, max_chars: int, max_unzipped: int = MAX_UNZIPPED) -> dict:
    from lxml import etree

    with zipfile.ZipFile(source) as zf:
        bomb = _check_zip(zf, max_unzipped)
        if bomb:
            return _result("too_large", detail=bomb)
        names = [n for n in zf.namelist() if _DOCX_PART.fullmatch(n)]
        if "word/document.xml" not in names:
            return _result("malformed", detail="no word/document.xml")
        names.sort(key=lambda n: n != "word/document.xml")
        parts: list[str] = []
        for name in names:
            root = etree.fromstring(zf.read(name), _xml_parser())
            for para in root.iter(f"{W_NS}p"):
                line = "".join((el.text or "") if el.tag == f"{W_NS}t" else " "
                               for el in para.iter(f"{W_NS}t", f"{W_NS}tab", f"{W_NS}br"))
                if line.strip():
                    parts.append(line)
    text = normalise("\n".join(parts))[:max_chars]
    return _result("ok" if text.strip() else "no_text", text or None)


def extract_xlsx(source, max_chars: int, max_unzipped: int = MAX_UNZIPPED, max_cells: int = MAX_CELLS) -> dict:
    import openpyxl

    with zipfile.ZipFile(source) as zf:
        bomb = _check_zip(zf, max_unzipped)
        if bomb:
            return _result("too_large", detail=bomb)
    if hasattr(source, "seek"):
        source.seek(0)
    wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    lines: list[str] = []
    cells = 0
    try:
        for ws in wb.worksheets:
            lines.append(str(ws.title))
            for row in ws.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None and str(v).strip()]
                cells += len(row)
                if values:
                    lines.append(" | ".join(values))
                if cells > max_cells:
                    text = normalise("\n".join(lines))[:max_chars]
                    return _result("too_large", text, len(wb.worksheets), f"more than {max_cells} cells")
    finally:
        wb.close()
    text = normalise("\n".join(lines))[:max_chars]
    return _result("ok" if text.strip() else "no_text", text or None, len(wb.worksheets))


def extract(kind: str, source, max_chars: int) -> dict:
    """One document, every failure turned into a status (``recycle`` asks for a fresh worker)."""
    try:
        if kind == "docx":
            return extract_docx(source, max_chars)
        if kind == "xlsx":
            return extract_xlsx(source, max_chars)
        return _result("unsupported", detail=f"kind {kind}")
    except MemoryError:
        return dict(_result("too_large", detail="memory limit reached"), recycle=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        return _result("malformed", detail=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - any parser crash on hostile input is a bad file
        status = "encrypted" if "encrypt" in str(exc).lower() else "malformed"
        return _result(status, detail=f"{type(exc).__name__}: {exc}")


def _read_exactly(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def serve(mem_mb: int) -> int:
    import warnings

    warnings.simplefilter("ignore")   # openpyxl warns about odd workbooks; nobody reads stderr
    _limit(mem_mb, fsize_mb=64)
    import lxml.etree  # noqa: F401 - parsers imported once, not per document
    import openpyxl  # noqa: F401

    def _expire(_signum, _frame):
        # The document overran its wall clock and nobody killed us (the caller may be dead).
        os.killpg(os.getpgrp(), signal.SIGKILL)

    signal.signal(signal.SIGALRM, _expire)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = stdin.readline(4096)
        if not line:
            return 0          # the caller closed the pipe or died
        try:
            header = json.loads(line)
            size = int(header["size"])
        except (ValueError, KeyError, TypeError):
            return 2
        body = _read_exactly(stdin, size)
        if body is None:
            return 0
        _cpu_limit(int(header.get("cpu_s", 21)))
        signal.alarm(max(1, int(header.get("wall_s", 25))))
        result = extract(str(header.get("kind")), io.BytesIO(body), int(header.get("max_chars", 2_000_000)))
        del body
        try:
            stdout.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
            stdout.flush()
        except (BrokenPipeError, OSError):
            return 0
        finally:
            signal.alarm(0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="crawler.extract_worker")
    p.add_argument("--serve", action="store_true", help="answer documents from stdin until EOF")
    p.add_argument("--mem-mb", type=int, default=512)
    p.add_argument("--kind", choices=["docx", "xlsx"])
    p.add_argument("--max-chars", type=int, default=2_000_000)
    p.add_argument("path", nargs="?")
    args = p.parse_args(argv)
    if args.serve:
        return serve(args.mem_mb)
    if not args.kind or not args.path:
        p.error("--kind and a file are needed without --serve")
    _limit(args.mem_mb, fsize_mb=64)
    with open(args.path, "rb") as fh:
        result = extract(args.kind, io.BytesIO(fh.read()), args.max_chars)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
