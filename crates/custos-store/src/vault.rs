//! Storage of the customer vault: wrapped keys, customers with their wrapped data
//! key and sealed fields, blind-index entries, card tokens, and interactions.
//!
//! The store only ever sees ciphertext, wrapped keys and keyed hashes; sealing
//! and masking happen in the server. Creating a customer (row, fields, indexes,
//! cards) and deleting one (crypto-shredding: the data key, fields, indexes and
//! cards go, a tombstone stays) are each one transaction.

use std::future::Future;

use uuid::Uuid;

use crate::StoreError;

/// A key-encryption key, wrapped by the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KekRecord {
    /// Version, from 1.
    pub version: u32,
    /// Wrapped by the root key provider.
    pub wrapped: Vec<u8>,
    /// Created.
    pub created_at: i64,
}

/// A system key of the vault (the blind-index key, the card-vault key), wrapped by the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemKeyRecord {
    /// What it is for (`blind_index`, `card_vault`).
    pub purpose: String,
    /// Version, from 1.
    pub version: u32,
    /// Wrapped by the root key provider.
    pub wrapped: Vec<u8>,
}

/// A customer's row: their wrapped data key, or a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// Id.
    pub id: Uuid,
    /// Created.
    pub created_at: i64,
    /// Who created it (an actor id).
    pub created_by: String,
    /// The KEK that wraps the data key; `None` once deleted.
    pub kek_version: Option<u32>,
    /// The data key's version (in every field header).
    pub data_key_version: u32,
    /// The wrapped data key; `None` once deleted (crypto-shredded).
    pub data_key_wrapped: Option<Vec<u8>>,
    /// Deleted at.
    pub deleted_at: Option<i64>,
    /// Deleted by (an actor id).
    pub deleted_by: Option<String>,
}

/// A card token with what may be kept of the card in clear (PCI DSS 3.4.1). `Debug`
/// leaves out the token (a detokenization handle) and the sealed values.
#[derive(Clone, PartialEq, Eq)]
pub struct CardTokenRecord {
    /// The random token.
    pub token: String,
    /// Whose card.
    pub customer_id: Uuid,
    /// Brand (`visa`, `mastercard`, …).
    pub brand: String,
    /// First six digits.
    pub bin: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry, sealed under the customer's data key.
    pub expiry_sealed: Vec<u8>,
    /// The card number, sealed under the customer's data key and then the card-vault key.
    pub pan_sealed: Vec<u8>,
    /// Version of the card-vault key.
    pub vault_key_version: u32,
    /// Created.
    pub created_at: i64,
}

impl std::fmt::Debug for CardTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardTokenRecord")
            .field("customer_id", &self.customer_id)
            .field("brand", &self.brand)
            .field("last4", &self.last4)
            .finish_non_exhaustive()
    }
}

/// Everything stored when a customer is created, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    /// The row.
    pub customer: CustomerRecord,
    /// (field name, sealed value).
    pub fields: Vec<(String, Vec<u8>)>,
    /// (field name, blind-index entry).
    pub index: Vec<(String, Vec<u8>)>,
    /// Tokenized cards.
    pub cards: Vec<CardTokenRecord>,
}

/// A customer as read back.
#[derive(Debug, Clone)]
pub struct StoredCustomer {
    /// The row.
    pub customer: CustomerRecord,
    /// (field name, sealed value).
    pub fields: Vec<(String, Vec<u8>)>,
    /// Tokenized cards.
    pub cards: Vec<CardTokenRecord>,
    /// Open interactions with the customer (who may reach them now).
    pub open_interactions: Vec<InteractionRecord>,
}

/// A data key still wrapped by an older KEK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedDataKey {
    /// Whose.
    pub customer_id: Uuid,
    /// Wrapped by this KEK.
    pub kek_version: u32,
    /// The data key's version.
    pub data_key_version: u32,
    /// The wrapped key.
    pub wrapped: Vec<u8>,
}

/// An interaction between a customer and an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionRecord {
    /// Id.
    pub id: Uuid,
    /// With whom.
    pub customer_id: Uuid,
    /// `voice`, `chat` or `email`.
    pub channel: String,
    /// The agent it is assigned to.
    pub agent_id: Uuid,
    /// The agent's team when it was opened (their supervisor's reach).
    pub agent_team: Option<String>,
    /// Who opened it (an actor id).
    pub opened_by: String,
    /// Opened.
    pub opened_at: i64,
    /// Closed; access through it ends.
    pub closed_at: Option<i64>,
    /// Closed by (an actor id).
    pub closed_by: Option<String>,
    /// When the customer was verified in it.
    pub verified_at: Option<i64>,
    /// How: `email`, `phone` or `questions`.
    pub verified_method: Option<String>,
    /// Failed verification attempts, every method together.
    pub verification_failures: u32,
    /// Last opened or written to (for closing idle interactions).
    pub last_activity_at: i64,
}

/// Which open interactions to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractionScope {
    /// Every open interaction.
    All,
    /// Those assigned to this agent.
    Agent(Uuid),
    /// Those of agents in this team (as it was when each was opened).
    Team(String),
}

/// Storage of the vault.
pub trait VaultStore {
    /// Every key-encryption key, oldest first.
    fn vault_keks(&self) -> impl Future<Output = Result<Vec<KekRecord>, StoreError>> + Send;
    /// Adds a KEK; false if that version exists already (another node or tool made it).
    fn add_vault_kek(
        &self,
        kek: &KekRecord,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Destroys every KEK older than `current` that no customer uses any more;
    /// returns the versions destroyed.
    fn destroy_unused_keks(
        &self,
        current: u32,
    ) -> impl Future<Output = Result<Vec<u32>, StoreError>> + Send;
    /// How many customers each KEK wraps, by version.
    fn kek_usage(&self) -> impl Future<Output = Result<Vec<(u32, u64)>, StoreError>> + Send;
    /// Every system key.
    fn vault_system_keys(
        &self,
    ) -> impl Future<Output = Result<Vec<SystemKeyRecord>, StoreError>> + Send;
    /// Adds a system key; false if that purpose and version exist already.
    fn add_vault_system_key(
        &self,
        key: &SystemKeyRecord,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores a new customer with fields, index entries and cards, atomically.
    fn create_customer(
        &self,
        customer: &NewCustomer,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A customer (or their tombstone) with their sealed fields, cards and open
    /// interactions, in one round trip.
    fn customer(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<StoredCustomer>, StoreError>> + Send;
    /// Crypto-shreds a customer: drops the data key, fields, index entries and
    /// cards, and leaves a tombstone. False if there is no such live customer.
    fn delete_customer(
        &self,
        id: Uuid,
        now: i64,
        by: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Live customers with this blind-index entry in `field` (at most 100).
    fn customers_by_index(
        &self,
        field: &str,
        hash: &[u8],
    ) -> impl Future<Output = Result<Vec<Uuid>, StoreError>> + Send;
    /// A card token.
    fn card_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<CardTokenRecord>, StoreError>> + Send;

    /// Up to `limit` live data keys wrapped by a KEK other than `current`.
    fn data_keys_to_rewrap(
        &self,
        current: u32,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<WrappedDataKey>, StoreError>> + Send;
    /// Replaces a wrapped data key if it is still wrapped by `from_kek`; true if replaced.
    fn rewrap_data_key(
        &self,
        customer: Uuid,
        from_kek: u32,
        to_kek: u32,
        wrapped: &[u8],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Opens an interaction.
    fn create_interaction(
        &self,
        interaction: &InteractionRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// An interaction.
    fn interaction(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<InteractionRecord>, StoreError>> + Send;
    /// A customer's open interactions.
    fn open_interactions(
        &self,
        customer: Uuid,
    ) -> impl Future<Output = Result<Vec<InteractionRecord>, StoreError>> + Send;
    /// Open interactions, newest first, at most `limit`: every one, or only
    /// those of one agent or one team.
    fn open_interactions_in(
        &self,
        scope: &InteractionScope,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<InteractionRecord>, StoreError>> + Send;
    /// Assigns an open interaction to another agent (and that agent's team); false
    /// if it was not open.
    fn reassign_interaction(
        &self,
        id: Uuid,
        agent: Uuid,
        team: Option<&str>,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Closes an open interaction; false if it was not open.
    fn close_interaction(
        &self,
        id: Uuid,
        now: i64,
        by: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A `customers` row.
pub(crate) type CustomerRow = (
    Uuid,
    i64,
    String,
    Option<i64>,
    i64,
    Option<Vec<u8>>,
    Option<i64>,
    Option<String>,
);

pub(crate) fn customer_from_row(row: CustomerRow) -> Result<CustomerRecord, StoreError> {
    let (id, created_at, created_by, kek, dk, wrapped, deleted_at, deleted_by) = row;
    Ok(CustomerRecord {
        id,
        created_at,
        created_by,
        kek_version: kek.map(version).transpose()?,
        data_key_version: version(dk)?,
        data_key_wrapped: wrapped,
        deleted_at,
        deleted_by,
    })
}

/// A customer, its fields, its cards and its open interactions in one statement
/// (one round trip, one snapshot): one narrow row per record, tagged by kind
/// ([`crate::columns::CustomerRowKind`]), each kind's columns in typed slots —
/// `tag, uuid, uuid, text ×4, integer ×4, bytes ×2` — so every slot has one type
/// on both stores. PostgreSQL types a union's columns arm by arm from the first,
/// so the first arm's NULLs are cast; SQLite keeps a cast NULL as NULL. (A join of
/// the four tables returned one wide row per combination of field, card and
/// interaction, and took most of a masked read's store time.) The rows are folded
/// by [`crate::columns::CustomerFold`].
pub(crate) const CUSTOMER_SQL: &str = "\
     SELECT CAST(0 AS BIGINT), id, CAST(NULL AS UUID), created_by, deleted_by, \
            CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
            created_at, kek_version, data_key_version, deleted_at, data_key_wrapped, \
            CAST(NULL AS BYTEA) \
       FROM customers WHERE id = $1 \
     UNION ALL \
     SELECT CAST(1 AS BIGINT), NULL, NULL, field, NULL, NULL, NULL, \
            NULL, NULL, NULL, NULL, sealed, NULL \
       FROM customer_fields WHERE customer_id = $1 \
     UNION ALL \
     SELECT CAST(2 AS BIGINT), NULL, NULL, token, brand, bin, last4, \
            vault_key_version, created_at, NULL, NULL, expiry_sealed, pan_sealed \
       FROM card_tokens WHERE customer_id = $1 \
     UNION ALL \
     SELECT CAST(3 AS BIGINT), id, agent_id, channel, agent_team, opened_by, verified_method, \
            opened_at, verified_at, verification_failures, last_activity_at, NULL, NULL \
       FROM interactions WHERE customer_id = $1 AND closed_at IS NULL";

/// The columns of `card_tokens`, in [`CardRow`] order.
pub(crate) const CARD_COLUMNS: &str = "token, customer_id, brand, bin, last4, expiry_sealed, \
     pan_sealed, vault_key_version, created_at";

/// A `card_tokens` row.
pub(crate) type CardRow = (
    String,
    Uuid,
    String,
    String,
    String,
    Vec<u8>,
    Vec<u8>,
    i64,
    i64,
);

pub(crate) fn card_from_row(row: CardRow) -> Result<CardTokenRecord, StoreError> {
    let (token, customer_id, brand, bin, last4, expiry_sealed, pan_sealed, v, created_at) = row;
    Ok(CardTokenRecord {
        token,
        customer_id,
        brand,
        bin,
        last4,
        expiry_sealed,
        pan_sealed,
        vault_key_version: version(v)?,
        created_at,
    })
}

/// The columns of `interactions`, in [`InteractionRow`] order.
pub(crate) const INTERACTION_COLUMNS: &str = "id, customer_id, channel, agent_id, agent_team, \
     opened_by, opened_at, closed_at, closed_by, verified_at, verified_method, \
     verification_failures, last_activity_at";

/// One interaction by id (`$1`).
pub(crate) const INTERACTION_BY_ID_SQL: &str = "SELECT id, customer_id, channel, agent_id, \
     agent_team, opened_by, opened_at, closed_at, closed_by, verified_at, verified_method, \
     verification_failures, last_activity_at FROM interactions WHERE id = $1";

/// An `interactions` row.
pub(crate) type InteractionRow = (
    Uuid,
    Uuid,
    String,
    Uuid,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

pub(crate) fn interaction_from_row(row: InteractionRow) -> InteractionRecord {
    let (
        id,
        customer_id,
        channel,
        agent_id,
        agent_team,
        opened_by,
        opened_at,
        closed_at,
        closed_by,
        verified_at,
        verified_method,
        failures,
        last_activity_at,
    ) = row;
    InteractionRecord {
        id,
        customer_id,
        channel,
        agent_id,
        agent_team,
        opened_by,
        opened_at,
        closed_at,
        closed_by,
        verified_at,
        verified_method,
        verification_failures: u32::try_from(failures).unwrap_or(u32::MAX),
        last_activity_at,
    }
}

/// A stored key version as `u32`.
pub(crate) fn version(stored: i64) -> Result<u32, StoreError> {
    u32::try_from(stored).map_err(|_| StoreError::Corrupt("a key version out of range"))
}
