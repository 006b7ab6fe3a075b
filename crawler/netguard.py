"""Refuse crawl targets that point into private, loopback or otherwise non-public networks.

A registry row, a link or a redirect on a hostile site can point the crawler at
``http://127.0.0.1/``, ``http://169.254.169.254/`` (cloud metadata), a router at
``http://192.168.1.1/`` or the same thing spelled ``http://2130706433/`` or
``http://0x7f.1/``. ``check_target`` refuses all of them unless private targets were
explicitly allowed (``oit crawl --allow-private``). It is called for start URLs and for
every redirect hop.

Host names are resolved (cached, bounded in time) and every address they resolve to must
be public. A name that does not resolve is not refused here: the download itself then
fails and is classified as ``dns_error``. Names under the RFC 6761 special-use domains
``.test``, ``.example`` and ``.invalid`` are never sent to DNS (they cannot exist on the
public internet); ``localhost`` and ``*.localhost`` are always loopback.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

__all__ = ["RefusedTarget", "check_target", "is_public_address", "parse_host_ip", "resolve_host"]

#: Seconds to wait for a name lookup before treating the name as unresolvable.
RESOLVE_TIMEOUT_S = 3.0
_CACHE_TTL_S = 300.0
_CACHE_MAX = 20_000
_NO_DNS_SUFFIXES = (".test", ".example", ".invalid")
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")

_cache: dict[str, tuple[float, tuple[str, ...]]] = {}
_cache_lock = threading.Lock()
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="netguard-dns")


class RefusedTarget(Exception):
    """The URL points at a non-public address and private targets are not allowed."""

    status = "private_address_refused"

    def __init__(self, url: str, reason: str):
        super().__init__(f"refused {url!r}: {reason}")
        self.url = url
        self.reason = reason


def _parse_ipv4_part(part: str) -> int | None:
    """One dotted part in the forms browsers accept: decimal, 0x-hex or 0-octal."""
    if not part:
        return None
    p = part.lower()
    try:
        if p.startswith("0x"):
            return int(p[2:], 16) if len(p) > 2 else 0
        if len(p) > 1 and p.startswith("0"):
            return int(p[1:], 8)
        if p.isascii() and p.isdigit():
            return int(p, 10)
    except ValueError:
        return None
    return None


def _parse_legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """WHATWG-style IPv4 parsing: '2130706433', '0x7f.1', '0177.0.0.1', '127.1' are all 127.0.0.1."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts = parts[:-1]  # trailing dot
    if not parts or len(parts) > 4:
        return None
    values = [_parse_ipv4_part(p) for p in parts]
    if any(v is None for v in values):
        return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for i, v in enumerate(head):
        number += v * 256 ** (3 - i)
    return ipaddress.IPv4Address(number)


def parse_host_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a URL host literally names (any IPv4 spelling, bracketed IPv6), else None."""
    h = host.strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if "%" in h:
        h = h.split("%", 1)[0]  # IPv6 zone id
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    if ":" in h:
        return None
    return _parse_legacy_ipv4(h)


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public_address(mapped)
        if ip.teredo is not None:
            return is_public_address(ip.teredo[1])
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified):
        return False
    return bool(ip.is_global)


def _lookup(host: str) -> tuple[str, ...]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return tuple(sorted({info[4][0] for info in infos}))


def resolve_host(host: str, timeout_s: float = RESOLVE_TIMEOUT_S) -> tuple[str, ...]:
    """Addresses a host name resolves to (cached); empty when it does not resolve in time."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(host)
        if hit and now - hit[0] < _CACHE_TTL_S:
            return hit[1]
    try:
        addrs = _pool.submit(_lookup, host).result(timeout=timeout_s)
    except (OSError, UnicodeError, FutureTimeout):
        addrs = ()
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[host] = (now, addrs)
    return addrs


def check_target(url: str, allow_private: bool = False, *, resolve: bool = True) -> None:
    """Raise RefusedTarget when ``url`` points at a non-public address.

    Literal IPs in any spelling are checked directly; host names are resolved (unless
    ``resolve`` is False) and refused if any address they resolve to is not public.
    With ``allow_private`` everything is allowed (the simulated web and local tests).
    """
    if allow_private:
        return
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError as exc:
        raise RefusedTarget(url, f"unparseable URL ({exc})") from None
    if not host:
        raise RefusedTarget(url, "no host")
    host = host.rstrip(".").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        raise RefusedTarget(url, f"{host} is a loopback name")
    ip = parse_host_ip(host)
    if ip is not None:
        if not is_public_address(ip):
            raise RefusedTarget(url, f"{ip} is not a public address")
        return
    if not resolve or host.endswith(_NO_DNS_SUFFIXES):
        return
    for addr in resolve_host(host):
        try:
            resolved = ipaddress.ip_address(addr.split("%", 1)[0])
        except ValueError:
            continue
        if not is_public_address(resolved):
            raise RefusedTarget(url, f"{host} resolves to {resolved}, not a public address")
