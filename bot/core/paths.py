"""Where rankfile's own files are: the migrations and the demo content (data/)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
# A source checkout (or editable install) keeps data/ beside bot/; a wheel ships it as bot/data/.
DATA_DIR = next(
    (p for p in (_PACKAGE.parent / "data", _PACKAGE / "data") if (p / "migrations").is_dir()),
    _PACKAGE.parent / "data",
)
MIGRATIONS_DIR = DATA_DIR / "migrations"
DEMO_DIR = DATA_DIR / "demo"
