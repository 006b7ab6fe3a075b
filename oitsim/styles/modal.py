"""Content only in Bootstrap modals: the home page carries buttons with a modal-toggle
attribute; the item links live in hidden modal bodies (no ITA page)."""

from __future__ import annotations

from ..content import load_yaml, stable_hash
from .base import BaseSite, esc

MODAL_JS = (
    "<script>document.addEventListener('click',function(e){var t=e.target.closest('[data-bs-toggle=modal]');"
    "if(t){document.querySelector(t.getAttribute('data-bs-target')).style.display='block';}"
    "var c=e.target.closest('[data-bs-dismiss=modal]');if(c){c.closest('.modal').style.display='none';}});</script>"
)


class ModalSite(BaseSite):
    style = "modal"
    placeholder_kinds = ("hash", "stub")

    def item_page_path(self, code):
        return f"detail.php?id={int(code[1:]) + 40}&type=ita"

    def stub_path(self, code):
        return f"detail.php?id={int(code[1:]) + 90}&type=ita"

    def doc_path(self, code, ext, tag=""):
        return f"file/{stable_hash(self.spec.host, code, tag, n=10)}.{ext}"

    def ita_entry_path(self):
        return ""

    def head_extra(self):
        return (
            "<style>.modal{display:none;position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:20}"
            ".modal-dialog{background:#fff;max-width:640px;margin:60px auto;padding:16px;border-radius:6px}"
            ".tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}.tiles button{padding:14px;border:0;border-radius:6px;"
            "background:#eef;cursor:pointer;font-family:inherit;font-size:15px}</style>"
        )

    def home_main(self):
        headings = load_yaml("items")["headings_15"]
        tiles, modals = [], []
        for idx, heading in enumerate(headings):
            mid = f"modal{idx + 1}"
            tiles.append(f'<button type="button" data-bs-toggle="modal" data-bs-target="#{mid}">{esc(heading)}</button>')
            rows = []
            for item, link in self.ita_links():
                if item["heading"] != idx:
                    continue
                if link.href is None:
                    continue
                rows.append(f'<li><a href="{esc(link.href)}">{esc(link.text)}</a></li>')
            modals.append(
                f'<div class="modal" id="{mid}" tabindex="-1"><div class="modal-dialog"><h4>{esc(heading)}</h4><ul>{"".join(rows)}</ul>'
                f'<button type="button" data-bs-dismiss="modal">{self.v["ui"]["close"]}</button></div></div>'
            )
        u = self.v["ui"]
        return f"{self.news_list_html()}<h2>{esc(u['ita_full'])}</h2><div class='tiles'>{''.join(tiles)}</div>{''.join(modals)}"

    def home(self):
        return self.page_response(self.chrome(None, self.home_main(), body_end=MODAL_JS))

    def build_style(self):
        pass
