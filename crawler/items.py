"""Flat evidence items the spider yields; the store pipeline writes them as they arrive.

Each item carries the LAO id it belongs to. ``SiteStarted`` / ``SiteFinished`` bracket a site:
the pipeline clears partial evidence on start and runs the checks on finish. ``validate()`` is
the schema check the pipeline applies before anything reaches the store.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from checks.evidence import Document, Link, Page


#: Scrapy signal the spider sends when it drops a finished site's state (arguments: lao_id, hosts):
#: components holding per-host state (robots.txt parsers) forget the site's hosts then.
site_closed = object()


class ItemSchemaError(ValueError):
    """An item broke the evidence schema (a bug in the spider, never bad site content)."""


def _require(cond: bool, what: str) -> None:
    if not cond:
        raise ItemSchemaError(what)


@dataclass
class SiteStarted:
    lao_id: str
    start_url: str
    name_th: str = ""
    lao_type_th: str = ""

    def validate(self) -> None:
        _require(bool(self.lao_id), "SiteStarted.lao_id is empty")


@dataclass
class PageEvidence:
    """A page, and the links found on it: written together in one transaction."""

    lao_id: str
    page: Page
    links: list[Link] = field(default_factory=list)

    def validate(self) -> None:
        _require(bool(self.lao_id), "PageEvidence.lao_id is empty")
        _require(isinstance(self.page, Page) and bool(self.page.url), "PageEvidence.page needs a url")
        _require(isinstance(self.page.status, int), "PageEvidence.page.status must be an int")
        _require(all(isinstance(l, Link) and l.source_url for l in self.links), "PageEvidence: bad link")


@dataclass
class LinkEvidence:
    """Links without a page of their own (an on-site URL's redirect off-site), written in one transaction."""

    lao_id: str
    links: list[Link] = field(default_factory=list)

    def validate(self) -> None:
        _require(bool(self.lao_id), "LinkEvidence.lao_id is empty")
        _require(all(isinstance(l, Link) and l.source_url for l in self.links), "LinkEvidence: bad link")


@dataclass
class DocumentEvidence:
    lao_id: str
    document: Document
    reused: bool = False          # content came from the store (304 or a known hash): not extracted again

    def validate(self) -> None:
        _require(bool(self.lao_id), "DocumentEvidence.lao_id is empty")
        _require(isinstance(self.document, Document) and bool(self.document.url), "DocumentEvidence needs a url")


@dataclass
class SiteFinished:
    lao_id: str
    status: str
    final_url: str | None = None
    platform: str = "generic"
    flags: list[str] = field(default_factory=list)
    pages: int = 0
    documents: int = 0
    items: int = 0                # items of this site emitted before this one (the pipeline waits for them)

    def validate(self) -> None:
        _require(bool(self.lao_id) and bool(self.status), "SiteFinished needs lao_id and status")
