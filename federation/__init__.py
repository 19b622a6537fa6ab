"""The ActivityPub protocol as pure functions on dicts and bytes.

`vocab` and `parsing` (AS2 shapes), `signatures` (draft-cavage and RFC 9421),
`digest`, `keys`, `webfinger`, `nodeinfo`, `addresses` (private-address guard),
`client` (the signed HTTP client) and `delivery_policy`. Import the submodule
you need; nothing here touches storage or the web UI.
"""
