"""Choose the platform adapter for a site from its fetched home page.

Each adapter declares markers (URL routes, generator tags, CMS asset paths); the adapter whose
markers score highest wins, and ``generic`` is the fallback. A registry row may pin a platform.
"""
from __future__ import annotations

from crawler.adapters import ADAPTERS, PlatformAdapter, get_adapter


def fingerprint(url: str, html: str, generator: str = "") -> PlatformAdapter:
    """The best-matching adapter for a home page (``generic`` when nothing matches)."""
    low_html = html.lower() if html else ""
    low_gen = (generator or "").lower()
    low_url = url.lower()
    best, best_score = None, 0
    for adapter in ADAPTERS.values():
        score = sum(m.weight for m in adapter.markers if m.matches(low_url, low_html, low_gen))
        if score > best_score:
            best, best_score = adapter, score
    return best or get_adapter("generic")
