//! Reading a result row by column position, the same way for every driver.
//!
//! The rows that both the sqlx backends and the direct SQLite path
//! (`sqlite/direct.rs`) read — a session with its person, a service token, a
//! customer with its fields, cards and open interactions, audit entries — are
//! decoded once, over [`Columns`], so the two drivers cannot drift apart.

use custos_audit::{IndexFields, StoredEntry};
use uuid::Uuid;

use crate::StoreError;
use crate::accounts::{
    ServiceTokenRecord, SessionRecord, UserRecord, session_from_row, token_from_row, user_from_row,
};
use crate::audit::hash_from;
use crate::vault::{
    CardTokenRecord, InteractionRecord, StoredCustomer, card_from_row, customer_from_row,
    interaction_from_row,
};

/// A result row whose columns are read by position.
pub(crate) trait Columns {
    /// An integer or NULL.
    fn int(&self, at: usize) -> Result<Option<i64>, StoreError>;
    /// Text or NULL.
    fn text(&self, at: usize) -> Result<Option<String>, StoreError>;
    /// Bytes or NULL.
    fn blob(&self, at: usize) -> Result<Option<Vec<u8>>, StoreError>;
    /// A UUID or NULL.
    fn uuid(&self, at: usize) -> Result<Option<Uuid>, StoreError>;
}

const WRONG_TYPE: StoreError = StoreError::Corrupt("a column of an unexpected type");

/// A value the schema declares NOT NULL.
fn present<T>(value: Option<T>) -> Result<T, StoreError> {
    value.ok_or(StoreError::Corrupt("a missing value in a NOT NULL column"))
}

macro_rules! sqlx_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn int(&self, at: usize) -> Result<Option<i64>, StoreError> {
                sqlx::Row::try_get(self, at).map_err(|_| WRONG_TYPE)
            }
            fn text(&self, at: usize) -> Result<Option<String>, StoreError> {
                sqlx::Row::try_get(self, at).map_err(|_| WRONG_TYPE)
            }
            fn blob(&self, at: usize) -> Result<Option<Vec<u8>>, StoreError> {
                sqlx::Row::try_get(self, at).map_err(|_| WRONG_TYPE)
            }
            fn uuid(&self, at: usize) -> Result<Option<Uuid>, StoreError> {
                sqlx::Row::try_get(self, at).map_err(|_| WRONG_TYPE)
            }
        }
    };
}

sqlx_columns!(sqlx::sqlite::SqliteRow);
sqlx_columns!(sqlx::postgres::PgRow);

impl Columns for rusqlite::Row<'_> {
    fn int(&self, at: usize) -> Result<Option<i64>, StoreError> {
        self.get(at).map_err(|_| WRONG_TYPE)
    }
    fn text(&self, at: usize) -> Result<Option<String>, StoreError> {
        self.get(at).map_err(|_| WRONG_TYPE)
    }
    fn blob(&self, at: usize) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(at).map_err(|_| WRONG_TYPE)
    }
    fn uuid(&self, at: usize) -> Result<Option<Uuid>, StoreError> {
        self.get(at).map_err(|_| WRONG_TYPE)
    }
}

/// An `audit_entries` row, [`crate::audit::ENTRY_COLUMNS`] in order, exactly as
/// stored: a value only tampering produces (a negative sequence number, a hash of
/// the wrong length) is decoded into one the verifier reports, not refused here.
pub(crate) fn decode_entry(row: &impl Columns) -> Result<StoredEntry, StoreError> {
    Ok(StoredEntry {
        // u64::MAX is never a valid position.
        seq: u64::try_from(present(row.int(0)?)?).unwrap_or(u64::MAX),
        time_ms: present(row.int(1)?)?,
        index: IndexFields {
            action: present(row.text(2)?)?,
            actor: present(row.text(3)?)?,
            target_kind: row.text(4)?,
            target_id: row.text(5)?,
            outcome: present(row.text(6)?)?,
        },
        payload: present(row.blob(7)?)?,
        prev_hash: hash_from(&present(row.blob(8)?)?),
        hash: hash_from(&present(row.blob(9)?)?),
        head_signature: row.blob(10)?,
    })
}

/// The `sessions` columns ([`crate::accounts::SESSION_COLUMNS`]) from `at` on.
fn session_at(row: &impl Columns, at: usize) -> Result<SessionRecord, StoreError> {
    Ok(session_from_row((
        present(row.uuid(at)?)?,
        present(row.uuid(at + 1)?)?,
        present(row.int(at + 2)?)?,
        present(row.int(at + 3)?)?,
        present(row.int(at + 4)?)?,
        row.text(at + 5)?,
        row.int(at + 6)?,
        row.text(at + 7)?,
        row.uuid(at + 8)?,
    )))
}

/// The `users` columns ([`crate::accounts::USER_COLUMNS`]) from `at` on.
fn user_at(row: &impl Columns, at: usize) -> Result<UserRecord, StoreError> {
    Ok(user_from_row((
        present(row.uuid(at)?)?,
        present(row.text(at + 1)?)?,
        present(row.text(at + 2)?)?,
        row.text(at + 3)?,
        row.uuid(at + 4)?,
        present(row.text(at + 5)?)?,
        present(row.int(at + 6)?)?,
        row.blob(at + 7)?,
        row.int(at + 8)?,
        present(row.int(at + 9)?)?,
        row.int(at + 10)?,
        row.int(at + 11)?,
        present(row.int(at + 12)?)?,
        row.int(at + 13)?,
    )))
}

/// A row of [`crate::accounts::SESSION_BY_TOKEN_SQL`].
pub(crate) fn session_with_user(
    row: &impl Columns,
) -> Result<(SessionRecord, UserRecord), StoreError> {
    Ok((session_at(row, 0)?, user_at(row, 9)?))
}

/// A row of [`crate::accounts::TOKEN_BY_HASH_SQL`] ([`crate::accounts::TOKEN_COLUMNS`]).
pub(crate) fn decode_service_token(row: &impl Columns) -> Result<ServiceTokenRecord, StoreError> {
    Ok(token_from_row((
        present(row.uuid(0)?)?,
        present(row.text(1)?)?,
        present(row.text(2)?)?,
        present(row.int(3)?)?,
        present(row.int(4)?)?,
        row.int(5)?,
        row.int(6)?,
    )))
}

/// A row of [`crate::vault::INTERACTION_BY_ID_SQL`] ([`crate::vault::INTERACTION_COLUMNS`]).
pub(crate) fn decode_interaction(row: &impl Columns) -> Result<InteractionRecord, StoreError> {
    Ok(interaction_from_row((
        present(row.uuid(0)?)?,
        present(row.uuid(1)?)?,
        present(row.text(2)?)?,
        present(row.uuid(3)?)?,
        row.text(4)?,
        present(row.text(5)?)?,
        present(row.int(6)?)?,
        row.int(7)?,
        row.text(8)?,
        row.int(9)?,
        row.text(10)?,
        present(row.int(11)?)?,
        present(row.int(12)?)?,
    )))
}

/// What a row of [`crate::vault::CUSTOMER_SQL`] holds, by its first column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CustomerRowKind {
    /// The `customers` row.
    Customer,
    /// One sealed field.
    Field,
    /// One tokenized card.
    Card,
    /// One open interaction.
    Interaction,
}

impl CustomerRowKind {
    fn of(tag: i64) -> Result<Self, StoreError> {
        match tag {
            0 => Ok(Self::Customer),
            1 => Ok(Self::Field),
            2 => Ok(Self::Card),
            3 => Ok(Self::Interaction),
            _ => Err(StoreError::Corrupt("a customer row of an unknown kind")),
        }
    }
}

/// The typed slots of a [`crate::vault::CUSTOMER_SQL`] row, by position.
mod slot {
    pub(super) const TAG: usize = 0;
    pub(super) const UUID: [usize; 2] = [1, 2];
    pub(super) const TEXT: [usize; 4] = [3, 4, 5, 6];
    pub(super) const INT: [usize; 4] = [7, 8, 9, 10];
    pub(super) const BYTES: [usize; 2] = [11, 12];
}

/// Folds the rows of [`crate::vault::CUSTOMER_SQL`] (one per record, in any
/// order) into the customer, row by row.
#[derive(Default)]
pub(crate) struct CustomerFold {
    customer: Option<crate::vault::CustomerRecord>,
    /// (name, sealed value); a name appears once (the table's key), sorted at the end.
    fields: Vec<(String, Vec<u8>)>,
    cards: Vec<CardTokenRecord>,
    interactions: Vec<InteractionRecord>,
}

impl CustomerFold {
    /// Adds one row of customer `id`.
    pub(crate) fn add(&mut self, id: Uuid, row: &impl Columns) -> Result<(), StoreError> {
        use slot::{BYTES, INT, TEXT, UUID};
        match CustomerRowKind::of(present(row.int(slot::TAG)?)?)? {
            CustomerRowKind::Customer => {
                self.customer = Some(customer_from_row((
                    present(row.uuid(UUID[0])?)?,
                    present(row.int(INT[0])?)?,
                    present(row.text(TEXT[0])?)?,
                    row.int(INT[1])?,
                    present(row.int(INT[2])?)?,
                    row.blob(BYTES[0])?,
                    row.int(INT[3])?,
                    row.text(TEXT[1])?,
                ))?);
            }
            CustomerRowKind::Field => {
                // Room for every field a customer can have, in one allocation.
                if self.fields.capacity() == 0 {
                    self.fields.reserve_exact(8);
                }
                self.fields
                    .push((present(row.text(TEXT[0])?)?, present(row.blob(BYTES[0])?)?));
            }
            CustomerRowKind::Card => self.cards.push(card_from_row((
                present(row.text(TEXT[0])?)?,
                id,
                present(row.text(TEXT[1])?)?,
                present(row.text(TEXT[2])?)?,
                present(row.text(TEXT[3])?)?,
                present(row.blob(BYTES[0])?)?,
                present(row.blob(BYTES[1])?)?,
                present(row.int(INT[0])?)?,
                present(row.int(INT[1])?)?,
            ))?),
            CustomerRowKind::Interaction => self.interactions.push(InteractionRecord {
                id: present(row.uuid(UUID[0])?)?,
                customer_id: id,
                channel: present(row.text(TEXT[0])?)?,
                agent_id: present(row.uuid(UUID[1])?)?,
                agent_team: row.text(TEXT[1])?,
                opened_by: present(row.text(TEXT[2])?)?,
                opened_at: present(row.int(INT[0])?)?,
                closed_at: None,
                closed_by: None,
                verified_at: row.int(INT[1])?,
                verified_method: row.text(TEXT[3])?,
                verification_failures: u32::try_from(present(row.int(INT[2])?)?)
                    .unwrap_or(u32::MAX),
                last_activity_at: present(row.int(INT[3])?)?,
            }),
        }
        Ok(())
    }

    /// The customer, or `None` if there was no `customers` row.
    pub(crate) fn finish(self) -> Option<StoredCustomer> {
        let customer = self.customer?;
        let mut fields = self.fields;
        fields.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut cards = self.cards;
        cards.sort_by(|a, b| (a.created_at, &a.token).cmp(&(b.created_at, &b.token)));
        let mut open_interactions = self.interactions;
        open_interactions.sort_by_key(|i| (i.opened_at, i.id));
        Some(StoredCustomer {
            customer,
            fields,
            cards,
            open_interactions,
        })
    }
}

/// [`CustomerFold`] over rows already fetched.
pub(crate) fn fold_customer<R: Columns>(
    id: Uuid,
    rows: &[R],
) -> Result<Option<StoredCustomer>, StoreError> {
    let mut fold = CustomerFold::default();
    for row in rows {
        fold.add(id, row)?;
    }
    Ok(fold.finish())
}

#[cfg(test)]
mod tests {
    use crate::accounts::{
        SESSION_BY_TOKEN_SQL, SESSION_COLUMNS, TOKEN_BY_HASH_SQL, TOKEN_COLUMNS, USER_COLUMNS,
    };
    use crate::audit::{ENTRIES_AFTER_SQL, ENTRY_COLUMNS, INSERT_ENTRY_SQL};
    use crate::vault::{INTERACTION_BY_ID_SQL, INTERACTION_COLUMNS};

    /// `sql` with every run of whitespace made one space.
    fn normalized(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// `columns` (a comma-separated list) qualified with a table alias.
    fn qualified(columns: &str, alias: &str) -> String {
        columns
            .split(',')
            .map(|c| format!("{alias}.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The shared statements spell their column lists out (so they can be
    /// constants); each must list exactly the columns its decoder reads, in order.
    #[test]
    fn shared_statements_list_the_columns_their_decoders_read() {
        let session = format!(
            "SELECT {}, {} FROM",
            qualified(SESSION_COLUMNS, "s"),
            qualified(USER_COLUMNS, "u")
        );
        for (sql, prefix) in [
            (SESSION_BY_TOKEN_SQL, session),
            (TOKEN_BY_HASH_SQL, format!("SELECT {TOKEN_COLUMNS} FROM")),
            (
                INTERACTION_BY_ID_SQL,
                format!("SELECT {INTERACTION_COLUMNS} FROM"),
            ),
            (ENTRIES_AFTER_SQL, format!("SELECT {ENTRY_COLUMNS} FROM")),
            (
                INSERT_ENTRY_SQL,
                format!("INSERT INTO audit_entries ({ENTRY_COLUMNS}) VALUES"),
            ),
        ] {
            let sql = normalized(sql);
            assert!(sql.starts_with(&normalized(&prefix)), "{sql}");
        }
    }
}
