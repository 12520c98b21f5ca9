//! Authorization: one service, backed by Cedar. The schema and the default
//! policies live in `policies/` and are validated against each other when the
//! server starts; a handler never checks a role itself, it asks [`Authorizer`].

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, RwLock};

use cedar_policy::{
    ActionConstraint, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    Policy, PolicyId, PolicySet, PrincipalConstraint, Request, RestrictedExpression, Schema,
    ValidationMode, Validator,
};
use thiserror::Error;

use custos_store::UserRecord;
use uuid::Uuid;

use crate::auth::Principal;

mod decisions;

use decisions::{DecisionMemo, Question};

const SCHEMA: &str = include_str!("../policies/schema.cedarschema");
const DEFAULT_POLICIES: &str = include_str!("../policies/default.cedar");

/// An action of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Invite a new person.
    InviteAccount,
    /// Change a person's role and team.
    ChangeRole,
    /// Reset a person's sign-in (second factors gone, a link for new ones).
    ResetCredentials,
    /// Read the access review.
    ReadAccessReview,
    /// Sign an access review off.
    SignOffAccessReview,
    /// Read the policies.
    ReadPolicies,
    /// Add a policy.
    WritePolicies,
    /// Create a customer.
    CreateCustomer,
    /// Search customers by blind index.
    SearchCustomers,
    /// Read a customer, masked.
    ReadCustomer,
    /// Reveal a customer's field.
    RevealCustomerField,
    /// Delete a customer.
    DeleteCustomer,
    /// Exchange a card token for the number.
    DetokenizeCard,
    /// Open an interaction.
    OpenInteraction,
    /// Read an interaction.
    ReadInteraction,
    /// Close an interaction.
    CloseInteraction,
    /// Add content to an interaction.
    WriteInteraction,
    /// Verify an interaction's customer.
    VerifyCustomer,
    /// Reveal a kept raw copy of conversation content.
    RevealRawContent,
    /// Redact texts.
    RedactText,
    /// Read detection alerts.
    ReadAlerts,
    /// Acknowledge, resolve and annotate alerts.
    ManageAlerts,
    /// Read the detection rules.
    ReadDetectionRules,
    /// Change the detection rules.
    WriteDetectionRules,
    /// Issue a device enrolment code.
    IssueDeviceCode,
    /// List a person's devices.
    ListDevices,
    /// Revoke a device.
    RevokeDevice,
    /// List the service tokens and the integrations configured.
    ReadIntegrations,
    /// Create a service token.
    CreateServiceToken,
    /// Revoke a service token.
    RevokeServiceToken,
    /// Read the settings in force and who changed them.
    ReadSettings,
    /// Change settings (sessions, lockout, retention, masking).
    WriteSettings,
}

impl Action {
    /// Every action, in the order of the schema's listing here.
    pub const ALL: [Action; 37] = [
        Self::ReadAuditTrail,
        Self::ReadSelf,
        Self::ListSessions,
        Self::EndSession,
        Self::ManageAccount,
        Self::InviteAccount,
        Self::ChangeRole,
        Self::ResetCredentials,
        Self::ReadAccessReview,
        Self::SignOffAccessReview,
        Self::ReadPolicies,
        Self::WritePolicies,
        Self::CreateCustomer,
        Self::SearchCustomers,
        Self::ReadCustomer,
        Self::RevealCustomerField,
        Self::DeleteCustomer,
        Self::DetokenizeCard,
        Self::OpenInteraction,
        Self::ReadInteraction,
        Self::CloseInteraction,
        Self::WriteInteraction,
        Self::VerifyCustomer,
        Self::RevealRawContent,
        Self::RedactText,
        Self::ReadAlerts,
        Self::ManageAlerts,
        Self::ReadDetectionRules,
        Self::WriteDetectionRules,
        Self::IssueDeviceCode,
        Self::ListDevices,
        Self::RevokeDevice,
        Self::ReadIntegrations,
        Self::CreateServiceToken,
        Self::RevokeServiceToken,
        Self::ReadSettings,
        Self::WriteSettings,
    ];

    /// The action's id in the schema.
    pub fn id(self) -> &'static str {
        match self {
            Self::ReadAuditTrail => "audit.read",
            Self::ReadSelf => "me.read",
            Self::ListSessions => "session.list",
            Self::EndSession => "session.end",
            Self::ManageAccount => "account.manage",
            Self::InviteAccount => "account.invite",
            Self::ChangeRole => "account.change_role",
            Self::ResetCredentials => "account.reset_credentials",
            Self::ReadAccessReview => "access_review.read",
            Self::SignOffAccessReview => "access_review.sign_off",
            Self::ReadPolicies => "policy.read",
            Self::WritePolicies => "policy.write",
            Self::CreateCustomer => "customer.create",
            Self::SearchCustomers => "customer.search",
            Self::ReadCustomer => "customer.read",
            Self::RevealCustomerField => "customer.reveal",
            Self::DeleteCustomer => "customer.delete",
            Self::DetokenizeCard => "card.detokenize",
            Self::OpenInteraction => "interaction.open",
            Self::ReadInteraction => "interaction.read",
            Self::CloseInteraction => "interaction.close",
            Self::WriteInteraction => "interaction.write",
            Self::VerifyCustomer => "interaction.verify",
            Self::RevealRawContent => "interaction.reveal_raw",
            Self::RedactText => "text.redact",
            Self::ReadAlerts => "alert.read",
            Self::ManageAlerts => "alert.manage",
            Self::ReadDetectionRules => "detection_rule.read",
            Self::WriteDetectionRules => "detection_rule.write",
            Self::IssueDeviceCode => "device.issue_code",
            Self::ListDevices => "device.list",
            Self::RevokeDevice => "device.revoke",
            Self::ReadIntegrations => "integration.read",
            Self::CreateServiceToken => "service_token.create",
            Self::RevokeServiceToken => "service_token.revoke",
            Self::ReadSettings => "settings.read",
            Self::WriteSettings => "settings.write",
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
    /// Where customers are created and searched for.
    CustomerDirectory,
    /// The card token table.
    CardVault,
    /// The redaction engine.
    Redactor,
    /// The detection alerts.
    Alerts,
    /// The detection rules.
    DetectionRules,
    /// The integrations: service tokens, notifiers, SIEM forwarding.
    Integrations,
    /// The settings that change at run time.
    Settings,
    /// A customer, with the agents and teams that reach them through open interactions.
    Customer {
        /// The customer's id.
        id: Uuid,
        /// Agents with an open interaction (for a reveal: the named one only).
        agents: Vec<Uuid>,
        /// Those agents' teams.
        teams: Vec<String>,
        /// Verified in the interaction that reaches them (any, for a read).
        verified: bool,
    },
    /// An interaction.
    Interaction {
        /// Its id (nil before it exists).
        id: Uuid,
        /// The agent it is assigned to.
        agent: Uuid,
        /// The agent's team ("" when none).
        team: String,
        /// Still open (and not idle past the limit)?
        open: bool,
        /// Customer verified in it?
        verified: bool,
    },
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
    policies: RwLock<Policies>,
    default_ids: Vec<String>,
    cedar: cedar_policy::Authorizer,
    /// The request context, built once: `[stale MFA, fresh MFA]`.
    contexts: [Context; 2],
    /// The (principal type, action, resource type) triples whose requests the
    /// schema has accepted (see [`Authorizer::request`]).
    valid_scopes: RwLock<HashSet<Scope>>,
    /// Callers' entities, memoized by their id (see [`Authorizer::caller_entity`]).
    callers: RwLock<HashMap<Uuid, CallerEntity>>,
}

/// The most callers whose entities are memoized; past it the memo starts afresh.
const MAX_MEMOIZED_CALLERS: usize = 4096;

/// A caller's entity and everything it was built from besides the id.
struct CallerEntity {
    kind: Kind,
    role: String,
    team: String,
    entity: Entity,
}

impl CallerEntity {
    /// What `principal`'s entity is built from: (id, kind, role, team).
    fn shape(principal: &Principal) -> (Uuid, Kind, &str, &str) {
        match principal {
            Principal::Person(p) => (
                p.user.id,
                Kind::Person,
                p.user.role.as_str(),
                p.user.team.as_deref().unwrap_or(""),
            ),
            Principal::Service(s) => (s.token.id, Kind::Service, s.role.as_str(), ""),
        }
    }
}

/// A request's principal type, action and resource type: all that the schema's
/// check of a request looks at besides the context, whose shape never changes.
type Scope = (EntityTypeName, Action, EntityTypeName);

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authorizer")
    }
}

/// The policies in force, and for each action and kind of caller (a person, a
/// service token) the ones whose scope can match them.
///
/// Cedar evaluates every policy it is given, building each one's condition as it
/// goes; with the default set that was most of a masked read's CPU (BENCHMARKS.md,
/// issue 5). A policy whose action scope excludes the action, or whose principal
/// scope names another entity type (`principal is T`, `principal == T::"id"`), is
/// false for every such request before any condition or error, so leaving it out
/// changes no decision and no reason. Rebuilt whenever the policies change.
struct Policies {
    all: PolicySet,
    by_scope: HashMap<(Action, Kind), Arc<Slice>>,
    /// The decisions made under these policies (see [`decisions`]).
    decisions: Arc<DecisionMemo>,
}

/// The kinds of entity a request's principal can be.
const CALLER_KINDS: [Kind; 2] = [Kind::Person, Kind::Service];

/// One action's uid and the policies that can apply to it for one kind of caller.
struct Slice {
    action: EntityUid,
    policies: PolicySet,
}

impl Policies {
    fn new(all: PolicySet, schema: &Schema) -> Result<Self, AuthzError> {
        let groups: HashSet<&EntityUid> = schema.action_groups().collect();
        let mut by_scope = HashMap::new();
        for action in Action::ALL {
            let uid = uid(Kind::Action, action.id()).map_err(AuthzError::Invalid)?;
            let for_action: Vec<&Policy> = all
                .policies()
                .filter(|policy| match policy.action_constraint() {
                    ActionConstraint::Any => true,
                    ActionConstraint::Eq(scope) => scope == uid,
                    // A group (none in the schema today) may hold the action: kept.
                    ActionConstraint::In(scope) => scope
                        .iter()
                        .any(|member| *member == uid || groups.contains(member)),
                })
                .collect();
            for caller in CALLER_KINDS {
                let caller_type = caller.type_name().map_err(AuthzError::Invalid)?;
                let mut slice = PolicySet::new();
                for policy in for_action
                    .iter()
                    .filter(|policy| principal_may_be(policy, &caller_type))
                {
                    slice.add((*policy).clone()).map_err(invalid)?;
                }
                by_scope.insert(
                    (action, caller),
                    Arc::new(Slice {
                        action: uid.clone(),
                        policies: slice,
                    }),
                );
            }
        }
        Ok(Self {
            all,
            by_scope,
            decisions: Arc::default(),
        })
    }
}

/// Whether `policy`'s principal scope can match a principal of type `caller`.
/// `principal in X` is kept whatever X is: an entity may be in one of another type.
fn principal_may_be(policy: &Policy, caller: &EntityTypeName) -> bool {
    match policy.principal_constraint() {
        PrincipalConstraint::Any | PrincipalConstraint::In(_) => true,
        PrincipalConstraint::Eq(scope) => scope.type_name() == caller,
        PrincipalConstraint::Is(scope) | PrincipalConstraint::IsIn(scope, _) => scope == *caller,
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
        let policies = Policies::new(policies, &schema)?;
        Ok(Self {
            schema,
            policies: RwLock::new(policies),
            default_ids,
            cedar: cedar_policy::Authorizer::new(),
            contexts: [context(false)?, context(true)?],
            valid_scopes: RwLock::new(HashSet::new()),
            callers: RwLock::new(HashMap::new()),
        })
    }

    /// Every policy in force: (id, shipped by default?, text).
    pub fn policy_listing(&self) -> Vec<(String, bool, String)> {
        let policies = self
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        policies
            .all
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
            .all
            .clone();
        candidate.add(parse_one(id, text)?).map_err(invalid)?;
        validate(&self.schema, &candidate)?;
        Ok(candidate)
    }

    /// Adds a policy after validating it, with every policy in force, against the
    /// schema; nothing changes if it does not validate. The error explains why.
    pub fn add_policy(&self, id: &str, text: &str) -> Result<(), AuthzError> {
        let candidate = Policies::new(self.candidate_with(id, text)?, &self.schema)?;
        *self
            .policies
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = candidate;
        Ok(())
    }

    /// Brings the administrator-added policies in line with `extra` (the store's list,
    /// which another node may have added to). Added policies are never edited or
    /// removed, so their ids tell whether anything changed. True if it did.
    pub fn reload_added(&self, extra: &[(String, String)]) -> Result<bool, AuthzError> {
        let current: HashSet<String> = self
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .all
            .policies()
            .map(|p| p.id().to_string())
            .filter(|id| !self.default_ids.contains(id))
            .collect();
        let wanted: HashSet<String> = extra.iter().map(|(id, _)| id.clone()).collect();
        if current == wanted {
            return Ok(false);
        }
        let fresh = Self::with_defaults_and(extra)?;
        let policies = fresh
            .policies
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *self
            .policies
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = policies;
        Ok(true)
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
        let (slice, memo) = self.slice(action, principal)?;
        let (caller, kind, role, team) = CallerEntity::shape(principal);
        let question = Question {
            action,
            caller,
            kind,
            role,
            team,
            resource,
            mfa_fresh,
        };
        let slot = memo.slot(&question);
        if let Some(known) = slot.and_then(|slot| memo.recall(slot, &question)) {
            return Ok(known);
        }
        let (request, entities) =
            self.request(principal, action, slice.action.clone(), resource, mfa_fresh)?;
        let decision = self.decide(&request, &slice.policies, &entities);
        if let Some(slot) = slot {
            memo.remember(slot, &question, &decision);
        }
        Ok(decision)
    }

    /// The policies in force that can apply to `principal` doing `action`, with
    /// the action's uid, and the memo of decisions made under the same policies
    /// (taken together, so a decision is never remembered under other policies).
    fn slice(
        &self,
        action: Action,
        principal: &Principal,
    ) -> Result<(Arc<Slice>, Arc<DecisionMemo>), AuthzError> {
        let (_, caller, _, _) = CallerEntity::shape(principal);
        let policies = self
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slice = policies
            .by_scope
            .get(&(action, caller))
            .cloned()
            .ok_or_else(|| AuthzError::Request("an action without its policies".into()))?;
        Ok((slice, policies.decisions.clone()))
    }

    /// Cedar's decision on `request` under `policies`.
    fn decide(
        &self,
        request: &Request,
        policies: &PolicySet,
        entities: &Entities,
    ) -> AuthzDecision {
        let response = self.cedar.is_authorized(request, policies, entities);
        // Cedar reports them as a set; sorted, the same decision always reads the same.
        let mut reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        reasons.sort_unstable();
        AuthzDecision {
            allowed: response.decision() == Decision::Allow,
            policies: reasons,
        }
    }

    /// `principal` as a Cedar entity. Building one evaluates each attribute and
    /// cost a few percent of a masked read; a clone of the one built before for
    /// the same id, kind, role and team is the same entity. Any change to them
    /// (a new role, another team) builds it afresh.
    fn caller_entity(&self, principal: &Principal) -> Result<Entity, String> {
        let (id, kind, role, team) = CallerEntity::shape(principal);
        if let Some(known) = self
            .callers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .filter(|k| k.kind == kind && k.role == role && k.team == team)
        {
            return Ok(known.entity.clone());
        }
        let entity = principal_entity(principal)?;
        let mut callers = self
            .callers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if callers.len() >= MAX_MEMOIZED_CALLERS {
            callers.clear();
        }
        callers.insert(
            id,
            CallerEntity {
                kind,
                role: role.to_owned(),
                team: team.to_owned(),
                entity: entity.clone(),
            },
        );
        Ok(entity)
    }

    /// The Cedar request and entities for `principal` doing `action` to `resource`.
    fn request(
        &self,
        principal: &Principal,
        action: Action,
        action_uid: EntityUid,
        resource: &Resource,
        mfa_fresh: bool,
    ) -> Result<(Request, Entities), AuthzError> {
        let request_error = |e: &dyn std::fmt::Display| AuthzError::Request(e.to_string());
        let principal_entity = self
            .caller_entity(principal)
            .map_err(|e| request_error(&e))?;
        let principal_uid = principal_entity.uid();
        let mut entities = vec![principal_entity];
        let resource_uid = match resource {
            singleton @ (Resource::AuditTrail
            | Resource::AccessReview
            | Resource::PolicyStore
            | Resource::CustomerDirectory
            | Resource::CardVault
            | Resource::Redactor
            | Resource::Alerts
            | Resource::DetectionRules
            | Resource::Integrations
            | Resource::Settings) => {
                let (kind, id) = singleton_uid(singleton)
                    .ok_or_else(|| request_error(&"not a singleton resource"))?;
                let uid = uid(kind, id).map_err(|e| request_error(&e))?;
                entities.push(Entity::new_no_attrs(uid.clone(), HashSet::new()));
                uid
            }
            Resource::Customer {
                id,
                agents,
                teams,
                verified,
            } => {
                let customer_uid =
                    uid(Kind::Customer, &id.to_string()).map_err(|e| request_error(&e))?;
                let agents = agents
                    .iter()
                    .map(|a| uid_of_person(*a).map(RestrictedExpression::new_entity_uid))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| request_error(&e))?;
                let attrs = HashMap::from([
                    (
                        "assigned_agents".to_owned(),
                        RestrictedExpression::new_set(agents),
                    ),
                    (
                        "assigned_teams".to_owned(),
                        RestrictedExpression::new_set(teams.iter().map(|t| string(t))),
                    ),
                    (
                        "verified".to_owned(),
                        RestrictedExpression::new_bool(*verified),
                    ),
                ]);
                entities.push(
                    Entity::new(customer_uid.clone(), attrs, HashSet::new())
                        .map_err(|e| request_error(&e))?,
                );
                customer_uid
            }
            Resource::Interaction {
                id,
                agent,
                team,
                open,
                verified,
            } => {
                let uid = uid(Kind::Interaction, &id.to_string()).map_err(|e| request_error(&e))?;
                let agent_uid = uid_of_person(*agent).map_err(|e| request_error(&e))?;
                let attrs = HashMap::from([
                    (
                        "agent".to_owned(),
                        RestrictedExpression::new_entity_uid(agent_uid),
                    ),
                    ("team".to_owned(), string(team)),
                    ("open".to_owned(), RestrictedExpression::new_bool(*open)),
                    (
                        "verified".to_owned(),
                        RestrictedExpression::new_bool(*verified),
                    ),
                ]);
                entities.push(
                    Entity::new(uid.clone(), attrs, HashSet::new())
                        .map_err(|e| request_error(&e))?,
                );
                uid
            }
            Resource::Caller => principal_uid.clone(),
            Resource::Session { id, owner } => {
                let owner_entity = person_entity(owner).map_err(|e| request_error(&e))?;
                let owner_uid = owner_entity.uid();
                if owner_uid != principal_uid {
                    entities.push(owner_entity);
                }
                let session_uid = uid(Kind::Session, id).map_err(|e| request_error(&e))?;
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
        // Built here from typed records, so their shape is right by construction; the
        // request itself is validated against the schema below. (Validating the
        // entities too cost as much as evaluating every policy.) Schema actions have no
        // groups, so no action entities are needed for `action in [...]`.
        let entities = Entities::from_entities(entities, None).map_err(|e| request_error(&e))?;
        let context = self.contexts[usize::from(mfa_fresh)].clone();
        // The schema's check of a request looks only at the principal's and the
        // resource's types, the action and the context's shape; once it has accepted
        // a triple, it would accept it again (and cost a few percent of a masked
        // read each time). A triple it refuses is never remembered, so stays denied.
        let scope = (
            principal_uid.type_name().clone(),
            action,
            resource_uid.type_name().clone(),
        );
        let known = self
            .valid_scopes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&scope);
        let schema = (!known).then_some(&self.schema);
        let request = Request::new(principal_uid, action_uid, resource_uid, context, schema)
            .map_err(|e| request_error(&e))?;
        if !known {
            self.valid_scopes
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(scope);
        }
        Ok((request, entities))
    }
}

/// The request context: whether the caller passed MFA recently.
fn context(mfa_fresh: bool) -> Result<Context, AuthzError> {
    Context::from_pairs([(
        "mfa_fresh".to_owned(),
        RestrictedExpression::new_bool(mfa_fresh),
    )])
    .map_err(invalid)
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

/// The entity type and id of a resource of which there is only one.
fn singleton_uid(resource: &Resource) -> Option<(Kind, &'static str)> {
    Some(match resource {
        Resource::AuditTrail => (Kind::AuditTrail, "trail"),
        Resource::AccessReview => (Kind::AccessReview, "review"),
        Resource::PolicyStore => (Kind::PolicyStore, "policies"),
        Resource::CustomerDirectory => (Kind::CustomerDirectory, "customers"),
        Resource::CardVault => (Kind::CardVault, "cards"),
        Resource::Redactor => (Kind::Redactor, "redactor"),
        Resource::Alerts => (Kind::AlertQueue, "alerts"),
        Resource::DetectionRules => (Kind::RuleSet, "rules"),
        Resource::Integrations => (Kind::Integrations, "integrations"),
        Resource::Settings => (Kind::Settings, "settings"),
        _ => return None,
    })
}

/// The schema's entity types that requests name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Person,
    Service,
    Customer,
    Interaction,
    Session,
    Action,
    AuditTrail,
    AccessReview,
    PolicyStore,
    CustomerDirectory,
    CardVault,
    Redactor,
    AlertQueue,
    RuleSet,
    Integrations,
    Settings,
}

impl Kind {
    /// Every kind, in declaration order (a kind's index is its discriminant).
    const ALL: [Kind; 16] = [
        Kind::Person,
        Kind::Service,
        Kind::Customer,
        Kind::Interaction,
        Kind::Session,
        Kind::Action,
        Kind::AuditTrail,
        Kind::AccessReview,
        Kind::PolicyStore,
        Kind::CustomerDirectory,
        Kind::CardVault,
        Kind::Redactor,
        Kind::AlertQueue,
        Kind::RuleSet,
        Kind::Integrations,
        Kind::Settings,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Person => "Custos::Person",
            Kind::Service => "Custos::Service",
            Kind::Customer => "Custos::Customer",
            Kind::Interaction => "Custos::Interaction",
            Kind::Session => "Custos::Session",
            Kind::Action => "Custos::Action",
            Kind::AuditTrail => "Custos::AuditTrail",
            Kind::AccessReview => "Custos::AccessReview",
            Kind::PolicyStore => "Custos::PolicyStore",
            Kind::CustomerDirectory => "Custos::CustomerDirectory",
            Kind::CardVault => "Custos::CardVault",
            Kind::Redactor => "Custos::Redactor",
            Kind::AlertQueue => "Custos::AlertQueue",
            Kind::RuleSet => "Custos::RuleSet",
            Kind::Integrations => "Custos::Integrations",
            Kind::Settings => "Custos::Settings",
        }
    }

    /// The parsed type name. Cedar parses a type name with its whole grammar, which
    /// was a tenth of a masked read's CPU when done per request (BENCHMARKS.md,
    /// issue 5); each is parsed once.
    fn type_name(self) -> Result<EntityTypeName, String> {
        static PARSED: LazyLock<Vec<Result<EntityTypeName, String>>> = LazyLock::new(|| {
            Kind::ALL
                .iter()
                .map(|kind| EntityTypeName::from_str(kind.name()).map_err(|e| e.to_string()))
                .collect()
        });
        PARSED[self as usize].clone()
    }
}

fn uid(kind: Kind, id: &str) -> Result<EntityUid, String> {
    Ok(EntityUid::from_type_name_and_id(
        kind.type_name()?,
        EntityId::new(id),
    ))
}

fn uid_of_person(id: Uuid) -> Result<EntityUid, String> {
    uid(Kind::Person, &id.to_string())
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
        uid(Kind::Person, &user.id.to_string())?,
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
            Entity::new(uid(Kind::Service, &principal.id())?, attrs, HashSet::new())
                .map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use custos_auth::role::Role;
    use custos_store::{ServiceTokenRecord, SessionRecord, UserRecord};
    use uuid::Uuid;

    use cedar_policy::{EntityUid, Request};

    use super::{Action, Authorizer, Kind, Resource};
    use crate::auth::{PersonPrincipal, Principal, ServicePrincipal};
    use crate::http::invitations::account_to_be;

    fn user(role: Role, team: &str) -> UserRecord {
        let username = format!("{}-{team}", role.as_str());
        let mut user = account_to_be(&username, role, Some(team.into()));
        user.id = Uuid::new_v4();
        user
    }

    fn person(role: Role, user: UserRecord) -> Principal {
        Principal::Person(Box::new(PersonPrincipal {
            role,
            session: SessionRecord::signed_in(user.id, 0, None, None),
            user,
            expires_at: 0,
        }))
    }

    /// A caller's memoized entity never outlives what it was built from: the same
    /// account moved to another team, or given another role, is decided as it now is.
    #[test]
    fn a_changed_caller_is_decided_afresh() {
        let authz = Authorizer::with_defaults().unwrap();
        let customer = Resource::Customer {
            id: Uuid::new_v4(),
            agents: Vec::new(),
            teams: vec!["blue".into()],
            verified: false,
        };
        let reads = |account: &UserRecord, role: Role| {
            authz
                .authorize(
                    &person(role, account.clone()),
                    Action::ReadCustomer,
                    &customer,
                    true,
                )
                .allowed
        };
        let mut account = user(Role::Supervisor, "blue");
        assert!(reads(&account, Role::Supervisor));
        account.team = Some("red".into());
        assert!(!reads(&account, Role::Supervisor));
        account.team = Some("blue".into());
        assert!(reads(&account, Role::Supervisor));
        account.role = Role::Agent.as_str().into();
        assert!(!reads(&account, Role::Agent));
    }

    /// Every kind sits at its own index, parses, and is an entity type of the schema
    /// (the actions' type aside, which the schema declares as actions).
    #[test]
    fn kinds_are_the_schema_entity_types() {
        let authz = Authorizer::with_defaults().unwrap();
        let declared: Vec<String> = authz
            .schema
            .entity_types()
            .map(ToString::to_string)
            .collect();
        for (index, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, index, "{kind:?} is out of order");
            let name = kind.type_name().unwrap().to_string();
            assert_eq!(name, kind.name());
            if kind != Kind::Action {
                assert!(declared.contains(&name), "{name} is not in the schema");
            }
        }
    }

    /// The per-action slices, and the decisions they remember, decide exactly as
    /// the whole policy set does: every action, every role as a person and as a
    /// token, resources the principal is and is not linked to, with and without a
    /// fresh second factor — also after an administrator's policy is added, which
    /// must forget every decision remembered under the policies before it (a stale
    /// one would differ from the whole set's here).
    #[test]
    fn slices_decide_as_the_whole_set_does() {
        let authz = Authorizer::with_defaults().unwrap();
        assert_eq!(Action::ALL.len(), authz.schema.actions().count());
        let mut principals = Vec::new();
        let mut resources = vec![
            Resource::AuditTrail,
            Resource::AccessReview,
            Resource::PolicyStore,
            Resource::Caller,
            Resource::CustomerDirectory,
            Resource::CardVault,
            Resource::Redactor,
            Resource::Alerts,
            Resource::DetectionRules,
            Resource::Integrations,
            Resource::Settings,
        ];
        for role in Role::ALL {
            let person_user = user(role, "billing");
            principals.push(person(role, person_user.clone()));
            principals.push(Principal::Service(ServicePrincipal {
                role,
                token: ServiceTokenRecord {
                    id: Uuid::new_v4(),
                    name: format!("token-{}", role.as_str()),
                    role: role.as_str().into(),
                    created_at: 0,
                    expires_at: i64::MAX,
                    revoked_at: None,
                    last_used_at: None,
                },
            }));
            for (linked, verified) in [(true, true), (true, false), (false, true)] {
                let agent = if linked {
                    person_user.id
                } else {
                    Uuid::new_v4()
                };
                resources.push(Resource::Customer {
                    id: Uuid::new_v4(),
                    agents: vec![agent],
                    teams: vec![if linked { "billing" } else { "retail" }.into()],
                    verified,
                });
                resources.push(Resource::Interaction {
                    id: Uuid::new_v4(),
                    agent,
                    team: if linked { "billing" } else { "retail" }.into(),
                    open: verified,
                    verified,
                });
            }
            resources.push(Resource::Account(person_user.clone()));
            resources.push(Resource::Session {
                id: "s".into(),
                owner: person_user,
            });
        }
        let compare = |authz: &Authorizer| {
            let mut allowed = 0;
            for principal in &principals {
                for action in Action::ALL {
                    for resource in &resources {
                        for fresh in [false, true] {
                            let sliced = authz.authorize(principal, action, resource, fresh);
                            // Asked again, the decision comes from the memo, and is the same.
                            let remembered = authz.authorize(principal, action, resource, fresh);
                            assert_eq!(sliced, remembered, "{action:?} on {resource:?}");
                            // Requests the schema refuses (resource not of the action's types) are denied either way.
                            let action_uid =
                                authz.slice(action, principal).unwrap().0.action.clone();
                            let Ok((request, entities)) =
                                authz.request(principal, action, action_uid, resource, fresh)
                            else {
                                assert!(!sliced.allowed);
                                continue;
                            };
                            // The remembered scopes (this runs twice) admit only what the schema admits.
                            let part = |uid: Option<&EntityUid>| uid.unwrap().clone();
                            let checked = Request::new(
                                part(request.principal()),
                                part(request.action()),
                                part(request.resource()),
                                request.context().unwrap().clone(),
                                Some(&authz.schema),
                            );
                            assert!(checked.is_ok(), "{action:?} on {resource:?}");
                            let all = authz.policies.read().unwrap().all.clone();
                            let whole = authz.decide(&request, &all, &entities);
                            assert_eq!(sliced, whole, "{action:?} on {resource:?}");
                            allowed += usize::from(whole.allowed);
                        }
                    }
                }
            }
            allowed
        };
        let before = compare(&authz);
        assert!(before > 0);
        authz
            .add_policy(
                "supervisors-read-trail",
                "permit (principal is Custos::Person, action in [Custos::Action::\"audit.read\"], \
                 resource is Custos::AuditTrail) when { principal.role == \"supervisor\" };",
            )
            .unwrap();
        let with_supervisors = compare(&authz);
        assert!(with_supervisors > before);
        // Principal scopes naming one entity, or one type, slice by the caller's kind;
        // `principal in` is kept for both kinds.
        let token = principals
            .iter()
            .find_map(|p| match p {
                Principal::Service(s) if s.role == Role::Admin => Some(s.token.id),
                _ => None,
            })
            .unwrap();
        let person_id = principals
            .iter()
            .find_map(|p| match p {
                Principal::Person(p) if p.role == Role::Agent => Some(p.user.id),
                _ => None,
            })
            .unwrap();
        authz
            .add_policy(
                "one-token-reads-trail",
                &format!(
                    "permit (principal == Custos::Service::\"{token}\", \
                     action == Custos::Action::\"audit.read\", resource is Custos::AuditTrail);"
                ),
            )
            .unwrap();
        authz
            .add_policy(
                "one-agent-reads-trail",
                &format!(
                    "permit (principal in Custos::Person::\"{person_id}\", \
                     action == Custos::Action::\"audit.read\", resource is Custos::AuditTrail);"
                ),
            )
            .unwrap();
        let with_one_each = compare(&authz);
        assert!(with_one_each > with_supervisors);
        authz
            .add_policy(
                "no-token-redacts",
                "forbid (principal is Custos::Service, action == Custos::Action::\"text.redact\", \
                 resource);",
            )
            .unwrap();
        assert!(compare(&authz) < with_one_each);
    }
}
