"""Scrapy settings of the OIT Watch crawler: every setting lives here.

Politeness values that are policy (User-Agent contact, per-host limits, budgets) come from
config/crawl.yaml; the mechanics are below. Our own settings carry the ``OIT_`` prefix and each
component has an ``OIT_<NAME>_ENABLED`` switch. ``FAST_PROFILE`` holds the overrides used only
against the simulated web (benchmarks, demo, tests): no delay and higher concurrency.
"""
from __future__ import annotations

from pathlib import Path

import yaml

_CRAWL_YAML = Path(__file__).resolve().parent.parent / "config" / "crawl.yaml"
with _CRAWL_YAML.open(encoding="utf-8") as _fh:
    _POLICY = yaml.safe_load(_fh)
_P = _POLICY["politeness"]
_B = _POLICY["budget"]
_F = _POLICY["fast"]
# OCR of scanned PDFs: the `ocr:` section is read by crawler.extract.ocr_policy(); checked here so
# that a bad value, or OCR switched on without its model or binding, stops a crawl at start with a
# message naming the key or the missing files, not document by document.
from crawler.extract import OcrPolicy as _OcrPolicy, ocr_ready as _ocr_ready  # noqa: E402

_ocr_ready(_OcrPolicy.from_config(_POLICY.get("ocr")))

BOT_NAME = "oitwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- identity and politeness
USER_AGENT = (f"{_POLICY['user_agent']['product']} "
              f"(+{_POLICY['user_agent']['contact_url']})")
ROBOTSTXT_OBEY = bool(_P["obey_robots_txt"])
CONCURRENT_REQUESTS = int(_P["concurrent_requests"])
CONCURRENT_REQUESTS_PER_DOMAIN = int(_P["per_host_concurrency"])
DOWNLOAD_DELAY = float(_P["download_delay_s"])
DOWNLOAD_DELAY_JITTER = 0.5
# per-host slots for shared platforms (Google Drive/Forms): Scrapy's DOWNLOAD_SLOTS
DOWNLOAD_SLOTS = {host: {"concurrency": int(v["concurrency"]), "delay": float(v["delay_s"])}
                  for host, v in (_P.get("shared_hosts") or {}).items()}
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = max(DOWNLOAD_DELAY, 0.5)
AUTOTHROTTLE_MAX_DELAY = float(_P["autothrottle_max_delay_s"])
AUTOTHROTTLE_TARGET_CONCURRENCY = float(_P["autothrottle_target_concurrency"])
COOKIES_ENABLED = False
DNSCACHE_ENABLED = True
DNSCACHE_SIZE = 20000
DNS_TIMEOUT = 20
DOWNLOAD_TIMEOUT = int(_P["download_timeout_s"])
DOWNLOAD_MAXSIZE = int(_B["max_doc_bytes"]) + 1_000_000
DOWNLOAD_WARNSIZE = 5_000_000
REDIRECT_MAX_TIMES = 8
# Scrapy's depth counts callback hops, but the spider releases requests from a per-site frontier
# (a depth-1 link may leave from a depth-4 page's callback), so DepthMiddleware must not drop
# anything: the spider enforces the per-site link-depth budget (OIT_MAX_DEPTH) itself.
DEPTH_LIMIT = 0
DEPTH_STATS_VERBOSE = False
RETRY_ENABLED = True
RETRY_TIMES = int(_P["retry_times"])
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REACTOR_THREADPOOL_MAXSIZE = 20
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "WARNING"

# --- broad crawl: the spider deduplicates per site and frees the memory when a site ends
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every callback's output (async callbacks):
# 100 by default, i.e. ~100 tasks per page for the 2-3 items a page yields. A few suffice.
CONCURRENT_ITEMS = 4
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
DEPTH_PRIORITY = 0

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.TargetGuardMiddleware": 50,       # proxy + private-address refusal, also for redirects
    "crawler.middlewares.ConditionalRequestMiddleware": 60,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.extract.CharsetRepairMiddleware": 580,          # after HttpCompression (590) decompressed
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.TlsObserverMiddleware": 960,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,          # same place; gives a hanging host up after robots.txt
}
ITEM_PIPELINES = {
    "crawler.pipelines.StorePipeline": 300,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.middlewares.IdleConnectionsExtension": 500,
}

# --- OIT Watch components
OIT_STORE_PIPELINE_ENABLED = True
OIT_CHECK_WORKERS = 1                       # processes judging finished sites while the crawl goes on (0 = inline)
OIT_TARGET_GUARD_ENABLED = True
OIT_CONDITIONAL_REQUESTS_ENABLED = True
OIT_BACKOFF_RETRY_ENABLED = True
OIT_TLS_OBSERVER_ENABLED = True
OIT_PROXY = ""                              # forward proxy for every request (the simulated web), "" = none
OIT_ALLOW_PRIVATE = False                   # allow loopback/private targets (local testing only)
OIT_RETRY_MAX_WAIT = float(_P["retry_max_wait_s"])
OIT_RETRY_BACKOFF_BASE = 1.0                # seconds; doubled per attempt, capped at OIT_RETRY_MAX_WAIT
OIT_ACTIVE_SITES = int(_P["active_sites"])  # sites crawled at once in a broad crawl
OIT_SITE_INFLIGHT = 4                       # requests of one site queued or downloading at once
OIT_MOVED_DOMAIN_SUFFIXES = list(_POLICY.get("moved_domain_suffixes") or [])
OIT_MAX_PAGES = int(_B["max_pages"])
OIT_MAX_DEPTH = int(_B["max_depth"])
OIT_MAX_DOC_BYTES = int(_B["max_doc_bytes"])
OIT_MAX_DOCS = int(_B["max_docs"])
OIT_PAGE_MAXSIZE = 5_000_000
_O = _POLICY.get("offsite") or {}
OIT_OFFSITE_ENABLED = bool(_O.get("enabled", False))      # open OIT links to the hosts of crawl.yaml offsite.hosts
OIT_OFFSITE_BUDGET = int(_O.get("budget_per_site", 0))    # off-site requests per site (crawler/offsite.py)
OIT_EXTRACT_TIMEOUT = 30                    # seconds per document extraction
OIT_EXTRACT_MEM_MB = 512
OIT_ROBOTS_HOSTS = 4096                     # parsed robots.txt files of hosts no site owns kept (a finished
                                            # site's hosts are forgotten when it closes)
OIT_IDLE_CONNECTIONS_ENABLED = True
OIT_HTTP_IDLE_TIMEOUT = 60.0                # seconds an idle keep-alive connection is kept (Twisted: 240)
OIT_EXTRACT_WORKERS = 2                     # document extractions at once (threads running pdftotext/office workers)
OIT_DOC_EXTENSIONS = {"pdf": "pdf", "doc": "doc", "docx": "docx", "xls": "xls", "xlsx": "xlsx", "pptx": "pptx",
                      "ppt": "other", "odt": "other", "ods": "other", "rtf": "other"}
OIT_DOC_CONTENT_TYPES = {
    "application/pdf": "pdf", "application/msword": "doc", "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
OIT_SKIP_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "mp3", "mp4", "avi", "mov", "wmv",
                       "flv", "zip", "rar", "7z", "gz", "tar", "exe", "apk", "iso", "css", "js", "woff", "woff2",
                       "ttf", "eot", "swf", "xml", "json", "rss"]
OIT_HUB_TERMS = ["ita", "oit"]              # ASCII markers of the ITA/OIT hub page; Thai terms come from the catalog
OIT_JS_MIN_TEXT = 200                       # a page with less visible text than this and scripts may need JS
OIT_JS_MIN_LINKS = 3                        # a page with scripts and fewer on-site links than this needs JS;
                                            # so does an ITA hub with fewer outside its menus and inline scripts
OIT_PLAYWRIGHT_ENABLED = True
OIT_PLAYWRIGHT_MAX_PER_SITE = 6             # rendered pages per site at most
OIT_PLAYWRIGHT_CONTEXT = {"ignore_https_errors": True}   # browser context options (the runner adds the proxy)
OIT_PLAYWRIGHT_DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"],
}
PLAYWRIGHT_ABORT_REQUEST = "crawler.middlewares.playwright_abort_request"
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20000

# Overrides for a self-check (`oit check`, crawl_one): one site crawled once, on demand, so a
# short burst of 4 parallel requests is acceptable; AutoThrottle still backs off a slow server.
SELF_CHECK_PROFILE = {
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "DOWNLOAD_DELAY": 0.1,
    "AUTOTHROTTLE_START_DELAY": 0.1,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0,
    "OIT_SITE_INFLIGHT": 8,
    "OIT_CHECK_WORKERS": 0,
}

# Overrides for the simulated web only (`--fast`): never use them against real LAO servers.
FAST_PROFILE = {
    "CONCURRENT_REQUESTS": int(_F["concurrent_requests"]),
    "CONCURRENT_REQUESTS_PER_DOMAIN": int(_F["per_host_concurrency"]),
    "DOWNLOAD_DELAY": float(_F["download_delay_s"]),
    "AUTOTHROTTLE_ENABLED": bool(_F["autothrottle"]),
    "OIT_ACTIVE_SITES": int(_F["active_sites"]),
    "OIT_SITE_INFLIGHT": int(_F["per_host_concurrency"]) * 2,
    "DOWNLOAD_TIMEOUT": 20,
    "RETRY_TIMES": 1,
    "OIT_RETRY_MAX_WAIT": 2.0,
    "OIT_RETRY_BACKOFF_BASE": 0.2,
    "OIT_CHECK_WORKERS": 2,
}
