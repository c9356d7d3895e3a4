"""Members' data: THE declaration of what rankfile keeps about a member, and why.

`DECLARATION` lists every table and column that holds a member's id or text they wrote,
with its purpose and what happens to it: exported to the member, deleted, anonymised (the
row stays, so counts stay, but no longer points to anyone) or kept (published material
whose link to the member is anonymised). `/privacy export`, `/privacy delete`, the
retention purge and the README's data section are all driven by it; `unclassified_columns`
(and tests/test_privacy.py) fail for any column of the schema that could hold a member's
id or text and is neither declared here nor listed in `NOT_PERSONAL` with a reason.

Also here: campaign close and retention (timers `privacy.warn` and `privacy.purge`), the
removal-from-server path, the transparency log members read with `/privacy log` (audit
rows of the declared actions), and the safety checklist an admin acknowledges before the
CAT accepts sign-ups (`checklist_acknowledged`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import audit, delivery, guild_settings, render, timers
from bot.core.db import Database, from_db, to_db
from bot.core.errors import Conflict, UserError

log = logging.getLogger("rankfile.privacy")

DELETE, ANONYMISE, KEEP = "delete", "anonymise", "keep"
# The member expression of a table that never records who wrote its rows (faq_miss): it
# matches no member (ids are never 0), so export and delete find nothing there that links to
# anyone, and the retention purge takes every row of the server.
NOBODY = "0"
DEFAULT_RETENTION_DAYS = 90
WARN_BEFORE = timedelta(days=7)
RETENTION_MIN, RETENTION_MAX = 7, 3650

# Timer kinds (subject_id is the guild id).
WARN_TIMER, PURGE_TIMER = "privacy.warn", "privacy.purge"


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
    reason in `why`.
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

    def fate(self, column: str, *, purging: bool = False) -> str:
        """What delete (or the purge) does to one declared column."""
        action = (self.purge or self.on_delete) if purging else self.on_delete
        if action == DELETE:
            return DELETE
        if column in dict(self.anonymise):
            return ANONYMISE
        return KEEP


def _id(column: str, purpose: str) -> Personal:
    return Personal(column, "member id", purpose)


def _text(column: str, purpose: str) -> Personal:
    return Personal(column, "member text", purpose)


_EVENT_GUILD = "(SELECT e.guild_id FROM event e WHERE e.id = {t}.event_id)"
_VOLUNTEER_OF = "(SELECT v.user_id FROM cat_volunteer v WHERE v.id = {t}.volunteer_id)"

# THE declaration. Order matters: rows reached through another table's row (conversations
# through their volunteer) come before that row is deleted.
DECLARATION: tuple[Use, ...] = (
    Use(
        "cat_conversation_concerns",
        "cat_conversation_concern",
        "(SELECT v.user_id FROM cat_conversation c JOIN cat_volunteer v ON v.id = c.volunteer_id"
        " WHERE c.id = cat_conversation_concern.conversation_id)",
        "(SELECT c.guild_id FROM cat_conversation c"
        " WHERE c.id = cat_conversation_concern.conversation_id)",
        (_text("concern", "what coworkers cared about, for the coverage and concern counts"),),
        ("conversation_id", "concern"),
        KEEP,
        "counted per unit; no longer linked once the conversation log is anonymised",
    ),
    Use(
        "cat_conversations",
        "cat_conversation",
        _VOLUNTEER_OF.format(t="cat_conversation"),
        "guild_id",
        (
            _id("volunteer_id", "who logged the one-on-ones (links to the volunteer)"),
            _text("method", "how the conversations were held"),
        ),
        ("id", "unit_id", "count", "level", "method", "logged_at"),
        ANONYMISE,
        "the conversation counts stay for coverage, with no volunteer",
        anonymise=(("volunteer_id", "NULL"),),
    ),
    Use(
        "cat_volunteer",
        "cat_volunteer",
        "user_id",
        "guild_id",
        (
            _id("user_id", "the volunteer's Discord account, for the CAT role and DMs"),
            _text("display_name", "the name the union knows them by, for coordinators"),
            _text("department", "department or craft, for coverage"),
            _text("availability", "shift or availability, for coordinators"),
            _text("contact", "preferred contact, for coordinators"),
        ),
        (
            "display_name",
            "department",
            "availability",
            "contact",
            "status",
            "role_state",
            "commitment_accepted_at",
            "joined_at",
            "approved_at",
            "left_at",
            "list_size",
            "training_at",
            "supervises_none",
        ),
        DELETE,
        "the CAT roster: deleted",
    ),
    Use(
        "cat_approvals_made",
        "cat_volunteer",
        "approved_by",
        "guild_id",
        (_id("approved_by", "the coordinator who approved a sign-up"),),
        ("id", "approved_at"),
        ANONYMISE,
        "the sign-up stays; who approved it is forgotten",
        anonymise=(("approved_by", "NULL"),),
    ),
    Use(
        "questions_asked",
        "committee_question",
        "author_id",
        "guild_id",
        (
            _id("author_id", "to send the committee's answer back by DM"),
            _text("text", "the question, for the bargaining committee"),
        ),
        ("number", "anonymous", "text", "state", "answer", "answered_at", "created_at"),
        ANONYMISE,
        "the question stays for the committee, anonymous and no longer linked to the member"
        " (as bot.questions.forget_member); retention deletes it",
        anonymise=(("author_id", "0"), ("anonymous", "1")),
        purge=DELETE,
    ),
    Use(
        "questions_answered",
        "committee_question",
        "answered_by",
        "guild_id",
        (
            _id("answered_by", "the organizer who answered"),
            _text("answer", "the committee's answer, sent to the asker"),
        ),
        ("number", "answer", "answered_at"),
        ANONYMISE,
        "the answer stays (it is the committee's); who wrote it is forgotten",
        anonymise=(("answered_by", "NULL"),),
    ),
    Use(
        "faq_unanswered",
        "faq_miss",
        NOBODY,  # text only, never who asked
        "guild_id",
        (
            _text(
                "text",
                "a question /faq had no confident answer for, never with who asked: organizers"
                " see the most asked in /faqs gaps to write the missing answers (kept 90 days)",
            ),
        ),
        ("text", "asked_at"),
        KEEP,
        "not linked to any member, so it cannot be found for one; deleted after 90 days, once"
        " organizers answer it, and by the retention purge",
        purge=DELETE,
    ),
    Use(
        "subscriptions",
        "subscription",
        "user_id",
        "guild_id",
        (
            _id("user_id", "who gets updates by DM"),
            _text("target", "the topic subscribed to"),
        ),
        ("kind", "target", "created_at"),
        DELETE,
        "subscriptions: deleted",
    ),
    Use(
        "event_reminders",
        "event_subscriber",
        "user_id",
        _EVENT_GUILD.format(t="event_subscriber"),
        (_id("user_id", "who pressed Remind me, to DM them the event's reminders"),),
        ("event_id", "created_at"),
        DELETE,
        "reminder requests: deleted",
    ),
    Use(
        "event_rsvps",
        "event_rsvp",
        "user_id",
        "(SELECT e.guild_id FROM event_session s JOIN event e ON e.id = s.event_id"
        " WHERE s.id = event_rsvp.session_id)",
        (_id("user_id", "who said they are going, for turnout counts"),),
        ("session_id", "status", "show_name", "updated_at"),
        ANONYMISE,
        "RSVP counts stay for turnout, with no member",
        # A negative row id: unique per row, never a Discord id.
        anonymise=(("user_id", "-rowid"), ("show_name", "0")),
    ),
    Use(
        "votes_said_voted",
        "vote_voted",
        "user_id",
        _EVENT_GUILD.format(t="vote_voted"),
        (_id("user_id", "who said they voted, to stop their reminders"),),
        ("event_id", "unit_id", "at"),
        ANONYMISE,
        "turnout counts stay, with no member",
        anonymise=(("user_id", "-rowid"),),
    ),
    Use(
        "announcements_written",
        "announcement",
        "author_id",
        "guild_id",
        (
            _id("author_id", "the organizer who wrote it, for Send/Cancel and the audit"),
            _text("title", "the announcement (published to the server)"),
            _text("body", "the announcement (published to the server)"),
            _text("link", "the announcement's link"),
        ),
        ("id", "title", "state", "created_at"),
        ANONYMISE,
        "published union material stays; its author is forgotten",
        anonymise=(("author_id", "0"),),
    ),
    Use(
        "updates_written",
        "bargaining_update",
        "author_id",
        "guild_id",
        (
            _id("author_id", "the organizer who posted it"),
            _text("title", "the update (published)"),
            _text("body", "the update (published)"),
            _text("source_url", "the update's source"),
        ),
        ("id", "title", "published_at"),
        ANONYMISE,
        "published updates stay; their author is forgotten",
        anonymise=(("author_id", "NULL"),),
    ),
    Use(
        "updates_edited",
        "bargaining_update",
        "edited_by",
        "guild_id",
        (_id("edited_by", "the organizer who last edited it"),),
        ("id", "edited_at"),
        ANONYMISE,
        "who edited is forgotten",
        anonymise=(("edited_by", "NULL"),),
    ),
    Use(
        "updates_retracted",
        "bargaining_update",
        "retracted_by",
        "guild_id",
        (
            _id("retracted_by", "the organizer who retracted it"),
            _text("retraction_note", "why it was retracted (published)"),
        ),
        ("id", "retracted_at", "retraction_note"),
        ANONYMISE,
        "the retraction stays; who made it is forgotten",
        anonymise=(("retracted_by", "NULL"),),
    ),
    Use(
        "tracker_changes",
        "tracker_status_change",
        "author_id",
        "guild_id",
        (
            _id("author_id", "the organizer who set the status"),
            _text("note", "the status note (published)"),
            _text("status", "the unit's status"),
        ),
        ("id", "unit_id", "status", "reached_at", "note"),
        ANONYMISE,
        "the tracker history stays; who set it is forgotten",
        anonymise=(("author_id", "NULL"),),
    ),
    Use(
        "events_created",
        "event",
        "created_by",
        "guild_id",
        (
            _id("created_by", "the organizer who created the event"),
            _text("title", "the event (published)"),
            _text("description", "the event (published)"),
            _text("how_to_vote", "the official way to vote (published)"),
            _text("cancel_reason", "why it was cancelled (published)"),
        ),
        ("id", "kind", "title", "created_at"),
        ANONYMISE,
        "published events stay; who created them is forgotten",
        anonymise=(("created_by", "NULL"),),
    ),
    Use(
        "messages_authored",
        "broadcast",
        "author_id",
        "guild_id",
        (
            _id("author_id", "who asked the bot to send it"),
            _text("payload", "the message the bot sends (may quote a member's question)"),
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
            _id("target_id", "whom the bot DMs (an answer, a reminder, an update)"),
            _id("channel_id", "the member's DM channel the message went to"),
            _id("message_id", "the DM the bot sent"),
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
        (_id("actor_id", "who did an organizer action (the transparency log)"),),
        ("action", "subject", "at"),
        ANONYMISE,
        "the action and its date stay for the transparency log; its actor is forgotten",
        anonymise=(("actor_id", "NULL"),),
    ),
    Use(
        "campaign_closed",
        "privacy_guild",
        "closed_by",
        "guild_id",
        (_id("closed_by", "the organizer who closed the campaign (told before the purge)"),),
        ("closed_at", "purge_due_at"),
        ANONYMISE,
        "the campaign stays closed; who closed it is forgotten",
        anonymise=(("closed_by", "NULL"),),
    ),
    Use(
        "checklist_acknowledged",
        "privacy_guild",
        "checklist_acknowledged_by",
        "guild_id",
        (_id("checklist_acknowledged_by", "the admin who acknowledged the safety checklist"),),
        ("checklist_acknowledged_at",),
        ANONYMISE,
        "the acknowledgement and its date stay; who made it is forgotten",
        anonymise=(("checklist_acknowledged_by", "NULL"),),
    ),
    Use(
        "townhall_questions_asked",
        "townhall_question",
        "user_id",
        _EVENT_GUILD.format(t="townhall_question"),
        (
            _id("user_id", "to DM the asker the answer"),
            _text("text", "a question in advance for a town hall"),
            _text("answer", "the answer (the organizers')"),
        ),
        ("id", "event_id", "anonymous", "text", "state", "answer", "created_at", "answered_at"),
        ANONYMISE,
        "the question stays for the town hall, anonymous; retention deletes it",
        anonymise=(("user_id", "0"), ("anonymous", "1")),
        purge=DELETE,
    ),
    Use(
        "townhall_upvotes",
        "townhall_upvote",
        "user_id",
        "(SELECT e.guild_id FROM townhall_question q JOIN event e ON e.id = q.event_id"
        " WHERE q.id = townhall_upvote.question_id)",
        (_id("user_id", "one upvote per member per question"),),
        ("question_id", "at"),
        ANONYMISE,
        "upvote counts stay, with no member",
        anonymise=(("user_id", "-rowid"),),
    ),
    Use(
        "cascades_asked",
        "cascade_volunteer",
        "user_id",
        "(SELECT c.guild_id FROM cascade c WHERE c.id = cascade_volunteer.cascade_id)",
        (_id("user_id", "the volunteer asked to pass an update on (coordinators only)"),),
        ("cascade_id", "unit_id", "confirmed_at", "reached", "reminded_at"),
        ANONYMISE,
        "cascade counts stay, with no volunteer",
        anonymise=(("user_id", "-rowid"),),
    ),
    Use(
        "cascade_reports",
        "cascade_report",
        "user_id",
        "(SELECT c.guild_id FROM cascade c WHERE c.id = cascade_report.cascade_id)",
        (_id("user_id", "who reported how many coworkers they reached"),),
        ("cascade_id", "reached", "reported_at"),
        ANONYMISE,
        "the reached counts stay, with no volunteer",
        anonymise=(("user_id", "-id"),),
    ),
    Use(
        "cat_coordinator_scopes",
        "cat_coordinator",
        "user_id",
        "guild_id",
        (_id("user_id", "which units a coordinator sees"),),
        ("unit_id", "created_at"),
        DELETE,
        "coordinator scopes: deleted",
    ),
    Use(
        "withheld_marked",
        "withheld_details",
        "marked_by",
        "guild_id",
        (
            _id("marked_by", "the organizer who marked details withheld"),
            _text("reason", "why details are withheld (published)"),
        ),
        ("id", "unit_id", "reason", "marked_at"),
        ANONYMISE,
        "the record stays; who made it is forgotten",
        anonymise=(("marked_by", "NULL"),),
    ),
    Use(
        "withheld_dates_changed",
        "withheld_date_change",
        "changed_by",
        "(SELECT w.guild_id FROM withheld_details w WHERE w.id = withheld_date_change.withheld_id)",
        (
            _id("changed_by", "the organizer who moved the expected date"),
            _text("reason", "why the date moved (published)"),
        ),
        ("withheld_id", "new_expected_at", "reason", "changed_at"),
        ANONYMISE,
        "the dated history stays; who changed it is forgotten",
        anonymise=(("changed_by", "NULL"),),
    ),
    Use(
        "summaries_imported",
        "update_summary",
        "imported_by",
        "guild_id",
        (
            _id("imported_by", "the organizer who imported the summary"),
            _text("title", "the summary's title (published)"),
        ),
        ("update_id", "title", "imported_at"),
        ANONYMISE,
        "the summary stays; who imported it is forgotten",
        anonymise=(("imported_by", "NULL"),),
    ),
    Use(
        "proposals_created",
        "proposal",
        "created_by",
        "guild_id",
        (
            _id("created_by", "the organizer who added the proposal"),
            _text("title", "the open item at the table"),
            _text("note", "the organizers' note"),
            _text("outcome", "how it ended"),
        ),
        ("id", "unit_id", "title", "created_at"),
        ANONYMISE,
        "the bargaining record stays; who added it is forgotten",
        anonymise=(("created_by", "NULL"),),
    ),
    Use(
        "cascades_started",
        "cascade",
        "started_by",
        "guild_id",
        (
            _id("started_by", "the organizer who started the cascade"),
            _text("talking_points", "the talking points sent to volunteers"),
        ),
        ("id", "update_id", "started_at"),
        ANONYMISE,
        "the cascade stays; who started it is forgotten",
        anonymise=(("started_by", "NULL"),),
    ),
    Use(
        "dm_channel",
        "dm_channel",
        "user_id",
        None,
        (_id("user_id", "the member's DM channel, opened once and reused"),),
        ("channel_id",),
        DELETE,
        "deleted (reopened if the bot ever needs to DM them again)",
        purge=KEEP,  # not a server's data: other servers may still DM the member
    ),
)

# Columns the schema test would flag as able to hold a member's id or text, which do not.
NOT_PERSONAL: dict[str, tuple[tuple[str, ...], str]] = {
    "meta": (("key", "value"), "the bot's own bookkeeping"),
    "guild_settings": (("timezone",), "a server setting"),
    "audit_log": (
        ("action", "subject", "detail", "at"),
        "an action name and row ids; detail never holds personal data (architecture rule)",
    ),
    "broadcast": (("kind", "subject", "state", "scheduled_for"), "kinds, references, times"),
    "delivery": (
        ("action", "target_kind", "state", "reason", "edit_message_id"),
        "states, why a send failed (Discord's error), and the channel post being edited",
    ),
    "timer": (
        ("kind", "payload", "state", "subject_id", "useful_until"),
        "timers carry row ids only",
    ),
    "bargaining_unit": (("code", "name"), "the union's bargaining units"),
    "announcement": (("state", "scheduled_for"), "a state and a time"),
    "faq_entry": (
        ("key", "question", "answer", "aliases", "tags", "source_url"),
        "the union's FAQ: no author is stored",
    ),
    "committee_question": (("state",), "a state"),
    "faq_synonym": (("term", "means"), "organizers' synonyms for the FAQ search: no author"),
    "update_topic": (("name",), "the server's list of topics"),
    "bargaining_update": (("kind",), "a kind"),
    "bargaining_update_topic": (("topic",), "topic names"),
    "subscription": (("kind",), "a kind"),
    "cat_volunteer": (("status", "role_state"), "states"),
    "cat_conversation": (("shift_id",), "a shift number, not a member"),
    "cat_concern": (("name",), "the server's list of concerns"),
    "event": (
        (
            "kind",
            "timezone",
            "reminder_offsets",
            "state",
            "recurrence",
            "thread_id",
            "recap_update_id",
        ),
        "event settings, its thread and recap",
    ),
    "event_session": (("place", "state", "discord_event_id"), "where and the Discord event"),
    "event_reminder_default": (("kind", "offsets"), "server defaults"),
    "event_rsvp": (("status",), "going, maybe or not going"),
    "vote_voted": (("at",), "a time"),
    "heartbeat": (("last_event",), "a gateway event name"),
    "vote_tally": (("at",), "an anonymous 'I voted' tally: no member id by design"),
    "townhall_question": (("state",), "a state"),
    "townhall_upvote": (("at",), "a time"),
    "unit_last_heard": (("kind",), "a kind"),
    "update_summary_item": (
        ("article", "kind", "current_terms", "new_terms", "note"),
        "contract terms, no author stored",
    ),
    "proposal": (("whose_move", "state"), "union or employer; a state"),
    "unit_shift": (("name",), "the server's shift names"),
    "cat_level": (("label",), "the server's assessment labels"),
    "cat_commitment": (("text",), "the server's list of commitments"),
    "backup_log": (("path", "reason"), "backup files"),
}

# INTEGER columns named *_id that are Discord ids of things, not members.
_THING_ID_SUFFIXES = ("guild_id", "channel_id", "role_id", "message_id")

# The transparency log: the audit actions members may see, as counts with dates and who.
TRANSPARENCY: dict[str, str] = {
    "cat.export": "CAT roster exported",
    "cat.logs_export": "conversation logs exported",
    "cat.view": "a volunteer's record looked at by a coordinator",
    "cat.approve": "CAT sign-ups approved",
    "cat.remove": "volunteers removed from the CAT",
    "privacy.export": "members exported their own data",
    "privacy.delete": "members deleted their own data",
    "privacy.close": "campaign closed",
    "privacy.reopen": "campaign reopened",
    "privacy.retention": "retention runs (personal data deleted)",
    "privacy.checklist": "safety checklist acknowledged",
}

CHECKLIST: tuple[str, ...] = (
    "Use personal devices and accounts for union work, never the employer's.",
    "Supervisors and managers are not admitted to the CAT or committee channels.",
    "The committee channel is private to the committee (rankfile checks it below).",
)

GET_GUILD = "SELECT * FROM privacy_guild WHERE guild_id = ?"
ENSURE_GUILD = (
    "INSERT INTO privacy_guild (guild_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING"
)
SET_RETENTION = "UPDATE privacy_guild SET retention_days = ?, updated_at = ? WHERE guild_id = ?"
CLOSE = (
    "UPDATE privacy_guild SET closed_at = ?, closed_by = ?, purge_due_at = ?, warned_at = NULL,"
    " purged_at = NULL, updated_at = ? WHERE guild_id = ?"
)
REOPEN = (
    "UPDATE privacy_guild SET closed_at = NULL, closed_by = NULL, purge_due_at = NULL,"
    " warned_at = NULL, updated_at = ? WHERE guild_id = ?"
)
REMOVED = (
    "UPDATE privacy_guild SET removed_at = ?, purge_due_at = ?, warned_at = NULL,"
    " updated_at = ? WHERE guild_id = ?"
)
READDED = (
    "UPDATE privacy_guild SET removed_at = NULL,"
    " purge_due_at = CASE WHEN closed_at IS NULL THEN NULL ELSE purge_due_at END,"
    " updated_at = ? WHERE guild_id = ?"
)
WARNED = "UPDATE privacy_guild SET warned_at = ?, updated_at = ? WHERE guild_id = ?"
PURGED = "UPDATE privacy_guild SET purged_at = ?, updated_at = ? WHERE guild_id = ?"
ACKNOWLEDGE = (
    "UPDATE privacy_guild SET checklist_acknowledged_at = ?, checklist_acknowledged_by = ?,"
    " updated_at = ? WHERE guild_id = ?"
)
ACKNOWLEDGED = "SELECT checklist_acknowledged_at FROM privacy_guild WHERE guild_id = ?"
TRANSPARENCY_ROWS = (
    "SELECT action, actor_id, count(*) AS n, min(at) AS first_at, max(at) AS last_at "
    "FROM audit_log WHERE guild_id = ? AND action IN ({marks}) AND at >= ? "
    "GROUP BY action, actor_id ORDER BY max(at) DESC"
)
MY_RECORD_ROWS = (
    "SELECT action, actor_id, at FROM audit_log WHERE guild_id = ? AND subject = ? "
    "AND action IN ({marks}) ORDER BY at DESC LIMIT 10"
)
VOLUNTEER_ID = "SELECT id FROM cat_volunteer WHERE guild_id = ? AND user_id = ?"
SCHEMA_TABLES = "SELECT name, sql FROM sqlite_master WHERE type = 'table'"


# -- the declaration, read ---------------------------------------------------------------------


def declared_columns() -> set[tuple[str, str]]:
    """Every (table, column) the declaration names as holding data about a member."""
    return {(u.table, c.column) for u in DECLARATION for c in u.columns}


def _where(use: Use, *, member: bool) -> str:
    guild = f" AND ({use.guild}) = :guild" if use.guild else ""
    who = f"({use.member}) = :user" if member else f"({use.member}) IS NOT NULL"
    return f"{who}{guild} AND ({use.extra})"


def _select_sql(use: Use) -> str:
    # Table and column names come from the declaration above, never from input.
    cols = ", ".join(use.export)
    return f"SELECT {cols} FROM {use.table} WHERE {_where(use, member=True)}"  # noqa: S608


def _change_sql(use: Use, *, member: bool) -> str | None:
    action = use.on_delete if member else (use.purge or use.on_delete)
    where = _where(use, member=member)
    if action == DELETE:
        return f"DELETE FROM {use.table} WHERE {where}"  # noqa: S608
    if action == ANONYMISE and use.anonymise:
        sets = ", ".join(f"{col} = {expr}" for col, expr in use.anonymise)
        return f"UPDATE {use.table} SET {sets} WHERE {where}"  # noqa: S608
    return None


def data_section() -> str:
    """The README's "What rankfile keeps about members" section, from the declaration."""
    lines = [
        "| table | column | holds | why | `/privacy delete` | retention purge |",
        "|---|---|---|---|---|---|",
    ]
    for use in DECLARATION:
        for c in use.columns:
            lines.append(
                f"| {use.table} | {c.column} | {c.holds} | {c.purpose} | "
                f"{use.fate(c.column)} | {use.fate(c.column, purging=True)} |"
            )
    return "\n".join(lines)


async def unclassified_columns(db: Database) -> list[tuple[str, str]]:
    """Columns of the live schema that could hold a member's id or text but are neither in
    the declaration nor in NOT_PERSONAL (the schema test wants none)."""
    declared = declared_columns()
    exempt = {(t, c) for t, (cols, _) in NOT_PERSONAL.items() for c in cols}
    tables = await db.fetchall(SCHEMA_TABLES)
    virtual = [r["name"] for r in tables if (r["sql"] or "").upper().startswith("CREATE VIRTUAL")]
    found: list[tuple[str, str]] = []
    for row in tables:
        name = row["name"]
        if name.startswith("sqlite_") or name in virtual:
            continue
        if any(name.startswith(f"{v}_") for v in virtual):
            continue  # FTS5's shadow tables mirror text declared on their content table
        keys = {r["from"] for r in await db.fetchall(f"PRAGMA foreign_key_list('{name}')")}
        for col in await db.fetchall(f"PRAGMA table_info('{name}')"):
            cname, ctype = col["name"], (col["type"] or "").upper()
            if (name, cname) in declared or (name, cname) in exempt:
                continue
            if cname.endswith("_at") or cname == "id":
                continue  # times and row ids
            textual = "INT" not in ctype and "REAL" not in ctype
            person_ref = (
                cname.endswith(("_id", "_by"))
                and cname not in keys
                and not cname.endswith(_THING_ID_SUFFIXES)
            )
            if textual or person_ref:
                found.append((name, cname))
    return found


# -- export and delete -------------------------------------------------------------------------


async def export_member(db: Database, guild_id: int, user_id: int, now: datetime) -> dict[str, Any]:
    """Everything the bot holds about one member in this server (and their DM channel),
    as one JSON-ready dict keyed by the declaration's uses."""
    params = {"user": user_id, "guild": guild_id}
    out: dict[str, Any] = {
        "about": "Everything rankfile holds about you in this server, by table.",
        "server_id": str(guild_id),
        "member_id": str(user_id),
        "generated_at": to_db(now),
        "data": {},
    }
    async with db.transaction():
        for use in DECLARATION:
            rows = [dict(r) for r in await db.fetchall(_select_sql(use), params)]
            if rows:
                out["data"][use.name] = {
                    "table": use.table,
                    "why": "; ".join(f"{c.column}: {c.purpose}" for c in use.columns),
                    "on_delete": use.why,
                    "rows": rows,
                }
        # Counted, never named: who exports their own data is nobody's business.
        await audit.record(db, guild_id, None, "privacy.export", None, None, now)
    log.info("privacy export in guild %s", guild_id)
    return out


def export_json(data: dict[str, Any]) -> bytes:
    """The export as the file the member receives."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")


async def delete_member(db: Database, guild_id: int, user_id: int, now: datetime) -> dict[str, int]:
    """Erase one member's data in this server as the declaration says (deleted or
    anonymised, counts kept), in one transaction; return rows changed per use."""
    params = {"user": user_id, "guild": guild_id}
    changed: dict[str, int] = {}
    async with db.transaction():
        for use in DECLARATION:
            sql = _change_sql(use, member=True)
            if sql is not None:
                n = await db.execute(sql, params)
                if n:
                    changed[use.name] = n
        await audit.record(db, guild_id, None, "privacy.delete", None, None, now)
        db.notify("deliveries")
    log.info("privacy delete in guild %s: %s rows", guild_id, sum(changed.values()))
    return changed


async def purge_guild(db: Database, guild_id: int, now: datetime) -> dict[str, int]:
    """Retention: delete or anonymise every member's data in one server (counts kept)."""
    params = {"guild": guild_id}
    changed: dict[str, int] = {}
    async with db.transaction():
        for use in DECLARATION:
            sql = _change_sql(use, member=False)
            if sql is not None:
                n = await db.execute(sql, params)
                if n:
                    changed[use.name] = n
        await db.execute(PURGED, (to_db(now), to_db(now), guild_id))
        detail = f"rows={sum(changed.values())}"
        await audit.record(db, guild_id, None, "privacy.retention", None, detail, now)
    log.info("retention purge in guild %s: %s rows", guild_id, sum(changed.values()))
    return changed


# -- campaign state and retention --------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    """A server's retention state and safety-checklist acknowledgement."""

    guild_id: int
    retention_days: int = DEFAULT_RETENTION_DAYS
    closed_at: datetime | None = None
    closed_by: int | None = None
    removed_at: datetime | None = None
    purge_due_at: datetime | None = None
    warned_at: datetime | None = None
    purged_at: datetime | None = None
    checklist_acknowledged_at: datetime | None = None
    checklist_acknowledged_by: int | None = None

    @property
    def warn_at(self) -> datetime | None:
        """When organizers are warned (7 days before the purge)."""
        return self.purge_due_at - WARN_BEFORE if self.purge_due_at else None


def _campaign(row: sqlite3.Row | None, guild_id: int) -> Campaign:
    if row is None:
        return Campaign(guild_id)
    return Campaign(
        guild_id=guild_id,
        retention_days=row["retention_days"],
        closed_at=from_db(row["closed_at"]),
        closed_by=row["closed_by"],
        removed_at=from_db(row["removed_at"]),
        purge_due_at=from_db(row["purge_due_at"]),
        warned_at=from_db(row["warned_at"]),
        purged_at=from_db(row["purged_at"]),
        checklist_acknowledged_at=from_db(row["checklist_acknowledged_at"]),
        checklist_acknowledged_by=row["checklist_acknowledged_by"],
    )


async def campaign(db: Database, guild_id: int) -> Campaign:
    """The server's retention state (defaults when nothing was set)."""
    return _campaign(await db.fetchone(GET_GUILD, (guild_id,)), guild_id)


async def _schedule_purge(db: Database, guild_id: int, due: datetime, now: datetime) -> None:
    await timers.cancel_subject(db, WARN_TIMER, guild_id)
    await timers.cancel_subject(db, PURGE_TIMER, guild_id)
    if due - WARN_BEFORE > now:
        await timers.schedule(db, guild_id, WARN_TIMER, guild_id, due - WARN_BEFORE, now)
    await timers.schedule(db, guild_id, PURGE_TIMER, guild_id, due, now)


async def set_retention(
    db: Database, guild_id: int, days: int, actor_id: int, now: datetime
) -> Campaign:
    """Change how many days after closing the campaign its personal data is deleted."""
    if not RETENTION_MIN <= days <= RETENTION_MAX:
        raise UserError(f"Retention is between {RETENTION_MIN} and {RETENTION_MAX} days.")
    async with db.transaction():
        await db.execute(ENSURE_GUILD, (guild_id, to_db(now)))
        await db.execute(SET_RETENTION, (days, to_db(now), guild_id))
        state = await campaign(db, guild_id)
        if state.closed_at is not None and state.purged_at is None:
            due = max(state.closed_at + timedelta(days=days), now)
            await db.execute(
                CLOSE, (to_db(state.closed_at), state.closed_by, to_db(due), to_db(now), guild_id)
            )
            await _schedule_purge(db, guild_id, due, now)
        await audit.record(db, guild_id, actor_id, "privacy.retention_days", None, str(days), now)
    return await campaign(db, guild_id)


async def close_campaign(db: Database, guild_id: int, actor_id: int, now: datetime) -> Campaign:
    """Close the campaign: its personal data is purged `retention_days` later (warned 7 days
    before); refused when it is already closed."""
    async with db.transaction():
        await db.execute(ENSURE_GUILD, (guild_id, to_db(now)))
        state = await campaign(db, guild_id)
        if state.closed_at is not None:
            raise Conflict(
                f"The campaign is already closed: its data is deleted {_when(state.purge_due_at)}."
                " `/setup campaign reopen` undoes it."
            )
        due = now + timedelta(days=state.retention_days)
        await db.execute(CLOSE, (to_db(now), actor_id, to_db(due), to_db(now), guild_id))
        await _schedule_purge(db, guild_id, due, now)
        await audit.record(db, guild_id, actor_id, "privacy.close", None, None, now)
    return await campaign(db, guild_id)


async def reopen_campaign(db: Database, guild_id: int, actor_id: int, now: datetime) -> Campaign:
    """Reopen a closed campaign before its purge: the purge and the warning are cancelled."""
    async with db.transaction():
        state = await campaign(db, guild_id)
        if state.closed_at is None:
            raise Conflict("The campaign is not closed.")
        await db.execute(REOPEN, (to_db(now), guild_id))
        if state.removed_at is None:
            await timers.cancel_subject(db, WARN_TIMER, guild_id)
            await timers.cancel_subject(db, PURGE_TIMER, guild_id)
        await audit.record(db, guild_id, actor_id, "privacy.reopen", None, None, now)
    return await campaign(db, guild_id)


async def bot_removed(db: Database, guild_id: int, now: datetime) -> Campaign:
    """The bot left (or was removed from) a server: purge its data after the retention delay
    unless the bot is added back first."""
    async with db.transaction():
        await db.execute(ENSURE_GUILD, (guild_id, to_db(now)))
        state = await campaign(db, guild_id)
        due = now + timedelta(days=state.retention_days)
        if state.purge_due_at is not None and state.purged_at is None:
            due = min(due, state.purge_due_at)  # an earlier close still wins
        await db.execute(REMOVED, (to_db(now), to_db(due), to_db(now), guild_id))
        await _schedule_purge(db, guild_id, due, now)
    log.info("bot removed from guild %s: purge scheduled", guild_id)
    return await campaign(db, guild_id)


async def bot_added(db: Database, guild_id: int, now: datetime) -> Campaign:
    """The bot is in the server (again): a purge scheduled by its removal is cancelled."""
    async with db.transaction():
        state = await campaign(db, guild_id)
        if state.removed_at is None:
            return state
        await db.execute(READDED, (to_db(now), guild_id))
        if state.closed_at is None:
            await timers.cancel_subject(db, WARN_TIMER, guild_id)
            await timers.cancel_subject(db, PURGE_TIMER, guild_id)
        else:
            await _schedule_purge(
                db, guild_id, state.closed_at + timedelta(days=state.retention_days), now
            )
    log.info("bot back in guild %s: removal purge cancelled", guild_id)
    return await campaign(db, guild_id)


def _when(moment: datetime | None) -> str:
    return f"<t:{int(moment.timestamp())}:F>" if moment else "(not scheduled)"


def warning_message(state: Campaign) -> dict[str, Any]:
    """The organizers' warning, a week before the purge."""
    when = _when(state.purge_due_at)
    return render.message(
        embeds=[
            render.embed(
                "Members' data will be deleted in 7 days",
                f"The campaign was closed, so on {when} rankfile deletes the CAT roster, who "
                "asked what, RSVPs and subscriptions, keeping only anonymous counts (tracker, "
                "turnout, coverage).\n\nTo keep a copy first: `/catteam export` for the roster. "
                "To stop it: `/setup campaign reopen`.",
                colour=render.Colour.WARNING,
            )
        ]
    )


async def _warn(db: Database, timer: timers.Timer, now: datetime) -> None:
    state = await campaign(db, timer.guild_id)
    if state.purge_due_at is None or state.purged_at is not None or state.removed_at:
        return  # reopened, done, or the bot is gone (nobody to tell)
    settings = await guild_settings.get(db, timer.guild_id)
    targets = []
    if settings.committee_channel_id:
        targets.append(delivery.Target.channel(settings.committee_channel_id))
    if state.closed_by:
        targets.append(delivery.Target.dm(state.closed_by))
    if targets:
        await delivery.enqueue(
            db,
            timer.guild_id,
            "privacy.warning",
            warning_message(state),
            targets,
            now,
            subject=f"privacy_guild:{timer.guild_id}",
        )
    await db.execute(WARNED, (to_db(now), to_db(now), timer.guild_id))


async def _purge(db: Database, timer: timers.Timer, now: datetime) -> None:
    state = await campaign(db, timer.guild_id)
    if state.purge_due_at is None or state.purge_due_at > now:
        return  # reopened or re-added since: nothing to do
    await purge_guild(db, timer.guild_id, now)


# -- transparency log --------------------------------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    """One kind of access by one person: how many times, first and last."""

    action: str
    label: str
    actor_id: int | None
    count: int
    first_at: datetime
    last_at: datetime


async def transparency(db: Database, guild_id: int, since: datetime) -> list[LogLine]:
    """Who looked at or changed the union's data since `since`, as counts and dates."""
    marks = ", ".join("?" for _ in TRANSPARENCY)
    rows = await db.fetchall(
        TRANSPARENCY_ROWS.format(marks=marks), (guild_id, *TRANSPARENCY, to_db(since))
    )
    return [
        LogLine(
            r["action"],
            TRANSPARENCY[r["action"]],
            r["actor_id"],
            r["n"],
            from_db(r["first_at"]),
            from_db(r["last_at"]),  # type: ignore[arg-type]
        )
        for r in rows
    ]


async def my_record_log(db: Database, guild_id: int, user_id: int) -> list[LogLine]:
    """Coordinators' actions on this member's own CAT record, newest first."""
    volunteer_id = await db.fetchval(VOLUNTEER_ID, (guild_id, user_id))
    if volunteer_id is None:
        return []
    marks = ", ".join("?" for _ in TRANSPARENCY)
    rows = await db.fetchall(
        MY_RECORD_ROWS.format(marks=marks),
        (guild_id, f"cat_volunteer:{volunteer_id}", *TRANSPARENCY),
    )
    return [
        LogLine(
            r["action"],
            TRANSPARENCY[r["action"]],
            r["actor_id"],
            1,
            from_db(r["at"]),
            from_db(r["at"]),
        )  # type: ignore[arg-type]
        for r in rows
    ]


# -- safety checklist --------------------------------------------------------------------------


async def checklist_acknowledged(db: Database, guild_id: int) -> bool:
    """Whether an admin acknowledged the safety checklist (the CAT takes sign-ups only then)."""
    return await db.fetchval(ACKNOWLEDGED, (guild_id,)) is not None


async def require_checklist(db: Database, guild_id: int) -> None:
    """Refuse (UserError) until the safety checklist is acknowledged."""
    if not await checklist_acknowledged(db, guild_id):
        raise UserError(
            "The CAT is not taking sign-ups yet: an admin must first read and acknowledge "
            "the safety checklist with `/setup checklist`."
        )


async def acknowledge_checklist(
    db: Database, guild_id: int, actor_id: int | None, now: datetime
) -> Campaign:
    """Record the admin's acknowledgement of the safety checklist, with its date (audited)."""
    async with db.transaction():
        await db.execute(ENSURE_GUILD, (guild_id, to_db(now)))
        await db.execute(ACKNOWLEDGE, (to_db(now), actor_id, to_db(now), guild_id))
        await audit.record(db, guild_id, actor_id, "privacy.checklist", None, None, now)
    return await campaign(db, guild_id)


# Timer kinds handled here; bot.wiring registers them at start-up.
TIMERS: dict[str, timers.Handler] = {WARN_TIMER: _warn, PURGE_TIMER: _purge}
