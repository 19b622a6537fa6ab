"""The real ``quartiers`` command, run in subprocesses: outcomes, exit codes and one-line errors."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx2
import pytest

from storage.migrate import head_revision
from tests.quartiers.cli_support import (
    assert_one_line_error,
    free_port,
    quartiers_env,
    query_sqlite,
    run_quartiers,
    serving,
)

COMMANDS = {
    "init": "write a configuration, create the database and the instance actor",
    "migrate": "upgrade the database schema, keeping all data",
    "serve": "serve the web UI and federation",
    "worker": "run queue workers only",
    "account": "manage residents' accounts",
    "group": "manage collectives",
    "token": "manage API tokens",
    "block": "block or unblock remote domains",
    "petition": "check petitions",
    "demo": "fill an empty instance with a Geneva neighbourhood",
    "doctor": "check the configuration, database, keys and public URL",
    "backup": "write a consistent copy of the database and configuration, even while serving",
    "restore": "bring a backup back into an empty instance",
}
PASSWORD = "correct horse battery\n"
DATABASE = Path("data") / "quartiers.db"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised instance with one resident, ``alice``; tests add only names of their own."""
    folder = tmp_path_factory.mktemp("instance")
    assert run_quartiers(folder, "init", "--domain", "127.0.0.1:8711").returncode == 0
    created = run_quartiers(
        folder, "account", "create", "alice", "--password-stdin", stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    return folder


def test_help_lists_every_command_with_its_purpose(tmp_path: Path) -> None:
    # When `quartiers --help` runs
    result = run_quartiers(tmp_path, "--help")

    # Then every command is listed with its help text
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    for name, purpose in COMMANDS.items():
        assert f"{name} {purpose}" in help_text, name


def test_init_writes_config_database_and_instance_actor_and_never_overwrites(
    tmp_path: Path,
) -> None:
    # When `quartiers init` runs in an empty folder
    result = run_quartiers(tmp_path, "init", "--domain", "127.0.0.1:8712", "--name", "Jonction")

    # Then it writes the config, the database and the instance actor
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert 'domain = "127.0.0.1:8712"' in config
    assert "bind_port = 8712" in config
    assert "allow_private_addresses = true" in config
    assert query_sqlite(tmp_path / DATABASE, "SELECT uri, type FROM actors") == [
        ("http://127.0.0.1:8712/actor", "Application")
    ]
    assert not list(tmp_path.glob(".config.toml*"))

    # When it runs again
    again = run_quartiers(tmp_path, "init", "--domain", "paquis.example")

    # Then it refuses, and the first config is untouched
    assert_one_line_error(again, "config.toml already exists")
    assert (tmp_path / "config.toml").read_text(encoding="utf-8") == config


@pytest.mark.parametrize("domain", ["bad domain", "paquis.example:port"])
def test_init_with_a_bad_domain_leaves_nothing_behind(tmp_path: Path, domain: str) -> None:
    # When `quartiers init` is given a wrong domain
    result = run_quartiers(tmp_path, "init", "--domain", domain)

    # Then it says which setting is wrong and creates neither config nor database
    assert_one_line_error(result, "server.domain", repr(domain))
    assert list(tmp_path.iterdir()) == []


def test_account_create_then_a_duplicate(instance: Path) -> None:
    # When an account is created with its password on stdin
    created = run_quartiers(
        instance,
        "account",
        "create",
        "bruno",
        "--password-stdin",
        "--admin",
        "--name",
        "Bruno Favre",
        stdin=PASSWORD,
    )

    # Then it exists, with a hashed password
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "Created admin @bruno@127.0.0.1:8711"
    [(password_hash, is_admin)] = query_sqlite(
        instance / DATABASE,
        "SELECT password_hash, is_admin FROM accounts WHERE username = ?",
        "bruno",
    )
    assert is_admin == 1
    assert password_hash.startswith("$argon2")

    # When the same name is taken again
    duplicate = run_quartiers(
        instance, "account", "create", "bruno", "--password-stdin", stdin=PASSWORD
    )

    # Then it is one line and exit 1
    assert_one_line_error(duplicate, "name 'bruno': This name is already taken here.")


def test_group_create_and_its_refusals(instance: Path) -> None:
    # When a shared space is created for alice
    created = run_quartiers(
        instance,
        "group",
        "create",
        "atelier-velo",
        "--kind",
        "space",
        "--owner",
        "alice",
        "--display-name",
        "Atelier vélo",
    )

    # Then the collective exists, with alice as its admin
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "Created space @atelier-velo@127.0.0.1:8711"
    rows = query_sqlite(
        instance / DATABASE,
        "SELECT g.type, g.group_kind, g.name, m.role, p.username FROM memberships m "
        "JOIN actors g ON g.id = m.group_id JOIN actors p ON p.id = m.member_id "
        "WHERE g.username = ?",
        "atelier-velo",
    )
    assert rows == [("Group", "space", "Atelier vélo", "admin", "alice")]

    # Then a taken name, an unknown owner and an unknown kind are refused
    taken = run_quartiers(
        instance, "group", "create", "atelier-velo", "--kind", "project", "--owner", "alice"
    )
    assert_one_line_error(taken, "name 'atelier-velo': This name is already taken here.")
    no_owner = run_quartiers(
        instance, "group", "create", "potager", "--kind", "project", "--owner", "nobody"
    )
    assert_one_line_error(no_owner, "name 'nobody': There is no such account here.")
    bad_kind = run_quartiers(
        instance, "group", "create", "potager", "--kind", "club", "--owner", "alice"
    )
    assert bad_kind.returncode == 2
    assert "invalid choice: 'club'" in bad_kind.stderr
    assert "Traceback" not in bad_kind.stderr
    assert (
        query_sqlite(instance / DATABASE, "SELECT 1 FROM actors WHERE username = 'potager'") == []
    )


def test_token_create_prints_a_token_kept_only_as_a_hash(instance: Path) -> None:
    # When a token is created for alice
    result = run_quartiers(instance, "token", "create", "alice")

    # Then it is printed alone, and only its digest is stored
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert len(token) >= 40
    assert " " not in token
    digest = hashlib.sha256(token.encode()).hexdigest()
    stored = query_sqlite(
        instance / DATABASE, "SELECT label FROM api_tokens WHERE token_sha256 = ?", digest
    )
    assert stored == [("cli",)]


def test_block_add_list_remove(tmp_path: Path) -> None:
    # Given an instance of its own, so that the whole list is this test's to check
    instance = tmp_path
    assert run_quartiers(instance, "init", "--domain", "127.0.0.1:8713").returncode == 0
    assert run_quartiers(instance, "block", "list").stderr.strip() == "No blocked domain."

    # When a domain is blocked, with a reason
    added = run_quartiers(instance, "block", "add", "Spam.Example.", "--reason", "spam")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Blocked spam.example"

    # Then it is listed, normalised, as a suspension typed here
    listed = run_quartiers(instance, "block", "list")
    assert listed.stdout.splitlines() == ["spam.example\tsuspend\ttyped here\tspam"]

    # When another domain is only limited, and the first one's severity changed to a limit
    limited = run_quartiers(instance, "block", "add", "loud.example", "--severity", "limit")
    assert limited.stdout.strip() == "Limited loud.example"
    changed = run_quartiers(instance, "block", "add", "spam.example", "--severity", "limit")
    assert changed.stdout.strip() == "Limited spam.example (was suspend)"

    # Then both are listed as limits
    assert run_quartiers(instance, "block", "list").stdout.splitlines() == [
        "loud.example\tlimit\ttyped here",
        "spam.example\tlimit\ttyped here\tspam",
    ]
    assert run_quartiers(instance, "block", "remove", "loud.example").returncode == 0

    # When it is unblocked, it is gone from the list
    removed = run_quartiers(instance, "block", "remove", "spam.example")
    assert removed.stdout.strip() == "Unblocked spam.example"
    listed_again = run_quartiers(instance, "block", "list")
    assert listed_again.returncode == 0
    assert listed_again.stdout == ""
    assert listed_again.stderr.strip() == "No blocked domain."


def test_block_mistakes_are_one_line_each(tmp_path: Path) -> None:
    # Given an instance
    assert run_quartiers(tmp_path, "init", "--domain", "127.0.0.1:8714").returncode == 0

    # When a block names no domain, an obfuscated one, or lifts a block that is not there
    for arguments, expected in (
        (("add", "https://spam.example/x"), "is not a domain name"),
        (("add", "sp*m.example"), "is not a domain name"),
        (("remove", "nothing.example"), "nothing.example is not blocked"),
    ):
        result = run_quartiers(tmp_path, "block", *arguments)

        # Then each is refused in one line on stderr, with a non-zero exit
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert expected in result.stderr

    # When the severity is unknown, argparse says so (with its usage line) and exits 2
    wrong = run_quartiers(tmp_path, "block", "add", "spam.example", "--severity", "silence")
    assert wrong.returncode == 2
    assert "invalid choice" in wrong.stderr


def test_demo_fills_an_empty_instance_once(tmp_path: Path) -> None:
    # Given a fresh instance
    assert run_quartiers(tmp_path, "init").returncode == 0

    # When the demo runs
    first = run_quartiers(tmp_path, "demo")

    # Then the neighbourhood is there
    assert first.returncode == 0, first.stderr
    assert "5 residents, 4 collectives, 6 posts" in first.stdout

    # Then, stderr being no terminal, its progress is one log line per batch: residents,
    # collectives, posts, events, offers, petitions
    progress = [line for line in first.stderr.splitlines() if "quartiers.progress" in line]
    assert [line.rpartition(": ")[2] for line in progress] == [
        "5/28 items (17%)",
        "9/28 items (32%)",
        "15/28 items (53%)",
        "19/28 items (67%)",
        "26/28 items (92%)",
        "28/28 items (100%)",
    ]
    [(groups,)] = query_sqlite(
        tmp_path / DATABASE, "SELECT count(*) FROM actors WHERE type = ?", "Group"
    )
    assert groups == 4

    # Then running it again is refused, unless --if-empty asks to skip quietly
    assert_one_line_error(run_quartiers(tmp_path, "demo"), "already has residents")
    skipped = run_quartiers(tmp_path, "demo", "--if-empty")
    assert skipped.returncode == 0, skipped.stderr
    assert query_sqlite(tmp_path / DATABASE, "SELECT count(*) FROM posts") == [(6,)]

    # And the assembly's petition, signed by four residents, checks out signature by signature
    [(uri,)] = query_sqlite(
        tmp_path / DATABASE, "SELECT uri FROM petitions WHERE status = ?", "collecting"
    )
    checked = run_quartiers(tmp_path, "petition", "verify", uri.rsplit("/", 1)[1])
    assert checked.returncode == 0, checked.stderr
    assert "signatures counted: 4 (tally kept: 4)" in checked.stdout
    assert "integrity proofs valid: 4" in checked.stdout

    # And its poll, several answers allowed, has three voters; its proposal two supports
    assert query_sqlite(tmp_path / DATABASE, "SELECT support_count FROM proposals") == [(2,)]
    assert query_sqlite(tmp_path / DATABASE, "SELECT multiple, voters_count FROM polls") == [(1, 3)]
    # But not once a signature is changed in the database
    with closing(sqlite3.connect(tmp_path / DATABASE)) as connection, connection:
        connection.execute(
            "UPDATE petition_signatures SET proof = replace(proof, 'Je signe', 'Je refuse') "
            "WHERE id = (SELECT min(id) FROM petition_signatures)"
        )
    assert_one_line_error(run_quartiers(tmp_path, "petition", "verify", uri), "1 proofs failed")
    unknown = run_quartiers(tmp_path, "petition", "verify", "nothing-here")
    assert_one_line_error(unknown, "no petition of this server is")


def test_migrate_on_an_existing_database_keeps_the_data(instance: Path) -> None:
    # Given an instance with alice
    # When `quartiers migrate` runs on it
    result = run_quartiers(instance, "migrate")

    # Then the schema is at head and alice is still there
    assert result.returncode == 0, result.stderr
    head = head_revision()
    assert result.stdout.strip() == f"Database schema: {head} → {head}"
    assert query_sqlite(
        instance / DATABASE, "SELECT username FROM accounts WHERE username = ?", "alice"
    ) == [("alice",)]


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("QUARTIERS_SERVER_TIMEZONE", "Europe/Geneve", "server.timezone"),
        ("QUARTIERS_CONFIG", "missing.toml", "missing.toml: no configuration file"),
    ],
)
def test_a_bad_configuration_is_one_line_without_traceback(
    instance: Path, variable: str, value: str, fragment: str
) -> None:
    # When a command runs with a wrong setting
    result = run_quartiers(
        instance,
        "account",
        "create",
        "carla",
        "--password-stdin",
        stdin=PASSWORD,
        env=quartiers_env(**{variable: value}),
    )

    # Then it stops with one line naming the setting
    assert_one_line_error(result, "configuration: ", fragment)


def test_serve_on_a_taken_port_is_one_line(instance: Path) -> None:
    # Given another program listening on the configured port
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        # When the server starts
        result = run_quartiers(
            instance, "serve", env=quartiers_env(QUARTIERS_SERVER_BIND_PORT=str(port))
        )

    # Then it says so and exits
    assert_one_line_error(
        result, f"cannot listen on 127.0.0.1:{port}", "QUARTIERS_SERVER_BIND_PORT"
    )


def test_serve_with_an_unreachable_database_is_one_line(instance: Path) -> None:
    # When the server starts against a PostgreSQL that does not answer
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    result = run_quartiers(instance, "serve", env=quartiers_env(QUARTIERS_DATABASE_URL=url))

    # Then it names the database and exits
    assert_one_line_error(result, f"cannot use the database at {url}")


def test_serve_answers_the_home_page_in_french(instance: Path) -> None:
    # Given the server running on a free port
    port = free_port()
    with serving(instance, port, "--no-workers"):
        # When a browser asks for the home page
        response = httpx2.get(f"http://127.0.0.1:{port}/", headers={"Accept": "text/html"})

    # Then it is the instance's page, in French
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Quartier des Pâquis" in response.text
    assert "Collectifs" in response.text
    assert response.headers["content-language"] == "fr"


def test_an_unknown_variable_is_one_warning_and_the_command_goes_on(instance: Path) -> None:
    # When a command runs with a misspelt setting in its environment
    result = run_quartiers(
        instance, "token", "create", "alice", env=quartiers_env(QUARTIERS_SERVER_BIND_PROT="9000")
    )

    # Then it warns once, naming the real key, and does its work
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "quartiers: warning: QUARTIERS_SERVER_BIND_PROT is not a setting and is ignored; "
        "did you mean QUARTIERS_SERVER_BIND_PORT?"
    ]
    assert len(result.stdout.strip()) >= 32


def test_doctor_prints_only_its_own_lines(instance: Path) -> None:
    # Given the instance serving on a free port (its address follows the port)
    port = free_port()
    with serving(instance, port, "--no-workers"):
        # When the doctor runs, its HTTP client and database drivers busy
        result = run_quartiers(
            instance, "doctor", env=quartiers_env(QUARTIERS_SERVER_BIND_PORT=str(port))
        )

    # Then every line is one of its checks or its verdict, and no library logs anything
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line[:6] for line in lines[:-1]] == ["[ok  ]"] * 5, result.stdout
    assert f"http://127.0.0.1:{port}/.well-known/nodeinfo answers" in lines[-2]
    assert lines[-1] == "All checks passed."
    assert result.returncode == 0


def test_a_password_over_the_limit_is_one_line(instance: Path) -> None:
    # When an account is created with a password longer than 1024 characters
    result = run_quartiers(
        instance, "account", "create", "longpass", "--password-stdin", stdin="x" * 1025 + "\n"
    )

    # Then it is refused in one line, and no account is made
    assert_one_line_error(result, "at most 1024 characters")
    assert (
        query_sqlite(instance / DATABASE, "SELECT 1 FROM accounts WHERE username = ?", "longpass")
        == []
    )
