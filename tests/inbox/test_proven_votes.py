"""A vote on our petition from a resident of another quartier carries its signer's integrity
proof (FEP-8b32): kept with the proof, so that anyone can check the signature again later. When
the proof is made with a key the signer published since we last read them, we read them again
first, rather than keep their vote as one without proof."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from federation.integrity import build_multikey, multikey_id, sign_object
from storage.models import Signature
from storage.models.petitions import FEDERATED
from tests.inbox.fediverse import deliver, fediverse
from tests.inbox.test_petition_votes import open_petition, signatures, vote


@pytest.mark.parametrize("key", ["the key we hold", "a key made since"])
async def test_a_vote_with_its_signers_proof_is_kept_with_it(
    tmp_path: Path, database_kind: str, key: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given Léa of another quartier, whose Ed25519 key we read, and our open petition
        petition = await open_petition(world, "bancs")
        server = world["mastodon.test"]
        lea = server.add_actor("lea")
        held, newer = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        profile = server.documents["/users/lea"]
        assert isinstance(profile, dict)
        profile["assertionMethod"] = [build_multikey(lea, held.public_key())]
        assert await world.instance.remote_actors.actor(lea) is not None
        read_before = server.fetched.count("/users/lea")
        # And, maybe, a new key she published since
        signing_key = held
        if key == "a key made since":
            profile["assertionMethod"] = [build_multikey(lea, newer.public_key())]
            signing_key = newer

        # When she signs it, her vote proven with that key
        await deliver(world, lea, sign_object(vote(lea, petition, 1), signing_key,
                                              multikey_id(lea)))  # fmt: skip

        # Then her vote is counted as one proven by her key, and kept with its proof
        assert await signatures(world, petition) == {lea: FEDERATED}
        async with world.instance.database.session() as session:
            proof = await session.scalar(select(Signature.proof))
        assert proof is not None
        assert proof["proof"]["verificationMethod"] == multikey_id(lea)
        # And she was read again only when her proof needed a newer key
        read_again = server.fetched.count("/users/lea") - read_before
        assert read_again == (1 if key == "a key made since" else 0)


async def test_proven_votes_arriving_together_are_each_kept_with_their_proof(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given Léa, whose Ed25519 key we read, and two of our open petitions
        first, second = await open_petition(world, "bancs"), await open_petition(world, "arbres")
        server = world["mastodon.test"]
        lea = server.add_actor("lea")
        key = Ed25519PrivateKey.generate()
        profile = server.documents["/users/lea"]
        assert isinstance(profile, dict)
        profile["assertionMethod"] = [build_multikey(lea, key.public_key())]

        # When her two proven votes arrive together (votes counted in one batch, when plain)
        await deliver(world, lea, *(sign_object(vote(lea, petition, n), key, multikey_id(lea))
                                    for n, petition in enumerate((first, second))))  # fmt: skip

        # Then each is counted, and kept with its proof
        assert await signatures(world, first) == await signatures(world, second) == {lea: FEDERATED}
        async with world.instance.database.session() as session:
            proofs = list(await session.scalars(select(Signature.proof)))
        assert [proof is not None and proof["proof"]["verificationMethod"] for proof in proofs] == [
            multikey_id(lea)
        ] * 2
