"""Turn what went wrong while fetching into a named status (see config/messages/faults.yaml).

The crawler collects and judges nothing; it still has to say *why* a site or a page could
not be read, so that an outage or a bot block is reported as ``unknown`` and never as a
compliance failure. Everything here is a pure function of a failure, a response or a URL,
plus one small stateful helper (``TrapDetector``).

Public API (used by the spider, the middlewares and the runner):

* ``classify_failure(failure) -> status`` — Twisted/Scrapy/OS errors (errback failures);
* ``classify_response(response) -> status | None`` — HTTP answers that are faults
  (403/429/WAF challenge → ``blocked``, 5xx → ``server_error``, 404 → ``not_found``,
  HTTP 200 "not found" page → ``soft_404``); ``None`` for a usable page;
* ``classify_redirect(chain, target, max_redirects=10) -> status | None`` — loops and long chains;
* ``is_offsite(start_url, url) -> bool`` — a redirect leaves the site's registrable domain;
* ``tls_flags(certificate) -> list[str]`` — ``tls_expired`` / ``tls_self_signed`` for a site still checked;
* ``retry_after_seconds(response) -> float | None`` — the Retry-After header;
* ``TrapDetector`` — per-site cap on URL patterns (calendars, session ids, repeating paths);
* ``messages()`` / ``describe(status, scope)`` — labels and remediation texts (Thai + English).
"""
from __future__ import annotations

import datetime as dt
import errno
import functools
import logging
import re
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlsplit

import yaml

logger = logging.getLogger(__name__)

__all__ = [
    "SITE_STATUSES", "FLAGS", "DOCUMENT_STATUSES", "UNREADABLE",
    "classify_failure", "classify_exception", "classify_response", "classify_redirect",
    "is_offsite", "registrable_domain", "tls_flags", "retry_after_seconds",
    "is_challenge_page", "is_soft_404", "TrapDetector", "url_shape", "has_session_id",
    "messages", "describe",
]

MESSAGES_PATH = Path(__file__).resolve().parent.parent / "config" / "messages" / "faults.yaml"
SCHEMA_PATH = MESSAGES_PATH.parent.parent / "schema" / "faults.json"

SITE_STATUSES = (
    "ok", "dns_error", "connection_refused", "connection_reset", "timeout", "tls_error",
    "blocked", "server_error", "not_found", "soft_404", "redirect_loop", "too_many_redirects",
    "redirect_offsite", "private_address_refused", "robots_disallowed", "too_large",
    "js_never_settles", "no_url", "down",
)
FLAGS = ("tls_expired", "tls_self_signed", "robots_5xx", "trap_suspected", "budget_exhausted",
         "js_rendered", "retry_after", "moved_domain")
DOCUMENT_STATUSES = ("ok", "ocr", "no_text", "encrypted", "malformed", "timeout", "too_large",
                     "unsupported", "fetch_error")
#: Statuses under which a site's content could not be read: its items are `unknown`, never `fail`.
#: (redirect_offsite is read: the check engine's identity check decides whether it is hijacked.)
UNREADABLE = frozenset(s for s in SITE_STATUSES if s not in ("ok", "redirect_offsite"))

MAX_REDIRECTS = 10
BLOCKED_CODES = frozenset({401, 403, 429, 451})
NOT_FOUND_CODES = frozenset({404, 410})
_SNIFF_BYTES = 65536
_SOFT_404_MAX_TEXT = 3000


# --------------------------------------------------------------------------- messages

@functools.lru_cache(maxsize=1)
def messages() -> dict:
    """The parsed, schema-checked config/messages/faults.yaml (site, flags, documents, detection)."""
    from checks.catalog import validate

    with MESSAGES_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    validate(data, SCHEMA_PATH.name, MESSAGES_PATH)   # config/schema/faults.json; InputError naming the field
    return data


def describe(status: str, scope: str = "site") -> dict:
    """{'label': {'en','th'}, 'remediation': {'en','th'}, ...} for a status in a scope.

    ``scope`` is ``site``, ``flags`` or ``documents``. Unknown statuses fall back to ``down``
    (site) so that a report never shows an empty cell.
    """
    table = messages()[scope]
    if status in table:
        return table[status]
    if scope == "site":
        return table["down"]
    raise KeyError(f"no message for {scope} status {status!r} in {MESSAGES_PATH.name}")


@functools.lru_cache(maxsize=1)
def _soft_404_re() -> re.Pattern:
    phrases = messages()["detection"]["soft_404"]
    return re.compile("|".join(re.escape(p.lower()) for p in phrases))


@functools.lru_cache(maxsize=1)
def _challenge_markers() -> tuple[bytes, ...]:
    return tuple(m.encode("utf-8") for m in messages()["detection"]["challenge"])


# --------------------------------------------------------------------------- failures

def _chain(exc: BaseException) -> Iterable[BaseException]:
    """The exception, its causes/contexts and, for Twisted ResponseFailed, its reasons."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend([e.__cause__, e.__context__])
        for reason in getattr(e, "reasons", None) or []:  # twisted ResponseFailed
            todo.append(getattr(reason, "value", reason))
        sub = getattr(e, "subFailure", None)  # twisted FirstError
        if sub is not None:
            todo.append(getattr(sub, "value", sub))


def _names(e: BaseException) -> set[str]:
    return {c.__name__ for c in type(e).__mro__}


def _classify_one(e: BaseException) -> str | None:
    names = _names(e)
    msg = str(e)
    if "RefusedTarget" in names:
        return "private_address_refused"
    if "HttpError" in names and getattr(e, "response", None) is not None:
        return classify_response(e.response) or "down"
    if "IgnoreRequest" in names:
        low = msg.lower()
        if "robots.txt" in low:
            return "robots_disallowed"
        if "max redirections" in low:
            return "too_many_redirects"
        if "download_maxsize" in low or "max size" in low:
            return "too_large"
        return None
    if "DownloadCancelledError" in names and "max size" in msg:
        return "too_large"
    if "TimeoutError" in names and type(e).__module__.startswith("playwright"):
        return "js_never_settles"  # a rendered page that never reached the awaited load state
    if names & {"DownloadTimeoutError", "TimeoutError", "TCPTimedOutError", "UserTimeoutError"}:
        return "timeout"
    if names & {"CannotResolveHostError", "DNSLookupError", "NoResolverError", "gaierror"}:
        return "dns_error"
    if names & {"DownloadConnectionRefusedError", "ConnectionRefusedError"}:
        return "connection_refused"
    if "TunnelError" in names:
        return "dns_error" if "dns" in msg.lower() else "connection_refused"
    if names & {"SSLError", "CertificateError"} or type(e).__module__.startswith("OpenSSL"):
        return "tls_error"
    if "ResponseNeverReceived" in names:
        return "connection_refused"
    if names & {"ResponseFailed", "ResponseDataLossError", "_DataLoss", "ConnectionLost",
                "ConnectionDone", "ConnectionAborted", "ConnectionResetError", "PotentialDataLoss",
                "DownloadFailedError", "BrokenPipeError"}:
        return "connection_reset"
    if isinstance(e, OSError) and e.errno is not None:
        if e.errno == errno.ECONNREFUSED:
            return "connection_refused"
        if e.errno in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
            return "connection_reset"
        if e.errno == errno.ETIMEDOUT:
            return "timeout"
    if "ConnectError" in names:
        return "connection_refused"
    return None


_PRIORITY = ("private_address_refused", "robots_disallowed", "too_many_redirects", "too_large",
             "blocked", "server_error", "not_found", "soft_404", "js_never_settles", "timeout", "dns_error", "tls_error",
             "connection_refused", "connection_reset")


def classify_exception(exc: BaseException) -> str:
    """Named status for an exception, looking through its whole chain of causes.

    The most specific status found anywhere in the chain wins (a DownloadFailedError wrapping
    ResponseNeverReceived wrapping ConnectionLost is ``connection_refused``: nothing came back).
    """
    found = {s for s in (_classify_one(e) for e in _chain(exc)) if s}
    for status in _PRIORITY:
        if status in found:
            return status
    return next(iter(found), "down")


def classify_failure(failure: Any) -> str:
    """Named status for an errback failure (twisted Failure) or a bare exception."""
    exc = getattr(failure, "value", failure)
    if not isinstance(exc, BaseException):
        return "down"
    return classify_exception(exc)


# --------------------------------------------------------------------------- responses

def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except Exception:  # noqa: BLE001 - any odd header container
        return None
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    return value


def _is_html(response: Any) -> bool:
    ctype = (_header(response, "Content-Type") or "").lower()
    return not ctype or "html" in ctype or "xml" in ctype


def is_challenge_page(body: bytes) -> bool:
    """A WAF/CDN bot-protection interstitial instead of the site's content."""
    head = body[:_SNIFF_BYTES]
    return any(m in head for m in _challenge_markers())


def is_soft_404(title: str, text: str) -> bool:
    """An HTTP 200 page whose title, or the start of a short body, says "not found"."""
    if title and _soft_404_re().search(title.lower()):
        return True
    text = text or ""
    return len(text) <= _SOFT_404_MAX_TEXT and bool(_soft_404_re().search(text[:400].lower()))


def _title_and_text(response: Any) -> tuple[str, str]:
    try:
        title = " ".join(response.xpath("//title//text()").getall()).strip()
        heading = " ".join(response.xpath("(//h1)[1]//text()").getall()).strip()
        text = " ".join(t.strip() for t in response.xpath(
            "//body//text()[not(ancestor::script) and not(ancestor::style)]").getall() if t.strip())
    except Exception:  # noqa: BLE001 - not a text response, undecodable body
        return "", ""
    return f"{title} {heading}".strip(), text


_PROXY_ERRORS = {"dns_error", "connection_refused", "connection_reset", "timeout", "tls_error"}


def classify_response(response: Any) -> str | None:
    """Named fault status for an HTTP answer, or None when the page can be read.

    403/401/429/451 and WAF challenge pages are ``blocked`` (never non-compliance), 5xx is
    ``server_error``, 404/410 ``not_found``, a 200 page saying "not found" ``soft_404``.
    A proxy's own error (header ``X-Proxy-Error``) is passed through as the status it names.
    """
    status = int(getattr(response, "status", 0) or 0)
    proxy_error = (_header(response, "X-Proxy-Error") or "").strip().lower()
    if proxy_error:
        return proxy_error if proxy_error in _PROXY_ERRORS else "down"
    body = getattr(response, "body", b"") or b""
    if status in BLOCKED_CODES:
        return "blocked"
    if status >= 500:
        return "blocked" if is_challenge_page(body) else "server_error"
    if status in NOT_FOUND_CODES:
        return "not_found"
    if 400 <= status < 500:
        return "not_found"
    if 200 <= status < 300 and _is_html(response) and body:
        if is_challenge_page(body):
            return "blocked"
        title, text = _title_and_text(response)
        if is_soft_404(title, text):
            return "soft_404"
    return None


def retry_after_seconds(response: Any, now: dt.datetime | None = None) -> float | None:
    """Seconds the server asked us to wait (Retry-After: delta-seconds or HTTP date), or None."""
    raw = _header(response, "Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


# --------------------------------------------------------------------------- redirects

def _norm(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


def classify_redirect(chain: list[str], target: str, max_redirects: int = MAX_REDIRECTS) -> str | None:
    """Status when following ``target`` after the redirect ``chain`` (URLs already requested).

    ``redirect_loop`` when ``target`` was already visited in this chain, ``too_many_redirects``
    when the chain already holds ``max_redirects`` hops. Use with
    ``request.meta.get("redirect_urls", [])`` plus the request URL.
    """
    seen = {_norm(u) for u in chain}
    if _norm(target) in seen:
        return "redirect_loop"
    if len(chain) > max_redirects:
        return "too_many_redirects"
    return None


# Second-level labels under which registrations happen (go.th, co.th, ...).
_SECOND_LEVEL = {"go", "co", "or", "ac", "in", "mi", "net", "com", "org", "gov", "edu", "ne"}


def registrable_domain(host: str) -> str:
    """example.go.th for www.example.go.th; example.com for a.b.example.com; IPs unchanged."""
    host = (host or "").lower().rstrip(".")
    labels = host.split(".")
    if len(labels) <= 2 or host.replace(".", "").isdigit() or ":" in host:
        return host
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_offsite(start_url: str, url: str) -> bool:
    """True when ``url`` lies outside the registrable domain of ``start_url``."""
    a = urlsplit(start_url).hostname or ""
    b = urlsplit(url).hostname or ""
    return registrable_domain(a) != registrable_domain(b)


# --------------------------------------------------------------------------- TLS

def _load_certificate(cert: Any):
    from cryptography import x509

    if cert is None:
        return None
    if isinstance(cert, x509.Certificate):
        return cert
    if hasattr(cert, "original"):  # twisted.internet.ssl.Certificate -> pyOpenSSL X509
        cert = cert.original
    if hasattr(cert, "to_cryptography"):
        return cert.to_cryptography()
    if isinstance(cert, (bytes, bytearray)):
        data = bytes(cert)
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    return None


def tls_flags(certificate: Any, now: dt.datetime | None = None) -> list[str]:
    """['tls_expired'] / ['tls_self_signed'] for the server certificate of a response.

    Pass ``response.certificate`` (Twisted ``Certificate``), a ``cryptography`` certificate
    or PEM/DER bytes. The crawler does not verify certificates (so such a site is still
    checked); this only reports what a browser would warn about.
    """
    try:
        cert = _load_certificate(certificate)
    except Exception:  # noqa: BLE001 - unparseable certificate
        logger.debug("unparseable server certificate", exc_info=True)
        return []
    if cert is None:
        return []
    flags = []
    now = now or dt.datetime.now(dt.timezone.utc)
    if cert.not_valid_after_utc < now or cert.not_valid_before_utc > now:
        flags.append("tls_expired")
    if cert.issuer == cert.subject:
        try:
            cert.verify_directly_issued_by(cert)
            flags.append("tls_self_signed")
        except Exception:  # noqa: BLE001 - issuer name equal but a different key signed it
            pass
    return flags


# --------------------------------------------------------------------------- traps

_SESSION_KEYS = re.compile(r"^(phpsessid|jsessionid|sid|sessionid|session_id|sess|s|aspsessionid\w*|cfid|cftoken|zenid|osCsid)$", re.I)
_SESSION_VALUE = re.compile(r"^[0-9a-f]{16,}$|^[0-9A-Za-z_-]{24,}$")
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.I)
_DIGITS = re.compile(r"\d+")


def url_shape(url: str) -> str:
    """A URL with its numbers, session ids and query values abstracted away.

    ``/calendar?year=2567&month=3`` and ``/calendar?month=4&year=2568`` have the same shape.
    """
    parts = urlsplit(url)
    path = _DIGITS.sub("N", _PATH_SESSION.sub("", parts.path))
    keys = sorted({k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{(parts.hostname or '').lower()}{path}?{'&'.join(keys)}"


def has_session_id(url: str) -> bool:
    parts = urlsplit(url)
    if _PATH_SESSION.search(parts.path):
        return True
    return any(_SESSION_KEYS.match(k) and _SESSION_VALUE.match(v)
               for k, v in parse_qsl(parts.query, keep_blank_values=True))


def _repeating_path(path: str, max_repeats: int) -> bool:
    segs = [s for s in path.split("/") if s]
    counts = Counter(segs)
    return bool(counts) and max(counts.values()) > max_repeats


class TrapDetector:
    """Per-site guard against infinite URL spaces (calendars, session ids, repeating folders).

    ``admit(url)`` returns False for a URL that should not be followed; once anything was
    refused, ``suspected`` is True and the site gets the ``trap_suspected`` flag. One detector
    per site; it holds only counters.
    """

    def __init__(self, max_per_shape: int = 30, max_segment_repeats: int = 3, max_query_len: int = 512):
        self.max_per_shape = max_per_shape
        self.max_segment_repeats = max_segment_repeats
        self.max_query_len = max_query_len
        self.shapes: Counter[str] = Counter()
        self.refused = 0
        self.reasons: Counter[str] = Counter()

    @property
    def suspected(self) -> bool:
        return self.refused > 0

    def _refuse(self, reason: str) -> bool:
        self.refused += 1
        self.reasons[reason] += 1
        return False

    def admit(self, url: str) -> bool:
        parts = urlsplit(url)
        if has_session_id(url):
            return self._refuse("session_id")
        if _repeating_path(parts.path, self.max_segment_repeats):
            return self._refuse("repeating_path")
        if len(parts.query) > self.max_query_len:
            return self._refuse("long_query")
        shape = url_shape(url)
        self.shapes[shape] += 1
        if self.shapes[shape] > self.max_per_shape:
            return self._refuse("pattern_repeats")
        return True
