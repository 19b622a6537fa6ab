"""Quartiers Collaboratifs: a federated ActivityPub server for city neighbourhoods."""

from config import __version__

__all__ = ["__version__"]
