"""Document bytes of the simulated web: text PDFs, scanned-image PDFs, DOCX and XLSX.

Every builder is deterministic (fixed creation dates, fixed zip timestamps), so the same
input lines give the same bytes. Text PDFs (~3 ms, after a one-off ~1 s font subset), DOCX
and XLSX (~1 ms) are written by hand; scanned PDFs (~80 ms) render a page image with Pillow.
The World caches document bytes in a bounded LRU.
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


# --------------------------------------------------------------------------- fast text PDF
# A small PDF writer: one TrueType subset of Laksaman (Thai + Latin) is built once per process
# and embedded as a CIDFontType2 (Identity-H) with a ToUnicode map, so pdftotext extracts the
# Thai text. Writing a document is then ~3 ms instead of ~50 ms with fpdf2's per-file subsetting.

PAGE_W, PAGE_H, MARGIN = 595.28, 841.89, 56.0
_FONT = None


def _font():
    """(font bytes, {codepoint: gid}, [widths per gid in 1/1000 em], bbox, ascent, descent), built once."""
    global _FONT
    if _FONT is None:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        font = TTFont(FONT_PATH)
        opts = subset.Options()
        opts.layout_features = []
        opts.drop_tables += ["GPOS", "GSUB", "GDEF", "FFTM"]
        opts.notdef_outline = True
        opts.name_IDs = ["*"]
        sub = subset.Subsetter(opts)
        codepoints = list(range(0x20, 0x7F)) + list(range(0x0E01, 0x0E5C)) + [0xA0, 0xA9, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2022]
        sub.populate(unicodes=codepoints)
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        scale = 1000.0 / font["head"].unitsPerEm
        cmap = {cp: font.getGlyphID(name) for cp, name in font.getBestCmap().items()}
        order = font.getGlyphOrder()
        widths = [round(font["hmtx"][g][0] * scale) for g in order]
        head = font["head"]
        bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        hhea = font["hhea"]
        _FONT = (buf.getvalue(), cmap, widths, bbox, round(hhea.ascent * scale), round(hhea.descent * scale))
    return _FONT


def _encode(text: str) -> tuple[str, float]:
    """Hex glyph string for ``text`` and its advance width in 1/1000 em."""
    _, cmap, widths, *_ = _font()
    gids = [cmap.get(ord(ch), cmap.get(0x20, 0)) for ch in text]
    return "".join(f"{g:04X}" for g in gids), float(sum(widths[g] for g in gids))


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Greedy wrap on spaces; a run longer than the line is cut where it overflows."""
    _, cmap, widths, *_ = _font()
    space = cmap.get(0x20, 0)
    limit = width * 1000 / size

    def adv(ch: str) -> float:
        return widths[cmap.get(ord(ch), space)]

    out, line, used = [], "", 0.0
    for word in text.split(" "):
        w = sum(adv(ch) for ch in word)
        gap = adv(" ") if line else 0.0
        if line and used + gap + w > limit:
            out.append(line)
            line, used, gap = "", 0.0, 0.0
        if w > limit:  # cut an unbroken run
            for ch in (" " if line else "") + word:
                a = adv(ch)
                if used + a > limit and line:
                    out.append(line)
                    line, used = "", 0.0
                line += ch
                used += a
            continue
        line = f"{line} {word}" if line else word
        used += gap + w
    if line:
        out.append(line)
    return out


def _pdf_date() -> str:
    return FIXED_DATE.strftime("D:%Y%m%d%H%M%S+07'00'")


def _assemble(page_streams: list[bytes], *, font: bool, images: list[tuple[bytes, int, int]] = ()) -> bytes:
    """Write objects, xref and trailer. ``images`` are JPEGs (bytes, width, height), one per page."""
    import zlib

    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "", compress: bool = True) -> bytes:
        if compress:
            data = zlib.compress(data, 6)
            extra += " /Filter /FlateDecode"
        return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"

    catalog = add(b"")  # placeholders filled below
    pages = add(b"")
    font_ref = None
    if font:
        for body in _font_objects(stream):  # constant bodies: objects 3..7, built once per process
            font_ref = add(body)
    kids = []
    for i, content in enumerate(page_streams):
        resources = []
        if font_ref:
            resources.append(f"/Font << /F1 {font_ref} 0 R >>")
        if images:
            jpeg, iw, ih = images[i]
            img = add(stream(jpeg, f" /Type /XObject /Subtype /Image /Width {iw} /Height {ih} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", compress=False))
            resources.append(f"/XObject << /Im1 {img} 0 R >>")
        c = add(stream(content))
        kids.append(add(
            (f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << {' '.join(resources)} >> /Contents {c} 0 R >>").encode()
        ))
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages} 0 R >>".encode()
    objects[pages - 1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    info = add(f"<< /Producer (oitsim) /CreationDate ({_pdf_date()}) >>".encode())
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


_FONT_OBJECTS: list[bytes] | None = None


def _font_objects(stream) -> list[bytes]:
    """Bodies of the font objects numbered 3..7 (file, descriptor, CID font, ToUnicode, Type0)."""
    global _FONT_OBJECTS
    if _FONT_OBJECTS is None:
        data, cmap, widths, bbox, ascent, descent = _font()
        ff, desc, cid, tounicode = 3, 4, 5, 6
        w = " ".join(str(x) for x in widths)
        by_gid: dict[int, int] = {}
        for cp, gid in sorted(cmap.items()):
            by_gid.setdefault(gid, cp)
        entries = [f"<{g:04X}> <{cp:04X}>" for g, cp in sorted(by_gid.items())]
        chunks = [entries[i : i + 100] for i in range(0, len(entries), 100)]
        body = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
        cmap_text = (
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + body + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        )
        _FONT_OBJECTS = [
            stream(data, f" /Length1 {len(data)}"),
            (f"<< /Type /FontDescriptor /FontName /SIMSUB+Laksaman /Flags 4 /FontBBox [{' '.join(map(str, bbox))}] "
             f"/ItalicAngle 0 /Ascent {ascent} /Descent {descent} /CapHeight {ascent} /StemV 80 /FontFile2 {ff} 0 R >>").encode(),
            (f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SIMSUB+Laksaman /CIDSystemInfo << /Registry (Adobe) "
             f"/Ordering (Identity) /Supplement 0 >> /FontDescriptor {desc} 0 R /W [0 [{w}]] /CIDToGIDMap /Identity >>").encode(),
            stream(cmap_text.encode()),
            f"<< /Type /Font /Subtype /Type0 /BaseFont /SIMSUB+Laksaman /Encoding /Identity-H /DescendantFonts [{cid} 0 R] /ToUnicode {tounicode} 0 R >>".encode(),
        ]
    return _FONT_OBJECTS


def pdf_text(title: str, lines: list[str], *, footer: str = "") -> bytes:
    """A PDF with a real Thai text layer: large centred title, one paragraph per line, right-aligned footer."""
    width = PAGE_W - 2 * MARGIN
    blocks: list[tuple[str, float, str]] = []  # (text, size, align)
    blocks += [(t, 20.0, "C") for t in _wrap(title, 20.0, width)]
    blocks.append(("", 8.0, "L"))
    for line in lines:
        blocks += [(t, 15.0, "L") for t in _wrap(line, 15.0, width)]
    if footer:
        blocks.append(("", 15.0, "L"))
        for part in footer.split("\n"):
            blocks += [(t, 15.0, "R") for t in _wrap(part, 15.0, width)]
    pages, ops, y = [], [], PAGE_H - MARGIN
    for text, size, align in blocks:
        lead = size * 1.45
        if y - lead < MARGIN:
            pages.append("\n".join(ops).encode())
            ops, y = [], PAGE_H - MARGIN
        y -= lead
        if not text:
            continue
        hexs, adv = _encode(text)
        w = adv * size / 1000
        x = MARGIN if align == "L" else (PAGE_W - w) / 2 if align == "C" else PAGE_W - MARGIN - w
        ops.append(f"BT /F1 {size:g} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm <{hexs}> Tj ET")
    pages.append("\n".join(ops).encode())
    return _assemble(pages, font=True)


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
    img = _page_image(title, lines, seed).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=55)
    content = f"q {PAGE_W} 0 0 {PAGE_H} 0 0 cm /Im1 Do Q".encode()
    return _assemble([content], font=False, images=[(buf.getvalue(), img.width, img.height)])


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>admin</dc:creator>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">2022-03-01T02:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2022-03-01T02:00:00Z</dcterms:modified></cp:coreProperties>'
)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _zip(parts: list[tuple[str, str]]) -> bytes:
    """A deterministic zip (fixed timestamps, given order) of UTF-8 text parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def docx_bytes(title: str, lines: list[str], *, footer: str = "") -> bytes:
    """A minimal WordprocessingML document (title as Heading 1, one paragraph per line)."""
    def para(text: str, style: str = "") -> str:
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return f'<w:p>{ppr}<w:r><w:rPr><w:rFonts w:ascii="TH SarabunPSK" w:hAnsi="TH SarabunPSK" w:cs="TH SarabunPSK"/></w:rPr><w:t xml:space="preserve">{_xml_text(text)}</w:t></w:r></w:p>'

    body = para(title, "Heading1") + "".join(para(x) for x in lines) + "".join(para(x) for x in footer.split("\n") if footer)
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W_NS}" xmlns:r="{_R_NS}"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    styles = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="{_W_NS}">'
              '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
              '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:rPr><w:b/><w:sz w:val="36"/></w:rPr></w:style></w:styles>')
    return _zip([
        ("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
         '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
         '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
         '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'),
        ("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
         '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'),
        ("word/_rels/document.xml.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'),
        ("word/document.xml", document),
        ("word/styles.xml", styles),
        ("docProps/core.xml", _CORE),
    ])


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name


def xlsx_bytes(title: str, header: list[str], rows: list[list[object]]) -> bytes:
    """A minimal SpreadsheetML workbook: title row, header row, data rows (inline strings)."""
    def cell(r: int, c: int, value) -> str:
        ref = f"{_col(c)}{r}"
        if value is None or value == "":
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(value))}</t></is></c>'

    table = [[title], list(header), *rows]
    xml_rows = "".join(f'<row r="{r}">' + "".join(cell(r, c, v) for c, v in enumerate(row)) + "</row>" for r, row in enumerate(table, start=1))
    sheet = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_S_NS}" xmlns:r="{_R_NS}"><sheetData>{xml_rows}</sheetData></worksheet>'
    return _zip([
        ("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
         '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
         '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
         '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'),
        ("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
         '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'),
        ("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_S_NS}" xmlns:r="{_R_NS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        ("xl/worksheets/sheet1.xml", sheet),
        ("docProps/core.xml", _CORE),
    ])
