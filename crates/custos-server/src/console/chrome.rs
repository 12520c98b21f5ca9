//! The frame around every console page: who is signed in, the navigation their
//! role gets, and the idle timeout the page script counts down.

use custos_auth::role::Role;

use crate::auth::Principal;
use crate::state::AppState;

/// One link in the navigation.
pub(crate) struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// The page frame.
pub(crate) struct Chrome {
    /// The signed-in person's username.
    pub username: String,
    /// Their role, as in CONTRACT.md.
    pub role: &'static str,
    /// The session's idle timeout, for the warning and the sign-out.
    pub idle_secs: u64,
    /// The role's navigation.
    pub nav: Vec<NavItem>,
}

/// The pages each role's navigation offers; the policy still decides each read.
fn pages_of(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Agent => &[("/console/interactions", "My interactions")],
        Role::Supervisor => &[("/console/interactions", "Team interactions")],
        Role::SecurityOfficer => &[
            ("/console/posture", "Posture"),
            ("/console/alerts", "Alerts"),
            ("/console/audit", "Audit trail"),
            ("/console/people", "People"),
            ("/console/rules", "Detection rules"),
            ("/console/policies", "Policies"),
            ("/console/integrations", "Integrations"),
        ],
        Role::Auditor => &[
            ("/console/posture", "Posture"),
            ("/console/audit", "Audit trail"),
            ("/console/alerts", "Alerts"),
            ("/console/people", "Access review"),
            ("/console/policies", "Policies"),
            ("/console/integrations", "Integrations"),
        ],
        Role::Admin => &[
            ("/console/posture", "Posture"),
            ("/console/people", "People"),
            ("/console/audit", "Audit trail"),
            ("/console/alerts", "Alerts"),
            ("/console/rules", "Detection rules"),
            ("/console/policies", "Policies"),
            ("/console/integrations", "Integrations"),
            ("/console/settings", "Settings"),
        ],
        Role::Integration | Role::PaymentService => &[],
    }
}

/// Where a role lands after signing in.
pub(crate) fn home_of(role: Role) -> &'static str {
    pages_of(role)
        .first()
        .map_or("/console/login", |(href, _)| href)
}

impl Chrome {
    /// The frame for `principal`, with `current` (a page path) marked.
    pub fn new(state: &AppState, principal: &Principal, current: &'static str) -> Self {
        let role = principal.role();
        let username = match principal {
            Principal::Person(p) => p.user.username.clone(),
            Principal::Service(s) => s.token.name.clone(),
        };
        Self {
            username,
            role: role.as_str(),
            idle_secs: state.settings().get().session.idle_timeout.as_secs(),
            nav: pages_of(role)
                .iter()
                .map(|&(href, label)| NavItem {
                    href,
                    label,
                    current: href == current,
                })
                .collect(),
        }
    }
}
