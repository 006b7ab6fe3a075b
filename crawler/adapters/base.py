"""What a platform adapter is: fingerprint markers plus where OIT evidence starts on that CMS."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin


@dataclass(frozen=True)
class Marker:
    """One fingerprint clue. ``where`` is url, html or generator; matched case-insensitively."""

    where: str
    needle: str
    weight: int = 1

    @classmethod
    def path(cls, route: str, weight: int = 3) -> "Marker":
        return cls("html", route.lower(), weight)

    @classmethod
    def asset(cls, prefix: str, weight: int = 2) -> "Marker":
        return cls("html", prefix.lower(), weight)

    @classmethod
    def generator(cls, name: str, weight: int = 5) -> "Marker":
        return cls("generator", name.lower(), weight)

    @classmethod
    def url(cls, part: str, weight: int = 2) -> "Marker":
        return cls("url", part.lower(), weight)

    def matches(self, url: str, html: str, generator: str) -> bool:
        hay = {"url": url, "html": html, "generator": generator}[self.where]
        return self.needle in hay


class PlatformAdapter:
    """Base adapter: no markers, no extra entry points (the generic link walk does the work)."""

    name = "generic"
    markers: list[Marker] = []
    entry_paths: list[str] = []

    def site_root(self, home_url: str, html: str) -> str:
        return urljoin(home_url, "/")

    def entry_points(self, home_url: str, html: str = "") -> list[str]:
        """Where OIT evidence starts on this platform, beyond the generic link walk."""
        root = self.site_root(home_url, html)
        return [urljoin(root, p) for p in self.entry_paths]
