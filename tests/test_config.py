"""Settings: clear one-line errors, the token never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz012345"


def test_defaults_without_anything(tmp_path):
    settings = load_settings({}, env_file=tmp_path / "missing.env")
    assert settings.token is None
    assert settings.db_path == Path("data/rankfile.db")
    with pytest.raises(ConfigError, match="rankfile sandbox"):
        settings.require_token()


def test_env_file_is_read_and_environment_wins(tmp_path):
    env = tmp_path / ".env"
    env.write_text(f'# comment\nDISCORD_TOKEN="{TOKEN}"\nRANKFILE_DB=/tmp/a.db\n')
    settings = load_settings({"RANKFILE_DB": "/tmp/b.db"}, env_file=env)
    assert settings.token.get() == TOKEN
    assert settings.db_path == Path("/tmp/b.db")
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DISCORD_TOKEN": "not-a-token"}, "does not look like a bot token"),
        ({"RANKFILE_DEV_GUILD": "abc"}, "server id"),
        ({"RANKFILE_LOG_LEVEL": "LOUD"}, "RANKFILE_LOG_LEVEL"),
        ({"RANKFILE_LOG_FORMAT": "xml"}, "text or json"),
        ({"RANKFILE_BACKUP_KEEP": "0"}, "RANKFILE_BACKUP_KEEP"),
    ],
)
def test_bad_settings_say_which_and_how(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(env, env_file=tmp_path / "none")
    assert "\n" not in str(caught.value)
    assert "not-a-token" not in str(caught.value)
