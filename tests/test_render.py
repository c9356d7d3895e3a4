"""The one embed and message builder: Discord's limits hold whatever the text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.render import (
    NO_PINGS,
    Colour,
    Limits,
    allowed_mentions,
    count,
    defang,
    embed,
    embed_length,
    listing,
    message,
    plain_messages,
    plain_payload,
    plain_text,
    split_text,
    truncate,
    with_plain_text,
)

URL = "https://example.org/updates/42"
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any unicode text, sometimes very long; words and whitespace mixed in so boundaries exist.
_WORDY = st.lists(
    st.one_of(
        st.text(min_size=1, max_size=40),
        st.sampled_from([" ", "\n", "\n\n", ". ", "\t", "@everyone ", "```\n"]),
    ),
    max_size=20,
).map("".join)
# Repetition gives huge texts cheaply (generating them character by character is slow).
_HUGE = st.builds(lambda piece, times: piece * times, _WORDY, st.integers(1, 800))
TEXT = st.one_of(st.text(), _WORDY, _HUGE)


def assert_within_limits(e: dict) -> None:
    assert e["title"].strip()
    assert len(e["title"]) <= Limits.TITLE
    assert len(e.get("description", "")) <= Limits.DESCRIPTION
    assert len(e.get("fields", [])) <= Limits.FIELDS
    for field in e.get("fields", []):
        assert 1 <= len(field["name"]) <= Limits.FIELD_NAME
        assert 1 <= len(field["value"]) <= Limits.FIELD_VALUE
        assert field["name"].strip() and field["value"].strip()
        assert isinstance(field["inline"], bool)
    if "footer" in e:
        assert 1 <= len(e["footer"]["text"]) <= Limits.FOOTER
    if "author" in e:
        assert 1 <= len(e["author"]["name"]) <= Limits.AUTHOR
    assert embed_length(e) <= Limits.EMBED_TOTAL
    json.dumps(e)  # the delivery engine sends it raw


# --- truncate -------------------------------------------------------------------------


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("hello world", 11) == "hello world"


def test_truncate_cuts_at_a_word_boundary() -> None:
    assert truncate("the tentative agreement was reached", 20) == "the tentative…"
    # A space right at the cut is a boundary too.
    assert truncate("abcd efgh", 5) == "abcd…"


def test_truncate_cuts_one_long_word() -> None:
    assert truncate("x" * 50, 10) == "x" * 9 + "…"
    assert truncate("abc", 1) == "…"


def test_truncate_rejects_a_zero_limit() -> None:
    with pytest.raises(ValueError):
        truncate("abc", 0)


@FAST
@given(TEXT, st.integers(1, 3000))
def test_truncate_property(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        assert out.endswith("…")
        assert text.startswith(out[:-1])


# --- embed ----------------------------------------------------------------------------


def test_embed_shape() -> None:
    when = datetime(2024, 7, 13, 12, 0, tzinfo=timezone(timedelta(hours=-7)))
    e = embed(
        "Town hall",
        "Come hear the bargaining committee.",
        fields=[("Where", "Local hall"), ("When", "<t:1720897200:F>", True)],
        url=URL,
        footer="IATSE",
        colour=Colour.INFO,
        timestamp=when,
        author="Bargaining committee",
    )
    assert e == {
        "type": "rich",
        "title": "Town hall",
        "description": "Come hear the bargaining committee.",
        "url": URL,
        "color": Colour.INFO,
        "timestamp": "2024-07-13T19:00:00+00:00",
        "footer": {"text": "IATSE"},
        "author": {"name": "Bargaining committee"},
        "fields": [
            {"name": "Where", "value": "Local hall", "inline": False},
            {"name": "When", "value": "<t:1720897200:F>", "inline": True},
        ],
    }


def test_embed_minimal_has_no_empty_parts() -> None:
    assert embed("Hi") == {"type": "rich", "title": "Hi"}
    assert embed("Hi", "   ", footer=" ", author="") == {"type": "rich", "title": "Hi"}


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
def test_embed_rejects_an_empty_title(title: str) -> None:
    with pytest.raises(ValueError):
        embed(title)


def test_embed_rejects_bad_colour_and_naive_timestamp() -> None:
    with pytest.raises(ValueError):
        embed("x", colour=0x1000000)
    with pytest.raises(ValueError):
        embed("x", colour=-1)
    with pytest.raises(ValueError):
        embed("x", timestamp=datetime(2024, 7, 13))


def test_empty_field_parts_get_a_placeholder() -> None:
    e = embed("x", fields=[("", ""), ("  ", "\n")])
    assert [(f["name"], f["value"]) for f in e["fields"]] == [("—", "—"), ("—", "—")]
    assert "\u200b" not in json.dumps(e, ensure_ascii=False)


def test_long_description_ends_with_a_read_more_link() -> None:
    text = "word " * 2000
    e = embed("Update", text, url=URL)
    assert len(e["description"]) <= Limits.DESCRIPTION
    assert e["description"].endswith(f"… [Read the rest]({URL})")
    assert e["description"].startswith("word word")
    without_url = embed("Update", text)
    assert without_url["description"].endswith("word…")


def test_more_than_25_fields() -> None:
    e = embed("Units", fields=[(f"Local {i}", "TA reached") for i in range(40)])
    assert len(e["fields"]) == 25
    assert e["fields"][23]["name"] == "Local 23"
    assert e["fields"][-1]["name"] == "… and 16 more"
    with_url = embed("Units", fields=[(str(i), "v") for i in range(30)], url=URL)
    assert with_url["fields"][-1]["value"] == f"[See all]({URL})"


def test_6000_total_trims_description_then_fields() -> None:
    fields = [("n" * 256, "v " * 512) for _ in range(25)]  # 32,000 characters of fields
    e = embed("T" * 256, "d " * 3000, fields=fields, footer="f" * 2048, author="a" * 256)
    assert_within_limits(e)
    # The description keeps its floor; fields were dropped behind a marker.
    assert len(e["description"]) >= 1000
    assert e["fields"][-1]["name"].startswith("… and ")
    assert "footer" in e and "author" in e


def test_6000_total_trims_only_the_description_when_that_is_enough() -> None:
    fields = [("name", "v" * 1000) for _ in range(3)]
    e = embed("T", "word " * 1000, fields=fields, url=URL)
    assert len(e["fields"]) == 3
    assert embed_length(e) <= Limits.EMBED_TOTAL
    assert e["description"].endswith(f"[Read the rest]({URL})")


FIELD = st.one_of(
    st.tuples(TEXT, TEXT),
    st.tuples(TEXT, TEXT, st.booleans()),
)


@FAST
@given(
    title=TEXT.filter(lambda t: t.strip()),
    description=st.none() | TEXT,
    fields=st.lists(FIELD, max_size=40),
    footer=st.none() | TEXT,
    author=st.none() | TEXT,
    url=st.none() | st.just(URL),
)
def test_embed_always_within_limits(
    title: str,
    description: str | None,
    fields: list[tuple],
    footer: str | None,
    author: str | None,
    url: str | None,
) -> None:
    e = embed(title, description, fields=fields, footer=footer, author=author, url=url)
    assert_within_limits(e)


def test_embed_length_counts_the_parts_discord_counts() -> None:
    e = embed("abc", "de", fields=[("f", "gh")], footer="ij", author="k", url=URL, colour=1)
    assert embed_length(e) == 3 + 2 + 1 + 2 + 2 + 1
    # Code points, as Discord counts: one emoji is one character.
    assert embed_length({"title": "\U0001f4e3"}) == 1


# --- split_text -----------------------------------------------------------------------


def test_split_prefers_paragraphs() -> None:
    text = "First paragraph here.\n\nSecond one, a bit longer than that."
    assert split_text(text, 40) == [
        "First paragraph here.",
        "Second one, a bit longer than that.",
    ]


def test_split_prefers_lines_then_sentences_then_words() -> None:
    assert split_text("line one is here\nline two", 20) == ["line one is here", "line two"]
    assert split_text("One sentence here. Another one follows", 25) == [
        "One sentence here.",
        "Another one follows",
    ]
    assert split_text("alpha beta gamma delta", 12) == ["alpha beta", "gamma delta"]


def test_split_cuts_a_word_only_when_it_is_too_long() -> None:
    assert split_text("ab " + "x" * 12, 5) == ["ab", "xxxxx", "xxxxx", "xx"]


def test_split_short_and_empty() -> None:
    assert split_text("hello", 2000) == ["hello"]
    assert split_text("", 10) == []
    assert split_text(" \n\n ", 2) == []
    with pytest.raises(ValueError):
        split_text("x", 0)


def _without_whitespace(text: str) -> str:
    return "".join(text.split())


@FAST
@given(TEXT, st.integers(1, 2500))
def test_split_text_property(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(1 <= len(chunk) <= limit for chunk in chunks)
    assert all(chunk == chunk.strip() for chunk in chunks)
    # Chunks are consecutive slices of the text with only whitespace between them.
    position = 0
    for chunk in chunks:
        found = text.find(chunk, position)
        assert found >= 0
        assert text[position:found].strip() == ""
        position = found + len(chunk)
    assert text[position:].strip() == ""
    assert _without_whitespace("".join(chunks)) == _without_whitespace(text)


@FAST
@given(
    st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=30), min_size=1),
    st.integers(30, 200),
)
def test_split_text_never_breaks_a_word_that_fits(words: list[str], limit: int) -> None:
    chunks = split_text(" ".join(words), limit)
    assert [w for chunk in chunks for w in chunk.split()] == words


# --- mentions and messages ------------------------------------------------------------


def test_defang() -> None:
    assert defang("hi @everyone and @here") == "hi @\u200beveryone and @\u200bhere"
    assert defang("@Everyone") == "@\u200bEveryone"
    assert defang(defang("@everyone")) == defang("@everyone")
    assert defang("mail me@example.org, <@&123>") == "mail me@example.org, <@&123>"


def test_allowed_mentions() -> None:
    assert allowed_mentions() == {"parse": []}
    assert allowed_mentions(roles=[123, 123, 456]) == {"parse": [], "roles": ["123", "456"]}
    assert allowed_mentions(users=[7]) == {"parse": [], "users": ["7"]}
    with pytest.raises(ValueError):
        allowed_mentions(users=range(101))


def test_message_defaults_to_no_pings() -> None:
    payload = message("Vote closes @everyone")
    assert payload == {
        "content": "Vote closes @\u200beveryone",
        "allowed_mentions": {"parse": []},
    }
    # A fresh copy each time: mutating one payload cannot loosen the next.
    payload["allowed_mentions"]["parse"].append("everyone")
    assert NO_PINGS == {"parse": []}
    assert message("x")["allowed_mentions"] == {"parse": []}


def test_message_pings_only_the_named_role() -> None:
    payload = message("<@&42> town hall tonight", mentions=allowed_mentions(roles=[42]))
    assert payload["allowed_mentions"] == {"parse": [], "roles": ["42"]}


def test_message_refuses_parse_mentions() -> None:
    with pytest.raises(ValueError):
        message("x", mentions={"parse": ["everyone"]})


def test_message_limits() -> None:
    payload = message("word " * 1000, embeds=[embed(f"E{i}") for i in range(12)])
    assert len(payload["content"]) <= Limits.CONTENT
    assert len(payload["embeds"]) == Limits.EMBEDS


def test_message_keeps_the_6000_total_across_embeds() -> None:
    big = embed("Big", "word " * 900)  # 4,500 characters
    payload = message(embeds=[big, big, big])
    assert sum(embed_length(e) for e in payload["embeds"]) <= Limits.EMBED_TOTAL
    assert payload["embeds"][0] == big
    # The second is trimmed into the room left; the third has none and is dropped.
    assert len(payload["embeds"]) == 2
    assert payload["embeds"][1]["description"].endswith("…")


def test_message_components_pass_through() -> None:
    components = [{"type": 1, "components": []}]
    assert message("x", components=components)["components"] == components


@FAST
@given(
    content=st.none() | TEXT,
    embeds=st.lists(
        st.builds(
            lambda t, d, n: embed(t, d, fields=[("f", d)] * n),
            TEXT.filter(lambda t: t.strip()),
            TEXT,
            st.integers(0, 30),
        ),
        max_size=12,
    ),
    roles=st.lists(st.integers(1, 2**63), max_size=5),
)
def test_message_always_within_limits_and_never_parses(
    content: str | None, embeds: list[dict], roles: list[int]
) -> None:
    payload = message(
        content, embeds=embeds, mentions=allowed_mentions(roles=roles) if roles else None
    )
    assert payload["allowed_mentions"]["parse"] == []
    assert len(payload.get("content", "")) <= Limits.CONTENT
    assert "@everyone" not in payload.get("content", "").lower()
    assert "@here" not in payload.get("content", "").lower()
    assert len(payload.get("embeds", [])) <= Limits.EMBEDS
    assert sum(embed_length(e) for e in payload.get("embeds", [])) <= Limits.EMBED_TOTAL
    for e in payload.get("embeds", []):
        assert_within_limits(e)
    json.dumps(payload)


def test_colours_are_distinct_rgb_ints() -> None:
    values = [Colour.INFO, Colour.SUCCESS, Colour.WARNING, Colour.DANGER, Colour.NEUTRAL]
    assert len(set(values)) == 5
    assert all(isinstance(v, int) and 0 <= v <= 0xFFFFFF for v in values)


def test_embed_timestamp_is_utc() -> None:
    e = embed("x", timestamp=datetime(2024, 7, 13, 19, 0, tzinfo=UTC))
    assert e["timestamp"] == "2024-07-13T19:00:00+00:00"


def test_count_agrees_with_its_number() -> None:
    assert count(1, "subscriber", "subscribers") == "1 subscriber"
    assert count(2, "subscriber", "subscribers") == "2 subscribers"
    assert count(0, "volunteer", "volunteers") == "0 volunteers"
    assert count(1, "delivery", "deliveries") == "1 delivery"
    assert count(12500, "member", "members") == "12,500 members"


# --- the plain form ---------------------------------------------------------------------


def _vote_message() -> dict:
    return message(
        "Voting opens today.",
        embeds=[
            embed(
                "Ratification vote",
                "Vote at the [Union voting service](https://vote.example.org/ba) by Friday.",
                fields=[("Turnout", "12 of 40 (30%)", True), ("Where", "Online\nor Hall B")],
                footer="Vote #3",
                author="Bargaining committee",
                url=URL,
            )
        ],
    )


def test_plain_text_says_everything_the_embed_says() -> None:
    text = plain_text(_vote_message())
    assert text.startswith("Voting opens today.")
    for part in (
        "Bargaining committee",
        "**Ratification vote** (link: <https://example.org/updates/42>)",
        # A link says where it goes, without a preview.
        "Union voting service: <https://vote.example.org/ba>",
        "Turnout: 12 of 40 (30%)",
        "Where:\nOnline\nor Hall B",
        "Vote #3",
    ):
        assert part in text


def test_plain_payload_has_content_only_within_2000_and_says_where_the_rest_is() -> None:
    long = message(embeds=[embed("Update", "word " * 700, url=URL, fields=[("A", "b")])])
    plain = plain_payload(long)
    assert plain["embeds"] == []
    assert len(plain["content"]) <= Limits.CONTENT
    assert plain["content"].endswith(f"the whole text: <{URL}>)")
    assert plain["allowed_mentions"] == {"parse": []}
    # Split into messages instead, nothing is lost.
    chunks = plain_messages(long)
    assert len(chunks) == 2 and all(len(c) <= Limits.CONTENT for c in chunks)
    assert sum(c.count("word") for c in chunks) == 700


def test_plain_form_never_pings() -> None:
    payload = message(embeds=[embed("Hi @everyone", "and @here")])
    assert "@everyone" not in plain_payload(payload)["content"]
    assert all("@here" not in c for c in plain_messages(payload))


def test_with_plain_text_keeps_the_embed_and_adds_its_text() -> None:
    payload = _vote_message()
    both = with_plain_text(payload)
    assert both["embeds"] == payload["embeds"]
    assert "Turnout: 12 of 40 (30%)" in both["content"]
    assert with_plain_text(message("just text")) == message("just text")


def test_listing_says_how_many_lines_it_left_out() -> None:
    lines = [f"Local {n}: 12 of 40 (30%)" for n in range(100)]
    text = listing(lines, 200, head="Turnout:", sep="; ")
    assert len(text) <= 200
    assert text.startswith("Turnout: Local 0: 12 of 40 (30%); Local 1")
    kept = text.count("Local")
    assert text.endswith(f"… and {100 - kept} more")
    assert listing(["a", "b"], 100, head="Two:") == "Two:\na\nb"
