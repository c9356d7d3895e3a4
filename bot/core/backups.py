"""Backups: online copies of the live database, checked, rotated, and restored safely.

A backup is made with SQLite's online backup API while the bot runs (`Database.backup_to`),
turned into a single self-contained file (journal mode DELETE), checked with
`PRAGMA integrity_check`, then renamed into place: a file named `rankfile-*.db` in the backup
folder is always a whole, checked backup. The folder keeps the newest N (RANKFILE_BACKUP_KEEP).
A restore refuses a file that is not a rankfile database, fails the check or was made by a
newer rankfile, and keeps the database it replaces next to it (`<name>.replaced-<time>`),
carrying over the list of members who deleted their data (bot.core.forgotten) so the restored
file forgets them again. A kept file is deleted with the backups as old as it: once every
backup older than it has been rotated out.

Deleting a member's data does not rewrite the backups: their data stays in the backups made
before the deletion until those rotate out (RANKFILE_BACKUP_KEEP days); a restore re-applies
the deletion (the README's data section says so).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core import forgotten
from bot.core.db import APPLICATION_ID, Database, from_db, load_migrations, to_db

log = logging.getLogger("rankfile.backups")

# How often the bot makes its own backup, and how old the newest may be before doctor warns.
DAILY = timedelta(hours=24)
RECENT = timedelta(hours=48)
# A heartbeat newer than this (and no stop recorded) means a bot is running on the file.
RUNNING_WITHIN = timedelta(minutes=3)

_NAME = re.compile(r"^rankfile-(\d{8}T\d{6}Z)-([a-z0-9-]+?)(?:-\d+)?\.db$")
_STAMP = "%Y%m%dT%H%M%SZ"
_REPLACED = re.compile(r"\.replaced-(\d{8}T\d{6}Z)$")

LOG_BACKUP = "INSERT INTO backup_log (path, reason, made_at, size_bytes, ok) VALUES (?, ?, ?, ?, ?)"
HEARTBEAT = "SELECT updated_at, stopped_at FROM heartbeat WHERE id = 1"


class BackupError(Exception):
    """A backup could not be made or a restore was refused: the message says why."""


@dataclass(frozen=True)
class BackupFile:
    """One backup in the backup folder."""

    path: Path
    made_at: datetime
    reason: str
    size: int


@dataclass(frozen=True)
class Restored:
    """What a restore did: the file now in place, and where the replaced one was kept."""

    db_path: Path
    kept: Path | None
    schema_version: int


def backup_dir(db_path: Path, configured: Path | None) -> Path:
    """The backup folder: RANKFILE_BACKUP_DIR, else `backups/` next to the database."""
    return configured if configured is not None else db_path.parent / "backups"


def list_backups(directory: Path) -> list[BackupFile]:
    """The backups in `directory`, newest first (only files named as rankfile names them)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if not match or not path.is_file():
            continue
        made_at = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
        found.append(BackupFile(path, made_at, match.group(2), path.stat().st_size))
    found.sort(key=lambda b: (b.made_at, b.path.name), reverse=True)
    return found


def latest(directory: Path) -> BackupFile | None:
    """The newest backup in `directory`, or None."""
    backups = list_backups(directory)
    return backups[0] if backups else None


def _connect(path: Path, key: str | None, *, readonly: bool = False) -> Any:
    # An encrypted database (RANKFILE_DB_KEY) and its backups open through SQLCipher.
    if key:
        from bot.core import encryption

        conn = encryption.connect(path)
        conn.execute(encryption.key_statement(key))
        return conn
    if readonly:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    return sqlite3.connect(path)


def check_file(path: Path, key: str | None = None) -> str | None:
    """Why `path` is not a usable rankfile database (None when it is one, and whole).

    `key`: the RANKFILE_DB_KEY passphrase when the databases are encrypted.
    """
    if not path.is_file():
        return f"there is no file at {path}"
    try:
        conn = _connect(path, key, readonly=True)
    except sqlite3.Error as exc:
        return f"{path} cannot be opened ({exc})"
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID:
            return f"{path} is not a rankfile database"
        result = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except Exception as exc:
        hint = " with this RANKFILE_DB_KEY" if key else ""
        return f"{path} is not a rankfile database{hint} ({exc})"
    finally:
        conn.close()
    if result != ["ok"]:
        return f"{path} fails SQLite's integrity check ({result[0][:200]})"
    known = len(load_migrations())
    if version > known:
        return (
            f"{path} was made by a newer rankfile (schema {version}, this one knows {known}): "
            "upgrade rankfile first"
        )
    return None


def _finish(path: Path, key: str | None = None) -> None:
    # One self-contained file: a backup must not depend on a -wal file next to it.
    conn = _connect(path, key)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    os.chmod(path, 0o600)


def _free_name(directory: Path, stamp: str, reason: str) -> Path:
    path = directory / f"rankfile-{stamp}-{reason}.db"
    number = 1
    while path.exists():
        number += 1
        path = directory / f"rankfile-{stamp}-{reason}-{number}.db"
    return path


def _prepare(directory: Path, now: datetime, reason: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)  # the copies hold members' data, like the database
    final = _free_name(directory, now.astimezone(UTC).strftime(_STAMP), reason)
    return final, final.with_name(final.name + ".partial")


def _seal(partial: Path, final: Path, key: str | None) -> str | None:
    # Self-contained, checked, then renamed: a rankfile-*.db file is always a whole backup.
    _finish(partial, key)
    problem = check_file(partial, key)
    if problem is None:
        partial.replace(final)
    return problem


async def make_backup(
    db: Database,
    directory: Path,
    now: datetime,
    *,
    reason: str = "daily",
    keep: int = 7,
    key: str | None = None,
) -> BackupFile:
    """Copy the live database into `directory`, check it, keep the newest `keep` backups.

    Raises BackupError (and leaves no file) when the copy fails `integrity_check`. `key`:
    the database's RANKFILE_DB_KEY (its backups are encrypted with it).
    """
    if not re.fullmatch(r"[a-z0-9-]+", reason):
        raise ValueError("a backup reason is lowercase letters, digits and dashes")
    final, partial = await asyncio.to_thread(_prepare, directory, now, reason)
    try:
        await db.backup_to(partial)
        problem = await asyncio.to_thread(_seal, partial, final, key)
        if problem is not None:
            raise BackupError(f"the backup failed its check: {problem}")
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
    size = (await asyncio.to_thread(final.stat)).st_size
    with contextlib.suppress(sqlite3.Error):
        await db.execute(LOG_BACKUP, (str(final), reason, to_db(now), size, 1))
    removed = prune(directory, keep)
    if str(db.path) != ":memory:":
        removed += prune_replaced(db.path, directory)
    log.info("backup %s written (%d bytes), %d old removed", final.name, size, len(removed))
    return BackupFile(final, now, reason, size)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; return the deleted paths."""
    removed = []
    for old in list_backups(directory)[max(keep, 1) :]:
        old.path.unlink(missing_ok=True)
        removed.append(old.path)
    return removed


def replaced_files(db_path: Path) -> list[tuple[Path, datetime]]:
    """The databases a restore replaced and kept next to `db_path`, newest first."""
    found = []
    for path in db_path.parent.glob(f"{db_path.name}.replaced-*"):
        match = _REPLACED.search(path.name)
        if match and path.is_file():
            made = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            found.append((path, made))
    found.sort(key=lambda f: f[1], reverse=True)
    return found


def prune_replaced(db_path: Path, directory: Path) -> list[Path]:
    """Delete the kept `.replaced-*` databases older than the oldest backup still kept: the
    backups as old as them are gone, so they go too (they may hold deleted members' data)."""
    backups = list_backups(directory)
    if not backups:
        return []
    oldest = backups[-1].made_at
    removed = []
    for path, made in replaced_files(db_path):
        if made < oldest:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


async def backup_if_due(
    db: Database,
    directory: Path,
    now: datetime,
    *,
    keep: int = 7,
    every: timedelta = DAILY,
    key: str | None = None,
) -> BackupFile | None:
    """Make the daily backup when the newest one is older than `every` (or there is none)."""
    newest = latest(directory)
    if newest is not None and now - newest.made_at < every:
        return None
    return await make_backup(db, directory, now, reason="daily", keep=keep, key=key)


def bot_running(db_path: Path, now: datetime, key: str | None = None) -> bool:
    """True when a bot recorded a heartbeat on this file lately and has not recorded a stop."""
    if not db_path.is_file():
        return False
    try:
        conn = _connect(db_path, key, readonly=True)
        try:
            row = conn.execute(HEARTBEAT).fetchone()
        finally:
            conn.close()
    except Exception:
        return False
    if row is None or row[1] is not None:
        return False
    updated = from_db(row[0])
    return updated is not None and now - updated < RUNNING_WITHIN


def restore(
    db_path: Path, source: Path, now: datetime, *, force: bool = False, key: str | None = None
) -> Restored:
    """Put the backup `source` in place of the database at `db_path`.

    Refuses (BackupError) a file that is not a whole rankfile database, and a database a
    running bot is using (unless `force`). The replaced file is kept as
    `<name>.replaced-<time>` next to it, and its list of deleted members is carried into the
    restored file (re-applied by bot.privacy at the next start or by `rankfile db restore`).
    `key`: RANKFILE_DB_KEY when encrypted.
    """
    problem = check_file(source, key)
    if problem is not None:
        raise BackupError(f"not restoring: {problem}. The current database is unchanged.")
    if source.resolve() == db_path.resolve():
        raise BackupError("not restoring: that is the database itself")
    if not force and bot_running(db_path, now, key):
        raise BackupError(
            "not restoring: the bot is running on this database. Stop it first "
            "(`sudo systemctl stop rankfile` or `docker compose stop`), then restore."
        )
    kept: Path | None = None
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        kept = db_path.with_name(f"{db_path.name}.replaced-{now.astimezone(UTC).strftime(_STAMP)}")
        fd = os.open(kept, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
        # Through SQLite, so what the -wal file held is kept too.
        current = _connect(db_path, key)
        target = _connect(kept, key)
        try:
            current.backup(target)
        finally:
            target.close()
            current.close()
        _finish(kept, key)
    else:
        fd = os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    src = _connect(source, key, readonly=True)
    dest = _connect(db_path, key)
    try:
        src.backup(dest)
        version = dest.execute("PRAGMA user_version").fetchone()[0]
        if kept is not None:
            # Members who deleted their data since the backup are forgotten again.
            old = _connect(kept, key, readonly=True)
            try:
                forgotten.carry_over(old, dest)
            finally:
                old.close()
    finally:
        dest.close()
        src.close()
    os.chmod(db_path, 0o600)
    log.info("database restored from a backup; the replaced file was kept")
    return Restored(db_path, kept, int(version))
