"""The database layer: migrations, transactions, ownership, backups."""

from __future__ import annotations

import asyncio
import sqlite3
import stat

import pytest

from bot.core.db import (
    Database,
    DatabaseError,
    DatabaseTooNew,
    NotRankfileDatabase,
    from_db,
    load_migrations,
    to_db,
)
from tests.support import T0, fresh_db


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def test_migrations_apply_in_order_and_are_recorded(db):
    assert await db.schema_version() == len(load_migrations())
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.migrate() == []  # a second run applies nothing


async def test_transaction_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT count(*) FROM meta WHERE key = 'a'") == 0


async def test_nested_transaction_joins_the_outer_one(db):
    async with db.transaction():
        await db.execute("INSERT INTO meta (key, value) VALUES ('outer', '1')")
        async with db.transaction():
            await db.execute("INSERT INTO meta (key, value) VALUES ('inner', '1')")
    assert await db.fetchval("SELECT count(*) FROM meta") == 2


async def test_a_reader_never_sees_another_tasks_unfinished_transaction(db):
    started = asyncio.Event()
    release = asyncio.Event()

    async def writer():
        async with db.transaction():
            await db.execute("INSERT INTO meta (key, value) VALUES ('w', '1')")
            started.set()
            await release.wait()
            raise RuntimeError("rolled back")

    task = asyncio.create_task(writer())
    await started.wait()
    reader = asyncio.create_task(db.fetchval("SELECT count(*) FROM meta WHERE key = 'w'"))
    await asyncio.sleep(0.01)
    assert not reader.done()  # it waits for the transaction to end
    release.set()
    with pytest.raises(RuntimeError):
        await task
    assert await reader == 0


async def test_notify_runs_after_commit_only(db):
    seen = []
    db.subscribe("topic", lambda: seen.append("woken"))
    async with db.transaction():
        db.notify("topic")
        assert seen == []
    assert seen == ["woken"]
    with pytest.raises(ValueError):
        async with db.transaction():
            db.notify("topic")
            raise ValueError
    assert seen == ["woken"]


async def test_file_is_private_to_the_bot_user(tmp_path, db):
    mode = stat.S_IMODE((tmp_path / "rankfile.db").stat().st_mode)
    assert mode == 0o600


async def test_refuses_a_database_newer_than_the_code(tmp_path, db):
    await db.execute("PRAGMA user_version = 999")
    with pytest.raises(DatabaseTooNew, match="upgrade rankfile"):
        await db.migrate()


async def test_refuses_a_file_that_is_not_ours(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    database = Database(other)
    await database.open()
    with pytest.raises(NotRankfileDatabase, match="not a rankfile database"):
        await database.migrate()
    await database.close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    database = Database(junk)
    with pytest.raises(DatabaseError):
        await database.open()
        await database.migrate()
    await database.close()


async def test_online_backup_is_a_readable_copy(tmp_path, db):
    await db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    target = tmp_path / "backups" / "copy.db"
    await db.backup_to(target)
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_times_round_trip_in_utc_and_refuse_naive():
    assert from_db(to_db(T0)) == T0
    with pytest.raises(ValueError):
        to_db(T0.replace(tzinfo=None))
