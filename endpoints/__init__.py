"""Every HTTP route that speaks ActivityPub: discovery (WebFinger, NodeInfo, host-meta), actors
and their collections, objects and activities, the inbox, media, and the client-to-server API.

A resource with two faces (JSON for servers, HTML for people) has its JSON side here and its page
in ``webui.pages``; the two are joined where the app is assembled (``quartiers/app.py``).
"""
