"""`oit check`: bad input exits 2; the JSON contract; the ITAS answer sheet; --answers; the table."""
import csv
import json
import subprocess
import sys
from datetime import date

import pytest
from openpyxl import load_workbook

from checks.catalog import load_catalog
from checks.engine import check_site
from checks_cases import DEFAULT_AS_OF, build_evidence
from oitwatch import cli
from oitwatch.errors import InputError
from oitwatch.selfcheck import read_answers, render_table, write_itas


@pytest.fixture(scope="module")
def report():
    return check_site(build_evidence({"site": "ita_table"}), 2565, DEFAULT_AS_OF)


@pytest.mark.parametrize("argv, needle", [
    (["check", "not a url"], "URL"),
    (["check", "ftp://example.go.th/"], "URL"),
    (["check", "http://example.go.th/", "--year", "2599"], "unknown ITA year 2599; available: 2565, 2568"),
    (["check", "http://example.go.th/", "--as-of", "2022-13-40"], "--as-of"),
    (["check", "http://example.go.th/", "--answers", "/nonexistent/answers.csv"], "--answers"),
])
def test_bad_input_exits_2_with_a_clear_message(argv, needle, capsys):
    assert cli.main(argv) == 2
    assert needle in capsys.readouterr().err


def test_json_contract_lists_every_item_in_catalog_order(report):
    data = json.loads(json.dumps(report.to_json("http://www.nasuan.go.th/"), ensure_ascii=False))
    assert data["site"] == "http://www.nasuan.go.th/" and data["year"] == 2565
    assert data["as_of"] == DEFAULT_AS_OF.isoformat()
    assert [i["code"] for i in data["items"]] == load_catalog(2565).codes
    for item in data["items"]:
        assert item["status"] in ("pass", "fail", "needs_review", "unknown")
        assert {"code", "key", "status", "problem", "evidence_url", "confidence", "reason_th", "reason_en"} <= item.keys()
        assert 0.0 <= item["confidence"] <= 1.0
    assert 0 <= data["score"] <= 100


def test_itas_sheet_has_answer_url_and_thai_explanation(report, tmp_path):
    csv_path, xlsx_path = write_itas(report, tmp_path / "itas.csv")
    rows = list(csv.reader(csv_path.open(encoding="utf-8-sig")))
    assert len(rows) == 44
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["O12"][3].endswith("/upload/oit/o12.pdf")
    assert by_code["O12"][4]                           # where to find it, in Thai
    wb = load_workbook(xlsx_path)
    assert wb.active.max_row == 44


def test_itas_sheet_never_writes_a_formula(tmp_path):
    rep = check_site(build_evidence({"site": "ita_table", "status": {"/contact.php": 404}}), 2565, DEFAULT_AS_OF)
    rep.items[0].reason_th = "=HYPERLINK(\"http://evil\")"
    rep.items[0].status = "fail"
    csv_path, xlsx_path = write_itas(rep, tmp_path / "x")
    assert not load_workbook(xlsx_path).active["E2"].value.startswith("=")


def test_answers_file_is_checked_item_by_item(tmp_path):
    ans = tmp_path / "answers.csv"
    ans.write_text("code,url\nO12,http://www.nasuan.go.th/upload/oit/o12.pdf\nO1,http://www.nasuan.go.th/upload/oit/o12.pdf\n",
                   encoding="utf-8")
    only = read_answers(ans, load_catalog(2565).codes)
    rep = check_site(build_evidence({"site": "ita_table"}), 2565, DEFAULT_AS_OF, only=only)
    got = {i.code: (i.status, i.reason) for i in rep.items}
    assert got["O12"][0] == "pass"
    assert got["O1"] == ("fail", "content_mismatch")        # the annual report is not the structure chart
    assert got["O2"] == ("fail", "no_answer_url")
    assert len(rep.items) == 43


def test_hub_page_answer_is_judged_on_the_items_row(tmp_path):
    ans = tmp_path / "answers.csv"
    ans.write_text("O12,http://www.nasuan.go.th/ita2565.php\nO13,http://www.nasuan.go.th/ita2565.php\n", encoding="utf-8")
    only = read_answers(ans, load_catalog(2565).codes)
    ev = build_evidence({"site": "ita_table", "replace": {"/ita2565.php": [["<a href='/upload/oit/o13.pdf'>", "<a href='#'>"]]}})
    got = {i.code: i.status for i in check_site(ev, 2565, DEFAULT_AS_OF, only=only).items}
    assert got["O12"] == "pass" and got["O13"] == "fail"


def test_answers_file_errors_name_the_row(tmp_path):
    bad = tmp_path / "a.csv"
    bad.write_text("O99,http://x.go.th/\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 1"):
        read_answers(bad, load_catalog(2565).codes)


def test_table_is_thai_and_english(report):
    text = render_table(report, "http://www.nasuan.go.th/")
    assert "O23" in text and "pass" in text
    assert "ผ่าน" in text


def test_check_command_end_to_end_with_crawl_replaced(monkeypatch, capsys):
    import crawler.runner as runner
    monkeypatch.setattr(runner, "crawl_one", lambda url, **kw: build_evidence({"site": "ita_table"}))
    rc = cli.main(["check", "http://www.nasuan.go.th/", "--format", "json", "--as-of", "2565-04-30"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2022-04-30" and len(data["items"]) == 43


@pytest.mark.slow
def test_self_check_of_a_dead_site_prints_its_status_not_tracebacks(sim_proxy, run_command):
    """A registry domain that no longer resolves is an everyday case: the LAO web admin sees the named
    status and that there is no score, not Scrapy's retry and robots.txt tracebacks."""
    proc = run_command.oit("check", "https://namthiang.go.th/", "--proxy", sim_proxy.url,
                           "--as-of", "2022-04-30", timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dns_error" in proc.stdout
    assert "Traceback" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr[-2000:]


@pytest.mark.parametrize("site_status", ["dns_error", "timeout", "blocked"])
def test_json_of_a_site_never_reached_has_a_null_score_and_says_why(site_status, monkeypatch, capsys):
    """A score of 0 would say "this LAO scored 0"; nothing was judged, so there is no score, and
    site_status and counts carry the reason."""
    import crawler.runner as runner
    monkeypatch.setattr(runner, "crawl_one",
                        lambda url, **kw: build_evidence({"site": "ita_table", "site_status": site_status}))
    assert cli.main(["check", "http://www.nasuan.go.th/", "--format", "json", "--as-of", "2565-04-30"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["score"] is None
    assert data["site_status"] == site_status
    assert data["counts"] == {"pass": 0, "fail": 0, "needs_review": 0, "unknown": 43}
    assert {i["status"] for i in data["items"]} == {"unknown"}


def test_a_site_with_one_judged_item_keeps_a_numeric_score():
    rep = check_site(build_evidence({"site": "ita_table", "site_status": "timeout"}), 2565, DEFAULT_AS_OF)
    rep.items[0].status = "fail"
    assert rep.score == 0.0 and rep.to_json("x")["score"] == 0.0
    rep.items[1].status = "pass"
    assert rep.score == round(100 / 43, 2)
