"""The check engine: evidence in, one verdict per catalog item out.

For a site: if it could not be fetched, every item is `unknown` with the site status; if its home
page does not name the LAO (hijacked or parked domain), every item fails as `hijacked`. Otherwise,
for each item of the year: locate candidates (checks/locate.py), run the item's `all:` chain of
named checks (checks/primitives.py, or checks/custom/<key>.py) on each candidate, and keep the best
(pass > needs_review > unknown > fail; among fails the one that got furthest).
"""
from __future__ import annotations

import importlib
from datetime import date
from urllib.parse import urlsplit

from checks import primitives
from checks.catalog import Catalog, CatalogItem, load_catalog
from checks.evidence import Link, SiteEvidence
from checks.locate import Candidate, SiteIndex, Target, find_candidates, forget_site_codes, host_matches
from checks.outcome import ItemResult, Outcome, SiteReport, default_problem, messages, render
from checks.primitives import ItemContext
from checks.thai import all_lao_type_words, forget_site_texts, lao_type_variants, lexicon, squash

_RANK = {"pass": 3, "needs_review": 2, "unfetched": 1, "fail": 0}
# Site statuses under which the site was read and can be judged.
_READABLE = {"ok", "redirect_offsite", "hijacked"}
_STATUS_REASON = {"not_found": "site_not_found"}


def get_check(name: str):
    """A check by name: a primitive, or the one public function of checks/custom/<name>.py."""
    if name in primitives.REGISTRY:
        return primitives.REGISTRY[name]
    try:
        mod = importlib.import_module(f"checks.custom.{name.replace('-', '_')}")
    except ModuleNotFoundError:
        raise KeyError(name) from None
    return getattr(mod, "check")


def identity_ok(ev: SiteEvidence, site: SiteIndex) -> bool:
    """The home page names this LAO (type variant + name), or - without a registry name - any LAO."""
    home = site.home or (ev.pages[0] if ev.pages else None)
    if home is None:
        return False
    text = squash(f"{home.title} {home.text}")
    types = [squash(t) for t in (lao_type_variants(ev.lao_type_th) or all_lao_type_words())]
    any_type = any(squash(t) in text for t in all_lao_type_words())
    if not ev.name_th:
        return any_type
    name = squash(ev.name_th)
    if any(t + name in text for t in types):
        return True
    return any_type and len(name) >= 3 and name in text and any(t in text for t in types)


def _result(item: CatalogItem, status: str, out: Outcome, where: str = "", conf: float | None = None) -> ItemResult:
    data = {"title_th": item.title_th, "title_en": item.title_en, **out.data}
    problem = out.problem if out.problem is not None else default_problem(out.reason)
    if status == "pass":
        problem = None
    return ItemResult(
        code=item.code, key=item.key, order=item.order, status=status, problem=problem,
        reason=out.reason, evidence_url=out.evidence_url, matched_text=out.matched_text,
        found_year=out.found_year, confidence=conf if conf is not None else (out.confidence or 0.8),
        host=out.host, reason_th=render(out.reason, "th", data), reason_en=render(out.reason, "en", data),
        title_th=item.title_th, title_en=item.title_en, where_th=where,
    )


def _where(site: SiteIndex, c: Candidate, out: Outcome) -> str:
    w = messages()["where"]
    root = site.ev.final_url or site.ev.start_url
    if c.page is not None:
        return w["page"].format(text=site.title_text(c.page) or c.page.title, url=c.page.url)
    if not c.links:
        return w["page"].format(text=out.evidence_url or "", url=out.evidence_url or "")
    l = c.links[0]
    src = site.pages.get(l.source_url)
    source = (site.title_text(src) or src.title) if src is not None else l.source_url
    text = (l.text or c.matched_text or "")[:80]
    key = "code_row" if c.how == "code" else "link"
    return w[key].format(site=root, source=source or l.source_url, text=text, code="")


def _targets(site: SiteIndex, c: Candidate) -> list[Target]:
    if c.page is not None:
        t = site.resolve_url(c.page.url)
        return [t]
    return [site.resolve(l) for l in c.links]


def evaluate(site: SiteIndex, item: CatalogItem, year: int, as_of: date, c: Candidate) -> tuple[Outcome, int]:
    """Run the item's chain on one candidate: (outcome, number of checks passed)."""
    targets = _targets(site, c)
    reachable = [t for t in targets if t.kind in ("page", "document", "inpage") and (t.kind == "inpage" or t.ok)]
    specific = [t for t in reachable if not (t.kind == "page" and site.is_generic(t.page, item.code))]
    if specific and not item.channel_terms:
        reachable = specific          # the home page or a hub beside real evidence is not evidence
    accepted = tuple(item.external_hosts) + tuple(lexicon().document_hosts if item.evidence[0] != "channel" else ())
    offsite_ok = [t for t in targets if t.kind == "external" and host_matches(t.url, accepted)]
    ctx = ItemContext(item, year, as_of, site, c, targets, reachable, offsite_ok)
    last = None
    lowest = None       # the lowest confidence a passed check stated (OCR evidence): caps the item's
    for n, name in enumerate(item.checks):
        fn = get_check(name)
        out = fn(ctx, **(item.params.get(name) or {}))
        if not out.passed:
            return out, n
        if out.confidence is not None:
            lowest = out.confidence if lowest is None else min(lowest, out.confidence)
        last = out if (last is None or out.reason not in ("present_ok", "reachable_ok", "not_stub_ok", "not_outdated_ok")) else last
    last = last or Outcome.ok("content_ok")
    if lowest is not None:
        last.confidence = lowest if last.confidence is None else min(last.confidence, lowest)
    return last, len(item.checks)


def _confidence(c: Candidate, out: Outcome) -> float:
    """How sure the verdict is: from how the item was located, capped by what the checks stated
    (OCR text of a scan states a lower confidence)."""
    cap = out.confidence if out.confidence is not None else 1.0
    if out.status == "pass":
        base = {"code": 0.95, "label": 0.9, "host": 0.9, "context": 0.85, "answer": 0.9, "title": 0.8, "slug": 0.75}
        conf = base.get(c.how, 0.8)
        return min(cap, conf - (0.15 if out.host and out.reason in ("content_offsite_ok",) else 0.0))
    if out.status == "fail":
        return min(cap, 0.8)
    return 0.5


def check_item(site: SiteIndex, item: CatalogItem, year: int, as_of: date,
               candidates: list[Candidate]) -> ItemResult:
    if not candidates:
        conf = 0.65 if "budget_exhausted" in site.ev.flags else 0.85
        return _result(item, "fail", Outcome.fail("not_found"), messages()["where"]["none"], conf)
    best = None
    for c in candidates:
        out, depth = evaluate(site, item, year, as_of, c)
        if out.evidence_url is None:
            out.evidence_url = next((l.url for l in c.links if l.url), c.page.url if c.page else None)
        rank = (_RANK[out.status], depth if out.status == "fail" else 0, c.score)
        if best is None or rank > best[0]:
            best = (rank, c, out)
        if out.status == "pass":
            break
    _, c, out = best
    if out.host is None and out.evidence_url and not site.is_onsite(out.evidence_url):
        out.host = (urlsplit(out.evidence_url).hostname or "").lower() or None   # off-site evidence: name its host
    status = {"unfetched": "unknown"}.get(out.status, out.status)
    if status == "fail" and item.review_on_fail:
        status = "needs_review"
    where = _where(site, c, out) if status == "pass" else messages()["where"]["none"]
    return _result(item, status, out, where, _confidence(c, out))


def _answer_candidate(site: SiteIndex, url: str) -> Candidate:
    page = site.pages.get(url)
    if page is not None and url not in site.docs:
        return Candidate("answer", 1.0, [], page=page, matched_text=url)
    return Candidate("answer", 1.0, [Link(source_url=url, href=url, url=url, text="")], matched_text=url)


def _site_wide(catalog: Catalog, reason: str, status: str, ev: SiteEvidence) -> list[ItemResult]:
    out = []
    for item in catalog.items:
        o = Outcome(status, reason, data={"status": ev.status})
        out.append(_result(item, status, o, messages()["where"]["none"], 0.9 if status == "fail" else 0.0))
    return out


def check_site(ev: SiteEvidence, year: int, as_of: date, only: dict[str, str] | None = None,
               codes: set[str] | None = None) -> SiteReport:
    """Judge every item of the year's catalog for one site. With `only` ({code: url}, from an
    answers file), each item is judged on the submitted URL alone. `codes` limits the items
    judged (tests of one item)."""
    catalog = load_catalog(year)
    forget_site_texts()     # the text memos hold one site at a time (memory flat over a national crawl)
    forget_site_codes()
    report = SiteReport(year=year, as_of=as_of.isoformat(), lao_id=ev.lao_id, site_status=ev.status,
                        items=[], final_url=ev.final_url, platform=ev.platform, flags=list(ev.flags))
    reasons = messages()["reasons"]
    if ev.status not in _READABLE or not ev.pages:
        reason = _STATUS_REASON.get(ev.status, ev.status)
        if ev.status == "ok":
            reason = "no_pages"
        if reason not in reasons:
            reason = "site_unreachable"
        report.items = _site_wide(catalog, reason, "unknown", ev)
        return report
    max_year = as_of.year + 543 + lexicon().year_bounds["max_ahead"]
    site = SiteIndex(ev, catalog, max_year)
    if ev.status == "hijacked" or not identity_ok(ev, site):
        report.site_status = "hijacked"
        report.items = _site_wide(catalog, "site_hijacked", "fail", ev)
        return report
    norm_only = {k.strip().upper(): v for k, v in (only or {}).items()}
    for item in catalog.items:
        if codes is not None and item.code not in codes:
            continue
        if only is not None:
            url = norm_only.get(item.code.upper())
            if not url:
                report.items.append(_result(item, "fail", Outcome.fail("no_answer_url"), messages()["where"]["none"], 1.0))
                continue
            cands = [_answer_candidate(site, url)]
            page = site.pages.get(url)
            if page is not None and site.is_generic(page, item.code):
                # an ITA hub page submitted as the answer: judge the item's own row on that page
                cands += [c for c in find_candidates(site, item, year)
                          if c.links and all(l.source_url == page.url for l in c.links)]
            res = check_item(site, item, year, as_of, cands)
            res.submitted_url = url
        else:
            res = check_item(site, item, year, as_of, find_candidates(site, item, year))
        report.items.append(res)
    return report
