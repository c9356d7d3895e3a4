-- Announcements: what an organizer wrote, where it goes, and the broadcast that carries it.
-- A draft is saved when the preview is shown, so its Send / Cancel buttons survive a restart;
-- Send turns it into a broadcast (bot.delivery) in the same transaction.
CREATE TABLE announcement (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    author_id      INTEGER NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    link           TEXT,
    channel_id     INTEGER NOT NULL,
    role_id        INTEGER,
    dm_subscribers INTEGER NOT NULL DEFAULT 0,
    scheduled_for  TEXT,
    state          TEXT NOT NULL DEFAULT 'draft'
                   CHECK (state IN ('draft', 'queued', 'discarded', 'cancelled')),
    broadcast_id   INTEGER REFERENCES broadcast (id),
    created_at     TEXT NOT NULL,
    queued_at      TEXT
);
CREATE INDEX announcement_guild ON announcement (guild_id, state, created_at);
