"""Shared machinery of every simulated site style.

``BaseSite`` turns a ``SiteSpec`` into a route table (path -> page builder). It renders the
shared parts (banner with seal, news, item pages, documents, stubs) and asks the style for
the parts that differ (URL scheme, navbar, ITA surface). Pages are built on request; document
bytes are marked cacheable so the World keeps them in its LRU.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable
from urllib.parse import quote, unquote, urlsplit

from ..content import (
    contact_lines,
    executives,
    fill,
    fy_months,
    fy_phrase,
    h1_range,
    item_map,
    items,
    month_name,
    plan_range,
    random_date_in_fy,
    rng,
    stable_hash,
    thai_date,
    thai_digits,
    vocab,
)
from .. import docs as docbuild
from .. import google
from ..world import SimResponse

esc = html.escape

PALETTES = [
    ("#0b5394", "#e8f0fb", "#f1c232"),
    ("#38761d", "#eef7e8", "#f6b26b"),
    ("#741b47", "#f8eef3", "#ffd966"),
    ("#134f5c", "#e7f4f6", "#e69138"),
    ("#7f6000", "#fbf6e6", "#6fa8dc"),
    ("#990000", "#fbeaea", "#ffe599"),
]


@dataclass
class Link:
    """How one item appears on the site's ITA surface."""

    code: str
    text: str  # link text as shown
    href: str | None  # as written in HTML (None: no link at all)
    url: str | None  # absolute URL (None for missing, '#'-style placeholders keep page URL + fragment)
    kind: str  # target | doc | offsite | broken | hash | stub | empty | none


def html_response(body: str, *, status: int = 200, charset: str = "utf-8", header_charset: bool = True, extra=()) -> SimResponse:
    ctype = f"text/html; charset={charset}" if header_charset else "text/html"
    data = body.encode(charset, errors="xmlcharrefreplace")
    return SimResponse(status, [("Content-Type", ctype), *extra], data)


def scene_svg(color: str, accent: str, variant: int) -> str:
    """A banner landscape: sky, sun, hills, river and a stupa silhouette (stands in for the photo banner)."""
    h1 = 60 + variant % 25
    h2 = 80 + variant % 17
    return (
        '<svg class="scene" viewBox="0 0 640 150" preserveAspectRatio="xMidYMid slice" aria-hidden="true">'
        f'<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#bfe3ff"/><stop offset="1" stop-color="#fff6dc"/></linearGradient></defs>'
        '<rect width="640" height="150" fill="url(#sky)"/><circle cx="520" cy="40" r="22" fill="#ffd36b"/>'
        f'<polygon points="0,150 0,{h1} 90,{h1 - 35} 170,{h1 + 5} 260,{h1 - 30} 360,{h1 + 10} 460,{h1 - 20} 560,{h1 + 5} 640,{h1 - 15} 640,150" fill="#7fae6a"/>'
        f'<polygon points="0,150 0,{h2} 120,{h2 - 20} 240,{h2 + 8} 380,{h2 - 18} 520,{h2 + 6} 640,{h2 - 10} 640,150" fill="#4f8a4a"/>'
        '<path d="M0 132 C160 118 300 146 460 128 S620 122 640 126 L640 150 L0 150Z" fill="#6fa8dc" opacity=".85"/>'
        f'<g transform="translate({300 + variant % 200},{h2 - 52})" fill="{accent}"><rect x="-18" y="40" width="36" height="12"/>'
        '<rect x="-12" y="30" width="24" height="10"/><path d="M-10 30 Q0 -8 10 30Z"/><rect x="-1" y="-14" width="2" height="12"/></g>'
        "</svg>"
    )


def seal_svg(label: str, color: str, accent: str, size: int = 96) -> str:
    """A round seal-like emblem (rings, rays, lotus) with the LAO's short name."""
    rays = "".join(
        f'<line x1="50" y1="50" x2="{50 + 44 * c:.1f}" y2="{50 + 44 * s:.1f}" stroke="{accent}" stroke-width="1.2" opacity=".6"/>'
        for c, s in [(__import__("math").cos(a / 12 * 6.2832), __import__("math").sin(a / 12 * 6.2832)) for a in range(12)]
    )
    return (
        f'<svg class="seal" width="{size}" height="{size}" viewBox="0 0 100 100" role="img" aria-label="{esc(label)}">'
        f'<circle cx="50" cy="50" r="48" fill="{accent}"/><circle cx="50" cy="50" r="43" fill="#fff"/>'
        f'<circle cx="50" cy="50" r="40" fill="{color}"/>{rays}'
        f'<path d="M50 22 C58 34 58 44 50 54 C42 44 42 34 50 22Z" fill="{accent}"/>'
        f'<path d="M50 54 C40 50 32 42 30 34 C40 36 47 44 50 54Z M50 54 C60 50 68 42 70 34 C60 36 53 44 50 54Z" fill="{accent}" opacity=".85"/>'
        f'<rect x="30" y="58" width="40" height="4" fill="{accent}"/>'
        f'<text x="50" y="76" font-size="9" text-anchor="middle" fill="#fff" font-family="Laksaman, Garuda, sans-serif">{esc(label[:14])}</text>'
        "</svg>"
    )


class BaseSite:
    """A simulated LAO site. Subclasses set the URL scheme and the ITA surface."""

    style = "base"
    wrap_docs = False  # ITA links point to a page holding the file link instead of the file
    placeholder_kinds: tuple[str, ...] = ("hash", "stub")
    charset = "utf-8"
    generator_meta = ""
    asset_paths: tuple[str, ...] = ()
    upload_dir = "uploads/files/"
    server_headers: tuple[tuple[str, str], ...] = (("Server", "Apache/2.4.41 (Ubuntu)"), ("X-Powered-By", "PHP/7.4.3"))

    def __init__(self, spec):
        self.spec = spec
        self.lao = spec.lao
        self.v = vocab()
        self.r = rng(spec.seed, spec.host, "render")
        self.palette = PALETTES[spec.variant % len(PALETTES)]
        self.routes: dict[str, Callable[[], SimResponse]] = {}
        self.links: dict[str, Link] = {}
        self.news = self._plan_news()
        self._register_common()
        for item in items():
            self.links[item["code"]] = self._plan_link(item)
        self.build_style()

    # ------------------------------------------------------------------ URLs
    def abs(self, rel: str) -> str:
        """Absolute URL of a site-relative path ('' = home)."""
        if rel.startswith(("http://", "https://")):
            return rel
        return self.spec.root + rel

    def href(self, rel: str) -> str:
        """How links are written in HTML: root-relative path (with base path)."""
        if rel.startswith(("http://", "https://", "#", "javascript:")):
            return rel
        return self.spec.base_path + rel

    def item_page_path(self, code: str) -> str:
        return f"page.php?id={int(code[1:]) + 100}"

    def doc_path(self, code: str, ext: str, tag: str = "") -> str:
        h = stable_hash(self.spec.host, code, tag, n=10)
        return f"{self.upload_dir}{h}.{ext}"

    def stub_path(self, code: str) -> str:
        return f"page.php?id={int(code[1:]) + 500}"

    def news_path(self, i: int) -> str:
        return f"news.php?id={1200 + i}"

    def ita_entry_path(self) -> str:
        """The page a human follows from the home page to reach the ITA surface."""
        return "ita.php"

    def surface_of(self, code: str) -> str:
        """The page on which the item's ITA link (or placeholder) is written."""
        return self.ita_entry_path()

    # ------------------------------------------------------------------ request handling
    def respond(self, method: str, url: str, headers: dict[str, str]) -> SimResponse:
        parts = urlsplit(url)
        path = unquote(parts.path or "/")
        base = self.spec.base_path
        if not path.startswith(base):
            if path + "/" == base:
                return SimResponse(301, [("Location", self.spec.root)], b"")
            return self.not_found()
        rel = path[len(base):]
        key = rel + ("?" + parts.query if parts.query else "")
        for candidate in (key, key.rstrip("/"), key + "/" if key and not key.endswith("/") else None):
            if candidate is not None and candidate in self.routes:
                ext = candidate.rsplit(".", 1)[-1].lower()
                if method.upper() == "HEAD" and ext in docbuild.MIME:
                    return SimResponse(200, [("Content-Type", docbuild.MIME[ext])], b"")  # no need to build bytes
                return self.routes[candidate]()
        return self.not_found()

    def not_found(self) -> SimResponse:
        body = (
            "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>"
            "<h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
            "<hr><address>Apache Server</address></body></html>"
        )
        return html_response(body, status=404)

    def add(self, rel: str, builder: Callable[[], SimResponse]) -> None:
        self.routes[unquote(rel)] = builder

    def page_response(self, body: str) -> SimResponse:
        return html_response(body, charset=self.charset)

    # ------------------------------------------------------------------ planning of links
    def _plan_link(self, item: dict) -> Link:
        code = item["code"]
        plan = self.spec.plans[code]
        menus = item["menu"]
        if plan.state == "stale":  # an old document behind a label that names a year would contradict itself
            menus = [m for m in menus if not any(ch.isdigit() for ch in m)] or menus
        text = menus[plan.variant % len(menus)]
        st, form = plan.state, plan.form
        if st == "missing":
            return Link(code, text, None, None, "none")
        if st == "broken":
            rel = self.doc_path(code, "pdf", "gone") if item["form"] == "doc" else self.item_page_path(code) + "0"
            return Link(code, text, self.href(rel), self.abs(rel), "broken")
        if st == "placeholder":
            kind = self.placeholder_kinds[plan.variant % len(self.placeholder_kinds)]
            if kind == "stub":
                rel = self.stub_path(code)
                self.add(rel, lambda c=code: self.stub_page(c))
                return Link(code, text, self.href(rel), self.abs(rel), "stub")
            mark = {"hash": "#", "hashbang": "#!", "js": "javascript:void(0)"}[kind]
            return Link(code, text, mark, None, "hash")
        if st == "empty":
            rel = self.item_page_path(code)
            self.add(rel, lambda c=code: self.empty_page(c))
            return Link(code, text, self.href(rel), self.abs(rel), "empty")
        # ok / stale / incomplete / private / closed: real content
        if form == "social":
            return Link(code, text, self.spec.facebook, self.spec.facebook, "offsite")
        if form == "offsite_channel":  # served by oitsim/google.py (closed forms too)
            url = google.form_url(self.spec.host, code)
            return Link(code, text, url, url, "offsite")
        if form == "drive":  # served by oitsim/google.py (private files answer with the sign-in page)
            url = google.drive_view_url(self.spec.host, code)
            return Link(code, text, url, url, "offsite")
        if form in docbuild.MIME or form == "scan":
            ext = "pdf" if form in ("pdf", "scan") else form
            rel = self.doc_path(code, ext)
            self.add(rel, lambda c=code, e=ext, r=rel: self.doc_response(c, e, r))
            if self.wrap_docs:
                page = self.item_page_path(code)
                self.add(page, lambda c=code, r=rel: self.doc_wrapper_page(c, r))
                return Link(code, text, self.href(page), self.abs(page), "target")
            return Link(code, text, self.href(rel), self.abs(rel), "doc")
        rel = self.item_page_path(code)
        self.add(rel, lambda c=code: self.item_page(c))
        if form == "monthly":
            for tag, ext in self.monthly_docs(code):
                path = self.doc_path(code, ext, tag)
                self.add(path, lambda c=code, e=ext, t=tag, p=path: self.doc_response(c, e, p, month_tag=t))
        return Link(code, text, self.href(rel), self.abs(rel), "target")

    def evidence_urls(self) -> dict[str, str | None]:
        """The URL an LAO would submit in ITAS for each item (None when nothing is linked)."""
        out = {}
        for code, link in self.links.items():
            if link.kind == "hash":
                out[code] = self.abs(self.surface_of(code)) + (link.href if link.href.startswith("#") else "#" + link.href)
            else:
                out[code] = link.url
        return out

    # ------------------------------------------------------------------ common routes
    def _register_common(self) -> None:
        self.add("", self.home)
        self.add("index.php", self.home)
        for i in range(len(self.news)):
            self.add(self.news_path(i), lambda i=i: self.news_page(i))
        for path in self.asset_paths:
            self.add(path, lambda p=path: self.asset(p))
        self.add("robots.txt", lambda: SimResponse(200, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow: /admin/\n"))

    def asset(self, path: str) -> SimResponse:
        if path.endswith(".css"):
            return SimResponse(200, [("Content-Type", "text/css")], b"/* theme */ body{margin:0}\n")
        if path.endswith(".js"):
            return SimResponse(200, [("Content-Type", "application/javascript")], b"/* vendor bundle */\n")
        return SimResponse(200, [("Content-Type", "application/octet-stream")], b"")

    # ------------------------------------------------------------------ news
    def _plan_news(self) -> list[tuple[date, str]]:
        r = rng(self.spec.seed, self.spec.host, "news")
        plan7 = self.spec.plans.get("O7")
        fy = plan7.fy if plan7 and plan7.state == "stale" and plan7.fy else 2565
        out = []
        heads = list(self.v["news_headlines"])
        r.shuffle(heads)
        for i, head in enumerate(heads[:8]):
            d = random_date_in_fy(r, fy, not_after=self.spec.as_of)
            out.append((d, head.format(y=fy)))
        out.sort(key=lambda x: x[0], reverse=True)
        return out

    def fmt_date(self, d: date, i: int = 0) -> str:
        mode = (self.spec.variant + i) % 4
        return thai_date(d, abbr=mode in (0, 2), thai_num=mode == 3)

    def news_list_html(self, limit: int = 6) -> str:
        u = self.v["ui"]
        cards = []
        for i, (d, title) in enumerate(self.news[:limit]):
            hue = (self.spec.variant // 7 + i * 47) % 360
            cards.append(
                f'<div class="card"><div class="thumb" style="background:linear-gradient(135deg,hsl({hue},55%,62%),hsl({(hue + 40) % 360},60%,40%))"></div>'
                f'<div class="cbody"><a href="{self.href(self.news_path(i))}">{esc(title)}</a>'
                f'<div class="date">{esc(self.fmt_date(d, i))} · {u["views"]} {30 + i * 17} {u["times"]}</div></div></div>'
            )
        return f'<section class="news"><h2>{u["news"]}</h2><div class="cards">{"".join(cards)}</div></section>'

    def news_page(self, i: int) -> SimResponse:
        d, title = self.news[i]
        body = f"<h2>{esc(title)}</h2><p class='date'>{self.v['ui']['posted']} {esc(self.fmt_date(d, i))}</p><p>{esc(self.lao.full_name)} {esc(title)}</p>"
        return self.page_response(self.chrome(title, body))

    # ------------------------------------------------------------------ chrome
    def title(self, page_title: str | None = None) -> str:
        name = self.spec.other_lao_title or self.lao.full_name
        return f"{page_title} - {name}" if page_title else name

    def css(self) -> str:
        c, light, accent = self.palette
        return (
            "<style>"
            "body{margin:0;font-family:'Laksaman','Garuda','Loma','Sarabun',sans-serif;background:#f4f5f7;color:#222;font-size:16px}"
            f".topbar{{background:{c};color:#fff;font-size:13px;padding:4px 24px;opacity:.92}}"
            f".banner{{position:relative;overflow:hidden;display:flex;align-items:center;gap:18px;padding:22px 28px;min-height:110px;background:{c};color:#fff}}"
            ".banner .scene{position:absolute;right:0;top:0;height:100%;width:62%;opacity:.95;-webkit-mask-image:linear-gradient(90deg,transparent,#000 35%);mask-image:linear-gradient(90deg,transparent,#000 35%)}"
            ".banner .seal,.banner .bt{position:relative;z-index:1}"
            ".banner h1{margin:0;font-size:30px;text-shadow:0 2px 3px rgba(0,0,0,.35)}.banner p{margin:4px 0 0;font-size:15px}"
            f"nav.main{{background:#fff;border-bottom:3px solid {accent};padding:0 20px;display:flex;flex-wrap:wrap}}"
            f"nav.main a,nav.main span{{display:inline-block;padding:11px 14px;color:{c};text-decoration:none;font-weight:bold;font-size:15px}}"
            ".dropdown{position:relative;display:inline-block}.dropdown .menu{display:none;position:absolute;background:#fff;min-width:260px;box-shadow:0 4px 10px rgba(0,0,0,.2);z-index:5}"
            ".dropdown:hover .menu{display:block}.dropdown .menu a{display:block;font-weight:normal;padding:7px 12px}"
            ".wrap{display:flex;gap:20px;max-width:1180px;margin:18px auto;padding:0 12px}main{flex:3;min-width:0;background:#fff;padding:18px 22px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08)}"
            "aside{flex:0 0 270px;min-width:0}aside .box{background:#fff;border-radius:6px;margin-bottom:14px;padding:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}"
            f"aside h3{{margin:0 0 8px;font-size:16px;color:{c};border-bottom:2px solid {light};padding-bottom:4px}}"
            f"h2{{color:{c};border-left:5px solid {accent};padding-left:10px;font-size:20px}}"
            ".cards{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}.card{border:1px solid #e3e3e3;border-radius:6px;overflow:hidden;background:#fff}"
            ".thumb{height:96px}.cbody{padding:8px;font-size:14px}.cbody a{color:#222;text-decoration:none}.date{color:#888;font-size:12px;margin-top:4px}"
            f".itabanner{{display:block;background:{c};color:#fff;padding:14px;border-radius:6px;text-align:center;text-decoration:none;font-weight:bold}}"
            f"footer{{background:{c};color:#fff;padding:18px 28px;font-size:14px;margin-top:24px}}footer a{{color:#fff}}"
            f"table.t{{border-collapse:collapse;width:100%}}table.t td,table.t th{{border:1px solid #ccc;padding:6px 8px;font-size:14px;vertical-align:top}}table.t th{{background:{light}}}"
            f".btn{{display:inline-block;background:{accent};color:#222;padding:3px 10px;border-radius:4px;text-decoration:none;font-size:13px}}"
            ".exec{display:flex;gap:12px;align-items:center;border-bottom:1px solid #eee;padding:8px 0}.avatar{width:64px;height:78px;background:#ccd;border-radius:4px}"
            + self.style_css()
            + "</style>"
        )

    def style_css(self) -> str:
        """Extra CSS of a style (layout variant)."""
        return ""

    def head_extra(self) -> str:
        out = ""
        if self.generator_meta:
            out += f'<meta name="generator" content="{esc(self.generator_meta)}">'
        return out

    def navbar(self) -> str:
        u = self.v["ui"]
        return (
            f'<nav class="main"><a href="{self.href("")}">{u["home"]}</a>'
            f'<a href="{self.href(self.ita_entry_path())}">{u["ita"]}</a>'
            f'<a href="{self.href(self.news_path(0))}">{u["news"]}</a></nav>'
        )

    def banner(self) -> str:
        c, _, accent = self.palette
        sub = f"{self.v['contact']['amphoe_word']}{self.lao.amphoe_th} {self.province_phrase()}"
        return (
            f'<div class="topbar">{self.v["ui"]["welcome"]} {esc(self.lao.full_name)} · {esc(self.v["ui"]["slogan"])}</div>'
            f'<header class="banner">{scene_svg(c, accent, self.spec.variant)}{seal_svg(self.lao.short_name, c, accent)}<div class="bt"><h1>{esc(self.lao.full_name)}</h1>'
            f"<p>{esc(sub)}</p></div></header>"
        )

    def province_phrase(self) -> str:
        return self.v["contact"]["province_word"] + self.lao.province_th

    def sidebar(self) -> str:
        u = self.v["ui"]
        c = contact_lines(self.lao, self.spec.seed, self.spec.host)
        return (
            f'<div class="box"><a class="itabanner" href="{self.href(self.ita_entry_path())}">{u["ita_full"]}</a></div>'
            f'<div class="box"><h3>{u["hotline"]}</h3><div>{esc(c["phone"])}</div></div>'
            f'<div class="box"><h3>{u["dla_links"]}</h3><a href="http://www.dla.go.th/">{u["dla"]}</a></div>'
            f'<div class="box"><h3>{u["visitors"]}</h3><div>{u["today"]} {37 + self.spec.variant % 90} · {u["total"]} {120000 + self.spec.variant % 90000:,}</div></div>'
        )

    def footer(self) -> str:
        c = contact_lines(self.lao, self.spec.seed, self.spec.host)
        u = self.v["ui"]
        return (
            f"<footer><b>{esc(self.lao.full_name)}</b><br>{esc(c['address'])}<br>"
            f"{self.v['contact']['phone']} {esc(c['phone'])}<br>"
            f"{esc(u['copyright'].format(y=2565, lao=self.lao.full_name))}{self.footer_credit()}</footer>"
        )

    def footer_credit(self) -> str:
        return ""

    def leftovers(self) -> str:
        """Vendor-copy leftovers kept in the page source."""
        if self.spec.eit_comment:
            return f'<!-- <a href="{self.spec.eit_comment}" target="_blank"><img src="images/eit.png"> EIT</a> -->'
        return ""

    def _part(self, name: str) -> str:
        """Site-constant page parts (banner, navbar, ...) rendered once per site."""
        cache = self.__dict__.setdefault("_parts", {})
        out = cache.get(name)
        if out is None:
            out = cache[name] = getattr(self, name)()
        return out

    def chrome(self, page_title: str | None, main_html: str, *, head: str = "", body_end: str = "") -> str:
        charset = f'<meta http-equiv="Content-Type" content="text/html; charset={self.charset}">' if self.charset != "utf-8" else '<meta charset="utf-8">'
        return (
            f'<!DOCTYPE html><html lang="th"><head>{charset}<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(self.title(page_title))}</title>{self._part('head_extra')}{self._part('css')}{head}</head><body>"
            f"{self._part('banner')}{self._part('navbar')}<div class=\"wrap\"><main>{main_html}</main><aside>{self._part('sidebar')}</aside></div>"
            f"{self.leftovers()}{self._part('footer')}{body_end}</body></html>"
        )

    def home_main(self) -> str:
        u = self.v["ui"]
        return f"{self.news_list_html()}<p><a href=\"{self.href(self.ita_entry_path())}\">{u['ita_full']}</a></p>"

    def home(self) -> SimResponse:
        return self.page_response(self.chrome(None, self.home_main()))

    # ------------------------------------------------------------------ item pages
    def stub_page(self, code: str) -> SimResponse:
        item = item_map()[code]
        text = rng(self.spec.host, code, "stub").choice(self.v["stub"])
        return self.page_response(self.chrome(item["title"], f"<h2>{esc(item['title'])}</h2><p>{esc(text)}</p>"))

    def empty_page(self, code: str) -> SimResponse:
        item = item_map()[code]
        return self.page_response(self.chrome(item["title"], f"<h2>{esc(self.links_text(code))}</h2>"))

    def links_text(self, code: str) -> str:
        link = self.links.get(code)
        return link.text if link else item_map()[code]["title"]

    def fy_of(self, code: str) -> int:
        override = getattr(self, "_fy_override", None)
        if override:
            return override
        plan = self.spec.plans[code]
        return plan.fy or 2565

    def doc_title(self, code: str, month_tag: str = "") -> str:
        item = item_map()[code]
        plan = self.spec.plans[code]
        r = rng(self.spec.seed, self.spec.host, code, "title")
        fy = self.fy_of(code)
        month = ""
        if month_tag:
            y, m = int(month_tag[:4]), int(month_tag[4:])
            month = f"{month_name(m)} {y + 543}"
        return fill(
            item["doc"],
            lao=self.lao,
            fy_text=fy_phrase(r, fy) if item["year"] != "none" else "",
            range_text=plan_range(r, fy) if item["year"] == "plan" else (h1_range(r, fy) if item["year"] == "h1" else ""),
            month=month,
        ).replace("()", "").strip() if plan else item["title"]

    def doc_lines(self, code: str, month_tag: str = "") -> tuple[str, list[str], str]:
        """Title, body lines and footer of the document planted for ``code``."""
        item = item_map()[code]
        r = rng(self.spec.seed, self.spec.host, code, "doc", month_tag)
        title = self.doc_title(code, month_tag)
        fy = self.fy_of(code)
        lines = [self.lao.full_name, f"{self.v['contact']['amphoe_word']}{self.lao.amphoe_th} {self.province_phrase()}"]
        for i, element in enumerate(item["body"]):
            lines.append(f"{thai_digits(str(i + 1)) if r.random() < 0.3 else i + 1}. {element}")
        if code == "O23" and month_tag:
            y, m = int(month_tag[:4]), int(month_tag[4:])
            for k in range(r.randint(2, 5)):
                price = r.randint(5, 480) * 1000
                lines.append(f"{k + 1}) {r.choice(self.v['procurement_titles']).format(moo=r.randint(1, 12))} {price:,} {self.v['ui']['baht']}")
        sign_date = random_date_in_fy(r, fy, not_after=self.spec.as_of) if item["year"] != "none" else date(2021, 11, 21)
        if item["year"] == "prev":
            sign_date = date(fy - 543, 10, r.randint(5, 28))
        if month_tag:
            y, m = int(month_tag[:4]), int(month_tag[4:])
            nm = date(y + (m == 12), m % 12 + 1, r.randint(3, 12))
            sign_date = nm
        footer = self.v["date_line"].format(d=thai_date(sign_date, abbr=r.random() < 0.5, thai_num=r.random() < 0.3))
        head = executives(self.lao, self.spec.seed)[0]
        footer += "\n" + self.v["head_signature"].format(name=head[0]) + "\n" + head[1]
        return title, lines, footer

    def doc_response(self, code: str, ext: str, rel: str, month_tag: str = "", fy: int | None = None) -> SimResponse:
        self._fy_override = fy
        try:
            title, lines, footer = self.doc_lines(code, month_tag)
        finally:
            self._fy_override = None
        plan = self.spec.plans[code]
        if ext == "pdf" and plan.form == "scan":
            data = docbuild.pdf_scanned(title, lines + footer.split("\n"), seed=plan.variant)
        elif ext == "pdf":
            data = docbuild.pdf_text(title, lines, footer=footer)
        elif ext == "docx":
            data = docbuild.docx_bytes(title, lines, footer=footer)
        else:
            header = list(self.v["xlsx_cols"])
            rows = [[i + 1, line, (i * 37 + plan.variant) % 400 + 3, ""] for i, line in enumerate(lines[2:] + self.v["stats_rows"])]
            data = docbuild.xlsx_bytes(title, header, rows)
        resp = SimResponse(200, [("Content-Type", docbuild.MIME[ext]), ("Content-Length", str(len(data)))], data)
        resp._cacheable = True  # noqa: SLF001 - read by GeneratedWorld's LRU
        return resp

    def doc_filename(self, code: str, rel: str) -> str:
        return rel.rsplit("/", 1)[-1]

    def doc_wrapper_page(self, code: str, rel: str) -> SimResponse:
        u = self.v["ui"]
        title = self.doc_title(code)
        d = random_date_in_fy(rng(self.spec.host, code, "posted"), min(self.fy_of(code) + 1, 2565), not_after=self.spec.as_of)
        body = (
            f"<h2>{esc(self.links_text(code))}</h2><p class='date'>{u['posted']} {esc(self.fmt_date(d))}</p>"
            f"<p>{esc(title)}</p><p>{u['doc_label']} <a href=\"{self.href(rel)}\">{u['download']} ({esc(self.doc_filename(code, rel))})</a></p>"
        )
        return self.page_response(self.chrome(title, body))

    def monthly_docs(self, code: str) -> list[tuple[str, str]]:
        """(yyyymm tag, ext) of the monthly summaries planted for O23-like items."""
        plan = self.spec.plans[code]
        fy = plan.fy or 2565
        out = []
        ext = "pdf" if plan.variant % 3 else "xlsx"
        for g, m in fy_months(fy):
            if fy == 2565 and date(g, m, 1) >= date(self.spec.as_of.year, self.spec.as_of.month, 1):
                break
            tag = f"{g}{m:02d}"
            if (g * 100 + m) in plan.missing_months:
                continue
            out.append((tag, ext))
        return out

    def item_body(self, code: str) -> str:
        """HTML body of an item page (content a human assessor looks for)."""
        item = item_map()[code]
        plan = self.spec.plans[code]
        u = self.v["ui"]
        title = self.links_text(code)
        r = rng(self.spec.seed, self.spec.host, code, "page")
        out = [f"<h2>{esc(title)}</h2>"]
        if code == "O2":
            rows = executives(self.lao, self.spec.seed)
            for name, pos, tel in rows:
                if plan.state == "incomplete":
                    out.append(f"<div class='exec'><div>{esc(name)}</div></div>")
                else:
                    out.append(
                        f"<div class='exec'><div class='avatar'></div><div><b>{esc(name)}</b><br>{esc(pos)}<br>"
                        f"{self.v['contact']['mobile']} {esc(tel)}</div></div>"
                    )
            if plan.state == "stale":
                out.append(f"<p class='date'>{esc(self.v['legacy']['updated'])} {esc(thai_date(date(2016, 6, 9)))}</p>")
        elif code == "O5":
            c = contact_lines(self.lao, self.spec.seed, self.spec.host)
            out.append(f"<p>{esc(c['address'])}</p>")
            if plan.state != "incomplete":
                k = self.v["contact"]
                out.append(f"<p>{k['phone']} {esc(c['phone'])}<br>{k['fax']} {esc(c['fax'])}<br>{k['email']} {esc(c['email'])}<br>{esc(c['hours'])}</p>")
                out.append(f"<p>{k['map']}</p><div style='height:180px;background:#dde7dd;border-radius:6px'></div>")
        elif item["form"] == "list" or code == "O7":
            fy = plan.fy or 2565
            pool = {"O7": self.v["news_headlines"], "O22": self.v["procurement_titles"], "O33": self.v["participation_titles"]}[code]
            rows = []
            for i in range(8):
                d = random_date_in_fy(r, fy, not_after=self.spec.as_of)
                text = r.choice(pool).format(y=fy, moo=r.randint(1, 14))
                target = f"https://process3.gprocurement.go.th/egp2procmainWeb/jsp/procsearch.sch?pid={r.randint(10**10, 10**11)}" if code == "O22" else self.href(self.news_path(i % len(self.news)))
                rows.append((d, f"<tr><td>{esc(self.fmt_date(d, i))}</td><td><a href=\"{target}\">{esc(text)}</a></td></tr>"))
            rows.sort(key=lambda x: x[0], reverse=True)
            out.append(f"<table class='t'><tr><th>{u['date']}</th><th>{u['title']}</th></tr>{''.join(x for _, x in rows)}</table>")
        elif plan.form == "monthly":
            fy = plan.fy or 2565
            out.append(f"<p>{esc(fy_phrase(r, fy))}</p><table class='t'><tr><th>{u['item_no']}</th><th>{u['title']}</th><th>{u['download']}</th></tr>")
            for i, (tag, ext) in enumerate(self.monthly_docs(code)):
                y, m = int(tag[:4]), int(tag[4:])
                label = f"{self.v['ui']['month_of']} {month_name(m, abbr=i % 2 == 0)} {thai_digits(str(y + 543)) if (plan.variant + i) % 5 == 0 else y + 543}"
                out.append(f"<tr><td>{i + 1}</td><td>{esc(item['menu'][0])} {esc(label)}</td><td><a href=\"{self.href(self.doc_path(code, ext, tag))}\">{ext.upper()}</a></td></tr>")
            out.append("</table>")
        elif plan.form == "channel":
            fields = "".join(f"<label>{esc(f)}</label><br><input name='f{i}' style='width:70%'><br>" for i, f in enumerate(item["body"][:-1]))
            out.append(f"<form method='post' action='{self.href(self.item_page_path(code))}'>{fields}<button type='submit'>{esc(item['body'][-1])}</button></form>")
        else:
            if code == "O1":
                out.append(self.org_chart_svg(item["body"][1:]))
            if item["year"] != "none":
                out.append(f"<p><b>{esc(self.doc_title(code))}</b></p>")
            for line in item["body"]:
                out.append(f"<p>{esc(line)}</p>")
            if code == "O6":
                out.append("<p><a href='http://www.krisdika.go.th/'>krisdika.go.th</a></p>")
        return "".join(out)

    def org_chart_svg(self, units: list[str]) -> str:
        """Organisation chart: head and clerk boxes over one box per division (what O1 pages show)."""
        c, light, accent = self.palette
        titles = self.v["exec_titles"].get(self.lao.lao_type) or self.v["exec_titles"]["TAO"]
        n = max(1, len(units))
        width = max(720, n * 130)
        box = lambda x, y, w, text: (  # noqa: E731
            f'<rect x="{x}" y="{y}" width="{w}" height="40" rx="5" fill="{light}" stroke="{c}"/>'
            f'<text x="{x + w / 2}" y="{y + 25}" font-size="12" text-anchor="middle" fill="#222"'
            + (f' textLength="{w - 12}" lengthAdjust="spacingAndGlyphs"' if len(text) * 7 > w - 12 else "")
            + f">{esc(text)}</text>"
        )
        parts = [box(width / 2 - 130, 10, 260, titles[0]), f'<line x1="{width / 2}" y1="50" x2="{width / 2}" y2="80" stroke="{c}"/>',
                 box(width / 2 - 130, 80, 260, titles[3]), f'<line x1="{width / 2}" y1="120" x2="{width / 2}" y2="140" stroke="{c}"/>',
                 f'<line x1="{width / n / 2}" y1="140" x2="{width - width / n / 2}" y2="140" stroke="{c}"/>']
        for i, unit in enumerate(units):
            x = i * width / n
            parts.append(f'<line x1="{x + width / n / 2}" y1="140" x2="{x + width / n / 2}" y2="160" stroke="{c}"/>')
            parts.append(box(x + 4, 160, width / n - 8, unit))
        return f'<svg class="orgchart" viewBox="0 0 {width} 210" width="100%" role="img">{"".join(parts)}</svg>'

    def item_page(self, code: str) -> SimResponse:
        return self.page_response(self.chrome(self.links_text(code), self.item_body(code)))

    # ------------------------------------------------------------------ to override
    def build_style(self) -> None:
        """Register the style's ITA surface and menus."""
        self.add(self.ita_entry_path(), self.ita_page)

    def ita_page(self) -> SimResponse:
        rows = []
        for item in items():
            link = self.links[item["code"]]
            if link.href is None:
                continue
            rows.append(f"<li><a href=\"{esc(link.href)}\">{esc(link.text)}</a></li>")
        return self.page_response(self.chrome("ITA", f"<ul>{''.join(rows)}</ul>"))

    # ------------------------------------------------------------------ helpers for styles
    def ita_links(self):
        """(item, link) in catalog order."""
        for item in items():
            yield item, self.links[item["code"]]

    def json_script(self, data) -> str:
        return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")

    def quote_path(self, text: str) -> str:
        return quote(text, safe="")
