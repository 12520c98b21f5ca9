//! Throwaway databases: a temporary SQLite file or a fresh PostgreSQL schema.

use std::str::FromStr as _;

use custos_store::{DatabaseUrl, Store, StoreOptions};
use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use sqlx::postgres::PgConnectOptions;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// Schemas made by the testkit start with this; leftovers of crashed runs are swept.
const SCHEMA_PREFIX: &str = "custos_t_";
/// A schema older than this is a leftover.
const LEFTOVER_AFTER_SECS: i64 = 3600;

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A database only this test uses.
#[derive(Debug)]
pub struct TestDatabase {
    backend: Backend,
    url: DatabaseUrl,
    /// For PostgreSQL: the admin URL and the schema to drop afterwards.
    postgres_schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
    /// The data directory of the server that last ran on this database: its root
    /// key wraps the vault's keys in it, so a restart must use the same one.
    pub(crate) data_dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh database on `backend`; `None` when PostgreSQL is unavailable outside CI.
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = DatabaseUrl::sqlite_file(&dir.path().join("custos.db"));
                Some(Self {
                    backend,
                    url,
                    postgres_schema: None,
                    _dir: Some(dir),
                    data_dir: None,
                })
            }
            Backend::Postgres => Self::postgres().await,
        }
    }

    async fn postgres() -> Option<Self> {
        let admin_url = std::env::var("CUSTOS_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut conn = match PgConnectOptions::from_str(&admin_url)
            .expect("CUSTOS_TEST_POSTGRES_URL must be a PostgreSQL URL")
            .connect()
            .await
        {
            Ok(conn) => conn,
            Err(e) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("PostgreSQL is required under CI=true but unreachable: {e}");
                }
                eprintln!("SKIPPED: PostgreSQL unreachable ({e}); set CUSTOS_TEST_POSTGRES_URL");
                return None;
            }
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        sweep_leftovers(&mut conn, now).await;
        let schema = format!(
            "{SCHEMA_PREFIX}{now}_{}",
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..12)
                .unwrap_or("x")
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        let _ = conn.close().await;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = DatabaseUrl::parse(&format!(
            "{admin_url}{separator}options=-c%20search_path%3D{schema}"
        ))
        .expect("test database URL");
        Some(Self {
            backend: Backend::Postgres,
            url,
            postgres_schema: Some((admin_url, schema)),
            _dir: None,
            data_dir: None,
        })
    }

    /// For PostgreSQL: the admin URL and this database's schema (for `pg_dump -n`).
    pub fn postgres_schema(&self) -> Option<(&str, &str)> {
        self.postgres_schema
            .as_ref()
            .map(|(url, schema)| (url.as_str(), schema.as_str()))
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL to open it with.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Opens (and migrates) the store.
    pub async fn open(&self) -> Store {
        Store::open(&self.url, &StoreOptions::default())
            .await
            .expect("open test store")
    }

    /// Runs SQL directly on the database, bypassing Custos: for tests that play an
    /// attacker with database access. Statements are separated by `;`.
    pub async fn execute_raw(&self, sql: &str) {
        if let Err(e) = self.try_execute_raw(sql).await {
            panic!("raw SQL failed: {e}");
        }
    }

    /// Like [`execute_raw`](Self::execute_raw), returning the database's error.
    pub async fn try_execute_raw(&self, sql: &str) -> Result<(), String> {
        let statement = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()));
        let result = match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(self.url.expose_secret())
                    .await
                    .expect("open SQLite directly");
                // The audit trail and its lookup tables are in files beside it,
                // attached as Custos does.
                if let Some(path) = self.url.sqlite_path() {
                    let beside = [
                        ("trail", custos_store::sqlite_trail_path(&path)),
                        ("lookup", custos_store::sqlite_lookup_path(&path)),
                    ];
                    for (schema, file) in beside {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "ATTACH DATABASE $1 AS {schema}"
                        )))
                        .bind(file.to_string_lossy().into_owned())
                        .execute(&mut conn)
                        .await
                        .expect("attach a file beside the database");
                    }
                }
                let result = statement.execute(&mut conn).await.map(drop);
                let _ = conn.close().await;
                result
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(self.url.expose_secret())
                    .await
                    .expect("open PostgreSQL directly");
                let result = statement.execute(&mut conn).await.map(drop);
                let _ = conn.close().await;
                result
            }
        };
        result.map_err(|e| e.to_string())
    }

    /// Drops the PostgreSQL schema; the SQLite file goes with its directory.
    pub async fn cleanup(self) {
        if let Some((admin_url, schema)) = &self.postgres_schema
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA \"{schema}\" CASCADE"
            )))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}

/// Drops schemas that crashed test runs left behind.
async fn sweep_leftovers(conn: &mut sqlx::PgConnection, now: i64) {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'custos\\_t\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let created = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|ts| ts.parse::<i64>().ok());
        if created.is_some_and(|t| now - t > LEFTOVER_AFTER_SECS) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
            )))
            .execute(&mut *conn)
            .await;
        }
    }
}
