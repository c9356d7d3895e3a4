"""How a capability declares the data it keeps about members, and the core's own tables.

Each capability lists, beside its code, every table and column it writes that holds a
member's id or text (a `Use`: which rows are the member's, why, and what `/privacy delete`
and the retention purge do with them), and the columns of its tables that look personal to
the schema test but are not (`NotPersonal`). `bot.wiring` hands every capability's
`PERSONAL_DATA` to the privacy engine (`bot.privacy.declaration`) at start-up; the engine
exports, deletes, purges and prints the README's data table from what it collected.

What happens to a declared row: it is exported to the member, then deleted, anonymised (the
row stays, so counts stay, but no longer points to anyone) or kept (published material whose
link to the member is anonymised by another use).
"""

from __future__ import annotations

from dataclasses import dataclass

DELETE, ANONYMISE, KEEP = "delete", "anonymise", "keep"
# The `member` expression of a table that never records who wrote its rows (bot.faq's
# unanswered questions): it matches no member (ids are never 0), so export and delete find
# nothing there that links to anyone, and the retention purge takes every row of the server.
NOBODY = "0"


@dataclass(frozen=True)
class Personal:
    """One column that holds data about a member."""

    column: str
    holds: str  # "member id" or "member text"
    purpose: str


@dataclass(frozen=True)
class Use:
    """One way a table holds data about a member: which rows are theirs and what happens.

    `member` and `guild` are SQL expressions over the table's row (the member's user id, the
    row's server; `guild` None for tables without a server). `anonymise` maps columns to
    the SQL expression that replaces them (on delete, and on purge unless `purge` says
    DELETE). Columns of `columns` that are neither deleted nor anonymised are kept, for the
    reason in `why`. `timers` lists (timer kind, SQL expression of the row giving the
    timer's subject id) of timers scheduled for the member's rows: `/privacy delete` cancels
    the pending ones before it changes the rows, so none fires for a forgotten member.
    """

    name: str
    table: str
    member: str
    guild: str | None
    columns: tuple[Personal, ...]
    export: tuple[str, ...]
    on_delete: str
    why: str
    anonymise: tuple[tuple[str, str], ...] = ()
    purge: str | None = None  # what retention does (None: as on_delete)
    extra: str = "1"  # a further condition on the rows (e.g. DMs only)
    timers: tuple[tuple[str, str], ...] = ()

    def fate(self, column: str, *, purging: bool = False) -> str:
        """What delete (or the purge) does to one declared column."""
        action = (self.purge or self.on_delete) if purging else self.on_delete
        if action == DELETE:
            return DELETE
        if column in dict(self.anonymise):
            return ANONYMISE
        return KEEP


@dataclass(frozen=True)
class NotPersonal:
    """Columns the schema test would flag as able to hold a member's id or text, which do not."""

    table: str
    columns: tuple[str, ...]
    why: str


def holds_id(column: str, purpose: str) -> Personal:
    """A column holding a member's Discord id."""
    return Personal(column, "member id", purpose)


def holds_text(column: str, purpose: str) -> Personal:
    """A column holding text a member wrote (or text about them)."""
    return Personal(column, "member text", purpose)


# The core's own tables: messages the bot sends, the audit log, DM channels, settings,
# members' preferences.
PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "messages_authored",
        "broadcast",
        "author_id",
        "guild_id",
        (
            holds_id("author_id", "who asked the bot to send it"),
            holds_text("payload", "the message the bot sends (may quote a member's question)"),
        ),
        ("id", "kind", "created_at", "scheduled_for", "state"),
        ANONYMISE,
        "what the bot sent stays as sent; who asked for it is forgotten",
        anonymise=(("author_id", "NULL"),),
    ),
    Use(
        "direct_messages",
        "delivery",
        "target_id",
        "(SELECT b.guild_id FROM broadcast b WHERE b.id = delivery.broadcast_id)",
        (
            holds_id("target_id", "whom the bot DMs (an answer, a reminder, an update)"),
            holds_id("channel_id", "the member's DM channel the message went to"),
            holds_id("message_id", "the DM the bot sent"),
        ),
        ("broadcast_id", "state", "due_at", "updated_at"),
        ANONYMISE,
        "delivery counts stay; DMs not yet sent are cancelled, none points to the member",
        anonymise=(
            ("state", "CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END"),
            ("target_id", "-id"),
            ("channel_id", "NULL"),
            ("message_id", "NULL"),
        ),
        extra="target_kind = 'dm'",
    ),
    Use(
        "actions_taken",
        "audit_log",
        "actor_id",
        "guild_id",
        (holds_id("actor_id", "who did an organizer action (the transparency log)"),),
        ("action", "subject", "at"),
        ANONYMISE,
        "the action and its date stay for the transparency log; its actor is forgotten",
        anonymise=(("actor_id", "NULL"),),
    ),
    Use(
        "dm_channel",
        "dm_channel",
        "user_id",
        None,
        (holds_id("user_id", "the member's DM channel, opened once and reused"),),
        ("channel_id", "opened_at"),
        DELETE,
        "deleted (reopened if the bot ever needs to DM them again)",
        purge=KEEP,  # not a server's data: other servers may still DM the member
    ),
    Use(
        "dm_closed",
        "dm_closed",
        "user_id",
        None,
        (holds_id("user_id", "the member's DMs were found closed this week (not tried again)"),),
        ("closed_at",),
        DELETE,
        "deleted",
        purge=KEEP,  # not a server's data: it spares the member's other servers a refused DM
    ),
    Use(
        "preferences",
        "member_preference",
        "user_id",
        "guild_id",
        (holds_id("user_id", "how the member asked the bot to talk to them (/settings)"),),
        ("plain_text", "updated_at"),
        DELETE,
        "deleted (the bot goes back to its defaults for the member)",
    ),
    Use(
        "rate_limits",
        "member_action",
        "user_id",
        "guild_id",
        (holds_id("user_id", "when the member last asked, voted or subscribed: the limits"),),
        ("action", "at"),
        DELETE,
        "deleted (kept a day at most anyway)",
    ),
    NotPersonal("member_action", ("action", "at"), "an action name and its time"),
    NotPersonal("member_limit", ("action",), "a server's limits"),
    NotPersonal(
        "deleted_member",
        ("digest",),
        "a one-way digest of a deleted member's id, so a restored backup forgets them again",
    ),
    NotPersonal("meta", ("key", "value"), "the bot's own bookkeeping"),
    NotPersonal("guild_settings", ("timezone",), "a server setting"),
    NotPersonal(
        "audit_log",
        ("action", "subject", "detail", "at"),
        "an action name and row ids; detail never holds personal data (architecture rule)",
    ),
    NotPersonal(
        "broadcast", ("kind", "subject", "state", "scheduled_for"), "kinds, references, times"
    ),
    NotPersonal(
        "delivery",
        ("action", "target_kind", "state", "reason", "edit_message_id", "requires"),
        "states, why a send failed (Discord's error), the channel post being edited, and "
        "the role a DM needs when sent",
    ),
    NotPersonal(
        "timer",
        ("kind", "payload", "state", "subject_id", "useful_until"),
        "timers carry row ids only",
    ),
    NotPersonal("bargaining_unit", ("code", "name"), "the union's bargaining units"),
    NotPersonal("heartbeat", ("last_event",), "a gateway event name"),
    NotPersonal("backup_log", ("path", "reason"), "backup files"),
)
