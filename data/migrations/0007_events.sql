-- Events: town halls (and webinars, meetings, rallies), votes, deadlines.
-- An event has one or more sessions: a town hall's session is its time and place (with the
-- Discord scheduled event mirroring it), a vote's session is one window (opens, closes), a
-- deadline's is its single moment. Reminders are timer rows (kind 'event.reminder',
-- subject_id = event id); this file holds what they are about and who asked.

CREATE TABLE event (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('townhall', 'vote', 'deadline')),
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    -- The zone the organizer typed times in: carried into the .ics file.
    timezone         TEXT NOT NULL,
    -- JSON list of reminder offsets (seconds before the start or the final close; the
    -- string "open" for a vote's opening); NULL means the server's default for the kind.
    reminder_offsets TEXT,
    -- A vote's official way to vote: a link or instructions (the bot never takes a ballot).
    how_to_vote      TEXT,
    state            TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'cancelled')),
    cancel_reason    TEXT,
    -- RFC 5545 SEQUENCE: bumped on each edit so calendar apps take the newer copy.
    sequence         INTEGER NOT NULL DEFAULT 0,
    created_by       INTEGER,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX event_guild ON event (guild_id, state);

-- The bargaining units an event is for (eligibility and per-unit turnout for votes).
CREATE TABLE event_unit (
    event_id INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    unit_id  INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, unit_id)
);

-- A session: a town hall's time and place, a vote's window, a deadline's moment.
CREATE TABLE event_session (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL DEFAULT 1,
    starts_at        TEXT NOT NULL,
    ends_at          TEXT,
    place            TEXT,
    -- The Discord scheduled event mirroring this session (town halls), once created.
    discord_event_id INTEGER,
    state            TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'cancelled')),
    CHECK (ends_at IS NULL OR ends_at > starts_at),
    UNIQUE (event_id, position)
);
CREATE INDEX event_session_start ON event_session (starts_at);

-- Per-server default reminder offsets for a kind (same JSON as event.reminder_offsets).
CREATE TABLE event_reminder_default (
    guild_id INTEGER NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('townhall', 'vote', 'deadline')),
    offsets  TEXT NOT NULL,
    PRIMARY KEY (guild_id, kind)
);

-- Members who pressed Remind me: they get each reminder by DM (and only they).
CREATE TABLE event_subscriber (
    event_id   INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (event_id, user_id)
);

-- RSVPs, per session. show_name: the member lets organizers see their name (issue 13).
CREATE TABLE event_rsvp (
    session_id INTEGER NOT NULL REFERENCES event_session (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('going', 'maybe', 'not_going')),
    show_name  INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- "I voted", self-reported: exists only to stop that member's reminders for the vote.
-- Organizers see counts (per unit when the member named one), never these rows.
CREATE TABLE vote_voted (
    event_id INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    unit_id  INTEGER REFERENCES bargaining_unit (id) ON DELETE SET NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
