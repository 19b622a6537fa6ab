"""Fetch Leaflet into webui/static/vendor/leaflet/ (served by us, never committed).

Downloads the npm tarball of a pinned version, checks its published sha512 integrity, and
extracts the distribution files and the licence. The map page works without them (a list of
places with OpenStreetMap links), so `make install` goes on when this fails: it prints one line
and exits with 0 unless ``--strict`` is given.

Usage: python scripts/fetch_leaflet.py [--strict] [--force]
"""

from __future__ import annotations

import sys

from npm_tarball import ROOT, NpmTarball, main

LEAFLET = NpmTarball(
    label="Leaflet",
    name="leaflet",
    version="1.9.4",
    integrity="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
    target=ROOT / "webui" / "static" / "vendor" / "leaflet",
    wanted={
        "package/dist/leaflet.js": "leaflet.js",
        "package/dist/leaflet.css": "leaflet.css",
        "package/LICENSE": "LICENSE",
    },
    folders={"package/dist/images/": "images"},
)

if __name__ == "__main__":
    sys.exit(
        main(LEAFLET, __doc__.splitlines()[0], "the map page will show lists only.", sys.argv[1:])
    )
