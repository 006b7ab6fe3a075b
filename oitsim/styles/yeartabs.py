"""Held-out style: custom PHP whose ITA hub sits in the menu as an "information centre"
(front/menu/<a>/<b>) and holds SEVERAL ITA years on one page as Bootstrap tabs (2565, 2564,
2563) with the same topic rows. The code column is written in one of several real forms
("O 1", "OIT 1", "ข้อ 1", "ข้อ ๑", "O01"); every link reads the same word ("ดาวน์โหลด" ...);
documents come from a download script without a file extension; where this year's item is
missing, last year's link is left inside an HTML comment. Not part of the Mukdahan world."""

from __future__ import annotations

from urllib.parse import quote

from ..content import item_map, stable_hash, thai_digits
from .base import BaseSite, esc

TAB_JS = (
    "<script>document.addEventListener('click',function(e){var t=e.target.closest('[data-toggle=tab]');if(!t)return;"
    "e.preventDefault();document.querySelectorAll('.tab-pane').forEach(function(p){p.classList.remove('active')});"
    "document.querySelector(t.getAttribute('href')).classList.add('active');});</script>"
)
OLD_RULES = ("current", "h1", "prev")


class YearTabsSite(BaseSite):
    style = "yeartabs"
    placeholder_kinds = ("hash", "stub")
    server_headers = (("Server", "Apache/2.4.6 (CentOS)"), ("X-Powered-By", "PHP/7.3.33"))

    def item_page_path(self, code):
        n = int(code[1:])
        return f"front/menu/{72 + item_map()[code]['heading']}/{100 + n}"

    def stub_path(self, code):
        return f"front/menu/99/{500 + int(code[1:])}"

    def doc_path(self, code, ext, tag=""):
        return f"download.php?file={int(stable_hash(self.spec.host, code, tag, n=6), 16) % 900000 + 100000}"

    def news_path(self, i):
        return f"front/news/{300 + i}"

    def ita_entry_path(self):
        return "front/menu/72/99"

    # ------------------------------------------------------------------ chrome without the word ITA
    def navbar(self):
        u, h = self.v["ui"], self.v["heldout"]
        return (
            f'<nav class="main"><a href="{self.href("")}">{u["home"]}</a>'
            f'<a href="{self.href(self.news_path(0))}">{u["news"]}</a>'
            f'<a href="{self.href(self.ita_entry_path())}">{h["info_center"]}</a>'
            '</nav>'
        )

    def sidebar(self):
        u, h = self.v["ui"], self.v["heldout"]
        return (
            f'<div class="box"><a href="{self.href(self.ita_entry_path())}"><img src="{self.href("images/banner_info.png")}" alt="{esc(h["info_center"])}" width="240"></a></div>'
            f'<div class="box"><h3>{u["dla_links"]}</h3><a href="http://www.dla.go.th/">{u["dla"]}</a></div>'
        )

    def home_main(self):
        return self.news_list_html()

    def head_extra(self):
        return "<style>.tab-pane{display:none}.tab-pane.active{display:block}.nav-tabs a{display:inline-block;padding:6px 14px;border:1px solid #ccc;margin-right:4px}</style>"

    # ------------------------------------------------------------------ documents
    def doc_response(self, code, ext, rel, month_tag="", fy=None):
        resp = super().doc_response(code, ext, rel, month_tag, fy)
        name = f"{item_map()[code]['menu'][0].replace('/', ' ')}{' ' + str(fy) if fy else ''}.{ext}"
        resp.headers.append(("Content-Disposition", "attachment; filename*=UTF-8''" + quote(name)))
        return resp

    def build_style(self):
        self.add(self.ita_entry_path(), self.ita_page)
        self.old = {}  # (year, code) -> rel of last rounds' files
        for item, link in self.ita_links():
            code = item["code"]
            if item["form"] != "doc" or item["year"] not in OLD_RULES:
                continue
            for back in (1, 2):
                if back == 2 and stable_hash(self.spec.host, code, "y3", n=2) < "4c":
                    continue  # the oldest tab is less complete
                fy = 2565 - back - (1 if item["year"] == "prev" else 0)
                rel = self.doc_path(code, "pdf", f"fy{fy}")
                self.add(rel, lambda c=code, r=rel, y=fy: self.doc_response(c, "pdf", r, fy=y))
                self.old[(2565 - back, code)] = rel

    # ------------------------------------------------------------------ the ITA surface
    def code_text(self, code):
        fmt = self.v["heldout"]["code_formats"][self.spec.variant % len(self.v["heldout"]["code_formats"])]
        n = int(code[1:])
        return fmt.replace("{nn}", f"{n:02d}").replace("{n}", str(n)).replace("{t}", thai_digits(str(n)))

    def word(self, code):
        words = self.v["heldout"]["link_words"]
        return words[(self.spec.variant // 7) % len(words)]

    def tab(self, year):
        u = self.v["ui"]
        h = self.v["heldout"]
        rows = [f"<h3>{esc(h['tab_heading'].format(y=year))}</h3><table class='t'>"
                f"<tr><th>{u['code']}</th><th>{u['topic']}</th><th>{u['download']}</th></tr>"]
        for item, link in self.ita_links():
            code = item["code"]
            if year == 2565:
                href = link.href
                if href is None:
                    old = self.old.get((2564, code))
                    cell = "-" + (f' <!-- <a href="{esc(self.href(old))}">{esc(self.word(code))}</a> -->' if old else "")
                else:
                    cell = f'<a href="{esc(href)}" target="_blank">{esc(self.word(code))}</a>'
            else:
                old = self.old.get((year, code))
                if old:
                    cell = f'<a href="{esc(self.href(old))}" target="_blank">{esc(self.word(code))}</a>'
                elif link.kind in ("target", "doc", "offsite") and item["year"] not in OLD_RULES + ("monthly",):
                    cell = f'<a href="{esc(link.href)}" target="_blank">{esc(self.word(code))}</a>'
                else:
                    cell = "-"
            rows.append(f"<tr><td>{esc(self.code_text(code))}</td><td>{esc(item['title'])}</td><td>{cell}</td></tr>")
        rows.append("</table>")
        return "".join(rows)

    def ita_page(self):
        h = self.v["heldout"]
        years = [2565, 2564, 2563] if self.spec.variant % 3 else [2563, 2564, 2565]
        tabs = "".join(
            f'<li style="display:inline"><a href="#y{y}" data-toggle="tab">{esc(h["year_tab"].format(y=y))}</a></li>' for y in years
        )
        panes = "".join(f'<div class="tab-pane{" active" if y == 2565 else ""}" id="y{y}">{self.tab(y)}</div>' for y in years)
        body = f"<h2>{esc(h['info_center'])}</h2><ul class='nav-tabs' style='padding:0'>{tabs}</ul><div class='tab-content'>{panes}</div>"
        return self.page_response(self.chrome(h["info_center"], body, body_end=TAB_JS))
