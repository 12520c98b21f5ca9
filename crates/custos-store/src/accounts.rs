//! Storage of people, sessions, sign-in state and service tokens.
//!
//! The store holds only what cannot hurt if copied: password hashes (Argon2id),
//! token hashes (SHA-256) and sealed TOTP secrets. Every check that must be
//! atomic is a single statement here: a TOTP step is accepted only if it is
//! later than the last one, an MFA challenge can be taken once, and disabling a
//! person ends all of their sessions in the same transaction.

use std::future::Future;

use uuid::Uuid;

use crate::StoreError;

/// A person's account as stored. `Debug` leaves out the password hash and the
/// sealed TOTP secret.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Stable id.
    pub id: Uuid,
    /// Sign-in name, unique.
    pub username: String,
    /// One of the person roles.
    pub role: String,
    /// Team, if any.
    pub team: Option<String>,
    /// Supervisor, if any.
    pub supervisor_id: Option<Uuid>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set.
    pub password_changed_at: i64,
    /// The TOTP secret, sealed by the server.
    pub totp_sealed: Option<Vec<u8>>,
    /// The step of the last accepted TOTP code.
    pub totp_last_step: Option<i64>,
    /// Consecutive failed sign-ins.
    pub failed_attempts: u32,
    /// Locked until this time.
    pub locked_until: Option<i64>,
    /// When the account was disabled.
    pub disabled_at: Option<i64>,
    /// When it was created.
    pub created_at: i64,
    /// Last completed sign-in.
    pub last_sign_in_at: Option<i64>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("team", &self.team)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// A session as stored (its token only as a hash, elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Public id (shown in session lists and the audit trail; not a credential).
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// Sign-in completed.
    pub created_at: i64,
    /// Last request.
    pub last_seen: i64,
    /// Last MFA.
    pub mfa_at: i64,
    /// Address at sign-in.
    pub ip: Option<String>,
    /// When it ended, if it did.
    pub ended_at: Option<i64>,
    /// Why it ended (`logout`, `idle_timeout`, `disabled`, …).
    pub end_reason: Option<String>,
    /// The enrolled device it was opened from, if any.
    pub device_id: Option<Uuid>,
}

impl SessionRecord {
    /// A new session of `user_id`, signed in with a second factor at `now`.
    pub fn signed_in(user_id: Uuid, now: i64, ip: Option<String>, device_id: Option<Uuid>) -> Self {
        Self {
            id: Uuid::new_v4(),
            user_id,
            created_at: now,
            last_seen: now,
            mfa_at: now,
            ip,
            ended_at: None,
            end_reason: None,
            device_id,
        }
    }
}

/// An enrolled device (its token only as a hash, elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Public id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// A name the person or officer gave it (e.g. `laptop-4411`).
    pub name: String,
    /// Enrolled.
    pub created_at: i64,
    /// Last sign-in from it.
    pub last_seen_at: Option<i64>,
    /// Revoked: it no longer counts, and its sessions ended.
    pub revoked_at: Option<i64>,
}

/// A setting changed at run time, over the configuration file's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingRecord {
    /// The setting's name, as in the configuration file (`session.idle_timeout_secs`).
    pub name: String,
    /// Its value, as JSON.
    pub value: String,
    /// The username of who changed it.
    pub changed_by: String,
    /// When.
    pub changed_at: i64,
}

/// An integration's service token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTokenRecord {
    /// Stable id.
    pub id: Uuid,
    /// Name, unique.
    pub name: String,
    /// `integration` or `payment_service`.
    pub role: String,
    /// Created.
    pub created_at: i64,
    /// Stops working at.
    pub expires_at: i64,
    /// Revoked at.
    pub revoked_at: Option<i64>,
    /// Last used at.
    pub last_used_at: Option<i64>,
}

/// A signed-off access review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReviewRecord {
    /// Id.
    pub id: Uuid,
    /// Who signed it off.
    pub signed_by: Uuid,
    /// When.
    pub signed_at: i64,
    /// Accounts and tokens in the report.
    pub accounts: u32,
    /// SHA-256 of the report as reviewed.
    pub report_sha256: Vec<u8>,
    /// The reviewer's notes.
    pub notes: String,
}

/// A person's new credentials, set when a reset link is redeemed.
pub struct ResetCredentials<'a> {
    /// The account.
    pub user: Uuid,
    /// The new password's PHC string.
    pub password_hash: &'a str,
    /// The new TOTP secret, sealed.
    pub totp_sealed: &'a [u8],
    /// Hashes of the new recovery codes.
    pub recovery_hashes: &'a [[u8; 32]],
    /// Unix seconds.
    pub now: i64,
}

/// Storage of accounts.
pub trait AccountStore {
    /// Creates a person; `Conflict` if the username is taken.
    fn create_user(&self, user: &UserRecord)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A person by username.
    fn user_by_name(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<UserRecord>, StoreError>> + Send;
    /// A person by id.
    fn user_by_id(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<UserRecord>, StoreError>> + Send;
    /// Every person, by username.
    fn list_users(&self) -> impl Future<Output = Result<Vec<UserRecord>, StoreError>> + Send;
    /// Stores the failure count and lock after a failed sign-in.
    fn set_sign_in_failures(
        &self,
        user: Uuid,
        failures: u32,
        locked_until: Option<i64>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Resets failures and records a completed sign-in.
    fn record_sign_in(
        &self,
        user: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the password hash (a rehash with stronger parameters or a change),
    /// keeping the previous one in the history.
    fn set_password(
        &self,
        user: Uuid,
        hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The most recent previous password hashes, newest first.
    fn password_history(
        &self,
        user: Uuid,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Accepts TOTP step `step` only if it is later than the last accepted one; true if accepted.
    fn advance_totp_step(
        &self,
        user: Uuid,
        step: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Disables a person and ends every session of theirs, at once.
    fn disable_user(
        &self,
        user: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Lifts a lock and clears the failure count.
    fn unlock_user(&self, user: Uuid) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the stored hash of the *same* password (stronger parameters after a
    /// rehash at sign-in); unlike a change, it adds nothing to the history.
    fn rehash_password(
        &self,
        user: Uuid,
        hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A person's work shift (start and end minute of the UTC day), if one is set.
    fn user_shift(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Option<(u16, u16)>, StoreError>> + Send;
    /// Gives a person another role and team.
    fn set_user_role(
        &self,
        user: Uuid,
        role: &str,
        team: Option<&str>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Sets (or, with `None`, clears) a person's work shift.
    fn set_user_shift(
        &self,
        user: Uuid,
        shift: Option<(u16, u16)>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// After a credential reset, in one transaction: the new password (the old one
    /// goes to the history), TOTP secret and recovery codes; failed attempts cleared.
    fn complete_credential_reset(
        &self,
        credentials: &ResetCredentials<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces a person's recovery codes with these (hashes only).
    fn set_recovery_codes(
        &self,
        user: Uuid,
        hashes: &[[u8; 32]],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Uses up a recovery code; true exactly once for an unused code of this person.
    fn use_recovery_code(
        &self,
        user: Uuid,
        hash: &[u8; 32],
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// How many unused recovery codes a person has.
    fn unused_recovery_codes(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Stores a pending MFA step after a correct password (from `device`, if any).
    fn create_mfa_challenge(
        &self,
        token_hash: &[u8; 32],
        user: Uuid,
        device: Option<Uuid>,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The person of a pending MFA step, without taking it; `None` if unknown or expired.
    fn mfa_challenge_user(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> impl Future<Output = Result<Option<Uuid>, StoreError>> + Send;
    /// Takes (and deletes) a pending MFA step: (user, device); `None` if unknown or expired.
    fn take_mfa_challenge(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> impl Future<Output = Result<Option<(Uuid, Option<Uuid>)>, StoreError>> + Send;

    /// Stores a single-use device enrolment code (as a hash) for a person.
    fn create_device_code(
        &self,
        code_hash: &[u8; 32],
        user: Uuid,
        created_by: &str,
        now: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Uses up an enrolment code of `user`, exactly once, before it expires; true if
    /// it was used now. A code of someone else is left unspent.
    fn take_device_code(
        &self,
        code_hash: &[u8; 32],
        user: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Stores an enrolled device with its token hash.
    fn create_device(
        &self,
        device: &DeviceRecord,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The live (not revoked) device with this token.
    fn device_by_token(
        &self,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<DeviceRecord>, StoreError>> + Send;
    /// A device by id.
    fn device_by_id(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<DeviceRecord>, StoreError>> + Send;
    /// A person's devices, newest first.
    fn devices_of(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Vec<DeviceRecord>, StoreError>> + Send;
    /// Records a sign-in from a device.
    fn touch_device(
        &self,
        id: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Revokes a device and ends every session opened from it, at once; false if it
    /// was already revoked.
    fn revoke_device(
        &self,
        id: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores a new session.
    fn create_session(
        &self,
        session: &SessionRecord,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The live (not ended) session with this token, and its person.
    fn session_by_token(
        &self,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<(SessionRecord, UserRecord)>, StoreError>> + Send;
    /// Marks a session used at `now`.
    fn touch_session(
        &self,
        id: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Ends a session; false if it had already ended.
    fn end_session(
        &self,
        id: Uuid,
        now: i64,
        reason: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// A session by its public id (ended or not).
    fn session_by_id(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<SessionRecord>, StoreError>> + Send;
    /// Records a fresh MFA on a live session (step-up).
    fn set_session_mfa(
        &self,
        id: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A person's live sessions.
    fn live_sessions(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Vec<SessionRecord>, StoreError>> + Send;

    /// Every service token, by name.
    fn list_service_tokens(
        &self,
    ) -> impl Future<Output = Result<Vec<ServiceTokenRecord>, StoreError>> + Send;
    /// Records a signed-off access review.
    fn record_access_review(
        &self,
        review: &AccessReviewRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every signed-off review, newest first.
    fn access_reviews(
        &self,
    ) -> impl Future<Output = Result<Vec<AccessReviewRecord>, StoreError>> + Send;

    /// The Cedar policies administrators added, oldest first: (id, text).
    fn extra_policies(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;
    /// Stores an added policy; `Conflict` if the id is taken.
    fn add_policy(
        &self,
        id: &str,
        text: &str,
        added_by: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The settings changed at run time, by name.
    fn settings(&self) -> impl Future<Output = Result<Vec<SettingRecord>, StoreError>> + Send;
    /// In one transaction: removes the settings named in `removed` (they return to
    /// the configuration file's value) and stores `changed`, replacing earlier values.
    fn change_settings(
        &self,
        removed: &[String],
        changed: &[SettingRecord],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a new service token; `Conflict` if the name is taken.
    fn create_service_token(
        &self,
        token: &ServiceTokenRecord,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The service token with this hash (revoked or expired ones included; the caller decides).
    fn service_token_by_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<ServiceTokenRecord>, StoreError>> + Send;
    /// The service token with this id.
    fn service_token_by_id(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<ServiceTokenRecord>, StoreError>> + Send;
    /// Revokes a token from `now`; false if it was already revoked.
    fn revoke_service_token(
        &self,
        id: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Records a use.
    fn touch_service_token(
        &self,
        id: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The columns of `users`, in [`UserRow`] order.
pub(crate) const USER_COLUMNS: &str = "id, username, role, team, supervisor_id, password_hash, password_changed_at, \
     totp_sealed, totp_last_step, failed_attempts, locked_until, disabled_at, created_at, last_sign_in_at";

/// A `users` row as both backends decode it.
pub(crate) type UserRow = (
    Uuid,
    String,
    String,
    Option<String>,
    Option<Uuid>,
    String,
    i64,
    Option<Vec<u8>>,
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    Option<i64>,
);

pub(crate) fn user_from_row(row: UserRow) -> UserRecord {
    let (
        id,
        username,
        role,
        team,
        supervisor_id,
        password_hash,
        password_changed_at,
        totp_sealed,
        totp_last_step,
        failed,
        locked_until,
        disabled_at,
        created_at,
        last_sign_in_at,
    ) = row;
    UserRecord {
        id,
        username,
        role,
        team,
        supervisor_id,
        password_hash,
        password_changed_at,
        totp_sealed,
        totp_last_step,
        failed_attempts: u32::try_from(failed).unwrap_or(u32::MAX),
        locked_until,
        disabled_at,
        created_at,
        last_sign_in_at,
    }
}

/// The columns of `sessions`, in [`SessionRow`] order.
pub(crate) const SESSION_COLUMNS: &str =
    "id, user_id, created_at, last_seen, mfa_at, ip, ended_at, end_reason, device_id";

/// A `sessions` row.
pub(crate) type SessionRow = (
    Uuid,
    Uuid,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<Uuid>,
);

pub(crate) fn session_from_row(row: SessionRow) -> SessionRecord {
    let (id, user_id, created_at, last_seen, mfa_at, ip, ended_at, end_reason, device_id) = row;
    SessionRecord {
        id,
        user_id,
        created_at,
        last_seen,
        mfa_at,
        ip,
        ended_at,
        end_reason,
        device_id,
    }
}

/// The live session with a token hash (`$1`) and its person, in one round trip:
/// every authenticated request asks this. Decoded by
/// [`crate::columns::session_with_user`].
pub(crate) const SESSION_BY_TOKEN_SQL: &str = "SELECT s.id, s.user_id, s.created_at, s.last_seen, \
     s.mfa_at, s.ip, s.ended_at, s.end_reason, s.device_id, \
     u.id, u.username, u.role, u.team, u.supervisor_id, u.password_hash, u.password_changed_at, \
     u.totp_sealed, u.totp_last_step, u.failed_attempts, u.locked_until, u.disabled_at, \
     u.created_at, u.last_sign_in_at \
     FROM sessions s JOIN users u ON u.id = s.user_id \
     WHERE s.token_hash = $1 AND s.ended_at IS NULL";

/// The columns of `devices`, in [`DeviceRow`] order.
pub(crate) const DEVICE_COLUMNS: &str = "id, user_id, name, created_at, last_seen_at, revoked_at";

/// A `devices` row.
pub(crate) type DeviceRow = (Uuid, Uuid, String, i64, Option<i64>, Option<i64>);

pub(crate) fn device_from_row(row: DeviceRow) -> DeviceRecord {
    let (id, user_id, name, created_at, last_seen_at, revoked_at) = row;
    DeviceRecord {
        id,
        user_id,
        name,
        created_at,
        last_seen_at,
        revoked_at,
    }
}

/// The columns of `service_tokens`, in [`TokenRow`] order.
pub(crate) const TOKEN_COLUMNS: &str =
    "id, name, role, created_at, expires_at, revoked_at, last_used_at";

/// The service token with a hash (`$1`): every integration's request asks this.
pub(crate) const TOKEN_BY_HASH_SQL: &str = "SELECT id, name, role, created_at, expires_at, \
     revoked_at, last_used_at FROM service_tokens WHERE token_hash = $1";

/// A `service_tokens` row.
pub(crate) type TokenRow = (Uuid, String, String, i64, i64, Option<i64>, Option<i64>);

pub(crate) fn token_from_row(row: TokenRow) -> ServiceTokenRecord {
    let (id, name, role, created_at, expires_at, revoked_at, last_used_at) = row;
    ServiceTokenRecord {
        id,
        name,
        role,
        created_at,
        expires_at,
        revoked_at,
        last_used_at,
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(crate) fn conflict_or(
    operation: &'static str,
    what: &'static str,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::query(operation)(e),
    }
}
