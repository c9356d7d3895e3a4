"""The events sandbox script (tests/scripts/events.txt) through `rankfile sandbox --json`."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.sandbox import repl as sandbox
from tests.support import T0

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "events.txt"


async def test_events_script_output(tmp_path):
    out = io.StringIO()
    bad = await sandbox.main(tmp_path / "sb.db", start=T0, script=SCRIPT, json_mode=True, out=out)
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert bad == 0, [a for a in actions if a.get("error")]
    text = {(a["user"], a["action"]): json.dumps(a["requests"]) for a in actions}
    assert "Multi-local webinar on the MOA" in text[("alice", "/events upcoming")]
    assert "event-1.ics" in text[("alice", "/events calendar id: 1")]
    saved = text[("erin", "click Save")]
    assert "Saved as event #5" in saved and "/scheduled-events" in saved
    # The 1-day reminder of the MOA webinar: the channel and alice's DM.
    fired = text[("erin", "advance 50h")]
    assert fired.count("Reminder: **Multi-local webinar on the MOA**") == 2
    assert (
        "Cancelled: **Evening town hall on the MOA**"
        in text[("erin", "/event cancel id: 5 reason: Moved online")]
    )
    assert "Thanks for voting" in text[("alice", "click I voted")]
    add = "/event session add id: 5 start: July 17 6pm end: July 17 7:30pm place: https://zoom.us/j/777"
    assert "Session 2 added" in text[("erin", add)]
    assert "You're down for" in text[("alice", "click Maybe")]  # the DM with the .ics
    review = text[("erin", "/townhall-run review event: 5")]
    assert (
        json.dumps("▲ 1 · anonymous")[1:-1] in review
        and "Will the evening session be recorded?" in review
    )
    rsvps = text[("erin", "/event rsvps id: 5")]
    assert "Maybe 1" in rsvps and "Chose to show their name" in rsvps
    turnout = text[("erin", "/event turnout id: 3")]
    assert "Said they voted" in turnout and "alice" not in turnout.lower()
