"""One aiosqlite connection per process: WAL, foreign keys, numbered migrations, transactions.

Every statement goes through one lock, so a coroutine never reads another's half-done
transaction. Inside `async with db.transaction():` the same task may call any domain
function that uses `db`: it joins the open transaction instead of starting its own.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.paths import MIGRATIONS_DIR

# PRAGMA application_id marks a file as ours ("RNKF"), so we never migrate a stranger's file.
APPLICATION_ID = 0x524E4B46
BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_in_transaction: contextvars.ContextVar[Database | None] = contextvars.ContextVar(
    "rankfile_in_transaction", default=None
)

Params = Sequence[Any] | dict[str, Any]


class DatabaseError(Exception):
    """The database cannot be used: the message says why and what to do."""


class NotRankfileDatabase(DatabaseError):
    """The file exists but was not made by rankfile."""


class DatabaseTooNew(DatabaseError):
    """The file was migrated by a newer rankfile than this one."""


@dataclass(frozen=True)
class Migration:
    """One numbered schema change from data/migrations."""

    version: int
    name: str
    sql: str


def to_db(when: datetime) -> str:
    """An aware datetime as stored: ISO 8601 in UTC, fixed width, so text order is time order."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: rankfile stores aware UTC times only")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str | None) -> datetime | None:
    """A stored time back as an aware UTC datetime (None stays None)."""
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(UTC)


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a gap or a duplicate number is an error."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise DatabaseError(f"migration file {path.name} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise DatabaseError(f"migrations must be numbered 1, 2, 3...: {migration.name}")
    return found


def _create_private(path: Path) -> None:
    """Create the file readable by this user only (it holds members' data)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


class Database:
    """The bot's single connection to its SQLite file."""

    def __init__(
        self, path: Path | str, *, migrations_dir: Path = MIGRATIONS_DIR, key: str | None = None
    ) -> None:
        self.path = Path(path)
        self.migrations_dir = migrations_dir
        # RANKFILE_DB_KEY: a SQLCipher file (bot/encryption.py); None is plain SQLite.
        self._key = key
        self._errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._after_commit: list[Callable[[], None]] = []
        self._listeners: dict[str, list[Callable[[], None]]] = {}

    # -- opening and closing -------------------------------------------------------------

    async def open(self) -> None:
        """Open the file (creating it private), in WAL mode with foreign keys on."""
        if self._conn is not None:
            return
        if self._key is not None:
            await self._open_encrypted()
            return
        if str(self.path) != ":memory:":
            _create_private(self.path)
        conn = None
        try:
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten, not left readable in free pages (/privacy delete).
            await conn.execute("PRAGMA secure_delete = ON")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                # Its thread is not a daemon: left open, the process could never exit.
                await conn.close()
            raise NotRankfileDatabase(
                f"{self.path} is not a SQLite database ({exc}): point RANKFILE_DB at a rankfile "
                "database or at a new file name."
            ) from exc
        self._conn = conn

    async def _open_encrypted(self) -> None:
        """Open a SQLCipher file: PRAGMA key before anything else; a wrong key is one line."""
        from bot.core import encryption

        cipher = encryption.module()
        _create_private(self.path)
        conn = aiosqlite.Connection(
            encryption.connector(self.path, isolation_level=None), iter_chunk_size=64
        )
        await conn
        conn.row_factory = cipher.Row
        try:
            await conn.execute(encryption.key_statement(self._key or ""))
            await conn.execute("SELECT count(*) FROM sqlite_master")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten, not left readable in free pages (/privacy delete).
            await conn.execute("PRAGMA secure_delete = ON")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
        except cipher.DatabaseError as exc:
            await conn.close()
            raise DatabaseError(str(encryption.wrong_key(self.path))) from exc
        self._errors = (sqlite3.Error, cipher.Error)
        self._conn = conn

    async def close(self) -> None:
        """Close the connection (after any transaction in flight has finished)."""
        if self._conn is None:
            return
        async with self._lock:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._conn is None:
            raise DatabaseError("the database is not open")
        return self._conn

    # -- migrations ----------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The number of the last migration applied to this file."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def check_ownership(self) -> None:
        """Refuse a file that another program made (ours, or empty, is fine)."""
        app_id = (await self.fetchone("PRAGMA application_id"))[0]
        if app_id == APPLICATION_ID:
            return
        tables = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        if app_id != 0 or tables:
            raise NotRankfileDatabase(
                f"{self.path} is not a rankfile database (it holds other tables): point "
                "RANKFILE_DB at a rankfile database or at a new file name."
            )

    async def pending_migrations(self) -> list[Migration]:
        """Migrations not yet applied; refuses a file newer than this code."""
        await self.check_ownership()
        migrations = load_migrations(self.migrations_dir)
        current = await self.schema_version()
        if current > len(migrations):
            raise DatabaseTooNew(
                f"{self.path} is at schema version {current} but this rankfile knows only "
                f"{len(migrations)}: upgrade rankfile, or restore a backup made by this version."
            )
        return [m for m in migrations if m.version > current]

    async def migrate(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction; return their numbers."""
        applied: list[int] = []
        for migration in await self.pending_migrations():
            async with self._lock:
                script = (
                    "BEGIN IMMEDIATE;\n"
                    f"{migration.sql}\n;"
                    f"PRAGMA application_id = {APPLICATION_ID};"
                    f"PRAGMA user_version = {migration.version};\n"
                    "COMMIT;"
                )
                try:
                    await self.conn.executescript(script)
                except self._errors as exc:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise DatabaseError(f"migration {migration.name} failed: {exc}") from exc
            applied.append(migration.version)
        return applied

    # -- statements ----------------------------------------------------------------------

    @asynccontextmanager
    async def _access(self) -> AsyncIterator[aiosqlite.Connection]:
        if _in_transaction.get() is self:
            yield self.conn
            return
        async with self._lock:
            yield self.conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last inserted row id (or the row count for updates)."""
        async with self._access() as conn:
            cursor = await conn.execute(sql, params)
            # An INSERT answers its new row id, or 0 when ON CONFLICT DO NOTHING skipped it.
            if sql.lstrip()[:6].upper() == "INSERT":
                result = cursor.lastrowid if cursor.rowcount > 0 else 0
            else:
                result = cursor.rowcount
            await cursor.close()
            return int(result or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for many parameter rows; return the row count."""
        async with self._access() as conn:
            cursor = await conn.executemany(sql, rows)
            count = cursor.rowcount
            await cursor.close()
            return int(count)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query."""
        async with self._access() as conn:
            cursor = await conn.execute(sql, params)
            rows = await cursor.fetchall()
            await cursor.close()
            return list(rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        async with self._access() as conn:
            cursor = await conn.execute(sql, params)
            row = await cursor.fetchone()
            await cursor.close()
            return row

    async def fetchval(self, sql: str, params: Params = (), default: Any = None) -> Any:
        """The first column of the first row, or `default`."""
        row = await self.fetchone(sql, params)
        return default if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

        Nested use in the same task joins the outer transaction. Never await Discord
        inside: hold the lock only for database work.
        """
        if _in_transaction.get() is self:
            yield self
            return
        async with self._lock:
            token = _in_transaction.set(self)
            callbacks: list[Callable[[], None]] = []
            self._after_commit = callbacks
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    # SQLite may have rolled back already (disk full does): then ROLLBACK
                    # would raise and hide the real error.
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise
                try:
                    await self.conn.execute("COMMIT")
                except BaseException:
                    # A failed COMMIT (disk full, I/O error) leaves the transaction open:
                    # roll it back, or every later BEGIN fails on this connection.
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise
            finally:
                _in_transaction.reset(token)
                self._after_commit = []
        for callback in callbacks:
            callback()

    # -- notifications -------------------------------------------------------------------

    def subscribe(self, topic: str, callback: Callable[[], None]) -> None:
        """Call `callback` after each commit that notified `topic` (e.g. new deliveries)."""
        self._listeners.setdefault(topic, []).append(callback)

    def notify(self, topic: str) -> None:
        """Tell `topic`'s listeners, after the current transaction commits (at once outside)."""
        listeners = list(self._listeners.get(topic, ()))
        if _in_transaction.get() is self:
            self._after_commit.extend(listeners)
        else:
            for callback in listeners:
                callback()

    async def checkpoint(self) -> None:
        """Fold the -wal file into the database and truncate it to nothing, so what was just
        deleted is not left readable in rankfile.db-wal (after /privacy delete). Outside a
        transaction; a busy reader makes it a partial checkpoint, never an error."""
        if _in_transaction.get() is self:
            raise RuntimeError("checkpoint() runs after the transaction, not inside it")
        async with self._lock:
            cursor = await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            await cursor.close()

    # -- backups -------------------------------------------------------------------------

    async def backup_to(self, destination: Path) -> None:
        """Copy the live database to `destination` with SQLite's online backup API."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        _create_private(destination)
        async with self._lock:
            if self._key is not None:
                from bot.core import encryption

                # An encrypted database's backups are encrypted with the same key.
                target = aiosqlite.Connection(encryption.connector(destination), iter_chunk_size=64)
                await target
                await target.execute(encryption.key_statement(self._key))
            else:
                target = await aiosqlite.connect(destination)
            try:
                await self.conn.backup(target)
            finally:
                await target.close()
        os.chmod(destination, 0o600)
