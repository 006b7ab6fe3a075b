"""Worker side of DOCX/XLSX text extraction and of OCR (see crawler/extract.py).

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

``python -m crawler.extract_worker --serve --ocr tha+eng --psm 6 --tessdata DIR --mem-mb 512`` is
an OCR worker: it loads the tesseract model once, through the ``tesserocr`` binding, with
``OMP_THREAD_LIMIT=1`` (one thread), and then reads page images of kind ``page``: a binary PGM
(``P5``, 8-bit grey, what ``pdftoppm -gray`` writes; header field ``dpi``), never a file. Its
answer also carries ``cpu_s``, the CPU seconds the page took. When the model cannot be loaded it
writes ``{"status": "unavailable", "detail"}`` and exits (status 3) before reading anything.

``python -m crawler.extract_worker --kind docx FILE`` extracts one local file (for debugging).
PDFs do not come here: the caller runs pdftotext and the page renderer directly (a PDF parser
crash then kills a short-lived tool, not the worker).
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


_PGM_HEADER = re.compile(rb"P5\s+(\d{1,6})\s+(\d{1,6})\s+255\s")
#: Largest page image read (pixels); a 150 dpi A4 page is ~2.2 M, A0 ~35 M.
MAX_PIXELS = 48_000_000


def parse_pgm(data: bytes) -> tuple[int, int, memoryview] | str:
    """(width, height, pixels) of a binary 8-bit PGM, or why it is not one (a garbage image)."""
    m = _PGM_HEADER.match(data[:64])
    if not m:
        return "not an 8-bit binary PGM image"
    width, height = int(m.group(1)), int(m.group(2))
    if not width or not height or width * height > MAX_PIXELS:
        return f"image of {width}x{height} pixels"
    if len(data) - m.end() < width * height:
        return f"image cut short: {len(data) - m.end()} of {width * height} pixel bytes"
    return width, height, memoryview(data)[m.end(): m.end() + width * height]


class PageReader:
    """The tesseract model of ``languages``, loaded once, reading one page image per ``read``."""

    def __init__(self, languages: str, psm: int, tessdata: str):
        import tesserocr

        self.api = tesserocr.PyTessBaseAPI(path=tessdata.rstrip("/") + "/", lang=languages,
                                           psm=int(psm))

    def read(self, data: bytes, dpi: int, max_chars: int) -> dict:
        image = parse_pgm(data)
        if isinstance(image, str):
            return _result("malformed", detail=image)
        width, height, pixels = image
        try:
            self.api.SetImageBytes(bytes(pixels), width, height, 1, width)
            self.api.SetSourceResolution(max(1, dpi))
            text = self.api.GetUTF8Text() or ""
        except MemoryError:
            return dict(_result("too_large", detail="memory limit reached reading the page"), recycle=True)
        except RuntimeError as exc:   # tesserocr: the image or recognition failed
            return _result("malformed", detail=f"tesseract: {exc}")
        finally:
            self.api.Clear()
            self.api.ClearAdaptiveClassifier()   # one page never teaches the next one (order-independent)
        text = normalise(text)[:max_chars]
        return _result("ok" if text.strip() else "no_text", text or None, 1)


def _read_exactly(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve(mem_mb: int, ocr: tuple[str, int, str] | None = None) -> int:
    """Answer documents (or, with ``ocr`` = (languages, psm, tessdata), page images) until EOF."""
    import warnings

    warnings.simplefilter("ignore")   # openpyxl warns about odd workbooks; nobody reads stderr
    _limit(mem_mb, fsize_mb=64)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    reader = None
    if ocr is not None:
        os.environ["OMP_THREAD_LIMIT"] = "1"   # before the library starts OpenMP (the caller sets it too)
        try:
            reader = PageReader(*ocr)
        except Exception as exc:  # noqa: BLE001 - a missing binding or model: say what, then stop
            detail = f"cannot load the OCR model {ocr[0]} from {ocr[2]}: {type(exc).__name__}: {exc}"
            stdout.write(json.dumps(_result("unavailable", detail=detail)).encode() + b"\n")
            stdout.flush()
            return 3
    else:
        import lxml.etree  # noqa: F401 - parsers imported once, not per document
        import openpyxl  # noqa: F401

    def _expire(_signum, _frame):
        # The document overran its wall clock and nobody killed us (the caller may be dead).
        os.killpg(os.getpgrp(), signal.SIGKILL)

    signal.signal(signal.SIGALRM, _expire)
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
        started = _cpu_used()
        kind, max_chars = str(header.get("kind")), int(header.get("max_chars", 2_000_000))
        if reader is not None:
            result = (reader.read(body, int(header.get("dpi", 150)), max_chars) if kind == "page"
                      else _result("unsupported", detail=f"kind {kind} in an OCR worker"))
        else:
            result = extract(kind, io.BytesIO(body), max_chars)
        result["cpu_s"] = round(_cpu_used() - started, 4)
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
    p.add_argument("--ocr", metavar="LANGS", help="with --serve: an OCR worker for these tesseract languages")
    p.add_argument("--psm", type=int, default=6, help="tesseract page segmentation mode (with --ocr)")
    p.add_argument("--tessdata", help="directory of the LANG.traineddata files (with --ocr)")
    p.add_argument("--kind", choices=["docx", "xlsx"])
    p.add_argument("--max-chars", type=int, default=2_000_000)
    p.add_argument("path", nargs="?")
    args = p.parse_args(argv)
    if args.serve:
        if args.ocr and not args.tessdata:
            p.error("--ocr needs --tessdata")
        return serve(args.mem_mb, (args.ocr, args.psm, args.tessdata) if args.ocr else None)
    if not args.kind or not args.path:
        p.error("--kind and a file are needed without --serve")
    _limit(args.mem_mb, fsize_mb=64)
    with open(args.path, "rb") as fh:
        result = extract(args.kind, io.BytesIO(fh.read()), args.max_chars)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
