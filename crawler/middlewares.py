"""Downloader middlewares of the OIT Watch crawler, plus the fault/target fallbacks they share.

* ``TargetGuardMiddleware`` sets the forward proxy (``OIT_PROXY``) and refuses private/loopback
  targets unless ``OIT_ALLOW_PRIVATE``; it runs for every request, so redirects are checked too
  (an off-site evidence request may only redirect among the hosts of crawler/offsite.py).
* ``ConditionalRequestMiddleware`` sends If-None-Match / If-Modified-Since for documents the
  store already holds, so an unchanged document is neither downloaded nor extracted again.
* ``BackoffRetryMiddleware`` retries transient errors with exponential backoff and honours
  ``Retry-After`` (capped by ``OIT_RETRY_MAX_WAIT``).
* ``TlsObserverMiddleware`` records expired / self-signed certificates as site flags (Scrapy does
  not verify certificates, so such sites are still crawled).
* ``IdleConnectionsExtension`` (an extension, not a middleware) keeps an idle keep-alive
  connection ``OIT_HTTP_IDLE_TIMEOUT`` seconds instead of Twisted's 240, and drops the connection
  pool's empty per-host entries when a site closes.
* ``RobotsTxtMiddleware`` is Scrapy's, plus: a host whose robots.txt timed out is not asked again
  (its queued requests fail at once as timeouts), and the parsed robots.txt of a finished site's
  hosts is forgotten, so memory does not grow with the number of sites.
"""
from __future__ import annotations

import asyncio
import logging
import random
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawler import faults, netguard
from crawler.items import site_closed
from crawler.offsite import redact
from crawler.extract import ocr_pending

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- shared helpers

class TargetRefused(IgnoreRequest):
    """A request to a private/loopback address was refused (status private_address_refused)."""

    oit_status = "private_address_refused"


class RedirectRefused(IgnoreRequest):
    """A redirect the crawler does not follow: off the site (not for the home page) or a loop."""

    def __init__(self, status: str, target: str):
        super().__init__(f"{status}: {target}")
        self.oit_status = status
        self.target = target if status == "redirect_offsite" else None


def classify_failure(failure) -> str:
    """Named status for a failed request (crawler.faults)."""
    return faults.classify_failure(failure)


def classify_response(response) -> str | None:
    """Named status for an unusable response, None for a readable one (crawler.faults)."""
    return faults.classify_response(response)


def playwright_abort_request(req) -> bool:
    """Images, media, fonts and CSS are not needed to read a rendered page."""
    return req.resource_type in {"image", "media", "font", "stylesheet"}


def _netloc_host(netloc: str) -> str:
    """The lower-case host name of a URL netloc (no user info, no port)."""
    try:
        return (urlsplit(f"//{netloc}").hostname or "").lower()
    except ValueError:
        return ""


# --------------------------------------------------------------------------- middlewares

class TargetGuardMiddleware:
    """Proxy every request through OIT_PROXY (if set) and refuse private targets."""

    def __init__(self, crawler, proxy: str, allow_private: bool):
        self.crawler = crawler
        self.proxy = proxy
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("OIT_TARGET_GUARD_ENABLED", True):
            raise NotConfigured("OIT_TARGET_GUARD_ENABLED is False")
        return cls(crawler, s.get("OIT_PROXY") or "", s.getbool("OIT_ALLOW_PRIVATE"))

    def _check_redirect(self, request) -> None:
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        problem = faults.classify_redirect(chain, request.url)
        if problem:
            raise RedirectRefused(problem, request.url)
        if request.meta.get("oit_role") == "home" or request.meta.get("oit_force"):
            return
        spider = self.crawler.spider
        if request.meta.get("oit_offsite") and getattr(spider, "offsite", None) is not None \
                and spider.offsite.redirect_ok(request.url):
            return      # an off-site evidence link may redirect among the accepted off-site hosts
        site = getattr(spider, "sites", {}).get(request.meta.get("oit_site"))
        if site is not None and (urlsplit(request.url).hostname or "").lower() not in site.hosts:
            raise RedirectRefused("redirect_offsite", request.url)

    async def process_request(self, request, spider=None):
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
        if "oit_site" in request.meta:
            self._check_redirect(request)
        if self.allow_private:
            return None
        # Through the forward proxy the proxy resolves names, so only literal addresses and
        # loopback names are judged here; direct requests also resolve (in a thread).
        resolve = not request.meta.get("proxy")
        try:
            if resolve:
                await asyncio.to_thread(netguard.check_target, request.url, False)
            else:
                netguard.check_target(request.url, False, resolve=False)
        except netguard.RefusedTarget as exc:
            raise TargetRefused(str(exc)) from exc
        return None


class ConditionalRequestMiddleware:
    """Send validators for documents whose content the store already holds.

    A document link (by its extension) is looked up always; a link that looks like a page is looked
    up too, since sites serve files from scripts (``download.php?file=123``): validators are only
    stored for URLs that answered a document, so a real page finds none and goes out unchanged."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("OIT_CONDITIONAL_REQUESTS_ENABLED", True):
            raise NotConfigured("OIT_CONDITIONAL_REQUESTS_ENABLED is False")
        return cls(crawler)

    def process_request(self, request, spider=None):
        if request.meta.get("oit_kind") not in ("doc", "page") or request.meta.get("oit_role") == "home" \
                or "oit_validators" in request.meta or request.meta.get("playwright"):
            return None
        store = getattr(self.crawler.spider, "store", None)
        if store is None:
            return None
        # off-site (Drive API) URLs are stored with their key redacted (crawler/offsite.py)
        v = store.validators(redact(request.url) if request.meta.get("oit_offsite") else request.url)
        stored = store.blob_meta(v["sha256"]) if v and v.get("sha256") else None
        # a stored scan not OCR'd yet is fetched in full, so that this crawl can OCR it
        if stored is None or ocr_pending(stored):
            request.meta["oit_validators"] = None
            return None
        request.meta["oit_validators"] = v
        if v.get("etag"):
            request.headers[b"If-None-Match"] = v["etag"]
        if v.get("last_modified"):
            request.headers[b"If-Modified-Since"] = v["last_modified"]
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that waits before retrying: Retry-After if the server gave one, else backoff."""

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("OIT_BACKOFF_RETRY_ENABLED", True):
            raise NotConfigured("OIT_BACKOFF_RETRY_ENABLED is False")
        o = cls(crawler.settings)
        o.crawler = crawler
        o.max_wait = crawler.settings.getfloat("OIT_RETRY_MAX_WAIT")
        o.base = crawler.settings.getfloat("OIT_RETRY_BACKOFF_BASE")
        return o

    def _wait(self, request, retry_after: float | None) -> float:
        attempt = request.meta.get("retry_times", 0)
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        return min(self.base * (2 ** attempt) * (0.5 + random.random()), self.max_wait)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(self._wait(request, faults.retry_after_seconds(response)))
        return retry

    async def process_exception(self, request, exception, spider=None):
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self._wait(request, None))
        return retry


class TlsObserverMiddleware:
    """Record tls_expired / tls_self_signed flags from the certificate of site home pages."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("OIT_TLS_OBSERVER_ENABLED", True):
            raise NotConfigured("OIT_TLS_OBSERVER_ENABLED is False")
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        spider = self.crawler.spider
        if request.meta.get("oit_role") == "home" and response.url.startswith("https://"):
            flags = faults.tls_flags(getattr(response, "certificate", None))
            if flags and hasattr(spider, "add_site_flags"):
                spider.add_site_flags(request.meta.get("oit_site"), flags)
        if (urlsplit(request.url).path == "/robots.txt" and response.status >= 500
                and not response.headers.get(b"X-Proxy-Error") and hasattr(spider, "note_robots_5xx")):
            spider.note_robots_5xx(urlsplit(request.url).hostname or "")
        return response


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware; a host whose robots.txt timed out is given up at once.

    Scrapy lets a page request go on when its host's robots.txt could not be fetched. For a host
    that accepts connections and never answers, that cost a second full DOWNLOAD_TIMEOUT (with its
    retries) before the site ended as ``timeout``. Here the requests waiting on that robots.txt,
    and later ones to the same host, fail at once with a download timeout (not retried), so the
    site ends as ``timeout`` after the robots.txt wait alone. Other robots.txt failures (refused,
    DNS, 5xx) keep Scrapy's behaviour: the page request itself says what is wrong.

    A broad crawl asks each host once and moves on, so this state must not grow with the number
    of sites: when the spider drops a finished site (signal ``crawler.items.site_closed``), the
    parsed robots.txt of its hosts is forgotten; hosts no site owns (off-site evidence hosts, a
    parked domain a home page redirected to) are kept for the last ``OIT_ROBOTS_HOSTS`` hosts.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self._timed_out: dict[str, str] = {}
        self._max_hosts = max(64, crawler.settings.getint("OIT_ROBOTS_HOSTS", 4096))
        crawler.signals.connect(self.site_closed, signal=site_closed)

    def site_closed(self, lao_id=None, hosts=()) -> None:
        """Forget the robots.txt of a finished site's hosts (one still being fetched stays)."""
        if not hosts:
            return
        for table in (self._parsers, self._timed_out):
            for netloc in [k for k, v in table.items() if not hasattr(v, "addCallback")
                           and _netloc_host(k) in hosts]:
                del table[netloc]

    def _robots_error(self, exc, netloc: str) -> None:
        if faults.classify_failure(exc) == "timeout":
            self._timed_out[netloc] = f"{type(exc).__name__}: {exc}"
        super()._robots_error(exc, netloc)

    async def process_request(self, request, spider=None):
        if not request.meta.get("dont_obey_robotstxt"):
            netloc = urlparse_cached(request).netloc
            if netloc not in self._timed_out:
                await super().process_request(request)
                self._forget_old_hosts()
            if netloc in self._timed_out:
                request.meta["dont_retry"] = True
                raise DownloadTimeoutError(f"robots.txt of {netloc} timed out ({self._timed_out[netloc]}); "
                                           "the host is not asked again")

    def _forget_old_hosts(self) -> None:
        for table in (self._parsers, self._timed_out):
            extra = len(table) - self._max_hosts
            if extra <= 0:
                continue
            # oldest first (dicts keep insertion order); a robots.txt still being fetched stays
            for netloc in [k for k, v in table.items() if not hasattr(v, "addCallback")][:extra]:
                del table[netloc]


class IdleConnectionsExtension:
    """Idle HTTP keep-alive connections are not kept for hosts whose site is over.

    Scrapy's HTTP/1.1 handler keeps an idle persistent connection for Twisted's default of 240 s,
    and Twisted's pool keeps a list per (scheme, host, port, proxy) for the whole crawl, empty or
    not. A broad crawl asks a host only while its site is crawled, so at a few sites a second
    hundreds of connections (TLS state and a file descriptor each) to finished sites stayed open,
    and the per-host entries grew with the number of sites. Here an idle connection is kept
    ``OIT_HTTP_IDLE_TIMEOUT`` seconds (longer than any gap between two requests of one site:
    AutoThrottle's maximum delay, the retry backoff), and the empty entries are dropped when a
    site closes (signal ``crawler.items.site_closed``). What is fetched does not change; a
    request after a longer gap opens a new connection.
    """

    def __init__(self, crawler, idle_timeout: float):
        self.crawler = crawler
        self.idle_timeout = idle_timeout
        from scrapy import signals

        crawler.signals.connect(self.apply, signal=signals.engine_started)
        crawler.signals.connect(self.site_closed, signal=site_closed)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("OIT_IDLE_CONNECTIONS_ENABLED", True):
            raise NotConfigured("OIT_IDLE_CONNECTIONS_ENABLED is False")
        return cls(crawler, s.getfloat("OIT_HTTP_IDLE_TIMEOUT", 60.0))

    def pools(self) -> list:
        """The connection pools of the loaded HTTP download handlers (Scrapy's and Playwright's)."""
        handlers = getattr(getattr(getattr(self.crawler, "engine", None), "downloader", None), "handlers", None)
        pools = []
        for handler in (getattr(handlers, "_handlers", None) or {}).values():
            pool = getattr(handler, "_pool", None)
            if pool is not None and hasattr(pool, "cachedConnectionTimeout") and pool not in pools:
                pools.append(pool)
        return pools

    def apply(self) -> None:
        for pool in self.pools():
            pool.cachedConnectionTimeout = self.idle_timeout

    def site_closed(self, lao_id=None, hosts=()) -> None:
        for pool in self.pools():
            pool.cachedConnectionTimeout = self.idle_timeout    # a handler loaded lazily since
            entries = getattr(pool, "_connections", None)
            if isinstance(entries, dict):
                for key in [k for k, v in entries.items() if not v]:   # no cached connection: no timer either
                    del entries[key]
