"""The private-address guard."""

from __future__ import annotations

import ipaddress

import pytest

from federation import addresses
from federation.addresses import check_public_host, check_public_url, is_public_address
from federation.errors import ConnectionFailed, PrivateAddressError

PRIVATE = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",  # noqa: S104
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",
    "192.0.2.1",
    "2001:db8::1",
]
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("ip", PRIVATE)
async def test_private_literals_are_refused(ip: str) -> None:
    assert not is_public_address(ipaddress.ip_address(ip))
    with pytest.raises(PrivateAddressError):
        await check_public_host(ip, allow_private=False)
    host = f"[{ip}]" if ":" in ip else ip
    with pytest.raises(PrivateAddressError):
        await check_public_url(f"https://{host}:8443/inbox", allow_private=False)


@pytest.mark.parametrize("ip", PUBLIC)
async def test_public_literals_pass(ip: str) -> None:
    assert is_public_address(ipaddress.ip_address(ip))
    await check_public_host(ip, allow_private=False)


async def test_names_are_resolved_and_every_address_checked() -> None:
    async def resolver(host: str) -> list[str]:
        return {
            "good.example": ["93.184.216.34"],
            "mixed.example": ["93.184.216.34", "10.1.1.1"],
            "v6.example": ["fe80::1%eth0"],
        }.get(host, [])

    await check_public_host("good.example", False, resolver)
    with pytest.raises(PrivateAddressError):
        await check_public_host("mixed.example", False, resolver)
    with pytest.raises(PrivateAddressError):
        await check_public_host("v6.example", False, resolver)
    with pytest.raises(ConnectionFailed):
        await check_public_host("nothing.example", False, resolver)


async def test_default_resolver_can_be_monkeypatched(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake(host: str) -> list[str]:
        return ["192.168.0.10"]

    monkeypatch.setattr(addresses, "resolve_host", fake)
    with pytest.raises(PrivateAddressError):
        await check_public_url("https://intranet.example/x", allow_private=False)


async def test_localhost_names_are_refused_without_resolving() -> None:
    for host in ("localhost", "LOCALHOST.", "api.localhost"):
        with pytest.raises(PrivateAddressError):
            await check_public_host(host, allow_private=False)


async def test_allow_private_skips_everything() -> None:
    await check_public_host("127.0.0.1", allow_private=True)
    await check_public_url("http://paquis.test/inbox", allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd", "gopher://x/", "https:///nohost", "http://[::1", "http://]/",
        # addresses no request can be made to: they were errors deeper down (a 500 in search)
        "http://localhost:99999/", "http://host:abc/", "http://256.256.256.256/",
        "http://0177.0.0.1/", "https://ex\u2024ample.com/",
    ],
)  # fmt: skip
async def test_other_schemes_and_hostless_urls_are_refused(url: str) -> None:
    with pytest.raises(PrivateAddressError):
        await check_public_url(url, allow_private=True)
