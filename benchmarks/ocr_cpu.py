"""CPU and text quality of OCR per scanned document: the OCR worker against the old per-page CLI.

Both read the same simulated scans (oitsim.docs.pdf_scanned: a Thai title with a fiscal year, an
LAO name, an announcement date; several seeds of scanner noise and tilt) with the settings of
config/crawl.yaml ``ocr:`` (dpi, languages, psm; one page per scan). Measured in the same run:

* before - the pipeline of crawler/extract.py until the OCR worker: per page ``pdftocairo -png``
  then the ``tesseract`` CLI (which loads the model for every page), both under the same limits
  (``_run_tool``). Needs the tesseract CLI (Debian tesseract-ocr); skipped without it.
* after  - ``extract_document(..., ocr=OcrBudget(...))``: ``pdftoppm`` (grey PGM) and a long-lived
  OCR worker (tesserocr, model loaded once).

CPU is that of the child processes (renderer, tesseract or the worker, and pdftotext, which both
run first), from ``getrusage(RUSAGE_CHILDREN)`` after every worker was stopped, so the worker's
start (model load) is counted too; ``after`` also shows the split ``ocr_usage()`` reports. Text
quality: the scans whose fiscal year is read exactly (and no other year), whose title is read
exactly (compared after checks.thai.squash), and the mean similarity to the true text.

    python -m benchmarks.ocr_cpu [--docs 24]
"""
from __future__ import annotations

import argparse
import difflib
import random
import resource
import shutil
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TITLES = ["รายงานผลการดำเนินงานประจำปี ประจำปีงบประมาณ พ.ศ. {y}", "แผนการใช้จ่ายงบประมาณประจำปี พ.ศ. {y}",
          "รายงานการกำกับติดตามการใช้จ่ายงบประมาณ ประจำปีงบประมาณ {y}",
          "แผนปฏิบัติการป้องกันการทุจริต ประจำปี พ.ศ. {y}",
          "ประกาศ เรื่อง แผนการจัดซื้อจัดจ้าง ประจำปีงบประมาณ พ.ศ. {y}", "รายงานผลการจัดซื้อจัดจ้าง ประจำปีงบประมาณ {y}"]
LINES = ["องค์การบริหารส่วนตำบลนาสวน อำเภอเมือง จังหวัดมุกดาหาร", "ประกาศ ณ วันที่ {d} ตุลาคม {y}",
         "ตามที่ได้มีการจัดทำแผนการดำเนินงาน เพื่อให้เป็นไปตามระเบียบกระทรวงมหาดไทย"]
YEARS = (2563, 2564, 2565, 2566)


def scans(n: int) -> list[tuple[bytes, int, str, str]]:
    """(pdf, fiscal year, title, all true text) for n simulated scans."""
    from oitsim.docs import pdf_scanned

    rnd = random.Random(7)
    out = []
    for i in range(n):
        year = rnd.choice(YEARS)
        title = rnd.choice(TITLES).format(y=year)
        lines = [line.format(y=year, d=rnd.randint(1, 28)) for line in LINES]
        out.append((pdf_scanned(title, lines, seed=i), year, title, title + "".join(lines)))
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def old_ocr(body: bytes, policy) -> str:
    """The per-page CLI pipeline this worker replaced (pdftocairo PNG, then tesseract stdin stdout)."""
    from crawler import extract

    lim = extract._Limits(timeout_s=policy.timeout_s, mem_mb=policy.mem_mb, max_chars=extract._MAX_PAGE_IMAGE // 4)
    texts = []
    for page in range(1, policy.pages + 1):
        rc, image, _ = extract._run_tool(["pdftocairo", "-png", "-gray", "-r", str(policy.dpi), "-f", str(page),
                                          "-l", str(page), "-singlefile", "/dev/stdin", "-"], body, lim,
                                         max_out=extract._MAX_PAGE_IMAGE)
        if rc != 0 or not image:
            break
        rc, out, _ = extract._run_tool(["tesseract", "stdin", "stdout", "-l", policy.languages, "--psm",
                                        str(policy.psm)], image, lim, env={**extract._ENV, "OMP_THREAD_LIMIT": "1"})
        if rc != 0:
            break
        texts.append(out.decode("utf-8", "replace"))
    return extract.normalise("\n".join(texts)).strip()


def quality(results: list[str], docs) -> tuple[int, int, float]:
    from checks.thai import squash

    year = title = 0
    similar = 0.0
    for text, (_pdf, fy, ttl, truth) in zip(results, docs):
        year += str(fy) in text and not any(str(y) in text for y in YEARS if y != fy)
        title += squash(ttl) in squash(text)
        similar += difflib.SequenceMatcher(None, squash(truth), squash(text)).ratio()
    return year, title, similar / max(1, len(docs))


def _worker_peak_rss_mb() -> float:
    from crawler import extract

    peak = 0.0
    for workers in extract._OCR_POOL._idle.values():
        for worker in workers:
            try:
                status = Path(f"/proc/{worker.proc.pid}/status").read_text()
            except OSError:
                continue
            kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0)
            peak = max(peak, kb / 1024)
    return peak


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=24, help="simulated scans read by each pipeline (default 24)")
    args = p.parse_args(argv)

    from dataclasses import replace

    from crawler.extract import OcrBudget, extract_document, ocr_policy, ocr_usage, shutdown_workers

    policy = replace(ocr_policy(), pages=1, max_per_site=args.docs + 1, timeout_s=120.0)
    docs = scans(args.docs)
    print(f"{len(docs)} simulated one-page scans, {policy.dpi} dpi, -l {policy.languages} --psm {policy.psm}, "
          f"OMP_THREAD_LIMIT=1; CPU = all child processes per document (pdftotext included)", flush=True)
    rows = []
    if shutil.which("tesseract") and shutil.which("pdftocairo"):
        shutdown_workers()
        c0, t0 = _children_cpu(), time.perf_counter()
        texts = []
        for body, *_ in docs:
            extract_document(body, "pdf")            # pdftotext: the text layer check both pipelines do
            texts.append(old_ocr(body, policy))
        rows.append(("before: pdftocairo + tesseract CLI per page", (_children_cpu() - c0) / len(docs),
                     time.perf_counter() - t0, texts, None))
    else:
        print("before: skipped (no tesseract CLI or pdftocairo: apt-get install tesseract-ocr poppler-utils)")
    shutdown_workers()
    u0, c0, t0 = ocr_usage(), _children_cpu(), time.perf_counter()
    budget = OcrBudget(policy)
    texts = [extract_document(body, "pdf", ocr=budget).text or "" for body, *_ in docs]
    rss = _worker_peak_rss_mb()
    shutdown_workers()
    u1 = ocr_usage()
    split = {k: u1[k] - u0[k] for k in u0}
    rows.append(("after:  pdftoppm + OCR worker (tesserocr)", (_children_cpu() - c0) / len(docs),
                 time.perf_counter() - t0, texts, split))
    for label, cpu, wall, texts, split in rows:
        year, title, similar = quality(texts, docs)
        print(f"{label}: CPU {cpu:.3f} s/document (wall {wall:.1f} s for all); fiscal year read exactly "
              f"{year}/{len(docs)}, title exactly {title}/{len(docs)}, similarity to the true text {similar:.4f}")
        if split:
            n = max(1, split["documents"])
            print(f"        split per document: render {split['render_cpu_s'] / n:.3f} s, read (worker) "
                  f"{split['read_cpu_s'] / n:.3f} s, the rest (pdftotext, worker start) "
                  f"{cpu - (split['render_cpu_s'] + split['read_cpu_s']) / n:.3f} s; {split['pages']} pages; "
                  f"OCR worker peak RSS {rss:.0f} MB")
    if len(rows) == 2:
        print(f"CPU ratio after/before: {rows[1][1] / rows[0][1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
