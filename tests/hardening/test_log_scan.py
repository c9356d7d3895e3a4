"""No log line of the hardening session holds a token, a roster entry or an asker's identity.

This test scans a scenario of its own (an anonymous question, a CAT sign-up, errors with
exceptions); the session fixture in conftest.py scans every line the hardening session logged
when the session ends, whatever order the files ran in.
"""

from __future__ import annotations

import logging

from bot import cat
from bot.core import units
from tests.hardening import logscan
from tests.support import T0

CALLBACK = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
SIGN_UP = {
    "Your name as the union knows it": "Bob Marley-Ortiz",
    "Bargaining unit": "700",
    "Department or craft": "Grips",
    "Shift or availability": "Nights",
    "Preferred contact": "Discord DM",
}


async def test_logs_hold_no_secret_and_no_personal_data(rig):
    await rig.command(
        "alice", "/ask committee question: Is the night differential safe? anonymous: true"
    )
    await rig.command("bob", "/ask committee question: Who negotiates for grips and electric?")
    await units.add(rig.db, rig.demo.guild_id, "700", "Local 700 Editors", None, T0)
    await rig.command("bob", "/cat join")
    await rig.click("bob", "I commit: open the form")
    joined = await rig.submit("bob", SIGN_UP)
    assert "Bob Marley-Ortiz" in str(await cat.roster(rig.db, rig.demo.guild_id))
    assert joined.ephemeral
    # Errors with exceptions: a refused answer, then unexpected failures of the callback.
    rig.fake.inject(*CALLBACK, 403, times=2, code=50001, message="Missing Access")
    await rig.command("dave", "/help")
    rig.driver.errors.clear()
    logging.getLogger("rankfile").info("log scan marker")  # the capture is on
    assert any("log scan marker" in line for line in logscan.CAPTURE.lines)
    assert any("could not deliver" in line for line in logscan.CAPTURE.lines)
    hits = logscan.scan()
    assert hits == [], "\n".join(hits[:20])


def test_the_scan_finds_what_it_looks_for(tmp_path):
    logscan.TOKENS.add("fake.SeCrEt-token")
    logscan.CAPTURE.lines.append("rankfile: connecting with fake.SeCrEt-token")
    try:
        assert any("token" in h for h in logscan.scan())
    finally:
        logscan.CAPTURE.lines.pop()
        logscan.TOKENS.discard("fake.SeCrEt-token")
