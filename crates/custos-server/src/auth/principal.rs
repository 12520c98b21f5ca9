//! Who is making a request: a signed-in person or an integration's token.

use custos_audit::{Actor, ActorKind};
use custos_auth::role::Role;
use custos_store::{ServiceTokenRecord, SessionRecord, UserRecord};

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct PersonPrincipal {
    /// Their role.
    pub role: Role,
    /// Their account.
    pub user: UserRecord,
    /// The session in use.
    pub session: SessionRecord,
    /// When the session ends if unused.
    pub expires_at: i64,
}

/// An integration.
#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    /// The token's role.
    pub role: Role,
    /// The token.
    pub token: ServiceTokenRecord,
}

/// The caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A person (boxed: an account row is large, a token is small).
    Person(Box<PersonPrincipal>),
    /// An integration.
    Service(ServicePrincipal),
}

impl Principal {
    /// The caller's role.
    pub fn role(&self) -> Role {
        match self {
            Self::Person(p) => p.role,
            Self::Service(s) => s.role,
        }
    }

    /// A stable id: the account id or the token id.
    pub fn id(&self) -> String {
        match self {
            Self::Person(p) => p.user.id.to_string(),
            Self::Service(s) => s.token.id.to_string(),
        }
    }

    /// The caller as an audit actor.
    pub fn actor(&self, ip: Option<&str>) -> Actor {
        match self {
            Self::Person(p) => super::events::person(&p.user, Some(&p.session), ip),
            Self::Service(s) => Actor {
                kind: ActorKind::Service,
                name: Some(s.token.name.clone()),
                uid: Some(s.token.id.to_string()),
                role: Some(s.role.as_str().to_owned()),
                session: None,
                device: None,
                ip: ip.map(str::to_owned),
            },
        }
    }
}
