-- Bargaining units: a local, a unit, a table. Units nest (a local, then its departments or
-- crafts) through parent_id; member_count is what organizers enter, for coverage and turnout.
CREATE TABLE bargaining_unit (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    parent_id    INTEGER REFERENCES bargaining_unit (id) ON DELETE RESTRICT,
    member_count INTEGER CHECK (member_count IS NULL OR member_count >= 0),
    created_at   TEXT NOT NULL,
    UNIQUE (guild_id, code)
);
CREATE INDEX bargaining_unit_parent ON bargaining_unit (parent_id);
