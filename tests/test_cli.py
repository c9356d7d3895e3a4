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


def test_faq_search_on_a_fresh_database_says_what_would_help(tmp_path):
    env = {"RANKFILE_DB": str(tmp_path / "fresh.db")}
    result = run("faq", "search", "when does the contract expire", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "holds no FAQ yet" in result.stderr and "give --guild" not in result.stderr
    assert "rankfile faq import FILE --guild SERVER_ID" in result.stderr
    assert "rankfile demo load --guild SERVER_ID" in result.stderr


def test_demo_load_then_faq_export_writes_yaml_a_hand_edit_cannot_break(tmp_path):
    import yaml

    env = {"RANKFILE_DB": str(tmp_path / "r.db")}
    loaded = run("demo", "load", "--guild", "42", env=env, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    exported = run("faq", "export", str(tmp_path / "faq.yaml"), env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "faq.yaml").read_text(encoding="utf-8")
    answers = [line.strip() for line in text.splitlines() if line.strip().startswith("answer:")]
    # Multi-line and long answers are block scalars, never quoted strings across lines.
    assert answers and all(a in ("answer: |-", "answer: >-") or len(a) < 90 for a in answers)
    assert "answer: |-" in answers and not [a for a in answers if a.startswith("answer: '")]
    # A hand edit inside a block (an apostrophe, a colon) reads back as meant.
    edited = text.replace(
        "    three national Locals 600, 700 and 800:",
        "    three national Locals 600, 700 and 800 (it's them):",
        1,
    )
    first = yaml.safe_load(edited)["entries"][0]["answer"]
    assert "800 (it's them):\n- Local 44" in first
    again = run("faq", "import", str(tmp_path / "faq.yaml"), env=env, cwd=tmp_path)
    assert again.returncode == 0 and "0 added" in again.stdout, again.stdout


def test_run_with_a_wrong_database_key_says_one_line(tmp_path):
    import pytest

    pytest.importorskip("sqlcipher3")
    env = {"RANKFILE_DB": str(tmp_path / "r.db"), "RANKFILE_DB_KEY": "right"}
    assert run("db", "migrate", env=env, cwd=tmp_path).returncode == 0
    env["RANKFILE_DB_KEY"] = "wrong"
    env["DISCORD_TOKEN"] = "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.ghijklmnopqrstuvwxyz0123456789"
    result = run("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr  # no SQLCipher "ERROR CORE" lines
    assert "RANKFILE_DB_KEY does not open" in result.stderr and "hmac" not in result.stderr


def test_the_readme_names_demo_load():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "rankfile demo load --guild" in readme


def test_the_bot_says_nothing_about_voice(tmp_path, caplog):
    import discord

    from bot.core.config import Settings
    from bot.glue.app import Rankfile

    # As in a fresh process on a machine without PyNaCl or davey: discord.py would warn once.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True
    Rankfile(Settings(db_path=tmp_path / "r.db"))
    assert "voice will NOT be supported" not in caplog.text


async def test_the_sandbox_says_nothing_of_jsonschema_to_someone_trying_it(
    tmp_path, monkeypatch, caplog
):
    import io
    import warnings

    from bot.sandbox import repl
    from bot.sandbox.fake import spec
    from tests.support import T0

    monkeypatch.setitem(sys.modules, "jsonschema", None)  # as after `pip install -e .`
    monkeypatch.setattr(spec, "_SPEC_WARNED", False)
    monkeypatch.setattr(spec, "_SPEC_CACHE", {})
    script = tmp_path / "s.txt"
    script.write_text("as alice\n/help\n", encoding="utf-8")
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bad = await repl.main(tmp_path / "s.db", start=T0, script=script, out=out)
    assert bad == 0 and "rankfile: what you can do" in out.getvalue()
    said = [str(w.message) for w in caught] + [caplog.text, out.getvalue()]
    assert not [s for s in said if "jsonschema" in s]
