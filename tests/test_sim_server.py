"""The simulated web's server: proxy modes, TLS from the sim CA, pacing and connection faults.

Most tests use a tiny World defined here, so they do not depend on the site generator; one test
uses the shared ``sim_proxy`` fixture (the Mukdahan world) and skips while that is not built.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import socket
import ssl
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509

from oitsim.server import SimServer
from oitsim.tls import CertificateAuthority
from oitsim.world import HostProfile, SimResponse

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GZ_BODY = b"<html><head><title>gzipped</title></head><body>compressed page</body></html>"
THAI_LOCATION = "/\u0e02\u0e48\u0e32\u0e27"  # an unencoded Thai path, as some LAO servers send
X509_V_ERR_CERT_HAS_EXPIRED = 10
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18


class TinyWorld:
    """A handful of hosts, one per behaviour under test."""

    PROFILES = {
        "ok.example.go.th": HostProfile(),
        "gz.example.go.th": HostProfile(),
        "slow.example.go.th": HostProfile(latency_ms=300),
        "narrow.example.go.th": HostProfile(bandwidth_kbps=80),  # 10,000 bytes/s
        "nodns.example.go.th": HostProfile(fault="dns_error"),
        "refuse.example.go.th": HostProfile(fault="refuse"),
        "reset.example.go.th": HostProfile(fault="reset"),
        "hang.example.go.th": HostProfile(fault="hang"),
        "drip.example.go.th": HostProfile(fault="drip"),
        "expired.example.go.th": HostProfile(fault="tls_expired"),
        "selfsigned.example.go.th": HostProfile(fault="tls_self_signed"),
    }

    def has_host(self, host):
        return host in self.PROFILES

    def profile(self, host):
        return self.PROFILES[host]

    def respond(self, method, url, headers):
        if url.startswith(("http://gz.", "https://gz.")):
            return SimResponse(200, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                               gzip.compress(GZ_BODY))
        if url.endswith("/thai-redirect"):
            return SimResponse(302, [("Location", THAI_LOCATION)], b"")
        if url.endswith("/not-modified"):
            return SimResponse(304, [("ETag", '"v1"')], b"")
        ua = headers.get("user-agent", "")
        body = (f"<html><head><title>{url}</title></head><body><p>ua={ua}</p>"
                + "x" * 5000 + "</body></html>").encode()
        return SimResponse(200, [("Content-Type", "text/html; charset=utf-8")], body)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    server = SimServer(TinyWorld(), ca_dir=tmp_path_factory.mktemp("ca"), hang_cap_s=1.0, drip_cap_s=3.0)
    server.start_in_thread()
    yield server
    server.stop()


# --------------------------------------------------------------------------- raw HTTP helpers

def _read_head(sock: socket.socket) -> tuple[int, dict, bytes]:
    """Status, lower-case headers and any body bytes already read."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the head ended: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, rest


def _read_response(sock, method="GET") -> tuple[int, dict, bytes]:
    status, headers, body = _read_head(sock)
    length = 0 if method == "HEAD" else int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def _request(sock, method, target, host, extra=""):
    sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
    return _read_response(sock, method)


def _connect(server, timeout=5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def _tunnel(server, host, ctx: ssl.SSLContext) -> ssl.SSLSocket:
    sock = _connect(server)
    sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
    status, _, _ = _read_head(sock)
    assert status == 200
    return ctx.wrap_socket(sock, server_hostname=host)


def _unverified() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# --------------------------------------------------------------------------- HTTP behaviour

def test_absolute_form_request_is_answered_from_the_world(tiny):
    with _connect(tiny) as sock:
        status, headers, body = _request(sock, "GET", "http://ok.example.go.th/a?b=1", "ok.example.go.th")
    assert status == 200
    assert int(headers["content-length"]) == len(body)
    assert b"<title>http://ok.example.go.th/a?b=1</title>" in body


def test_origin_form_request_uses_the_host_header(tiny):
    with _connect(tiny) as sock:
        status, _, body = _request(sock, "GET", "/page", f"ok.example.go.th:{tiny.port}")
    assert status == 200
    assert b"<title>http://ok.example.go.th/page</title>" in body


def test_keep_alive_serves_several_requests_on_one_connection(tiny):
    before = tiny.stats["connections"]
    with _connect(tiny) as sock:
        answers = [_request(sock, "GET", f"http://ok.example.go.th/{n}", "ok.example.go.th") for n in range(3)]
    assert [a[0] for a in answers] == [200, 200, 200]
    assert tiny.stats["connections"] == before + 1


def test_request_bodies_are_consumed_so_keep_alive_survives(tiny):
    with _connect(tiny) as sock:
        sock.sendall(b"POST http://ok.example.go.th/form HTTP/1.1\r\nHost: ok.example.go.th\r\n"
                     b"Content-Length: 5\r\n\r\nabcde")
        first = _read_response(sock)
        sock.sendall(b"POST http://ok.example.go.th/form HTTP/1.1\r\nHost: ok.example.go.th\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        second = _read_response(sock)
        third, _, _ = _request(sock, "GET", "http://ok.example.go.th/after", "ok.example.go.th")
    assert (first[0], second[0], third) == (200, 200, 200)


def test_request_headers_reach_the_world_case_insensitively(tiny):
    with _connect(tiny) as sock:
        _, _, body = _request(sock, "GET", "http://ok.example.go.th/", "ok.example.go.th",
                              "user-agent: probe/1.0\r\n")
    assert b"ua=probe/1.0" in body


def test_head_has_the_get_length_and_no_body(tiny):
    with _connect(tiny) as sock:
        _, get_headers, get_body = _request(sock, "GET", "http://ok.example.go.th/h", "ok.example.go.th")
        status, head_headers, head_body = _request(sock, "HEAD", "http://ok.example.go.th/h", "ok.example.go.th")
        # the connection is still usable, so HEAD sent no stray body bytes
        follow_up, _, _ = _request(sock, "GET", "http://ok.example.go.th/h", "ok.example.go.th")
    assert status == 200 and head_body == b""
    assert head_headers["content-length"] == get_headers["content-length"] == str(len(get_body))
    assert follow_up == 200


def test_not_modified_has_no_body_and_keeps_the_connection(tiny):
    with _connect(tiny) as sock:
        status, headers, body = _request(sock, "GET", "http://ok.example.go.th/not-modified", "ok.example.go.th")
        follow_up, _, _ = _request(sock, "GET", "http://ok.example.go.th/", "ok.example.go.th")
    assert (status, body, headers["etag"]) == (304, b"", '"v1"')
    assert follow_up == 200


def test_gzip_bodies_pass_through_untouched(tiny):
    with _connect(tiny) as sock:
        status, headers, body = _request(sock, "GET", "http://gz.example.go.th/", "gz.example.go.th")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == GZ_BODY


def test_thai_header_values_go_out_as_utf8(tiny):
    with _connect(tiny) as sock:
        sock.sendall(b"GET http://ok.example.go.th/thai-redirect HTTP/1.1\r\nHost: ok.example.go.th\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
    assert b"\r\nLocation: " + THAI_LOCATION.encode("utf-8") + b"\r\n" in data
    assert data.startswith(b"HTTP/1.1 302 ")


def test_unknown_host_is_a_squid_like_dns_error(tiny):
    with _connect(tiny) as sock:
        status, headers, _ = _request(sock, "GET", "http://nowhere.example.go.th/", "nowhere.example.go.th")
    assert status == 502 and headers["x-proxy-error"] == "dns_error"
    with _connect(tiny) as sock:
        sock.sendall(b"CONNECT nodns.example.go.th:443 HTTP/1.1\r\nHost: nodns.example.go.th:443\r\n\r\n")
        status, headers, _ = _read_head(sock)
    assert status == 502 and headers["x-proxy-error"] == "dns_error"


def test_malformed_request_line_gets_400(tiny):
    with _connect(tiny) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        status, headers, _ = _read_head(sock)
    assert status == 400 and headers["x-proxy-error"] == "bad_request"


# --------------------------------------------------------------------------- TLS

def test_tunnel_leaf_verifies_against_the_sim_ca(tiny):
    ctx = ssl.create_default_context(cafile=tiny.ca_path)
    with _tunnel(tiny, "ok.example.go.th", ctx) as tls:
        cert = tls.getpeercert()
        status, _, body = _request(tls, "GET", "/secure", "ok.example.go.th")
    assert ("DNS", "ok.example.go.th") in cert["subjectAltName"]
    assert status == 200
    assert b"<title>https://ok.example.go.th/secure</title>" in body


def test_expired_leaf_is_ca_signed_but_expired(tiny):
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        _tunnel(tiny, "expired.example.go.th", ssl.create_default_context(cafile=tiny.ca_path))
    assert info.value.verify_code == X509_V_ERR_CERT_HAS_EXPIRED
    with _tunnel(tiny, "expired.example.go.th", _unverified()) as tls:
        leaf = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    assert leaf.not_valid_after_utc < dt.datetime.now(dt.timezone.utc)
    assert leaf.issuer == tiny.ca.certificate.subject


def test_self_signed_leaf_is_not_from_the_ca(tiny):
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        _tunnel(tiny, "selfsigned.example.go.th", ssl.create_default_context(cafile=tiny.ca_path))
    assert info.value.verify_code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    with _tunnel(tiny, "selfsigned.example.go.th", _unverified()) as tls:
        leaf = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
        status, _, _ = _request(tls, "GET", "/", "selfsigned.example.go.th")
    assert leaf.issuer == leaf.subject != tiny.ca.certificate.subject
    assert status == 200  # the site is still served, only its certificate is bad


def test_ca_is_kept_on_disk_and_reused(tmp_path):
    first = CertificateAuthority(tmp_path)
    second = CertificateAuthority(tmp_path)
    assert first.certificate == second.certificate
    assert Path(second.cert_path).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


# --------------------------------------------------------------------------- pacing

def test_host_latency_delays_the_answer(tiny):
    with _connect(tiny) as sock:
        start = time.monotonic()
        status, _, _ = _request(sock, "GET", "http://slow.example.go.th/", "slow.example.go.th")
        elapsed = time.monotonic() - start
    assert status == 200 and elapsed >= 0.25


def test_global_latency_overrides_every_host(tmp_path):
    with SimServer(TinyWorld(), ca_dir=tmp_path, latency_ms=200) as server, _connect(server) as sock:
        start = time.monotonic()
        status, _, _ = _request(sock, "GET", "http://ok.example.go.th/", "ok.example.go.th")
        elapsed = time.monotonic() - start
    assert status == 200 and elapsed >= 0.15


def test_bandwidth_paces_the_body(tiny):
    with _connect(tiny) as sock:
        start = time.monotonic()
        status, _, body = _request(sock, "GET", "http://narrow.example.go.th/", "narrow.example.go.th")
        elapsed = time.monotonic() - start
    assert status == 200 and len(body) > 5000
    assert elapsed >= 0.8 * len(body) / 10_000


# --------------------------------------------------------------------------- connection faults

def test_refuse_closes_before_any_byte(tiny):
    got = b""
    with _connect(tiny) as sock:
        sock.sendall(b"GET http://refuse.example.go.th/ HTTP/1.1\r\nHost: refuse.example.go.th\r\n\r\n")
        try:
            got = sock.recv(1024)
        except ConnectionResetError:
            pass
    assert got == b""
    with _connect(tiny) as sock:
        sock.sendall(b"CONNECT refuse.example.go.th:443 HTTP/1.1\r\nHost: refuse.example.go.th:443\r\n\r\n")
        status, headers, _ = _read_head(sock)
    assert status == 503 and headers["x-proxy-error"] == "connection_refused"


def test_reset_sends_part_of_the_body_then_rst(tiny):
    with _connect(tiny) as sock:
        sock.sendall(b"GET http://reset.example.go.th/ HTTP/1.1\r\nHost: reset.example.go.th\r\n\r\n")
        status, headers, body = _read_head(sock)
        with pytest.raises(ConnectionResetError):
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break  # a clean close would fail the pytest.raises above
                body += chunk
    assert status == 200
    assert 0 < len(body) < int(headers["content-length"])


def test_hang_never_answers_does_not_block_other_hosts_and_is_capped(tiny):
    hung = _connect(tiny, timeout=10)
    hung.sendall(b"GET http://hang.example.go.th/ HTTP/1.1\r\nHost: hang.example.go.th\r\n\r\n")
    with _connect(tiny) as sock:
        status, _, _ = _request(sock, "GET", "http://ok.example.go.th/", "ok.example.go.th")
    assert status == 200
    try:  # hang_cap_s is 1 s in this module: the server gives up and closes without a byte
        assert hung.recv(1024) == b""
    except ConnectionResetError:
        pass
    finally:
        hung.close()


def test_drip_sends_about_one_byte_per_second(tiny):
    with _connect(tiny, timeout=5) as sock:
        sock.sendall(b"GET http://drip.example.go.th/ HTTP/1.1\r\nHost: drip.example.go.th\r\n\r\n")
        first = sock.recv(1024)
        start = time.monotonic()
        received = b""
        while time.monotonic() - start < 1.5:
            sock.settimeout(max(0.05, 1.5 - (time.monotonic() - start)))
            try:
                chunk = sock.recv(1024)
            except (TimeoutError, socket.timeout):
                break
            if not chunk:
                break
            received += chunk
    assert first == b"H"
    assert len(received) <= 3


# --------------------------------------------------------------------------- real clients

SPIDER = r'''
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess

proxy, urls = sys.argv[1], sys.argv[2:]

class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        for url in urls:
            meta = {"proxy": proxy, "handle_httpstatus_all": True}
            if "hang" in url:
                meta["download_timeout"] = 0.5  # shorter than the server's hang cap
            yield scrapy.Request(url, meta=meta, errback=self.failed, dont_filter=True)

    def parse(self, response):
        print(json.dumps({"url": response.url, "status": response.status,
                          "title": response.css("title::text").get(),
                          "proxy_error": response.headers.get("X-Proxy-Error", b"").decode()}), flush=True)

    def failed(self, failure):
        print(json.dumps({"url": failure.request.url, "error": failure.type.__name__,
                          "message": str(failure.value)[:300]}), flush=True)

process = CrawlerProcess(settings={
    "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
    "RETRY_ENABLED": False, "DOWNLOAD_TIMEOUT": 2, "HTTPPROXY_ENABLED": True, "ROBOTSTXT_OBEY": False,
})
process.crawl(Probe)
process.start()
'''


def test_scrapy_through_the_proxy(tiny, tmp_path, run_command):
    script = tmp_path / "probe.py"
    script.write_text(SPIDER, encoding="utf-8")
    urls = ["http://ok.example.go.th/plain", "https://ok.example.go.th/tls", "https://gz.example.go.th/",
            "http://nodns.example.go.th/", "https://nodns.example.go.th/", "https://refuse.example.go.th/",
            "http://refuse.example.go.th/", "https://reset.example.go.th/", "http://hang.example.go.th/"]
    result = run_command([sys.executable, str(script), tiny.url, *urls], timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = {row["url"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert seen["http://ok.example.go.th/plain"]["title"] == "http://ok.example.go.th/plain"
    assert seen["https://ok.example.go.th/tls"]["title"] == "https://ok.example.go.th/tls"
    assert seen["https://gz.example.go.th/"]["title"] == "gzipped"  # decompressed by Scrapy
    assert (seen["http://nodns.example.go.th/"]["status"], seen["http://nodns.example.go.th/"]["proxy_error"]) \
        == (502, "dns_error")
    assert seen["https://nodns.example.go.th/"]["error"] == "TunnelError"
    assert "dns_error" in seen["https://nodns.example.go.th/"]["message"]
    assert seen["https://refuse.example.go.th/"]["error"] == "TunnelError"
    assert "connection_refused" in seen["https://refuse.example.go.th/"]["message"]
    assert "ConnectionLost" in seen["http://refuse.example.go.th/"]["message"]
    assert seen["https://reset.example.go.th/"]["error"] == "ResponseDataLossError"
    assert seen["http://hang.example.go.th/"]["error"] == "DownloadTimeoutError"


@pytest.mark.browser
def test_chromium_through_the_proxy(tiny):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     proxy={"server": tiny.url})
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            titles = []
            for url in ("http://ok.example.go.th/browser", "https://ok.example.go.th/browser"):
                response = page.goto(url, timeout=20_000)
                titles.append((response.status, page.title()))
        finally:
            browser.close()
    assert titles == [(200, "http://ok.example.go.th/browser"), (200, "https://ok.example.go.th/browser")]


def test_simulated_mukdahan_sites_are_served(sim_proxy):
    owner = sim_proxy.world.worlds[0]
    hosts = [h for h in owner.hosts() if not owner.profile(h).fault][:3]
    assert hosts, "the Mukdahan world serves no healthy host"
    for host in hosts:
        with socket.create_connection(("127.0.0.1", sim_proxy.server.port), timeout=10) as sock:
            status, headers, _ = _request(sock, "GET", f"http://{host}/", host)
        assert "x-proxy-error" not in headers
        assert status < 500


# --------------------------------------------------------------------------- the `oit sim` command

def _healthy_hosts(world, n):
    return [h for h in world.hosts() if not world.profile(h).fault][:n]


def test_oit_sim_serve_announces_the_proxy_and_stops_cleanly(sim_proxy, tmp_path):
    import os
    import queue
    import signal
    import subprocess
    import threading
    import urllib.request

    host = _healthy_hosts(sim_proxy.world.worlds[0], 1)[0]
    env = dict(os.environ, OIT_DATA_DIR=str(tmp_path), PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen(
        [sys.executable, "-m", "oitwatch.cli", "sim", "serve", "--set", "mukdahan", "--port", "0",
         "--ca-dir", str(tmp_path / "ca")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        announced = dict(lines.get(timeout=30).strip().split(": ", 1) for _ in range(2))
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"https": announced["proxy"]}),
            urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=announced["ca"])))
        with opener.open(f"https://{host}/", timeout=30) as answer:
            status = answer.status
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert announced["ca"] == str(tmp_path / "ca" / "ca.pem")
    assert status == 200
    assert proc.returncode == 0


def _oit(*argv) -> int:
    """Run the `oit` CLI in this process (the pure sub-actions need no subprocess)."""
    from oitwatch.cli import main

    return main([str(a) for a in argv])


def test_oit_sim_labels_writes_every_label(sim_proxy, tmp_path):
    import csv

    out = tmp_path / "labels.csv"
    assert _oit("sim", "labels", "--set", "mukdahan", "--out", out) == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(sim_proxy.world.worlds[0].labels()) > 0


def test_oit_sim_registry_writes_the_national_rows(tmp_path, capsys):
    import csv

    out = tmp_path / "laos.csv"
    code = _oit("sim", "registry", "--set", "national", "--count", "12", "--out", out)
    if code == 2 and "not available" in capsys.readouterr().err:
        pytest.skip("the simulated national set is not built yet")
    assert code == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12
    assert {"lao_id", "url"} <= set(rows[0])


@pytest.mark.parametrize("argv, named", [
    (["sim", "serve", "--set", "mukdahan", "--port", "70000"], "--port"),
    (["sim", "registry", "--set", "mukdahan", "--out", "{tmp}/x.csv"], "--set"),
    (["sim", "labels", "--set", "mukdahan", "--as-of", "30/04/2565", "--out", "{tmp}/x.csv"], "--as-of"),
])
def test_oit_sim_bad_input_exits_2_naming_the_argument(argv, named, tmp_path, capsys):
    assert _oit(*(a.format(tmp=tmp_path) for a in argv)) == 2
    assert named in capsys.readouterr().err
