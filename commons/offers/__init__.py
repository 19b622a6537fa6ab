"""Offers and requests of the bourses: jobs, housing, barter, lending, gifts, services, needs."""
