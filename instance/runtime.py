"""What a running instance holds: its settings, database, URIs and federation client."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.types import Scope

from actors.remote import RemoteActors
from config.settings import Settings
from config.uris import Uris
from federation.client import FederationClient
from storage.blocks import DomainBlocks
from storage.database import Database


@dataclass
class Instance:
    settings: Settings
    database: Database
    federation: FederationClient | None = None
    uris: Uris = field(init=False)
    remote_actors: RemoteActors = field(init=False)
    blocks: DomainBlocks = field(init=False)

    def __post_init__(self) -> None:
        self.uris = Uris(self.settings.base_url)
        self.blocks = DomainBlocks(self.database)
        self.remote_actors = RemoteActors(
            self.database,
            self.federation,
            blocks=self.blocks,
            url_scheme=self.settings.server.scheme,
        )


def instance_of(request: Request) -> Instance:
    return instance_in(request.scope)


def instance_in(scope: Scope) -> Instance:
    """The instance serving a request, from its ASGI scope (for a route without a request)."""
    instance: Instance = scope["app"].state.instance
    return instance
