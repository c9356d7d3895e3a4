"""/faq and /faqs end to end: autocomplete, answered, "not sure" and unanswered, members' own
words, gaps turned into answers, synonyms, organizer modals, refusals."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot import faq
from bot.core import audit
from bot.sandbox import repl as sandbox
from bot.sandbox.driver import iter_components
from tests.support import T0

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "faq.txt"
# The demo organizer role lacks Manage Messages: as if the server let organizers see /faqs.
AS_ORGANIZER = {"ignore_default_permissions": True}


@pytest.fixture
async def frig(rig):
    await faq.load_demo(rig.db, rig.demo.guild_id, rig.clock.now())
    return rig


def assert_no_pings(result) -> None:
    """Every message body the bot sent says it pings no one."""
    seen = 0
    for request in result.requests:
        body = request.json if isinstance(request.json, dict) else {}
        data = body.get("data", body)
        if isinstance(data, dict) and ("content" in data or "embeds" in data):
            assert data["allowed_mentions"]["parse"] == []
            assert not data["allowed_mentions"].get("roles")
            seen += 1
    assert seen


def labels(message: dict) -> list[str]:
    found = iter_components(message.get("components") or [])
    return [c["label"] for c in found if c.get("type") == 2]


async def test_autocomplete_offers_matching_questions_within_limits(frig):
    choices = await frig.autocomplete("alice", "/faq question: how does ratif")
    assert choices and choices[0]["name"] == "How does ratification work?"
    assert len(choices) <= 25 and all(len(c["name"]) <= 100 for c in choices)
    everything = await frig.autocomplete("alice", "/faq question: ")
    assert len(everything) == 22


async def test_a_confident_answer_is_private_with_related_and_ask_buttons(frig):
    r = await frig.command("alice", "/faq question: what is a TA")
    assert r.ephemeral
    [shown] = r.embeds
    assert shown["title"] == "What is a tentative agreement (TA)?"
    assert "ratify" in shown["description"]
    assert any(f["name"] == "Last updated" for f in shown["fields"])
    buttons = labels(r.reply)
    assert "Didn't answer it? Ask the committee" in buttons and "Ask anonymously" in buttons
    assert 1 <= len(buttons) - 2 <= 3
    assert_no_pings(r)


async def test_public_true_shares_the_answer_in_the_channel(frig):
    r = await frig.command("alice", "/faq question: Who are the 13 Hollywood Locals? public: true")
    assert not r.ephemeral and "Local 892" in r.embeds[0]["description"]
    assert r.embeds[0]["url"] == "https://basic.iatse.net"
    assert_no_pings(r)


async def test_an_unseen_phrasing_in_members_words_is_answered_right(frig):
    # The FAQ says who "bargains for the employers"; the member asks in their own words.
    r = await frig.command("alice", "/faq question: who negotiates for the studios??")
    assert r.ephemeral
    assert r.embeds[0]["title"] == "Who bargains for the employers?"
    r = await frig.command("alice", "/faq question: when does our contract run out")
    assert r.embeds[0]["title"] == "When does the contract expire and will it be extended?"


async def test_not_sure_offers_the_closest_matches_as_buttons_and_the_committee(frig):
    r = await frig.command("alice", "/faq question: contract?")
    assert r.ephemeral
    [shown] = r.embeds
    assert shown["title"] == "Not sure: is it one of these?"
    assert any(f["name"] == "You asked" and f["value"] == "contract?" for f in shown["fields"])
    buttons = labels(r.reply)
    closest = [b for b in buttons if "Ask" not in b]
    assert 2 <= len(closest) <= 3
    assert buttons[-2:] == ["Didn't answer it? Ask the committee", "Ask anonymously"]
    picked = await frig.click("alice", closest[0])
    assert picked.ephemeral and picked.embeds[0]["title"].startswith(closest[0].rstrip("…"))


async def test_related_question_button_shows_that_answer(frig):
    r = await frig.command("alice", "/faq question: what is a TA")
    related = labels(r.reply)[0]
    # The answer is private by default: the member who asked presses its buttons.
    shown = await frig.click("alice", related)
    assert shown.ephemeral and shown.embeds[0]["title"].startswith(related.rstrip("…"))


async def test_no_confident_match_says_so_and_offers_ask(frig):
    r = await frig.command("alice", "/faq question: where is the parking lot")
    assert r.ephemeral
    assert r.embeds[0]["title"] == "No confident answer in the FAQ"
    assert "/ask" in r.embeds[0]["description"]
    form = await frig.click("alice", "Didn't answer it? Ask the committee")
    assert form.modal is not None
    sent = await frig.submit("alice", {"Your question": "Where do we park for the town hall?"})
    assert sent.ephemeral and "Question #1" in sent.embeds[0]["title"]


@pytest.mark.parametrize(
    "hostile",
    [
        'NEAR("vote" strike, 2) * - : ((',
        "@everyone when does the contract expire",
        "x" * 4000,
        '" OR 1=1 --',
    ],
)
async def test_hostile_questions_are_just_text(frig, hostile):
    r = await frig.command("alice", f"/faq question: {hostile}")
    assert r.embeds
    assert_no_pings(r)
    choices = await frig.autocomplete("alice", f"/faq question: {hostile[:90]}")
    assert all(len(c["name"]) <= 100 for c in choices)


async def test_members_are_refused_organizer_commands(frig):
    r = await frig.command("alice", "/faqs add", ignore_default_permissions=True)
    assert r.ephemeral and "organizer" in r.text
    for line in ("/faqs gaps", "/faqs synonym add word: crew means: members"):
        r = await frig.command("alice", line, ignore_default_permissions=True)
        assert r.ephemeral and "organizer" in r.text
    r = await frig.command("alice", "/faqs remove entry: #1", ignore_default_permissions=True)
    assert r.ephemeral and "organizer" in r.text
    assert len(await faq.all_entries(frig.db, frig.demo.guild_id)) == 22


async def test_organizer_adds_edits_and_removes_through_modals_audited(frig):
    guild = frig.demo.guild_id
    opened = await frig.command("carol", "/faqs add", **AS_ORGANIZER)
    assert opened.modal is not None and len(opened.modal["title"]) <= 45
    saved = await frig.submit(
        "carol",
        {
            "Question": "Is there a strike fund?",
            "Answer": "Yes: ask your local.",
            "Other ways to ask it (one per line)": "strike pay\nhardship fund",
            "Tags (separated by ;)": "strike",
            "Source link (optional)": "https://example.org/fund",
        },
    )
    assert saved.ephemeral and "Added FAQ #23" in saved.content
    found = await frig.command("alice", "/faq question: is there strike pay")
    assert found.embeds[0]["title"] == "Is there a strike fund?"

    edit = await frig.command("carol", "/faqs edit entry: #23", **AS_ORGANIZER)
    # The form opens filled in with the entry (the driver submits only what a test types).
    assert "Is there a strike fund?" in str(edit.modal)
    await frig.submit(
        "carol", {"Question": "Is there a strike fund?", "Answer": "Yes: ask your local's office."}
    )
    assert (await faq.get(frig.db, guild, 23)).answer == "Yes: ask your local's office."

    gone = await frig.command("carol", "/faqs remove entry: #23", **AS_ORGANIZER)
    assert "Removed FAQ #23" in gone.content
    actions = [a.action for a in await audit.recent(frig.db, guild, 3)]
    assert actions == ["faq.remove", "faq.edit", "faq.add"]


async def test_bad_source_link_is_refused_and_nothing_saved(frig):
    await frig.command("carol", "/faqs add", **AS_ORGANIZER)
    r = await frig.submit(
        "carol",
        {"Question": "Q?", "Answer": "A.", "Source link (optional)": "javascript:alert(1)"},
    )
    assert r.ephemeral and "https://" in r.text
    assert len(await faq.all_entries(frig.db, frig.demo.guild_id)) == 22


async def test_sandbox_script_runs_the_faq_and_ask_flow(tmp_path):
    script = SCRIPT
    out = io.StringIO()
    bad = await sandbox.main(tmp_path / "sb.db", start=T0, script=script, json_mode=True, out=out)
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert bad == 0, [a for a in actions if a.get("error")]
    by_action = {a["action"]: json.dumps(a["requests"]) for a in actions}
    assert "How does ratification work?" in by_action["autocomplete /faq question: how does ratif"]
    assert "What is a tentative agreement (TA)?" in by_action["/faq question: what is a TA"]
    assert "No confident answer" in by_action["/faq question: where is the parking lot"]
    asked = by_action["/ask committee question: Will @everyone get retro pay? anonymous: true"]
    assert "Anonymous" in asked and "rf:q:faq:1" in asked
    answered = next(v for k, v in by_action.items() if k.startswith("submit"))
    assert "Yes, back to August 1." in answered
    assert "sent to you by DM" in by_action["/ask mine"]
    assert "Will there be retro pay?" in by_action["/faq question: retro pay"]


async def test_a_miss_shown_in_gaps_becomes_an_alias_and_the_next_member_gets_it(frig):
    guild = frig.demo.guild_id
    for user, line in (("alice", "walkout scoop"), ("bob", "scoop on the walkout?")):
        r = await frig.command(user, f"/faq question: {line}")
        assert r.embeds[0]["title"] == "Not sure: is it one of these?"
    # Kept without who asked.
    rows = [dict(r) for r in await frig.db.fetchall("SELECT * FROM faq_miss")]
    assert len(rows) == 2 and all(str(frig.demo.user("alice")) not in str(r) for r in rows)

    gaps = await frig.command("carol", "/faqs gaps", **AS_ORGANIZER)
    assert gaps.ephemeral
    [shown] = gaps.embeds
    assert shown["title"] == "What members asked that the FAQ could not answer"
    [field] = shown["fields"]
    assert "Asked 2×" in field["value"] and "scoop" in field["name"]
    strike = await faq.by_key(frig.db, guild, "strike-authorization")
    assert labels(gaps.reply) == [f"Add as alias to FAQ #{strike.id}", "Write a new entry"]

    done = await frig.click("carol", f"Add as alias to FAQ #{strike.id}")
    assert done.ephemeral and f"FAQ #{strike.id} now answers" in done.content
    assert (await audit.recent(frig.db, guild, 1))[0].action == "faq.gap_alias"
    answered = await frig.command("dave", "/faq question: scoop on the walkout?")
    assert answered.embeds[0]["title"] == strike.question
    empty = await frig.command("carol", "/faqs gaps", **AS_ORGANIZER)
    assert empty.embeds[0]["title"] == "No unanswered questions"


async def test_a_gap_becomes_a_new_entry_written_by_an_organizer(frig):
    await frig.command("alice", "/faq question: is there a strike fund")
    gaps = await frig.command("carol", "/faqs gaps", **AS_ORGANIZER)
    form = await frig.click("carol", "Write a new entry")
    assert form.modal is not None and "is there a strike fund" in str(form.modal)
    saved = await frig.submit(
        "carol",
        {"Question": "Is there a strike fund?", "Answer": "Yes: the International's fund."},
    )
    assert saved.ephemeral and "Added FAQ #23" in saved.content
    r = await frig.command("bob", "/faq question: is there a strike fund")
    assert r.embeds[0]["title"] == "Is there a strike fund?"
    assert gaps.embeds[0]["fields"]


async def test_organizers_add_list_and_remove_synonyms(frig):
    before = await frig.command("alice", "/faq question: were the grunts polled")
    assert before.embeds[0]["title"] != "How were members' priorities gathered?"
    added = await frig.command(
        "carol", "/faqs synonym add word: grunts means: members", **AS_ORGANIZER
    )
    assert added.ephemeral and "“grunts” as “members”" in added.content
    after = await frig.command("alice", "/faq question: were the grunts polled")
    assert after.embeds[0]["title"] == "How were members' priorities gathered?"
    listed = await frig.command("carol", "/faqs synonym list", **AS_ORGANIZER)
    assert "“grunts” → “members”" in listed.content
    removed = await frig.command("carol", "/faqs synonym remove word: grunts", **AS_ORGANIZER)
    assert "Forgot “grunts”" in removed.content
