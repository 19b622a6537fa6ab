"""What the place picker of the event and collective forms needs: tiles, centre, address search.

A form with a place gets a small map under its coordinates when Leaflet is installed: a click
there fills in the latitude and longitude, and, when the admin configured a geocoder, an address
search proposes places to choose from. Without JavaScript, Leaflet or tiles, the coordinates are
typed in as before.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from instance.runtime import instance_of
from webui import i18n
from webui.leaflet import leaflet_installed
from webui.script_json import script_json


def zoom_titles() -> dict[str, str]:
    """The names of the map's zoom buttons in the reader's language (Leaflet's are English)."""
    _ = i18n.gettext
    return {"zoom_in": _("Zoom in"), "zoom_out": _("Zoom out")}


@pass_context
def place_picker(context: Context) -> Markup | None:
    """The picker's settings as JSON for a ``<script type="application/json">``, or None."""
    request = context.get("request")
    if request is None or not leaflet_installed(request):
        return None
    webui = instance_of(request).settings.webui
    _ = i18n.gettext
    data: dict[str, Any] = {
        "tiles": webui.map_tiles_url,
        "attribution": webui.map_attribution,
        "center": [webui.map_center_latitude, webui.map_center_longitude],
        **zoom_titles(),
        "search": "/places/search" if webui.geocoder_url else None,
        "messages": {
            "searching": _("Searching…"),
            "choose": _("Choose the place:"),
            "placed": _("Placed on the map. You can click elsewhere to correct it."),
            "type_first": _("Type the name or the address of the place first."),
            "failed": _("The address search does not answer right now. Click on the map instead."),
        },
    }
    return script_json(data)
