"""Numbered list per sub-indicator without O-prefix (e.g. page/ita2566.php):
"1. <topic>" lines grouped under headings; Social Network given as a sub-bullet."""

from __future__ import annotations

from ..content import load_yaml, stable_hash
from .base import BaseSite, esc


class NumberedSite(BaseSite):
    style = "numbered"
    placeholder_kinds = ("hash", "stub")

    def item_page_path(self, code):
        return f"data_{3900 + int(code[1:]) * 11}"

    def stub_path(self, code):
        return f"data_{5900 + int(code[1:]) * 11}"

    def doc_path(self, code, ext, tag=""):
        return f"upload/ita2565/{stable_hash(self.spec.host, code, tag, n=8)}.{ext}"

    def news_path(self, i):
        return f"news_{2200 + i}"

    def not_found(self):
        """Custom PHP that sends unknown paths back to the home page (a soft 404)."""
        from ..world import SimResponse

        return SimResponse(302, [("Location", self.spec.root)], b"")

    def ita_entry_path(self):
        return "page/ita2565.php"

    def ita_page(self):
        u = self.v["ui"]
        headings = load_yaml("items")["headings_15"]
        out = [f"<h2>{esc(u['oit_year_page'].format(y=2565))}</h2>"]
        current = None
        n = 0
        for item, link in self.ita_links():
            if item["heading"] != current:
                if current is not None:
                    out.append("</div>")
                current = item["heading"]
                out.append(f"<h3>{esc(headings[current])}</h3><div class='list'>")
            n += 1
            if item["code"] == "O9" and link.href:
                out.append(f"<p>{n}. {esc(item['title'])}</p><ul><li><a href=\"{esc(link.href)}\">{u['facebook_sub']}</a></li></ul>")
            elif link.href:
                out.append(f"<p><a href=\"{esc(link.href)}\">{n}. {esc(link.text)}</a></p>")
            else:
                out.append(f"<p>{n}. {esc(link.text)}</p>")
        out.append("</div>")
        return self.page_response(self.chrome("ITA", "".join(out)))
