"""Hostile text and one hostile run of a command: options, the modal it opens, its confirm button.

Used by tests/hardening/test_hostile_input.py (a few examples per command) and
bench/hostile.py (many more).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from bot.sandbox.driver import BUTTON, DriverError, iter_components
from tests.hardening.harness import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    OPTION_CAP,
    REFUSAL_TITLE,
    ROLE,
    STRING,
    TEXT_INPUT,
    TEXT_INPUT_CAP,
    USER,
    USERS,
    CommandSpec,
    SyncRig,
    Tally,
    wire_problems,
)


def nasty_pieces(role_ids: list[int], user_ids: list[int]) -> list[str]:
    """What members (or attackers) type: mentions, markdown, FTS5 and SQL syntax, odd unicode."""
    pieces = [
        "@everyone",
        "@here",
        "@ everyone",
        "@\u200beveryone",
        "＠everyone",
        "@EVERYONE",
        "```",
        "```py\nprint(1)\n```",
        "`",
        "**",
        "__",
        "~~",
        "||spoiler||",
        "> quote",
        "# heading",
        "-# small",
        "[link](https://example.com)",
        "<https://example.com>",
        "<t:0:F>",
        "<t:99999999999999:R>",
        "<:emoji:123>",
        "<a:x:1>",
        "</help:1>",
        "<#1>",
        "<@!1>",
        "<@&1>",
        "<@0>",
        "\\",
        "\\@everyone",
        '"',
        "'",
        "*",
        "^",
        "-",
        "+",
        "NEAR(a b, 2)",
        "a OR b",
        "NOT",
        "AND",
        "col:term",
        '"unterminated',
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "a*",
        "^start",
        ":",
        "::",
        "'; DROP TABLE faq_entries; --",
        "' OR '1'='1",
        "1; SELECT * FROM guild_settings",
        "%",
        "_",
        "%_%",
        "?",
        "?1",
        ":name",
        "$1",
        "NULL",
        "\x00",
        "\x1b[31m",
        "\r\n",
        "\t",
        "\n" * 30,
        " " * 50,
        "\u200b",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u202e",
        "\u2066",
        "\u0301" * 40,
        "Z̴̡̛a̶l̸g̵o̷",
        "🏳️‍🌈",
        "👩‍👩‍👧‍👦",
        "𝕬𝖇𝖈",
        "ﷺ",
        "\U0010ffff",
        "\ud7ff",
        "İ",
        "ß",
        "ﬃ",
        "ǅ",
        "0",
        "-1",
        "1e309",
        "NaN",
        "9" * 30,
        "2024-13-45",
        "tomorrow 25:99",
        "next friday 7pm",
        "in 999999 years",
        "yesterday",
        "America/Los_Angeles",
        "../../etc/passwd",
        "${jndi:ldap://x}",
        "{{7*7}}",
        "%s%n",
    ]
    for rid in role_ids:
        pieces.append(f"<@&{rid}>")
    for uid in user_ids:
        pieces += [f"<@{uid}>", f"<@!{uid}>"]
    return pieces


def hostile_text(pieces: list[str], *, min_size: int = 0, max_size: int = OPTION_CAP) -> Any:
    """Any text from 0 to `max_size` code points, weighted to what breaks bots."""
    alphabet = st.characters(codec="utf-8")  # every code point but surrogates, controls too
    piece = st.sampled_from(pieces)
    mixed = st.lists(st.one_of(piece, st.text(alphabet, max_size=20)), max_size=12).map("".join)

    def long_of(seed: str) -> Any:
        return st.integers(min_value=max(min_size, 1), max_value=max_size).map(
            lambda n: (seed * (n // max(len(seed), 1) + 1))[:n]
        )

    long = st.builds(lambda s: s, st.sampled_from(pieces)).flatmap(long_of)
    edge_lengths = st.sampled_from(
        sorted(
            {
                n
                for n in (1, 99, 100, 101, 256, 1024, 1025, 2000, 2001, 4000, 4096, 6000)
                if min_size <= n <= max_size
            }
        )
        or [max(min_size, 1)]
    ).map(lambda n: ("@everyone <@&1> **x** " * (n // 20 + 1))[:n])
    strategy = st.one_of(
        st.text(alphabet, max_size=min(max_size, 200)),
        piece,
        mixed,
        long,
        edge_lengths,
    )
    return strategy.map(lambda s: s[:max_size]).filter(lambda s: len(s) >= min_size)


def option_values(
    draw: Any, rig: SyncRig, spec: CommandSpec, pieces: list[str], *, over: bool
) -> dict[str, Any]:
    """Values for a command's options: hostile text for free text, valid values for the rest.

    ``over``: strings without a declared max_length may run past Discord's 6000 cap.
    """
    d = rig.demo
    values: dict[str, Any] = {}
    for o in spec.options:
        t = o["type"]
        required = o.get("required", False)
        if not required and not draw(st.booleans()):
            continue
        if o.get("choices"):
            values[o["name"]] = draw(st.sampled_from([c["value"] for c in o["choices"]]))
        elif t == STRING:
            lo = o.get("min_length") or (1 if required else 0)
            hi = o.get("max_length") or (OPTION_CAP + 2000 if over else OPTION_CAP)
            values[o["name"]] = draw(hostile_text(pieces, min_size=lo, max_size=hi))
        elif t in (INTEGER, NUMBER):
            lo = o.get("min_value", -(2**53))
            hi = o.get("max_value", 2**53)
            small = st.integers(min_value=max(lo, -3), max_value=min(hi, 50))
            values[o["name"]] = draw(st.one_of(small, st.integers(min_value=lo, max_value=hi)))
        elif t == BOOLEAN:
            values[o["name"]] = draw(st.booleans())
        elif t in (USER, MENTIONABLE):
            values[o["name"]] = draw(st.sampled_from(USERS))
        elif t == ROLE:
            values[o["name"]] = draw(
                st.sampled_from(["organizer", "cat", "cat-coordinator", "@everyone"])
            )
        elif t == CHANNEL:
            kinds = o.get("channel_types")
            names = list(d.channels) if not kinds or 0 in kinds else []
            if not names:
                if required:
                    raise DriverError(f"/{spec.name}: no demo channel fits {o['name']}")
                continue
            values[o["name"]] = draw(st.sampled_from(names))
        elif t == ATTACHMENT:
            # A file a member uploads: hostile text, or any bytes, under an ordinary name.
            ext = draw(st.sampled_from(["txt", "md", "csv", "pdf", "png", "json", "ics", "bin"]))
            data = draw(
                st.one_of(
                    hostile_text(pieces, max_size=3000).map(lambda s: s.encode("utf-8")),
                    st.binary(max_size=3000),
                )
            )
            path = rig.directory / f"upload-{o['name']}.{ext}"
            path.write_bytes(data)
            values[o["name"]] = str(path)
        elif required:
            raise DriverError(f"/{spec.name}: cannot fill required option {o['name']} (type {t})")
    return values


def _text_inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c for c in iter_components(modal.get("components") or []) if c.get("type") == TEXT_INPUT
    ]


def _confirm_button(reply: dict[str, Any] | None) -> dict[str, Any] | None:
    """The first primary or success button of a reply: the usual 'go ahead' of a preview."""
    if not reply:
        return None
    for c in iter_components(reply.get("components") or []):
        if (
            c.get("type") == BUTTON
            and c.get("style") in (1, 3)
            and not c.get("disabled")
            and c.get("custom_id")
        ):
            return c
    return None


def _explicit_roles(spec: CommandSpec, values: dict[str, Any], rig: SyncRig) -> set[int]:
    """Roles an organizer named in a role option: the only ones a message may ping."""
    roles = set()
    for o in spec.options:
        if o["type"] == ROLE and o["name"] in values:
            roles.add(rig.demo.roles[values[o["name"]]])
    return roles


def exercise(
    draw: Any,
    rig: SyncRig,
    spec: CommandSpec,
    pieces: list[str],
    tally: Tally,
    *,
    user: str = "erin",
    over: bool = False,
    steps: int = 3,
) -> list[str]:
    """Run one hostile example of `spec` and return what went wrong (empty: it held).

    The command is sent with hostile options; a modal it opens is submitted with hostile
    text; the first confirm button of the answer is pressed (so previews get posted); up to
    `steps` actions. Then deliveries are let out and every body is checked.
    """
    driver = rig.driver
    assert driver is not None
    problems: list[str] = []
    mark = len(rig.fake.requests)
    # Everything is drawn before the bot runs: what hypothesis draws must not depend on the
    # database (a modal opens or not), or it cannot replay and shrink an example.
    values = option_values(draw, rig, spec, pieces, over=over)
    pool = draw(st.lists(hostile_text(pieces, max_size=TEXT_INPUT_CAP), min_size=4, max_size=4))
    presses = draw(st.lists(st.booleans(), min_size=steps, max_size=steps))
    blanks = draw(st.lists(st.booleans(), min_size=4, max_size=4))
    try:
        result = rig.run(driver.invoke(user, spec.name, values, check_lengths=not over))
    except DriverError as exc:
        return [f"driver refused the example: {exc}"]
    tally.actions += 1
    for step in range(steps):
        if result.callback_type is None:
            problems.append(f"{result.action}: the bot never answered the interaction")
            break
        if result.modal is not None and result.callback_type == 9:
            fields = {}
            for i, ti in enumerate(_text_inputs(result.modal)):
                required = ti.get("required", True)
                lo = ti.get("min_length") or (1 if required else 0)
                hi = min(ti.get("max_length") or TEXT_INPUT_CAP, TEXT_INPUT_CAP)
                text = pool[i % len(pool)]
                if not required and blanks[i % len(blanks)]:
                    # Optional fields left empty, so the happy path (a preview, a post) runs too.
                    text = ""
                # Within the input's own bounds: Discord delivers nothing else.
                fields[ti["custom_id"]] = (text + "@everyone " * lo)[: max(lo, min(len(text), hi))]
            result = rig.run(driver.submit(user, fields))
            tally.actions += 1
            continue
        button = _confirm_button(result.reply)
        if button is None or not presses[step]:
            break
        result = rig.run(
            driver.click(user, button["custom_id"], message_id=int(result.reply["id"]))
        )
        tally.actions += 1
    if result.reply and any(
        e.get("title") == REFUSAL_TITLE for e in result.reply.get("embeds") or []
    ):
        tally.refused += 1
    # Let scheduled sends and deliveries out, then look at everything that went over the wire.
    rig.advance(minutes=5)
    requests = rig.fake.requests[mark:]
    tally.bodies_checked += sum(1 for r in requests if isinstance(r.json, dict))
    problems += wire_problems(requests, allowed_roles=_explicit_roles(spec, values, rig))
    problems += rig.problems()
    tally.examples += 1
    tally.by_command[spec.name] = tally.by_command.get(spec.name, 0) + 1
    return problems
