//! The PostgreSQL store: a connection pool shared by one or more Custos nodes.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

crate::sql::accounts::impl_account_store!(PgStore, sqlx::Postgres);
crate::sql::audit::impl_audit_store!(PgStore, sqlx::Postgres);
crate::sql::instance::impl_instance_store!(PgStore);
crate::sql::invitations::impl_invitation_store!(PgStore, sqlx::Postgres);
crate::sql::passkeys::impl_passkey_store!(PgStore);
crate::sql::vault::impl_vault_store!(PgStore);
crate::sql::detection::impl_detection_store!(PgStore);
crate::sql::conversation::impl_conversation_store!(PgStore, sqlx::Postgres);

use crate::{DatabaseUrl, StoreError, StoreOptions, migrations};

/// A store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    /// Connects a pool to the database named by `url` and migrates it.
    pub async fn open(url: &DatabaseUrl, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect =
            PgConnectOptions::from_str(url.expose_secret()).map_err(StoreError::InvalidUrl)?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(StoreError::Unavailable)?;
        migrations::postgres()
            .run(&pool)
            .await
            .map_err(StoreError::Migration)?;
        Ok(Self { pool })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
