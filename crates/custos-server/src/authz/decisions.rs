//! Decisions already made, remembered with everything they were made from.
//!
//! Cedar's answer is a function of the policies, the request and its entities and
//! nothing else: no clock, no randomness. Here the entities are built from the
//! caller's id, kind, role and team and from the [`Resource`], and the context is one
//! flag (a fresh second factor). So a decision asked again with all of those equal,
//! under the same policies, is the decision Cedar would make again; evaluating it
//! was the largest single cost of a masked read after the store (BENCHMARKS.md,
//! issue 5).
//!
//! A memo belongs to one version of the policies ([`super::Policies`]) and is
//! dropped with it when a policy is added. Every input is kept with its decision
//! and compared in full before the decision is handed back; the hash only finds the
//! slot. Sessions and accounts, whose resources carry a whole account record, are
//! never remembered, nor are requests that failed to evaluate (those are denied
//! afresh each time). The memo holds at most [`MAX_DECISIONS`] and starts afresh
//! past it, so no caller can grow it without bound.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::{PoisonError, RwLock};

use uuid::Uuid;

use super::{Action, AuthzDecision, Kind, Resource};

/// The most decisions one memo holds.
pub(super) const MAX_DECISIONS: usize = 16 * 1024;

/// One question put to the authorizer, borrowed from the request being decided.
#[derive(Clone, Copy)]
pub(super) struct Question<'a> {
    pub action: Action,
    pub caller: Uuid,
    pub kind: Kind,
    pub role: &'a str,
    pub team: &'a str,
    pub resource: &'a Resource,
    pub mfa_fresh: bool,
}

/// A question as remembered, owned.
#[derive(PartialEq, Eq)]
struct Asked {
    action: Action,
    caller: Uuid,
    kind: Kind,
    role: String,
    team: String,
    resource: Resource,
    mfa_fresh: bool,
}

impl Question<'_> {
    fn is(&self, asked: &Asked) -> bool {
        self.action == asked.action
            && self.caller == asked.caller
            && self.kind == asked.kind
            && self.mfa_fresh == asked.mfa_fresh
            && self.role == asked.role
            && self.team == asked.team
            && *self.resource == asked.resource
    }

    fn remembered(self) -> Asked {
        Asked {
            action: self.action,
            caller: self.caller,
            kind: self.kind,
            role: self.role.to_owned(),
            team: self.team.to_owned(),
            resource: self.resource.clone(),
            mfa_fresh: self.mfa_fresh,
        }
    }
}

/// The decisions made under one version of the policies.
#[derive(Default)]
pub(super) struct DecisionMemo {
    hasher: RandomState,
    decisions: RwLock<HashMap<u64, (Asked, AuthzDecision)>>,
}

impl DecisionMemo {
    /// Where `question` is remembered, or `None` if questions about its resource
    /// are never remembered.
    pub(super) fn slot(&self, question: &Question<'_>) -> Option<u64> {
        let mut hasher = self.hasher.build_hasher();
        std::mem::discriminant(question.resource).hash(&mut hasher);
        match question.resource {
            Resource::Session { .. } | Resource::Account(_) => return None,
            Resource::Customer {
                id,
                agents,
                teams,
                verified,
            } => (id, agents, teams, verified).hash(&mut hasher),
            Resource::Interaction {
                id,
                agent,
                team,
                open,
                verified,
            } => (id, agent, team, open, verified).hash(&mut hasher),
            // The rest are singletons, or the caller: the discriminant is all of them.
            _ => {}
        }
        (
            question.action,
            question.caller,
            question.kind,
            question.role,
            question.team,
            question.mfa_fresh,
        )
            .hash(&mut hasher);
        Some(hasher.finish())
    }

    /// The decision made before on exactly `question`, if it is remembered.
    pub(super) fn recall(&self, slot: u64, question: &Question<'_>) -> Option<AuthzDecision> {
        self.decisions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&slot)
            .filter(|(asked, _)| question.is(asked))
            .map(|(_, decision)| decision.clone())
    }

    /// Remembers `decision` on `question` in `slot`, in place of whatever was there.
    pub(super) fn remember(&self, slot: u64, question: &Question<'_>, decision: &AuthzDecision) {
        let mut decisions = self
            .decisions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if decisions.len() >= MAX_DECISIONS {
            decisions.clear();
        }
        decisions.insert(slot, (question.remembered(), decision.clone()));
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.decisions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(verified: bool) -> Resource {
        Resource::Customer {
            id: Uuid::from_u128(1),
            agents: vec![Uuid::from_u128(2)],
            teams: vec!["blue".into()],
            verified,
        }
    }

    fn question(resource: &Resource) -> Question<'_> {
        Question {
            action: Action::ReadCustomer,
            caller: Uuid::from_u128(2),
            kind: Kind::Person,
            role: "agent",
            team: "blue",
            resource,
            mfa_fresh: false,
        }
    }

    fn decision(allowed: bool) -> AuthzDecision {
        AuthzDecision {
            allowed,
            policies: vec!["a-policy".into()],
        }
    }

    /// A remembered decision comes back only for the very same question: any one
    /// input changed finds nothing, even when it is forced into the same slot.
    #[test]
    fn a_decision_is_recalled_only_for_the_same_question() {
        let memo = DecisionMemo::default();
        let resource = customer(false);
        let asked = question(&resource);
        let slot = memo.slot(&asked).unwrap();
        assert_eq!(memo.recall(slot, &asked), None);
        memo.remember(slot, &asked, &decision(true));
        assert_eq!(memo.recall(slot, &asked), Some(decision(true)));

        let verified = customer(true);
        let other_team = Resource::Customer {
            id: Uuid::from_u128(1),
            agents: vec![Uuid::from_u128(2)],
            teams: vec!["red".into()],
            verified: false,
        };
        let variants = [
            Question {
                action: Action::RevealCustomerField,
                ..asked
            },
            Question {
                caller: Uuid::from_u128(3),
                ..asked
            },
            Question {
                kind: Kind::Service,
                ..asked
            },
            Question {
                role: "supervisor",
                ..asked
            },
            Question {
                team: "red",
                ..asked
            },
            Question {
                mfa_fresh: true,
                ..asked
            },
            Question {
                resource: &verified,
                ..asked
            },
            Question {
                resource: &other_team,
                ..asked
            },
        ];
        for variant in &variants {
            assert_ne!(memo.slot(variant), Some(slot));
            // Even in the same slot (a hash collision), the full comparison refuses it.
            assert_eq!(memo.recall(slot, variant), None);
        }
    }

    /// Resources carrying an account record are never remembered.
    #[test]
    fn sessions_and_accounts_are_not_remembered() {
        let memo = DecisionMemo::default();
        let user =
            crate::http::invitations::account_to_be("olivia", custos_auth::role::Role::Agent, None);
        let account = Resource::Account(user.clone());
        let session = Resource::Session {
            id: "s".into(),
            owner: user,
        };
        assert_eq!(memo.slot(&question(&account)), None);
        assert_eq!(memo.slot(&question(&session)), None);
        assert!(memo.slot(&question(&Resource::AuditTrail)).is_some());
    }

    /// Past its bound the memo starts afresh instead of growing.
    #[test]
    fn the_memo_is_bounded() {
        let memo = DecisionMemo::default();
        let resources: Vec<Resource> = (0..=MAX_DECISIONS as u128)
            .map(|n| Resource::Customer {
                id: Uuid::from_u128(n),
                agents: Vec::new(),
                teams: Vec::new(),
                verified: false,
            })
            .collect();
        for resource in &resources {
            let asked = question(resource);
            memo.remember(memo.slot(&asked).unwrap(), &asked, &decision(false));
        }
        assert_eq!(memo.len(), 1);
    }
}
