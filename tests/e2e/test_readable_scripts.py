"""Readable by everyone: every message of every sandbox script, checked in both forms.

The sandbox scripts (tests/scripts/*.txt) play every command, button and form of the bot, so
what they record is every message template the bot sends. For each message with embeds, its
plain form (`render.plain_text`) must hold every word, number and link the embeds show; a
status colour must come with the status in words; every image must have a description whose
numbers the message also shows in text; no text is an ASCII-art bar, a line of symbols alone
or a link saying only "here". Then the same scripts run with every demo member reading plain
text (`rankfile sandbox --plain-text`): every answer and every DM must carry content and no
embeds, within Discord's 2,000 characters.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import pytest

from bot.core import render
from bot.sandbox import repl as sandbox
from tests.support import T0

SCRIPTS = sorted((Path(__file__).resolve().parent.parent / "scripts").glob("*.txt"))
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
FOLLOWUP = "/webhooks/{webhook_id}/{webhook_token}"
POST = "/channels/{channel_id}/messages"
EDIT = "/channels/{channel_id}/messages/{message_id}"
IMAGE = re.compile(r"\.(png|jpe?g|gif|webp)$", re.IGNORECASE)
WORD = re.compile(r"\w+")
NUMBER = re.compile(r"\d+")
URL = re.compile(r"https?://[^\s)>\]]+")
BARS = re.compile(r"[█▓▒░■□▰▱━▇▆▅▄▃▂▁]")
MASKED = re.compile(r"\[([^\]\n]+)\]\(<?https?://")
VAGUE_LINKS = {"here", "click here", "link", "this", "this link", "more"}


async def run(path: Path, tmp_path: Path, *, plain_text: bool) -> tuple[list[dict], set[int]]:
    """The script's actions, and the ids of the DM channels the bot wrote to."""
    out = io.StringIO()
    db_path = tmp_path / f"{path.stem}-{'plain' if plain_text else 'embeds'}.db"
    await sandbox.main(
        db_path, start=T0, script=path, json_mode=True, out=out, plain_text=plain_text
    )
    actions = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    errors = [a for a in actions if a.get("error") and "is hidden from" not in a["error"]]
    assert errors == []
    with sqlite3.connect(db_path) as conn:
        dms = {row[0] for row in conn.execute("SELECT channel_id FROM dm_channel")}
    return actions, dms


def messages(actions: list[dict]) -> list[tuple[str, str, dict, dict]]:
    """(who did what, kind, message body, request) for every message the bot sent or edited:
    kind is "reply", "update", "followup", "post" or "edit"."""
    found = []
    for action in actions:
        said = f"{action['user']}: {action['action']}"
        for request in action["requests"]:
            body, route = request.get("body"), request["route"]
            if not isinstance(body, dict):
                continue
            if route == CALLBACK and body.get("type") in (4, 7) and body.get("data"):
                kind = "reply" if body["type"] == 4 else "update"
                found.append((said, kind, body["data"], request))
            elif route == FOLLOWUP and request["method"] == "POST":
                found.append((said, "followup", body, request))
            elif route == POST and request["method"] == "POST":
                found.append((said, "post", body, request))
            elif route == EDIT and request["method"] == "PATCH":
                found.append((said, "edit", body, request))
    return found


def embed_texts(item: dict) -> list[str]:
    """Every text an embed shows."""
    texts = [item.get("title") or "", item.get("description") or ""]
    texts += [(item.get("footer") or {}).get("text") or ""]
    texts += [(item.get("author") or {}).get("name") or ""]
    for field in item.get("fields") or ():
        texts += [field.get("name") or "", field.get("value") or ""]
    return [t for t in texts if t]


def problems_of(said: str, body: dict) -> list[str]:
    """What a member who cannot see the embeds' colours and pictures would miss."""
    found: list[str] = []
    plain = render.plain_text(body)
    words, numbers = set(WORD.findall(plain)), set(NUMBER.findall(plain))
    for item in body.get("embeds") or ():
        title = item.get("title")
        for text in embed_texts(item):
            missing = [w for w in WORD.findall(text) if w not in words]
            missing += [u for u in URL.findall(text) if u not in plain]
            if missing:
                found.append(f"{said}: the plain form of {title!r} drops {missing[:5]}")
        if item.get("url") and item["url"] not in plain:
            found.append(f"{said}: the plain form of {title!r} drops its link")
        colour = item.get("color")
        if colour in render.STATUS_WORDS:
            text = render.embed_text(item).lower()
            if not any(word in text for word in render.STATUS_WORDS[colour]):
                found.append(f"{said}: {title!r} says its status by colour alone")
        for kind in ("image", "thumbnail"):
            if (item.get(kind) or {}).get("url"):
                found.append(f"{said}: {title!r} has an image in an embed (no alt text possible)")
    for attachment in body.get("attachments") or ():
        name = attachment.get("filename") or ""
        if not IMAGE.search(name):
            continue
        description = attachment.get("description") or ""
        if not description.strip():
            found.append(f"{said}: the image {name} has no description")
        elif len(description) > render.Limits.ATTACHMENT_DESCRIPTION:
            found.append(f"{said}: the description of {name} is over 1,024 characters")
        # The chart's numbers are in the message as text too (the same data, in words).
        listed = re.sub(rf"{render.ELLIPSIS} and \d+ more", "", description)
        shown = [n for n in NUMBER.findall(listed) if n not in numbers]
        if shown:
            found.append(f"{said}: the numbers {shown[:5]} of {name} are not in the message")
    texts = [body.get("content") or ""] + [
        t for item in body.get("embeds") or () for t in embed_texts(item)
    ]
    for text in texts:
        if BARS.search(text):
            found.append(f"{said}: an ASCII-art bar in {text[:60]!r}")
        for line in text.splitlines():
            bare = line.strip().strip("*_`>|-").strip()
            if bare and bare not in (render.PLACEHOLDER, render.ELLIPSIS) and not WORD.search(bare):
                found.append(f"{said}: a line of symbols alone: {line!r}")
        for label in MASKED.findall(text):
            if label.strip().lower() in VAGUE_LINKS:
                found.append(f"{said}: a link that does not say where it goes: {label!r}")
    for row in body.get("components") or ():
        for item in row.get("components") or ():
            label = item.get("label")
            if item.get("type") == 2 and label is not None and not WORD.search(label):
                found.append(f"{said}: a button labelled by a symbol alone: {label!r}")
    return found


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
async def test_every_message_says_in_text_what_its_embeds_and_images_show(path, tmp_path):
    actions, _ = await run(path, tmp_path, plain_text=False)
    sent = messages(actions)
    assert sent, "the script sent nothing"
    problems = [p for said, _, body, _ in sent for p in problems_of(said, body)]
    assert problems == []


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
async def test_members_who_read_plain_text_get_no_embeds(path, tmp_path):
    actions, dms = await run(path, tmp_path, plain_text=True)
    problems = []
    checked = 0
    for said, kind, body, request in messages(actions):
        channel = request["path"].split("/channels/")[-1].split("/")[0]
        to_member = kind in ("reply", "followup") or (
            kind == "post" and channel.isdigit() and int(channel) in dms
        )
        content = body.get("content") or ""
        if len(content) > render.Limits.CONTENT:
            problems.append(f"{said}: {kind} of {len(content)} characters")
        if not to_member:
            continue
        checked += 1
        if body.get("embeds"):
            problems.append(f"{said}: a {kind} with embeds to a member who reads plain text")
        if not content.strip() and not body.get("attachments"):
            problems.append(f"{said}: an empty {kind}")
    assert checked, "no answer or DM to check"
    assert problems == []
