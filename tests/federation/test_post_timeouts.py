"""A delivery's own timeout, over a real socket: a POST waits as long as the delivery may, not
the client's shorter timeout for fetches, and no longer."""

from __future__ import annotations

import httpx2
import pytest

from federation.client import FederationClient, FetchTimeout, Signer
from federation.host_pools import HostPoolTransport
from federation.keys import KeyPair
from tests.federation.test_host_pools import ToTheLocalServer, remote_servers

INBOX = "http://slow.example/inbox"


def fetching_within(port: int, seconds: float) -> FederationClient:
    """A client whose own timeout (the one fetches use) is ``seconds``, its sockets to ``port``."""
    transport = HostPoolTransport(ToTheLocalServer(port), per_host=2)
    http = httpx2.AsyncClient(transport=transport, timeout=httpx2.Timeout(seconds))
    return FederationClient(
        http, user_agent="qc/1", allow_private_addresses=True, timeout_seconds=seconds
    )


async def test_a_post_waits_for_the_delivery_timeout_past_the_clients_own(
    rsa_keys: KeyPair,
) -> None:
    async with remote_servers() as servers:
        # Given a server answering after half a second, and a client fetching within 0.1 s
        servers.answer_after = 0.5
        client = fetching_within(servers.port, 0.1)
        signer = Signer("https://paquis.test/actor#main-key", rsa_keys.private_pem)
        try:
            # When an activity is posted with a delivery timeout of 5 s
            result = await client.post_activity(INBOX, b"{}", signer, timeout_seconds=5)
            # Then the answer was waited for
            assert result.status == 202
            # And with a delivery timeout of 0.2 s, the POST gives up
            with pytest.raises(FetchTimeout):
                await client.post_activity(INBOX, b"{}", signer, timeout_seconds=0.2)
        finally:
            await client.aclose()
