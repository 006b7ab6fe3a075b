"""Crash safety over the faulty-site mix: `kill -9` a crawl midway, resume it, and nothing
already stored is lost and nothing is stored twice.

(The crawler's own resume test covers healthy sites; this one uses the fault catalog, whose
hanging and oversized sites keep the crawl busy when the kill lands.)
"""
from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oitsim.faults import FAULT_KINDS, fault_registry_rows, fault_world

REPO_ROOT = Path(__file__).resolve().parent.parent
# Kinds whose cost is waiting out a CLI-default timeout (20 s downloads, 30 s extraction) or
# Chromium add nothing here. Instead every answer is delayed (LATENCY_MS), so the sites that
# fail fast are stored while the healthy ones are still being crawled when the kill lands.
SKIP = {"extractor_hang", "js_never_settles", "drip", "hang"}
LATENCY_MS = 400
KINDS = tuple(k for k in FAULT_KINDS if k.kind not in SKIP)
RUN_TIMEOUT_S = 180


def _env(data_dir: Path) -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO_ROOT), OIT_DATA_DIR=str(data_dir))


def _crawl_argv(registry: Path | None, data_dir: Path, proxy: str | None, *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "oitwatch.cli", "crawl", "--data-dir", str(data_dir), "--fast", "--no-js",
            "--year", "2565", "--as-of", "2022-04-30", "--max-pages", "20"]
    if registry:
        argv += ["--registry", str(registry)]
    if proxy:
        argv += ["--proxy", proxy]
    return argv + list(extra)


def _done_count(data_dir: Path) -> int:
    from oitwatch.store import Store

    try:
        store = Store(data_dir)
        run_id = store.latest_run()
        n = len(store.done_sites(run_id)) if run_id is not None else 0
        store.close()
        return n
    except (sqlite3.Error, OSError):
        return 0


def _snapshot(store, run_id: int):
    sites = store.sites_frame(run_id).set_index("lao_id")
    results = store.results_frame(run_id)
    evidence = {lid: store.load_evidence(run_id, lid) for lid in sites.index}
    return sites, results, evidence


@pytest.mark.slow
def test_kill_9_midway_then_resume_loses_and_duplicates_nothing(tmp_path):
    from oitsim.server import SimServer
    from oitwatch.store import Store

    rows = [r for r in fault_registry_rows() if r["lao_id"].removeprefix("FAULT-") not in SKIP]
    registry = tmp_path / "laos.csv"
    with registry.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    data_dir = tmp_path / "data"
    world = fault_world()
    server = SimServer(world, ca_dir=tmp_path / "ca", latency_ms=LATENCY_MS, hang_cap_s=20, drip_cap_s=20)
    proxy, _ = server.start_in_thread()
    try:
        # 1. start a crawl and kill -9 it once some, but not all, sites are stored
        proc = subprocess.Popen(_crawl_argv(registry, data_dir, proxy), env=_env(data_dir), cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        killed_at = None
        while time.monotonic() < deadline and proc.poll() is None:
            done = _done_count(data_dir)
            if 5 <= done < len(rows):
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at = done
                break
            time.sleep(0.2)
        proc.wait(timeout=30)
        assert killed_at is not None, f"the crawl ended before it could be killed midway (rc {proc.returncode})"
        assert proc.returncode == -signal.SIGKILL

        store = Store(data_dir)
        run_id = store.latest_run()
        before_sites, before_results, before_ev = _snapshot(store, run_id)
        before_done = set(store.done_sites(run_id))
        store.close()
        assert len(before_done) >= killed_at

        # 2. resume: only the unfinished sites are crawled again
        resumed = subprocess.run(_crawl_argv(None, data_dir, None, "--resume"), env=_env(data_dir), cwd=tmp_path,
                                 capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
    finally:
        server.stop()

    store = Store(data_dir)
    assert store.latest_run() == run_id, "resume must continue the interrupted run, not start a new one"
    sites, results, evidence = _snapshot(store, run_id)

    # nothing lost: every site is there once; sites finished before the kill are unchanged
    assert sorted(sites.index) == sorted(r["lao_id"] for r in rows)
    assert sites.index.is_unique
    for lid in before_done:
        assert sites.loc[lid, "status"] == before_sites.loc[lid, "status"]
        assert str(sites.loc[lid, "finished_at"]) == str(before_sites.loc[lid, "finished_at"]), \
            f"{lid} was finished before the kill but crawled again"
        assert len(evidence[lid].pages) == len(before_ev[lid].pages)
        assert len(evidence[lid].documents) == len(before_ev[lid].documents)
    kept = before_results[before_results["lao_id"].isin(before_done)]
    now = results[results["lao_id"].isin(before_done)]
    assert len(now) == len(kept)

    # nothing duplicated: one result per (site, item), one page per URL, one document per URL
    assert not results.duplicated(["lao_id", "code"]).any()
    for lid, ev in evidence.items():
        urls = [p.url for p in ev.pages]
        assert len(urls) == len(set(urls)), f"{lid}: duplicated pages after resume"
        docs = [d.url for d in ev.documents]
        assert len(docs) == len(set(docs)), f"{lid}: duplicated documents after resume"

    # and the faulty sites still carry their named statuses after the resume
    for kind in KINDS:
        if kind.status != "ok" and kind.kind not in ("redirect_offsite", "js_never_settles"):
            assert sites.loc[f"FAULT-{kind.kind}", "status"] == kind.status, kind.kind
