"""The simulated web's server: one asyncio HTTP/1.1 forward proxy on 127.0.0.1 for many virtual hosts.

Clients reach simulated LAO sites under their real host names in three ways:

* **proxy, plain HTTP** — absolute-form requests (``GET http://host/path HTTP/1.1``);
* **proxy, HTTPS** — ``CONNECT host:443``; the server answers ``200`` and terminates TLS with a
  per-host leaf certificate signed by the sim's own CA (``oitsim/tls.py``), then reads plain
  HTTP/1.1 requests inside the tunnel;
* **virtual hosts** — origin-form requests (``GET /path``) addressed by their ``Host`` header.

Every answer comes from ``world.respond``. Connections are kept alive; ``Content-Length`` is always
set by the server (bodies pass through untouched, so gzip bodies stay gzip). Per-host latency and
bandwidth come from ``world.profile(host)`` unless overridden for all hosts. Connection-level faults
(``HostProfile.fault``) are applied here:

==================  ====================================================================
``dns_error``       ``502`` with ``X-Proxy-Error: dns_error`` (a CONNECT is refused the same way);
                    unknown hosts get the same answer, as from squid
``refuse``          the connection is closed at once with a TCP RST, before any byte is sent;
                    a CONNECT is answered ``503`` with ``X-Proxy-Error: connection_refused``
``reset``           headers and part of the body are sent, then a TCP RST (``SO_LINGER 0``)
``hang``            the request is read and never answered; closed after ``hang_cap_s``
``drip``            the response is sent one byte per second; closed after ``drip_cap_s``
``tls_expired``     the HTTPS leaf is CA-signed but expired (plain HTTP is served normally)
``tls_self_signed`` the HTTPS leaf is self-signed, not from the CA (plain HTTP is served normally)
==================  ====================================================================

Over HTTPS the tunnel and TLS are set up first, so ``hang``/``drip``/``reset`` act on the first
request inside the tunnel. The server's own answers carry ``X-Proxy-Error`` (``dns_error``,
``connection_refused``, ``bad_request``, ``world_error``) and name it in the reason phrase, which
Scrapy repeats in a ``TunnelError``. Header values that are not latin-1 (Thai) go out as UTF-8.
``world.respond`` runs in the event-loop thread: a slow answer delays the others.

Use ``start_in_thread()`` / ``stop()`` from tests and benchmarks, ``serve_forever()`` from the CLI.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import shutil
import signal
import socket
import ssl
import struct
import threading
import time
from http import HTTPStatus
from urllib.parse import urlsplit

from oitsim.tls import CertificateAuthority

__all__ = ["SimServer", "PROXY_ERROR_HEADER"]

log = logging.getLogger(__name__)

PROXY_ERROR_HEADER = "X-Proxy-Error"
_MAX_HEAD = 64 * 1024
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate",
     "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)
_NO_BODY_STATUS = frozenset({204, 304})
_TLS_LEAF = {"tls_expired": "expired", "tls_self_signed": "self_signed"}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


_REASONS = {code: _reason(code) for code in range(100, 600)}
_CANONICAL: dict[str, str] = {}


def _canonical(name: str) -> str:
    """``user-agent`` -> ``User-Agent`` (memoised: clients repeat the same few names)."""
    canon = _CANONICAL.get(name)
    if canon is None:
        canon = "-".join(part.capitalize() for part in name.split("-"))
        if len(_CANONICAL) < 4096:
            _CANONICAL[name] = canon
    return canon


class Headers(dict):
    """Request headers as given to ``world.respond``: canonical-case keys, case-insensitive lookup."""

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, _canonical(key))

    def get(self, key: str, default=None):
        return dict.get(self, _canonical(key), default)

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and dict.__contains__(self, _canonical(key))


class _BadRequest(Exception):
    """The client sent something that is not HTTP/1.x."""


class _Request:
    __slots__ = ("method", "target", "version", "headers", "keep_alive")

    def __init__(self, method: str, target: str, version: str, headers: Headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        conn = (headers.get("Connection", "") + "," + headers.get("Proxy-Connection", "")).lower()
        if version == "HTTP/1.0":
            self.keep_alive = "keep-alive" in conn
        else:
            self.keep_alive = "close" not in conn


def _decode_head(head: bytes) -> str:
    """Clients percent-encode URLs; a raw UTF-8 request line is still read as UTF-8."""
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return head.decode("latin-1")


def _parse_head(head: bytes) -> _Request:
    lines = _decode_head(head).split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(lines[0][:200])
    headers = Headers()
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(line[:200])
        headers[_canonical(name.strip())] = value.strip()
    return _Request(parts[0].upper(), parts[1], parts[2], headers)


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    """``host:port`` (or ``[v6]:port``) -> (lower-case host, port)."""
    parsed = urlsplit("//" + authority)
    try:
        port = parsed.port or default_port
    except ValueError:
        port = default_port
    return (parsed.hostname or "").lower(), port


class _Conn:
    """State of one client connection: the tunnel it carries, if any."""

    __slots__ = ("reader", "writer", "tunnel_host", "tunnel_port")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.tunnel_host: str | None = None
        self.tunnel_port = 443


class _Closed(Exception):
    """The connection must end now (fault applied or client gone)."""


class SimServer:
    """Forward proxy and virtual-host server for a World (see module docstring).

    ``latency_ms`` / ``bandwidth_kbps``: when not None, they replace every host's profile values.
    ``ca_dir``: where the CA is kept and reused; None makes a temporary one, removed on stop.
    ``stats`` counts requests, CONNECTs, TLS handshakes, faults and answers by status;
    ``host_counts`` counts requests per host; ``log`` keeps the last ``log_size`` (method, url, status).
    ``world.respond`` runs in the event loop thread: a slow answer (a generated PDF) delays the
    others, which is the price of determinism without locks in the World.
    """

    def __init__(self, world, host: str = "127.0.0.1", port: int = 0, latency_ms: int | None = None,
                 bandwidth_kbps: int | None = None, ca_dir=None, *, hang_cap_s: float = 120.0,
                 drip_cap_s: float = 120.0, idle_timeout_s: float = 120.0, log_size: int = 10000):
        self.world = world
        self.host = host
        self.port = port
        self.latency_ms = latency_ms
        self.bandwidth_kbps = bandwidth_kbps
        self.hang_cap_s = hang_cap_s
        self.drip_cap_s = drip_cap_s
        self.idle_timeout_s = idle_timeout_s
        self.ca = CertificateAuthority(ca_dir)
        self.stats: collections.Counter = collections.Counter()
        self.host_counts: collections.Counter = collections.Counter()
        self.log: collections.deque = collections.deque(maxlen=log_size)
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopped: asyncio.Event | None = None

    # ---------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """The proxy URL, e.g. ``http://127.0.0.1:8899``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ca_path(self) -> str:
        """Path of the CA certificate (PEM) that signs the HTTPS leaves."""
        return str(self.ca.cert_path)

    async def start(self) -> None:
        """Bind and start accepting on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, backlog=1024, limit=_MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        """Stop accepting, drop open connections and end their handlers."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.sleep(0)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.ca.temporary:
            shutil.rmtree(self.ca.ca_dir, ignore_errors=True)

    def serve_forever(self, ready=None) -> None:
        """Serve in the calling thread until ``stop()``, SIGINT or SIGTERM.

        ``ready`` (optional) is called with the server once it is listening. In the main thread,
        SIGINT and SIGTERM stop the server cleanly (also when a shell started it in the background
        with SIGINT ignored).
        """
        async def main():
            await self.start()
            if threading.current_thread() is threading.main_thread():
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, self._stopped.set)
            if ready is not None:
                ready(self)
            try:
                await self._stopped.wait()
            finally:
                await self._close()

        asyncio.run(main())

    def start_in_thread(self) -> tuple[str, str]:
        """Start serving in a daemon thread; returns (proxy_url, ca_cert_path) once listening."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run():
            try:
                self.serve_forever(ready=lambda _server: started.set())
            except BaseException as exc:  # surfaced to the caller below
                failure.append(exc)
                started.set()

        self._thread = threading.Thread(target=run, name="oitsim-server", daemon=True)
        self._thread.start()
        started.wait(30)
        if failure:
            raise failure[0]
        return self.url, self.ca_path

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and drop every open connection (safe to call from any thread)."""
        loop, stopped = self._loop, self._stopped
        if loop is None or stopped is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(stopped.set)
        except RuntimeError:
            return  # loop already gone
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> "SimServer":
        self.start_in_thread()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- connections

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats["connections"] += 1
        self._writers.add(writer)
        conn = _Conn(reader, writer)
        try:
            while await self._serve_one(conn):
                pass
        except (_Closed, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError,
                asyncio.LimitOverrunError, OSError):
            pass
        except asyncio.CancelledError:
            writer.transport.abort()  # server stopping; ending quietly keeps asyncio from logging it
        except Exception:  # a bug here must not kill the server
            log.exception("oitsim: connection handler failed")
            self.stats["handler_errors"] += 1
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.transport.close()

    async def _serve_one(self, conn: _Conn) -> bool:
        """Read and answer one request; False when the connection should end."""
        async with asyncio.timeout(self.idle_timeout_s):
            try:
                head = await conn.reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return False  # client closed between requests
        try:
            req = _parse_head(head[:-4])
        except _BadRequest:
            await self._write_simple(conn, 400, "bad_request", keep_alive=False)
            return False
        async with asyncio.timeout(self.idle_timeout_s):
            await self._skip_body(conn.reader, req.headers)
        if req.method == "CONNECT":
            return await self._connect(conn, req)
        return await self._request(conn, req)

    async def _skip_body(self, reader: asyncio.StreamReader, headers: Headers) -> None:
        """Read and drop a request body (the World interface takes none)."""
        length = headers.get("Content-Length")
        if length and length.isdigit() and int(length) > 0:
            await reader.readexactly(int(length))
        elif "chunked" in headers.get("Transfer-Encoding", "").lower():
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")  # no trailers expected
                    return
                await reader.readexactly(size + 2)

    # ---------------------------------------------------------------- profiles

    def _profile(self, host: str):
        """(latency_s, bytes_per_s, fault) for host, with the global overrides applied."""
        profile = self.world.profile(host)
        latency = profile.latency_ms if self.latency_ms is None else self.latency_ms
        bandwidth = profile.bandwidth_kbps if self.bandwidth_kbps is None else self.bandwidth_kbps
        return (latency or 0) / 1000.0, (bandwidth or 0) * 125, profile.fault

    # ---------------------------------------------------------------- CONNECT

    async def _connect(self, conn: _Conn, req: _Request) -> bool:
        self.stats["connects"] += 1
        if conn.tunnel_host is not None:
            await self._write_simple(conn, 400, "connect_inside_tunnel", keep_alive=False)
            return False
        host, port = _split_authority(req.target, 443)
        if not host or not self.world.has_host(host):
            return await self._dns_error(conn, "CONNECT", req.target)
        latency, _, fault = self._profile(host)
        if fault == "dns_error":
            return await self._dns_error(conn, "CONNECT", req.target)
        if fault == "refuse":
            # Squid-like: a tunnel whose upstream refuses is answered 503. (A bare RST here would
            # leave Scrapy's CONNECT endpoint waiting until its download timeout.)
            self._count_fault(fault, "CONNECT", req.target)
            await self._write_simple(conn, 503, "connection_refused", keep_alive=False)
            return False
        if latency:
            await asyncio.sleep(latency)  # the TCP connect round trip
        conn.writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await conn.writer.drain()
        ctx = self.ca.server_context(host, _TLS_LEAF.get(fault, "good"))
        await conn.writer.start_tls(ctx, ssl_handshake_timeout=30)
        self.stats["tls_handshakes"] += 1
        conn.tunnel_host, conn.tunnel_port = host, port
        return True

    # ---------------------------------------------------------------- requests

    def _target_url(self, conn: _Conn, req: _Request) -> tuple[str, str]:
        """(absolute url, host) of a request in any of the three forms."""
        target = req.target
        if conn.tunnel_host is not None:
            netloc = conn.tunnel_host if conn.tunnel_port == 443 else f"{conn.tunnel_host}:{conn.tunnel_port}"
            if "://" in target:  # absolute-form inside a tunnel: keep only path and query
                parts = urlsplit(target)
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return f"https://{netloc}{target}", conn.tunnel_host
        if target.startswith(("http://", "https://")):
            return target, (urlsplit(target).hostname or "").lower()
        host_header = req.headers.get("Host", "")
        host, port = _split_authority(host_header, 80)
        netloc = host if port in (80, self.port) else f"{host}:{port}"
        if not target.startswith("/"):
            target = "/" + target
        return f"http://{netloc}{target}", host

    async def _request(self, conn: _Conn, req: _Request) -> bool:
        url, host = self._target_url(conn, req)
        self.stats["requests"] += 1
        self.host_counts[host] += 1
        if not host or not self.world.has_host(host):
            return await self._dns_error(conn, req.method, url)
        latency, rate, fault = self._profile(host)
        if fault == "dns_error" and conn.tunnel_host is None:
            return await self._dns_error(conn, req.method, url)
        if fault == "refuse":
            self._count_fault(fault, req.method, url)
            await self._rst(conn.writer)
            return False
        if fault == "hang":
            self._count_fault(fault, req.method, url)
            await self._hang(conn)
            return False
        if latency:
            await asyncio.sleep(latency)
        headers = Headers((k, v) for k, v in req.headers.items()
                          if k.lower() not in ("proxy-connection", "proxy-authorization"))
        try:
            resp = self.world.respond(req.method, url, headers)
        except Exception:
            log.exception("oitsim: world.respond failed for %s %s", req.method, url)
            self.stats["world_errors"] += 1
            await self._write_simple(conn, 500, "world_error", keep_alive=req.keep_alive)
            return req.keep_alive
        self.log.append((req.method, url, resp.status))
        self.stats[f"status_{resp.status}"] += 1
        head, body = self._encode(resp, req)
        if fault == "drip":
            self._count_fault(fault, req.method, url)
            await self._drip(conn.writer, head + body)
            return False
        if fault == "reset":
            self._count_fault(fault, req.method, url)
            conn.writer.write(head + body[: len(body) // 2])
            await self._rst(conn.writer, flush=True)
            return False
        if rate:
            await self._paced(conn.writer, head, body, rate)
        else:
            conn.writer.write(head + body if body else head)
            await conn.writer.drain()
        return req.keep_alive

    def _encode(self, resp, req: _Request) -> tuple[bytes, bytes]:
        """Serialise a SimResponse: our own Content-Length/Connection; no body for HEAD/204/304."""
        status = int(resp.status)
        body = resp.body or b""
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
        lines.extend(f"{k}: {v}" for k, v in resp.headers if k.lower() not in _HOP_BY_HOP)
        if status not in _NO_BODY_STATUS:
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: keep-alive" if req.keep_alive else "Connection: close")
        text = "\r\n".join(lines) + "\r\n\r\n"
        try:
            head = text.encode("latin-1")  # a World may pass raw header bytes decoded as latin-1
        except UnicodeEncodeError:
            head = text.encode("utf-8")  # Thai in a header (a Location or filename) goes out as UTF-8
        if req.method == "HEAD" or status in _NO_BODY_STATUS:
            body = b""
        return head, body

    # ---------------------------------------------------------------- answers and faults

    async def _write_simple(self, conn: _Conn, status: int, error: str, *, keep_alive: bool) -> None:
        body = f"{status} {_REASONS.get(status, '')}: {error}\n".encode()
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')} ({error})\r\n"
                f"{PROXY_ERROR_HEADER}: {error}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()
        conn.writer.write(head + body)
        await conn.writer.drain()

    async def _dns_error(self, conn: _Conn, method: str, target: str) -> bool:
        """Squid-like refusal for a host that does not resolve; the connection is closed."""
        self._count_fault("dns_error", method, target)
        await self._write_simple(conn, 502, "dns_error", keep_alive=False)
        return False

    def _count_fault(self, fault: str, method: str, target: str) -> None:
        self.stats[f"fault_{fault}"] += 1
        self.log.append((method, target, fault))

    async def _rst(self, writer: asyncio.StreamWriter, flush: bool = False) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), after flushing what was written."""
        if flush:
            await writer.drain()
            deadline = time.monotonic() + 2.0
            while writer.transport.get_write_buffer_size() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # let the client read the partial answer before the RST
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        writer.transport.abort()
        raise _Closed()

    async def _hang(self, conn: _Conn) -> None:
        """Never answer; return when the client closes or after ``hang_cap_s``."""
        try:
            async with asyncio.timeout(self.hang_cap_s):
                while await conn.reader.read(65536):
                    pass
        except TimeoutError:
            pass
        conn.writer.transport.abort()
        raise _Closed()

    async def _drip(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        """Send one byte per second until done, the client leaves, or ``drip_cap_s`` passes."""
        deadline = time.monotonic() + self.drip_cap_s
        for i in range(len(data)):
            if writer.transport.is_closing() or time.monotonic() > deadline:
                break
            writer.write(data[i:i + 1])
            await writer.drain()
            await asyncio.sleep(1.0)
        writer.transport.abort()
        raise _Closed()

    async def _paced(self, writer: asyncio.StreamWriter, head: bytes, body: bytes, rate: int) -> None:
        """Send the head, then the body at ``rate`` bytes/s in ~50 ms slices."""
        writer.write(head)
        chunk = max(512, rate // 20)
        start = time.monotonic()
        sent = 0
        while sent < len(body):
            piece = body[sent:sent + chunk]
            writer.write(piece)
            await writer.drain()
            sent += len(piece)
            wait = start + sent / rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        await writer.drain()
