"""Report build time at national size: 7,850 LAOs x 43 items (synthetic results on geothai subdistricts).

Prints the time of each phase and the total against a baseline measured in the same run: the
time to write the tidy results table once as CSV. Target: the whole report (HTML site, Excel,
CSV/JSON) in <= 60 s. Officer PDFs are SAMPLED (--pdf-sample N, default 20): at ~0.25 s per PDF
the national set (one per tambon without officers: ~7,400) is a separate batch job.

    .venv/bin/python benchmarks/report_speed.py [--laos 7850] [--pdf-sample 20] [--out DIR]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.render import ReportData, build_from_data  # noqa: E402
from reports.synthetic import national_laos, run_dates, synthetic_run  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--laos", type=int, default=7850)
    ap.add_argument("--pdf-sample", type=int, default=20, help="officer PDFs to render (0 = none)")
    ap.add_argument("--out", default=None, help="report directory (default: a temporary one)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    laos = national_laos(args.laos)
    coverage = [{"tambon_code": l.tambon_code, "lao_id": l.lao_id, "coverage": "completely"} for l in laos]
    r1, s1 = synthetic_run(laos, 1, as_of=date(2022, 3, 30), seed=1)
    r2, s2 = synthetic_run(laos, 2, as_of=date(2022, 4, 28), seed=2, quality_shift=0.05)
    t_synth = time.perf_counter() - t0
    print(f"synthetic input: {len(laos)} LAOs, {len(r2):,} result rows x 2 runs, {t_synth:.1f} s")

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="oit-report-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    r2.to_csv(out / "baseline-results.csv", index=False)
    baseline = time.perf_counter() - t0
    print(f"baseline: write the tidy results CSV once: {baseline:.2f} s")

    data = ReportData(run_id=2, year=2565, as_of="2022-04-28", results=r2, sites=s2, laos=laos, coverage=coverage,
                      officers=[], run_dates=run_dates((1, date(2022, 3, 30)), (2, date(2022, 4, 28))),
                      history={1: (r1, s1)}, previous_run=1)
    timings: dict = {}
    t0 = time.perf_counter()
    index = build_from_data(data, out, "th", pdf=args.pdf_sample > 0, pdf_limit=args.pdf_sample, timings=timings)
    total = time.perf_counter() - t0
    pdf_time = timings.get("pdf", 0.0)
    for k, v in timings.items():
        print(f"  {k:12s} {v:8.2f}" + ("" if k == "pdf_count" else " s"))
    pages = sum(1 for _ in out.rglob("*.html"))
    print(f"pages written: {pages:,}")
    print(f"report without PDFs: {total - pdf_time:.1f} s = {(total - pdf_time) / baseline:.0f} x baseline "
          f"(target <= 60 s)")
    if args.pdf_sample:
        n = int(timings.get("pdf_count", 0))
        print(f"PDFs (sampled): {n} in {pdf_time:.1f} s, {pdf_time / max(n, 1):.2f} s each (incl. browser start)")
    print(f"index: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
