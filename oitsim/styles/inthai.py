"""inthai.info-like platform: one menu page per OIT topic, no O-codes anywhere.

Each topic is its own menu page (public/list/data/index/menu/<id>) holding the text or the
file links; a long side menu lists the topics; a separate ITA menu page exists but only
points at a few topics. Missing items simply have no menu entry.
"""

from __future__ import annotations

from ..content import item_map, stable_hash
from .base import BaseSite, esc


class InthaiSite(BaseSite):
    server_headers = (("Server", "Apache"), ("X-Powered-By", "PHP/7.2.34"))
    style = "inthai"
    wrap_docs = True
    placeholder_kinds = ("stub",)
    asset_paths = ("public/themes/default/css/main.css", "public/themes/default/js/app.js")

    def item_page_path(self, code):
        return f"public/list/data/index/menu/{1100 + int(code[1:]) * 3}"

    def stub_path(self, code):
        return self.item_page_path(code)

    def doc_path(self, code, ext, tag=""):
        return f"public/upload/{stable_hash(self.spec.host, code, tag, n=16)}.{ext}"

    def news_path(self, i):
        return f"public/list/data/detail/id/{8800 + i}/menu/1098"

    def ita_entry_path(self):
        return "public/list/data/index/menu/1099"

    def head_extra(self):
        return f'<link rel="stylesheet" href="{self.href("public/themes/default/css/main.css")}">'

    def footer_credit(self):
        return ' · <a href="https://www.inthai.info/">Powered by inthai.info</a>'

    def sidebar(self):
        menu = []
        for item, link in self.ita_links():
            if link.href is None:
                continue
            menu.append(f'<li><a href="{esc(link.href)}">{esc(link.text)}</a></li>')
        return (
            super().sidebar()
            + f'<div class="box"><h3>{esc(self.v["ui"]["eservice"])}</h3><a href="https://www.inthai.info/eservice/manual/manual_eservice.pdf">{esc(self.v["ui"]["download"])} (PDF)</a></div>'
            + f'<div class="box"><h3>{esc(self.v["ui"]["oit"])}</h3><ul style="padding-left:18px;font-size:14px">{"".join(menu)}</ul></div>'
        )

    def style_css(self):
        c, light, accent = self.palette
        return (
            ".wrap{flex-direction:row-reverse}nav.main{background:#333;border-bottom:4px solid " + accent + "}nav.main a{color:#fff}"
            ".ticker{background:" + light + ";padding:6px 10px;border-radius:4px;margin-bottom:12px;white-space:nowrap;overflow:hidden}"
            ".nlist li{padding:6px 0;border-bottom:1px dashed #ddd;list-style:none}.nlist li:before{content:'\\25B8';color:" + c + ";margin-right:6px}"
            ".nlist{padding:0}.gal{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}.gal div{height:90px;border-radius:4px}"
        )

    def home_main(self):
        u = self.v["ui"]
        ticker = " · ".join(esc(t) for _, t in self.news[:3])
        rows = "".join(
            f'<li><a href="{self.href(self.news_path(i))}">{esc(t)}</a> <span class="date">({esc(self.fmt_date(d, i))})</span></li>'
            for i, (d, t) in enumerate(self.news[:7])
        )
        gal = "".join(
            f"<div style='background:linear-gradient(160deg,hsl({(self.spec.variant + i * 61) % 360},50%,65%),hsl({(self.spec.variant + i * 61 + 30) % 360},45%,40%))'></div>"
            for i in range(8)
        )
        return (
            f"<div class='ticker'>{ticker}</div><h2>{u['news']}</h2><ul class='nlist'>{rows}</ul>"
            f"<h2>{u['activities']}</h2><div class='gal'>{gal}</div>"
        )

    def build_style(self):
        self.add(self.ita_entry_path(), self.ita_menu)

    def ita_menu(self):
        u = self.v["ui"]
        first = [link for _, link in self.ita_links() if link.href][:5]
        body = f"<h2>{esc(u['ita_full'])}</h2><ul>" + "".join(
            f'<li><a href="{esc(link.href)}">{esc(link.text)}</a></li>' for link in first
        ) + "</ul>"
        return self.page_response(self.chrome("ITA", body))

    def doc_filename(self, code, rel):
        return item_map()[code]["menu"][0] + "." + rel.rsplit(".", 1)[-1]
