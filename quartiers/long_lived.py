"""What a serving process creates before it serves is kept for its whole life: set it apart
from the garbage collector's full collections.

A full collection walks every object the process holds. Once the application is imported and
built (SQLAlchemy's mappers, Babel's locale data, the templates' environment, the translation
catalogs) that is a few hundred thousand objects, and each full collection paused the server
for 110–140 ms under a busy inbox: the requests in flight waited for it. Frozen, those objects
are never walked again; what requests create is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect once, then move every object still alive to the permanent generation.

    For the serving processes (`quartiers serve`, `quartiers worker`), just before they start
    serving; not for tests, which build many applications in one process. Returns how many
    objects are now frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
