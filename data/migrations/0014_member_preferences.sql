-- Readable by everyone (issue 22): how each member wants the bot to talk to them, and whether a
-- server's channel posts carry their plain text beside the embed.
-- One row per member and server, written by /settings; the language setting (issue 23) adds a
-- column here.
CREATE TABLE member_preference (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    plain_text INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- /setup accessibility plain-text-posts: channel posts carry the plain text beside the embed.
ALTER TABLE guild_settings ADD COLUMN plain_text_posts INTEGER NOT NULL DEFAULT 0;
