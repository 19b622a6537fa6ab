"""One module per activity family; each ``on_<activity>`` checks, then applies in one transaction."""
