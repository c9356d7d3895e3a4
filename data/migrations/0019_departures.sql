-- Member safety: people who left the server or lost a role get nothing more; concerns come
-- from the server's list only.

-- What a DM's recipient must still hold when it is sent: NULL (being a member of the
-- server), 'cat' or 'coordinator' (that /setup role); for a channel, 'private' (a channel
-- @everyone cannot read). The delivery worker checks it at send time.
ALTER TABLE delivery ADD COLUMN requires TEXT;

-- Free-text concerns could name a coworker. Each server keeps "other" on its own list, and
-- every concern heard that is not on the server's list (or the defaults, while it has none)
-- becomes "other".
INSERT INTO cat_concern (guild_id, name, created_at)
SELECT DISTINCT guild_id, 'other', strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 'now')
FROM cat_concern WHERE true
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE concern_off_list AS
SELECT k.conversation_id, k.concern FROM cat_conversation_concern k
JOIN cat_conversation c ON c.id = k.conversation_id
WHERE NOT EXISTS (
        SELECT 1 FROM cat_concern l WHERE l.guild_id = c.guild_id AND l.name = k.concern
    )
  AND (
        EXISTS (SELECT 1 FROM cat_concern l WHERE l.guild_id = c.guild_id)
        OR lower(k.concern) NOT IN
           ('wages', 'ai', 'health', 'hours', 'safety', 'pension', 'residuals', 'other')
    );

-- One "other" per conversation: the first off-list concern becomes it, the rest go.
UPDATE OR IGNORE cat_conversation_concern SET concern = 'other'
WHERE (conversation_id, concern) IN (SELECT conversation_id, concern FROM concern_off_list);
DELETE FROM cat_conversation_concern
WHERE (conversation_id, concern) IN (SELECT conversation_id, concern FROM concern_off_list);

DROP TABLE concern_off_list;
