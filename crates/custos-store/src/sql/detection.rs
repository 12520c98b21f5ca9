//! The SQL of [`crate::DetectionStore`], written once for both backends (see `sql/mod.rs`).

/// Implements the trait for `$store` (a type in the calling module with a `pool`).
macro_rules! impl_detection_store {
    ($store:ident) => {
        mod detection_sql {
        use uuid::Uuid;

        use super::$store;
        use crate::StoreError;
        use crate::detection::{AlertNote, AlertRecord, DetectionRuleRecord, DetectionStore};

        const ALERT_COLUMNS: &str = "id, rule_id, severity, title, summary, status, actor, \
             source_ip, events, responses, created_at, updated_at, updated_by";
        type AlertRow = (
            Uuid, String, String, String, String, String, Option<String>, Option<String>,
            String, String, i64, i64, Option<String>,
        );

        fn alert_from_row(row: AlertRow) -> AlertRecord {
            let (id, rule_id, severity, title, summary, status, actor, source_ip, events,
                 responses, created_at, updated_at, updated_by) = row;
            AlertRecord {
                id, rule_id, severity, title, summary, status, actor, source_ip, events,
                responses, created_at, updated_at, updated_by,
            }
        }

        impl DetectionStore for $store {
            async fn create_alert(&self, a: &AlertRecord) -> Result<(), StoreError> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO alerts ({ALERT_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                )))
                .bind(a.id)
                .bind(&a.rule_id)
                .bind(&a.severity)
                .bind(&a.title)
                .bind(&a.summary)
                .bind(&a.status)
                .bind(&a.actor)
                .bind(&a.source_ip)
                .bind(&a.events)
                .bind(&a.responses)
                .bind(a.created_at)
                .bind(a.updated_at)
                .bind(&a.updated_by)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("store alert"))?;
                Ok(())
            }

            async fn alerts(&self, status: Option<&str>, limit: u32) -> Result<Vec<AlertRecord>, StoreError> {
                let rows: Vec<AlertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ALERT_COLUMNS} FROM alerts WHERE ($1 IS NULL OR status = $1) \
                     ORDER BY created_at DESC, id LIMIT $2"
                )))
                .bind(status)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("list alerts"))?;
                Ok(rows.into_iter().map(alert_from_row).collect())
            }

            async fn alert(&self, id: Uuid) -> Result<Option<AlertRecord>, StoreError> {
                let row: Option<AlertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read alert"))?;
                Ok(row.map(alert_from_row))
            }

            async fn update_alert(
                &self,
                id: Uuid,
                status: &str,
                responses: Option<&str>,
                by: &str,
                now: i64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE alerts SET status = $1, responses = COALESCE($2, responses), \
                     updated_by = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(status)
                .bind(responses)
                .bind(by)
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("update alert"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn add_alert_note(&self, id: Uuid, note: &AlertNote) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO alert_notes (alert_id, created_at, author, text) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(note.created_at)
                .bind(&note.author)
                .bind(&note.text)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("add alert note"))?;
                Ok(())
            }

            async fn alert_notes(&self, id: Uuid) -> Result<Vec<AlertNote>, StoreError> {
                let rows: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT created_at, author, text FROM alert_notes WHERE alert_id = $1 \
                     ORDER BY created_at",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read alert notes"))?;
                Ok(rows
                    .into_iter()
                    .map(|(created_at, author, text)| AlertNote { created_at, author, text })
                    .collect())
            }

            async fn detection_rules(&self) -> Result<Vec<DetectionRuleRecord>, StoreError> {
                let rows: Vec<(String, String, bool, i64, String)> = sqlx::query_as(
                    "SELECT id, definition, enabled, updated_at, updated_by FROM detection_rules ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read detection rules"))?;
                Ok(rows
                    .into_iter()
                    .map(|(id, definition, enabled, updated_at, updated_by)| DetectionRuleRecord {
                        id, definition, enabled, updated_at, updated_by,
                    })
                    .collect())
            }

            async fn put_detection_rule(&self, rule: &DetectionRuleRecord) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO detection_rules (id, definition, enabled, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                     definition = excluded.definition, enabled = excluded.enabled, \
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(&rule.id)
                .bind(&rule.definition)
                .bind(rule.enabled)
                .bind(rule.updated_at)
                .bind(&rule.updated_by)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("store detection rule"))?;
                Ok(())
            }
        }
        }
    };
}

pub(crate) use impl_detection_store;
