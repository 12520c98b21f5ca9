//! Inviting people: an administrator names the account (username, role, team) and
//! gets a one-time link to hand over; the person redeems it to choose a password
//! and enrol an authenticator, and only then does the account exist. Nobody but the
//! person ever sees their password or TOTP secret. Only the token's SHA-256 is
//! stored; a link works once and for [`INVITATION_LIFETIME_SECS`]. The same links,
//! naming an existing account, reset a person's sign-in (see `credential_reset`).

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use custos_auth::role::Role;
use custos_store::{AccountStore as _, InvitationRecord, InvitationStore as _};
use secrecy::{ExposeSecret as _, SecretString};

use super::{AuthError, AuthService, NewAccount, check_username};

/// How long an invitation link works.
pub const INVITATION_LIFETIME_SECS: i64 = 72 * 3600;

/// A new invitation: the token for the link (a secret, shown once) and its expiry.
pub struct Invitation {
    /// Goes after `#token=` in the link.
    pub token: SecretString,
    /// Unix seconds.
    pub expires_at: i64,
}

pub(super) fn token_hash(token: &str) -> [u8; 32] {
    crate::setup::hash_setup_token(token).0
}

impl AuthService {
    /// Invites a person: checks the name and role now, so a link never promises an
    /// account that cannot be made. A new invitation for the same username replaces
    /// an unused earlier one.
    pub async fn invite(
        &self,
        actor: Actor,
        username: &str,
        role: Role,
        team: Option<String>,
    ) -> Result<Invitation, AuthError> {
        check_username(username)?;
        if !role.is_person() {
            return Err(AuthError::Invalid(format!(
                "{role} is a role for service tokens, not for people"
            )));
        }
        if self.store.user_by_name(username).await?.is_some() {
            return Err(AuthError::Conflict("the username"));
        }
        let token = crate::setup::new_link_token().ok_or(AuthError::Crypto)?;
        let now = self.now();
        let invitation = InvitationRecord {
            token_hash: token_hash(token.expose_secret()),
            username: username.to_owned(),
            role: role.as_str().to_owned(),
            team: team.clone(),
            invited_by: actor.uid.clone().unwrap_or_default(),
            issued_at: now,
            expires_at: now + INVITATION_LIFETIME_SECS,
            resets_user: None,
        };
        self.store.create_invitation(&invitation).await?;
        let mut event = AuditEvent::new(
            self.now_ms(),
            Activity::AccountCreate,
            "account.invite",
            Outcome::Success,
            actor,
            "Person invited",
        )
        .with_target("user", None, None)
        .with_detail("username", username)
        .with_detail("role", role.as_str());
        if let Some(team) = &team {
            event = event.with_detail("team", team);
        }
        self.audit.record(event).await?;
        Ok(Invitation {
            token,
            expires_at: invitation.expires_at,
        })
    }

    /// Redeems an invitation: the password is checked against the policy before
    /// the single-use link is spent; then the account is created with a TOTP
    /// secret and recovery codes, as `custos user add` would.
    pub async fn redeem_invitation(
        &self,
        token: &SecretString,
        password: SecretString,
        ip: Option<String>,
    ) -> Result<NewAccount, AuthError> {
        let now = self.now();
        let hash = token_hash(token.expose_secret());
        let Some(invitation) = self.store.find_invitation(&hash, now).await? else {
            return Err(AuthError::Unauthenticated);
        };
        // The password is checked before the link is spent, so a rejected one can be retried.
        let reset = match invitation.resets_user {
            Some(id) => {
                let user = self
                    .store
                    .user_by_id(id)
                    .await?
                    .filter(|u| u.disabled_at.is_none())
                    .ok_or(AuthError::Unauthenticated)?;
                self.check_reset_password(&user, &password).await?;
                Some(user)
            }
            None => {
                custos_auth::password::check_policy(&password, &invitation.username)
                    .map_err(AuthError::PasswordRejected)?;
                None
            }
        };
        let Some(invitation) = self.store.consume_invitation(&hash, now).await? else {
            return Err(AuthError::Unauthenticated);
        };
        if let Some(user) = reset {
            let actor = super::events::person(&user, None, ip.as_deref());
            return self.complete_reset(&user, password, actor).await;
        }
        let role: Role = invitation.role.parse().map_err(|_| {
            AuthError::Store(custos_store::StoreError::Corrupt("an invitation's role"))
        })?;
        let actor = Actor {
            name: Some("invitation".to_owned()),
            ip,
            ..Actor::system()
        };
        self.create_user(actor, &invitation.username, role, invitation.team, password)
            .await
    }
}
