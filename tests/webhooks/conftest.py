"""Real loopback HTTP(S) servers that record what reaches them, and endpoint helpers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apps.webhooks import ssrf
from apps.webhooks.models import Event
from apps.webhooks.services import webhook_endpoint_create


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A listener on a loopback address; `answer` decides the response."""

    host: str
    port: int
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    server_names: list[str | None] = field(default_factory=list)  # SNI seen (https)

    def url(self, path: str = "/hook", *, scheme: str = "http", host: str | None = None) -> str:
        return f"{scheme}://{host or self.host}:{self.port}{path}"


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _record_and_answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            server.requests.append(
                Received(self.command, self.path, dict(self.headers), self.rfile.read(length))
            )
            self.send_response(server.status)
            for name, value in server.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(server.body)))
            self.end_headers()
            self.wfile.write(server.body)

        do_POST = do_GET = _record_and_answer

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start servers on demand: serve(host="127.0.0.1", port=0, tls=None)."""
    running: list[ThreadingHTTPServer] = []

    def start(host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None):
        record = Server(host=host, port=0)
        httpd = ThreadingHTTPServer((host, port), _handler(record))
        httpd.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: record.server_names.append(name)  # type: ignore[assignment]
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        record.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        running.append(httpd)
        return record

    yield start
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def receiver(serve) -> Server:
    return serve()


@pytest.fixture
def canary(serve) -> Server:
    """A listener that must never be reached."""
    return serve()


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings


class FakeDns:
    """Names -> successive answers (the last one repeats); other names resolve normally."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: dict[str, int] = {}

    def set(self, name: str, *answers: list[str]) -> None:
        """No answers: the lookup fails; an empty answer: no addresses."""
        self.answers[name] = list(answers)

    def lookup(self, host: str, port: int) -> list[tuple]:
        n = self.calls[host] = self.calls.get(host, 0) + 1
        sequence = self.answers[host]
        if not sequence:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        result: list[tuple] = []
        for address in sequence[min(n, len(sequence)) - 1]:
            if ipaddress.ip_address(address).version == 4:
                result.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            else:
                result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
        return result


@pytest.fixture
def fake_dns(monkeypatch) -> FakeDns:
    """Patches the resolver (process-wide, for this test) for the names it is given."""
    dns = FakeDns()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in dns.answers:
            return dns.lookup(host, port)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    return dns


@pytest.fixture
def make_endpoint(owner, project):
    def make(url: str, *, events=None, project=project, actor=owner, description=""):
        return webhook_endpoint_create(
            actor=actor,
            project=project,
            url=url,
            events=events or list(Event.values),
            description=description,
        )

    return make


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed(directory: Path, *names: str) -> Certificate:
    """A self-signed certificate (its own CA) for DNS names and IP addresses."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{names[0]}.pem", directory / f"{names[0]}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)
