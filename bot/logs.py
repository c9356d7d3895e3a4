"""The one logging setup: readable text or JSON lines, optionally to a rotating file.

Log events, never personal data: messages name commands, ids of rows and error types, not
members or what they wrote. The token is scrubbed from every record as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from datetime import UTC, datetime

from bot.config import Settings

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class Scrub(logging.Filter):
    """Replaces secrets in a record's final text with stars."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, scrubbed, so formatters see the clean text."""
        if not self.secrets:
            return True
        text = record.getMessage()
        for secret in self.secrets:
            text = text.replace(secret, "**********")
        record.msg, record.args = text, ()
        return True


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
            entry["traceback"] = self.formatException(record.exc_info)
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
            logging.handlers.RotatingFileHandler(
                settings.log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
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
