"""Proposals of members to their collective (an assembly): made by a member, supported by
residents here and by anyone who favourites them elsewhere, answered by the collective."""
