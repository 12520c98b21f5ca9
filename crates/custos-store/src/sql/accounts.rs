//! The SQL of [`crate::AccountStore`], written once for both backends: sqlx binds
//! `$N` placeholders by number on SQLite as on PostgreSQL, and the statements use
//! only SQL both dialects share.

/// Implements the trait for `$store` (a type in the calling module with a `pool`)
/// on the database `$db`.
macro_rules! impl_account_store {
    ($store:ident, $db:ty) => {
        mod account_sql {
        use uuid::Uuid;

        use super::$store;
        use crate::StoreError;
        use crate::accounts::{
            AccessReviewRecord, AccountStore, DEVICE_COLUMNS, DeviceRecord, DeviceRow,
            SESSION_COLUMNS, ServiceTokenRecord, SessionRecord, SessionRow, TOKEN_COLUMNS,
            TokenRow, USER_COLUMNS, UserRecord, UserRow, conflict_or, device_from_row,
            session_from_row, token_from_row, user_from_row, ResetCredentials, SettingRecord,
        };

        /// Copies the current password into the history, in `tx`.
        async fn keep_password_history(
            tx: &mut sqlx::Transaction<'_, $db>,
            user: Uuid,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO password_history (user_id, password_hash, changed_at) \
                 SELECT id, password_hash, password_changed_at FROM users WHERE id = $1",
            )
            .bind(user)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query("keep password history"))?;
            Ok(())
        }

        /// Replaces the person's recovery codes with `hashes`, in `tx`.
        async fn replace_recovery_codes(
            tx: &mut sqlx::Transaction<'_, $db>,
            user: Uuid,
            hashes: &[[u8; 32]],
        ) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user)
                .execute(&mut **tx)
                .await
                .map_err(StoreError::query("retire recovery codes"))?;
            for hash in hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user)
                    .bind(hash.as_slice())
                    .execute(&mut **tx)
                    .await
                    .map_err(StoreError::query("store recovery code"))?;
            }
            Ok(())
        }

        impl AccountStore for $store {
            async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO users (id, username, role, team, supervisor_id, password_hash, password_changed_at, \
                     totp_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(user.id)
                .bind(&user.username)
                .bind(&user.role)
                .bind(&user.team)
                .bind(user.supervisor_id)
                .bind(&user.password_hash)
                .bind(user.password_changed_at)
                .bind(&user.totp_sealed)
                .bind(user.created_at)
                .execute(&self.pool)
                .await
                .map_err(conflict_or("create user", "an account with this username"))?;
                Ok(())
            }

            async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
                let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
                )))
                .bind(username)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read user"))?;
                Ok(row.map(user_from_row))
            }

            async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
                let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read user"))?;
                Ok(row.map(user_from_row))
            }

            async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
                let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users ORDER BY username"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("list users"))?;
                Ok(rows.into_iter().map(user_from_row).collect())
            }

            async fn set_sign_in_failures(
                &self,
                user: Uuid,
                failures: u32,
                locked_until: Option<i64>,
            ) -> Result<(), StoreError> {
                sqlx::query("UPDATE users SET failed_attempts = $1, locked_until = $2 WHERE id = $3")
                    .bind(i64::from(failures))
                    .bind(locked_until)
                    .bind(user)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("record sign-in failure"))?;
                Ok(())
            }

            async fn record_sign_in(&self, user: Uuid, now: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(user)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("record sign-in"))?;
                Ok(())
            }

            async fn set_password(&self, user: Uuid, hash: &str, now: i64) -> Result<(), StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin password change"))?;
                keep_password_history(&mut tx, user).await?;
                sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(now)
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("set password"))?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit password change"))
            }

            async fn password_history(&self, user: Uuid, limit: u32) -> Result<Vec<String>, StoreError> {
                sqlx::query_scalar(
                    "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY changed_at DESC LIMIT $2",
                )
                .bind(user)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read password history"))
            }

            async fn advance_totp_step(&self, user: Uuid, step: i64) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)",
                )
                .bind(step)
                .bind(user)
                .bind(step)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("accept TOTP step"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn disable_user(&self, user: Uuid, now: i64) -> Result<bool, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin disable"))?;
                let done =
                    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
                        .bind(now)
                        .bind(user)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query("disable user"))?;
                sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = 'disabled' WHERE user_id = $2 AND ended_at IS NULL")
                    .bind(now)
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("end sessions"))?;
                sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1")
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("drop MFA challenges"))?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit disable"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn unlock_user(&self, user: Uuid) -> Result<(), StoreError> {
                sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
                    .bind(user)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("unlock user"))?;
                Ok(())
            }

            async fn rehash_password(&self, user: Uuid, hash: &str) -> Result<(), StoreError> {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(user)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("rehash password"))?;
                Ok(())
            }

            async fn user_shift(&self, user: Uuid) -> Result<Option<(u16, u16)>, StoreError> {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT start_minute, end_minute FROM work_shifts WHERE user_id = $1",
                )
                .bind(user)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read shift"))?;
                row.map(|(start, end)| {
                    match (u16::try_from(start), u16::try_from(end)) {
                        (Ok(start), Ok(end)) if start < 1440 && end < 1440 => Ok((start, end)),
                        _ => Err(StoreError::Corrupt("a work shift out of range")),
                    }
                })
                .transpose()
            }

            async fn set_user_role(&self, user: Uuid, role: &str, team: Option<&str>) -> Result<(), StoreError> {
                sqlx::query("UPDATE users SET role = $1, team = $2 WHERE id = $3")
                    .bind(role)
                    .bind(team)
                    .bind(user)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("set role"))?;
                Ok(())
            }

            async fn set_user_shift(&self, user: Uuid, shift: Option<(u16, u16)>) -> Result<(), StoreError> {
                match shift {
                    Some((start, end)) => sqlx::query(
                        "INSERT INTO work_shifts (user_id, start_minute, end_minute) VALUES ($1, $2, $3) \
                         ON CONFLICT (user_id) DO UPDATE SET start_minute = excluded.start_minute, \
                         end_minute = excluded.end_minute",
                    )
                    .bind(user)
                    .bind(i64::from(start))
                    .bind(i64::from(end))
                    .execute(&self.pool)
                    .await,
                    None => sqlx::query("DELETE FROM work_shifts WHERE user_id = $1")
                        .bind(user)
                        .execute(&self.pool)
                        .await,
                }
                .map_err(StoreError::query("set shift"))?;
                Ok(())
            }

            async fn set_recovery_codes(&self, user: Uuid, hashes: &[[u8; 32]]) -> Result<(), StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin recovery codes"))?;
                replace_recovery_codes(&mut tx, user, hashes).await?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit recovery codes"))
            }

            async fn complete_credential_reset(
                &self,
                credentials: &ResetCredentials<'_>,
            ) -> Result<(), StoreError> {
                let user = credentials.user;
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin new credentials"))?;
                keep_password_history(&mut tx, user).await?;
                sqlx::query(
                    "UPDATE users SET password_hash = $1, password_changed_at = $2, totp_sealed = $3, \
                     totp_last_step = NULL, failed_attempts = 0, locked_until = NULL WHERE id = $4",
                )
                .bind(credentials.password_hash)
                .bind(credentials.now)
                .bind(credentials.totp_sealed)
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("set new credentials"))?;
                replace_recovery_codes(&mut tx, user, credentials.recovery_hashes).await?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit new credentials"))
            }

            async fn use_recovery_code(
                &self,
                user: Uuid,
                hash: &[u8; 32],
                now: i64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                )
                .bind(now)
                .bind(user)
                .bind(hash.as_slice())
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("use recovery code"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn unused_recovery_codes(&self, user: Uuid) -> Result<u32, StoreError> {
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
                )
                .bind(user)
                .fetch_one(&self.pool)
                .await
                .map_err(StoreError::query("count recovery codes"))?;
                Ok(u32::try_from(count).unwrap_or(0))
            }

            async fn create_mfa_challenge(
                &self,
                token_hash: &[u8; 32],
                user: Uuid,
                device: Option<Uuid>,
                expires_at: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO mfa_challenges (token_hash, user_id, expires_at, device_id) VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash.as_slice())
                .bind(user)
                .bind(expires_at)
                .bind(device)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("create MFA challenge"))?;
                Ok(())
            }

            async fn mfa_challenge_user(
                &self,
                token_hash: &[u8; 32],
                now: i64,
            ) -> Result<Option<Uuid>, StoreError> {
                sqlx::query_scalar(
                    "SELECT user_id FROM mfa_challenges WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token_hash.as_slice())
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read MFA challenge"))
            }

            async fn take_mfa_challenge(
                &self,
                token_hash: &[u8; 32],
                now: i64,
            ) -> Result<Option<(Uuid, Option<Uuid>)>, StoreError> {
                let user: Option<(Uuid, i64, Option<Uuid>)> = sqlx::query_as(
                    "DELETE FROM mfa_challenges WHERE token_hash = $1 RETURNING user_id, expires_at, device_id",
                )
                .bind(token_hash.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("take MFA challenge"))?;
                Ok(user
                    .filter(|(_, expires_at, _)| now < *expires_at)
                    .map(|(id, _, device)| (id, device)))
            }

            async fn create_device_code(
                &self,
                code_hash: &[u8; 32],
                user: Uuid,
                created_by: &str,
                now: i64,
                expires_at: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO device_codes (code_hash, user_id, created_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(code_hash.as_slice())
                .bind(user)
                .bind(created_by)
                .bind(now)
                .bind(expires_at)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("create device code"))?;
                Ok(())
            }

            async fn take_device_code(&self, code_hash: &[u8; 32], user: Uuid, now: i64) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE device_codes SET used_at = $1 WHERE code_hash = $2 AND user_id = $3 \
                     AND used_at IS NULL AND expires_at > $4",
                )
                .bind(now)
                .bind(code_hash.as_slice())
                .bind(user)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("use device code"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_device(&self, device: &DeviceRecord, token_hash: &[u8; 32]) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(device.id)
                .bind(device.user_id)
                .bind(&device.name)
                .bind(token_hash.as_slice())
                .bind(device.created_at)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("enrol device"))?;
                Ok(())
            }

            async fn device_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>, StoreError> {
                let row: Option<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = $1 AND revoked_at IS NULL"
                )))
                .bind(token_hash.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read device"))?;
                Ok(row.map(device_from_row))
            }

            async fn device_by_id(&self, id: Uuid) -> Result<Option<DeviceRecord>, StoreError> {
                let row: Option<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read device"))?;
                Ok(row.map(device_from_row))
            }

            async fn devices_of(&self, user: Uuid) -> Result<Vec<DeviceRecord>, StoreError> {
                let rows: Vec<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at DESC, id"
                )))
                .bind(user)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("list devices"))?;
                Ok(rows.into_iter().map(device_from_row).collect())
            }

            async fn touch_device(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("touch device"))?;
                Ok(())
            }

            async fn revoke_device(&self, id: Uuid, now: i64) -> Result<bool, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin revoke device"))?;
                let done = sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("revoke device"))?;
                sqlx::query(
                    "UPDATE sessions SET ended_at = $1, end_reason = 'device_revoked' WHERE device_id = $2 AND ended_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("end device sessions"))?;
                sqlx::query("DELETE FROM mfa_challenges WHERE device_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("drop device MFA steps"))?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit revoke device"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_session(
                &self,
                session: &SessionRecord,
                token_hash: &[u8; 32],
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen, mfa_at, ip, device_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(session.id)
                .bind(token_hash.as_slice())
                .bind(session.user_id)
                .bind(session.created_at)
                .bind(session.last_seen)
                .bind(session.mfa_at)
                .bind(&session.ip)
                .bind(session.device_id)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("create session"))?;
                Ok(())
            }

            async fn session_by_token(
                &self,
                token_hash: &[u8; 32],
            ) -> Result<Option<(SessionRecord, UserRecord)>, StoreError> {
                let row = sqlx::query(crate::accounts::SESSION_BY_TOKEN_SQL)
                    .bind(token_hash.as_slice())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::query("read session"))?;
                row.map(|row| crate::columns::session_with_user(&row)).transpose()
            }

            async fn touch_session(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id = $2 AND last_seen < $3")
                    .bind(now)
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("touch session"))?;
                Ok(())
            }

            async fn end_session(&self, id: Uuid, now: i64, reason: &str) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL",
                )
                .bind(now)
                .bind(reason)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("end session"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn session_by_id(&self, id: Uuid) -> Result<Option<SessionRecord>, StoreError> {
                let row: Option<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read session"))?;
                Ok(row.map(session_from_row))
            }

            async fn set_session_mfa(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE sessions SET mfa_at = $1 WHERE id = $2 AND ended_at IS NULL")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("record step-up"))?;
                Ok(())
            }

            async fn live_sessions(&self, user: Uuid) -> Result<Vec<SessionRecord>, StoreError> {
                let rows: Vec<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND ended_at IS NULL ORDER BY created_at"
                )))
                .bind(user)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("list sessions"))?;
                Ok(rows.into_iter().map(session_from_row).collect())
            }

            async fn list_service_tokens(&self) -> Result<Vec<ServiceTokenRecord>, StoreError> {
                let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TOKEN_COLUMNS} FROM service_tokens ORDER BY name"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("list service tokens"))?;
                Ok(rows.into_iter().map(token_from_row).collect())
            }

            async fn record_access_review(&self, review: &AccessReviewRecord) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO access_reviews (id, signed_by, signed_at, accounts, report_sha256, notes) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(review.id)
                .bind(review.signed_by)
                .bind(review.signed_at)
                .bind(i64::from(review.accounts))
                .bind(review.report_sha256.as_slice())
                .bind(&review.notes)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("record access review"))?;
                Ok(())
            }

            async fn access_reviews(&self) -> Result<Vec<AccessReviewRecord>, StoreError> {
                let rows: Vec<(Uuid, Uuid, i64, i64, Vec<u8>, String)> = sqlx::query_as(
                    "SELECT id, signed_by, signed_at, accounts, report_sha256, notes FROM access_reviews ORDER BY signed_at DESC",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("list access reviews"))?;
                Ok(rows
                    .into_iter()
                    .map(
                        |(id, signed_by, signed_at, accounts, report_sha256, notes)| AccessReviewRecord {
                            id,
                            signed_by,
                            signed_at,
                            accounts: u32::try_from(accounts).unwrap_or(u32::MAX),
                            report_sha256,
                            notes,
                        },
                    )
                    .collect())
            }

            async fn extra_policies(&self) -> Result<Vec<(String, String)>, StoreError> {
                sqlx::query_as("SELECT id, text FROM authz_policies ORDER BY added_at, id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::query("read policies"))
            }

            async fn add_policy(
                &self,
                id: &str,
                text: &str,
                added_by: Uuid,
                now: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO authz_policies (id, text, added_by, added_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(text)
                .bind(added_by)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(conflict_or("add policy", "a policy with this id"))?;
                Ok(())
            }

            async fn settings(&self) -> Result<Vec<SettingRecord>, StoreError> {
                let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT name, value, changed_by, changed_at FROM settings ORDER BY name",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read settings"))?;
                Ok(rows
                    .into_iter()
                    .map(|(name, value, changed_by, changed_at)| SettingRecord {
                        name,
                        value,
                        changed_by,
                        changed_at,
                    })
                    .collect())
            }

            async fn change_settings(
                &self,
                removed: &[String],
                changed: &[SettingRecord],
            ) -> Result<(), StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin settings change"))?;
                for name in removed {
                    sqlx::query("DELETE FROM settings WHERE name = $1")
                        .bind(name)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query("remove setting"))?;
                }
                for setting in changed {
                    sqlx::query(
                        "INSERT INTO settings (name, value, changed_by, changed_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                         changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                    )
                    .bind(&setting.name)
                    .bind(&setting.value)
                    .bind(&setting.changed_by)
                    .bind(setting.changed_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("store setting"))?;
                }
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit settings change"))
            }

            async fn create_service_token(
                &self,
                token: &ServiceTokenRecord,
                token_hash: &[u8; 32],
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO service_tokens (id, name, role, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token.id)
                .bind(&token.name)
                .bind(&token.role)
                .bind(token_hash.as_slice())
                .bind(token.created_at)
                .bind(token.expires_at)
                .execute(&self.pool)
                .await
                .map_err(conflict_or("create service token", "a service token with this name"))?;
                Ok(())
            }

            async fn service_token_by_hash(
                &self,
                token_hash: &[u8; 32],
            ) -> Result<Option<ServiceTokenRecord>, StoreError> {
                let row: Option<TokenRow> = sqlx::query_as(crate::accounts::TOKEN_BY_HASH_SQL)
                .bind(token_hash.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read service token"))?;
                Ok(row.map(token_from_row))
            }

            async fn service_token_by_id(
                &self,
                id: Uuid,
            ) -> Result<Option<ServiceTokenRecord>, StoreError> {
                let row: Option<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TOKEN_COLUMNS} FROM service_tokens WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read service token"))?;
                Ok(row.map(token_from_row))
            }

            async fn revoke_service_token(&self, id: Uuid, now: i64) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE service_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("revoke service token"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn touch_service_token(&self, id: Uuid, now: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE service_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("touch service token"))?;
                Ok(())
            }
        }
        }
    };
}

pub(crate) use impl_account_store;
