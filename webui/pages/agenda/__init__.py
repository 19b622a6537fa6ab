"""The pages of the agenda: the agenda views, its feeds, my calendar, the map."""
