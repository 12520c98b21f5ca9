//! The customer vault over HTTP: create (`POST /api/v1/customers`), read masked
//! (`GET /api/v1/customers/{id}`), reveal one field with a reason
//! (`POST /api/v1/customers/{id}/reveal`), delete by crypto-shredding
//! (`DELETE /api/v1/customers/{id}`), search by blind index
//! (`POST /api/v1/customers/search`) and detokenize a card
//! (`POST /api/v1/cards/detokenize`). Values travel in bodies, never in URLs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_auth::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Principal;
use crate::authz::{Action, Resource};
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::vault_body::{self, vault_error};
use crate::state::AppState;
use crate::vault::fields::{self, AddressInput, Field};
use crate::vault::masking::Audience;
use crate::vault::{LoadedCustomer, MaskedCard, MaskedCustomer, NewCustomerValues, RevealReason};

/// A card as given at the door.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// The card number (13 to 19 digits; spaces and dashes allowed). Tokenized at once.
    pub number: String,
    /// `MM/YY` or `MM/YYYY`.
    pub expiry: String,
}

/// A new customer. Every field is optional; a `cvv` anywhere is refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Full name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    /// US Social Security number.
    pub ssn: Option<String>,
    /// One line, or its parts.
    pub address: Option<AddressInput>,
    /// Bank or loyalty account number.
    pub account_number: Option<String>,
    /// A payment card.
    pub card: Option<CardInput>,
}

impl CustomerInput {
    fn into_values(self) -> Result<NewCustomerValues, ApiError> {
        let invalid = |e: fields::FieldError| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_customer",
                e.to_string(),
            )
        };
        let mut values = Vec::new();
        let address = self.address.map(|a| a.to_line());
        for (field, raw) in [
            (Field::Name, self.name),
            (Field::Email, self.email),
            (Field::Phone, self.phone),
            (Field::DateOfBirth, self.date_of_birth),
            (Field::Ssn, self.ssn),
            (Field::Address, address),
            (Field::AccountNumber, self.account_number),
        ] {
            if let Some(raw) = raw {
                values.push(fields::parse_value(field, &raw).map_err(invalid)?);
            }
        }
        let card = match self.card {
            Some(card) => {
                let number = fields::parse_card_number(&card.number).ok_or_else(|| {
                    invalid(fields::FieldError {
                        field: "card.number",
                        problem: "is not a valid card number",
                    })
                })?;
                let expiry =
                    fields::parse_value(Field::CardExpiry, &card.expiry).map_err(invalid)?;
                Some((number, expiry.value))
            }
            None => None,
        };
        if values.is_empty() && card.is_none() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_customer",
                "Give at least one field.",
            ));
        }
        Ok(NewCustomerValues { values, card })
    }
}

/// A card as shown: never more than BIN and last four.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardView {
    /// The token that stands in for the number.
    pub token: String,
    /// Brand.
    pub brand: String,
    /// First six digits (integrations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// Last four digits.
    pub last4: String,
    /// Expiry `MM/YY` (not for investigations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
}

impl From<MaskedCard> for CardView {
    fn from(c: MaskedCard) -> Self {
        Self {
            token: c.token,
            brand: c.brand,
            bin: c.bin,
            last4: c.last4,
            expiry: c.expiry,
        }
    }
}

/// A customer just created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCustomer {
    /// Its id.
    pub id: Uuid,
    /// The tokenized card, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<CardView>,
}

/// A customer record, masked for the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// Id.
    pub id: Uuid,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Always true: reveal a field to see it in clear.
    pub masked: bool,
    /// Whether the customer was verified in an open interaction that reaches them.
    pub verified: bool,
    /// True when only the masked header is shown: agents see the rest once the
    /// customer is verified in their interaction (`POST /interactions/{id}/verification`).
    pub header_only: bool,
    /// Full name (initials for investigations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// e.g. `j***@example.com`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Last digits only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The year at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// `***-**-1234`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssn: Option<String>,
    /// City and postcode area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Last four.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    /// The card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<CardView>,
}

impl CustomerView {
    /// The masked header alone: id, creation time and name, no other field.
    fn header(id: Uuid, created_at: String, name: Option<String>) -> Self {
        Self {
            id,
            created_at,
            masked: true,
            verified: false,
            header_only: false,
            name,
            email: None,
            phone: None,
            date_of_birth: None,
            ssn: None,
            address: None,
            account_number: None,
            card: None,
        }
    }
}

impl From<MaskedCustomer> for CustomerView {
    fn from(m: MaskedCustomer) -> Self {
        let mut view = Self::header(m.id, super::rfc3339(m.created_at), None);
        view.card = m.cards.into_iter().next().map(CardView::from);
        // The masked values move into their slots (each field appears once).
        for (field, value) in m.fields {
            let slot = match field {
                Field::Name => &mut view.name,
                Field::Email => &mut view.email,
                Field::Phone => &mut view.phone,
                Field::DateOfBirth => &mut view.date_of_birth,
                Field::Ssn => &mut view.ssn,
                Field::Address => &mut view.address,
                Field::AccountNumber => &mut view.account_number,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        view
    }
}

/// How much of each field the caller's role sees.
pub(crate) fn audience_of(principal: &Principal) -> Audience {
    match principal.role() {
        Role::Agent | Role::Supervisor => Audience::Servicing,
        Role::Integration => Audience::Integration,
        _ => Audience::Investigation,
    }
}

/// The customer as a policy resource, reached through those of `interactions`
/// that are open (not closed, not idle past the limit).
pub(crate) fn customer_resource<'a>(
    state: &AppState,
    id: Uuid,
    interactions: impl IntoIterator<Item = &'a custos_store::InteractionRecord>,
) -> Resource {
    let mut agents = Vec::new();
    let mut teams = Vec::new();
    let mut verified = false;
    for i in interactions {
        if i.customer_id == id && crate::conversation::lifecycle::is_open(state, i) {
            agents.push(i.agent_id);
            if let Some(team) = i.agent_team.clone().filter(|t| !t.is_empty()) {
                teams.push(team);
            }
            verified |= i.verified_at.is_some();
        }
    }
    Resource::Customer {
        id,
        agents,
        teams,
        verified,
    }
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such customer."))
}

async fn load(state: &AppState, id: &str) -> Result<LoadedCustomer, ApiError> {
    state.vault().load(parse_id(id)?).await.map_err(vault_error)
}

/// Create a customer; the card is tokenized and a `cvv` is refused.
#[utoipa::path(post, path = "/api/v1/customers", tag = "vault",
    request_body = CustomerInput,
    responses(
        (status = 201, description = "Created", body = CreatedCustomer),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 422, description = "A field is invalid, or a CVV was sent (`cvv_not_storable`)", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::CreateCustomer,
        &Resource::CustomerDirectory,
        "customer",
    )
    .await?;
    let input: CustomerInput = vault_body::parse(&body, "a customer")?;
    let values = input.into_values()?;
    let ip = caller.ip_text();
    let (id, cards) = state
        .vault()
        .create_customer(caller.principal.actor(ip.as_deref()), values)
        .await
        .map_err(vault_error)?;
    let created = CreatedCustomer {
        id,
        card: cards.into_iter().next().map(CardView::from),
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// A customer record, masked as the caller's role allows.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "vault",
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The masked record", body = CustomerView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed (agents need an open interaction with the customer)", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 410, description = "Deleted", body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, ApiError> {
    let loaded = load(&state, &id).await?;
    let resource = customer_resource(&state, loaded.id(), &loaded.open_interactions);
    super::authorize(&state, &caller, Action::ReadCustomer, &resource, "customer").await?;
    let verified = matches!(resource, Resource::Customer { verified: true, .. });
    let ip = caller.ip_text();
    let masked = state
        .vault()
        .read_masked(
            caller.principal.actor(ip.as_deref()),
            &loaded,
            audience_of(&caller.principal),
        )
        .await
        .map_err(vault_error)?;
    let mut view = CustomerView::from(masked);
    view.verified = verified;
    // Agents see the masked header only until the customer is verified.
    if caller.principal.role() == Role::Agent && !verified {
        view = CustomerView {
            header_only: true,
            verified,
            ..CustomerView::header(view.id, view.created_at, view.name)
        };
    }
    Ok(Json(view))
}

/// Why a value is revealed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// A code from `vault.reveal_reasons`.
    pub code: String,
    /// Free text, 1 to 500 characters; it is recorded after redaction, without any
    /// run of three or more digits or any word with an `@`.
    pub text: String,
}

/// A reveal request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// `name`, `email`, `phone`, `date_of_birth`, `ssn`, `address`, `account_number` or `card_expiry`.
    pub field: String,
    /// The open interaction this reveal serves.
    pub interaction_id: Uuid,
    /// Why.
    pub reason: ReasonInput,
}

/// A revealed value.
#[derive(Serialize, ToSchema)]
pub struct Revealed {
    /// The field.
    pub field: String,
    /// The clear value.
    pub value: String,
}

/// Reveal one field in clear: needs the policy, an open interaction, a fresh
/// second factor and a reason; audited with the reason; rate-limited per person.
#[utoipa::path(post, path = "/api/v1/customers/{id}/reveal", tag = "vault",
    params(("id" = String, Path, description = "Customer id")),
    request_body = RevealRequest,
    responses(
        (status = 200, description = "The clear value (`Cache-Control: no-store`)", body = Revealed),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "No such customer or field", body = ErrorBody),
        (status = 422, description = "Unknown field or reason code, or a field never revealed", body = ErrorBody),
        (status = 429, description = "Too many reveals", body = ErrorBody)))]
pub async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: RevealRequest = vault_body::parse(&body, "a reveal request")?;
    let reason = RevealReason {
        code: request.reason.code,
        text: request.reason.text,
    };
    let vault = state.vault();
    let field = vault
        .check_reveal_request(&request.field, &reason)
        .map_err(vault_error)?;
    let loaded = load(&state, &id).await?;
    // Only the named interaction counts, and only if it is open and with this customer.
    let interaction = match vault.interaction(request.interaction_id).await {
        Ok(i) => Some(i),
        Err(crate::vault::VaultError::NotFound(_)) => None,
        Err(e) => return Err(vault_error(e)),
    };
    let resource = customer_resource(&state, loaded.id(), interaction.iter());
    super::authorize(
        &state,
        &caller,
        Action::RevealCustomerField,
        &resource,
        "customer",
    )
    .await?;
    let ip = caller.ip_text();
    let value = vault
        .reveal(
            caller.principal.actor(ip.as_deref()),
            &loaded,
            field,
            request.interaction_id,
            &reason,
        )
        .await
        .map_err(|e| {
            let retry = match &e {
                crate::vault::VaultError::RateLimited { retry_after } => Some(*retry_after),
                _ => None,
            };
            (vault_error(e), retry)
        });
    match value {
        Ok(value) => Ok(Json(Revealed {
            field: field.as_str().to_owned(),
            value: value.as_str().to_owned(),
        })
        .into_response()),
        Err((error, Some(retry_after))) => {
            let mut response = error.into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after.to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
            Ok(response)
        }
        Err((error, None)) => Err(error),
    }
}

/// Delete a customer: their data key is destroyed, every ciphertext of theirs
/// becomes unreadable, and a tombstone stays for the audit trail.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "vault",
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 410, description = "Already deleted", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let loaded = load(&state, &id).await?;
    let resource = customer_resource(&state, loaded.id(), &loaded.open_interactions);
    super::authorize(
        &state,
        &caller,
        Action::DeleteCustomer,
        &resource,
        "customer",
    )
    .await?;
    let ip = caller.ip_text();
    state
        .vault()
        .delete(caller.principal.actor(ip.as_deref()), &loaded)
        .await
        .map_err(vault_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A search by one field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// `phone`, `email` or `account_number`.
    pub field: String,
    /// The value to look for (normalized the way it was stored).
    pub value: String,
}

/// One match.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchMatch {
    /// Customer id.
    pub id: Uuid,
}

/// The matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// Live customers with that value (at most 100).
    pub customers: Vec<SearchMatch>,
}

/// Find customers by phone, email or account number without decrypting anything.
#[utoipa::path(post, path = "/api/v1/customers/search", tag = "vault",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "Matches", body = SearchResult),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 422, description = "Not a searchable field or not a valid value", body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<SearchResult>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::SearchCustomers,
        &Resource::CustomerDirectory,
        "customer",
    )
    .await?;
    let request: SearchRequest = vault_body::parse(&body, "a search")?;
    let ip = caller.ip_text();
    let found = state
        .vault()
        .search(
            caller.principal.actor(ip.as_deref()),
            &request.field,
            &request.value,
        )
        .await
        .map_err(vault_error)?;
    Ok(Json(SearchResult {
        customers: found.into_iter().map(|id| SearchMatch { id }).collect(),
    }))
}

/// A token to exchange.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetokenizeRequest {
    /// `tok_…`.
    pub token: String,
}

/// The card behind a token.
#[derive(Serialize, ToSchema)]
pub struct Detokenized {
    /// The card number.
    pub number: String,
    /// `MM/YY`.
    pub expiry: String,
}

/// Exchange a card token for the card number (payment services only; audited).
#[utoipa::path(post, path = "/api/v1/cards/detokenize", tag = "vault",
    request_body = DetokenizeRequest,
    responses(
        (status = 200, description = "The card (`Cache-Control: no-store`)", body = Detokenized),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such card", body = ErrorBody)))]
pub async fn detokenize(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Detokenized>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::DetokenizeCard,
        &Resource::CardVault,
        "card",
    )
    .await?;
    let request: DetokenizeRequest = vault_body::parse(&body, "a detokenize request")?;
    let ip = caller.ip_text();
    let (number, expiry) = state
        .vault()
        .detokenize(caller.principal.actor(ip.as_deref()), &request.token)
        .await
        .map_err(vault_error)?;
    Ok(Json(Detokenized {
        number: number.as_str().to_owned(),
        expiry: expiry.as_str().to_owned(),
    }))
}
