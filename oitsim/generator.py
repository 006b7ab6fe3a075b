"""Site planning and the generated Worlds of the simulated LAO web.

A site is planned once from (seed, host) into a ``SiteSpec``: the LAO, its style, its
vendor leftovers and one ``ItemPlan`` per ITA 2565 item saying what was PLANTED (state and
form). Ground-truth labels are derived from the plans only (see ``oitsim/labels.py`` and
``oitsim/README.md``); styles render the plans into pages.

Entry points: ``mukdahan_world(seed, as_of)``, ``GeneratedWorld``; the national set is in
``oitsim/national.py``.
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from . import google
from .content import Lao, fill, item_map, items, rng, stable_hash, vocab
from .world import HostProfile, SimResponse, host_of, not_found, request_header

FISCAL_YEAR = 2565
DEFAULT_AS_OF = date(2022, 4, 30)
REGISTRY_PATH = Path(__file__).resolve().parent.parent / "config" / "registry" / "laos.csv"

#: every style the generator knows (see oitsim/styles/)
STYLES = (
    "assystem",
    "inthai",
    "itatable",
    "numbered",
    "wordpress",
    "joomla",
    "jsinject",
    "collapsetree",
    "modal",
    "legacy",
    "hijacked",
    "stale",
)

#: Mukdahan style mix (55 sites): shuffled deterministically from the seed
MUKDAHAN_MIX = {
    "assystem": 11,
    "inthai": 9,
    "itatable": 5,
    "numbered": 5,
    "wordpress": 6,
    "joomla": 3,
    "jsinject": 3,
    "collapsetree": 4,
    "modal": 2,
    "legacy": 3,
    "hijacked": 2,
    "stale": 2,
}
#: number of Mukdahan sites whose host does not resolve any more (expired domain)
MUKDAHAN_UNREACHABLE = 1

#: share of the registry's old alt domains that now serve a parked/gambling page (others do not resolve)
ALT_HIJACKED_SHARE = 0.3

#: national style weights
NATIONAL_WEIGHTS = {
    "assystem": 24,
    "inthai": 16,
    "itatable": 8,
    "numbered": 8,
    "wordpress": 12,
    "joomla": 4,
    "jsinject": 4,
    "collapsetree": 6,
    "modal": 3,
    "legacy": 7,
    "hijacked": 3,
    "stale": 5,
}

DOC_FORMS = ("pdf", "scan", "docx", "xlsx", "drive")
YEAR_RULES = ("current", "prev", "h1", "plan", "monthly")
PASS_STATES = ("ok",)

#: chance that a Drive file planted as published is not shared publicly (sign-in page), and that a
#: Google Form planted as a channel no longer accepts responses
PRIVATE_DRIVE_SHARE = 0.15
CLOSED_FORM_SHARE = 0.2

#: chance an item is defective, by site quality tier
TIER_DEFECT = {"good": 0.07, "fair": 0.2, "poor": 0.45}
TIER_WEIGHTS = (("good", 0.45), ("fair", 0.4), ("poor", 0.15))


@dataclass
class ItemPlan:
    """What the generator planted for one item on one site."""

    code: str
    state: str  # ok | missing | broken | placeholder | empty | stale | incomplete | private | closed
    form: str  # page | list | channel | offsite_channel | social | monthly | pdf | scan | docx | xlsx | drive
    fy: int | None  # fiscal year the content names (None: no year written)
    variant: int = 0  # free random number for per-style choices
    missing_months: tuple[int, ...] = ()  # O23: (gregorian year*100+month) left out

    @property
    def label(self) -> str:
        return "pass" if self.state in PASS_STATES else "fail"

    @property
    def problem(self) -> str | None:
        if self.state != "ok":
            return self.state
        if self.form == "scan":
            return "scanned"
        if self.form in ("drive", "offsite_channel"):
            return "offsite"
        return None


@dataclass
class SiteSpec:
    """Everything planned for one site."""

    lao: Lao
    host: str
    scheme: str
    base_path: str  # "/" or "/bankho/" for sites hosted under a path
    style: str
    seed: object
    as_of: date
    tier: str
    plans: dict[str, ItemPlan]
    site_problem: str | None = None  # hijacked | unreachable
    fault: str | None = None
    other_lao_title: str | None = None  # vendor-copy leftover: another LAO's name in <title>
    eit_comment: str | None = None  # vendor-copy leftover: EIT link inside an HTML comment
    facebook: str = ""
    variant: int = 0

    @property
    def root(self) -> str:
        return f"{self.scheme}://{self.host}{self.base_path}"


# --------------------------------------------------------------------------- planning


def _weighted(r, pairs):
    total = sum(w for _, w in pairs)
    x = r.random() * total
    for value, weight in pairs:
        x -= weight
        if x <= 0:
            return value
    return pairs[-1][0]


def _default_form(r, item: dict) -> str:
    form = item["form"]
    if form == "doc":
        return _weighted(r, [("pdf", 70), ("scan", 10), ("docx", 7), ("xlsx", 5), ("drive", 8)])
    if form == "channel":
        return _weighted(r, [("channel", 75), ("offsite_channel", 25)])
    return form


def _ok_fy(item: dict) -> int | None:
    rule = item["year"]
    return {"current": FISCAL_YEAR, "h1": FISCAL_YEAR, "monthly": FISCAL_YEAR, "plan": FISCAL_YEAR, "prev": FISCAL_YEAR - 1}.get(rule)


def _stale_fy(r, item: dict) -> int:
    rule = item["year"]
    if rule == "plan":
        return FISCAL_YEAR - r.choice([5, 6])  # a plan that ended before 2565 (e.g. 2557–2561)
    if rule == "prev":
        return FISCAL_YEAR - r.choice([2, 3])
    return FISCAL_YEAR - r.choice([1, 2, 2, 3])


def _defect(r, item: dict, form: str) -> str:
    """Pick a defect kind that fits the item."""
    choices = [("missing", 34), ("broken", 12), ("placeholder", 18), ("empty", 7)]
    if item["year"] in YEAR_RULES:
        choices.append(("stale", 20))
    if item["code"] in ("O2", "O5"):
        choices.append(("incomplete", 12))
    if item["year"] == "monthly":
        choices.append(("incomplete", 40))
    return _weighted(r, choices)


def _months_missing(r, as_of: date) -> tuple[int, ...]:
    """Months of Oct 2564–Mar 2565 left out of an incomplete O23 (1–3 of them)."""
    months = [(FISCAL_YEAR - 544) * 100 + m for m in (10, 11, 12)] + [(FISCAL_YEAR - 543) * 100 + m for m in (1, 2, 3)]
    k = r.choice([1, 1, 2, 3])
    return tuple(sorted(r.sample(months, k)))


def plan_items(seed, host: str, style: str, tier: str, as_of: date) -> dict[str, ItemPlan]:
    """Plan the 43 items of one site according to its style and quality tier."""
    plans: dict[str, ItemPlan] = {}
    p_defect = TIER_DEFECT[tier]
    r = rng(seed, host, "items")  # one stream per site (seeding a Random per item is slow)
    for item in items():
        code = item["code"]
        form = _default_form(r, item)
        if code == "O9":
            form = "social"
        variant = r.randint(0, 1_000_000)
        state = "ok"
        fy = _ok_fy(item)
        missing: tuple[int, ...] = ()
        if style == "legacy":
            state, fy = _legacy_state(item)
            form = "page" if state != "missing" else form
        elif style == "hijacked":
            state = "missing"
        elif style == "stale" and item["year"] in YEAR_RULES:
            state, fy = "stale", FISCAL_YEAR - 2
            if item["year"] == "plan":
                fy = FISCAL_YEAR - 5
            if item["year"] == "prev":
                fy = FISCAL_YEAR - 2
        elif r.random() < p_defect:
            state = _defect(r, item, form)
        allowed = item.get("defects")  # content every template carries (news) can go stale, never missing
        if allowed and state not in ("ok", *allowed) and style not in ("legacy", "hijacked"):
            state = allowed[0]
            fy = _stale_fy(rng(seed, host, code, "defect"), item)   # own stream: other items keep their plans
        elif state == "stale" and style not in ("stale", "legacy"):
            fy = _stale_fy(r, item)
        if state == "incomplete" and item["year"] == "monthly":
            missing = _months_missing(r, as_of)
        if state in ("empty", "placeholder", "broken") and form in ("social", "offsite_channel", "drive"):
            form = "page" if item["form"] != "doc" else "pdf"
        if state == "incomplete" and form not in ("page", "monthly"):
            form = "page"
        if state == "ok" and form in ("drive", "offsite_channel"):
            # its own stream, so the other plans of the site stay as they were
            share = PRIVATE_DRIVE_SHARE if form == "drive" else CLOSED_FORM_SHARE
            if rng(seed, host, code, "google").random() < share:
                state = "private" if form == "drive" else "closed"
        plans[code] = ItemPlan(code, state, form, fy, variant, missing)
    return plans


def _legacy_state(item: dict) -> tuple[str, int | None]:
    """A pre-OIT (2016-era) site: only the classic 'about us' pages exist."""
    code = item["code"]
    if code in ("O1", "O3", "O5"):
        return "ok", None
    if code in ("O2", "O7"):
        return "stale", 2559
    return "missing", None


def plan_site(
    lao: Lao,
    url: str,
    *,
    seed,
    as_of: date,
    style: str,
    facebook: str = "",
    neighbours: tuple[str, ...] = (),
    site_problem: str | None = None,
) -> SiteSpec:
    """Plan one site at ``url`` (its host, scheme and base path come from the URL)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    scheme = parts.scheme or "http"
    base_path = parts.path if parts.path.endswith("/") else (parts.path + "/" if parts.path else "/")
    r = rng(seed, host, "site")
    tier = _weighted(r, list(TIER_WEIGHTS))
    plans = plan_items(seed, host, style, tier, as_of)
    other = None
    if neighbours and style in ("assystem", "itatable", "numbered", "collapsetree") and r.random() < 0.3:
        other = r.choice(neighbours)
    eit = None
    if style not in ("hijacked", "legacy") and r.random() < 0.35:
        eit = f"https://itas.nacc.go.th/go/eit/{rng(seed, host, 'eit').choice('abcdefghjkmnpqrstuvwxyz')}{r.randint(1000, 9999)}x"
    spec = SiteSpec(
        lao=lao,
        host=host,
        scheme=scheme,
        base_path=base_path,
        style=style,
        seed=seed,
        as_of=as_of,
        tier=tier,
        plans=plans,
        site_problem=site_problem,
        other_lao_title=other,
        eit_comment=eit,
        facebook=facebook or f"https://www.facebook.com/profile.php?id=1000{r.randint(10**10, 10**11 - 1)}",
        variant=r.randint(0, 1_000_000),
    )
    if site_problem == "unreachable":
        spec.fault = "dns_error"
    if style == "hijacked":
        spec.site_problem = "hijacked"
    return spec


# --------------------------------------------------------------------------- labels


def spec_labels(spec: SiteSpec, site=None) -> list[dict]:
    """Ground-truth rows of one site, from its plans (never from a checker)."""
    rows = []
    evidence = site.evidence_urls() if site is not None else {}
    for item in items():
        code = item["code"]
        plan = spec.plans[code]
        label, problem = plan.label, plan.problem
        if spec.site_problem in ("hijacked", "unreachable"):
            label, problem = "fail", spec.site_problem
        rows.append(
            {
                "lao_id": spec.lao.lao_id,
                "host": spec.host,
                "style": spec.style,
                "code": code,
                "label": label,
                "problem": problem,
                "as_of": spec.as_of.isoformat(),
                "form": plan.form,
                "fy": plan.fy,
                "evidence_url": evidence.get(code),
            }
        )
    return rows


# --------------------------------------------------------------------------- worlds


class GeneratedWorld:
    """A World of planned sites; site objects are built on demand and kept in a bounded LRU."""

    def __init__(self, specs_by_host=None, *, spec_factory=None, hosts=None, known=None, site_cache: int = 256, doc_cache: int = 256):
        self._specs = specs_by_host or {}
        self._factory = spec_factory
        self._hosts = hosts
        self._sites: OrderedDict[str, object] = OrderedDict()
        self._site_cache = site_cache
        self._docs: OrderedDict[tuple[str, str], SimResponse] = OrderedDict()
        self._doc_cache = doc_cache
        self._spec_lru: OrderedDict[str, SiteSpec] = OrderedDict()
        self._known = known
        self.unlabelled: set[str] = set()
        #: Google Drive / Forms / sign-in hosts for the files and forms these sites link to
        self.google = google.GoogleServices(self.site)

    # -- specs and sites
    def spec(self, host: str) -> SiteSpec | None:
        host = host.lower().split(":")[0]
        spec = self._specs.get(host)
        if spec is None and self._factory is not None:
            site = self._sites.get(host)
            if site is not None:
                return site.spec
            spec = self._spec_lru.get(host)
            if spec is None:
                spec = self._factory(host)
                if spec is not None:
                    self._spec_lru[host] = spec
                    if len(self._spec_lru) > self._site_cache * 4:
                        self._spec_lru.popitem(last=False)
        return spec

    def site(self, host: str):
        host = host.lower().split(":")[0]
        site = self._sites.get(host)
        if site is not None:
            self._sites.move_to_end(host)
            return site
        spec = self.spec(host)
        if spec is None:
            return None
        from .styles import build_site

        site = build_site(spec)
        self._sites[host] = site
        if len(self._sites) > self._site_cache:
            self._sites.popitem(last=False)
        return site

    def hosts(self) -> list[str]:
        """Hosts that carry ground truth (one per LAO site); see also ``extra_hosts``."""
        if self._hosts is not None:
            return list(self._hosts())
        return [h for h in self._specs if h not in self.unlabelled]

    def extra_hosts(self) -> list[str]:
        """Served hosts without labels (old registry alt domains that now show parked/gambling pages)."""
        return [h for h in self._specs if h in self.unlabelled]

    # -- World protocol
    def _canonical(self, host: str) -> bool:
        if host in self._specs:
            return True
        if self._known is not None:
            return self._known(host)
        return self._factory is not None and self.spec(host) is not None

    def alias_of(self, host: str) -> str | None:
        """The canonical host a www/bare variant redirects to (None if ``host`` is not an alias)."""
        other = host[4:] if host.startswith("www.") else "www." + host
        if not self._canonical(host) and self._canonical(other):
            return other
        return None

    def has_host(self, host: str) -> bool:
        host = host.lower().split(":")[0]
        return host in google.HOSTS or self._canonical(host) or self.alias_of(host) is not None

    def profile(self, host: str) -> HostProfile:
        host = host.lower().split(":")[0]
        if host in google.HOSTS:
            return HostProfile()
        spec = self.spec(host) or self.spec(self.alias_of(host) or "")
        if spec is None:
            return HostProfile(fault="dns_error")
        return HostProfile(fault=spec.fault)

    def respond(self, method: str, url: str, headers: dict[str, str]) -> SimResponse:
        host = host_of(url)
        parts = urlsplit(url)
        tail = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        if host in google.HOSTS:
            if parts.scheme == "http":
                return SimResponse(301, [("Location", f"https://{host}{tail}")], b"")
            return self._cached(host, method, url, headers, self.google.respond, ())
        site = self.site(host)
        if site is None:
            target = self.alias_of(host)
            if target is None:
                return not_found()
            canonical = self.spec(target)
            return SimResponse(301, [("Location", f"{canonical.scheme}://{target}{tail}")], b"")
        if site.spec.scheme == "https" and parts.scheme == "http":
            return SimResponse(301, [("Location", f"https://{host}{tail}")], b"")
        return self._cached(host, method, url, headers, site.respond, site.server_headers)

    def _cached(self, host, method, url, headers, answer, server_headers) -> SimResponse:
        """``answer(method, url, headers)`` with document bytes kept in the LRU, ETag and 304."""
        key = (host, url.split("#", 1)[0])
        resp = self._docs.get(key)
        if resp is not None:
            self._docs.move_to_end(key)
        else:
            resp = answer(method, url, headers)
            if resp.status == 200 and getattr(resp, "_cacheable", False):
                resp.headers.append(("ETag", '"' + stable_hash(key[1], n=16) + '"'))
                resp.headers.append(("Last-Modified", "Tue, 01 Mar 2022 02:00:00 GMT"))
                self._docs[key] = resp
                if len(self._docs) > self._doc_cache:
                    self._docs.popitem(last=False)
        etag = resp.header("ETag") if resp.status == 200 else None
        if etag and request_header(headers, "If-None-Match") == etag:
            return SimResponse(304, [("ETag", etag)], b"")
        out = SimResponse(resp.status, list(resp.headers) + list(server_headers), resp.body)
        return _for_method(method, out)

    # -- ground truth
    def labels(self) -> list[dict]:
        rows: list[dict] = []
        for host in self.hosts():
            rows.extend(spec_labels(self.spec(host), self.site(host)))
        return rows

    def labels_for(self, host: str) -> list[dict]:
        """Ground-truth rows of one host."""
        return spec_labels(self.spec(host), self.site(host))

    def styles(self) -> dict[str, str]:
        return {h: self.spec(h).style for h in self.hosts()}


def _for_method(method: str, resp: SimResponse) -> SimResponse:
    if method.upper() == "HEAD":
        return SimResponse(resp.status, list(resp.headers), b"")
    return resp


# --------------------------------------------------------------------------- Mukdahan


def read_registry(path: Path | str = REGISTRY_PATH) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _site_url(row: dict) -> str | None:
    """Registry URL, or for rows without one the first alt URL (documented in README)."""
    url = (row.get("url") or "").strip()
    if url:
        return url
    alts = [a.strip() for a in (row.get("alt_urls") or "").split(";") if a.strip()]
    return alts[0] if alts else None


def _places(province_code: str) -> tuple[dict, dict, dict]:
    """Province/district/subdistrict names from geothai (Thai), keyed by code."""
    import geothai

    prov = {p.code: p for p in geothai.provinces()}
    dists = {d.code: d for d in geothai.districts(province_code)}
    subs = {}
    for dcode in dists:
        subs.update({s.code: s for s in geothai.subdistricts(dcode)})
    return prov, dists, subs


def lao_from_row(row: dict, places) -> Lao:
    prov, dists, subs = places
    p = prov.get(row["province_code"])
    d = dists.get(row.get("amphoe_code") or "")
    s = subs.get(row.get("tambon_code") or "")
    return Lao(
        lao_id=row["lao_id"],
        lao_type=row["lao_type"],
        name_th=row["name_th"],
        name_en=row["name_en"],
        province_code=row["province_code"],
        amphoe_code=row.get("amphoe_code") or "",
        tambon_code=row.get("tambon_code") or "",
        province_th=p.name_th if p else "",
        amphoe_th=(d.name_th if d else (list(dists.values())[0].name_th if dists else "")),
        tambon_th=s.name_th if s else row["name_th"],
        postal=(s.postal_codes[0] if s and s.postal_codes else ""),
    )


def mukdahan_world(seed=2565, as_of: date = DEFAULT_AS_OF, registry: Path | str = REGISTRY_PATH) -> GeneratedWorld:
    """The 55 Mukdahan LAOs at their real host names, styles mixed deterministically from ``seed``."""
    rows = read_registry(registry)
    places = _places(rows[0]["province_code"])
    styles = [s for s, n in MUKDAHAN_MIX.items() for _ in range(n)]
    r = rng(seed, "mukdahan", "styles")
    r.shuffle(styles)
    down = set(r.sample(range(len(rows)), MUKDAHAN_UNREACHABLE))
    names = tuple(vocab()["lao_full"][row["lao_type"]] + row["name_th"] for row in rows)
    specs: dict[str, SiteSpec] = {}
    for i, row in enumerate(rows):
        url = _site_url(row)
        if url is None:
            continue
        lao = lao_from_row(row, places)
        style = styles[i % len(styles)]
        others = tuple(n for n in names if n != lao.full_name)
        spec = plan_site(
            lao,
            url,
            seed=seed,
            as_of=as_of,
            style=style,
            facebook=row.get("facebook") or "",
            neighbours=others,
            site_problem="unreachable" if i in down else None,
        )
        specs[spec.host] = spec
    world = GeneratedWorld(specs)
    _add_dead_alt_domains(world, rows, places, seed, as_of)
    return world


def _add_dead_alt_domains(world: GeneratedWorld, rows, places, seed, as_of) -> None:
    """Old non-.go.th alt domains of the registry: about a third now serve a parked or gambling
    page (unlabelled extra hosts); the rest do not resolve at all."""
    for row in rows:
        main = _site_url(row)
        for alt in [a.strip() for a in (row.get("alt_urls") or "").split(";") if a.strip()]:
            host = (urlsplit(alt).hostname or "").lower()
            if not host or alt == main or host in world._specs or host.endswith(".go.th"):
                continue  # .go.th names cannot be bought by others
            if rng(seed, host, "alt").random() >= ALT_HIJACKED_SHARE:
                continue
            spec = plan_site(lao_from_row(row, places), alt, seed=seed, as_of=as_of, style="hijacked")
            world._specs[host] = spec
            world.unlabelled.add(host)


__all__ = [
    "ItemPlan",
    "SiteSpec",
    "GeneratedWorld",
    "mukdahan_world",
    "plan_site",
    "spec_labels",
    "STYLES",
    "FISCAL_YEAR",
    "fill",
    "item_map",
]
