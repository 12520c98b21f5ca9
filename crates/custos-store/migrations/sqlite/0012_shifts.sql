-- A person's work shift, in minutes of the UTC day (the end may be before the start:
-- the shift wraps midnight). Detection flags customer data used outside it.

CREATE TABLE work_shifts (
    user_id       BLOB    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    start_minute  INTEGER NOT NULL,
    end_minute    INTEGER NOT NULL
) STRICT;
