"""Held-out style: a news CMS (index/?page=article<n>, ?cat=<n>) whose ITA menu is named
"governance" ("ธรรมาภิบาล"). Each document item links to a CATEGORY ARCHIVE of dated posts of
several fiscal years, newest first; each post shows its file through a pdf.js viewer
(viewer.html?file=<relative path>), an <embed> or an <object>, not always with a download
link. Procurement items also link to e-GP. Not part of the Mukdahan world."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..content import item_map, random_date_in_fy, rng, stable_hash
from .base import BaseSite, esc

OLD_RULES = ("current", "h1", "prev")
EGP = "http://process3.gprocurement.go.th/egp2procmainWeb/jsp/procsearch.sch"
VIEWER = "assets/pdfjs/web/viewer.html"
PROCUREMENT_HEADING = 6  # index in items.yaml headings_15


class PostListSite(BaseSite):
    style = "postlist"
    wrap_docs = True
    placeholder_kinds = ("stub", "hash")
    server_headers = (("Server", "nginx/1.14.2"), ("X-Powered-By", "PHP/7.0.33"))

    def item_page_path(self, code):
        return f"?cat={40 + int(code[1:])}"

    def stub_path(self, code):
        return f"index/?page=article{9000 + int(code[1:])}"

    def post_path(self, code, k):
        return f"index/?page=article{2300 + int(code[1:]) * 10 + k}"

    def doc_path(self, code, ext, tag=""):
        return f"files/upload/{stable_hash(self.spec.host, code, tag, n=12)}.{ext}"

    def news_path(self, i):
        return f"index/?page=news{800 + i}"

    def ita_entry_path(self):
        return "index/?page=governance"

    def navbar(self):
        u, h = self.v["ui"], self.v["heldout"]
        return (
            f'<nav class="main"><a href="{self.href("")}">{u["home"]}</a>'
            f'<a href="{self.href(self.news_path(0))}">{u["news"]}</a>'
            f'<a href="{self.href(self.ita_entry_path())}">{h["governance"]}</a>'
            '</nav>'
        )

    def sidebar(self):
        u = self.v["ui"]
        recent = "".join(f'<li><a href="{self.href(self.news_path(i))}">{esc(t)}</a></li>' for i, (_, t) in enumerate(self.news[:4]))
        return f'<div class="box"><h3>{u["news"]}</h3><ul>{recent}</ul></div>'

    def home_main(self):
        return self.news_list_html()

    def respond(self, method, url, headers):
        parts = urlsplit(url)
        if parts.path.endswith("/" + VIEWER):  # the viewer shell, whatever file= says
            return self.page_response("<!DOCTYPE html><html><head><title>PDF.js viewer</title></head><body><div id='viewerContainer'></div></body></html>")
        return super().respond(method, url, headers)

    # ------------------------------------------------------------------ archives of posts
    def build_style(self):
        self.add(self.ita_entry_path(), self.ita_page)
        self.posts = {}  # code -> [(k, fy, rel, date)]
        for item, link in self.ita_links():
            code = item["code"]
            if link.kind != "target" or not self.wrap_docs or item["form"] != "doc":
                continue
            plan = self.spec.plans[code]
            rel = self.doc_path(code, "pdf" if plan.form in ("pdf", "scan") else plan.form)
            fy = plan.fy or 2565
            posts = [(0, None, rel)]
            n_old = 1 + int(stable_hash(self.spec.host, code, "n", n=2), 16) % 4 if item["year"] in OLD_RULES else 0
            for k in range(1, n_old + 1):
                old_fy = fy - k
                old_rel = self.doc_path(code, "pdf", f"fy{old_fy}")
                self.add(old_rel, lambda c=code, r=old_rel, y=old_fy: self.doc_response(c, "pdf", r, fy=y))
                posts.append((k, old_fy, old_rel))
            out = []
            for k, y, r in posts:
                d = random_date_in_fy(rng(self.spec.host, code, "post", k), min((y or fy) + 1, 2565), not_after=self.spec.as_of)
                self.add(self.post_path(code, k), lambda c=code, kk=k, yy=y, rr=r, dd=d: self.post_page(c, kk, yy, rr, dd))
                out.append((k, y, r, d))
            self.posts[code] = out

    def post_title(self, code, fy):
        self._fy_override = fy
        try:
            return self.doc_title(code)
        finally:
            self._fy_override = None

    def doc_wrapper_page(self, code, rel):
        """The category archive: the posts of every year, newest first."""
        h = self.v["heldout"]
        u = self.v["ui"]
        rows = []
        for k, y, r, d in self.posts.get(code, []):
            rows.append(
                f"<article class='post'><h3><a href=\"{self.href(self.post_path(code, k))}\">{esc(self.post_title(code, y))}</a></h3>"
                f"<div class='date'>{u['posted']} {esc(self.fmt_date(d, k))}</div></article>"
            )
        egp = f'<p><a href="{EGP}">{esc(h["egp"])}</a></p>' if item_map()[code]["heading"] == PROCUREMENT_HEADING else ""
        body = f"<h2>{esc(h['category'])}: {esc(self.links_text(code))}</h2><p>{esc(h['posts_in'])}</p>{''.join(rows)}{egp}"
        return self.page_response(self.chrome(self.links_text(code), body))

    def post_page(self, code, k, fy, rel, d):
        u = self.v["ui"]
        title = self.post_title(code, fy)
        href = self.href(rel)
        mode = (self.spec.plans[code].variant + k) % 3
        if not rel.endswith(".pdf"):
            viewer = f'<p><a href="{href}">{u["download"]}</a></p>'
        elif mode == 0:
            viewer = f'<iframe src="{self.href(VIEWER)}?file={href}" width="100%" height="600"></iframe><p><a href="{href}">{u["download"]}</a></p>'
        elif mode == 1:
            viewer = f'<embed src="{href}" type="application/pdf" width="100%" height="600">'
        else:
            viewer = f'<object data="{href}" type="application/pdf" width="100%" height="600"><a href="{href}">{self.v["heldout"]["view_file"]}</a></object>'
        body = f"<article><h2>{esc(title)}</h2><div class='date'>{u['posted']} {esc(self.fmt_date(d, k))}</div>{viewer}</article>"
        return self.page_response(self.chrome(title, body))

    # ------------------------------------------------------------------ hub
    def ita_page(self):
        from ..content import load_yaml

        h = self.v["heldout"]
        headings = load_yaml("items")["headings_15"]
        out = [f"<h2>{esc(h['governance'])} · {esc(h['oit_short'])}</h2>"]
        current = None
        for item, link in self.ita_links():
            if item["heading"] != current:
                if current is not None:
                    out.append("</ul>")
                current = item["heading"]
                out.append(f"<h3>{esc(headings[current])}</h3><ul>")
            if link.href is None:
                continue
            out.append(f'<li><a href="{esc(link.href)}">{esc(link.text)}</a></li>')
        out.append("</ul>")
        return self.page_response(self.chrome(h["governance"], "".join(out)))

