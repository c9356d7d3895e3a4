"""Negotiation updates: organizers publish, members read, list and search them.

The package's modules: `model` (the dataclasses, reading, how an update looks), `publishing`
(checking a draft, the audience, publish, edit, retract), `searching` (full-text search),
`summaries` (structured summaries of an agreement), `cascade` (passing an update on through
the CAT volunteers), `demo` (demo content). The topic list is `bot.topics`. This module
re-exports what other capabilities and the cogs call.
"""

from __future__ import annotations

from bot.topics import TOPIC_MAX, add_topic, find_topic, remove_topic, topics
from bot.updates.demo import DEMO_KEY, load_demo
from bot.updates.model import (
    BODY_MAX,
    NOTE_MAX,
    PAGE_SIZE,
    TITLE_MAX,
    URL_MAX,
    Draft,
    Page,
    Update,
    get,
    last_heard,
    latest,
    page,
    page_embed,
    retraction_embed,
    update_embed,
)
from bot.updates.publishing import (
    INSERT,
    INSERT_TOPIC,
    INSERT_UNIT,
    PublishHook,
    audience,
    clean_text,
    edit,
    make_draft,
    on_publish,
    publish,
    resolve_topics,
    resolve_units,
    retract,
    split_list,
)
from bot.updates.searching import QUERY_MAX, SearchHit, fts_query, search, search_embed, snippet

__all__ = [
    "BODY_MAX",
    "DEMO_KEY",
    "INSERT",
    "INSERT_TOPIC",
    "INSERT_UNIT",
    "NOTE_MAX",
    "PAGE_SIZE",
    "QUERY_MAX",
    "TITLE_MAX",
    "TOPIC_MAX",
    "URL_MAX",
    "Draft",
    "Page",
    "PublishHook",
    "SearchHit",
    "Update",
    "add_topic",
    "audience",
    "clean_text",
    "edit",
    "find_topic",
    "fts_query",
    "get",
    "last_heard",
    "latest",
    "load_demo",
    "make_draft",
    "on_publish",
    "page",
    "page_embed",
    "publish",
    "remove_topic",
    "resolve_topics",
    "resolve_units",
    "retract",
    "retraction_embed",
    "search",
    "search_embed",
    "snippet",
    "split_list",
    "topics",
    "update_embed",
]
