"""The tracker end to end: totals and waits from the data, history, chart, organizers' changes."""

from __future__ import annotations

import io

import pytest

from bot import tracker, updates
from bot.core import guild_settings, units
from bot.core.charts import PNG_SIGNATURE
from bot.sandbox.driver import DriverError

AS_ORGANIZER = {"ignore_default_permissions": True}


async def _demo(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    await updates.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    await tracker.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())


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
    assert r.text.lower().count("last update") <= 1  # said once, not twice


async def test_waiting_days_move_with_the_clock(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    r = await rig.command(
        "carol",
        "/tracker-edit set unit: 600 status: tentative_agreement note: TA reached!",
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
        "carol", "/tracker-edit set unit: 700 status: ratified post_update: False", **AS_ORGANIZER
    )
    r = await rig.command(
        "carol", "/tracker-edit set unit: 700 status: negotiating", **AS_ORGANIZER
    )
    assert r.ephemeral and "would move it back" in r.text and "force" in r.text
    r = await rig.command(
        "carol", "/tracker-edit set unit: 999 status: negotiating", **AS_ORGANIZER
    )
    assert "No bargaining unit `999`" in r.text
    r = await rig.command(
        "carol",
        "/tracker-edit set unit: 700 status: negotiating force: True date: March 18",
        **AS_ORGANIZER,
    )
    assert "In negotiations" in r.text and "2024" in r.text
    r = await rig.command("alice", "/tracker-edit set unit: 700 status: ratified", **AS_ORGANIZER)
    assert r.ephemeral and "organizer" in r.text
    r = await rig.command("alice", "/tracker-edit units add code: 1 name: Mine", **AS_ORGANIZER)
    assert "organizer" in r.text
    choices = await rig.autocomplete("alice", "/tracker show unit: cinemat")
    assert [c["value"] for c in choices] == ["600"]


async def test_units_add_edit_remove(rig):
    r = await rig.command(
        "carol",
        "/tracker-edit units add code: 999 name: Local 999 Testers member_count: 40",
        **AS_ORGANIZER,
    )
    assert "Added **Local 999 Testers**" in r.text
    r = await rig.command(
        "carol", "/tracker-edit units edit unit: 999 member_count: 45", **AS_ORGANIZER
    )
    assert "Saved" in r.text
    r = await rig.command("carol", "/tracker-edit units remove unit: 999", **AS_ORGANIZER)
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


# -- withheld details, silence noticed -----------------------------------------------------


def _committee_posts(rig, needle, committee=None):
    committee = committee or rig.demo.channel("committee")
    return [m for m in rig.fake.channel_messages(committee) if needle in str(m.get("embeds"))]


async def test_withheld_details_with_reason_history_and_overdue_days(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    await rig.command(
        "carol", "/tracker-edit set unit: 600 status: tentative_agreement post_update: False",
        **AS_ORGANIZER,
    )  # fmt: skip
    r = await rig.command(
        "carol",
        "/tracker-edit withheld unit: 600 reason: later expected: July 1 2024",
        **AS_ORGANIZER,
    )
    assert r.ephemeral and "already passed" in r.text
    r = await rig.command(
        "carol",
        "/tracker-edit withheld unit: 600 reason: ' ' expected: August 1 2024",
        **AS_ORGANIZER,
    )
    assert r.ephemeral and "Say why" in r.text
    r = await rig.command(
        "carol",
        "/tracker-edit withheld unit: 700 reason: x expected: August 1 2024",
        **AS_ORGANIZER,
    )
    assert "no tentative agreement" in r.text
    assert await rig.db.fetchval("SELECT count(*) FROM withheld_details") == 0
    r = await rig.command(
        "alice",
        "/tracker-edit withheld unit: 600 reason: x expected: August 1 2024",
        **AS_ORGANIZER,
    )
    assert r.ephemeral and "organizer" in r.text

    r = await rig.command(
        "carol",
        "/tracker-edit withheld unit: 600 reason: other locals are still at the table "
        "expected: August 1 2024",
        **AS_ORGANIZER,
    )
    assert "details marked withheld" in r.text
    r = await rig.command("alice", "/tracker show")
    assert (
        "Details withheld: other locals are still at the table · expected August 1, 2024" in r.text
    )
    assert "overdue" not in r.text
    rig.clock.advance(days=18)  # July 28
    r = await rig.command(
        "carol",
        "/tracker-edit withheld unit: 600 reason: general negotiations continue "
        "expected: August 15 2024",
        **AS_ORGANIZER,
    )
    assert "expected release moved to" in r.text
    rig.clock.advance(days=22)  # August 19: 4 days past August 15
    await rig.settle()
    r = await rig.command("alice", "/tracker show")
    assert "**overdue by 4 days**" in r.text and "**40 days** waiting" in r.text
    r = await rig.command("alice", "/tracker show unit: 600")
    assert "Why: general negotiations continue" in r.text
    assert "waited 40 days so far" in r.text and "Overdue by 4 days" in r.text
    assert (
        "expected August 1, 2024, moved to August 15, 2024 on July 28, 2024: "
        "general negotiations continue" in r.text
    )
    rows = await rig.db.fetchall("SELECT * FROM withheld_date_change")
    assert len(rows) == 1  # the first date is kept, not overwritten
    await rig.command(
        "carol", "/tracker-edit set unit: 600 status: summary_released post_update: False",
        **AS_ORGANIZER,
    )  # fmt: skip
    r = await rig.command("alice", "/tracker show")
    assert "withheld" not in r.text and "details after 40 days" in r.text


async def test_silence_nudge_on_day_7_once_then_a_no_news_update(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    # The committee channel where members can see it, to show they can't press its button.
    committee = rig.demo.channel("general")
    await guild_settings.update(
        rig.db, rig.demo.guild_id, None, rig.clock.now(), committee_channel_id=committee
    )
    await rig.command("carol", "/tracker-edit set unit: 600 status: negotiating", **AS_ORGANIZER)
    await rig.settle()
    r = await rig.command("alice", "/tracker show")
    assert "**600** · In negotiations" in r.text and "last update today" in r.text
    rig.clock.advance(days=6, hours=23)
    await rig.settle()
    assert _committee_posts(rig, "Silence", committee) == []
    rig.clock.advance(hours=1, minutes=1)
    await rig.settle()
    [nudge] = _committee_posts(rig, "Silence", committee)
    assert "heard nothing for **7 days**" in str(nudge["embeds"])
    assert "Post a no-news update" in str(nudge["components"])
    r = await rig.command("alice", "/tracker show")
    assert "last update 7 days ago" in r.text
    rig.clock.advance(days=5)
    await rig.settle()
    assert len(_committee_posts(rig, "Silence", committee)) == 1  # not again until the next silence

    r = await rig.click("alice", "Post a no-news update")
    assert r.ephemeral and "organizer" in r.text and r.modal is None
    opened = await rig.click("carol", "Post a no-news update")
    assert opened.modal is not None and "No news this week" in str(opened.modal)
    await rig.submit(
        "carol",
        {"Title": "No news this week: Local 600", "Text": "No news this week: we met on July 15."},
    )
    await rig.click("carol", "Publish")
    await rig.settle()
    posted = rig.fake.channel_messages(rig.demo.channel("updates"))
    assert "No-news update" in posted[-1]["embeds"][0]["title"]
    r = await rig.command("alice", "/tracker show")
    assert "last update today (no news)" in r.text
    kind = await rig.db.fetchval("SELECT kind FROM bargaining_update ORDER BY id DESC LIMIT 1")
    assert kind == "no_news"
    rig.clock.advance(days=7, minutes=1)
    await rig.settle()
    assert len(_committee_posts(rig, "Silence", committee)) == 2  # the next silence, again


async def test_silence_days_is_a_setup_option(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    r = await rig.command("alice", "/setup silence days: 3", **AS_ORGANIZER)
    assert r.ephemeral and (await guild_settings.get(rig.db, rig.demo.guild_id)).silence_days == 7
    r = await rig.command("erin", "/setup silence days: 3")
    assert r.ephemeral and "Saved" in r.text
    await rig.command("carol", "/tracker-edit set unit: 700 status: negotiating", **AS_ORGANIZER)
    rig.clock.advance(days=2, hours=23)
    await rig.settle()
    assert _committee_posts(rig, "Silence") == []
    rig.clock.advance(hours=1, minutes=1)
    await rig.settle()
    [nudge] = _committee_posts(rig, "Silence")
    assert "heard nothing for **3 days**" in str(nudge["embeds"])


async def test_proposals_whose_move_and_last_exchange(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    # Members don't see /tracker-edit; forced past Discord's hiding, the role check refuses.
    with pytest.raises(DriverError, match="hidden"):
        await rig.command("alice", "/tracker-edit proposal add unit: 600 title: Wages move: union")
    r = await rig.command(
        "alice", "/tracker-edit proposal add unit: 600 title: Wages move: union", **AS_ORGANIZER
    )
    assert r.ephemeral and "organizer" in r.text
    r = await rig.command(
        "carol",
        "/tracker-edit proposal add unit: 600 title: AI protections move: employer date: July 1",
        **AS_ORGANIZER,
    )
    assert "Added proposal #1" in r.text
    await rig.command(
        "carol", "/tracker-edit proposal add unit: 600 title: Wages move: union note: 3% asked",
        **AS_ORGANIZER,
    )  # fmt: skip
    r = await rig.command("alice", "/tracker proposals unit: 600")
    assert "**AI protections** · the employer's move · last exchange July 1, 2024 (9 days ago)" in (
        r.text
    )
    assert "**Wages** · the union's move · last exchange July 10, 2024 (today)" in r.text
    rig.clock.advance(days=2)
    r = await rig.command("carol", "/tracker-edit proposal set id: 1 move: union", **AS_ORGANIZER)
    assert "now the union's move" in r.text
    await rig.command("carol", "/tracker-edit proposal close id: 2 outcome: Agreed", **AS_ORGANIZER)
    r = await rig.command("alice", "/tracker proposals unit: 600")
    assert "the union's move · last exchange July 12, 2024 (today)" in r.text
    assert "Wages" not in r.text and "1 open item" in r.text
    r = await rig.command("carol", "/tracker-edit proposal close id: 2", **AS_ORGANIZER)
    assert r.ephemeral and "already closed" in r.text
