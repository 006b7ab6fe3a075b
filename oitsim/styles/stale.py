"""A custom-PHP site whose ITA material is all for a stale year: the anti-corruption
landing page (index.php?link=anticorruption) with download bullets, titled for an old ITA
round; every dated document names an old fiscal year."""

from __future__ import annotations

from ..content import stable_hash
from .base import BaseSite, esc


class StaleSite(BaseSite):
    style = "stale"
    placeholder_kinds = ("stub",)

    def item_page_path(self, code):
        return f"index.php?link=data&id={int(code[1:]) + 20}"

    def stub_path(self, code):
        return f"index.php?link=data&id={int(code[1:]) + 80}"

    def doc_path(self, code, ext, tag=""):
        return f"upload/file/{stable_hash(self.spec.host, code, tag, n=10)}.{ext}"

    def news_path(self, i):
        return f"index.php?link=news&id={400 + i}"

    def ita_entry_path(self):
        return "index.php?link=anticorruption"

    def ita_page(self):
        u = self.v["ui"]
        out = [f"<h2>{esc(u['anticorruption'])} · {esc(u['ita_year'].format(y=2563))}</h2><ul>"]
        for item, link in self.ita_links():
            if link.href is None:
                continue
            if link.kind == "doc":
                name = link.href.rsplit("/", 1)[-1]
                out.append(f"<li>{esc(link.text)}<br>{u['doc_label']} <a href=\"{esc(link.href)}\">{u['download']} ({esc(name)})</a></li>")
            else:
                out.append(f"<li><a href=\"{esc(link.href)}\">{esc(link.text)}</a></li>")
        out.append("</ul>")
        return self.page_response(self.chrome("ITA", "".join(out)))
