//! The access review (PCI DSS 7.2.4): every person and service token, with role,
//! team, status, last use and second factors, as JSON or CSV; and signed-off
//! reviews, each naming the SHA-256 of the exact account list it approved. A
//! review is due when none was signed in the last six months.

use aws_lc_rs::digest;
use custos_store::{AccessReviewRecord, AccountStore, Store, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::rfc3339;

/// Reviews are due at least this often (PCI DSS 7.2.4: every six months).
pub const REVIEW_EVERY_DAYS: i64 = 182;

/// One person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountEntry {
    /// Username.
    pub username: String,
    /// Role.
    pub role: String,
    /// Team.
    pub team: Option<String>,
    /// `active`, `locked` or `disabled`.
    pub status: &'static str,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last completed sign-in (RFC 3339), if any.
    pub last_sign_in_at: Option<String>,
    /// Second factors enrolled.
    pub mfa_methods: Vec<&'static str>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// Live sessions now.
    pub live_sessions: usize,
}

/// One service token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenEntry {
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Expires (RFC 3339).
    pub expires_at: String,
    /// Last used (RFC 3339), if ever.
    pub last_used_at: Option<String>,
}

/// A sign-off, for display.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignOff {
    /// Id.
    pub id: String,
    /// Reviewer's username.
    pub signed_by: String,
    /// When (RFC 3339).
    pub signed_at: String,
    /// Accounts and tokens reviewed.
    pub accounts: u32,
    /// SHA-256 of the reviewed lists.
    pub report_sha256: String,
    /// Notes.
    pub notes: String,
}

/// The report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessReviewReport {
    /// When it was made (RFC 3339).
    pub generated_at: String,
    /// SHA-256 of `accounts` and `tokens`: send it back to sign this report off.
    pub report_sha256: String,
    /// No sign-off in the last six months.
    pub review_due: bool,
    /// The latest sign-off.
    pub last_sign_off: Option<SignOff>,
    /// Every person.
    pub accounts: Vec<AccountEntry>,
    /// Every service token.
    pub tokens: Vec<TokenEntry>,
}

/// Builds the report at `now` (Unix seconds).
pub async fn build(store: &Store, now: i64) -> Result<AccessReviewReport, StoreError> {
    let mut accounts = Vec::new();
    for user in store.list_users().await? {
        let status = if user.disabled_at.is_some() {
            "disabled"
        } else if user.locked_until.is_some_and(|until| now < until) {
            "locked"
        } else {
            "active"
        };
        let recovery_codes_left = store.unused_recovery_codes(user.id).await?;
        let mut mfa_methods = Vec::new();
        if user.totp_sealed.is_some() {
            mfa_methods.push("totp");
        }
        if recovery_codes_left > 0 {
            mfa_methods.push("recovery_code");
        }
        accounts.push(AccountEntry {
            live_sessions: store.live_sessions(user.id).await?.len(),
            username: user.username,
            role: user.role,
            team: user.team,
            status,
            created_at: rfc3339(user.created_at),
            last_sign_in_at: user.last_sign_in_at.map(rfc3339),
            mfa_methods,
            recovery_codes_left,
        });
    }
    let tokens = store
        .list_service_tokens()
        .await?
        .into_iter()
        .map(|t| TokenEntry {
            status: token_status(&t, now),
            name: t.name,
            role: t.role,
            created_at: rfc3339(t.created_at),
            expires_at: rfc3339(t.expires_at),
            last_used_at: t.last_used_at.map(rfc3339),
        })
        .collect::<Vec<_>>();
    let report_sha256 = lists_sha256(&accounts, &tokens);
    let latest = store.access_reviews().await?.into_iter().next();
    let review_due = latest
        .as_ref()
        .is_none_or(|r| now - r.signed_at >= REVIEW_EVERY_DAYS * 86_400);
    let last_sign_off = match latest {
        Some(record) => Some(sign_off_view(store, record).await?),
        None => None,
    };
    Ok(AccessReviewReport {
        generated_at: rfc3339(now),
        report_sha256,
        review_due,
        last_sign_off,
        accounts,
        tokens,
    })
}

/// A stored sign-off with the reviewer's name.
pub async fn sign_off_view(
    store: &Store,
    record: AccessReviewRecord,
) -> Result<SignOff, StoreError> {
    let signed_by = store
        .user_by_id(record.signed_by)
        .await?
        .map_or_else(|| record.signed_by.to_string(), |u| u.username);
    Ok(SignOff {
        id: record.id.to_string(),
        signed_by,
        signed_at: rfc3339(record.signed_at),
        accounts: record.accounts,
        report_sha256: hex(&record.report_sha256),
        notes: record.notes,
    })
}

/// SHA-256 over the canonical JSON of the two lists (not the generation time).
fn lists_sha256(accounts: &[AccountEntry], tokens: &[TokenEntry]) -> String {
    let canonical = serde_json::to_vec(&(accounts, tokens)).unwrap_or_default();
    hex(digest::digest(&digest::SHA256, &canonical).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The report as CSV: one row per person or token.
pub fn to_csv(report: &AccessReviewReport) -> String {
    let mut out = String::from(
        "kind,name,role,team,status,created_at,last_used_at,mfa_methods,live_sessions,expires_at\n",
    );
    for a in &report.accounts {
        let row = [
            "person",
            &a.username,
            &a.role,
            a.team.as_deref().unwrap_or(""),
            a.status,
            &a.created_at,
            a.last_sign_in_at.as_deref().unwrap_or(""),
            &a.mfa_methods.join(" "),
            &a.live_sessions.to_string(),
            "",
        ];
        push_row(&mut out, &row);
    }
    for t in &report.tokens {
        let row = [
            "service_token",
            &t.name,
            &t.role,
            "",
            t.status,
            &t.created_at,
            t.last_used_at.as_deref().unwrap_or(""),
            "",
            "",
            &t.expires_at,
        ];
        push_row(&mut out, &row);
    }
    out
}

fn push_row(out: &mut String, fields: &[&str]) {
    let cells: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
    out.push_str(&cells.join(","));
    out.push('\n');
}

/// Quotes a cell when needed, and defuses spreadsheet formulas (CSV injection):
/// a cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`.
fn csv_cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// A service token's state at `now`: `active`, `expired` or `revoked`.
pub fn token_status(token: &custos_store::ServiceTokenRecord, now: i64) -> &'static str {
    if token.revoked_at.is_some() {
        "revoked"
    } else if now >= token.expires_at {
        "expired"
    } else {
        "active"
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("@cmd"), "'@cmd");
    }
}
