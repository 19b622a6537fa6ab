"""The ``quartiers`` command line. Every failure is one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from config.settings import unknown_env_warnings
from quartiers import __version__, commands, event_loop
from quartiers.errors import CommandError

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartiers",
        description="Quartiers Collaboratifs: a federated server for a city neighbourhood.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, handler: Handler, parent: Any = sub) -> Any:
        command_parser = parent.add_parser(name, help=help_text, description=help_text)
        command_parser.set_defaults(handler=handler)
        return command_parser

    def with_config(command_parser: argparse.ArgumentParser) -> None:
        command_parser.add_argument(
            "--config",
            type=Path,
            default=None,
            help="configuration file (default: ./config.toml or $QUARTIERS_CONFIG)",
        )

    init = command(
        "init", "write a configuration, create the database and the instance actor", commands.init
    )
    init.add_argument("--domain", help="public host with an optional port, e.g. paquis.example")
    init.add_argument("--scheme", choices=("http", "https"), help="public URL scheme")
    init.add_argument("--db", help="database URL (default: SQLite under data/)")
    init.add_argument("--name", help="the instance's name, e.g. 'Quartier des Pâquis'")
    with_config(init)

    with_config(
        command("migrate", "upgrade the database schema, keeping all data", commands.migrate)
    )
    serve = command(
        "serve", "serve the web UI and federation, with queue workers in-process", commands.serve
    )
    with_config(serve)
    serve.add_argument(
        "--no-workers", action="store_true", help="do not run queue workers in this process"
    )
    with_config(
        command(
            "worker", "run queue workers only (several may run against PostgreSQL)", commands.worker
        )
    )

    account = sub.add_parser("account", help="manage residents' accounts").add_subparsers(
        dest="account_command", metavar="ACTION", required=True
    )
    account_create = command(
        "create", "create a resident's account", commands.account_create, account
    )
    account_create.add_argument("username")
    account_create.add_argument("--admin", action="store_true", help="make this account an admin")
    account_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    account_create.add_argument("--name", default="", help="display name")
    with_config(account_create)

    group = sub.add_parser("group", help="manage collectives").add_subparsers(
        dest="group_command", metavar="ACTION", required=True
    )
    group_create = command(
        "create",
        "create a collective (project, shared space or assembly)",
        commands.group_create,
        group,
    )
    group_create.add_argument("name")
    group_create.add_argument("--kind", required=True, choices=("project", "space", "assembly"))
    group_create.add_argument("--owner", required=True, help="username of its first admin")
    group_create.add_argument("--display-name", default="", help="name shown to people")
    with_config(group_create)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True
    )
    token_create = command(
        "create",
        "print a new bearer token for the client-to-server API",
        commands.token_create,
        token,
    )
    token_create.add_argument("username")
    with_config(token_create)

    block = sub.add_parser("block", help="block or unblock remote domains").add_subparsers(
        dest="block_command", metavar="ACTION", required=True
    )
    block_add = command(
        "add",
        "block a domain: its activities are dropped, nothing is sent to it",
        commands.block_add,
        block,
    )
    block_add.add_argument("domain")
    block_add.add_argument("--reason", default="")
    block_add.add_argument(
        "--severity",
        choices=("suspend", "limit"),
        default="suspend",
        help="suspend: refuse everything (default); limit: receive, but keep out of the city's "
        "views and of the notifications of residents who follow nobody there; on a domain "
        "blocked already, changes its severity",
    )
    with_config(block_add)
    block_remove = command("remove", "unblock a domain", commands.block_remove, block)
    block_remove.add_argument("domain")
    with_config(block_remove)
    with_config(
        command(
            "list",
            "list blocked and limited domains, with where each came from",
            commands.block_list,
            block,
        )
    )

    petition = sub.add_parser("petition", help="check petitions").add_subparsers(
        dest="petition_command", metavar="ACTION", required=True
    )
    verify = command(
        "verify",
        "check every signature of a petition again (proofs, HTTP records) and report the counts",
        commands.petition_verify,
        petition,
    )
    verify.add_argument("petition", help="its address, or the last part of it (its uuid)")
    with_config(verify)

    backup = command(
        "backup",
        "write a consistent copy of the database and configuration, even while serving",
        commands.backup,
    )
    backup.add_argument(
        "--to",
        type=Path,
        default=None,
        help="folder to write the backup in (default: backups/ beside the configuration)",
    )
    with_config(backup)
    restore = command("restore", "bring a backup back into an empty instance", commands.restore)
    restore.add_argument("path", type=Path, help="a folder written by `quartiers backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace the data of an instance that has some"
    )
    with_config(restore)

    demo = command("demo", "fill an empty instance with a Geneva neighbourhood", commands.demo)
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (and succeed) when the instance already has residents",
    )
    with_config(demo)
    with_config(
        command("doctor", "check the configuration, database, keys and public URL", commands.doctor)
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    for warning in unknown_env_warnings():
        print(f"quartiers: warning: {warning}", file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if arguments.handler is commands.doctor:
        # The doctor's report is its own lines only: each failure is one of its FAIL lines.
        logging.disable(logging.CRITICAL)
    try:
        code = event_loop.run(arguments.handler(arguments))
    except CommandError as error:
        print(f"quartiers: error: {error}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
