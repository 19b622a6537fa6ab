"""The pages of the web UI, one module per area; each module exposes ``routes``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from webui.pages import (
    accounts,
    admin,
    admin_blocklists,
    admin_domains,
    admin_look,
    admin_quartiers,
    collective_manage,
    collectives,
    directory,
    easy_read,
    invitations,
    places,
    sessions,
    settings,
    shares,
)
from webui.pages.agenda import agenda, calendar, feeds, map_page
from webui.pages.events import event_dates, event_edits, events, participants, participation
from webui.pages.offers import offer_answers, offer_bookings, offer_edits, offer_feeds, offers
from webui.pages.petitions import (
    exports,
    handing_over,
    paper_entry,
    petition_edits,
    petitions,
    signing,
)
from webui.pages.polls import poll_forms, polls, voting
from webui.pages.posts import compose, posts, reports, timelines
from webui.pages.proposals import proposals

routes: list[BaseRoute] = [
    *accounts.routes,
    *settings.routes,
    *sessions.routes,
    *invitations.routes,
    *admin.routes,
    *admin_blocklists.routes,
    *admin_domains.routes,
    *admin_look.routes,
    *admin_quartiers.routes,
    *collectives.routes,
    *collective_manage.routes,
    *shares.routes,
    *compose.routes,
    *easy_read.routes,
    *posts.routes,
    *reports.routes,
    *timelines.routes,
    *event_edits.routes,
    *events.routes,
    *participation.routes,
    *participants.routes,
    *event_dates.routes,
    *offer_answers.routes,
    *offer_bookings.routes,
    *offer_edits.routes,
    *offer_feeds.routes,
    *offers.routes,
    *petition_edits.routes,
    *signing.routes,
    *handing_over.routes,
    *paper_entry.routes,
    *exports.routes,
    *petitions.routes,
    *poll_forms.routes,
    *voting.routes,
    *polls.routes,
    *proposals.routes,
    *feeds.routes,
    *agenda.routes,
    *calendar.routes,
    *map_page.routes,
    *places.routes,
    *directory.routes,
]
