"""Pages/s of a do-nothing Scrapy crawl served by SimServer: forward-proxy mode vs direct Host-header mode.

A 2,000-page synthetic site (about 7 KB per page; each page links to 10 children, 5 pseudo-random
pages and the home page) is served by one SimServer in a thread of this process. Scrapy runs in a
subprocess (its reactor runs once per process) and follows every link. Pages/s is
``response_received_count / elapsed_time_seconds`` from Scrapy's stats, so start-up is not counted;
the server's own CPU time per page is printed next to it (the share of a core the proxy needs).

    .venv/bin/python benchmarks/sim_server_speed.py [--pages 2000] [--runs 1] [--concurrency 16]

Modes: ``direct`` (plain requests to http://127.0.0.1:PORT/, the host taken from the Host header),
``proxy-http`` (absolute-form via the proxy) and ``proxy-https`` (CONNECT + TLS via the proxy).
The proxy modes are printed as a ratio of the direct mode measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_HOST = "bench.go.th"
FILLER_UNIT = "สำนักงานองค์การบริหารส่วนตำบล ประกาศ ข่าวประชาสัมพันธ์ "


class TreeWorld:
    """A synthetic site answering for BENCH_HOST and the loopback address (direct mode)."""

    def __init__(self, pages: int, filler: int = 60):
        from oitsim.world import HostProfile, SimResponse

        self.pages = pages
        self.filler = FILLER_UNIT * filler
        self._profile = HostProfile()
        self._cache: dict[int, bytes] = {}
        self._response = SimResponse
        self._headers = [("Content-Type", "text/html; charset=utf-8")]

    def has_host(self, host: str) -> bool:
        return host in (BENCH_HOST, "127.0.0.1")

    def profile(self, host: str):
        return self._profile

    def _page(self, n: int) -> bytes:
        body = self._cache.get(n)
        if body is None:
            kids = [10 * n + k for k in range(1, 11) if 10 * n + k < self.pages]
            rand = [(n * 7919 + k * 104729) % self.pages for k in range(5)]
            links = "".join(f'<li><a href="/p{m}.html">page {m}</a></li>' for m in kids + rand + [0])
            body = (f"<html><head><title>page {n}</title></head><body><ul>{links}</ul>"
                    f"<p>{self.filler}</p></body></html>").encode()
            self._cache[n] = body
        return body

    def respond(self, method: str, url: str, headers: dict):
        path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
        if path.startswith("p") and path.endswith(".html") and path[1:-5].isdigit():
            n = int(path[1:-5])
            if n < self.pages:
                return self._response(200, self._headers, self._page(n))
        return self._response(404, self._headers, b"<html>404</html>")


SPIDER = r'''
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess

start, proxy, concurrency = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])

class Walk(scrapy.Spider):
    name = "walk"
    async def start(self):
        yield self.req(start)
    def req(self, url):
        return scrapy.Request(url, meta={"proxy": proxy} if proxy else {})
    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            yield self.req(response.urljoin(href))

stats = {}
process = CrawlerProcess(settings={
    "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
    "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": concurrency,
    "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "DOWNLOAD_DELAY": 0,
    "HTTPPROXY_ENABLED": True, "COOKIES_ENABLED": False,
})
crawler = process.create_crawler(Walk)
process.crawl(crawler)
process.start()
s = crawler.stats.get_stats()
print(json.dumps({"pages": s.get("response_received_count", 0),
                  "elapsed": s.get("elapsed_time_seconds", 0.0),
                  "errors": s.get("downloader/exception_count", 0)}))
'''


RAW_CLIENT = r'''
import socket, sys, threading, time
port, host, conns, per_conn = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def run(k):
    sock = socket.create_connection(("127.0.0.1", port))
    reader = sock.makefile("rb")
    for i in range(per_conn):
        sock.sendall(f"GET http://{host}/p{(k * per_conn + i) % 1000}.html HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        reader.readline()
        length = 0
        while (line := reader.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        reader.read(length)

start = time.monotonic()
threads = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
[t.start() for t in threads]
[t.join() for t in threads]
print(conns * per_conn / (time.monotonic() - start))
'''


def raw_capacity(port: int, conns: int = 4, per_conn: int = 2500) -> tuple[float, float]:
    """(requests/s, server CPU ms/request) for a bare keep-alive socket client: the server's own limit."""
    cpu = _cpu_s()
    out = subprocess.run([sys.executable, "-c", RAW_CLIENT, str(port), BENCH_HOST, str(conns), str(per_conn)],
                         capture_output=True, text=True, timeout=600, check=True)
    cpu = _cpu_s() - cpu
    return float(out.stdout.strip()), 1000 * cpu / (conns * per_conn)


def _cpu_s() -> float:
    """CPU seconds used by this process so far: the server thread is the only busy one."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def crawl(start: str, proxy: str, concurrency: int) -> dict:
    """Run the do-nothing spider in a subprocess; returns pages, elapsed, pages/s and server CPU/page."""
    cpu = _cpu_s()
    out = subprocess.run([sys.executable, "-c", SPIDER, start, proxy, str(concurrency)],
                         capture_output=True, text=True, timeout=600, check=True)
    cpu = _cpu_s() - cpu
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["pages_per_s"] = result["pages"] / result["elapsed"] if result["elapsed"] else 0.0
    result["server_ms_per_page"] = 1000 * cpu / result["pages"] if result["pages"] else 0.0
    return result


def main(argv: list[str] | None = None) -> int:
    from oitsim.server import SimServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--filler", type=int, default=60,
                        help="repeats of a 55-character Thai sentence per page (60 gives ~7 KB pages)")
    args = parser.parse_args(argv)

    server = SimServer(TreeWorld(args.pages, args.filler))
    proxy, _ca = server.start_in_thread()
    modes = {
        "direct": (f"http://127.0.0.1:{server.port}/p0.html", ""),
        "proxy-http": (f"http://{BENCH_HOST}/p0.html", proxy),
        "proxy-https": (f"https://{BENCH_HOST}/p0.html", proxy),
    }
    medians = {}
    try:
        for mode, (start, via) in modes.items():
            runs = [crawl(start, via, args.concurrency) for _ in range(args.runs)]
            medians[mode] = statistics.median(r["pages_per_s"] for r in runs)
            detail = " / ".join(f"{r['pages_per_s']:.0f}" for r in runs)
            server_ms = statistics.median(r["server_ms_per_page"] for r in runs)
            print(f"{mode:12s} pages={runs[0]['pages']:5d} errors={runs[0]['errors']} "
                  f"pages/s median={medians[mode]:.0f} ({detail})  server CPU {server_ms:.2f} ms/page")
        rate, server_ms = raw_capacity(server.port)
        print(f"raw socket client (4 keep-alive connections, no Scrapy): {rate:.0f} requests/s, "
              f"server CPU {server_ms:.2f} ms/request")
    finally:
        server.stop()
    base = medians["direct"]
    for mode in ("proxy-http", "proxy-https"):
        print(f"{mode} / direct = {medians[mode] / base:.2f}")
    print(f"server stats: requests={server.stats['requests']} connections={server.stats['connections']} "
          f"tls_handshakes={server.stats['tls_handshakes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
