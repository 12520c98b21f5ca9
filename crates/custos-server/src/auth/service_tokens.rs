//! Service tokens: how integrations (the CCaaS platform, the CRM, the payment
//! service) authenticate. An administrator creates one and sees it once; only its
//! SHA-256 is stored. Security officers and administrators revoke them; a revoked
//! or expired token stops working on its next request. Creation and revocation
//! are audited with the token's name and role, never the token.

use custos_audit::Actor;
use custos_auth::role::Role;
use custos_auth::token::{self, TokenKind};
use custos_store::{AccountStore as _, ServiceTokenRecord};
use secrecy::SecretString;
use uuid::Uuid;

use super::{AuthError, AuthService, check_username, events};

/// The longest a service token may live, in days.
pub const MAX_SERVICE_TOKEN_DAYS: i64 = 3650;

impl AuthService {
    /// Every service token, by name (revoked and expired ones included).
    pub async fn service_tokens(&self) -> Result<Vec<ServiceTokenRecord>, AuthError> {
        Ok(self.store.list_service_tokens().await?)
    }

    /// The service token with this id; `NotFound` if there is none.
    pub async fn service_token(&self, id: Uuid) -> Result<ServiceTokenRecord, AuthError> {
        self.store
            .service_token_by_id(id)
            .await?
            .ok_or(AuthError::NotFound)
    }

    /// The service token named `name`; `NotFound` if there is none.
    pub async fn service_token_named(&self, name: &str) -> Result<ServiceTokenRecord, AuthError> {
        self.service_tokens()
            .await?
            .into_iter()
            .find(|t| t.name == name)
            .ok_or(AuthError::NotFound)
    }

    /// Creates a service token for an integration; the token is shown once.
    pub async fn create_service_token(
        &self,
        actor: Actor,
        name: &str,
        role: Role,
        days: i64,
    ) -> Result<(SecretString, ServiceTokenRecord), AuthError> {
        check_username(name).map_err(|_| {
            AuthError::Invalid(
                "token names have 3 to 64 characters: lower-case letters, digits, '.', '_' or '-'"
                    .into(),
            )
        })?;
        if role.is_person() {
            return Err(AuthError::Invalid(format!(
                "`{role}` is a person role; service tokens are integration or payment_service"
            )));
        }
        if !(1..=MAX_SERVICE_TOKEN_DAYS).contains(&days) {
            return Err(AuthError::Invalid(format!(
                "a token lives between 1 and {MAX_SERVICE_TOKEN_DAYS} days"
            )));
        }
        let (token, hash) = token::generate(TokenKind::Service).map_err(|_| AuthError::Crypto)?;
        let now = self.now();
        let record = ServiceTokenRecord {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            role: role.as_str().to_owned(),
            created_at: now,
            expires_at: now + days * 86_400,
            revoked_at: None,
            last_used_at: None,
        };
        self.store.create_service_token(&record, &hash.0).await?;
        self.audit
            .record(events::service_token_created(
                self.now_ms(),
                actor,
                name,
                role.as_str(),
                &record.id.to_string(),
            ))
            .await?;
        Ok((token, record))
    }

    /// Revokes a service token: its next request is refused. The event is recorded
    /// first, so a revocation the trail cannot hold does not happen (fail closed).
    /// `Invalid` if it was already revoked.
    pub async fn revoke_service_token(
        &self,
        actor: Actor,
        token: &ServiceTokenRecord,
    ) -> Result<(), AuthError> {
        if token.revoked_at.is_some() {
            return Err(AuthError::Invalid("the token is already revoked".into()));
        }
        self.audit
            .record(events::service_token_revoked(self.now_ms(), actor, token))
            .await?;
        if !self
            .store
            .revoke_service_token(token.id, self.now())
            .await?
        {
            return Err(AuthError::Invalid("the token is already revoked".into()));
        }
        Ok(())
    }
}
