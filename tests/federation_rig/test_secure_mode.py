"""Secure mode: our documents need a signed GET; discovery and the instance actor stay open."""

from __future__ import annotations

from pathlib import Path

from tests.federation_rig.rig import federation_rig
from tests.federation_rig.steps import follow_remote

AP = {"Accept": "application/activity+json"}


async def test_secure_mode_requires_signed_gets(tmp_path: Path, monkeypatch: object) -> None:
    async with federation_rig(
        tmp_path, hosts=("paquis.test", "jonction.test"), secure=("paquis.test",)
    ) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")

        # An unsigned GET of the collective is refused; the page for people is not
        assert (await rig.client.get(cafe.uri, headers=AP)).status_code == 401
        assert (await rig.client.get(cafe.uri, headers={"Accept": "text/html"})).status_code == 200
        # Discovery and the instance actor stay open
        assert (await rig.client.get("http://paquis.test/actor", headers=AP)).status_code == 200
        webfinger = await rig.client.get(
            "http://paquis.test/.well-known/webfinger?resource=acct:repair-cafe@paquis.test"
        )
        assert webfinger.status_code == 200

        # A real server signs its fetches, so following still works
        await follow_remote(jonction, nadia, cafe.uri)
        await rig.drain()
        state = await jonction.actor(cafe.uri)
        assert state is not None and state.name
