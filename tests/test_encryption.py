"""Encryption at rest (SQLCipher, the optional `encryption` extra): the database layer and one
end-to-end flow on an encrypted file, conversions both ways, backups, and a wrong key."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from bot import privacy
from bot.core import encryption
from bot.core.config import load_settings
from bot.core.db import Database, DatabaseError, NotRankfileDatabase
from tests.support import GUILD, T0
from tests.test_privacy import ALICE, ORG, seed

KEY = "correct horse 'battery' staple"

pytestmark = pytest.mark.skipif(
    not encryption.available(), reason="SQLCipher (the encryption extra) is not installed"
)


async def encrypted_db(path, key: str = KEY) -> Database:
    db = Database(path, key=key)
    await db.open()
    await db.migrate()
    return db


def header(path) -> bytes:
    return path.read_bytes()[:16]


class TestEncryptedDatabase:
    async def test_the_database_layer_works_and_the_file_is_unreadable_without_the_key(
        self, tmp_path, caplog
    ):
        caplog.set_level(logging.DEBUG)
        path = tmp_path / "rankfile.db"
        db = await encrypted_db(path)
        await seed(db, GUILD, ALICE, ORG)
        async with db.transaction():
            await db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        exported = await privacy.export_member(db, GUILD, ALICE, T0)
        assert exported["data"]["cat_volunteer"]["rows"][0]["display_name"] == "Alice Ng"
        assert await privacy.delete_member(db, GUILD, ALICE, T0)
        await db.close()
        assert header(path) != encryption.SQLITE_HEADER and encryption.is_encrypted(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert b"Alice Ng" not in path.read_bytes()
        # Opened again with the key: the data is there.
        again = await encrypted_db(path)
        assert await again.fetchval("SELECT value FROM meta WHERE key = 'k'") == "v"
        await again.close()
        # A wrong key stops with one clear line that does not hold the key.
        with pytest.raises(DatabaseError, match="RANKFILE_DB_KEY does not open") as wrong:
            await encrypted_db(path, "not the key")
        assert KEY not in str(wrong.value) and "\n" not in str(wrong.value)
        # Without any key, it is not a database at all.
        plain = Database(path)
        with pytest.raises(NotRankfileDatabase):
            await plain.open()
            await plain.migrate()
        await plain.close()
        assert KEY not in caplog.text

    async def test_backups_are_encrypted_and_private(self, tmp_path):
        db = await encrypted_db(tmp_path / "rankfile.db")
        await seed(db, GUILD, ALICE, ORG)
        backup = tmp_path / "backups" / "b.db"
        await db.backup_to(backup)
        await db.close()
        assert encryption.is_encrypted(backup)
        assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
        copy = await encrypted_db(backup)
        assert await copy.fetchval("SELECT count(*) FROM cat_volunteer") == 1
        await copy.close()

    async def test_convert_a_plain_database_both_ways(self, tmp_path):
        plain_path = tmp_path / "plain.db"
        db = Database(plain_path)
        await db.open()
        await db.migrate()
        await seed(db, GUILD, ALICE, ORG)
        version = await db.schema_version()
        await db.close()
        assert encryption.is_encrypted(plain_path) is False
        enc_path = tmp_path / "enc.db"
        encryption.encrypt_file(plain_path, enc_path, KEY)
        assert header(enc_path) != encryption.SQLITE_HEADER
        assert stat.S_IMODE(os.stat(enc_path).st_mode) == 0o600
        enc = await encrypted_db(enc_path)  # migrate() is a no-op: same version, ours
        assert await enc.schema_version() == version
        assert await enc.fetchval("SELECT display_name FROM cat_volunteer") == "Alice Ng"
        await enc.close()
        back = tmp_path / "back.db"
        with pytest.raises(encryption.EncryptionError, match="does not open"):
            encryption.decrypt_file(enc_path, back, "wrong")
        encryption.decrypt_file(enc_path, back, KEY)
        assert header(back) == encryption.SQLITE_HEADER
        again = Database(back)
        await again.open()
        await again.migrate()
        assert await again.fetchval("SELECT display_name FROM cat_volunteer") == "Alice Ng"
        await again.close()
        with pytest.raises(encryption.EncryptionError, match="already exists"):
            encryption.encrypt_file(plain_path, enc_path, KEY)

    def test_the_key_comes_from_the_environment_and_never_prints(self):
        settings = load_settings({"RANKFILE_DB_KEY": KEY}, env_file=None)
        assert settings.db_key is not None and settings.db_key.get() == KEY
        assert KEY not in repr(settings) and "RANKFILE_DB_KEY" not in settings.extra
        assert load_settings({}, env_file=None).db_key is None

    async def test_an_end_to_end_flow_on_an_encrypted_database(self, fake, make_driver, tmp_path):
        from bot import demo
        from bot.core.clock import ManualClock
        from bot.core.config import Secret, Settings
        from bot.glue.app import Rankfile

        clock = ManualClock(T0)
        path = tmp_path / "rankfile.db"

        def make_bot() -> Rankfile:
            return Rankfile(
                Settings(db_path=path, db_key=Secret(KEY)),
                connector=fake.connector(),
                clock=clock,
                guild_ready_timeout=0.05,
            )

        rig = await make_driver(make_bot)
        d = fake.demo
        await demo.prepare_server(rig.bot.db, d.guild_id, d.channels, d.roles, clock.now())
        r = await rig.command("alice", "/subscribe")
        assert r.ephemeral and "Subscribed" in r.text
        exported = await rig.command("alice", "/privacy export")
        assert exported.ephemeral
        await rig.restart()
        mine = await rig.command("alice", "/subscriptions")
        assert mine.ephemeral
        assert await rig.bot.db.fetchval("SELECT count(*) FROM subscription") == 1
        assert encryption.is_encrypted(path)


class TestCli:
    async def test_rankfile_db_encrypt_and_decrypt(self, tmp_path, monkeypatch, capsys):
        from bot import cli

        plain = tmp_path / "rankfile.db"
        db = Database(plain)
        await db.open()
        await db.migrate()
        await seed(db, GUILD, ALICE, ORG)
        await db.close()
        monkeypatch.chdir(tmp_path)  # no .env
        monkeypatch.setenv("RANKFILE_DB", str(plain))
        monkeypatch.delenv("RANKFILE_DB_KEY", raising=False)
        assert cli.main(["db", "encrypt", "enc.db"]) == 2
        assert "set RANKFILE_DB_KEY" in capsys.readouterr().err
        monkeypatch.setenv("RANKFILE_DB_KEY", KEY)
        assert cli.main(["db", "encrypt", "enc.db"]) == 0
        out = capsys.readouterr().out
        assert "encrypted with RANKFILE_DB_KEY" in out and KEY not in out
        assert encryption.is_encrypted(tmp_path / "enc.db")
        monkeypatch.setenv("RANKFILE_DB", str(tmp_path / "enc.db"))
        assert cli.main(["db", "decrypt", "back.db"]) == 0
        assert encryption.is_encrypted(tmp_path / "back.db") is False
        monkeypatch.setenv("RANKFILE_DB_KEY", "zebra-42")
        assert cli.main(["db", "decrypt", "again.db"]) == 2
        err = capsys.readouterr().err
        assert "does not open" in err and "zebra-42" not in err
        assert cli.main(["privacy", "data"]) == 0
        out = capsys.readouterr().out
        assert "| cat_volunteer | contact |" in out and "encrypted (SQLCipher)" in out
