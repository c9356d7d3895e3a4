"""doctor's pure checks: Discord's permission arithmetic, intents, the database verdicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import backups
from bot.core.db import Database
from bot.ops import doctor
from bot.sandbox.fake import FakeDiscord
from tests.support import T0, fresh_db

GUILD_ID = 100
BOT_ID = 900
BITS = st.integers(min_value=0, max_value=(1 << 20) - 1)


@settings(max_examples=200, deadline=None)
@given(
    everyone=BITS,
    role_perms=st.lists(BITS, min_size=2, max_size=2),
    overwrites=st.lists(st.tuples(st.sampled_from([0, 1, 2, 3]), BITS, BITS), max_size=4),
)
def test_channel_permissions_agree_with_an_independent_implementation(
    everyone, role_perms, overwrites
):
    # The fake Discord computes permissions on its own; both must agree on every case.
    fake = FakeDiscord(validate=False)
    guild = fake.add_guild("g")
    guild.roles[guild.id].permissions = everyone
    bot_role = next(r for r in guild.roles.values() if r.managed)
    bot_role.permissions = role_perms[0]
    extra = fake.add_role(guild, "extra", permissions=role_perms[1])
    guild.members[fake.bot_user.id].roles.append(extra.id)
    targets = {0: (0, guild.id), 1: (0, bot_role.id), 2: (0, extra.id), 3: (1, fake.bot_user.id)}
    channel = fake.add_channel(
        guild,
        "c",
        overwrites=[
            {"id": targets[t][1], "type": targets[t][0], "allow": a, "deny": d}
            for t, a, d in {t: (t, a, d) for t, a, d in overwrites}.values()
        ],
    )
    roles = {r.id: r.to_dict() for r in guild.roles.values()}
    member_roles = guild.members[fake.bot_user.id].roles
    base = doctor.base_permissions(guild.id, guild.owner_id, roles, member_roles, fake.bot_user.id)
    ours = doctor.channel_permissions(
        base, channel.to_dict(fake), guild.id, member_roles, fake.bot_user.id
    )
    theirs = fake.compute_permissions(guild.id, fake.bot_user.id, channel.id)
    # Administrator counts only from roles: an overwrite cannot grant it (Discord's rule).
    mask = ~doctor.ADMINISTRATOR
    if base == doctor.ALL:
        assert ours == doctor.ALL
    elif theirs & doctor.VIEW_CHANNEL:
        assert ours & mask == theirs & mask
    else:
        assert ours == 0


def test_role_hierarchy_ties_go_to_the_older_role():
    older = {"id": "10", "position": 3}
    newer = {"id": "20", "position": 3}
    assert doctor.role_key(older) > doctor.role_key(newer)
    assert doctor.role_key({"id": "30", "position": 4}) > doctor.role_key(older)


def test_intents_asked_for_must_be_on_in_the_portal():
    assert doctor.intent_check({"flags": 0}, []).ok
    off = doctor.intent_check({"flags": 0}, ["members", "message_content"])
    assert not off.ok
    assert off.fix.endswith("turn on Server Members Intent, Message Content Intent")
    limited = 1 << 15  # members, under 100 servers
    assert doctor.intent_check({"flags": limited}, ["members"]).ok


def test_a_public_bot_is_flagged():
    assert doctor.public_check({"bot_public": False}).ok
    assert "turn off Public Bot" in doctor.public_check({"bot_public": True}).fix


def test_render_one_line_per_check_and_the_fix_under_a_failure():
    text = doctor.render(
        [
            doctor.passed("token", "logs in as rankfile"),
            doctor.failed("events", "no Manage Events", "turn on Manage Events", "Local 600"),
        ]
    )
    assert text.splitlines() == [
        "PASS  token: logs in as rankfile",
        "FAIL  events: [Local 600] no Manage Events",
        "      fix: turn on Manage Events",
    ]


async def test_database_checks_pass_then_fail_on_age_pending_migrations(tmp_path):
    db = await fresh_db(tmp_path)
    await backups.make_backup(db, tmp_path / "b", T0)
    checks = await doctor.database_checks(db, tmp_path / "b", T0 + timedelta(hours=47))
    assert [c.name for c in checks if not c.ok] == []
    checks = await doctor.database_checks(db, tmp_path / "b", T0 + timedelta(hours=49))
    assert [c.name for c in checks if not c.ok] == ["backup"]
    await db.execute("PRAGMA user_version = 3")
    checks = await doctor.database_checks(db, tmp_path / "b", T0)
    schema = next(c for c in checks if c.name == "schema")
    assert not schema.ok and "migrations pending" in schema.detail
    await db.execute("PRAGMA user_version = 500")
    checks = await doctor.database_checks(db, tmp_path / "b", T0)
    assert "upgrade rankfile" in next(c for c in checks if c.name == "schema").fix
    await db.close()


async def test_database_file_checks_never_create_a_file(tmp_path):
    checks = await doctor.database_file_checks(tmp_path / "none.db", tmp_path, T0)
    assert [c.ok for c in checks] == [False] and "rankfile run" in checks[0].fix
    assert not (tmp_path / "none.db").exists()
    (tmp_path / "other.db").write_bytes(b"x" * 4096)
    checks = await doctor.database_file_checks(tmp_path / "other.db", tmp_path, T0)
    assert not checks[0].ok and "RANKFILE_DB" in checks[0].fix


async def test_a_foreign_sqlite_file_is_not_ours(tmp_path):
    other = Database(tmp_path / "other.db")
    await other.open()
    await other.execute("CREATE TABLE notes (x)")
    await other.close()
    checks = await doctor.database_file_checks(tmp_path / "other.db", tmp_path, T0)
    bad = [c for c in checks if not c.ok]
    assert bad and "not a rankfile database" in bad[0].detail


async def test_doctor_says_whether_the_database_is_encrypted(tmp_path):
    from bot.core import encryption
    from tests.support import fresh_db

    db = await fresh_db(tmp_path)
    await db.close()
    plain = tmp_path / "rankfile.db"
    checks = {c.name: c for c in await doctor.database_file_checks(plain, tmp_path, T0)}
    # A warning with its fix, not a pass: `rankfile doctor` prints WARN.
    assert checks["encryption"].verdict == "WARN"
    assert "not encrypted" in checks["encryption"].detail
    assert "rankfile db encrypt" in checks["encryption"].fix
    assert "WARN  encryption: the database is not encrypted" in doctor.render(checks.values())
    if not encryption.available():
        pytest.skip("sqlcipher3 is not installed (pip install -e '.[encryption]')")
    secret = tmp_path / "secret.db"
    encryption.encrypt_file(plain, secret, "correct horse")
    checks = {
        c.name: c
        for c in await doctor.database_file_checks(secret, tmp_path, T0, key="correct horse")
    }
    assert "are encrypted" in checks["encryption"].detail
