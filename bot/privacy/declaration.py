"""The declaration engine: what rankfile keeps about a member, and why, collected from every
capability.

Each capability declares, beside its code, the tables and columns it writes that hold a
member's id or text (`PERSONAL_DATA`, made of `bot.core.personal_data.Use` and `NotPersonal`);
`bot.wiring.install` hands them to `declare` at start-up. `/privacy export`, `/privacy delete`,
the retention purge and the README's data section are all driven by what was collected;
`unclassified_columns` (and tests/test_privacy.py) fail for any column of the schema that
could hold a member's id or text and is neither declared nor declared not personal, with a
reason.
"""

from __future__ import annotations

from bot.core.db import Database
from bot.core.personal_data import ANONYMISE, DELETE, NotPersonal, Use

# What the capabilities declared, in declaration order. Order matters: rows reached through
# another table's row (CAT conversations through their volunteer) come before that row is
# deleted, so a capability lists its uses in that order.
_USES: dict[str, Use] = {}
_NOT_PERSONAL: dict[str, NotPersonal] = {}


# INTEGER columns named *_id that are Discord ids of things, not members.
_THING_ID_SUFFIXES = ("guild_id", "channel_id", "role_id", "message_id")

SCHEMA_TABLES = "SELECT name, sql FROM sqlite_master WHERE type = 'table'"


def declare(*entries: Use | NotPersonal) -> None:
    """Collect a capability's declaration (at start-up; declaring the same entry again is a
    no-op, a different entry under a known name is a mistake)."""
    for entry in entries:
        if isinstance(entry, Use):
            if _USES.setdefault(entry.name, entry) != entry:
                raise ValueError(f"the use {entry.name} is declared twice, differently")
        elif _NOT_PERSONAL.setdefault(entry.table, entry) != entry:
            raise ValueError(f"{entry.table} is declared not personal twice, differently")


def declared() -> tuple[Use, ...]:
    """Every declared use, in order; refused before the capabilities declared theirs."""
    if not _USES:
        raise RuntimeError("no members' data declared: bot.wiring.install() runs at start-up")
    return tuple(_USES.values())


def declared_columns() -> set[tuple[str, str]]:
    """Every (table, column) the declaration names as holding data about a member."""
    return {(u.table, c.column) for u in declared() for c in u.columns}


def _where(use: Use, *, member: bool) -> str:
    guild = f" AND ({use.guild}) = :guild" if use.guild else ""
    who = f"({use.member}) = :user" if member else f"({use.member}) IS NOT NULL"
    return f"{who}{guild} AND ({use.extra})"


def select_sql(use: Use) -> str:
    """The member's rows of one use (parameters :user and :guild), as exported."""
    # Table and column names come from the declarations, never from input.
    cols = ", ".join(use.export)
    return f"SELECT {cols} FROM {use.table} WHERE {_where(use, member=True)}"


def change_sql(use: Use, *, member: bool) -> str | None:
    """What delete (`member`: one member's rows) or the purge (every member's rows in the
    server) does to one use; None when it keeps the rows as they are."""
    action = use.on_delete if member else (use.purge or use.on_delete)
    where = _where(use, member=member)
    if action == DELETE:
        return f"DELETE FROM {use.table} WHERE {where}"
    if action == ANONYMISE and use.anonymise:
        sets = ", ".join(f"{col} = {expr}" for col, expr in use.anonymise)
        return f"UPDATE {use.table} SET {sets} WHERE {where}"
    return None


def cancel_timers_sql(use: Use, *, member: bool) -> list[str]:
    """Statements cancelling the pending timers scheduled for the member's rows of one use
    (delete), or every member's rows in the server (the purge); parameters :user, :guild."""
    where = _where(use, member=member)
    return [
        f"UPDATE timer SET state = 'cancelled' WHERE kind = '{kind}' AND state = 'pending' "
        f"AND subject_id IN (SELECT {subject} FROM {use.table} WHERE {where})"
        for kind, subject in use.timers
    ]


def members_sql(use: Use) -> str:
    """Every (member id, server id) one use holds rows for (server NULL when it has none)."""
    guild = use.guild or "NULL"
    return (
        f"SELECT DISTINCT ({use.member}), ({guild}) FROM {use.table} "
        f"WHERE ({use.member}) IS NOT NULL AND ({use.extra})"
    )


def data_section() -> str:
    """The README's "What rankfile keeps about members" section, from the declaration."""
    lines = [
        "| table | column | holds | why | `/privacy delete` | retention purge |",
        "|---|---|---|---|---|---|",
    ]
    for use in declared():
        for c in use.columns:
            lines.append(
                f"| {use.table} | {c.column} | {c.holds} | {c.purpose} | "
                f"{use.fate(c.column)} | {use.fate(c.column, purging=True)} |"
            )
    return "\n".join(lines)


async def unclassified_columns(db: Database) -> list[tuple[str, str]]:
    """Columns of the live schema that could hold a member's id or text but are neither in
    the declaration nor declared not personal (the schema test wants none)."""
    named = declared_columns()
    exempt = {(n.table, c) for n in _NOT_PERSONAL.values() for c in n.columns}
    tables = await db.fetchall(SCHEMA_TABLES)
    virtual = [r["name"] for r in tables if (r["sql"] or "").upper().startswith("CREATE VIRTUAL")]
    found: list[tuple[str, str]] = []
    for row in tables:
        name = row["name"]
        if name.startswith("sqlite_") or name in virtual:
            continue
        if any(name.startswith(f"{v}_") for v in virtual):
            continue  # FTS5's shadow tables mirror text declared on their content table
        keys = {r["from"] for r in await db.fetchall(f"PRAGMA foreign_key_list('{name}')")}
        for col in await db.fetchall(f"PRAGMA table_info('{name}')"):
            cname, ctype = col["name"], (col["type"] or "").upper()
            if (name, cname) in named or (name, cname) in exempt:
                continue
            if cname.endswith("_at") or cname == "id":
                continue  # times and row ids
            textual = "INT" not in ctype and "REAL" not in ctype
            person_ref = (
                cname.endswith(("_id", "_by"))
                and cname not in keys
                and not cname.endswith(_THING_ID_SUFFIXES)
            )
            if textual or person_ref:
                found.append((name, cname))
    return found
