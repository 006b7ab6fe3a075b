"""Report rendering on synthetic Mukdahan results: files, escaping, Excel, PDFs, Chromium, golden Markdown.

Golden files in tests/golden/ are regenerated only with OIT_UPDATE_GOLDEN=1.
Screenshots go to the test's tmp dir; with OIT_DOC_SCREENSHOTS=1 they are also copied to docs/screenshots/.
"""
import dataclasses
import re
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from oitwatch.registry import Officer, load_coverage, load_laos, load_officers
from reports import contexts
from reports.excel import safe_cell
from reports.render import ReportData, build_from_data, load_messages, load_report_config
from reports.synthetic import run_dates, synthetic_run

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
XSS = "<script>alert(1)</script>"
HOSTILE_LAO = "AH-TAO-490103"


def mukdahan_data() -> ReportData:
    laos = load_laos()
    cov = load_coverage(laos=laos)
    offs = load_officers()
    offs[0] = Officer("490101", "สมชาย ใจดี", "ปลัดอำเภอ", "042-611-111", "somchai@example.org", "")
    offs[1] = Officer("490102", "สมชาย ใจดี", "ปลัดอำเภอ", "042-611-111", "somchai@example.org", "")
    r1, s1 = synthetic_run(laos, 1, as_of=date(2022, 3, 28), seed=1)
    r2, s2 = synthetic_run(laos, 2, as_of=date(2022, 4, 27), seed=2, quality_shift=0.05)
    r3, s3 = synthetic_run(laos, 3, as_of=date(2022, 5, 20), seed=3, quality_shift=0.1)
    hostile = (r3["lao_id"] == HOSTILE_LAO) & (r3["code"] == "O1")
    r3.loc[hostile, ["status", "matched_text", "evidence_url", "reason_th"]] = [
        "fail", XSS, "javascript:alert(2)", '<img src=x onerror="alert(3)">']
    formula = (r3["lao_id"] == HOSTILE_LAO) & (r3["code"] == "O2")
    r3.loc[formula, ["status", "reason_th"]] = ["fail", '=HYPERLINK("http://evil.example","x")']
    s3.loc[s3["lao_id"] == "AH-TAO-490103", "status"] = "ok"
    return ReportData(run_id=3, year=2565, as_of="2022-05-20", results=r3, sites=s3, laos=laos, coverage=cov,
                      officers=offs, run_dates=run_dates((1, date(2022, 3, 28)), (2, date(2022, 4, 27)),
                                                         (3, date(2022, 5, 20))),
                      history={1: (r1, s1), 2: (r2, s2)}, previous_run=2)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    index = build_from_data(mukdahan_data(), out, "th", pdf=False)
    return out, index


def test_report_writes_every_output(report):
    out, index = report
    assert index == out / "index.html" and index.exists()
    for rel in ["a/4901.html", "t/490101.html", f"l/{HOSTILE_LAO}.html", "heatmap/49.html", "items.html",
                "progress.html", "md/t/490101.md", "data/results.csv", "data/lao_scores.csv", "data/areas.csv",
                "data/report.json", "excel/report-49.xlsx", "excel/progress-49.xlsx", "static/report.css",
                "static/report.js"]:
        assert (out / rel).exists(), rel
    assert len(list((out / "t").glob("*.html"))) == 53
    assert len(list((out / "l").glob("*.html"))) == 55


def test_no_external_resources_in_pages(report):
    out, _ = report
    for page in [out / "index.html", out / "t/490101.html", out / "heatmap/49.html"]:
        html = page.read_text(encoding="utf-8")
        assert 'src="http' not in html and "cdn" not in html.lower()
        assert '<link rel="stylesheet" href="http' not in html


def test_site_supplied_text_is_escaped(report):
    out, _ = report
    html = (out / f"l/{HOSTILE_LAO}.html").read_text(encoding="utf-8")
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=\"alert(3)\"" not in html and "&lt;img src=x onerror=" in html
    assert 'href="javascript:' not in html and "javascript:alert(2)" in html  # shown as text, not a link
    assert not re.search(r"\bnan\b", html)  # missing values render empty, never as nan
    tambon = (out / "t/490103.html").read_text(encoding="utf-8")
    assert XSS not in tambon and "&lt;script&gt;" in tambon
    md = (out / "md/t/490103.md").read_text(encoding="utf-8")
    assert "\\<img src=x onerror=" in md and not re.search(r"(?<!\\)<", md)


def test_scores_export_matches_aggregation(report):
    out, _ = report
    scores = pd.read_csv(out / "data/lao_scores.csv", dtype={"tambon_codes": str, "amphoe_code": str})
    assert len(scores) == 55
    row = scores[scores["lao_id"] == HOSTILE_LAO].iloc[0]
    assert row["n_pass"] + row["n_fail"] + row["n_review"] + row["n_unknown"] == 43
    assert row["score"] == pytest.approx(round(100 * row["n_pass"] / 43, 2))
    unreachable = scores[~scores["reachable"]]
    assert unreachable["score"].isna().all() and (unreachable["site_status"] != "ok").all()


def test_area_means_leave_out_the_sites_never_reached(report):
    """The district and province figures the pages show average only scored LAOs."""
    out, _ = report
    scores = pd.read_csv(out / "data/lao_scores.csv", dtype={"amphoe_code": str, "province_code": str})
    areas = pd.read_csv(out / "data/areas.csv", dtype={"code": str})
    unreached = scores[~scores["reachable"]]
    assert len(unreached) and (unreached["n_unknown"] == unreached["n_items"]).any()
    for level, key in (("amphoe", "amphoe_code"), ("province", "province_code")):
        for code in unreached[key].unique():
            row = areas[(areas["level"] == level) & (areas["code"] == code)].iloc[0]
            laos = scores[scores[key] == code]
            assert row["n_unreachable"] == (~laos["reachable"]).sum() > 0
            assert row["n_scored"] == laos["score"].count() == laos["reachable"].sum()
            assert row["mean_score"] == pytest.approx(round(laos["score"].mean(), 2))
            assert row["mean_score"] > round(laos["score"].fillna(0).mean(), 2) and row["min_score"] > 0


def test_excel_workbook_sheets_headers_filters_and_formula_escaping(report):
    out, _ = report
    wb = load_workbook(out / "excel/report-49.xlsx")
    labels = load_messages()["labels"]
    names = wb.sheetnames
    assert names[0] == labels["sheet_summary"]["th"]
    assert names[1:8] == ["เมืองมุกดาหาร", "นิคมคำสร้อย", "ดอนตาล", "ดงหลวง", "คำชะอี", "หว้านใหญ่", "หนองสูง"]
    assert labels["sheet_gaps"]["th"] in names
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    gaps = wb[labels["sheet_gaps"]["th"]]
    header = [c.value for c in gaps[1]]
    assert labels["reason"]["th"] in header
    reasons = [r[header.index(labels["reason"]["th"])] for r in gaps.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in reasons
    assert not any(isinstance(v, str) and v.startswith("=") for r in gaps.iter_rows(values_only=True) for v in r)


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+66 42 611", "'+66 42 611"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("ปกติ", "ปกติ"), (5, 5), (-2.5, -2.5), (None, None)])
def test_safe_cell_escapes_formula_starts_only(value, expected):
    assert safe_cell(value) == expected


def test_csv_export_escapes_formulas(report):
    out, _ = report
    text = (out / "data/results.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_progress_uses_latest_run_on_or_before_each_round(report):
    out, _ = report
    wb = load_workbook(out / "excel/progress-49.xlsx")
    rows = list(wb.worksheets[0].iter_rows(min_row=2, values_only=True))
    # rounds 31 Mar, 29 Apr, 27 May, 24 Jun 2022 -> runs 1, 2, 3, 3
    by_round = {r[2]: r[4] for r in rows if r[1] == "4901"}
    assert by_round == {1: 1, 2: 2, 3: 3, 4: 3}


def test_golden_tambon_markdown(report):
    out, _ = report
    got = (out / "md/t/490101.md").read_text(encoding="utf-8")
    golden = GOLDEN / "tambon_490101.md"
    if os.environ.get("OIT_UPDATE_GOLDEN") == "1":
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


def test_every_context_field_has_help():
    for name, cls in vars(contexts).items():
        if dataclasses.is_dataclass(cls) and cls.__module__ == contexts.__name__:
            assert cls.__doc__, name
            for f in dataclasses.fields(cls):
                assert f.metadata.get("help"), f"{name}.{f.name} lacks help"


def test_messages_have_thai_and_english_and_config_loads():
    msgs = load_messages()
    for group in ("labels", "status", "site_status"):
        for key, texts in msgs[group].items():
            assert texts.get("th") and texts.get("en"), f"{group}.{key}"
    cfg = load_report_config()
    assert cfg["target"] == 85
    assert [str(d) for d in cfg["years"][2565]["rounds"]] == ["2022-03-31", "2022-04-29", "2022-05-27", "2022-06-24"]


def test_english_build_uses_english_labels(tmp_path):
    data = mukdahan_data()
    index = build_from_data(data, tmp_path, "en", pdf=False, excel=False, lao_pages=False)
    html = index.read_text(encoding="utf-8")
    assert "Mean score" in html and "Mueang Mukdahan" in html and 'lang="en"' in html


THAI = re.compile(r"[\u0e00-\u0e7f]+")


def _thai_besides_data(text: str, data: ReportData) -> list[str]:
    """Thai left in `text` once the registry's own Thai data (officer names and positions) is removed."""
    for o in data.officers:
        for value in (o.officer_name, o.position):
            if value:
                text = text.replace(value, "")
    return THAI.findall(text)


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    out = tmp_path_factory.mktemp("report_en")
    data = mukdahan_data()
    build_from_data(data, out, "en", pdf=False, lao_pages=False)
    return out, data, {k: v["en"] for k, v in load_messages()["labels"].items()}


def test_english_district_page_is_in_english(english):
    out, data, en = english
    html = (out / "a/4901.html").read_text(encoding="utf-8")
    assert 'lang="en"' in html
    assert f"<h1>{en['amphoe_named'].format(name='Mueang Mukdahan')}</h1>" in html      # not "DistrictMueang ..."
    assert en["tambon_named"].format(name="Ban Khok") + f" ({en['no_officer']})" in html
    assert en["mean_score"] in html and en["children_tambon"] in html and "Si Bun Rueang" in html
    assert _thai_besides_data(html, data) == []


def test_english_subdistrict_gap_pages_are_in_english(english):
    out, data, en = english
    html = (out / "t/490101.html").read_text(encoding="utf-8")
    title = en["tambon_report"].format(name="Mukdahan")
    assert f"<h1>{title}</h1>" in html and en["amphoe_named"].format(name="Mueang Mukdahan") in html
    assert en["gaps"] in html and "Relevant laws" in html           # the item's English title
    assert _thai_besides_data(html, data) == []
    md = (out / "md/t/490101.md").read_text(encoding="utf-8")
    assert md.startswith(f"# {title} ({en['amphoe_named'].format(name='Mueang Mukdahan')})")
    assert _thai_besides_data(md, data) == []


def test_english_excel_workbooks_are_in_english(english):
    out, data, en = english
    wb = load_workbook(out / "excel/report-49.xlsx")
    assert wb.sheetnames[0] == en["sheet_summary"] and wb.sheetnames[1] == "Mueang Mukdahan"
    assert {en["sheet_gaps"], en["sheet_review"], en["sheet_unreachable"]} <= set(wb.sheetnames)
    summary = [r for r in wb[en["sheet_summary"]].iter_rows(values_only=True)]
    assert summary[0][0] == en["amphoe"] and summary[-1][0] == en["province_named"].format(name="Mukdahan")
    gaps = wb[en["sheet_gaps"]]
    header = [c.value for c in gaps[1]]
    assert en["reason"] in header
    reasons = {r[header.index(en["reason"])] for r in gaps.iter_rows(min_row=2, values_only=True)}
    assert "No link or heading for this item" in reasons                # reason_en, not reason_th
    for path in (out / "excel/report-49.xlsx", out / "excel/progress-49.xlsx"):
        book = load_workbook(path)
        cells = [str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r if v is not None]
        assert _thai_besides_data(" ".join(book.sheetnames + cells), data) == [], path.name


# --------------------------------------------------------------------------- browser

def _keep_for_docs(path: Path, name: str) -> None:
    if os.environ.get("OIT_DOC_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / name)


@pytest.mark.browser
def test_pages_load_in_chromium_without_console_errors(report, tmp_path):
    from playwright.sync_api import sync_playwright
    from reports.pdf import launch
    out, index = report
    errors, requests = [], []
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
        for rel, shot in [("index.html", "report-province.png"), ("t/490101.html", "report-tambon-gaps.png"),
                          (f"l/{HOSTILE_LAO}.html", None), ("heatmap/49.html", "report-heatmap.png")]:
            page.goto((out / rel).as_uri())
            assert page.locator("table").count() >= 1, rel
            if shot:
                path = tmp_path / shot
                page.screenshot(path=str(path), full_page=False)
                assert path.stat().st_size > 10_000
                _keep_for_docs(path, shot)
        # the hostile matched text is visible as text
        page.goto((out / f"l/{HOSTILE_LAO}.html").as_uri())
        assert page.get_by_text(XSS).count() >= 1
        # sorting: click the score header of the LAO table on the province page
        page.goto(index.as_uri())
        table = page.locator("table.sortable").nth(3)
        header = table.locator("thead th").nth(3)
        header.click()
        values = [v for v in table.locator("tbody tr td:nth-child(4)").evaluate_all(
            "tds => tds.map(td => parseFloat(td.getAttribute('data-v')))")]
        assert values == sorted(values)
        browser.close()
    assert errors == []
    assert all(u.startswith("file:") for u in requests), [u for u in requests if not u.startswith("file:")]


@pytest.mark.browser
def test_officer_pdf_has_searchable_thai(tmp_path):
    data = mukdahan_data()
    build_from_data(data, tmp_path, "th", pdf=True, excel=False, lao_pages=False, pdf_limit=1)
    pdfs = sorted((tmp_path / "pdf").glob("officer-*.pdf"))
    assert [p.name for p in pdfs] == ["officer-somchai_example.org.pdf"]
    text = subprocess.run(["pdftotext", "-raw", str(pdfs[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert "สมชาย ใจดี" in text and "ตำบลมุกดาหาร" in text and "เป้าหมาย" in text
    fonts = subprocess.run(["pdffonts", str(pdfs[0])], capture_output=True, text=True, check=True).stdout
    assert "Laksaman" in fonts
    progress = tmp_path / "pdf" / "progress-49.pdf"
    ptext = subprocess.run(["pdftotext", "-raw", str(progress), "-"], capture_output=True, text=True, check=True).stdout
    assert "นิคมคำสร้อย" in ptext and "จังหวัดมุกดาหาร" in ptext and "รอบที่ 4" in ptext
    png = tmp_path / "officer"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdfs[0]), str(png)], check=True)
    shot = next(tmp_path.glob("officer*.png"))
    _keep_for_docs(shot, "report-officer-pdf.png")


@pytest.mark.browser
def test_english_pdfs_are_in_english(tmp_path):
    data = mukdahan_data()
    en = {k: v["en"] for k, v in load_messages()["labels"].items()}
    build_from_data(data, tmp_path, "en", pdf=True, excel=False, lao_pages=False, pdf_limit=1)
    officer = tmp_path / "pdf" / "officer-somchai_example.org.pdf"
    progress = tmp_path / "pdf" / "progress-49.pdf"
    text = subprocess.run(["pdftotext", "-raw", str(officer), "-"], capture_output=True, text=True, check=True).stdout
    assert en["officer_report"] in text and en["mean_score"] in text
    assert (f"{en['tambon_named'].format(name='Mukdahan')} · {en['amphoe_named'].format(name='Mueang Mukdahan')}"
            in text)
    assert _thai_besides_data(text, data) == []
    ptext = subprocess.run(["pdftotext", "-raw", str(progress), "-"], capture_output=True, text=True, check=True).stdout
    assert "Nikhom Kham Soi" in ptext and en["province_named"].format(name="Mukdahan") in ptext
    assert _thai_besides_data(ptext, data) == []


def test_xlsx_writer_round_trips_through_openpyxl(tmp_path):
    from reports.xlsx import XSheet, col_letter, write_xlsx
    assert [col_letter(n) for n in (1, 26, 27, 52, 53)] == ["A", "Z", "AA", "AZ", "BA"]
    path = tmp_path / "t.xlsx"
    rows = [["อบต.ก", 12, 3.5, True, None, "ไม่พบ", " lead", "a<b>&\x01c"], ["'=1+1", -2, 0.0, False, "", "ผ่าน", "", ""]]
    write_xlsx(path, [XSheet("สรุป's", ["ชื่อ", "n", "x", "b", "e", "st", "s", "t"], rows,
                             widths=[20] * 8, fill_range=(5, 5), fills={"ไม่พบ": "FFC7CE", "ผ่าน": "C6EFCE"})])
    wb = load_workbook(path)
    ws = wb["สรุป's"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H3"
    got = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert got[0] == ["อบต.ก", 12, 3.5, True, None, "ไม่พบ", " lead", "a<b>&c"]
    assert got[1][:4] == ["'=1+1", -2, 0, False]
    assert len(ws.conditional_formatting) == 1


def test_bad_report_config_names_the_key(tmp_path):
    from oitwatch.errors import InputError
    bad = tmp_path / "reports.yaml"
    bad.write_text("target: 120\ngrade_bands: []\nreachable_site_statuses: [ok]\nyears: {}\n", encoding="utf-8")
    with pytest.raises(InputError, match="target"):
        load_report_config(bad)
