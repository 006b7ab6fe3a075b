"""Legacy pre-OIT site (2016 style): table layout, marquee, visitor counter, static .html
pages for history, executives, structure, powers, news and contact; no ITA at all."""

from __future__ import annotations

from datetime import date

from ..content import thai_date
from .base import BaseSite, esc

PAGES = {"O1": "structure.html", "O2": "executive.html", "O3": "authority.html", "O5": "contact.html", "O7": "news.html"}


class LegacySite(BaseSite):
    server_headers = (("Server", "Microsoft-IIS/6.0"), ("X-Powered-By", "ASP.NET"))
    style = "legacy"
    placeholder_kinds = ("stub",)
    generator_meta = "Microsoft FrontPage 6.0"

    def item_page_path(self, code):
        return PAGES.get(code, f"page{int(code[1:])}.html")

    def news_path(self, i):
        return f"news{i + 1}.html"

    def ita_entry_path(self):
        return ""

    def css(self):
        return (
            "<style>body{background:#d9e6c8;font-family:Tahoma,'Laksaman',sans-serif;font-size:13px;margin:0}"
            "table.frame{width:900px;margin:0 auto;background:#fff;border:1px solid #7a9a5a}"
            ".hd{background:#3b6e22;color:#ff0;padding:10px;font-size:24px;font-weight:bold}"
            ".lm a{display:block;background:#e9f2dc;border-bottom:1px solid #b7cf9a;padding:5px;color:#234;text-decoration:none}"
            "marquee{color:#900}</style>"
        )

    def chrome(self, page_title, main_html, *, head="", body_end=""):
        menu_labels = self.v["legacy"]["menu"]
        targets = ["", "history.html", "general.html", PAGES["O2"], PAGES["O1"], PAGES["O3"], PAGES["O7"], "webboard.html", PAGES["O5"]]
        menu = "".join(f'<a href="{self.href(t)}">{esc(l)}</a>' for l, t in zip(menu_labels, targets))
        title = self.lao.full_name if page_title is None else f"{page_title} :: {self.lao.full_name}"
        return (
            f"<html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'><title>{esc(title)}</title>"
            f"{self.head_extra()}{self.css()}</head><body><table class='frame' cellpadding=0 cellspacing=0>"
            f"<tr><td colspan=2 class='hd'>{esc(self.lao.full_name)}</td></tr>"
            f"<tr><td colspan=2><marquee>{esc(self.v['legacy']['marquee'])}</marquee></td></tr>"
            f"<tr><td class='lm' width=180 valign=top>{menu}</td><td valign=top style='padding:10px'>{main_html}</td></tr>"
            f"<tr><td colspan=2 align=center>{self.v['legacy']['counter']} 004521 · {self.v['legacy']['updated']} {esc(thai_date(date(2016, 8, 19)))}</td></tr>"
            f"</table></body></html>"
        )

    def build_style(self):
        for name in ("history.html", "general.html", "webboard.html"):
            self.add(name, lambda n=name: self.page_response(self.chrome(None, f"<p>{esc(self.lao.full_name)}</p>")))

    def home_main(self):
        items = "".join(f'<li><a href="{self.href(self.news_path(i))}">{esc(t)}</a> ({esc(thai_date(d, abbr=True))})</li>' for i, (d, t) in enumerate(self.news[:5]))
        return f"<h3>{self.v['legacy']['welcome']} {esc(self.lao.full_name)}</h3><ul>{items}</ul>"
