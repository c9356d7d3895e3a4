"""TLS for the fake: one throw-away certificate per process, and a resolver for the bot.

The bot's aiohttp connector resolves Discord's hosts to the fake's port and refuses every
other host; its SSL context trusts this certificate (made with `cryptography`).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import tempfile
from pathlib import Path

from aiohttp.abc import AbstractResolver, ResolveResult

from bot.sandbox.fake.wire import HOSTS

_CERT_CACHE: tuple[str, str, bytes] | None = None


def make_certificate() -> tuple[str, str, bytes]:
    """Return (cert_path, key_path, cert_pem) of a self-signed cert for Discord's hosts."""
    global _CERT_CACHE
    if _CERT_CACHE is not None and all(os.path.exists(p) for p in _CERT_CACHE[:2]):
        return _CERT_CACHE
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rankfile fake discord")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in sorted(HOSTS)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = tempfile.mkdtemp(prefix="rankfile-fake-tls-")
    cert_path = os.path.join(tmp, "cert.pem")
    key_path = os.path.join(tmp, "key.pem")
    Path(cert_path).write_bytes(cert_pem)
    Path(key_path).write_bytes(key_pem)
    os.chmod(key_path, 0o600)
    _CERT_CACHE = (cert_path, key_path, cert_pem)
    return _CERT_CACHE


class FakeResolver(AbstractResolver):
    """Resolves Discord's hosts to the fake's port; refuses everything else."""

    def __init__(self, port: int) -> None:
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in HOSTS:
            # A bot must never reach the real internet from a test or the sandbox.
            raise OSError(f"fake Discord refuses to resolve {host!r}")
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self._port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None
