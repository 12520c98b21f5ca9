//! Formats for SIEMs: OCSF 1.3 JSON (one object per line) and ArcSight CEF.
//! Both carry the chain position (`metadata.sequence`, `externalId`) so a SIEM
//! can spot gaps.

use serde_json::{Map, Value, json};

use crate::event::{Outcome, StoredEventV1};

/// OCSF schema version the export follows.
pub const OCSF_VERSION: &str = "1.3.0";

/// The event as an OCSF object.
pub fn ocsf_json(seq: u64, event: &StoredEventV1) -> Value {
    let class = event.activity().map(|a| a.ocsf());
    let (class_name, category_uid, category_name, activity_name) =
        class.map_or(("Unknown", 0, "Unknown", "Other"), |c| {
            (
                c.class_name,
                c.category_uid,
                c.category_name,
                c.activity_name,
            )
        });
    let mut actor_user = Map::new();
    if let Some(name) = &event.actor.name {
        actor_user.insert("name".into(), json!(name));
    }
    if let Some(uid) = &event.actor.uid {
        actor_user.insert("uid".into(), json!(uid));
    }
    actor_user.insert("type".into(), json!(event.actor.kind));
    let mut actor = Map::new();
    actor.insert("user".into(), Value::Object(actor_user));
    if let Some(session) = &event.actor.session {
        actor.insert("session".into(), json!({ "uid": session }));
    }
    if let Some(role) = &event.actor.role {
        actor.insert(
            "authorizations".into(),
            json!([{ "policy": { "name": role } }]),
        );
    }
    let mut object = json!({
        "class_uid": event.class_uid,
        "class_name": class_name,
        "category_uid": category_uid,
        "category_name": category_name,
        "activity_id": event.activity_id,
        "activity_name": activity_name,
        "type_uid": u64::from(event.class_uid) * 100 + u64::from(event.activity_id),
        "time": event.time_ms,
        "severity_id": severity_id(event),
        "status_id": event.outcome.status_id(),
        "status": match event.outcome { Outcome::Success => "Success", Outcome::Failure => "Failure", Outcome::Unknown => "Unknown" },
        "message": event.message,
        "actor": actor,
        "metadata": {
            "version": OCSF_VERSION,
            "product": { "name": "Custos", "vendor_name": "Custos" },
            "sequence": seq,
            "uid": seq.to_string(),
            "event_code": event.action,
        },
    });
    let Some(fields) = object.as_object_mut() else {
        return object;
    };
    if let Some(detail) = &event.status_detail {
        fields.insert("status_detail".into(), json!(detail));
    }
    if let Some(ip) = &event.actor.ip {
        fields.insert("src_endpoint".into(), json!({ "ip": ip }));
    }
    if let Some(device) = &event.actor.device {
        fields.insert("device".into(), json!({ "uid": device }));
    }
    if let Some(target) = &event.target {
        let mut resource = json!({ "type": target.kind });
        if let Some(id) = &target.id {
            resource["uid"] = json!(id);
        }
        if let Some(field) = &target.field {
            resource["data"] = json!({ "field": field });
        }
        fields.insert("resources".into(), json!([resource]));
    }
    let mut unmapped = Map::new();
    if let Some(reason) = &event.reason {
        unmapped.insert(
            "reason".into(),
            json!({ "code": reason.code, "text": reason.text }),
        );
    }
    if let Some(request_id) = &event.request_id {
        unmapped.insert("request_id".into(), json!(request_id));
    }
    for (k, v) in &event.details {
        unmapped.insert(k.clone(), json!(v));
    }
    if !unmapped.is_empty() {
        fields.insert("unmapped".into(), Value::Object(unmapped));
    }
    object
}

/// OCSF severity: failures of sign-in, reveal and detections rank higher.
fn severity_id(event: &StoredEventV1) -> u8 {
    match (event.class_uid, event.outcome) {
        (2004, _) => 4,             // High: a detection finding
        (_, Outcome::Failure) => 3, // Medium
        (6005, _) => 2,             // Low: access to protected data
        _ => 1,                     // Informational
    }
}

/// The event as one CEF line.
pub fn cef_line(seq: u64, event: &StoredEventV1) -> String {
    let name = event.activity().map_or("Unknown", |a| a.ocsf().class_name);
    let cef_severity = match severity_id(event) {
        4 => 8,
        3 => 6,
        2 => 3,
        _ => 1,
    };
    let mut ext = vec![
        format!("rt={}", event.time_ms),
        format!("externalId={seq}"),
        format!("act={}", cef_value(&event.action)),
        format!("outcome={}", event.outcome.as_str()),
        format!("suser={}", cef_value(event.actor.display_name())),
        format!("msg={}", cef_value(&event.message)),
    ];
    if let Some(ip) = &event.actor.ip {
        ext.push(format!("src={}", cef_value(ip)));
    }
    if let Some(role) = &event.actor.role {
        ext.push(format!("suid={}", cef_value(role)));
    }
    if let Some(target) = &event.target {
        ext.push(format!(
            "cs1Label=targetKind cs1={}",
            cef_value(&target.kind)
        ));
        if let Some(id) = &target.id {
            ext.push(format!("cs2Label=targetId cs2={}", cef_value(id)));
        }
        if let Some(field) = &target.field {
            ext.push(format!("cs3Label=field cs3={}", cef_value(field)));
        }
    }
    if let Some(reason) = &event.reason {
        ext.push(format!("reason={}", cef_value(&reason.code)));
    }
    format!(
        "CEF:0|Custos|Custos|{}|{}|{}|{cef_severity}|{}",
        env!("CARGO_PKG_VERSION"),
        cef_header(&event.action),
        cef_header(name),
        ext.join(" ")
    )
}

/// Header fields escape `\` and `|`.
fn cef_header(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// Extension values escape `\`, `=` and line breaks.
fn cef_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Activity, Actor, AuditEvent};

    fn sample() -> StoredEventV1 {
        AuditEvent::new(
            1_700_000_000_000,
            Activity::Logon,
            "auth.sign_in",
            Outcome::Failure,
            Actor::system(),
            "a=b|c\nd",
        )
        .with_target("user", Some("u|1"), None)
        .to_stored()
        .unwrap()
    }

    #[test]
    fn ocsf_has_the_class_and_sequence() {
        let v = ocsf_json(7, &sample());
        assert_eq!(v["class_uid"], 3002);
        assert_eq!(v["activity_id"], 1);
        assert_eq!(v["type_uid"], 300_201);
        assert_eq!(v["status_id"], 2);
        assert_eq!(v["metadata"]["sequence"], 7);
        assert_eq!(v["resources"][0]["uid"], "u|1");
    }

    #[test]
    fn cef_escapes_separators() {
        let line = cef_line(7, &sample());
        assert!(line.starts_with("CEF:0|Custos|Custos|"), "{line}");
        assert!(line.contains("msg=a\\=b|c\\nd"), "{line}");
        assert!(line.contains("externalId=7"), "{line}");
        assert!(!line.contains('\n'));
    }
}
