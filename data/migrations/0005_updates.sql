-- Negotiation updates, the bargaining tracker and members' subscriptions.
-- Later capabilities (withheld details, structured summaries, proposals, cascades) add their
-- own tables that refer to these by id; `kind` columns are free text so new kinds need no rebuild.

-- The per-server list of topics an update can be filed under (wages, AI, benefits...).
CREATE TABLE update_topic (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    name       TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT NOT NULL,
    UNIQUE (guild_id, name)
);

-- One published negotiation update. It is never deleted: a retraction keeps the row and says so.
CREATE TABLE bargaining_update (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    kind            TEXT NOT NULL DEFAULT 'update',  -- 'update', 'status' (from /tracker set)...
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    source_url      TEXT,
    author_id       INTEGER,
    published_at    TEXT NOT NULL,
    broadcast_id    INTEGER REFERENCES broadcast (id) ON DELETE SET NULL,
    edited_at       TEXT,
    edited_by       INTEGER,
    retracted_at    TEXT,
    retracted_by    INTEGER,
    retraction_note TEXT
);
CREATE INDEX bargaining_update_guild ON bargaining_update (guild_id, published_at);

-- Topic names are copied onto the update, so renaming the server's list never rewrites history.
CREATE TABLE bargaining_update_topic (
    update_id INTEGER NOT NULL REFERENCES bargaining_update (id) ON DELETE CASCADE,
    topic     TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (update_id, topic)
);
CREATE INDEX bargaining_update_topic_name ON bargaining_update_topic (topic, update_id);

CREATE TABLE bargaining_update_unit (
    update_id INTEGER NOT NULL REFERENCES bargaining_update (id) ON DELETE CASCADE,
    unit_id   INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    PRIMARY KEY (update_id, unit_id)
);
CREATE INDEX bargaining_update_unit_unit ON bargaining_update_unit (unit_id, update_id);

-- Full-text search over updates (external content: the triggers keep it in step).
CREATE VIRTUAL TABLE bargaining_update_fts USING fts5 (
    title, body, content = 'bargaining_update', content_rowid = 'id',
    tokenize = 'porter unicode61'
);
CREATE TRIGGER bargaining_update_ai AFTER INSERT ON bargaining_update BEGIN
    INSERT INTO bargaining_update_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER bargaining_update_ad AFTER DELETE ON bargaining_update BEGIN
    INSERT INTO bargaining_update_fts (bargaining_update_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER bargaining_update_au AFTER UPDATE OF title, body ON bargaining_update BEGIN
    INSERT INTO bargaining_update_fts (bargaining_update_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO bargaining_update_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- The tracker: every status a unit reached, dated (reached_at, may be in the past), authored,
-- and linked to the update that announced it. A unit's status is its newest row.
CREATE TABLE tracker_status_change (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    unit_id    INTEGER NOT NULL REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    status     TEXT NOT NULL,
    reached_at TEXT NOT NULL,
    note       TEXT,
    author_id  INTEGER,
    update_id  INTEGER REFERENCES bargaining_update (id) ON DELETE SET NULL,
    forced     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX tracker_status_change_unit ON tracker_status_change (unit_id, reached_at, id);
CREATE INDEX tracker_status_change_guild ON tracker_status_change (guild_id, unit_id);

-- A member's subscription: to every update ('all'), a topic, a unit, or announcements.
-- `target` is '' for all/announcements, the topic's name, or the unit's id as text.
CREATE TABLE subscription (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('all', 'topic', 'unit', 'announcements')),
    target     TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    unit_id    INTEGER REFERENCES bargaining_unit (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    UNIQUE (guild_id, user_id, kind, target)
);
CREATE INDEX subscription_lookup ON subscription (guild_id, kind, target);
