"""Thai content helpers of the simulated web: vocabulary, digits, dates, people, item text.

All Thai words come from ``oitsim/data/*.yaml``; this module only assembles them.
Randomness is always a ``random.Random`` seeded from a string, so output is deterministic.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"


@lru_cache(maxsize=None)
def load_yaml(name: str) -> dict:
    """Load ``oitsim/data/<name>.yaml`` once."""
    with open(DATA_DIR / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def vocab() -> dict:
    return load_yaml("vocab")


def items() -> list[dict]:
    """The 43 ITA 2565 items as the simulator plants them (see data/items.yaml)."""
    return load_yaml("items")["items"]


@lru_cache(maxsize=None)
def item_map() -> dict[str, dict]:
    return {it["code"]: it for it in items()}


def rng(*parts: object) -> random.Random:
    """A deterministic RNG for the given key parts."""
    return random.Random("|".join(str(p) for p in parts))


def stable_hash(*parts: object, n: int = 8) -> str:
    """Short hex digest of the key parts (used for file names and ids)."""
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:n]


# --------------------------------------------------------------------------- digits and dates

_THAI_DIGITS = None


def thai_digits(text: str) -> str:
    """Replace Arabic digits by Thai digits."""
    global _THAI_DIGITS
    if _THAI_DIGITS is None:
        _THAI_DIGITS = str.maketrans("0123456789", vocab()["thai_digits"])
    return text.translate(_THAI_DIGITS)


def be_year(d: date) -> int:
    return d.year + 543


def thai_date(d: date, *, abbr: bool = False, thai_num: bool = False) -> str:
    """Day, Thai month (abbreviated or full) and BE year, optionally in Thai digits."""
    v = vocab()
    months = v["months_abbr"] if abbr else v["months_full"]
    text = f"{d.day} {months[d.month - 1]} {be_year(d)}"
    return thai_digits(text) if thai_num else text


def month_name(month: int, *, abbr: bool = False) -> str:
    v = vocab()
    return (v["months_abbr"] if abbr else v["months_full"])[month - 1]


def fy_phrase(r: random.Random, fy: int, *, thai_num: bool | None = None) -> str:
    """The fiscal-year phrase in one of its real spellings, Arabic or Thai digits."""
    text = r.choice(vocab()["fy_phrase"]).format(y=fy)
    if thai_num is None:
        thai_num = r.random() < 0.3
    return thai_digits(text) if thai_num else text


def plan_range(r: random.Random, fy: int) -> str:
    """A multi-year BE plan range (5 years) ending at or after ``fy`` when fy is current."""
    start = r.choice([fy - 4, fy - 3, fy - 2]) if fy >= 2565 else fy - 2
    text = vocab()["range_plan"].format(a=start, b=start + 4)
    return thai_digits(text) if r.random() < 0.2 else text


def h1_range(r: random.Random, fy: int) -> str:
    """October (fy-1) to March (fy): the first half of fiscal year ``fy``."""
    abbr = r.random() < 0.4
    return vocab()["range_h1"].format(
        m1=month_name(10, abbr=abbr), y1=fy - 1, m2=month_name(3, abbr=abbr), y2=fy
    )


def fy_months(fy: int) -> list[tuple[int, int]]:
    """(gregorian year, month) for Oct..Sep of BE fiscal year ``fy``."""
    g = fy - 543
    return [(g - 1, m) for m in (10, 11, 12)] + [(g, m) for m in range(1, 10)]


def random_date_in_fy(r: random.Random, fy: int, *, not_after: date | None = None) -> date:
    """A date inside fiscal year ``fy`` (not after ``not_after``)."""
    g = fy - 543
    start = date(g - 1, 10, 1).toordinal()
    end = date(g, 9, 30).toordinal()
    if not_after is not None:
        end = min(end, not_after.toordinal())
    if end < start:
        end = start
    return date.fromordinal(r.randint(start, end))


# --------------------------------------------------------------------------- LAO identity


@dataclass(frozen=True)
class Lao:
    """One LAO as the simulator knows it (registry row plus resolved place names)."""

    lao_id: str
    lao_type: str  # TAO | ThesabanTambon | ThesabanMueang | ThesabanNakhon | PAO
    name_th: str
    name_en: str
    province_code: str
    amphoe_code: str
    tambon_code: str
    province_th: str
    amphoe_th: str
    tambon_th: str
    postal: str = ""

    @property
    def full_name(self) -> str:
        return vocab()["lao_full"].get(self.lao_type, "") + self.name_th

    @property
    def short_name(self) -> str:
        return vocab()["lao_short"].get(self.lao_type, "") + self.name_th


def person(r: random.Random) -> str:
    v = vocab()
    return f"{r.choice(v['honorific'])}{r.choice(v['first_names'])} {r.choice(v['last_names'])}"


def phone(r: random.Random, *, mobile: bool = False) -> str:
    if mobile:
        return f"0{r.choice('689')}{r.randint(0, 9)}-{r.randint(100, 999)}-{r.randint(1000, 9999)}"
    return f"042-{r.randint(600, 699)}-{r.randint(100, 999)}"


def executives(lao: Lao, seed: object) -> list[tuple[str, str, str]]:
    """(name, position, phone) of the head, deputies, clerk and deputy clerk."""
    r = rng(seed, lao.lao_id, "execs")
    titles = vocab()["exec_titles"].get(lao.lao_type) or vocab()["exec_titles"]["TAO"]
    head, deputy, secretary, clerk, deputy_clerk = titles
    order = [head, deputy, deputy, secretary, clerk, deputy_clerk]
    rows = [(person(r), title, phone(r, mobile=True)) for title in order]
    return rows


def contact_lines(lao: Lao, seed: object, host: str) -> dict[str, str]:
    """Address, phone, fax and e-mail of the LAO office."""
    r = rng(seed, lao.lao_id, "contact")
    c = vocab()["contact"]
    address = c["address"].format(
        lao=lao.full_name,
        no=r.randint(1, 299),
        moo=r.randint(1, 15),
        tambon_word=c["tambon_word"],
        tambon=lao.tambon_th or lao.name_th,
        amphoe_word=c["amphoe_word"],
        amphoe=lao.amphoe_th,
        province=lao.province_th,
        postal=lao.postal or f"{lao.province_code}000",
    )
    tel = phone(r)
    domain = host[4:] if host.startswith("www.") else host
    return {
        "address": address,
        "phone": tel,
        "fax": tel[:-1] + str((int(tel[-1]) + 1) % 10),
        "email": r.choice([f"saraban@{domain}", f"admin@{domain}", f"{domain.split('.')[0]}@hotmail.com"]),
        "hours": c["hours"],
    }


def fill(template: str, *, lao: Lao, fy_text: str = "", range_text: str = "", month: str = "") -> str:
    """Fill a document title template of data/items.yaml."""
    return (
        template.replace("{lao}", lao.full_name)
        .replace("{fy}", fy_text)
        .replace("{range}", range_text)
        .replace("{month}", month)
        .strip()
    )
