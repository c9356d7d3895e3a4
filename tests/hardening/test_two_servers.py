"""Two servers in one bot: nothing of one is visible or changeable from the other.

Server A is the demo server with every capability's demo content loaded and a few things
made through commands (a question, a CAT sign-up, an announcement draft). Server B is set
up with its own /setup. In B, erin (admin in both) runs every command the tree has, with
A's ids and A's texts as option values, and types A's texts into every autocomplete: no
text of A may appear in anything B is sent, and no row of A may change. A member who left
B, and one who lost a role in B, keep everything of A.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bot import demo
from bot.sandbox.fake import ADMINISTRATOR, FakeDiscord
from tests.hardening.harness import (
    ATTACHMENT,
    CHANNEL,
    INTEGER,
    NUMBER,
    ROLE,
    STRING,
    TEXT_INPUT,
    USER,
    SyncRig,
    discover,
)

B: dict[str, Any] = {}


def _second_server(fake: FakeDiscord) -> None:
    g = fake.add_guild("Local 700")
    admin = fake.add_role(g, "admin", permissions=ADMINISTRATOR, position=1)
    roles = {n: fake.add_role(g, n) for n in ("organizer", "cat", "cat-coordinator")}
    for name in ("announcements", "updates", "committee"):
        fake.add_channel(g, name)
    for user, role in (("alice", None), ("bob", "cat"), ("carol", "organizer"), ("dave", None)):
        fake.add_member(g, fake.user_named(user), [roles[role].id] if role else [])
    fake.add_member(g, fake.user_named("erin"), [admin.id])
    B["guild"] = g


def _a_rows(path, guild_a: int) -> dict[str, list]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE '%VIRTUAL TABLE%'"
        ):
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            if "guild_id" in cols:
                rows = conn.execute(f'SELECT * FROM "{name}" WHERE guild_id = ?', (guild_a,))
                out[name] = sorted(map(repr, rows))
        return out
    finally:
        conn.close()


def _distinctive_texts(path, guild_a: int) -> set[str]:
    """Texts stored for server A: long enough that finding one in B's traffic is a leak."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    texts: set[str] = set()
    try:
        for name, cols in _tables_with_guild(conn):
            for row in conn.execute(f'SELECT * FROM "{name}" WHERE guild_id = ?', (guild_a,)):
                for col, value in zip(cols, row, strict=True):
                    if (
                        isinstance(value, str)
                        and len(value) >= 16
                        and " " in value
                        and not col.endswith(("_at", "_json", "until", "zone"))
                        and not value.startswith(("{", "[", "http"))
                    ):
                        texts.add(value[:40])
    finally:
        conn.close()
    return texts


def _tables_with_guild(conn):
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE '%VIRTUAL TABLE%'"
    ):
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
        if "guild_id" in cols:
            yield name, cols


def _setup_b(rig: SyncRig) -> None:
    g = B["guild"]
    d = rig.driver
    r = rig.run(
        d.invoke(
            "erin",
            "setup channels",
            {"announcements": "announcements", "updates": "updates", "committee": "committee"},
        )
    )
    assert "Can't do that" not in r.text, r.text
    r = rig.run(
        d.invoke(
            "erin",
            "setup roles",
            {"organizer": "organizer", "cat": "cat", "coordinator": "cat-coordinator"},
        )
    )
    assert "Can't do that" not in r.text, r.text
    rig.run(d.invoke("erin", "setup timezone", {"zone": "America/New_York"}))
    assert g.id


def test_nothing_of_one_server_reaches_the_other(tmp_path):
    specs = discover()
    with SyncRig(tmp_path, before_start=_second_server) as rig:
        d = rig.driver
        a = rig.demo.guild_id
        rig.run(demo.load(rig.bot.db, a, rig.clock.now()))
        secret_q = "Zebra question only server A may ever read about overtime"
        rig.run(d.invoke("alice", "ask committee", {"question": secret_q, "anonymous": True}))
        rig.run(d.settle())
        texts = _distinctive_texts(rig.db_path, a) | {secret_q[:40]}
        assert len(texts) > 10, texts
        # The same read commands in A do show A's texts: the scan below has teeth.
        mark_a = len(rig.fake.requests)
        for name in ("updates latest", "events upcoming", "faqs list", "tracker show"):
            if any(sp.name == name for sp in specs):
                rig.run(d.invoke("erin", name))
        seen_a = json.dumps([r.json for r in rig.fake.requests[mark_a:]], ensure_ascii=False)
        assert any(t in seen_a for t in texts), "A's read commands showed none of A's texts"
        a_before = _a_rows(rig.db_path, a)
        ids = [1, 2, 3]
        sample = sorted(texts)[:3]

        d.guild_id = B["guild"].id
        mark = len(rig.fake.requests)
        _setup_b(rig)
        ran = 0
        for spec in specs:
            for attempt in range(3):
                values: dict[str, Any] = {}
                for o in spec.options:
                    t = o["type"]
                    if o.get("choices"):
                        values[o["name"]] = o["choices"][attempt % len(o["choices"])]["value"]
                    elif t == STRING:
                        text = sample[attempt % len(sample)]
                        values[o["name"]] = text[: o.get("max_length", len(text))]
                    elif t in (INTEGER, NUMBER):
                        lo, hi = o.get("min_value", ids[0]), o.get("max_value", ids[-1])
                        values[o["name"]] = min(max(ids[attempt], lo), hi)
                    elif t == USER:
                        values[o["name"]] = "alice"
                    elif t == ROLE:
                        values[o["name"]] = "cat"
                    elif t == CHANNEL:
                        values[o["name"]] = "general"
                    elif t == ATTACHMENT:
                        path = tmp_path / "from-b.txt"
                        path.write_text(sample[attempt % len(sample)])
                        values[o["name"]] = str(path)
                    elif not o.get("required"):
                        continue
                r = rig.run(d.invoke("erin", spec.name, values, ignore_default_permissions=True))
                ran += 1
                if r.modal is not None:
                    fields = {c["custom_id"]: "from server B" for c in _inputs(r.modal)}
                    try:
                        rig.run(d.submit("erin", fields))
                    except Exception:
                        rig.fake.open_modals.clear()
                for o in spec.options:
                    if o.get("autocomplete"):
                        for typed in ("", sample[attempt % len(sample)][:10]):
                            rig.run(
                                d.invoke(
                                    "erin",
                                    spec.name,
                                    {**values, o["name"]: typed},
                                    focused=o["name"],
                                    ignore_default_permissions=True,
                                )
                            )
        rig.advance(minutes=5)
        seen = json.dumps([r.json for r in rig.fake.requests[mark:]], ensure_ascii=False)
        # What erin typed in B comes back in B's answers, and defaults every server gets (topic
        # names...) are B's own too: neither is a leak.
        own = _distinctive_texts(rig.db_path, B["guild"].id)
        typed = {t[:n] for t in sample for n in (10, 40)}
        leaks = sorted(t for t in texts - own - typed if t in seen)
        assert ran > len(specs)
        assert leaks == [], f"server B was sent server A's texts: {leaks[:5]}"
        assert _a_rows(rig.db_path, a) == a_before, "a command in server B changed server A's rows"
        assert rig.problems() == []


def _inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    from bot.sandbox.driver import iter_components

    return [
        c for c in iter_components(modal.get("components") or []) if c.get("type") == TEXT_INPUT
    ]


async def test_leaving_one_server_or_losing_a_role_there_keeps_the_other(rig):
    """bob volunteers and dave coordinates in both servers. In B bob leaves and dave loses the
    coordinator role: B's DMs to them are skipped and B drops their registrations; A's reach
    them and A keeps everything."""
    from bot import cat, privacy, subscriptions
    from bot.core import delivery, guild_settings, render, units
    from tests.support import T0

    fake, db, a = rig.fake, rig.db, rig.demo.guild_id
    b = fake.add_guild("Local 700")
    cat_b, coord_b = fake.add_role(b, "cat"), fake.add_role(b, "cat-coordinator")
    bob, dave = rig.demo.user("bob"), rig.demo.user("dave")
    fake.add_member(b, fake.users[bob], [cat_b.id])
    fake.add_member(b, fake.users[dave], [coord_b.id])
    await guild_settings.update(
        db, b.id, None, T0, cat_role_id=cat_b.id, coordinator_role_id=coord_b.id
    )
    await privacy.acknowledge_checklist(db, b.id, None, T0)
    form = {"name": "Bob", "unit": "700", "department": "d", "availability": "a", "contact": "c"}
    for g in (a, b.id):
        await units.add(db, g, "700", "Local 700 Editors", None, T0)
        await cat.sign_up(db, g, bob, T0, **form)
        await cat.set_role_state(db, g, bob, "granted")
        await subscriptions.subscribe(db, g, bob, "all", T0)
        await cat.set_scope(db, g, dave, None, None, T0)
    fake.remove_member(b.id, bob)
    await fake.take_role(b.id, dave, coord_b.id)
    rig.clock.advance(minutes=10)
    for g in (a, b.id):
        async with db.transaction():
            await delivery.enqueue(
                db,
                g,
                "test.dm",
                render.message("Hello"),
                [
                    delivery.Target.dm(bob, requires="cat"),
                    delivery.Target.dm(dave, requires="coordinator"),
                ],
                rig.clock.now(),
            )
    await rig.settle()
    rows = await db.fetchall(
        "SELECT b.guild_id, d.target_id, d.state, d.reason FROM delivery d "
        "JOIN broadcast b ON b.id = d.broadcast_id WHERE b.kind = 'test.dm'"
    )
    got = {(r["guild_id"], r["target_id"]): (r["state"], r["reason"]) for r in rows}
    assert got == {
        (a, bob): ("sent", None),
        (a, dave): ("sent", None),
        (b.id, bob): ("skipped", "member_left"),
        (b.id, dave): ("skipped", "lost_role"),
    }
    assert (await cat.get_volunteer(db, b.id, bob)).status == "left"
    assert (await cat.get_volunteer(db, a, bob)).status == "active"
    assert await subscriptions.list_for(db, b.id, bob) == []
    assert len(await subscriptions.list_for(db, a, bob)) == 1
    assert await cat.coordinators(db, b.id) == []
    assert await cat.coordinators(db, a) == [dave]
