"""Private-address refusal: every spelling of a non-public target is refused."""
from __future__ import annotations

import pytest

from crawler import netguard
from crawler.netguard import RefusedTarget, check_target, parse_host_ip

PRIVATE = [
    "http://127.0.0.1/", "http://127.8.9.10:8080/x", "http://0.0.0.0/", "http://10.0.0.1/",
    "http://172.16.0.1/", "http://172.31.255.254/", "http://192.168.1.1/admin",
    "http://169.254.169.254/latest/meta-data/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://[::1]/", "http://[::]/", "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/",
    # integer / hex / octal / short forms of 127.0.0.1 and friends
    "http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/",
    "http://0x0a.0x0.0x0.0x1/", "http://3232235777/",
    # loopback names
    "http://localhost/", "http://LOCALHOST./", "http://app.localhost/",
]
PUBLIC = ["http://8.8.8.8/", "https://1.1.1.1:8443/x", "http://[2001:4860:4860::8888]/",
          "https://fault-hang.sim.test/", "http://example.invalid/"]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_targets_are_refused(url):
    with pytest.raises(RefusedTarget) as info:
        check_target(url, allow_private=False)
    assert info.value.status == "private_address_refused"
    assert info.value.url == url


@pytest.mark.parametrize("url", PRIVATE)
def test_allow_private_lets_them_through(url):
    assert check_target(url, allow_private=True) is None


@pytest.mark.parametrize("url", PUBLIC)
def test_public_targets_pass(url):
    assert check_target(url, allow_private=False) is None


def test_host_names_resolving_to_private_addresses_are_refused(monkeypatch):
    monkeypatch.setattr(netguard, "_lookup", lambda host: ("10.1.2.3",) if host == "intranet.example.com" else ("8.8.8.8",))
    netguard._cache.clear()
    with pytest.raises(RefusedTarget):
        check_target("http://intranet.example.com/")
    check_target("http://public.example.com/")
    # without resolution (requests through a forward proxy) the name alone is not judged
    netguard._cache.clear()
    check_target("http://intranet.example.com/", resolve=False)


def test_unresolvable_names_are_left_to_the_download(monkeypatch):
    def fail(host):
        raise OSError("no such host")

    monkeypatch.setattr(netguard, "_lookup", fail)
    netguard._cache.clear()
    assert check_target("http://gone.example.com/") is None


def test_unparseable_url_is_refused():
    with pytest.raises(RefusedTarget):
        check_target("http://[::1/")
    with pytest.raises(RefusedTarget):
        check_target("not a url")


def test_parse_host_ip_spellings():
    assert str(parse_host_ip("0x7f.1")) == "127.0.0.1"
    assert str(parse_host_ip("2130706433")) == "127.0.0.1"
    assert str(parse_host_ip("0177.0.0.01")) == "127.0.0.1"
    assert parse_host_ip("example.go.th") is None
    assert parse_host_ip("1.2.3.4.5") is None
    assert parse_host_ip("256.1.1.1") is None
