-- Contract Action Team (issue 6): volunteers, their conversation logs, the server's concerns.
-- Later CAT work (shifts, assessments, scopes) adds columns and tables; it never reshapes these.

-- Whether a sign-up waits for a coordinator, the coverage target (members per volunteer)
-- and the private channel where the bot tells coordinators what needs them.
ALTER TABLE guild_settings ADD COLUMN cat_requires_approval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_settings ADD COLUMN cat_target_ratio INTEGER NOT NULL DEFAULT 10
    CHECK (cat_target_ratio BETWEEN 1 AND 1000);
ALTER TABLE guild_settings ADD COLUMN cat_channel_id INTEGER;

-- One row per member who ever signed up in a server: joining again updates it.
CREATE TABLE cat_volunteer (
    id                     INTEGER PRIMARY KEY,
    guild_id               INTEGER NOT NULL,
    user_id                INTEGER NOT NULL,
    unit_id                INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    display_name           TEXT NOT NULL,
    department             TEXT NOT NULL,
    availability           TEXT NOT NULL,
    contact                TEXT NOT NULL,
    status                 TEXT NOT NULL
                           CHECK (status IN ('active', 'pending', 'left', 'removed')),
    -- 'granted' once the CAT role call succeeded, 'failed' when Discord refused it.
    role_state             TEXT NOT NULL DEFAULT 'none',
    commitment_accepted_at TEXT NOT NULL,
    joined_at              TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    approved_at            TEXT,
    approved_by            INTEGER,
    left_at                TEXT,
    UNIQUE (guild_id, user_id)
);
CREATE INDEX cat_volunteer_unit ON cat_volunteer (guild_id, unit_id, status);

-- One row per logging action: how many one-on-ones, with which unit; never a coworker's name.
-- shift_id, level and method are for the assessments that come later (NULL until then).
CREATE TABLE cat_conversation (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    volunteer_id INTEGER REFERENCES cat_volunteer (id) ON DELETE SET NULL,
    unit_id      INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    shift_id     INTEGER,
    count        INTEGER NOT NULL CHECK (count >= 1),
    level        INTEGER CHECK (level IS NULL OR level BETWEEN 0 AND 5),
    method       TEXT,
    logged_at    TEXT NOT NULL
);
CREATE INDEX cat_conversation_unit ON cat_conversation (guild_id, unit_id, logged_at);
CREATE INDEX cat_conversation_volunteer ON cat_conversation (volunteer_id, logged_at);

-- The concerns heard in one logging action (one now; up to three later).
CREATE TABLE cat_conversation_concern (
    conversation_id INTEGER NOT NULL REFERENCES cat_conversation (id) ON DELETE CASCADE,
    concern         TEXT NOT NULL,
    PRIMARY KEY (conversation_id, concern)
);

-- The server's own list of concerns offered when logging (defaults until it has one).
CREATE TABLE cat_concern (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    name       TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT NOT NULL,
    UNIQUE (guild_id, name)
);
