"""`oit recheck --run N`: judge a stored crawl again with the current rules, fetching nothing.

A new run of kind ``recheck`` is created; it reads the evidence of run N (or of the crawl that
run N itself re-checked) and stores fresh results for every site.
"""
from __future__ import annotations

import sys

from oitwatch.errors import InputError


def add_arguments(parser):
    parser.add_argument("--run", type=int, default=None, help="the stored run to re-check (default: latest crawl)")
    parser.add_argument("--year", type=int, default=None, help="ITA year (BE); default: the run's year")
    parser.add_argument("--as-of", default=None, help="judge as of this date; default: the run's as-of date")
    parser.add_argument("--data-dir", default=None, help="where the results store lives")


def recheck(store, source_run: int, *, year: int | None = None, as_of=None, progress=None) -> int:
    """Re-run the checks of `source_run` into a new recheck run; returns its id."""
    from checks.engine import check_site
    from oitwatch.commands.crawl import parse_as_of, resolve_year

    info = store.run_info(source_run)
    if info is None:
        raise InputError(f"--run: there is no run {source_run} in {store.path}")
    evidence_run = store.evidence_run(source_run)
    params = store.run_info(evidence_run)["params"]
    year = resolve_year(year or params.get("year"))
    as_of = parse_as_of(as_of) if isinstance(as_of, str) else (as_of or parse_as_of(params.get("as_of")))
    run_id = store.start_run("recheck", {"source_run": evidence_run, "year": year, "as_of": as_of.isoformat()},
                             source_run=evidence_run)
    store.copy_sites(evidence_run, run_id)
    try:
        for lao_id in store.site_ids(evidence_run):
            if not store.site_done(evidence_run, lao_id):
                continue
            report = check_site(store.load_evidence(evidence_run, lao_id), year, as_of)
            store.save_results(run_id, lao_id, year, as_of, report)
            if progress is not None:
                progress.site_finished(lao_id, "ok")
    except BaseException:
        store.finish_run(run_id, "interrupted")
        raise
    store.finish_run(run_id, "finished")
    return run_id


def run(args) -> int:
    from oitwatch.commands.crawl import open_store, summary

    store = open_store(args)
    source = args.run if args.run is not None else store.latest_run("crawl") or store.latest_run("nightly")
    if source is None:
        raise InputError("--run: the store has no crawl run to re-check")
    run_id = recheck(store, source, year=args.year, as_of=args.as_of)
    print(f"re-checked run {source} without fetching anything: new run {run_id}", file=sys.stderr)
    print(summary(store, run_id))
    return 0
