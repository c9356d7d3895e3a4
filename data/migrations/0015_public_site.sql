-- The public site (issue 24): a static bargaining page, feeds and a calendar built from what
-- organizers chose to publish. Nothing is public by default.

-- An update or an event is on the public site only when its organizer said so (`public:`)
-- and the server publishes that section (site_settings).
ALTER TABLE bargaining_update ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
CREATE INDEX bargaining_update_public ON bargaining_update (guild_id, public, published_at);

-- An update's earlier text, kept at each edit (the site shows an update's edit history).
-- No author: the audit log says who edited.
CREATE TABLE bargaining_update_revision (
    id          INTEGER PRIMARY KEY,
    update_id   INTEGER NOT NULL REFERENCES bargaining_update (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    source_url  TEXT,
    -- When this text was replaced by the next one.
    replaced_at TEXT NOT NULL
);
CREATE INDEX bargaining_update_revision_update ON bargaining_update_revision (update_id, id);

-- One row per server that publishes a site: its title and address (`/setup site`), which
-- sections are public, and the folder the bot rebuilds it into (set on the host with
-- `rankfile site folder`, never from Discord).
CREATE TABLE site_settings (
    guild_id         INTEGER PRIMARY KEY,
    title            TEXT NOT NULL DEFAULT '',
    url              TEXT,
    public_updates   INTEGER NOT NULL DEFAULT 0,
    public_tracker   INTEGER NOT NULL DEFAULT 0,
    public_proposals INTEGER NOT NULL DEFAULT 0,
    public_events    INTEGER NOT NULL DEFAULT 0,
    out_dir          TEXT,
    updated_at       TEXT NOT NULL
);
