"""`oit report`: build the reports (HTML site, officer PDFs, Excel, CSV, JSON) for a stored run.

    oit report --run latest --out DIR [--lang th|en] [--data-dir DIR] [--no-pdf] [--no-excel]

Prints the path of the index page.
"""
from __future__ import annotations

from pathlib import Path

from oitwatch.errors import InputError
from oitwatch.paths import DEFAULT_COVERAGE, DEFAULT_LAOS, DEFAULT_OFFICERS, data_dir


def add_arguments(parser):
    parser.add_argument("--run", default="latest", help="run id, or 'latest' (the latest run with results)")
    parser.add_argument("--out", default=None, help="report directory (default: <data-dir>/runs/<run>/report)")
    parser.add_argument("--lang", default="th", choices=["th", "en"], help="label language (default th)")
    parser.add_argument("--data-dir", default=None, help="where the results store lives (default $OIT_DATA_DIR or ./data)")
    parser.add_argument("--year", type=int, default=None, help="ITA year to report when a run holds several")
    parser.add_argument("--laos", default=str(DEFAULT_LAOS), help="LAO registry CSV")
    parser.add_argument("--coverage", default=str(DEFAULT_COVERAGE), help="tambon coverage CSV")
    parser.add_argument("--officers", default=str(DEFAULT_OFFICERS), help="officer assignments CSV")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDFs (no Chromium needed)")
    parser.add_argument("--no-excel", action="store_true", help="skip the Excel workbooks")


def resolve_run(store, run: str) -> int:
    """'latest' -> the latest run with check results; else the given id, which must have results."""
    runs_with_results = store.db.execute("SELECT DISTINCT run_id FROM results ORDER BY run_id").fetchall()
    ids = [r[0] for r in runs_with_results]
    if run == "latest":
        if not ids:
            raise InputError("--run latest: the store holds no run with check results yet")
        return ids[-1]
    try:
        rid = int(run)
    except ValueError:
        raise InputError(f"--run: expected a run id or 'latest', not {run!r}") from None
    if rid not in ids:
        raise InputError(f"--run {rid}: no check results stored for that run (runs with results: "
                         f"{', '.join(map(str, ids[-10:])) or 'none'})")
    return rid


def run(args) -> int:
    from oitwatch.store import Store
    from reports.render import build_report

    root = Path(args.data_dir) if args.data_dir else data_dir()
    store = Store(root)
    try:
        run_id = resolve_run(store, str(args.run))
        out = Path(args.out) if args.out else store.path.parent / "runs" / str(run_id) / "report"
        index = build_report(store, run_id, out, args.lang, laos_path=args.laos, coverage_path=args.coverage,
                             officers_path=args.officers, pdf=not args.no_pdf, excel=not args.no_excel,
                             year=args.year)
    finally:
        store.close()
    print(index)
    return 0
