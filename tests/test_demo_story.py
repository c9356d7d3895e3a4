"""The demo tells one story, true at the sandbox's clock (July 10, 2024: the tentative
agreement is out, the ratification vote is ahead), and never speaks of where it came from."""

from __future__ import annotations

import pytest

from bot import demo
from tests.support import GUILD, T0, fresh_db

# What members read: the FAQ, the updates and the summary of the tentative agreement.
TEXTS = (
    "SELECT question || ' ' || answer FROM faq_entry WHERE guild_id = ?",
    "SELECT title || ' ' || body FROM bargaining_update WHERE guild_id = ?",
    "SELECT coalesce(title, '') FROM update_summary WHERE guild_id = ?",
    "SELECT i.article || ' ' || coalesce(i.current_terms, '') || ' ' || "
    "coalesce(i.new_terms, '') || ' ' || i.note FROM update_summary_item i "
    "JOIN update_summary s ON s.update_id = i.update_id WHERE s.guild_id = ?",
)
# The July 18 result is in the future on July 10; the demo's sources are nobody's business.
NOT_YET = ("85.9", "87.2", "ratified on", "was ratified", "newly ratified", "went into effect")
ABOUT_ITSELF = ("seeds", "demo", "public record", "illustrative")


@pytest.fixture
async def texts(tmp_path):
    db = await fresh_db(tmp_path)
    await demo.load(db, GUILD, T0)
    found = [row[0] for sql in TEXTS for row in await db.fetchall(sql, (GUILD,))]
    await db.close()
    return found


async def test_the_demo_says_nothing_untrue_at_its_clock(texts):
    assert len(texts) > 30
    wrong = [t for t in texts for said in NOT_YET if said in t]
    assert wrong == []


async def test_the_demo_never_speaks_of_where_it_came_from(texts):
    wrong = [t for t in texts for said in ABOUT_ITSELF if said in t.lower()]
    assert wrong == []


async def test_the_summary_notes_leave_the_disclaimer_to_the_bot(texts):
    assert not [t for t in texts if "not contract language" in t.lower()]
