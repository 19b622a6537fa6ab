"""The neighbourhood's objects, one package each (``posts``, ``events``, ``agenda``; offers and
petitions follow the same template), and what they share: Markdown, media, places, notifications
and search."""
