"""The private-address guard: what it answers, and its reasons, at the edges."""

from __future__ import annotations

import ipaddress

import pytest

from federation.addresses import (
    check_public_url,
    is_public_address,
    public_addresses,
    resolve_host,
)
from federation.errors import ConnectionFailed, PrivateAddressError


def _resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    asked: list[str] = []

    async def resolve(host: str) -> list[str]:
        asked.append(host)
        return table.get(host, [])

    return resolve, asked


@pytest.mark.parametrize(
    "ip",
    [
        "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
        "::ffff:1.1.1.1",
    ],
)
def test_public_addresses_behind_ipv6_wrappers_are_public(ip: str) -> None:
    # Given an IPv6 form that wraps a public IPv4 address
    # When it is checked
    # Then it is public, like the address it wraps
    assert is_public_address(ipaddress.ip_address(ip)) is True


@pytest.mark.parametrize("ip", ["ff0e::1", "224.0.1.1", "100.100.0.1"])
def test_multicast_and_carrier_grade_nat_are_not_public(ip: str) -> None:
    # Given a global-scope multicast or a carrier-grade NAT address
    # When it is checked
    # Then it is not public
    assert is_public_address(ipaddress.ip_address(ip)) is False


async def test_a_public_literal_is_its_own_only_address() -> None:
    # Given a bracketed IPv6 literal and an IPv4 literal
    # When their addresses are asked
    # Then each is its own single address, without resolving anything
    resolve, asked = _resolver({})
    assert await public_addresses("[2606:4700:4700::1111]", resolve) == ["2606:4700:4700::1111"]
    assert await public_addresses("93.184.216.34", resolve) == ["93.184.216.34"]
    assert asked == []


async def test_a_name_is_resolved_lower_cased_without_its_final_dot() -> None:
    # Given a resolver that knows paquis.test
    resolve, asked = _resolver({"paquis.test": ["93.184.216.34", "2606:4700::1111"]})

    # When the addresses of " Paquis.TEST. " are asked
    found = await public_addresses(" Paquis.TEST. ", resolve)

    # Then the normalised name was resolved and all its addresses come back
    assert asked == ["paquis.test"]
    assert found == ["93.184.216.34", "2606:4700::1111"]


async def test_a_zone_index_is_dropped_before_checking() -> None:
    resolve, _asked = _resolver({"scoped.test": ["2606:4700::1111%eth0"]})
    assert await public_addresses("scoped.test", resolve) == ["2606:4700::1111%eth0"]


@pytest.mark.parametrize("host", ["", "  ", "."])
async def test_an_empty_host_is_refused_without_resolving(host: str) -> None:
    # Given a resolver that would answer a public address for anything
    async def resolve(name: str) -> list[str]:
        return ["93.184.216.34"]

    # When an empty host is checked
    # Then it is refused as empty
    with pytest.raises(PrivateAddressError, match=r"^empty host$"):
        await public_addresses(host, resolve)


async def test_reasons_name_the_host_and_the_address() -> None:
    resolve, asked = _resolver({"intranet.test": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(
        PrivateAddressError, match=r"^intranet.test resolves to the non-public address 10.0.0.7$"
    ):
        await public_addresses("intranet.test", resolve)
    with pytest.raises(PrivateAddressError, match=r"^127\.0\.0\.1 is not a public address$"):
        await public_addresses("127.0.0.1", resolve)
    for loopback in ("api.localhost", "localhost", "LocalHost."):
        with pytest.raises(PrivateAddressError, match=rf"^{loopback} is a loopback name$"):
            await public_addresses(loopback, resolve)
    assert asked == ["intranet.test"]  # a loopback name is never asked of the resolver
    with pytest.raises(ConnectionFailed, match=r"^nowhere.test has no address$"):
        await public_addresses("nowhere.test", resolve)


async def test_an_unparsable_resolved_address_is_refused() -> None:
    resolve, _asked = _resolver({"odd.test": ["not-an-address"]})
    with pytest.raises(PrivateAddressError, match="non-public address not-an-address"):
        await public_addresses("odd.test", resolve)


async def test_the_system_resolver_returns_the_address_of_a_literal() -> None:
    # Given the system resolver and a numeric host (no DNS needed)
    # When it is resolved
    # Then the address itself comes back, once, as text
    assert await resolve_host("127.0.0.1") == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://paquis.test/x", "^refusing the ftp scheme in ftp://paquis.test/x$"),
        ("paquis.test/x", "^refusing the missing scheme in paquis.test/x$"),
        ("https:///inbox", "^no host in https:///inbox$"),
    ],
)
async def test_url_refusals_say_why(url: str, reason: str) -> None:
    with pytest.raises(PrivateAddressError, match=reason):
        await check_public_url(url, allow_private=False)


async def test_a_public_url_passes_and_a_private_one_does_not() -> None:
    # Given a resolver where one name is public and one private
    resolve, asked = _resolver({"paquis.test": ["93.184.216.34"], "lan.test": ["192.168.1.2"]})

    # When URLs on them are checked
    await check_public_url("http://paquis.test/inbox", allow_private=False, resolver=resolve)
    with pytest.raises(PrivateAddressError):
        await check_public_url("https://lan.test/inbox", allow_private=False, resolver=resolve)

    # Then both host names were resolved through the given resolver
    assert asked == ["paquis.test", "lan.test"]


async def test_a_name_that_cannot_be_resolved_says_which() -> None:
    # Given a name the system resolver refuses at once (an empty label)
    # When it is resolved
    # Then the failure names it
    with pytest.raises(ConnectionFailed, match=r"^cannot resolve a\.\.b: "):
        await resolve_host("a..b")
