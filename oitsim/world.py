"""The World interface of the simulated LAO web.

A *World* is anything that answers HTTP requests for a set of virtual hosts.
The server (``oitsim/server.py``) and the fault catalog code against this module only:

* ``SimResponse`` — status, headers and body bytes of one answer;
* ``HostProfile`` — per-host latency, bandwidth and connection-level fault;
* ``World`` — the protocol (``has_host``, ``respond``, ``profile``);
* ``MultiWorld`` — dispatches by host over several worlds (first one that has the host and does
  not answer 404 wins; the Google hosts of ``oitsim/google.py`` are in every generated world).

Generated worlds (``oitsim.generator.mukdahan_world`` / ``oitsim.national.national_world``)
also expose ``labels()`` (ground truth) and ``hosts()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol, runtime_checkable
from urllib.parse import urlsplit

__all__ = [
    "SimResponse",
    "HostProfile",
    "World",
    "MultiWorld",
    "host_of",
    "not_found",
    "FAULTS",
]

#: Connection-level faults the server knows how to apply.
FAULTS = (
    "hang",
    "drip",
    "reset",
    "refuse",
    "tls_expired",
    "tls_self_signed",
    "dns_error",
)


@dataclass
class SimResponse:
    """One HTTP answer: status code, header list (order kept) and body bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """First header value named ``name`` (case-insensitive), or None."""
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None


@dataclass
class HostProfile:
    """How the server treats connections to one host."""

    latency_ms: int = 0  # added before the first response byte
    bandwidth_kbps: int = 0  # 0 = unlimited; otherwise the body is paced
    fault: str | None = None  # one of FAULTS, applied by the server


@runtime_checkable
class World(Protocol):
    """Anything with these three methods can be served."""

    def has_host(self, host: str) -> bool: ...

    def respond(self, method: str, url: str, headers: dict[str, str]) -> SimResponse: ...

    def profile(self, host: str) -> HostProfile: ...


def host_of(url: str) -> str:
    """Lower-case host name of an absolute URL, without port."""
    return (urlsplit(url).hostname or "").lower()


def request_header(headers: dict[str, str] | None, name: str) -> str | None:
    """A request header by name (case-insensitive), or None."""
    low = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == low:
            return value
    return None


def not_found(body: bytes = b"<html><body><h1>404 Not Found</h1></body></html>") -> SimResponse:
    """A plain 404 answer."""
    return SimResponse(404, [("Content-Type", "text/html; charset=utf-8")], body)


class MultiWorld:
    """Dispatch requests by host over several worlds; the first world that has the host answers."""

    def __init__(self, worlds: Iterable[World]):
        self.worlds = list(worlds)

    def _owner(self, host: str) -> World | None:
        host = host.lower().split(":")[0]
        for world in self.worlds:
            if world.has_host(host):
                return world
        return None

    def has_host(self, host: str) -> bool:
        return self._owner(host) is not None

    def respond(self, method: str, url: str, headers: dict[str, str]) -> SimResponse:
        # A host several worlds serve (the Google hosts every generated world has) is answered
        # by the first world that knows the path: a 404 lets the next world try.
        host = host_of(url)
        resp = None
        for world in self.worlds:
            if world.has_host(host):
                resp = world.respond(method, url, headers)
                if resp.status != 404:
                    return resp
        return resp if resp is not None else not_found()

    def profile(self, host: str) -> HostProfile:
        world = self._owner(host)
        if world is None:
            return HostProfile(fault="dns_error")
        return world.profile(host)

    def labels(self) -> list[dict]:
        """Concatenated ground-truth labels of the member worlds that have them."""
        rows: list[dict] = []
        for world in self.worlds:
            fn = getattr(world, "labels", None)
            if fn is not None:
                rows.extend(fn())
        return rows


# Convenience re-exports (lazy, to avoid an import cycle: the generator imports this module).
_LAZY = {
    "mukdahan_world": ("oitsim.generator", "mukdahan_world"),
    "national_world": ("oitsim.national", "national_world"),
    "national_registry_rows": ("oitsim.national", "national_registry_rows"),
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
