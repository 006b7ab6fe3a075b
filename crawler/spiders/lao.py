"""The one spider: a broad crawl of many LAO sites, or a self-check of one (a crawl of one site).

Each registry row is a site. A site starts at its registry URL (then its alternative URLs when
that fails), its home page is fingerprinted to choose the platform adapter, the adapter's entry
points are queued, and links are followed best-first: ITA/OIT hub pages first, then links whose
text, context or URL match the catalog's priority terms; links that name only fiscal years
before the previous one (old rounds kept online) come after the others. Each site has a page, depth and
document budget and a per-site frontier, so the budget goes to the most relevant links and the
memory of a site is freed when it ends. Documents are fetched within a size limit and their
text is extracted in a limited subprocess. Off-site links are recorded; those to an off-site
evidence host of config/crawl.yaml (Google Drive, Forms) that are OIT-item candidates are also
opened, within a per-site budget (crawler/offsite.py). Playwright renders only pages that need
JavaScript.

The spider yields flat evidence items (crawler/items.py); it judges nothing.
"""
from __future__ import annotations

import asyncio
import hashlib
import heapq
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy.exceptions import NotConfigured

from checks.evidence import Document, Link, Page
from checks.thai import forget_site_texts, year_evidence
from crawler import faults
from crawler import offsite as offsite_rules
from crawler.adapters import ADAPTERS, get_adapter
from crawler.extract import OcrBudget, extract_document_async, ocr_pending, set_max_workers
from crawler.fingerprint import fingerprint
from crawler.items import DocumentEvidence, LinkEvidence, PageEvidence, SiteFinished, SiteStarted, site_closed
from crawler.middlewares import classify_failure, classify_response
from crawler.parse import parse_page

logger = logging.getLogger(__name__)

#: Statuses we want to see in callbacks rather than have Scrapy drop (3xx redirects excluded).
HANDLED_STATUSES = [304] + list(range(400, 600))
HUB_BONUS = 1000
TERM_BONUS = 60
URL_TERM_BONUS = 30
NAV_BONUS = 5
DEPTH_PENALTY = 10
#: A link whose text and row name only fiscal years before the previous one (an archive's older
#: posts, an old year's tab) is crawled after this year's links: on sites that keep every
#: year online the page and document budgets would otherwise go to old rounds.
OLD_YEAR_PENALTY = 100
_HAS_4_DIGITS = re.compile(r"\d{4}")       # \d also matches Thai digits
ENTRY_PRIORITY = 5000
HOME_PRIORITY = 10000
#: A relevant link (an ITA/OIT hub or priority-term text) may repeat a URL shape this many
#: times before the trap guard refuses it: a CMS with one menu page per OIT topic
#: (/menu/1103, /menu/1109, ...) has dozens of them; the page budget still bounds the crawl.
RELEVANT_SHAPE_CAP = 300
#: Script elements with content and no src: inline code or a JSON data island.
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>\s*[^<\s]", re.I)


def host_variants(url: str) -> set[str]:
    """The URL's host and its www / non-www twin."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return set()
    twin = host[4:] if host.startswith("www.") else f"www.{host}"
    return {host, twin}


def norm_url(url: str) -> str:
    """Key for per-site de-duplication: no fragment, lower-case scheme and host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return f"{host}{port}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})


class LinkReading(NamedTuple):
    """A link as the frontier reads it (read_link)."""
    low: str            # text, lower case, dashes as "-"
    low_url: str        # URL, unquoted, lower case
    hub: bool           # the text or the URL path names an ITA/OIT hub
    hits: int           # distinct priority terms in the text

    @property
    def relevant(self) -> bool:
        return self.hub or self.hits > 0


def read_link(hub_re, term_re, text: str, url: str) -> LinkReading:
    """Read a link's text and URL against the hub and priority-term patterns (LaoSpider._term_patterns).
    LaoSpider._score and the off-site walker of benchmarks/accuracy.py both use it."""
    low = text.lower().translate(_DASHES)      # "E–Service" (the catalog's own en dash) is "E-Service"
    low_url = unquote(url).lower()
    hub = bool(hub_re and (hub_re.search(low) or hub_re.search(urlsplit(low_url).path)))
    return LinkReading(low, low_url, hub, len(set(term_re.findall(low))) if term_re is not None else 0)


def home_offsite(start_url: str, final_url: str) -> bool:
    """The home page ended on another site: neither the start host, its www twin nor a subdomain of it.

    Stricter than faults.is_offsite (same registrable domain): a sibling host under a shared
    hosting domain (a.example.com -> b.example.com) is another site too."""
    start = (urlsplit(start_url).hostname or "").lower()
    final = (urlsplit(final_url).hostname or "").lower()
    base = start.removeprefix("www.")
    if final in host_variants(start_url) or final.endswith("." + base):
        return False
    return True


def _http_problem(response) -> str | None:
    """The named problem of a non-200 answer (or one the proxy marked as failed), else None."""
    if response.status != 200 or response.headers.get(b"X-Proxy-Error"):
        return classify_response(response) or ("not_found" if response.status >= 300 else None)
    return None


def _not_modified(response) -> bool:
    """A 304 answer to our own conditional request: the store holds the document, unchanged since."""
    return response.status == 304 and bool(response.meta.get("oit_validators"))


def url_extension(url: str) -> str:
    suffix = PurePosixPath(unquote(urlsplit(url).path)).suffix
    return suffix[1:].lower() if suffix else ""


@dataclass
class SiteRow:
    """A registry row as the spider needs it."""

    lao_id: str
    urls: list[str]
    name_th: str = ""
    lao_type_th: str = ""
    platform: str = ""
    extra_urls: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, row) -> "SiteRow":
        if isinstance(row, SiteRow):
            return row
        get = (lambda k, d=None: row.get(k, d)) if isinstance(row, dict) else (lambda k, d=None: getattr(row, k, d))
        urls = list(get("urls") or []) or [u for u in [get("url", ""), *(get("alt_urls") or [])] if u]
        return cls(lao_id=str(get("lao_id", "")), urls=urls, name_th=get("name_th", "") or "",
                   lao_type_th=get("lao_type_th", "") or "", platform=get("platform", "") or "",
                   extra_urls=list(get("extra_urls") or []))


@dataclass
class SiteState:
    row: SiteRow
    url_index: int = 0
    hosts: set = field(default_factory=set)
    final_url: str | None = None
    platform: str = "generic"
    adapter: object = None
    status: str | None = None
    failures: list = field(default_factory=list)
    flags: set = field(default_factory=set)
    seen: set = field(default_factory=set)
    frontier: list = field(default_factory=list)
    inflight: int = 0
    pages_issued: int = 0
    docs_issued: int = 0
    rendered: int = 0
    items: int = 0
    pages_stored: int = 0
    docs_stored: int = 0
    seq: int = 0
    trap: object = None
    trap_relevant: object = None
    ocr: object = None              # crawler.extract.OcrBudget: this site's cap on OCR'd documents
    offsite_planned: int = 0
    offsite_shown: dict = field(default_factory=dict)   # off-site request URL -> the link as the site shows it


class LaoSpider(scrapy.Spider):
    name = "lao"
    old_before: int | None = None   # set in from_crawler: fiscal years below it are old rounds
    moved_suffixes: tuple[str, ...] = ()   # set in from_crawler: hosts trusted as an LAO's new address

    def __init__(self, sites=None, store=None, run_id=None, year=None, as_of=None, check=False, progress=None,
                 registry=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if registry and not sites:
            from oitwatch.registry import load_laos
            sites = load_laos(registry)
        self.rows = [SiteRow.of(r) for r in (sites or [])]
        for row in self.rows:
            self.validate_row(row)
        self.store = store
        self.run_id = run_id
        self.year = year
        self.as_of = as_of
        self.check = check
        self.progress = progress
        self.sites: dict[str, SiteState] = {}
        self._slot_free: asyncio.Event | None = None
        self._robots_5xx: set[str] = set()

    # ------------------------------------------------------------------ setup
    @staticmethod
    def validate_row(row: SiteRow) -> None:
        """A pinned platform must exist; a row without any URL is crawled as status no_url."""
        if not row.lao_id:
            raise NotConfigured("registry row without lao_id")
        if row.platform and row.platform not in ADAPTERS:
            raise NotConfigured(f"{row.lao_id}: pinned platform {row.platform!r} does not exist "
                                f"(known: {', '.join(sorted(ADAPTERS))})")
        for url in row.urls:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise NotConfigured(f"{row.lao_id}: not an http(s) URL: {url!r}")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.moved_suffixes = tuple(x.lower() for x in s.getlist("OIT_MOVED_DOMAIN_SUFFIXES"))
        spider.max_pages = s.getint("OIT_MAX_PAGES")
        spider.max_depth = s.getint("OIT_MAX_DEPTH")
        spider.max_docs = s.getint("OIT_MAX_DOCS")
        spider.max_doc_bytes = s.getint("OIT_MAX_DOC_BYTES")
        spider.page_maxsize = s.getint("OIT_PAGE_MAXSIZE")
        spider.active_sites = max(1, s.getint("OIT_ACTIVE_SITES"))
        spider.site_inflight = max(1, s.getint("OIT_SITE_INFLIGHT"))
        spider.doc_ext = dict(s.getdict("OIT_DOC_EXTENSIONS"))
        spider.doc_types = dict(s.getdict("OIT_DOC_CONTENT_TYPES"))
        spider.skip_ext = set(s.getlist("OIT_SKIP_EXTENSIONS"))
        spider.extract_timeout = s.getfloat("OIT_EXTRACT_TIMEOUT")
        spider.extract_mem = s.getint("OIT_EXTRACT_MEM_MB")
        set_max_workers(s.getint("OIT_EXTRACT_WORKERS", 2))
        spider.js_min_text = s.getint("OIT_JS_MIN_TEXT")
        spider.js_min_links = s.getint("OIT_JS_MIN_LINKS")
        spider.playwright = s.getbool("OIT_PLAYWRIGHT_ENABLED") and "playwright" in str(s.getdict("DOWNLOAD_HANDLERS"))
        spider.playwright_max = s.getint("OIT_PLAYWRIGHT_MAX_PER_SITE")
        spider.playwright_context = dict(s.getdict("OIT_PLAYWRIGHT_CONTEXT") or {"ignore_https_errors": True})
        spider.hub_re, spider.term_re = cls._term_patterns(s.getlist("OIT_HUB_TERMS"), spider.year)
        spider.offsite = offsite_rules.load_policy(enabled=s.getbool("OIT_OFFSITE_ENABLED"),
                                                   budget=s.getint("OIT_OFFSITE_BUDGET"))
        if spider.offsite.uses_api:
            offsite_rules.install_log_redaction()     # Drive API URLs carry the key: never log it
        spider.old_before = cls._old_year_bound(spider.year)
        return spider

    @staticmethod
    def _old_year_bound(year) -> int | None:
        """Fiscal years below this are old rounds (the ITA year and the year before are wanted)."""
        try:
            from checks.catalog import latest_complete_year
            return (int(year) if year else latest_complete_year()) - 1
        except Exception:  # noqa: BLE001 - no catalog: no year preference
            return None

    @staticmethod
    def _term_patterns(hub_terms, year):
        terms = []
        try:
            from checks.catalog import latest_complete_year, priority_terms
            terms = list(priority_terms(int(year) if year else latest_complete_year()))
        except Exception:  # noqa: BLE001 - no catalog yet: hub terms alone still steer the crawl
            logger.warning("checks.catalog.priority_terms unavailable; crawling by hub terms only")
        hub = [t.lower() for t in hub_terms if t]
        hub_re = re.compile(r"(?<![a-z])(" + "|".join(re.escape(t) for t in hub) + r")(?![a-z])") if hub else None
        terms = sorted({t.lower() for t in terms if t and t.strip()}, key=len, reverse=True)
        term_re = re.compile("|".join(re.escape(t) for t in terms)) if terms else None
        return hub_re, term_re

    # ------------------------------------------------------------------ start
    async def start(self):
        for row in self.rows:
            while len(self.sites) >= self.active_sites:
                self._slot_free = asyncio.Event()
                await self._slot_free.wait()
            start_url = row.urls[0] if row.urls else ""
            yield SiteStarted(row.lao_id, start_url, row.name_th, row.lao_type_th)
            if not row.urls:
                yield SiteFinished(row.lao_id, "no_url", None, "generic", [], items=1)
                continue
            site = SiteState(row=row, trap=faults.TrapDetector(),
                             trap_relevant=faults.TrapDetector(max_per_shape=RELEVANT_SHAPE_CAP))
            site.items = 1
            site.platform = row.platform or "generic"
            self.sites[row.lao_id] = site
            yield self._home_request(site)

    def closed(self, reason):
        for lao_id, site in self.sites.items():
            logger.warning("site %s left unfinished (%s): %d requests in flight, %d queued",
                           lao_id, reason, site.inflight, len(site.frontier))

    def _release(self, site: SiteState) -> None:
        """Drop a finished site's state, and have the components keeping per-host or per-text memos
        forget it, so memory stays flat however many sites the crawl has."""
        self.sites.pop(site.row.lao_id, None)
        forget_site_texts()     # link texts normalised for the old-year test (_only_old_years)
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.signals.send_catch_log(site_closed, lao_id=site.row.lao_id, hosts=frozenset(site.hosts))
        if self._slot_free is not None:
            self._slot_free.set()

    # ------------------------------------------------------------------ requests
    def _meta(self, site: SiteState, depth: int, role: str, kind: str, **extra) -> dict:
        meta = {"oit_site": site.row.lao_id, "oit_depth": depth, "oit_role": role, "oit_kind": kind,
                "handle_httpstatus_list": HANDLED_STATUSES,
                "download_maxsize": self.max_doc_bytes if kind == "doc" else self.page_maxsize}
        meta.update(extra)
        return meta

    def _home_request(self, site: SiteState) -> scrapy.Request:
        url = site.row.urls[site.url_index]
        site.hosts |= host_variants(url)
        site.seen.add(norm_url(url))
        site.inflight += 1
        site.pages_issued += 1
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, priority=HOME_PRIORITY,
                              dont_filter=True, meta=self._meta(site, 0, "home", "page"))

    def _enqueue(self, site: SiteState, url: str, depth: int, kind: str, score: float, force: bool = False,
                 relevant: bool = False, key: str | None = None) -> None:
        key = key or norm_url(url)
        if key in site.seen:
            return
        # Relevant links (hub or priority terms) get a larger per-shape allowance, so a long
        # generic menu of the same URL shape cannot use up the allowance of the OIT pages.
        trap = site.trap_relevant if relevant and site.trap_relevant is not None else site.trap
        if not force and not trap.admit(url):
            site.flags.add("trap_suspected")
            return
        site.seen.add(key)
        site.seq += 1
        heapq.heappush(site.frontier, (-score, site.seq, url, depth, kind))

    def _pump(self, site: SiteState) -> list:
        out = []
        while site.inflight < self.site_inflight and site.frontier:
            neg, _, url, depth, kind = heapq.heappop(site.frontier)
            if kind in ("offsite_page", "offsite_doc"):     # budgeted when queued (_follow_offsite)
                site.inflight += 1
                out.append(self._offsite_request(site, url, depth, kind, neg))
                continue
            if kind == "doc":
                if site.docs_issued >= self.max_docs:
                    site.flags.add("budget_exhausted")
                    continue
                site.docs_issued += 1
                cb = self.parse_document
            else:
                if site.pages_issued >= self.max_pages:
                    site.flags.add("budget_exhausted")
                    continue
                site.pages_issued += 1
                cb = self.parse_page
            site.inflight += 1
            out.append(scrapy.Request(url, callback=cb, errback=self.on_error, dont_filter=True,
                                      priority=int(min(-neg, ENTRY_PRIORITY)),
                                      meta=self._meta(site, depth, "page", kind)))
        return out

    def _offsite_request(self, site: SiteState, url: str, depth: int, kind: str, neg: float) -> scrapy.Request:
        doc = kind == "offsite_doc"
        return scrapy.Request(url, callback=self.parse_offsite, errback=self.on_error, dont_filter=True,
                              priority=int(min(-neg, ENTRY_PRIORITY)),
                              meta=self._meta(site, depth, "offsite", "doc" if doc else "page", oit_offsite=True,
                                              oit_shown=site.offsite_shown.get(url, url)))

    def _emit(self, site: SiteState, out: list, item) -> None:
        site.items += 1
        out.append(item)

    def _settle(self, site: SiteState, out: list) -> list:
        """After a response of `site` was handled: release more requests, or finish the site."""
        site.inflight -= 1
        out.extend(self._pump(site))
        if site.inflight <= 0 and not site.frontier:
            status = site.status or "ok"
            flags = set(site.flags)
            if any(h in self._robots_5xx for h in site.hosts):
                flags.add("robots_5xx")
            out.append(SiteFinished(site.row.lao_id, status, site.final_url, site.platform, sorted(flags),
                                    pages=site.pages_stored, documents=site.docs_stored, items=site.items))
            self._release(site)
        return out

    # ------------------------------------------------------------------ hooks for middlewares
    def add_site_flags(self, lao_id: str | None, flags) -> None:
        site = self.sites.get(lao_id or "")
        if site is not None:
            site.flags.update(flags)

    def note_robots_5xx(self, host: str) -> None:
        self._robots_5xx.add(host.lower())

    # ------------------------------------------------------------------ scoring
    def _score(self, text: str, url: str, in_nav: bool, depth: int) -> tuple[float, bool]:
        """Frontier score of a link and whether it is relevant (a hub or priority-term text)."""
        low, low_url, hub, hits = link = read_link(self.hub_re, self.term_re, text, url)
        score = HUB_BONUS if hub else 0
        relevant = link.relevant
        if self.term_re is not None:
            score += TERM_BONUS * min(hits, 3)
            if self.term_re.search(low_url):
                score += URL_TERM_BONUS
        if in_nav:
            score += NAV_BONUS
        if self.old_before and _HAS_4_DIGITS.search(low) and self._only_old_years(low):
            score -= OLD_YEAR_PENALTY
        return score - DEPTH_PENALTY * depth, relevant

    def _only_old_years(self, text: str) -> bool:
        years = year_evidence(text, self.old_before + 2).all()
        return bool(years) and max(years) < self.old_before

    def _doc_kind(self, url: str) -> str | None:
        return self.doc_ext.get(url_extension(url))

    # ------------------------------------------------------------------ callbacks
    async def parse_page(self, response):
        site = self.sites.get(response.meta.get("oit_site"))
        if site is None:
            return
        out: list = []
        try:
            kind = self._response_doc_kind(response)
            if _not_modified(response):
                # a link without a document extension that answered a document before, unchanged since
                site.docs_issued += 1
                await self._document(site, response, kind or "other", out)
            elif kind and response.status < 300 and response.meta.get("oit_role") != "home":
                site.docs_issued += 1
                await self._document(site, response, kind, out)
            else:
                self._page(site, response, out)
        except Exception:  # noqa: BLE001 - one odd page must not stop the site
            logger.exception("error handling %s", response.url)
        for x in self._settle(site, out):
            yield x

    async def parse_document(self, response):
        site = self.sites.get(response.meta.get("oit_site"))
        if site is None:
            return
        out: list = []
        try:
            kind = self._response_doc_kind(response) or self._doc_kind(response.url) or "other"
            if self._is_html(response) and response.status < 300 and not self._doc_kind(response.url):
                self._page(site, response, out)
            else:
                await self._document(site, response, kind, out)
        except Exception:  # noqa: BLE001
            logger.exception("error handling document %s", response.url)
        for x in self._settle(site, out):
            yield x

    def on_error(self, failure):
        request = failure.request
        site = self.sites.get(request.meta.get("oit_site"))
        if site is None:
            return []
        out: list = []
        status = getattr(failure.value, "oit_status", None) or classify_failure(failure)
        role, kind, depth = request.meta.get("oit_role"), request.meta.get("oit_kind"), request.meta.get("oit_depth", 0)
        url = request.meta.get("redirect_urls", [request.url])[0]
        if request.meta.get("playwright") and request.meta.get("oit_static"):
            # The render failed but the static HTML was read: keep it (and follow its links), so a
            # site whose scripts never settle is not mistaken for a site that is down.
            page, links, is_hub = request.meta["oit_static"]
            page.fetch_error = status
            if role == "home" and status == "js_never_settles":
                site.status = status
            site.flags.add("js_needed")
            self._emit(site, out, PageEvidence(site.row.lao_id, page, links))
            site.pages_stored += 1
            if depth < self.max_depth and site.status != "redirect_offsite":
                self._follow(site, links, depth, is_hub)
        elif role == "home":
            self._home_failed(site, url, 0, status, out)
        elif request.meta.get("oit_offsite"):
            if self.offsite.is_signin(getattr(failure.value, "target", None)):
                status = offsite_rules.SIGNIN_REQUIRED      # not shared publicly: Google asks to sign in
            shown = request.meta.get("oit_shown") or url
            if kind == "doc":
                self._emit(site, out, DocumentEvidence(site.row.lao_id, Document(
                    url=shown, status=0, kind=self._doc_kind(url) or "other", fetch_error=status,
                    extract_status="fetch_error", source_url=offsite_rules.redact(url) if url != shown else None)))
                site.docs_stored += 1
            else:
                self._emit(site, out, PageEvidence(site.row.lao_id, Page(url=url, status=0, depth=depth,
                                                                          fetch_error=status)))
                site.pages_stored += 1
        elif kind == "doc":
            doc = Document(url=url, status=0, kind=self._doc_kind(url) or "other", fetch_error=status,
                           extract_status="too_large" if status == "too_large" else "fetch_error")
            self._emit(site, out, DocumentEvidence(site.row.lao_id, doc))
            site.docs_stored += 1
        else:
            page = Page(url=url, status=0, depth=depth, fetch_error=status)
            self._emit(site, out, PageEvidence(site.row.lao_id, page))
            target = getattr(failure.value, "target", None)
            if target:   # where an on-site URL redirects off-site: kept as a link, not fetched
                self._emit(site, out, LinkEvidence(site.row.lao_id, [Link(
                    source_url=url, href=target, url=target, kind="redirect")]))
            site.pages_stored += 1
        return self._settle(site, out)

    # ------------------------------------------------------------------ pages
    @staticmethod
    def _is_html(response) -> bool:
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        return isinstance(response, scrapy.http.TextResponse) and ("html" in ctype or "xml" in ctype or not ctype)

    def _response_doc_kind(self, response) -> str | None:
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower()
        if ctype in self.doc_types:
            return self.doc_types[ctype]
        if ctype in ("application/octet-stream", "application/force-download", "binary/octet-stream", ""):
            return self._doc_kind(response.url)
        return None

    def _home_failed(self, site: SiteState, url: str, http_status: int, status: str, out: list) -> None:
        site.failures.append(status)
        self._emit(site, out, PageEvidence(site.row.lao_id, Page(url=url, status=http_status, depth=0,
                                                                  fetch_error=status)))
        site.pages_stored += 1
        if site.url_index + 1 < len(site.row.urls):
            site.url_index += 1
            out.append(self._home_request(site))
        else:
            site.status = site.failures[0]

    def _page(self, site: SiteState, response, out: list) -> None:
        meta = response.meta
        depth, role = meta.get("oit_depth", 0), meta.get("oit_role")
        requested = meta.get("oit_requested") or meta.get("redirect_urls", [None])[0]
        problem = _http_problem(response)
        if problem is None and self._is_html(response) and faults.is_challenge_page(response.body):
            problem = "blocked"
        if problem:
            if role == "home":
                self._home_failed(site, requested or response.url, response.status, problem, out)
            else:
                self._emit(site, out, PageEvidence(site.row.lao_id, Page(
                    url=response.url, status=response.status, depth=depth, fetch_error=problem,
                    requested_url=requested, size=len(response.body))))
                site.pages_stored += 1
            return
        if not self._is_html(response):
            self._emit(site, out, PageEvidence(site.row.lao_id, Page(
                url=response.url, status=response.status, depth=depth, requested_url=requested,
                content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1"),
                size=len(response.body))))
            site.pages_stored += 1
            return
        html = response.text
        parsed = parse_page(response.url, html)
        if faults.is_soft_404(parsed.title, parsed.text):   # a 200 page that says "not found"
            if role == "home":
                self._home_failed(site, requested or response.url, response.status, "soft_404", out)
            else:
                self._emit(site, out, PageEvidence(site.row.lao_id, Page(
                    url=response.url, status=response.status, title=parsed.title, text=parsed.text, depth=depth,
                    fetch_error="soft_404", requested_url=requested, size=len(response.body))))
                site.pages_stored += 1
            return
        offsite_home = False
        if role == "home":
            site.status = "ok"
            site.final_url = response.url
            site.seen.add(norm_url(response.url))   # a redirected home is not fetched again at its final URL
            elsewhere = home_offsite(site.row.urls[site.url_index], response.url)
            if elsewhere and not self._moved(response.url):
                # The registry URL now lands on another domain (parked, sold or hijacked):
                # its home page is kept for the identity check, nothing there is crawled.
                site.status, offsite_home = "redirect_offsite", True
            else:
                if elsewhere:
                    site.flags.add("moved_domain")     # the LAO's new address: crawled, registry to update
                site.hosts |= host_variants(response.url)
            adapter = get_adapter(site.row.platform) if site.row.platform else fingerprint(
                response.url, html, parsed.generator)
            site.adapter, site.platform = adapter, adapter.name
            for u in site.row.extra_urls:   # URLs an LAO plans to submit: fetched even off-site, not followed
                self._enqueue(site, u, 1, "doc" if self._doc_kind(u) else "page", ENTRY_PRIORITY * 2, force=True)
            for u in ([] if offsite_home else adapter.entry_points(response.url, html)):
                self._enqueue(site, u, 1, "page", ENTRY_PRIORITY)
        rendered = bool(meta.get("playwright"))
        own_links = [l for l in parsed.links if l.url and (urlsplit(l.url).hostname or "").lower() in site.hosts]
        title_text = f"{parsed.title} {unquote(response.url)}".lower()
        is_hub = bool(self.hub_re and self.hub_re.search(title_text))
        needs_js = not rendered and not offsite_home and self._needs_js(parsed, own_links, is_hub, response.body)
        page = Page(url=response.url, status=response.status, title=parsed.title, text=parsed.text, depth=depth,
                    content_type="text/html", rendered=rendered, requested_url=requested, size=len(response.body))
        if needs_js and not rendered:
            if self.playwright and site.rendered < self.playwright_max:
                site.rendered += 1
                site.inflight += 1
                out.append(scrapy.Request(
                    response.url, dont_filter=True, callback=self.parse_page, errback=self.on_error,
                    priority=response.request.priority,
                    meta=self._meta(site, depth, role, "page", playwright=True, playwright_context="oit",
                                    playwright_page_goto_kwargs={"wait_until": "networkidle"},
                                    playwright_context_kwargs=self.playwright_context,
                                    oit_requested=requested, oit_static=(page, parsed.links, is_hub))))
                return
            site.flags.add("js_needed")
        if rendered:
            site.flags.add("js_rendered")
        self._emit(site, out, PageEvidence(site.row.lao_id, page, parsed.links))
        site.pages_stored += 1
        if depth >= self.max_depth or offsite_home:
            return
        self._follow(site, own_links, depth, is_hub)
        self._follow_offsite(site, parsed.links, depth, is_hub)
        if parsed.meta_refresh and (urlsplit(parsed.meta_refresh).hostname or "").lower() in site.hosts:
            self._enqueue(site, parsed.meta_refresh, depth, "page", HUB_BONUS)

    def _moved(self, url: str) -> bool:
        """The home page landed on a host under a suffix config trusts as an LAO's own new address."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host.endswith(sfx) for sfx in self.moved_suffixes)

    def _needs_js(self, parsed, own_links: list, is_hub: bool, body: bytes) -> bool:
        """Whether the page's content is built by JavaScript, from what the static HTML shows.

        Real signals only: scripts plus a near-empty visible body, or scripts plus (almost) no
        link to the site itself (a shell whose menu a script builds: a static page always links
        back to its own site), or an ITA/OIT hub page whose content area (links outside menus)
        has fewer than OIT_JS_MIN_LINKS links while inline scripts or data islands are present."""
        if parsed.script_count <= 0:
            return False
        if parsed.body_text_len < self.js_min_text or len(own_links) < self.js_min_links:
            return True
        if is_hub:
            content_links = [l for l in own_links if not l.in_nav]
            return len(content_links) < self.js_min_links and bool(_INLINE_SCRIPT.search(body))
        return False

    def _follow(self, site: SiteState, links: list, depth: int, is_hub: bool) -> None:
        """Queue the on-site links of a page at depth `depth`, best-first."""
        seen = site.seen
        for link in links:
            url = link.url
            if link.kind == "form" or not url or (urlsplit(url).hostname or "").lower() not in site.hosts:
                continue
            key = norm_url(url)
            if key in seen:   # most links of a page are its menus, queued long ago: skip them before scoring
                continue
            ext = url_extension(url)
            if ext in self.skip_ext:
                continue
            kind = "doc" if ext in self.doc_ext else "page"
            score, relevant = self._score(f"{link.text} {link.context}", url, link.in_nav, depth + 1)
            if is_hub:
                score += TERM_BONUS
            self._enqueue(site, url, depth + 1, kind, score, relevant=relevant or is_hub, key=key)

    def _follow_offsite(self, site: SiteState, links: list, depth: int, is_hub: bool) -> None:
        """Queue the off-site evidence links (crawler/offsite.py) that are OIT-item candidates."""
        if not self.offsite.enabled:
            return
        for link in links:
            url = link.url
            if link.kind == "form" or not self.offsite.accepts(url) or \
                    (urlsplit(url).hostname or "").lower() in site.hosts:
                continue
            score, relevant = self._score(f"{link.text} {link.context}", url, link.in_nav, depth + 1)
            if not (relevant or is_hub):
                continue
            plan = [f for f in self.offsite.plan(url) if norm_url(f.url) not in site.seen]
            if site.offsite_planned + len(plan) > self.offsite.budget:   # a link is opened whole or not at all
                if plan:
                    site.flags.add("offsite_budget_exhausted")
                continue
            site.offsite_planned += len(plan)
            for fetch in plan:
                site.offsite_shown.setdefault(fetch.url, fetch.shown)
                self._enqueue(site, fetch.url, depth + 1, f"offsite_{fetch.kind}", score + TERM_BONUS, force=True)

    async def parse_offsite(self, response):
        """An off-site evidence link: its document (recorded under the link as shown), or its page
        (title and text only: its links are not followed nor recorded)."""
        site = self.sites.get(response.meta.get("oit_site"))
        if site is None:
            return
        out: list = []
        try:
            kind = self._response_doc_kind(response)
            meta = response.meta
            if _not_modified(response):
                # unchanged since the store's copy (a conditional request): reused, as on the site
                await self._document(site, response, kind or "other", out)
            elif kind and response.status < 300:
                await self._document(site, response, kind, out)
            elif meta.get("oit_kind") == "doc":     # a download URL that answered no document (an HTML page)
                url = meta.get("redirect_urls", [response.url])[0]
                if self.offsite.is_api(response.url) and response.status >= 300:
                    problem = offsite_rules.api_fetch_error(response.status)   # the API's JSON error
                else:
                    problem = classify_response(response) or "not_a_document"
                self._emit(site, out, DocumentEvidence(site.row.lao_id, Document(
                    url=meta.get("oit_shown") or url, status=response.status, kind="other",
                    fetch_error=problem, extract_status="fetch_error", source_url=offsite_rules.redact(url))))
                site.docs_stored += 1
            else:
                requested = meta.get("redirect_urls", [None])[0]
                problem = _http_problem(response)
                html = response.text if self._is_html(response) and not problem else ""
                parsed = parse_page(response.url, html) if html else None
                self._emit(site, out, PageEvidence(site.row.lao_id, Page(
                    url=response.url, status=response.status, title=parsed.title if parsed else "",
                    text=parsed.text if parsed else "", depth=meta.get("oit_depth", 0), fetch_error=problem,
                    requested_url=requested if requested != response.url else None,
                    content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1"),
                    size=len(response.body))))
                site.pages_stored += 1
        except Exception:  # noqa: BLE001 - one odd off-site answer must not stop the site
            logger.exception("error handling off-site %s", offsite_rules.redact(response.url))
        for x in self._settle(site, out):
            yield x

    # ------------------------------------------------------------------ documents
    async def _document(self, site: SiteState, response, kind: str, out: list) -> None:
        meta = response.meta
        fetched = meta.get("redirect_urls", [response.url])[0]
        url = meta.get("oit_shown") or fetched      # an off-site download is recorded under the link as shown
        if meta.get("oit_offsite"):
            fetched = offsite_rules.redact(fetched)  # a Drive API URL's key is never stored
        source = fetched if url != fetched else None
        store = self.store
        validators = meta.get("oit_validators")
        reused = False
        if _not_modified(response):
            blob = store.blob(validators["sha256"])
            doc = Document(url=url, status=200, kind=validators.get("kind") or kind, size=validators.get("size") or 0,
                           sha256=validators["sha256"], text=blob["text"] if blob else None,
                           extract_status=(blob or {}).get("extract_status") or "ok", pages=(blob or {}).get("pages"))
            reused = True
        elif response.status >= 300:
            doc = Document(url=url, status=response.status, kind=kind,
                           fetch_error=classify_response(response) or "not_found", extract_status="fetch_error")
        else:
            body = response.body
            sha = hashlib.sha256(body).hexdigest()
            blob = store.blob(sha) if store is not None else None
            if blob is not None and not ocr_pending(blob):
                doc = Document(url=url, status=response.status, kind=blob.get("kind") or kind, size=len(body),
                               sha256=sha, text=blob["text"], extract_status=blob.get("extract_status") or "ok",
                               pages=blob.get("pages"))
                reused = True
            else:
                site.ocr = site.ocr or OcrBudget()
                res = await extract_document_async(body, kind, timeout_s=self.extract_timeout,
                                                   mem_mb=self.extract_mem, ocr=site.ocr)
                doc = Document(url=url, status=response.status, kind=kind, size=len(body), sha256=sha,
                               text=res.text, extract_status=res.status, pages=res.pages)
            if store is not None:
                h = response.headers
                etag = (h.get(b"ETag") or b"").decode("latin-1") or None
                lm = (h.get(b"Last-Modified") or b"").decode("latin-1") or None
                if etag or lm:
                    store.save_validators(fetched, etag=etag, last_modified=lm, sha256=sha, kind=doc.kind,
                                          size=len(body))
        doc.source_url = source
        self._emit(site, out, DocumentEvidence(site.row.lao_id, doc, reused=reused))
        site.docs_stored += 1


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
