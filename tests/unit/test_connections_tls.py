"""TLS with a CA file: the engine probe trusts a node whose certificate our own
CA signed, and refuses it without that CA. Certificates are made in the test."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from search.engine import ElasticsearchEngine, EngineUnavailable, OpenSearchEngine, detect_distribution
from search.engine_options import EngineOptions
from tests.fixtures.engine_root import EngineRoot


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate for 127.0.0.1 it signed: (ca.pem, node.pem, node.key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, node_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Coverwatch test CA")).issuer_name(_name("Coverwatch test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    node = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(node_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = (folder / "ca.pem", folder / "node.pem", folder / "node.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(node.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(node_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    return paths


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that refuses our certificate drops the handshake: expected here."""


@pytest.fixture()
def tls_node(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca_file, certificate, key = _certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server = _QuietServer(("127.0.0.1", 0), EngineRoot)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", ca_file
    server.shutdown()
    server.server_close()


def test_a_node_signed_by_the_configured_ca_is_trusted(tls_node: tuple[str, Path]) -> None:
    url, ca_file = tls_node
    options = EngineOptions(hosts=(url,), ca_file=ca_file)
    assert detect_distribution(url, timeout=5, options=options) == ("opensearch", "2.19.4")


def test_without_the_ca_the_node_is_refused(tls_node: tuple[str, Path]) -> None:
    url, _ = tls_node
    with pytest.raises(EngineUnavailable, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        detect_distribution(url, timeout=5, options=EngineOptions(hosts=(url,)))
    # Switching verification off is possible, and explicit.
    unverified = EngineOptions(hosts=(url,), verify_certs=False)
    assert detect_distribution(url, timeout=5, options=unverified)[0] == "opensearch"


@pytest.mark.parametrize("engine_class", [OpenSearchEngine, ElasticsearchEngine])
def test_each_official_client_speaks_tls_with_the_ca_and_credentials(
        tls_node: tuple[str, Path], engine_class: type[OpenSearchEngine] | type[ElasticsearchEngine]) -> None:
    url, ca_file = tls_node
    options = EngineOptions(hosts=(url,), ca_file=ca_file, basic_auth=("coverwatch", "s3cret"), max_retries=0)
    engine = engine_class(url, "test", options)
    try:
        assert engine.request("GET", "/")["version"]["number"] == "2.19.4"
    finally:
        engine.close()
    assert EngineRoot.authorizations[-1] == options.headers()["Authorization"]
