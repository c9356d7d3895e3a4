"""Drive a real discord.py bot against :class:`bot.sandbox.fake.FakeDiscord`, as a member would.

The driver builds raw INTERACTION_CREATE payloads shaped as Discord documents them (slash
commands with options, autocomplete, component clicks and selects, modal submits), pushes
them through the fake gateway, waits until the bot is idle and reports what the bot did
(:class:`ActionResult`). It is used by the end-to-end tests, the sandbox and benchmarks.

- :mod:`.core`: :class:`Driver`, its start, restart and stop, and idleness;
- :mod:`.parsing`: the sandbox's line language, turned into interaction payloads;
- :mod:`.actions`: commands, autocomplete, clicks, selects, modal submits;
- :mod:`.results`: what an action reports, and Discord's option and component types.
"""

from bot.sandbox.driver.core import Driver
from bot.sandbox.driver.results import (
    ACTION_ROW,
    ATTACHMENT,
    BOOLEAN,
    BUTTON,
    CHANNEL,
    CHANNEL_SELECT,
    FILE_UPLOAD,
    INTEGER,
    LABEL,
    MENTIONABLE,
    MENTIONABLE_SELECT,
    NUMBER,
    ROLE,
    ROLE_SELECT,
    SELECT_TYPES,
    STRING,
    STRING_SELECT,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    TEXT_DISPLAY,
    TEXT_INPUT,
    USER,
    USER_SELECT,
    ActionResult,
    CapturedError,
    DriverError,
    PostedMessage,
    iter_components,
    message_text,
)

__all__ = [
    "ACTION_ROW",
    "ATTACHMENT",
    "BOOLEAN",
    "BUTTON",
    "CHANNEL",
    "CHANNEL_SELECT",
    "FILE_UPLOAD",
    "INTEGER",
    "LABEL",
    "MENTIONABLE",
    "MENTIONABLE_SELECT",
    "NUMBER",
    "ROLE",
    "ROLE_SELECT",
    "SELECT_TYPES",
    "STRING",
    "STRING_SELECT",
    "SUB_COMMAND",
    "SUB_COMMAND_GROUP",
    "TEXT_DISPLAY",
    "TEXT_INPUT",
    "USER",
    "USER_SELECT",
    "ActionResult",
    "CapturedError",
    "Driver",
    "DriverError",
    "PostedMessage",
    "iter_components",
    "message_text",
]
