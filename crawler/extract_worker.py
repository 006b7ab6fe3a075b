"""Subprocess side of document text extraction (see crawler/extract.py).

Run as ``python -m crawler.extract_worker --kind pdf --mem-mb 512 --cpu-s 21 ... FILE``.
It first lowers its own limits (address space, CPU time, file size, no core dumps), so
everything it starts (pdfinfo, pdftotext) inherits them, then prints one JSON object
``{"status", "text", "pages", "detail"}`` on stdout. The parent enforces the wall-clock
timeout by killing the whole process group. No shell is ever involved: tools get argv
lists, and the file name is one the parent generated.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import unicodedata
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ZIP_RATIO_MAX = 200          # uncompressed/compressed; above this a member is a bomb
_PAGES_RE = re.compile(r"^Pages:\s+(\d+)", re.M)
_ENCRYPTED_RE = re.compile(r"^Encrypted:\s+yes", re.M)


def _limit(mem_mb: int, cpu_s: int, fsize_mb: int) -> None:
    mem = mem_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    fsize = fsize_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def normalise(text: str) -> str:
    """Minimal normalisation: NFC, page breaks as newlines, no NULs. The checks do the rest."""
    text = unicodedata.normalize("NFC", text)
    return text.replace("\x00", "").replace("\f", "\n")


def _result(status: str, text: str | None = None, pages: int | None = None, detail: str = "") -> dict:
    return {"status": status, "text": text, "pages": pages, "detail": detail[:500]}


def _died_of(rc: int, stderr: str) -> str:
    """Status for a tool that failed: killed by a limit, out of memory, or a bad file."""
    if rc in (-signal.SIGXCPU, -signal.SIGKILL):
        return "timeout"
    low = stderr.lower()
    if "bad_alloc" in low or "memoryerror" in low or "out of memory" in low or "cannot allocate" in low or rc == -signal.SIGABRT:
        return "too_large"
    if "password" in low or "encrypt" in low:
        return "encrypted"
    return "malformed"


def _run(argv: list[str], max_out: int) -> tuple[int, bytes, str]:
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, shell=False, check=False)
    return proc.returncode, proc.stdout[:max_out], proc.stderr.decode("utf-8", "replace")[-2000:]


def extract_pdf(path: str, args) -> dict:
    rc, out, err = _run([args.pdfinfo, path], 1 << 20)
    info = out.decode("utf-8", "replace")
    if rc != 0:
        return _result(_died_of(rc, err), detail=err.strip())
    m = _PAGES_RE.search(info)
    pages = int(m.group(1)) if m else None
    encrypted = bool(_ENCRYPTED_RE.search(info))
    last = min(pages or args.max_pages, args.max_pages)
    rc, out, err = _run([args.pdftotext, "-enc", "UTF-8", "-q", "-f", "1", "-l", str(last), path, "-"],
                        args.max_chars * 4)
    if rc != 0:
        status = _died_of(rc, err)
        if encrypted and status == "malformed":
            status = "encrypted"
        return _result(status, pages=pages, detail=err.strip())
    text = normalise(out.decode("utf-8", "replace"))[: args.max_chars]
    if not text.strip():
        return _result("encrypted" if encrypted else "no_text", pages=pages)
    if pages is not None and pages > args.max_pages:
        return _result("too_large", text, pages, f"{pages} pages; text of the first {args.max_pages} kept")
    return _result("ok", text, pages)


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


def extract_docx(path: str, args) -> dict:
    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        bomb = _check_zip(zf, args.max_unzipped)
        if bomb:
            return _result("too_large", detail=bomb)
        names = [n for n in zf.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
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
    text = normalise("\n".join(parts))[: args.max_chars]
    return _result("ok" if text.strip() else "no_text", text or None)


def extract_xlsx(path: str, args) -> dict:
    import openpyxl

    with zipfile.ZipFile(path) as zf:
        bomb = _check_zip(zf, args.max_unzipped)
        if bomb:
            return _result("too_large", detail=bomb)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
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
                if cells > args.max_cells:
                    text = normalise("\n".join(lines))[: args.max_chars]
                    return _result("too_large", text, len(wb.worksheets), f"more than {args.max_cells} cells")
    finally:
        wb.close()
    text = normalise("\n".join(lines))[: args.max_chars]
    return _result("ok" if text.strip() else "no_text", text or None, len(wb.worksheets))


def _cleanup(path: str) -> None:
    """Remove the private temporary directory the parent made for this document."""
    import shutil

    folder = os.path.dirname(os.path.abspath(path))
    if os.path.basename(folder).startswith("oit-extract-"):
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="crawler.extract_worker")
    p.add_argument("--kind", required=True, choices=["pdf", "docx", "xlsx"])
    p.add_argument("--mem-mb", type=int, default=512)
    p.add_argument("--cpu-s", type=int, default=21)
    p.add_argument("--max-pages", type=int, default=500)
    p.add_argument("--max-chars", type=int, default=2_000_000)
    p.add_argument("--max-cells", type=int, default=500_000)
    p.add_argument("--max-unzipped", type=int, default=200_000_000)
    p.add_argument("--pdfinfo", default="pdfinfo")
    p.add_argument("--pdftotext", default="pdftotext")
    p.add_argument("path")
    p.add_argument("--wall-s", type=int, default=0, help="kill the whole process group after this many seconds")
    args = p.parse_args(argv)
    parent = os.getppid()
    _limit(args.mem_mb, args.cpu_s, fsize_mb=max(64, args.max_chars * 4 // (1 << 20) + 1))
    if args.wall_s > 0:
        # Self-destruct even if the parent died (kill -9 of the crawler): the worker leads its own
        # process group, so this takes pdftotext with it, and the temporary directory is removed.
        def _expire(_signum, _frame):
            _cleanup(args.path)
            os.killpg(os.getpgrp(), signal.SIGKILL)

        signal.signal(signal.SIGALRM, _expire)
        signal.alarm(args.wall_s)
    try:
        if args.kind == "pdf":
            result = extract_pdf(args.path, args)
        elif args.kind == "docx":
            result = extract_docx(args.path, args)
        else:
            result = extract_xlsx(args.path, args)
    except MemoryError:
        result = _result("too_large", detail="memory limit reached")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        result = _result("malformed", detail=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - any parser crash on hostile input is a bad file
        name = type(exc).__name__
        status = "encrypted" if "encrypt" in str(exc).lower() else "malformed"
        result = _result(status, detail=f"{name}: {exc}")
    try:
        sys.stdout.write(json.dumps(result, ensure_ascii=False))
        sys.stdout.flush()
    except BrokenPipeError:
        _cleanup(args.path)  # the caller is gone (killed): nobody else will remove the file
        os._exit(0)
    if os.getppid() != parent:
        _cleanup(args.path)  # re-parented: the caller died while we worked
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
