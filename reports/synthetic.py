"""Deterministic synthetic results for report tests, the benchmark and documentation screenshots.

Builds frames with exactly the store's columns (results_frame, sites_frame) for a list of LAOs,
so the reports can be built without a crawl. Nothing here is used by a real run.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from oitwatch.registry import Lao

RESULT_COLUMNS = ["run_id", "year", "as_of", "lao_id", "code", "item_key", "item_order", "status", "problem",
                  "reason", "evidence_url", "matched_text", "found_year", "confidence", "reason_th", "reason_en",
                  "checked_at"]
SITE_COLUMNS = ["lao_id", "status", "final_url", "platform", "flags", "pages", "documents", "finished_at"]
BAD_SITE_STATUSES = ["blocked", "timeout", "down", "dns_error"]
REASONS = {"fail": ("no_link", "ไม่พบลิงก์หรือหัวข้อของรายการนี้", "No link or heading for this item"),
           "needs_review": ("scanned_only", "เอกสารเป็นภาพสแกน ต้องให้เจ้าหน้าที่ตรวจ", "Scanned document: needs a human check"),
           "unknown": ("site_down", "เข้าเว็บไซต์ไม่ได้", "Site could not be reached"),
           "pass": ("found", "พบรายการและเนื้อหาตรงตามเกณฑ์", "Item found with matching content")}


@dataclass
class SynthItem:
    code: str
    key: str
    order: int


def catalog_items(year: int = 2565, n: int = 43) -> list[SynthItem]:
    """The catalogue's items when checks.catalog is available, else O1..On with made-up keys."""
    try:
        from checks.catalog import load_catalog
        return [SynthItem(i.code, i.key, i.order) for i in load_catalog(year).items]
    except Exception:  # noqa: BLE001
        return [SynthItem(f"O{i}", f"item-{i:02d}", i) for i in range(1, n + 1)]


def synthetic_run(laos: list[Lao], run_id: int, *, year: int = 2565, as_of: date = date(2022, 3, 30),
                  seed: int = 1, quality_shift: float = 0.0, items: list[SynthItem] | None = None,
                  unreachable_share: float = 0.06) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, sites) for one run. quality_shift > 0 makes LAOs publish more (a later round)."""
    rng = random.Random(seed)
    items = items or catalog_items(year)
    rows, sites = [], []
    checked = f"{as_of.isoformat()}T01:00:00+00:00"
    item_difficulty = [random.Random(i.order * 7919).uniform(0.15, 0.95) for i in items]
    for lao in laos:
        lr = random.Random(f"{lao.lao_id}")          # per-LAO quality stable across runs
        quality = min(0.99, max(0.05, lr.uniform(0.35, 1.0) + quality_shift))
        bad = rng.random() < unreachable_share
        site_status = rng.choice(BAD_SITE_STATUSES) if bad else "ok"
        url = lao.url or (lao.alt_urls[0] if lao.alt_urls else "")
        sites.append({"lao_id": lao.lao_id, "status": site_status, "final_url": url, "platform": "generic",
                      "flags": [], "pages": 0 if bad else rng.randint(20, 150),
                      "documents": 0 if bad else rng.randint(0, 60), "finished_at": checked})
        for it, diff in zip(items, item_difficulty):
            if bad:
                status = "unknown"
            else:
                x = lr.random()
                status = "pass" if x < quality * (1.15 - diff * 0.3) else ("needs_review" if x > 0.97 else "fail")
            reason, th, en = REASONS[status]
            ev = f"{url.rstrip('/')}/ita/{it.key}" if status in ("pass", "needs_review") and url else ""
            rows.append((run_id, year, as_of.isoformat(), lao.lao_id, it.code, it.key, it.order, status, "",
                         reason, ev, "" if status != "pass" else it.key.replace("-", " "),
                         year - 1 if status == "pass" else None, 0.9, th, en, checked))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS), pd.DataFrame(sites, columns=SITE_COLUMNS)


def national_laos(target: int = 7850) -> list[Lao]:
    """One LAO per geothai subdistrict plus extra municipalities until `target` LAOs (benchmark size)."""
    import geothai
    laos: list[Lao] = []
    tambons = [s for p in geothai.provinces() for d in geothai.districts(p.code) for s in geothai.subdistricts(d.code)]
    for s in tambons:
        laos.append(Lao(lao_id=f"SYN-TAO-{s.code}", lao_type="TAO", lao_type_th="อบต.", name_th=s.name_th,
                        name_en=s.name_en, province_code=s.province_code, amphoe_code=s.district_code,
                        tambon_code=s.code, url=f"https://tambon{s.code}.go.th/"))
    i = 0
    while len(laos) < target:
        s = tambons[(i * 17) % len(tambons)]
        laos.append(Lao(lao_id=f"SYN-TT-{s.code}-{i}", lao_type="ThesabanTambon", lao_type_th="เทศบาลตำบล",
                        name_th=s.name_th, name_en=s.name_en, province_code=s.province_code,
                        amphoe_code=s.district_code, tambon_code=s.code, url=f"https://tt{s.code}x{i}.go.th/"))
        i += 1
    return laos[:target]


def run_dates(*pairs: tuple[int, date]) -> pd.DataFrame:
    return pd.DataFrame([{"run_id": r, "run_date": d} for r, d in pairs], columns=["run_id", "run_date"])


def history_dates(start: date, n: int, step_days: int = 28) -> list[date]:
    return [start + timedelta(days=step_days * i) for i in range(n)]
