"""`rankfile` on the command line: the parser, and the commands every install has (run, sandbox,
invite-url, db, demo); each capability adds its own through CLI_MODULES."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import importlib
import signal
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot.core.config import ConfigError, Settings, load_settings

# Exactly what the bot uses: read and post in its channels, embeds and files (charts, .ics,
# exports), threads for town halls, the CAT role, and scheduled events for town halls.
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    manage_roles=True,
    manage_events=True,
    create_public_threads=True,
)
SANDBOX_START = datetime(2024, 7, 10, 17, 0, tzinfo=UTC)
# Capabilities with commands of their own (`rankfile faq ...`): each module has
# `add_commands(subparsers)` that adds its parsers with `set_defaults(func=...)`, where
# func(settings, args) -> exit code.
CLI_MODULES: list[str] = [
    "bot.cli.ops",
    "bot.cli.faq",
    "bot.cli.privacy",
    "bot.cli.updates",
    "bot.cli.site",
]


async def server_of(
    db: Any, given: int | None, sql: str, what: str, *, when_none: str | None = None
) -> int:
    """The server named with --guild, or the only one `sql` finds; UserError otherwise.

    `when_none` is what to say when the database holds none at all (then --guild would not
    help: say what would).
    """
    from bot.core.errors import UserError

    if given:
        return given
    found = [r[0] for r in await db.fetchall(sql)]
    if not found and when_none:
        raise UserError(when_none)
    if len(found) != 1:
        held = f"no {what}" if not found else f"{what} of {len(found)} servers"
        raise UserError(f"give --guild SERVER_ID (the database holds {held})")
    return int(found[0])


def _fail(message: str) -> int:
    print(f"rankfile: {message}", file=sys.stderr)
    return 2


def client_id_from_token(token: str) -> int | None:
    """A bot token's first part is its user id (the application id), base64-encoded."""
    first = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isdigit() else None


def invite_url(client_id: int) -> str:
    """The URL that adds the bot to a server with its scopes and permissions."""
    return discord.utils.oauth_url(
        client_id, permissions=BOT_PERMISSIONS, scopes=("bot", "applications.commands")
    )


def cmd_invite_url(settings: Settings, args: argparse.Namespace) -> int:
    """Print the invite URL."""
    client_id = args.client_id or (
        client_id_from_token(settings.token.get()) if settings.token else None
    )
    if not client_id:
        return _fail(
            "DISCORD_TOKEN holds no bot token yet: give --client-id (Developer Portal > your "
            "application > General Information > Application ID), or put the token in .env"
        )
    print(invite_url(int(client_id)))
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the bot for real."""
    try:
        token = settings.require_token()
    except ConfigError as exc:
        return _fail(str(exc))
    from bot.cli.ops import preflight

    if problem := preflight(settings):  # a foreign or too-new database: one line, no start
        return _fail(problem)
    from bot.core.logs import setup_logging
    from bot.glue.app import Rankfile

    setup_logging(settings)

    async def main() -> None:
        bot = Rankfile(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            try:
                await bot.start(token)
            except discord.LoginFailure:
                print(
                    "rankfile: Discord refused the token: reset it in the Developer Portal "
                    "(Bot > Reset Token) and update DISCORD_TOKEN.",
                    file=sys.stderr,
                )
                raise SystemExit(2) from None
            except discord.PrivilegedIntentsRequired:
                print(
                    "rankfile: Discord refused an intent: turn on the intents rankfile asks "
                    "for in the Developer Portal (Bot > Privileged Gateway Intents).",
                    file=sys.stderr,
                )
                raise SystemExit(2) from None
            except (OSError, aiohttp.ClientConnectionError) as exc:
                # Exit non-zero: systemd (Restart=on-failure) or Docker tries again later.
                print(
                    f"rankfile: cannot reach Discord ({type(exc).__name__}): check this "
                    "machine's internet connection; `rankfile doctor` tells more.",
                    file=sys.stderr,
                )
                raise SystemExit(1) from None

    asyncio.run(main())
    return 0


def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """Run the bot against the local fake of Discord with a demo server."""
    from bot.sandbox import repl as sandbox

    db_path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="rankfile-")) / "sb.db"
    script = Path(args.script) if args.script else None
    if script is not None and not script.is_file():
        return _fail(f"no script file at {script}")
    try:
        start = datetime.fromisoformat(args.now) if args.now else SANDBOX_START
    except ValueError:
        return _fail(
            f"--now takes a date and time such as 2024-07-10 or 2024-07-10T17:00, not {args.now!r}"
        )
    # A date without a zone is read as UTC.
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    asyncio.run(
        sandbox.main(
            db_path, start=start, script=script, json_mode=args.json, plain_text=args.plain_text
        )
    )
    return 0


# Commands that log in to Discord with DISCORD_TOKEN (the others run without it).
NEEDS_TOKEN = {cmd_run}


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    """Database maintenance: migrate, backup."""
    from bot.core.db import Database, DatabaseError

    if args.db_command in ("restore", "backups"):
        from bot.cli.ops import cmd_db_ops

        return cmd_db_ops(settings, args)

    async def main() -> int:
        db = Database(settings.db_path, key=settings.database_key)
        try:
            await db.open()
            if args.db_command == "migrate":
                applied = await db.migrate()
                version = await db.schema_version()
                print(f"applied {applied or 'nothing'}; {settings.db_path} is at version {version}")
            elif args.db_command == "backup":
                await db.pending_migrations()  # refuses a file that is not ours
                await db.backup_to(Path(args.path))
                print(f"backed up {settings.db_path} to {args.path}")
        except DatabaseError as exc:
            return _fail(str(exc))
        finally:
            await db.close()
        return 0

    return asyncio.run(main())


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Load the demo content into a server of the configured database."""
    from bot import demo
    from bot.core.db import Database, DatabaseError

    async def main() -> int:
        db = Database(settings.db_path, key=settings.database_key)
        try:
            await db.open()
            await db.migrate()
            for line in await demo.load(db, args.guild, datetime.now(UTC)):
                print(line)
        except DatabaseError as exc:
            return _fail(str(exc))
        finally:
            await db.close()
        return 0

    return asyncio.run(main())


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="rankfile", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot with DISCORD_TOKEN").set_defaults(func=cmd_run)

    sandbox = sub.add_parser("sandbox", help="run offline against a fake Discord")
    sandbox.add_argument("--script", help="run the actions in FILE instead of reading the terminal")
    sandbox.add_argument("--json", action="store_true", help="print one JSON object per action")
    sandbox.add_argument(
        "--plain-text",
        action="store_true",
        help="every demo member reads the bot as plain text (/settings plain-text: on)",
    )
    sandbox.add_argument("--db", help="database file (default: a new temporary file)")
    sandbox.add_argument("--now", help="the sandbox clock's start, ISO 8601 (default 2024-07-10)")
    sandbox.set_defaults(func=cmd_sandbox)

    invite = sub.add_parser("invite-url", help="print the URL that adds the bot to a server")
    invite.add_argument("--client-id", type=int, help="the application id")
    invite.set_defaults(func=cmd_invite_url)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="apply pending migrations")
    backup = db_sub.add_parser("backup", help="copy the database safely while the bot runs")
    backup.add_argument("path")
    importlib.import_module("bot.cli.ops").add_db_commands(db_sub)
    importlib.import_module("bot.cli.privacy").add_db_commands(db_sub)
    db.set_defaults(func=cmd_db)

    demo_parser = sub.add_parser("demo", help="demo content")
    demo_sub = demo_parser.add_subparsers(dest="demo_command", required=True)
    load = demo_sub.add_parser("load", help="load the demo campaign into a server")
    load.add_argument("--guild", type=int, required=True, help="the server id")
    demo_parser.set_defaults(func=cmd_demo)
    for name in CLI_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rankfile` console script and `python -m bot`."""
    args = build_parser().parse_args(argv)
    try:
        # Only the commands that log in to Discord refuse a DISCORD_TOKEN that is no token.
        settings = load_settings(need_token=args.func in NEEDS_TOKEN)
    except ConfigError as exc:
        return _fail(str(exc))
    return args.func(settings, args)
