"""The permission matrix: every command that is not for all members, run as each demo member.

alice is a plain member, bob is in the CAT, carol an organizer, dave a CAT coordinator,
erin an admin (Manage Server), frank a coordinator who lost the role (still registered with
`/setup coordinator`: the role is what counts). Someone who left the server cannot run a
command there; what they can still press, a button in a DM, is checked below. The command is
forced past Discord's hiding (default_member_permissions), as a server that changed its
command permissions would let it through, so the run-time check in bot.permissions is what
is tested. A refusal is an
ephemeral message naming what is needed and changes nothing in the database (every table
compared before and after).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.glue.permissions import Access
from tests.hardening.harness import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    USER,
    CommandSpec,
    discover,
    dump_tables,
)

LEVELS = {
    "alice": {Access.MEMBER},
    "bob": {Access.MEMBER, Access.CAT},
    "carol": {Access.MEMBER, Access.ORGANIZER},
    "dave": {Access.MEMBER, Access.COORDINATOR},
    "erin": set(Access),
    "frank": {Access.MEMBER},
}
# Bookkeeping that moves whether or not a command ran.
VOLATILE = ("heartbeat",)
PRIVILEGED = [s for s in discover() if s.access is not Access.MEMBER]


def benign_values(spec: CommandSpec, directory: Path) -> dict[str, Any]:
    """Plain values for the required options (the check runs before the command reads them)."""
    values: dict[str, Any] = {}
    for o in spec.options:
        if not o.get("required"):
            continue
        t = o["type"]
        if o.get("choices"):
            values[o["name"]] = o["choices"][0]["value"]
        elif t == STRING:
            values[o["name"]] = "x" * max(1, o.get("min_length") or 1)
        elif t in (INTEGER, NUMBER):
            values[o["name"]] = max(1, o.get("min_value", 1))
        elif t == BOOLEAN:
            values[o["name"]] = True
        elif t in (USER, MENTIONABLE):
            values[o["name"]] = "alice"
        elif t == ROLE:
            values[o["name"]] = "cat"
        elif t == CHANNEL:
            values[o["name"]] = "general"
        elif t == ATTACHMENT:
            path = directory / "benign.txt"
            path.write_text("Session 3: both sides met; next session Tuesday.\n")
            values[o["name"]] = str(path)
    return values


def _denied(result: Any) -> bool:
    text = result.text
    return "This is for " in text and ("role" in text or "Manage Server" in text)


def _demoted_coordinator(rig: Any) -> None:
    """frank: registered as a coordinator, then the coordinator role was taken from him."""
    try:
        rig.fake.user_named("frank")
        return
    except KeyError:
        pass
    from bot import cat

    frank = rig.fake.add_user("frank")
    rig.fake.add_member(rig.fake.guilds[rig.demo.guild_id], frank, [])
    rig.run(cat.set_scope(rig.bot.db, rig.demo.guild_id, frank.id, None, None, rig.clock.now()))


@pytest.mark.parametrize("spec", PRIVILEGED, ids=[s.name.replace(" ", "-") for s in PRIVILEGED])
def test_who_may_run_it(spec, shared_rig):
    rig = shared_rig
    _demoted_coordinator(rig)
    rig.fake.open_modals.clear()
    values = benign_values(spec, rig.directory)
    problems = []
    for user, levels in LEVELS.items():
        before = dump_tables(rig.db_path, skip=VOLATILE)
        result = rig.run(
            rig.driver.invoke(user, spec.name, values, ignore_default_permissions=True)
        )
        after = dump_tables(rig.db_path, skip=VOLATILE)
        allowed = spec.access in levels
        if allowed and _denied(result):
            problems.append(f"{user} ({spec.access.value}) was refused: {result.text!r}")
        if not allowed:
            if not _denied(result):
                problems.append(f"{user} was not refused: {result.text[:200]!r}")
            elif not result.ephemeral:
                problems.append(f"{user}'s refusal is not ephemeral")
            changed = [t for t in before if before[t] != after.get(t)]
            if changed:
                problems.append(f"{user}'s refusal changed tables {changed}")
            if result.messages and any(not m.ephemeral for m in result.messages):
                problems.append(f"{user}'s refusal posted a message")
            if spec.access is not Access.ADMIN and spec.access.value not in result.text:
                problems.append(f"{user}'s refusal does not name {spec.access.value!r}")
        problems += [f"{user}: {p}" for p in rig.problems()]
        if result.modal is not None:
            rig.fake.open_modals.clear()
    assert not problems, f"/{spec.name}:\n" + "\n".join(problems)


def test_the_matrix_covers_every_level():
    seen = {s.access for s in PRIVILEGED}
    assert {Access.ORGANIZER, Access.COORDINATOR, Access.ADMIN} <= seen


async def test_a_dm_button_refuses_who_left_or_lost_the_role(rig):
    """The cascade's "Reached some" (a CAT DM): refused to a volunteer who left the server
    and to one whose CAT role was taken, with nothing recorded."""
    from bot import cat
    from bot.core import units
    from tests.support import T0

    g = rig.demo.guild_id
    await units.add(rig.db, g, "700", "Local 700 Editors", None, T0)
    form = {"name": "x", "unit": "700", "department": "d", "availability": "a", "contact": "c"}
    for name in ("bob", "alice"):
        await cat.sign_up(rig.db, g, rig.demo.user(name), T0, **form)
        held = rig.fake.guilds[g].members[rig.demo.user(name)].roles
        if rig.demo.roles["cat"] not in held:
            held.append(rig.demo.roles["cat"])
    hidden = {"ignore_default_permissions": True}
    await rig.command("carol", "/update post units: 700", **hidden)
    await rig.submit("carol", {"Title": "Wages", "Text": "We moved on wages."})
    await rig.click("carol", "Publish")
    await rig.command("carol", "/update cascade id: 1 talking_points: Pass it on.", **hidden)
    await rig.click("carol", "Send the cascade")
    await rig.settle()
    rig.fake.remove_member(g, rig.demo.user("bob"))  # left the server
    await rig.fake.take_role(g, rig.demo.user("alice"), rig.demo.roles["cat"])  # lost the role
    rig.clock.advance(minutes=10)
    left = await rig.click("bob", "Reached some")
    assert left.modal is None and "no longer a member" in left.text
    demoted = await rig.click("alice", "Reached some")
    assert demoted.modal is None and "no longer hold that role" in demoted.text
    assert await rig.db.fetchval("SELECT count(*) FROM cascade_report") == 0
