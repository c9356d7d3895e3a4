"""Building the site into a folder, atomically: the new site is written into a fresh folder
beside the target, then swapped in with a rename; the previous one stays in place until the
swap has succeeded, so a web server serving the folder never shows half a site.

Only a folder rankfile built (it holds a `.rankfile-site` marker), an empty one or a new path
is ever replaced: `rankfile site build ~` is refused, not emptied.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.db import Database
from bot.core.errors import UserError
from bot.site.gather import Snapshot, gather
from bot.site.render import render_site

log = logging.getLogger("rankfile.site")

MARKER = ".rankfile-site"
# Leftovers of a build that crashed are removed by a later build once this old (seconds).
STALE_AFTER = 3600
_RENAME_EXCHANGE = 2  # renameat2(2) flag: swap two paths atomically (Linux)
_AT_FDCWD = -100


@dataclass(frozen=True)
class Built:
    """What a build wrote."""

    folder: Path
    files: int
    pages: int
    total_bytes: int
    largest_page: tuple[str, int]


def _check_target(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UserError(f"{out} exists and is not a folder: choose a folder for the site.")
    if out.is_dir() and not (out / MARKER).exists() and any(out.iterdir()):
        raise UserError(
            f"{out} already holds files rankfile did not build: choose a new or empty folder "
            "(the site replaces the folder's whole content)."
        )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step where the system can (Linux renameat2); False otherwise."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return False
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    done = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _swap(new: Path, out: Path) -> None:
    """Put `new` at `out`; the previous `out` is removed only once `new` is in place."""
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the previous site
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)  # the previous site comes back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _clean_leftovers(out: Path) -> None:
    cutoff = time.time() - STALE_AFTER
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*"):
        for path in out.parent.glob(pattern):
            if path.is_dir() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)


def write_site(files: dict[str, bytes], out: Path) -> Built:
    """Write `files` as the site at `out`, atomically (see the module's docstring)."""
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    _check_target(out)
    _clean_leftovers(out)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent)).resolve()
    try:
        for rel, data in files.items():
            path = new / rel
            if new not in path.resolve().parents:
                raise ValueError(f"a site file outside the folder: {rel!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (new / MARKER).write_text("Built by rankfile (`rankfile site build`).\n", encoding="utf-8")
        # Readable by the web server whatever the bot's umask (the service's is 0077, and
        # mkdtemp makes 0700): the site is public by design.
        for folder, _, names in os.walk(new):
            os.chmod(folder, 0o755)  # noqa: S103
            for name in names:
                os.chmod(os.path.join(folder, name), 0o644)
        _swap(new, out)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    pages = {k: len(v) for k, v in files.items() if k.endswith(".html")}
    largest = max(pages.items(), key=lambda kv: kv[1], default=("", 0))
    return Built(out, len(files), len(pages), sum(len(v) for v in files.values()), largest)


def render_and_write(snap: Snapshot, out: Path) -> Built:
    """Render a snapshot and write it (blocking: run it in a thread from the bot)."""
    return write_site(render_site(snap), out)


async def build(db: Database, guild_id: int, out: Path, now: datetime) -> Built:
    """Gather what the server publishes and build the site into `out`."""
    snap = await gather(db, guild_id, now)
    built = await asyncio.to_thread(render_and_write, snap, out)
    log.info("site built: %s files, %s bytes", built.files, built.total_bytes)
    return built
