-- Signed-off access reviews (PCI DSS 7.2.4: at least every six months): who signed,
-- when, and the SHA-256 of the exact report they reviewed.
CREATE TABLE access_reviews (
    id              UUID   PRIMARY KEY,
    signed_by       UUID   NOT NULL REFERENCES users (id),
    signed_at       BIGINT NOT NULL,
    accounts        BIGINT NOT NULL,
    report_sha256   BYTEA  NOT NULL,
    notes           TEXT   NOT NULL
);
