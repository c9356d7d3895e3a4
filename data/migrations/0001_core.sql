-- The core: per-server settings, the audit log, the delivery outbox and the timers.
-- Times are ISO 8601 text in UTC (bot.db.to_db), so text order is time order.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE guild_settings (
    guild_id                 INTEGER PRIMARY KEY,
    announcements_channel_id INTEGER,
    updates_channel_id       INTEGER,
    committee_channel_id     INTEGER,
    organizer_role_id        INTEGER,
    cat_role_id              INTEGER,
    coordinator_role_id      INTEGER,
    timezone                 TEXT NOT NULL DEFAULT 'America/Los_Angeles',
    updated_at               TEXT NOT NULL
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    guild_id  INTEGER NOT NULL,
    actor_id  INTEGER,
    action    TEXT NOT NULL,
    subject   TEXT,
    detail    TEXT,
    at        TEXT NOT NULL
);
CREATE INDEX audit_log_guild_at ON audit_log (guild_id, at);

-- One row per message to send to many targets (an announcement, an update, a reminder).
CREATE TABLE broadcast (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    subject       TEXT,
    author_id     INTEGER,
    payload       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'cancelled'))
);
CREATE INDEX broadcast_guild ON broadcast (guild_id, kind, created_at);

-- One row per target of a broadcast; the worker moves it from pending to an end state.
CREATE TABLE delivery (
    id              INTEGER PRIMARY KEY,
    broadcast_id    INTEGER NOT NULL REFERENCES broadcast (id) ON DELETE CASCADE,
    action          TEXT NOT NULL DEFAULT 'post' CHECK (action IN ('post', 'edit')),
    target_kind     TEXT NOT NULL CHECK (target_kind IN ('channel', 'dm')),
    target_id       INTEGER NOT NULL,
    edit_message_id INTEGER,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'skipped', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          TEXT NOT NULL,
    channel_id      INTEGER,
    message_id      INTEGER,
    reason          TEXT,
    updated_at      TEXT NOT NULL,
    UNIQUE (broadcast_id, target_kind, target_id)
);
CREATE INDEX delivery_pending ON delivery (due_at) WHERE state = 'pending';
CREATE INDEX delivery_broadcast ON delivery (broadcast_id, state);

-- A member's DM channel, opened once and reused.
CREATE TABLE dm_channel (
    user_id    INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL
);

-- Everything that must happen at a time: reminders, scheduled sends, nudges, digests.
CREATE TABLE timer (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    subject_id   INTEGER,
    due_at       TEXT NOT NULL,
    useful_until TEXT,
    payload      TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'fired', 'missed', 'cancelled', 'failed')),
    created_at   TEXT NOT NULL,
    fired_at     TEXT,
    late         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX timer_pending ON timer (due_at) WHERE state = 'pending';
CREATE INDEX timer_subject ON timer (kind, subject_id);
