"""Building the site: the folder is swapped whole (the previous site stays until the new one
is in place), a folder rankfile did not build is never emptied, the bot rebuilds a minute
after a change (once per burst of changes) and each night, and the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import site, updates
from bot.core import timers, units
from bot.core.errors import UserError
from bot.site import builder as site_build
from bot.site import rebuild
from tests.site.support import NOW, ZONE, demo_server, read_folder
from tests.support import GUILD, fresh_db

ROOT = Path(__file__).resolve().parents[2]
ORG = 412000000000000001


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    yield database
    await database.close()


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != "rankfile.db")


def test_the_folder_is_swapped_whole(tmp_path, monkeypatch):
    out = tmp_path / "site"
    site.write_site({"index.html": b"one", "old.html": b"gone later"}, out)
    site.write_site({"index.html": b"two"}, out)
    assert read_folder(out) == {
        ".rankfile-site": "Built by rankfile (`rankfile site build`).\n",
        "index.html": "two",
    }
    assert _siblings(out) == ["site"]  # no leftover build folder
    # Where the system cannot exchange two folders in one step: rename aside, then in.
    monkeypatch.setattr(site_build, "_exchange", lambda a, b: False)
    site.write_site({"index.html": b"three"}, out)
    assert (out / "index.html").read_text() == "three" and _siblings(out) == ["site"]
    # The web server can read it, whatever the bot's umask (the service's is 0077).
    old_mask = os.umask(0o077)
    try:
        site.write_site({"index.html": b"four", "static/site.css": b"x"}, out)
    finally:
        os.umask(old_mask)
    assert oct(out.stat().st_mode & 0o777) == "0o755"
    assert oct((out / "static").stat().st_mode & 0o777) == "0o755"
    assert oct((out / "static" / "site.css").stat().st_mode & 0o777) == "0o644"


def test_a_failed_build_keeps_the_previous_site(tmp_path, monkeypatch):
    out = tmp_path / "site"
    site.write_site({"index.html": b"good"}, out)
    with pytest.raises(ValueError, match="outside the folder"):
        site.write_site({"index.html": b"bad", "../escape.html": b"x"}, out)
    assert (out / "index.html").read_text() == "good" and _siblings(out) == ["site"]

    def broken_swap(new: Path, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(site_build, "_swap", broken_swap)
    with pytest.raises(OSError, match="disk full"):
        site.write_site({"index.html": b"new"}, out)
    assert (out / "index.html").read_text() == "good" and _siblings(out) == ["site"]


def test_a_folder_rankfile_did_not_build_is_never_replaced(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="did not build"):
        site.write_site({"index.html": b"x"}, home)
    assert (home / "notes.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        site.write_site({"index.html": b"x"}, tmp_path / "file")
    empty = tmp_path / "empty"
    empty.mkdir()
    site.write_site({"index.html": b"x"}, empty)
    assert (empty / "index.html").exists()


async def _pending(db) -> list:
    return [t for t in await timers.for_subject(db, rebuild.REBUILD, GUILD) if t.state == "pending"]


async def test_the_bot_rebuilds_a_minute_after_changes_once_then_each_night(db, tmp_path):
    await demo_server(db)
    out = tmp_path / "public"
    assert await _pending(db) == []  # no folder: nothing to rebuild
    await site.set_folder(db, GUILD, out, NOW)
    first = await _pending(db)
    assert [t.due_at for t in first] == [NOW + timedelta(minutes=1)]
    unit = await units.find(db, GUILD, "600")
    for n in range(3):  # a burst of changes within the minute: still one rebuild
        draft = updates.Draft(f"Wages, part {n}", "Text.", None, (), (unit,), public=True)
        await updates.publish(db, GUILD, ORG, draft, NOW + timedelta(seconds=10 * n))
    assert [t.id for t in await _pending(db)] == [first[0].id]
    assert not out.exists()
    fired_at = NOW + timedelta(minutes=1, seconds=2)
    assert await timers.fire(db, first[0].id, fired_at) == "fired"
    await site.settled()
    files = read_folder(out)
    assert "Wages, part 2" in files["index.html"]
    # What waits now is tonight's rebuild (days waited change with the date).
    night = await _pending(db)
    assert [t.due_at for t in night] == [rebuild.next_night(fired_at, ZONE)]
    assert night[0].due_at.astimezone(ZoneInfo(ZONE)).hour == 0
    # A change later in the day asks for its own rebuild a minute after it.
    later = NOW + timedelta(hours=2)
    await updates.edit(db, GUILD, 1, ORG, later, title="Corrected", body="Text.", source_url=None)
    assert sorted(t.due_at for t in await _pending(db)) == [
        later + timedelta(minutes=1),
        night[0].due_at,
    ]


async def test_a_rebuild_that_fails_is_logged_and_leaves_the_folder_alone(db, tmp_path, caplog):
    await demo_server(db)
    folder = tmp_path / "www"
    folder.mkdir()
    (folder / "index.html").write_text("the union's own page")
    await site.set_folder(db, GUILD, folder, NOW)
    (pending,) = await _pending(db)
    assert await timers.fire(db, pending.id, NOW + timedelta(minutes=2)) == "fired"
    await site.settled()
    assert (folder / "index.html").read_text() == "the union's own page"
    assert "could not be rebuilt" in caplog.text and "did not build" in caplog.text
    assert len(await _pending(db)) == 1  # tonight's rebuild tries again


async def test_members_actions_do_not_rebuild(db, tmp_path):
    await demo_server(db)
    await site.set_folder(db, GUILD, tmp_path / "public", NOW)
    for t in await _pending(db):
        await timers.cancel(db, t.id)
    await site.request_rebuild(db, 999, NOW)  # a server without a site: nothing
    assert await _pending(db) == []
    await rebuild.on_audit(db, GUILD, "cat.approve", NOW)
    await rebuild.on_audit(db, GUILD, "question.answer", NOW)
    assert await _pending(db) == []
    await rebuild.on_audit(db, GUILD, "tracker.set", NOW)
    assert len(await _pending(db)) == 1


# -- the command line ------------------------------------------------------------------


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RANKFILE_"))}
    environ.update(env or {}, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", "site", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def test_site_build_demo_and_refusals(tmp_path):
    out = tmp_path / "demo-site"
    done = run("build", str(out), "--demo")
    assert done.returncode == 0, done.stderr
    assert re.match(r"site built in .*: 3\d pages, \d+ files", done.stdout)
    assert (out / "tracker" / "600.html").exists() and (out / "events.ics").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("years of work")
    refused = run("build", str(tmp_path / "mine"), "--demo")
    assert refused.returncode == 2 and "did not build" in refused.stderr
    assert "Traceback" not in refused.stderr
    no_site = run("build", str(tmp_path / "x"), env={"RANKFILE_DB": str(tmp_path / "r.db")})
    assert no_site.returncode == 2 and "--guild" in no_site.stderr


async def test_site_folder_builds_from_the_database_and_the_bot_takes_over(db, tmp_path):
    await demo_server(db)
    await db.close()
    env = {"RANKFILE_DB": str(db.path)}
    done = run("folder", str(tmp_path / "www"), env=env)
    assert done.returncode == 0, done.stderr
    assert "a minute after each public change" in done.stdout
    assert (tmp_path / "www" / "tracker" / "index.html").exists()
    await db.open()
    assert (await site.get_settings(db, GUILD)).out_dir == str(tmp_path / "www")


def test_site_serve_serves_a_built_folder_on_this_machine_only(tmp_path):
    out = tmp_path / "demo-site"
    assert run("build", str(out), "--demo").returncode == 0
    refused = run("serve", str(tmp_path))
    assert refused.returncode == 2 and "not a site rankfile built" in refused.stderr
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "site", "serve", str(out), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        base = f"http://127.0.0.1:{match.group(1)}"
        with urllib.request.urlopen(f"{base}/tracker/index.html", timeout=10) as page:
            assert page.status == 200 and b"Where bargaining stands" in page.read()
        with urllib.request.urlopen(f"{base}/updates.atom", timeout=10) as feed:
            assert feed.headers["Content-Type"] == "application/atom+xml"
    finally:
        server.terminate()
        server.wait(timeout=10)
