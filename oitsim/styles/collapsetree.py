"""Bootstrap collapsible tree: one collapsible panel per sub-indicator, a PDF icon per item;
unpublished items link to '#!' or '#' and have their icon commented out."""

from __future__ import annotations

from ..content import load_yaml, stable_hash
from .base import BaseSite, esc

TOGGLE_JS = (
    "<script>document.addEventListener('click',function(e){var t=e.target.closest('[data-toggle=collapse]');"
    "if(!t)return;e.preventDefault();var p=document.querySelector(t.getAttribute('data-target'));"
    "if(p)p.classList.toggle('show');});</script>"
)


class CollapseTreeSite(BaseSite):
    style = "collapsetree"
    placeholder_kinds = ("hashbang", "hash", "hashbang")
    asset_paths = ("assets/bootstrap/css/bootstrap.min.css", "assets/bootstrap/js/bootstrap.min.js")

    def item_page_path(self, code):
        return f"content/detail/{200 + int(code[1:])}"

    def stub_path(self, code):
        return f"content/detail/{600 + int(code[1:])}"

    def doc_path(self, code, ext, tag=""):
        return f"assets/upload/ita/{stable_hash(self.spec.host, code, tag, n=14)}.{ext}"

    def ita_entry_path(self):
        return "ita/2565"

    def head_extra(self):
        return (
            f'<link rel="stylesheet" href="{self.href("assets/bootstrap/css/bootstrap.min.css")}">'
            "<style>.collapse{display:none}.collapse.show{display:block}.panel{border:1px solid #ddd;border-radius:4px;margin:6px 0}"
            ".panel-heading{background:#f3f3f3;padding:8px 12px;font-weight:bold}.panel-body{padding:6px 16px}"
            ".pdf{display:inline-block;background:#c62828;color:#fff;font:bold 10px sans-serif;padding:2px 4px;border-radius:2px;font-style:normal}</style>"
        )

    def ita_page(self):
        u = self.v["ui"]
        subs = load_yaml("items")["sub_indicators"]
        out = [f"<h2>{esc(u['oit_year_page'].format(y=2565))}</h2><div id='accordion'>"]
        current = None
        for item, link in self.ita_links():
            if item["sub"] != current:
                if current is not None:
                    out.append("</div></div>")
                current = item["sub"]
                pid = "c" + current.replace(".", "_")
                show = " show" if current == "9.1" else ""
                out.append(
                    f"<div class='panel'><div class='panel-heading'><a href='#' data-toggle='collapse' data-target='#{pid}'>{esc(subs[current])}</a></div>"
                    f"<div id='{pid}' class='panel-body collapse{show}'>"
                )
            text = f"{item['code']} {esc(item['title'])}"
            if link.kind == "hash":
                out.append(f"<div><!-- <i class=\"fa fa-file-pdf-o pdf\"></i> --> <a href=\"{link.href}\">{text}</a></div>")
            elif link.href is None:
                out.append(f"<div>{text}</div>")
            else:
                out.append(f"<div><i class='fa fa-file-pdf-o pdf'>PDF</i> <a href=\"{esc(link.href)}\" target=\"_blank\">{text}</a></div>")
        out.append("</div></div></div>")
        return self.page_response(self.chrome("ITA", "".join(out), body_end=TOGGLE_JS))
