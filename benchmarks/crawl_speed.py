"""Crawl+check speed against a do-nothing Scrapy spider over the same simulated sites, cold and warm.

Both crawls run in child processes through the same simulated-web proxy (the simulator runs in
this process, on the same cores, for both) with the same Scrapy concurrency (the `--fast`
profile) and politeness settings (robots.txt obeyed), over the same sample of Mukdahan sites,
with the same per-site budgets: 150 pages, 60 documents, link depth 4, the same skipped and
document extensions. The do-nothing spider follows on-site a/area/iframe/embed links
breadth-first with a per-site de-duplication and yields nothing; ours crawls best-first,
extracts documents, writes the store and runs the check engine. The URLs each fetched are
compared and printed, so a difference in work shows. The figure is pages/s = responses
received / elapsed seconds (spider open → close); the target ratio ours/baseline is ≥ 0.6. One
warm-up crawl of the do-nothing spider fills the simulator's document cache, then `--repeat`
pairs (do-nothing, ours) run alternately per mode and the median of the pair ratios is
reported, so a load change on a shared machine hits both sides.

Two modes (`--mode both`, the default, runs cold then warm):

* cold: a first crawl into an empty store: every document is downloaded and extracted, scanned
  PDFs are OCR'd (up to the per-site cap of config/crawl.yaml).
* warm: a later night, OIT Watch's real job (`oit nightly`): ours crawls a store that already
  holds one earlier crawl of the same sites (the last cold run's store, or one untimed crawl
  made first with `--mode warm`), under a new run of kind ``nightly``; each warm run gets a fresh
  copy of that store, so no pair sees another pair's run. Nothing is special-cased: the spider
  finds the earlier night's validators (ETag / Last-Modified per URL) and document texts (per
  content hash) in the store exactly as in production, sends conditional requests
  (crawler/middlewares.py ConditionalRequestMiddleware), and reuses a document answered 304, or
  whose bytes hash to a stored one, without extracting it again. A scan over the earlier night's
  OCR cap is still downloaded and OCR'd (crawler.extract.ocr_pending). The do-nothing spider has
  no store and downloads everything, as it does cold. Each run prints how many documents were
  reused, answered 304, extracted and OCR'd, so the difference in work is visible.

`--no-ocr` turns OCR off for our crawls (the OCR policy of config/crawl.yaml with
``enabled: false``, set in the child process; the file is not changed). Also printed per mode: a
CPU floor (CPU seconds on 2 idle cores), a load-independent cross-check of the ratio.

    python -m benchmarks.crawl_speed [--sites 20] [--repeat 3] [--mode both|cold|warm] [--no-ocr]
                                     [--latency-ms 0] [--breakdown]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
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

def _parents() -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss_bytes(pid: int) -> int:
    """RSS of `pid` and its descendants. One /proc pass per call: this sampler runs in the driver
    process while a crawl is measured, so its CPU must not grow with the crawl's process tree."""
    kids = _parents()
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss_bytes(p)
        todo.extend(kids.get(p, ()))
    return total


class RssSampler:
    """Peak resident memory of a process and all its descendants, sampled every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.5):
        self.pid, self.every, self.peak, self.own_peak = pid, every, 0, 0
        self.samples: list[int] = []
        self.own_samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            rss, own = tree_rss_bytes(self.pid), rss_bytes(self.pid)
            self.samples.append(rss)
            self.own_samples.append(own)
            self.peak, self.own_peak = max(self.peak, rss), max(self.own_peak, own)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak

    def curve(self, points: int = 10, own: bool = False) -> list[int]:
        """Peak RSS within each tenth (by default) of the run, in order: flat memory gives a flat curve.
        With `own`, of the crawling process alone (without check workers and extraction tools)."""
        xs = [x for x in (self.own_samples if own else self.samples) if x]
        if not xs:
            return []
        cut = [round(len(xs) * (i + 1) / points) for i in range(points)]
        return [max(xs[(cut[i - 1] if i else 0): max(cut[i], (cut[i - 1] if i else 0) + 1)]) for i in range(points)]


# --------------------------------------------------------------------------- children

def _self_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def run_child(mode: str, proxy: str, registry: Path, out: Path, *, fast: bool = True, max_pages: int = 150,
              extra_settings: dict | None = None, store: Path | None = None, timeout: float = 3600) -> dict:
    """Run one crawl in a child process; returns its stats plus the peak RSS of its process tree.
    With `store` (ours only), the crawl writes that store file: a night after the runs it holds."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--proxy", proxy,
            "--registry", str(registry), "--out", str(out), "--max-pages", str(max_pages),
            "--settings", json.dumps(extra_settings or {})]
    if fast:
        argv.append("--fast")
    if store is not None:
        argv += ["--store", str(store)]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    sim_cpu0 = _self_cpu()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        peak = sampler.stop()
        if proc.poll() is None:   # interrupted or timed out: do not leave the crawl running
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} crawl failed:\n{err[-3000:]}")
    stats = json.loads(out.read_text())
    stats["peak_rss_bytes"] = peak
    stats["rss_curve"] = sampler.curve()
    stats["crawler_rss_curve"] = sampler.curve(own=True)
    stats["crawler_peak_rss_bytes"] = sampler.own_peak
    stats["cpu_driver_s"] = _self_cpu() - sim_cpu0   # this process: the simulator serving the crawl
    return stats


def _child_main(args) -> int:
    from crawler import settings as project
    from oitwatch.registry import load_laos

    overrides = dict(project.FAST_PROFILE) if args.fast else {}
    overrides.update({"OIT_PLAYWRIGHT_ENABLED": False, "LOG_LEVEL": "ERROR"})
    overrides.update(json.loads(args.settings or "{}"))
    check = bool(overrides.pop("_check", True))
    if not overrides.pop("_ocr", True):   # --no-ocr: this crawl alone, config/crawl.yaml unchanged
        import dataclasses

        from crawler import extract
        extract._POLICY = dataclasses.replace(extract.ocr_policy(), enabled=False)
    laos = load_laos(args.registry, check_codes=False)
    t0 = time.perf_counter()
    if args.child == "ours":
        from crawler.runner import Budget, run_crawl
        from oitwatch.store import Store

        with tempfile.TemporaryDirectory(prefix="oit-bench-") as tmp:
            # --store: a store file holding earlier nights (warm) or to be kept for them (cold)
            store = Store(Path(args.store) if args.store else Path(tmp))
            kind = "nightly" if args.store and store.latest_run() is not None else "crawl"
            run_id = store.start_run(kind, {"benchmark": True})
            stats = run_crawl(laos, store, run_id, year=YEAR, as_of=AS_OF, proxy=args.proxy, allow_private=True,
                              budget=Budget(max_pages=args.max_pages), check=check, settings=overrides)
            complete = stats.get("finish_reason") == "finished" and len(store.done_sites(run_id)) >= len(laos)
            store.finish_run(run_id, "finished" if complete else "interrupted")   # as `oit crawl` / `oit nightly`
            stats.update(run_counts(store, run_id))
            urls = [r[0] for r in store.db.execute(
                "SELECT COALESCE(requested_url, url) FROM pages WHERE run_id=? AND status > 0 UNION ALL "
                "SELECT url FROM documents WHERE run_id=? AND status > 0", (run_id, run_id))]
            Path(args.out).with_suffix(".urls").write_text("\n".join(urls), encoding="utf-8")
            store.close()
    else:
        stats = _baseline(laos, args.proxy, overrides, args.max_pages, Path(args.out).with_suffix(".urls"))
    stats["wall_seconds"] = time.perf_counter() - t0
    from crawler.extract import ocr_usage, shutdown_workers

    shutdown_workers()   # reap the office and OCR workers, so that their CPU is in cpu_children_s
    stats.update({f"ocr_{k}": v for k, v in ocr_usage().items()})
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    stats["cpu_main_s"] = me.ru_utime + me.ru_stime          # the crawling process (reactor + extraction threads)
    stats["cpu_children_s"] = kids.ru_utime + kids.ru_stime  # check workers, pdftotext, office and OCR workers
    Path(args.out).write_text(json.dumps({k: v for k, v in stats.items() if isinstance(v, (int, float, str))}))
    return 0


def run_counts(store, run_id: int) -> dict:
    """What one run of ours did, from the store: sites checked, results, documents recorded, and of
    those how many were reused (a 304 answer, or known bytes: not extracted again), extracted now,
    and OCR'd now."""
    one = lambda sql: int(store.db.execute(sql, (run_id,)).fetchone()[0])  # noqa: E731
    return {
        "run_id": run_id,
        "sites_done": len(store.done_sites(run_id)),
        "results": one("SELECT COUNT(*) FROM results WHERE run_id=?"),
        "documents": one("SELECT COUNT(*) FROM documents WHERE run_id=?"),
        "documents_reused": one("SELECT COUNT(*) FROM documents WHERE run_id=? AND reused=1"),
        "documents_extracted": one("SELECT COUNT(*) FROM documents WHERE run_id=? AND reused=0 AND sha256 IS NOT NULL"),
        "documents_ocr": one("SELECT COUNT(*) FROM documents WHERE run_id=? AND reused=0 AND extract_status='ocr'"),
    }


def copy_store(src: Path, dst: Path) -> Path:
    """A consistent copy of a store file (SQLite's backup API: WAL content included), so every warm
    run starts from the same earlier night and none sees another's run."""
    import sqlite3

    a, b = sqlite3.connect(str(src)), sqlite3.connect(str(dst))
    try:
        a.backup(b)
    finally:
        b.close()
        a.close()
    return dst


class ProxyEverywhere:
    """The do-nothing spider's only downloader middleware: OIT_PROXY in every request's meta."""

    def __init__(self, proxy: str):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("OIT_PROXY"))

    def process_request(self, request, spider=None):
        request.meta.setdefault("proxy", self.proxy)


def _baseline(laos, proxy: str, overrides: dict, max_pages: int, urls_out: Path | None = None) -> dict:
    """A do-nothing spider with our crawl's rules and budgets, and no work beyond following links.

    Per site: the same page budget (home page included), document budget, link depth, skipped
    extensions and document extensions as ours (crawler/settings.py, crawl.yaml), a per-site
    de-duplication, robots.txt obeyed; it follows a/area/iframe/embed links like ours, but
    breadth-first, and extracts, stores and checks nothing. The URLs it fetched go to `urls_out`
    so the driver can show how far its work and ours overlap."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import settings as project
    from crawler.spiders.lao import host_variants, norm_url, url_extension

    s = Settings()
    s.setmodule(project, priority="project")
    s.set("ITEM_PIPELINES", {}, priority="cmdline")
    # Scrapy's own RetryMiddleware and RobotsTxtMiddleware stay (ours subclass them)
    s.set("OIT_MAX_PAGES", max_pages, priority="cmdline")
    for key, value in overrides.items():
        s.set(key, value, priority="cmdline")
    max_depth, max_docs = s.getint("OIT_MAX_DEPTH"), s.getint("OIT_MAX_DOCS")
    doc_ext, skip_ext = set(s.getdict("OIT_DOC_EXTENSIONS")), set(s.getlist("OIT_SKIP_EXTENSIONS"))
    fetched: list[str] = []

    class DoNothingSpider(scrapy.Spider):
        name = "donothing"

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.state: dict[str, dict] = {}

        async def start(self):
            for lao in laos:
                if lao.urls:
                    url = lao.urls[0]
                    self.state[lao.lao_id] = {"hosts": host_variants(url), "seen": {norm_url(url)}, "pages": 1,
                                              "docs": 0}
                    yield scrapy.Request(url, dont_filter=True, meta={"site": lao.lao_id, "d": 0})

        def parse(self, response):
            fetched.append(response.request.meta.get("redirect_urls", [response.url])[0])
            if not isinstance(response, scrapy.http.TextResponse):
                return
            site, depth = self.state[response.meta["site"]], response.meta["d"]
            if depth == 0:
                site["hosts"] |= host_variants(response.url)
            if depth >= max_depth:
                return
            for href in response.xpath("//a/@href|//area/@href|//iframe/@src|//embed/@src").getall():
                url = response.urljoin(href.strip()).split("#", 1)[0]
                if not url.startswith(("http://", "https://")):
                    continue
                host = (urlsplit(url).hostname or "").lower()
                ext = url_extension(url)
                if host not in site["hosts"] or ext in skip_ext:
                    continue
                key = norm_url(url)
                if key in site["seen"]:
                    continue
                site["seen"].add(key)
                budget = "docs" if ext in doc_ext else "pages"
                if site[budget] >= (max_docs if budget == "docs" else max_pages):
                    continue
                site[budget] += 1
                yield scrapy.Request(url, dont_filter=True,
                                     meta={"site": response.meta["site"], "d": depth + 1})

    # The proxy for every request, robots.txt included, set the way ours sets it (TargetGuardMiddleware).
    s.set("DOWNLOADER_MIDDLEWARES", {"benchmarks.crawl_speed.ProxyEverywhere": 50}, priority="cmdline")
    s.set("OIT_PROXY", proxy, priority="cmdline")
    process = CrawlerProcess(s)
    crawler = process.create_crawler(DoNothingSpider)
    process.crawl(crawler)
    process.start()
    if urls_out is not None:
        urls_out.write_text("\n".join(fetched), encoding="utf-8")
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


def _norm(url: str) -> str:
    from crawler.spiders.lao import norm_url

    return norm_url(url)


def overlap(a: Path, b: Path) -> tuple[int, int, int]:
    """(fetched by both, only by a, only by b) over normalised URLs."""
    ua = {_norm(u) for u in a.read_text(encoding="utf-8").splitlines() if u}
    ub = {_norm(u) for u in b.read_text(encoding="utf-8").splitlines() if u}
    return len(ua & ub), len(ua - ub), len(ub - ua)


def _with_sim_counts(server, run) -> dict:
    """run() plus what the simulator saw meanwhile: requests, connections, TLS handshakes."""
    keys = ("requests", "connections", "tls_handshakes")
    before = {k: server.stats.get(k, 0) for k in keys}
    stats = run()
    stats.update({f"sim_{k}": server.stats.get(k, 0) - before[k] for k in keys})
    return stats


def _line(label: str, st: dict) -> str:
    return (f"{label}: {st['response_received_count']:6d} responses, "
            f"{st.get('downloader/response_bytes', 0) / 2**20:6.1f} MiB in {st['elapsed_time_seconds']:6.1f} s"
            f" = {pages_per_s(st):6.1f} pages/s; CPU s crawler {st.get('cpu_main_s', 0):.1f}, its children "
            f"{st.get('cpu_children_s', 0):.1f}, simulator {st.get('cpu_driver_s', 0):.1f}"
            + (f" (OCR of {st['ocr_documents']} documents, {st['ocr_pages']} pages: render "
               f"{st['ocr_render_cpu_s']:.1f} s, read {st['ocr_read_cpu_s']:.1f} s)" if st.get("ocr_documents") else "")
            + (f"; the simulator saw {st['sim_requests']} requests, {st['sim_connections']} connections, "
               f"{st['sim_tls_handshakes']} TLS handshakes" if "sim_requests" in st else ""))


def _docs_line(st: dict) -> str:
    """What ours did with documents in one run: the difference in work between a first crawl and a later night."""
    return (f"{st.get('documents', 0)} documents recorded: {st.get('documents_reused', 0)} reused without "
            f"extracting again ({st.get('downloader/response_status_count/304', 0)} of them answered 304 Not "
            f"Modified, not downloaded), {st.get('documents_extracted', 0)} extracted ({st.get('documents_ocr', 0)} "
            f"OCR'd)")


def _cpu_floor(st: dict) -> float:
    # Load-independent cross-check: CPU seconds do not depend on what else the shared machine runs.
    # On 2 idle cores a run takes at least max(its crawling process's CPU, all its CPU / 2).
    total = st.get("cpu_main_s", 0) + st.get("cpu_children_s", 0) + st.get("cpu_driver_s", 0)
    return max(st.get("cpu_main_s", 0), total / 2)


def run_pairs(mode: str, server, proxy: str, registry: Path, tmp: Path, repeat: int, settings: dict,
              prepared: Path | None = None) -> tuple[list, tuple[int, int, int]]:
    """`repeat` (do-nothing, ours) pairs run alternately. Cold: ours writes a new, empty store (each
    one kept as `<mode>-ours<i>.sqlite`). Warm: ours crawls a fresh copy of `prepared`, the store
    of an earlier night, so every pair starts from the same state. Returns the pairs (baseline
    stats, our stats, ratio) and the URL overlap of the last pair."""
    pairs = []
    for i in range(repeat):
        base = _with_sim_counts(server, lambda: run_child("baseline", proxy, registry, tmp / f"{mode}-base{i}.json"))
        store = tmp / f"{mode}-ours{i}.sqlite"
        if prepared is not None:
            copy_store(prepared, store)
        ours = _with_sim_counts(server, lambda: run_child("ours", proxy, registry, tmp / f"{mode}-ours{i}.json",
                                                          extra_settings=settings, store=store))
        if prepared is not None or i < repeat - 1:     # the last cold store may be the warm runs' earlier night
            for f in tmp.glob(f"{store.name}*"):
                f.unlink()
        b, o = pages_per_s(base), pages_per_s(ours)
        pairs.append((base, ours, o / b if b else 0.0))
        print(f"{mode} pair {i + 1}: ratio {pairs[-1][2]:.2f}\n  {_line('do-nothing ', base)}\n"
              f"  {_line('crawl+check', ours)}\n  crawl+check: {_docs_line(ours)}", flush=True)
    return pairs, overlap(tmp / f"{mode}-base{repeat - 1}.urls", tmp / f"{mode}-ours{repeat - 1}.urls")


def summarise(mode: str, pairs: list, urls: tuple[int, int, int]) -> float:
    """Print one mode's figures; returns its median ratio."""
    ratios = sorted(r for _, _, r in pairs)
    ratio = statistics.median(ratios)
    base_med = statistics.median(pages_per_s(b) for b, _, _ in pairs)
    ours_med = statistics.median(pages_per_s(o) for _, o, _ in pairs)
    last = pairs[-1][1]
    fb = statistics.median(_cpu_floor(b) for b, _, _ in pairs)
    fo = statistics.median(_cpu_floor(o) for _, o, _ in pairs)
    print(f"-- {mode}")
    print(f"do-nothing spider : median {base_med:6.1f} pages/s")
    print(f"crawl+check (ours): median {ours_med:6.1f} pages/s  ({last.get('sites_done', 0)} sites checked, "
          f"{last.get('results', 0)} item results in the last run)")
    print(f"documents (last run of ours): {_docs_line(last)}")
    print(f"same work? URLs fetched by both {urls[0]}, only by the do-nothing spider {urls[1]}, only by ours "
          f"{urls[2]} (last pair; robots.txt and retries not listed)")
    print(f"CPU floor on 2 idle cores (an estimate, not the target figure): do-nothing {fb:.1f} s, ours {fo:.1f} s "
          f"-> ratio {fb / fo if fo else 0:.2f}")
    print(f"{mode} ratio crawl+check / do-nothing = {ratio:.2f} (median of {len(ratios)} pairs: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}; target >= {TARGET_RATIO}: "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    return ratio


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, default=20, help="Mukdahan sites sampled (default 20)")
    p.add_argument("--repeat", type=int, default=3,
                   help="baseline/ours pairs per mode, run alternately; the median ratio is reported (default 3)")
    p.add_argument("--mode", choices=["cold", "warm", "both"], default="both",
                   help="cold: a first crawl into an empty store; warm: a later night, against a store holding "
                        "one earlier crawl of the same sites (default both)")
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--breakdown", action="store_true",
                   help="also crawl (cold) without checks, and without checks and documents, to show where time goes")
    p.add_argument("--no-ocr", action="store_true",
                   help="crawl+check with OCR off (as `ocr: enabled: false` in config/crawl.yaml, for these runs only)")
    p.add_argument("--child", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    p.add_argument("--proxy", help=argparse.SUPPRESS)
    p.add_argument("--registry", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--store", help=argparse.SUPPRESS)
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
    modes = ["cold", "warm"] if args.mode == "both" else [args.mode]
    server, proxy = start_sim(mukdahan_world(seed=2565, as_of=AS_OF), args.latency_ms or None)
    ours_settings = {"_ocr": False} if args.no_ocr else {}
    results, extra = {}, []
    try:
        with tempfile.TemporaryDirectory(prefix="oit-bench-") as tmp:
            tmp = Path(tmp)
            registry = tmp / "laos.csv"
            write_registry(rows, registry)
            print(f"sample: {len(rows)} simulated Mukdahan sites with a URL, budget 150 pages/60 docs/depth 4 per "
                  f"site for both spiders, --fast profile, JS off, latency {args.latency_ms} ms"
                  + ("; OCR off" if args.no_ocr else "") + f"; 1 warm-up crawl of the do-nothing spider, then "
                  f"{args.repeat} pairs (do-nothing, ours) run alternately per mode: {', '.join(modes)}", flush=True)
            run_child("baseline", proxy, registry, tmp / "warm-up.json")
            prepared = None
            if "cold" in modes:
                results["cold"] = run_pairs("cold", server, proxy, registry, tmp, args.repeat, ours_settings)
                prepared = tmp / f"cold-ours{args.repeat - 1}.sqlite"   # a first crawl, as any other would be
                if args.breakdown:
                    extra.append(("crawl only (no checks)", run_child(
                        "ours", proxy, registry, tmp / "nocheck.json", extra_settings={**ours_settings, "_check": False})))
                    extra.append(("crawl only, no documents", run_child(
                        "ours", proxy, registry, tmp / "nodocs.json",
                        extra_settings={**ours_settings, "_check": False, "OIT_MAX_DOCS": 0})))
            if "warm" in modes:
                if prepared is None:
                    prepared = tmp / "earlier-night.sqlite"
                    print("warm: the earlier night (a first crawl of the same sites, untimed) ...", flush=True)
                    run_child("ours", proxy, registry, tmp / "earlier-night.json", extra_settings=ours_settings,
                              store=prepared)
                results["warm"] = run_pairs("warm", server, proxy, registry, tmp, args.repeat, ours_settings,
                                            prepared=prepared)
    finally:
        server.stop()
    ratios = {mode: summarise(mode, *results[mode]) for mode in modes}
    if extra:
        base_med = statistics.median(pages_per_s(b) for b, _, _ in results["cold"][0])
        for label, st in extra:
            print(f"{_line(f'{label:26s}', st)}  (ratio {pages_per_s(st) / base_med if base_med else 0:.2f} to the "
                  f"median cold do-nothing)")
    print("; ".join(f"{mode} ratio {r:.2f}" for mode, r in ratios.items())
          + f" (crawl+check / do-nothing pages/s, {args.repeat} pairs each; target >= {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
