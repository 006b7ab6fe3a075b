"""Hijacked or parked domain: an expired LAO domain now serving a gambling or parking page
with no LAO name. Every path answers the same page."""

from __future__ import annotations

from ..content import rng
from .base import BaseSite, esc


class HijackedSite(BaseSite):
    server_headers = (("Server", "cloudflare"),)
    style = "hijacked"

    def respond(self, method, url, headers):
        return self.page_response(self.parked())

    def parked(self):
        h = self.v["hijack"]
        r = rng(self.spec.host, "hijack")
        k = r.randrange(len(h["titles"]))
        body = h["body"][k].format(host=self.spec.host)
        cta = h["cta"][k % len(h["cta"])]
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(h['titles'][k])}</title>"
            "<style>body{background:#111;color:#f5d142;font-family:sans-serif;text-align:center;padding-top:80px}"
            "a.b{background:#f5d142;color:#111;padding:14px 30px;border-radius:30px;text-decoration:none;font-size:22px}</style></head>"
            f"<body><h1>{esc(h['titles'][k])}</h1><p>{esc(body)}</p><p><a class='b' href='/register'>{esc(cta)}</a></p></body></html>"
        )
