-- Indexes for lookups that otherwise scan a table that only grows: deleting a
-- customer's blind-index entries (crypto-shredding), ending the sessions and
-- pending sign-ins of a revoked device, and listing the newest alerts of any status.

CREATE INDEX customer_index_customer ON customer_index (customer_id);
CREATE INDEX sessions_device ON sessions (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX mfa_challenges_device ON mfa_challenges (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX alerts_created ON alerts (created_at);
