//! `custos serve --demo`: seeds a small contact center into a store with no
//! accounts yet, so the product can be tried at once. Every credential is
//! random and printed once, to the operator's terminal only. The demo grows with
//! each feature: customers, interactions and transcripts arrive with the vault
//! and conversation issues.

use custos_audit::Actor;
use custos_auth::role::Role;
use custos_store::AccountStore;
use secrecy::{ExposeSecret as _, SecretString};

use crate::auth::AuthError;
use crate::state::AppState;

/// The people of the demo: one of every role, two agents on one team.
const PEOPLE: &[(&str, Role, Option<&str>)] = &[
    ("ada.admin", Role::Admin, None),
    ("olivia.officer", Role::SecurityOfficer, None),
    ("ahmed.auditor", Role::Auditor, None),
    ("sam.supervisor", Role::Supervisor, Some("billing")),
    ("alice.agent", Role::Agent, Some("billing")),
    ("bob.agent", Role::Agent, Some("billing")),
    ("carol.agent", Role::Agent, Some("claims")),
];

/// The integrations of the demo.
const TOKENS: &[(&str, Role)] = &[
    ("demo-ccaas", Role::Integration),
    ("demo-payments", Role::PaymentService),
];

/// A seeded person's credentials.
pub struct DemoPerson {
    /// Username.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Random password.
    pub password: SecretString,
    /// TOTP enrolment URI.
    pub totp_uri: SecretString,
}

/// What was seeded; empty when the store already had accounts.
#[derive(Default)]
pub struct DemoReport {
    /// People.
    pub people: Vec<DemoPerson>,
    /// Service tokens (name, role, token).
    pub tokens: Vec<(String, Role, SecretString)>,
}

fn random_password() -> Result<SecretString, AuthError> {
    let mut bytes = [0u8; 15];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| AuthError::Crypto)?;
    // Base32 of 120 random bits: 24 letters and digits, always within the policy.
    Ok(SecretString::from(format!(
        "demo-{}",
        data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
    )))
}

/// Seeds the demo if there are no accounts yet.
pub async fn seed(state: &AppState) -> Result<DemoReport, AuthError> {
    if !state.store().list_users().await?.is_empty() {
        return Ok(DemoReport::default());
    }
    let actor = Actor {
        name: Some("demo-seed".to_owned()),
        ..Actor::system()
    };
    let mut report = DemoReport::default();
    for (username, role, team) in PEOPLE {
        let password = random_password()?;
        let account = state
            .auth()
            .create_user(
                actor.clone(),
                username,
                *role,
                team.map(str::to_owned),
                SecretString::from(password.expose_secret().to_owned()),
            )
            .await?;
        report.people.push(DemoPerson {
            username: (*username).to_owned(),
            role: *role,
            password,
            totp_uri: account.totp_uri,
        });
    }
    for (name, role) in TOKENS {
        let (token, _) = state
            .auth()
            .create_service_token(actor.clone(), name, *role, 30)
            .await?;
        report.tokens.push(((*name).to_owned(), *role, token));
    }
    Ok(report)
}
