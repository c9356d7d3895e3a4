"""The sandbox's line language: from what a member types to the payload Discord would send.

``/group sub option: value other: "quoted value"`` is parsed against the commands the bot
registers: subcommands, required options, choices, lengths and ranges as Discord's client
enforces them (discord.py does not re-check an integer range on incoming options: the
client refuses it first), users, roles and channels by name or mention, files by path.
Values are filled into ``data.resolved`` as Discord fills it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.sandbox.driver.results import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    CHANNEL_SELECT,
    INTEGER,
    MENTIONABLE,
    MENTIONABLE_SELECT,
    NUMBER,
    ROLE,
    ROLE_SELECT,
    STRING,
    STRING_SELECT,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    USER_SELECT,
    DriverError,
)
from bot.sandbox.fake import ADMINISTRATOR, ALL_PERMISSIONS, DM, FakeDiscord, FakeGuild, FakeUser

if TYPE_CHECKING:
    from discord.ext import commands

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class Parsing:
    """Payload building for :class:`~bot.sandbox.driver.Driver` (a mixin).

    ``Driver.__init__`` sets ``fake``, ``guild_id``, ``locale``, ``bot`` and
    ``enforce_command_permissions``.
    """

    fake: FakeDiscord
    bot: commands.Bot | None
    guild_id: int
    guild: FakeGuild
    locale: str
    enforce_command_permissions: bool

    def _base_payload(self, itype: int, user: FakeUser, channel_id: int) -> dict[str, Any]:
        fake = self.fake
        iid = fake.snowflake()
        c = fake.find_channel(channel_id)
        if c is None:
            raise DriverError(f"unknown channel id {channel_id}")
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(fake.application_id),
            "type": itype,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": self.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
        }
        if c.type == DM:
            payload.update(
                user=user.to_dict(),
                channel=c.to_dict(fake),
                context=1,
                authorizing_integration_owners={"0": "0"},
                app_permissions=str(ALL_PERMISSIONS & ~ADMINISTRATOR & 0x0000_01FF_FFFF_FFFF),
            )
            return payload
        gid = c.guild_id or self.guild_id
        g = fake.guilds[gid]
        if user.id not in g.members:
            raise DriverError(f"{user.username} is not a member of {g.name}")
        member = fake.member_dict(gid, user.id)
        member["permissions"] = str(fake.compute_permissions(gid, user.id, channel_id))
        chan = c.to_dict(fake)
        chan["permissions"] = member["permissions"]
        payload.update(
            guild_id=str(gid),
            guild={"id": str(gid), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=member,
            channel=chan,
            context=0,
            authorizing_integration_owners={"0": str(gid)},
            app_permissions=str(fake.compute_permissions(gid, fake.bot_user.id, channel_id)),
        )
        return payload

    def _command_defs(self) -> list[tuple[dict[str, Any], int | None]]:
        """Chat-input commands as they would be registered: (wire dict, guild id or None)."""
        import discord

        bot = self.bot
        if bot is None:
            raise DriverError("the driver is not started")
        tree = bot.tree
        out = []
        for cmd in tree.get_commands(
            guild=discord.Object(self.guild_id), type=discord.AppCommandType.chat_input
        ):
            out.append((cmd.to_dict(tree), self.guild_id))
        for cmd in tree.get_commands(type=discord.AppCommandType.chat_input):
            out.append((cmd.to_dict(tree), None))
        return out

    def command_names(self) -> list[str]:
        """Every slash command path the bot has (``faq``, ``event create``...)."""
        names: list[str] = []

        def walk(prefix: str, d: dict[str, Any]) -> None:
            subs = [
                o for o in d.get("options") or [] if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ]
            if not subs:
                names.append(prefix)
            for s in subs:
                walk(f"{prefix} {s['name']}", s)

        for d, _ in self._command_defs():
            walk(d["name"], d)
        return sorted(set(names))

    def _parse_command(
        self, line: str, user: FakeUser, channel_id: int, *, autocomplete: bool
    ) -> tuple[dict[str, Any], dict[str, Any], int | None]:
        """Parse a sandbox command line into (interaction data, command def, guild id)."""
        text = line.strip()
        if not text.startswith("/"):
            raise DriverError(f"a command starts with '/': {line!r}")
        text = text[1:]
        words = text.split()
        if not words:
            raise DriverError("empty command")
        defs = {}
        for d, gid in self._command_defs():
            defs.setdefault(d["name"], (d, gid))
        root = words[0].lower()
        if root not in defs:
            known = ", ".join(f"/{n}" for n in self.command_names())
            raise DriverError(f"unknown command /{root} (known: {known})")
        cmd, cmd_gid = defs[root]
        path = [root]
        node = cmd
        rest = text[len(words[0]) :]
        wrapper_chain: list[dict[str, Any]] = []
        while True:
            subs = {
                o["name"]: o
                for o in node.get("options") or []
                if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            }
            if not subs:
                break
            m = re.match(r"\s*(\S+)", rest)
            word = m.group(1).lower() if m else ""
            if word not in subs:
                raise DriverError(
                    f"/{' '.join(path)} needs a subcommand: {', '.join(sorted(subs))}"
                    + (f" (got {word!r})" if word else "")
                )
            node = subs[word]
            path.append(word)
            wrapper_chain.append(node)
            rest = rest[m.end() :]  # type: ignore[union-attr]
        name = " ".join(path)
        options_def = node.get("options") or []
        values = self._split_options(name, rest, options_def)
        resolved: dict[str, dict[str, Any]] = {}
        opts: list[dict[str, Any]] = []
        focused_name = next(reversed(values), None) if autocomplete else None
        for odef in options_def:
            oname = odef["name"]
            if oname not in values:
                if odef.get("required") and not autocomplete:
                    raise option_error(
                        name, f"missing required option {oname}: ({_type_name(odef['type'])})"
                    )
                continue
            raw = values[oname]
            if oname == focused_name:
                if not odef.get("autocomplete"):
                    raise option_error(name, f"option {oname} has no autocomplete")
                opts.append({"name": oname, "type": odef["type"], "value": raw, "focused": True})
                continue
            value = self._convert(name, odef, raw, user, channel_id, resolved)
            opts.append({"name": oname, "type": odef["type"], "value": value})
        # Wrap in subcommand / group options, innermost first.
        for wrapper in reversed(wrapper_chain):
            opts = [{"name": wrapper["name"], "type": wrapper["type"], "options": opts}]
        reg = self.fake.registered_command(root, cmd_gid)
        cid = int(reg["id"]) if reg else stable_id(f"{cmd_gid}:{root}")
        data: dict[str, Any] = {"id": str(cid), "name": root, "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd_gid is not None:
            data["guild_id"] = str(cmd_gid)
        return data, cmd, cmd_gid

    @staticmethod
    def _split_options(cmd: str, rest: str, options_def: list[dict[str, Any]]) -> dict[str, str]:
        rest = rest.strip()
        if not rest:
            return {}
        names = sorted((o["name"] for o in options_def), key=len, reverse=True)
        if not names:
            raise option_error(cmd, f"takes no options (got {rest!r})")
        pattern = re.compile(
            r"(?:^|(?<=\s))(" + "|".join(re.escape(n) for n in names) + r"):", re.IGNORECASE
        )
        matches = list(pattern.finditer(rest))
        if not matches or rest[: matches[0].start()].strip():
            head = rest[: matches[0].start()].strip() if matches else rest
            raise option_error(
                cmd,
                f"unexpected text {head!r}; options are: "
                + ", ".join(f"{o['name']}:" for o in options_def),
            )
        out: dict[str, str] = {}
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(rest)
            value = rest[m.end() : end].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                with contextlib.suppress(ValueError):
                    value = shlex.split(value)[0]
            key = m.group(1).lower()
            if key in out:
                raise option_error(cmd, f"option {key}: given twice")
            out[key] = value
        return out

    def _convert(
        self,
        cmd: str,
        odef: dict[str, Any],
        raw: str,
        user: FakeUser,
        channel_id: int,
        resolved: dict[str, dict[str, Any]],
    ) -> Any:
        """Turn typed text into the option value Discord would send, filling ``resolved``."""
        t = odef["type"]
        oname = odef["name"]
        choices = odef.get("choices")
        if choices:
            for ch in choices:
                if raw == str(ch["value"]) or raw.lower() == str(ch["name"]).lower():
                    return ch["value"]
            names = ", ".join(str(c["name"]) for c in choices)
            raise option_error(cmd, f"option {oname}: {raw!r} is not one of: {names}")
        if t == STRING:
            lo, hi = odef.get("min_length"), odef.get("max_length", 6000)
            if lo is not None and len(raw) < lo:
                raise option_error(cmd, f"option {oname}: at least {lo} characters")
            if hi is not None and len(raw) > hi:
                raise option_error(cmd, f"option {oname}: at most {hi} characters")
            return raw
        if t in (INTEGER, NUMBER):
            try:
                value: Any = int(raw) if t == INTEGER else float(raw)
            except ValueError:
                raise option_error(
                    cmd, f"option {oname}: {raw!r} is not a {_type_name(t)}"
                ) from None
            lo, hi = odef.get("min_value"), odef.get("max_value")
            # Discord's client refuses out-of-range values; discord.py does not re-check them.
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise option_error(cmd, f"option {oname}: {value} is out of range [{lo}, {hi}]")
            return value
        if t == BOOLEAN:
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise option_error(cmd, f"option {oname}: {raw!r} is not true/false")
        if t == USER:
            return self._resolve_user(cmd, oname, raw, channel_id, resolved)
        if t == ROLE:
            return self._resolve_role(cmd, oname, raw, resolved)
        if t == MENTIONABLE:
            with contextlib.suppress(DriverError):
                return self._resolve_user(cmd, oname, raw, channel_id, resolved)
            return self._resolve_role(cmd, oname, raw, resolved)
        if t == CHANNEL:
            try:
                c = self.guild.channel_named(raw.strip())
            except KeyError:
                m = re.fullmatch(r"<#(\d+)>", raw.strip())
                c = self.fake.find_channel(int(m.group(1))) if m else None
                if c is None:
                    raise option_error(cmd, f"option {oname}: unknown channel {raw!r}") from None
            types = odef.get("channel_types")
            if types and c.type not in types:
                raise option_error(cmd, f"option {oname}: #{c.name} is not an allowed channel type")
            d = c.to_dict(self.fake)
            d["permissions"] = str(self.fake.compute_permissions(self.guild_id, user.id, c.id))
            resolved.setdefault("channels", {})[str(c.id)] = d
            return str(c.id)
        if t == ATTACHMENT:
            path = Path(raw.strip())
            if not path.is_file():
                raise option_error(cmd, f"option {oname}: no such file {raw!r}")
            att = self.fake.add_cdn_file(path.name, path.read_bytes(), channel_id=channel_id)
            att["ephemeral"] = True
            resolved.setdefault("attachments", {})[att["id"]] = att
            return att["id"]
        raise option_error(cmd, f"option {oname}: unsupported option type {t}")

    def _resolve_user(
        self, cmd: str, oname: str, raw: str, channel_id: int, resolved: dict[str, dict[str, Any]]
    ) -> str:
        try:
            u = self.fake.user_named(raw)
        except KeyError:
            raise DriverError(f"/{cmd}: option {oname}: unknown user {raw!r}") from None
        resolved.setdefault("users", {})[str(u.id)] = u.to_dict()
        if u.id in self.guild.members:
            m = self.fake.member_dict(self.guild_id, u.id, with_user=False)
            m["permissions"] = str(self.fake.compute_permissions(self.guild_id, u.id, channel_id))
            del m["deaf"], m["mute"]
            resolved.setdefault("members", {})[str(u.id)] = m
        return str(u.id)

    def _resolve_role(
        self, cmd: str, oname: str, raw: str, resolved: dict[str, dict[str, Any]]
    ) -> str:
        text = raw.strip()
        m = re.fullmatch(r"<@&(\d+)>", text)
        role = self.guild.roles.get(int(m.group(1))) if m else None
        if role is None:
            try:
                role = self.guild.role_named(text)
            except KeyError:
                raise DriverError(f"/{cmd}: option {oname}: unknown role {raw!r}") from None
        resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
        return str(role.id)

    def _check_default_permissions(
        self, cmd: dict[str, Any], user: FakeUser, channel_id: int
    ) -> None:
        perms_s = cmd.get("default_member_permissions")
        if perms_s is None or not self.enforce_command_permissions:
            return
        c = self.fake.find_channel(channel_id)
        if c is None or c.type == DM:
            return
        need = int(perms_s)
        have = self.fake.compute_permissions(self.guild_id, user.id, channel_id)
        if have & need != need:
            raise DriverError(
                f"/{cmd['name']} is hidden from {user.username} by Discord "
                f"(default_member_permissions={need}); "
                "pass ignore_default_permissions=True to force it"
            )

    def _select_value(
        self,
        comp: dict[str, Any],
        ctype: int,
        v: str,
        u: FakeUser,
        channel_id: int,
        resolved: dict[str, dict[str, Any]],
    ) -> str:
        cid = comp.get("custom_id", "?")
        if ctype == STRING_SELECT:
            for opt in comp.get("options") or []:
                if v == opt["value"] or v.lower() == str(opt.get("label", "")).lower():
                    return opt["value"]
            labels = ", ".join(
                f"{o.get('label')} ({o['value']})" for o in comp.get("options") or []
            )
            raise DriverError(f"select {cid!r} has no option {v!r}; options: {labels}")
        fake_def = {
            "name": cid,
            "type": {
                USER_SELECT: USER,
                ROLE_SELECT: ROLE,
                MENTIONABLE_SELECT: MENTIONABLE,
                CHANNEL_SELECT: CHANNEL,
            }[ctype],
        }
        if ctype == CHANNEL_SELECT and comp.get("channel_types"):
            fake_def["channel_types"] = comp["channel_types"]
        return str(self._convert(f"select {cid}", fake_def, v, u, channel_id, resolved))


def option_error(cmd: str, msg: str) -> DriverError:
    """A bad option of ``/cmd``, worded for the person typing."""
    return DriverError(f"/{cmd}: {msg}")


def has_focused(options: list[dict[str, Any]]) -> bool:
    """Whether an option (at any depth) is the focused one of an autocomplete."""
    for o in options:
        if o.get("focused"):
            return True
        if has_focused(o.get("options") or []):
            return True
    return False


def stable_id(key: str) -> int:
    """A command id for ``key`` that stays the same from run to run."""
    # A made-up but stable command id when the bot never synced (Discord would know the id).
    return (int(hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12], 16) << 22) | 1


def _type_name(t: int) -> str:
    return {
        STRING: "text",
        INTEGER: "integer",
        BOOLEAN: "true/false",
        USER: "user",
        CHANNEL: "channel",
        ROLE: "role",
        MENTIONABLE: "user or role",
        NUMBER: "number",
        ATTACHMENT: "file path",
    }.get(t, str(t))
