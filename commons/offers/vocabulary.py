"""The words of the bourses, on the wire and in French: the kinds, their ValueFlows actions,
the units a quantity is counted in, and the terms of FEP-0837 we send and read.
"""

from __future__ import annotations

from typing import Any, Final

from federation.vocab import QUARTIERS_NAMESPACE

KINDS: Final = ("emploi", "logement", "troc", "pret", "don", "service", "besoin")
"""Every kind of offer or request; each is also the hashtag it is published with."""

FRENCH_KINDS: Final = {
    "emploi": "Emploi",
    "logement": "Logement",
    "troc": "Troc",
    "pret": "Prêt",
    "don": "Don",
    "service": "Service",
    "besoin": "Besoin",
}
"""How the ``content`` Mastodon shows names a kind (our servers translate it for readers)."""

ACTIONS: Final = {
    "emploi": "work",
    "logement": "use",
    "troc": "transfer",
    "pret": "transferCustody",
    "don": "transfer",
    "service": "deliverService",
    "besoin": "transfer",
}
"""The ValueFlows action of each kind's Intent: lending passes custody, not ownership."""

UNITS: Final = ("one", "kilogram", "litre", "hour", "day", "month")
"""The units a quantity is counted in (OM2 names, as FEP-0837's examples write them)."""

CHF: Final = "https://www.wikidata.org/wiki/Q25344"
"""What a price's reciprocal Intent conforms to: the Swiss franc."""

VALUEFLOWS: Final = "https://w3id.org/valueflows/ont/vf#"
OM2: Final = "http://www.ontology-of-units-of-measure.org/resource/om-2/"

OFFER_CONTEXT: Final[dict[str, Any]] = {
    "vf": VALUEFLOWS,
    "om2": OM2,
    "qc": QUARTIERS_NAMESPACE,
    "Proposal": "vf:Proposal",
    "Intent": "vf:Intent",
    "purpose": "vf:purpose",
    "unitBased": "vf:unitBased",
    "publishes": "vf:publishes",
    "reciprocal": "vf:reciprocal",
    "action": "vf:action",
    "resourceConformsTo": "vf:resourceConformsTo",
    "resourceQuantity": "vf:resourceQuantity",
    "availableQuantity": "vf:availableQuantity",
    "minimumQuantity": "vf:minimumQuantity",
    "hasUnit": "om2:hasUnit",
    "hasNumericalValue": "om2:hasNumericalValue",
    "offerKind": "qc:offerKind",
    "offerStatus": "qc:offerStatus",
    "exchangeFor": "qc:exchangeFor",
    "booking": "qc:booking",
    "pickupCode": "qc:pickupCode",
    "hasBeginning": "vf:hasBeginning",
    "hasEnd": "vf:hasEnd",
    "Hashtag": "https://www.w3.org/ns/activitystreams#Hashtag",
}


def kind_uri(kind: str) -> str:
    """What an Intent of this kind conforms to (``resourceConformsTo`` must be a URI)."""
    return f"{QUARTIERS_NAMESPACE}{kind}"


def kind_of_uri(uri: str | None) -> str | None:
    if uri and uri.startswith(QUARTIERS_NAMESPACE) and uri[len(QUARTIERS_NAMESPACE) :] in KINDS:
        return uri[len(QUARTIERS_NAMESPACE) :]
    return None
