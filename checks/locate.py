"""Finding where an item lives on a site: candidates from O-code tables, ITA hubs, menu labels,
link context, page titles, URL slugs and accepted channel hosts; and resolving a candidate's
links to what the crawler fetched (pages, documents, off-site targets).

Collects and ranks; judges nothing (the checks do).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from checks.catalog import Catalog, CatalogItem
from checks.evidence import Document, Link, Page, SiteEvidence
from checks.thai import contains_any, lexicon, normalise, squash, year_evidence

MAX_CANDIDATES = 8
HUB_MIN_ITEMS = 6          # a page linking to this many different items is a hub/listing page
_LEADING_NUMBER = re.compile(r"^\s*(?:[a-z]{1,3}\s*[-.]?\s*\d+|\d+(?:\.\d+)*)\s*[.):\-]?\s*", re.I)


def _prefix_len(a: str, b: str) -> int:
    """len(os.path.commonprefix([a, b])), by bisection on slice comparisons (done in C) rather
    than a Python loop over every character of two long page texts."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n           # a[:lo] == b[:lo]; a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a [start, end) cut of `text` to whole words: the chrome shared with another page ends
    and starts at a space (text nodes are joined with spaces), so a shared prefix or suffix that
    ends inside a word (a stub text cut one letter before its end because another page's
    content ends in the same letter before the shared footer) belongs to the page."""
    if 0 < start < len(text) and text[start - 1] != " " and text[start] != " ":
        start = text.rfind(" ", 0, start) + 1
    if 0 < end < len(text) and text[end - 1] != " " and text[end] != " ":
        nxt = text.find(" ", end)
        end = len(text) if nxt < 0 else nxt
    return start, end


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname or "").lower() if url else ""


def _bare(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def host_matches(url: str, entries) -> str | None:
    """The entry (host or host/path-prefix) that `url` falls under, or None."""
    parts = urlsplit(url)
    host = _bare((parts.hostname or "").lower())
    path = parts.path or "/"
    for e in entries or ():
        h, _, p = e.partition("/")
        h = _bare(h)
        if (host == h or host.endswith("." + h)) and (not p or path.startswith("/" + p)):
            return e
    return None


#: Fetch status (crawler/offsite.py) of an off-site file that answers with a sign-in page.
SIGNIN_REQUIRED = "signin_required"
#: An opened off-site page with less visible text than this is a script shell (a Drive viewer), not content.
OFFSITE_MIN_TEXT = 40
#: Fetch statuses that mean the evidence was not read (as opposed to read and found broken).
UNREAD_FETCH = frozenset({"timeout", "blocked", "down", "dns_error", "connection_refused", "connection_reset",
                          "tls_error", "robots_disallowed", "private_address_refused"})


@dataclass
class Target:
    """What one candidate link leads to, as far as the crawl saw it."""

    url: str | None
    kind: str                       # page | document | external | placeholder | inpage | unfetched
                                    # | private (off-site file behind a sign-in page)
                                    # | offsite_unfetched (off-site link opened, its content not read)
    page: Page | None = None
    doc: Document | None = None
    host: str = ""
    link: Link | None = None
    docs: list["Target"] = field(default_factory=list)     # documents linked from a page target
    channels: list[Link] = field(default_factory=list)     # forms / external links on a page target

    @property
    def status(self) -> int:
        if self.page is not None:
            return self.page.status
        if self.doc is not None:
            return self.doc.status
        return 0

    @property
    def fetch_error(self) -> str | None:
        if self.page is not None:
            return self.page.fetch_error
        if self.doc is not None:
            return self.doc.fetch_error
        return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.fetch_error


@dataclass
class Candidate:
    """One place that may hold an item: the links of one row/anchor, or a page itself."""

    how: str                        # code | label | context | title | slug | host | answer
    score: float
    links: list[Link] = field(default_factory=list)
    page: Page | None = None
    matched_text: str = ""

    def key(self) -> tuple:
        if self.page is not None:
            return ("page", self.page.url)
        return tuple(sorted((l.url or _placeholder_key(l)) for l in self.links))


def _placeholder_key(l: Link) -> str:
    """A link without a URL ('#', 'javascript:void(0)'): the same menu placeholder repeated on
    every page (a dropdown parent in the navbar) is one candidate, not one per page, so it cannot
    crowd the item's real rows out of the candidate list. A modal toggle opens its own page."""
    if l.kind == "modal" or not l.in_nav:
        return f"{l.source_url}#{l.href}"
    return f"nav#{l.href}|{l.text}"


class SiteIndex:
    """Per-site lookups shared by every item: pages, documents, chrome text, hubs, link matches."""

    def __init__(self, ev: SiteEvidence, catalog: Catalog, max_year: int):
        self.ev = ev
        self.catalog = catalog
        self.max_year = max_year
        self.lex = lexicon()
        self.pages = ev.page_index()
        self.docs = ev.doc_index()
        self.links_from: dict[str, list[Link]] = {}
        for l in ev.links:
            self.links_from.setdefault(l.source_url, []).append(l)
        self.site_hosts = {_bare(_host(u)) for u in (ev.start_url, ev.final_url) if u}
        home = ev.home
        if home is not None:
            self.site_hosts.add(_bare(_host(home.url)))
        self.home = home
        self._label_cache: dict[str, dict[str, int]] = {}
        self._vocab = [(it.code, [q for q in map(squash, it.labels) if q], {squash(x) for x in it.exact},
                        [q for q in map(squash, it.exclude) if q]) for it in catalog.items]
        self._content_cache: dict[str, str] = {}
        self._slug_cache: dict[str, tuple[str, set[str]]] = {}
        self._onsite_cache: dict[str, bool] = {}
        self._nc_cache: dict[str, bool] = {}
        self._title_cache: dict[tuple, str] = {}
        self._generic_cache: dict[tuple, bool] = {}
        self._best_cache: dict[str, tuple[frozenset, int]] = {}

    # ---------------------------------------------------------------- text
    def is_onsite(self, url: str | None) -> bool:
        if not url:
            return False
        hit = self._onsite_cache.get(url)
        if hit is None:
            hit = self._onsite_cache[url] = _bare(_host(url)) in self.site_hosts
        return hit

    @cached_property
    def _chrome_reference(self) -> tuple[str, str]:
        """(home text, another page's text): what every page shares is site chrome."""
        home = self.home.text if self.home else ""
        other = next((p.text for p in self.ev.pages
                      if p.text and self.home is not None and p.url != self.home.url and p.depth >= 1
                      and 200 <= p.status < 300 and "html" in (p.content_type or "html")), "")
        return home, other

    def content_text(self, page: Page) -> str:
        """Page text without the site chrome (header, menus, footer shared with other pages)."""
        if page.url in self._content_cache:
            return self._content_cache[page.url]
        text = page.text or ""
        home, other = self._chrome_reference
        refs = [r for r in (home, other) if r and r is not text and r != text] or []
        pre = suf = 0
        for ref in refs:
            p = _prefix_len(text, ref)
            s = _prefix_len(text[::-1], ref[::-1])
            if p + s > len(text):
                s = max(0, len(text) - p)
            pre, suf = max(pre, p), max(suf, s)
        pre, end = _word_bounds(text, pre, len(text) - suf)
        body = text[pre:end] if pre < end else ""
        for l in self.links_from.get(page.url, ()):
            if l.in_nav and l.text and len(l.text) > 2:
                body = body.replace(l.text, " ")
        body = re.sub(r"\s+", " ", body).strip()
        self._content_cache[page.url] = body
        return body

    def title_text(self, page: Page) -> str:
        """Page title without the part shared with the home page title (site name)."""
        key = (page.url, page.title)
        hit = self._title_cache.get(key)
        if hit is None:
            hit = self._title_cache[key] = self._title_text(page)
        return hit

    def _title_text(self, page: Page) -> str:
        t = page.title or ""
        if self.home is not None and self.home.title and page.url != self.home.url:
            h = self.home.title
            p = _prefix_len(t, h)
            s = _prefix_len(t[::-1], h[::-1])
            if p + s < len(t):
                t = t[p:len(t) - s]
            elif p or s:
                t = ""
        return t.strip(" -|:")

    def not_channel(self, url: str, patterns) -> bool:
        hit = self._nc_cache.get(url)
        if hit is None:
            hit = self._nc_cache[url] = any(p.search(url) for p in patterns)
        return hit

    def slug_of(self, url: str) -> tuple[str, set[str]]:
        """(squashed decoded path+query, its ASCII words) of a URL, memoised."""
        hit = self._slug_cache.get(url)
        if hit is None:
            parts = urlsplit(url)
            raw = unquote(parts.path + "?" + parts.query).lower()
            hit = (_slug_text(url), set(re.split(r"[^a-z0-9_-]+", raw)) | set(re.split(r"[^a-z0-9]+", raw)))
            self._slug_cache[url] = hit
        return hit

    # ---------------------------------------------------------------- labels
    def label_matches(self, text: str) -> dict[str, int]:
        """{item code: length of the longest matching label} for a link text / context."""
        if text in self._label_cache:
            return self._label_cache[text]
        s = squash(_LEADING_NUMBER.sub("", normalise(text)))
        out: dict[str, int] = {}
        if s:
            for code, labels, exact, excludes in self._vocab:
                best = max((len(q) for q in labels if q in s), default=0)
                if s in exact:
                    best = max(best, len(s))
                if best and not any(x in s for x in excludes):
                    out[code] = best
        self._label_cache[text] = out
        return out

    def best_item(self, text: str) -> tuple[set[str], int]:
        hit = self._best_cache.get(text)
        if hit is None:
            m = self.label_matches(text)
            if not m:
                hit = (frozenset(), 0)
            else:
                top = max(m.values())
                hit = (frozenset(c for c, v in m.items() if v == top), top)
            self._best_cache[text] = hit
        return set(hit[0]), hit[1]

    @cached_property
    def title_items(self) -> list[tuple[Page, frozenset]]:
        """(page, items its own title names best) for every page fetched with a 2xx status, in crawl order."""
        out = []
        for p in self.ev.pages:
            if 200 <= p.status < 300:
                self.best_item(self.title_text(p))
                out.append((p, self._best_cache[self.title_text(p)][0]))
        return out

    @cached_property
    def hub_pages(self) -> dict[str, int]:
        """{page url: number of different items its links name}: listing/hub pages."""
        counts = {}
        for src, links in self.links_from.items():
            items = set()
            for l in links:
                if l.in_nav:
                    continue
                items |= self.best_item(l.text)[0]
                items |= self.best_item(l.context)[0] if l.context else set()
                items |= set(code_in(l.context or "", self.catalog) + code_in(l.text, self.catalog))
            counts[src] = len(items)
        return {u: n for u, n in counts.items() if n >= HUB_MIN_ITEMS}

    def is_generic(self, page: Page, code: str | None = None) -> bool:
        """The home page, or a hub/listing page - unless the page's own title or opening line
        names item `code` (a topic page with a sidebar listing every topic is still that topic)."""
        key = (page.url, page.title, code)
        hit = self._generic_cache.get(key)
        if hit is None:
            hit = self._generic_cache[key] = self._is_generic(page, code)
        return hit

    def _is_generic(self, page: Page, code: str | None) -> bool:
        home_url = self.home.url if self.home else None
        if page.url != home_url and page.url not in self.hub_pages:
            return False
        if code is not None and page.url != home_url:
            if code in self.best_item(self.title_text(page))[0]:
                return False
        return True

    @cached_property
    def hub_years(self) -> dict[str, set[int]]:
        """Years a page announces in its title or opening text ("ITA 2565", "FY 2565")."""
        out = {}
        for url in self.links_from:
            page = self.pages.get(url)
            if page is None:
                continue
            head = f"{self.title_text(page)} {self.content_text(page)[:300]}"
            out[url] = year_evidence(head, self.max_year).all()
        return out

    # ---------------------------------------------------------------- targets
    def resolve(self, link: Link) -> Target:
        if link.kind == "modal":
            page = self.pages.get(link.source_url)
            return Target(link.source_url, "inpage", page=page, host=_host(link.source_url), link=link)
        if not link.url:
            return Target(None, "placeholder", link=link)
        return self.resolve_url(link.url, link)

    def resolve_url(self, url: str, link: Link | None = None) -> Target:
        inner = self._viewer_inner(url)
        if inner and (inner in self.docs or inner in self.pages):
            url = inner
        if (url in self.docs or url in self.pages) and not self.is_onsite(url):
            t = self._offsite(url, link)
            if t is not None:
                return t
        if url in self.docs:
            return Target(url, "document", doc=self.docs[url], host=_host(url), link=link)
        if url in self.pages:
            page = self.pages[url]
            if page.url in self.docs:
                return Target(url, "document", doc=self.docs[page.url], host=_host(url), link=link)
            t = Target(url, "page", page=page, host=_host(page.url), link=link)
            self._expand(t)
            return t
        if not self.is_onsite(url):
            return Target(url, "external", host=_host(inner or url), link=link)
        return Target(url, "unfetched", host=_host(url), link=link)

    def _offsite(self, url: str, link: Link | None) -> Target | None:
        """An off-site link the crawl opened (crawler/offsite.py): the document fetched for it, the
        sign-in page of a file that is not public, or an opened link whose content was not read.
        None: an ordinary page target (a form page is read like any page)."""
        doc, page = self.docs.get(url), self.pages.get(url)
        host = _host(url)
        signin = SIGNIN_REQUIRED
        if (doc is not None and doc.fetch_error == signin) or (page is not None and page.fetch_error == signin):
            return Target(url, "private", page=page, doc=doc, host=host, link=link)
        if doc is not None:
            ok = 200 <= doc.status < 300 and not doc.fetch_error
            return Target(url, "document" if ok else "offsite_unfetched", doc=doc, host=host, link=link)
        if page.fetch_error in UNREAD_FETCH:
            return Target(url, "offsite_unfetched", page=page, host=host, link=link)
        if 200 <= page.status < 300 and not page.fetch_error and len(squash(page.text)) < OFFSITE_MIN_TEXT:
            # a script application (a Drive file or folder viewer): its HTML shows nothing to judge
            return Target(url, "offsite_unfetched", page=page, host=host, link=link)
        return None

    def _viewer_inner(self, url: str) -> str | None:
        q = parse_qs(urlsplit(url).query)
        for p in self.lex.viewer_params:
            for v in q.get(p, ()):
                v = unquote(v)
                if v.startswith(("http://", "https://")):
                    return v
        return None

    def _expand(self, t: Target) -> None:
        """Attach the documents and channels a page target links to (one hop, not menus)."""
        for l in self.links_from.get(t.page.url, ()):
            if l.kind == "form":
                t.channels.append(l)
                continue
            if l.in_nav or not l.url:
                continue
            url = l.url
            inner = self._viewer_inner(url)
            if inner and inner in self.docs:
                url = inner
            doc = self.docs.get(url)
            if doc is None and url in self.pages:
                doc = self.docs.get(self.pages[url].url)
            if doc is not None:
                t.docs.append(Target(url, "document", doc=doc, host=_host(url), link=l))
            elif not self.is_onsite(url):
                t.channels.append(l)


@lru_cache(maxsize=1)
def _code_re() -> re.Pattern:
    prefixes = "|".join(re.escape(p.lower()) for p in sorted(lexicon().code_prefixes, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{prefixes})\s*[-.]?\s*0*([1-9][0-9]?)(?![0-9])")


_CODE_CACHE: dict[tuple[int, str], list[str]] = {}   # one site's texts: emptied by forget_site_codes()


def forget_site_codes() -> None:
    """Empty the code_in() memo when a site's judging starts: its keys are link texts and
    contexts of one site, never seen again, and would otherwise pile up over a national crawl."""
    _CODE_CACHE.clear()


def code_in(text: str, catalog: Catalog) -> list[str]:
    """Item codes of this catalog written in a text (O1, o1, OIT 1, OIT-01)."""
    if not text:
        return []
    key = (catalog.year, text)
    hit = _CODE_CACHE.get(key)
    if hit is None:
        valid = _numbers_of(catalog)
        hit = [valid[int(m.group(1))] for m in _code_re().finditer(normalise(text)) if int(m.group(1)) in valid]
        if len(_CODE_CACHE) > 200_000:
            _CODE_CACHE.clear()
        _CODE_CACHE[key] = hit
    return hit


@lru_cache(maxsize=16)
def _numbers(catalog: Catalog) -> dict[int, str]:
    return {it.number: it.code for it in catalog.items}


_NUMBERS_BY_ID: dict[int, tuple[Catalog, dict[int, str]]] = {}


def _numbers_of(catalog: Catalog) -> dict[int, str]:
    """_numbers() without hashing the whole catalog on every call (keyed by the object itself)."""
    hit = _NUMBERS_BY_ID.get(id(catalog))
    if hit is None or hit[0] is not catalog:
        if len(_NUMBERS_BY_ID) > 16:
            _NUMBERS_BY_ID.clear()
        hit = _NUMBERS_BY_ID[id(catalog)] = (catalog, _numbers(catalog))
    return hit[1]


def _slug_text(url: str) -> str:
    parts = urlsplit(url)
    return squash(unquote(parts.path + " " + parts.query).replace("-", "").replace("_", ""))


def _link_hits(site: SiteIndex, year: int) -> dict[str, list[tuple[str, float, Link, str]]]:
    """For every item code, the links that may hold it: (how, score, link, matched text).
    Computed once per site; each link is read once, not once per item."""
    cache = site.__dict__.setdefault("_hits", {})
    if year in cache:
        return cache[year]
    lex = site.lex
    never = set(lex.never_evidence_hosts)
    not_channel = [re.compile(p, re.I) for p in lex.not_channel_url_patterns]
    items = site.catalog.items
    host_items = [it for it in items if it.host_alone]
    slug_words: dict[str, list[str]] = {}
    for it in items:
        for w in it.slugs:
            slug_words.setdefault(w.lower(), []).append(it.code)
    hits: dict[str, list] = {it.code: [] for it in items}
    numbered = _global_numbering(site, year)
    for l in site.ev.links:
        if l.url and (_host(l.url) in never or site.not_channel(l.url, not_channel)):
            continue      # survey links, share buttons and plug-ins are never an item's evidence
        text_codes = code_in(l.text, site.catalog)
        if not text_codes and not site.best_item(l.text)[0] and contains_any(squash(l.text), lex.hub_terms):
            continue      # a link to the ITA section itself ("back to ITA"), not to an item
        # 1. O-code tables and lists on an ITA page for this year (or whose row also names the item)
        codes = set(code_in(l.context, site.catalog) + text_codes)
        if len(codes) == 1:
            code = next(iter(codes))
            years = site.hub_years.get(l.source_url, set())
            if year in years or code in site.label_matches(f"{l.text} {l.context}"):
                hits[code].append(("code", 1.0 if year in years else 0.8, l, l.context or l.text))
                continue
        # 1b. "25. ..." in a list numbered 1..N straight through on this year's ITA page
        num = numbered.get(id(l))
        if num:
            hits[num].append(("code", 0.85, l, l.text or l.context))
            continue
        # 2. menu labels / link text (the most specific item wins)
        best, _ = site.best_item(l.text)
        if best:
            for code in best:
                hits[code].append(("label", 0.9 if not l.in_nav else 0.85, l, l.text))
            continue
        # 3. the row or heading around the link names the item (the link text names no item)
        if l.context and not l.in_nav:
            cbest, _ = site.best_item(l.context)
            for code in cbest:
                it = site.catalog.item(code)
                offsite = l.url and not site.is_onsite(l.url) and not host_matches(
                    l.url, tuple(it.external_hosts) + tuple(lex.document_hosts))
                if not offsite:
                    hits[code].append(("context", 0.6, l, l.context))
            if cbest:
                continue
        if not l.url:
            continue
        # 4. accepted channel hosts (social network: any link to the host is the channel)
        if not site.is_onsite(l.url):
            for it in host_items:
                if host_matches(l.url, it.external_hosts):
                    hits[it.code].append(("host", 0.9, l, l.url))
            continue
        # 5. URL slugs (percent-decoded Thai labels or ASCII words)
        slug, words = site.slug_of(l.url)
        found = {c for w in words & slug_words.keys() for c in slug_words[w]}
        if any("\u0e00" <= ch <= "\u0e7f" for ch in slug):
            found |= set(site.label_matches(slug))
        for code in found:
            hits[code].append(("slug", 0.5, l, slug[:80]))
    cache[year] = hits
    return hits


_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.)]\s*\S")


def _global_numbering(site: SiteIndex, year: int) -> dict[int, str]:
    """{id(link): code} for links numbered "N." on an ITA page of this year whose numbering runs
    through the catalog without restarting (so N is the item's O-number, not a per-group index)."""
    valid = _numbers_of(site.catalog)
    out: dict[int, str] = {}
    for src, links in site.links_from.items():
        if year not in site.hub_years.get(src, set()):
            continue
        found = {}
        for l in links:
            m = _NUMBERED.match(l.text or "") or _NUMBERED.match((l.context or "").split(" | ")[-1])
            if m and not l.in_nav:
                found.setdefault(id(l), int(m.group(1)))
        nums = list(found.values())
        distinct = set(nums)
        if len(distinct) < 0.6 * len(valid) or max(distinct, default=0) > max(valid):
            continue
        # a restart (number 1 under several headings) means per-group numbering
        ones = {l.context.split(" | ")[0] for l in links if found.get(id(l)) == 1}
        if len(ones) > 1:
            continue
        for l in links:
            n = found.get(id(l))
            if n in valid:
                out[id(l)] = valid[n]
    return out


def find_candidates(site: SiteIndex, item: CatalogItem, year: int) -> list[Candidate]:
    """Ranked candidates for one item (best first, at most MAX_CANDIDATES)."""
    rows: dict[tuple, Candidate] = {}
    for how, score, link, matched in _link_hits(site, year)[item.code]:
        # links for this item under one heading (a topic card, a month list) are one candidate
        # (a link with no row of its own - a footer or breadcrumb link after the last heading - stays alone)
        group = link.context.split(" | ")[0] if " | " in (link.context or "") else (link.context, link.href)
        key = (link.source_url, group, how)
        c = rows.get(key)
        if c is None:
            rows[key] = Candidate(how, score, [link], matched_text=matched)
        elif link not in c.links:
            c.links.append(link)
    cands = list(rows.values())
    # 6. pages whose own title names the item (reached through sitemaps, JS menus...)
    for p, best in site.title_items:
        if item.code in best and not site.is_generic(p, item.code):
            cands.append(Candidate("title", 0.55, [], page=p, matched_text=site.title_text(p)))
    cands.sort(key=lambda c: -c.score)
    seen, out = set(), []
    for c in cands:
        k = c.key()
        if k in seen:
            continue
        seen.add(k)
        out.append(c)
    return out[:MAX_CANDIDATES]
