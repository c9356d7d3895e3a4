-- 0014_faq_gaps.sql: the FAQ learns members' words (issue 20).

-- A server's own synonyms for the search: members say `term` where the FAQ says `means`
-- (bot/faq/thesaurus.py; the shipped thesaurus is data/faq_thesaurus.yaml). Organizers' words,
-- no author stored (the audit log records who added them).
CREATE TABLE faq_synonym (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    term        TEXT NOT NULL,
    means       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (guild_id, term, means)
);
CREATE INDEX faq_synonym_guild ON faq_synonym (guild_id);

-- A question /faq had no confident answer for (bot/faq/gaps.py): the text only, never who
-- asked, kept 90 days (timer faq.gaps_expire) so organizers see in /faqs gaps what members ask
-- that the FAQ does not answer. Deleted once an organizer answers it (alias or new entry), and
-- by the retention purge (bot/privacy DECLARATION).
CREATE TABLE faq_miss (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    text              TEXT NOT NULL,
    closest_entry_id  INTEGER REFERENCES faq_entry (id) ON DELETE SET NULL,
    closest_score     REAL,
    asked_at          TEXT NOT NULL
);
CREATE INDEX faq_miss_guild ON faq_miss (guild_id, asked_at);
