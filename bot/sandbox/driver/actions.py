"""What a member does, as the driver does it: commands, autocomplete, clicks, selects, modals.

Each action builds the interaction Discord would send (see :mod:`.parsing`), refuses what
Discord's client would not let a member do (a hidden command, a disabled button, a missing
required field, a modal that was never opened: a modal exists only once its type-9 callback
succeeded), then runs it through :meth:`Driver._run <bot.sandbox.driver.Driver._run>`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from bot.sandbox.driver.parsing import has_focused, option_error, stable_id
from bot.sandbox.driver.results import (
    ACTION_ROW,
    BUTTON,
    FILE_UPLOAD,
    LABEL,
    SELECT_TYPES,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    TEXT_DISPLAY,
    TEXT_INPUT,
    ActionResult,
    DriverError,
    iter_components,
)
from bot.sandbox.fake import DM, EPHEMERAL, VIEW_CHANNEL, FakeDiscord, FakeUser


class Actions:
    """The member-facing actions of :class:`~bot.sandbox.driver.Driver` (a mixin).

    Built on the driver's ``user``, ``_channel_id`` and ``_run`` and on the payload builders
    of :class:`~bot.sandbox.driver.parsing.Parsing`.
    """

    fake: FakeDiscord

    async def command(
        self,
        user: str,
        line: str,
        *,
        channel: str | int | None = None,
        ignore_default_permissions: bool = False,
    ) -> ActionResult:
        """Run a slash command line (``/group sub option: value``) as ``user``."""
        u = self.user(user)
        channel_id = self._channel_id(channel, u)
        data, cmd, _ = self._parse_command(line, u, channel_id, autocomplete=False)
        if not ignore_default_permissions:
            self._check_default_permissions(cmd, u, channel_id)
        payload = self._base_payload(2, u, channel_id)
        payload["data"] = data
        result, _ = await self._run(line.strip(), u, payload)
        return result

    async def invoke(
        self,
        user: str,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel: str | int | None = None,
        ignore_default_permissions: bool = False,
        focused: str | None = None,
        check_lengths: bool = True,
    ) -> ActionResult:
        """Run ``command`` (``"faq"``, ``"event create"``) with option values as Python values.

        Unlike :meth:`command`, a string option is sent exactly as given (any character,
        leading spaces, ``name:`` inside it), which a typed line cannot carry; other types
        are converted as :meth:`command` does. ``focused`` names a string option: an
        autocomplete interaction is sent instead (choices in ``result.choices``).
        ``check_lengths=False`` lets strings past Discord's limits through (robustness tests).
        """
        u = self.user(user)
        channel_id = self._channel_id(channel, u)
        values = dict(options or {})
        words = command.strip().lstrip("/").lower().split()
        defs: dict[str, tuple[dict[str, Any], int | None]] = {}
        for d, gid in self._command_defs():
            defs.setdefault(d["name"], (d, gid))
        if not words or words[0] not in defs:
            raise DriverError(f"unknown command /{command}")
        cmd, cmd_gid = defs[words[0]]
        node, chain = cmd, []
        for word in words[1:]:
            subs = {
                o["name"]: o
                for o in node.get("options") or []
                if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            }
            if word not in subs:
                raise DriverError(f"/{command}: no subcommand {word!r}")
            node = subs[word]
            chain.append(node)
        name = " ".join(words)
        resolved: dict[str, dict[str, Any]] = {}
        opts: list[dict[str, Any]] = []
        for odef in node.get("options") or []:
            oname = odef["name"]
            if oname not in values:
                if odef.get("required") and focused is None:
                    raise option_error(name, f"missing required option {oname}")
                continue
            raw = values.pop(oname)
            if oname == focused:
                opts.append({"name": oname, "type": odef["type"], "value": raw, "focused": True})
                continue
            if odef["type"] == STRING and not odef.get("choices") and isinstance(raw, str):
                lo, hi = odef.get("min_length"), odef.get("max_length", 6000)
                if check_lengths and (
                    (lo is not None and len(raw) < lo) or (hi is not None and len(raw) > hi)
                ):
                    raise option_error(name, f"option {oname}: length {len(raw)} out of range")
                opts.append({"name": oname, "type": STRING, "value": raw})
                continue
            value = self._convert(name, odef, str(raw), u, channel_id, resolved)
            opts.append({"name": oname, "type": odef["type"], "value": value})
        if values:
            raise option_error(name, f"unknown options {', '.join(values)}")
        for wrapper in reversed(chain):
            opts = [{"name": wrapper["name"], "type": wrapper["type"], "options": opts}]
        reg = self.fake.registered_command(words[0], cmd_gid)
        cid = int(reg["id"]) if reg else stable_id(f"{cmd_gid}:{words[0]}")
        data: dict[str, Any] = {"id": str(cid), "name": words[0], "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd_gid is not None:
            data["guild_id"] = str(cmd_gid)
        if not ignore_default_permissions:
            self._check_default_permissions(cmd, u, channel_id)
        payload = self._base_payload(4 if focused else 2, u, channel_id)
        payload["data"] = data
        result, _ = await self._run(("autocomplete " if focused else "/") + name, u, payload)
        return result

    async def autocomplete(
        self, user: str, line: str, *, channel: str | int | None = None
    ) -> list[dict[str, Any]]:
        """Type a partial command line; the last option given is focused. Returns the choices."""
        u = self.user(user)
        channel_id = self._channel_id(channel, u)
        data, _, _ = self._parse_command(line, u, channel_id, autocomplete=True)
        if not has_focused(data.get("options") or []):
            raise DriverError(f"autocomplete needs an option to focus: {line!r}")
        payload = self._base_payload(4, u, channel_id)
        payload["data"] = data
        result, inter = await self._run(f"autocomplete {line.strip()}", u, payload)
        if inter is None or inter.autocomplete_choices is None:
            raise DriverError(f"the bot sent no autocomplete choices for {line!r}")
        return list(inter.autocomplete_choices)

    def _visible_to(self, msg: dict[str, Any], user: FakeUser) -> bool:
        cid = int(msg["channel_id"])
        c = self.fake.find_channel(cid)
        if c is None:
            return False
        if int(msg.get("flags") or 0) & EPHEMERAL:
            meta = msg.get("interaction_metadata") or {}
            return str((meta.get("user") or {}).get("id")) == str(user.id)
        if c.type == DM:
            return c.recipient_id == user.id
        return bool(self.fake.compute_permissions(c.guild_id or 0, user.id, cid) & VIEW_CHANNEL)

    def find_component(
        self,
        user: str,
        target: str,
        *,
        types: set[int] | None = None,
        message_id: int | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The newest (message, component) visible to ``user`` with this label or custom_id."""
        u = self.user(user)
        msgs = (
            [self.fake.message(message_id)]
            if message_id
            else list(reversed(self.fake.all_messages()))
        )
        for msg in msgs:
            if not self._visible_to(msg, u):
                continue
            for comp in iter_components(msg.get("components") or []):
                ctype = comp.get("type")
                if types is not None and ctype not in types:
                    continue
                if ctype not in (BUTTON, *SELECT_TYPES):
                    continue
                if (
                    comp.get("custom_id") == target
                    or (comp.get("label") or "").lower() == target.lower()
                ):
                    return msg, comp
        kind = "select" if types == SELECT_TYPES else "button"
        raise DriverError(f"no {kind} {target!r} on any message {u.username} can see")

    def _component_payload(
        self, u: FakeUser, msg: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        payload = self._base_payload(3, u, int(msg["channel_id"]))
        payload["data"] = data
        payload["message"] = msg
        return payload

    async def click(
        self, user: str, label_or_custom_id: str, *, message_id: int | None = None
    ) -> ActionResult:
        """Press a button (by label or custom_id) on the most recent message that has it."""
        u = self.user(user)
        msg, comp = self.find_component(
            user, label_or_custom_id, types={BUTTON}, message_id=message_id
        )
        if comp.get("disabled"):
            raise DriverError(f"button {label_or_custom_id!r} is disabled")
        if comp.get("style") == 5 or "custom_id" not in comp:
            raise DriverError(
                f"button {label_or_custom_id!r} is a link ({comp.get('url')}), not an interaction"
            )
        data = {"custom_id": comp["custom_id"], "component_type": BUTTON, "id": comp.get("id")}
        payload = self._component_payload(u, msg, data)
        result, _ = await self._run(f"click {label_or_custom_id}", u, payload)
        return result

    async def select(
        self, user: str, custom_id: str, values: list[str], *, message_id: int | None = None
    ) -> ActionResult:
        """Choose values in a select (options by value or label; users, roles, channels by name)."""
        u = self.user(user)
        msg, comp = self.find_component(user, custom_id, types=SELECT_TYPES, message_id=message_id)
        ctype = comp["type"]
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise DriverError(f"select {custom_id!r} takes {lo} to {hi} values, got {len(values)}")
        resolved: dict[str, dict[str, Any]] = {}
        out: list[str] = []
        for v in values:
            out.append(self._select_value(comp, ctype, v, u, int(msg["channel_id"]), resolved))
        data: dict[str, Any] = {
            "custom_id": comp["custom_id"],
            "component_type": ctype,
            "values": out,
            "id": comp.get("id"),
        }
        if resolved:
            data["resolved"] = resolved
        payload = self._component_payload(u, msg, data)
        result, _ = await self._run(f"select {custom_id} {' '.join(values)}", u, payload)
        return result

    async def submit(self, user: str, fields: dict[str, str]) -> ActionResult:
        """Submit the modal open for ``user``; keys are text inputs' custom_ids or labels."""
        u = self.user(user)
        opener = self.fake.open_modals.get(u.id)
        if opener is None or opener.modal is None:
            raise DriverError(f"no modal is open for {u.username} (open it first)")
        modal = opener.modal
        remaining = dict(fields)

        def take(comp: dict[str, Any], label: str | None) -> str | None:
            for key in (comp.get("custom_id"), label, comp.get("label")):
                if key is None:
                    continue
                for k in list(remaining):
                    if k == key or k.lower() == str(key).lower():
                        return remaining.pop(k)
            return None

        def fill(comp: dict[str, Any], label: str | None) -> dict[str, Any]:
            ctype = comp.get("type")
            value = take(comp, label)
            name = comp.get("custom_id")
            shown = label or comp.get("label") or name
            if ctype == TEXT_INPUT:
                value = "" if value is None else value
                if comp.get("required", True) and not value:
                    raise DriverError(f"modal field {shown!r} is required")
                lo, hi = comp.get("min_length"), comp.get("max_length", 4000)
                if value and lo is not None and len(value) < lo:
                    raise DriverError(f"modal field {shown!r}: at least {lo} characters")
                if hi is not None and len(value) > hi:
                    raise DriverError(f"modal field {shown!r}: at most {hi} characters")
                return {"type": TEXT_INPUT, "id": comp.get("id"), "custom_id": name, "value": value}
            if ctype in SELECT_TYPES:
                vals = [] if value is None else [v.strip() for v in value.split(",") if v.strip()]
                if comp.get("required", True) and not vals:
                    raise DriverError(f"modal field {shown!r} is required")
                resolved: dict[str, dict[str, Any]] = {}
                out = [
                    self._select_value(comp, ctype, v, u, opener.channel_id, resolved) for v in vals
                ]
                d = {"type": ctype, "id": comp.get("id"), "custom_id": name, "values": out}
                if resolved:
                    d["resolved"] = resolved
                return d
            if ctype == FILE_UPLOAD:
                vals = [] if value is None else [v.strip() for v in value.split(",") if v.strip()]
                ids = []
                for p in vals:
                    path = Path(p)
                    if not path.is_file():
                        raise DriverError(f"modal field {shown!r}: no such file {p!r}")
                    ids.append(self.fake.add_cdn_file(path.name, path.read_bytes())["id"])
                return {"type": FILE_UPLOAD, "id": comp.get("id"), "custom_id": name, "values": ids}
            return {"type": ctype, "id": comp.get("id")}

        known: list[str] = []
        for top in modal.get("components") or []:
            for c in iter_components([top]):
                known += [str(k).lower() for k in (c.get("custom_id"), c.get("label")) if k]
        unknown = [k for k in fields if k.lower() not in known]
        if unknown:
            names = [
                c.get("custom_id")
                for c in iter_components(modal.get("components") or [])
                if c.get("custom_id")
            ]
            raise DriverError(
                f"modal {modal.get('title')!r} has no field {', '.join(unknown)} "
                f"(fields: {', '.join(names)})"
            )
        out_components = []
        for top in modal.get("components") or []:
            if top.get("type") == ACTION_ROW:
                row = {
                    "type": ACTION_ROW,
                    "id": top.get("id"),
                    "components": [fill(c, None) for c in top.get("components") or []],
                }
                out_components.append(row)
            elif top.get("type") == LABEL:
                inner = top.get("component") or {}
                out_components.append(
                    {"type": LABEL, "id": top.get("id"), "component": fill(inner, top.get("label"))}
                )
            elif top.get("type") == TEXT_DISPLAY:
                out_components.append({"type": TEXT_DISPLAY, "id": top.get("id")})
        if remaining:
            raise DriverError(
                f"modal {modal.get('title')!r}: fields not used: {', '.join(remaining)}"
            )
        channel_id = opener.channel_id
        payload = self._base_payload(5, u, channel_id)
        payload["data"] = {"custom_id": modal["custom_id"], "components": out_components}
        if opener.source_message_id:
            with contextlib.suppress(KeyError):
                payload["message"] = self.fake.message(opener.source_message_id)
        del self.fake.open_modals[u.id]
        result, _ = await self._run(f"submit {modal.get('custom_id')}", u, payload)
        return result

    async def idle(self) -> ActionResult:
        """Wait for background work (timers, deliveries); report what the bot posted meanwhile."""
        u = self.fake.bot_user
        return (await self._run("idle", u, None))[0]
