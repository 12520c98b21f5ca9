-- Detection and response: alerts raised by the rules over the audit stream, their
-- lifecycle (open, acknowledged, resolved) with notes, and the rules administrators
-- changed or added (the shipped pack is in the binary; a row here overrides a shipped
-- rule of the same id or adds one).

CREATE TABLE alerts (
    id           UUID    PRIMARY KEY,
    rule_id      TEXT    NOT NULL,
    severity     TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    actor        TEXT,
    source_ip    TEXT,
    events       TEXT    NOT NULL,
    responses    TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    updated_by   TEXT
);
CREATE INDEX alerts_status ON alerts (status, created_at);

CREATE TABLE alert_notes (
    alert_id    UUID    NOT NULL REFERENCES alerts (id),
    created_at  BIGINT  NOT NULL,
    author      TEXT    NOT NULL,
    text        TEXT    NOT NULL
);
CREATE INDEX alert_notes_alert ON alert_notes (alert_id, created_at);

CREATE TABLE detection_rules (
    id          TEXT    PRIMARY KEY,
    definition  TEXT    NOT NULL,
    enabled     BOOLEAN NOT NULL,
    updated_at  BIGINT  NOT NULL,
    updated_by  TEXT    NOT NULL
);
