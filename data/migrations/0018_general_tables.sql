-- A general table: negotiations on behalf of every unit (the Basic Agreement's general
-- negotiations beside the locals' own tables). The tracker shows it apart from the units and
-- leaves it out of "N of M units".
ALTER TABLE bargaining_unit ADD COLUMN general INTEGER NOT NULL DEFAULT 0 CHECK (general IN (0, 1));
