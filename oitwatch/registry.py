"""Load the LAO registry (config/registry/laos.csv) and the tambon coverage table.

Rows are validated as they load; a bad row raises InputError naming file, row and column.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from oitwatch.errors import InputError
from oitwatch.paths import DEFAULT_COVERAGE, DEFAULT_LAOS

LAO_COLUMNS = ["lao_id", "lao_type", "lao_type_th", "name_th", "name_en", "province_code",
               "amphoe_code", "tambon_code", "url", "alt_urls", "facebook", "platform", "lat", "long"]
REQUIRED = ["lao_id", "lao_type", "name_th", "province_code"]


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


def check_url(url: str, where: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{where}: not an http(s) URL: {url!r}")
    return url


def load_laos(path: Path | str = DEFAULT_LAOS) -> list[Lao]:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: registry file not found")
    laos, seen = [], set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED + ["url"] if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        for lineno, row in enumerate(reader, start=2):
            where = f"{path}, row {lineno}"
            row = {k: (v or "").strip() for k, v in row.items() if k}
            for col in REQUIRED:
                if not row.get(col):
                    raise InputError(f"{where}, column {col}: empty")
            if row["lao_id"] in seen:
                raise InputError(f"{where}, column lao_id: duplicate id {row['lao_id']!r}")
            seen.add(row["lao_id"])
            url = check_url(row["url"], f"{where}, column url") if row.get("url") else ""
            alts = [check_url(u, f"{where}, column alt_urls") for u in row.get("alt_urls", "").split(";") if u.strip()]
            laos.append(Lao(
                lao_id=row["lao_id"], lao_type=row["lao_type"], lao_type_th=row.get("lao_type_th", ""),
                name_th=row["name_th"], name_en=row.get("name_en", ""), province_code=row["province_code"],
                amphoe_code=row.get("amphoe_code", ""), tambon_code=row.get("tambon_code", ""), url=url,
                alt_urls=alts, facebook=row.get("facebook", ""), platform=row.get("platform", ""),
                lat=row.get("lat", ""), long=row.get("long", ""),
            ))
    return laos


def load_coverage(path: Path | str = DEFAULT_COVERAGE) -> list[dict]:
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [dict(r) for r in csv.DictReader(fh)]
