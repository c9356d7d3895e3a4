"""The site never holds anything about a member: built from a server full of members' data
(the demo, CAT sign-ups, questions to the committee and for a town hall, RSVPs, Remind me,
subscriptions, and a row in every table the privacy declaration lists), every file it writes
is scanned for every declared value (as tests/hardening/logscan.py scans the logs).

The only declared columns the site may show are the organizers' own published words
(`bot.site.PUBLISHED`), and only from what was made public: those columns' values in rows that
were not made public (an update or event left private) are scanned for too.
"""

from __future__ import annotations

import html
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot import cat, events, privacy, questions, site, subscriptions, updates
from bot.core import units
from tests.site.support import NOW, built, demo_server
from tests.support import GUILD, fresh_db
from tests.test_privacy import seed

MEMBERS = (412345678901234561, 412345678901234562, 412345678901234563)
ORGANIZER = 498765432109876543
# Rows of the published columns that are public: every other row's value is a needle too.
PUBLIC_ROWS = {
    "bargaining_update": "public = 1",
    "event": "public = 1",
    "update_summary": "update_id IN (SELECT id FROM bargaining_update WHERE public = 1)",
}


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def members_everywhere(db) -> None:
    """Members doing everything a member can, beside the demo campaign."""
    await demo_server(db)
    await privacy.acknowledge_checklist(db, GUILD, ORGANIZER, NOW)
    townhall = await db.fetchval(
        "SELECT id FROM event WHERE guild_id = ? AND kind = 'townhall' ORDER BY id", (GUILD,)
    )
    for n, member in enumerate(MEMBERS):
        await cat.sign_up(
            db,
            GUILD,
            member,
            NOW,
            name=f"Jordan Alvarez-Member{n}",
            unit="600",
            department=f"Camera department night crew {n}",
            availability=f"Weekday evenings after wrap, shift {n}",
            contact=f"jordan.alvarez{n}@example.org",
        )
        await questions.ask(
            db,
            GUILD,
            member,
            f"Will the new health plan cover my kids from day one? ({n})",
            anonymous=n % 2 == 0,
            now=NOW,
        )
        await subscriptions.subscribe(db, GUILD, member, "unit", NOW, unit="600")
        await events.rsvp(db, townhall, member, "going", NOW)
        await events.questions.ask(
            db,
            GUILD,
            townhall,
            member,
            f"Are weekend overtime rules in the MOA? asks {n}",
            False,
            NOW,
        )
    # A row in every declared table (the privacy tests' seed), with members' real-size ids.
    await seed(db, GUILD, MEMBERS[0], ORGANIZER)
    await db.execute(
        "UPDATE bargaining_unit SET code = 'seeded', name = 'Seeded unit' WHERE code LIKE 'u%'"
    )
    # Organizers' words left private: an update and an event not marked public.
    unit = await units.find(db, GUILD, "600")
    draft = updates.Draft(
        "Committee only: our fallback position on wages",
        "Private strategy notes for the committee.",
        None,
        (),
        (unit,),
    )
    await updates.publish(db, GUILD, ORGANIZER, draft, NOW, deliver=False)
    private = events.make_draft(
        "townhall",
        "Committee-only strategy meeting",
        "Private agenda",
        NOW + timedelta(days=3),
        None,
        "Back room",
        (),
        "UTC",
    )
    await events.create(db, GUILD, ORGANIZER, private, NOW)
    # Short seeded texts become long unique ones, so that the scan can see them anywhere.
    for use in privacy.declared():
        for personal in use.columns:
            if personal.holds != "member text":
                continue
            try:
                await db.execute(
                    f'UPDATE "{use.table}" SET "{personal.column}" = '
                    f"'member-text {use.table}.{personal.column} #' || rowid "
                    f'WHERE "{personal.column}" IS NOT NULL AND length("{personal.column}") < 12'
                )
            except Exception:
                continue


def needles(db_path: Path) -> dict[str, str]:
    """Every declared member id and member text, except published words of public rows."""
    found: dict[str, str] = {}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for use in privacy.declared():
            for personal in use.columns:
                where = "1"
                if (use.table, personal.column) in site.PUBLISHED:
                    where = f"NOT ({PUBLIC_ROWS.get(use.table, '1')})"
                rows = conn.execute(
                    f'SELECT DISTINCT "{personal.column}" FROM "{use.table}" WHERE {where}'
                ).fetchall()
                for (value,) in rows:
                    text = str(value).strip() if value is not None else ""
                    if personal.column.endswith(("channel_id", "message_id")):
                        continue  # a channel's or message's id, not a person's
                    if personal.holds == "member id" and text.isdigit() and len(text) >= 6:
                        found[text] = f"{use.table}.{personal.column}"
                    elif personal.holds == "member text" and len(text) >= 12:
                        found[text[:60]] = f"{use.table}.{personal.column}"
    finally:
        conn.close()
    return found


def readable(text: str) -> str:
    """A file's text as a reader gets it: calendar lines unfolded, escapes decoded."""
    text = re.sub(r"\r?\n[ \t]", "", text)  # RFC 5545 folding
    text = text.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")
    return html.unescape(text)


def scan(files: dict[str, str], values: dict[str, str]) -> list[str]:
    """(declared column, file) for each value found in a file."""
    return sorted(
        {
            f"{values[needle]} in {name}"
            for name, content in files.items()
            for variant in {content, readable(content)}
            for needle in values
            if needle in variant
        }
    )


async def test_no_member_data_in_any_file_of_the_site(db, tmp_path):
    await members_everywhere(db)
    files = await built(db, tmp_path / "site")
    values = needles(db.path)
    # The scan looks for something: every member, their sign-ups, questions and RSVPs.
    assert {str(m) for m in MEMBERS} <= set(values)
    assert any(v.startswith("Will the new health plan") for v in values)
    assert "Committee only: our fallback position on wages" in values
    assert "Committee-only strategy meeting" in values
    assert len(values) > 40
    assert scan(files, values) == []
    # The scan would see one: a member's id, or a question as HTML escapes it.
    question = next(v for v in values if v.startswith("Will the new health plan"))
    planted = {"a.html": f"<p>{MEMBERS[1]}</p>", "b.html": html.escape(question)}
    assert len(scan(planted, values)) == 2
    # ...and the site is not empty: the demo's public words are there.
    assert "Detailed summary of the Basic Agreement tentative agreement" in files["index.html"]
    assert len(files) > 30
