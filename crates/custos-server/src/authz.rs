//! Authorization: one service, backed by Cedar. The schema and the default
//! policies live in `policies/` and are validated against each other when the
//! server starts; a handler never checks a role itself, it asks [`Authorizer`].

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression, Schema, ValidationMode, Validator,
};
use thiserror::Error;

use crate::auth::Principal;

const SCHEMA: &str = include_str!("../policies/schema.cedarschema");
const DEFAULT_POLICIES: &str = include_str!("../policies/default.cedar");

/// An action of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the audit trail.
    ReadAuditTrail,
    /// Read one's own identity.
    ReadSelf,
}

impl Action {
    /// The action's id in the schema.
    pub fn id(self) -> &'static str {
        match self {
            Self::ReadAuditTrail => "audit.read",
            Self::ReadSelf => "me.read",
        }
    }
}

/// What an action is done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The audit trail.
    AuditTrail,
    /// The caller themself.
    Caller,
}

/// A decision and the policies that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzDecision {
    /// Allowed?
    pub allowed: bool,
    /// Ids of the policies that determined the decision (empty: default deny).
    pub policies: Vec<String>,
}

/// Why the authorizer could not be built or asked.
#[derive(Debug, Error)]
pub enum AuthzError {
    /// The schema or policies do not parse or do not validate.
    #[error("invalid authorization policies: {0}")]
    Invalid(String),
    /// A request could not be built (a bug; such requests are denied).
    #[error("authorization request refused: {0}")]
    Request(String),
}

/// The authorization service.
pub struct Authorizer {
    schema: Schema,
    policies: PolicySet,
    cedar: cedar_policy::Authorizer,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authorizer")
    }
}

fn invalid(e: impl std::fmt::Display) -> AuthzError {
    AuthzError::Invalid(e.to_string())
}

impl Authorizer {
    /// The default policies, validated against the schema.
    pub fn with_defaults() -> Result<Self, AuthzError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(SCHEMA).map_err(invalid)?;
        let policies = PolicySet::from_str(DEFAULT_POLICIES).map_err(invalid)?;
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !validation.validation_passed() {
            let errors: Vec<String> = validation
                .validation_errors()
                .map(ToString::to_string)
                .collect();
            return Err(AuthzError::Invalid(errors.join("; ")));
        }
        Ok(Self {
            schema,
            policies,
            cedar: cedar_policy::Authorizer::new(),
        })
    }

    /// The effective policies, as text.
    pub fn policy_text(&self) -> String {
        self.policies.to_string()
    }

    /// Decides whether `principal` may do `action` to `resource`. A request that
    /// cannot be built is denied.
    pub fn authorize(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> AuthzDecision {
        match self.try_authorize(principal, action, resource) {
            Ok(decision) => decision,
            Err(e) => {
                tracing::error!(error = %e, action = action.id(), "authorization request could not be evaluated; denied");
                AuthzDecision {
                    allowed: false,
                    policies: Vec::new(),
                }
            }
        }
    }

    fn try_authorize(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Result<AuthzDecision, AuthzError> {
        let request_error = |e: &dyn std::fmt::Display| AuthzError::Request(e.to_string());
        let principal_entity = principal_entity(principal).map_err(|e| request_error(&e))?;
        let principal_uid = principal_entity.uid();
        let mut entities = vec![principal_entity];
        let resource_uid = match resource {
            Resource::AuditTrail => {
                let uid = uid("Custos::AuditTrail", "trail").map_err(|e| request_error(&e))?;
                entities.push(Entity::new_no_attrs(uid.clone(), HashSet::new()));
                uid
            }
            Resource::Caller => principal_uid.clone(),
        };
        let action_uid = uid("Custos::Action", action.id()).map_err(|e| request_error(&e))?;
        let entities =
            Entities::from_entities(entities, Some(&self.schema)).map_err(|e| request_error(&e))?;
        let request = Request::new(
            principal_uid,
            action_uid,
            resource_uid,
            Context::empty(),
            Some(&self.schema),
        )
        .map_err(|e| request_error(&e))?;
        let response = self
            .cedar
            .is_authorized(&request, &self.policies, &entities);
        Ok(AuthzDecision {
            allowed: response.decision() == Decision::Allow,
            policies: response
                .diagnostics()
                .reason()
                .map(ToString::to_string)
                .collect(),
        })
    }
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    let kind = EntityTypeName::from_str(kind).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(kind, EntityId::new(id)))
}

fn principal_entity(principal: &Principal) -> Result<Entity, String> {
    let string = |s: &str| RestrictedExpression::new_string(s.to_owned());
    let (kind, attrs) = match principal {
        Principal::Person(p) => (
            "Custos::Person",
            HashMap::from([
                ("role".to_owned(), string(p.role.as_str())),
                (
                    "team".to_owned(),
                    string(p.user.team.as_deref().unwrap_or("")),
                ),
            ]),
        ),
        Principal::Service(s) => (
            "Custos::Service",
            HashMap::from([("role".to_owned(), string(s.role.as_str()))]),
        ),
    };
    Entity::new(uid(kind, &principal.id())?, attrs, HashSet::new()).map_err(|e| e.to_string())
}
