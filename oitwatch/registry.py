"""Load and validate the LAO registry, the tambon coverage table and the officer assignments.

Files (CSV, UTF-8 with or without BOM, editable in Excel):
- config/registry/laos.csv        one row per LAO
- config/registry/coverage.csv    many-to-many tambon <-> LAO (completely | partially)
- config/assignments/officers.csv the officer assigned to each tambon (blank template shipped)

Rows are checked against config/schema/registry.json (required, pattern, enum, e-mail format)
and DOPA codes against geothai as they load; the first bad value raises InputError naming
file, row and column. `validate_registry` collects every problem instead of stopping at one.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from oitwatch.errors import InputError
from oitwatch.paths import CONFIG_DIR, DEFAULT_COVERAGE, DEFAULT_LAOS, DEFAULT_OFFICERS

LAO_COLUMNS = ["lao_id", "lao_type", "lao_type_th", "name_th", "name_en", "province_code",
               "amphoe_code", "tambon_code", "url", "alt_urls", "facebook", "platform", "lat", "long"]
COVERAGE_COLUMNS = ["tambon_code", "lao_id", "coverage"]
OFFICER_COLUMNS = ["tambon_code", "officer_name", "position", "phone", "email", "line_id"]
SCHEMA_PATH = CONFIG_DIR / "schema" / "registry.json"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Lao:
    lao_id: str
    lao_type: str
    lao_type_th: str
    name_th: str
    name_en: str
    province_code: str
    amphoe_code: str = ""
    tambon_code: str = ""
    url: str = ""
    alt_urls: list[str] = field(default_factory=list)
    facebook: str = ""
    platform: str = ""
    lat: str = ""
    long: str = ""

    @property
    def urls(self) -> list[str]:
        """The registry URL first, then known alternatives."""
        return [u for u in [self.url, *self.alt_urls] if u]


@dataclass
class Officer:
    """The officer assigned to one tambon (an officer usually appears on several rows)."""
    tambon_code: str
    officer_name: str = ""
    position: str = ""
    phone: str = ""
    email: str = ""
    line_id: str = ""

    @property
    def assigned(self) -> bool:
        return bool(self.officer_name)

    @property
    def officer_id(self) -> str:
        """Stable key grouping the tambons of one officer: e-mail, else LINE ID, else name."""
        return (self.email or self.line_id or self.officer_name).strip().lower()


# --------------------------------------------------------------------------- helpers

@lru_cache(maxsize=1)
def _schema() -> dict:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)["files"]


def check_url(url: str, where: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{where}: not an http(s) URL: {url!r}")
    return url


class _Collector:
    """Raise at the first problem (strict) or collect them all (for `oit registry validate`)."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.problems: list[str] = []

    def add(self, message: str) -> None:
        if self.strict:
            raise InputError(message)
        self.problems.append(message)


def _read_rows(path: Path, kind: str, columns: list[str], out: _Collector):
    """Yield (where, row) with stripped values after schema checks; header problems raise."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        yield from _read_rows_utf8(path, kind, columns, out)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' in Excel") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None


def _read_rows_utf8(path: Path, kind: str, columns: list[str], out: _Collector):
    schema = _schema()[kind]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in schema["x-header"] if c not in header]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)} "
                             f"(expected columns: {', '.join(columns)})")
        reader.fieldnames = header
        for lineno, raw in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in raw.items() if k}
            if not any(row.values()):
                continue  # blank line left by Excel
            where = f"{path}, row {lineno}"
            ok = True
            for col in schema["required"]:
                if not row.get(col):
                    out.add(f"{where}, column {col}: empty (required)")
                    ok = False
            for col, rule in schema["properties"].items():
                value = row.get(col, "")
                if not value:
                    continue
                if "enum" in rule and value not in rule["enum"]:
                    out.add(f"{where}, column {col}: {value!r} is not one of {', '.join(rule['enum'])}")
                    ok = False
                elif "pattern" in rule and not re.match(rule["pattern"], value):
                    out.add(f"{where}, column {col}: {value!r} has the wrong form")
                    ok = False
                elif rule.get("format") == "email" and not _EMAIL.match(value):
                    out.add(f"{where}, column {col}: {value!r} is not an e-mail address")
                    ok = False
            if ok:
                yield where, row


def _geothai():
    import geothai  # imported lazily: loading the gazetteer costs ~0.1 s
    return geothai


def _check_place(where: str, row: dict, out: _Collector) -> None:
    """Province, amphoe and tambon codes must exist and nest inside each other."""
    g = _geothai()
    p, a, t = row.get("province_code", ""), row.get("amphoe_code", ""), row.get("tambon_code", "")
    if p and g.province(p) is None:
        out.add(f"{where}, column province_code: {p!r} is not a DOPA province code")
        return
    if a:
        d = g.district(a)
        if d is None:
            out.add(f"{where}, column amphoe_code: {a!r} is not a DOPA district code")
            return
        if p and d.province_code != p:
            out.add(f"{where}, column amphoe_code: district {a} is not in province {p}")
            return
    if t:
        s = g.subdistrict(t)
        if s is None:
            out.add(f"{where}, column tambon_code: {t!r} is not a DOPA subdistrict code")
        elif a and s.district_code != a:
            out.add(f"{where}, column tambon_code: subdistrict {t} is not in district {a}")
        elif p and s.province_code != p:
            out.add(f"{where}, column tambon_code: subdistrict {t} is not in province {p}")


# --------------------------------------------------------------------------- loaders

def _load_laos(path: Path, out: _Collector, check_codes: bool) -> list[Lao]:
    laos, seen = [], set()
    for where, row in _read_rows(path, "laos", LAO_COLUMNS, out):
        if row["lao_id"] in seen:
            out.add(f"{where}, column lao_id: duplicate id {row['lao_id']!r}")
            continue
        seen.add(row["lao_id"])
        try:
            url = check_url(row["url"], f"{where}, column url") if row.get("url") else ""
            alts = [check_url(u, f"{where}, column alt_urls")
                    for u in row.get("alt_urls", "").split(";") if u.strip()]
        except InputError as exc:
            out.add(str(exc))
            continue
        if check_codes:
            _check_place(where, row, out)
        laos.append(Lao(
            lao_id=row["lao_id"], lao_type=row["lao_type"], lao_type_th=row.get("lao_type_th", ""),
            name_th=row["name_th"], name_en=row.get("name_en", ""), province_code=row["province_code"],
            amphoe_code=row.get("amphoe_code", ""), tambon_code=row.get("tambon_code", ""), url=url,
            alt_urls=alts, facebook=row.get("facebook", ""), platform=row.get("platform", ""),
            lat=row.get("lat", ""), long=row.get("long", ""),
        ))
    return laos


def load_laos(path: Path | str = DEFAULT_LAOS, *, check_codes: bool = True) -> list[Lao]:
    """The LAO registry; raises InputError at the first bad value (file, row, column)."""
    return _load_laos(Path(path), _Collector(strict=True), check_codes)


def _load_coverage(path: Path, out: _Collector, lao_ids: set[str] | None, check_codes: bool) -> list[dict]:
    rows, seen = [], set()
    g = _geothai() if check_codes else None
    for where, row in _read_rows(path, "coverage", COVERAGE_COLUMNS, out):
        key = (row["tambon_code"], row["lao_id"])
        if key in seen:
            out.add(f"{where}: duplicate pair tambon_code {key[0]} / lao_id {key[1]}")
            continue
        seen.add(key)
        if g is not None and g.subdistrict(row["tambon_code"]) is None:
            out.add(f"{where}, column tambon_code: {row['tambon_code']!r} is not a DOPA subdistrict code")
            continue
        if lao_ids is not None and row["lao_id"] not in lao_ids:
            out.add(f"{where}, column lao_id: {row['lao_id']!r} is not in the LAO registry")
            continue
        rows.append({c: row.get(c, "") for c in COVERAGE_COLUMNS})
    return rows


def load_coverage(path: Path | str = DEFAULT_COVERAGE, *, laos: list[Lao] | None = None,
                  check_codes: bool = True) -> list[dict]:
    """Coverage rows {tambon_code, lao_id, coverage}; with `laos`, every lao_id must exist."""
    ids = {l.lao_id for l in laos} if laos is not None else None
    return _load_coverage(Path(path), _Collector(strict=True), ids, check_codes)


def _load_officers(path: Path, out: _Collector, check_codes: bool) -> list[Officer]:
    officers, seen = [], set()
    g = _geothai() if check_codes else None
    for where, row in _read_rows(path, "officers", OFFICER_COLUMNS, out):
        t = row["tambon_code"]
        if t in seen:
            out.add(f"{where}, column tambon_code: tambon {t} is assigned twice")
            continue
        seen.add(t)
        if g is not None and g.subdistrict(t) is None:
            out.add(f"{where}, column tambon_code: {t!r} is not a DOPA subdistrict code")
            continue
        o = Officer(**{c: row.get(c, "") for c in OFFICER_COLUMNS})
        if o.assigned and not (o.phone or o.email or o.line_id):
            out.add(f"{where}, columns phone/email/line_id: officer {o.officer_name!r} has no contact")
            continue
        if not o.assigned and (o.position or o.phone or o.email or o.line_id):
            out.add(f"{where}, column officer_name: empty while contact details are filled in")
            continue
        officers.append(o)
    return officers


def load_officers(path: Path | str = DEFAULT_OFFICERS, *, check_codes: bool = True) -> list[Officer]:
    """Officer assignments per tambon; rows with an empty name mean 'not assigned yet'."""
    return _load_officers(Path(path), _Collector(strict=True), check_codes)


def validate_registry(laos: Path | str | None = DEFAULT_LAOS, coverage: Path | str | None = DEFAULT_COVERAGE,
                      officers: Path | str | None = DEFAULT_OFFICERS) -> tuple[dict, list[str]]:
    """Check the given files and collect every problem: (row counts per file, problems).

    Cross-file checks: coverage lao_ids exist in the registry; every non-PAO LAO covers at
    least one tambon (via coverage.csv or its own tambon_code); officers' tambons are covered.
    Header problems and missing files still raise InputError.
    """
    out = _Collector(strict=False)
    counts: dict[str, int] = {}
    lao_list = cov = None
    if laos is not None:
        lao_list = _load_laos(Path(laos), out, True)
        counts["laos"] = len(lao_list)
    if coverage is not None:
        ids = {l.lao_id for l in lao_list} if lao_list is not None else None
        cov = _load_coverage(Path(coverage), out, ids, True)
        counts["coverage"] = len(cov)
    if lao_list is not None and cov is not None:
        covered = {r["lao_id"] for r in cov}
        for l in lao_list:
            if l.lao_type != "PAO" and l.lao_id not in covered and not l.tambon_code:
                out.add(f"{laos}: LAO {l.lao_id} covers no tambon (no row in {coverage} and no tambon_code)")
    if officers is not None:
        offs = _load_officers(Path(officers), out, True)
        counts["officers"] = len(offs)
        counts["officers_assigned"] = sum(o.assigned for o in offs)
        if cov is not None:
            tambons = {r["tambon_code"] for r in cov} | {l.tambon_code for l in lao_list or [] if l.tambon_code}
            for o in offs:
                if o.assigned and o.tambon_code not in tambons:
                    out.add(f"{officers}: tambon {o.tambon_code} of officer {o.officer_name!r} "
                            f"is covered by no LAO in the registry")
    return counts, out.problems


# --------------------------------------------------------------------------- frames for reports

def laos_frame(laos: list[Lao]):
    import pandas as pd
    rows = [{c: getattr(l, c) for c in LAO_COLUMNS if c != "alt_urls"} for l in laos]
    return pd.DataFrame(rows, columns=[c for c in LAO_COLUMNS if c != "alt_urls"])


def placement_frame(laos: list[Lao], coverage: list[dict]):
    """Where each LAO is reported: one row per (lao_id, tambon_code) with amphoe and province.

    coverage.csv decides; an LAO without coverage rows falls back to its own tambon_code;
    a LAO covering no tambon (a PAO) gets one row with empty tambon and amphoe codes.
    Columns: lao_id, tambon_code, amphoe_code, province_code, coverage.
    """
    import pandas as pd
    by_id = {l.lao_id: l for l in laos}
    rows, placed = [], set()
    for r in coverage:
        l = by_id.get(r["lao_id"])
        if l is None:
            continue
        t = r["tambon_code"]
        rows.append({"lao_id": l.lao_id, "tambon_code": t, "amphoe_code": t[:4],
                     "province_code": t[:2], "coverage": r.get("coverage", "")})
        placed.add(l.lao_id)
    for l in laos:
        if l.lao_id in placed:
            continue
        t = l.tambon_code
        rows.append({"lao_id": l.lao_id, "tambon_code": t, "amphoe_code": t[:4] if t else l.amphoe_code,
                     "province_code": l.province_code, "coverage": "completely" if t else ""})
    return pd.DataFrame(rows, columns=["lao_id", "tambon_code", "amphoe_code", "province_code", "coverage"])


def officers_frame(officers: list[Officer]):
    import pandas as pd
    rows = [{**{c: getattr(o, c) for c in OFFICER_COLUMNS}, "officer_id": o.officer_id if o.assigned else ""}
            for o in officers]
    return pd.DataFrame(rows, columns=[*OFFICER_COLUMNS, "officer_id"])


def places_frame(codes):
    """Names of tambons, amphoes and provinces from geothai for the given codes (any level).

    Columns: code, level (province|amphoe|tambon), name_th, name_en, parent_code.
    """
    import pandas as pd
    g = _geothai()
    rows, seen = [], set()

    def add(code: str):
        if not code or code in seen:
            return
        seen.add(code)
        if len(code) == 2:
            p = g.province(code)
            if p:
                rows.append({"code": code, "level": "province", "name_th": p.name_th, "name_en": p.name_en, "parent_code": ""})
        elif len(code) == 4:
            d = g.district(code)
            if d:
                rows.append({"code": code, "level": "amphoe", "name_th": d.name_th, "name_en": d.name_en, "parent_code": d.province_code})
                add(d.province_code)
        elif len(code) == 6:
            s = g.subdistrict(code)
            if s:
                rows.append({"code": code, "level": "tambon", "name_th": s.name_th, "name_en": s.name_en, "parent_code": s.district_code})
                add(s.district_code)

    for c in codes:
        add(str(c))
    return pd.DataFrame(rows, columns=["code", "level", "name_th", "name_en", "parent_code"])
