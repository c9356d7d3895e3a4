"""Backups: checked online copies, rotation, refused and accepted restores, 0600 files."""

from __future__ import annotations

import sqlite3
import stat
from datetime import timedelta

import pytest

from bot.core import backups, guild_settings
from bot.core.db import Database
from tests.support import GUILD, T0, fresh_db


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_backup_is_checked_private_and_self_contained(tmp_path):
    db = await fresh_db(tmp_path)
    await guild_settings.update(db, GUILD, None, T0, timezone="America/Chicago")
    made = await backups.make_backup(db, tmp_path / "b", T0, reason="daily")
    await db.close()
    assert made.path.name == "rankfile-20240710T170000Z-daily.db"
    assert mode(made.path) == 0o600
    assert mode(tmp_path / "b") == 0o700
    assert not list((tmp_path / "b").glob("*.partial"))
    assert not (tmp_path / "b" / (made.path.name + "-wal")).exists()
    assert backups.check_file(made.path) is None
    conn = sqlite3.connect(made.path)
    assert conn.execute("SELECT timezone FROM guild_settings").fetchone()[0] == "America/Chicago"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


async def test_rotation_keeps_the_newest_n_and_logs_each(tmp_path):
    db = await fresh_db(tmp_path)
    for day in range(5):
        await backups.make_backup(db, tmp_path / "b", T0 + timedelta(days=day), keep=3)
    kept = backups.list_backups(tmp_path / "b")
    assert [b.made_at for b in kept] == [T0 + timedelta(days=d) for d in (4, 3, 2)]
    assert await db.fetchval("SELECT count(*) FROM backup_log WHERE ok = 1") == 5
    await db.close()


async def test_backup_if_due_once_a_day(tmp_path):
    db = await fresh_db(tmp_path)
    directory = tmp_path / "b"
    assert await backups.backup_if_due(db, directory, T0) is not None
    assert await backups.backup_if_due(db, directory, T0 + timedelta(hours=23)) is None
    assert await backups.backup_if_due(db, directory, T0 + timedelta(hours=24)) is not None
    assert len(backups.list_backups(directory)) == 2
    await db.close()


async def test_two_backups_in_one_second_do_not_overwrite(tmp_path):
    db = await fresh_db(tmp_path)
    a = await backups.make_backup(db, tmp_path / "b", T0, reason="manual")
    b = await backups.make_backup(db, tmp_path / "b", T0, reason="manual")
    assert a.path != b.path and a.path.exists() and b.path.exists()
    assert len(backups.list_backups(tmp_path / "b")) == 2
    await db.close()


async def test_restore_puts_the_backup_in_place_and_keeps_the_replaced_file(tmp_path):
    db = await fresh_db(tmp_path)
    await guild_settings.update(db, GUILD, None, T0, timezone="America/Chicago")
    made = await backups.make_backup(db, tmp_path / "b", T0)
    await guild_settings.update(db, GUILD, None, T0, timezone="Europe/Paris")
    await db.close()

    done = backups.restore(db.path, made.path, T0 + timedelta(hours=1))
    assert done.kept is not None and done.kept.name.startswith("rankfile.db.replaced-")
    assert mode(done.kept) == 0o600 and mode(db.path) == 0o600
    again = Database(db.path)
    await again.open()
    assert (await guild_settings.get(again, GUILD)).timezone == "America/Chicago"
    await again.close()
    kept = sqlite3.connect(done.kept)
    assert kept.execute("SELECT timezone FROM guild_settings").fetchone()[0] == "Europe/Paris"
    kept.close()


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: p.write_bytes(b"just some text, not a database" * 40), "not a rankfile"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE x (y)").connection.commit(),
            "not a rankfile",
        ),
        (lambda p: None, "no file"),
    ],
)
async def test_restore_refuses_what_is_not_a_rankfile_database(tmp_path, make, said):
    db = await fresh_db(tmp_path)
    await guild_settings.update(db, GUILD, None, T0, timezone="Europe/Paris")
    await db.close()
    before = db.path.read_bytes()
    candidate = tmp_path / "candidate.db"
    make(candidate)
    with pytest.raises(backups.BackupError, match=said):
        backups.restore(db.path, candidate, T0)
    assert db.path.read_bytes() == before
    assert not list(tmp_path.glob("*.replaced-*"))


async def test_restore_refuses_a_corrupt_backup(tmp_path):
    db = await fresh_db(tmp_path)
    for i in range(300):
        await db.execute(
            "INSERT INTO audit_log (guild_id, action, detail, at) VALUES (?, 'x', ?, '')",
            (GUILD, "d" * 200 + str(i)),
        )
    made = await backups.make_backup(db, tmp_path / "b", T0)
    await db.close()
    data = bytearray(made.path.read_bytes())
    page = 4096
    data[page * 3 : page * 3 + 200] = b"\xff" * 200  # scribble over a b-tree page
    made.path.write_bytes(bytes(data))
    assert backups.check_file(made.path) is not None
    with pytest.raises(backups.BackupError, match="not restoring"):
        backups.restore(db.path, made.path, T0)


async def test_restore_refuses_while_the_bot_runs_and_a_newer_schema(tmp_path):
    from bot.ops.status import Heartbeat

    db = await fresh_db(tmp_path)
    made = await backups.make_backup(db, tmp_path / "b", T0)
    await Heartbeat(db).started(T0, 1234, 8)
    with pytest.raises(backups.BackupError, match="running"):
        backups.restore(db.path, made.path, T0 + timedelta(minutes=1))
    await Heartbeat(db).stopped(T0 + timedelta(minutes=2))
    await db.close()
    assert backups.restore(db.path, made.path, T0 + timedelta(minutes=3)).kept is not None

    newer = sqlite3.connect(made.path)
    newer.execute("PRAGMA user_version = 999")
    newer.close()
    with pytest.raises(backups.BackupError, match="newer rankfile"):
        backups.restore(db.path, made.path, T0)


async def test_an_encrypted_database_gets_encrypted_checked_backups(tmp_path):
    from bot.core import encryption

    if not encryption.available():
        pytest.skip("SQLCipher (sqlcipher3) is not installed")
    key = "correct horse battery staple"
    db = Database(tmp_path / "rankfile.db", key=key)
    await db.open()
    await db.migrate()
    await guild_settings.update(db, GUILD, None, T0, timezone="America/Chicago")
    made = await backups.make_backup(db, tmp_path / "b", T0, key=key)
    await guild_settings.update(db, GUILD, None, T0, timezone="Europe/Paris")
    await db.close()
    assert encryption.is_encrypted(made.path) is True
    assert backups.check_file(made.path, key) is None
    assert "not a rankfile database" in backups.check_file(made.path)
    with pytest.raises(backups.BackupError):
        backups.restore(db.path, made.path, T0, key="wrong key")
    done = backups.restore(db.path, made.path, T0, key=key)
    assert encryption.is_encrypted(done.kept) is True
    again = Database(db.path, key=key)
    await again.open()
    assert (await guild_settings.get(again, GUILD)).timezone == "America/Chicago"
    await again.close()
