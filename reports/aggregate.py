"""Pure pandas aggregations over the tidy results table: DataFrame in, DataFrame out.

Inputs (see docs/ARCHITECTURE.md):
- results   one row per (run_id, lao_id, code): status pass|fail|needs_review|unknown, reason, ...
- sites     one row per (lao_id): crawl status (ok|blocked|timeout|down|...), final_url, ...
- placement one row per (lao_id, tambon_code): amphoe_code, province_code, coverage
            (oitwatch.registry.placement_frame; a PAO has empty tambon and amphoe codes)
- officers  one row per tambon: officer_id (empty = not assigned), officer_name, ...

Only `fail` is a gap. `needs_review` and `unknown` are counted and listed separately, and a
site that could not be reached (blocked, down, timeout, hijacked ...) gets no score at all.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

STATUSES = ("pass", "fail", "needs_review", "unknown")
SCORE_COLUMNS = ["lao_id", "n_items", "n_pass", "n_fail", "n_review", "n_unknown", "site_status",
                 "reachable", "score", "score_if_reviewed", "grade", "meets_target"]
AREA_COLUMNS = ["n_laos", "n_scored", "n_unreachable", "mean_score", "min_score", "n_meet_target",
                "share_meet_target", "n_fail", "n_review", "n_unknown"]


def status_counts(results: pd.DataFrame) -> pd.DataFrame:
    """Per lao_id: n_items, n_pass, n_fail, n_review, n_unknown."""
    counts = _count_status(results, ["lao_id"]).set_index("lao_id")
    out = pd.DataFrame({
        "n_items": counts.sum(axis=1),
        "n_pass": counts["pass"], "n_fail": counts["fail"],
        "n_review": counts["needs_review"], "n_unknown": counts["unknown"],
    })
    out.index.name = "lao_id"
    return out.reset_index().astype({c: "int64" for c in ["n_items", "n_pass", "n_fail", "n_review", "n_unknown"]})


def grade_of(scores: pd.Series, bands: Sequence[dict]) -> pd.Series:
    """Grade letter per score (first band whose `min` the score reaches); NaN score -> ''."""
    ordered = sorted(bands, key=lambda b: b["min"], reverse=True)
    values = scores.to_numpy(dtype=float)
    conditions = [values >= float(b["min"]) for b in ordered]
    graded = np.select(conditions, [b["grade"] for b in ordered], default="")
    graded = np.where(np.isnan(values), "", graded)
    return pd.Series(graded, index=scores.index, dtype=object)


def lao_scores(results: pd.DataFrame, sites: pd.DataFrame, *, target: float, bands: Sequence[dict],
               reachable_statuses: Sequence[str] = ("ok",)) -> pd.DataFrame:
    """One row per LAO: counts, site status, projected OIT score vs the target and grade.

    score = 100 * n_pass / n_items (needs_review counts as not passed; score_if_reviewed is
    the score if every needs_review item passed). A site whose crawl status is not reachable,
    or whose items are all unknown, is unreachable: score, grade and meets_target are empty.
    """
    out = status_counts(results)
    site_status = sites.set_index("lao_id")["status"] if len(sites) else pd.Series(dtype=object)
    out["site_status"] = out["lao_id"].map(site_status).fillna("").astype(object)
    reach_ok = out["site_status"].isin(list(reachable_statuses)) | (out["site_status"] == "")
    out["reachable"] = reach_ok & (out["n_unknown"] < out["n_items"])
    n = out["n_items"].where(out["n_items"] > 0)
    out["score"] = (100.0 * out["n_pass"] / n).where(out["reachable"]).round(2)
    out["score_if_reviewed"] = (100.0 * (out["n_pass"] + out["n_review"]) / n).where(out["reachable"]).round(2)
    out["grade"] = grade_of(out["score"], bands)
    out["meets_target"] = (out["score"] >= target).where(out["reachable"]).astype("boolean")
    return out[SCORE_COLUMNS].sort_values("lao_id", kind="stable").reset_index(drop=True)


def _count_status(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows per keys x status as columns pass, fail, needs_review, unknown (fast groupby, no crosstab)."""
    counts = frame.groupby([*keys, "status"], sort=True).size().unstack("status", fill_value=0)
    counts = counts.reindex(columns=list(STATUSES), fill_value=0).astype("int64")
    counts.columns.name = None
    return counts.reset_index()


def _summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.assign(_unreach=(~frame["reachable"].astype(bool)).astype("int64"),
                         _meet=frame["meets_target"].fillna(False).astype(bool).astype("int64"))
    out = frame.groupby(keys, sort=True, dropna=False).agg(
        n_laos=("lao_id", "nunique"), n_scored=("score", "count"), n_unreachable=("_unreach", "sum"),
        mean_score=("score", "mean"), min_score=("score", "min"), n_meet_target=("_meet", "sum"),
        n_fail=("n_fail", "sum"), n_review=("n_review", "sum"), n_unknown=("n_unknown", "sum"))
    out["mean_score"] = out["mean_score"].round(2)
    out["share_meet_target"] = (100.0 * out["n_meet_target"] / out["n_scored"].where(out["n_scored"] > 0)).round(1)
    return out[AREA_COLUMNS].reset_index()


def area_summary(scores: pd.DataFrame, placement: pd.DataFrame, level: str) -> pd.DataFrame:
    """Roll-up per tambon_code, amphoe_code or province_code.

    An LAO counts once per area even when it covers several tambons of it; an LAO covering
    tambons of two areas counts in both. The PAO (no amphoe) appears only at province level.
    """
    key = {"tambon": "tambon_code", "amphoe": "amphoe_code", "province": "province_code"}[level]
    place = placement[placement[key] != ""][[key, "lao_id"]].drop_duplicates()
    return _summarise(place.merge(scores, on="lao_id", how="inner"), [key])


def officer_groups(placement: pd.DataFrame, officers: pd.DataFrame) -> pd.DataFrame:
    """Who receives which tambon: one row per tambon with group_id, officer fields.

    group_id is the officer_id when the tambon has an assigned officer, else 'tambon-<code>'
    (the tambon gets its own report until somebody is assigned).
    """
    tambons = pd.DataFrame({"tambon_code": sorted(set(placement["tambon_code"]) - {""})})
    cols = ["tambon_code", "officer_id", "officer_name", "position", "phone", "email", "line_id"]
    off = officers[cols] if len(officers) else pd.DataFrame(columns=cols)
    out = tambons.merge(off, on="tambon_code", how="left").fillna("")
    out["group_id"] = np.where(out["officer_id"] != "", out["officer_id"], "tambon-" + out["tambon_code"])
    return out


def officer_summary(scores: pd.DataFrame, placement: pd.DataFrame, officers: pd.DataFrame) -> pd.DataFrame:
    """Roll-up per report group (officer, or tambon without an officer): n_tambons plus AREA_COLUMNS."""
    groups = officer_groups(placement, officers)
    place = placement[placement["tambon_code"] != ""][["tambon_code", "lao_id"]]
    frame = place.merge(groups[["tambon_code", "group_id"]], on="tambon_code")
    n_tambons = frame.groupby("group_id")["tambon_code"].nunique().rename("n_tambons")
    out = _summarise(frame[["group_id", "lao_id"]].drop_duplicates().merge(scores, on="lao_id"), ["group_id"])
    return out.merge(n_tambons.reset_index(), on="group_id")[["group_id", "n_tambons", *AREA_COLUMNS]]


def item_coverage(results: pd.DataFrame) -> pd.DataFrame:
    """Per item: counts by status and fail_share among judged LAOs (pass+fail+needs_review).

    Sorted with the most often missing first (then catalogue order).
    """
    counts = _count_status(results, ["code", "item_key", "item_order"])
    counts = counts.rename(columns={"pass": "n_pass", "fail": "n_fail", "needs_review": "n_review", "unknown": "n_unknown"})
    judged = counts["n_pass"] + counts["n_fail"] + counts["n_review"]
    counts["fail_share"] = (100.0 * counts["n_fail"] / judged.where(judged > 0)).round(1)
    return counts.sort_values(["n_fail", "item_order"], ascending=[False, True], kind="stable").reset_index(drop=True)


def gaps_by_subdistrict(results: pd.DataFrame, placement: pd.DataFrame) -> pd.DataFrame:
    """One row per (tambon, LAO, item) whose status is 'fail'."""
    gaps = results[results["status"] == "fail"]
    return (gaps.merge(placement[["lao_id", "tambon_code", "amphoe_code", "province_code"]], on="lao_id")
            .sort_values(["tambon_code", "lao_id", "item_order"], kind="stable").reset_index(drop=True))


def open_questions(results: pd.DataFrame, placement: pd.DataFrame) -> pd.DataFrame:
    """needs_review and unknown rows per (tambon, LAO, item): listed apart from gaps."""
    rows = results[results["status"].isin(["needs_review", "unknown"])]
    return (rows.merge(placement[["lao_id", "tambon_code", "amphoe_code", "province_code"]], on="lao_id")
            .sort_values(["tambon_code", "lao_id", "status", "item_order"], kind="stable").reset_index(drop=True))


def officer_worklist(results: pd.DataFrame, placement: pd.DataFrame, officers: pd.DataFrame) -> pd.DataFrame:
    """Per report group: the fail / needs_review / unknown rows of the LAOs in its tambons.

    An LAO split across tambons of one officer is listed once per officer (under its first tambon).
    """
    groups = officer_groups(placement, officers)[["tambon_code", "group_id"]]
    todo = results[results["status"] != "pass"]
    place = placement[placement["tambon_code"] != ""][["lao_id", "tambon_code"]].merge(groups, on="tambon_code")
    place = place.sort_values(["group_id", "tambon_code"]).drop_duplicates(["group_id", "lao_id"])
    return (todo.merge(place, on="lao_id")
            .sort_values(["group_id", "tambon_code", "lao_id", "item_order"], kind="stable").reset_index(drop=True))


def item_matrix(results: pd.DataFrame) -> pd.DataFrame:
    """Heat map data: index lao_id, one column per code (catalogue order), values = status."""
    order = results.drop_duplicates("code").sort_values("item_order")["code"].tolist()
    return results.pivot(index="lao_id", columns="code", values="status").reindex(columns=order)


def compare_runs(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Item changes between two runs, matched on (lao_id, item_key) so that codes may differ by year.

    change: 'improved' (fail/needs_review -> pass), 'regressed' (pass -> fail/needs_review),
    'now_unreachable' (judged -> unknown), 'reachable_again' (unknown -> judged),
    'other' (fail <-> needs_review). Rows without a change are dropped; so are items that
    exist in only one of the runs.
    """
    cols = ["lao_id", "item_key", "code", "item_order", "status"]
    m = current[cols].merge(previous[["lao_id", "item_key", "status"]], on=["lao_id", "item_key"],
                            suffixes=("", "_before"))
    m = m[m["status"] != m["status_before"]].copy()
    judged_before = m["status_before"] != "unknown"
    judged_now = m["status"] != "unknown"
    m["change"] = np.select(
        [judged_before & judged_now & (m["status"] == "pass"),
         judged_before & judged_now & (m["status_before"] == "pass"),
         judged_before & ~judged_now,
         ~judged_before & judged_now],
        ["improved", "regressed", "now_unreachable", "reachable_again"], default="other")
    return m.sort_values(["lao_id", "item_order"], kind="stable").reset_index(drop=True)


def change_summary(changes: pd.DataFrame) -> pd.DataFrame:
    """Per LAO: n_improved, n_regressed, n_now_unreachable, n_reachable_again."""
    kinds = ["improved", "regressed", "now_unreachable", "reachable_again"]
    counts = changes.groupby(["lao_id", "change"]).size().unstack("change", fill_value=0)
    counts = counts.reindex(columns=kinds, fill_value=0).astype("int64")
    counts.columns = [f"n_{k}" for k in kinds]
    counts.columns.name = None
    return counts.reset_index()


def score_changes(current: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Per LAO: score now, score before and delta (NaN where either is unscored)."""
    m = current[["lao_id", "score"]].merge(before[["lao_id", "score"]], on="lao_id", how="left",
                                          suffixes=("", "_before"))
    m["delta"] = (m["score"] - m["score_before"]).round(2)
    return m


def runs_for_rounds(run_dates: pd.DataFrame, rounds: Sequence[date]) -> pd.DataFrame:
    """For each round date, the latest run dated on or before it (run_id NA when none).

    run_dates: run_id, run_date (datetime.date). Returns round_no (1-based), round_date, run_id, run_date.
    """
    rd = run_dates.sort_values(["run_date", "run_id"]).reset_index(drop=True)
    rows = []
    for i, day in enumerate(sorted(rounds), start=1):
        before = rd[rd["run_date"] <= day]
        if len(before):
            last = before.iloc[-1]
            rows.append({"round_no": i, "round_date": day, "run_id": int(last["run_id"]), "run_date": last["run_date"]})
        else:
            rows.append({"round_no": i, "round_date": day, "run_id": pd.NA, "run_date": None})
    return pd.DataFrame(rows, columns=["round_no", "round_date", "run_id", "run_date"]).astype({"run_id": "Int64"})


def baseline_run(run_dates: pd.DataFrame, start: date | None, current_run: int) -> int | None:
    """The first run dated on or after the monitoring start (None if that is the current run or none)."""
    rd = run_dates
    if start is not None:
        rd = rd[rd["run_date"] >= start]
    rd = rd[rd["run_id"] != current_run].sort_values(["run_date", "run_id"])
    rd = rd[rd["run_id"] < current_run]
    return int(rd.iloc[0]["run_id"]) if len(rd) else None


def round_progress(round_runs: pd.DataFrame, scores_by_run: pd.DataFrame, placement: pd.DataFrame,
                   level: str = "amphoe") -> pd.DataFrame:
    """Progress per reporting round and area: AREA_COLUMNS for the run chosen for each round.

    scores_by_run: lao_scores of several runs stacked with a run_id column. Rounds without a
    run get no rows.
    """
    key = {"tambon": "tambon_code", "amphoe": "amphoe_code", "province": "province_code"}[level]
    place = placement[placement[key] != ""][[key, "lao_id"]].drop_duplicates()
    rr = round_runs.dropna(subset=["run_id"]).astype({"run_id": "int64"})
    frame = rr[["round_no", "round_date", "run_id"]].merge(scores_by_run, on="run_id").merge(place, on="lao_id")
    if frame.empty:
        return pd.DataFrame(columns=["round_no", "round_date", "run_id", key, *AREA_COLUMNS])
    return _summarise(frame, ["round_no", "round_date", "run_id", key])


def item_coverage_by_area(results: pd.DataFrame, placement: pd.DataFrame, level: str) -> pd.DataFrame:
    """item_coverage per area (one LAO counted once per area): key column plus item_coverage columns."""
    key = {"tambon": "tambon_code", "amphoe": "amphoe_code", "province": "province_code"}[level]
    place = placement[placement[key] != ""][[key, "lao_id"]].drop_duplicates()
    frame = results[["lao_id", "code", "item_key", "item_order", "status"]].merge(place, on="lao_id")
    counts = _count_status(frame, [key, "code", "item_key", "item_order"])
    counts = counts.rename(columns={"pass": "n_pass", "fail": "n_fail", "needs_review": "n_review", "unknown": "n_unknown"})
    judged = counts["n_pass"] + counts["n_fail"] + counts["n_review"]
    counts["fail_share"] = (100.0 * counts["n_fail"] / judged.where(judged > 0)).round(1)
    return counts.sort_values([key, "n_fail", "item_order"], ascending=[True, False, True], kind="stable").reset_index(drop=True)
