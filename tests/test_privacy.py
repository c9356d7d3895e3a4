"""Members' data: the declaration the capabilities hand in covers the schema; export, delete
and the purge do what it says, table by table; retention timers, the removal path, the
checklist, the transparency log."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
from datetime import timedelta

import pytest

from bot import privacy
from bot.core import audit, timers
from bot.core.db import MIGRATIONS_DIR, Database, load_migrations, to_db
from bot.core.errors import Conflict, UserError
from bot.core.personal_data import NOBODY
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db

ALICE, BOB, ORG = 1001, 1002, 1003
PARAMS = {"user": ALICE, "guild": GUILD}


async def seed(db: Database, guild: int, user: int, organizer: int) -> None:
    """One member with a row in every declared table (and an organizer acting on them)."""
    now = to_db(T0)
    ex = db.execute
    unit = await ex(
        "INSERT INTO bargaining_unit (guild_id, code, name, created_at) VALUES (?, ?, 'U', ?)",
        (guild, f"u{user}", now),
    )
    await ex(
        "INSERT INTO cat_volunteer (guild_id, user_id, unit_id, display_name, department,"
        " availability, contact, status, commitment_accepted_at, joined_at, updated_at,"
        " approved_at, approved_by) VALUES (?, ?, ?, 'Alice Ng', 'Editors', 'Days', 'DM',"
        " 'active', ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET"
        " approved_at = excluded.approved_at, approved_by = excluded.approved_by",
        (guild, user, unit, now, now, now, now, organizer),
    )
    vol = await db.fetchval(
        "SELECT id FROM cat_volunteer WHERE guild_id = ? AND user_id = ?", (guild, user)
    )
    conv = await ex(
        "INSERT INTO cat_conversation (guild_id, volunteer_id, unit_id, count, method,"
        " logged_at) VALUES (?, ?, ?, 3, 'in person', ?)",
        (guild, vol, unit, now),
    )
    await ex(
        "INSERT INTO cat_conversation_concern (conversation_id, concern) VALUES (?, 'wages')",
        (conv,),
    )
    await ex(
        "INSERT INTO committee_question (guild_id, number, author_id, text, state, answer,"
        " answered_by, answered_at, created_at) VALUES (?, ?, ?, 'Why?', 'answered',"
        " 'Because.', ?, ?, ?)",
        (guild, user, user, organizer, now, now),
    )
    await ex(
        "INSERT INTO subscription (guild_id, user_id, kind, target, created_at)"
        " VALUES (?, ?, 'topic', 'wages', ?)",
        (guild, user, now),
    )
    event = await ex(
        "INSERT INTO event (guild_id, kind, title, timezone, created_by, created_at,"
        " updated_at, how_to_vote, cancel_reason) VALUES (?, 'vote', 'Vote', 'UTC', ?, ?, ?,"
        " 'online', NULL)",
        (guild, organizer, now, now),
    )
    session = await ex(
        "INSERT INTO event_session (event_id, starts_at) VALUES (?, ?)", (event, now)
    )
    await ex(
        "INSERT INTO event_subscriber (event_id, user_id, created_at) VALUES (?, ?, ?)",
        (event, user, now),
    )
    await ex(
        "INSERT INTO event_rsvp (session_id, user_id, status, show_name, updated_at)"
        " VALUES (?, ?, 'going', 1, ?)",
        (session, user, now),
    )
    await ex(
        "INSERT INTO vote_voted (event_id, user_id, unit_id, at) VALUES (?, ?, ?, ?)",
        (event, user, unit, now),
    )
    await ex(
        "INSERT INTO announcement (guild_id, author_id, title, body, link, channel_id,"
        " created_at) VALUES (?, ?, 'T', 'B', 'https://x', 5, ?)",
        (guild, organizer, now),
    )
    update = await ex(
        "INSERT INTO bargaining_update (guild_id, title, body, source_url, author_id,"
        " published_at, edited_by, retracted_by, retraction_note) VALUES (?, 'T', 'B', 'u',"
        " ?, ?, ?, ?, 'wrong')",
        (guild, organizer, now, organizer, organizer),
    )
    await ex(
        "INSERT INTO tracker_status_change (guild_id, unit_id, status, reached_at, note,"
        " author_id, update_id, created_at) VALUES (?, ?, 'open', ?, 'n', ?, ?, ?)",
        (guild, unit, now, organizer, update, now),
    )
    broadcast = await ex(
        "INSERT INTO broadcast (guild_id, kind, author_id, payload, created_at, scheduled_for)"
        " VALUES (?, 'x', ?, '{}', ?, ?)",
        (guild, organizer, now, now),
    )
    for state in ("sent", "pending"):
        await ex(
            "INSERT INTO delivery (broadcast_id, target_kind, target_id, state, due_at,"
            " channel_id, message_id, updated_at) VALUES (?, 'dm', ?, ?, ?, 77, 78, ?)",
            (
                broadcast
                if state == "sent"
                else await ex(
                    "INSERT INTO broadcast (guild_id, kind, payload, created_at, scheduled_for)"
                    " VALUES (?, 'y', '{}', ?, ?)",
                    (guild, now, now),
                ),
                user,
                state,
                now,
                now,
            ),
        )
    # Town halls, bargaining transparency (withheld details, summaries, proposals), CAT depth.
    tq = await ex(
        "INSERT INTO townhall_question (event_id, user_id, text, answer, created_at)"
        " VALUES (?, ?, 'Q?', 'A.', ?)",
        (event, user, now),
    )
    await ex(
        "INSERT INTO townhall_upvote (question_id, user_id, at) VALUES (?, ?, ?)",
        (tq, user, now),
    )
    cascade = await ex(
        "INSERT INTO cascade (guild_id, update_id, talking_points, started_at, started_by)"
        " VALUES (?, ?, 'talk', ?, ?)",
        (guild, update, now, organizer),
    )
    await ex(
        "INSERT INTO cascade_volunteer (cascade_id, user_id, unit_id, reached) VALUES (?, ?, ?, 2)",
        (cascade, user, unit),
    )
    await ex(
        "INSERT INTO cascade_report (cascade_id, user_id, reached, reported_at)"
        " VALUES (?, ?, 2, ?)",
        (cascade, user, now),
    )
    await ex(
        "INSERT INTO cat_coordinator (guild_id, user_id, unit_id, created_at) VALUES (?, ?, ?, ?)",
        (guild, user, unit, now),
    )
    withheld = await ex(
        "INSERT INTO withheld_details (guild_id, unit_id, reason, expected_at, marked_at,"
        " marked_by) VALUES (?, ?, 'ratification', ?, ?, ?)",
        (guild, unit, now, now, organizer),
    )
    await ex(
        "INSERT INTO withheld_date_change (withheld_id, old_expected_at, new_expected_at,"
        " reason, changed_at, changed_by) VALUES (?, ?, ?, 'later', ?, ?)",
        (withheld, now, now, now, organizer),
    )
    await ex(
        "INSERT INTO update_summary (update_id, guild_id, title, imported_at, imported_by)"
        " VALUES (?, ?, 'S', ?, ?)",
        (update, guild, now, organizer),
    )
    await ex(
        "INSERT INTO proposal (guild_id, unit_id, title, whose_move, last_exchange_at,"
        " created_at, created_by) VALUES (?, ?, 'P', 'union', ?, ?, ?)",
        (guild, unit, now, now, organizer),
    )
    await ex(
        "INSERT INTO dm_channel (user_id, channel_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (user, user + 5000),
    )
    await ex(
        "INSERT INTO dm_closed (user_id, closed_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (user, now),
    )
    await ex(
        "INSERT INTO member_preference (guild_id, user_id, plain_text, updated_at)"
        " VALUES (?, ?, 1, ?)",
        (guild, user, now),
    )
    await ex(
        "INSERT INTO member_action (guild_id, user_id, action, at)"
        " VALUES (?, ?, 'townhall.ask', ?)",
        (guild, user, now),
    )
    await ex(
        "INSERT INTO privacy_guild (guild_id, closed_by, checklist_acknowledged_by,"
        " updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild, organizer, organizer, now),
    )
    await audit.record(db, guild, organizer, "cat.approve", f"cat_volunteer:{vol}", None, T0)


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def seeded(db: Database) -> Database:
    # Alice is a member and an organizer acting on Bob; Bob's data must survive hers.
    await seed(db, GUILD, BOB, ALICE)
    await seed(db, GUILD, ALICE, ORG)
    await seed(db, OTHER_GUILD, ALICE, ORG)
    return db


async def rows_of(db: Database, use: privacy.Use, params: dict) -> list[dict]:
    return [dict(r) for r in await db.fetchall(privacy.select_sql(use), params)]


async def count(db: Database, table: str) -> int:
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))


# -- the schema test ---------------------------------------------------------------------------


async def test_every_member_column_of_the_schema_is_declared(db):
    assert await privacy.unclassified_columns(db) == []
    for use in privacy.declared():
        have = {r["name"] for r in await db.fetchall(f"PRAGMA table_info('{use.table}')")}
        assert {c.column for c in use.columns} <= have, use.name
        assert set(use.export) <= have, use.name
        assert {col for col, _ in use.anonymise} <= have, use.name
        assert use.on_delete in (privacy.DELETE, privacy.ANONYMISE, privacy.KEEP)


def test_a_use_declared_twice_differently_is_refused():
    use = privacy.declared()[0]
    privacy.declare(use)  # start-up may run twice: the same declaration again changes nothing
    with pytest.raises(ValueError, match=use.name):
        privacy.declare(dataclasses.replace(use, why="kept forever"))
    assert privacy.declared()[0] == use


async def test_an_undeclared_column_in_a_new_migration_fails_the_schema_test(tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    number = len(load_migrations(MIGRATIONS_DIR)) + 1
    (migrations / f"{number:04d}_sneaky.sql").write_text(
        "ALTER TABLE cat_volunteer ADD COLUMN phone TEXT;\n"
        "ALTER TABLE event ADD COLUMN reviewer_id INTEGER;\n"
        "CREATE TABLE member_note (id INTEGER PRIMARY KEY, guild_id INTEGER, note TEXT);\n"
    )
    db = Database(tmp_path / "x.db", migrations_dir=migrations)
    await db.open()
    await db.migrate()
    try:
        found = await privacy.unclassified_columns(db)
    finally:
        await db.close()
    assert found == [("cat_volunteer", "phone"), ("event", "reviewer_id"), ("member_note", "note")]


def test_the_readme_data_section_lists_every_declared_column():
    section = privacy.data_section()
    for table, column in privacy.declared_columns():
        assert f"| {table} | {column} |" in section
    assert "| cat_volunteer | contact | member text |" in section


# -- export and delete -------------------------------------------------------------------------


async def test_export_covers_every_declared_column_and_only_this_member_and_server(db):
    await seeded(db)
    data = await privacy.export_member(db, GUILD, ALICE, T0)
    # A table that never records who (NOBODY) has nothing to export for anyone.
    linked = [u for u in privacy.declared() if u.member != NOBODY]
    assert set(data["data"]) == {u.name for u in linked}
    for use in linked:
        exported = data["data"][use.name]
        assert exported["table"] == use.table
        assert exported["rows"] and all(set(r) == set(use.export) for r in exported["rows"])
    assert data["data"]["cat_volunteer"]["rows"] == [
        {
            "display_name": "Alice Ng",
            "department": "Editors",
            "availability": "Days",
            "contact": "DM",
            "status": "active",
            "role_state": "none",
            "commitment_accepted_at": to_db(T0),
            "joined_at": to_db(T0),
            "approved_at": to_db(T0),
            "left_at": None,
            "list_size": None,
            "training_at": None,
            "supervises_none": None,
        }
    ]
    # Alice's DMs (one sent, one pending), not Bob's, and nothing from the other server.
    assert len(data["data"]["direct_messages"]["rows"]) == 2
    assert len(data["data"]["questions_asked"]["rows"]) == 1
    json.loads(privacy.export_json(data))
    # Counted in the transparency log with no name.
    [entry] = [e for e in await audit.recent(db, GUILD) if e.action == "privacy.export"]
    assert entry.actor_id is None


async def test_delete_leaves_the_database_as_the_declaration_says(db):
    await seeded(db)
    tables = {u.table for u in privacy.declared()}
    before = {t: await count(db, t) for t in tables}
    bob_before = {
        u.name: await rows_of(db, u, {"user": BOB, "guild": GUILD}) for u in privacy.declared()
    }
    other_before = {
        u.name: await rows_of(db, u, {"user": ALICE, "guild": OTHER_GUILD})
        for u in privacy.declared()
        if u.guild
    }
    changed = await privacy.delete_member(db, GUILD, ALICE, T0)
    assert set(changed) == {u.name for u in privacy.declared() if u.on_delete != privacy.KEEP}
    for use in privacy.declared():
        # Nothing in this server points to Alice any more...
        assert await rows_of(db, use, PARAMS) == [], use.name
        # ...while Bob's data and Alice's in the other server are untouched.
        assert await rows_of(db, use, {"user": BOB, "guild": GUILD}) == bob_before[use.name]
        if use.guild:
            assert (
                await rows_of(db, use, {"user": ALICE, "guild": OTHER_GUILD})
                == (other_before[use.name])
            )
    # Table by table: deleted rows are gone, anonymised rows keep the counts.
    after = {t: await count(db, t) for t in tables}
    assert after["cat_volunteer"] == before["cat_volunteer"] - 1
    assert after["subscription"] == before["subscription"] - 1
    assert after["event_subscriber"] == before["event_subscriber"] - 1
    assert after["dm_channel"] == before["dm_channel"] - 1
    assert after["cat_coordinator"] == before["cat_coordinator"] - 1
    for kept in (
        "townhall_upvote",
        "cascade_volunteer",
        "cascade_report",
        "cat_conversation",
        "cat_conversation_concern",
        "committee_question",
        "event_rsvp",
        "vote_voted",
        "delivery",
        "broadcast",
        "audit_log",
    ):
        assert after[kept] >= before[kept], kept
    q = await db.fetchone(
        "SELECT author_id, anonymous, text FROM committee_question WHERE guild_id = ? "
        "AND number = ?",
        (GUILD, ALICE),
    )
    assert tuple(q) == (0, 1, "Why?")
    conv = await db.fetchall(
        "SELECT volunteer_id, count FROM cat_conversation WHERE guild_id = ?", (GUILD,)
    )
    assert sorted((r[0] is None, r[1]) for r in conv) == [(False, 3), (True, 3)]
    rsvp = await db.fetchall("SELECT user_id, show_name FROM event_rsvp WHERE user_id < 0")
    assert len(rsvp) == 1 and rsvp[0]["show_name"] == 0
    dms = await db.fetchall("SELECT state, channel_id FROM delivery WHERE target_id < 0")
    assert sorted(tuple(r) for r in dms) == [("cancelled", None), ("sent", None)]
    approved = await db.fetchval(
        "SELECT count(*) FROM cat_volunteer WHERE approved_by = ?", (ALICE,)
    )
    assert approved == 0


# -- retention ---------------------------------------------------------------------------------


async def fire_due(db: Database, now) -> list[str]:
    return [await timers.fire(db, tid, now) for tid in await timers.due_ids(db, now)]


async def test_close_warns_a_week_before_then_purges_keeping_counts(db):
    await seeded(db)
    closed = await privacy.close_campaign(db, GUILD, ORG, T0)
    assert closed.purge_due_at == T0 + timedelta(days=90)
    with pytest.raises(Conflict):
        await privacy.close_campaign(db, GUILD, ORG, T0)
    assert await fire_due(db, T0 + timedelta(days=82)) == []
    assert await fire_due(db, T0 + timedelta(days=83)) == ["fired"]
    warning = await db.fetchone("SELECT id, payload FROM broadcast WHERE kind = 'privacy.warning'")
    assert "deleted in 7 days" in warning["payload"]
    targets = await db.fetchall(
        "SELECT target_kind, target_id FROM delivery WHERE broadcast_id = ?", (warning["id"],)
    )
    assert ("dm", ORG) in [tuple(t) for t in targets]
    assert (await privacy.campaign(db, GUILD)).warned_at is not None
    assert await count(db, "cat_volunteer") == 3
    assert await fire_due(db, T0 + timedelta(days=90)) == ["fired"]
    for use in privacy.declared():
        if use.guild and (use.purge or use.on_delete) != privacy.KEEP:
            # No row of the server still points to a member (ids are positive).
            where = f"({use.member}) > 0 AND ({use.guild}) = ? AND ({use.extra})"
            sql = f"SELECT count(*) FROM {use.table} WHERE {where}"
            assert await db.fetchval(sql, (GUILD,)) == 0, use.name
    # The server's personal data is gone; its counts and the other server are not.
    assert await db.fetchval("SELECT count(*) FROM cat_volunteer WHERE guild_id = ?", (GUILD,)) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM committee_question WHERE guild_id = ?", (GUILD,))
        == 0
    )
    assert (
        await db.fetchval("SELECT sum(count) FROM cat_conversation WHERE guild_id = ?", (GUILD,))
        == 6
    )
    assert await db.fetchval("SELECT count(*) FROM event_rsvp WHERE user_id < 0") == 2
    assert (
        await db.fetchval("SELECT count(*) FROM cat_volunteer WHERE guild_id = ?", (OTHER_GUILD,))
        == 1
    )
    assert (
        await db.fetchval("SELECT count(*) FROM tracker_status_change WHERE guild_id = ?", (GUILD,))
        == 2
    )
    assert (await privacy.campaign(db, GUILD)).purged_at == T0 + timedelta(days=90)
    log = await privacy.transparency_log(db, GUILD, T0 - timedelta(days=1))
    assert {line.action for line in log} >= {"privacy.close", "privacy.retention"}


async def test_reopen_cancels_the_purge(db):
    await seeded(db)
    await privacy.close_campaign(db, GUILD, ORG, T0)
    await privacy.reopen_campaign(db, GUILD, ORG, T0 + timedelta(days=1))
    assert await fire_due(db, T0 + timedelta(days=200)) == []
    assert await count(db, "cat_volunteer") == 3
    with pytest.raises(Conflict):
        await privacy.reopen_campaign(db, GUILD, ORG, T0)


async def test_retention_days_is_a_setting_and_moves_a_scheduled_purge(db):
    await seeded(db)
    with pytest.raises(UserError):
        await privacy.set_retention(db, GUILD, 3, ORG, T0)
    await privacy.close_campaign(db, GUILD, ORG, T0)
    state = await privacy.set_retention(db, GUILD, 30, ORG, T0)
    assert state.purge_due_at == T0 + timedelta(days=30)
    assert await fire_due(db, T0 + timedelta(days=29)) == ["fired"]  # the warning
    assert await fire_due(db, T0 + timedelta(days=30)) == ["fired"]
    assert await db.fetchval("SELECT count(*) FROM cat_volunteer WHERE guild_id = ?", (GUILD,)) == 0


async def test_removed_from_the_server_purges_after_the_delay_unless_added_back(db):
    await seeded(db)
    await privacy.bot_removed(db, GUILD, T0)
    await privacy.bot_added(db, GUILD, T0 + timedelta(days=10))
    assert await fire_due(db, T0 + timedelta(days=100)) == []
    await privacy.bot_removed(db, GUILD, T0 + timedelta(days=100))
    # Nobody to warn in a server the bot left: the warning fires but sends nothing.
    assert await fire_due(db, T0 + timedelta(days=190)) == ["fired", "fired"]
    assert await db.fetchval("SELECT count(*) FROM broadcast WHERE kind = 'privacy.warning'") == 0
    assert await db.fetchval("SELECT count(*) FROM cat_volunteer WHERE guild_id = ?", (GUILD,)) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM cat_volunteer WHERE guild_id = ?", (OTHER_GUILD,))
        == 1
    )


async def test_database_and_backup_files_are_private(db, tmp_path):
    assert stat.S_IMODE(os.stat(db.path).st_mode) == 0o600
    backup = tmp_path / "backups" / "b.db"
    await db.backup_to(backup)
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600


# -- checklist and transparency ----------------------------------------------------------------


async def test_checklist_is_required_until_an_admin_acknowledges_it(db):
    assert not await privacy.checklist_acknowledged(db, GUILD)
    with pytest.raises(UserError, match="/setup checklist"):
        await privacy.require_checklist(db, GUILD)
    state = await privacy.acknowledge_checklist(db, GUILD, ORG, T0)
    assert state.checklist_acknowledged_at == T0 and state.checklist_acknowledged_by == ORG
    assert await privacy.checklist_acknowledged(db, GUILD)
    await privacy.require_checklist(db, GUILD)
    assert not await privacy.checklist_acknowledged(db, OTHER_GUILD)


async def test_transparency_log_counts_accesses_with_who_and_when(db):
    await seeded(db)
    for day in range(3):
        await audit.record(
            db, GUILD, ORG, "cat.export", "cat roster", "rows=2", T0 + timedelta(days=day)
        )
    await audit.record(db, GUILD, ORG, "faq.add", "faq #1", "k", T0)  # not shown
    lines = await privacy.transparency_log(db, GUILD, T0 - timedelta(days=1))
    exports = [x for x in lines if x.action == "cat.export"]
    assert [(x.actor_id, x.count, x.first_at, x.last_at) for x in exports] == [
        (ORG, 3, T0, T0 + timedelta(days=2))
    ]
    assert "faq.add" not in {x.action for x in lines}
    mine = await privacy.my_record_log(db, GUILD, BOB)
    assert [(x.action, x.actor_id) for x in mine] == [("cat.approve", ALICE)]
    assert await privacy.my_record_log(db, GUILD, 999) == []
