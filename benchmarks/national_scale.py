"""National scale: sites/s of crawl+check with 150 ms latency injected, projected night, peak RSS.

The simulated national set (7,850 LAOs, generated lazily) is served through the sim proxy with
150 ms added to every answer. Two samples of its registry (spread evenly over the set) are
crawled and checked in child processes with the production politeness profile (2 requests per
host, ≥0.5 s apart, AutoThrottle, robots.txt) unless --fast is given. Printed: sites/s of each
sample, the projected time for all 7,850 sites from the larger sample, and the peak resident
memory of the crawl's whole process tree (crawler + check workers + extraction) for both samples,
with their ratio (flat memory means ratio ≈ 1 while the sample grows). Targets: ≥ 0.55 sites/s on
2 cores; ≤ 1.5 GB and flat.

With --memory it is a memory-scaling run instead, not the speed run: the --fast profile, no
injected latency and a tiny per-site budget (--pages, --docs), so that 500 sites can be compared
with all 7,850 within a session; it prints peak RSS of each sample, their ratio and sites/s (the
sites/s of this mode says nothing about the night's speed).

    python -m benchmarks.national_scale [--small 40] [--large 120] [--latency-ms 150] [--fast]
    python -m benchmarks.national_scale --memory [--small 500] [--large 7850] [--pages 4] [--docs 1]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.crawl_speed import run_child, start_sim, write_registry  # noqa: E402

NATIONAL = 7850
TARGET_SITES_PER_S = 0.55
TARGET_RSS = 1.5 * 1024 ** 3


def sample(rows: list[dict], n: int, offset: int) -> list[dict]:
    """n rows spread evenly over the set (every k-th row, starting at offset)."""
    if n >= len(rows):
        return list(rows)
    step = max(1, len(rows) // n)
    return [rows[(offset + i * step) % len(rows)] for i in range(n)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", type=int, default=40)
    p.add_argument("--large", type=int, default=120)
    p.add_argument("--latency-ms", type=int, default=150)
    p.add_argument("--fast", action="store_true", help="simulated-web profile instead of production politeness")
    p.add_argument("--seed", type=int, default=2565)
    p.add_argument("--memory", action="store_true",
                   help="memory-scaling run: --fast, no latency, tiny budgets; defaults --small 500 --large 7850")
    p.add_argument("--pages", type=int, default=4, help="per-site page budget of a --memory run (default 4)")
    p.add_argument("--docs", type=int, default=1, help="per-site document budget of a --memory run (default 1)")
    args = p.parse_args(argv)
    if args.memory:
        args.fast, args.latency_ms = True, 0
        args.small = args.small if args.small != 40 else 500
        args.large = args.large if args.large != 120 else NATIONAL

    from oitsim.national import national_registry_rows, national_world

    rows = [r for r in national_registry_rows(args.seed, NATIONAL) if r.get("url")]
    server, proxy = start_sim(national_world(args.seed, NATIONAL), args.latency_ms)
    profile = "--fast (simulated web)" if args.fast else "production politeness"
    budget = (f"budget {args.pages} pages/{args.docs} documents per site" if args.memory
              else "budget 150 pages/60 documents per site")
    if args.memory:
        print("MEMORY-SCALING RUN (not the speed run: no latency, tiny budgets; its sites/s is not the night's)")
    print(f"national set: {NATIONAL} LAOs, {len(rows)} with a URL; latency {args.latency_ms} ms; {profile}, JS off; "
          f"{budget}; samples of {args.small} and {args.large} sites spread over the set", flush=True)
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="oit-national-") as tmp:
            tmp = Path(tmp)
            for label, n, offset in (("small", args.small, 1), ("large", args.large, 3)):
                reg = tmp / f"{label}.csv"
                picked = sample(rows, n, offset)
                n = len(picked)
                write_registry(picked, reg)
                if args.memory:
                    stats = run_child("ours", proxy, reg, tmp / f"{label}.json", fast=True, max_pages=args.pages,
                                      extra_settings={"OIT_MAX_DOCS": args.docs}, timeout=4 * 3600)
                else:
                    stats = run_child("ours", proxy, reg, tmp / f"{label}.json", fast=args.fast, timeout=7200)
                rate = stats.get("sites_done", 0) / max(stats["elapsed_time_seconds"], 1e-9)
                results[label] = (n, stats, rate)
                print(f"{label:5s}: {n:4d} sites in {stats['elapsed_time_seconds']:7.1f} s = {rate:.3f} sites/s; "
                      f"{stats.get('response_received_count', 0)} responses, {stats.get('documents', 0)} documents; "
                      f"peak RSS {stats['peak_rss_bytes'] / 2**20:.0f} MiB", flush=True)
                curve = stats.get("rss_curve") or []
                if curve:
                    print("       RSS of the process tree at 10%, 20%, ... 100% of the run (MiB): "
                          + " ".join(f"{r / 2**20:.0f}" for r in curve), flush=True)
                    print("       RSS of the crawling process alone (no check workers, no extractors): "
                          + " ".join(f"{r / 2**20:.0f}" for r in stats.get("crawler_rss_curve") or []), flush=True)
    finally:
        server.stop()
    n, stats, rate = results["large"]
    hours = NATIONAL / rate / 3600 if rate else float("inf")
    if not args.memory:
        print(f"projected night for {NATIONAL} sites at {rate:.3f} sites/s: {hours:.1f} h "
              f"(target >= {TARGET_SITES_PER_S} sites/s = {NATIONAL / TARGET_SITES_PER_S / 3600:.1f} h: "
              f"{'met' if rate >= TARGET_SITES_PER_S else 'NOT met'})")
    small_n, small_rss, large_rss = results["small"][0], results["small"][1]["peak_rss_bytes"], stats["peak_rss_bytes"]
    print(f"peak RSS {small_n} sites: {small_rss / 2**20:.0f} MiB; {n} sites: {large_rss / 2**20:.0f} MiB; "
          f"ratio {large_rss / max(small_rss, 1):.2f} for {n / small_n:.1f}x the sites "
          f"(target <= 1.5 GB and flat: {'met' if large_rss <= TARGET_RSS and large_rss / max(small_rss, 1) < 1.3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
