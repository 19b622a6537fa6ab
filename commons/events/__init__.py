"""Events and their dates: a one-off event has one date, a series has many (the ``dates`` table,
written with the event, kept ahead by the ``worker``); people take part in an event or in one
date (``rsvps``, ``date_rsvps``), organisers hear of it (``notices``).

Same inside as every object package (see ``commons.posts``): ``services`` writes, ``wire`` and
``date_wire`` are the AS2 shapes, ``rsvp_wire`` what taking part sends, ``words`` the summary in
French for people reading it in Mastodon.
"""
