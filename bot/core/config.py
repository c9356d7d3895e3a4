"""Settings from the environment and an optional .env file, checked once at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
# A bot token is three base64url parts: the user id, a timestamp and an HMAC.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


class ConfigError(Exception):
    """A missing or malformed setting: one line that says which and how to fix it."""


class Secret:
    """A value that never prints: repr and str show stars."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret itself, for the one place that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything rankfile reads from its environment."""

    token: Secret | None = None
    db_path: Path = Path("data/rankfile.db")
    dev_guild: int | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    log_file: Path | None = None
    backup_dir: Path | None = None
    backup_keep: int = 7
    # RANKFILE_DB_KEY: the SQLCipher passphrase (bot/encryption.py); None: a plain file.
    db_key: Secret | None = None
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def database_key(self) -> str | None:
        """RANKFILE_DB_KEY's value (the database is SQLCipher-encrypted), or None."""
        return self.db_key.get() if self.db_key else None

    def require_token(self) -> str:
        """The token, or a ConfigError that says how to get one."""
        if not self.token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: create a bot at https://discord.com/developers/"
                "applications (Bot > Reset Token), put DISCORD_TOKEN=... in .env, "
                "or try the offline `rankfile sandbox`."
            )
        return self.token.get()


def read_env_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines from a .env file (comments, blank lines and quotes allowed)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    *,
    need_token: bool = True,
) -> Settings:
    """Build Settings from the environment, over values from `env_file` when it exists.

    With `need_token` False (commands that never log in), a value of DISCORD_TOKEN that is not
    a token (the README's placeholder) is left out instead of refused."""
    values: dict[str, str] = {}
    if env_file is not None:
        values.update(read_env_file(env_file))
    values.update(os.environ if environ is None else environ)

    token = values.get("DISCORD_TOKEN", "").strip()
    if token and not _TOKEN_SHAPE.match(token) and not need_token:
        token = ""
    if token and not _TOKEN_SHAPE.match(token):
        # Never echo the token: say only what is wrong with its shape.
        raise ConfigError(
            "DISCORD_TOKEN does not look like a bot token (three parts separated by dots): "
            "copy it again from the Developer Portal, Bot > Reset Token."
        )
    dev_guild_raw = values.get("RANKFILE_DEV_GUILD", "").strip()
    if dev_guild_raw and not dev_guild_raw.isdigit():
        raise ConfigError(
            "RANKFILE_DEV_GUILD must be a server id (digits): right-click the server "
            "with Developer Mode on, Copy Server ID."
        )
    level = values.get("RANKFILE_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ConfigError(f"RANKFILE_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    log_format = values.get("RANKFILE_LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ConfigError("RANKFILE_LOG_FORMAT must be text or json")
    keep_raw = values.get("RANKFILE_BACKUP_KEEP", "7").strip() or "7"
    if not keep_raw.isdigit() or int(keep_raw) < 1:
        raise ConfigError("RANKFILE_BACKUP_KEEP must be a whole number of backups, 1 or more")
    db_path = Path(values.get("RANKFILE_DB", "").strip() or "data/rankfile.db")
    backup_raw = values.get("RANKFILE_BACKUP_DIR", "").strip()
    log_file_raw = values.get("RANKFILE_LOG_FILE", "").strip()
    return Settings(
        token=Secret(token) if token else None,
        db_path=db_path,
        dev_guild=int(dev_guild_raw) if dev_guild_raw else None,
        log_level=level,
        log_format=log_format,
        log_file=Path(log_file_raw) if log_file_raw else None,
        backup_dir=Path(backup_raw) if backup_raw else db_path.parent / "backups",
        backup_keep=int(keep_raw),
        db_key=Secret(values["RANKFILE_DB_KEY"]) if values.get("RANKFILE_DB_KEY") else None,
        extra={
            k: v for k, v in values.items() if k.startswith("RANKFILE_") and k != "RANKFILE_DB_KEY"
        },
    )
