"""Questions to the committee: numbers, anonymity, answers and their delivery, states."""

from __future__ import annotations

import pytest

from bot import demo, faq, privacy, questions
from bot.core import audit, delivery
from bot.core.errors import Conflict, UserError
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db

CHANNELS = {"announcements": 1, "updates": 2, "committee": 3}
ROLES = {"organizer": 10, "cat": 11, "cat-coordinator": 12}


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await demo.prepare_server(database, GUILD, CHANNELS, ROLES, T0)
    yield database
    await database.close()


async def test_numbers_count_per_server_and_the_post_goes_to_the_committee(db):
    await demo.prepare_server(db, OTHER_GUILD, CHANNELS, ROLES, T0)
    first = await questions.ask(db, GUILD, 501, "When is the vote?", False, T0)
    second = await questions.ask(db, GUILD, 502, "Is there a strike fund?", True, T0)
    other = await questions.ask(db, OTHER_GUILD, 501, "Hello?", False, T0)
    assert (first.number, second.number, other.number) == (1, 2, 1)
    item = (await delivery.due(db, T0))[0]
    assert len(await delivery.due(db, T0)) == 3
    assert item.target_kind == "channel" and item.target_id == 3
    assert [c["custom_id"] for c in item.payload["components"][0]["components"]] == [
        f"rf:q:answer:{first.id}",
        f"rf:q:faq:{first.id}",
        f"rf:q:dismiss:{first.id}",
        f"rf:q:hide:{first.id}",
    ]


async def test_an_anonymous_post_names_no_one(db):
    q = await questions.ask(db, GUILD, 501, "Is my job safe?", True, T0)
    text = str(questions.committee_embed(q))
    assert "501" not in text and "Anonymous" in text
    named = await questions.ask(db, GUILD, 502, "Me?", False, T0)
    assert "<@502>" in str(questions.committee_embed(named))


async def test_answer_goes_by_dm_and_its_delivery_state_is_read_back(db):
    q = await questions.ask(db, GUILD, 501, "When is the vote?", True, T0)
    answered = await questions.answer(db, GUILD, q.id, 900, "July 18.", T0)
    assert answered.state == "answered" and answered.delivery_state == "pending"
    dm = [d for d in await delivery.due(db, T0) if d.target_kind == "dm"]
    assert [d.target_id for d in dm] == [501]
    await delivery.mark_skipped(db, dm[0].id, "dms_closed", T0)
    [mine] = await questions.mine(db, GUILD, 501)
    assert "undeliverable" in mine.answer_status
    with pytest.raises(Conflict, match="already answered"):
        await questions.answer(db, GUILD, q.id, 900, "Again", T0)
    assert (await audit.recent(db, GUILD, 1))[0].action == "question.answer"


async def test_answer_as_faq_adds_an_entry_and_answers(db):
    q = await questions.ask(db, GUILD, 501, "is there a strike fund??", False, T0)
    answered, entry = await questions.answer_as_faq(
        db, GUILD, q.id, 900, "Is there a strike fund?", "Yes, ask your local.", T0
    )
    assert answered.faq_entry_id == entry.id
    assert (await faq.search(db, GUILD, "strike fund"))[0].entry.id == entry.id
    actions = [a.action for a in await audit.recent(db, GUILD, 2)]
    assert actions == ["question.answer", "faq.add"]


async def test_dismiss_and_refusals(db):
    q = await questions.ask(db, GUILD, 501, "Why?", False, T0)
    done = await questions.dismiss(db, GUILD, q.id, 900, T0)
    assert done.state == "dismissed" and "closed" in done.answer_status
    with pytest.raises(Conflict):
        await questions.dismiss(db, GUILD, q.id, 900, T0)
    with pytest.raises(UserError, match="under 1000"):
        await questions.ask(db, GUILD, 501, "x" * 4000, False, T0)
    with pytest.raises(UserError, match="Type your question"):
        await questions.ask(db, GUILD, 501, "   ", False, T0)


async def test_no_committee_channel_says_which_setup_option(tmp_path):
    database = await fresh_db(tmp_path)
    try:
        with pytest.raises(UserError, match="/setup"):
            await questions.ask(database, GUILD, 501, "Hello?", False, T0)
    finally:
        await database.close()


async def test_privacy_export_and_delete_cover_the_questions_a_member_asked(db):
    await questions.ask(db, GUILD, 501, "Mine?", False, T0)
    data = await privacy.export_member(db, GUILD, 501, T0)
    assert [r["text"] for r in data["data"]["questions_asked"]["rows"]] == ["Mine?"]
    assert (await privacy.delete_member(db, GUILD, 501, T0))["questions_asked"] == 1
    assert await questions.mine(db, GUILD, 501) == []
    # The question stays for the committee, anonymous.
    [left] = await questions.recent(db, GUILD)
    assert (left.text, left.anonymous) == ("Mine?", True)
