"""The database under trouble: locked by another process, the disk full, a stranger's file.

A lock shorter than the busy timeout is waited out; a longer one gets the member a clear
"busy, try again" message with nothing saved, and the bot keeps working once it is released.
A full disk is the same: a clear message, nothing half-written, the next command works. A
file that is not a rankfile database stops the start with one line.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def hold_lock(path: Path, seconds: float, ready: threading.Event) -> threading.Thread:
    """Another process's writer: BEGIN EXCLUSIVE held for `seconds` in a thread."""

    def run() -> None:
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        ready.set()
        threading.Event().wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


async def _questions(rig) -> int:
    return await rig.db.fetchval("SELECT count(*) FROM committee_question")


async def _lock(rig, seconds: float) -> threading.Thread:
    ready = threading.Event()
    t = hold_lock(rig.db_path, seconds, ready)
    await asyncio.to_thread(ready.wait, 5)
    return t


async def test_a_short_lock_is_waited_out(rig):
    t = await _lock(rig, 0.8)
    r = await rig.command("alice", "/ask committee question: When is the vote?")
    t.join()
    assert "Question #1" in r.text, r.text
    assert await _questions(rig) == 1


async def test_a_long_lock_gets_a_clear_try_again(rig):
    await rig.db.execute("PRAGMA busy_timeout = 200")  # the bot's 5 s, shortened for the test
    t = await _lock(rig, 1.5)
    r = await rig.command("alice", "/ask committee question: When is the vote?")
    assert r.ephemeral and "busy" in r.text and "try again" in r.text, r.text
    assert not rig.driver.errors
    await asyncio.to_thread(t.join)
    assert await _questions(rig) == 0
    r = await rig.command("alice", "/ask committee question: When is the vote?")
    assert "Question #1" in r.text, r.text


async def test_a_full_disk_saves_nothing_and_says_so(rig):
    pages = await rig.db.fetchval("PRAGMA page_count")
    await rig.db.execute(f"PRAGMA max_page_count = {pages}")
    question = ("Will the new contract cover overtime for weekend shoots? " * 20)[:1000]
    saved = full = 0
    for _ in range(12):  # until the pages the file already has are used up
        rig.clock.advance(minutes=1)  # past the committee question's cooldown (bot.core.limits)
        r = await rig.command("alice", f"/ask committee question: {question}")
        assert r.ephemeral
        if "full" in r.text:
            full += 1
            break
        assert "Question #" in r.text, r.text
        saved += 1
    assert full == 1, "the disk never filled"
    assert not rig.driver.errors
    assert await _questions(rig) == saved  # the refused one left nothing behind
    await rig.db.execute("PRAGMA max_page_count = 1073741823")
    rig.clock.advance(minutes=1)
    r = await rig.command("alice", "/ask committee question: When is the vote?")
    assert f"Question #{saved + 1}" in r.text, r.text  # no transaction left open


def _run_bot(db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "RANKFILE_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_file_that_is_not_a_rankfile_database_stops_the_start(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"these are not the bytes of a database" * 10)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    for path, says in ((junk, "not a SQLite database"), (other, "not a rankfile database")):
        before = _contents(path)
        p = _run_bot(path)
        lines = [line for line in p.stderr.splitlines() if line.strip()]
        assert p.returncode != 0
        assert len(lines) == 1 and says in lines[0], p.stderr
        assert TOKEN not in p.stderr + p.stdout
        assert _contents(path) == before  # the stranger's data is untouched


def _contents(path: Path) -> object:
    """A file's tables and rows, or its bytes when it is not a database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT * FROM invoices").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return path.read_bytes()
