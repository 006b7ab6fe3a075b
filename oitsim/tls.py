"""Certificates of the simulated web: its own CA, and a leaf per virtual host.

The CA (``ca.pem`` / ``ca-key.pem``) is generated once with ``cryptography`` and kept in
``ca_dir`` so that a browser or a client told to trust it keeps trusting it across runs.
Leaf certificates are made on demand, one per host, and kept in memory as ready-to-use
``ssl.SSLContext`` objects (LRU-bounded). All keys are EC P-256: generating and signing
them costs well under a millisecond, so a national crawl over thousands of hosts stays cheap.

Three kinds of leaf exist, matching the server's TLS faults:

* ``good`` — signed by the sim CA, valid now (``tls_expired``/``tls_self_signed`` absent);
* ``expired`` — signed by the sim CA, but ``notAfter`` lies in the past;
* ``self_signed`` — issued by itself with its own key; no CA vouches for it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CertificateAuthority", "LEAF_KINDS"]

LEAF_KINDS = ("good", "expired", "self_signed")
CA_NAME = "OIT Watch Simulated Web CA"
_ORG = "OIT Watch simulated web"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
        ]
    )


def _san(host: str) -> x509.SubjectAlternativeName:
    """A SAN naming the host; an IP literal gets an IP entry instead of a DNS one."""
    try:
        return x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))])
    except ValueError:
        return x509.SubjectAlternativeName([x509.DNSName(host)])


def _make_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A fresh CA: valid from yesterday for ten years, allowed to sign leaves only."""
    key = _new_key()
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(CA_NAME))
        .issuer_name(_name(CA_NAME))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf_builder(host: str, public_key, not_before: dt.datetime, not_after: dt.datetime):
    return (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(_san(host), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


class CertificateAuthority:
    """The sim's CA plus an in-memory cache of per-host server ``SSLContext`` objects.

    ``ca_dir`` holds ``ca.pem`` (give it to clients as the trust anchor) and ``ca-key.pem``;
    both are created when missing and reused when present. Thread-safe.
    """

    def __init__(self, ca_dir: str | os.PathLike | None = None, cache_size: int = 1024):
        self.temporary = not ca_dir  # a temp dir we made; the server removes it when it stops
        self.ca_dir = Path(ca_dir) if ca_dir else Path(tempfile.mkdtemp(prefix="oitsim-ca-"))
        self.ca_dir.mkdir(parents=True, exist_ok=True)
        self.cert_path = self.ca_dir / "ca.pem"
        self.key_path = self.ca_dir / "ca-key.pem"
        self._key, self._cert = self._load_or_create()
        self._aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key())
        self._leaf_key = _new_key()  # one key for every CA-signed leaf: signing is the only per-host cost
        self._leaf_key_pem = _key_pem(self._leaf_key)
        self._contexts: OrderedDict[tuple[str, str], ssl.SSLContext] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _load_or_create(self):
        if self.cert_path.exists() and self.key_path.exists():
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
            if cert.not_valid_after_utc > _now() + dt.timedelta(days=30):
                return key, cert
        key, cert = _make_ca()
        tmp = self.key_path.with_suffix(".tmp")
        tmp.write_bytes(_key_pem(key))
        os.chmod(tmp, 0o600)
        tmp.replace(self.key_path)
        tmp = self.cert_path.with_suffix(".tmp")
        tmp.write_bytes(_cert_pem(cert))
        tmp.replace(self.cert_path)
        return key, cert

    @property
    def certificate(self) -> x509.Certificate:
        """The CA certificate."""
        return self._cert

    def leaf_pem(self, host: str, kind: str = "good") -> tuple[bytes, bytes]:
        """(certificate chain PEM, private key PEM) of a new leaf of ``kind`` for ``host``."""
        now = _now()
        if kind == "self_signed":
            key = _new_key()
            builder = _leaf_builder(host, key.public_key(), now - dt.timedelta(days=1),
                                    now + dt.timedelta(days=365)).issuer_name(_name(host))
            return _cert_pem(builder.sign(key, hashes.SHA256())), _key_pem(key)
        if kind == "expired":
            window = (now - dt.timedelta(days=400), now - dt.timedelta(days=30))
        elif kind == "good":
            window = (now - dt.timedelta(days=1), now + dt.timedelta(days=365))
        else:
            raise ValueError(f"unknown leaf kind {kind!r}; expected one of {LEAF_KINDS}")
        builder = (
            _leaf_builder(host, self._leaf_key.public_key(), *window)
            .issuer_name(self._cert.subject)
            .add_extension(self._aki, critical=False)
        )
        chain = _cert_pem(builder.sign(self._key, hashes.SHA256())) + _cert_pem(self._cert)
        return chain, self._leaf_key_pem

    def server_context(self, host: str, kind: str = "good") -> ssl.SSLContext:
        """A server-side ``SSLContext`` presenting a ``kind`` leaf for ``host`` (cached)."""
        cache_key = (host.lower(), kind)
        with self._lock:
            ctx = self._contexts.get(cache_key)
            if ctx is not None:
                self._contexts.move_to_end(cache_key)
                return ctx
        ctx = self._build_context(*self.leaf_pem(host.lower(), kind))
        with self._lock:
            self._contexts[cache_key] = ctx
            while len(self._contexts) > self._cache_size:
                self._contexts.popitem(last=False)
        return ctx

    def _build_context(self, chain_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
        """Python's ssl loads server certificates from files only: write, load, delete."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_alpn_protocols(["http/1.1"])
        fd, path = tempfile.mkstemp(prefix="leaf-", suffix=".pem", dir=self.ca_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(chain_pem + key_pem)
            ctx.load_cert_chain(path)
        finally:
            os.unlink(path)
        return ctx
