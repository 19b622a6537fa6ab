"""The agenda: the dates of events in a window of local days (``queries``, ``statements``,
``window``), the next events of a neighbourhood or an organiser (``upcoming``), and the feeds for
calendar apps and feed readers (``feeds``). Read-only: events are written by ``commons.events``.
"""
