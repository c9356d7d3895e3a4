"""`rankfile doctor`, `status`, `db restore`, `db backups`: running the bot for a local."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route

from bot import privacy, wiring
from bot.core import backups, guild_settings
from bot.core.config import Settings
from bot.core.db import Database, DatabaseError
from bot.ops import doctor, status


def _fail(message: str) -> int:
    print(f"rankfile: {message}", file=sys.stderr)
    return 2


def _backup_dir(settings: Settings) -> Path:
    return backups.backup_dir(settings.db_path, settings.backup_dir)


def _database(settings: Settings) -> Database:
    return Database(settings.db_path, key=settings.database_key)


def rest_fetcher(http: HTTPClient) -> doctor.Fetch:
    """doctor's GET over discord.py's HTTP client (its rate limiting, its errors as ApiError)."""

    async def fetch(path: str) -> Any:
        try:
            return await http.request(Route("GET", path))
        except discord.HTTPException as exc:
            raise doctor.ApiError(exc.status, exc.text or "") from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise doctor.ApiError(0, type(exc).__name__) from exc

    return fetch


def requested_intents(intents: discord.Intents) -> list[str]:
    """The privileged intents a bot with these intents asks for."""
    return [name for name in doctor.PRIVILEGED_INTENTS if getattr(intents, name)]


def bot_intents(settings: Settings) -> discord.Intents:
    """The intents the real bot asks for (read from the bot class, not repeated here)."""
    from bot.glue.app import Rankfile

    return Rankfile(settings).intents


async def run_doctor(
    settings: Settings,
    *,
    now: datetime | None = None,
    connector: aiohttp.BaseConnector | None = None,
) -> list[doctor.Check]:
    """Every check: the token and the application, each server, the database."""
    now = now or datetime.now(UTC)
    checks: list[doctor.Check] = []
    db_checks = await doctor.database_file_checks(
        settings.db_path, _backup_dir(settings), now, key=settings.database_key
    )
    if not settings.token:
        checks.append(
            doctor.failed(
                "token",
                "DISCORD_TOKEN is not set",
                f"{doctor.PORTAL} > New Application > Bot > Reset Token; put "
                "DISCORD_TOKEN=... in .env (or /etc/rankfile/rankfile.env for the service)",
            )
        )
        return checks + db_checks
    db = None
    if settings.db_path.is_file() and all(c.ok for c in db_checks[:1]):
        db = _database(settings)
        await db.open()

    async def settings_for(guild_id: int) -> guild_settings.GuildSettings:
        if db is None:
            return guild_settings.GuildSettings(guild_id=guild_id)
        try:
            return await guild_settings.get(db, guild_id)
        except Exception:
            return guild_settings.GuildSettings(guild_id=guild_id)

    http = HTTPClient(asyncio.get_running_loop(), connector=connector)
    try:
        try:
            await http.static_login(settings.token.get())
        except discord.LoginFailure:
            pass  # doctor's own GET /users/@me reports it, with the fix
        except (aiohttp.ClientError, OSError) as exc:
            checks.append(
                doctor.failed(
                    "token",
                    f"could not reach Discord ({type(exc).__name__})",
                    "check this machine's internet connection and https://discordstatus.com",
                )
            )
            return checks + db_checks
        http.token = settings.token.get()  # static_login keeps it only on success
        checks += await doctor.discord_checks(
            rest_fetcher(http), requested_intents(bot_intents(settings)), settings_for
        )
    finally:
        await http.close()
        if db is not None:
            await db.close()
    return checks + db_checks


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Print every check; exit 1 when one failed."""
    checks = asyncio.run(run_doctor(settings))
    if args.json:
        print(json.dumps([c.to_json() for c in checks], indent=2))
    else:
        print(doctor.render(checks))
        bad = sum(not c.ok for c in checks)
        print(f"\n{len(checks) - bad} passed, {bad} failed")
    return 0 if all(c.ok for c in checks) else 1


async def read_status(settings: Settings, now: datetime | None = None) -> status.Status:
    """The status of the bot that runs on the configured database."""
    db = _database(settings)
    await db.open()
    try:
        return await status.read(db, now or datetime.now(UTC), _backup_dir(settings))
    finally:
        await db.close()


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """Print the status (with --check only `ok` or the problems); exit 1 when something is
    wrong."""
    if not settings.db_path.is_file():
        if args.json:
            print(json.dumps({"problems": [f"no database at {settings.db_path}"]}))
        else:
            print(f"no database at {settings.db_path}: the bot has never started (rankfile run)")
        return 1
    try:
        current = asyncio.run(read_status(settings))
    except DatabaseError as exc:
        return _fail(str(exc))
    found = status.problems(current)
    if args.json:
        print(json.dumps(current.to_json(), indent=2))
    elif args.check:
        # For health checks and scripts: `ok`, or one line per problem.
        print("\n".join(found) if found else "ok")
    else:
        print(status.render(current))
    return 1 if found else 0


async def _forget_again(settings: Settings, now: datetime) -> int:
    """After a restore: migrate the restored file, then re-apply the deletions it predates
    (the backup restored from is untouched, so no backup is made before migrating)."""
    db = _database(settings)
    await db.open()
    try:
        await db.migrate()
        wiring.install()
        return await privacy.reapply_deletions(db, now)
    finally:
        await db.close()


def cmd_db_ops(settings: Settings, args: argparse.Namespace) -> int:
    """`rankfile db restore PATH` and `rankfile db backups [--now]`."""
    now = datetime.now(UTC)
    directory = _backup_dir(settings)
    if args.db_command == "restore":
        try:
            done = backups.restore(
                settings.db_path, Path(args.path), now, force=args.force, key=settings.database_key
            )
        except backups.BackupError as exc:
            return _fail(str(exc))
        print(
            f"restored {args.path} into {settings.db_path} (schema version {done.schema_version})"
        )
        if done.kept is not None:
            print(f"the replaced database is kept at {done.kept}")
        forgotten_again = asyncio.run(_forget_again(settings, now))
        if forgotten_again:
            print(
                f"{forgotten_again} member(s) who deleted their data after that backup was made "
                "were forgotten again"
            )
        print("start the bot again")
        return 0
    if args.now:

        async def make() -> backups.BackupFile:
            db = _database(settings)
            await db.open()
            try:
                await db.pending_migrations()  # refuses a file that is not ours
                return await backups.make_backup(
                    db,
                    directory,
                    now,
                    reason="manual",
                    keep=settings.backup_keep,
                    key=settings.database_key,
                )
            finally:
                await db.close()

        if not settings.db_path.is_file():
            return _fail(f"no database at {settings.db_path}")
        try:
            made = asyncio.run(make())
        except (DatabaseError, backups.BackupError) as exc:
            return _fail(str(exc))
        print(f"backed up to {made.path} (checked: ok)")
    found = backups.list_backups(directory)
    if not found:
        print(f"no backups in {directory} yet")
    for b in found:
        print(f"{b.made_at:%Y-%m-%d %H:%M} UTC  {b.size:>10} bytes  {b.reason:<16} {b.path}")
    return 0


def preflight(settings: Settings) -> str | None:
    """Why `rankfile run` must not start (a foreign or too-new database), before any network."""
    if not settings.db_path.is_file():
        return None

    async def check() -> None:
        db = _database(settings)
        await db.open()
        try:
            await db.pending_migrations()
        finally:
            await db.close()

    try:
        asyncio.run(check())
    except Exception as exc:
        return str(exc)
    return None


def add_db_commands(db_sub: argparse._SubParsersAction) -> None:
    """`db restore` and `db backups` (bot.cli's `db` dispatches them to cmd_db_ops)."""
    restore = db_sub.add_parser(
        "restore", help="put a backup in place of the database (keeps the replaced file)"
    )
    restore.add_argument("path", help="the backup file")
    restore.add_argument(
        "--force", action="store_true", help="even if a bot seems to be running on it"
    )
    listing = db_sub.add_parser("backups", help="list the backups (newest first)")
    listing.add_argument("--now", action="store_true", help="make a checked backup first")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """`rankfile doctor` and `rankfile status`."""
    doc = sub.add_parser("doctor", help="check the token, the servers' setup and the database")
    doc.add_argument("--json", action="store_true", help="print the checks as JSON")
    doc.set_defaults(func=cmd_doctor)
    st = sub.add_parser("status", help="uptime, gateway, deliveries, reminders, backups")
    st.add_argument("--json", action="store_true", help="print JSON for scripts")
    st.add_argument(
        "--check", action="store_true", help="exit 1 when Discord is silent or deliveries are stuck"
    )
    st.set_defaults(func=cmd_status)
