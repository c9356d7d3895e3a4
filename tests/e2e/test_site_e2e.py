"""The public site end to end: an admin's /setup site, an organizer's `public:` on /update
post and /event create, and the bot's rebuild of the folder a minute after (the real bot
against the fake Discord)."""

from __future__ import annotations

from datetime import timedelta

from bot import site
from bot.core import units

AS_ORGANIZER = {"ignore_default_permissions": True}


async def test_admin_chooses_what_is_public_and_organizers_mark_each_item(rig, tmp_path):
    guild = rig.demo.guild_id
    await units.load_demo(rig.db, guild, rig.clock.now())
    refused = await rig.command(
        "alice", "/setup site updates: True", ignore_default_permissions=True
    )
    assert refused.ephemeral and "admin" in refused.text.lower()
    saved = await rig.command(
        "erin",
        "/setup site title: Local 600 bargaining url: https://local600.org/b "
        "updates: True events: True",
    )
    assert saved.ephemeral and "Public: updates, events" in saved.text
    assert "rankfile site folder" in saved.text  # no folder yet: the host sets it
    await site.set_folder(rig.db, guild, tmp_path / "www", rig.clock.now())

    for public in (True, False):
        opened = await rig.command(
            "carol", f"/update post units: 600 public: {public}", **AS_ORGANIZER
        )
        preview = await rig.submit(
            "carol", {"Title": f"Wages, public {public}", "Text": "We proposed 7% a year."}
        )
        assert ("and on the public site" in preview.text) is public
        await rig.click("carol", "Publish")
    opened = await rig.command(
        "carol", "/event create kind: townhall start: July 13 noon place: Union hall public: True"
    )
    assert opened.modal is not None, opened.text
    preview = await rig.submit("carol", {"Title": "MOA town hall", "Description": "Questions"})
    assert "on the public site and its calendar too" in preview.text
    await rig.click("carol", "Save")
    flags = await rig.db.fetchall("SELECT title, public FROM bargaining_update ORDER BY id")
    assert [tuple(r) for r in flags] == [("Wages, public True", 1), ("Wages, public False", 0)]

    # A minute later the bot has rebuilt the folder with what is public, and only that.
    rig.clock.advance(timedelta(minutes=2))
    await rig.idle()
    await site.settled()
    index = (tmp_path / "www" / "index.html").read_text(encoding="utf-8")
    assert "Wages, public True" in index and "Wages, public False" not in index
    assert "MOA town hall" in (tmp_path / "www" / "events" / "index.html").read_text()
    assert "MOA town hall" in (tmp_path / "www" / "events.ics").read_text()
