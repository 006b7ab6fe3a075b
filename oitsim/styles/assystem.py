"""AS System-like CodeIgniter CMS.

Pages/ita_all -> Pages/ita_year/<n> -> Pages/ita_year_detail/<id>; 43 slots under 15
headings, up to 5 links per slot with an "open" button; empty link titles shown as
"<link prefix> <url>"; UNQUOTED href values; JS dropdown navbar whose parents are
javascript:void(0); sitemap at Pages/all_web; assets under /assets/frontend/.
"""

from __future__ import annotations

from ..content import load_yaml, stable_hash
from .base import BaseSite, esc


class AsSystemSite(BaseSite):
    server_headers = (("Server", "nginx"), ("X-Powered-By", "PHP/5.6.40"), ("Set-Cookie", "ci_session=a1b2c3; path=/; HttpOnly"))
    style = "assystem"
    placeholder_kinds = ("hash", "js", "stub", "stub")
    asset_paths = ("assets/frontend/css/style.css", "assets/frontend/js/main.js", "assets/frontend/js/jquery.min.js")

    def item_page_path(self, code):
        return f"Pages/page_detail/{int(code[1:]) * 7 + 300}"

    def stub_path(self, code):
        return f"Pages/page_detail/{int(code[1:]) * 7 + 900}"

    def doc_path(self, code, ext, tag=""):
        return f"uploads/files/2022030{int(code[1:]) % 9 + 1}_{stable_hash(self.spec.host, code, tag, n=12)}.{ext}"

    def news_path(self, i):
        return f"Pages/news_detail/{4100 + i * 3}"

    def ita_entry_path(self):
        return "Pages/ita_all"

    def head_extra(self):
        return (
            '<link rel="stylesheet" href="' + self.href("assets/frontend/css/style.css") + '">'
            '<script src="' + self.href("assets/frontend/js/jquery.min.js") + '"></script>'
        )

    def navbar(self):
        u = self.v["ui"]
        groups = [
            (u["about"], [(u["history"], "Pages/history"), (u["vision"], "Pages/vision"), (u["staff"], "Pages/staff")]),
            (u["news"], [(u["news"], self.news_path(0)), (u["procurement"], self.news_path(1))]),
            (u["plans"], [(u["plans"], "Pages/plan")]),
            (u["ita"], [(u["ita_full"], "Pages/ita_all"), (u["oit"], "Pages/ita_year/1")]),
            (u["services"], [(u["eservice"], "Pages/eservice")]),
            (u["contact"], [(u["contact"], "Pages/contact"), (u["sitemap"], "Pages/all_web")]),
        ]
        out = [f'<nav class="main"><a href={self.href("")}>{u["home"]}</a>']
        for label, children in groups:
            kids = "".join(f"<a href={self.href(p)}>{esc(t)}</a>" for t, p in children)
            out.append(f'<div class="dropdown"><a href="javascript:void(0)" class="dropdown-toggle">{esc(label)} &#9662;</a><div class="menu">{kids}</div></div>')
        out.append("</nav>")
        return "".join(out)

    def footer_credit(self):
        return ' · <a href="https://www.assystem.co.th/">Powered by AS System</a>' + f' · <a href={self.href("Pages/all_web")}>{self.v["ui"]["sitemap"]}</a>'

    # ------------------------------------------------------------------ ITA surface
    def build_style(self):
        headings = load_yaml("items")["headings_15"]
        self.add("Pages/ita_all", self.ita_all)
        self.add("Pages/ita_year/1", self.ita_year)
        self.add("Pages/ita_year/2", lambda: self.ita_year(2564))
        self._old_links = None
        self.add("Pages/all_web", self.all_web)
        for name in ("history", "vision", "staff", "plan", "eservice", "contact"):
            self.add(f"Pages/{name}", lambda n=name: self.simple(n))
        for i in range(len(headings)):
            self.add(f"Pages/ita_year_detail/{self.detail_id(i)}", lambda i=i: self.detail(i))
            self.add(f"Pages/ita_year_detail/{self.detail_id(i) + 100}", lambda i=i: self.detail(i, 2564))

    @property
    def old_links(self):
        """Files of the older ITA 2564 round (built lazily: most crawls never open that year)."""
        if self._old_links is None:
            self._old_links = {}
            for item in load_yaml("items")["items"]:
                if item["form"] == "doc" and item["year"] in ("current", "h1", "prev"):
                    code = item["code"]
                    rel = self.doc_path(code, "pdf", "fy2564")
                    fy = 2564 if item["year"] != "prev" else 2563
                    self.add(rel, lambda c=code, r=rel, y=fy: self.doc_response(c, "pdf", r, fy=y))
                    self._old_links[code] = rel
        return self._old_links

    def respond(self, method, url, headers):
        resp = super().respond(method, url, headers)
        if resp.status == 404 and self._old_links is None and "/uploads/files/" in url:
            self.old_links  # noqa: B018 - registers the older round's files, then retry
            resp = super().respond(method, url, headers)
        return resp

    def surface_of(self, code):
        from ..content import item_map

        return f"Pages/ita_year_detail/{self.detail_id(item_map()[code]['heading'])}"

    def detail_id(self, i):
        return 11 + i * 2 + self.spec.variant % 5

    def simple(self, name):
        u = self.v["ui"]
        title = u.get(name, u["about"])
        return self.page_response(self.chrome(title, f"<h2>{esc(title)}</h2><p>{esc(self.lao.full_name)}</p>"))

    def ita_all(self):
        u = self.v["ui"]
        body = (
            f"<h2>{esc(u['ita_full'])}</h2><ul>"
            f"<li><a href={self.href('Pages/ita_year/1')}>{esc(u['ita_year'].format(y=2565))}</a></li>"
            f"<li><a href={self.href('Pages/ita_year/2')}>{esc(u['ita_year'].format(y=2564))}</a></li></ul>"
        )
        return self.page_response(self.chrome("ITA", body))

    def ita_year(self, year=2565):
        """Year page; the 2564 one is an older round whose links point to FY 2564 files (not evidence for 2565)."""
        u = self.v["ui"]
        headings = load_yaml("items")["headings_15"]
        shift = 0 if year == 2565 else 100
        rows = "".join(
            f"<tr><td>{i + 1}</td><td><a href={self.href('Pages/ita_year_detail/' + str(self.detail_id(i) + shift))}>{esc(h)}</a></td></tr>"
            for i, h in enumerate(headings)
        )
        body = f"<h2>{esc(u['ita_year'].format(y=year))}</h2><table class='t'><tr><th>{u['item_no']}</th><th>{u['topic']}</th></tr>{rows}</table>"
        return self.page_response(self.chrome(u["ita_year"].format(y=year), body))

    def detail(self, idx, year=2565):
        u = self.v["ui"]
        heading = load_yaml("items")["headings_15"][idx]
        out = [f"<h2>{esc(heading)}</h2>"]
        for item, link in self.ita_links():
            if item["heading"] != idx:
                continue
            if year != 2565:
                old = self.old_links.get(item["code"])
                out.append(f"<h4>{item['code']} {esc(item['title'])}</h4><ul>")
                if old:
                    out.append(f"<li>{esc(link.text)} <a href={self.href(old)} target=_blank class=btn>{u['open']}</a></li>")
                out.append("</ul>")
                continue
            out.append(f"<h4>{item['code'].lower() if self.spec.variant % 2 else item['code']} {esc(item['title'])}</h4><ul>")
            if link.href is not None:
                plan = self.spec.plans[item["code"]]
                shown = link.text if plan.variant % 6 else f"{u['link_prefix']}{link.url or link.href}"
                out.append(f"<li>{esc(shown)} <a href={link.href} target=_blank class=btn>{u['open']}</a></li>")
            out.append("</ul>")
        return self.page_response(self.chrome(heading, "".join(out)))

    def all_web(self):
        u = self.v["ui"]
        links = [("Pages/ita_all", u["ita_full"]), ("Pages/ita_year/1", u["ita_year"].format(y=2565))]
        for name in ("history", "vision", "staff", "plan", "eservice", "contact"):
            links.append((f"Pages/{name}", u.get(name, name)))
        body = f"<h2>{u['sitemap']}</h2><ul>" + "".join(f"<li><a href={self.href(p)}>{esc(t)}</a></li>" for p, t in links) + "</ul>"
        return self.page_response(self.chrome(u["sitemap"], body))
