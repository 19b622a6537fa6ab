"""NodeInfo 2.0 / 2.1: our documents (strict, schema-valid) and lenient reading of others'.

Real-world documents often fail the jhass schemas (Mobilizon's `software.name`
is "Mobilizon"; WordPress omits `metadata`), so `parse_nodeinfo` never demands
more than a version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NodeInfoVersion = Literal["2.0", "2.1"]
SCHEMA_REL = "http://nodeinfo.diaspora.software/ns/schema/{version}"
SUPPORTED_VERSIONS: tuple[NodeInfoVersion, ...] = ("2.0", "2.1")


def nodeinfo_rel(version: str) -> str:
    return SCHEMA_REL.format(version=version)


def build_nodeinfo_links(base_url: str) -> dict[str, Any]:
    """The `/.well-known/nodeinfo` discovery document."""
    base = base_url.rstrip("/")
    return {
        "links": [
            {"rel": nodeinfo_rel(version), "href": f"{base}/nodeinfo/{version}"}
            for version in SUPPORTED_VERSIONS
        ]
    }


def build_nodeinfo(
    version: NodeInfoVersion,
    software_name: str,
    software_version: str,
    repository: str | None,
    homepage: str | None,
    total_users: int,
    active_month: int,
    active_halfyear: int,
    local_posts: int,
    open_registrations: bool,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """`software_name` must match ^[a-z0-9-]+$ (the schema says so)."""
    software: dict[str, str] = {"name": software_name, "version": software_version}
    if version == "2.1":
        if repository:
            software["repository"] = repository
        if homepage:
            software["homepage"] = homepage
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": total_users,
                "activeMonth": active_month,
                "activeHalfyear": active_halfyear,
            },
            "localPosts": local_posts,
        },
        "metadata": dict(metadata),
    }


@dataclass(frozen=True, slots=True)
class ParsedNodeInfo:
    version: str
    software_name: str | None
    software_version: str | None
    protocols: tuple[str, ...]
    open_registrations: bool | None
    total_users: int | None
    active_month: int | None
    local_posts: int | None
    metadata: dict[str, Any] = field(default_factory=dict)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse_nodeinfo(doc: object) -> ParsedNodeInfo | None:
    """A remote NodeInfo document, read leniently; None when it is not one at all."""
    data = _dict(doc)
    version = _str(data.get("version"))
    if version is None:
        return None
    software = _dict(data.get("software"))
    usage = _dict(data.get("usage"))
    users = _dict(usage.get("users"))
    protocols = data.get("protocols")
    registrations = data.get("openRegistrations")
    return ParsedNodeInfo(
        version=version,
        software_name=_str(software.get("name")),
        software_version=_str(software.get("version")),
        protocols=tuple(p for p in protocols if isinstance(p, str))
        if isinstance(protocols, list)
        else (),
        open_registrations=registrations if isinstance(registrations, bool) else None,
        total_users=_int(users.get("total")),
        active_month=_int(users.get("activeMonth")),
        local_posts=_int(usage.get("localPosts")),
        metadata=_dict(data.get("metadata")),
    )


def parse_nodeinfo_links(doc: object) -> dict[str, str]:
    """Discovery document → {version: href} for the NodeInfo schema links it lists."""
    prefix = SCHEMA_REL.format(version="")
    found: dict[str, str] = {}
    links = _dict(doc).get("links")
    for link in links if isinstance(links, list) else []:
        rel, href = _str(_dict(link).get("rel")), _str(_dict(link).get("href"))
        if rel and href and rel.startswith(prefix):
            found[rel[len(prefix) :]] = href
    return found


def best_nodeinfo_href(links: dict[str, str]) -> str | None:
    """The newest version we can read."""
    for version in ("2.2", "2.1", "2.0", "1.1", "1.0"):
        if version in links:
            return links[version]
    return None
