"""A tiny local LAO-like website for crawler tests (127.0.0.1 only), with conditional GETs.

Served from memory by a threading HTTP server; counts requests and 304 answers per path.
"""
from __future__ import annotations

import csv
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = formatdate(1_650_000_000, usegmt=True)


def make_pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def site_pages() -> dict[str, tuple[str, bytes]]:
    html = "text/html; charset=utf-8"
    filler = "<p>" + "Local administration news and services for the people of the subdistrict. " * 4 + "</p>"
    return {
        "/": (html, f"""<html><head><title>Test LAO home</title></head><body>
<nav><a href="/ita.html">ITA OIT 2565</a> <a href="/about.html">About us</a> <a href="#">more</a>
<a href="javascript:void(0)">menu</a></nav>{filler}
<a href="https://www.facebook.com/testlao">Facebook</a>
<a href="/files/report.pdf">Annual report</a>
<!-- <a href="/secret-from-a-comment.html">old menu</a> -->
</body></html>""".encode()),
        "/about.html": (html, f"<html><head><title>About</title></head><body>{filler}"
                               f"<a href='/'>home</a> <a href='/deep1.html'>deeper</a></body></html>".encode()),
        "/deep1.html": (html, f"<html><head><title>Deep 1</title></head><body>{filler}"
                              f"<a href='/deep2.html'>deeper still</a></body></html>".encode()),
        "/deep2.html": (html, f"<html><head><title>Deep 2</title></head><body>{filler}</body></html>".encode()),
        "/ita.html": (html, f"""<html><head><title>ITA 2565</title></head><body>{filler}<table>
<tr><td>O1</td><td><a href="/about.html">structure</a></td></tr>
<tr><td>O2</td><td><a href="/files/report.pdf">report</a></td></tr>
<tr><td>O3</td><td><a href="/files/plan.pdf">plan</a></td></tr></table></body></html>""".encode()),
        "/files/report.pdf": ("application/pdf", make_pdf("Annual report fiscal year 2565")),
        "/files/plan.pdf": ("application/pdf", make_pdf("Plan fiscal year 2565")),
    }


class LocalSite:
    def __init__(self):
        self.pages = site_pages()
        self.requests: list[tuple[str, int]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                if path not in site.pages:
                    site.requests.append((path, 404))
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ctype, body = site.pages[path]
                etag = f'"{hash(body) & 0xffffffff:x}"'
                if self.headers.get("If-None-Match") == etag or (
                        self.headers.get("If-Modified-Since") == LAST_MODIFIED and ctype == "application/pdf"):
                    site.requests.append((path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                site.requests.append((path, 200))
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if ctype == "application/pdf":
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LocalSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, path: str, status: int) -> int:
        return sum(1 for p, s in self.requests if p == path and s == status)


REGISTRY_HEADER = ("lao_id,lao_type,lao_type_th,name_th,name_en,province_code,amphoe_code,tambon_code,url,"
                   "alt_urls,facebook,platform,lat,long\n")


def write_registry(path, rows: list[tuple[str, str]]) -> None:
    """rows: (lao_id, url) pairs, written in the shipped registry's format."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(REGISTRY_HEADER)
        for lao_id, url in rows:
            fh.write(f"{lao_id},TAO,อบต.,ทดสอบ,Test,49,4901,490103,{url},,,,,\n")


def write_registry_rows(path, rows: list[dict]):
    """Registry rows as they are (the shipped registry's own rows, a simulated world's), as a CSV file."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
