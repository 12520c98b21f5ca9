//! A finding becomes an alert, and its responses are carried out one by one; each
//! is audited with its outcome and listed on the alert. A response that cannot be
//! carried out (no such account, channel not configured) is recorded as failed;
//! the others still run.

use std::net::IpAddr;

use custos_audit::Outcome;
use custos_detect::{Channel, Finding, Response};
use custos_store::{AlertRecord, DetectionStore as _};
use serde_json::json;
use uuid::Uuid;

use super::events;
use crate::audit::event_time_ms;
use crate::auth::Because;
use crate::state::AppState;

/// Records `finding` as an alert, runs its responses, and returns the alert's id.
/// Fails only when the store or the audit trail cannot record it.
pub async fn respond(state: &AppState, finding: Finding) -> Result<Uuid, String> {
    let now = state.clock().unix_now().0;
    let id = Uuid::new_v4();
    let rule = finding.rule_id.as_str().to_owned();
    let alert = AlertRecord {
        id,
        rule_id: rule.clone(),
        severity: finding.severity.as_str().to_owned(),
        title: finding.title.clone(),
        summary: finding.summary.clone(),
        status: "open".to_owned(),
        actor: finding.actor.clone(),
        source_ip: finding.source_ip.clone(),
        events: serde_json::to_string(&finding.events).unwrap_or_else(|_| "[]".to_owned()),
        responses: "[]".to_owned(),
        created_at: now,
        updated_at: now,
        updated_by: None,
    };
    state
        .store()
        .create_alert(&alert)
        .await
        .map_err(|e| e.to_string())?;
    state
        .audit()
        .record(events::finding_raised(
            event_time_ms(state.clock()),
            id,
            &rule,
            finding.severity.as_str(),
            finding.actor.as_deref(),
            finding.source_ip.as_deref(),
            finding.events.len(),
        ))
        .await
        .map_err(|e| e.to_string())?;
    let mut taken = Vec::new();
    for response in &finding.responses {
        let (outcome, status) = carry_out(state, id, &finding, *response).await;
        state
            .audit()
            .record(events::response_taken(
                event_time_ms(state.clock()),
                id,
                &rule,
                response.name(),
                outcome,
                &status,
            ))
            .await
            .map_err(|e| e.to_string())?;
        taken.push(json!({
            "response": response.name(),
            "outcome": outcome.as_str(),
            "status": status,
        }));
    }
    let taken = serde_json::to_string(&taken).unwrap_or_else(|_| "[]".to_owned());
    state
        .store()
        .update_alert(id, "open", Some(&taken), "custos", now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(id)
}

/// Runs one response; the outcome and a short status code.
async fn carry_out(
    state: &AppState,
    alert: Uuid,
    finding: &Finding,
    response: Response,
) -> (Outcome, String) {
    let rule = finding.rule_id.as_str();
    let actor = custos_audit::Actor {
        name: Some(format!("detection:{rule}")),
        ..custos_audit::Actor::system()
    };
    let account = || async {
        match &finding.actor {
            Some(name) => state.auth().user_named(name).await.ok(),
            None => None,
        }
    };
    let result: Result<String, String> = match response {
        Response::Alert => Ok("recorded".to_owned()),
        Response::LockAccount => match account().await {
            Some(user) => {
                let until = state.clock().unix_now().0.saturating_add(
                    i64::try_from(state.settings().get().lockout.duration.as_secs())
                        .unwrap_or(1800),
                );
                state
                    .auth()
                    .lock_user(actor, &user, until, Because::Rule(rule))
                    .await
                    .map(|()| "locked".to_owned())
                    .map_err(|e| e.to_string())
            }
            None => Err("no_such_account".to_owned()),
        },
        Response::EndSessions => match account().await {
            Some(user) => state
                .auth()
                .end_sessions_of(actor, &user, Because::Rule(rule))
                .await
                .map(|n| format!("ended_{n}"))
                .map_err(|e| e.to_string()),
            None => Err("no_such_account".to_owned()),
        },
        Response::RequireStepUp => match account().await {
            Some(user) => state
                .auth()
                .require_step_up_of(&user)
                .await
                .map(|n| format!("sessions_{n}"))
                .map_err(|e| e.to_string()),
            None => Err("no_such_account".to_owned()),
        },
        Response::BlockIp { seconds } => {
            match finding
                .source_ip
                .as_deref()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
            {
                Some(ip) => {
                    let until = state
                        .clock()
                        .unix_now()
                        .0
                        .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
                    state.detection().block(ip, until);
                    Ok("blocked".to_owned())
                }
                None => Err("no_address".to_owned()),
            }
        }
        Response::Notify { channel } => notify(state, alert, finding, channel).await,
    };
    match result {
        Ok(status) => (Outcome::Success, status),
        Err(status) => {
            tracing::warn!(
                rule,
                response = response.name(),
                status,
                "a detection response failed"
            );
            // Status codes only in the trail: an error's words could name more.
            let code = if status.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                status
            } else {
                "failed".to_owned()
            };
            (Outcome::Failure, code)
        }
    }
}

async fn notify(
    state: &AppState,
    alert: Uuid,
    finding: &Finding,
    channel: Channel,
) -> Result<String, String> {
    let notifier = state.notifier();
    let body = json!({
        "alert_id": alert,
        "rule": finding.rule_id.as_str(),
        "title": finding.title,
        "severity": finding.severity.as_str(),
        "summary": finding.summary,
        "actor": finding.actor,
        "source_ip": finding.source_ip,
        "time": finding.time.unix_timestamp(),
        "events": finding.events,
    });
    match channel {
        Channel::Webhook => notifier
            .alert_webhook(&body)
            .await
            .map(|()| "sent".to_owned())
            .map_err(|e| match e {
                crate::notify::NotifyError::NotConfigured(_) => "not_configured".to_owned(),
                other => other.to_string(),
            }),
        Channel::Email => {
            let subject = format!("[Custos {}] {}", finding.severity.as_str(), finding.title);
            let text = format!(
                "{}\n\nRule: {}\nAlert: {alert}\n",
                finding.summary,
                finding.rule_id.as_str()
            );
            notifier
                .alert_mail(&subject, &text)
                .await
                .map(|()| "sent".to_owned())
                .map_err(|e| match e {
                    crate::notify::NotifyError::NotConfigured(_) => "not_configured".to_owned(),
                    other => other.to_string(),
                })
        }
        // The finding is an audit event: the audit trail's syslog sink carries it.
        Channel::Syslog => {
            if state.config().audit.forward.syslog.is_some() {
                Ok("via_audit_syslog".to_owned())
            } else {
                Err("not_configured".to_owned())
            }
        }
    }
}
