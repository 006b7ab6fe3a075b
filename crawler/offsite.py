"""Off-site evidence rules: which off-site links the crawl opens, and how.

Real LAO sites often publish an OIT item as a Google Drive file or a Google Form. An assessor
opens the link; so does the crawl, within limits that come from ``config/crawl.yaml``
(``offsite:``), never from Python:

* only links to an accepted host (``hosts``), and only links that are OIT-item candidates (the
  caller decides: a hub page, or link text matching the catalog's priority terms);
* at most ``budget_per_site`` off-site requests per site;
* the link as shown is fetched (a Drive viewer page tells a public file from one behind the
  sign-in page; a form page shows the form or that it is closed), and a viewer URL that matches a
  ``rewrites`` pattern is also fetched at its public download URL; the document is recorded
  under the link as shown, with ``source_url`` = the download URL;
* a redirect may lead to another accepted host; a redirect to a ``signin_hosts`` host is not
  followed and names the fetch status ``signin_required``.

robots.txt, netguard, timeouts and the size limit apply as on the site (the spider's ordinary
middlewares). Shared by the spider (crawler/spiders/lao.py) and the benchmark's walk mode; it
imports neither Scrapy nor Twisted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

CRAWL_YAML = Path(__file__).resolve().parent.parent / "config" / "crawl.yaml"
#: Fetch status of an off-site link whose host redirects to a sign-in page (not shared publicly).
SIGNIN_REQUIRED = "signin_required"


class OffsiteConfigError(ValueError):
    """config/crawl.yaml `offsite:` is malformed (the message names the key)."""


@dataclass(frozen=True)
class Fetch:
    """One off-site request planned for a link: the URL, page or doc, and the link as shown."""

    url: str
    kind: str            # "page" (the link as shown) | "doc" (its public download URL)
    shown: str           # the URL the site links to


@dataclass(frozen=True)
class OffsitePolicy:
    enabled: bool
    budget: int
    hosts: tuple[str, ...]
    signin_hosts: tuple[str, ...]
    rewrites: tuple[tuple[re.Pattern, str], ...]

    @staticmethod
    def _host_in(host: str, entries) -> bool:
        host = host.lower()
        return any(host == h or host.endswith("." + h) for h in entries)

    def accepts(self, url: str | None) -> bool:
        """An off-site link the crawl may open (an accepted host)."""
        if not (self.enabled and url):
            return False
        low = url.lower()
        if not any(h in low for h in self.hosts):
            return False            # cheap reject first: called for every link of every page
        return self._host_in(urlsplit(url).hostname or "", self.hosts)

    def redirect_ok(self, url: str) -> bool:
        return self._host_in(urlsplit(url).hostname or "", self.hosts)

    def is_signin(self, url: str | None) -> bool:
        return bool(url) and self._host_in(urlsplit(url).hostname or "", self.signin_hosts)

    def download_url(self, url: str) -> str | None:
        """The public download URL of a viewer URL, by the first matching rewrite; None if none."""
        for pattern, template in self.rewrites:
            m = pattern.search(url)
            if m:
                return m.expand(template)
        return None

    def plan(self, url: str) -> list[Fetch]:
        """The requests that open one accepted off-site link."""
        out = [Fetch(url, "page", url)]
        download = self.download_url(url)
        if download and download != url:
            out.append(Fetch(download, "doc", url))
        return out


def _list(raw: dict, key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.{key} must be a list of host names")
    return tuple(x.strip().lower() for x in value)


def policy_from(raw: dict | None, *, enabled: bool | None = None, budget: int | None = None) -> OffsitePolicy:
    """Build the policy from the `offsite:` mapping; `enabled`/`budget` override the file."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise OffsiteConfigError(f"{CRAWL_YAML}: offsite must be a mapping")
    rewrites = []
    for i, r in enumerate(raw.get("rewrites") or []):
        if not isinstance(r, dict) or not isinstance(r.get("match"), str) or not isinstance(r.get("download"), str):
            raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.rewrites[{i}] needs `match` and `download` strings")
        try:
            rewrites.append((re.compile(r["match"]), r["download"]))
        except re.error as exc:
            raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.rewrites[{i}].match is not a valid pattern: {exc}") from exc
    b = raw.get("budget_per_site", 0) if budget is None else budget
    if not isinstance(b, int) or b < 0:
        raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.budget_per_site must be a whole number >= 0")
    return OffsitePolicy(enabled=bool(raw.get("enabled", False) if enabled is None else enabled), budget=b,
                         hosts=_list(raw, "hosts"), signin_hosts=_list(raw, "signin_hosts"),
                         rewrites=tuple(rewrites))


@lru_cache(maxsize=1)
def config() -> dict:
    with CRAWL_YAML.open(encoding="utf-8") as fh:
        return (yaml.safe_load(fh) or {}).get("offsite") or {}


def load_policy(*, enabled: bool | None = None, budget: int | None = None) -> OffsitePolicy:
    """The policy of config/crawl.yaml."""
    return policy_from(config(), enabled=enabled, budget=budget)
