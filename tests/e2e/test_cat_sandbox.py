"""The CAT sandbox script (tests/scripts/cat.txt) through `rankfile sandbox --json`."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.sandbox import repl as sandbox
from tests.support import T0

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "cat.txt"
ROLE_ROUTE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"


async def test_cat_script_output(tmp_path):
    out = io.StringIO()
    bad = await sandbox.main(tmp_path / "sb.db", start=T0, script=SCRIPT, json_mode=True, out=out)
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    errors = [a for a in actions if a.get("error")]
    # Only the member's /catteam is refused, by Discord itself (the group is hidden).
    assert bad == 1 and "is hidden from alice" in errors[0]["error"]
    by = {}
    for a in actions:
        by.setdefault((a["user"], a["action"]), []).append(a)

    def text(user: str, line: str, nth: int = 0) -> str:
        return json.dumps(by[(user, line)][nth]["requests"], ensure_ascii=False)

    # The post goes through the delivery worker, within the same action.
    assert "rankfile:cat:join" in text("erin", "/catteam post-signup channel: #cat")
    assert "holds nothing about you" in text("alice", "/cat status", 0)
    assert "I commit to" in text("alice", "/cat join")
    alice_submit = next(
        a for a in actions if a["user"] == "alice" and a["action"].startswith("submit")
    )
    routes = [r["route"] for r in alice_submit["requests"]]
    assert ROLE_ROUTE in routes and "Welcome to the CAT" in json.dumps(alice_submit)
    assert "Alice Ng" in text("alice", "/cat status", 1)
    assert "Logged 3 conversations" in text(
        "alice", "/cat log conversations: 3 unit: 700 concern: wages"
    )
    assert "No bargaining unit" in text("alice", "/cat log conversations: 2 unit: 999")
    # After the restart the post's button still opens the sign-up.
    assert "I commit to" in text("bob", "click Join the CAT")
    bob_submits = [a for a in actions if a["user"] == "bob" and a["action"].startswith("submit")]
    assert len(bob_submits) == 2 and "details updated" in json.dumps(bob_submits[1]).lower()
    roster = text("erin", "/catteam roster")
    assert "Alice Ng" in roster and "Bob Diaz" in roster and "Weekends" in roster
    coverage = text("erin", "/catteam coverage")
    assert "cat-coverage.png" in coverage and "Top concerns: wages (3)" in coverage
    assert "audit log" in text("erin", "/catteam export")
    export = by[("erin", "click Export the roster")][0]["requests"]
    files = [f for r in export for f in r.get("files", [])]
    assert files and files[0]["name"].startswith("cat-roster-")
    assert "left the Contract Action Team" in text("bob", "/cat leave")
    # Organizers running the CAT: shifts, coverage, list size, levels, concerns, scopes, digest.
    coverage = text("dave", "/catteam coverage")
    assert "nights: 10 members, 0 volunteer(s) — **uncovered**" in coverage
    assert "Local 700, Motion Picture Editors Guild, nights: uncovered" in coverage
    assert "one volunteer for every 10" in text("alice", "/cat details shift: days list_size: 20")
    logged = text(
        "alice",
        "/cat log unit: 700 shift: days level: 2 method: in person concern: wages concern2: AI",
    )
    assert "Level: **2 supporter**" in logged and "**AI**" in logged
    assert "rankfile:cat:logagain" in text("alice", "click Log another")
    assert "Level: **3 undecided**" in text(
        "alice", "submit level: 3 method: phone concerns: health"
    )
    assert "A level is one of" in text("alice", "/cat log unit: 700 level: 9")
    assert "health" in text("alice", "/cat mylogs")
    assert "cat-unit-700.png" in text("alice", "/cat unit")
    assert "never deleted or renumbered" in text("dave", "/catteam levels retire level: 2")
    assert "**5** anti (strongest opposition)" in text(
        "dave", "/catteam levels rename level: 5 label: anti"
    )
    assert "coordinates Local 600" in text("erin", "/setup coordinator member: dave units: 600")
    assert "outside the units you coordinate" in text("dave", "/catteam logs unit: 700")
    assert "CAT weekly digest" in text("dave", "/catteam digest")
