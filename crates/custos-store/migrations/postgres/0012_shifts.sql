-- A person's work shift, in minutes of the UTC day (the end may be before the start:
-- the shift wraps midnight). Detection flags customer data used outside it.

CREATE TABLE work_shifts (
    user_id       UUID    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    start_minute  BIGINT  NOT NULL,
    end_minute    BIGINT  NOT NULL
);
