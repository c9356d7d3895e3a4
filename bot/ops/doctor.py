"""`rankfile doctor` and `/setup check`: one line per check, and the exact fix for each failure.

The checks are data: each is a name, passed or failed, what was found, and the fix (the
Developer Portal toggle, the permission to grant, the `/setup` option to run). They are
computed from what Discord's REST API answers (plain JSON, fetched by whoever calls: the CLI
with its own HTTP client, the running bot with its own) and from the database, so the
command line and Discord show the same verdicts. Effective permissions follow Discord's
documented algorithm (base from roles, then @everyone, role and member overwrites).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core import backups, encryption, guild_settings
from bot.core.db import Database, DatabaseError, DatabaseTooNew
from bot.core.guild_settings import GuildSettings
from bot.core.render import count

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
MANAGE_ROLES = 1 << 28
MANAGE_EVENTS = 1 << 33
ALL = (1 << 53) - 1

# What the bot needs in each channel it posts in, as Discord's client names them.
CHANNEL_NEEDS = (
    (VIEW_CHANNEL, "View Channel"),
    (SEND_MESSAGES, "Send Messages"),
    (EMBED_LINKS, "Embed Links"),
    (ATTACH_FILES, "Attach Files"),
)
CHANNEL_SETTINGS = (
    ("announcements_channel_id", "announcements"),
    ("updates_channel_id", "updates"),
    ("committee_channel_id", "committee"),
    ("cat_channel_id", "CAT coordinators'"),
)
# Channels that hold members' data: @everyone must not see them.
PRIVATE_CHANNELS = (
    ("committee_channel_id", "committee", "members' questions", "the organizer role"),
    (
        "cat_channel_id",
        "CAT coordinators'",
        "volunteers' names and sign-up problems",
        "the coordinator role",
    ),
)
# Settings not in guild_settings.SETUP_OPTION (optional ones) and the option that sets them.
OPTIONAL_OPTION = {"cat_channel_id": "/setup cat channel:"}
# Application flags: (enabled, enabled while under 100 servers) per privileged intent, and
# the toggle in the Developer Portal (Bot > Privileged Gateway Intents).
PRIVILEGED_INTENTS = {
    "presences": (1 << 12, 1 << 13, "Presence Intent"),
    "members": (1 << 14, 1 << 15, "Server Members Intent"),
    "message_content": (1 << 18, 1 << 19, "Message Content Intent"),
}
PORTAL = "https://discord.com/developers/applications"


class ApiError(Exception):
    """Discord answered an error status (or could not be reached: status 0)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(f"{status} {message}".strip())
        self.status = status
        self.message = message


# GET a path of Discord's API (e.g. "/users/@me"), answer the JSON or raise ApiError.
Fetch = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True)
class Check:
    """One verdict: `ok` True (passed, or a warning when `warning`) or False (failed, with
    the fix)."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    server: str | None = None
    warning: bool = False

    @property
    def verdict(self) -> str:
        """PASS, WARN or FAIL."""
        return "FAIL" if not self.ok else "WARN" if self.warning else "PASS"

    def to_json(self) -> dict[str, Any]:
        """The check as plain JSON."""
        return {
            "name": self.name,
            "ok": self.ok,
            "warning": self.warning,
            "detail": self.detail,
            "fix": self.fix,
            "server": self.server,
        }


def passed(name: str, detail: str, server: str | None = None) -> Check:
    """A passed check."""
    return Check(name, True, detail, None, server)


def warned(name: str, detail: str, fix: str, server: str | None = None) -> Check:
    """Not a failure, but something to act on (with how)."""
    return Check(name, True, detail, fix, server, warning=True)


def failed(name: str, detail: str, fix: str, server: str | None = None) -> Check:
    """A failed check with its fix."""
    return Check(name, False, detail, fix, server)


# -- permissions ------------------------------------------------------------------------


def role_key(role: dict[str, Any]) -> tuple[int, int]:
    """A role's place in the hierarchy: higher position wins; on a tie, the older role."""
    return (int(role["position"]), -int(role["id"]))


def base_permissions(
    guild_id: int,
    owner_id: int,
    roles: dict[int, dict[str, Any]],
    member_roles: Iterable[int],
    user_id: int,
) -> int:
    """A member's server-wide permissions: @everyone's plus each of their roles'."""
    if user_id == owner_id:
        return ALL
    perms = int(roles[guild_id]["permissions"]) if guild_id in roles else 0
    for role_id in member_roles:
        if role_id in roles:
            perms |= int(roles[role_id]["permissions"])
    return ALL if perms & ADMINISTRATOR else perms


def channel_permissions(
    base: int,
    channel: dict[str, Any],
    guild_id: int,
    member_roles: Iterable[int],
    user_id: int | None,
) -> int:
    """Apply a channel's overwrites to `base`: @everyone, then the roles, then the member."""
    if base & ADMINISTRATOR:
        return ALL
    overwrites = {
        (int(o["type"]), int(o["id"])): (int(o["allow"]), int(o["deny"]))
        for o in channel.get("permission_overwrites") or []
    }
    perms = base
    allow, deny = overwrites.get((0, guild_id), (0, 0))
    perms = (perms & ~deny) | allow
    allow = deny = 0
    for role_id in member_roles:
        a, d = overwrites.get((0, role_id), (0, 0))
        allow |= a
        deny |= d
    perms = (perms & ~deny) | allow
    if user_id is not None:
        allow, deny = overwrites.get((1, user_id), (0, 0))
        perms = (perms & ~deny) | allow
    if not perms & VIEW_CHANNEL:
        return 0  # Discord: a channel you cannot see grants nothing else
    return perms


# -- one server -------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """What Discord's API says about one server, and its rankfile settings."""

    guild: dict[str, Any]
    roles: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    bot_member: dict[str, Any]
    bot_id: int
    settings: GuildSettings

    @property
    def id(self) -> int:
        """The server id."""
        return int(self.guild["id"])

    @property
    def name(self) -> str:
        """The server's name."""
        return str(self.guild.get("name") or self.id)


def _names(bits: int, wanted: Iterable[tuple[int, str]]) -> list[str]:
    return [name for bit, name in wanted if not bits & bit]


def server_checks(server: Server) -> list[Check]:
    """Every check of one server: /setup complete, channels, the CAT role, events, privacy."""
    s = server.settings
    where = server.name
    roles = {int(r["id"]): r for r in server.roles}
    channels = {int(c["id"]): c for c in server.channels}
    bot_roles = [int(r) for r in server.bot_member.get("roles") or []]
    owner_id = int(server.guild.get("owner_id") or 0)
    base = base_permissions(server.id, owner_id, roles, bot_roles, server.bot_id)
    bot_role = next(
        (r for r in server.roles if (r.get("tags") or {}).get("bot_id") == str(server.bot_id)),
        None,
    )
    bot_role_name = f"@{bot_role['name']}" if bot_role else "the bot's role"
    checks: list[Check] = []

    missing = s.missing()
    if missing:
        options = ", ".join(f"`{guild_settings.SETUP_OPTION[m]}`" for m in missing)
        labels = ", ".join(guild_settings.LABEL[m] for m in missing)
        checks.append(
            failed(
                "setup", f"/setup is not complete: no {labels}", f"an admin runs {options}", where
            )
        )
    else:
        checks.append(passed("setup", "/setup is complete", where))

    for setting, label in CHANNEL_SETTINGS:
        channel_id = getattr(s, setting)
        if channel_id is None:
            continue
        channel = channels.get(int(channel_id))
        name = f"{label} channel"
        if channel is None:
            checks.append(
                failed(
                    name,
                    f"the {label} channel chosen in /setup no longer exists",
                    "an admin picks another: "
                    f"`{guild_settings.SETUP_OPTION.get(setting) or OPTIONAL_OPTION[setting]}`",
                    where,
                )
            )
            continue
        perms = channel_permissions(base, channel, server.id, bot_roles, server.bot_id)
        lacking = _names(perms, CHANNEL_NEEDS)
        shown = f"#{channel.get('name')}"
        if lacking:
            checks.append(
                failed(
                    name,
                    f"in {shown} the bot cannot: {', '.join(lacking)}",
                    f"in Discord: {shown} > Edit Channel > Permissions > add {bot_role_name} "
                    f"and allow {', '.join(lacking)} (or remove the overwrite that denies them)",
                    where,
                )
            )
        else:
            checks.append(
                passed(name, f"the bot can read and post (embeds, files) in {shown}", where)
            )

    if s.cat_role_id is not None:
        cat = roles.get(int(s.cat_role_id))
        top = max((roles[r] for r in bot_roles if r in roles), key=role_key, default=None)
        if cat is None:
            checks.append(
                failed(
                    "CAT role",
                    "the CAT role chosen in /setup no longer exists",
                    "an admin picks another: `/setup roles cat:`",
                    where,
                )
            )
        elif not base & MANAGE_ROLES:
            checks.append(
                failed(
                    "CAT role",
                    "the bot lacks Manage Roles, so it cannot give the CAT role",
                    f"Server Settings > Roles > {bot_role_name} > Permissions > turn on Manage "
                    "Roles",
                    where,
                )
            )
        elif top is None or role_key(cat) >= role_key(top):
            checks.append(
                failed(
                    "CAT role",
                    f"@{cat['name']} sits above the bot's highest role, so the bot cannot give it",
                    f"Server Settings > Roles: drag {bot_role_name} above @{cat['name']}",
                    where,
                )
            )
        else:
            checks.append(
                passed("CAT role", f"the bot can give @{cat['name']} (it sits below)", where)
            )

    if base & MANAGE_EVENTS:
        checks.append(passed("events", "the bot may create and edit scheduled events", where))
    else:
        checks.append(
            failed(
                "events",
                "the bot lacks Manage Events, so it cannot create town halls as events",
                f"Server Settings > Roles > {bot_role_name} > Permissions > turn on Manage Events",
                where,
            )
        )

    everyone = base_permissions(server.id, 0, roles, (), -1)  # @everyone alone
    for setting, label, holds, who in PRIVATE_CHANNELS:
        channel_id = getattr(s, setting)
        if channel_id is None or int(channel_id) not in channels:
            continue
        private = channels[int(channel_id)]
        seen = channel_permissions(everyone, private, server.id, (), None) & VIEW_CHANNEL
        shown = f"#{private.get('name')}"
        if seen:
            checks.append(
                failed(
                    f"{label} privacy",
                    f"everyone can see {shown}, which holds {holds}",
                    f"in Discord: {shown} > Edit Channel > Permissions > @everyone: turn off "
                    f"View Channel; allow it for {who} and {bot_role_name}",
                    where,
                )
            )
        else:
            checks.append(passed(f"{label} privacy", f"{shown} is hidden from @everyone", where))
    return checks


# -- the application and its servers -----------------------------------------------------


def intent_check(app: dict[str, Any], requested: Iterable[str]) -> Check:
    """The privileged intents the bot asks for are switched on for its application."""
    flags = int(app.get("flags") or 0)
    wanted = list(requested)
    off = [
        PRIVILEGED_INTENTS[n][2]
        for n in wanted
        if not flags & (PRIVILEGED_INTENTS[n][0] | PRIVILEGED_INTENTS[n][1])
    ]
    if off:
        return failed(
            "intents",
            f"the bot asks for {', '.join(off)}, which is off for the application",
            f"{PORTAL} > your application > Bot > Privileged Gateway Intents: turn on "
            f"{', '.join(off)}",
        )
    if not wanted:
        return passed("intents", "rankfile asks for no privileged intent: nothing to turn on")
    return passed("intents", f"privileged intents on: {', '.join(wanted)}")


def public_check(app: dict[str, Any]) -> Check:
    """Only the local's admins can add the bot to a server (Public Bot off)."""
    if app.get("bot_public"):
        return failed(
            "private bot",
            "anyone with the invite link can add this bot to their own server",
            f"{PORTAL} > your application > Bot: turn off Public Bot",
        )
    return passed("private bot", "only you can add the bot to servers")


async def discord_checks(
    fetch: Fetch,
    requested_intents: Iterable[str],
    settings_for: Callable[[int], Awaitable[GuildSettings]],
    *,
    only_guild: int | None = None,
) -> list[Check]:
    """The Discord-side checks: the token, the application, then each server the bot is in."""
    try:
        me = await fetch("/users/@me")
    except ApiError as exc:
        if exc.status == 401:
            return [
                failed(
                    "token",
                    "Discord refused the token (401 Unauthorized)",
                    f"{PORTAL} > your application > Bot > Reset Token; put the new token in "
                    "DISCORD_TOKEN (the .env or rankfile.env file) and restart the bot",
                )
            ]
        return [
            failed(
                "token",
                f"could not reach Discord ({exc})",
                "check this machine's internet connection and https://discordstatus.com",
            )
        ]
    bot_id = int(me["id"])
    checks = [passed("token", f"logs in as {me.get('username')} ({bot_id})")]
    try:
        app = await fetch("/oauth2/applications/@me")
        checks.append(intent_check(app, requested_intents))
        checks.append(public_check(app))
    except ApiError as exc:
        checks.append(
            failed("intents", f"could not read the application ({exc})", "run doctor again")
        )
    try:
        guilds = await fetch("/users/@me/guilds")
    except ApiError as exc:
        checks.append(
            failed("servers", f"could not list the bot's servers ({exc})", "run the check again")
        )
        return checks
    if only_guild is not None:
        guilds = [g for g in guilds if int(g["id"]) == only_guild]
    elif not guilds:
        checks.append(
            failed(
                "servers",
                "the bot is in no server",
                "open the link `rankfile invite-url` prints, pick your server, Authorize",
            )
        )
        return checks
    else:
        names = ", ".join(str(g.get("name")) for g in guilds)
        checks.append(passed("servers", f"in {count(len(guilds), 'server', 'servers')}: {names}"))
    for g in guilds:
        gid = int(g["id"])
        try:
            server = Server(
                guild=g,  # the partial guild: a bot never owns a server, so no owner_id needed
                roles=await fetch(f"/guilds/{gid}/roles"),
                channels=await fetch(f"/guilds/{gid}/channels"),
                bot_member=await fetch(f"/guilds/{gid}/members/{bot_id}"),
                bot_id=bot_id,
                settings=await settings_for(gid),
            )
        except ApiError as exc:
            checks.append(
                failed(
                    "server",
                    f"could not read the server ({exc})",
                    "re-invite the bot with `rankfile invite-url`",
                    str(g.get("name")),
                )
            )
            continue
        checks.extend(server_checks(server))
    return checks


# -- the database -----------------------------------------------------------------------


async def database_checks(db: Database, backup_dir: Path, now: datetime) -> list[Check]:
    """An open database: newest migration, integrity_check, a recent backup."""
    checks: list[Check] = []
    try:
        pending = await db.pending_migrations()
    except DatabaseTooNew as exc:
        checks.append(
            failed("schema", str(exc), "upgrade rankfile (`git pull`), or restore a backup")
        )
        pending = []
    except DatabaseError as exc:
        return [failed("database", str(exc), "point RANKFILE_DB at the rankfile database")]
    version = await db.schema_version()
    if pending:
        checks.append(
            failed(
                "schema",
                f"at version {version}, {count(len(pending), 'migration', 'migrations')} pending",
                "start the bot: it backs up, then migrates (or `rankfile db migrate`)",
            )
        )
    elif not checks:
        checks.append(passed("schema", f"at the newest migration ({version})"))
    rows = await db.fetchall("PRAGMA integrity_check")
    result = [r[0] for r in rows]
    if result == ["ok"]:
        checks.append(passed("integrity", "PRAGMA integrity_check: ok"))
    else:
        checks.append(
            failed(
                "integrity",
                f"PRAGMA integrity_check: {result[0][:200]}",
                "stop the bot and restore the newest backup: `rankfile db backups`, "
                "then `rankfile db restore PATH`",
            )
        )
    newest = backups.latest(backup_dir)
    if newest is not None and now - newest.made_at <= backups.RECENT:
        hours = int((now - newest.made_at).total_seconds() // 3600)
        checks.append(passed("backup", f"newest backup {hours} h old: {newest.path.name}"))
    elif newest is None:
        checks.append(
            warned(
                "backup",
                f"no backup yet in {backup_dir}",
                "the running bot makes the first one within a day of starting, then one a day; "
                "make one now with `rankfile db backups --now`",
            )
        )
    else:
        found = f"the newest is from {newest.made_at:%Y-%m-%d}"
        checks.append(
            failed(
                "backup",
                f"no backup in the last 48 h in {backup_dir} ({found})",
                "the running bot makes one a day; make one now with `rankfile db backups --now`",
            )
        )
    return checks


def encryption_check(db_path: Path, key: str | None) -> Check:
    """Whether the database is encrypted at rest; a plain file passes, with how to encrypt it."""
    if key and encryption.is_encrypted(db_path):
        return passed("encryption", "the database and its backups are encrypted (SQLCipher)")
    return warned(
        "encryption",
        "the database is not encrypted (readable by the bot's user only)",
        "install rankfile[encryption], set RANKFILE_DB_KEY and run `rankfile db encrypt`",
    )


async def database_file_checks(
    db_path: Path, backup_dir: Path, now: datetime, *, key: str | None = None
) -> list[Check]:
    """The database file at `db_path` (never created here): opens, then database_checks.

    `key`: RANKFILE_DB_KEY when the database is encrypted.
    """
    if not await asyncio.to_thread(db_path.is_file):
        return [
            failed(
                "database",
                f"no database at {db_path} yet",
                "start the bot once (`rankfile run`): it creates it; or set RANKFILE_DB",
            )
        ]
    db = Database(db_path, key=key)
    try:
        await db.open()
        checks = [passed("database", f"{db_path} opens"), encryption_check(db_path, key)]
        checks += await database_checks(db, backup_dir, now)
    except Exception as exc:
        checks = [
            failed(
                "database",
                str(exc),
                "point RANKFILE_DB at the rankfile database (and RANKFILE_DB_KEY at its key)",
            )
        ]
    finally:
        with contextlib.suppress(Exception):
            await db.close()
    return checks


def render(checks: Iterable[Check]) -> str:
    """One line per check for a terminal: PASS/WARN/FAIL, the server, what was found, the fix."""
    lines = []
    for c in checks:
        where = f"[{c.server}] " if c.server else ""
        lines.append(f"{c.verdict}  {c.name}: {where}{c.detail}")
        if c.fix:
            lines.append(f"      fix: {c.fix}")
    return "\n".join(lines)
