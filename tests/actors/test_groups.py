"""Membership services: joining by mode, leaving, requests, invitations and the roles matrix."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors import groups
from actors.services import create_account, create_group
from commons.posts.services import publish_note
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Activity, Actor, Membership, Notification, Post
from storage.models.actors import MEMBERSHIP_ACCEPTED, MEMBERSHIP_PENDING


@dataclass(frozen=True)
class Cast:
    group: Actor
    admin: Actor
    facilitator: Actor
    member: Actor
    outsider: Actor
    target: Actor


async def _person(session: AsyncSession, settings: Settings, name: str) -> Actor:
    account = await create_account(session, settings, name, None)
    actor = await session.get(Actor, account.actor_id)
    assert actor is not None
    return actor


async def cast(database: Database, settings: Settings, join_mode: str = "open") -> Cast:
    """A collective with an admin, a facilitator, two members (one the target) and an outsider."""
    async with database.transaction() as session:
        admin = await _person(session, settings, "ada")
        group = await create_group(session, settings, "atelier", "space", "ada")
        group.join_mode = join_mode
        people = {name: await _person(session, settings, name) for name in
                  ("fanny", "marc", "tina", "olga")}  # fmt: skip
        session.add(Membership(group_id=group.id, member_id=people["fanny"].id, role="facilitator"))
        session.add(Membership(group_id=group.id, member_id=people["marc"].id, role="member"))
        session.add(Membership(group_id=group.id, member_id=people["tina"].id, role="member"))
    return Cast(group, admin, people["fanny"], people["marc"], people["olga"], people["tina"])


async def test_open_collective_admits_at_once_and_the_member_leaves(
    database: Database, settings: Settings
) -> None:
    # Given an open collective
    who = await cast(database, settings)
    uris = Uris(settings.base_url)
    # When an outsider joins
    async with database.transaction() as session:
        outcome = await groups.join(session, uris, who.group, who.outsider)
    # Then they are a member at once, counted as such
    assert outcome.membership.state == MEMBERSHIP_ACCEPTED and outcome.is_new
    async with database.session() as session:
        assert await groups.count_members(session, who.group) == 5
        assert await groups.may_post(session, who.group, who.outsider)
    # When they leave, they are gone
    async with database.transaction() as session:
        assert await groups.leave(session, who.group, who.outsider)
    async with database.session() as session:
        assert await groups.find_membership(session, who.group, who.outsider) is None
        assert not await groups.may_post(session, who.group, who.outsider)


async def test_approval_makes_a_request_and_tells_the_facilitators(
    database: Database, settings: Settings
) -> None:
    who = await cast(database, settings, "approval")
    uris = Uris(settings.base_url)
    # When an outsider asks to join
    async with database.transaction() as session:
        outcome = await groups.join(session, uris, who.group, who.outsider)
    # Then the request waits; admin and facilitator are notified; pending is not counted
    assert outcome.membership.state == MEMBERSHIP_PENDING
    async with database.session() as session:
        notified = set(
            await session.scalars(
                select(Notification.recipient_id).where(Notification.kind == "join_request")
            )
        )
        assert notified == {who.admin.id, who.facilitator.id}
        assert await groups.count_members(session, who.group) == 4
        assert not await groups.may_post(session, who.group, who.outsider)
    # When a plain member tries to accept it, it is refused
    with pytest.raises(groups.NotAllowed):
        async with database.transaction() as session:
            await groups.answer_request(
                session, uris, who.group, who.member, who.outsider.id, accept=True
            )
    # When the facilitator accepts it, the outsider is a member
    async with database.transaction() as session:
        await groups.answer_request(
            session, uris, who.group, who.facilitator, who.outsider.id, accept=True
        )
    async with database.session() as session:
        membership = await groups.find_membership(session, who.group, who.outsider)
        assert membership is not None and membership.state == MEMBERSHIP_ACCEPTED


async def test_invitation_mode_needs_a_valid_code(database: Database, settings: Settings) -> None:
    who = await cast(database, settings, "invitation")
    uris = Uris(settings.base_url)
    # Without a code, or with a wrong one, joining is refused
    for code in (None, "not-a-code"):
        with pytest.raises(groups.InvitationRequired):
            async with database.transaction() as session:
                await groups.join(session, uris, who.group, who.outsider, invitation_code=code)
    # A member cannot invite; the facilitator can
    with pytest.raises(groups.NotAllowed):
        async with database.transaction() as session:
            await groups.create_invitation(session, who.group, who.member)
    async with database.transaction() as session:
        code = await groups.create_invitation(session, who.group, who.facilitator, max_uses=1)
    # With the code, the outsider joins; the code is then used up
    async with database.transaction() as session:
        outcome = await groups.join(session, uris, who.group, who.outsider, invitation_code=code)
    assert outcome.membership.state == MEMBERSHIP_ACCEPTED
    async with database.transaction() as session:
        await groups.leave(session, who.group, who.outsider)
    with pytest.raises(groups.InvitationRequired):
        async with database.transaction() as session:
            await groups.join(session, uris, who.group, who.outsider, invitation_code=code)


async def test_the_last_admin_cannot_leave_or_step_down(
    database: Database, settings: Settings
) -> None:
    who = await cast(database, settings)
    with pytest.raises(groups.LastAdmin):
        async with database.transaction() as session:
            await groups.leave(session, who.group, who.admin)
    with pytest.raises(groups.LastAdmin):
        async with database.transaction() as session:
            await groups.change_role(session, who.group, who.admin, who.admin.id, "member")
    # Once there is a second admin, the first may go
    async with database.transaction() as session:
        await groups.change_role(session, who.group, who.admin, who.facilitator.id, "admin")
        assert await groups.leave(session, who.group, who.admin)


Action = Callable[[AsyncSession, Cast, Actor], Awaitable[object]]


async def _answer(session: AsyncSession, who: Cast, acting: Actor) -> object:
    row = await groups.find_membership(session, who.group, who.target)
    assert row is not None
    row.state = MEMBERSHIP_PENDING
    uris = Uris("http://paquis.test")
    return await groups.answer_request(session, uris, who.group, acting, who.target.id, accept=True)


ACTIONS: dict[str, Action] = {
    "answer_request": _answer,
    "invite": lambda s, w, a: groups.create_invitation(s, w.group, a),
    "promote": lambda s, w, a: groups.change_role(s, w.group, a, w.target.id, "facilitator"),
    "remove_member": lambda s, w, a: groups.remove_member(s, w.group, a, w.target.id),
    "remove_facilitator": lambda s, w, a: groups.remove_member(s, w.group, a, w.facilitator.id),
}
ALLOWED = {
    "admin": {"answer_request", "invite", "promote", "remove_member", "remove_facilitator"},
    "facilitator": {"answer_request", "invite", "remove_member"},
    "member": set(),
    "outsider": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
async def test_roles_matrix(database: Database, settings: Settings, role: str) -> None:
    # Given the same collective for every action
    who = await cast(database, settings)
    acting = {"admin": who.admin, "facilitator": who.facilitator, "member": who.member,
              "outsider": who.outsider}[role]  # fmt: skip
    for name, action in ACTIONS.items():
        # When the role tries the action (rolled back afterwards)
        try:
            async with database.transaction() as session:
                await action(session, who, acting)
                await session.rollback()
            allowed = True
        except groups.NotAllowed:
            allowed = False
        # Then only the roles of the matrix may do it
        assert allowed == (name in ALLOWED[role]), f"{role} / {name}"


async def test_a_members_local_post_is_announced_and_a_strangers_is_refused(
    database: Database, settings: Settings
) -> None:
    # Given a members-only collective
    who = await cast(database, settings)
    uris = Uris(settings.base_url)
    # When a member publishes to it
    async with database.transaction() as session:
        post = await publish_note(session, uris, who.member, "Atelier samedi", audience=who.group)
    # Then the collective announces both the Create and the post itself
    async with database.session() as session:
        announced = [
            json.loads(payload)["object"]
            for payload in await session.scalars(
                select(Activity.payload).where(
                    Activity.actor_id == who.group.id, Activity.type == "Announce"
                )
            )
        ]
    assert post.uri in announced
    assert [o["object"]["id"] for o in announced if isinstance(o, dict)] == [post.uri]
    # When an outsider tries, nothing is written
    with pytest.raises(groups.NotAllowed):
        async with database.transaction() as session:
            await publish_note(session, uris, who.outsider, "Pub", audience=who.group)
    async with database.session() as session:
        assert await session.scalar(select(Post.id).where(Post.actor_id == who.outsider.id)) is None
