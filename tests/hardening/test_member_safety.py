"""Member safety (issue 19): each finding reproduced as a hostile or careless member would,
through the real bot against the fake (the rig) or the domain, then shown fixed.

2: counts shown to organizers are of questions, never askers; an anonymous committee post
   shows no time and no delivery state. 3: a town hall question's anonymity is chosen from a
   list, anonymous unless changed. 4: /privacy delete redacts posts and stored copies,
   cancels timers, leaves nothing in the files (-wal included), survives a restore; replaced
   databases are pruned with the backups. 5: every promised transparency event is recorded.
   8: one CSV writer, formulas escaped. 9: per-member limits. 10: member text rendered inert,
   hiding questions, the search floor per server, /announce checks the organizer too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot import demo, events, privacy, questions, subscriptions, updates
from bot.core import backups, csv_export, delivery, forgotten, limits, timers
from bot.core.db import Database, to_db
from bot.core.errors import UserError
from bot.core.render import member_text
from bot.events import questions as tq
from bot.sandbox.fake import SEND_MESSAGES
from bot.updates import searching
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db
from tests.test_privacy import ALICE, PARAMS, rows_of, seed
from tests.test_questions import CHANNELS, ROLES

ROOT = Path(__file__).resolve().parents[2]
DELETE_CONFIRM = "Delete my data"


async def _town_hall(rig) -> int:
    await rig.command(
        "carol", "/event create kind: townhall start: July 13 noon place: https://zoom.us/j/1"
    )
    await rig.submit("carol", {"Title": "MOA town hall"})
    saved = await rig.click("carol", "Save")
    return int(saved.text.split("event #")[1].split(".")[0])


def _dms_to(rig, results, name: str) -> list:
    who = rig.demo.user(name)
    return [
        m
        for r in results
        for m in r.dms()
        if rig.fake.find_channel(m.channel_id).recipient_id == who
    ]


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


# -- 2. anonymity that cannot be inferred from counts or times ---------------------------------


async def test_2_recap_counts_questions_and_sends_one_dm_per_question(rig):
    event_id = await _town_hall(rig)
    await rig.command(
        "alice", f"/townhall ask event: {event_id} question: Named one? anonymous: False"
    )
    rig.clock.advance(minutes=1)  # the town hall cooldown (bot.core.limits)
    await rig.command("alice", f"/townhall ask event: {event_id} question: Anonymous one?")
    await rig.command("carol", "/townhall-run answer question: 1 answer: Yes.")
    await rig.command("carol", "/townhall-run answer question: 2 answer: No.")
    recap = await rig.command("carol", f"/townhall-run recap event: {event_id} text: Covered.")
    done = await rig.idle()
    # Before: "1 member whose questions were answered", and /audit "1 askers told": with one
    # named question on screen, the anonymous one was hers. Now: questions, and one DM each.
    assert "2 answered questions" in recap.text and "member" not in recap.text
    detail = await rig.db.fetchval(
        "SELECT detail FROM audit_log WHERE action = 'townhall.recap'", ()
    )
    assert "2 answered questions" in detail and "asker" not in detail
    dms = _dms_to(rig, [recap, done], "alice")
    assert len(dms) == 2
    assert {"Named one?" in d.content for d in dms} == {True, False}


async def test_2_anonymous_committee_post_shows_no_time_and_no_delivery_state(db):
    await demo.prepare_server(db, GUILD, CHANNELS, ROLES, T0)
    q = await questions.ask(db, GUILD, 501, "Is my job safe?", True, T0)
    closed = questions.Question(**{**q.__dict__, "state": "answered", "answer": "Yes."})
    closed = questions.Question(
        **{**closed.__dict__, "delivery_state": "skipped", "answered_by": 9}
    )
    shown = json.dumps(questions.committee_embed(closed))
    # Before: the exact minute ("<t:...:f>") and "the member's DMs are closed".
    assert ":f>" not in shown and "DMs are closed" not in shown
    assert f"<t:{int(T0.timestamp())}:D>" in shown
    named = questions.Question(**{**closed.__dict__, "anonymous": False, "author_id": 502})
    assert "DMs are closed" in json.dumps(questions.committee_embed(named))


# -- 3. a town hall question's anonymity, chosen from a list, anonymous unless changed ---------


async def test_3_the_form_has_no_typed_anonymity_and_defaults_to_anonymous(rig):
    event_id = await _town_hall(rig)
    await rig.command("alice", f"/events show id: {event_id}")
    form = await rig.click("alice", "Ask a question")
    typed = [
        c
        for row in form.modal["components"]
        for c in [row.get("component") or {}, *row.get("components", [])]
        if c.get("type") == 4
    ]
    # Before: a text field "Anonymous? (yes ...)" where "Yes." posted her name.
    assert [c.get("label") for c in typed] == ["Your question"]
    done = await rig.submit("alice", {"Your question": "Will nights get a premium?"})
    assert "anonymously" in done.text
    rig.clock.advance(minutes=1)
    await rig.command("bob", f"/events show id: {event_id}")
    await rig.click("bob", "Ask a question")
    named = await rig.submit("bob", {"Your question": "And weekends?", "anonymity": "With my name"})
    assert "with your name" in named.text
    rows = await rig.db.fetchall("SELECT user_id, anonymous FROM townhall_question ORDER BY id")
    assert [r["anonymous"] for r in rows] == [1, 0]


# -- 4. /privacy delete leaves no trace ------------------------------------------------------


async def test_4_delete_redacts_the_committee_post_in_discord_and_in_the_stored_copy(rig):
    alice = rig.demo.user("alice")
    await rig.command("alice", "/ask committee question: Who decides overtime?")
    await rig.settle()
    committee = rig.demo.channel("committee")
    [post] = [m for m in rig.fake.channel_messages(committee) if "overtime" in json.dumps(m)]
    assert f"<@{alice}>" in json.dumps(post["embeds"])
    await rig.command("alice", "/privacy delete")
    await rig.click("alice", DELETE_CONFIRM)
    await rig.settle()
    await rig.idle()
    # Before: the post still said "Asked by <@alice>", in Discord and in broadcast.payload.
    shown = json.dumps(rig.fake.message(int(post["id"]))["embeds"])
    assert f"<@{alice}>" not in shown and "a former member" in shown
    stored = await rig.db.fetchall("SELECT payload FROM broadcast")
    assert stored and all(str(alice) not in r["payload"] for r in stored)


async def test_4_delete_cancels_rsvp_reminders_and_nothing_goes_to_a_forgotten_member(db):
    draft = events.make_draft(
        "townhall",
        "MOA town hall",
        "",
        T0 + timedelta(days=3),
        None,
        "https://zoom.us/j/1",
        (),
        "America/Los_Angeles",
        None,
    )
    event = await events.create(db, GUILD, 42, draft, T0)
    await events.rsvp_session(db, event.sessions[0].id, ALICE, "going", T0)
    await privacy.delete_member(db, GUILD, ALICE, T0)
    pending = await db.fetchval(
        "SELECT count(*) FROM timer WHERE kind = 'event.rsvp' AND state = 'pending'"
    )
    # Before: the reminders stayed pending, fired, and queued a DM to recipient -1.
    assert pending == 0
    for timer_id in await timers.due_ids(db, T0 + timedelta(days=3)):
        await timers.fire(db, timer_id, T0 + timedelta(days=3))
    # (Her calendar DM, already queued, is cancelled and anonymised: -its id, never sent.)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM delivery WHERE target_id <= 0 AND state != 'cancelled'"
        )
        == 0
    )
    # And the outbox never takes a forgotten member (id 0 or negative) as a recipient.
    sent = await delivery.enqueue(
        db,
        GUILD,
        "x",
        {"content": "x", "allowed_mentions": {"parse": []}},
        [delivery.Target.dm(-1), delivery.Target.dm(0)],
        T0,
    )
    assert await delivery.counts(db, sent) == dict.fromkeys(delivery.STATES, 0)


MARKER = "Zephyrine Quokkason"


async def _volunteer(db: Database, user: int, name: str) -> None:
    unit = await db.execute(
        "INSERT INTO bargaining_unit (guild_id, code, name, created_at) VALUES (?, ?, 'U', ?)",
        (GUILD, f"u{user}", to_db(T0)),
    )
    await db.execute(
        "INSERT INTO cat_volunteer (guild_id, user_id, unit_id, display_name, department,"
        " availability, contact, status, commitment_accepted_at, joined_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'Editors', 'Days', 'zq@private.example', 'active', ?, ?, ?)",
        (GUILD, user, unit, name, to_db(T0), to_db(T0), to_db(T0)),
    )


async def test_4_deleted_values_are_not_left_in_the_database_or_its_wal(tmp_path):
    db = await fresh_db(tmp_path)
    try:
        assert (await db.fetchone("PRAGMA secure_delete"))[0] == 1
        await db.checkpoint()  # the volunteer's row is written after the schema
        await _volunteer(db, ALICE, MARKER)
        wal = tmp_path / "rankfile.db-wal"
        assert MARKER.encode() in wal.read_bytes()  # the finding: the name sits in the -wal
        await privacy.delete_member(db, GUILD, ALICE, T0)
        for path in (tmp_path / "rankfile.db", wal):
            data = path.read_bytes() if path.exists() else b""
            assert MARKER.encode() not in data, path.name
            assert b"zq@private.example" not in data, path.name
    finally:
        await db.close()


async def test_4_sqlcipher_databases_run_with_secure_delete(tmp_path):
    from bot.core import encryption

    if not encryption.available():
        pytest.skip("SQLCipher is not installed (the encryption extra)")
    db = Database(tmp_path / "enc.db", key="a passphrase")
    await db.open()
    try:
        assert (await db.fetchone("PRAGMA secure_delete"))[0] == 1
    finally:
        await db.close()


async def test_4_a_restored_backup_forgets_the_deleted_members_again(tmp_path):
    db = await fresh_db(tmp_path)
    await seed(db, GUILD, ALICE, 1003)
    backup_dir = tmp_path / "backups"
    made = await backups.make_backup(db, backup_dir, T0, reason="daily")
    await privacy.delete_member(db, GUILD, ALICE, T0)
    # The list holds a digest, never the member's id.
    rows = await db.fetchall("SELECT * FROM deleted_member")
    assert [r["digest"] for r in rows] == [forgotten.digest(GUILD, ALICE)]
    assert str(ALICE) not in json.dumps([dict(r) for r in rows])
    await db.close()
    # Before: restoring the backup brought every deleted row back.
    backups.restore(tmp_path / "rankfile.db", made.path, T0 + timedelta(hours=1), force=True)
    restored = Database(tmp_path / "rankfile.db")
    await restored.open()
    try:
        await restored.migrate()
        assert await privacy.reapply_deletions(restored, T0) == 1
        for use in privacy.declared():
            if use.on_delete != privacy.KEEP:
                assert await rows_of(restored, use, PARAMS) == [], use.name
        assert await privacy.reapply_deletions(restored, T0) == 0  # idempotent
    finally:
        await restored.close()


async def test_4_replaced_databases_are_pruned_with_the_backups(tmp_path):
    db = await fresh_db(tmp_path)
    try:
        backup_dir = tmp_path / "backups"
        old = tmp_path / "rankfile.db.replaced-20240701T000000Z"
        recent = tmp_path / "rankfile.db.replaced-20240712T000000Z"
        for path in (old, recent):
            path.write_bytes(b"a replaced database")
        for day in range(3):
            await backups.make_backup(
                db, backup_dir, T0 + timedelta(days=day), reason="daily", keep=2
            )
        # Before: .replaced-* files stayed forever, with what members had deleted.
        assert not old.exists() and recent.exists()
    finally:
        await db.close()


def test_4_the_readme_documents_the_backup_lag():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Backups lag behind a deletion" in readme
    assert "RANKFILE_BACKUP_KEEP" in readme and "replaced-" in readme


# -- 5. every promised transparency event is recorded ------------------------------------------

# The CAT's own events are the CAT helper's part of issue 19: listed here until recorded, and
# the test fails when one of them is recorded, so the list is emptied as they land.
CAT_PENDING: set[str] = set()


def _audited_actions() -> set[str]:
    found: set[str] = set()
    pattern = re.compile(r"audit\.record\(\s*[^\"']*?[\"']([a-z_]+\.[a-z_]+)[\"']", re.S)
    for path in (ROOT / "bot").rglob("*.py"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / "bot").rglob("*.py"):
        # Actions passed through a constant or a variable: "action" literals beside a record.
        text = path.read_text(encoding="utf-8")
        if "audit.record" in text:
            found |= set(re.findall(r"[\"']((?:townhall|cat|privacy)\.[a-z_]+)[\"']", text))
    return found


def test_5_every_transparency_event_is_recorded_somewhere():
    missing = set(privacy.TRANSPARENCY) - _audited_actions()
    assert missing - CAT_PENDING == set(), f"promised in /privacy log, never recorded: {missing}"
    assert CAT_PENDING <= missing, f"recorded now, remove from CAT_PENDING: {CAT_PENDING - missing}"


async def test_5_townhall_export_is_in_the_transparency_log(rig):
    event_id = await _town_hall(rig)
    exported = await rig.command("carol", f"/townhall-run export event: {event_id}")
    assert "transparency log" in exported.text
    log = await rig.command("alice", "/privacy log")
    # Before: the export was in no log members could read.
    assert "town hall questions exported" in log.text


# -- 8. one CSV writer, no cell runs as a formula -----------------------------------------------

# CSV writers still in the CAT (the CAT helper switches them to bot.core.csv_export).
CSV_PENDING: set[str] = set()


def test_8_every_csv_goes_through_the_one_writer():
    writers = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "bot").rglob("*.py")
        if "csv.writer(" in p.read_text(encoding="utf-8")
    }
    assert writers - CSV_PENDING == {"bot/core/csv_export.py"}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_8_a_cell_that_could_start_a_formula_is_quoted(start):
    assert csv_export.cell(f'{start}HYPERLINK("https://x")').startswith("'")
    assert csv_export.cell(-3) == -3  # a number stays a number


async def test_8_townhall_export_escapes_formulas(rig):
    event_id = await _town_hall(rig)
    await rig.command(
        "alice", f'/townhall ask event: {event_id} question: =HYPERLINK("https://evil","x")'
    )
    exported = await rig.command("carol", f"/townhall-run export event: {event_id}")
    [req] = [q for q in exported.requests if q.files]
    rows = list(csv.DictReader(io.StringIO(req.files[0][1].decode())))
    # Before: the cell began with "=" and ran in the organizer's spreadsheet.
    assert rows[0]["question"].startswith("'=")


# -- 9. limits on floods -----------------------------------------------------------------------


async def test_9_sixty_anonymous_questions_make_one_post(rig):
    answers = [
        await rig.command("alice", f"/ask committee question: Flood {i}? anonymous: true")
        for i in range(60)
    ]
    await rig.settle()
    committee = rig.demo.channel("committee")
    posts = [m for m in rig.fake.channel_messages(committee) if "Flood" in json.dumps(m)]
    # Before: 60 committee posts in 1.3 s.
    assert len(posts) == 1
    refused = answers[1:]
    assert all(r.ephemeral and "again <t:" in r.text for r in refused)


async def test_9_town_hall_questions_have_a_cooldown_a_daily_cap_and_an_open_cap(db):
    draft = events.make_draft(
        "townhall", "TH", "", T0 + timedelta(days=3), None, "Hall B", (), "UTC", None
    )
    event = await events.create(db, GUILD, 42, draft, T0)
    await tq.ask(db, GUILD, event.id, ALICE, "One?", True, T0)
    with pytest.raises(limits.RateLimited, match="again"):
        await tq.ask(db, GUILD, event.id, ALICE, "Two?", True, T0 + timedelta(seconds=5))
    for i in range(1, 5):
        await tq.ask(db, GUILD, event.id, ALICE, f"Q{i}?", True, T0 + timedelta(minutes=i))
    with pytest.raises(limits.RateLimited, match="waiting for an answer"):
        await tq.ask(db, GUILD, event.id, ALICE, "Sixth?", True, T0 + timedelta(minutes=9))
    assert await db.fetchval("SELECT count(*) FROM townhall_question") == 5


async def test_9_a_server_changes_a_limit_and_the_day_cap_says_when(db):
    await limits.set_limit(db, GUILD, 9, "subscription.change", T0, per_day=2)
    await subscriptions.subscribe(db, GUILD, ALICE, "all", T0)
    await subscriptions.subscribe(db, GUILD, ALICE, "announcements", T0)
    with pytest.raises(limits.RateLimited) as refused:
        await subscriptions.subscribe(db, GUILD, ALICE, "all", T0 + timedelta(hours=1))
    assert refused.value.retry_at == T0 + timedelta(days=1)
    assert f"<t:{int((T0 + timedelta(days=1)).timestamp())}:R>" in str(refused.value)
    # Another server keeps the default.
    await subscriptions.subscribe(db, OTHER_GUILD, ALICE, "all", T0)
    await subscriptions.subscribe(db, OTHER_GUILD, ALICE, "announcements", T0)


async def test_9_going_again_does_not_resend_the_calendar_file(rig):
    event_id = await _town_hall(rig)
    event = await rig.bot.db.fetchval(
        "SELECT id FROM event_session WHERE event_id = ?", (event_id,)
    )
    await rig.command("alice", f"/events show id: {event_id}")
    results = [await rig.click("alice", f"rsvp:going:{event}")]
    for status in ("notgoing", "going", "notgoing", "going"):
        rig.clock.advance(seconds=2)
        results.append(await rig.click("alice", f"rsvp:{status}:{event}"))
    results.append(await rig.idle())
    # Before: each Going re-sent a DM with the calendar file.
    assert len([d for d in _dms_to(rig, results, "alice") if d.attachments]) == 1


# -- 10. member text, hiding, the search floor, /announce ----------------------------------------


def test_10_member_text_neutralises_links_and_headings():
    shown = member_text("# URGENT\nSign [here](https://evil.example) -# quietly")
    assert "\\[here\\](https://evil.example)" in shown and shown.startswith("\\# URGENT")


async def test_10_committee_post_shows_links_inert_and_organizers_can_hide_it(rig):
    await rig.command("alice", "/ask committee question: Vote [here](https://evil.example)")
    await rig.settle()
    committee = rig.demo.channel("committee")
    [post] = [m for m in rig.fake.channel_messages(committee) if "evil" in json.dumps(m)]
    # Before: "[here](https://evil.example)" showed as an official-looking link.
    assert "\\\\[here\\\\]" in json.dumps(post["embeds"])
    hidden = await rig.click("erin", "Hide", message_id=int(post["id"]))
    assert "evil" not in json.dumps(hidden.reply or {}) + hidden.text
    assert await rig.db.fetchval("SELECT hidden_at FROM committee_question") is not None


async def test_10_a_hidden_town_hall_question_leaves_the_members_list(rig):
    event_id = await _town_hall(rig)
    await rig.command(
        "alice", f"/townhall ask event: {event_id} question: ## Click [me](https://evil.example)"
    )
    listed = await rig.command("bob", f"/townhall questions event: {event_id}")
    assert "\\[me\\]" in listed.text and "\\## Click" in listed.text
    await rig.command("carol", "/townhall-run hide question: 1")
    after = await rig.command("bob", f"/townhall questions event: {event_id}")
    assert "evil" not in after.text and "townhall:up:1" not in json.dumps(after.reply or {})
    with pytest.raises(UserError):
        await tq.toggle_upvote(rig.db, 1, rig.demo.user("bob"), rig.clock.now())


async def test_10_another_servers_updates_cannot_push_this_ones_out_of_search(db):
    async def post(guild: int, title: str, at) -> None:
        draft = await updates.make_draft(db, guild, title, "Wages and benefits", None, None, None)
        await updates.publish(db, guild, 9, draft, at)

    for guild in (GUILD, OTHER_GUILD):
        await demo.prepare_server(db, guild, CHANNELS, ROLES, T0)
    await post(GUILD, "Our wages update", T0)
    for i in range(searching.RANK_CAP + 5):
        await post(OTHER_GUILD, f"Their wages {i}", T0 + timedelta(seconds=i + 1))
    # Before: the other server's newer matches set the floor above this server's update.
    hits = await updates.search(db, GUILD, "wages")
    assert [h.title for h in hits] == ["Our wages update"]


async def test_10_announce_checks_the_organizers_own_permission(rig):
    guild = rig.fake.guilds[rig.demo.guild_id]
    locked = rig.fake.add_channel(
        guild,
        "board-only",
        overwrites=[
            {"id": rig.demo.role("organizer"), "type": 0, "allow": 0, "deny": SEND_MESSAGES}
        ],
    )
    await rig.fake.dispatch("CHANNEL_CREATE", locked.to_dict(rig.fake))
    refused = await rig.command("carol", "/announce send channel: board-only")
    # Before: the bot could post there, so it posted for an organizer who could not.
    assert refused.modal is None and refused.ephemeral
    assert "can't post in" in refused.text and "yourself" in refused.text


def test_reliability_lists_this_file():
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert "test_member_safety.py" in text
    assert os.path.exists(Path(__file__))
