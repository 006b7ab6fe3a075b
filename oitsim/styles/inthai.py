"""inthai.info-like platform: one menu page per OIT topic, no O-codes anywhere.

Each topic is its own menu page (public/list/data/index/menu/<id>) holding the text or the
file links; a long side menu lists the topics; a separate ITA menu page exists but only
points at a few topics. Missing items simply have no menu entry.
"""

from __future__ import annotations

from ..content import item_map, stable_hash
from .base import BaseSite, esc


class InthaiSite(BaseSite):
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
            + f'<div class="box"><h3>{esc(self.v["ui"]["oit"])}</h3><ul style="padding-left:18px;font-size:14px">{"".join(menu)}</ul></div>'
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
