"""The command line: one clear line when something is missing, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict | None = None, cwd: Path | None = None):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RANKFILE_"))}
    environ.update(env or {})
    environ["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd or ROOT,
        timeout=60,
    )


def test_run_without_a_token_says_how_to_get_one(tmp_path):
    result = run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "DISCORD_TOKEN" in result.stderr and "rankfile sandbox" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_token_is_refused_without_echoing_it(tmp_path):
    result = run("run", env={"DISCORD_TOKEN": "oops-secret"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "oops-secret" not in result.stderr
    assert "does not look like a bot token" in result.stderr


def test_invite_url_has_the_scopes_and_exact_permissions(tmp_path):
    result = run("invite-url", "--client-id", "123456789012345678", cwd=tmp_path)
    assert result.returncode == 0
    url = result.stdout.strip()
    assert "client_id=123456789012345678" in url
    assert "scope=bot+applications.commands" in url
    from bot.cli import BOT_PERMISSIONS

    assert f"permissions={BOT_PERMISSIONS.value}" in url
    assert not BOT_PERMISSIONS.administrator and not BOT_PERMISSIONS.mention_everyone


def test_db_migrate_and_backup(tmp_path):
    env = {"RANKFILE_DB": str(tmp_path / "r.db")}
    assert run("db", "migrate", env=env, cwd=tmp_path).returncode == 0
    backup = run("db", "backup", str(tmp_path / "copy.db"), env=env, cwd=tmp_path)
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "copy.db").stat().st_size > 0


def test_the_readme_placeholder_token_points_invite_url_at_client_id(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=paste-the-token-here\n")
    result = run("invite-url", cwd=tmp_path)
    assert result.returncode == 2
    assert "--client-id" in result.stderr and "does not look like" not in result.stderr
    done = run("invite-url", "--client-id", "123456789012345678", cwd=tmp_path)
    assert done.returncode == 0 and "client_id=123456789012345678" in done.stdout


def test_sandbox_now_that_is_no_date_is_one_line(tmp_path):
    result = run("sandbox", "--now", "next tuesday", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--now takes a date" in result.stderr


def test_help_names_every_command(tmp_path):
    result = run("--help", cwd=tmp_path)
    listed = result.stdout.split("positional arguments:")[1]
    for name in ("run", "sandbox", "invite-url", "db", "demo", "doctor", "status", "faq"):
        assert f"\n    {name} " in listed
