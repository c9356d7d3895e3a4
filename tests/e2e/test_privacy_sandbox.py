"""The privacy sandbox script (tests/scripts/privacy.txt) through `rankfile sandbox --json`."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.sandbox import repl as sandbox
from tests.support import T0

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "privacy.txt"


async def test_privacy_script_output(tmp_path):
    out = io.StringIO()
    bad = await sandbox.main(tmp_path / "sb.db", start=T0, script=SCRIPT, json_mode=True, out=out)
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert bad == 0, [a["error"] for a in actions if a.get("error")]
    by: dict[tuple[str, str], list[dict]] = {}
    for a in actions:
        by.setdefault((a["user"], a["action"]), []).append(a)

    def text(user: str, line: str, nth: int = 0) -> str:
        return json.dumps(by[(user, line)][nth]["requests"], ensure_ascii=False)

    # The demo set-up acknowledged the checklist; /setup show gives the date.
    assert "Acknowledged <t:" in text("erin", "/setup show", 0)
    assert "personal devices" in text("erin", "/setup checklist")
    export = by[("alice", "/privacy export")][0]["requests"]
    assert any("rankfile-my-data.json" in json.dumps(r) for r in export)
    assert "CAT roster exported" in text("bob", "/privacy log")
    assert "no longer holds anything" in text("alice", "click Delete my data")
    assert "Campaign closed" in text("erin", "click Close the campaign")
    assert "data deleted" in text("erin", "/setup show", 2)
