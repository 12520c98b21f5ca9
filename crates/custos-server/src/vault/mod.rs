//! The customer vault (design record 0005): customers sealed field by field under
//! their own data key, masked by audience, revealed only with a reason, cards
//! tokenized at the door, searched through blind indexes, and crypto-shredded on
//! deletion. Authorization is decided by Cedar in the HTTP layer before any of
//! these calls; this service does the cryptography, storage and auditing.

pub mod events;
pub mod fields;
pub(crate) mod internal;
pub mod keyring;
pub mod masking;
mod reveal_limit;
pub mod rotation;

use std::sync::Arc;

use custos_audit::{Actor, Outcome};
use custos_crypto::{CryptoError, DataKey, FieldName, KeyBytes};
use custos_store::{
    AccountStore, CardTokenRecord, CustomerRecord, InteractionRecord, NewCustomer, Store,
    StoreError, StoredCustomer, UserRecord, VaultStore,
};
use thiserror::Error;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::audit::{AuditError, AuditLog, event_time_ms};
use crate::clock::Clock;
use crate::config::VaultConfig;
use fields::{CardNumber, Field, FieldValue};
use keyring::Keyring;
use masking::Audience;
use reveal_limit::RevealLimiter;

/// Why a vault operation failed. Messages name fields, never values.
#[derive(Debug, Error)]
pub enum VaultError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The audit trail could not record the action, so it did not happen.
    #[error("audit: {0}")]
    Audit(#[from] AuditError),
    /// A key could not be generated, wrapped or unwrapped.
    #[error("key operation failed")]
    Crypto(#[from] CryptoError),
    /// A key-encryption key this data needs is not available.
    #[error("a vault key is unavailable")]
    KeyUnavailable,
    /// A sealed value failed its integrity check (moved, swapped or altered).
    #[error("a sealed value of customer {customer} failed its integrity check ({field})")]
    Integrity {
        /// Whose.
        customer: Uuid,
        /// Which field.
        field: &'static str,
    },
    /// No such customer, interaction, card or field.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The customer was deleted; only a tombstone remains.
    #[error("the customer was deleted")]
    Deleted,
    /// A value was refused.
    #[error("{0}")]
    Invalid(String),
    /// This field is never revealed to people.
    #[error("{0} is never revealed")]
    NotRevealable(&'static str),
    /// Too many reveals.
    #[error("too many reveals")]
    RateLimited {
        /// Seconds until the next reveal is allowed.
        retry_after: u64,
    },
}

/// What a reveal must state. `Debug` shows the code only.
#[derive(Clone)]
pub struct RevealReason {
    /// A code from `vault.reveal_reasons`.
    pub code: String,
    /// Free text.
    pub text: String,
}

impl std::fmt::Debug for RevealReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RevealReason({}: ..)", self.code)
    }
}

/// A new customer's checked values. `Debug` names the fields and the card brand only.
#[derive(Clone, Default)]
pub struct NewCustomerValues {
    /// Sealed fields.
    pub values: Vec<FieldValue>,
    /// A card and its expiry (`MM/YY`).
    pub card: Option<(CardNumber, Zeroizing<String>)>,
}

impl std::fmt::Debug for NewCustomerValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCustomerValues")
            .field("values", &self.values)
            .field("card", &self.card.as_ref().map(|(card, _)| card))
            .finish()
    }
}

/// A card as shown: never more than its BIN and last four.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedCard {
    /// The token that stands in for the number.
    pub token: String,
    /// Brand.
    pub brand: String,
    /// First six digits, for audiences that may see them.
    pub bin: Option<String>,
    /// Last four digits.
    pub last4: String,
    /// Expiry, for audiences that may see it.
    pub expiry: Option<String>,
}

/// A customer as an audience sees them.
#[derive(Debug, Clone)]
pub struct MaskedCustomer {
    /// Id.
    pub id: Uuid,
    /// Created.
    pub created_at: i64,
    /// (field, masked value) for each field that is set.
    pub fields: Vec<(Field, String)>,
    /// Cards.
    pub cards: Vec<MaskedCard>,
}

/// A customer loaded for an authorization decision and a read.
#[derive(Debug, Clone)]
pub struct LoadedCustomer {
    /// What the store holds.
    pub stored: StoredCustomer,
    /// Their open interactions.
    pub open_interactions: Vec<InteractionRecord>,
}

impl LoadedCustomer {
    /// The customer's id.
    pub fn id(&self) -> Uuid {
        self.stored.customer.id
    }
}

/// The vault service.
#[derive(Debug)]
pub struct VaultService {
    store: Store,
    audit: AuditLog,
    clock: Arc<dyn Clock>,
    keyring: Keyring,
    reasons: Vec<String>,
    limiter: RevealLimiter,
    redactor: custos_redact::Redactor,
    settings: Arc<crate::settings::LiveSettings>,
}

/// Binds a card's expiry to its token.
fn expiry_field(token: &str) -> Result<FieldName, VaultError> {
    Ok(FieldName::new(format!("card_expiry:{token}"))?)
}

/// Binds a card's number to its token (the inner seal, under the data key).
fn pan_field(token: &str) -> Result<FieldName, VaultError> {
    Ok(FieldName::new(format!("card_number:{token}"))?)
}

/// Binds the outer seal of a card number (under the card-vault key) to its token.
fn card_vault_context(token: &str) -> Vec<u8> {
    format!("custos.card.v1\0{token}").into_bytes()
}

fn field_name(field: Field) -> Result<FieldName, VaultError> {
    Ok(FieldName::new(field.as_str())?)
}

impl VaultService {
    /// The service over `keyring`.
    pub fn new(
        store: Store,
        audit: AuditLog,
        clock: Arc<dyn Clock>,
        keyring: Keyring,
        redactor: custos_redact::Redactor,
        settings: Arc<crate::settings::LiveSettings>,
        config: &VaultConfig,
    ) -> Self {
        Self {
            store,
            audit,
            clock,
            keyring,
            reasons: config.reveal_reasons.clone(),
            limiter: RevealLimiter::new(config.reveal_limit_per_hour, 3_600_000),
            redactor,
            settings,
        }
    }

    /// The keyring (for status and rotation).
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The reason codes a reveal may give.
    pub fn reveal_reasons(&self) -> &[String] {
        &self.reasons
    }

    fn now_ms(&self) -> i64 {
        event_time_ms(self.clock.as_ref())
    }

    /// Creates a customer: a fresh data key wrapped by the current KEK, every
    /// field sealed under it, blind indexes for the searchable fields, and the
    /// card tokenized. Recorded in the audit trail; if that fails, the customer is
    /// crypto-shredded again at once (a tombstone marked `audit-failure` remains)
    /// and the call fails.
    pub async fn create_customer(
        &self,
        actor: Actor,
        values: NewCustomerValues,
    ) -> Result<(Uuid, Vec<MaskedCard>), VaultError> {
        let id = Uuid::new_v4();
        let material = KeyBytes::generate()?;
        let key = DataKey::new(*id.as_bytes(), 1, &material)?;
        let mut fields = Vec::with_capacity(values.values.len());
        let mut index = Vec::new();
        for value in &values.values {
            let name = value.field.as_str();
            fields.push((
                name.to_owned(),
                key.seal_field(&field_name(value.field)?, value.value.as_bytes())?,
            ));
            if value.field.is_searchable()
                && let Some(form) = fields::search_form(value.field, &value.value)
            {
                index.push((
                    name.to_owned(),
                    self.keyring.index_key().index(name, &form).to_vec(),
                ));
            }
        }
        let now = self.clock.unix_now().0;
        let mut cards = Vec::new();
        if let Some((card, expiry)) = &values.card {
            let token = custos_crypto::token::card_token()?;
            let inner = key.seal_field(&pan_field(&token)?, card.digits.as_bytes())?;
            let (vault_version, vault_key) = self.keyring.card_vault();
            cards.push(CardTokenRecord {
                customer_id: id,
                brand: card.brand.to_owned(),
                bin: card.bin().to_owned(),
                last4: card.last4().to_owned(),
                expiry_sealed: key.seal_field(&expiry_field(&token)?, expiry.as_bytes())?,
                pan_sealed: vault_key.seal(&inner, &card_vault_context(&token))?,
                vault_key_version: vault_version,
                created_at: now,
                token,
            });
        }
        let mut new = NewCustomer {
            customer: CustomerRecord {
                id,
                created_at: now,
                created_by: actor.uid.clone().unwrap_or_default(),
                kek_version: None,
                data_key_version: key.version(),
                data_key_wrapped: None,
                deleted_at: None,
                deleted_by: None,
            },
            fields,
            index,
            cards,
        };
        self.store_with_current_kek(&mut new, &material).await?;
        let field_names: Vec<&str> = values.values.iter().map(|v| v.field.as_str()).collect();
        let event =
            events::customer_created(self.now_ms(), actor, id, &field_names, new.cards.len());
        if let Err(e) = self.audit.record(event).await {
            let _ = self.store.delete_customer(id, now, "audit-failure").await;
            return Err(e.into());
        }
        let settings = self.settings.get();
        let masked = new
            .cards
            .iter()
            .map(|c| mask_card(&settings.masking, c, None, Audience::Integration))
            .collect();
        Ok((id, masked))
    }

    /// Wraps the data key with the newest KEK and stores the customer. If that
    /// KEK was just destroyed by a rotation elsewhere, reloads and tries once more.
    async fn store_with_current_kek(
        &self,
        new: &mut NewCustomer,
        material: &KeyBytes,
    ) -> Result<(), VaultError> {
        for attempt in 0..2 {
            let kek = self.keyring.current_kek()?;
            new.customer.kek_version = Some(kek.version());
            new.customer.data_key_wrapped = Some(kek.wrap_data_key(
                material,
                new.customer.id.as_bytes(),
                new.customer.data_key_version,
            )?);
            match self.store.create_customer(new).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Query { .. }) if attempt == 0 => {
                    self.keyring.reload(&self.store).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(VaultError::KeyUnavailable)
    }

    /// A customer and their open interactions, for authorization.
    pub async fn load(&self, id: Uuid) -> Result<LoadedCustomer, VaultError> {
        let stored = self
            .store
            .customer(id)
            .await?
            .ok_or(VaultError::NotFound("customer"))?;
        let mut stored = stored;
        let open_interactions = std::mem::take(&mut stored.open_interactions);
        Ok(LoadedCustomer {
            stored,
            open_interactions,
        })
    }

    /// The customer's data key, or why there is none.
    async fn data_key(&self, customer: &CustomerRecord) -> Result<DataKey, VaultError> {
        if customer.deleted_at.is_some() {
            return Err(VaultError::Deleted);
        }
        let (Some(version), Some(wrapped)) = (customer.kek_version, &customer.data_key_wrapped)
        else {
            return Err(VaultError::Deleted);
        };
        let kek = self.keyring.kek(&self.store, version).await?;
        kek.unwrap_data_key(wrapped, customer.id.as_bytes(), customer.data_key_version)
            .map_err(|_| VaultError::Integrity {
                customer: customer.id,
                field: "data_key",
            })
    }

    /// Opens a sealed value; an integrity failure is recorded in the audit trail.
    async fn open_value(
        &self,
        actor: &Actor,
        customer: Uuid,
        key: &DataKey,
        name: &FieldName,
        field: &'static str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        match key.open_field(name, sealed) {
            Ok(plain) => Ok(plain),
            Err(_) => Err(self.integrity_failed(actor, customer, field).await),
        }
    }

    /// Records that `field` of `customer` failed its integrity check, and gives
    /// the error to return (the audit trail's own, should recording fail).
    async fn integrity_failed(
        &self,
        actor: &Actor,
        customer: Uuid,
        field: &'static str,
    ) -> VaultError {
        tracing::error!(%customer, field, "a sealed customer value failed its integrity check");
        match self
            .audit
            .record(events::integrity_failure(
                self.now_ms(),
                actor.clone(),
                customer,
                field,
            ))
            .await
        {
            Ok(_) => VaultError::Integrity { customer, field },
            Err(e) => e.into(),
        }
    }

    /// The customer masked for `audience`; the read is audited.
    pub async fn read_masked(
        &self,
        actor: Actor,
        loaded: &LoadedCustomer,
        audience: Audience,
    ) -> Result<MaskedCustomer, VaultError> {
        let customer = &loaded.stored.customer;
        let key = self.data_key(customer).await?;
        let settings = self.settings.get();
        let policy = &settings.masking;
        let mut masked = Vec::with_capacity(loaded.stored.fields.len());
        // One buffer for every field's plaintext, zeroized when dropped.
        let mut scratch = Zeroizing::new(Vec::new());
        for (name, sealed) in &loaded.stored.fields {
            let Some(field) = Field::parse(name) else {
                continue;
            };
            let plain = match key.open_field_into(&field_name(field)?, sealed, &mut scratch) {
                Ok(plain) => plain,
                Err(_) => {
                    return Err(self
                        .integrity_failed(&actor, customer.id, field.as_str())
                        .await);
                }
            };
            let text = std::str::from_utf8(plain).map_err(|_| VaultError::Integrity {
                customer: customer.id,
                field: field.as_str(),
            })?;
            masked.push((field, policy.mask(field, text, audience)));
        }
        masked.sort_by_key(|(f, _)| *f);
        let mut cards = Vec::with_capacity(loaded.stored.cards.len());
        for card in &loaded.stored.cards {
            let expiry = if policy.shows_expiry(audience) {
                let plain = self
                    .open_value(
                        &actor,
                        customer.id,
                        &key,
                        &expiry_field(&card.token)?,
                        "card_expiry",
                        &card.expiry_sealed,
                    )
                    .await?;
                Some(String::from_utf8_lossy(&plain).into_owned())
            } else {
                None
            };
            cards.push(mask_card(policy, card, expiry, audience));
        }
        self.audit
            .record(events::customer_read(
                self.now_ms(),
                actor,
                customer.id,
                audience.as_str(),
            ))
            .await?;
        Ok(MaskedCustomer {
            id: customer.id,
            created_at: customer.created_at,
            fields: masked,
            cards,
        })
    }

    /// Checks a reveal's field and reason before authorization is asked, so a
    /// malformed request changes nothing and reveals nothing.
    pub fn check_reveal_request(
        &self,
        field: &str,
        reason: &RevealReason,
    ) -> Result<Field, VaultError> {
        let field = Field::parse(field).ok_or_else(|| {
            VaultError::Invalid(
                "field must be one of name, email, phone, date_of_birth, ssn, address, account_number, card_expiry"
                    .to_owned(),
            )
        })?;
        if field == Field::CardNumber {
            return Err(VaultError::NotRevealable("card_number"));
        }
        self.check_reason(reason)?;
        Ok(field)
    }

    /// Checks a reveal's reason: a configured code and 1 to 500 characters of text.
    pub fn check_reason(&self, reason: &RevealReason) -> Result<(), VaultError> {
        if !self.reasons.iter().any(|r| r == &reason.code) {
            return Err(VaultError::Invalid(format!(
                "reason.code must be one of {}",
                self.reasons.join(", ")
            )));
        }
        let text_len = reason.text.trim().chars().count();
        if text_len == 0 || text_len > 500 {
            return Err(VaultError::Invalid(
                "reason.text must say why, in 1 to 500 characters".to_owned(),
            ));
        }
        Ok(())
    }

    /// Reveals one field in clear, after the caller was authorized for it.
    /// Rate-limited per person; recorded with the reason before it is returned.
    pub async fn reveal(
        &self,
        actor: Actor,
        loaded: &LoadedCustomer,
        field: Field,
        interaction: Uuid,
        reason: &RevealReason,
    ) -> Result<Zeroizing<String>, VaultError> {
        let customer = &loaded.stored.customer;
        let who = actor.uid.clone().unwrap_or_default();
        if let Err(retry_after) = self.limiter.check(&who, self.now_ms()) {
            self.audit
                .record(events::reveal_refused(
                    self.now_ms(),
                    actor,
                    customer.id,
                    field.as_str(),
                    "rate_limited",
                ))
                .await?;
            return Err(VaultError::RateLimited { retry_after });
        }
        let key = self.data_key(customer).await?;
        let (name, sealed) = if field == Field::CardExpiry {
            let card = loaded
                .stored
                .cards
                .first()
                .ok_or(VaultError::NotFound("field"))?;
            (expiry_field(&card.token)?, card.expiry_sealed.clone())
        } else {
            let sealed = loaded
                .stored
                .fields
                .iter()
                .find(|(n, _)| n == field.as_str())
                .map(|(_, s)| s.clone())
                .ok_or(VaultError::NotFound("field"))?;
            (field_name(field)?, sealed)
        };
        let plain = self
            .open_value(&actor, customer.id, &key, &name, field.as_str(), &sealed)
            .await?;
        let text = Zeroizing::new(String::from_utf8(plain.to_vec()).map_err(|_| {
            VaultError::Integrity {
                customer: customer.id,
                field: field.as_str(),
            }
        })?);
        self.audit
            .record(events::field_revealed(
                self.now_ms(),
                actor,
                customer.id,
                field.as_str(),
                interaction,
                &reason.code,
                &events::clean_reason_text(&self.redactor.redact(&reason.text).redacted),
            ))
            .await?;
        Ok(text)
    }

    /// Live customers whose `field` equals `value`, found through the blind index.
    pub async fn search(
        &self,
        actor: Actor,
        field: &str,
        value: &str,
    ) -> Result<Vec<Uuid>, VaultError> {
        let field = Field::parse(field)
            .filter(|f| f.is_searchable())
            .ok_or_else(|| {
                VaultError::Invalid("field must be one of email, phone, account_number".to_owned())
            })?;
        let form = fields::search_form(field, value).ok_or_else(|| {
            VaultError::Invalid(format!("value is not a valid {}", field.as_str()))
        })?;
        let hash = self.keyring.index_key().index(field.as_str(), &form);
        let found = self.store.customers_by_index(field.as_str(), &hash).await?;
        self.audit
            .record(events::customers_searched(
                self.now_ms(),
                actor,
                field.as_str(),
                found.len(),
            ))
            .await?;
        Ok(found)
    }

    /// Exchanges a card token for the card number and expiry (payment services only,
    /// decided by policy before this call). Audited before anything is returned.
    pub async fn detokenize(
        &self,
        actor: Actor,
        token: &str,
    ) -> Result<(Zeroizing<String>, Zeroizing<String>), VaultError> {
        if !custos_crypto::token::is_card_token(token) {
            return Err(VaultError::NotFound("card"));
        }
        let card = self
            .store
            .card_token(token)
            .await?
            .ok_or(VaultError::NotFound("card"))?;
        let stored = self
            .store
            .customer(card.customer_id)
            .await?
            .ok_or(VaultError::NotFound("card"))?;
        let key = self.data_key(&stored.customer).await?;
        let (version, vault_key) = self.keyring.card_vault();
        if version != card.vault_key_version {
            return Err(VaultError::KeyUnavailable);
        }
        let customer = stored.customer.id;
        let inner = vault_key
            .open(&card.pan_sealed, &card_vault_context(token))
            .map_err(|_| VaultError::Integrity {
                customer,
                field: "card_number",
            })?;
        let pan = self
            .open_value(
                &actor,
                customer,
                &key,
                &pan_field(token)?,
                "card_number",
                &inner,
            )
            .await?;
        let expiry = self
            .open_value(
                &actor,
                customer,
                &key,
                &expiry_field(token)?,
                "card_expiry",
                &card.expiry_sealed,
            )
            .await?;
        let as_text = |bytes: Zeroizing<Vec<u8>>, field| {
            String::from_utf8(bytes.to_vec())
                .map(Zeroizing::new)
                .map_err(|_| VaultError::Integrity { customer, field })
        };
        let (pan, expiry) = (
            as_text(pan, "card_number")?,
            as_text(expiry, "card_expiry")?,
        );
        self.audit
            .record(events::card_detokenized(
                self.now_ms(),
                actor,
                customer,
                token,
            ))
            .await?;
        Ok((pan, expiry))
    }

    /// Deletes a customer by destroying their data key (crypto-shredding): every
    /// ciphertext of theirs becomes unreadable; a tombstone stays. Their open
    /// interactions are closed. The deletion is recorded before it is done.
    pub async fn delete(&self, actor: Actor, loaded: &LoadedCustomer) -> Result<(), VaultError> {
        let id = loaded.id();
        if loaded.stored.customer.deleted_at.is_some() {
            return Err(VaultError::Deleted);
        }
        self.audit
            .record(events::customer_deleted(
                self.now_ms(),
                actor.clone(),
                id,
                Outcome::Success,
            ))
            .await?;
        let by = actor.uid.clone().unwrap_or_default();
        let now = self.clock.unix_now().0;
        let deleted = match self.store.delete_customer(id, now, &by).await {
            Ok(deleted) => deleted,
            Err(e) => {
                let _ = self
                    .audit
                    .record(events::customer_deleted(
                        self.now_ms(),
                        actor,
                        id,
                        Outcome::Failure,
                    ))
                    .await;
                return Err(e.into());
            }
        };
        if !deleted {
            return Err(VaultError::Deleted);
        }
        for interaction in &loaded.open_interactions {
            self.store
                .close_interaction(interaction.id, now, &by)
                .await?;
        }
        Ok(())
    }

    /// Opens an interaction with a customer, assigned to `agent`.
    pub async fn open_interaction(
        &self,
        actor: Actor,
        customer: Uuid,
        agent: &UserRecord,
        channel: &str,
    ) -> Result<InteractionRecord, VaultError> {
        let now = self.clock.unix_now().0;
        let record = InteractionRecord {
            id: Uuid::new_v4(),
            customer_id: customer,
            channel: channel.to_owned(),
            agent_id: agent.id,
            agent_team: agent.team.clone(),
            opened_by: actor.uid.clone().unwrap_or_default(),
            opened_at: now,
            closed_at: None,
            closed_by: None,
            verified_at: None,
            verified_method: None,
            verification_failures: 0,
            last_activity_at: now,
        };
        self.store.create_interaction(&record).await?;
        self.audit
            .record(events::interaction_opened(
                self.now_ms(),
                actor,
                record.id,
                customer,
                &agent.username,
                channel,
            ))
            .await?;
        Ok(record)
    }

    /// An interaction by id.
    pub async fn interaction(&self, id: Uuid) -> Result<InteractionRecord, VaultError> {
        self.store
            .interaction(id)
            .await?
            .ok_or(VaultError::NotFound("interaction"))
    }

    /// The account an interaction is assigned to.
    pub async fn person(&self, id: Uuid) -> Result<UserRecord, VaultError> {
        self.store
            .user_by_id(id)
            .await?
            .ok_or(VaultError::NotFound("person"))
    }

    /// Closes an open interaction; access through it ends at once.
    pub async fn close_interaction(
        &self,
        actor: Actor,
        interaction: &InteractionRecord,
    ) -> Result<InteractionRecord, VaultError> {
        let by = actor.uid.clone().unwrap_or_default();
        let now = self.clock.unix_now().0;
        if !self
            .store
            .close_interaction(interaction.id, now, &by)
            .await?
        {
            return Err(VaultError::Invalid(
                "the interaction is already closed".to_owned(),
            ));
        }
        self.audit
            .record(events::interaction_closed(
                self.now_ms(),
                actor,
                interaction.id,
                interaction.customer_id,
            ))
            .await?;
        Ok(InteractionRecord {
            closed_at: Some(now),
            closed_by: Some(by),
            ..interaction.clone()
        })
    }

    /// Gives an open interaction to `agent` (and their team): the previous agent's
    /// access through it ends at once. The customer's verification stays: it is the
    /// same conversation with the same customer.
    pub async fn reassign_interaction(
        &self,
        actor: Actor,
        interaction: &InteractionRecord,
        agent: &UserRecord,
    ) -> Result<InteractionRecord, VaultError> {
        let now = self.clock.unix_now().0;
        if !self
            .store
            .reassign_interaction(interaction.id, agent.id, agent.team.as_deref(), now)
            .await?
        {
            return Err(VaultError::Invalid(
                "the interaction is already closed".to_owned(),
            ));
        }
        self.audit
            .record(events::interaction_reassigned(
                self.now_ms(),
                actor,
                interaction.id,
                interaction.agent_id,
                agent.id,
            ))
            .await?;
        Ok(InteractionRecord {
            agent_id: agent.id,
            agent_team: agent.team.clone(),
            last_activity_at: now,
            ..interaction.clone()
        })
    }

    /// Reloads the keyring (new KEKs made by rotation elsewhere).
    pub async fn reload_keys(&self) -> Result<(), VaultError> {
        self.keyring.reload(&self.store).await
    }
}

fn mask_card(
    policy: &masking::MaskingPolicy,
    card: &CardTokenRecord,
    expiry: Option<String>,
    audience: Audience,
) -> MaskedCard {
    MaskedCard {
        token: card.token.clone(),
        brand: card.brand.clone(),
        bin: policy.shows_bin(audience).then(|| card.bin.clone()),
        last4: card.last4.clone(),
        expiry,
    }
}
