"""ActivityPub client-to-server (§6): residents and collectives post to their outbox with a
bearer token, and read back their own objects and inbox.

``routes`` speaks HTTP; ``auth`` finds who is asking and for whom; ``objects`` and
``event_objects`` read what the client sent; ``posts``, ``events`` and ``actions`` apply it
through the services the web pages use; ``reading`` serves the owner's own documents.
"""

from endpoints.c2s.routes import routes

__all__ = ["routes"]
