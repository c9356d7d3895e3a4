-- Operations (issue 10): what `rankfile status` reads from another process, and the backups.

-- One row per running bot process (id 1: one process per database). The bot writes it at
-- start and at most every 30 s from gateway events; `rankfile status` only reads it.
CREATE TABLE heartbeat (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    started_at    TEXT NOT NULL,
    last_event_at TEXT,
    last_event    TEXT,
    guild_count   INTEGER NOT NULL DEFAULT 0,
    pid           INTEGER,
    version       INTEGER,
    stopped_at    TEXT,
    updated_at    TEXT NOT NULL
);

-- Every backup the bot or `rankfile db backup` wrote, and whether it passed integrity_check.
CREATE TABLE backup_log (
    id         INTEGER PRIMARY KEY,
    path       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    made_at    TEXT NOT NULL,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    ok         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX backup_log_made_at ON backup_log (made_at);
