"""Joomla-like site served in TIS-620 (real TIS-620 bytes). Most pages declare the charset
in both the header and a meta tag; the ITA article and (on some sites) the home page send a
Content-Type header WITHOUT charset, so only the meta tag tells the encoding."""

from __future__ import annotations

from ..content import stable_hash
from .base import BaseSite, esc, html_response


class JoomlaSite(BaseSite):
    server_headers = (("Server", "Apache/2.2.15 (CentOS)"), ("X-Powered-By", "PHP/5.3.3"))
    style = "joomla"
    charset = "tis-620"
    placeholder_kinds = ("stub", "hash")
    generator_meta = "Joomla! - Open Source Content Management"
    asset_paths = ("media/jui/js/jquery.min.js", "templates/protostar/css/template.css")

    def item_page_path(self, code):
        n = int(code[1:])
        return f"index.php/2022-03-{10 + n % 18:02d}-08-{n:02d}-{(n * 7) % 60:02d}"

    def stub_path(self, code):
        return f"index.php/component/content/article/{700 + int(code[1:])}?Itemid=101"

    def doc_path(self, code, ext, tag=""):
        return f"images/ita2565/{stable_hash(self.spec.host, code, tag, n=10)}.{ext}"

    def news_path(self, i):
        return f"index.php/news/{150 + i}-news"

    def ita_entry_path(self):
        return "index.php/ita-2565"

    def head_extra(self):
        return (
            super().head_extra()
            + f'<script src="{self.href("media/jui/js/jquery.min.js")}"></script>'
            + f'<link href="{self.href("templates/protostar/css/template.css")}" rel="stylesheet">'
        )

    def page_response(self, body, *, header_charset=True):
        return html_response(body, charset="tis-620", header_charset=header_charset)

    def home(self):
        return self.page_response(self.chrome(None, self.home_main()), header_charset=self.spec.variant % 2 == 0)

    def style_css(self):
        c, light, accent = self.palette
        return (
            "body{background:" + light + "}.banner,nav.main,.wrap,footer{max-width:1000px;margin-left:auto;margin-right:auto}"
            ".wrap{background:#fff;margin-top:0;padding:14px;border:1px solid #ddd}main,aside .box{box-shadow:none}"
            "nav.main{background:" + c + "}nav.main a{color:#fff}.breadcrumb{font-size:13px;color:#666;margin-bottom:10px}"
        )

    def ita_page(self):
        u = self.v["ui"]
        out = [f"<div class='item-page'><h2>{esc(u['oit_year_page'].format(y=2565))}</h2><table class='t'>"]
        for item, link in self.ita_links():
            cell = f'<a href="{esc(link.href)}">{esc(link.text)}</a>' if link.href else esc(link.text)
            out.append(f"<tr><td>{item['code']}</td><td>{cell}</td></tr>")
        out.append("</table></div>")
        return self.page_response(self.chrome("ITA", "".join(out)), header_charset=False)
