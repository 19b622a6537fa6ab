"""Data for a page's scripts, as JSON inside ``<script type="application/json">``."""

from __future__ import annotations

import json

from markupsafe import Markup


def script_json(data: object) -> Markup:
    """JSON safe inside <script>: no ``</script>`` nor HTML comment can close it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    escaped = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(escaped)  # noqa: S704 - escaped above for a script element
