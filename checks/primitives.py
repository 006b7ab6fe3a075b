"""Named, reusable checks. Each takes the evidence gathered for one candidate of one item
(`ItemContext`) plus YAML params, and returns an `Outcome` with a reason code - never a bool,
never `unknown` (a check that lacks fetched evidence returns `Outcome.unfetched`, and the engine
reports `unknown`).

Year files name these in `all:` lists; tests check that every named check exists here.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from checks.catalog import CatalogItem
from checks.evidence import SiteEvidence
from checks.locate import UNREAD_FETCH, Candidate, SiteIndex, Target, host_matches
from checks.outcome import Outcome
from checks.thai import (contains_any, contains_any_unmarked, fiscal_year_of, lexicon, mask_thai_digits,
                         month_mentions, normalise, ocr_years, squash, unmarked, year_evidence)

REGISTRY: dict[str, callable] = {}
TITLE_ZONE = 600           # characters at the start of a text that name what it is and its year
MIN_WRAPPER_CHARS = 150
MONTH_ZONE = 300
TITLE_ONLY_CHARS = 12      # a page with less than this beyond its own title shows nothing readable           # where a monthly summary document names its month    # a shorter page that links documents is a wrapper: the documents decide
_UNKNOWN_FETCH = UNREAD_FETCH


def check(name: str):
    """Register a check primitive under the name the YAML uses."""
    def deco(fn):
        REGISTRY[name] = fn
        fn.check_name = name
        return fn
    return deco


@dataclass
class Source:
    """A readable text standing for the item: a page's content, a document's text, or (for an
    off-site target the crawl could not open) the link's own words."""

    kind: str            # page | document | link
    url: str
    text: str
    title: str = ""
    ocr: bool = False    # a scanned document's text read by OCR: evidence trusted less

    @property
    def head(self) -> str:
        return f"{self.title} {self.text[:TITLE_ZONE]}"


@dataclass
class ItemContext:
    """Everything the checks see for one candidate of one item."""

    item: CatalogItem
    year: int
    as_of: date
    site: SiteIndex
    candidate: Candidate
    targets: list[Target] = field(default_factory=list)
    reachable: list[Target] = field(default_factory=list)
    offsite_ok: list[Target] = field(default_factory=list)

    @property
    def ev(self) -> SiteEvidence:
        return self.site.ev

    @property
    def url(self) -> str | None:
        for t in self.reachable + self.offsite_ok + self.targets:
            if t.url:
                return t.url
        return None

    def msg(self, **extra) -> dict:
        return {"title_th": self.item.title_th, "title_en": self.item.title_en, "url": self.url or "",
                "year": self.year, **extra}

    def documents(self) -> list[Target]:
        docs = [t for t in self.reachable if t.kind == "document"]
        for t in self.reachable:
            docs.extend(d for d in t.docs if d.ok and not self._other_items_offsite_file(d))
        return docs

    def _other_items_offsite_file(self, d: Target) -> bool:
        """An off-site file (a Drive file the crawl opened) linked from the page by a text that names
        another item: a side menu listing every topic's file is not this item's evidence."""
        if d.link is None or self.site.is_onsite(d.url):
            return False
        codes, _ = self.site.best_item(d.link.text)
        return bool(codes) and self.item.code not in codes

    def sources(self) -> tuple[list[Source], list[Target]]:
        """(readable sources, unreadable documents). A short page that only wraps documents is
        not content by itself when the item is a document. A scan's OCR text is readable only when
        it is clean enough and names the item; otherwise the scan is unreadable (see ocr_readable)."""
        readable, unreadable = [], []
        for d in self.documents():
            if d.doc.text and d.doc.text.strip():
                src = Source("document", d.url, d.doc.text, ocr=d.doc.extract_status == "ocr")
                if src.ocr and not ocr_readable(self.item, src):
                    unreadable.append(d)
                else:
                    readable.append(src)
            else:
                unreadable.append(d)
        for t in self.reachable:
            if t.kind not in ("page", "inpage") or t.page is None:
                continue
            text = self.page_text(t)
            has_docs = bool(t.docs)
            if self.item.document_item and has_docs and len(text) < MIN_WRAPPER_CHARS:
                continue
            readable.append(Source("page", t.url, text, self.site.title_text(t.page)))
        if not readable and not unreadable:
            for t in self.offsite_ok:
                l = t.link
                if l is not None:
                    readable.append(Source("link", t.url, f"{l.text} {l.context}"))
        return readable, unreadable

    def page_text(self, t: Target) -> str:
        text = self.site.content_text(t.page)
        if t.kind == "inpage" and t.link is not None:
            # modal content: the text after the last mention of the toggle's label
            label = normalise(t.link.text)
            low = normalise(text)
            i = low.rfind(label) if label else -1
            return low[i:i + 1500] if i >= 0 else ""
        return text


def _doc_review(ctx: ItemContext, unreadable: list[Target]) -> Outcome:
    d = unreadable[0]
    reason = "scanned_only" if d.doc.extract_status in ("ok", "no_text", "ocr") else "document_unreadable"
    return Outcome.review(reason, evidence_url=d.url, **ctx.msg(url=d.url))


_WORD_CHAR = re.compile(r"\w")


def ocr_readable(item: CatalogItem, src: Source) -> bool:
    """OCR text worth reading for this item: enough letters and digits, mostly letters and digits
    (not a photo read as symbols), and it names the item (its content words, no neighbour's title).
    Anything less leaves the scan for an officer: OCR noise is never evidence against an item."""
    cfg = lexicon().ocr
    sample = src.text[:5000]
    chars = len(_WORD_CHAR.findall(sample))
    visible = len(sample) - sample.count(" ") - sample.count("\n")
    if chars < cfg["min_chars"] or chars < cfg["min_clean_ratio"] * max(visible, 1):
        return False
    return _about_item(item, src)


def _ocr_conf() -> float:
    return float(lexicon().ocr["confidence"])


def _ok(reason: str, src_ocr: bool, **kw) -> Outcome:
    """A pass; when it rests on OCR text, the OCR variant of the reason and the lower confidence."""
    if src_ocr:
        return Outcome.ok(f"{reason}_ocr", confidence=_ocr_conf(), **kw)
    return Outcome.ok(reason, **kw)


@check("target_present")
def target_present(ctx: ItemContext) -> Outcome:
    """The candidate points somewhere.

    Passes when: at least one of the candidate's links has a real URL (or opens an in-page modal), or the candidate is a page.
    Fails when: every link is a placeholder such as '#', '#!', 'javascript:void(0)' or empty.
    Needs review when: never; a placeholder is plainly not published.
    """
    if ctx.candidate.page is not None or any(t.kind != "placeholder" for t in ctx.targets):
        return Outcome.ok("present_ok", **ctx.msg())
    href = ctx.candidate.links[0].href if ctx.candidate.links else ""
    return Outcome.fail("placeholder_link", matched_text=href, **ctx.msg(url=href))


@check("target_reachable")
def target_reachable(ctx: ItemContext) -> Outcome:
    """The target opens: a page or document fetched with HTTP 2xx, or an accepted off-site host.

    Passes when: a target was fetched with 2xx, or it is on an off-site host the catalog accepts for this item.
    Fails when: every target answered 4xx/5xx or led nowhere, or an off-site file answers with a sign-in page (not public).
    Needs review when: the only target is on an external host the catalog does not list, or an off-site link was opened but its content could not be read (robots.txt, timeout).
    """
    if ctx.reachable:
        return Outcome.ok("reachable_ok", **ctx.msg())
    private = [t for t in ctx.targets if t.kind == "private"]
    if private:      # an assessor meets the same sign-in page
        t = private[0]
        return Outcome.fail("offsite_not_public", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    unread = [t for t in ctx.targets if t.kind == "offsite_unfetched"]
    if unread:
        t = unread[0]
        return Outcome.review("offsite_unfetched", host=t.host, evidence_url=t.url,
                              **ctx.msg(url=t.url, why=t.fetch_error or (t.status if t.status >= 300 else "no_text")))
    if ctx.offsite_ok:
        t = ctx.offsite_ok[0]
        return Outcome.ok("content_offsite_ok", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    fetched = [t for t in ctx.targets if t.kind in ("page", "document")]
    for t in fetched:
        if t.fetch_error in _UNKNOWN_FETCH:
            return Outcome.unfetched(t.fetch_error, evidence_url=t.url, **ctx.msg(url=t.url))
    if fetched:
        t = fetched[0]
        return Outcome.fail("broken_link", evidence_url=t.url, **ctx.msg(url=t.url, status=t.status or t.fetch_error))
    external = [t for t in ctx.targets if t.kind == "external"]
    if external:
        t = external[0]
        return Outcome.review("offsite_unverified", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    unfetched = [t for t in ctx.targets if t.kind == "unfetched"]
    if unfetched:
        return Outcome.unfetched("not_fetched", evidence_url=unfetched[0].url, **ctx.msg(url=unfetched[0].url))
    return Outcome.fail("placeholder_link", **ctx.msg())


def _stub_kind(ctx: ItemContext, t: Target) -> str | None:
    lex = lexicon()
    text = ctx.page_text(t)
    s = squash(f"{ctx.site.title_text(t.page)} {text}")
    if len(text) < lex.raw.get("stub_max_chars", 400):
        if contains_any(s, lex.soft404_phrases):
            return "soft_404"
        if contains_any(s, lex.stub_phrases):
            return "stub_page"
    if not squash(text) and not t.docs:
        return "empty_page"
    rest = squash(text)
    for label in sorted({squash(ctx.site.title_text(t.page)), *map(squash, ctx.item.labels)}, key=len, reverse=True):
        if label:
            rest = rest.replace(label, "")
    full_text = ctx.item.params.get("elements_present", {}).get("full_text")
    if len(rest) < TITLE_ONLY_CHARS and not t.docs and t.kind == "page" and not full_text:
        return "title_only"
    if t.kind == "page" and ctx.site.is_generic(t.page, ctx.item.code) and not ctx.item.channel_terms \
            and not full_text:
        return "generic_page"
    return None


@check("not_stub")
def not_stub(ctx: ItemContext) -> Outcome:
    """The target has real content: not empty, not an "under construction" stub, not a soft 404,
    not the home page or a hub page standing in for the item.

    Passes when: a reachable document, or a reachable page with content of its own.
    Fails when: every reachable page is empty, a stub, a soft-404 or a generic page.
    Needs review when: a page shows nothing but its own title (perhaps an image the checker cannot read).
    """
    kinds = []
    for t in ctx.reachable:
        if t.kind == "document":
            return Outcome.ok("not_stub_ok", **ctx.msg())
        kind = _stub_kind(ctx, t)
        if kind is None:
            return Outcome.ok("not_stub_ok", **ctx.msg())
        kinds.append((kind, t))
    if not kinds:          # only accepted off-site targets: nothing to judge here
        return Outcome.ok("not_stub_ok", **ctx.msg())
    kind, t = kinds[0]
    if kind == "title_only":     # maybe a chart image: text evidence cannot tell
        return Outcome.review(kind, evidence_url=t.url, **ctx.msg(url=t.url))
    return Outcome.fail(kind, evidence_url=t.url, **ctx.msg(url=t.url))


EXCLUDE_ZONE = 120         # only a text's title line can say it is a neighbouring item


def _words_in(src: Source, text: str, terms) -> str | None:
    """The longest term the text contains; OCR text is compared without Thai tone marks (the marks
    OCR most often drops or swaps), so a scan reading its subject with a lost mark still names it."""
    if src.ocr:
        return contains_any_unmarked(unmarked(text), terms)
    return contains_any(squash(text), terms)


def _excluded(item: CatalogItem, src: Source) -> bool:
    return _words_in(src, f"{src.title} {src.text[:EXCLUDE_ZONE]}", item.exclude) is not None


def _about_item(item: CatalogItem, src: Source) -> bool:
    hit = _words_in(src, src.text[:5000], item.content)
    return bool(hit) and not _excluded(item, src)


@check("content_matches")
def content_matches(ctx: ItemContext) -> Outcome:
    """The target's own text (page content without menus, or document text) is about the item.

    Passes when: a readable source mentions one of the item's content words and its title zone names no neighbouring item.
    Fails when: readable sources exist but none is about the item.
    Needs review when: the only documents are scans or unreadable files.
    """
    readable, unreadable = ctx.sources()
    for src in sorted(readable, key=lambda x: x.ocr):       # text layers and pages before OCR text
        hit = _words_in(src, src.head if src.kind == "document" else f"{src.title} {src.text}", ctx.item.content)
        if hit is None and src.kind == "document":
            hit = _words_in(src, src.text[:5000], ctx.item.content)
        if hit and not _excluded(ctx.item, src):
            return _ok("content_ok", src.ocr, evidence_url=src.url, matched_text=hit, **ctx.msg(url=src.url))
    if unreadable:
        return _doc_review(ctx, unreadable)
    url = readable[0].url if readable else ctx.url
    return Outcome.fail("content_mismatch", evidence_url=url, **ctx.msg(url=url))


def _years_of(src: Source, max_year: int) -> set[int]:
    head = year_evidence(src.head, max_year)
    found = head.strongest()
    if not found and src.kind != "link":
        found = year_evidence(src.text[:20000], max_year).strongest()
    return found


def _ocr_year(src: Source, wanted: set[int], max_year: int) -> tuple[str, set[int]]:
    """What an OCR text can say about the year: ("pass", years) | ("stale", years) | ("unclear", set()).

    Numbers in Thai digits are never read (OCR mixes up Thai 3/4/5); a pass needs a required year in
    fiscal-year statements that all include it (one statement naming another year may be the true
    one, misread elsewhere), or in a date when no fiscal-year statement of the title zone is garbled
    and no other year stands there bare (a title year whose fiscal-year words OCR broke);
    a stale verdict needs readable fiscal-year statements all older than the required year (a
    newer one may be a misread digit), no garbled one in the title zone, and the required year
    written nowhere in the text (so a misread title cannot fail it).
    """
    head = ocr_years(src.head, max_year)
    whole = ocr_years(src.text[:20000], max_year)
    zone = head if head.evidence.strongest() else whole
    ev = zone.evidence
    years = ev.strongest()
    kind = "fiscal" if ev.fiscal else "dated" if ev.dated else "bare"
    if years & wanted and (kind == "fiscal" and all(st & wanted for st in zone.statements)
                           or kind == "dated" and not head.unreadable_fiscal and ev.bare <= wanted):
        return "pass", years & wanted
    if kind == "fiscal" and not head.unreadable_fiscal and max(years) < min(wanted) \
            and not any(whole.names(y) for y in wanted):
        return "stale", years
    return "unclear", set()


@check("fiscal_year")
def fiscal_year(ctx: ItemContext, offsets=(0,), period: str = "year") -> Outcome:
    """The item is for the required Buddhist-Era fiscal year (ITA year + offset; ranges such as
    2561-2565 cover every year inside; Thai digits and dates map to fiscal years).

    Passes when: a readable document (else the page content) names a required fiscal year; a
    scan's OCR text only when it reads the year cleanly (lower confidence, reason says OCR).
    Fails when: readable sources name only other years, or no year at all; OCR text only when its
    fiscal-year statement is read cleanly and the required year appears nowhere in it.
    Needs review when: the documents that could settle it are scans, or OCR read their year unclearly.
    """
    wanted = {ctx.year + o for o in offsets}
    max_year = ctx.as_of.year + 543 + lexicon().year_bounds["max_ahead"]
    readable, unreadable = ctx.sources()
    if readable and all(s.kind == "link" and not host_matches(s.url, ctx.item.external_hosts) for s in readable):
        # a file on a document host (Drive, OneDrive...) nobody could open: its link text does not
        # date the document (a host the item itself lives on, such as e-GP, is judged by its link)
        t = ctx.offsite_ok[0]
        return Outcome.review("offsite_unverified", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    # a page listing several items' files: only the files about this item can date it
    docs = sorted((s for s in readable if s.kind == "document" and _about_item(ctx.item, s)), key=lambda x: x.ocr)
    if not docs:
        readable = [s for s in readable if s.kind != "document"]
    others = [s for s in readable if s.kind != "document"]
    found: set[int] = set()
    unclear: list[Source] = []
    layer_found = False              # years read from a text layer or a page (else only from OCR)
    for group in (docs, others):
        for src in group:
            if src.ocr:
                verdict, ys = _ocr_year(src, wanted, max_year)
                if verdict == "unclear":
                    unclear.append(src)
                    continue
            else:
                ys = _years_of(src, max_year)
                layer_found = layer_found or bool(ys)
            found |= ys
            hit = ys & wanted
            if hit:
                y = max(hit)
                return _ok("year_ok", src.ocr, evidence_url=src.url, found_year=y, **ctx.msg(url=src.url, year=y))
        if group is docs and docs and (unreadable or unclear):
            break
    if unreadable:
        return _doc_review(ctx, unreadable)
    if unclear:
        return Outcome.review("scan_year_unclear", evidence_url=unclear[0].url, **ctx.msg(url=unclear[0].url))
    if not found and readable and all(s.kind == "link" for s in readable):
        t = ctx.offsite_ok[0]          # accepted off-site host, but nothing readable states the year
        return Outcome.review("offsite_unverified", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    need = "/".join(str(y) for y in sorted(wanted))
    url = (docs or others)[0].url if (docs or others) else ctx.url
    if found:
        near = max(found)
        by_ocr = not layer_found
        return Outcome.fail("wrong_year_ocr" if by_ocr else "wrong_year", evidence_url=url, found_year=near,
                            confidence=_ocr_conf() if by_ocr else None,
                            **ctx.msg(url=url, year=need, found=", ".join(str(y) for y in sorted(found)[-3:])))
    return Outcome.fail("year_missing", evidence_url=url, **ctx.msg(url=url, year=need))


@check("not_outdated")
def not_outdated(ctx: ItemContext, max_age: int = 4) -> Outcome:
    """Content without a yearly rule is still current: it does not only name long-past years
    (a pre-OIT page left online, an executives list from an old term).

    Passes when: the sources name no year, or name a year within `max_age` years of the ITA year.
    Fails when: every year the readable sources name is older than that (OCR text counts only
    with its fiscal-year statements read cleanly).
    Needs review when: never; unreadable documents are judged by the other checks.
    """
    max_year = ctx.as_of.year + 543 + lexicon().year_bounds["max_ahead"]
    readable, _ = ctx.sources()
    found: set[int] = set()
    for src in readable:
        if src.ocr:
            read = ocr_years(src.text[:20000], max_year)
            if not read.unreadable_fiscal:
                found |= read.evidence.fiscal
            continue
        found |= year_evidence(f"{src.title} {src.text[:20000]}", max_year).all()
    if not found or max(found) >= ctx.year - max_age:
        return Outcome.ok("not_outdated_ok", **ctx.msg())
    url = readable[0].url if readable else ctx.url
    return Outcome.fail("outdated", evidence_url=url, found_year=max(found),
                        **ctx.msg(url=url, found=max(found)))


def months_due(year: int, months: list[int], as_of: date) -> list[tuple[int, int]]:
    """(month, BE year) of each listed fiscal month of `year` that has ended before `as_of`."""
    start = lexicon().fiscal_year_start_month
    due = []
    for m in months:
        be = year - 1 if m >= start else year
        ce = be - 543
        last = date(ce, m, calendar.monthrange(ce, m)[1])
        if last < as_of:
            due.append((m, be))
    return due


def _dead_link_texts(ctx: ItemContext) -> list[str]:
    """Texts of links on the target pages that lead nowhere (placeholders, 4xx/5xx)."""
    dead = []
    for t in ctx.reachable:
        if t.page is None:
            continue
        for l in ctx.site.links_from.get(t.page.url, ()):
            if l.in_nav or not l.text or l.kind == "modal":
                continue
            if not l.url:
                dead.append(l.text)
                continue
            r = ctx.site.resolve_url(l.url)
            if r.kind in ("page", "document") and not r.ok:
                dead.append(l.text)
    return sorted(set(dead), key=len, reverse=True)


def _without(text: str, parts: list[str]) -> str:
    for p in parts:
        text = text.replace(p, " ")
    return text


@check("months_present")
def months_present(ctx: ItemContext, months=(10, 11, 12, 1, 2, 3)) -> Outcome:
    """Every fiscal month due as of the as-of date has its summary (month named with its year, or
    inside a text that states the fiscal year).

    Passes when: every due month is named in the page content, its working links or document texts
    (OCR text of scans too, its Thai-digit years unread; the reason then says OCR).
    Fails when: some due month is missing.
    Needs review when: months are missing but scanned documents (read by OCR or not) might hold them.
    """
    due = months_due(ctx.year, list(months), ctx.as_of)
    readable, unreadable = ctx.sources()
    max_year = ctx.as_of.year + 543 + lexicon().year_bounds["max_ahead"]
    bad = _dead_link_texts(ctx)
    # a summary names its own month in its heading; dates further down a document (contracts,
    # signatures) are not summaries of those months
    texts = [_without(s.text, bad) if s.kind == "page" else s.text[:MONTH_ZONE] for s in readable if not s.ocr]
    texts += [t.link.text for t in ctx.reachable + [d for t in ctx.reachable for d in t.docs if d.ok]
              if t.link is not None]
    ocr_texts = [mask_thai_digits(s.text[:MONTH_ZONE]) for s in readable if s.ocr]

    def months_in(texts: list[str]) -> set[tuple[int, int]]:
        present: set[tuple[int, int]] = set()
        for text in texts:
            fy_stated = ctx.year in year_evidence(text[:TITLE_ZONE], max_year).fiscal
            for m, y in month_mentions(text, max_year):
                if y is not None and fiscal_year_of(m, y) == ctx.year:
                    present.add((m, y))
                elif y is None and fy_stated:
                    present.add((m, ctx.year - 1 if m >= lexicon().fiscal_year_start_month else ctx.year))
        return present

    present = months_in(texts)
    by_ocr = bool(ocr_texts) and any(d not in present for d in due)
    if by_ocr:
        present |= months_in(ocr_texts)
    missing = [d for d in due if d not in present]
    names = lexicon().months
    label_th = lambda ms: ", ".join(f"{names[m]['full']} {y}" for m, y in ms)
    label_en = lambda ms: ", ".join(f"{calendar.month_abbr[m]} {y}" for m, y in ms)
    url = readable[0].url if readable else ctx.url
    if not missing:
        return _ok("months_ok", by_ocr, evidence_url=url, **ctx.msg(url=url, missing_th=label_th(due), missing_en=label_en(due)))
    if unreadable:
        return _doc_review(ctx, unreadable)
    if ocr_texts:
        d = next(s for s in readable if s.ocr)
        return Outcome.review("scanned_only", evidence_url=d.url, **ctx.msg(url=d.url))
    return Outcome.fail("months_missing", evidence_url=url,
                        **ctx.msg(url=url, missing_th=label_th(missing), missing_en=label_en(missing)))


def _has_element(el, text_squashed: str, text_norm: str) -> bool:
    if el.any and contains_any(text_squashed, el.any):
        return True
    return any(re.search(p, text_norm) for p in el.patterns)


@check("elements_present")
def elements_present(ctx: ItemContext, full_text: bool = False) -> Outcome:
    """Every element the criteria name is shown (O2: names and positions; O5: address, phone, e-mail).

    Passes when: the readable sources together show every element (with a scan's OCR text, the reason says OCR).
    Fails when: an element is missing from everything readable.
    Needs review when: elements are missing but scanned documents (read by OCR or not) might hold them.
    """
    readable, unreadable = ctx.sources()
    parts = [f"{s.title} {s.text}" for s in readable if not s.ocr]
    if full_text:
        parts += [t.page.text for t in ctx.reachable if t.page is not None]

    def missing_in(parts: list[str]) -> list:
        text = " ".join(parts)
        s, n = squash(text), normalise(text)
        return [el for el in ctx.item.elements if not _has_element(el, s, n)]

    missing = missing_in(parts)
    ocr_parts = [s.text for s in readable if s.ocr]
    by_ocr = bool(missing and ocr_parts)
    if by_ocr:
        missing = missing_in(parts + ocr_parts)
    url = readable[0].url if readable else ctx.url
    if not missing:
        return _ok("elements_ok", by_ocr, evidence_url=url, **ctx.msg(url=url))
    if unreadable:
        return _doc_review(ctx, unreadable)
    if ocr_parts:
        d = next(s for s in readable if s.ocr)
        return Outcome.review("scanned_only", evidence_url=d.url, **ctx.msg(url=d.url))
    return Outcome.fail("elements_missing", evidence_url=url,
                        **ctx.msg(url=url, missing_th=", ".join(e.label_th for e in missing),
                                  missing_en=", ".join(e.label_en for e in missing)))


def _accepted_channel(ctx: ItemContext, url: str | None) -> str | None:
    if not url or any(re.search(p, url, re.I) for p in lexicon().not_channel_url_patterns):
        return None
    return host_matches(url, ctx.item.external_hosts)


def _real_form(ctx: ItemContext, form) -> bool:
    """A form that takes a message: not a site search box, not one in the menus, not posting to the home page."""
    if form.in_nav:
        return False
    home = ctx.site.home.url if ctx.site.home else None
    if form.url and home and form.url.rstrip("/") == home.rstrip("/"):
        return False
    probe = squash(f"{form.href} {form.text} {form.context}")
    return not contains_any(probe, lexicon().raw.get("search_form_words", ()))


FORM_CLOSED, FORM_THIS, FORM_OTHER = "closed", "this", "other"


def _opened_channel(ctx: ItemContext, url: str | None) -> str | None:
    """What the crawl saw when it opened an off-site channel link (crawler/offsite.py): "closed" (the
    form says it takes no more responses), "this" (its title or text is about this item), "other"
    (an open form about something else, e.g. the Q&A board's form beside a complaint link), or
    None when the link was not opened."""
    if not url or ctx.site.is_onsite(url):
        return None
    page = ctx.site.pages.get(url)
    if page is None or page.fetch_error or not 200 <= page.status < 300:
        return None
    text = squash(f"{page.title} {page.text}")
    if contains_any(text, lexicon().closed_form_phrases):
        return FORM_CLOSED
    terms = ctx.item.labels + ctx.item.content + (ctx.item.title_th,)     # the topic, not channel mechanics
    return FORM_THIS if contains_any(text, terms) else FORM_OTHER


@check("channel_works")
def channel_works(ctx: ItemContext) -> Outcome:
    """An interactive channel exists: an on-site form or board, or an accepted external service.

    Passes when: the target is on an accepted host, or a reachable page holds a form, a link to an accepted host (one the crawl opened must be about this item), or board/form wording.
    Fails when: the reachable pages show no channel, or the off-site form says it no longer accepts responses.
    Needs review when: the only target is an external host the catalog does not list.
    """
    for t in ctx.targets:
        if t.kind == "external" and _accepted_channel(ctx, t.url):
            return Outcome.ok("channel_offsite_ok", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    for t in ctx.reachable:
        if t.page is not None and _opened_channel(ctx, t.url) == FORM_CLOSED:
            return Outcome.fail("form_closed", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    for t in ctx.reachable:
        if t.page is None:
            continue
        for l in t.channels:
            if l.kind == "form" and _real_form(ctx, l):
                return Outcome.ok("channel_ok", evidence_url=t.url, **ctx.msg(url=t.url))
            if _accepted_channel(ctx, l.url) and _opened_channel(ctx, l.url) in (None, FORM_THIS):
                host = l.host
                return Outcome.ok("channel_offsite_ok", host=host, evidence_url=l.url, **ctx.msg(url=l.url))
        text = squash(ctx.page_text(t))
        for label in sorted(map(squash, ctx.item.labels + (ctx.item.title_th,)), key=len, reverse=True):
            text = text.replace(label, " ")          # a heading naming the channel is not the channel
        hit = contains_any(text, ctx.item.channel_terms)
        if hit and not ctx.site.is_generic(t.page, ctx.item.code):
            return Outcome.ok("channel_ok", evidence_url=t.url, matched_text=hit, **ctx.msg(url=t.url))
    external = [t for t in ctx.targets if t.kind == "external"]
    if external and not ctx.reachable:
        t = external[0]
        return Outcome.review("offsite_unverified", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    return Outcome.fail("no_channel", evidence_url=ctx.url, **ctx.msg())


@check("social_link_present")
def social_link_present(ctx: ItemContext) -> Outcome:
    """The website links to the agency's social network (a host the catalog accepts, not a share button).

    Passes when: the candidate links to an accepted social-network host.
    Fails when: no such link exists (placeholders and share buttons do not count).
    Needs review when: never; the link is either there or not.
    """
    for t in ctx.targets:
        if t.url and _accepted_channel(ctx, t.url):
            return Outcome.ok("social_ok", host=t.host, evidence_url=t.url, **ctx.msg(url=t.url))
    return Outcome.fail("no_social_link", **ctx.msg())
