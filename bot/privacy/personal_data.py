"""What the privacy capability itself keeps about members: who closed the campaign and who
acknowledged the safety checklist (collected with the others at start-up)."""

from __future__ import annotations

from bot.core.personal_data import ANONYMISE, NotPersonal, Use, holds_id

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "campaign_closed",
        "privacy_guild",
        "closed_by",
        "guild_id",
        (holds_id("closed_by", "the organizer who closed the campaign (told before the purge)"),),
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
        (holds_id("checklist_acknowledged_by", "the admin who acknowledged the safety checklist"),),
        ("checklist_acknowledged_at",),
        ANONYMISE,
        "the acknowledgement and its date stay; who made it is forgotten",
        anonymise=(("checklist_acknowledged_by", "NULL"),),
    ),
)
