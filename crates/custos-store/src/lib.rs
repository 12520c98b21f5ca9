//! Storage for Custos: one set of storage traits and their two implementations,
//! an embedded SQLite store (the default) and a pooled PostgreSQL store.
//!
//! Services never see SQL or a backend type: they hold a [`Store`] and call the
//! methods of the domain traits ([`InstanceStore`], [`AuditStore`], …), which every backend
//! implements. Each backend keeps its own migration tree under `migrations/<backend>/`,
//! applied when the store is opened.

mod accounts;
mod audit;
mod columns;
mod conversation;
mod database_url;
mod detection;
mod error;
mod instance;
mod invitations;
mod migrations;
mod passkeys;
mod postgres;
mod sql;
mod sqlite;
mod vault;

use uuid::Uuid;

pub use accounts::{
    AccessReviewRecord, AccountStore, DeviceRecord, ResetCredentials, ServiceTokenRecord,
    SessionRecord, SettingRecord, UserRecord,
};
pub use audit::{AuditAnchor, AuditQuery, AuditStore};
pub use conversation::{
    AttemptOutcome, ConversationStore, EntryAppend, EntryRecord, VerificationCodeRecord,
};
pub use database_url::{Backend, DatabaseUrl, DatabaseUrlError};
pub use detection::{AlertNote, AlertRecord, DetectionRuleRecord, DetectionStore};
pub use error::StoreError;
pub use instance::{InstanceInfo, InstanceStore, SetupTokenHash, UnixTime};
pub use invitations::{InvitationRecord, InvitationStore};
pub use passkeys::{PasskeyRecord, PasskeyStore};
pub use postgres::PgStore;
pub use sqlite::{SqliteStore, lookup_path as sqlite_lookup_path, trail_path as sqlite_trail_path};
pub use vault::{
    CardTokenRecord, CustomerRecord, InteractionRecord, InteractionScope, KekRecord, NewCustomer,
    StoredCustomer, SystemKeyRecord, VaultStore, WrappedDataKey,
};

/// Tuning for opening a store. The defaults suit a small contact center.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Upper bound of pooled connections (PostgreSQL; SQLite readers).
    pub max_connections: u32,
    /// How long a caller waits for a pooled connection before giving up.
    pub acquire_timeout: std::time::Duration,
    /// SQLite: run the hot paths on direct connections (`sqlite/direct.rs`); off,
    /// everything goes through sqlx's pool.
    pub sqlite_direct: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: std::time::Duration::from_secs(5),
            sqlite_direct: true,
        }
    }
}

/// The store the server runs on: one of the backends, chosen by the database URL.
#[derive(Debug, Clone)]
pub enum Store {
    /// The embedded default.
    Sqlite(SqliteStore),
    /// Shared by several stateless nodes.
    Postgres(PgStore),
}

/// Forwards a call to whichever backend this store is.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        }
    };
}

impl Store {
    /// Opens (and creates, for SQLite) the database at `url` and applies pending migrations.
    pub async fn open(url: &DatabaseUrl, options: &StoreOptions) -> Result<Self, StoreError> {
        match url.backend() {
            Backend::Sqlite => Ok(Self::Sqlite(SqliteStore::open(url, options).await?)),
            Backend::Postgres => Ok(Self::Postgres(PgStore::open(url, options).await?)),
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The embedded store's direct connections for its hot paths
    /// (`sqlite/direct.rs`); `None` on PostgreSQL and for an in-memory database.
    fn direct(&self) -> Option<&std::sync::Arc<sqlite::Direct>> {
        match self {
            Self::Sqlite(s) => s.direct(),
            Self::Postgres(_) => None,
        }
    }

    /// Closes every pooled connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }
}

impl InstanceStore for Store {
    async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    async fn instance(&self, now: UnixTime) -> Result<InstanceInfo, StoreError> {
        dispatch!(self, s => s.instance(now).await)
    }

    async fn find_instance(&self) -> Result<Option<InstanceInfo>, StoreError> {
        dispatch!(self, s => s.find_instance().await)
    }

    async fn replace_setup_token(
        &self,
        token: &SetupTokenHash,
        issued_at: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.replace_setup_token(token, issued_at, expires_at).await)
    }

    async fn consume_setup_token(
        &self,
        token: &SetupTokenHash,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.consume_setup_token(token, now).await)
    }

    async fn mark_setup_complete(&self, now: UnixTime) -> Result<(), StoreError> {
        dispatch!(self, s => s.mark_setup_complete(now).await)
    }
}

impl AuditStore for Store {
    async fn append_audit(
        &self,
        pending: Vec<custos_audit::PendingEntry>,
        signer: &custos_audit::AuditSigner,
        instance: &str,
        now_ms: i64,
    ) -> Result<custos_audit::ChainHead, StoreError> {
        if let Some(direct) = self.direct() {
            let (head, _) = direct
                .clone()
                .append_audit(pending, signer.clone(), instance.to_owned(), now_ms, false)
                .await?;
            return Ok(head);
        }
        dispatch!(self, s => s.append_audit(pending, signer, instance, now_ms).await)
    }

    async fn append_audit_checkpointed(
        &self,
        pending: Vec<custos_audit::PendingEntry>,
        signer: &custos_audit::AuditSigner,
        instance: &str,
        now_ms: i64,
    ) -> Result<(custos_audit::ChainHead, custos_audit::SignedCheckpoint), StoreError> {
        if let Some(direct) = self.direct() {
            return audit::checkpointed(
                direct
                    .clone()
                    .append_audit(pending, signer.clone(), instance.to_owned(), now_ms, true)
                    .await?,
            );
        }
        dispatch!(self, s => s.append_audit_checkpointed(pending, signer, instance, now_ms).await)
    }

    async fn audit_head(&self) -> Result<custos_audit::ChainHead, StoreError> {
        dispatch!(self, s => s.audit_head().await)
    }

    async fn audit_entries(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<custos_audit::StoredEntry>, StoreError> {
        if let Some(direct) = self.direct() {
            return direct.clone().audit_entries(after_seq, limit).await;
        }
        dispatch!(self, s => s.audit_entries(after_seq, limit).await)
    }

    async fn query_audit(
        &self,
        query: &AuditQuery,
    ) -> Result<Vec<custos_audit::StoredEntry>, StoreError> {
        dispatch!(self, s => s.query_audit(query).await)
    }

    async fn put_audit_checkpoint(
        &self,
        checkpoint: &custos_audit::SignedCheckpoint,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.put_audit_checkpoint(checkpoint).await)
    }

    async fn audit_checkpoint_lines(&self) -> Result<Vec<String>, StoreError> {
        dispatch!(self, s => s.audit_checkpoint_lines().await)
    }

    async fn latest_audit_checkpoint_line(&self) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.latest_audit_checkpoint_line().await)
    }

    async fn audit_anchor(&self) -> Result<Option<AuditAnchor>, StoreError> {
        dispatch!(self, s => s.audit_anchor().await)
    }

    async fn prune_audit(&self, anchor: &AuditAnchor) -> Result<u64, StoreError> {
        dispatch!(self, s => s.prune_audit(anchor).await)
    }

    async fn index_audit(&self, max_entries: u32) -> Result<u64, StoreError> {
        if let Some(direct) = self.direct() {
            return direct.clone().index_audit(max_entries).await;
        }
        dispatch!(self, s => s.index_audit(max_entries).await)
    }

    async fn audit_cursor(&self, sink: &str) -> Result<u64, StoreError> {
        dispatch!(self, s => s.audit_cursor(sink).await)
    }

    async fn set_audit_cursor(&self, sink: &str, seq: u64, now_ms: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_audit_cursor(sink, seq, now_ms).await)
    }
}

impl AccountStore for Store {
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_user(user).await)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        dispatch!(self, s => s.user_by_name(username).await)
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        dispatch!(self, s => s.user_by_id(id).await)
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        dispatch!(self, s => s.list_users().await)
    }

    async fn set_sign_in_failures(
        &self,
        user: Uuid,
        failures: u32,
        locked_until: Option<i64>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_sign_in_failures(user, failures, locked_until).await)
    }

    async fn record_sign_in(&self, user: Uuid, now: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.record_sign_in(user, now).await)
    }

    async fn set_password(&self, user: Uuid, hash: &str, now: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_password(user, hash, now).await)
    }

    async fn password_history(&self, user: Uuid, limit: u32) -> Result<Vec<String>, StoreError> {
        dispatch!(self, s => s.password_history(user, limit).await)
    }

    async fn advance_totp_step(&self, user: Uuid, step: i64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.advance_totp_step(user, step).await)
    }

    async fn disable_user(&self, user: Uuid, now: i64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.disable_user(user, now).await)
    }

    async fn unlock_user(&self, user: Uuid) -> Result<(), StoreError> {
        dispatch!(self, s => s.unlock_user(user).await)
    }

    async fn rehash_password(&self, user: Uuid, hash: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.rehash_password(user, hash).await)
    }

    async fn user_shift(&self, user: Uuid) -> Result<Option<(u16, u16)>, StoreError> {
        dispatch!(self, s => s.user_shift(user).await)
    }

    async fn set_user_role(
        &self,
        user: Uuid,
        role: &str,
        team: Option<&str>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_user_role(user, role, team).await)
    }

    async fn set_user_shift(
        &self,
        user: Uuid,
        shift: Option<(u16, u16)>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_user_shift(user, shift).await)
    }

    async fn complete_credential_reset(
        &self,
        credentials: &ResetCredentials<'_>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.complete_credential_reset(credentials).await)
    }

    async fn set_recovery_codes(&self, user: Uuid, hashes: &[[u8; 32]]) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_recovery_codes(user, hashes).await)
    }

    async fn use_recovery_code(
        &self,
        user: Uuid,
        hash: &[u8; 32],
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.use_recovery_code(user, hash, now).await)
    }

    async fn unused_recovery_codes(&self, user: Uuid) -> Result<u32, StoreError> {
        dispatch!(self, s => s.unused_recovery_codes(user).await)
    }

    async fn create_mfa_challenge(
        &self,
        token_hash: &[u8; 32],
        user: Uuid,
        device: Option<Uuid>,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_mfa_challenge(token_hash, user, device, expires_at).await)
    }

    async fn mfa_challenge_user(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<Uuid>, StoreError> {
        dispatch!(self, s => s.mfa_challenge_user(token_hash, now).await)
    }

    async fn take_mfa_challenge(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<(Uuid, Option<Uuid>)>, StoreError> {
        dispatch!(self, s => s.take_mfa_challenge(token_hash, now).await)
    }

    async fn create_device_code(
        &self,
        code_hash: &[u8; 32],
        user: Uuid,
        created_by: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_device_code(code_hash, user, created_by, now, expires_at).await)
    }

    async fn take_device_code(
        &self,
        code_hash: &[u8; 32],
        user: Uuid,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.take_device_code(code_hash, user, now).await)
    }

    async fn create_device(
        &self,
        device: &DeviceRecord,
        token_hash: &[u8; 32],
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_device(device, token_hash).await)
    }

    async fn device_by_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<DeviceRecord>, StoreError> {
        dispatch!(self, s => s.device_by_token(token_hash).await)
    }

    async fn device_by_id(&self, id: Uuid) -> Result<Option<DeviceRecord>, StoreError> {
        dispatch!(self, s => s.device_by_id(id).await)
    }

    async fn devices_of(&self, user: Uuid) -> Result<Vec<DeviceRecord>, StoreError> {
        dispatch!(self, s => s.devices_of(user).await)
    }

    async fn touch_device(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.touch_device(id, now).await)
    }

    async fn revoke_device(&self, id: Uuid, now: i64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.revoke_device(id, now).await)
    }

    async fn create_session(
        &self,
        session: &SessionRecord,
        token_hash: &[u8; 32],
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_session(session, token_hash).await)
    }

    async fn session_by_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(SessionRecord, UserRecord)>, StoreError> {
        if let Some(direct) = self.direct() {
            return direct.session_by_token(token_hash);
        }
        dispatch!(self, s => s.session_by_token(token_hash).await)
    }

    async fn touch_session(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.touch_session(id, now).await)
    }

    async fn end_session(&self, id: Uuid, now: i64, reason: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.end_session(id, now, reason).await)
    }

    async fn session_by_id(&self, id: Uuid) -> Result<Option<SessionRecord>, StoreError> {
        dispatch!(self, s => s.session_by_id(id).await)
    }

    async fn set_session_mfa(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_session_mfa(id, now).await)
    }

    async fn live_sessions(&self, user: Uuid) -> Result<Vec<SessionRecord>, StoreError> {
        dispatch!(self, s => s.live_sessions(user).await)
    }

    async fn list_service_tokens(&self) -> Result<Vec<ServiceTokenRecord>, StoreError> {
        dispatch!(self, s => s.list_service_tokens().await)
    }

    async fn record_access_review(&self, review: &AccessReviewRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.record_access_review(review).await)
    }

    async fn access_reviews(&self) -> Result<Vec<AccessReviewRecord>, StoreError> {
        dispatch!(self, s => s.access_reviews().await)
    }

    async fn extra_policies(&self) -> Result<Vec<(String, String)>, StoreError> {
        dispatch!(self, s => s.extra_policies().await)
    }

    async fn add_policy(
        &self,
        id: &str,
        text: &str,
        added_by: Uuid,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.add_policy(id, text, added_by, now).await)
    }

    async fn settings(&self) -> Result<Vec<SettingRecord>, StoreError> {
        dispatch!(self, s => s.settings().await)
    }

    async fn change_settings(
        &self,
        removed: &[String],
        changed: &[SettingRecord],
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.change_settings(removed, changed).await)
    }

    async fn create_service_token(
        &self,
        token: &ServiceTokenRecord,
        token_hash: &[u8; 32],
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_service_token(token, token_hash).await)
    }

    async fn service_token_by_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<ServiceTokenRecord>, StoreError> {
        if let Some(direct) = self.direct() {
            return direct.service_token_by_hash(token_hash);
        }
        dispatch!(self, s => s.service_token_by_hash(token_hash).await)
    }

    async fn service_token_by_id(
        &self,
        id: Uuid,
    ) -> Result<Option<ServiceTokenRecord>, StoreError> {
        dispatch!(self, s => s.service_token_by_id(id).await)
    }

    async fn revoke_service_token(&self, id: Uuid, now: i64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.revoke_service_token(id, now).await)
    }

    async fn touch_service_token(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.touch_service_token(id, now).await)
    }
}

impl VaultStore for Store {
    async fn vault_keks(&self) -> Result<Vec<KekRecord>, StoreError> {
        dispatch!(self, s => s.vault_keks().await)
    }

    async fn add_vault_kek(&self, kek: &KekRecord) -> Result<bool, StoreError> {
        dispatch!(self, s => s.add_vault_kek(kek).await)
    }

    async fn destroy_unused_keks(&self, current: u32) -> Result<Vec<u32>, StoreError> {
        dispatch!(self, s => s.destroy_unused_keks(current).await)
    }

    async fn kek_usage(&self) -> Result<Vec<(u32, u64)>, StoreError> {
        dispatch!(self, s => s.kek_usage().await)
    }

    async fn vault_system_keys(&self) -> Result<Vec<SystemKeyRecord>, StoreError> {
        dispatch!(self, s => s.vault_system_keys().await)
    }

    async fn add_vault_system_key(
        &self,
        key: &SystemKeyRecord,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.add_vault_system_key(key, now).await)
    }

    async fn create_customer(&self, customer: &NewCustomer) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_customer(customer).await)
    }

    async fn customer(&self, id: Uuid) -> Result<Option<StoredCustomer>, StoreError> {
        if let Some(direct) = self.direct() {
            return direct.customer(id);
        }
        dispatch!(self, s => s.customer(id).await)
    }

    async fn delete_customer(&self, id: Uuid, now: i64, by: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.delete_customer(id, now, by).await)
    }

    async fn customers_by_index(&self, field: &str, hash: &[u8]) -> Result<Vec<Uuid>, StoreError> {
        dispatch!(self, s => s.customers_by_index(field, hash).await)
    }

    async fn card_token(&self, token: &str) -> Result<Option<CardTokenRecord>, StoreError> {
        dispatch!(self, s => s.card_token(token).await)
    }

    async fn data_keys_to_rewrap(
        &self,
        current: u32,
        limit: u32,
    ) -> Result<Vec<WrappedDataKey>, StoreError> {
        dispatch!(self, s => s.data_keys_to_rewrap(current, limit).await)
    }

    async fn rewrap_data_key(
        &self,
        customer: Uuid,
        from_kek: u32,
        to_kek: u32,
        wrapped: &[u8],
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.rewrap_data_key(customer, from_kek, to_kek, wrapped).await)
    }

    async fn create_interaction(&self, interaction: &InteractionRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_interaction(interaction).await)
    }

    async fn interaction(&self, id: Uuid) -> Result<Option<InteractionRecord>, StoreError> {
        if let Some(direct) = self.direct() {
            return direct.interaction(id);
        }
        dispatch!(self, s => s.interaction(id).await)
    }

    async fn open_interactions(
        &self,
        customer: Uuid,
    ) -> Result<Vec<InteractionRecord>, StoreError> {
        dispatch!(self, s => s.open_interactions(customer).await)
    }

    async fn open_interactions_in(
        &self,
        scope: &InteractionScope,
        limit: u32,
    ) -> Result<Vec<InteractionRecord>, StoreError> {
        dispatch!(self, s => s.open_interactions_in(scope, limit).await)
    }

    async fn reassign_interaction(
        &self,
        id: Uuid,
        agent: Uuid,
        team: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.reassign_interaction(id, agent, team, now).await)
    }

    async fn close_interaction(&self, id: Uuid, now: i64, by: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.close_interaction(id, now, by).await)
    }
}

impl ConversationStore for Store {
    async fn append_batch(&self, appends: &mut [EntryAppend]) -> Result<Vec<bool>, StoreError> {
        if let Some(direct) = self.direct() {
            return direct.clone().append_entries(appends).await;
        }
        dispatch!(self, s => s.append_batch(appends).await)
    }

    async fn redaction_context(&self, interaction: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        dispatch!(self, s => s.redaction_context(interaction).await)
    }

    async fn entries(&self, interaction: Uuid) -> Result<Vec<EntryRecord>, StoreError> {
        dispatch!(self, s => s.entries(interaction).await)
    }

    async fn entry(&self, interaction: Uuid, id: Uuid) -> Result<Option<EntryRecord>, StoreError> {
        dispatch!(self, s => s.entry(interaction, id).await)
    }

    async fn add_verification_code(&self, code: &VerificationCodeRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.add_verification_code(code).await)
    }

    async fn codes_sent_since(&self, interaction: Uuid, since: i64) -> Result<u32, StoreError> {
        dispatch!(self, s => s.codes_sent_since(interaction, since).await)
    }

    async fn latest_verification_code(
        &self,
        interaction: Uuid,
    ) -> Result<Option<VerificationCodeRecord>, StoreError> {
        dispatch!(self, s => s.latest_verification_code(interaction).await)
    }

    async fn attempt_verification_code(
        &self,
        code: Uuid,
        correct: bool,
        max_attempts: u32,
        now: i64,
    ) -> Result<AttemptOutcome, StoreError> {
        dispatch!(self, s => s.attempt_verification_code(code, correct, max_attempts, now).await)
    }

    async fn record_verification(
        &self,
        interaction: Uuid,
        method: &str,
        correct: bool,
        now: i64,
    ) -> Result<AttemptOutcome, StoreError> {
        dispatch!(self, s => s.record_verification(interaction, method, correct, now).await)
    }

    async fn close_idle_interactions(
        &self,
        idle_before: i64,
        now: i64,
        by: &str,
    ) -> Result<Vec<InteractionRecord>, StoreError> {
        dispatch!(self, s => s.close_idle_interactions(idle_before, now, by).await)
    }
}

impl InvitationStore for Store {
    async fn create_invitation(&self, invitation: &InvitationRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_invitation(invitation).await)
    }

    async fn find_invitation(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<InvitationRecord>, StoreError> {
        dispatch!(self, s => s.find_invitation(token_hash, now).await)
    }

    async fn consume_invitation(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<InvitationRecord>, StoreError> {
        dispatch!(self, s => s.consume_invitation(token_hash, now).await)
    }

    async fn issue_credential_reset(&self, reset: &InvitationRecord) -> Result<usize, StoreError> {
        dispatch!(self, s => s.issue_credential_reset(reset).await)
    }
}

impl PasskeyStore for Store {
    async fn add_passkey(&self, passkey: &PasskeyRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.add_passkey(passkey).await)
    }

    async fn passkeys_of(&self, user: Uuid) -> Result<Vec<PasskeyRecord>, StoreError> {
        dispatch!(self, s => s.passkeys_of(user).await)
    }

    async fn record_passkey_use(
        &self,
        id: Uuid,
        sealed: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.record_passkey_use(id, sealed, now).await)
    }

    async fn remove_passkey(&self, user: Uuid, id: Uuid) -> Result<bool, StoreError> {
        dispatch!(self, s => s.remove_passkey(user, id).await)
    }

    async fn has_passkey(&self, user: Uuid) -> Result<bool, StoreError> {
        dispatch!(self, s => s.has_passkey(user).await)
    }

    async fn put_ceremony(
        &self,
        key: &[u8; 32],
        user: Uuid,
        sealed_state: &[u8],
        expires_at: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.put_ceremony(key, user, sealed_state, expires_at).await)
    }

    async fn take_ceremony(
        &self,
        key: &[u8; 32],
        now: i64,
    ) -> Result<Option<(Uuid, Vec<u8>)>, StoreError> {
        dispatch!(self, s => s.take_ceremony(key, now).await)
    }
}

impl DetectionStore for Store {
    async fn create_alert(&self, alert: &AlertRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_alert(alert).await)
    }

    async fn alerts(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        dispatch!(self, s => s.alerts(status, limit).await)
    }

    async fn alert(&self, id: Uuid) -> Result<Option<AlertRecord>, StoreError> {
        dispatch!(self, s => s.alert(id).await)
    }

    async fn update_alert(
        &self,
        id: Uuid,
        status: &str,
        responses: Option<&str>,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.update_alert(id, status, responses, by, now).await)
    }

    async fn add_alert_note(&self, id: Uuid, note: &AlertNote) -> Result<(), StoreError> {
        dispatch!(self, s => s.add_alert_note(id, note).await)
    }

    async fn alert_notes(&self, id: Uuid) -> Result<Vec<AlertNote>, StoreError> {
        dispatch!(self, s => s.alert_notes(id).await)
    }

    async fn detection_rules(&self) -> Result<Vec<DetectionRuleRecord>, StoreError> {
        dispatch!(self, s => s.detection_rules().await)
    }

    async fn put_detection_rule(&self, rule: &DetectionRuleRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.put_detection_rule(rule).await)
    }
}
