"""crawler.faults: failures, responses, redirects, certificates and URL traps map to named
statuses, and every status has Thai and English labels and remediation text."""
from __future__ import annotations

import datetime as dt

import pytest
from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadFailedError, DownloadTimeoutError, IgnoreRequest)
from scrapy.http import HtmlResponse, Response
from twisted.internet import error as txerror
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler import faults
from crawler.netguard import RefusedTarget
from oitsim.faults import FAULT_KINDS


def _wrapped(outer_cls, inner: BaseException) -> BaseException:
    """outer_cls raised `from` inner, as Scrapy's download handlers do."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer_cls(str(exc)) from exc
    except BaseException as exc:
        return exc


def _lost():
    return Failure(txerror.ConnectionLost("gone"))


FAILURES = [
    (txerror.DNSLookupError("no such host"), "dns_error"),
    (CannotResolveHostError("x"), "dns_error"),
    (txerror.ConnectionRefusedError(), "connection_refused"),
    (DownloadConnectionRefusedError("x"), "connection_refused"),
    (_wrapped(DownloadFailedError, ResponseNeverReceived([_lost()])), "connection_refused"),
    (_wrapped(DownloadFailedError, ResponseFailed([_lost()])), "connection_reset"),
    (txerror.ConnectionLost(), "connection_reset"),
    (ConnectionResetError(104, "reset"), "connection_reset"),
    (txerror.TimeoutError(), "timeout"),
    (DownloadTimeoutError("Getting x took longer than 8 seconds."), "timeout"),
    (txerror.TCPTimedOutError(), "timeout"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots_disallowed"),
    (IgnoreRequest("max redirections reached"), "too_many_redirects"),
    (IgnoreRequest("Ignored response: exceeded DOWNLOAD_MAXSIZE (5000000 B) during decompression."), "too_large"),
    (DownloadCancelledError("Received 6000000 bytes which is larger than download max size (5000000)"), "too_large"),
    (RefusedTarget("http://10.0.0.1/", "private"), "private_address_refused"),
    (RuntimeError("something odd"), "down"),
]


@pytest.mark.parametrize("exc, status", FAILURES, ids=[f"{type(e).__name__}-{s}" for e, s in FAILURES])
def test_failures_are_named(exc, status):
    assert faults.classify_failure(Failure(exc)) == status
    assert faults.classify_failure(exc) == status


def test_playwright_timeout_is_js_never_settles():
    from playwright._impl._errors import TimeoutError as PlaywrightTimeout

    assert faults.classify_failure(Failure(PlaywrightTimeout("Timeout 5000ms exceeded."))) == "js_never_settles"


def test_http_error_failures_use_the_response():
    from scrapy.spidermiddlewares.httperror import HttpError

    resp = HtmlResponse("http://a.sim.test/", status=403, body=b"<html></html>")
    assert faults.classify_failure(Failure(HttpError(resp, "Ignoring non-200 response"))) == "blocked"


def _html(status: int, body: str, headers: dict | None = None) -> HtmlResponse:
    return HtmlResponse("http://a.sim.test/", status=status, body=body.encode("utf-8"),
                        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})})


RESPONSES = [
    (_html(200, "<html><head><title>Home</title></head><body><p>hello</p></body></html>"), None),
    (_html(403, "<h1>Forbidden</h1>"), "blocked"),
    (_html(429, "slow down", {"Retry-After": "30"}), "blocked"),
    (_html(401, "login"), "blocked"),
    (_html(500, "oops"), "server_error"),
    (_html(502, "bad gateway"), "server_error"),
    (_html(503, "<title>Just a moment...</title><div id='challenge-platform'></div>"), "blocked"),
    (_html(503, "maintenance"), "server_error"),
    (_html(404, "nope"), "not_found"),
    (_html(410, "gone"), "not_found"),
    (_html(200, "<html><head><title>Just a moment...</title></head><body>cf_chl_opt</body></html>"), "blocked"),
    (_html(200, "<html><head><title>404 Not Found</title></head><body>x</body></html>"), "soft_404"),
    (_html(200, "<html><head><title>Welcome</title></head><body><h1>Page not found</h1></body></html>"), "soft_404"),
    (_html(502, "", {"X-Proxy-Error": "dns_error"}), "dns_error"),
    (Response("http://a.sim.test/x.pdf", status=200, body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}), None),
]


@pytest.mark.parametrize("response, status", RESPONSES, ids=[f"{r.status}-{s}-{i}" for i, (r, s) in enumerate(RESPONSES)])
def test_responses_are_named(response, status):
    assert faults.classify_response(response) == status


def test_thai_soft_404_phrases_come_from_config():
    phrase = next(p for p in faults.messages()["detection"]["soft_404"] if not p.isascii())
    resp = _html(200, f"<html><head><title>x</title></head><body><p>{phrase}</p></body></html>")
    assert faults.classify_response(resp) == "soft_404"


def test_long_page_mentioning_not_found_is_not_a_soft_404():
    body = "<html><head><title>News</title></head><body><p>" + "ข่าว " * 2000 + " page not found</p></body></html>"
    assert faults.classify_response(_html(200, body)) is None


def test_retry_after_forms():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert faults.retry_after_seconds(_html(429, "", {"Retry-After": "7"})) == 7.0
    dated = _html(503, "", {"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"})
    assert faults.retry_after_seconds(dated, now=now) == 30.0
    assert faults.retry_after_seconds(_html(429, "", {"Retry-After": "soon"})) is None
    assert faults.retry_after_seconds(_html(429, "")) is None


def test_redirects():
    chain = ["http://a.sim.test/", "http://a.sim.test/a", "http://a.sim.test/b"]
    assert faults.classify_redirect(chain, "http://a.sim.test/a") == "redirect_loop"
    assert faults.classify_redirect(chain, "http://A.sim.test:80/a") == "redirect_loop"
    assert faults.classify_redirect(chain, "http://a.sim.test/c") is None
    long_chain = [f"http://a.sim.test/hop/{i}" for i in range(11)]
    assert faults.classify_redirect(long_chain, "http://a.sim.test/hop/99") == "too_many_redirects"
    assert faults.classify_redirect(long_chain[:10], "http://a.sim.test/hop/99") is None


def test_offsite():
    assert not faults.is_offsite("http://bpn.go.th/", "https://www.bpn.go.th/index.php")
    assert faults.is_offsite("http://bpn.go.th/", "http://casino.example.com/")
    assert faults.is_offsite("http://bpn.go.th/", "http://other.go.th/")
    assert not faults.is_offsite("http://a.b.example.com/", "http://example.com/")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    from oitsim.tls import CertificateAuthority

    return CertificateAuthority(tmp_path_factory.mktemp("ca"))


@pytest.mark.parametrize("kind, flags", [("good", []), ("expired", ["tls_expired"]), ("self_signed", ["tls_self_signed"])])
def test_tls_flags(ca, kind, flags):
    chain, _key = ca.leaf_pem("fault.sim.test", kind)
    leaf = chain.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    assert faults.tls_flags(leaf) == flags


def test_tls_flags_accept_twisted_certificates_and_nothing(ca):
    from twisted.internet.ssl import Certificate

    chain, _ = ca.leaf_pem("fault.sim.test", "expired")
    assert faults.tls_flags(Certificate.loadPEM(chain)) == ["tls_expired"]
    assert faults.tls_flags(None) == []
    assert faults.tls_flags(b"not a certificate") == []


def test_calendar_trap_is_capped_per_pattern():
    trap = faults.TrapDetector(max_per_shape=10)
    admitted = [trap.admit(f"http://a.sim.test/calendar?year={2500 + i // 12}&month={i % 12 + 1}") for i in range(50)]
    assert sum(admitted) == 10
    assert trap.suspected and trap.reasons["pattern_repeats"] == 40
    assert trap.admit("http://a.sim.test/ita")  # other URLs still pass


@pytest.mark.parametrize("url", [
    "http://a.sim.test/index.php?PHPSESSID=0123456789abcdef0123456789abcdef",
    "http://a.sim.test/page;jsessionid=ABCDEF0123456789",
    "http://a.sim.test/a/b/a/b/a/b/a/b/",
    "http://a.sim.test/?" + "x=1&" * 300,
])
def test_session_ids_and_repeating_paths_are_refused(url):
    trap = faults.TrapDetector()
    assert not trap.admit(url)
    assert trap.suspected


def test_ordinary_urls_are_admitted():
    trap = faults.TrapDetector()
    urls = ["http://a.sim.test/", "http://a.sim.test/ita", "http://a.sim.test/news?id=5",
            "http://a.sim.test/Pages/ita_year_detail/12", "http://a.sim.test/?s=abc"]
    assert all(trap.admit(u) for u in urls)
    assert not trap.suspected


def test_every_status_has_thai_and_english_label_and_remediation():
    msgs = faults.messages()
    for scope, names in (("site", faults.SITE_STATUSES), ("flags", faults.FLAGS),
                         ("documents", faults.DOCUMENT_STATUSES)):
        assert set(names) <= set(msgs[scope]), f"{scope}: missing {set(names) - set(msgs[scope])}"
        for name in names:
            entry = faults.describe(name, scope)
            for part in ("label", "remediation"):
                assert entry[part]["en"].strip() and entry[part]["th"].strip(), f"{scope}.{name}.{part}"
                assert any("\u0e00" <= ch <= "\u0e7f" for ch in entry[part]["th"]), f"{scope}.{name}.{part}.th"


def test_unreadable_statuses_are_unknown_never_fail():
    for name in faults.UNREADABLE:
        assert faults.describe(name, "site")["outcome"] == "unknown"


def test_every_fault_kind_expects_a_known_status_flag_and_document_status():
    assert len(FAULT_KINDS) >= 25
    assert len({k.host for k in FAULT_KINDS}) == len(FAULT_KINDS)
    for kind in FAULT_KINDS:
        assert kind.status in faults.SITE_STATUSES
        assert set(kind.flags) <= set(faults.FLAGS)
        assert set(kind.documents.values()) <= set(faults.DOCUMENT_STATUSES)
        assert set(kind.pages.values()) <= set(faults.SITE_STATUSES)


def test_fault_messages_file_is_checked_against_its_schema(tmp_path, monkeypatch):
    import yaml

    from oitwatch.errors import InputError

    broken = faults.messages() | {"site": {"ok": {"label": {"en": "only English"}}}}
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(faults, "MESSAGES_PATH", path)
    faults.messages.cache_clear()
    try:
        with pytest.raises(InputError, match="faults.yaml: site/ok"):
            faults.messages()
    finally:
        monkeypatch.undo()
        faults.messages.cache_clear()
    assert faults.messages()["site"]["ok"]["label"]["th"]
