"""Settings: the example file, environment overrides, and one clear line for each wrong value."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from config.settings import (
    ConfigError,
    DatabaseSettings,
    FederationSettings,
    MailSettings,
    ServerSettings,
    Settings,
    WebUISettings,
    load_settings,
    setting_env_names,
    unknown_env_warnings,
)
from config.template import ConfigValues, render_config
from tests.support import TEST_SECRET

REPOSITORY = Path(__file__).resolve().parents[2]
SECTIONS = {
    "server": ServerSettings,
    "database": DatabaseSettings,
    "federation": FederationSettings,
    "webui": WebUISettings,
    "mail": MailSettings,
}
# A valid value, different from the default, for every string setting.
STRING_OVERRIDES = {
    "server.name": "Quartier de la Jonction",
    "server.domain": "jonction.example:8443",
    "server.scheme": "https",
    "server.bind_host": "192.0.2.10",
    "server.default_language": "en",
    "server.timezone": "America/Montreal",
    "server.city": "Lausanne",
    "server.description": "Au bord du Rhône.",
    "server.contact": "https://jonction.example/contact",
    "server.area": "46.199,6.127,46.208,6.141",
    "database.url": "postgresql+asyncpg://quartiers:secret@db.internal/quartiers",
    "federation.user_agent": "Quartiers-Test/1.0",
    "webui.secret_key": "another-secret-key-" + "y" * 40,
    "webui.registration": "open",
    "webui.map_tiles_url": "https://tiles.geneve.example/osm/{z}/{x}/{y}.png",
    "webui.map_attribution": "Fond de carte : SITG, OpenStreetMap",
    "webui.geocoder_url": "https://nominatim.geneve.example/search",
    "mail.host": "smtp.paquis.example",
    "mail.username": "quartier",
    "mail.password": "smtp-secret",
    "mail.sender": "quartier@paquis.example",
}


def write_config(folder: Path, text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text or render_config(ConfigValues(secret_key=TEST_SECRET)), encoding="utf-8")
    return path


def override_for(section: str, key: str, default: object) -> tuple[str, object]:
    """An environment string for a setting and the typed value it must load as."""
    if isinstance(default, bool):
        return ("off" if default else "yes"), not default
    if default is None:  # an optional switch, derived from other settings when absent
        return "yes", True
    if isinstance(default, int):
        return str(default + 7), default + 7
    if isinstance(default, float):
        return str(default + 0.5), default + 0.5
    value = STRING_OVERRIDES[f"{section}.{key}"]
    return value, value


def every_setting() -> list[tuple[str, str, object]]:
    return [
        (section, spec.name, spec.default)
        for section, cls in SECTIONS.items()
        for spec in fields(cls)
    ]


def test_the_example_file_is_what_init_writes_with_default_values() -> None:
    # Given the example shipped in the repository
    example = (REPOSITORY / "config.example.toml").read_text(encoding="utf-8")

    # When the same file is rendered from the default values
    rendered = render_config(ConfigValues())

    # Then they are identical, so the example never drifts from `quartiers init`
    assert example == rendered


def test_the_example_file_loads(tmp_path: Path) -> None:
    # Given a copy of the example
    path = write_config(tmp_path, (REPOSITORY / "config.example.toml").read_text("utf-8"))

    # When it is loaded without any environment override
    settings = load_settings(path, environ={})

    # Then its values are the documented defaults
    assert settings.server.name == "Quartier des Pâquis"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.server.default_language == "fr"
    assert settings.federation == FederationSettings()
    assert settings.webui.registration == "invitation"


def test_every_setting_is_documented_in_the_file(tmp_path: Path) -> None:
    # Given the rendered file, loaded
    settings = load_settings(write_config(tmp_path), environ={})

    # Then every setting the dataclasses know is present in the file, so none is undocumented
    text = render_config(ConfigValues())
    for section, key, default in every_setting():
        assert f"[{section}]" in text
        documented = f"\n{key} = " in text or (default is None and f"\n# {key} = " in text)
        assert documented, f"{section}.{key} is missing from config.example.toml"
    assert settings.webui.secret_key == TEST_SECRET


@pytest.mark.parametrize(("section", "key", "default"), every_setting())
def test_every_setting_can_be_overridden_by_the_environment(
    tmp_path: Path, section: str, key: str, default: object
) -> None:
    # Given a valid file and QUARTIERS_<SECTION>_<KEY> set to another valid value
    env_value, expected = override_for(section, key, default)
    environ = {f"QUARTIERS_{section.upper()}_{key.upper()}": env_value}

    # When the settings are loaded
    settings = load_settings(write_config(tmp_path), environ=environ)

    # Then the environment wins, with the setting's own type
    loaded = getattr(getattr(settings, section), key)
    assert loaded == expected
    assert type(loaded) is type(expected)


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"QUARTIERS_SERVER_DOMAIN": "bad domain"}, "server.domain"),
        ({"QUARTIERS_SERVER_DOMAIN": "https://paquis.example"}, "server.domain"),
        ({"QUARTIERS_SERVER_DOMAIN": "paquis.example:70000"}, "server.domain"),
        ({"QUARTIERS_SERVER_SCHEME": "ftp"}, "server.scheme"),
        ({"QUARTIERS_SERVER_BIND_PORT": "70000"}, "server.bind_port"),
        ({"QUARTIERS_SERVER_BIND_PORT": "0"}, "server.bind_port"),
        ({"QUARTIERS_SERVER_BIND_PORT": "eighty"}, "server.bind_port"),
        ({"QUARTIERS_SERVER_TIMEZONE": "Mars/Olympus_Mons"}, "server.timezone"),
        ({"QUARTIERS_SERVER_DEFAULT_LANGUAGE": "tlh"}, "server.default_language"),
        ({"QUARTIERS_SERVER_NAME": "  "}, "server.name"),
        ({"QUARTIERS_DATABASE_URL": "mysql://root@localhost/quartiers"}, "database.url"),
        ({"QUARTIERS_DATABASE_URL": "sqlite:///quartiers.db"}, "database.url"),
        ({"QUARTIERS_DATABASE_URL": "sqlite+aiosqlite:///:memory:"}, "database.url"),
        ({"QUARTIERS_WEBUI_SECRET_KEY": "too-short"}, "webui.secret_key"),
        ({"QUARTIERS_WEBUI_REGISTRATION": "everyone"}, "webui.registration"),
        (
            {"QUARTIERS_WEBUI_MAP_TILES_URL": "http://tiles.example/{z}/{x}/{y}.png"},
            "webui.map_tiles_url",
        ),
        (
            {"QUARTIERS_WEBUI_MAP_TILES_URL": "https://tiles.example/tile.png"},
            "webui.map_tiles_url",
        ),
        ({"QUARTIERS_WEBUI_VISITOR_CACHE_SECONDS": "-1"}, "webui.visitor_cache_seconds"),
        ({"QUARTIERS_WEBUI_VISITOR_CACHE_SECONDS": "a while"}, "webui.visitor_cache_seconds"),
        ({"QUARTIERS_FEDERATION_SECURE_MODE": "maybe"}, "federation.secure_mode"),
        ({"QUARTIERS_MAIL_PORT": "0"}, "mail.port"),
        ({"QUARTIERS_MAIL_SENDER": "not an address"}, "mail.sender"),
        ({"QUARTIERS_MAIL_STARTTLS": "perhaps"}, "mail.starttls"),
        ({"QUARTIERS_FEDERATION_DELIVERY_WORKERS": "0"}, "federation.delivery_workers"),
        (
            {"QUARTIERS_FEDERATION_FETCH_TIMEOUT_SECONDS": "soon"},
            "federation.fetch_timeout_seconds",
        ),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_key(
    tmp_path: Path, environ: dict[str, str], key: str
) -> None:
    # Given a valid file and one wrong value in the environment
    path = write_config(tmp_path)

    # When the settings are loaded
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ=environ)

    # Then the error is a single line that names the setting
    message = str(raised.value)
    assert key in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("bind_port = 8000", "bind_port = 8000.5", "server.bind_port"),
        ("secure_mode = false", 'secure_mode = "sometimes"', "federation.secure_mode"),
        ('city = "Genève"', "city = 1204", "server.city"),
        ("[server]\n", '[server]\nnmae = "Pâquis"\n', "server.nmae"),
        ("[webui]\n", '[serveur]\nname = "Pâquis"\n\n[webui]\n', "[serveur]"),
        ('scheme = "http"', 'scheme = "http', "not valid TOML"),
        ('area = ""', 'area = "46.21,6.15,46.20"', "server.area"),
        ('area = ""', 'area = "46.22,6.14,46.21,6.15"', "south,west,north,east"),
        ('description = ""', f'description = "{"très long " * 60}"', "server.description"),
    ],
)
def test_a_wrong_file_is_one_line_naming_the_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    # Given a file with one mistake
    text = render_config(ConfigValues(secret_key=TEST_SECRET))
    assert old in text
    path = write_config(tmp_path, text.replace(old, new, 1))

    # When it is loaded
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={})

    # Then the single-line message names what is wrong
    message = str(raised.value)
    assert expected in message
    assert "\n" not in message


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    # Given no configuration file
    path = tmp_path / "nowhere" / "config.toml"

    # When the settings are loaded
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={})

    # Then the message names the file and the command that writes it
    message = str(raised.value)
    assert str(path) in message
    assert "quartiers init" in message
    assert "\n" not in message


def test_the_config_path_can_come_from_the_environment(tmp_path: Path) -> None:
    # Given a file outside the working directory, named by QUARTIERS_CONFIG
    path = write_config(tmp_path / "etc")

    # When the settings are loaded without a path
    settings = load_settings(None, environ={"QUARTIERS_CONFIG": str(path)})

    # Then that file was read
    assert settings.config_dir == path.parent.resolve()
    assert settings.webui.secret_key == TEST_SECRET


def test_a_relative_sqlite_path_is_resolved_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a config in one folder and a working directory elsewhere
    path = write_config(tmp_path / "instance")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    # When the settings are loaded with the default relative SQLite URL
    settings = load_settings(path, environ={})

    # Then the database file sits beside the config, not in the working directory
    expected = (tmp_path / "instance" / "data" / "quartiers.db").resolve()
    assert settings.database_url == f"sqlite+aiosqlite:///{expected}"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:////var/lib/quartiers/quartiers.db",
        "postgresql+asyncpg://quartiers@db.internal/quartiers",
    ],
)
def test_absolute_and_other_database_urls_are_kept_as_written(tmp_path: Path, url: str) -> None:
    # Given a database URL that is not a relative SQLite path
    settings = load_settings(write_config(tmp_path), environ={"QUARTIERS_DATABASE_URL": url})

    # Then it is used unchanged
    assert settings.database_url == url


def test_base_url_and_host_follow_the_domain() -> None:
    # Given a domain with a port
    settings = Settings(server=ServerSettings(domain="paquis.example:8443", scheme="https"))

    # Then ids use the port, handles do not
    assert settings.base_url == "https://paquis.example:8443"
    assert settings.host == "paquis.example"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_domain_follows_the_bind_port(tmp_path: Path, host: str) -> None:
    # Given a development config at HOST:8000
    config = render_config(ConfigValues(domain=f"{host}:8000", secret_key=TEST_SECRET))
    path = write_config(tmp_path, config)

    # When the bind port is changed the documented way
    settings = load_settings(path, environ={"QUARTIERS_SERVER_BIND_PORT": "8123"})

    # Then the public address moves with it
    assert settings.server.bind_port == 8123
    assert settings.server.domain == f"{host}:8123"
    assert settings.base_url == f"http://{host}:8123"


@pytest.mark.parametrize("domain", ["paquis.example", "paquis.example:8443"])
def test_a_real_domain_keeps_its_address_whatever_the_bind_port(
    tmp_path: Path, domain: str
) -> None:
    # Given a public domain, served behind a reverse proxy
    config = render_config(ConfigValues(domain=domain, scheme="https", secret_key=TEST_SECRET))

    # When the server listens on another port
    settings = load_settings(
        write_config(tmp_path, config), environ={"QUARTIERS_SERVER_BIND_PORT": "9000"}
    )

    # Then the public address is the proxy's, unchanged
    assert settings.server.bind_port == 9000
    assert settings.base_url == f"https://{domain}"


def test_an_unknown_variable_is_one_warning_naming_the_nearest_setting() -> None:
    # Given a misspelt setting, an unrelated QUARTIERS_ name, and the names read elsewhere
    environ = {
        "QUARTIERS_SERVER_BIND_PROT": "9000",
        "QUARTIERS_DATABSE_URL": "sqlite+aiosqlite:///x.db",
        "QUARTIERS_FLAVOUR": "vanilla",
        "QUARTIERS_CONFIG": "config.toml",
        "QUARTIERS_TEST_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/test",
        "QUARTIERS_SERVER_DOMAIN": "paquis.example",
        "PATH": "/usr/bin",
    }

    # When the environment is checked
    warnings = unknown_env_warnings(environ)

    # Then each unknown name gets one sentence, with the nearest real key when there is one
    assert warnings == [
        "QUARTIERS_DATABSE_URL is not a setting and is ignored; "
        "did you mean QUARTIERS_DATABASE_URL?",
        "QUARTIERS_FLAVOUR is not a setting and is ignored",
        "QUARTIERS_SERVER_BIND_PROT is not a setting and is ignored; "
        "did you mean QUARTIERS_SERVER_BIND_PORT?",
    ]
    # And every real setting is known
    assert unknown_env_warnings(dict.fromkeys(setting_env_names(), "x")) == []


@pytest.mark.parametrize(
    ("scheme", "written", "secure"),
    [
        ("https", None, True),
        ("http", None, False),
        ("https", "false", False),
        ("http", "true", True),
    ],
)
def test_cookies_are_secure_on_https_unless_the_file_says_otherwise(
    tmp_path: Path, scheme: str, written: str | None, secure: bool
) -> None:
    # Given the file `quartiers init --scheme …` writes, with session_https_only maybe set
    text = render_config(ConfigValues(secret_key=TEST_SECRET, scheme=scheme))
    if written is not None:
        text = text.replace("# session_https_only = true", f"session_https_only = {written}")

    # When it is loaded
    settings = load_settings(write_config(tmp_path, text), environ={})

    # Then cookies are Secure on https by default, and an explicit value wins
    assert settings.secure_cookies is secure
