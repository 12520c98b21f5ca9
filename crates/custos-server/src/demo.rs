//! `custos serve --demo`: seeds a small contact center into a store with no
//! accounts yet, so the product can be tried at once. Every credential is
//! random and printed once, to the operator's terminal only. Customers are made
//! up, with the card networks' published test numbers; each demo agent has open
//! interactions to work on, each with a call transcript (stored redacted, as any
//! transcript is: the caller reads a test card number over several turns).

use custos_audit::Actor;
use custos_auth::role::Role;
use custos_store::AccountStore;
use secrecy::{ExposeSecret as _, SecretString};

use crate::auth::AuthError;
use crate::state::AppState;
use crate::vault::fields::{self, Field};
use crate::vault::{NewCustomerValues, VaultError};

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

/// The demo's customers (made up; card numbers are the networks' test numbers),
/// each with the agent serving them.
const CUSTOMERS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    // name, email, phone, date of birth, SSN, card, agent
    (
        "Maria Gonzalez",
        "maria.gonzalez@example.com",
        "+1 415 555 0132",
        "1979-04-18",
        "219-09-9999",
        "4111 1111 1111 1111",
        "alice.agent",
    ),
    (
        "James O'Brien",
        "jobrien@example.net",
        "+1 312 555 0177",
        "1988-11-02",
        "078-05-1120",
        "5555 5555 5555 4444",
        "alice.agent",
    ),
    (
        "Priya Raman",
        "priya.raman@example.org",
        "+44 20 7946 0958",
        "1992-07-23",
        "123-45-6789",
        "2223 0000 4840 0011",
        "bob.agent",
    ),
    (
        "Chen Wei",
        "chen.wei@example.com",
        "+1 646 555 0199",
        "1965-01-30",
        "234-56-7890",
        "3782 822463 10005",
        "carol.agent",
    ),
    (
        "Fatima Al-Sayed",
        "fatima.alsayed@example.com",
        "+1 206 555 0104",
        "2001-09-12",
        "345-67-8901",
        "6011 1111 1111 1117",
        "bob.agent",
    ),
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
    /// Customers created.
    pub customers: usize,
    /// Interactions opened.
    pub interactions: usize,
}

fn random_password() -> Result<SecretString, AuthError> {
    let mut bytes = [0u8; 15];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| AuthError::Crypto)?;
    // Base32 of 120 random bits, then one digit: 24 random characters may all be
    // letters (about 0.7% of the time), and the policy asks for a letter and a digit.
    Ok(SecretString::from(format!(
        "demo-{}{}",
        data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase(),
        bytes[0] % 10
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
    seed_customers(state, &actor, &mut report).await?;
    Ok(report)
}

/// The demo call: the caller reads a card over three turns, partly as words.
const DEMO_CALL: &str = r#"{"turns":[
 {"speaker":"agent","text":"Thank you for calling Northwind, this is your agent, how can I help?","start_ms":0,"end_ms":3200},
 {"speaker":"caller","text":"Hi, I'd like to pay the balance on my account.","start_ms":3400,"end_ms":6100},
 {"speaker":"agent","text":"Of course. Go ahead with the card number when you're ready.","start_ms":6300,"end_ms":9000},
 {"speaker":"caller","text":"It's four five three nine, one four eight eight","start_ms":9200,"end_ms":13000},
 {"speaker":"agent","text":"Mhm.","start_ms":13100,"end_ms":13500},
 {"speaker":"caller","text":"0343 6467, expiring oh nine twenty seven.","start_ms":13700,"end_ms":17400},
 {"speaker":"agent","text":"Thank you, the payment is through.","start_ms":17600,"end_ms":19800}
]}"#;

/// Creates the demo customers and opens an interaction for each with its agent.
async fn seed_customers(
    state: &AppState,
    actor: &Actor,
    report: &mut DemoReport,
) -> Result<(), AuthError> {
    let vault_failed = |e: VaultError| AuthError::Invalid(format!("demo customers: {e}"));
    for (name, email, phone, dob, ssn, card, agent) in CUSTOMERS {
        let mut values = Vec::new();
        for (field, raw) in [
            (Field::Name, *name),
            (Field::Email, *email),
            (Field::Phone, *phone),
            (Field::DateOfBirth, *dob),
            (Field::Ssn, *ssn),
            (Field::Address, "1 Demo Way, Springfield, IL 62704"),
        ] {
            values.push(
                fields::parse_value(field, raw)
                    .map_err(|e| AuthError::Invalid(format!("demo customers: {e}")))?,
            );
        }
        let card = fields::parse_card_number(card)
            .ok_or_else(|| AuthError::Invalid("demo customers: a card number".to_owned()))?;
        let (id, _) = state
            .vault()
            .create_customer(
                actor.clone(),
                NewCustomerValues {
                    values,
                    card: Some((card, zeroize::Zeroizing::new("12/30".to_owned()))),
                },
            )
            .await
            .map_err(vault_failed)?;
        report.customers += 1;
        let agent = state.auth().user_named(agent).await?;
        let interaction = state
            .vault()
            .open_interaction(actor.clone(), id, &agent, "voice")
            .await
            .map_err(vault_failed)?;
        report.interactions += 1;
        let call =
            custos_conversation::parse("application/vnd.custos.turns+json", DEMO_CALL.as_bytes())
                .map_err(|e| AuthError::Invalid(format!("demo transcript: {e}")))?;
        let customer = state.vault().load(id).await.map_err(vault_failed)?;
        crate::conversation::ingest::add_transcript(
            state,
            actor.clone(),
            &interaction,
            &customer,
            &call,
            DEMO_CALL.as_bytes(),
        )
        .await
        .map_err(|e| AuthError::Invalid(format!("demo transcript: {e}")))?;
    }
    Ok(())
}
