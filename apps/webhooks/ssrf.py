"""The guard between a webhook URL and the network: only public addresses, pinned.

A webhook URL is typed by a project manager, and the server that sends to it
sits inside our network; without this guard the URL could make it POST to a
database admin page, a cloud metadata service (169.254.169.254) or anything
else only the server can reach (server-side request forgery).

Decisions:

* **Schemes and URL shape.** Only `http` and `https`; no `user:pass@` (authenticate
  receivers with the signature); ASCII only (write IDNs as `xn--`); any port
  1-65535, because what is reached is decided by the address, not the port.
* **Every address is checked.** The host is resolved with `socket.getaddrinfo`,
  the resolver the connection would use, so odd numeric spellings
  (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) are judged as what they
  really reach. If *any* address is not public (loopback, private RFC 1918 and
  ULA fc00::/7, link-local incl. metadata, CGNAT 100.64/10, unspecified,
  multicast, reserved, and IPv4 addresses mapped or embedded in IPv6) the URL
  is refused.
* **Pinning against DNS rebinding.** The connection goes to the addresses that
  were checked, never to a second resolution: `post_pinned` opens the TCP
  socket itself to the checked IP and keeps the original host name for the
  `Host` header and, over https, for SNI and certificate verification.
* **Redirects are not followed.** A 3xx answer is a failed attempt ("redirects
  are not followed"); the receiver must answer at the registered URL. Simpler
  than re-checking every `Location`, and nothing can be smuggled through one.
* **The allow-list.** `WEBHOOK_ALLOWED_HOSTS` admits an on-premise CMS:
  an IP or CIDR entry admits addresses inside it (whatever name led there);
  a host-name entry admits that exact name's non-public addresses, except
  unspecified, multicast and link-local ones (list a CIDR to admit those).

The check runs when an endpoint is created (a clear form error) and again
before every attempt, since DNS answers change.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SockAddr = tuple[str, int] | tuple[str, int, int, int]

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000
EXCERPT_READ_BYTES = 2048
_HOST_CHARACTERS = re.compile(r"[a-z0-9._:-]+")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
ALLOW_LIST_HINT = (
    "Webhooks are only sent to public addresses; an administrator can admit an "
    "on-premise host with the WEBHOOK_ALLOWED_HOSTS setting."
)


class UnsafeTarget(Exception):
    """The URL is malformed or reaches an address webhooks may not; `message` is for users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class WebhookUrl:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int
    request_target: str  # path and query, as sent in the request line


@dataclass(frozen=True)
class ResolvedTarget:
    url: WebhookUrl
    addresses: tuple[tuple[int, SockAddr], ...]  # (family, sockaddr), every one checked
    allow_listed: bool  # some address was admitted only by WEBHOOK_ALLOWED_HOSTS


@dataclass(frozen=True)
class HttpResult:
    status: int
    excerpt: str
    location: str


def parse_webhook_url(url: str) -> WebhookUrl:
    url = url.strip()
    if not url:
        raise UnsafeTarget("Enter the URL of the receiver.")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"Use a URL of at most {MAX_URL_LENGTH} characters.")
    if not url.isascii():
        raise UnsafeTarget(
            "Use ASCII characters only; write an international domain name in its "
            "xn-- form and percent-encode the path."
        )
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise UnsafeTarget("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("This is not a valid URL (check the host and the port).") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeTarget("Only http:// and https:// URLs can receive webhooks.")
    if "@" in parts.netloc:
        raise UnsafeTarget(
            "The URL may not contain a user name or password; receivers check the "
            "signature instead."
        )
    host = parts.hostname or ""
    if not host:
        raise UnsafeTarget("The URL has no host name.")
    if not _HOST_CHARACTERS.fullmatch(host):
        raise UnsafeTarget("The host name contains characters that are not allowed.")
    if port == 0:
        raise UnsafeTarget("Port 0 cannot be connected to.")
    path = parts.path or "/"
    return WebhookUrl(
        scheme=scheme,
        host=host,
        port=port or DEFAULT_PORTS[scheme],
        request_target=f"{path}?{parts.query}" if parts.query else path,
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a packet to `ip` may end up at (6to4, NAT64, IPv4-compatible)."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """What makes `ip` unsafe to connect to, in words; None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        problem = address_problem(ip.ipv4_mapped)
        return f"an IPv4-mapped form of {problem}" if problem else None
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _CGNAT:
        return "a shared (carrier-grade NAT) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "an address that is not publicly routable"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            problem = address_problem(embedded)
            if problem:
                return f"an IPv6 address embedding {problem}"
    return None


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def from_settings(cls) -> AllowList:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []):
            entry = str(raw).strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def admits(self, ip: IPAddress, host: str) -> bool:
        """Whether the allow-list admits a non-public `ip` reached through `host`."""
        plain: IPAddress = ip
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            plain = ip.ipv4_mapped
        if any(plain.version == net.version and plain in net for net in self.networks):
            return True
        if host.rstrip(".") in self.hosts:
            return not (plain.is_unspecified or plain.is_multicast or plain.is_link_local)
        return False


def resolve_target(url: str) -> ResolvedTarget:
    """Parse, resolve and check `url`; raises UnsafeTarget with a message for the user."""
    parsed = parse_webhook_url(url)
    try:
        infos = socket.getaddrinfo(
            parsed.host, parsed.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"The host {parsed.host} could not be resolved.") from exc
    allow = AllowList.from_settings()
    addresses: list[tuple[int, SockAddr]] = []
    allow_listed = False
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        try:
            ip = ipaddress.ip_address(str(sockaddr[0]))
        except ValueError as exc:
            raise UnsafeTarget(f"The host {parsed.host} resolved to an odd address.") from exc
        problem = address_problem(ip)
        if problem is not None:
            if not allow.admits(ip, parsed.host):
                raise UnsafeTarget(f"{parsed.host} resolves to {problem} ({ip}). {ALLOW_LIST_HINT}")
            allow_listed = True
        entry = (family, sockaddr)
        if entry not in addresses:
            addresses.append(entry)  # type: ignore[arg-type]
    if not addresses:
        raise UnsafeTarget(f"The host {parsed.host} has no IPv4 or IPv6 address.")
    return ResolvedTarget(url=parsed, addresses=tuple(addresses), allow_listed=allow_listed)


# --- Sending to the checked addresses only -----------------------------------


def _connect_pinned(addresses: tuple[tuple[int, SockAddr], ...], timeout: float) -> socket.socket:
    """A TCP connection to the first checked address that answers; never a new lookup."""
    last_error: OSError = OSError("no address to connect to")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        return sock
    raise last_error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked IP; `Host` still names the URL's host (http.client sets it)."""

    def __init__(self, target: ResolvedTarget, *, timeout: float) -> None:
        super().__init__(target.url.host, target.url.port, timeout=timeout)
        self._addresses = target.addresses
        self._pinned_timeout = timeout

    def connect(self) -> None:
        self.sock = _connect_pinned(self._addresses, self._pinned_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked IP, with SNI and certificate checks against the URL's host."""

    def __init__(self, target: ResolvedTarget, *, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target.url.host, target.url.port, timeout=timeout, context=context)
        self._addresses = target.addresses
        self._pinned_timeout = timeout
        self._tls_context = context

    def connect(self) -> None:
        raw = _connect_pinned(self._addresses, self._pinned_timeout)
        try:
            self.sock = self._tls_context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


@functools.lru_cache(maxsize=4)
def _tls_context(ca_bundle: str) -> ssl.SSLContext:
    """Certificates verified against the system roots, or WEBHOOK_CA_BUNDLE when set."""
    context = ssl.create_default_context(cafile=ca_bundle or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _text(raw: bytes, limit: int = 500) -> str:
    # PostgreSQL text cannot hold NUL.
    return raw.decode("utf-8", "replace").replace("\x00", "\ufffd")[:limit]


def post_pinned(
    target: ResolvedTarget, *, body: bytes, headers: dict[str, str], timeout: float
) -> HttpResult:
    """POST `body` to the checked addresses of `target`; redirects are returned, not followed.

    `timeout` bounds the connection and each read; reading the answer stops
    after `EXCERPT_READ_BYTES` or once `timeout` has passed in total.
    Network and TLS errors raise OSError, protocol errors HTTPException.
    """
    connection: http.client.HTTPConnection
    if target.url.scheme == "https":
        context = _tls_context(str(getattr(settings, "WEBHOOK_CA_BUNDLE", "") or ""))
        connection = _PinnedHTTPSConnection(target, timeout=timeout, context=context)
    else:
        connection = _PinnedHTTPConnection(target, timeout=timeout)
    try:
        connection.request("POST", target.url.request_target, body=body, headers=headers)
        response = connection.getresponse()
        deadline = time.monotonic() + timeout
        received = b""
        while len(received) < EXCERPT_READ_BYTES and time.monotonic() < deadline:
            chunk = response.read1(EXCERPT_READ_BYTES - len(received))
            if not chunk:
                break
            received += chunk
        return HttpResult(
            status=response.status,
            excerpt=_text(received),
            location=(response.getheader("Location") or "")[:300].replace("\x00", ""),
        )
    finally:
        connection.close()
