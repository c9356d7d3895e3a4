"""The foundation end to end: /help, /setup, the permission check, the error handler."""

from __future__ import annotations


async def test_help_lists_what_a_member_may_use(rig):
    r = await rig.command("alice", "/help")
    assert r.ephemeral
    text = r.text
    assert "/help" in text
    assert "/setup show" not in text


async def test_setup_show_for_admin(rig):
    r = await rig.command("erin", "/setup show")
    assert r.ephemeral
    assert "setup is complete" in r.text
