"""What the public site shows: only what organizers chose, the same dated facts as in Discord.

Nothing is public by default; an update or event is on the site when its organizer marked it
public and the server publishes that section; the tracker and proposals when the server says.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import icalendar
import pytest

from bot import events, site, tracker, updates
from bot.core import guild_settings, units
from bot.core.errors import UserError
from tests.site.support import CHANNELS, NOW, ZONE, built, demo_server, rendered, text_of
from tests.support import GUILD, fresh_db

ORG = 412000000000000001


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


async def _server(db) -> units.Unit:
    await guild_settings.update(db, GUILD, None, NOW, timezone=ZONE, **CHANNELS)
    return await units.add(
        db, GUILD, "600", "Local 600, Camera Guild", None, NOW, member_count=9000
    )


async def _post(db, title, body, unit, *, public, when=None):
    draft = updates.Draft(title, body, None, (), (unit,), public=public)
    return await updates.publish(db, GUILD, ORG, draft, NOW, deliver=False, published_at=when)


async def test_nothing_is_public_by_default(db, tmp_path):
    unit = await _server(db)
    await _post(db, "Wages: what we proposed today", "We proposed 7% a year.", unit, public=True)
    await tracker.set_status(db, GUILD, "600", "negotiating", ORG, NOW, post_update=False)
    files = await built(db, tmp_path / "out")
    assert sorted(files) == [".rankfile-site", "index.html", "static/site.css"]
    assert "Nothing has been published here yet." in text_of(files["index.html"])
    assert "Wages" not in files["index.html"]


async def test_an_update_is_public_only_when_marked_and_the_section_is_published(db, tmp_path):
    unit = await _server(db)
    shown = await _post(
        db, "Wages: what we proposed today", "We proposed 7% a year.", unit, public=True
    )
    hidden = await _post(
        db, "Committee only: our fallback on wages", "Do not share.", unit, public=False
    )
    await site.configure(
        db, GUILD, ORG, NOW, title="Local 600 bargaining", sections={"updates": True}
    )
    files = await built(db, tmp_path / "out")
    assert f"updates/{shown.id}.html" in files and f"updates/{hidden.id}.html" not in files
    everything = "\n".join(files.values())
    assert "Committee only" not in everything and "Do not share" not in everything
    page = text_of(files[f"updates/{shown.id}.html"])
    assert "Wages: what we proposed today" in page and "We proposed 7% a year." in page
    assert "Published July 10, 2024" in page
    # The tracker and proposals were not published: no page, no link, no JSON.
    assert not any(p.startswith(("tracker", "proposals", "events")) for p in files)
    assert 'href="tracker/index.html"' not in files["index.html"]
    # Hiding the section takes the update off at the next build.
    await site.configure(db, GUILD, ORG, NOW, sections={"updates": False})
    assert f"updates/{shown.id}.html" not in await built(db, tmp_path / "out")


async def test_publish_and_create_carry_the_public_choice(db):
    unit = await _server(db)
    posted = await _post(db, "Town hall recap", "What was said.", unit, public=True)
    assert await db.fetchval("SELECT public FROM bargaining_update WHERE id = ?", (posted.id,))
    draft = events.make_draft(
        "townhall",
        "Town hall on the MOA",
        "",
        NOW + timedelta(days=2),
        None,
        "Union hall",
        (unit.id,),
        ZONE,
    )
    private = await events.create(db, GUILD, ORG, draft, NOW)
    public = await events.create(
        db, GUILD, ORG, events.Draft(**{**vars(draft), "public": True}), NOW
    )
    flags = dict(await db.fetchall("SELECT id, public FROM event"))
    assert flags == {private.id: 0, public.id: 1}
    await site.set_public(db, GUILD, "event", private.id, True, ORG, NOW)
    assert await db.fetchval("SELECT public FROM event WHERE id = ?", (private.id,)) == 1
    with pytest.raises(UserError, match="no update #999"):
        await site.set_public(db, GUILD, "update", 999, True, ORG, NOW)


async def test_an_edited_update_shows_its_history_and_a_retracted_one_its_retraction(db, tmp_path):
    unit = await _server(db)
    first = await _post(
        db, "Health plan: first pass", "The old text about premiums.", unit, public=True
    )
    later = NOW + timedelta(days=1)
    await updates.edit(
        db,
        GUILD,
        first.id,
        ORG,
        later,
        title="Health plan: corrected",
        body="The corrected text about premiums.",
        source_url=None,
    )
    gone = await _post(
        db, "A wrong figure on pensions", "Pensions go up 40% (wrong).", unit, public=True
    )
    await updates.retract(db, GUILD, gone.id, ORG, later, note="The figure was wrong: 4%.")
    await site.configure(db, GUILD, ORG, later, sections={"updates": True})
    files = await built(db, tmp_path / "out", later)
    page = text_of(files[f"updates/{first.id}.html"])
    assert "Health plan: corrected" in page and "The corrected text about premiums." in page
    assert "Edited July 11, 2024" in page
    assert "Edit history" in page and "Text until July 11, 2024: Health plan: first pass" in page
    assert "The old text about premiums." in page  # the earlier version, kept and dated
    retracted = text_of(files[f"updates/{gone.id}.html"])
    assert "Retracted" in retracted and "retracted this update on July 11, 2024" in retracted
    assert "The figure was wrong: 4%." in retracted
    assert "Pensions go up 40%" not in retracted  # retracted text is not republished
    feed = ET.fromstring(files["updates.atom"])
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert "Retracted: A wrong figure on pensions" in titles and "Health plan: corrected" in titles
    assert "Pensions go up 40%" not in files["updates.atom"]


async def test_the_demo_tracker_has_the_discord_facts_dated(db, tmp_path):
    await demo_server(db)
    files = await built(db, tmp_path / "out")
    overview = text_of(files["tracker/index.html"])
    assert "13 of 13 units have reached a tentative agreement" in overview  # BA apart
    assert "Summary released" in overview  # the word beside every colour
    page = text_of(files["tracker/600.html"])
    assert "Tentative agreement reached March 20, 2024 (112 days ago)" in page
    assert "details released 100 days after the tentative agreement" in page
    assert "12 days since the summary" in page
    assert "Announced in update #" in page
    data = json.loads(files["tracker.json"])
    local600 = next(u for u in data["units"] if u["code"] == "600")
    assert local600["status"] == "summary_released" and local600["days_to_details"] == 100
    assert [h["status"] for h in local600["history"]] == [
        "negotiating",
        "tentative_agreement",
        "summary_released",
    ]


async def test_withheld_details_show_the_reason_the_date_and_how_late(db, tmp_path):
    unit = await _server(db)
    ta = NOW - timedelta(days=30)
    await tracker.set_status(
        db, GUILD, "600", "negotiating", ORG, ta - timedelta(days=5), post_update=False
    )
    await tracker.set_status(db, GUILD, "600", "tentative_agreement", ORG, ta, post_update=False)
    marked = NOW - timedelta(days=20)
    await tracker.mark_withheld(
        db,
        GUILD,
        "600",
        "Other locals are still at the table",
        marked + timedelta(days=10),
        ORG,
        marked,
        ZONE,
    )
    await tracker.mark_withheld(
        db,
        GUILD,
        "600",
        "The employer asked for a week more",
        marked + timedelta(days=17),
        ORG,
        marked + timedelta(days=5),
        ZONE,
    )
    await site.configure(db, GUILD, ORG, NOW, sections={"tracker": True})
    files = await built(db, tmp_path / "out")
    page = text_of(files[f"tracker/{unit.code}.html"])
    assert "Details withheld" in page and "The employer asked for a week more" in page
    assert "Expected July 7, 2024 · Overdue by 3 days" in page
    assert "Expected June 30, 2024, moved to July 7, 2024 on June 25, 2024" in page
    assert "30 days waiting for the details since the tentative agreement" in page
    overview = text_of(files["tracker/index.html"])
    assert "Details withheld Expected July 7, 2024 · Overdue by 3 days" in overview


async def test_proposals_by_article_with_whose_move(db, tmp_path):
    unit = await _server(db)
    await units.add(db, GUILD, "700", "Local 700, Editors Guild", None, NOW)
    await tracker.add_proposal(
        db,
        GUILD,
        "600",
        "Wages",
        "employer",
        ORG,
        NOW,
        exchanged_at=NOW - timedelta(days=3),
        note="Our 7% is on the table",
    )
    await tracker.add_proposal(db, GUILD, "700", "Wages", "union", ORG, NOW)
    done = await tracker.add_proposal(db, GUILD, "600", "Turnaround", "union", ORG, NOW)
    await tracker.close_proposal(db, GUILD, done.id, "Agreed: 10 hours", ORG, NOW)
    await site.configure(db, GUILD, ORG, NOW, sections={"proposals": True, "tracker": True})
    files = await built(db, tmp_path / "out")
    page = text_of(files["proposals/index.html"])
    assert "Wages Unit Whose move Last exchange Note" in page
    assert (
        "Local 600, Camera Guild Employer's move July 7, 2024 (3 days ago) Our 7% is on the table"
        in page
    )
    assert "Local 700, Editors Guild Union's move July 10, 2024 (today)" in page
    assert "Closed items" in page and "Turnaround Local 600, Camera Guild Agreed: 10 hours" in page
    assert "Open at the table" in text_of(files[f"tracker/{unit.code}.html"])


async def test_votes_say_how_to_vote_and_the_calendar_holds_public_events_only(db, tmp_path):
    await demo_server(db)
    files = await built(db, tmp_path / "out")
    page = text_of(files["events/index.html"])
    assert "Vote: Ratification vote: 2024 Basic Agreement" in page
    assert "Voting opens Monday, July 15, 2024, 9:00 AM PDT" in page
    assert "How to vote Electronically, through the union's voting service" in page
    assert "never takes a ballot" in page
    assert "<form" not in files["events/index.html"] and "<input" not in files["events/index.html"]
    cal = icalendar.Calendar.from_ical(files["events.ics"])
    summaries = sorted(str(e["summary"]) for e in cal.walk("VEVENT"))
    assert "Vote: Ratification vote: 2024 Basic Agreement" in summaries and len(summaries) == 4


async def test_the_summary_is_side_by_side(db, tmp_path):
    await demo_server(db)
    files = await built(db, tmp_path / "out")
    name = next(p for p in files if p.endswith("-changes.html"))
    page = text_of(files[name])
    assert "not contract language" in page and "1 added, 9 changed, 0 removed" in page
    assert "Current terms" in page and "New terms" in page and "What it means" in page
    update_id = name.split("/")[1].split("-")[0]
    assert "What changes, article by article" in text_of(files[f"updates/{update_id}.html"])


async def test_site_settings_are_checked(db):
    with pytest.raises(UserError, match="https://"):
        await site.configure(db, GUILD, ORG, NOW, url="javascript:alert(1)")
    with pytest.raises(UserError, match="at least one"):
        await site.configure(db, GUILD, ORG, NOW)
    saved = await site.configure(
        db, GUILD, ORG, NOW, title="  Local 99   bargaining ", url="https://local99.org/bargaining/"
    )
    assert (saved.title, saved.url, saved.anything_public) == (
        "Local 99 bargaining",
        "https://local99.org/bargaining",
        False,
    )


async def test_long_campaigns_are_paged(db):
    unit = await _server(db)
    for n in range(120):
        await _post(
            db, f"Update number {n}", "Text.", unit, public=True, when=NOW - timedelta(hours=n)
        )
    await site.configure(db, GUILD, ORG, NOW, sections={"updates": True})
    files = rendered(await site.gather(db, GUILD, NOW))
    assert {"updates/index.html", "updates/page-2.html", "updates/page-3.html"} <= set(files)
    assert "Update number 0" in files["updates/index.html"]
    assert "Update number 119" in files["updates/page-3.html"]
    assert 'rel="next"' in files["updates/index.html"]
