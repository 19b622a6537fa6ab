"""The private-address guard: never fetch loopback, private or link-local hosts.

Every URL is checked before its request (and every redirect hop again), and
the connection itself goes to an address that was checked: the transport of
``federation.public_transport`` resolves the name once, keeps only public
addresses and connects to one of those, so a hostile DNS server cannot answer
a public address to the check and a private one to the connection (DNS
rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import anyio
import httpx2

from federation.errors import ConnectionFailed, PrivateAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Awaitable[list[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses (IPv4-mapped forms unwrapped)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _UNIQUE_LOCAL:
            return False
    elif address in _CGNAT:
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_unspecified
    )


def parse_ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve_host(host: str) -> list[str]:
    try:
        infos = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConnectionFailed(f"cannot resolve {host}: {exc}") from exc
    return [str(info[4][0]) for info in infos]


async def check_public_host(
    host: str, allow_private: bool, resolver: Resolver | None = None
) -> None:
    """Raise PrivateAddressError when `host` is, or resolves to, a non-public address."""
    if allow_private:
        return
    await public_addresses(host, resolver)


async def public_addresses(host: str, resolver: Resolver | None = None) -> list[str]:
    """The addresses of `host`, all of them public; PrivateAddressError if any is not."""
    name = host.strip().lower().rstrip(".")
    if not name:
        raise PrivateAddressError("empty host")
    literal = parse_ip_literal(name)
    if literal is not None:
        if not is_public_address(literal):
            raise PrivateAddressError(f"{host} is not a public address")
        return [str(literal)]
    if name == "localhost" or name.endswith(".localhost"):
        raise PrivateAddressError(f"{host} is a loopback name")
    addresses = await (resolver or resolve_host)(name)
    if not addresses:
        raise ConnectionFailed(f"{host} has no address")
    for text in addresses:
        address = parse_ip_literal(text)  # a zone (fe80::1%eth0) is read with its address
        if address is None or not is_public_address(address):
            raise PrivateAddressError(f"{host} resolves to the non-public address {text}")
    return addresses


async def check_public_url(url: str, allow_private: bool, resolver: Resolver | None = None) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _port = parts.port  # past 65535 or not a number: ValueError
        httpx2.URL(url)  # a host that is no IPv4 address or IDNA name (256.256.256.256)
    except (ValueError, httpx2.InvalidURL) as error:  # "http://[::1", a bracket never closed
        raise PrivateAddressError(f"unusable address {url[:200]}: {error}") from None
    if parts.scheme not in {"http", "https"}:
        raise PrivateAddressError(f"refusing the {parts.scheme or 'missing'} scheme in {url}")
    if not host:
        raise PrivateAddressError(f"no host in {url}")
    await check_public_host(host, allow_private, resolver)
