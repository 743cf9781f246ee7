"""Webhook targets may only be public web servers: checked when saved and again at each send.

The check resolves the name once and the sender connects to exactly the address it checked
(with the name in the Host header and in TLS), so a DNS answer that changes between the check
and the connection (rebinding) cannot point a delivery inside. Redirects are never followed.

Refused: loopback, private, link-local, multicast, reserved, unspecified and shared
(carrier-grade NAT) addresses, also when written in the forms that resolvers accept (decimal
2130706433, octal 0177.0.0.1, hex 0x7f.1, short 127.1, IPv4-mapped and other IPv6 forms that
embed an IPv4 address), and any name that resolves to one of them.
"""

import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}
NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
CONNECT_TIMEOUT = 5
RESPONSE_PEEK = 2048


class UnsafeTarget(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # ASCII (IDNA) name or IP literal, as sent in Host and TLS SNI
    port: int
    address: str  # the checked IP the connection goes to
    path: str

    @property
    def host_header(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def allow_loopback():
    """Test-only: lets deliveries reach a server on this machine. Never set in production."""
    return getattr(settings, "NUCLEUS_WEBHOOKS_TEST_ALLOW_LOOPBACK", False)


def allowed_ports():
    return {80, 443, *getattr(settings, "NUCLEUS_WEBHOOKS_EXTRA_PORTS", ())}


def system_resolver(host, port):
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def check_url(url, *, resolver=None):
    """The Target to connect to, or UnsafeTarget saying why not. `resolver(host, port)` returns
    address strings; the system's by default (looked up per call, so tests can stub it)."""
    resolver = resolver or system_resolver
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"Not a valid URL: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise UnsafeTarget("Only http and https URLs are allowed.")
    if "@" in parts.netloc:
        raise UnsafeTarget("URLs with a user name or password are not allowed.")
    host = ascii_host(parts.hostname or "")
    port = port or DEFAULT_PORTS[parts.scheme]
    if port not in allowed_ports() and not allow_loopback():
        raise UnsafeTarget(f"Port {port} is not allowed (80 and 443 are).")
    literal = ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise UnsafeTarget(f"Cannot resolve {host}: {exc}") from None
        if not addresses:
            raise UnsafeTarget(f"Cannot resolve {host}.")
    for address in addresses:  # every answer must be safe, or a round-robin could slip one in
        refuse_internal(address)
    return Target(parts.scheme, host, port, str(addresses[0]), _path(parts))


def ascii_host(host):
    """IDNA-encode first: Unicode look-alikes (fullwidth or circled digits) become the ASCII the
    resolver would see, and only then is the host judged."""
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise UnsafeTarget("The host name is not valid.") from None
    host = host.lower().rstrip(".") if ":" not in host else host.lower()
    if not host:
        raise UnsafeTarget("The URL has no host.")
    return host


def ip_literal(host):
    """The address a host written as an IP means, in any form inet_aton or IPv6 accepts;
    None for a DNS name. A numeric-looking host that is not a valid address is refused."""
    if ":" in host:
        try:
            return ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            raise UnsafeTarget("Not a valid IPv6 address.") from None
    parts = host.split(".")
    if not all(NUMERIC_PART.match(part) for part in parts):
        return None
    try:
        numbers = [_number(part) for part in parts]
    except ValueError:
        raise UnsafeTarget("Not a valid IP address.") from None
    if len(numbers) > 4:
        raise UnsafeTarget("Not a valid IP address.")
    # inet_aton: the last part fills all the bytes the earlier parts left.
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        raise UnsafeTarget("Not a valid IP address.")
    value = last
    for index, n in enumerate(leading):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _number(part):
    if part.startswith("0x"):
        return int(part[2:], 16)  # "0x" alone raises ValueError: refused
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)  # 08 or 09 raise ValueError: refused
    return int(part)


def embedded_ipv4(address):
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64, compatible)."""
    if address.version != 6:
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d, IPv4-compatible
        return ipaddress.IPv4Address(int(address))
    return None


def refuse_internal(address):
    inner = embedded_ipv4(address)
    if inner is not None:
        refuse_internal(inner)
    if allow_loopback() and address.is_loopback:
        return
    if (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (address.version == 6 and address.is_site_local)
    ):
        raise UnsafeTarget(f"{address} is not a public address.")


def _path(parts):
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a fixed IP, verified against the name: the certificate must match the host."""

    def __init__(self, address, port, *, server_hostname, timeout):
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self.server_hostname = server_hostname

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.server_hostname)


def open_connection(target, timeout):
    if target.scheme == "https":
        return PinnedHTTPSConnection(
            target.address, target.port, server_hostname=target.host, timeout=timeout
        )
    return http.client.HTTPConnection(target.address, target.port, timeout=timeout)


def post(target, body, headers, *, timeout):
    """POST to the checked address; returns (status, start of the body). http.client follows
    no redirects, so a 3xx is just a status here."""
    connection = open_connection(target, timeout)
    try:
        connection.request(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header}
        )
        response = connection.getresponse()
        return response.status, response.read(RESPONSE_PEEK).decode("utf-8", "replace")
    finally:
        connection.close()
