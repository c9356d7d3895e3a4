"""What events keep about members: reminder requests, RSVPs, "I voted", who created an event,
town hall questions and upvotes (collected by the privacy engine at start-up, see
bot.core.personal_data)."""

from __future__ import annotations

from bot.core.personal_data import ANONYMISE, DELETE, NotPersonal, Use, holds_id, holds_text

_EVENT_GUILD = "(SELECT e.guild_id FROM event e WHERE e.id = {t}.event_id)"


PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "event_reminders",
        "event_subscriber",
        "user_id",
        _EVENT_GUILD.format(t="event_subscriber"),
        (holds_id("user_id", "who pressed Remind me, to DM them the event's reminders"),),
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
        (holds_id("user_id", "who said they are going, for turnout counts"),),
        ("session_id", "status", "show_name", "updated_at"),
        ANONYMISE,
        "RSVP counts stay for turnout, with no member",
        # A negative row id: unique per row, never a Discord id.
        anonymise=(("user_id", "-rowid"), ("show_name", "0")),
        # The RSVP reminders (subject: the RSVP row) stop with the member's data.
        timers=(("event.rsvp", "rowid"),),
    ),
    Use(
        "votes_said_voted",
        "vote_voted",
        "user_id",
        _EVENT_GUILD.format(t="vote_voted"),
        (holds_id("user_id", "who said they voted, to stop their reminders"),),
        ("event_id", "unit_id", "at"),
        ANONYMISE,
        "turnout counts stay, with no member",
        anonymise=(("user_id", "-rowid"),),
    ),
    Use(
        "events_created",
        "event",
        "created_by",
        "guild_id",
        (
            holds_id("created_by", "the organizer who created the event"),
            holds_text("title", "the event (published)"),
            holds_text("description", "the event (published)"),
            holds_text("how_to_vote", "the official way to vote (published)"),
            holds_text("cancel_reason", "why it was cancelled (published)"),
        ),
        ("id", "kind", "title", "created_at"),
        ANONYMISE,
        "published events stay; who created them is forgotten",
        anonymise=(("created_by", "NULL"),),
    ),
    Use(
        "townhall_questions_asked",
        "townhall_question",
        "user_id",
        _EVENT_GUILD.format(t="townhall_question"),
        (
            holds_id("user_id", "to DM the asker the answer"),
            holds_text("text", "a question in advance for a town hall"),
            holds_text("answer", "the answer (the organizers')"),
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
        (holds_id("user_id", "one upvote per member per question"),),
        ("question_id", "at"),
        ANONYMISE,
        "upvote counts stay, with no member",
        anonymise=(("user_id", "-rowid"),),
    ),
    NotPersonal(
        "event",
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
    NotPersonal(
        "event_session", ("place", "state", "discord_event_id"), "where and the Discord event"
    ),
    NotPersonal("event_reminder_default", ("kind", "offsets"), "server defaults"),
    NotPersonal("event_rsvp", ("status",), "going, maybe or not going"),
    NotPersonal("vote_voted", ("at",), "a time"),
    NotPersonal("vote_tally", ("at",), "an anonymous 'I voted' tally: no member id by design"),
    NotPersonal("townhall_question", ("state",), "a state"),
    NotPersonal("townhall_upvote", ("at",), "a time"),
)
