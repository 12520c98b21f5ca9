-- Signed-off access reviews (PCI DSS 7.2.4: at least every six months): who signed,
-- when, and the SHA-256 of the exact report they reviewed.
CREATE TABLE access_reviews (
    id              BLOB    PRIMARY KEY,
    signed_by       BLOB    NOT NULL REFERENCES users (id),
    signed_at       INTEGER NOT NULL,
    accounts        INTEGER NOT NULL,
    report_sha256   BLOB    NOT NULL,
    notes           TEXT    NOT NULL
) STRICT;
