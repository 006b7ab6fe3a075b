"""Held-out style: a portal whose ITA page is only an <iframe> of an inner on-site page. The
inner page stacks two ITA years (this year's table, then last year's under its own heading),
writes zero-padded codes O01-O43, and links every file through an icon (an <img> whose alt is
empty or generic, no link text). Item pages live under Main/PrPreview/id/<n>. Not part of the
Mukdahan world."""

from __future__ import annotations

from ..content import stable_hash
from .base import BaseSite, esc

OLD_RULES = ("current", "h1", "prev")


class IframeHubSite(BaseSite):
    style = "iframehub"
    placeholder_kinds = ("hash", "stub")
    server_headers = (("Server", "nginx/1.20.1"), ("X-Powered-By", "PHP/7.4.29"))
    asset_paths = ("img/pdf.png", "img/link.png")

    def item_page_path(self, code):
        return f"Main/PrPreview/id/{int(code[1:]) * 3 + 10}"

    def stub_path(self, code):
        return f"Main/PrPreview/id/{int(code[1:]) * 3 + 900}"

    def doc_path(self, code, ext, tag=""):
        return f"public/files/ita/{stable_hash(self.spec.host, code, tag, n=12)}.{ext}"

    def news_path(self, i):
        return f"Main/News/id/{500 + i}"

    def ita_entry_path(self):
        return "Main/ita"

    def inner_path(self):
        return "Main/ita_inner"

    def surface_of(self, code):
        return self.inner_path()

    def build_style(self):
        self.add(self.ita_entry_path(), self.ita_page)
        self.add(self.inner_path(), self.inner_page)
        self.old = {}
        for item, _link in self.ita_links():
            code = item["code"]
            if item["form"] == "doc" and item["year"] in OLD_RULES:
                fy = 2564 - (1 if item["year"] == "prev" else 0)
                rel = self.doc_path(code, "pdf", f"fy{fy}")
                self.add(rel, lambda c=code, r=rel, y=fy: self.doc_response(c, "pdf", r, fy=y))
                self.old[code] = rel

    def ita_page(self):
        u = self.v["ui"]
        body = f"<h2>{esc(u['ita_full'])}</h2><iframe src=\"{self.href(self.inner_path())}\" width=\"100%\" height=\"2400\" frameborder=\"0\"></iframe>"
        return self.page_response(self.chrome("ITA", body))

    def icon(self, code, href):
        alts = self.v["heldout"]["icon_alts"]
        alt = alts[int(stable_hash(self.spec.host, code, "alt", n=2), 16) % len(alts)]
        img = "link.png" if href.startswith("http") else "pdf.png"
        return f'<a href="{esc(href)}" target="_blank"><img src="{self.href("img/" + img)}" alt="{esc(alt)}" width="24"></a>'

    def table(self, year):
        u = self.v["ui"]
        rows = [f"<table class='t'><tr><th>{u['code']}</th><th>{u['topic']}</th><th>{u['detail']}</th></tr>"]
        for item, link in self.ita_links():
            code = item["code"]
            if year == 2565:
                cell = self.icon(code, link.href) if link.href is not None else ""
            else:
                old = self.old.get(code)
                cell = self.icon(code, self.href(old)) if old else ""
            rows.append(f"<tr><td>O{int(code[1:]):02d}</td><td>{esc(item['title'])}</td><td>{cell}</td></tr>")
        rows.append("</table>")
        return "".join(rows)

    def inner_page(self):
        u, h = self.v["ui"], self.v["heldout"]
        body = (
            f"<!DOCTYPE html><html lang='th'><head><meta charset='utf-8'><title>ITA</title>{self.css()}</head><body style='padding:10px'>"
            f"<h3>{esc(u['ita_year'].format(y=2565))}</h3>{self.table(2565)}"
            f"<h3>{esc(h['older_year'].format(y=2564))}</h3>{self.table(2564)}</body></html>"
        )
        return self.page_response(body)
