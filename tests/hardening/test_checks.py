"""The hardening checks themselves catch what they are meant to (so a green run means something)."""

from __future__ import annotations

from bot.sandbox.fake import EPHEMERAL, RecordedRequest
from tests.hardening.harness import wire_problems


def _req(method: str, route: str, body: dict) -> RecordedRequest:
    return RecordedRequest(method, route, {}, {}, {}, body, [])


POST = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"


def test_a_body_that_could_ping_is_caught():
    bad = [
        _req("POST", POST, {"content": "@everyone hi"}),
        _req("POST", POST, {"content": "x", "allowed_mentions": {"parse": ["everyone"]}}),
        _req("POST", POST, {"content": "x", "allowed_mentions": {"parse": [], "roles": ["5"]}}),
        _req(
            "POST",
            CALLBACK,
            {"type": 4, "data": {"content": "x", "allowed_mentions": {"parse": ["users"]}}},
        ),
    ]
    problems = wire_problems(bad)
    assert len(problems) == 4, problems


def test_a_named_role_may_ping_and_a_clean_body_passes():
    ok = _req("POST", POST, {"content": "<@&5>", "allowed_mentions": {"parse": [], "roles": ["5"]}})
    assert wire_problems([ok], allowed_roles={5}) == []


def test_embed_limits_and_refusals_are_caught():
    big = {
        "title": "t" * 257,
        "description": "d" * 4000,
        "fields": [{"name": "n", "value": "v" * 1025}] * 2,
    }
    body = {"embeds": [big], "allowed_mentions": {"parse": []}}
    problems = wire_problems([_req("POST", POST, body)])
    assert any("title" in p for p in problems)
    assert any("field value" in p for p in problems)
    assert any("total" in p for p in problems)
    public_refusal = {
        "type": 4,
        "data": {"embeds": [{"title": "Can't do that"}], "allowed_mentions": {"parse": []}},
    }
    assert any("ephemeral" in p for p in wire_problems([_req("POST", CALLBACK, public_refusal)]))
    private = {"type": 4, "data": {**public_refusal["data"], "flags": EPHEMERAL}}
    assert wire_problems([_req("POST", CALLBACK, private)]) == []
