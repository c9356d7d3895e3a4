"""Form fields as members type them: trimmed, single-spaced, length-checked."""

from __future__ import annotations

from bot.core.errors import UserError

FIELD_MAX = 100


def clean(value: str | None, label: str, limit: int = FIELD_MAX) -> str:
    """A form field, trimmed and single-spaced; UserError when empty or too long."""
    text = " ".join((value or "").split())
    if not text:
        raise UserError(f"The {label} is empty: fill it in and send the form again.")
    if len(text) > limit:
        raise UserError(
            f"The {label} is {len(text)} characters long; keep it to {limit} and send the form "
            "again."
        )
    return text


def not_negative(value: int | None, what: str) -> None:
    """Refuse a negative count (None is "not given")."""
    if value is not None and value < 0:
        raise UserError(f"The {what} can't be negative: give 0 or more.")
