-- Credential resets: a security officer or administrator resets a person's sign-in
-- (a lost phone, a forgotten password). The person's second factors go at once and
-- they get a one-time link, stored as an invitation that names the account it
-- resets; redeeming it sets a new password, authenticator and recovery codes.

ALTER TABLE invitations ADD COLUMN resets_user UUID REFERENCES users (id) ON DELETE CASCADE;
