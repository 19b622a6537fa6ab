"""Polls of collectives: an assembly asks a question with several answers, and residents here,
in the other quartiers and on Mastodon vote."""
