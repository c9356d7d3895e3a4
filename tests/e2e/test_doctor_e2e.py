"""`rankfile doctor` and `/setup check` against the fake Discord: each check failing, then passing.

The CLI's checks run through their own HTTP client (discord.py's, pointed at the fake); the
admin's `/setup check` runs the same checks through the running bot.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import sqlite3
from pathlib import Path

from bot import cli
from bot.cli import ops as cli_ops
from bot.core import backups, delivery, guild_settings, render
from bot.core.clock import ManualClock
from bot.core.config import Secret, Settings
from bot.core.db import MIGRATIONS_DIR, Database, DatabaseTooNew, load_migrations
from bot.glue.app import Rankfile
from bot.ops import status
from bot.sandbox import repl as sandbox
from bot.sandbox.fake import EMBED_LINKS, MANAGE_EVENTS, SEND_MESSAGES
from tests.e2e.conftest import bot_factory
from tests.support import T0

OPS_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ops.txt"


async def doctor(rig, token: str | None = None):
    settings = Settings(token=Secret(token or rig.fake.token), db_path=rig.db_path)
    checks = await cli_ops.run_doctor(settings, now=rig.clock.now(), connector=rig.fake.connector())
    return {(c.name, c.server): c for c in checks}, checks


def failures(checks) -> dict[str, str]:
    return {c.name: c.fix for c in checks if not c.ok}


async def test_everything_passes_on_a_set_up_server_with_a_backup(rig):
    await rig.bot.backup_if_due()
    by_name, checks = await doctor(rig)
    assert failures(checks) == {}
    names = [c.name for c in checks]
    for expected in (
        "token",
        "intents",
        "private bot",
        "servers",
        "setup",
        "announcements channel",
        "updates channel",
        "committee channel",
        "CAT role",
        "events",
        "committee privacy",
        "database",
        "schema",
        "integrity",
        "backup",
    ):
        assert expected in names
    assert "no privileged intent" in next(c.detail for c in checks if c.name == "intents")
    # Only reads: the doctor never writes to Discord.
    assert {r.method for r in rig.fake.requests if "/oauth2/" in r.route} == {"GET"}


async def test_a_bad_token_is_refused_with_the_portal_fix(rig):
    await rig.bot.backup_if_due()
    _, checks = await doctor(rig, token="bad.token.value")
    bad = failures(checks)
    assert list(bad) == ["token"]
    assert "Reset Token" in bad["token"] and "DISCORD_TOKEN" in bad["token"]
    assert [r.status for r in rig.fake.requests if r.route == "/users/@me"][-1] == 401
    assert any(c.name == "integrity" and c.ok for c in checks)  # the database is still checked


async def test_a_channel_overwrite_denying_the_bot(rig):
    await rig.bot.backup_if_due()
    updates = rig.fake.find_channel(rig.demo.channel("updates"))
    updates.permission_overwrites.append(
        {"id": rig.demo.bot_role_id, "type": 0, "allow": 0, "deny": SEND_MESSAGES | EMBED_LINKS}
    )
    _, checks = await doctor(rig)
    bad = failures(checks)
    assert list(bad) == ["updates channel"]
    assert bad["updates channel"] == (
        "in Discord: #updates > Edit Channel > Permissions > add @rankfile and allow Send "
        "Messages, Embed Links (or remove the overwrite that denies them)"
    )
    # A member overwrite for the bot that allows them again fixes it.
    updates.permission_overwrites.append(
        {"id": rig.demo.bot_id, "type": 1, "allow": SEND_MESSAGES | EMBED_LINKS, "deny": 0}
    )
    _, checks = await doctor(rig)
    assert failures(checks) == {}


async def test_the_cat_role_above_the_bots_role(rig):
    await rig.bot.backup_if_due()
    guild = rig.fake.guilds[rig.demo.guild_id]
    guild.roles[rig.demo.role("cat")].position = 9
    _, checks = await doctor(rig)
    assert failures(checks) == {"CAT role": "Server Settings > Roles: drag @rankfile above @cat"}
    guild.roles[rig.demo.role("cat")].position = 1
    guild.roles[rig.demo.bot_role_id].permissions &= ~(1 << 28)  # Manage Roles
    _, checks = await doctor(rig)
    assert "turn on Manage Roles" in failures(checks)["CAT role"]


async def test_no_manage_events(rig):
    await rig.bot.backup_if_due()
    guild = rig.fake.guilds[rig.demo.guild_id]
    guild.roles[rig.demo.bot_role_id].permissions &= ~MANAGE_EVENTS
    _, checks = await doctor(rig)
    assert failures(checks) == {
        "events": "Server Settings > Roles > @rankfile > Permissions > turn on Manage Events"
    }


async def test_an_incomplete_setup_names_the_setup_options(rig):
    await rig.bot.backup_if_due()
    await guild_settings.update(
        rig.db, rig.demo.guild_id, None, rig.clock.now(), updates_channel_id=None, cat_role_id=None
    )
    _, checks = await doctor(rig)
    bad = failures(checks)
    assert list(bad) == ["setup"]
    assert bad["setup"] == "an admin runs `/setup channels updates:`, `/setup roles cat:`"
    # A channel chosen in /setup and then deleted is a failure of its own.
    rig.fake.remove_channel(rig.demo.channel("announcements"))
    _, checks = await doctor(rig)
    assert "`/setup channels announcements:`" in failures(checks)["announcements channel"]


async def test_a_committee_channel_everyone_can_see(rig):
    await rig.bot.backup_if_due()
    committee = rig.fake.find_channel(rig.demo.channel("committee"))
    committee.permission_overwrites = [
        o for o in committee.permission_overwrites if o["id"] != rig.demo.guild_id
    ]
    _, checks = await doctor(rig)
    bad = failures(checks)
    assert list(bad) == ["committee privacy"]
    assert "@everyone: turn off View Channel" in bad["committee privacy"]


async def test_no_server_and_no_backup(rig):
    rig.fake.guilds.clear()
    _, checks = await doctor(rig)
    bad = failures(checks)
    # No server is a failure; no backup yet (a new install) is only a thing to do.
    assert set(bad) == {"servers"}
    assert "rankfile invite-url" in bad["servers"]
    (backup,) = [c for c in checks if c.name == "backup"]
    assert backup.verdict == "WARN" and "rankfile db backups --now" in backup.fix


async def test_a_failing_server_list_is_reported_and_the_other_checks_stand(rig):
    rig.fake.inject("GET", "/users/@me/guilds", 500, times=10)
    _, checks = await doctor(rig)
    bad = {c.name: c.detail for c in checks if not c.ok}
    assert "could not list the bot's servers" in bad["servers"]
    assert {c.name for c in checks} >= {"token", "servers", "database", "backup"}
    rig.fake.add_demo_guild()  # the teardown's settle expects the demo guild back


async def test_setup_check_shows_the_same_verdicts_to_an_admin(rig):
    await rig.bot.backup_if_due()
    committee = rig.fake.find_channel(rig.demo.channel("committee"))
    committee.permission_overwrites = [
        o for o in committee.permission_overwrites if o["id"] != rig.demo.guild_id
    ]
    r = await rig.command("erin", "/setup check")
    assert r.ephemeral
    assert "❌ problem · **committee privacy**: everyone can see #committee" in r.text
    assert "✅ ok · **CAT role**" in r.text and "✅ ok · **backup**" in r.text
    assert "1 failed" in r.text
    (sent,) = r.find("POST", "/webhooks/{webhook_id}/{webhook_token}")
    assert sent.json["allowed_mentions"] == {"parse": []}
    denied = await rig.command("alice", "/setup check", ignore_default_permissions=True)
    assert denied.ephemeral and "rankfile check" not in denied.text


async def test_start_backs_up_then_migrates_an_older_database(fake, make_driver, tmp_path):
    # The file as the release before migration 0008 left it: migrations 1-7 and some data.
    previous = tmp_path / "previous-release"
    previous.mkdir()
    for m in load_migrations()[:7]:
        shutil.copy(MIGRATIONS_DIR / f"{m.name}.sql", previous)
    db_path = tmp_path / "rankfile.db"
    old = Database(db_path, migrations_dir=previous)
    await old.open()
    await old.migrate()
    await guild_settings.update(old, 42, None, T0, timezone="Europe/Paris")
    await old.close()

    driver = await make_driver(bot_factory(fake, ManualClock(T0), db_path))
    backups_made = sorted((tmp_path / "backups").glob("rankfile-*-before-v*.db"))
    assert len(backups_made) == 1
    assert backups.check_file(backups_made[0]) is None
    copy = sqlite3.connect(backups_made[0])
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 7
    copy.close()
    assert await driver.bot.db.schema_version() >= 8
    assert (await guild_settings.get(driver.bot.db, 42)).timezone == "Europe/Paris"
    beat = await driver.bot.db.fetchone("SELECT started_at FROM heartbeat")
    assert beat is not None


async def test_a_database_newer_than_the_code_is_refused_untouched(fake, tmp_path):

    db_path = tmp_path / "rankfile.db"
    db = Database(db_path)
    await db.open()
    await db.migrate()
    await db.execute("PRAGMA user_version = 999")
    await db.close()
    before = db_path.read_bytes()
    bot = Rankfile(Settings(db_path=db_path), connector=fake.connector())
    try:
        try:
            await bot.login(fake.token)
        except DatabaseTooNew as exc:
            assert "schema version 999" in str(exc)
        else:
            raise AssertionError("the bot started on a newer database")
    finally:
        await bot.close()
    assert db_path.read_bytes() == before
    assert not (tmp_path / "backups").exists()


def test_run_refuses_a_newer_database_in_one_line(tmp_path, monkeypatch, capsys):
    async def make() -> None:
        db = Database(tmp_path / "rankfile.db")
        await db.open()
        await db.migrate()
        await db.execute("PRAGMA user_version = 999")
        await db.close()

    asyncio.run(make())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RANKFILE_DB", str(tmp_path / "rankfile.db"))
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    code = cli.main(["run"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "schema version 999" in err and "upgrade rankfile" in err


async def test_status_check_fails_when_the_worker_is_stuck(rig):

    settings = Settings(db_path=rig.db_path)
    healthy = await cli_ops.read_status(settings, now=rig.clock.now())
    assert status.problems(healthy) == [] and healthy.guild_count == 1
    assert healthy.last_event_at == rig.clock.now()

    await rig.bot.delivery.stop()  # a worker that no longer sends (hung, or Discord away)
    channel = rig.demo.channel("announcements")
    await delivery.enqueue(
        rig.db,
        rig.demo.guild_id,
        "test",
        render.message("Town hall at 6"),
        [delivery.Target.channel(channel)],
        rig.clock.now(),
    )
    rig.clock.advance(minutes=20)
    await rig.command("alice", "/help")  # Discord still talks to the bot
    stuck = await cli_ops.read_status(settings, now=rig.clock.now())
    assert status.problems(stuck) == [
        "1 deliveries stuck, the oldest due 20 min ago: read the bot's log"
    ]
    assert stuck.to_json()["deliveries_pending"] == 1
    rig.clock.advance(minutes=10)
    silent = await cli_ops.read_status(settings, now=rig.clock.now())
    assert any("no word from Discord for 10 min" in p for p in status.problems(silent))


async def test_the_ops_sandbox_script(tmp_path):
    script = OPS_SCRIPT
    out = io.StringIO()
    await sandbox.main(tmp_path / "sandbox.db", start=T0, script=script, json_mode=True, out=out)
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    checks = [a for a in actions if a["action"] == "/setup check"]
    erin, alice = checks
    (followup,) = [r for r in erin["requests"] if r["route"].startswith("/webhooks/")]
    (shown,) = followup["body"]["embeds"]
    assert "✅ ok · **committee privacy**" in shown["description"]
    # No backup yet right after set-up: something to do, said as such, not a failure.
    assert "⚠️ to do · **backup**: no backup yet" in shown["description"]
    assert "within a day of starting" in shown["description"]
    assert "rankfile db backups --now" in shown["description"]
    assert followup["body"]["flags"] & 64  # only the admin sees it
    assert "is hidden from" in alice["error"]
