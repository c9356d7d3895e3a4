"""`rankfile updates import-summary ID FILE`: attach a structured summary of changes (YAML)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli import server_of
from bot.core.config import Settings
from bot.core.db import Database, DatabaseError
from bot.core.errors import UserError
from bot.updates import summaries

GUILDS = "SELECT DISTINCT guild_id FROM bargaining_update"


def _fail(message: str) -> int:
    print(f"rankfile updates: {message}", file=sys.stderr)
    return 2


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.db_path, key=settings.database_key)
    try:
        await db.open()
        await db.migrate()
        guild_id = await server_of(db, args.guild, GUILDS, "updates")
        text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8")
        found = await summaries.import_summary(db, guild_id, args.id, text, None, datetime.now(UTC))
        counts = found.counts()
        print(
            f"summary saved on update #{args.id}: {len(found.items)} articles "
            f"({counts['added']} added, {counts['changed']} changed, {counts['removed']} removed)"
        )
    except FileNotFoundError as exc:
        return _fail(f"no file at {exc.filename}")
    except UnicodeDecodeError:
        return _fail("the file is not UTF-8 text")
    except (UserError, DatabaseError) as exc:
        return _fail(str(exc))
    finally:
        await db.close()
    return 0


def cmd_updates(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `rankfile updates` command."""
    return asyncio.run(_run(settings, args))


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add `rankfile updates ...` to the CLI."""
    parser = subparsers.add_parser("updates", help="negotiation updates: import a summary")
    sub = parser.add_subparsers(dest="updates_command", required=True)
    imp = sub.add_parser(
        "import-summary", help="attach a structured summary (YAML) to an update, validated"
    )
    imp.add_argument("id", type=int, help="the update's number")
    imp.add_argument("file", help="the YAML file")
    imp.add_argument("--guild", type=int, help="the server id (default: the only one)")
    parser.set_defaults(func=cmd_updates)
