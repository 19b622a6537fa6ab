"""What a running instance holds: its settings, database, URIs and federation client."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from actors.blocks import DomainBlocks
from actors.remote import RemoteActors
from actors.uris import Uris
from federation.client import FederationClient
from quartiers.settings import Settings
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
        self.remote_actors = RemoteActors(self.database, self.federation)
        self.blocks = DomainBlocks(self.database)


def instance_of(request: Request) -> Instance:
    instance: Instance = request.app.state.instance
    return instance
