"""The one CSV writer: every file of members' data the bot hands out as CSV goes through here.

A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula, so text a member typed could run in an organizer's spreadsheet
("formula injection"). Every text cell is escaped as OWASP advises: such a cell gets a leading
apostrophe, which spreadsheets show as plain text. Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# What a spreadsheet may read as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """One cell, safe to open in a spreadsheet: text that could start a formula is quoted with
    a leading apostrophe; numbers stay numbers; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, preamble: Sequence[str] = ()
) -> bytes:
    """The rows as UTF-8 CSV bytes: optional one-cell preamble lines (e.g. "this export is
    recorded"), the header, then every row with each cell escaped by `cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in preamble:
        writer.writerow([cell(line)])
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue().encode("utf-8")
