"""AS System CMS (CodeIgniter, sold to many LAOs)."""
import re
from urllib.parse import urljoin

from crawler.adapters.base import Marker, PlatformAdapter

_PAGES_ROUTE = re.compile(r"""href\s*=\s*["']?([^"'\s>]*?)pages/""", re.I)


class AsSystemAdapter(PlatformAdapter):
    """AS System CMS: ITA index -> year page -> detail page with up to 5 links per topic; sitemap page."""

    name = "assystem"
    markers = [Marker.path("pages/ita_all"), Marker.path("pages/all_web"), Marker.asset("/assets/frontend/"),
               Marker.asset("assystem", 1)]
    entry_paths = ["Pages/ita_all", "Pages/all_web"]

    def site_root(self, home_url: str, html: str) -> str:
        m = _PAGES_ROUTE.search(html or "")
        if m:
            return urljoin(home_url, m.group(1) or "/")
        return urljoin(home_url, "./")
