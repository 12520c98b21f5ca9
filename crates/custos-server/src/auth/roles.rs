//! Changing a person's role and team: an administrator's decision, audited with
//! the role before and after (OCSF Account Change, Attach Policy). The person's
//! sessions end with it, so no session carries on with powers granted under the
//! old role; the next sign-in is under the new one.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use custos_auth::role::Role;
use custos_store::{AccountStore as _, UserRecord};

use super::{AuthError, AuthService, Because};

/// Teams: 1 to 64 printable characters, or none.
fn check_team(team: Option<&str>) -> Result<Option<String>, AuthError> {
    match team.map(str::trim) {
        None | Some("") => Ok(None),
        Some(team) if team.chars().count() <= 64 && !team.chars().any(char::is_control) => {
            Ok(Some(team.to_owned()))
        }
        Some(_) => Err(AuthError::Invalid(
            "a team name has 1 to 64 printable characters".into(),
        )),
    }
}

impl AuthService {
    /// Gives `user` the person role `role` and `team`; their sessions end. Returns
    /// how many ended.
    pub async fn change_role(
        &self,
        actor: Actor,
        user: &UserRecord,
        role: Role,
        team: Option<&str>,
    ) -> Result<usize, AuthError> {
        if !role.is_person() {
            return Err(AuthError::Invalid(format!(
                "{role} is a role for service tokens, not for people"
            )));
        }
        let team = check_team(team)?;
        let mut event = AuditEvent::new(
            self.now_ms(),
            Activity::AttachPolicy,
            "account.role_change",
            Outcome::Success,
            actor.clone(),
            "Role changed",
        )
        .with_target("user", Some(&user.id.to_string()), None)
        .with_detail("username", &user.username)
        .with_detail("previous_role", &user.role)
        .with_detail("role", role.as_str());
        if let Some(previous) = &user.team {
            event = event.with_detail("previous_team", previous);
        }
        if let Some(team) = &team {
            event = event.with_detail("team", team);
        }
        // Recorded first: a change that cannot be on record does not happen.
        self.audit.record(event).await?;
        self.store
            .set_user_role(user.id, role.as_str(), team.as_deref())
            .await?;
        self.end_sessions_of(actor, user, Because::Officer).await
    }
}
