"""Output of a self-check: the human table (rich), JSON, the ITAS answer sheet (CSV + XLSX) and
the answers file reader for `oit check --answers`. Words come from config/messages/checks.yaml.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from checks.outcome import SiteReport, messages
from oitwatch.errors import InputError

_STYLE = {"pass": "green", "fail": "red", "needs_review": "yellow", "unknown": "magenta"}


def _ui() -> dict:
    return messages()["ui"]


def render_table(report: SiteReport, site: str, console=None, width: int | None = None) -> str:
    """The Thai/English results table; printed to `console` when given, returned as text."""
    from rich.console import Console
    from rich.table import Table

    ui, st = _ui(), messages()["statuses"]
    table = Table(title=ui["table_title"].format(year=report.year, site=site, as_of=report.as_of),
                  show_lines=False, expand=False)
    table.add_column(ui["col_code"], no_wrap=True)
    table.add_column(ui["col_title"], max_width=38)
    table.add_column(ui["col_status"], no_wrap=True)
    table.add_column(ui["col_detail"], max_width=70)
    for i in report.items:
        label = f"{st[i.status]['th']} / {st[i.status]['en']}"
        table.add_row(i.code, f"{i.title_th}\n{i.title_en}", f"[{_STYLE[i.status]}]{label}[/]",
                      f"{i.reason_th}\n{i.reason_en}")
    buf = io.StringIO()
    out = Console(file=buf, width=width or 160, force_terminal=False, color_system=None)
    out.print(table)
    counts = report.counts()
    if report.score is None:      # nothing could be judged: there is no score (0 would read as non-compliance)
        summary = ui["summary_unreachable"].format(status=report.site_status)
    else:
        summary = ui["summary"].format(passed=counts["pass"], total=len(report.items), score=report.score)
    footer = [ui["site_status"].format(status=report.site_status), summary]
    for line in footer:
        out.print(line)
    text = buf.getvalue()
    if console is not None:
        console.print(table)
        for line in footer:
            console.print(line)
    return text


def itas_rows(report: SiteReport) -> list[list[str]]:
    """One ITAS answer row per item: code, topic, has/has-not, URL, explanation of where to find it."""
    ui = _ui()
    rows = [[ui["itas_item"], ui["itas_topic"], ui["itas_answer"], ui["itas_url"], ui["itas_explain"]]]
    for i in report.items:
        has = i.status == "pass"
        url = (i.submitted_url or i.evidence_url or "") if has else ""
        explain = i.where_th if has else i.reason_th
        rows.append([i.code, i.title_th, ui["itas_has"] if has else ui["itas_has_not"], url, _safe(explain)])
    return rows


def _safe(value: str) -> str:
    """Text from a website must never become a spreadsheet formula."""
    v = value or ""
    return "'" + v if v[:1] in ("=", "+", "-", "@") else v


def write_itas(report: SiteReport, out: Path) -> tuple[Path, Path]:
    """Write the ITAS answer sheet as CSV (UTF-8 with BOM, for Excel) and XLSX next to it."""
    from openpyxl import Workbook

    out = Path(out)
    base = out.with_suffix("") if out.suffix.lower() in (".csv", ".xlsx") else out
    base.parent.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = base.with_suffix(".csv"), base.with_suffix(".xlsx")
    rows = itas_rows(report)
    safe_rows = [[_safe(c) if n != 4 else c for n, c in enumerate(r)] for r in rows]
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(safe_rows)
    wb = Workbook()
    ws = wb.active
    ws.title = f"OIT {report.year}"
    for r in safe_rows:
        ws.append(r)
    for col, width in zip("ABCDE", (6, 50, 10, 60, 80)):
        ws.column_dimensions[col].width = width
    wb.save(xlsx_path)
    return csv_path, xlsx_path


def read_answers(path: str | Path, codes: list[str]) -> dict[str, str]:
    """Read an answers CSV (code,url; header optional). Raises InputError naming the row."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--answers {path}: cannot read: {exc}") from None
    valid = {c.upper(): c for c in codes}
    out: dict[str, str] = {}
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        code = row[0].strip().upper()
        if n == 1 and code in ("CODE", "ITEM"):
            continue
        if len(row) < 2:
            raise InputError(f"--answers {path}: row {n}: expected 'code,url', got {','.join(row)!r}")
        if code not in valid:
            raise InputError(f"--answers {path}: row {n}, column code: unknown item {row[0]!r}")
        url = row[1].strip()
        if not url.startswith(("http://", "https://")):
            raise InputError(f"--answers {path}: row {n}, column url: not an http(s) URL: {url!r}")
        out[valid[code]] = url
    if not out:
        raise InputError(f"--answers {path}: no 'code,url' rows")
    return out
