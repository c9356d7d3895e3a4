"""The permission matrix: every command that is not for all members, run as each demo member.

alice is a plain member, bob is in the CAT, carol an organizer, dave a CAT coordinator,
erin an admin (Manage Server). The command is forced past Discord's hiding
(default_member_permissions), as a server that changed its command permissions would let
it through, so the run-time check in bot.permissions is what is tested. A refusal is an
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


@pytest.mark.parametrize("spec", PRIVILEGED, ids=[s.name.replace(" ", "-") for s in PRIVILEGED])
def test_who_may_run_it(spec, shared_rig):
    rig = shared_rig
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
