//! Request bodies that may carry customer data. They are parsed here rather than
//! by axum's `Json` extractor, whose rejections quote the offending input: a
//! malformed body is answered with a fixed message naming at most a field, so no
//! customer value can reach a response or a log. A card security code anywhere in
//! such a body is refused outright (PCI DSS 3.3.1).

use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http::error::ApiError;
use crate::vault::VaultError;

/// Keys that name a card security code, compared without case, `_` or `-`.
const CVV_KEYS: &[&str] = &[
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "cid",
    "csc",
    "cvn",
    "securitycode",
    "cardsecuritycode",
    "cardverificationvalue",
    "cardverificationcode",
];

fn is_cvv_key(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    CVV_KEYS.contains(&folded.as_str())
}

fn holds_cvv(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| is_cvv_key(k) || holds_cvv(v)),
        Value::Array(items) => items.iter().any(holds_cvv),
        _ => false,
    }
}

/// Parses a body that may carry customer data into `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], shape: &'static str) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request body is not valid JSON.",
        )
    })?;
    if holds_cvv(&value) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "cvv_not_storable",
            "Card security codes (CVV/CVC) are never accepted or stored; remove it and send again.",
        ));
    }
    serde_json::from_value(value).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!(
                "The request body does not have the shape of {shape} (see the OpenAPI document)."
            ),
        )
    })
}

/// The answer for a vault error: a stable code and plain words, no value.
pub fn vault_error(e: VaultError) -> ApiError {
    match e {
        VaultError::Store(cause) => ApiError::unavailable(&cause),
        VaultError::Audit(cause) => {
            tracing::error!(error = %cause, "vault action refused: the audit trail cannot record it");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit_unavailable",
                "The audit trail cannot record this action right now, so it was not done.",
            )
        }
        VaultError::Crypto(_) | VaultError::KeyUnavailable => {
            tracing::error!(error = %e, "vault key operation failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "key_unavailable",
                "A vault key is unavailable.",
            )
        }
        VaultError::Integrity { .. } => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "integrity_check_failed",
            "A stored value failed its integrity check; nothing was shown and the failure was recorded.",
        ),
        VaultError::NotFound(what) => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No such {what}."),
        ),
        VaultError::Deleted => ApiError::new(
            StatusCode::GONE,
            "customer_deleted",
            "This customer was deleted; their data was destroyed.",
        ),
        VaultError::Invalid(message) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
        }
        VaultError::NotRevealable(field) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_revealable",
            format!("{field} is never revealed to people; payment services detokenize cards."),
        ),
        VaultError::RateLimited { retry_after } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "reveal_rate_limited",
            format!("Too many reveals; try again in {retry_after} seconds."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cvv_is_found_anywhere() {
        for body in [
            r#"{"cvv":"123"}"#,
            r#"{"card":{"number":"4111111111111111","CVC2":"123"}}"#,
            r#"{"notes":[{"security_code":"123"}]}"#,
            r#"{"card":{"card-verification-value":"1234"}}"#,
        ] {
            let value: Value = serde_json::from_str(body).unwrap();
            assert!(holds_cvv(&value), "{body}");
        }
        let value: Value =
            serde_json::from_str(r#"{"name":"cvv","card":{"expiry":"01/30"}}"#).unwrap();
        assert!(!holds_cvv(&value), "a value that says cvv is not a cvv");
    }

    #[test]
    fn errors_never_quote_the_input() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code, reason = "the shape is what is tested")]
        struct Shape {
            n: u32,
        }
        let err = parse::<Shape>(br#"{"n":"4111111111111111"}"#, "a shape").unwrap_err();
        let text = format!("{err:?}");
        assert!(!text.contains("4111"), "{text}");
    }
}
