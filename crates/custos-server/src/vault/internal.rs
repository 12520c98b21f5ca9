//! What the server itself needs from a customer record and never hands to a
//! caller: the contact a verification code is sent to, the values knowledge
//! questions are checked against, and raw conversation copies sealed under the
//! customer's data key (so deleting the customer destroys them with the key).

use custos_audit::Actor;
use custos_crypto::FieldName;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::fields::Field;
use super::{LoadedCustomer, VaultError, VaultService, field_name};

/// What a sealed conversation copy is bound to (its associated data): a raw entry
/// or an interaction's redaction context. A copy moved to another binding fails to open.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RawBinding {
    /// The raw copy of an entry.
    Entry(Uuid),
    /// The redaction context of an interaction.
    Context(Uuid),
}

impl RawBinding {
    fn field(self) -> Result<FieldName, VaultError> {
        Ok(FieldName::new(match self {
            Self::Entry(id) => format!("raw_entry:{id}"),
            Self::Context(id) => format!("redaction_context:{id}"),
        })?)
    }
}

impl VaultService {
    /// A sealed field's clear value for the server's own use (not a reveal: the
    /// value goes to no caller). `None` when the customer has no such field.
    pub(crate) async fn open_for_server(
        &self,
        actor: &Actor,
        loaded: &LoadedCustomer,
        field: Field,
    ) -> Result<Option<Zeroizing<String>>, VaultError> {
        let customer = &loaded.stored.customer;
        let Some((_, sealed)) = loaded
            .stored
            .fields
            .iter()
            .find(|(name, _)| name == field.as_str())
        else {
            return Ok(None);
        };
        let key = self.data_key(customer).await?;
        let plain = self
            .open_value(
                actor,
                customer.id,
                &key,
                &field_name(field)?,
                field.as_str(),
                sealed,
            )
            .await?;
        let text = std::str::from_utf8(&plain).map_err(|_| VaultError::Integrity {
            customer: customer.id,
            field: field.as_str(),
        })?;
        Ok(Some(Zeroizing::new(text.to_owned())))
    }

    /// Seals a conversation copy under the customer's data key.
    pub(crate) async fn seal_raw(
        &self,
        loaded: &LoadedCustomer,
        binding: RawBinding,
        plain: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let key = self.data_key(&loaded.stored.customer).await?;
        Ok(key.seal_field(&binding.field()?, plain)?)
    }

    /// Opens a sealed conversation copy (the caller audits a reveal).
    pub(crate) async fn open_raw(
        &self,
        actor: &Actor,
        loaded: &LoadedCustomer,
        binding: RawBinding,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let customer = &loaded.stored.customer;
        let key = self.data_key(customer).await?;
        self.open_value(
            actor,
            customer.id,
            &key,
            &binding.field()?,
            "raw_content",
            sealed,
        )
        .await
    }

    /// The redactor conversations pass through.
    pub fn redactor(&self) -> &custos_redact::Redactor {
        &self.redactor
    }

    /// Reveals a kept raw copy of an entry, after the caller was authorized:
    /// rate-limited with the field reveals (a refusal is audited), recorded with the
    /// reason before it is returned.
    pub(crate) async fn reveal_raw(
        &self,
        actor: Actor,
        loaded: &LoadedCustomer,
        interaction: Uuid,
        entry: Uuid,
        sealed: &[u8],
        reason: &super::RevealReason,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let who = actor.uid.clone().unwrap_or_default();
        if let Err(retry_after) = self.limiter.check(&who, self.now_ms()) {
            self.audit
                .record(crate::conversation::events::raw_reveal_refused(
                    self.now_ms(),
                    actor,
                    interaction,
                    entry,
                    "rate_limited",
                ))
                .await?;
            return Err(VaultError::RateLimited { retry_after });
        }
        let plain = self
            .open_raw(&actor, loaded, RawBinding::Entry(entry), sealed)
            .await?;
        self.audit
            .record(crate::conversation::events::raw_revealed(
                self.now_ms(),
                actor,
                interaction,
                entry,
                &reason.code,
                &super::events::clean_reason_text(&self.redactor.redact(&reason.text).redacted),
            ))
            .await?;
        Ok(plain)
    }
}
