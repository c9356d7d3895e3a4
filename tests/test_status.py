"""`rankfile status`: the heartbeat the bot writes, what status reads, and --check's verdict."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bot import cli
from bot.core import backups, delivery, render, timers
from bot.core.delivery import Target
from bot.ops import status
from tests.support import GUILD, T0, fresh_db


async def test_heartbeat_writes_at_most_every_30_seconds(tmp_path):
    db = await fresh_db(tmp_path)
    beat = status.Heartbeat(db)
    await beat.started(T0, 4321, 8)
    assert await beat.heard("READY", T0, 2)
    assert not await beat.heard("INTERACTION_CREATE", T0 + timedelta(seconds=29), 2)
    assert await beat.heard("GUILD_UPDATE", T0 + timedelta(seconds=30), 3)
    row = await db.fetchone(status.GET)
    assert row["last_event"] == "GUILD_UPDATE" and row["guild_count"] == 3
    now = T0 + timedelta(minutes=1)
    s = await status.read(db, now, tmp_path / "backups")
    assert s.uptime == timedelta(minutes=1)
    assert s.pid == 4321 and s.guild_count == 3
    assert status.problems(s) == []
    await db.close()


async def test_status_counts_deliveries_reminders_and_the_last_backup(tmp_path):
    db = await fresh_db(tmp_path)
    await status.Heartbeat(db).started(T0, 1, 8)
    await status.Heartbeat(db).heard("READY", T0, 1)
    payload = render.message("Town hall tonight")
    await delivery.enqueue(db, GUILD, "test", payload, [Target.channel(5), Target.channel(6)], T0)
    await timers.schedule(db, GUILD, "test", 1, T0 + timedelta(days=2), T0)
    await timers.schedule(db, GUILD, "test", 2, T0 + timedelta(days=1), T0)
    made = await backups.make_backup(db, tmp_path / "backups", T0)
    s = await status.read(db, T0 + timedelta(minutes=2), tmp_path / "backups")
    assert (s.deliveries_pending, s.oldest_pending_due) == (2, T0)
    assert s.reminders_pending == 2 and s.next_reminder == T0 + timedelta(days=1)
    assert s.last_backup is not None and s.last_backup.path == made.path
    text = status.render(s)
    assert "deliveries:  2 pending" in text
    assert "reminders:   2 pending, next due 2024-07-11 17:00 UTC" in text
    assert "health:      ok" in text
    data = s.to_json()
    assert data["deliveries_pending"] == 2 and data["reminders_next_due"].startswith("2024-07-11")
    assert data["running"] is True and data["problems"] == []
    await db.close()


async def test_problems_silent_gateway_stuck_deliveries_stopped_never_started(tmp_path):
    db = await fresh_db(tmp_path)
    never = await status.read(db, T0, tmp_path)
    assert "never started" in status.problems(never)[0]
    beat = status.Heartbeat(db)
    await beat.started(T0, 1, 8)
    await beat.heard("READY", T0, 1)
    quiet = await status.read(db, T0 + timedelta(minutes=6), tmp_path)
    assert any("no word from Discord for 6 min" in p for p in status.problems(quiet))
    await delivery.enqueue(db, GUILD, "t", render.message("hi"), [Target.channel(5)], T0)
    await beat.heard("GUILD_UPDATE", T0 + timedelta(minutes=16), 1)
    stuck = await status.read(db, T0 + timedelta(minutes=16), tmp_path)
    assert status.problems(stuck) == [
        "1 deliveries stuck, the oldest due 16 min ago: read the bot's log"
    ]
    await beat.stopped(T0 + timedelta(minutes=17))
    stopped = await status.read(db, T0 + timedelta(minutes=18), tmp_path)
    assert "stopped" in status.problems(stopped)[0] and stopped.uptime is None
    await db.close()


async def _bot_like_state(tmp_path, *, stuck: bool) -> None:
    # What a running bot leaves behind, at real time (the CLI reads the real clock).
    now = datetime.now(UTC)
    db = await fresh_db(tmp_path)
    beat = status.Heartbeat(db)
    await beat.started(now - timedelta(hours=1), 1, 8)
    await beat.heard("READY", now - timedelta(seconds=10), 1)
    when = now - timedelta(hours=1) if stuck else now + timedelta(hours=1)
    await delivery.enqueue(db, GUILD, "t", render.message("hi"), [Target.channel(5)], when)
    await db.close()


def _cli(monkeypatch, tmp_path, capsys, *argv):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RANKFILE_DB", str(tmp_path / "rankfile.db"))
    code = cli.main(list(argv))
    return code, capsys.readouterr()


def test_status_check_exit_codes(tmp_path, monkeypatch, capsys):
    code, out = _cli(monkeypatch, tmp_path, capsys, "status", "--check")
    assert code == 1 and "never started" in out.out
    asyncio.run(_bot_like_state(tmp_path, stuck=False))
    code, out = _cli(monkeypatch, tmp_path, capsys, "status", "--check")
    assert (code, out.out.strip()) == (0, "ok")
    code, out = _cli(monkeypatch, tmp_path, capsys, "status", "--json")
    data = json.loads(out.out)
    assert code == 0 and data["deliveries_pending"] == 0 and data["problems"] == []


def test_status_check_fails_when_deliveries_are_stuck(tmp_path, monkeypatch, capsys):
    asyncio.run(_bot_like_state(tmp_path, stuck=True))
    code, out = _cli(monkeypatch, tmp_path, capsys, "status", "--check")
    assert code == 1
    # --check prints only the problems, one a line.
    assert out.out.startswith("1 deliveries stuck, the oldest due 60 min ago")
    assert "health:" not in out.out
    code, out = _cli(monkeypatch, tmp_path, capsys, "status")
    assert code == 1 and "health:      PROBLEM" in out.out
