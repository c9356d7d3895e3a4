-- Town halls and votes as unions run them (issue 13): sessions and RSVPs per session (0007),
-- the member's unit on an RSVP (counts per unit), vote eligibility by role, an anonymous
-- turnout tally that outlives the per-member I-voted flags, questions in advance with
-- upvotes, recurring meetings, the discussion thread and the recap.

-- The unit a member gave with an RSVP, for organizers' counts per unit (never listed).
ALTER TABLE event_rsvp ADD COLUMN unit_id INTEGER REFERENCES bargaining_unit (id) ON DELETE SET NULL;

-- Roles eligible for a vote (none: everyone in its units): who is reminded, who may press I voted.
CREATE TABLE event_role (
    event_id INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    role_id  INTEGER NOT NULL,
    PRIMARY KEY (event_id, role_id)
);

-- One row per member who said they voted, with no member id: the counts and the turnout over
-- time survive the deletion of the per-member flags (vote_voted) at the final close.
CREATE TABLE vote_tally (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    unit_id  INTEGER REFERENCES bargaining_unit (id) ON DELETE SET NULL,
    at       TEXT NOT NULL
);
CREATE INDEX vote_tally_event ON vote_tally (event_id, at);
-- Links a flag to its tally row only while the vote is open (to file the unit named later).
ALTER TABLE vote_voted ADD COLUMN tally_id INTEGER REFERENCES vote_tally (id) ON DELETE SET NULL;

-- Questions in advance for a town hall. user_id is kept to DM the asker the answer; an
-- anonymous question never shows it to anyone.
CREATE TABLE townhall_question (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES event (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    anonymous   INTEGER NOT NULL DEFAULT 0,
    text        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'merged')),
    merged_into INTEGER REFERENCES townhall_question (id) ON DELETE SET NULL,
    answer      TEXT,
    created_at  TEXT NOT NULL,
    answered_at TEXT
);
CREATE INDEX townhall_question_event ON townhall_question (event_id, state);

-- One upvote per member per question (pressing again takes it back).
CREATE TABLE townhall_upvote (
    question_id INTEGER NOT NULL REFERENCES townhall_question (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (question_id, user_id)
);

-- Recurring meetings: the rule as JSON ({"freq": "weekly"|"biweekly"|"monthly", "nth": 2,
-- "weekday": 1, "until": ...}); each occurrence is a session with its own RSVPs and reminders.
ALTER TABLE event ADD COLUMN recurrence TEXT;
-- The discussion thread opened with the event, and the recap update posted after it.
ALTER TABLE event ADD COLUMN thread_id INTEGER;
ALTER TABLE event ADD COLUMN recap_update_id INTEGER;
