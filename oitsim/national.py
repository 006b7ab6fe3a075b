"""National-scale simulated LAO web (~7,850 LAOs) built on geothai's real subdistricts.

Nothing is written to disk: the LAO list is derived from geothai and the seed; each site is
planned from a hash of (seed, host) when a request arrives, and pages are rendered per
request. Built sites and document bytes live in bounded LRUs, so memory does not grow with
the number of sites visited.

* ``national_world(seed, count=7850)`` -> ``GeneratedWorld``
* ``national_registry_rows(seed, count)`` -> registry rows in the config/registry/laos.csv format
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .content import Lao, rng, stable_hash
from .generator import DEFAULT_AS_OF, NATIONAL_WEIGHTS, GeneratedWorld, plan_site

REGISTRY_COLUMNS = [
    "lao_id", "lao_type", "lao_type_th", "name_th", "name_en", "province_code", "amphoe_code",
    "tambon_code", "url", "alt_urls", "facebook", "platform", "lat", "long",
]
BANGKOK = "10"
NO_URL_SHARE = 0.08  # registry rows without any URL
DOWN_SHARE = 0.06  # hosts whose domain no longer resolves
HTTPS_SHARE = 0.17
WWW_SHARE = 0.78


@dataclass(frozen=True)
class NationalEntry:
    lao: Lao
    url: str  # "" when the registry has no URL
    lat: float
    long: float


def _slug(name_en: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name_en.lower()) or "lao"


def _candidates() -> list[tuple]:
    """(lao_type, name_th, name_en, province, amphoe, tambon, postal, province_th, amphoe_th, tambon_th) for every LAO candidate."""
    import geothai

    out = []
    for p in geothai.provinces():
        if p.code == BANGKOK:
            continue
        dists = geothai.districts(p.code)
        out.append(("PAO", p.name_th, p.name_en, p.code, "", "", "", p.name_th, dists[0].name_th if dists else "", "", p.name_en))
        for d in dists:
            subs = geothai.subdistricts(d.code)
            for i, s in enumerate(subs):
                post = s.postal_codes[0] if s.postal_codes else ""
                out.append(("SUB", s.name_th, s.name_en, p.code, d.code, s.code, post, p.name_th, d.name_th, s.name_th, p.name_en))
            if subs:  # a town municipality named after the district seat (partly covers its first subdistrict)
                s = subs[0]
                out.append(("TOWN", d.name_th, d.name_en, p.code, d.code, "", s.postal_codes[0] if s.postal_codes else "", p.name_th, d.name_th, s.name_th, p.name_en))
    return out


@lru_cache(maxsize=8)
def national_entries(seed=2565, count: int = 7850) -> tuple[NationalEntry, ...]:
    """The national LAO list for (seed, count), deterministic and ordered by area code."""
    cands = _candidates()
    r = rng(seed, "national", "select")
    subs = [c for c in cands if c[0] == "SUB"]
    fixed = [c for c in cands if c[0] == "PAO"] + subs
    towns = sorted((c for c in cands if c[0] == "TOWN"), key=lambda c: stable_hash(seed, c[4]))
    chosen = fixed + towns[: max(0, count - len(fixed))]
    if len(chosen) > count:
        chosen = sorted(chosen, key=lambda c: stable_hash(seed, c[0], c[3], c[4], c[5], c[1]))[:count]
    chosen.sort(key=lambda c: (c[3], c[4], c[5], c[0]))
    used: set[str] = set()
    out = []
    for c in chosen:
        kind, name_th, name_en, prov, amph, tamb, post, prov_th, amph_th, tamb_th, prov_en = c
        h = rng(seed, "national", prov, amph, tamb, kind, name_en)
        if kind == "PAO":
            lao_type = "PAO"
        elif kind == "TOWN":
            lao_type = "ThesabanMueang" if h.random() < 0.35 else "ThesabanTambon"
        else:
            lao_type = "TAO" if h.random() < 0.72 else "ThesabanTambon"
        lao_id = f"SIM-{lao_type}-{tamb or amph or prov}" + ("" if kind != "TOWN" else "T")
        lao = Lao(lao_id, lao_type, name_th, name_en, prov, amph, tamb, prov_th, amph_th, tamb_th, post)
        url = "" if h.random() < NO_URL_SHARE else _url(h, lao, used, prov_en)
        lat = 6.0 + (int(stable_hash(lao_id, "lat", n=6), 16) % 140000) / 10000
        lng = 97.5 + (int(stable_hash(lao_id, "lng", n=6), 16) % 80000) / 10000
        out.append(NationalEntry(lao, url, round(lat, 4), round(lng, 4)))
    return tuple(out)


def _url(h, lao: Lao, used: set[str], prov_en: str) -> str:
    base = _slug(lao.name_en)
    prov = _slug(prov_en)
    if lao.lao_type == "PAO":
        names = [f"{base}pao.go.th", f"{base}-pao.go.th", f"pao-{base}.go.th"]
    elif lao.lao_type == "TAO":
        names = [f"{base}.go.th", f"{base}sao.go.th", f"{base}local.go.th", f"tambon{base}.go.th", f"{base}-{prov}.go.th", f"{base}.com", f"{base}.org"]
    else:
        names = [f"{base}.go.th", f"{base}city.go.th", f"{base}local.go.th", f"{base}-{prov}.go.th"]
    name = names[0] if h.random() < 0.5 else h.choice(names)
    n = 1
    while name in used:
        n += 1
        stem, _, tld = name.partition(".")
        name = f"{stem}{n}.{tld}"
    used.add(name)
    www = "www." if h.random() < WWW_SHARE else ""
    scheme = "https" if h.random() < HTTPS_SHARE else "http"
    return f"{scheme}://{www}{name}/"


def _style_for(seed, host: str) -> str:
    r = rng(seed, host, "style")
    total = sum(NATIONAL_WEIGHTS.values())
    x = r.random() * total
    for style, weight in NATIONAL_WEIGHTS.items():
        x -= weight
        if x <= 0:
            return style
    return "assystem"


def national_world(seed=2565, count: int = 7850, as_of: date = DEFAULT_AS_OF, *, site_cache: int = 256, doc_cache: int = 128) -> GeneratedWorld:
    """A lazily generated World of ``count`` LAOs; only hosts of registry rows with a URL answer."""
    entries = national_entries(seed, count)
    index = {}
    for i, e in enumerate(entries):
        if e.url:
            index[e.url.split("/")[2]] = i

    def factory(host: str):
        i = index.get(host)
        if i is None:
            return None
        e = entries[i]
        r = rng(seed, host, "national-site")
        problem = "unreachable" if r.random() < DOWN_SHARE else None
        return plan_site(e.lao, e.url, seed=seed, as_of=as_of, style=_style_for(seed, host), site_problem=problem)

    world = NationalWorld(spec_factory=factory, hosts=lambda: index.keys(), known=index.__contains__, site_cache=site_cache, doc_cache=doc_cache)
    world.entries = entries
    world.as_of = as_of
    return world


class NationalWorld(GeneratedWorld):
    """GeneratedWorld whose labels also cover registry rows without a URL (as unreachable)."""

    entries: tuple[NationalEntry, ...] = ()
    as_of: date = DEFAULT_AS_OF

    def labels(self, evidence: bool = False) -> list[dict]:
        """All rows; ``evidence=True`` also builds each site to fill evidence_url (slow: ~7,850 sites)."""
        from .content import items
        from .generator import spec_labels

        rows: list[dict] = []
        for e in self.entries:
            if not e.url:
                for item in items():
                    rows.append({"lao_id": e.lao.lao_id, "host": "", "style": "none", "code": item["code"], "label": "fail",
                                 "problem": "unreachable", "as_of": self.as_of.isoformat(), "form": "", "fy": None, "evidence_url": None})
                continue
            host = e.url.split("/")[2]
            spec = self.spec(host)
            rows.extend(spec_labels(spec, self.site(host) if evidence else None))
        return rows


def national_registry_rows(seed=2565, count: int = 7850):
    """Yield registry rows (config/registry/laos.csv columns) of the national set."""
    from .content import vocab

    short = vocab()["lao_short"]
    full = vocab()["lao_full"]
    for e in national_entries(seed, count):
        lao = e.lao
        type_th = short[lao.lao_type] if lao.lao_type in ("TAO", "PAO") else full[lao.lao_type]
        yield {
            "lao_id": lao.lao_id,
            "lao_type": lao.lao_type,
            "lao_type_th": type_th,
            "name_th": lao.name_th,
            "name_en": lao.name_en,
            "province_code": lao.province_code,
            "amphoe_code": lao.amphoe_code,
            "tambon_code": lao.tambon_code,
            "url": e.url,
            "alt_urls": "",
            "facebook": "",
            "platform": "",
            "lat": f"{e.lat:.4f}",
            "long": f"{e.long:.4f}",
        }
