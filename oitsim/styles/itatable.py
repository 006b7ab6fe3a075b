"""ITA table page (custom PHP, e.g. ita.php): rows grouped under sub-indicator headings,
lower-case o-codes, one or more URLs per row whose display text is truncated with an
ellipsis, and an explanation column with how-to-find-it text. Files live under
/UserFiles/File/ with Thai names, spaces and parentheses."""

from __future__ import annotations

from urllib.parse import quote

from ..content import load_yaml, rng
from .base import BaseSite, esc


class ItaTableSite(BaseSite):
    style = "itatable"
    placeholder_kinds = ("hash", "stub")

    def item_page_path(self, code):
        return f"page.php?id={int(code[1:]) + 100}"

    def doc_path(self, code, ext, tag=""):
        from ..content import item_map

        name = item_map()[code]["menu"][0].replace("/", " ")
        suffix = f" {tag}" if tag else ""
        return f"UserFiles/File/{name}{suffix}({int(code[1:]) % 3 + 1}).{ext}"

    def href(self, rel):
        out = super().href(rel)
        if out.startswith(self.spec.base_path + "UserFiles/"):
            return quote(out, safe="/()")
        return out

    def ita_entry_path(self):
        return "ita.php"

    @staticmethod
    def shorten(url: str, n: int = 42) -> str:
        return url if len(url) <= n else url[:n] + "\u2026"

    def ita_page(self):
        u = self.v["ui"]
        subs = load_yaml("items")["sub_indicators"]
        out = [f"<h2>{esc(u['oit_year_page'].format(y=2565))}</h2><table class='t'>"]
        out.append(f"<tr><th>{u['code']}</th><th>{u['topic']}</th><th>{u['url_col']}</th><th>{u['explain']}</th></tr>")
        current = None
        for item, link in self.ita_links():
            if item["sub"] != current:
                current = item["sub"]
                out.append(f"<tr><th colspan=4 style='text-align:left'>{esc(subs[current])}</th></tr>")
            r = rng(self.spec.host, item["code"], "how")
            if link.href is None:
                cell = "-"
            else:
                shown = link.url or self.abs(self.ita_entry_path()) + link.href
                cell = f'<a href="{esc(link.href)}" target="_blank">{esc(self.shorten(shown))}</a>'
                if item["code"] == "O22" and link.kind == "target":
                    cell += '<br><a href="http://process3.gprocurement.go.th/egp2procmainWeb/jsp/procsearch.sch">http://process3.gprocurement.go.th/egp2proc\u2026</a>'
            if r.random() < 0.5:
                explain = u["how_to"].format(menu=link.text)
            else:
                explain = u["how_to_2"].format(menu=u["ita"], topic=link.text)
            out.append(f"<tr><td>{item['code'].lower()}</td><td>{esc(item['title'])}</td><td>{cell}</td><td>{esc(explain)}</td></tr>")
        out.append("</table>")
        return self.page_response(self.chrome("ITA", "".join(out)))
