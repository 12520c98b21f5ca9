//! The integrations page: the service tokens integrations authenticate with
//! (administrators create them, administrators and security officers revoke
//! them) and the outside systems Custos talks to (mail and SMS notifiers, alert
//! webhooks, SIEM forwarding with its backlog), read from the running
//! configuration by host name only, never a credential.

use axum::extract::State;
use axum::response::Response;
use custos_store::AuditStore as _;

use super::{Chrome, Viewer, error_page, render};
use crate::audit::forward::{hec, syslog};
use crate::auth::{DEFAULT_TOKEN_DAYS, MAX_SERVICE_TOKEN_DAYS};
use crate::authz::{Action, Resource};
use crate::config::WebhookUrl;
use crate::http::error::ApiError;
use crate::http::service_tokens::ServiceTokenView;
use crate::state::AppState;

/// One outside system: what it is for, where it is, and how it is doing.
struct Connection {
    purpose: &'static str,
    target: Option<String>,
    state: String,
}

#[derive(askama::Template)]
#[template(path = "console/integrations.html")]
struct IntegrationsPage {
    chrome: Chrome,
    tokens: Vec<ServiceTokenView>,
    connections: Vec<Connection>,
    can_create: bool,
    can_revoke: bool,
    default_days: i64,
    max_days: i64,
}

/// `GET /console/integrations`.
pub(crate) async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let chrome = viewer.chrome(&state, "/console/integrations");
    let (can_create, can_revoke) = (
        viewer.may(&state, Action::CreateServiceToken, &Resource::Integrations),
        viewer.may(&state, Action::RevokeServiceToken, &Resource::Integrations),
    );
    let tokens = match crate::http::service_tokens::list(State(state.clone()), viewer.caller).await
    {
        Ok(list) => list.0,
        Err(e) => return error_page(&e),
    };
    let connections = match connections(&state).await {
        Ok(connections) => connections,
        Err(e) => return error_page(&e),
    };
    render(&IntegrationsPage {
        chrome,
        tokens,
        connections,
        can_create,
        can_revoke,
        default_days: DEFAULT_TOKEN_DAYS,
        max_days: MAX_SERVICE_TOKEN_DAYS,
    })
}

/// The configured outside systems; SIEM sinks with how far behind the trail they are.
async fn connections(state: &AppState) -> Result<Vec<Connection>, ApiError> {
    let config = state.config();
    let notify = &config.notify;
    let configured = |purpose, target: Option<String>| Connection {
        purpose,
        state: if target.is_some() {
            "configured"
        } else {
            "not configured"
        }
        .to_owned(),
        target,
    };
    let host = |url: Option<&WebhookUrl>| url.map(|u| u.host().to_owned());
    let mut list = vec![
        configured(
            "Verification codes by email (SMTP)",
            notify.smtp_url.as_ref().map(|u| u.host().to_owned()),
        ),
        configured(
            "Verification codes by SMS (webhook)",
            host(notify.sms_webhook.as_ref()),
        ),
        configured(
            "Detection alerts (webhook)",
            host(notify.alert_webhook.as_ref()),
        ),
        configured(
            "Detection alerts (email)",
            notify
                .alert_email
                .as_ref()
                .map(|_| "through the SMTP relay".to_owned()),
        ),
    ];
    let forward = &config.audit.forward;
    let head = if forward.syslog.is_some() || forward.http.is_some() {
        state
            .store()
            .audit_head()
            .await
            .map_err(|e| ApiError::unavailable(&e))?
            .seq
    } else {
        0
    };
    let sinks = [
        (
            "Audit trail to the SIEM (syslog over TLS)",
            syslog::SINK_NAME,
            forward
                .syslog
                .as_ref()
                .map(|s| format!("{}:{}", s.host, s.port)),
        ),
        (
            "Audit trail to the SIEM (HTTP, Splunk HEC)",
            hec::SINK_NAME,
            forward.http.as_ref().map(|h| h.host().to_owned()),
        ),
    ];
    for (purpose, sink, target) in sinks {
        let state_text = match &target {
            None => "not configured".to_owned(),
            Some(_) => {
                let delivered = state
                    .store()
                    .audit_cursor(sink)
                    .await
                    .map_err(|e| ApiError::unavailable(&e))?;
                match head.saturating_sub(delivered) {
                    0 => "up to date".to_owned(),
                    1 => "1 event waiting".to_owned(),
                    n => format!("{n} events waiting"),
                }
            }
        };
        list.push(Connection {
            purpose,
            target,
            state: state_text,
        });
    }
    Ok(list)
}
