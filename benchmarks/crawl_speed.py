"""Crawl+check speed against a do-nothing Scrapy spider over the same simulated sites.

Both crawls run in child processes through the same simulated-web proxy with the same Scrapy
concurrency (the `--fast` profile), over the same sample of Mukdahan sites. The do-nothing spider
follows every on-site link (pages and documents, same page/depth caps) and yields nothing; ours
crawls best-first, extracts documents, writes the store and runs the check engine. The figure is
pages/s = responses received / elapsed seconds (spider open → close), and the target ratio
ours/baseline is ≥ 0.6. The baseline runs twice (first run warms the simulator's caches) and the
second figure is used.

    python benchmarks/crawl_speed.py [--sites 20] [--latency-ms 0]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

YEAR, AS_OF = 2565, date(2022, 4, 30)
TARGET_RATIO = 0.6


# --------------------------------------------------------------------------- process-tree RSS

def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def tree_rss_bytes(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
        todo.extend(_children(p))
    return total


class RssSampler:
    """Peak resident memory of a process and all its descendants, sampled every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.5):
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


# --------------------------------------------------------------------------- children

def run_child(mode: str, proxy: str, registry: Path, out: Path, *, fast: bool = True, max_pages: int = 150,
              extra_settings: dict | None = None, timeout: float = 3600) -> dict:
    """Run one crawl in a child process; returns its stats plus the peak RSS of its process tree."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--proxy", proxy,
            "--registry", str(registry), "--out", str(out), "--max-pages", str(max_pages),
            "--settings", json.dumps(extra_settings or {})]
    if fast:
        argv.append("--fast")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        peak = sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} crawl failed:\n{err[-3000:]}")
    stats = json.loads(out.read_text())
    stats["peak_rss_bytes"] = peak
    return stats


def _child_main(args) -> int:
    from crawler import settings as project
    from oitwatch.registry import load_laos

    overrides = dict(project.FAST_PROFILE) if args.fast else {}
    overrides.update({"OIT_PLAYWRIGHT_ENABLED": False, "LOG_LEVEL": "ERROR"})
    overrides.update(json.loads(args.settings or "{}"))
    check = bool(overrides.pop("_check", True))
    laos = load_laos(args.registry, check_codes=False)
    t0 = time.perf_counter()
    if args.child == "ours":
        from crawler.runner import Budget, run_crawl
        from oitwatch.store import Store

        with tempfile.TemporaryDirectory(prefix="oit-bench-") as tmp:
            store = Store(Path(tmp))
            run_id = store.start_run("crawl", {"benchmark": True})
            stats = run_crawl(laos, store, run_id, year=YEAR, as_of=AS_OF, proxy=args.proxy, allow_private=True,
                              budget=Budget(max_pages=args.max_pages), check=check, settings=overrides)
            stats["sites_done"] = len(store.done_sites(run_id))
            stats["results"] = int(store.db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
            stats["documents"] = int(store.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
            store.close()
    else:
        stats = _baseline(laos, args.proxy, overrides, args.max_pages)
    stats["wall_seconds"] = time.perf_counter() - t0
    Path(args.out).write_text(json.dumps({k: v for k, v in stats.items() if isinstance(v, (int, float, str))}))
    return 0


def _baseline(laos, proxy: str, overrides: dict, max_pages: int) -> dict:
    """A do-nothing spider: follow on-site links (same caps), parse nothing else, store nothing."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import settings as project

    per_site_cap = max_pages + 60

    class DoNothingSpider(scrapy.Spider):
        name = "donothing"

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.counts: dict[str, int] = {}

        async def start(self):
            for lao in laos:
                if lao.urls:
                    host = urlsplit(lao.urls[0]).hostname
                    yield scrapy.Request(lao.urls[0], meta={"site": host, "proxy": proxy, "d": 0})

        def parse(self, response):
            if not isinstance(response, scrapy.http.TextResponse):
                return
            site, depth = response.meta["site"], response.meta["d"]
            if depth >= 4:
                return
            hosts = {site, f"www.{site}", site.removeprefix("www.")}
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                if urlsplit(url).hostname not in hosts or self.counts.get(site, 0) >= per_site_cap:
                    continue
                self.counts[site] = self.counts.get(site, 0) + 1
                yield scrapy.Request(url, meta={"site": site, "proxy": proxy, "d": depth + 1})

    s = Settings()
    s.setmodule(project, priority="project")
    for key in ("DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES"):
        s.set(key, {}, priority="cmdline")
    s.set("DUPEFILTER_CLASS", "scrapy.dupefilters.RFPDupeFilter", priority="cmdline")
    for key, value in overrides.items():
        s.set(key, value, priority="cmdline")
    process = CrawlerProcess(s)
    crawler = process.create_crawler(DoNothingSpider)
    process.crawl(crawler)
    process.start()
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}


# --------------------------------------------------------------------------- driver

def pages_per_s(stats: dict) -> float:
    return stats.get("response_received_count", 0) / max(stats.get("elapsed_time_seconds", 0) or 1e-9, 1e-9)


def write_registry(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def start_sim(world, latency_ms: int | None):
    from oitsim.server import SimServer

    server = SimServer(world, latency_ms=latency_ms) if latency_ms else SimServer(world)
    url, _ = server.start_in_thread()
    return server, url


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, default=20, help="Mukdahan sites sampled (default 20)")
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--breakdown", action="store_true",
                   help="also crawl without checks, and without checks and documents, to show where time goes")
    p.add_argument("--child", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    p.add_argument("--proxy", help=argparse.SUPPRESS)
    p.add_argument("--registry", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--fast", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--max-pages", type=int, default=150, help=argparse.SUPPRESS)
    p.add_argument("--settings", default="{}", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return _child_main(args)

    from oitsim.world import mukdahan_world
    from oitwatch.paths import DEFAULT_LAOS

    with DEFAULT_LAOS.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["url"]][: args.sites]
    server, proxy = start_sim(mukdahan_world(seed=2565, as_of=AS_OF), args.latency_ms or None)
    try:
        with tempfile.TemporaryDirectory(prefix="oit-bench-") as tmp:
            tmp = Path(tmp)
            registry = tmp / "laos.csv"
            write_registry(rows, registry)
            print(f"sample: {len(rows)} simulated Mukdahan sites with a URL, budget 150 pages/60 docs per site, "
                  f"--fast profile, JS off, latency {args.latency_ms} ms; 2 crawls of the do-nothing spider "
                  f"(1st warms the simulator) and 1 of ours", flush=True)
            run_child("baseline", proxy, registry, tmp / "warm.json")
            base = run_child("baseline", proxy, registry, tmp / "base.json")
            ours = run_child("ours", proxy, registry, tmp / "ours.json")
            extra = []
            if args.breakdown:
                extra.append(("crawl only (no checks)", run_child("ours", proxy, registry, tmp / "nocheck.json",
                                                                  extra_settings={"_check": False})))
                extra.append(("crawl only, no documents", run_child(
                    "ours", proxy, registry, tmp / "nodocs.json", extra_settings={"_check": False, "OIT_MAX_DOCS": 0})))
    finally:
        server.stop()
    b, o = pages_per_s(base), pages_per_s(ours)
    print(f"do-nothing spider : {base['response_received_count']:6d} responses in {base['elapsed_time_seconds']:7.1f} s"
          f" = {b:7.1f} pages/s")
    print(f"crawl+check (ours): {ours['response_received_count']:6d} responses in {ours['elapsed_time_seconds']:7.1f} s"
          f" = {o:7.1f} pages/s  ({ours.get('documents', 0)} documents, {ours.get('sites_done', 0)} sites checked,"
          f" {ours.get('results', 0)} item results)")
    for label, st in extra:
        print(f"{label:26s}: {st['response_received_count']:6d} responses in {st['elapsed_time_seconds']:7.1f} s"
              f" = {pages_per_s(st):7.1f} pages/s  (ratio {pages_per_s(st) / b if b else 0:.2f})")
    ratio = o / b if b else 0.0
    print(f"ratio crawl+check / do-nothing = {ratio:.2f}  (target >= {TARGET_RATIO}: "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
