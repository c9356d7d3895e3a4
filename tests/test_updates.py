"""Negotiation updates on a temporary database: publishing, edits, retraction, lists, search."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot import demo, subscriptions, updates
from bot.core import audit, units
from bot.core.errors import Conflict, NotFound, UserError
from tests.support import GUILD, T0, fresh_db

UPDATES_CHANNEL = 5001


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await units.load_demo(database, GUILD, T0)
    await demo.prepare_server(
        database,
        GUILD,
        {"announcements": 5000, "updates": UPDATES_CHANNEL, "committee": 5002},
        {"organizer": 1, "cat": 2, "cat-coordinator": 3},
        T0,
    )
    yield database
    await database.close()


async def _post(db, title="Wages: our proposal", body="We proposed 7% a year.", t="", u="", at=T0):
    draft = await updates.make_draft(db, GUILD, title, body, None, t, u)
    return await updates.publish(db, GUILD, 9, draft, at)


async def _targets(db, broadcast_id):
    rows = await db.fetchall(
        "SELECT target_kind, target_id, action, edit_message_id FROM delivery "
        "WHERE broadcast_id = ? ORDER BY target_kind, target_id",
        (broadcast_id,),
    )
    return [tuple(r) for r in rows]


async def test_publish_queues_channel_post_and_one_dm_per_subscriber(db):
    u600 = await units.find(db, GUILD, "600")
    await subscriptions.subscribe(db, GUILD, 21, "all", T0)
    await subscriptions.subscribe(db, GUILD, 22, "topic", T0, topic="wages")
    await subscriptions.subscribe(db, GUILD, 23, "unit", T0, unit="600")
    await subscriptions.subscribe(db, GUILD, 23, "topic", T0, topic="wages")  # still one DM
    await subscriptions.subscribe(db, GUILD, 24, "topic", T0, topic="AI")  # not this update
    update = await _post(db, t="wages, Wages", u="600")
    assert update.topics == ("wages",) and update.unit_ids == (u600.id,)
    assert await _targets(db, update.broadcast_id) == [
        ("channel", UPDATES_CHANNEL, "post", None),
        ("dm", 21, "post", None),
        ("dm", 22, "post", None),
        ("dm", 23, "post", None),
    ]
    payload = json.loads(
        await db.fetchval("SELECT payload FROM broadcast WHERE id = ?", (update.broadcast_id,))
    )
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["embeds"][0]["title"] == f"#{update.id} · Wages: our proposal"
    assert (await audit.recent(db, GUILD))[0].action == "update.post"


async def test_a_department_update_reaches_its_locals_subscribers(db):
    await units.add(db, GUILD, "600-dit", "Digital imaging technicians", 1, T0, parent_code="600")
    await subscriptions.subscribe(db, GUILD, 31, "unit", T0, unit="600")
    update = await _post(db, u="600-dit")
    assert ("dm", 31, "post", None) in await _targets(db, update.broadcast_id)


@pytest.mark.parametrize(
    ("title", "body", "url", "topics", "unit_codes", "message"),
    [
        ("", "b", None, "", "", "needs a title"),
        ("t" * 201, "b", None, "", "", "keep it to 200"),
        ("t", "b" * 3501, None, "", "", "keep it to 3500"),
        ("t", "b", "javascript:alert(1)", "", "", "https://"),
        ("t", "b", None, "pizza", "", "No topic `pizza`"),
        ("t", "b", None, "", "999", "No bargaining unit `999`"),
    ],
)
async def test_bad_drafts_are_refused(db, title, body, url, topics, unit_codes, message):
    with pytest.raises(UserError, match=message):
        await updates.make_draft(db, GUILD, title, body, url, topics, unit_codes)


async def test_edit_and_retract_edit_every_posted_copy(db):
    await subscriptions.subscribe(db, GUILD, 21, "all", T0)
    update = await _post(db)
    # The worker sent both copies: pretend it did, as delivery rows say.
    for n, (kind, _target) in enumerate((("channel", UPDATES_CHANNEL), ("dm", 21))):
        await db.execute(
            "UPDATE delivery SET state = 'sent', channel_id = ?, message_id = ? "
            "WHERE broadcast_id = ? AND target_kind = ?",
            (UPDATES_CHANNEL if kind == "channel" else 7021, 900 + n, update.broadcast_id, kind),
        )
    later = T0 + timedelta(hours=1)
    edited = await updates.edit(
        db, GUILD, update.id, 9, later, title="Wages: corrected", body="6%.", source_url=None
    )
    assert edited.edited_at == later
    edit_bc = await db.fetchval("SELECT max(id) FROM broadcast WHERE kind = 'update.edit'")
    assert await _targets(db, edit_bc) == [
        ("channel", UPDATES_CHANNEL, "edit", 900),
        ("channel", 7021, "edit", 901),
    ]
    assert "*Edited <t:" in updates.update_embed(edited)["description"]

    retracted = await updates.retract(db, GUILD, update.id, 9, later, note="Wrong figure.")
    payload = json.loads(await db.fetchval("SELECT payload FROM broadcast ORDER BY id DESC"))
    assert payload["embeds"][0]["title"].startswith("Retracted: #")
    assert "Wrong figure." in payload["embeds"][0]["description"]
    assert retracted.retracted
    with pytest.raises(Conflict, match="can't be edited"):
        await updates.edit(db, GUILD, update.id, 10, later, title="x", body="y", source_url=None)
    with pytest.raises(Conflict, match="already retracted"):
        await updates.retract(db, GUILD, update.id, 10, later)
    assert (await updates.get(db, GUILD, update.id)).title == "Wages: corrected"
    assert [e.action for e in await audit.recent(db, GUILD, 3)] == [
        "update.retract",
        "update.edit",
        "update.post",
    ]
    assert await updates.latest(db, GUILD) is None  # a retracted update is never "the latest"


async def test_edit_before_sending_changes_the_queued_copies(db):
    update = await _post(db)
    await updates.edit(db, GUILD, update.id, 9, T0, title="New title", body="b", source_url=None)
    payload = json.loads(
        await db.fetchval("SELECT payload FROM broadcast WHERE id = ?", (update.broadcast_id,))
    )
    assert payload["embeds"][0]["title"].endswith("New title")


async def test_pages_filters_and_latest(db):
    for n in range(12):
        await _post(db, title=f"Update {n}", t="AI" if n % 3 == 0 else "", at=T0 + timedelta(n))
    first = await updates.page(db, GUILD)
    assert (first.total, first.pages, [u.title for u in first.items][:2]) == (
        12,
        3,
        ["Update 11", "Update 10"],
    )
    last = await updates.page(db, GUILD, number=99)
    assert last.page == 2 and len(last.items) == 2
    ai = await updates.page(db, GUILD, topic="AI")
    assert [u.title for u in ai.items] == ["Update 9", "Update 6", "Update 3", "Update 0"]
    assert (await updates.latest(db, GUILD)).title == "Update 11"
    with pytest.raises(NotFound, match="no update #999"):
        await updates.get(db, GUILD, 999)


async def test_search_ranks_highlights_and_escapes(db):
    await _post(db, title="Health plan", body="The employer moved on health contributions.")
    await _post(db, title="AI protections", body="Consent and pay for AI use; health too.")
    hits = await updates.search(db, GUILD, "health")
    assert [h.title for h in hits] == ["Health plan", "AI protections"]  # title weighs more
    assert "**health**" in hits[1].snippet.lower()
    assert await updates.search(db, GUILD, 'AI" OR health NEAR(') == []  # operators are inert
    assert [h.title for h in await updates.search(db, GUILD, "protect")] == ["AI protections"]
    with pytest.raises(UserError, match="at least one word"):
        await updates.search(db, GUILD, "*** ")


async def test_topics_are_editable_and_seeded_once(db):
    assert "wages" in await updates.topics(db, GUILD)
    await updates.remove_topic(db, GUILD, "Wages", 1, T0)
    await updates.add_topic(db, GUILD, "Residuals", 1, T0)
    assert "wages" not in await updates.topics(db, GUILD)  # not re-seeded
    assert "Residuals" in await updates.topics(db, GUILD)
    with pytest.raises(Conflict):
        await updates.add_topic(db, GUILD, "residuals", 1, T0)
    with pytest.raises(UserError):
        await updates.add_topic(db, GUILD, "x" * 41, 1, T0)


async def test_demo_updates_load_once_without_sending(db):
    first = await updates.load_demo(db, GUILD, T0)
    again = await updates.load_demo(db, GUILD, T0)
    assert first.startswith("updates: 12 added") and again.startswith("updates: 0 added")
    assert await db.fetchval("SELECT count(*) FROM broadcast") == 0
    assert (
        await updates.latest(db, GUILD)
    ).title == "Detailed summary of the Basic Agreement tentative agreement"


# -- last heard, summaries -----------------------------------------------------------------


async def test_last_heard_row_moves_forward_only(db):
    local = await units.find(db, GUILD, "600")
    draft = updates.Draft("T", "B", None, (), (local,))
    await updates.publish(db, GUILD, 1, draft, T0)
    assert await updates.last_heard(db, GUILD, local.id) == T0
    # A backdated (demo) update never moves "last heard" back.
    await updates.publish(db, GUILD, 1, draft, T0, deliver=False, published_at=T0 - timedelta(9))
    assert await updates.last_heard(db, GUILD, local.id) == T0
    later = T0 + timedelta(days=2)
    no_news = updates.Draft("No news", "We met.", None, (), (local,), "no_news")
    await updates.publish(db, GUILD, 1, no_news, later)
    row = await db.fetchone("SELECT heard_at, kind FROM unit_last_heard WHERE unit_id = ?",
                            (local.id,))  # fmt: skip
    assert row["kind"] == "no_news"
    assert await updates.last_heard(db, GUILD, local.id) == later


def test_summary_parse_reports_every_bad_field():
    from bot.updates import summaries

    with pytest.raises(UserError, match="not valid YAML"):
        summaries.parse("items: [a\n - : :")
    with pytest.raises(UserError, match="needs an `items:` list"):
        summaries.parse("just text")
    too_long = "x" * (summaries.NOTE_MAX + 1)
    with pytest.raises(UserError) as caught:
        summaries.parse(
            "items:\n"
            "  - {article: A, kind: changed, current: a, new: b, note: ok, extra: 1}\n"
            f"  - {{article: A, kind: added, new: b, note: {too_long}}}\n"
            "  - {article: C, kind: removed, note: gone}\n"
            "  - {article: [x], kind: added, new: b, note: n}\n"
        )
    text = str(caught.value)
    assert "Item 1 (A): unknown field `extra`." in text
    assert "Item 2 (A): the same article is listed twice." in text
    assert "Item 2 (A): `note` is over 1000 characters." in text
    assert "Item 3 (C): `current` (the terms today) is missing." in text
    assert "Item 4: `article` must be text" in text
    title, items = summaries.parse(
        "title: T\nitems:\n  - {article: A, kind: Added, new: b, note: n}\n"
    )
    assert title == "T" and items[0].kind == "added" and items[0].current is None


def test_chunks_split_at_words_and_keep_every_word():
    from bot.updates import summaries

    text = " ".join(f"word{n}" for n in range(1000))
    parts = summaries.chunks(text, 100)
    assert all(len(p) <= 100 for p in parts)
    assert " ".join(parts).split() == text.split()
    assert summaries.chunks("short") == ["short"]


def test_cli_import_summary(tmp_path, monkeypatch, capsys):
    import asyncio

    from bot import cli

    monkeypatch.setenv("RANKFILE_DB", str(tmp_path / "cli.db"))

    async def prepare():
        database = await fresh_db(tmp_path)
        await units.load_demo(database, GUILD, T0)
        await updates.load_demo(database, GUILD, T0)
        await database.close()

    monkeypatch.chdir(tmp_path)
    asyncio.run(prepare())
    monkeypatch.setenv("RANKFILE_DB", str(tmp_path / "rankfile.db"))
    source = tmp_path / "s.yaml"
    source.write_text("items:\n  - {article: Wages, kind: changed, current: a, new: b, note: n}\n")
    assert cli.main(["updates", "import-summary", "1", str(source)]) == 0
    assert "summary saved on update #1: 1 articles" in capsys.readouterr().out
    source.write_text("items:\n  - {article: Wages, kind: moved, note: n}\n")
    assert cli.main(["updates", "import-summary", "1", str(source)]) == 2
    assert "`kind` must be added, changed or removed" in capsys.readouterr().err
