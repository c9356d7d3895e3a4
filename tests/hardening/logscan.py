"""Capture every log line of the hardening session and scan it for secrets and personal data.

Secrets are the bot tokens of every fake the session started; personal data is every value
of every column the members' data declaration (`bot.privacy.declared()`) says holds a
member's id or text (the CAT roster, who asked what, anonymous questions' authors...), read
from each rig's database at the end.
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
from pathlib import Path

# Logs of the test machinery itself (the fake, the driver) are not the bot's logs.
IGNORED_LOGGERS = ("rankfile.fake_discord", "rankfile.driver")


class Capture(logging.Handler):
    """Keeps the text of every record at INFO and above, with its exception text."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(IGNORED_LOGGERS):
            return
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.lines.append(f"{record.name}: {text}")


CAPTURE = Capture()
TOKENS: set[str] = set()
DATABASES: set[Path] = set()


def register(db_path: Path, token: str) -> None:
    """Remember a rig's database (read at the end) and its fake's token."""
    DATABASES.add(Path(db_path))
    TOKENS.add(token)


def personal_values(db_path: Path) -> set[str]:
    """Every declared member id and member text in one database (short texts left out)."""
    from bot import privacy

    found: set[str] = set()
    if not db_path.exists():
        return found
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for use in privacy.declared():
            for personal in use.columns:
                try:
                    rows = conn.execute(
                        f'SELECT DISTINCT "{personal.column}" FROM "{use.table}"'
                    ).fetchall()
                except sqlite3.Error:
                    continue
                for (value,) in rows:
                    if value is None:
                        continue
                    text = str(value).strip()
                    if personal.column.endswith(("channel_id", "message_id")):
                        # A DM channel's or message's id, not a person's: discord.py's own
                        # rate-limit warnings print routes that hold them.
                        continue
                    if personal.holds == "member id" and text.isdigit() and len(text) >= 6:
                        found.add(text)
                    elif personal.holds == "member text" and len(text) >= 12:
                        found.add(text[:60])
    finally:
        conn.close()
    return found


def scan() -> list[str]:
    """Log lines holding a token or a member's id or text: (what, line) descriptions."""
    needles = {t: "a bot token" for t in TOKENS}
    for path in DATABASES:
        for value in personal_values(path):
            needles.setdefault(value, "a member's id or text")
    hits = []
    for line in CAPTURE.lines:
        for needle, what in needles.items():
            if needle and needle in line:
                hits.append(f"{what} in a log line: {line[:200]!r}")
                break
    return hits
