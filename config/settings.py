"""Settings: one TOML file, overridable by ``QUARTIERS_<SECTION>_<KEY>`` environment variables.

A wrong or missing value raises :class:`ConfigError` with one line naming the key and what is
expected; the command line prints that line and exits, never a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from config.area import parse_area

DEFAULT_CONFIG_PATH = Path("config.toml")
MAX_DESCRIPTION = 500
MAX_CONTACT = 200
DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///data/quartiers.db"
REGISTRATION_MODES = ("open", "approval", "invitation")
# The languages of Geneva's residents the web UI speaks, in the order its picker lists them.
LANGUAGES = ("fr", "en", "de", "it", "es", "pt", "ar")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$"
)


# A development domain on the loopback: its port is the one the server listens on.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
ENV_PREFIX = "QUARTIERS_"
# Read outside the settings: the config file's path, and the test suite's own switches.
OTHER_ENV_NAMES = ("QUARTIERS_CONFIG",)
OTHER_ENV_PREFIXES = ("QUARTIERS_TEST_",)

_MAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message is one line for a person."""


@dataclass(frozen=True)
class ServerSettings:
    name: str = "Quartier"
    domain: str = "127.0.0.1:8000"
    scheme: str = "http"
    bind_host: str = "127.0.0.1"
    bind_port: int = 8000
    default_language: str = "fr"
    timezone: str = "Europe/Zurich"
    city: str = "Genève"
    # How the quartier describes itself to the city (its NodeInfo and its directory page).
    description: str = ""
    contact: str = ""
    # The quartier on a map: "south,west,north,east" in degrees, or empty.
    area: str = ""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = DEFAULT_SQLITE_URL


@dataclass(frozen=True)
class FederationSettings:
    allow_private_addresses: bool = False
    max_body_bytes: int = 1_048_576
    max_response_bytes: int = 5_242_880
    fetch_timeout_seconds: float = 10.0
    delivery_timeout_seconds: float = 15.0
    user_agent: str = ""
    signature_max_age_seconds: int = 3600
    delivery_workers: int = 16
    per_host_concurrency: int = 4
    delivery_batch_size: int = 64
    # Processes signing deliveries beside the event loop; 0: the worker signs itself.
    signing_processes: int = 0
    inbox_workers: int = 16
    per_origin_concurrency: int = 4
    lease_seconds: float = 60.0
    secure_mode: bool = False
    # What a quartier reads of a neighbour's collectives when federation begins: their public
    # activities of the last ``backfill_days`` days, at most ``backfill_max_items`` of them.
    backfill_days: int = 30
    backfill_max_items: int = 2000
    publish_blocklist: bool = False
    """Whether /moderation/blocklist.csv lists our domain blocks for other servers."""


@dataclass(frozen=True)
class WebUISettings:
    secret_key: str = ""
    registration: str = "invitation"
    residents_invite: bool = True
    """Whether residents (not only admins) may make sign-up invitation links."""
    session_https_only: bool | None = None
    """None (not written): derived from ``server.scheme``; see :attr:`Settings.secure_cookies`."""
    map_tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )
    map_center_latitude: float = 46.2044
    map_center_longitude: float = 6.1432
    geocoder_url: str = ""
    visitor_cache_seconds: float = 10.0
    """How long a listing page built for a visitor who is not signed in may be given to the next
    one, and a resident's timeline back to them (0: never); a write by this process ends it
    sooner (see :mod:`webui.visitor_pages` and :mod:`webui.reader_pages`)."""


@dataclass(frozen=True)
class MailSettings:
    """Optional SMTP, for password-reset links; without a host no mail is ever sent."""

    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""
    starttls: bool = True

    @property
    def is_configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    webui: WebUISettings = field(default_factory=WebUISettings)
    mail: MailSettings = field(default_factory=MailSettings)
    config_dir: Path = field(default_factory=Path.cwd)

    @property
    def base_url(self) -> str:
        return f"{self.server.scheme}://{self.server.domain}"

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` on an https instance unless ``webui.session_https_only`` says."""
        explicit = self.webui.session_https_only
        return self.server.scheme == "https" if explicit is None else explicit

    @property
    def host(self) -> str:
        """The domain without its port, as WebFinger ``acct:`` handles and Mastodon use it."""
        return self.server.domain.split(":", 1)[0]

    @property
    def user_agent(self) -> str:
        from config import __version__

        return self.federation.user_agent or (
            f"QuartiersCollaboratifs/{__version__} (+{self.base_url}/)"
        )

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the config folder."""
        url = self.database.url
        prefix = "sqlite+aiosqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            path = url[len(prefix) :]
            if path and path != ":memory:":
                return prefix + str((self.config_dir / path).resolve())
        return url


_SECTIONS: dict[str, type[Any]] = {
    "server": ServerSettings,
    "database": DatabaseSettings,
    "federation": FederationSettings,
    "webui": WebUISettings,
    "mail": MailSettings,
}


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    require_file: bool = True,
) -> Settings:
    """Read ``path`` (default ``config.toml`` or ``$QUARTIERS_CONFIG``), apply env overrides, check."""
    env = os.environ if environ is None else environ
    if path is None:
        path = Path(env.get("QUARTIERS_CONFIG", str(DEFAULT_CONFIG_PATH)))
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML ({error})") from None
        except OSError as error:
            raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    elif require_file:
        raise ConfigError(
            f"{path}: no configuration file; create one with `quartiers init` "
            "or copy config.example.toml"
        )
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] must be a table")
        sections[name] = _build_section(name, cls, table, env)
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"unknown section [{sorted(unknown)[0]}] in {path}")
    sections["server"] = _follow_bind_port(sections["server"])
    settings = Settings(config_dir=path.resolve().parent, **sections)
    validate(settings)
    return settings


def _follow_bind_port(server: ServerSettings) -> ServerSettings:
    """A loopback domain with a port (development) takes the bind port, so changing the port
    moves every link and id with it. A real domain never changes: behind a reverse proxy, the
    public port is the proxy's."""
    host, separator, port = server.domain.rpartition(":")
    if not separator or not port.isdecimal() or host.lower() not in LOOPBACK_HOSTS:
        return server
    if not 0 < server.bind_port < 65536:
        return server  # validate() names the wrong bind port
    return replace(server, domain=f"{host}:{server.bind_port}")


def setting_env_names() -> list[str]:
    """Every ``QUARTIERS_<SECTION>_<KEY>`` variable the settings read."""
    return [
        f"{ENV_PREFIX}{name.upper()}_{spec.name.upper()}"
        for name, cls in _SECTIONS.items()
        for spec in fields(cls)
    ]


def unknown_env_warnings(environ: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per ``QUARTIERS_*`` variable nothing reads, naming the nearest real one."""
    env = os.environ if environ is None else environ
    known = setting_env_names()
    messages = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in known or name in OTHER_ENV_NAMES:
            continue
        if name.startswith(OTHER_ENV_PREFIXES):
            continue
        # Compared without the prefix they all share, which would make every name look close.
        candidates = {real[len(ENV_PREFIX) :]: real for real in [*known, *OTHER_ENV_NAMES]}
        nearest = difflib.get_close_matches(name[len(ENV_PREFIX) :], candidates, n=1, cutoff=0.6)
        hint = f"; did you mean {candidates[nearest[0]]}?" if nearest else ""
        messages.append(f"{name} is not a setting and is ignored{hint}")
    return messages


def _build_section(name: str, cls: type[Any], table: dict[str, Any], env: Mapping[str, str]) -> Any:
    known = {f.name: f for f in fields(cls)}
    for key in table:
        if key not in known:
            raise ConfigError(f"{name}.{key} is not a known setting")
    values: dict[str, Any] = {}
    for key, spec in known.items():
        default = spec.default
        env_name = f"QUARTIERS_{name.upper()}_{key.upper()}"
        if env_name in env:
            values[key] = _coerce(f"{name}.{key} ({env_name})", env[env_name], default)
        elif key in table:
            values[key] = _coerce(f"{name}.{key}", table[key], default)
    return cls(**values)


def _coerce(label: str, value: Any, default: Any) -> Any:
    """Turn a TOML or environment value into the type of the default, or say what is expected."""
    if isinstance(default, bool) or default is None:  # None: an optional switch
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "1", "yes", "on"}:
            return True
        if isinstance(value, str) and value.lower() in {"false", "0", "no", "off"}:
            return False
        raise ConfigError(f"{label} must be true or false, not {value!r}")
    if isinstance(default, int):
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or (isinstance(value, float) and not value.is_integer()):
            raise ConfigError(f"{label} must be a whole number, not {value!r}")
        return number
    if isinstance(default, float):
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{label} must be a number, not {value!r}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{label} must be a string, not {value!r}")
    return value


def validate(settings: Settings) -> None:
    server, federation, webui = settings.server, settings.federation, settings.webui
    if not server.name.strip():
        raise ConfigError("server.name must not be empty")
    if not _DOMAIN_RE.match(server.domain):
        raise ConfigError(
            f"server.domain must be a host name with an optional port "
            f"(like paquis.example or 127.0.0.1:8000), not {server.domain!r}"
        )
    if ":" in server.domain and not 0 < int(server.domain.rsplit(":", 1)[1]) < 65536:
        raise ConfigError(f"server.domain has a port outside 1-65535: {server.domain!r}")
    if server.scheme not in ("http", "https"):
        raise ConfigError(f"server.scheme must be http or https, not {server.scheme!r}")
    if not 0 < server.bind_port < 65536:
        raise ConfigError(f"server.bind_port must be between 1 and 65535, not {server.bind_port}")
    if server.default_language not in LANGUAGES:
        raise ConfigError(
            f"server.default_language must be one of {', '.join(LANGUAGES)}, "
            f"not {server.default_language!r}"
        )
    try:
        zoneinfo.ZoneInfo(server.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"server.timezone must be an IANA time zone like Europe/Zurich, not {server.timezone!r}"
        ) from None
    if len(server.description) > MAX_DESCRIPTION:
        raise ConfigError(
            f"server.description must be at most {MAX_DESCRIPTION} characters, "
            f"not {len(server.description)}"
        )
    if len(server.contact) > MAX_CONTACT:
        raise ConfigError(f"server.contact must be at most {MAX_CONTACT} characters")
    if server.area.strip() and parse_area(server.area) is None:
        raise ConfigError(
            "server.area must be four numbers south,west,north,east in degrees "
            f"(like 46.205,6.140,46.215,6.155), not {server.area!r}"
        )
    url = settings.database.url
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise ConfigError(
            "database.url must start with sqlite+aiosqlite:/// or postgresql+asyncpg://, "
            f"not {url.split('://', 1)[0]!r}"
        )
    if url.startswith("sqlite") and url.split("://", 1)[1].lstrip("/") in ("", ":memory:"):
        raise ConfigError(
            "database.url must name a SQLite file (an in-memory database is lost at exit), "
            f"not {url!r}"
        )
    for key in (
        "max_body_bytes",
        "max_response_bytes",
        "delivery_workers",
        "per_host_concurrency",
        "delivery_batch_size",
        "inbox_workers",
        "per_origin_concurrency",
        "signature_max_age_seconds",
        "backfill_days",
        "backfill_max_items",
    ):
        if getattr(federation, key) <= 0:
            raise ConfigError(f"federation.{key} must be greater than 0")
    if federation.signing_processes < 0:
        raise ConfigError("federation.signing_processes must be 0 (the worker signs) or more")
    for key in ("fetch_timeout_seconds", "delivery_timeout_seconds", "lease_seconds"):
        if getattr(federation, key) <= 0:
            raise ConfigError(f"federation.{key} must be greater than 0")
    if webui.registration not in REGISTRATION_MODES:
        raise ConfigError(
            f"webui.registration must be one of {', '.join(REGISTRATION_MODES)}, "
            f"not {webui.registration!r}"
        )
    if not webui.map_tiles_url.startswith("https://") or not all(
        part in webui.map_tiles_url for part in ("{z}", "{x}", "{y}")
    ):
        raise ConfigError(
            "webui.map_tiles_url must be an https:// address with {z}, {x} and {y}, "
            f"not {webui.map_tiles_url!r}"
        )
    if not (-90 <= webui.map_center_latitude <= 90 and -180 <= webui.map_center_longitude <= 180):
        raise ConfigError(
            "webui.map_center_latitude must be within -90..90 and "
            "webui.map_center_longitude within -180..180"
        )
    if webui.geocoder_url and not webui.geocoder_url.startswith(("https://", "http://")):
        raise ConfigError(
            "webui.geocoder_url must be empty or an http(s):// address of a Nominatim-style "
            f"search, not {webui.geocoder_url!r}"
        )
    if not 0 <= webui.visitor_cache_seconds <= 3600:
        raise ConfigError(
            "webui.visitor_cache_seconds must be between 0 (pages never kept) and 3600, "
            f"not {webui.visitor_cache_seconds!r}"
        )
    if len(webui.secret_key) < 32:
        raise ConfigError(
            "webui.secret_key must be at least 32 characters (`quartiers init` writes a random one)"
        )
    mail = settings.mail
    if not 0 < mail.port < 65536:
        raise ConfigError(f"mail.port must be between 1 and 65535, not {mail.port}")
    if mail.sender and not _MAIL_RE.match(mail.sender):
        raise ConfigError(
            f"mail.sender must be an address like quartier@paquis.example, not {mail.sender!r}"
        )
