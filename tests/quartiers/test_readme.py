"""The README's examples, run as written against a real server, so that they cannot rot.

The instance is made the way ``make run`` makes it (``init --domain 127.0.0.1:8000``, ``migrate``,
``demo --if-empty``, ``serve``), on a free port chosen the documented way
(``QUARTIERS_SERVER_BIND_PORT``); the README's shell block runs in bash, in that folder, with its
``.venv``, changed only in its port.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from quartiers.cli import build_parser
from tests.quartiers.cli_support import (
    COMMAND_TIMEOUT,
    free_port,
    quartiers_env,
    query_sqlite,
    run_quartiers,
    serving,
)

README = Path(__file__).resolve().parents[2] / "README.md"
DATABASE = Path("data") / "quartiers.db"
DOCUMENTED_ADDRESS = "127.0.0.1:8000"
EFFECT_TIMEOUT = 15.0


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def shell_blocks(section: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


@dataclass(frozen=True)
class Served:
    folder: Path
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """What ``QUARTIERS_SERVER_BIND_PORT=<free port> make run`` leaves running."""
    folder = tmp_path_factory.mktemp("make-run")
    # The clone's virtual environment, as `make run` creates it beside the code.
    (folder / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    assert (folder / ".venv" / "bin" / "quartiers").exists()
    port = free_port()
    env = quartiers_env(QUARTIERS_SERVER_BIND_PORT=str(port))
    for step in (
        ("init", "--domain", DOCUMENTED_ADDRESS),
        ("migrate",),
        ("demo", "--if-empty"),
    ):
        result = run_quartiers(folder, *step, env=env)
        assert result.returncode == 0, result.stderr
    with serving(folder, port):
        yield Served(folder, port)


def wait_for_rows(database: Path, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    """The rows ``sql`` finds once the server has written them (a bounded wait)."""
    deadline = time.monotonic() + EFFECT_TIMEOUT
    rows = query_sqlite(database, sql, *parameters)
    while not rows and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = query_sqlite(database, sql, *parameters)
    return rows


def test_the_client_api_examples_work_as_written(served: Served) -> None:
    # Given the README's client-to-server block, which uses the demo's names
    [block] = shell_blocks(readme_section("Client-to-server API"))
    assert "TOKEN=$(.venv/bin/quartiers token create amelie)" in block
    assert f"http://{DOCUMENTED_ADDRESS}/@repair-cafe" in block
    script = block.replace(DOCUMENTED_ADDRESS, served.address)

    # When it runs in bash, in the instance's folder, stopping at the first failure
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=served.folder,
        env=quartiers_env(QUARTIERS_SERVER_BIND_PORT=str(served.port)),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )

    # Then it succeeds, amelie's note is published and she follows the repair café
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stdout.lower(), result.stdout
    database = served.folder / DATABASE
    notes = wait_for_rows(
        database,
        "SELECT posts.uri FROM posts JOIN actors ON actors.id = posts.actor_id "
        "WHERE actors.username = 'amelie' AND posts.content_html LIKE ?",
        "%Qui a une échelle à prêter samedi ?%",
    )
    assert len(notes) == 1
    assert str(notes[0][0]).startswith(f"http://{served.address}/")
    follows = wait_for_rows(
        database,
        "SELECT follows.state FROM follows "
        "JOIN actors AS follower ON follower.id = follows.follower_id "
        "JOIN actors AS followed ON followed.id = follows.followed_id "
        "WHERE follower.username = 'amelie' AND followed.username = 'repair-cafe' "
        "AND follows.state = 'accepted'",
    )
    assert follows == [("accepted",)]


def test_a_changed_port_changes_the_public_address(served: Served) -> None:
    # Given `make run` with QUARTIERS_SERVER_BIND_PORT set to a port that is not 8000
    assert served.port != 8000
    config = (served.folder / "config.toml").read_text(encoding="utf-8")
    assert f'domain = "{served.address}"' in config
    assert f"bind_port = {served.port}" in config

    # When another server asks WebFinger for amelie on that port, then reads her actor
    base = f"http://{served.address}"
    with httpx2.Client(timeout=10.0) as client:
        finger = client.get(
            f"{base}/.well-known/webfinger",
            params={"resource": f"acct:amelie@{served.address}"},
        )
        assert finger.status_code == 200, finger.text
        [self_link] = [link for link in finger.json()["links"] if link["rel"] == "self"]
        actor = client.get(self_link["href"], headers={"Accept": "application/activity+json"})
        home = client.get(f"{base}/", headers={"Accept": "text/html"})

    # Then every address says the port the server listens on
    assert self_link["href"] == f"{base}/@amelie"
    assert actor.status_code == 200
    document = actor.json()
    assert document["id"] == f"{base}/@amelie"
    assert document["inbox"].startswith(f"{base}/")
    assert document["publicKey"]["id"].startswith(f"{base}/@amelie")
    assert "127.0.0.1:8000" not in home.text


def documented_commands() -> dict[str, set[str]]:
    """``{"account create": {"--admin", …}}`` from the README's command table."""
    rows = re.findall(r"^\| `quartiers ([^`]+)` \|", readme_section("The command line"), re.M)
    commands: dict[str, set[str]] = {}
    for row in rows:
        words = re.match(r"[a-z]+(?: [a-z|\\]+)?", row)
        assert words is not None, row
        options = set(re.findall(r"--[a-z-]+", row))
        name = words.group(0).replace("\\", "").strip()
        if "|" in name:  # `block add|remove|list DOMAIN`
            head, actions = name.split(" ", 1)
            for action in actions.split("|"):
                commands[f"{head} {action}"] = options
        else:
            commands[name] = options
    return commands


def parser_commands() -> dict[str, argparse.ArgumentParser]:
    """Every command the real parser knows, by its words (``"token create"``)."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    words = f"{prefix} {name}".strip()
                    if any(isinstance(a, argparse._SubParsersAction) for a in child._actions):
                        walk(child, words)
                    else:
                        found[words] = child

    walk(build_parser(), "")
    return found


def test_the_command_table_names_every_command_and_only_real_options() -> None:
    # Given the README's table of commands and the real command line
    documented = documented_commands()
    real = parser_commands()

    # Then both name the same commands
    assert {name.split(" ")[0] for name in documented} == {name.split(" ")[0] for name in real}
    for name in real:
        head = name.split(" ")[0]
        assert name in documented or head in documented, name

    # And every option the table shows is one the command takes
    for name, options in documented.items():
        assert name in real, name
        accepted = {option for action in real[name]._actions for option in action.option_strings}
        assert options <= accepted, (name, options - accepted)
