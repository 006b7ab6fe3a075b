"""Excel workbooks (written by reports/xlsx.py): Thai headers, autofilter, frozen header row.

Every text cell goes through `safe_cell`: a value starting with = + - @ (or a tab / carriage
return) is prefixed with an apostrophe so that Excel shows it as text instead of running a
formula (CSV/formula injection from site-supplied text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
STATUS_FILL = {"pass": "C6EFCE", "fail": "FFC7CE", "needs_review": "FFEB9C", "unknown": "D9D9D9"}


def safe_cell(value):
    """Value for a spreadsheet cell: numbers stay numbers; formula-like text becomes plain text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet name (max 31 characters, no []:*?/\\)."""
    base = _BAD_SHEET.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


@dataclass
class Sheet:
    """One table: header labels, rows of values, optional per-column widths and status fills."""
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    widths: list[int] | None = None
    status_columns: set[int] = field(default_factory=set)   # columns whose value is a status label to colour
    status_values: dict = field(default_factory=dict)        # label -> status code (for fills)


def write_workbook(path: Path, sheets: list[Sheet]) -> list[str]:
    """Write the sheets (reports/xlsx.py: frozen header, autofilter, status colours); returns sheet names."""
    from reports.xlsx import XSheet, write_xlsx
    used: set[str] = set()
    xs = []
    for sh in sheets:
        fill_range, fills = None, {}
        if sh.status_columns:
            cols = sorted(sh.status_columns)
            fill_range = (cols[0], cols[-1])
            fills = {label: STATUS_FILL[status] for label, status in sh.status_values.items()}
        xs.append(XSheet(name=sheet_title(sh.title, used), headers=[str(h) for h in sh.headers],
                         rows=[[safe_cell(v) for v in row] for row in sh.rows], widths=sh.widths,
                         fill_range=fill_range, fills=fills))
    write_xlsx(path, xs)
    return [x.name for x in xs]


def _score(v):
    return None if v is None or (isinstance(v, float) and v != v) else round(float(v), 2)


def province_sheets(an, province: str, labels: dict, lang: str) -> list[Sheet]:
    """Summary, one sheet per amphoe, items, gaps, review/unknown and unreachable sites."""
    from reports import aggregate as agg
    L = lambda k: labels[k][lang]  # noqa: E731
    place = an.placement[an.placement["province_code"] == province]
    ids = set(place["lao_id"])
    amphoes = sorted(set(place["amphoe_code"]) - {""})
    status_lbl = {s: an_status for s, an_status in _status_labels(lang).items()}
    sheets = []
    # summary: one row per amphoe + the province
    head = [L("amphoe"), L("code"), L("laos"), L("n_scored"), L("n_unreachable"), L("mean_score"),
            L("min_score"), L("n_meet_target"), L("share_meet_target"), L("n_fail"), L("n_review"), L("n_unknown")]
    rows = []
    area = an.area["amphoe"]
    for a in amphoes:
        r = area.loc[a]
        rows.append([an.name(a), a, int(r.n_laos), int(r.n_scored), int(r.n_unreachable), _score(r.mean_score),
                     _score(r.min_score), int(r.n_meet_target), _score(r.share_meet_target), int(r.n_fail),
                     int(r.n_review), int(r.n_unknown)])
    if province in an.area["province"].index:
        r = an.area["province"].loc[province]
        rows.append([L("province_named").format(name=an.name(province)), province, int(r.n_laos), int(r.n_scored),
                     int(r.n_unreachable), _score(r.mean_score), _score(r.min_score), int(r.n_meet_target),
                     _score(r.share_meet_target), int(r.n_fail), int(r.n_review), int(r.n_unknown)])
    sheets.append(Sheet(L("sheet_summary"), head, rows, widths=[22, 8] + [12] * 10))
    # one sheet per amphoe: LAO rows with item statuses
    codes = an.item_cov.sort_values("item_order")["code"].tolist()
    matrix = agg.item_matrix(an.data.results[an.data.results["lao_id"].isin(ids)]).reindex(columns=codes)
    sc = an.scores_by_id
    lao_tambons = place[place["tambon_code"] != ""].groupby("lao_id")["tambon_code"].apply(
        lambda s: ", ".join(an.name(t) for t in sorted(set(s))))
    head = [L("lao_id"), L("lao"), L("tambon"), L("url"), L("site_status"), L("score_short"), L("grade"),
            L("meets_target"), L("n_pass"), L("n_fail"), L("n_review"), L("n_unknown"), *codes]
    site_lbl = _site_labels(lang)

    def lao_row(lid):
        s = sc.loc[lid]
        url = an.laos["url"].get(lid, "") if lid in an.laos.index else ""
        mt = s["meets_target"]
        cells = matrix.loc[lid].tolist() if lid in matrix.index else [""] * len(codes)
        return [lid, an.lao_name(lid), lao_tambons.get(lid, ""), url, site_lbl.get(s["site_status"], s["site_status"]),
                _score(s["score"]), s["grade"], "" if mt is pd.NA else (L("target_yes") if mt else L("target_no")),
                int(s["n_pass"]), int(s["n_fail"]), int(s["n_review"]), int(s["n_unknown"]),
                *[status_lbl.get(c, c) if isinstance(c, str) else "" for c in cells]]

    status_cols = set(range(12, 12 + len(codes)))
    rev = {v: k for k, v in status_lbl.items()}
    for a in amphoes:
        lids = sorted(set(place.loc[place["amphoe_code"] == a, "lao_id"]))
        sheets.append(Sheet(an.name(a), head, [lao_row(l) for l in lids],
                            widths=[24, 26, 22, 30, 14, 9, 7, 10, 7, 7, 7, 7] + [7] * len(codes),
                            status_columns=status_cols, status_values=rev))
    wide = sorted(set(place.loc[place["amphoe_code"] == "", "lao_id"]))
    if wide:
        sheets.append(Sheet(L("province_wide"), head, [lao_row(l) for l in wide],
                            widths=[24, 26, 22, 30, 14, 9, 7, 10, 7, 7, 7, 7] + [7] * len(codes),
                            status_columns=status_cols, status_values=rev))
    # items most often missing
    items = an.item_cov_prov[an.item_cov_prov["province_code"] == province]
    sheets.append(Sheet(L("sheet_items"), [L("code"), L("item_title"), L("n_fail"), L("fail_share"), L("n_pass"),
                                           L("n_review"), L("n_unknown")],
                        [[r.code, an.title(r.code), int(r.n_fail), _score(r.fail_share), int(r.n_pass),
                          int(r.n_review), int(r.n_unknown)] for r in items.itertuples()],
                        widths=[8, 60, 10, 10, 10, 10, 10]))
    # gaps and open questions, one row per (tambon, LAO, item)
    res = an.data.results
    reason_col = "reason_th" if lang == "th" else "reason_en"
    gh = [L("amphoe"), L("tambon"), L("lao"), L("code"), L("item_title"), L("status"), L("reason"),
          L("evidence"), L("checked_at")]

    def item_rows(frame):
        frame = frame[frame["province_code"] == province]
        out = []
        for r in frame.itertuples():
            reason = getattr(r, reason_col) or r.reason or ""
            out.append([an.name(r.amphoe_code) if r.amphoe_code else L("province_wide"),
                        an.name(r.tambon_code) if r.tambon_code else "", an.lao_name(r.lao_id), r.code,
                        an.title(r.code), status_lbl.get(r.status, r.status), reason,
                        r.evidence_url if isinstance(r.evidence_url, str) else "",
                        str(r.checked_at)[:10] if isinstance(r.checked_at, str) else ""])
        return out

    widths = [18, 18, 24, 7, 50, 11, 40, 40, 12]
    gaps = agg.gaps_by_subdistrict(res[res["lao_id"].isin(ids)], place)
    sheets.append(Sheet(L("sheet_gaps"), gh, item_rows(gaps), widths=widths, status_columns={5}, status_values=rev))
    oq = agg.open_questions(res[res["lao_id"].isin(ids)], place)
    sheets.append(Sheet(L("sheet_review"), gh, item_rows(oq), widths=widths, status_columns={5}, status_values=rev))
    un = an.scores[an.scores["lao_id"].isin(ids) & ~an.scores["reachable"]]
    sheets.append(Sheet(L("sheet_unreachable"), [L("lao_id"), L("lao"), L("url"), L("site_status")],
                        [[r.lao_id, an.lao_name(r.lao_id),
                          an.laos["url"].get(r.lao_id, "") if r.lao_id in an.laos.index else "",
                          site_lbl.get(r.site_status, r.site_status)] for r in un.itertuples()],
                        widths=[24, 30, 40, 20]))
    return sheets


def _status_labels(lang: str) -> dict:
    from reports.render import load_messages
    return {k: v[lang] for k, v in load_messages()["status"].items()}


def _site_labels(lang: str) -> dict:
    from reports.render import load_messages
    return {k: v[lang] for k, v in load_messages()["site_status"].items()}


def write_province_workbook(an, province: str, path: Path, labels: dict, lang: str) -> list[str]:
    return write_workbook(path, province_sheets(an, province, labels, lang))


def write_progress_workbook(ctx, path: Path, labels: dict, lang: str) -> list[str]:
    """District progress per reporting round: one sheet, one row per (district, round)."""
    L = lambda k: labels[k][lang]  # noqa: E731
    head = [L("amphoe"), L("code"), L("round"), L("round_date"), L("run_used"), L("laos"), L("n_scored"),
            L("n_unreachable"), L("mean_score"), L("n_meet_target"), L("share_meet_target"), L("n_fail"),
            L("n_review"), L("n_unknown")]
    rows = []
    for pr in [*ctx.rows, *([ctx.total] if ctx.total else [])]:
        for rnd, st in zip(ctx.rounds, pr.cells):
            if st is None:
                rows.append([pr.name, pr.code, rnd.no, rnd.date, None] + [None] * 9)
                continue
            rows.append([pr.name, pr.code, rnd.no, rnd.date, rnd.run_id, st.n_laos, st.n_scored, st.n_unreachable,
                         _score(st.mean_score), st.n_meet_target, _score(st.share_meet_target), st.n_fail,
                         st.n_review, st.n_unknown])
    return write_workbook(path, [Sheet(L("sheet_progress"), head, rows, widths=[22, 8, 7, 12, 10] + [11] * 9)])
