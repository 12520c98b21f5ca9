//! Resetting a person's sign-in when they lose their authenticator or forget their
//! password. A security officer or administrator resets the account: at once its
//! TOTP secret, recovery codes, passkeys, pending sign-ins and sessions go, so a
//! lost phone opens nothing. The officer hands the person a one-time link (an
//! invitation naming the account, [`RESET_LIFETIME_SECS`]); redeeming it sets a new
//! password (policy and history checked, PCI DSS 8.3.6 and 8.3.7), a new TOTP
//! secret and new recovery codes. Until then a sign-in with the old password is
//! refused with `credentials_reset`. Both halves are audited.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use custos_auth::password::{self, PasswordRejection};
use custos_store::{
    AccountStore as _, InvitationRecord, InvitationStore as _, ResetCredentials, UserRecord,
};
use secrecy::{ExposeSecret as _, SecretString};

use super::invitations::token_hash;
use super::{AuthError, AuthService, Invitation, NewAccount};

/// How long a reset link works: a day, as the person is waiting for it.
pub const RESET_LIFETIME_SECS: i64 = 24 * 3600;

impl AuthService {
    /// Resets `user`'s sign-in: their second factors and sessions end now, and the
    /// link returned lets them choose new ones. The event is recorded first, so
    /// nothing changes if the trail cannot hold it. Also returns how many sessions
    /// ended.
    pub async fn reset_credentials(
        &self,
        actor: Actor,
        user: &UserRecord,
    ) -> Result<(Invitation, usize), AuthError> {
        if user.disabled_at.is_some() {
            return Err(AuthError::Invalid(
                "the account is disabled; invite the person again instead".into(),
            ));
        }
        let token = crate::setup::new_link_token().ok_or(AuthError::Crypto)?;
        let now = self.now();
        let reset = InvitationRecord {
            token_hash: token_hash(token.expose_secret()),
            username: user.username.clone(),
            role: user.role.clone(),
            team: user.team.clone(),
            invited_by: actor.uid.clone().unwrap_or_default(),
            issued_at: now,
            expires_at: now + RESET_LIFETIME_SECS,
            resets_user: Some(user.id),
        };
        self.audit
            .record(
                AuditEvent::new(
                    self.now_ms(),
                    Activity::PasswordReset,
                    "account.credentials_reset",
                    Outcome::Success,
                    actor,
                    "Sign-in reset: second factors removed, sessions ended, link issued",
                )
                .with_target("user", Some(&user.id.to_string()), None)
                .with_detail("username", &user.username),
            )
            .await?;
        let ended = self.store.issue_credential_reset(&reset).await?;
        Ok((
            Invitation {
                token,
                expires_at: reset.expires_at,
            },
            ended,
        ))
    }

    /// Checks a new password for an account being reset against the policy and the
    /// last four passwords, before the link is spent.
    pub(super) async fn check_reset_password(
        &self,
        user: &UserRecord,
        new: &SecretString,
    ) -> Result<(), AuthError> {
        password::check_policy(new, &user.username).map_err(AuthError::PasswordRejected)?;
        if self.is_recent_password(user, new).await? {
            return Err(AuthError::PasswordRejected(PasswordRejection::Reused));
        }
        Ok(())
    }

    /// Gives the person of a spent reset link their new password, TOTP secret and
    /// recovery codes.
    pub(super) async fn complete_reset(
        &self,
        user: &UserRecord,
        password: SecretString,
        actor: Actor,
    ) -> Result<NewAccount, AuthError> {
        let hash = self.hash(password).await?;
        let (sealed, totp_uri) = self.new_authenticator(user.id, &user.username)?;
        let (recovery_codes, hashes) = super::recovery_codes::new_recovery_codes()?;
        self.audit
            .record(
                AuditEvent::new(
                    self.now_ms(),
                    Activity::MfaEnable,
                    "account.credentials_restore",
                    Outcome::Success,
                    actor,
                    "Reset link redeemed: new password, authenticator and recovery codes",
                )
                .with_target("user", Some(&user.id.to_string()), None)
                .with_detail("username", &user.username),
            )
            .await?;
        self.store
            .complete_credential_reset(&ResetCredentials {
                user: user.id,
                password_hash: &hash.0,
                totp_sealed: &sealed,
                recovery_hashes: &hashes,
                now: self.now(),
            })
            .await?;
        Ok(NewAccount {
            user: user.clone(),
            totp_uri,
            recovery_codes,
        })
    }
}
