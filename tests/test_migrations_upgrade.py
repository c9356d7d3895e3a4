"""Upgrades: every migration, from the first, applied one release at a time to a file with data.

The core data goes in through the domain at version 1; at every later version each new table
gets a row where a generic one fits (its CHECK and foreign keys permitting). After each step:
integrity_check ok, no foreign key broken, nothing that was there lost.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

from bot.core import delivery, guild_settings, render, timers
from bot.core.db import MIGRATIONS_DIR, Database, load_migrations
from tests.support import GUILD, T0

SAMPLE = {"INTEGER": 1, "TEXT": "2024-07-10T17:00:00.000000+00:00", "REAL": 1.0, "BLOB": b"x"}


async def _fill_generically(db: Database, table: str) -> None:
    # One row of plausible values; a CHECK or a foreign key may refuse it, which is fine.
    columns = await db.fetchall(f"PRAGMA table_info({table})")
    names, values = [], []
    for col in columns:
        if col["pk"] or col["dflt_value"] is not None or not col["notnull"]:
            continue
        names.append(col["name"])
        values.append(SAMPLE.get((col["type"] or "TEXT").upper().split("(")[0], "x"))
    if not names:
        return
    marks = ", ".join("?" for _ in names)
    try:
        await db.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", values)
    except Exception:
        pass


async def _counts(db: Database) -> dict[str, int]:
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '%_fts%'"
    )
    return {t[0]: await db.fetchval(f"SELECT count(*) FROM {t[0]}") for t in tables}


async def test_every_migration_in_turn_on_a_database_with_data(tmp_path):
    migrations = load_migrations()
    assert migrations[0].version == 1
    path = tmp_path / "rankfile.db"
    before: dict[str, int] = {}
    for step, migration in enumerate(migrations, start=1):
        # The release that shipped migration `step` knows migrations 1..step only.
        release = tmp_path / f"release{step}"
        release.mkdir()
        for m in migrations[:step]:
            shutil.copy(MIGRATIONS_DIR / f"{m.name}.sql", release)
        db = Database(path, migrations_dir=release)
        await db.open()
        assert await db.migrate() == [migration.version]
        assert (await db.fetchone("PRAGMA integrity_check"))[0] == "ok"
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        after = await _counts(db)
        for table, count in before.items():
            if table in after:
                assert after[table] >= count, f"migration {migration.name} lost rows of {table}"
        if step == 1:
            await guild_settings.update(db, GUILD, 7, T0, timezone="America/Chicago")
            async with db.transaction():
                await delivery.enqueue(
                    db,
                    GUILD,
                    "update",
                    render.message("TA reached"),
                    [delivery.Target.channel(5), delivery.Target.dm(6)],
                    T0,
                )
                await timers.schedule(db, GUILD, "reminder", 1, T0 + timedelta(days=1), T0)
        for table, count in (await _counts(db)).items():
            if count == 0:
                await _fill_generically(db, table)
        before = await _counts(db)
        await db.close()

    db = Database(path)
    await db.open()
    assert await db.pending_migrations() == []
    assert (await guild_settings.get(db, GUILD)).timezone == "America/Chicago"
    assert await timers.pending_count(db) == 1
    assert (await delivery.backlog(db, T0))[0] == 2
    filled = [t for t, n in (await _counts(db)).items() if n]
    assert len(filled) >= 6
    await db.close()
