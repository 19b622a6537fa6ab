"""Quartiers Collaboratifs: a federated ActivityPub server for city neighbourhoods."""

__version__ = "0.1.0"
