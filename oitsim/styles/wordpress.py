"""WordPress-like site: posts at ?p=N and percent-encoded Thai slugs, files under
/wp-content/uploads/YYYY/MM/, FlowPaper iframe viewer (off-site host), generator meta."""

from __future__ import annotations

from urllib.parse import quote

from ..content import item_map, stable_hash
from .base import BaseSite, esc


class WordPressSite(BaseSite):
    server_headers = (("Server", "nginx/1.18.0"), ("Link", '</wp-json/>; rel="https://api.w.org/"'))
    style = "wordpress"
    wrap_docs = True
    placeholder_kinds = ("stub",)
    generator_meta = "WordPress 5.9.3"
    asset_paths = ("wp-content/themes/lao-gov/style.css", "wp-includes/js/jquery/jquery.min.js")

    def slug(self, code):
        return item_map()[code]["menu"][0].replace(" ", "-").replace("/", "-").replace("(", "").replace(")", "")

    def item_page_path(self, code):
        if int(code[1:]) % 2:
            return f"?p={900 + int(code[1:]) * 13}"
        return self.slug(code) + "/"

    def stub_path(self, code):
        return f"?p={3900 + int(code[1:]) * 13}"

    def href(self, rel):
        out = super().href(rel)
        if out.startswith(("http", "#", "javascript:")):
            return out
        return quote(out, safe="/?=&")

    def doc_path(self, code, ext, tag=""):
        n = int(code[1:])
        month = 10 + n % 3 if n % 4 else 1 + n % 3
        year = 2021 if month >= 10 else 2022
        if self.spec.plans[code].form == "scan":
            name = f"Scan{year}-{month:02d}-{10 + n % 18}_{100000 + int(stable_hash(code, tag, n=4), 16) % 900000}"
        else:
            name = f"ita-{stable_hash(self.spec.host, code, tag, n=6)}"
        return f"wp-content/uploads/{year}/{month:02d}/{name}.{ext}"

    def news_path(self, i):
        return f"?p={200 + i * 7}"

    def ita_entry_path(self):
        return "ita-2565/"

    def head_extra(self):
        return (
            super().head_extra()
            + f'<link rel="https://api.w.org/" href="{self.href("wp-json/")}">'
            + f'<link rel="stylesheet" id="lao-gov-style-css" href="{self.href("wp-content/themes/lao-gov/style.css")}?ver=5.9.3" media="all">'
        )

    def footer_credit(self):
        return " · Proudly powered by WordPress"

    def style_css(self):
        c, light, accent = self.palette
        return (
            "body{background:#fff;font-size:17px}nav.main{background:#222;border:0}nav.main a{color:#eee;font-weight:normal}"
            "main{box-shadow:none;padding:0 10px}aside .box{box-shadow:none;border:1px solid #eee;border-radius:0}"
            "article.post{border-bottom:1px solid #eee;padding:10px 0 18px}.entry-title{font-size:22px;margin:0 0 4px}"
            ".entry-title a{color:#111;text-decoration:none}.entry-meta{color:#777;font-size:13px}.more-link{font-size:14px}"
            "h2{border-left:0;padding-left:0}"
        )

    def home_main(self):
        u = self.v["ui"]
        posts = []
        for i, (d, t) in enumerate(self.news[:5]):
            posts.append(
                f"<article class='post'><h2 class='entry-title'><a href=\"{self.href(self.news_path(i))}\">{esc(t)}</a></h2>"
                f"<div class='entry-meta'>{esc(self.fmt_date(d, i))} · {self.v['wp']['by']} {self.v['wp']['admin']}</div>"
                f"<p>{esc(self.lao.full_name)} {esc(t)} …</p><a class='more-link' href=\"{self.href(self.news_path(i))}\">{u['read_more']} &rarr;</a></article>"
            )
        return "".join(posts)

    def sidebar(self):
        u = self.v["ui"]
        recent = "".join(f'<li><a href="{self.href(self.news_path(i))}">{esc(t)}</a></li>' for i, (_, t) in enumerate(self.news[:5]))
        return (
            f"<div class='box widget_search'><form role='search' action='{self.href('')}'><input name='s' placeholder='{u['search']}'></form></div>"
            f"<div class='box'><a class='itabanner' href='{self.href(self.ita_entry_path())}'>{u['ita_full']}</a></div>"
            f"<div class='box widget_recent_entries'><h3>{u['news']}</h3><ul>{recent}</ul></div>"
            f"<div class='box widget_categories'><h3>{self.v['wp']['category_ita']}</h3><ul><li><a href='{self.href(self.ita_entry_path())}'>ITA 2565</a></li></ul></div>"
        )

    def build_style(self):
        self.add(self.ita_entry_path(), self.ita_page)
        self.add("?page_id=2012", self.ita_page)

    def ita_page(self):
        u = self.v["ui"]
        out = [f"<article class='page'><h1 class='entry-title'>{esc(u['oit_year_page'].format(y=2565))}</h1><div class='entry-content'><ol>"]
        for item, link in self.ita_links():
            if link.href is None:
                continue
            out.append(f'<li><a href="{esc(link.href)}">{esc(link.text)}</a></li>')
        out.append("</ol></div></article>")
        return self.page_response(self.chrome("ITA 2565", "".join(out)))

    def doc_wrapper_page(self, code, rel):
        u = self.v["ui"]
        plan = self.spec.plans[code]
        title = self.doc_title(code)
        pdf_url = self.abs(rel)
        viewer = f'<iframe src="https://flowpaper.com/flipbook/?pdf={quote(pdf_url, safe="")}&amp;theme=dark" width="100%" height="520" frameborder="0" allowfullscreen></iframe>'
        download = f'<p><a href="{self.href(rel)}">{u["download"]} ({esc(rel.rsplit("/", 1)[-1])})</a></p>'
        only_iframe = plan.variant % 4 == 0 and rel.endswith(".pdf")
        body = (
            f"<article class='post'><h1 class='entry-title'>{esc(self.links_text(code))}</h1>"
            f"<div class='entry-meta'>{self.v['wp']['posted_in']} {self.v['wp']['category_ita']} {self.v['wp']['by']} {self.v['wp']['admin']}</div>"
            f"<div class='entry-content'><p>{esc(title)}</p>{'' if only_iframe else download}{viewer if rel.endswith('.pdf') else ''}</div></article>"
        )
        return self.page_response(self.chrome(title, body))
