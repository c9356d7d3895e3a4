"""Subscriptions end to end: subscribe, list, unsubscribe, refusals, autocomplete."""

from __future__ import annotations

from bot.core import units


async def test_subscribe_list_unsubscribe(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    r = await rig.command("alice", "/subscribe topic: AI")
    assert r.ephemeral and "Subscribed to the topic **AI**" in r.text
    r = await rig.command("alice", "/subscribe unit: 600")
    assert "Local 600" in r.text
    r = await rig.command("alice", "/subscribe what: announcements")
    r = await rig.command("alice", "/subscribe topic: ai")
    assert r.ephemeral and "already subscribed" in r.text
    r = await rig.command("alice", "/subscriptions")
    assert r.ephemeral
    assert "Topic: AI" in r.text and "Unit: Local 600" in r.text and "Announcements" in r.text
    r = await rig.command("bob", "/subscriptions")
    assert "None yet" in r.text  # each member sees only their own
    r = await rig.command("alice", "/unsubscribe unit: 600")
    assert "Unsubscribed from **Local 600" in r.text
    r = await rig.command("alice", "/unsubscribe unit: 600")
    assert "not subscribed" in r.text


async def test_unknown_topic_or_unit_and_autocomplete(rig):
    await units.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    r = await rig.command("alice", "/subscribe topic: pizza")
    assert r.ephemeral and "No topic `pizza`" in r.text and "wages" in r.text
    r = await rig.command("alice", "/subscribe unit: 999")
    assert "No bargaining unit `999`" in r.text
    r = await rig.command("alice", "/subscribe what: topic")
    assert "Name the topic" in r.text
    r = await rig.command("alice", "/subscribe topic: AI unit: 600")
    assert "One at a time" in r.text
    assert [c["value"] for c in await rig.autocomplete("alice", "/subscribe topic: wag")] == [
        "wages"
    ]
    assert "600" in [c["value"] for c in await rig.autocomplete("alice", "/subscribe unit: 60")]
    r = await rig.command("alice", "/subscriptions")
    assert "None yet" in r.text  # nothing half-saved
