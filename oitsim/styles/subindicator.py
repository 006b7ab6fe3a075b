"""Held-out style: custom PHP (lawlink.php?menuid=<m>&link=<n>). The menu says "public
disclosure" (no "ITA"); the hub, titled with the year in Thai digits, links one page per
sub-indicator ("ตัวชี้วัดย่อยที่ 9.1 ..."); each sub-indicator page is a table whose numbering
restarts per group (Arabic or Thai digits), whose link text is the document's Thai file name
or "click here", and whose procurement rows also link to e-GP. Not part of the Mukdahan world."""

from __future__ import annotations

from urllib.parse import quote

from ..content import item_map, load_yaml, stable_hash, thai_digits
from .base import BaseSite, esc

EGP = "http://process3.gprocurement.go.th/egp2procmainWeb/jsp/procsearch.sch?servlet=gojsp&proc_id=ShowHTMLFile"
PROCUREMENT_HEADING = 6  # index in items.yaml headings_15


class SubIndicatorSite(BaseSite):
    style = "subindicator"
    placeholder_kinds = ("hash", "stub", "js")
    server_headers = (("Server", "Microsoft-IIS/8.5"), ("X-Powered-By", "PHP/5.6.31"))

    def subs(self):
        return list(load_yaml("items")["sub_indicators"])

    def item_page_path(self, code):
        return f"lawlink.php?menuid=3&link={100 + int(code[1:])}"

    def stub_path(self, code):
        return f"lawlink.php?menuid=3&link={500 + int(code[1:])}"

    def sub_path(self, sub):
        return f"lawlink.php?menuid=2&link={10 + self.subs().index(sub)}"

    def file_name(self, code, tag=""):
        plan = self.spec.plans[code]
        item = item_map()[code]
        name = item["menu"][0].replace("/", " ")
        if item["year"] != "none" and plan.fy:
            name += f" {self.v['heldout']['year_tab'].format(y=plan.fy)}"
        return name + (f" ({tag})" if tag else "")

    def doc_path(self, code, ext, tag=""):
        return f"fileupload/{self.file_name(code, tag)}.{ext}"

    def href(self, rel):
        out = super().href(rel)
        if out.startswith(self.spec.base_path + "fileupload/"):
            return quote(out, safe="/()")
        return out

    def news_path(self, i):
        return f"lawlink.php?menuid=5&link={700 + i}"

    def ita_entry_path(self):
        return "lawlink.php?menuid=1&link=9"

    def surface_of(self, code):
        return self.sub_path(item_map()[code]["sub"])

    def navbar(self):
        u, h = self.v["ui"], self.v["heldout"]
        return (
            f'<nav class="main"><a href="{self.href("")}">{u["home"]}</a>'
            f'<a href="{self.href(self.news_path(0))}">{u["news"]}</a>'
            f'<a href="{self.href(self.ita_entry_path())}">{h["oit_short"]}</a>'
            '</nav>'
        )

    def sidebar(self):
        u = self.v["ui"]
        return f'<div class="box"><h3>{u["dla_links"]}</h3><a href="http://www.dla.go.th/">{u["dla"]}</a></div>'

    def home_main(self):
        return self.news_list_html()

    def build_style(self):
        self.add(self.ita_entry_path(), self.ita_page)
        for sub in self.subs():
            self.add(self.sub_path(sub), lambda s=sub: self.sub_page(s))

    def num(self, n):
        return thai_digits(str(n)) if self.spec.variant % 2 else str(n)

    def ita_page(self):
        h = self.v["heldout"]
        subs = load_yaml("items")["sub_indicators"]
        year = thai_digits("2565") if self.spec.variant % 4 != 3 else "2565"
        rows = "".join(f'<li><a href="{self.href(self.sub_path(s))}">{esc(t)}</a></li>' for s, t in subs.items())
        body = f"<h2>{esc(h['oit_hub'].format(y=year))}</h2><ul>{rows}</ul>"
        return self.page_response(self.chrome(h["oit_short"], body))

    def link_text(self, item, link):
        if link.kind == "doc" and self.spec.plans[item["code"]].variant % 3:
            return f"{self.file_name(item['code'])}.{link.href.rsplit('.', 1)[-1]}"
        return self.v["heldout"]["click_here"]

    def sub_page(self, sub):
        u, h = self.v["ui"], self.v["heldout"]
        title = load_yaml("items")["sub_indicators"][sub]
        out = [f"<h2>{esc(title)}</h2><table class='t'><tr><th>{u['item_no']}</th><th>{h['list_col']}</th><th>{h['file_col']}</th></tr>"]
        n = 0
        for item, link in self.ita_links():
            if item["sub"] != sub:
                continue
            n += 1
            if link.href is None:
                cell = "-"
            else:
                cell = f'<a href="{esc(link.href)}" target="_blank">{esc(self.link_text(item, link))}</a>'
                if item["heading"] == PROCUREMENT_HEADING and link.kind in ("doc", "target"):
                    cell += f' <a href="{EGP}&amp;id={stable_hash(self.spec.host, item["code"], n=6)}" target="_blank">e-GP</a>'
            out.append(f"<tr><td>{self.num(n)}.</td><td>{esc(item['title'])}</td><td>{cell}</td></tr>")
        out.append("</table>")
        return self.page_response(self.chrome(title, "".join(out)))
