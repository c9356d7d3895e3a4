-- Privacy: transparency log, campaign close/retention state, safety checklist.
CREATE TABLE IF NOT EXISTS privacy_log (
    id INTEGER PRIMARY KEY
);
