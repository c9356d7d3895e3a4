"""`rankfile site ...`: build the public site into a folder, set the folder the bot keeps
current, and serve a built folder on this machine for a look.

    rankfile site build OUT/ [--guild ID]      from the configured database
    rankfile site build OUT/ --demo            the demo campaign's site (a throwaway database)
    rankfile site folder DIR [--guild ID]      the bot rebuilds the site there after each change
    rankfile site serve OUT/ [--port 8000]     http://127.0.0.1:8000/ (this machine only)
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot import demo, site, wiring
from bot.cli import SANDBOX_START, server_of
from bot.core import guild_settings
from bot.core.config import Settings
from bot.core.db import Database, DatabaseError
from bot.core.errors import UserError

GUILDS = "SELECT guild_id FROM site_settings"
DEMO_GUILD = 1
DEMO_ZONE = "America/Los_Angeles"


def _fail(message: str) -> int:
    print(f"rankfile site: {message}", file=sys.stderr)
    return 2


def _report(built: site.Built) -> None:
    name, size = built.largest_page
    print(
        f"site built in {built.folder}: {built.pages} pages, {built.files} files, "
        f"{built.total_bytes:,} bytes; largest page {name} ({size:,} bytes)"
    )


async def _demo_build(out: Path, now: datetime) -> site.Built:
    with tempfile.TemporaryDirectory(prefix="rankfile-site-") as tmp:
        db = Database(Path(tmp) / "demo.db")
        try:
            await db.open()
            await db.migrate()
            await guild_settings.update(db, DEMO_GUILD, None, now, timezone=DEMO_ZONE)
            await demo.load(db, DEMO_GUILD, now)
            return await site.build(db, DEMO_GUILD, out, now)
        finally:
            await db.close()


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    wiring.install()
    now = datetime.now(UTC)
    if args.site_command == "build" and args.demo:
        when = SANDBOX_START
        if args.now:  # a date without a zone is read as UTC, as the sandbox's --now
            given = datetime.fromisoformat(args.now)
            when = given.replace(tzinfo=UTC) if given.tzinfo is None else given.astimezone(UTC)
        try:
            _report(await _demo_build(Path(args.out), when))
        except UserError as exc:
            return _fail(str(exc))
        return 0
    db = Database(settings.db_path, key=settings.database_key)
    try:
        await db.open()
        await db.migrate()
        guild_id = await server_of(db, args.guild, GUILDS, "site settings (`/setup site`)")
        if args.site_command == "build":
            _report(await site.build(db, guild_id, Path(args.out), now))
        elif args.site_command == "folder":
            folder = None if args.off else Path(args.dir)
            await site.set_folder(db, guild_id, folder, now)
            if folder is None:
                print("the bot no longer rebuilds the site (the folder is left as it is)")
            else:
                _report(await site.build(db, guild_id, folder, now))
                print("the bot rebuilds it there a minute after each public change")
    except (UserError, DatabaseError) as exc:
        return _fail(str(exc))
    finally:
        await db.close()
    return 0


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the feeds' types; one log line per request (the path only)."""

    extensions_map = {  # the base class's own attribute, replaced
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".atom": "application/atom+xml",
        ".ics": "text/calendar; charset=utf-8",
        ".json": "application/json",
        ".css": "text/css; charset=utf-8",
        ".html": "text/html; charset=utf-8",
    }


def serve(folder: Path, port: int) -> int:
    """Serve a built site on 127.0.0.1 until interrupted."""
    if not (folder / site.MARKER).is_file():
        return _fail(
            f"{folder} is not a site rankfile built: run `rankfile site build {folder}` first"
        )
    handler = functools.partial(_Handler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        host, bound = server.server_address[:2]
        print(f"serving {folder} at http://{host}:{bound}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


def cmd_site(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `rankfile site` command."""
    if args.site_command == "serve":
        return serve(Path(args.folder), args.port)
    if args.site_command == "folder" and not args.off:
        if not args.dir:
            return _fail("give the folder (or --off)")
        args.dir = str(Path(args.dir).absolute())
    if args.site_command == "build" and args.demo and args.now:
        try:
            datetime.fromisoformat(args.now)
        except ValueError:
            return _fail(f"--now takes a date such as 2024-07-10, not {args.now!r}")
    return asyncio.run(_run(settings, args))


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add `rankfile site ...` to the CLI."""
    parser = subparsers.add_parser("site", help="the public site: build, folder, serve")
    sub = parser.add_subparsers(dest="site_command", required=True)
    build = sub.add_parser("build", help="build the site into a folder (replaced atomically)")
    build.add_argument("out", help="the folder (new, empty, or a site rankfile built)")
    build.add_argument("--guild", type=int, help="the server id (default: the only one)")
    build.add_argument("--demo", action="store_true", help="the demo campaign's site")
    build.add_argument("--now", help="with --demo: the date to build it at (default 2024-07-10)")
    folder = sub.add_parser("folder", help="the folder the bot keeps the site current in")
    folder.add_argument("dir", nargs="?", help="the folder a web server serves")
    folder.add_argument("--off", action="store_true", help="stop rebuilding the site")
    folder.add_argument("--guild", type=int, help="the server id (default: the only one)")
    serve_parser = sub.add_parser("serve", help="serve a built site on 127.0.0.1 for a look")
    serve_parser.add_argument("folder", help="a folder `rankfile site build` wrote")
    serve_parser.add_argument("--port", type=int, default=8000, help="default 8000 (0: any)")
    parser.set_defaults(func=cmd_site)
