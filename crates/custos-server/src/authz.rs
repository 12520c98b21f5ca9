//! Authorization: one service, backed by Cedar. The schema and the default
//! policies live in `policies/` and are validated against each other when the
//! server starts; a handler never checks a role itself, it asks [`Authorizer`].

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::RwLock;

use cedar_policy::{
    Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy, PolicyId,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use thiserror::Error;

use custos_store::UserRecord;

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
    /// List a person's live sessions.
    ListSessions,
    /// End a session.
    EndSession,
    /// Unlock or disable an account.
    ManageAccount,
    /// Read the access review.
    ReadAccessReview,
    /// Sign an access review off.
    SignOffAccessReview,
    /// Read the policies.
    ReadPolicies,
    /// Add a policy.
    WritePolicies,
}

impl Action {
    /// The action's id in the schema.
    pub fn id(self) -> &'static str {
        match self {
            Self::ReadAuditTrail => "audit.read",
            Self::ReadSelf => "me.read",
            Self::ListSessions => "session.list",
            Self::EndSession => "session.end",
            Self::ManageAccount => "account.manage",
            Self::ReadAccessReview => "access_review.read",
            Self::SignOffAccessReview => "access_review.sign_off",
            Self::ReadPolicies => "policy.read",
            Self::WritePolicies => "policy.write",
        }
    }
}

/// What an action is done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The audit trail.
    AuditTrail,
    /// The access review.
    AccessReview,
    /// The policies.
    PolicyStore,
    /// The caller themself.
    Caller,
    /// A person's session.
    Session {
        /// The session's public id.
        id: String,
        /// Whose it is.
        owner: UserRecord,
    },
    /// A person's account.
    Account(UserRecord),
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
    policies: RwLock<PolicySet>,
    default_ids: Vec<String>,
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
        Self::with_defaults_and(&[])
    }

    /// The default policies plus `extra` (id, text) added by administrators, all
    /// validated together against the schema.
    pub fn with_defaults_and(extra: &[(String, String)]) -> Result<Self, AuthzError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(SCHEMA).map_err(invalid)?;
        let mut policies = PolicySet::new();
        let mut default_ids = Vec::new();
        // Each default policy is known by its @id annotation, which decisions then name.
        for policy in PolicySet::from_str(DEFAULT_POLICIES)
            .map_err(invalid)?
            .policies()
        {
            let id = policy
                .annotation("id")
                .unwrap_or_else(|| policy.id().as_ref())
                .to_owned();
            default_ids.push(id.clone());
            policies
                .add(policy.new_id(PolicyId::new(id)))
                .map_err(invalid)?;
        }
        for (id, text) in extra {
            policies.add(parse_one(id, text)?).map_err(invalid)?;
        }
        validate(&schema, &policies)?;
        Ok(Self {
            schema,
            policies: RwLock::new(policies),
            default_ids,
            cedar: cedar_policy::Authorizer::new(),
        })
    }

    /// Every policy in force: (id, shipped by default?, text).
    pub fn policy_listing(&self) -> Vec<(String, bool, String)> {
        let policies = self
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        policies
            .policies()
            .map(|p| {
                let id = p.id().to_string();
                let default = self.default_ids.contains(&id);
                (id, default, p.to_string())
            })
            .collect()
    }

    /// The schema, as text.
    pub fn schema_text(&self) -> &'static str {
        SCHEMA
    }

    /// Validates a policy with every policy in force against the schema, changing nothing.
    pub fn check_policy(&self, id: &str, text: &str) -> Result<(), AuthzError> {
        self.candidate_with(id, text).map(drop)
    }

    fn candidate_with(&self, id: &str, text: &str) -> Result<PolicySet, AuthzError> {
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_id {
            return Err(AuthzError::Invalid(
                "policy ids have 1 to 64 of a-z, 0-9 and '-'".into(),
            ));
        }
        let mut candidate = self
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        candidate.add(parse_one(id, text)?).map_err(invalid)?;
        validate(&self.schema, &candidate)?;
        Ok(candidate)
    }

    /// Adds a policy after validating it, with every policy in force, against the
    /// schema; nothing changes if it does not validate. The error explains why.
    pub fn add_policy(&self, id: &str, text: &str) -> Result<(), AuthzError> {
        let candidate = self.candidate_with(id, text)?;
        *self
            .policies
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = candidate;
        Ok(())
    }

    /// Decides whether `principal` may do `action` to `resource`; `mfa_fresh` says
    /// whether the caller passed MFA recently (step-up). A request that cannot be
    /// built is denied.
    pub fn authorize(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
        mfa_fresh: bool,
    ) -> AuthzDecision {
        match self.try_authorize(principal, action, resource, mfa_fresh) {
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
        mfa_fresh: bool,
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
            Resource::AccessReview => {
                let uid = uid("Custos::AccessReview", "review").map_err(|e| request_error(&e))?;
                entities.push(Entity::new_no_attrs(uid.clone(), HashSet::new()));
                uid
            }
            Resource::PolicyStore => {
                let uid = uid("Custos::PolicyStore", "policies").map_err(|e| request_error(&e))?;
                entities.push(Entity::new_no_attrs(uid.clone(), HashSet::new()));
                uid
            }
            Resource::Caller => principal_uid.clone(),
            Resource::Session { id, owner } => {
                let owner_entity = person_entity(owner).map_err(|e| request_error(&e))?;
                let owner_uid = owner_entity.uid();
                if owner_uid != principal_uid {
                    entities.push(owner_entity);
                }
                let session_uid = uid("Custos::Session", id).map_err(|e| request_error(&e))?;
                let attrs = HashMap::from([(
                    "owner".to_owned(),
                    RestrictedExpression::new_entity_uid(owner_uid),
                )]);
                entities.push(
                    Entity::new(session_uid.clone(), attrs, HashSet::new())
                        .map_err(|e| request_error(&e))?,
                );
                session_uid
            }
            Resource::Account(user) => {
                let entity = person_entity(user).map_err(|e| request_error(&e))?;
                let account_uid = entity.uid();
                if account_uid != principal_uid {
                    entities.push(entity);
                }
                account_uid
            }
        };
        let action_uid = uid("Custos::Action", action.id()).map_err(|e| request_error(&e))?;
        let entities =
            Entities::from_entities(entities, Some(&self.schema)).map_err(|e| request_error(&e))?;
        let context = Context::from_pairs([(
            "mfa_fresh".to_owned(),
            RestrictedExpression::new_bool(mfa_fresh),
        )])
        .map_err(|e| request_error(&e))?;
        let request = Request::new(
            principal_uid,
            action_uid,
            resource_uid,
            context,
            Some(&self.schema),
        )
        .map_err(|e| request_error(&e))?;
        let policies = self
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let response = self.cedar.is_authorized(&request, &policies, &entities);
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

/// Parses exactly one static policy, known by `id`.
fn parse_one(id: &str, text: &str) -> Result<Policy, AuthzError> {
    Policy::parse(Some(PolicyId::new(id)), text).map_err(invalid)
}

/// Strict validation of a policy set against the schema.
fn validate(schema: &Schema, policies: &PolicySet) -> Result<(), AuthzError> {
    let validation = Validator::new(schema.clone()).validate(policies, ValidationMode::Strict);
    if validation.validation_passed() {
        Ok(())
    } else {
        let errors: Vec<String> = validation
            .validation_errors()
            .map(ToString::to_string)
            .collect();
        Err(AuthzError::Invalid(errors.join("; ")))
    }
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    let kind = EntityTypeName::from_str(kind).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(kind, EntityId::new(id)))
}

fn string(s: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(s.to_owned())
}

/// A person as a Cedar entity (the caller or the subject of an action).
fn person_entity(user: &UserRecord) -> Result<Entity, String> {
    let attrs = HashMap::from([
        ("role".to_owned(), string(&user.role)),
        (
            "team".to_owned(),
            string(user.team.as_deref().unwrap_or("")),
        ),
    ]);
    Entity::new(
        uid("Custos::Person", &user.id.to_string())?,
        attrs,
        HashSet::new(),
    )
    .map_err(|e| e.to_string())
}

fn principal_entity(principal: &Principal) -> Result<Entity, String> {
    match principal {
        Principal::Person(p) => person_entity(&p.user),
        Principal::Service(s) => {
            let attrs = HashMap::from([("role".to_owned(), string(s.role.as_str()))]);
            Entity::new(
                uid("Custos::Service", &principal.id())?,
                attrs,
                HashSet::new(),
            )
            .map_err(|e| e.to_string())
        }
    }
}
