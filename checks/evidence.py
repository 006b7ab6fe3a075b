"""What the crawler collected about one site: the only input the checks read.

The crawler fills these records (live, or from the results store for a re-check);
the checks never fetch anything themselves. Field meanings are the contract between
`crawler/`, `oitwatch/store.py` and `checks/`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Page:
    """One fetched HTML page (or an attempt to fetch one)."""

    url: str                      # final URL after redirects
    status: int                   # HTTP status; 0 when no response arrived
    title: str = ""
    text: str = ""                # visible text, comments/scripts/styles removed, whitespace collapsed
    depth: int = 0                # link hops from the start URL
    content_type: str = "text/html"
    rendered: bool = False        # True when the HTML came from Chromium (JavaScript run)
    fetch_error: str | None = None  # named fetch status when it failed: timeout, blocked, down, ...
    requested_url: str | None = None  # URL as linked, when a redirect changed it
    size: int = 0                 # bytes of the body


@dataclass
class Link:
    """One link-like thing found on a page. Placeholders are kept, not dropped."""

    source_url: str               # page the link is on
    href: str                     # raw attribute value as written ('#', 'javascript:void(0)', ...)
    url: str | None               # absolute http(s) URL, or None for '#', '#!', 'javascript:', empty
    text: str = ""                # anchor text, else title/aria-label/img alt
    context: str = ""             # nearest heading + enclosing table row / list item text
    kind: str = "a"               # a | iframe | area | onclick | modal | form | embed
    in_nav: bool = False          # inside <nav>/<header>/menu containers

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "") if self.url else ""


@dataclass
class Document:
    """A linked file (PDF, DOCX, XLSX, ...) and its extracted text."""

    url: str
    status: int = 200
    kind: str = "pdf"             # pdf | docx | xlsx | doc | xls | pptx | other
    size: int = 0
    sha256: str = ""
    text: str | None = None       # extracted text; None when there is none (scan) or it failed
    extract_status: str = "ok"    # ok | ocr | no_text | encrypted | malformed | timeout | too_large | unsupported | fetch_error
                                  # (ocr: no text layer, `text` was read by OCR - less trusted; no_text: not OCR'd)
    pages: int | None = None
    fetch_error: str | None = None
    source_url: str | None = None  # where the bytes came from when `url` is the link as shown (an off-site
                                   # viewer URL rewritten to its public download URL); None: from `url`


@dataclass
class SiteEvidence:
    """Everything collected for one LAO site in one crawl."""

    lao_id: str
    start_url: str
    status: str = "ok"            # site fetch status: ok, dns_error, tls_error, timeout, blocked, down, robots_disallowed, redirect_offsite, ...
    final_url: str | None = None  # home page URL after redirects
    platform: str = "generic"     # fingerprinted CMS adapter name
    flags: list[str] = field(default_factory=list)   # tls_expired, tls_self_signed, robots_5xx, budget_exhausted, ...
    name_th: str = ""             # LAO name from the registry (identity check)
    lao_type_th: str = ""         # LAO type label from the registry
    fetched_at: str = ""          # ISO timestamp of the crawl
    pages: list[Page] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def page_index(self) -> dict[str, Page]:
        """Pages by final URL and by the URL as linked (before redirects); built on each call."""
        idx = {}
        for p in self.pages:
            idx.setdefault(p.url, p)
            if p.requested_url:
                idx.setdefault(p.requested_url, p)
        return idx

    def doc_index(self) -> dict[str, Document]:
        return {d.url: d for d in self.documents}

    @property
    def home(self) -> Page | None:
        ok = [p for p in self.pages if p.depth == 0]
        return ok[0] if ok else None
