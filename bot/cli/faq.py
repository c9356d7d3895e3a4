"""`rankfile faq import FILE | export FILE | search "QUESTION" [--json]`: the FAQ as a file."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import faq
from bot.cli import server_of
from bot.core import render
from bot.core.config import Settings
from bot.core.db import Database, DatabaseError
from bot.core.errors import UserError

GUILDS = "SELECT guild_id FROM guild_settings UNION SELECT guild_id FROM faq_entry"
# Searching or exporting an FAQ the database does not hold: what would give it one.
NO_FAQ = (
    "the database ({db}) holds no FAQ yet: add one with `rankfile faq import FILE --guild "
    "SERVER_ID`, or load the demo's with `rankfile demo load --guild SERVER_ID` (or try "
    "`rankfile sandbox`, which has it)"
)


def _fail(message: str) -> int:
    print(f"rankfile faq: {message}", file=sys.stderr)
    return 2


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.db_path, key=settings.database_key)
    try:
        await db.open()
        await db.migrate()
        guild_id = await server_of(
            db,
            args.guild,
            GUILDS,
            "FAQ entries",
            when_none=None if args.faq_command == "import" else NO_FAQ.format(db=settings.db_path),
        )
        if args.faq_command == "import":
            text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8")
            report = await faq.import_entries(db, guild_id, text, datetime.now(UTC))
            print(f"imported {args.file}: {report.summary()}")
            for label, keys in (("added", report.added), ("changed", report.changed)):
                for key in keys:
                    print(f"  {label}: {key}")
        elif args.faq_command == "export":
            text = await faq.export_entries(db, guild_id)
            await asyncio.to_thread(Path(args.file).write_text, text, encoding="utf-8")
            count = len(await faq.all_entries(db, guild_id))
            print(f"exported {render.count(count, 'entry', 'entries')} to {args.file}")
        else:
            found = await faq.search(db, guild_id, args.question, limit=args.limit)
            if args.json:
                rows = [
                    {
                        "id": m.entry.id,
                        "key": m.entry.key,
                        "question": m.entry.question,
                        "answer": m.entry.answer,
                        "score": m.score,
                        "confident": m.confident,
                    }
                    for m in found
                ]
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            elif not found:
                print("no confident match")
            else:
                for m in found:
                    sure = "answer" if m.confident else "close"
                    print(f"{m.score:.2f}  {sure:6}  #{m.entry.id}  {m.entry.question}")
    except FileNotFoundError as exc:
        return _fail(f"no file at {exc.filename}")
    except (UserError, DatabaseError) as exc:
        return _fail(str(exc))
    finally:
        await db.close()
    return 0


def cmd_faq(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `rankfile faq` command."""
    return asyncio.run(_run(settings, args))


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add `rankfile faq ...` to the CLI."""
    parser = subparsers.add_parser("faq", help="the FAQ: import, export, search")
    sub = parser.add_subparsers(dest="faq_command", required=True)
    imp = sub.add_parser("import", help="add or update entries from a YAML file (idempotent)")
    imp.add_argument("file")
    exp = sub.add_parser("export", help="write the FAQ to a YAML file")
    exp.add_argument("file")
    search = sub.add_parser("search", help="the ranked matches the bot would use")
    search.add_argument("question")
    search.add_argument(
        "--json", action="store_true", help="print JSON: id, question, answer, score"
    )
    search.add_argument("--limit", type=int, default=5)
    for p in (imp, exp, search):
        p.add_argument("--guild", type=int, help="the server id (default: the only one)")
    parser.set_defaults(func=cmd_faq)
