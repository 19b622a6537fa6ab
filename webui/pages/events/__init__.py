"""The pages of events: an event, one date of a series, its forms, taking part, the organiser's
list; each module exposes ``routes``."""
