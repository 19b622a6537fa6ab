"""Sharing items of any server into our collectives, with a facilitator's approval, and what
remote collectives announce to us (:mod:`storage.models.shares`)."""
