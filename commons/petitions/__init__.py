"""Petitions and initiatives: a collective's ``Question`` with one option (« Je signe »), signed
here, from another quartier's server, by a Mastodon poll vote, or on paper."""
