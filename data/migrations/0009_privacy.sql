-- Members' data (issue 14): per-server retention state and the safety checklist.
-- The transparency log is the audit_log rows whose actions bot/privacy.py declares
-- (roster exports, approvals, removals, retention runs...): one record, not two copies.
-- IF NOT EXISTS: tests that rewind user_version to 7 re-run this file on a migrated copy.

CREATE TABLE IF NOT EXISTS privacy_guild (
    guild_id                  INTEGER PRIMARY KEY,
    -- Days between closing the campaign (or the bot's removal) and the purge.
    retention_days            INTEGER NOT NULL DEFAULT 90 CHECK (retention_days BETWEEN 7 AND 3650),
    closed_at                 TEXT,
    closed_by                 INTEGER,
    -- When the bot was removed from the server (NULL while it is there).
    removed_at                TEXT,
    purge_due_at              TEXT,
    warned_at                 TEXT,
    purged_at                 TEXT,
    checklist_acknowledged_at TEXT,
    checklist_acknowledged_by INTEGER,
    updated_at                TEXT NOT NULL
);
