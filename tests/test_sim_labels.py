"""Ground-truth labels of the simulated web: shape, rules and CSV output."""

from __future__ import annotations

import csv

import pytest

from oitsim.generator import mukdahan_world
from oitsim.labels import FAIL_PROBLEMS, PASS_NOTES, totals_by_code, write_labels


@pytest.fixture(scope="module")
def world():
    return mukdahan_world(seed=2565)


def test_label_rules(world):
    rows = world.labels()
    for r in rows:
        if r["label"] == "pass":
            assert r["problem"] is None or r["problem"] in PASS_NOTES, r
        else:
            assert r["problem"] in FAIL_PROBLEMS, r
        assert r["as_of"] == "2022-04-30"
    by_style = {}
    for r in rows:
        by_style.setdefault(r["style"], []).append(r)
    # legacy sites predate OIT: no anti-corruption items at all
    assert all(r["label"] == "fail" for r in by_style["legacy"] if r["code"] in ("O34", "O39", "O42"))
    # stale-year sites: every year-bound document is stale
    stale_codes = {r["code"] for r in by_style["stale"] if r["problem"] == "stale"}
    assert {"O10", "O18", "O21", "O23"} <= stale_codes


def test_o23_incomplete_means_months_missing(world):
    seen = 0
    for host in world.hosts():
        plan = world.spec(host).plans["O23"]
        if plan.state == "incomplete":
            assert plan.missing_months and all(m // 100 in (2021, 2022) for m in plan.missing_months)
            seen += 1
        elif plan.state == "ok":
            assert not plan.missing_months
    assert seen >= 1


def test_every_item_has_both_outcomes(world):
    totals = totals_by_code(world.labels())
    assert len(totals) == 43
    assert all(c["pass"] > 0 and c["fail"] > 0 for c in totals.values())


def test_write_labels_csv(world, tmp_path):
    path = tmp_path / "labels.csv"
    n = write_labels(world, path)
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == 55 * 43
    assert rows[0].keys() >= {"lao_id", "host", "style", "code", "label", "problem", "as_of"}
