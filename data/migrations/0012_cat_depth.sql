-- 0012_cat_depth.sql: the CAT as organizers run it (issue 12): shifts, per-unit targets,
-- assessments with the server's labels, coordinator scopes, commitments, the supervisor
-- confirmation, list sizes and training dates. Coworkers are never named: only counts.

-- A unit can override the server's coverage target (members per volunteer).
ALTER TABLE bargaining_unit ADD COLUMN cat_target_ratio INTEGER
    CHECK (cat_target_ratio IS NULL OR cat_target_ratio BETWEEN 1 AND 1000);

-- The shifts of a unit (days, nights, swing, or the server's own names), each with the
-- member count organizers enter.
CREATE TABLE unit_shift (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE CASCADE,
    name         TEXT NOT NULL COLLATE NOCASE,
    member_count INTEGER CHECK (member_count IS NULL OR member_count >= 0),
    created_at   TEXT NOT NULL,
    UNIQUE (unit_id, name)
);
CREATE INDEX unit_shift_guild ON unit_shift (guild_id, unit_id);

-- A volunteer's shift, how many coworkers they keep in touch with, their training date and
-- whether they confirmed they supervise none of them (0: could not confirm, so pending).
ALTER TABLE cat_volunteer ADD COLUMN shift_id INTEGER REFERENCES unit_shift (id) ON DELETE SET NULL;
ALTER TABLE cat_volunteer ADD COLUMN list_size INTEGER CHECK (list_size IS NULL OR list_size >= 0);
ALTER TABLE cat_volunteer ADD COLUMN training_at TEXT;
ALTER TABLE cat_volunteer ADD COLUMN supervises_none INTEGER;

-- The server's labels for the 1-5 assessment scale (1 is always the strongest); a row only
-- where the server renamed or retired a level. A level in use is never retired.
CREATE TABLE cat_level (
    guild_id INTEGER NOT NULL,
    level    INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    label    TEXT NOT NULL,
    retired  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, level)
);
CREATE INDEX cat_conversation_level ON cat_conversation (guild_id, level);

-- The commitments a volunteer accepts on joining: the server's own list (defaults until set).
CREATE TABLE cat_commitment (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    text       TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT NOT NULL,
    UNIQUE (guild_id, text)
);

-- Which units a coordinator sees (and a row with unit_id NULL: registered, all units).
CREATE TABLE cat_coordinator (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    unit_id    INTEGER REFERENCES bargaining_unit (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX cat_coordinator_unique ON cat_coordinator (guild_id, user_id, ifnull(unit_id, 0));
