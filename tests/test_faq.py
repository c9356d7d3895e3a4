"""The FAQ domain: entries, the search (labelled accuracy, escaping, typos, abbreviations)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import faq
from bot.core import audit
from bot.core.errors import Conflict, NotFound, UserError
from tests.support import GUILD, OTHER_GUILD, T0, fresh_db

LABELLED = Path(__file__).parent / "faq_labelled.yaml"


@pytest.fixture
async def db(tmp_path):
    database = await fresh_db(tmp_path)
    await faq.load_demo(database, GUILD, T0)
    yield database
    await database.close()


async def top(db, text: str) -> str:
    found = await faq.search(db, GUILD, text, limit=1)
    return found[0].entry.key if found else "none"


async def test_labelled_set_top1_accuracy_and_no_confident_answer_off_topic(db):
    cases = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 60
    results = [(c, await top(db, c["q"])) for c in cases]
    right = [c for c, got in results if got == c["expect"]]
    accuracy = len(right) / len(cases)
    wrong = [(c["q"], c["expect"], got) for c, got in results if got != c["expect"]]
    assert accuracy >= 0.9, wrong
    off_topic = [(c["q"], got) for c, got in results if c["expect"] == "none" and got != "none"]
    assert off_topic == []


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        "(",
        "ratification)",
        "NEAR(ta moa, 2)",
        "vote*",
        "-strike",
        "question: answer:",
        "ta AND OR NOT",
        "^strike",
        "{question answer}: vote",
        "x" * 4000,
        "@everyone " * 400,
        "",
        "   ",
        "🙂 ✊",
    ],
)
async def test_fts_syntax_and_junk_are_plain_text(db, hostile):
    found = await faq.search(db, GUILD, hostile)
    assert isinstance(found, list)
    await faq.suggest(db, GUILD, hostile)


async def test_a_long_question_is_searched_by_its_start(db):
    found = await faq.search(db, GUILD, "when does the contract expire " + "blah " * 1000)
    assert found and found[0].entry.key == "expiration"


async def test_abbreviations_work_both_ways(tmp_path):
    database = await fresh_db(tmp_path)
    try:
        await faq.add(database, GUILD, 1, "When do we vote on the TA?", "Soon.", T0)
        await faq.add(
            database, GUILD, 1, "What is the memorandum of agreement?", "The language.", T0
        )
        assert (await faq.search(database, GUILD, "tentative agreement vote"))[0].entry.key == (
            "when-do-we-vote-on-the-ta"
        )
        assert (await faq.search(database, GUILD, "what's an MOA"))[0].entry.key == (
            "what-is-the-memorandum-of-agreement"
        )
    finally:
        await database.close()


async def test_typos_and_case_and_punctuation(db):
    assert await top(db, "WHEN DOES THE CONTRCT EXPIRE?!") == "expiration"
    assert await top(db, "strike-authorisation...vote") == "strike-authorization"


async def test_results_carry_scores_best_first_and_stay_in_their_server(db):
    found = await faq.search(db, GUILD, "ratification vote", limit=5, min_score=0)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert all(0 <= m.score <= 1 for m in found)
    assert await faq.search(db, OTHER_GUILD, "ratification vote") == []


async def test_suggest_completes_a_word_being_typed(db):
    names = [e.key for e in await faq.suggest(db, GUILD, "how does ratif")]
    assert names and names[0] == "ratification"
    assert len(await faq.suggest(db, GUILD, "")) == 22


async def test_add_edit_remove_are_audited_and_searchable_at_once(db):
    entry = await faq.add(
        db, GUILD, 7, "Is there a strike fund?", "Yes, ask your local.", T0, aliases=("fund",)
    )
    assert await top(db, "is there a strike fund") == entry.key
    with pytest.raises(Conflict):
        await faq.add(db, GUILD, 7, "Is there a strike fund?", "Again", T0)
    # Same instant as the add: the search must still see the new text.
    await faq.edit(
        db,
        GUILD,
        7,
        entry.id,
        T0,
        question="Is there a hardship fund?",
        answer="Yes.",
        aliases=(),
        tags=(),
        source_url="https://example.org/fund",
    )
    assert await top(db, "hardship fund") == entry.key
    await faq.remove(db, GUILD, 7, entry.id, T0)
    assert await top(db, "hardship fund") == "none"
    with pytest.raises(NotFound):
        await faq.get(db, GUILD, entry.id)
    actions = [a.action for a in await audit.recent(db, GUILD, 3)]
    assert actions == ["faq.remove", "faq.edit", "faq.add"]


async def test_bad_entries_are_refused_with_a_reason(db):
    with pytest.raises(UserError, match="question and an answer"):
        await faq.add(db, GUILD, 1, "  ", "x", T0)
    with pytest.raises(UserError, match="under 200"):
        await faq.add(db, GUILD, 1, "q" * 201, "x", T0)
    with pytest.raises(UserError, match="https://"):
        await faq.add(db, GUILD, 1, "q?", "x", T0, source_url="javascript:alert(1)")


async def test_import_is_idempotent_and_reports_changes_export_round_trips(db):
    exported = await faq.export_entries(db, GUILD)
    again = await faq.import_entries(db, GUILD, exported, T0)
    assert (len(again.added), len(again.changed), len(again.unchanged)) == (0, 0, 22)
    data = yaml.safe_load(exported)
    data["entries"][0]["answer"] = "Changed."
    data["entries"].append({"id": "new-one", "question": "A new one?", "answer": "Yes."})
    report = await faq.import_entries(db, GUILD, yaml.safe_dump(data), T0)
    assert report.added == ["new-one"] and report.changed == ["the-13-locals"]
    assert report.summary() == "1 added, 1 changed, 21 left as they were"
    assert "faq: 0 added, 1 changed" in await faq.load_demo(db, GUILD, T0)


async def test_a_bad_file_changes_nothing(db):
    before = await faq.export_entries(db, GUILD)
    with pytest.raises(UserError, match="entry 2"):
        await faq.import_entries(
            db, GUILD, "entries:\n  - {id: a, question: q, answer: a}\n  - {id: b}\n", T0
        )
    with pytest.raises(UserError, match="YAML"):
        await faq.import_entries(db, GUILD, "entries: [", T0)
    assert await faq.export_entries(db, GUILD) == before


def test_stem_joins_word_forms():
    assert faq.stem("ratify") == faq.stem("ratified") == faq.stem("ratification")
    assert faq.stem("expire") == faq.stem("expires") == faq.stem("expiration")
    assert faq.stem("negotiate") == faq.stem("negotiation") == faq.stem("negotiating")


def test_cli_import_export_search_json(tmp_path, monkeypatch, capsys):
    import json

    from bot import cli

    monkeypatch.setenv("RANKFILE_DB", str(tmp_path / "cli.db"))
    source = Path(__file__).parent.parent / "data" / "demo" / "faq.yaml"
    assert cli.main(["faq", "import", str(source), "--guild", str(GUILD)]) == 0
    assert "22 added, 0 changed, 0 left" in capsys.readouterr().out
    assert cli.main(["faq", "import", str(source)]) == 0
    assert "0 added, 0 changed, 22 left" in capsys.readouterr().out
    assert cli.main(["faq", "search", "what is a TA", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["question"] == "What is a tentative agreement (TA)?"
    assert set(rows[0]) >= {"id", "question", "answer", "score"}
    assert cli.main(["faq", "search", 'NEAR( "weather', "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    out = tmp_path / "faq.yaml"
    assert cli.main(["faq", "export", str(out)]) == 0
    assert len(yaml.safe_load(out.read_text())["entries"]) == 22
    assert cli.main(["faq", "import", str(tmp_path / "missing.yaml")]) == 2
