-- FAQ entries and questions to the bargaining committee (bot/faq.py, bot/questions.py).
CREATE TABLE faq_entry (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    key         TEXT NOT NULL,
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    aliases     TEXT NOT NULL DEFAULT '[]',
    tags        TEXT NOT NULL DEFAULT '[]',
    source_url  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (guild_id, key)
);
CREATE INDEX faq_entry_guild ON faq_entry (guild_id);

-- The search index: normalised text (lower case, stemmed, abbreviations written both ways),
-- one row per entry with rowid = faq_entry.id, kept in step by bot/faq.py in the same
-- transaction as the entry.
CREATE VIRTUAL TABLE faq_fts USING fts5 (
    question, aliases, answer,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- A member's question to the committee. author_id is kept only to deliver the answer;
-- an anonymous question is never shown with it.
CREATE TABLE committee_question (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    number             INTEGER NOT NULL,
    author_id          INTEGER NOT NULL,
    anonymous          INTEGER NOT NULL DEFAULT 0,
    text               TEXT NOT NULL,
    state              TEXT NOT NULL DEFAULT 'open'
                       CHECK (state IN ('open', 'answered', 'dismissed')),
    answer             TEXT,
    answered_by        INTEGER,
    answered_at        TEXT,
    faq_entry_id       INTEGER REFERENCES faq_entry (id) ON DELETE SET NULL,
    post_broadcast_id  INTEGER REFERENCES broadcast (id) ON DELETE SET NULL,
    answer_broadcast_id INTEGER REFERENCES broadcast (id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL,
    UNIQUE (guild_id, number)
);
CREATE INDEX committee_question_author ON committee_question (guild_id, author_id);
