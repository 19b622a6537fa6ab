"""The running instance: the settings, database, signed client and caches that routes, pages and
workers share (one object, built where the app is assembled)."""
