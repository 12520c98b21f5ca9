//! The roles of CONTRACT.md: five for people, two for service tokens.

use std::fmt;
use std::str::FromStr;

/// A role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Serves customers.
    Agent,
    /// Watches a team, handles escalations.
    Supervisor,
    /// Alerts, investigations, people, devices, keys.
    SecurityOfficer,
    /// Read-only evidence.
    Auditor,
    /// Administers the installation.
    Admin,
    /// A CCaaS, CRM or SIEM integration.
    Integration,
    /// The payment gateway, the only role that may detokenize cards.
    PaymentService,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 7] = [
        Self::Agent,
        Self::Supervisor,
        Self::SecurityOfficer,
        Self::Auditor,
        Self::Admin,
        Self::Integration,
        Self::PaymentService,
    ];

    /// The name used in the API, the CLI and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Supervisor => "supervisor",
            Self::SecurityOfficer => "security_officer",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
            Self::Integration => "integration",
            Self::PaymentService => "payment_service",
        }
    }

    /// True for the roles of people (who sign in with MFA).
    pub fn is_person(self) -> bool {
        !matches!(self, Self::Integration | Self::PaymentService)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}` (agent, supervisor, security_officer, auditor, admin, integration, payment_service)"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Agent.is_person() && !Role::Integration.is_person());
    }
}
