"""CSV and JSON exports of one report (data/ in the report directory).

CSV files are UTF-8 with BOM (Excel opens them with Thai intact); text cells that start like a
formula are escaped as in the Excel workbook. JSON keeps the raw values.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


TEXT_COLUMNS = ("problem", "reason", "evidence_url", "matched_text", "reason_th", "reason_en")


def _csv(frame: pd.DataFrame, path: Path) -> None:
    """Write with formula-like text cells prefixed by an apostrophe (vectorised safe_cell)."""
    frame = frame.copy()
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.infer_dtype(col, skipna=True) != "string":
            continue
        risky = col.str.match(r"^[=+\-@\t\r]", na=False).astype(bool)
        if risky.any():
            frame[c] = col.astype(object).where(~risky, "'" + col.where(risky, "").astype(str))
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def _clean(v):
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def write_exports(an, out: Path) -> dict[str, Path]:
    """results.csv (tidy rows with place codes), lao_scores.csv, areas.csv and report.json."""
    out.mkdir(parents=True, exist_ok=True)
    first_place = an.placement.drop_duplicates("lao_id")[["lao_id", "amphoe_code", "province_code"]]
    tambons = (an.placement[an.placement["tambon_code"] != ""].groupby("lao_id")["tambon_code"]
               .apply(lambda s: ";".join(sorted(set(s)))).rename("tambon_codes").reset_index())
    res = an.data.results.merge(first_place, on="lao_id", how="left").merge(tambons, on="lao_id", how="left")
    paths = {"results": out / "results.csv", "lao_scores": out / "lao_scores.csv",
             "areas": out / "areas.csv", "json": out / "report.json"}
    _csv(res, paths["results"])
    scores = an.scores.merge(first_place, on="lao_id", how="left").merge(tambons, on="lao_id", how="left")
    scores.insert(1, "name", scores["lao_id"].map(an.lao_name))
    _csv(scores, paths["lao_scores"])
    areas = []
    for level in ("province", "amphoe", "tambon"):
        a = an.area[level].reset_index().rename(columns={f"{level}_code": "code"})
        a.insert(0, "level", level)
        a.insert(2, "name", a["code"].map(an.name))
        areas.append(a)
    areas = pd.concat(areas, ignore_index=True)
    _csv(areas, paths["areas"])
    doc = {
        "run_id": int(an.data.run_id), "year": int(an.data.year), "as_of": an.data.as_of,
        "target": an.target, "previous_run": an.previous, "baseline_run": an.baseline,
        "areas": [{k: _clean(v) for k, v in r.items()} for r in areas.to_dict("records")],
        "laos": [{k: _clean(v) for k, v in r.items()} for r in scores.to_dict("records")],
        "items": [{**{k: _clean(v) for k, v in r.items()}, "title": an.title(r["code"])}
                  for r in an.item_cov.to_dict("records")],
    }
    paths["json"].write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths
