"""The held-out world: LAOs of other provinces built in styles the checker was NOT developed
against (see "Held-out styles" in oitsim/README.md).

It measures generalisation: the Mukdahan world (oitsim/generator.py) and its 12 styles are what
the checker was built and tuned on; these sites copy other real patterns of
../shared/reference/real-lao-sites.md. Labels follow the same rules (``spec_labels`` from the
same ``ItemPlan``s), and the world is deterministic for a seed.

* ``heldout_world(seed, as_of)`` -> ``GeneratedWorld`` (24 sites, 6 per held-out style)
* ``heldout_registry_rows(seed)`` -> registry rows (config/registry/laos.csv columns)
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from .content import Lao, rng, vocab
from .generator import DEFAULT_AS_OF, GeneratedWorld, plan_site, read_registry

#: styles only the held-out world uses (never in the Mukdahan world, never in STYLES)
HELDOUT_STYLES = ("yeartabs", "postlist", "subindicator", "iframehub")
SITES_PER_STYLE = 6
#: provinces the held-out LAOs come from (none is Mukdahan, 49)
PROVINCES = ("42", "45", "32", "40", "67", "33")


def _slug(name_en: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name_en.lower()) or "lao"


@lru_cache(maxsize=4)
def heldout_entries(seed=2565) -> tuple[tuple[Lao, str, str], ...]:
    """(lao, url, style) for every held-out site, deterministic for the seed."""
    import geothai

    r = rng(seed, "heldout", "pick")
    taken = {(row.get("url") or "").split("/")[2].lower() for row in read_registry() if row.get("url")}
    cands = []
    for pcode in PROVINCES:
        prov = next(p for p in geothai.provinces() if p.code == pcode)
        for d in geothai.districts(pcode):
            for s in geothai.subdistricts(d.code):
                cands.append((prov, d, s))
    cands.sort(key=lambda c: c[2].code)
    chosen = r.sample(cands, SITES_PER_STYLE * len(HELDOUT_STYLES))
    styles = [s for s in HELDOUT_STYLES for _ in range(SITES_PER_STYLE)]
    r.shuffle(styles)
    out = []
    used: set[str] = set()
    for (prov, dist, sub), style in zip(chosen, styles):
        lao_type = r.choice(["TAO", "TAO", "ThesabanTambon"])
        lao = Lao(
            lao_id=f"HO-{lao_type}-{sub.code}", lao_type=lao_type, name_th=sub.name_th, name_en=sub.name_en,
            province_code=prov.code, amphoe_code=dist.code, tambon_code=sub.code, province_th=prov.name_th,
            amphoe_th=dist.name_th, tambon_th=sub.name_th, postal=sub.postal_codes[0] if sub.postal_codes else "",
        )
        base, pslug = _slug(sub.name_en), _slug(prov.name_en)
        name = r.choice([f"{base}.go.th", f"{base}sao.go.th", f"{base}local.go.th", f"tambon{base}.go.th", f"{base}-{pslug}.go.th"])
        while name in used or name in taken or "www." + name in taken:
            name = "x" + name
        used.add(name)
        www = "www." if r.random() < 0.7 else ""
        scheme = "https" if r.random() < 0.3 else "http"
        out.append((lao, f"{scheme}://{www}{name}/", style))
    return tuple(out)


def heldout_world(seed=2565, as_of: date = DEFAULT_AS_OF) -> GeneratedWorld:
    """The held-out sites (no unreachable or hijacked site: every item is judged on content)."""
    specs = {}
    for lao, url, style in heldout_entries(seed):
        spec = plan_site(lao, url, seed=seed, as_of=as_of, style=style)
        specs[spec.host] = spec
    return GeneratedWorld(specs)


def heldout_registry_rows(seed=2565):
    """Registry rows (config/registry/laos.csv columns) of the held-out sites."""
    short, full = vocab()["lao_short"], vocab()["lao_full"]
    for lao, url, _style in heldout_entries(seed):
        yield {
            "lao_id": lao.lao_id, "lao_type": lao.lao_type,
            "lao_type_th": short[lao.lao_type] if lao.lao_type in ("TAO", "PAO") else full[lao.lao_type],
            "name_th": lao.name_th, "name_en": lao.name_en, "province_code": lao.province_code,
            "amphoe_code": lao.amphoe_code, "tambon_code": lao.tambon_code, "url": url, "alt_urls": "",
            "facebook": "", "platform": "", "lat": "", "long": "",
        }
