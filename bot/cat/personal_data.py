"""What the CAT keeps about members: the roster, conversation logs, approvals and
coordinators' scopes (collected by the privacy engine at start-up, see bot.core.personal_data)."""

from __future__ import annotations

from bot.core.personal_data import ANONYMISE, DELETE, KEEP, NotPersonal, Use, holds_id, holds_text

_VOLUNTEER_OF = "(SELECT v.user_id FROM cat_volunteer v WHERE v.id = {t}.volunteer_id)"

# Order matters: rows reached through another table's row (conversations through their
# volunteer) come before that row is deleted.

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "cat_conversation_concerns",
        "cat_conversation_concern",
        "(SELECT v.user_id FROM cat_conversation c JOIN cat_volunteer v ON v.id = c.volunteer_id"
        " WHERE c.id = cat_conversation_concern.conversation_id)",
        "(SELECT c.guild_id FROM cat_conversation c"
        " WHERE c.id = cat_conversation_concern.conversation_id)",
        (holds_text("concern", "what coworkers cared about, for the coverage and concern counts"),),
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
            holds_id("volunteer_id", "who logged the one-on-ones (links to the volunteer)"),
            holds_text("method", "how the conversations were held"),
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
            holds_id("user_id", "the volunteer's Discord account, for the CAT role and DMs"),
            holds_text("display_name", "the name the union knows them by, for coordinators"),
            holds_text("department", "department or craft, for coverage"),
            holds_text("availability", "shift or availability, for coordinators"),
            holds_text("contact", "preferred contact, for coordinators"),
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
        (holds_id("approved_by", "the coordinator who approved a sign-up"),),
        ("id", "approved_at"),
        ANONYMISE,
        "the sign-up stays; who approved it is forgotten",
        anonymise=(("approved_by", "NULL"),),
    ),
    Use(
        "cat_coordinator_scopes",
        "cat_coordinator",
        "user_id",
        "guild_id",
        (holds_id("user_id", "which units a coordinator sees"),),
        ("unit_id", "created_at"),
        DELETE,
        "coordinator scopes: deleted",
    ),
    NotPersonal("cat_volunteer", ("status", "role_state"), "states"),
    NotPersonal("cat_conversation", ("shift_id",), "a shift number, not a member"),
    NotPersonal("cat_concern", ("name",), "the server's list of concerns"),
    NotPersonal("unit_shift", ("name",), "the server's shift names"),
    NotPersonal("cat_level", ("label",), "the server's assessment labels"),
    NotPersonal("cat_commitment", ("text",), "the server's list of commitments"),
)
