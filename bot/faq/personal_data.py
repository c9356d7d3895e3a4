"""The FAQ's part of the members'-data declaration (collected by the privacy engine at
start-up, see bot.core.personal_data)."""

from __future__ import annotations

from bot.core.personal_data import DELETE, KEEP, NOBODY, NotPersonal, Use, holds_text

PERSONAL_DATA: tuple[Use | NotPersonal, ...] = (
    Use(
        "faq_unanswered",
        "faq_miss",
        NOBODY,  # the question's text only, never who asked
        "guild_id",
        (
            holds_text(
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
    NotPersonal(
        "faq_entry",
        ("key", "question", "answer", "aliases", "tags", "source_url"),
        "the union's FAQ: no author is stored",
    ),
    NotPersonal(
        "faq_synonym",
        ("term", "means"),
        "organizers' synonyms for the FAQ search: no author is stored",
    ),
)
