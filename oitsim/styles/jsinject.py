"""A site whose menu and ITA list are injected by JavaScript after load.

The static body is nearly empty: a mount point, a vendor script and a JSON blob
(<script type="application/json" id="site-data">). A small inline script builds the menu,
news and ITA list from the blob, so Chromium renders the links while a plain HTML parser
sees none."""

from __future__ import annotations

from ..content import stable_hash
from .base import BaseSite, esc

BUILD_JS = (
    "<script>(function(){var d=JSON.parse(document.getElementById('site-data').textContent);"
    "var app=document.getElementById('app');function el(t,c,h){var e=document.createElement(t);if(c)e.className=c;if(h)e.textContent=h;return e;}"
    "var nav=el('nav','main');d.menu.forEach(function(m){var a=el('a',null,m.t);a.href=m.u;nav.appendChild(a);});"
    "document.getElementById('navmount').appendChild(nav);"
    "if(d.items){var h=el('h2',null,d.heading);app.appendChild(h);var ol=el('ol');d.items.forEach(function(it){var li=el('li');"
    "if(it.u){var a=el('a',null,it.t);a.href=it.u;li.appendChild(a);}else{li.textContent=it.t;}ol.appendChild(li);});app.appendChild(ol);}"
    "if(d.news){var s=el('section','news');s.appendChild(el('h2',null,d.newsTitle));var c=el('div','cards');d.news.forEach(function(n,i){"
    "var card=el('div','card');var th=el('div','thumb');th.style.background='hsl('+(i*53%360)+',55%,55%)';card.appendChild(th);var b=el('div','cbody');"
    "var a=el('a',null,n.t);a.href=n.u;b.appendChild(a);b.appendChild(el('div','date',n.d));card.appendChild(b);c.appendChild(card);});s.appendChild(c);app.appendChild(s);}"
    "})();</script>"
)


class JsInjectSite(BaseSite):
    server_headers = (("Server", "nginx/1.20.1"),)
    style = "jsinject"
    placeholder_kinds = ("hash", "stub")
    asset_paths = ("static/js/vendor.min.js",)

    def item_page_path(self, code):
        return f"content/{stable_hash(self.spec.host, code, n=6)}.html"

    def stub_path(self, code):
        return f"content/wip-{int(code[1:])}.html"

    def doc_path(self, code, ext, tag=""):
        return f"files/{stable_hash(self.spec.host, code, tag, n=12)}.{ext}"

    def news_path(self, i):
        return f"news/{300 + i}.html"

    def ita_entry_path(self):
        return "ita.html"

    def menu(self):
        u = self.v["ui"]
        return [
            {"t": u["home"], "u": self.href("")},
            {"t": u["ita"], "u": self.href(self.ita_entry_path())},
            {"t": u["news"], "u": self.href(self.news_path(0))},
        ]

    def navbar(self):
        return '<div id="navmount"></div>'

    def js_page(self, title, data):
        data["menu"] = self.menu()
        main = (
            f'<div id="app"><noscript>{esc(self.v["ui"]["loading"])}</noscript></div>'
            f'<script type="application/json" id="site-data">{self.json_script(data)}</script>'
        )
        return self.page_response(
            self.chrome(title, main, head=f'<script src="{self.href("static/js/vendor.min.js")}"></script>', body_end=BUILD_JS)
        )

    def sidebar(self):
        return ""

    def home(self):
        news = [{"t": t, "u": self.href(self.news_path(i)), "d": self.fmt_date(d, i)} for i, (d, t) in enumerate(self.news[:6])]
        return self.js_page(None, {"news": news, "newsTitle": self.v["ui"]["news"]})

    def ita_page(self):
        u = self.v["ui"]
        entries = [{"t": link.text, "u": link.href} for item, link in self.ita_links() if link.href is not None]
        return self.js_page("ITA", {"heading": u["oit_year_page"].format(y=2565), "items": entries})
