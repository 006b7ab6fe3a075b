"""`oit nightly`: crawl → check → report → diff against the previous run (for cron / systemd).

A lock file in the data directory keeps two nightly runs from overlapping; each run writes a
log file under <data dir>/logs/ and its outputs (report, diff.json, diff.csv) under
<data dir>/runs/<run id>/ (or --out).
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from oitwatch.commands import crawl as crawl_cmd

EXIT_LOCKED = 3


def add_arguments(parser):
    crawl_cmd.add_arguments(parser, kind="nightly")
    parser.add_argument("--out", default=None, help="output directory of this run (default <data dir>/runs/<run id>)")


class RunLock:
    """An exclusive, non-blocking flock on <data dir>/nightly.lock (released when the process ends)."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = self.path.open("a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.close()
            self.fh = None
            return False
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"{os.getpid()}\n")
        self.fh.flush()
        return True

    def release(self) -> None:
        if self.fh is not None:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def diff_runs(store, run_id: int, previous: int | None) -> pd.DataFrame:
    """Items whose status changed per LAO between `previous` and `run_id` (new LAOs/items included)."""
    cols = ["lao_id", "code", "item_key", "previous_status", "status", "previous_reason", "reason", "evidence_url"]
    now = store.results_frame(run_id)
    if previous is None or now.empty:
        return pd.DataFrame(columns=cols)
    before = store.results_frame(previous)
    merged = now.merge(before[["lao_id", "code", "status", "reason"]], on=["lao_id", "code"], how="left",
                       suffixes=("", "_prev"))
    changed = merged[merged["status"] != merged["status_prev"]].copy()
    changed = changed.rename(columns={"status_prev": "previous_status", "reason_prev": "previous_reason"})
    return changed[cols].sort_values(["lao_id", "code"]).reset_index(drop=True)


def write_diff(diff: pd.DataFrame, out_dir: Path, run_id: int, previous: int | None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    diff.to_csv(out_dir / "diff.csv", index=False)
    payload = {"run_id": run_id, "previous_run": previous, "changes": json.loads(diff.to_json(orient="records"))}
    (out_dir / "diff.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def print_diff(diff: pd.DataFrame, previous: int | None) -> None:
    if previous is None:
        print("diff: no previous run to compare with")
        return
    if diff.empty:
        print(f"diff: no item changed since run {previous}")
        return
    print(f"diff against run {previous}: {len(diff)} item(s) changed in {diff['lao_id'].nunique()} LAO(s)")
    for lao_id, rows in diff.groupby("lao_id"):
        changes = ", ".join(f"{r.code} {r.previous_status if isinstance(r.previous_status, str) else 'new'}"
                            f"→{r.status}" for r in rows.itertuples())
        print(f"  {lao_id}: {changes}")


def build_report(store, run_id: int, out_dir: Path, log, laos_path=None) -> str | None:
    try:
        from reports.render import build_report as render
    except ImportError:
        log("report: reports.render is not available yet; skipped")
        return None
    try:
        path = render(store, run_id, out_dir, **({"laos_path": Path(laos_path)} if laos_path else {}))
    except Exception as exc:  # noqa: BLE001 - the crawl and diff stay valid without a report
        log(f"report: failed ({type(exc).__name__}: {exc})")
        return None
    log(f"report: {path}")
    return str(path)


def run(args) -> int:
    store = crawl_cmd.open_store(args)
    root = store.path.parent
    lock = RunLock(root / "nightly.lock")
    if not lock.acquire():
        print(f"oit nightly: another nightly run holds {lock.path}; not starting", file=sys.stderr)
        return EXIT_LOCKED
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log_dir = root / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"nightly-{stamp}.log"
    args.log_file = args.log_file or str(log_path)

    def log(msg: str) -> None:
        print(msg)
        with open(args.log_file, "a", encoding="utf-8") as fh:
            fh.write(f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} [nightly] {msg}\n")

    try:
        log(f"nightly: start (store {store.path})")
        run_id, stats = crawl_cmd.execute_crawl(args, store, kind="nightly")
        log(crawl_cmd.summary(store, run_id))
        out_dir = Path(args.out) if args.out else root / "runs" / str(run_id)
        out_dir.mkdir(parents=True, exist_ok=True)
        build_report(store, run_id, out_dir, log, laos_path=args.registry)
        previous = store.previous_run(run_id)
        diff = diff_runs(store, run_id, previous)
        write_diff(diff, out_dir, run_id, previous)
        print_diff(diff, previous)
        log(f"diff: {len(diff)} change(s) against run {previous}; written to {out_dir / 'diff.csv'}")
        log(f"log: {args.log_file}")
        if stats.get("finish_reason") != "finished":
            log(f"nightly: run {run_id} interrupted ({stats.get('finish_reason')}); `oit crawl --resume` continues it")
            return 1
        return 0
    finally:
        lock.release()
