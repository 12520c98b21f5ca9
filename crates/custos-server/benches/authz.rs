//! The cost of one authorization decision: asked again with every input equal
//! (the decision remembered under the same policies), and asked afresh (Cedar:
//! entities built, request validated against the schema, policies evaluated).
//! `cargo bench -p custos-server --bench authz`

use custos_auth::role::Role;
use custos_server::auth::{PersonPrincipal, Principal};
use custos_server::authz::{Action, Authorizer, Resource};
use custos_store::{SessionRecord, UserRecord};
use divan::{Bencher, black_box};
use uuid::Uuid;

fn main() {
    divan::main();
}

fn person(role: Role) -> Principal {
    let id = Uuid::new_v4();
    Principal::Person(Box::new(PersonPrincipal {
        role,
        user: UserRecord {
            id,
            username: "olivia".into(),
            role: role.as_str().into(),
            team: Some("billing".into()),
            supervisor_id: None,
            password_hash: String::new(),
            password_changed_at: 0,
            totp_sealed: None,
            totp_last_step: None,
            failed_attempts: 0,
            locked_until: None,
            disabled_at: None,
            created_at: 0,
            last_sign_in_at: None,
        },
        session: SessionRecord::signed_in(id, 0, None, None),
        expires_at: 0,
    }))
}

/// A supervisor reads a customer of their team never asked about before: a new
/// customer each time, so Cedar evaluates every one.
#[divan::bench]
fn decision_afresh(bencher: Bencher) {
    let authz = Authorizer::with_defaults().unwrap_or_else(|_| std::process::abort());
    let supervisor = person(Role::Supervisor);
    bencher
        .with_inputs(|| Resource::Customer {
            id: Uuid::new_v4(),
            agents: vec![Uuid::new_v4()],
            teams: vec!["billing".into()],
            verified: false,
        })
        .bench_local_refs(|customer| {
            black_box(authz.authorize(&supervisor, Action::ReadCustomer, customer, false))
        });
}

/// An allowed decision (a security officer reads the trail), asked again.
#[divan::bench]
fn decision_allow(bencher: Bencher) {
    let authz = Authorizer::with_defaults().unwrap_or_else(|_| std::process::abort());
    let officer = person(Role::SecurityOfficer);
    bencher.bench_local(|| {
        black_box(authz.authorize(
            &officer,
            Action::ReadAuditTrail,
            &Resource::AuditTrail,
            true,
        ))
    });
}

/// A denied decision (an agent reads the trail), asked again.
#[divan::bench]
fn decision_deny(bencher: Bencher) {
    let authz = Authorizer::with_defaults().unwrap_or_else(|_| std::process::abort());
    let agent = person(Role::Agent);
    bencher.bench_local(|| {
        black_box(authz.authorize(&agent, Action::ReadAuditTrail, &Resource::AuditTrail, true))
    });
}
