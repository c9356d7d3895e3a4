"""No log line of the hardening session holds a token, a roster entry or an asker's identity.

Runs last in tests/hardening (file order): by then the hostile inputs, the permission matrix,
the two servers and the faults have all logged what they log. It adds a scenario of its own
(an anonymous question, CAT sign-ups, errors with exceptions) so it scans something when run
alone.
"""

from __future__ import annotations

import logging

from tests.hardening import logscan

CALLBACK = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")


async def test_logs_hold_no_secret_and_no_personal_data(rig):
    await rig.command(
        "alice", "/ask committee question: Is the night differential safe? anonymous: true"
    )
    await rig.command("bob", "/ask committee question: Who negotiates for grips and electric?")
    if "cat join" in rig.driver.command_names():
        r = await rig.command("bob", "/cat join")
        if r.modal is not None:
            rig.fake.open_modals.clear()
    # Errors with exceptions: a refused answer, then unexpected failures of the callback.
    rig.fake.inject(*CALLBACK, 403, times=2, code=50001, message="Missing Access")
    await rig.command("dave", "/help")
    rig.driver.errors.clear()
    logging.getLogger("rankfile").info("log scan marker")  # the capture is on
    assert any("log scan marker" in line for line in logscan.CAPTURE.lines)
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
