"""The OIT catalogs as data: config/oit/items.yaml (items by stable key) and one file per ITA
year (config/oit/<BE-year>.yaml) mapping that year's O-codes to keys and checks.

Every file is validated against its JSON schema in config/schema/ when loaded.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

from oitwatch.errors import InputError
from oitwatch.paths import CONFIG_DIR

OIT_DIR = CONFIG_DIR / "oit"
SCHEMA_DIR = CONFIG_DIR / "schema"
_YEAR_FILE = re.compile(r"^(\d{4})\.yaml$")


def validate(data, schema_name: str, path: Path) -> None:
    """Raise InputError naming the file and the failing field when data breaks its schema."""
    exc = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(data))
    if exc is not None:   # the error jsonschema.validate would raise
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise InputError(f"{path}: {where}: {exc.message}") from None


@lru_cache(maxsize=None)
def _validator(schema_name: str):
    """A validator of config/schema/<schema_name>, built once per process. Unlike
    jsonschema.validate, it does not check the schema against its metaschema on every load
    (about 0.1 s per schema, paid by the crawler and every check worker): the schemas are
    files of this repository, checked by tests/test_catalog.py."""
    schema = json.loads((SCHEMA_DIR / schema_name).read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)


@dataclass(frozen=True)
class Element:
    name: str
    label_th: str
    label_en: str
    any: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogItem:
    """One item of one ITA year: code, stable key, order, how it is judged, and its vocabulary."""

    code: str
    key: str
    order: int
    group: str
    group_th: str
    group_en: str
    title_th: str
    title_en: str
    labels: tuple[str, ...]
    exact: tuple[str, ...]
    content: tuple[str, ...]
    exclude: tuple[str, ...]
    slugs: tuple[str, ...]
    evidence: tuple[str, ...]
    external_hosts: tuple[str, ...]
    host_alone: bool
    channel_terms: tuple[str, ...]
    elements: tuple[Element, ...]
    checks: tuple[str, ...]
    params: dict = field(default_factory=dict, hash=False, compare=False)
    review_on_fail: bool = False
    criteria_th: tuple[str, ...] = ()
    criteria_en: tuple[str, ...] = ()

    @property
    def number(self) -> int:
        return int(re.sub(r"\D", "", self.code) or 0)

    @property
    def document_item(self) -> bool:
        return bool(self.evidence) and self.evidence[0] == "document"


@dataclass(frozen=True)
class Catalog:
    year: int
    provisional: bool
    title_th: str
    title_en: str
    items: tuple[CatalogItem, ...]
    groups: dict = field(hash=False, compare=False, default_factory=dict)

    def item(self, code: str) -> CatalogItem:
        for it in self.items:
            if it.code.lower() == code.strip().lower():
                return it
        raise InputError(f"unknown item code {code!r} for ITA {self.year}; codes: "
                         f"{', '.join(i.code for i in self.items)}")

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.items]


@lru_cache(maxsize=1)
def load_items() -> dict:
    path = OIT_DIR / "items.yaml"
    data = _load_yaml(path)
    validate(data, "oit-items.json", path)
    return data


def _year_files() -> dict[int, Path]:
    out = {}
    for p in OIT_DIR.glob("*.yaml"):
        m = _YEAR_FILE.match(p.name)
        if m:
            out[int(m.group(1))] = p
    return out


def available_years() -> list[int]:
    return sorted(_year_files())


def latest_complete_year() -> int:
    complete = [y for y in available_years() if not load_catalog(y).provisional]
    if not complete:
        raise InputError("no complete ITA catalog in config/oit")
    return max(complete)


def load_catalog(year: int | str) -> Catalog:
    try:
        y = int(year)
    except (TypeError, ValueError):
        y = None
    files = _year_files()
    if y not in files:
        raise InputError(f"unknown ITA year {year}; available: {', '.join(map(str, sorted(files)))}")
    return _load_catalog(y)


@lru_cache(maxsize=8)
def _load_catalog(year: int) -> Catalog:
    path = _year_files()[year]
    data = _load_yaml(path)
    validate(data, "oit-year.json", path)
    if data["year"] != year:
        raise InputError(f"{path}: year: says {data['year']}, file name says {year}")
    items_cfg = load_items()
    groups = data.get("groups", {})
    items = []
    for order, (code, spec) in enumerate(data["items"].items(), start=1):
        key = spec["key"]
        if key not in items_cfg:
            raise InputError(f"{path}: items/{code}/key: {key!r} is not in config/oit/items.yaml")
        base = items_cfg[key]
        group = str(spec.get("group", ""))
        g = groups.get(group, {})
        labels = tuple(base.get("labels_th", ()))
        exact = tuple(base.get("exact_th", ()))
        items.append(CatalogItem(
            code=code, key=key, order=order, group=group,
            group_th=g.get("th", ""), group_en=g.get("en", ""),
            title_th=base["title_th"], title_en=base["title_en"],
            labels=labels, exact=exact,
            content=tuple(base.get("content_th") or labels + exact),
            exclude=tuple(base.get("exclude_th", ())),
            slugs=tuple(base.get("slugs", ())),
            evidence=tuple(base.get("evidence", ("page",))),
            external_hosts=tuple(h.lower() for h in base.get("external_hosts", ())),
            host_alone=bool(base.get("host_alone", False)),
            channel_terms=tuple(base.get("channel_terms", ())),
            elements=tuple(Element(e["name"], e["label_th"], e["label_en"], tuple(e.get("any", ())),
                                   tuple(e.get("patterns", ()))) for e in base.get("elements", ())),
            checks=tuple(spec["all"]),
            params=dict(spec.get("params") or {}),
            review_on_fail=bool(spec.get("review_on_fail", False)),
            criteria_th=tuple(base.get("criteria_th", ())),
            criteria_en=tuple(base.get("criteria_en", ())),
        ))
    return Catalog(year=year, provisional=bool(data.get("provisional", False)),
                   title_th=data.get("title_th", ""), title_en=data.get("title_en", ""),
                   items=tuple(items), groups=groups)


def priority_terms(year: int) -> list[str]:
    """Phrases that mark OIT-relevant links, for the crawler to follow first: hub words plus every
    label of every item of the year (longest first, de-duplicated)."""
    from checks.thai import lexicon

    cat = load_catalog(year)
    terms = list(lexicon().hub_terms) + list(lexicon().sitemap_terms)
    for it in cat.items:
        terms.extend(it.labels)
        terms.extend(it.exact)
    seen, out = set(), []
    for t in sorted(terms, key=len, reverse=True):
        if t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    return out
