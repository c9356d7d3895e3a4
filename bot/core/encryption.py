"""Encryption at rest with SQLCipher (the optional `encryption` extra: sqlcipher3-binary).

With RANKFILE_DB_KEY set, the database and its backups are SQLCipher 4 files: nothing in
them reads without the key (not even SQLite's header). `bot.db.Database(path, key=...)`
opens one; this module holds the rest: whether SQLCipher is installed, whether a file is
encrypted, and converting a plain file to an encrypted one and back. The key is passed as
a bound parameter or a quoted literal built here, and never logged.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

SQLITE_HEADER = b"SQLite format 3\x00"
INSTALL_HINT = (
    "install the encryption extra (pip install 'rankfile[encryption]', i.e. sqlcipher3-binary)"
)


class EncryptionError(Exception):
    """An encrypted database cannot be used: the message says why, never the key."""


def module() -> ModuleType:
    """The sqlcipher3 module, or an EncryptionError saying how to install it."""
    try:
        return importlib.import_module("sqlcipher3")
    except ImportError as exc:
        raise EncryptionError(
            f"RANKFILE_DB_KEY is set but SQLCipher is missing: {INSTALL_HINT}."
        ) from exc


def available() -> bool:
    """Whether SQLCipher is installed."""
    try:
        module()
    except EncryptionError:
        return False
    return True


def is_encrypted(path: Path) -> bool | None:
    """True for a file that is not plain SQLite (SQLCipher's first bytes are random), False
    for a plain one, None when there is no file (or it is empty)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    if not head:
        return None
    return head != SQLITE_HEADER


def _literal(key: str) -> str:
    # PRAGMA key takes no bound parameters: a quoted SQL literal, quotes doubled.
    return "'" + key.replace("'", "''") + "'"


def key_statement(key: str) -> str:
    """The `PRAGMA key` statement for a passphrase (run before anything else)."""
    if not key:
        raise EncryptionError("RANKFILE_DB_KEY is empty: set a passphrase, or unset it.")
    return f"PRAGMA key = {_literal(key)}"


# SQLCipher writes its own "ERROR CORE ... hmac check failed" lines to stderr on a wrong key;
# rankfile says it in one line of its own (`wrong_key`), so SQLCipher's log is turned off.
QUIET = "PRAGMA cipher_log_level = NONE"


def connect(path: Path | str, **kwargs: Any) -> Any:
    """A sqlcipher3 connection to `path`, with SQLCipher's own logging off."""
    conn = module().connect(str(path), **kwargs)
    conn.execute(QUIET)
    return conn


def connector(path: Path | str, **kwargs: Any) -> Callable[[], Any]:
    """A factory for aiosqlite.Connection: a sqlcipher3 connection to `path`."""
    return functools.partial(connect, path, **kwargs)


def wrong_key(path: Path) -> EncryptionError:
    """The one line a wrong key (or a plain file given a key) stops start-up with."""
    return EncryptionError(
        f"RANKFILE_DB_KEY does not open {path}: the key is wrong, or the file is not an "
        "encrypted rankfile database (a plain one is converted with `rankfile db encrypt`)."
    )


def _open_sync(path: Path, key: str | None) -> Any:
    # sqlcipher3 reads plain files too (no key set), and only it has sqlcipher_export().
    conn = connect(path)
    if key:
        conn.execute(key_statement(key))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Exception as exc:
        conn.close()
        raise wrong_key(path) from exc
    return conn


def _private(path: Path) -> None:
    if path.exists():
        raise EncryptionError(f"{path} already exists: choose a new file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.unlink()  # SQLCipher creates it; the umask-free mode is set again after


def _convert(source: Path, destination: Path, source_key: str | None, dest_key: str | None) -> None:
    _private(destination)
    conn = _open_sync(source, source_key)
    try:
        # ATTACH with a KEY clause: '' makes a plain file, a passphrase an encrypted one.
        conn.execute(
            f"ATTACH DATABASE ? AS converted KEY {_literal(dest_key or '')}", (str(destination),)
        )
        conn.execute("SELECT sqlcipher_export('converted')")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        conn.execute(f"PRAGMA converted.user_version = {int(version)}")
        conn.execute(f"PRAGMA converted.application_id = {int(app_id)}")
        conn.execute("DETACH DATABASE converted")
    finally:
        conn.close()
    os.chmod(destination, 0o600)


def encrypt_file(source: Path, destination: Path, key: str) -> None:
    """Write an encrypted copy of the plain database `source` to `destination` (new file)."""
    if is_encrypted(source):
        raise EncryptionError(f"{source} is already encrypted.")
    _convert(source, destination, None, key)


def decrypt_file(source: Path, destination: Path, key: str) -> None:
    """Write a plain copy of the encrypted database `source` to `destination` (new file)."""
    if is_encrypted(source) is False:
        raise EncryptionError(f"{source} is not encrypted.")
    _convert(source, destination, key, None)
