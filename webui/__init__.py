"""The web pages of a quartier, in the residents' languages."""

from webui import path_ids

path_ids.install()
