-- Discord's limits kept by the delivery worker.
-- When the bot opened each DM channel: Discord restricts a bot that opens too many new DMs a day.
ALTER TABLE dm_channel ADD COLUMN opened_at TEXT;

-- Members whose DMs were closed (403 50007): not tried again for a week unless they use the bot.
CREATE TABLE dm_closed (
    user_id   INTEGER PRIMARY KEY,
    closed_at TEXT NOT NULL
);

-- The running bot's invalid requests (401, 403, 429) in the last 10 minutes, for `rankfile status`.
ALTER TABLE heartbeat ADD COLUMN invalid_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE heartbeat ADD COLUMN sending_paused INTEGER NOT NULL DEFAULT 0;
