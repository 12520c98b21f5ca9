//! The migration tree of each backend, embedded in the binary.
//!
//! Each backend has its own ordered list of SQL files under `migrations/<backend>/`;
//! sqlx records applied versions with checksums and, on PostgreSQL, takes an
//! advisory lock so that several nodes starting at once migrate only once.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// One embedded migration: version, description, SQL.
type Embedded = (i64, &'static str, &'static str);

#[rustfmt::skip]
const SQLITE: &[Embedded] = &[
    (1, "foundation", include_str!("../migrations/sqlite/0001_foundation.sql")),
    (2, "audit", include_str!("../migrations/sqlite/0002_audit.sql")),
    (3, "audit anchor", include_str!("../migrations/sqlite/0003_audit_anchor.sql")),
    (4, "accounts", include_str!("../migrations/sqlite/0004_accounts.sql")),
    (5, "recovery codes", include_str!("../migrations/sqlite/0005_recovery_codes.sql")),
    (6, "access reviews", include_str!("../migrations/sqlite/0006_access_reviews.sql")),
    (7, "policies", include_str!("../migrations/sqlite/0007_policies.sql")),
    (8, "vault", include_str!("../migrations/sqlite/0008_vault.sql")),
    (9, "devices", include_str!("../migrations/sqlite/0009_devices.sql")),
    (10, "conversations", include_str!("../migrations/sqlite/0010_conversations.sql")),
    (11, "detection", include_str!("../migrations/sqlite/0011_detection.sql")),
    (12, "shifts", include_str!("../migrations/sqlite/0012_shifts.sql")),
    (13, "invitations", include_str!("../migrations/sqlite/0013_invitations.sql")),
    (14, "lookup_indexes", include_str!("../migrations/sqlite/0014_lookup_indexes.sql")),
    (15, "passkeys", include_str!("../migrations/sqlite/0015_passkeys.sql")),
    (16, "credential resets", include_str!("../migrations/sqlite/0016_credential_resets.sql")),
    (17, "settings", include_str!("../migrations/sqlite/0017_settings.sql")),
    (18, "audit lookup", include_str!("../migrations/sqlite/0018_audit_lookup.sql")),
    (19, "audit lookup file", include_str!("../migrations/sqlite/0019_audit_lookup_file.sql")),
];

#[rustfmt::skip]
const POSTGRES: &[Embedded] = &[
    (1, "foundation", include_str!("../migrations/postgres/0001_foundation.sql")),
    (2, "audit", include_str!("../migrations/postgres/0002_audit.sql")),
    (3, "audit anchor", include_str!("../migrations/postgres/0003_audit_anchor.sql")),
    (4, "accounts", include_str!("../migrations/postgres/0004_accounts.sql")),
    (5, "recovery codes", include_str!("../migrations/postgres/0005_recovery_codes.sql")),
    (6, "access reviews", include_str!("../migrations/postgres/0006_access_reviews.sql")),
    (7, "policies", include_str!("../migrations/postgres/0007_policies.sql")),
    (8, "vault", include_str!("../migrations/postgres/0008_vault.sql")),
    (9, "devices", include_str!("../migrations/postgres/0009_devices.sql")),
    (10, "conversations", include_str!("../migrations/postgres/0010_conversations.sql")),
    (11, "detection", include_str!("../migrations/postgres/0011_detection.sql")),
    (12, "shifts", include_str!("../migrations/postgres/0012_shifts.sql")),
    (13, "invitations", include_str!("../migrations/postgres/0013_invitations.sql")),
    (14, "lookup_indexes", include_str!("../migrations/postgres/0014_lookup_indexes.sql")),
    (15, "passkeys", include_str!("../migrations/postgres/0015_passkeys.sql")),
    (16, "credential resets", include_str!("../migrations/postgres/0016_credential_resets.sql")),
    (17, "settings", include_str!("../migrations/postgres/0017_settings.sql")),
    (18, "audit lookup", include_str!("../migrations/postgres/0018_audit_lookup.sql")),
    (19, "audit lookup file", include_str!("../migrations/postgres/0019_audit_lookup_anchor.sql")),
];

fn migrator(embedded: &[Embedded]) -> Migrator {
    Migrator::with_migrations(
        embedded
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sqlx::SqlSafeStr::into_sql_str(sql),
                    false,
                )
            })
            .collect(),
    )
}

/// The SQLite migrations.
pub(crate) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

/// The PostgreSQL migrations.
pub(crate) fn postgres() -> Migrator {
    migrator(POSTGRES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_versions() {
        let versions = |m: &[Embedded]| m.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
    }
}
