-- 0017_member_safety.sql: member safety (issue 19): limits on floods, questions organizers
-- can hide, RSVP calendar files sent once, and the list of members who deleted their data.

-- One row per use of a limited action (bot/core/limits.py): who, what, when; kept a day.
CREATE TABLE member_action (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    action   TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX member_action_member ON member_action (guild_id, user_id, action, at);
CREATE INDEX member_action_at ON member_action (at);

-- A server's own limits (/setup limits), replacing the defaults of bot/core/limits.py.
CREATE TABLE member_limit (
    guild_id         INTEGER NOT NULL,
    action           TEXT NOT NULL,
    cooldown_seconds INTEGER NOT NULL CHECK (cooldown_seconds BETWEEN 0 AND 86400),
    per_day          INTEGER NOT NULL CHECK (per_day BETWEEN 1 AND 10000),
    open_max         INTEGER CHECK (open_max IS NULL OR open_max BETWEEN 1 AND 100),
    PRIMARY KEY (guild_id, action)
);

-- Organizers hide a question (its text is no longer shown; who hid it is audited).
ALTER TABLE committee_question ADD COLUMN hidden_at TEXT;
ALTER TABLE townhall_question ADD COLUMN hidden_at TEXT;

-- The calendar file of an RSVP goes once: Going / Not going / Going again does not re-send it.
ALTER TABLE event_rsvp ADD COLUMN calendar_sent_at TEXT;

-- Members who deleted their data, as one-way digests, so a restored backup forgets them again
-- (bot/core/forgotten.py; a restore may have created it already, hence IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS deleted_member (guild_id INTEGER NOT NULL, digest TEXT NOT NULL, deleted_at TEXT NOT NULL, PRIMARY KEY (guild_id, digest));
