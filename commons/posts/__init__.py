"""Posts: what residents and collectives publish, its replies, mentions, tags and reactions.

The inside of every neighbourhood object package (posts, events, agenda, and the ones to come):
``services`` writes (one transaction, the activity queued with it), ``wire`` is the AS2 shape sent
and accepted, the read modules (here ``cards``, ``threads``, ``timelines``) answer the pages,
``delivery`` says who receives what, ``notices`` who is told, and ``worker`` keeps it up to date.
"""
