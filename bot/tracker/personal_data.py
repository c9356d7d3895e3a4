"""What the tracker keeps about members: who set a status, marked details withheld, moved an
expected date or added a proposal (collected by the privacy engine at start-up, see
bot.core.personal_data)."""

from __future__ import annotations

from bot.core.personal_data import ANONYMISE, NotPersonal, Use, holds_id, holds_text

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "tracker_changes",
        "tracker_status_change",
        "author_id",
        "guild_id",
        (
            holds_id("author_id", "the organizer who set the status"),
            holds_text("note", "the status note (published)"),
            holds_text("status", "the unit's status"),
        ),
        ("id", "unit_id", "status", "reached_at", "note"),
        ANONYMISE,
        "the tracker history stays; who set it is forgotten",
        anonymise=(("author_id", "NULL"),),
    ),
    Use(
        "withheld_marked",
        "withheld_details",
        "marked_by",
        "guild_id",
        (
            holds_id("marked_by", "the organizer who marked details withheld"),
            holds_text("reason", "why details are withheld (published)"),
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
            holds_id("changed_by", "the organizer who moved the expected date"),
            holds_text("reason", "why the date moved (published)"),
        ),
        ("withheld_id", "new_expected_at", "reason", "changed_at"),
        ANONYMISE,
        "the dated history stays; who changed it is forgotten",
        anonymise=(("changed_by", "NULL"),),
    ),
    Use(
        "proposals_created",
        "proposal",
        "created_by",
        "guild_id",
        (
            holds_id("created_by", "the organizer who added the proposal"),
            holds_text("title", "the open item at the table"),
            holds_text("note", "the organizers' note"),
            holds_text("outcome", "how it ended"),
        ),
        ("id", "unit_id", "title", "created_at"),
        ANONYMISE,
        "the bargaining record stays; who added it is forgotten",
        anonymise=(("created_by", "NULL"),),
    ),
    NotPersonal("proposal", ("whose_move", "state"), "union or employer; a state"),
)
