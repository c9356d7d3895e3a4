"""The tracker end to end: totals and waits from the data, history, chart, organizers' changes."""

from __future__ import annotations

import io

from bot import units, updates
from bot.charts import PNG_SIGNATURE

AS_ORGANIZER = {"ignore_default_permissions": True}


async def _demo(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    await updates.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())


async def test_totals_and_days_to_details_from_the_demo_timeline(rig):
    await _demo(rig)
    r = await rig.command("alice", "/tracker show")
    assert r.ephemeral
    assert "14 of 14** units have reached a tentative agreement" in r.text
    assert "**600** · Summary released since" in r.text
    assert "details after 100 days" in r.text
    r = await rig.command("alice", "/tracker show unit: 600")
    assert "Tentative agreement · March 20, 2024" in r.text
    assert "Summary released · June 28, 2024" in r.text
    assert "Last update <t:" in r.text


async def test_waiting_days_move_with_the_clock(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    r = await rig.command(
        "carol",
        "/tracker set unit: 600 status: tentative_agreement note: TA reached!",
        **AS_ORGANIZER,
    )
    assert "is now at **Tentative agreement**" in r.text and "Update #1" in r.text
    await rig.settle()
    posted = [
        m for m in rig.fake.all_messages() if int(m["channel_id"]) == rig.demo.channel("updates")
    ]
    assert posted[-1]["embeds"][0]["description"].startswith("TA reached!")
    rig.clock.advance(days=10)
    await rig.settle()
    r = await rig.command("alice", "/tracker show")
    assert "1 of 13** units have reached a tentative agreement" in r.text
    assert "**10 days** waiting for the details" in r.text


async def test_set_refuses_backwards_without_force_and_members(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    await rig.command(
        "carol", "/tracker set unit: 700 status: ratified post_update: False", **AS_ORGANIZER
    )
    r = await rig.command("carol", "/tracker set unit: 700 status: negotiating", **AS_ORGANIZER)
    assert r.ephemeral and "would move it back" in r.text and "force" in r.text
    r = await rig.command("carol", "/tracker set unit: 999 status: negotiating", **AS_ORGANIZER)
    assert "No bargaining unit `999`" in r.text
    r = await rig.command(
        "carol",
        "/tracker set unit: 700 status: negotiating force: True date: March 18",
        **AS_ORGANIZER,
    )
    assert "In negotiations" in r.text and "2024" in r.text
    r = await rig.command("alice", "/tracker set unit: 700 status: ratified", **AS_ORGANIZER)
    assert r.ephemeral and "organizer" in r.text
    r = await rig.command("alice", "/tracker units add code: 1 name: Mine", **AS_ORGANIZER)
    assert "organizer" in r.text
    choices = await rig.autocomplete("alice", "/tracker show unit: cinemat")
    assert [c["value"] for c in choices] == ["600"]


async def test_units_add_edit_remove(rig):
    r = await rig.command(
        "carol",
        "/tracker units add code: 999 name: Local 999 Testers member_count: 40",
        **AS_ORGANIZER,
    )
    assert "Added **Local 999 Testers**" in r.text
    r = await rig.command("carol", "/tracker units edit unit: 999 member_count: 45", **AS_ORGANIZER)
    assert "Saved" in r.text
    r = await rig.command("carol", "/tracker units remove unit: 999", **AS_ORGANIZER)
    assert "Removed" in r.text
    r = await rig.command("alice", "/tracker show")
    assert "No bargaining units yet" in r.text


async def test_chart_is_a_png_attachment(rig):
    await _demo(rig)
    r = await rig.command("alice", "/tracker chart")
    assert r.ephemeral
    files = [f for req in r.requests for f in req.files]
    name, data = files[0]
    assert name == "timeline.png" and data.startswith(PNG_SIGNATURE)
    from matplotlib import image

    assert image.imread(io.BytesIO(data), format="png").ndim == 3
