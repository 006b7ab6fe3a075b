"""Safety fuzz: hostile site-supplied text (titles, link texts, file names, formulas) flows
through evidence -> check engine -> results store -> reports, and comes out inert:
escaped in HTML, plain text (never a formula) in Excel and CSV, literal text in PDF.
"""
from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest

from checks.evidence import Document, Link, Page, SiteEvidence
from oitsim.faults import HOSTILE_FILENAMES, HOSTILE_STRINGS

YEAR, AS_OF = 2565, date(2022, 4, 30)
SCRIPT = HOSTILE_STRINGS[0]                      # <script>alert("oit-xss")</script>
IMG = "<img src=x onerror=alert(1)>"
FORMULAS = [s for s in HOSTILE_STRINGS if s[0] in "=+-@"]
FORMULA_START = ("=", "+", "-", "@")


def _first_lao() -> dict:
    from oitwatch.paths import DEFAULT_LAOS

    with DEFAULT_LAOS.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("url"):
                return row
    pytest.skip("the registry has no LAO with a URL")


def _hostile_evidence(lao: dict) -> SiteEvidence:
    """A site whose menu names real OIT items, each decorated with a hostile string."""
    from checks.catalog import load_catalog

    base = "http://hostile.sim.test/"
    items = load_catalog(YEAR).items
    links, docs = [], []
    for i, item in enumerate(items):
        hostile = HOSTILE_STRINGS[i % len(HOSTILE_STRINGS)]
        name = HOSTILE_FILENAMES[i % len(HOSTILE_FILENAMES)]
        url = f"{base}files/{quote(name)}"
        links.append(Link(source_url=base, href=url, url=url, text=f"{hostile} {item.title_th} {hostile}",
                          context=f"{item.title_th} {hostile}"))
        docs.append(Document(url=url, kind="pdf", size=10, sha256=f"{i:064x}",
                             text=f"{item.title_th} {hostile} {YEAR}", pages=1))
    name = f"{lao['lao_type_th']}{lao['name_th']}"  # the identity check must recognise the LAO
    home = Page(url=base, status=200, title=f"{name} {SCRIPT} {IMG} {FORMULAS[0]}",
                text=f"{name} " + " ".join(HOSTILE_STRINGS), depth=0)
    return SiteEvidence(lao_id=lao["lao_id"], start_url=base, status="ok", final_url=base, pages=[home],
                        links=links, documents=docs, name_th=lao["name_th"], lao_type_th=lao["lao_type_th"])


def _quote_site_text(report) -> None:
    """Make every result field that may quote the site carry a hostile string.

    The engine copies evidence URLs as they were linked; matched text and reasons may quote
    link texts and titles. Filling them all makes the fuzz independent of which items the
    engine happens to match.
    """
    for i, item in enumerate(report.items):
        hostile = HOSTILE_STRINGS[i % len(HOSTILE_STRINGS)]
        name = HOSTILE_FILENAMES[i % len(HOSTILE_FILENAMES)]
        item.matched_text = hostile
        item.reason_th = f"{hostile} {item.reason_th or ''}"
        item.reason_en = f"{hostile} {item.reason_en or ''}"
        item.evidence_url = f"http://hostile.sim.test/files/{name}?q={hostile}"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    render = pytest.importorskip("reports.render", reason="reports not built yet")
    from checks.engine import check_site
    from oitwatch.store import Store

    tmp = tmp_path_factory.mktemp("hostile-report")
    store = Store(tmp / "data")
    run_id = store.start_run("crawl", {"registry": "hostile"})
    lao = _first_lao()
    lao_id = lao["lao_id"]
    ev = _hostile_evidence(lao)
    store.begin_site(run_id, lao_id, ev.start_url)
    store.add_page(run_id, lao_id, ev.pages[0])
    store.add_links(run_id, lao_id, ev.links)
    for doc in ev.documents:
        store.add_document(run_id, lao_id, doc)
    store.finish_site(run_id, lao_id, ev.status, ev.final_url, ev.platform, ev.flags)
    report = check_site(store.load_evidence(run_id, lao_id), YEAR, AS_OF)
    _quote_site_text(report)
    store.save_results(run_id, lao_id, YEAR, AS_OF, report)
    store.finish_run(run_id, "finished")
    out = tmp / "report"
    pdf = shutil.which("chromium") is not None
    render.build_report(store, run_id, out, pdf=pdf, excel=True, year=YEAR)
    return {"out": out, "results": store.results_frame(run_id), "pdf": pdf, "lao_id": lao_id}


def test_hostile_text_reaches_the_results(hostile_report):
    results = hostile_report["results"]
    carried = " ".join(str(v) for col in ("matched_text", "evidence_url") for v in results[col].dropna())
    assert "HYPERLINK" in carried or "script" in carried, "the fuzz never reached the results; it proves nothing"


def test_html_outputs_escape_site_text(hostile_report):
    pages = list(hostile_report["out"].rglob("*.html"))
    assert pages
    seen_escaped = False
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert SCRIPT not in text, f"{page.name}: raw <script> from a site"
        assert IMG not in text, f"{page.name}: raw <img onerror> from a site"
        assert "oit-pwned" not in text or "$(touch" in text  # shown as text, never evaluated
        seen_escaped |= "&lt;script&gt;" in text or "alert(&#34;oit-xss&#34;)" in text or "HYPERLINK" in text
    assert seen_escaped, "no hostile text was shown at all: the HTML fuzz proves nothing"


def test_excel_cells_are_never_formulas(hostile_report):
    from openpyxl import load_workbook

    books = list(hostile_report["out"].rglob("*.xlsx"))
    assert books
    hostile_cells = 0
    for book in books:
        wb = load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{book.name}!{ws.title}{cell.coordinate}: formula {cell.value!r}"
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(FORMULA_START), f"{book.name}: {cell.value!r}"
                        hostile_cells += "HYPERLINK" in cell.value or "cmd|" in cell.value or "<script>" in cell.value
    assert hostile_cells > 0, "no hostile text reached any workbook: the Excel fuzz proves nothing"


def test_csv_exports_neutralise_formulas(hostile_report):
    files = list(hostile_report["out"].rglob("*.csv"))
    if not files:
        pytest.skip("no CSV exports in this report build")
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for value in row:
                    assert not value.startswith(FORMULA_START), f"{path.name}: {value!r}"


def test_pdf_outputs_show_hostile_text_as_text(hostile_report):
    pdfs = list(hostile_report["out"].rglob("*.pdf"))
    if not hostile_report["pdf"] or not pdfs:
        pytest.skip("no PDF outputs (Chromium missing or PDFs not built for this run)")
    shown = 0
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                              check=True, timeout=60).stdout.decode("utf-8", "replace")
        # Escaped HTML renders the markup as visible text; executed markup would leave no text.
        # Table cells wrap long text, so compare with all white space removed.
        shown += "".join(SCRIPT.split()) in "".join(text.split())
    assert shown > 0, "the hostile <script> text is not visible in any PDF"
    assert not Path("/tmp/oit-pwned").exists()


def test_markdown_outputs_escape_markup(hostile_report):
    files = list(hostile_report["out"].rglob("*.md"))
    if not files:
        pytest.skip("no Markdown outputs in this report build")
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert SCRIPT not in text and IMG not in text, f"{path.name}: raw HTML from a site"
