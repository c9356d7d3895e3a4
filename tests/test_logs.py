"""The one logging setup: text or JSON lines, a rotating private file, the token never written."""

from __future__ import annotations

import json
import logging
import stat

import pytest

from bot.core import logs
from bot.core.config import Secret, Settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123"


@pytest.fixture(autouse=True)
def restore_root_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def test_json_lines_to_a_private_file_with_the_token_scrubbed(tmp_path, capsys):
    path = tmp_path / "logs" / "rankfile.log"
    logs.setup_logging(Settings(token=Secret(TOKEN), log_format="json", log_file=path))
    log = logging.getLogger("rankfile.test")
    log.info("connected with %s", TOKEN)
    try:
        raise RuntimeError(f"refused {TOKEN}")
    except RuntimeError:
        log.exception("login failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert entries[0]["message"] == "connected with **********"
    assert entries[0]["level"] == "INFO" and entries[0]["logger"] == "rankfile.test"
    assert entries[1]["exception"] == "RuntimeError"
    assert TOKEN not in path.read_text()
    assert TOKEN not in capsys.readouterr().err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_text_by_default(tmp_path, capsys):
    logs.setup_logging(Settings())
    logging.getLogger("rankfile.test").warning("delivery %d retried", 12)
    err = capsys.readouterr().err
    assert "WARNING" in err and "rankfile.test: delivery 12 retried" in err


def test_the_file_rotates(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "FILE_MAX_BYTES", 2_000)
    path = tmp_path / "rankfile.log"
    logs.setup_logging(Settings(log_file=path))
    for i in range(200):
        logging.getLogger("rankfile.test").info("line %d of the rotation test", i)
    rotated = sorted(p.name for p in tmp_path.iterdir())
    assert "rankfile.log.1" in rotated and len(rotated) <= 1 + logs.FILE_BACKUPS
    assert all(stat.S_IMODE((tmp_path / n).stat().st_mode) == 0o600 for n in rotated)


def test_setting_up_twice_does_not_double_lines(tmp_path, capsys):
    logs.setup_logging(Settings())
    logs.setup_logging(Settings())
    logging.getLogger("rankfile.test").warning("once")
    assert capsys.readouterr().err.count("once") == 1
