"""HTTPS targets: the connection goes to the checked address and the certificate is verified
for the URL's host (a receiver with a certificate nobody trusts is a failed attempt; one whose
CA is trusted gets the signed event)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from backend.db import db
from backend.webhooks.models import WebhookDelivery
from tests.webhooks.conftest import Receiver


def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA): (cert, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fieldops test receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture()
def tls_receiver(tmp_path, receiver):  # ``receiver``: loopback allowed, quick timeouts
    cert, key = _certificate(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    r = Receiver(tls=ctx)
    r.start()
    yield r, cert
    r.stop()


def _subscribe(api, admin, r: Receiver) -> None:
    res = api(
        "post", "/api/v1/webhooks", admin, json={"url": r.url, "event_types": ["ticket.created"]}
    )
    assert res.status_code == 201, res.json
    r.secret = res.json["secret"]


def _ticket(api, admin) -> None:
    res = api(
        "post",
        "/api/v1/tickets",
        admin,
        json={
            "title": "TLS",
            "priority": "P3",
            "location": {"type": "Point", "coordinates": [13.4, 52.5]},
        },
    )
    assert res.status_code == 201


def test_an_untrusted_certificate_fails_the_attempt(api, admin, tls_receiver, run_jobs):
    r, _cert = tls_receiver
    _subscribe(api, admin, r)
    _ticket(api, admin)
    run_jobs()
    (delivery,) = db.session.scalars(select(WebhookDelivery))
    assert delivery.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert r.received == []


def test_a_trusted_certificate_for_the_checked_address_gets_the_event(
    api, admin, tls_receiver, run_jobs, monkeypatch
):
    r, cert = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # OpenSSL's default trust: our CA only
    _subscribe(api, admin, r)
    _ticket(api, admin)
    run_jobs()
    (delivery,) = db.session.scalars(select(WebhookDelivery))
    assert delivery.status == "succeeded", delivery.last_error
    (got,) = r.received
    assert got["verified"] and got["payload"]["type"] == "ticket.created"
