"""One context dataclass per template; every field carries `help`.

Templates only loop and format: everything they show is computed before (reports/aggregate.py
and reports/render.py) and handed over in these objects. Site-supplied text (titles, link
texts, URLs, matched text) stays plain str here and is escaped by Jinja's autoescape;
`evidence_href` is set only for http(s) URLs.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def _f(help_text: str, default=None, factory=None):
    if factory is not None:
        return field(default_factory=factory, metadata={"help": help_text})
    return field(default=default, metadata={"help": help_text})


# --------------------------------------------------------------------------- building blocks

@dataclass
class Crumb:
    """A link in the breadcrumb trail or a list of links."""
    label: str = _f("Text shown")
    href: str = _f("Relative link target; empty for the current page", "")


@dataclass
class PageMeta:
    """What every page shows in its header and footer."""
    lang: str = _f("Language of the labels: th or en", "th")
    title: str = _f("Page title")
    root: str = _f("Relative path from the page to the report root ('' or '../')", "")
    breadcrumbs: list[Crumb] = _f("Trail from the top page to this page", factory=list)
    run_id: int = _f("Run whose results are shown", 0)
    year: int = _f("ITA year (BE)", 0)
    as_of: str = _f("Date the results are judged as of (ISO)", "")
    generated_at: str = _f("When the report was built (ISO, UTC)", "")
    target: float = _f("Target projected OIT score", 85.0)
    css: str = _f("Inline CSS for printable pages (trusted, from reports/static)", "")


@dataclass
class AreaStats:
    """Roll-up numbers of one area (see reports.aggregate.AREA_COLUMNS)."""
    n_laos: int = _f("LAOs in the area", 0)
    n_scored: int = _f("LAOs whose site could be checked", 0)
    n_unreachable: int = _f("LAOs whose site could not be reached (no score)", 0)
    mean_score: float | None = _f("Mean projected score of the checked LAOs")
    min_score: float | None = _f("Lowest projected score")
    n_meet_target: int = _f("LAOs at or above the target", 0)
    share_meet_target: float | None = _f("Percent of checked LAOs at or above the target")
    n_fail: int = _f("Gap items (status fail)", 0)
    n_review: int = _f("Items needing a human check", 0)
    n_unknown: int = _f("Items not checked because the site was unreachable", 0)


@dataclass
class AreaRow:
    """One child area in an area's table."""
    code: str = _f("DOPA code")
    name: str = _f("Area name in the report language")
    href: str = _f("Link to the area's page")
    stats: AreaStats = _f("Roll-up numbers", factory=AreaStats)
    n_tambons: int | None = _f("Subdistricts (officer tables only)")
    officer: str = _f("Officer assigned (tambon tables only)", "")


@dataclass
class LaoRow:
    """One LAO with its score, as listed in tables."""
    lao_id: str = _f("Registry id")
    name: str = _f("Type and name, e.g. 'อบต.บ้านโคก'")
    href: str = _f("Link to the LAO page")
    url: str = _f("Website (registry or final URL); shown as text")
    url_href: str | None = _f("Same URL when it is http(s), else None (no link)")
    site_status: str = _f("Crawl status code (ok, blocked, timeout ...)", "")
    reachable: bool = _f("Site could be checked", True)
    score: float | None = _f("Projected OIT score (None when unreachable)")
    score_if_reviewed: float | None = _f("Score if every needs_review item passed")
    grade: str = _f("Grade band letter", "")
    meets_target: bool | None = _f("Score at or above the target (None when unreachable)")
    n_items: int = _f("Items judged", 0)
    n_pass: int = _f("Items passed", 0)
    n_fail: int = _f("Gap items", 0)
    n_review: int = _f("Items needing review", 0)
    n_unknown: int = _f("Items unknown", 0)
    coverage: str = _f("completely / partially (tambon pages)", "")
    delta: float | None = _f("Score change since the previous run")


@dataclass
class ItemRow:
    """One OIT item of one LAO."""
    code: str = _f("Item code in this ITA year, e.g. O12")
    title: str = _f("Item title in the report language")
    status: str = _f("pass | fail | needs_review | unknown")
    reason: str = _f("Why, in the report language (from the check engine)", "")
    evidence_href: str | None = _f("Evidence URL when it is http(s), else None")
    evidence_text: str = _f("Evidence URL as text (site-supplied, escaped)", "")
    matched_text: str = _f("Text the check matched (site-supplied, escaped)", "")
    found_year: str = _f("Year found in the evidence", "")
    checked_at: str = _f("When the item was checked (ISO date)", "")
    status_before: str = _f("Status in the previous run ('' when none)", "")
    lao_name: str = _f("LAO name (lists spanning several LAOs)", "")
    lao_href: str = _f("LAO page link (lists spanning several LAOs)", "")


@dataclass
class ItemStat:
    """One item counted over an area."""
    code: str = _f("Item code")
    title: str = _f("Item title")
    n_pass: int = _f("LAOs passing", 0)
    n_fail: int = _f("LAOs missing it (gaps)", 0)
    n_review: int = _f("LAOs needing review", 0)
    n_unknown: int = _f("LAOs unknown", 0)
    fail_share: float | None = _f("Percent of judged LAOs missing it")


@dataclass
class ChangeBlock:
    """Item changes against one earlier run."""
    label_key: str = _f("Label key: since_previous or since_start")
    run_id: int | None = _f("Earlier run compared with (None when there is none)")
    as_of: str = _f("Date of the earlier run", "")
    counts: dict = _f("n_improved, n_regressed, n_now_unreachable, n_reachable_again", factory=dict)
    rows: list[ItemRow] = _f("Changed items (status_before set), regressions first", factory=list)
    scores: list[LaoRow] = _f("LAOs whose score changed (delta set)", factory=list)


@dataclass
class OfficerInfo:
    """The officer responsible for some subdistricts."""
    name: str = _f("Officer's name")
    position: str = _f("Position", "")
    phone: str = _f("Phone", "")
    email: str = _f("E-mail", "")
    line_id: str = _f("LINE ID", "")


@dataclass
class LaoGaps:
    """One LAO's open items: gaps apart from review and unknown items."""
    lao: LaoRow = _f("The LAO")
    gaps: list[ItemRow] = _f("Items with status fail", factory=list)
    reviews: list[ItemRow] = _f("Items with status needs_review", factory=list)
    unknowns: list[ItemRow] = _f("Items with status unknown", factory=list)


@dataclass
class TambonGaps:
    """One subdistrict with the LAOs covering it."""
    code: str = _f("DOPA subdistrict code")
    name: str = _f("Subdistrict name")
    amphoe_name: str = _f("District name")
    href: str = _f("Link to the tambon page", "")
    laos: list[LaoGaps] = _f("LAOs covering the subdistrict", factory=list)
    listed_above: list[str] = _f("Names of LAOs covering it that are already listed under another subdistrict", factory=list)


@dataclass
class HeatRow:
    """One LAO row of the heat map."""
    lao: LaoRow = _f("The LAO")
    cells: list[str] = _f("Status per item, in column order", factory=list)


@dataclass
class RoundInfo:
    """One reporting round."""
    no: int = _f("Round number (1-based)")
    date: str = _f("Round date (ISO)")
    run_id: int | None = _f("Run used: the latest on or before the date")
    run_date: str = _f("Date of that run (ISO)", "")


@dataclass
class ProgressRow:
    """One district across the reporting rounds."""
    code: str = _f("DOPA district code ('' for the total row)")
    name: str = _f("District name")
    cells: list[AreaStats | None] = _f("Numbers per round (None when the round has no run)", factory=list)


# --------------------------------------------------------------------------- page contexts

@dataclass
class AreaPageContext:
    """Province or district page (area.html.j2); also the index page of a national report."""
    meta: PageMeta = _f("Header and footer")
    level: str = _f("country | province | amphoe")
    code: str = _f("DOPA code of the area ('' for the country)")
    name: str = _f("Area name")
    stats: AreaStats = _f("Roll-up of the whole area", factory=AreaStats)
    child_level: str = _f("province | amphoe | tambon: what `children` lists")
    children: list[AreaRow] = _f("Child areas with their numbers", factory=list)
    officers: list[AreaRow] = _f("Report groups (officers or unassigned tambons) in the area", factory=list)
    laos: list[LaoRow] = _f("LAOs of the area (empty when too many: see children)", factory=list)
    top_missing: list[ItemStat] = _f("Items most often missing in the area", factory=list)
    unreachable: list[LaoRow] = _f("LAOs whose site could not be reached", factory=list)
    changes: list[ChangeBlock] = _f("Changes since the previous run and since the monitoring start", factory=list)
    heatmap_href: str = _f("Link to the heat map ('' when too big)", "")
    downloads: list[Crumb] = _f("Files for download (Excel, CSV, JSON, PDFs)", factory=list)


@dataclass
class TambonPageContext:
    """Subdistrict gap list (tambon.html.j2 and tambon.md.j2)."""
    meta: PageMeta = _f("Header and footer")
    code: str = _f("DOPA subdistrict code")
    name: str = _f("Subdistrict name")
    amphoe_name: str = _f("District name")
    officer: OfficerInfo | None = _f("Officer assigned, None when nobody is")
    laos: list[LaoGaps] = _f("LAOs covering the subdistrict with their open items", factory=list)
    pdf_href: str = _f("Link to the PDF of the officer (or of this tambon)", "")


@dataclass
class LaoPageContext:
    """One LAO: every item with evidence, reason and date (lao.html.j2)."""
    meta: PageMeta = _f("Header and footer")
    lao: LaoRow = _f("The LAO and its score")
    final_url: str = _f("Where the crawl ended up (site-supplied)", "")
    final_href: str | None = _f("final_url when http(s)")
    platform: str = _f("CMS platform fingerprinted", "")
    flags: list[str] = _f("Crawl flags (tls_expired, js_rendered ...)", factory=list)
    tambons: list[Crumb] = _f("Subdistricts the LAO covers", factory=list)
    items: list[ItemRow] = _f("All items in catalogue order", factory=list)
    changes: list[ItemRow] = _f("Items changed since the previous run", factory=list)


@dataclass
class HeatmapContext:
    """LAO x item status matrix of one area (heatmap.html.j2)."""
    meta: PageMeta = _f("Header and footer")
    area_name: str = _f("Area shown")
    columns: list[ItemStat] = _f("Items in catalogue order", factory=list)
    rows: list[HeatRow] = _f("One row per LAO", factory=list)


@dataclass
class ItemsPageContext:
    """Every item with how often it is missing (items.html.j2)."""
    meta: PageMeta = _f("Header and footer")
    area_name: str = _f("Area counted")
    items: list[ItemStat] = _f("Items, most often missing first", factory=list)


@dataclass
class OfficerReportContext:
    """Printable gap list of one officer, or of one tambon without an officer (officer.html.j2, officer.md.j2)."""
    meta: PageMeta = _f("Header and footer")
    group_id: str = _f("officer_id, or tambon-<code> when unassigned")
    officer: OfficerInfo | None = _f("The officer; None for an unassigned tambon")
    stats: AreaStats = _f("Roll-up over the group's LAOs", factory=AreaStats)
    tambons: list[TambonGaps] = _f("The subdistricts and their LAOs' open items", factory=list)


@dataclass
class ProgressContext:
    """District progress per reporting round (progress.html.j2, also printed to PDF)."""
    meta: PageMeta = _f("Header and footer")
    area_name: str = _f("Province (or country) shown")
    rounds: list[RoundInfo] = _f("Reporting rounds of the year", factory=list)
    rows: list[ProgressRow] = _f("One row per district", factory=list)
    total: ProgressRow | None = _f("Whole-area row")
