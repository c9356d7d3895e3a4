"""The one logging setup: readable text or JSON lines, optionally to a rotating file.

Log events, never personal data: messages name commands, ids of rows and error types, not
members or what they wrote. The token is scrubbed from every record as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from datetime import UTC, datetime

from bot.core.config import Settings

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# RANKFILE_LOG_FILE rotates at this size, keeping this many old files.
FILE_MAX_BYTES = 5_000_000
FILE_BACKUPS = 5


class Scrub(logging.Filter):
    """Replaces secrets in a record's final text with stars."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, scrubbed, so formatters see the clean text."""
        if not self.secrets:
            return True
        record.msg, record.args = self.scrub(record.getMessage()), ()
        # A traceback can carry the token too (an exception's message, a URL, a header).
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced by stars."""
        for secret in self.secrets:
            text = text.replace(secret, "**********")
        return text


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file readable by its owner only (logs name servers and row ids)."""

    def _open(self):
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (and the exception type)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(settings: Settings) -> None:
    """Configure the root logger once, from the settings."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter: logging.Formatter = (
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(_FORMAT)
    )
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if settings.log_file is not None:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            PrivateRotatingFileHandler(
                settings.log_file,
                maxBytes=FILE_MAX_BYTES,
                backupCount=FILE_BACKUPS,
                encoding="utf-8",
            )
        )
    scrub = Scrub([settings.token.get()] if settings.token else [])
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(scrub)
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    # discord.py is chatty at INFO about gateway details; keep its warnings and errors.
    logging.getLogger("discord").setLevel(max(logging.INFO, root.level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
