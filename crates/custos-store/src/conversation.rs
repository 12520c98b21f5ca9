//! Conversation storage: the redacted entries of an interaction (chat and email
//! messages, transcript batches), the one-time codes that verify a customer, and the
//! idle lifecycle of interactions.
//!
//! The store never sees a clear value: entries arrive redacted (raw copies, when kept,
//! sealed under the customer's data key) and codes as HMACs.

use std::future::Future;

use uuid::Uuid;

use crate::StoreError;
use crate::vault::InteractionRecord;

/// A redacted entry of an interaction.
#[derive(Clone, PartialEq, Eq)]
pub struct EntryRecord {
    /// Id.
    pub id: Uuid,
    /// The interaction.
    pub interaction_id: Uuid,
    /// Position within the interaction, from 1; assigned by the store.
    pub seq: i64,
    /// `message` or `transcript`.
    pub kind: String,
    /// Stored.
    pub created_at: i64,
    /// Who sent it in (an actor id).
    pub created_by: String,
    /// The redacted content (JSON).
    pub content: String,
    /// The original, sealed under the customer's data key, if the channel keeps it.
    pub raw_sealed: Option<Vec<u8>>,
}

impl std::fmt::Debug for EntryRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryRecord")
            .field("id", &self.id)
            .field("interaction_id", &self.interaction_id)
            .field("seq", &self.seq)
            .field("kind", &self.kind)
            .field("raw_kept", &self.raw_sealed.is_some())
            .finish_non_exhaustive()
    }
}

/// A one-time verification code sent to a customer.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationCodeRecord {
    /// Id.
    pub id: Uuid,
    /// The interaction it verifies.
    pub interaction_id: Uuid,
    /// `email` or `phone`.
    pub method: String,
    /// HMAC of the code under the server's verification key.
    pub code_mac: Vec<u8>,
    /// Sent.
    pub created_at: i64,
    /// Not accepted from this time on.
    pub expires_at: i64,
    /// Wrong codes entered against it.
    pub attempts: u32,
    /// Accepted (a code is used once).
    pub used_at: Option<i64>,
}

impl std::fmt::Debug for VerificationCodeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationCodeRecord")
            .field("id", &self.id)
            .field("interaction_id", &self.interaction_id)
            .field("method", &self.method)
            .field("expires_at", &self.expires_at)
            .field("attempts", &self.attempts)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

/// The statements of [`ConversationStore::append_batch`], per append: mark the
/// interaction active (and set its redaction context) if it is open — writing first
/// takes its lock (the row on PostgreSQL, the database on SQLite), so concurrent
/// appends number in turn — then number and insert the entries, then rewrite
/// earlier entries.
pub(crate) const TOUCH_OPEN_INTERACTION_SQL: &str = "UPDATE interactions SET \
     last_activity_at = $1, redaction_context = COALESCE($2, redaction_context) \
     WHERE id = $3 AND closed_at IS NULL";
/// The highest entry number of an interaction (`$1`), 0 for none.
pub(crate) const LAST_ENTRY_SEQ_SQL: &str =
    "SELECT COALESCE(MAX(seq), 0) FROM interaction_entries WHERE interaction_id = $1";
/// One entry: id, interaction, seq, kind, created_at, created_by, content, raw_sealed.
pub(crate) const INSERT_ENTRY_SQL: &str = "INSERT INTO interaction_entries (id, interaction_id, \
     seq, kind, created_at, created_by, content, raw_sealed) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// An earlier entry's new content (`$1`), by id (`$2`) within its interaction (`$3`).
pub(crate) const REWRITE_ENTRY_SQL: &str =
    "UPDATE interaction_entries SET content = $1 WHERE id = $2 AND interaction_id = $3";

/// One interaction's append (see [`ConversationStore::append_batch`]).
#[derive(Debug, Clone)]
pub struct EntryAppend {
    /// The interaction.
    pub interaction: Uuid,
    /// New entries, in order; their `seq` is assigned.
    pub entries: Vec<EntryRecord>,
    /// Earlier entries' new content.
    pub rewrite: Vec<(Uuid, String)>,
    /// The new sealed redaction context, if it changes.
    pub context: Option<Vec<u8>>,
    /// Now.
    pub now: i64,
}

/// What a verification attempt did to the stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The code was right: it is now used and the interaction verified.
    Verified,
    /// Wrong: counted.
    Counted,
    /// Not counted: the code is used, expired or out of attempts, or the
    /// interaction is closed.
    Refused,
}

/// Storage of conversations.
pub trait ConversationStore {
    /// Appends entries to open interactions, each in order with its `seq` assigned;
    /// replaces the content of earlier entries where an append's `rewrite` says so (a
    /// number completed by the new entries is redacted in them too); sets the sealed
    /// redaction context when given; marks each interaction active. All appends in one
    /// transaction, so one durable commit serves them all; per append, whether it was
    /// stored (false: its interaction is not open, and nothing of it was stored).
    fn append_batch(
        &self,
        appends: &mut [EntryAppend],
    ) -> impl Future<Output = Result<Vec<bool>, StoreError>> + Send;
    /// The sealed redaction context of an interaction (the last messages as sent).
    fn redaction_context(
        &self,
        interaction: Uuid,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
    /// Every entry of an interaction, in order.
    fn entries(
        &self,
        interaction: Uuid,
    ) -> impl Future<Output = Result<Vec<EntryRecord>, StoreError>> + Send;
    /// One entry.
    fn entry(
        &self,
        interaction: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<EntryRecord>, StoreError>> + Send;

    /// Stores a newly sent code.
    fn add_verification_code(
        &self,
        code: &VerificationCodeRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// How many codes were sent for the interaction since `since`.
    fn codes_sent_since(
        &self,
        interaction: Uuid,
        since: i64,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;
    /// The latest code sent for the interaction.
    fn latest_verification_code(
        &self,
        interaction: Uuid,
    ) -> impl Future<Output = Result<Option<VerificationCodeRecord>, StoreError>> + Send;
    /// Records an attempt against a code atomically: when `correct`, the code
    /// still unused and unexpired at `now` with fewer than `max_attempts` wrong
    /// tries, and the interaction open, uses the code and verifies the interaction
    /// by `method`; when wrong, counts it on the code and the interaction.
    fn attempt_verification_code(
        &self,
        code: Uuid,
        correct: bool,
        max_attempts: u32,
        now: i64,
    ) -> impl Future<Output = Result<AttemptOutcome, StoreError>> + Send;
    /// Records a verification by another method (knowledge questions): when
    /// `correct` verifies the open interaction, otherwise counts a failure.
    fn record_verification(
        &self,
        interaction: Uuid,
        method: &str,
        correct: bool,
        now: i64,
    ) -> impl Future<Output = Result<AttemptOutcome, StoreError>> + Send;

    /// Closes every open interaction idle since before `idle_before`, as `by`;
    /// returns those closed.
    fn close_idle_interactions(
        &self,
        idle_before: i64,
        now: i64,
        by: &str,
    ) -> impl Future<Output = Result<Vec<InteractionRecord>, StoreError>> + Send;
}
