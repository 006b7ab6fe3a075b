"""Aggregation functions on small hand-made frames, checked against golden rows."""
from datetime import date

import pandas as pd
import pytest

from reports import aggregate as agg

BANDS = [{"grade": "AA", "min": 95, "passes": True}, {"grade": "A", "min": 85, "passes": True},
         {"grade": "B", "min": 75, "passes": False}, {"grade": "F", "min": 0, "passes": False}]
ITEMS = [("O1", "org-structure", 1), ("O2", "executives", 2), ("O3", "authority", 3), ("O4", "dev-plan", 4)]


def results(run_id, table):
    """table: {lao_id: "PFRU"} one letter per item (Pass Fail needs_Review Unknown)."""
    letter = {"P": "pass", "F": "fail", "R": "needs_review", "U": "unknown"}
    rows = []
    for lao, statuses in table.items():
        for (code, key, order), s in zip(ITEMS, statuses):
            rows.append({"run_id": run_id, "year": 2565, "as_of": "2022-03-30", "lao_id": lao, "code": code,
                         "item_key": key, "item_order": order, "status": letter[s], "problem": "",
                         "reason": "no_link" if s == "F" else "", "evidence_url": "", "matched_text": "",
                         "found_year": None, "confidence": 1.0, "reason_th": "", "reason_en": "", "checked_at": ""})
    return pd.DataFrame(rows)


SITES = pd.DataFrame({"lao_id": ["L1", "L2", "L3", "L4"], "status": ["ok", "ok", "blocked", "ok"]})
PLACEMENT = pd.DataFrame([
    # L2 covers two tambons of one amphoe; T2 is split between L2 and L3; L4 is the PAO
    ("L1", "490101", "4901", "49", "completely"),
    ("L2", "490102", "4901", "49", "completely"),
    ("L2", "490103", "4901", "49", "partially"),
    ("L3", "490103", "4901", "49", "partially"),
    ("L4", "", "", "49", ""),
], columns=["lao_id", "tambon_code", "amphoe_code", "province_code", "coverage"])
OFFICERS = pd.DataFrame([
    ("490101", "somchai@example.org", "Somchai", "pos", "", "somchai@example.org", ""),
    ("490102", "", "", "", "", "", ""),
    ("490103", "somchai@example.org", "Somchai", "pos", "", "somchai@example.org", ""),
], columns=["tambon_code", "officer_id", "officer_name", "position", "phone", "email", "line_id"])
RUN1 = results(1, {"L1": "PPPP", "L2": "PFRP", "L3": "UUUU", "L4": "FFFP"})


def scores(res=RUN1):
    return agg.lao_scores(res, SITES, target=85, bands=BANDS)


def test_lao_scores_golden_rows():
    got = [tuple(r) for r in scores()[["lao_id", "n_pass", "n_fail", "n_review", "n_unknown", "reachable",
                                       "score", "score_if_reviewed", "grade"]].itertuples(index=False)]
    nan = got[2][6]
    assert got[:2] == [("L1", 4, 0, 0, 0, True, 100.0, 100.0, "AA"), ("L2", 2, 1, 1, 0, True, 50.0, 75.0, "F")]
    assert got[2][:6] == ("L3", 0, 0, 0, 4, False) and pd.isna(nan) and got[2][8] == ""
    assert got[3] == ("L4", 1, 3, 0, 0, True, 25.0, 25.0, "F")
    assert list(scores()["meets_target"].astype(object)) == [True, False, pd.NA, False]


def test_blocked_site_is_unreachable_even_with_judged_items():
    res = results(1, {"L3": "PPPP"})
    s = agg.lao_scores(res, SITES, target=85, bands=BANDS)
    assert not s.loc[0, "reachable"] and pd.isna(s.loc[0, "score"])


def test_grade_band_edges():
    got = agg.grade_of(pd.Series([95.0, 94.99, 85.0, 84.99, 0.0, float("nan")]), BANDS).tolist()
    assert got == ["AA", "A", "A", "B", "F", ""]


def test_area_summary_per_tambon_amphoe_province():
    s = scores()
    t = agg.area_summary(s, PLACEMENT, "tambon")
    assert [tuple(r) for r in t[["tambon_code", "n_laos", "n_scored", "n_unreachable", "mean_score", "n_meet_target"]]
            .itertuples(index=False)] == [("490101", 1, 1, 0, 100.0, 1), ("490102", 1, 1, 0, 50.0, 0),
                                          ("490103", 2, 1, 1, 50.0, 0)]
    a = agg.area_summary(s, PLACEMENT, "amphoe")
    # L2 counted once although it covers two tambons; the PAO is not in any amphoe
    assert [tuple(r) for r in a[["amphoe_code", "n_laos", "n_scored", "n_unreachable", "n_fail", "n_review", "n_unknown"]]
            .itertuples(index=False)] == [("4901", 3, 2, 1, 1, 1, 4)]
    p = agg.area_summary(s, PLACEMENT, "province")
    assert [tuple(r) for r in p[["province_code", "n_laos", "n_scored", "mean_score", "share_meet_target"]]
            .itertuples(index=False)] == [("49", 4, 3, 58.33, 33.3)]


def test_officer_summary_groups_unassigned_tambons_on_their_own():
    got = agg.officer_summary(scores(), PLACEMENT, OFFICERS)
    assert [tuple(r) for r in got[["group_id", "n_tambons", "n_laos", "n_scored"]].itertuples(index=False)] == [
        ("somchai@example.org", 2, 3, 2), ("tambon-490102", 1, 1, 1)]


def test_item_coverage_lists_most_often_missing_first():
    got = agg.item_coverage(RUN1)
    assert [tuple(r) for r in got[["code", "n_pass", "n_fail", "n_review", "n_unknown", "fail_share"]]
            .itertuples(index=False)] == [("O2", 1, 2, 0, 1, 66.7), ("O1", 2, 1, 0, 1, 33.3),
                                          ("O3", 1, 1, 1, 1, 33.3), ("O4", 3, 0, 0, 1, 0.0)]


def test_gaps_are_only_fail_rows_and_review_unknown_are_apart():
    gaps = agg.gaps_by_subdistrict(RUN1, PLACEMENT)
    assert set(gaps["status"]) == {"fail"}
    assert sorted((r.tambon_code, r.lao_id, r.code) for r in gaps.itertuples()) == [
        ("", "L4", "O1"), ("", "L4", "O2"), ("", "L4", "O3"), ("490102", "L2", "O2"), ("490103", "L2", "O2")]
    q = agg.open_questions(RUN1, PLACEMENT)
    assert set(q["status"]) == {"needs_review", "unknown"}
    assert len(q[q["status"] == "unknown"]) == 4 and len(q[q["status"] == "needs_review"]) == 2


def test_officer_worklist_lists_split_lao_once_per_officer():
    w = agg.officer_worklist(RUN1, PLACEMENT, OFFICERS)
    somchai = w[w["group_id"] == "somchai@example.org"]
    assert [(r.tambon_code, r.lao_id, r.code, r.status) for r in somchai.itertuples()][:3] == [
        ("490103", "L2", "O2", "fail"), ("490103", "L2", "O3", "needs_review"), ("490103", "L3", "O1", "unknown")]
    assert (somchai["lao_id"] == "L2").sum() == 2  # L2 is in 490103 only for Somchai: listed once
    assert set(w[w["group_id"] == "tambon-490102"]["lao_id"]) == {"L2"}


def test_item_matrix_in_catalogue_order():
    m = agg.item_matrix(RUN1)
    assert list(m.columns) == ["O1", "O2", "O3", "O4"]
    assert m.loc["L2"].tolist() == ["pass", "fail", "needs_review", "pass"]


def test_compare_runs_classifies_changes():
    run2 = results(2, {"L1": "PFPP", "L2": "PPRU", "L3": "PPPP", "L4": "FFFP"})
    ch = agg.compare_runs(run2, RUN1)
    assert [(r.lao_id, r.code, r.status_before, r.status, r.change) for r in ch.itertuples()] == [
        ("L1", "O2", "pass", "fail", "regressed"),
        ("L2", "O2", "fail", "pass", "improved"),
        ("L2", "O4", "pass", "unknown", "now_unreachable"),
        ("L3", "O1", "unknown", "pass", "reachable_again"),
        ("L3", "O2", "unknown", "pass", "reachable_again"),
        ("L3", "O3", "unknown", "pass", "reachable_again"),
        ("L3", "O4", "unknown", "pass", "reachable_again"),
    ]
    summ = agg.change_summary(ch)
    assert [tuple(r) for r in summ.itertuples(index=False)] == [
        ("L1", 0, 1, 0, 0), ("L2", 1, 0, 1, 0), ("L3", 0, 0, 0, 4)]


def test_compare_runs_matches_items_by_key_across_code_changes():
    before = RUN1.copy()
    before["code"] = before["code"].str.replace("O", "X")
    ch = agg.compare_runs(results(2, {"L1": "FPPP"}), before)
    assert [(r.code, r.change) for r in ch.itertuples()] == [("O1", "regressed")]


def test_runs_for_rounds_takes_latest_run_on_or_before_each_date():
    rd = pd.DataFrame({"run_id": [1, 2, 3, 4], "run_date": [date(2022, 3, 20), date(2022, 3, 31),
                                                            date(2022, 4, 10), date(2022, 5, 30)]})
    rounds = [date(2022, 3, 31), date(2022, 4, 29), date(2022, 5, 27), date(2022, 6, 24), date(2022, 3, 1)]
    got = agg.runs_for_rounds(rd, rounds)
    assert [(r.round_no, r.round_date, None if pd.isna(r.run_id) else r.run_id) for r in got.itertuples()] == [
        (1, date(2022, 3, 1), None), (2, date(2022, 3, 31), 2), (3, date(2022, 4, 29), 3),
        (4, date(2022, 5, 27), 3), (5, date(2022, 6, 24), 4)]
    assert agg.baseline_run(rd, date(2022, 3, 25), current_run=4) == 2
    assert agg.baseline_run(rd, None, current_run=1) is None


def test_round_progress_per_amphoe():
    run2 = results(2, {"L1": "PPPP", "L2": "PPPP", "L3": "PPPF", "L4": "PPPP"})
    stacked = pd.concat([scores().assign(run_id=1),
                         agg.lao_scores(run2, SITES.assign(status="ok"), target=85, bands=BANDS).assign(run_id=2)])
    rr = pd.DataFrame({"round_no": [1, 2, 3], "round_date": [date(2022, 3, 31), date(2022, 4, 29), date(2022, 5, 27)],
                       "run_id": pd.array([1, 2, pd.NA], dtype="Int64")})
    got = agg.round_progress(rr, stacked, PLACEMENT)
    assert [tuple(r) for r in got[["round_no", "run_id", "amphoe_code", "n_laos", "n_scored", "mean_score", "n_meet_target"]]
            .itertuples(index=False)] == [(1, 1, "4901", 3, 2, 75.0, 1), (2, 2, "4901", 3, 3, 91.67, 2)]


def test_item_coverage_by_area_matches_whole_area_counts():
    per = agg.item_coverage_by_area(RUN1, PLACEMENT, "province")
    whole = agg.item_coverage(RUN1)
    assert per.drop(columns="province_code").equals(whole)
    amph = agg.item_coverage_by_area(RUN1, PLACEMENT, "amphoe")
    assert [tuple(r) for r in amph[["amphoe_code", "code", "n_fail"]].itertuples(index=False)][:2] == [
        ("4901", "O2", 1), ("4901", "O1", 0)]


def test_a_site_never_reached_is_left_out_of_district_and_province_means():
    """L3 (dns_error) and L5 (crawl said ok, yet every item unknown) have no score: averaged in
    as 0 they would pull the district mean from 75 to 37.5 and its minimum to 0."""
    sites = pd.DataFrame({"lao_id": ["L1", "L2", "L3", "L5"], "status": ["ok", "ok", "dns_error", "ok"]})
    place = pd.DataFrame([("L1", "490101", "4901", "49", "completely"), ("L2", "490102", "4901", "49", "completely"),
                          ("L3", "490103", "4901", "49", "completely"), ("L5", "490104", "4901", "49", "completely")],
                         columns=PLACEMENT.columns)
    s = agg.lao_scores(results(1, {"L1": "PPPP", "L2": "PPFF", "L3": "UUUU", "L5": "UUUU"}), sites,
                       target=85, bands=BANDS)
    assert s.set_index("lao_id")["score"].isna().to_dict() == {"L1": False, "L2": False, "L3": True, "L5": True}
    for level, key in (("amphoe", "4901"), ("province", "49")):
        row = agg.area_summary(s, place, level).set_index(f"{level}_code").loc[key]
        assert (row["n_laos"], row["n_scored"], row["n_unreachable"]) == (4, 2, 2), level
        assert (row["mean_score"], row["min_score"], row["share_meet_target"]) == (75.0, 50.0, 50.0), level
