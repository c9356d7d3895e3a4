-- Bargaining transparency (issue 11): when members last heard about each unit, withheld
-- details with their reason and dated history, silence nudges, structured summaries of what
-- changed, proposals at the table, and cascades of an update through the CAT.

-- How many days without an update concerning a unit in negotiations (or waiting for details)
-- before organizers are nudged in the committee channel.
ALTER TABLE guild_settings ADD COLUMN silence_days INTEGER NOT NULL DEFAULT 7
    CHECK (silence_days BETWEEN 1 AND 90);

-- When members last heard anything about a unit: one row per unit, upserted by
-- bot.updates.publish in the publication's transaction (so /tracker reads 50 rows, not 5,000).
CREATE TABLE unit_last_heard (
    unit_id   INTEGER PRIMARY KEY REFERENCES bargaining_unit (id) ON DELETE CASCADE,
    guild_id  INTEGER NOT NULL,
    update_id INTEGER REFERENCES bargaining_update (id) ON DELETE SET NULL,
    kind      TEXT,
    heard_at  TEXT NOT NULL
);
CREATE INDEX unit_last_heard_guild ON unit_last_heard (guild_id);
INSERT INTO unit_last_heard (unit_id, guild_id, heard_at)
SELECT x.unit_id, u.guild_id, max(u.published_at)
FROM bargaining_update u JOIN bargaining_update_unit x ON x.update_id = u.id
GROUP BY x.unit_id, u.guild_id;

-- A unit's details withheld after its tentative agreement: why, and when they are expected.
-- Closed (released_at) when the unit reaches a status where details are out.
CREATE TABLE withheld_details (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    expected_at TEXT NOT NULL,
    marked_at   TEXT NOT NULL,
    marked_by   INTEGER,
    released_at TEXT
);
CREATE UNIQUE INDEX withheld_details_open ON withheld_details (unit_id) WHERE released_at IS NULL;
CREATE INDEX withheld_details_guild ON withheld_details (guild_id, released_at);

-- Every change of the expected date, never overwritten: "expected May 1, moved to June 1 on
-- April 28: reason".
CREATE TABLE withheld_date_change (
    id          INTEGER PRIMARY KEY,
    withheld_id INTEGER NOT NULL REFERENCES withheld_details (id) ON DELETE CASCADE,
    old_expected_at TEXT NOT NULL,
    new_expected_at TEXT NOT NULL,
    reason      TEXT,
    changed_at  TEXT NOT NULL,
    changed_by  INTEGER
);
CREATE INDEX withheld_date_change_withheld ON withheld_date_change (withheld_id, changed_at);

-- A structured summary of what an update's agreement changes, one row per article or topic.
CREATE TABLE update_summary (
    update_id   INTEGER PRIMARY KEY REFERENCES bargaining_update (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    title       TEXT,
    imported_at TEXT NOT NULL,
    imported_by INTEGER
);
CREATE TABLE update_summary_item (
    id            INTEGER PRIMARY KEY,
    update_id     INTEGER NOT NULL REFERENCES update_summary (update_id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    article       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('added', 'changed', 'removed')),
    current_terms TEXT,
    new_terms     TEXT,
    note          TEXT NOT NULL,
    UNIQUE (update_id, position)
);

-- Open items at the table: whose move it is and when the last exchange was.
CREATE TABLE proposal (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    unit_id          INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    title            TEXT NOT NULL,
    whose_move       TEXT NOT NULL CHECK (whose_move IN ('union', 'employer')),
    last_exchange_at TEXT NOT NULL,
    note             TEXT,
    state            TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    outcome          TEXT,
    created_at       TEXT NOT NULL,
    created_by       INTEGER,
    closed_at        TEXT
);
CREATE INDEX proposal_unit ON proposal (guild_id, unit_id, state);

-- An update cascaded through the CAT: one DM per active volunteer of its units.
CREATE TABLE cascade (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    update_id      INTEGER NOT NULL REFERENCES bargaining_update (id) ON DELETE CASCADE,
    talking_points TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    started_by     INTEGER,
    broadcast_id   INTEGER REFERENCES broadcast (id) ON DELETE SET NULL
);
CREATE INDEX cascade_update ON cascade (guild_id, update_id);
-- Who was asked (volunteers: coordinators' eyes only) and their latest count; no coworker names.
CREATE TABLE cascade_volunteer (
    cascade_id   INTEGER NOT NULL REFERENCES cascade (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    confirmed_at TEXT,
    reached      INTEGER NOT NULL DEFAULT 0 CHECK (reached >= 0),
    reminded_at  TEXT,
    PRIMARY KEY (cascade_id, user_id)
);
-- Each "Reached some" answer, kept so the figures can be read as they stood at 24 and 48 h.
CREATE TABLE cascade_report (
    id          INTEGER PRIMARY KEY,
    cascade_id  INTEGER NOT NULL REFERENCES cascade (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    reached     INTEGER NOT NULL CHECK (reached >= 0),
    reported_at TEXT NOT NULL
);
CREATE INDEX cascade_report_cascade ON cascade_report (cascade_id, reported_at);
