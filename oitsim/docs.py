"""Document bytes of the simulated web: text PDFs, scanned-image PDFs, DOCX and XLSX.

Every builder is deterministic (fixed creation dates, fixed zip timestamps), so the same
input lines give the same bytes. Builders are slow-ish (10–40 ms); the World caches their
output in a bounded LRU.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

FONT_PATH = "/usr/share/fonts/truetype/tlwg/Laksaman.ttf"
FIXED_DATE = datetime(2022, 3, 1, 9, 0, 0)

MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _fpdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("Laksaman", fname=FONT_PATH)  # one face only: font subsetting dominates build time
    return pdf


def pdf_text(title: str, lines: list[str], *, footer: str = "") -> bytes:
    """A PDF with a real Thai text layer: bold title, then one paragraph per line."""
    pdf = _fpdf()
    pdf.add_page()
    pdf.set_font("Laksaman", size=20)
    pdf.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Laksaman", size=15)
    for line in lines:
        pdf.multi_cell(0, 8, line, align="L", new_x="LMARGIN", new_y="NEXT")
    if footer:
        pdf.ln(8)
        pdf.multi_cell(0, 8, footer, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _page_image(title: str, lines: list[str], seed: int):
    """Render the text into a grey, slightly rotated 'scanned' page image."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = 827, 1169  # A4 at 100 dpi
    img = Image.new("L", (width, height), 246)
    draw = ImageDraw.Draw(img)
    big = ImageFont.truetype(FONT_PATH, 30)
    small = ImageFont.truetype(FONT_PATH, 24)
    y = 90
    words, line, title_lines = title.split(), "", []
    for word in words:  # wrap the title to the page width
        if line and draw.textlength(line + " " + word, font=big) > width - 140:
            title_lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    title_lines.append(line)
    for tl in title_lines:
        draw.text((width // 2, y), tl, fill=25, font=big, anchor="mm")
        y += 42
    y += 24
    for line in lines:
        for start in range(0, len(line), 60):
            draw.text((80, y), line[start : start + 60], fill=40, font=small)
            y += 36
            if y > height - 80:
                break
    # scanner noise: speckles at deterministic places
    for i in range(400):
        x = (seed * 7919 + i * 104729) % width
        yy = (seed * 31 + i * 1299709) % height
        draw.point((x, yy), fill=120)
    return img.rotate(0.6 + (seed % 5) * 0.15, fillcolor=246)


def pdf_scanned(title: str, lines: list[str], *, seed: int = 0) -> bytes:
    """A PDF holding only a page image (no text layer), like a scanned signed document."""
    img = _page_image(title, lines, seed)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=55)
    buf.seek(0)
    pdf = _fpdf()
    pdf.add_page()
    pdf.image(buf, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def _fix_zip(data: bytes) -> bytes:
    """Rewrite a zip container with fixed timestamps and order (for deterministic bytes)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            new.compress_type = zipfile.ZIP_DEFLATED
            new.external_attr = info.external_attr
            dst.writestr(new, src.read(info.filename))
    return out.getvalue()


def docx_bytes(title: str, lines: list[str], *, footer: str = "") -> bytes:
    """A Word document (python-docx) with the Thai title and lines."""
    from docx import Document

    doc = Document()
    props = doc.core_properties
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.last_printed = FIXED_DATE
    props.revision = 1
    props.author = "admin"
    props.last_modified_by = "admin"
    doc.add_heading(title, level=1)
    for line in lines:
        doc.add_paragraph(line)
    if footer:
        doc.add_paragraph(footer)
    buf = io.BytesIO()
    doc.save(buf)
    return _fix_zip(buf.getvalue())


def xlsx_bytes(title: str, header: list[str], rows: list[list[object]]) -> bytes:
    """An Excel workbook (openpyxl): title row, header row, data rows."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE
    wb.properties.creator = "admin"
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return _fix_zip(buf.getvalue())
