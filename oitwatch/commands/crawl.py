"""`oit crawl`: crawl every LAO of a registry in one broad crawl; store evidence and results.

Each site is checked as soon as its crawl ends, so results land site by site. `--resume`
continues the latest interrupted crawl: finished sites are skipped, a half-crawled site is
crawled again from a clean slate.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from oitwatch.errors import InputError
from oitwatch.paths import DEFAULT_LAOS, data_dir

RESUMABLE_KINDS = ("crawl", "nightly")


def add_arguments(parser, *, kind: str = "crawl"):
    parser.add_argument("--registry", default=None, help=f"LAO registry CSV (default: {DEFAULT_LAOS})")
    parser.add_argument("--run-name", default=None, help="a label for this run")
    parser.add_argument("--resume", action="store_true", help="continue the latest interrupted crawl run")
    parser.add_argument("--proxy", default=None, help="forward proxy URL for every request (the simulated web)")
    parser.add_argument("--allow-private", action="store_true",
                        help="allow loopback/private targets (local testing only)")
    parser.add_argument("--max-pages", type=int, default=None, help="page budget per site (default 150)")
    parser.add_argument("--max-depth", type=int, default=None, help="link depth budget per site (default 4)")
    parser.add_argument("--max-docs", type=int, default=None, help="documents fetched per site (default 60)")
    parser.add_argument("--year", type=int, default=None, help="ITA year (BE); default: latest complete catalog")
    parser.add_argument("--as-of", default=None, help="judge year rules as of this date (YYYY-MM-DD); default today")
    parser.add_argument("--data-dir", default=None, help="where the results store lives (default $OIT_DATA_DIR or ./data)")
    parser.add_argument("--fast", action="store_true",
                        help="simulated web only: no delay, high concurrency (never against real sites)")
    parser.add_argument("--no-check", action="store_true", help="crawl only; run `oit recheck` later")
    parser.add_argument("--no-js", action="store_true", help="never render pages with Chromium")
    parser.add_argument("--log-file", default=None, help="write the crawler's log to this file")


def parse_as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of: not a date (YYYY-MM-DD): {value!r}") from None


def resolve_year(year: int | None) -> int | None:
    """The ITA year to judge: --year if valid, else the latest complete catalog (None without a catalog)."""
    try:
        from checks import catalog
    except ImportError:
        return year
    if year is None:
        return catalog.latest_complete_year()
    if hasattr(catalog, "available_years") and year not in catalog.available_years():
        raise InputError(f"--year: no catalog for ITA year {year} (known: "
                         f"{', '.join(map(str, catalog.available_years()))})")
    return year


def open_store(args):
    from oitwatch.store import Store

    root = Path(args.data_dir) if getattr(args, "data_dir", None) else data_dir()
    return Store(root)


def crawl_settings(args) -> dict:
    from crawler import settings as s

    overrides = dict(s.FAST_PROFILE) if args.fast else {}
    if args.no_js:
        overrides["OIT_PLAYWRIGHT_ENABLED"] = False
    if args.log_file:
        overrides["LOG_FILE"] = str(args.log_file)
        overrides["LOG_LEVEL"] = "INFO"
    return overrides


def execute_crawl(args, store, *, kind: str = "crawl", progress_stream=None) -> tuple[int, dict]:
    """Start (or resume) a run of `kind`, crawl and check it. Returns (run_id, stats)."""
    from crawler.progress import make_progress
    from crawler.runner import Budget, run_crawl
    from oitwatch.registry import load_laos

    params = {"registry": str(Path(args.registry or DEFAULT_LAOS)), "year": args.year, "as_of": args.as_of,
              "proxy": args.proxy, "max_pages": args.max_pages, "max_depth": args.max_depth, "max_docs": args.max_docs,
              "fast": args.fast}
    if args.resume:
        run_id = None
        for k in RESUMABLE_KINDS:
            rid = store.interrupted_run(k)
            if rid is not None and (run_id is None or rid > run_id):
                run_id = rid
        if run_id is None:
            raise InputError("--resume: there is no interrupted crawl run in this store")
        old = store.run_info(run_id)["params"]
        for key, value in old.items():
            if params.get(key) in (None, False) and key != "registry":
                params[key] = value
        if not args.registry and old.get("registry"):
            params["registry"] = old["registry"]
        print(f"resuming run {run_id}: {len(store.done_sites(run_id))} sites already done", file=sys.stderr)
    laos = load_laos(params["registry"])
    year = resolve_year(params["year"])
    as_of = parse_as_of(params["as_of"])
    params["year"], params["as_of"] = year, as_of.isoformat()
    if not args.resume:
        run_id = store.start_run(kind, params, name=args.run_name)
    default = Budget()
    budget = Budget(max_pages=params["max_pages"] or default.max_pages,
                    max_depth=params["max_depth"] if params["max_depth"] is not None else default.max_depth,
                    max_docs=params.get("max_docs") if params.get("max_docs") is not None else default.max_docs)
    args.fast = bool(params.get("fast"))
    progress = make_progress(len(laos), stream=progress_stream)
    try:
        stats = run_crawl(laos, store, run_id, year=year, as_of=as_of, proxy=params["proxy"],
                          allow_private=args.allow_private, resume=args.resume, budget=budget,
                          check=not args.no_check and year is not None, progress=progress,
                          settings=crawl_settings(args))
    except BaseException:
        store.finish_run(run_id, "interrupted")
        raise
    complete = stats.get("finish_reason") == "finished" and len(store.done_sites(run_id)) >= len(laos)
    store.finish_run(run_id, "finished" if complete else "interrupted")
    return run_id, stats


def summary(store, run_id: int) -> str:
    sites = store.sites_frame(run_id)
    results = store.results_frame(run_id)
    by_status = sites["status"].value_counts().to_dict() if len(sites) else {}
    parts = ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
    res = results["status"].value_counts().to_dict() if len(results) else {}
    res_s = ", ".join(f"{k} {v}" for k, v in sorted(res.items())) or "none"
    return (f"run {run_id}: {len(sites)} sites ({parts}); {int(sites['pages'].sum()) if len(sites) else 0} pages, "
            f"{int(sites['documents'].sum()) if len(sites) else 0} documents; item results: {res_s}")


def run(args) -> int:
    from crawler.runner import NotConfiguredError

    store = open_store(args)
    try:
        run_id, stats = execute_crawl(args, store, kind="crawl")
    except NotConfiguredError as exc:
        raise InputError(str(exc)) from None
    print(summary(store, run_id))
    print(f"store: {store.path}")
    if stats.get("finish_reason") != "finished":
        print(f"oit crawl: run {run_id} was interrupted ({stats.get('finish_reason')}); "
              f"continue it with `oit crawl --resume`", file=sys.stderr)
        return 1
    return 0
