"""The public site keeps nothing about members: its settings are the server's (collected by
the privacy engine at start-up, see bot.core.personal_data)."""

from __future__ import annotations

from bot.core.personal_data import NotPersonal, Use

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    NotPersonal(
        "site_settings",
        ("title", "url", "out_dir"),
        "the server's site title and address, and the host's folder",
    ),
)

# Declared members' data the site publishes on purpose, from rows organizers made public
# (or sections the server publishes): the organizers' own published words. Every other
# declared column never reaches the site (tests/site/test_site_privacy.py scans for them).
PUBLISHED: frozenset[tuple[str, str]] = frozenset(
    {
        ("bargaining_update", "title"),
        ("bargaining_update", "body"),
        ("bargaining_update", "source_url"),
        ("bargaining_update", "retraction_note"),
        ("update_summary", "title"),
        ("event", "title"),
        ("event", "description"),
        ("event", "how_to_vote"),
        ("event", "cancel_reason"),
        ("tracker_status_change", "note"),
        ("tracker_status_change", "status"),
        ("withheld_details", "reason"),
        ("withheld_date_change", "reason"),
        ("proposal", "title"),
        ("proposal", "note"),
        ("proposal", "outcome"),
    }
)
