"""Every sandbox script in tests/scripts/ runs through `rankfile sandbox --script --json`.

Each action prints one JSON object with the requests the bot made; a script line that the
sandbox cannot run counts as bad. The core script's output is asserted on in detail.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.sandbox import repl as sandbox
from tests.support import T0

SCRIPTS = sorted((Path(__file__).resolve().parent.parent / "scripts").glob("*.txt"))


async def run_script(path: Path, tmp_path: Path) -> list[dict]:
    out = io.StringIO()
    bad = await sandbox.main(
        tmp_path / "sandbox.db", start=T0, script=path, json_mode=True, out=out
    )
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    # A command Discord hides from the acting member is shown as refused by Discord itself.
    errors = [a for a in actions if a.get("error") and "is hidden from" not in a["error"]]
    assert errors == []
    assert bad == len([a for a in actions if a.get("error")])
    return actions


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
async def test_script_runs_without_bad_lines(path, tmp_path):
    actions = await run_script(path, tmp_path)
    assert actions, "the script did nothing"
    for action in actions:
        for request in action["requests"]:
            body = request.get("body") or {}
            if isinstance(body, dict) and "allowed_mentions" in body:
                assert "everyone" not in body["allowed_mentions"].get("parse", [])


def _callback(action: dict) -> dict:
    calls = [r for r in action["requests"] if r["route"].endswith("/callback")]
    assert calls, action["action"]
    return calls[0]["body"]["data"]


async def test_core_script_output(tmp_path):
    core = next(p for p in SCRIPTS if p.stem == "core")
    actions = await run_script(core, tmp_path)
    by_line = [(a["user"], a["action"], a) for a in actions]

    def find(user: str, line: str, nth: int = 0) -> dict:
        return [a for u, act, a in by_line if u == user and act == line][nth]

    member_help = _callback(find("alice", "/help"))
    assert member_help["flags"] & 64  # ephemeral
    assert "/setup" not in json.dumps(member_help)
    assert "hidden from alice" in find("alice", "/setup show")["error"]
    shown = json.dumps(_callback(find("erin", "/setup show")))
    assert "setup is complete" in shown
    committee = json.dumps(_callback(find("erin", "/setup channels committee: #general")))
    assert "everyone can see" in committee
    assert "can't be a rankfile role" in json.dumps(
        _callback(find("erin", "/setup roles cat: @everyone"))
    )
    too_high = json.dumps(_callback(find("erin", "/setup roles cat: @admin")))
    assert "sits above the bot's highest role" in too_high and "Saved." in too_high
    assert "Warning" not in json.dumps(_callback(find("erin", "/setup roles cat: @cat")))
    assert "America/New_York" in json.dumps(
        _callback(find("erin", "/setup timezone zone: America/New_York"))
    )
    assert "don't know the time zone" in json.dumps(
        _callback(find("erin", "/setup timezone zone: Mars/Base"))
    )
    organizer_help = json.dumps(_callback(find("carol", "/help")))
    assert "You're a member; as an organizer you also have" in organizer_help
    assert "/audit" not in organizer_help  # the members' part comes first
    assert "`/audit`" in json.dumps(_callback(find("carol", "select rf:help:part organizer:1")))
    shown = json.dumps(_callback(find("carol", "/audit")))
    assert "setup.update" in shown and "<@None>" not in shown
    assert "rankfile (command line)" in shown
