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
  followed and names the fetch status ``signin_required``;
* when an operator configures a Google API key (``google_api_key``, or the environment variable
  ``OIT_GOOGLE_API_KEY``, which wins), a rewrite's ``api`` template is used INSTEAD of its
  ``download`` URL: the Drive API (``files.get`` with ``alt=media``) answers the bytes of a file
  shared "anyone with the link", and the ``api_hosts`` become accepted redirect targets (a
  site's own link to an API host is still not opened). robots.txt of
  drive.google.com disallows ``/uc``, so without a key no Drive file's content is read. The key
  is never stored: every URL that is kept or logged goes through ``redact`` (``key=REDACTED``).

robots.txt, netguard, timeouts and the size limit apply as on the site (the spider's ordinary
middlewares). Shared by the spider (crawler/spiders/lao.py) and the benchmark's walk mode; it
imports neither Scrapy nor Twisted.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml

CRAWL_YAML = Path(__file__).resolve().parent.parent / "config" / "crawl.yaml"
#: Fetch status of an off-site link whose host redirects to a sign-in page (not shared publicly).
SIGNIN_REQUIRED = "signin_required"
#: Environment variable holding the Google API key; it wins over crawl.yaml offsite.google_api_key.
API_KEY_ENV = "OIT_GOOGLE_API_KEY"
#: Fetch statuses of a Drive API error answer (the file is not public, or the key is refused).
API_ERRORS = {400: "drive_api_bad_request", 401: "drive_api_unauthorized", 403: "drive_api_forbidden",
              404: "drive_api_not_found", 429: "drive_api_rate_limited"}
_KEY_PARAM = re.compile(r"([?&](?:key|access_token)=)[^&#\s>'\"]*", re.I)


def redact(text: str | None) -> str | None:
    """``text`` with the value of every ``key=``/``access_token=`` URL parameter replaced by REDACTED."""
    if not text or "=" not in text:
        return text
    return _KEY_PARAM.sub(r"\1REDACTED", text)


def api_fetch_error(status: int) -> str:
    """The named fetch status of a Drive API answer with HTTP ``status`` (>= 300)."""
    return API_ERRORS.get(status, "drive_api_error")


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
    api_key: str = field(default="", repr=False)      # never printed (repr) nor stored
    api_rewrites: tuple[tuple[re.Pattern, str], ...] = ()
    api_hosts: tuple[str, ...] = ()

    @property
    def uses_api(self) -> bool:
        """A Google API key is configured: Drive files are read through the Drive API."""
        return bool(self.api_key)

    @property
    def accepted_hosts(self) -> tuple[str, ...]:
        return self.hosts + self.api_hosts if self.uses_api else self.hosts

    def is_api(self, url: str | None) -> bool:
        """A request to a Drive API host (only when a key is configured)."""
        return bool(url) and self.uses_api and self._host_in(urlsplit(url).hostname or "", self.api_hosts)

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
        """A redirect of an off-site request may lead here (the API hosts only with a key: a site's
        own link to an API host is not opened, the crawl reaches the API only by a rewrite)."""
        return self._host_in(urlsplit(url).hostname or "", self.accepted_hosts)

    def is_signin(self, url: str | None) -> bool:
        return bool(url) and self._host_in(urlsplit(url).hostname or "", self.signin_hosts)

    def download_url(self, url: str) -> str | None:
        """The URL that reads a viewer URL's file, by the first matching rewrite; None if none.

        With an API key: the rewrite's Drive API URL (it carries the key: never store or log it
        unredacted). Without: the public download URL (robots.txt of drive.google.com disallows it)."""
        if self.uses_api:
            for pattern, template in self.api_rewrites:
                m = pattern.search(url)
                if m:
                    return m.expand(template.replace("{key}", quote(self.api_key, safe="").replace("\\", "\\\\")))
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


def policy_from(raw: dict | None, *, enabled: bool | None = None, budget: int | None = None,
                api_key: str | None = None) -> OffsitePolicy:
    """Build the policy from the `offsite:` mapping; `enabled`/`budget`/`api_key` override the file."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise OffsiteConfigError(f"{CRAWL_YAML}: offsite must be a mapping")
    rewrites, api_rewrites = [], []
    for i, r in enumerate(raw.get("rewrites") or []):
        if not isinstance(r, dict) or not isinstance(r.get("match"), str) or not isinstance(r.get("download"), str):
            raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.rewrites[{i}] needs `match` and `download` strings")
        try:
            pattern = re.compile(r["match"])
        except re.error as exc:
            raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.rewrites[{i}].match is not a valid pattern: {exc}") from exc
        rewrites.append((pattern, r["download"]))
        if "api" in r:
            if not isinstance(r["api"], str) or "{key}" not in r["api"]:
                raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.rewrites[{i}].api must be a URL template "
                                         "containing {key}")
            api_rewrites.append((pattern, r["api"]))
    b = raw.get("budget_per_site", 0) if budget is None else budget
    if not isinstance(b, int) or b < 0:
        raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.budget_per_site must be a whole number >= 0")
    key = raw.get("google_api_key") or "" if api_key is None else api_key
    if not isinstance(key, str):
        raise OffsiteConfigError(f"{CRAWL_YAML}: offsite.google_api_key must be a string (or empty)")
    return OffsitePolicy(enabled=bool(raw.get("enabled", False) if enabled is None else enabled), budget=b,
                         hosts=_list(raw, "hosts"), signin_hosts=_list(raw, "signin_hosts"),
                         rewrites=tuple(rewrites), api_key=key.strip(), api_rewrites=tuple(api_rewrites),
                         api_hosts=_list(raw, "api_hosts"))


@lru_cache(maxsize=1)
def config() -> dict:
    with CRAWL_YAML.open(encoding="utf-8") as fh:
        return (yaml.safe_load(fh) or {}).get("offsite") or {}


def configured_api_key() -> str | None:
    """The Google API key of the environment (OIT_GOOGLE_API_KEY), or None to use crawl.yaml's."""
    value = os.environ.get(API_KEY_ENV)
    return value.strip() if value and value.strip() else None


def load_policy(*, enabled: bool | None = None, budget: int | None = None,
                api_key: str | None = None) -> OffsitePolicy:
    """The policy of config/crawl.yaml; the API key: `api_key`, else OIT_GOOGLE_API_KEY, else the file."""
    return policy_from(config(), enabled=enabled, budget=budget,
                       api_key=api_key if api_key is not None else configured_api_key())


_redaction_installed = False


def install_log_redaction() -> None:
    """Redact ``key=`` URL parameters in every log record made from now on (process-wide, once).

    Scrapy's own records name request URLs (retries given up, download errors, size warnings);
    with a Drive API key configured those URLs carry the key. The record factory renders a record
    whose message or arguments hold ``key=`` and stores it redacted, so no handler ever sees it."""
    global _redaction_installed
    if _redaction_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            if "key=" in str(record.msg) or any("key=" in str(a) for a in _args(record.args)):
                record.msg, record.args = redact(record.getMessage()), None
        except Exception:  # noqa: BLE001 - a record that cannot be rendered is left to logging
            pass
        return record

    logging.setLogRecordFactory(factory)
    _redaction_installed = True


def _args(args) -> tuple:
    if isinstance(args, dict):
        return tuple(args.values())
    return args if isinstance(args, tuple) else (() if args is None else (args,))
