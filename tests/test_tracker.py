"""The bargaining tracker on a temporary database: statuses, history, totals, waits, chart."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from bot import demo, tracker, updates
from bot.core import audit, units
from bot.core.charts import PNG_SIGNATURE
from bot.core.errors import Conflict, NotFound, UserError
from tests.support import GUILD, T0, fresh_db

ZONE = "America/Los_Angeles"


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await units.load_demo(database, GUILD, T0)
    await demo.prepare_server(
        database,
        GUILD,
        {"announcements": 5000, "updates": 5001, "committee": 5002},
        {"organizer": 1, "cat": 2, "cat-coordinator": 3},
        T0,
    )
    yield database
    await database.close()


def test_days_are_calendar_days_in_the_server_zone():
    ta = datetime(2024, 3, 20, 23, 30, tzinfo=UTC)  # 16:30 on March 20 in Los Angeles
    summary = datetime(2024, 6, 28, 6, 0, tzinfo=UTC)  # June 27, 23:00 in Los Angeles
    assert tracker.days_between(ta, summary, ZONE) == 99
    assert tracker.days_between(ta, summary, "UTC") == 100


async def test_demo_timeline_gives_local_600_its_100_days(db):
    await updates.load_demo(db, GUILD, T0)
    await tracker.load_demo(db, GUILD, T0)
    view = await tracker.overview(db, GUILD, T0, ZONE)
    assert (view.total, view.reached_ta, view.ratified) == (14, 14, 0)
    s600 = next(s for s in view.standings if s.unit.code == "600")
    assert (s600.status, s600.days_to_details, s600.days_waiting) == ("summary_released", 100, None)
    assert s600.last_heard is not None
    history = await tracker.history(db, GUILD, s600.unit.id)
    assert [c.status for c in history] == ["negotiating", "tentative_agreement", "summary_released"]
    assert history[1].update_id == (await updates.get(db, GUILD, history[1].update_id)).id
    # On a later clock, the ratification of July 18 loads too (and only it).
    later = datetime(2024, 7, 20, tzinfo=UTC)
    assert "14 status changes added" in await tracker.load_demo(db, GUILD, later)
    assert (await tracker.overview(db, GUILD, later, ZONE)).ratified == 14


async def test_waiting_days_count_from_the_tentative_agreement(db):
    march20 = datetime(2024, 3, 20, 20, tzinfo=UTC)
    await tracker.set_status(db, GUILD, "600", "negotiating", 9, march20 - timedelta(2))
    await tracker.set_status(db, GUILD, "600", "tentative agreement", 9, march20)
    await tracker.set_status(db, GUILD, "800", "in negotiations", 9, march20)
    now = datetime(2024, 4, 29, 17, tzinfo=UTC)
    view = await tracker.overview(db, GUILD, now, ZONE)
    s600 = next(s for s in view.standings if s.unit.code == "600")
    assert s600.days_waiting == 40
    assert (view.reached_ta, view.negotiating, view.waiting, view.total) == (1, 1, 1, 13)
    text = tracker.overview_embed(view, now, ZONE)["description"]
    assert "1 of 13** units have reached a tentative agreement" in text
    assert "**40 days** waiting for the details" in text


async def test_set_status_posts_an_update_and_is_audited(db):
    change, update = await tracker.set_status(
        db, GUILD, "Local 700", "negotiating", 9, T0, note="Talks open today."
    )
    assert update is not None and update.kind == "status" and update.body == "Talks open today."
    assert change.update_id == update.id
    assert (await audit.recent(db, GUILD))[0].action == "tracker.set"
    quiet, none = await tracker.set_status(
        db, GUILD, "700", "strike vote", 9, T0, post_update=False
    )
    assert none is None and quiet.update_id is None and quiet.status == "strike_vote"


async def test_backwards_moves_need_force_and_nothing_changes(db):
    await tracker.set_status(db, GUILD, "600", "tentative agreement", 9, T0)
    with pytest.raises(UserError, match="would move it back"):
        await tracker.set_status(db, GUILD, "600", "negotiating", 9, T0)
    with pytest.raises(Conflict, match="already at"):
        await tracker.set_status(db, GUILD, "600", "tentative_agreement", 9, T0)
    with pytest.raises(UserError, match="No status `done`"):
        await tracker.set_status(db, GUILD, "600", "done", 9, T0)
    with pytest.raises(NotFound):
        await tracker.set_status(db, GUILD, "999", "negotiating", 9, T0)
    with pytest.raises(UserError, match="in the past"):
        await tracker.set_status(db, GUILD, "600", "ratified", 9, T0, reached_at=T0 + timedelta(1))
    unit = await units.find(db, GUILD, "600")
    assert len(await tracker.history(db, GUILD, unit.id)) == 1
    assert await db.fetchval("SELECT count(*) FROM bargaining_update") == 1
    forced, _ = await tracker.set_status(db, GUILD, "600", "negotiating", 9, T0, force=True)
    assert forced.forced
    # A rejected agreement goes back to the table without force.
    await tracker.set_status(db, GUILD, "800", "rejected", 9, T0)
    await tracker.set_status(db, GUILD, "800", "negotiating", 9, T0)


async def test_units_with_history_cannot_be_removed(db):
    await tracker.set_status(db, GUILD, "600", "negotiating", 9, T0)
    with pytest.raises(Conflict, match="still used"):
        await units.remove(db, GUILD, "600", 9, T0)


async def test_chart_is_a_png(db):
    await updates.load_demo(db, GUILD, T0)
    await tracker.load_demo(db, GUILD, T0)
    view, histories = await tracker.chart_data(db, GUILD, T0, ZONE)
    png = tracker.timeline_png(view, histories, T0)
    assert png.startswith(PNG_SIGNATURE)
    from matplotlib import image

    assert image.imread(io.BytesIO(png), format="png").shape[0] > 100
