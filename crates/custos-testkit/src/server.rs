//! A real server on a free loopback port, with a client that trusts its certificate.

use std::path::Path;
use std::sync::Arc;

use custos_server::clock::ManualClock;
use custos_server::config::{self, CliOverrides, Config};
use custos_server::{RunningServer, StartReport};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::database::{Backend, TestDatabase};

/// A running server, its store, its clock and a client.
pub struct TestServer {
    server: RunningServer,
    report: StartReport,
    client: reqwest::Client,
    clock: Arc<ManualClock>,
    database: TestDatabase,
    data_dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on `backend` with the default configuration; `None` when
    /// PostgreSQL is unavailable outside CI.
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, &[]).await
    }

    /// Starts a server with extra `CUSTOS_<SECTION>__<KEY>` settings.
    pub async fn start_with(backend: Backend, settings: &[(&str, &str)]) -> Option<Self> {
        let database = TestDatabase::create(backend).await?;
        Some(Self::start_on(database, settings).await)
    }

    /// Starts a server on an existing test database.
    pub async fn start_on(database: TestDatabase, settings: &[(&str, &str)]) -> Self {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("valid time");
        Self::start_on_at(database, settings, now).await
    }

    /// Starts a server whose clock shows `start` (for data that must look old).
    pub async fn start_on_at(
        mut database: TestDatabase,
        settings: &[(&str, &str)],
        start: time::OffsetDateTime,
    ) -> Self {
        // A database keeps the data directory (and so the root key) of its last server.
        let data_dir = match database.data_dir.take() {
            Some(dir) => dir,
            None => tempfile::tempdir().expect("temporary data directory"),
        };
        let config = test_config(data_dir.path(), &database, settings);
        let clock = Arc::new(ManualClock::new(start));
        let (server, report) = custos_server::start(config, clock.clone())
            .await
            .expect("server starts");
        let client = client_trusting(&data_dir.path().join("tls").join("cert.pem"));
        Self {
            server,
            report,
            client,
            clock,
            database,
            data_dir,
        }
    }

    /// `https://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// The client, trusting this server's certificate and nothing else.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// The server's clock.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// What the start reported (setup link, initialization).
    pub fn report(&self) -> &StartReport {
        &self.report
    }

    /// The running server.
    pub fn server(&self) -> &RunningServer {
        &self.server
    }

    /// The test database, for direct access in tests that play an attacker.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Shuts the server down gracefully and drops its database.
    pub async fn stop(self) {
        self.server.shutdown().await;
        self.database.cleanup().await;
    }

    /// Shuts the server down but leaves its database, with the data directory
    /// whose root key it needs, for another start; the caller cleans it up.
    pub async fn stop_keeping_database(self) -> TestDatabase {
        self.server.shutdown().await;
        let mut database = self.database;
        database.data_dir = Some(self.data_dir);
        database
    }

    /// Shuts the server down and keeps its whole installation (database and data
    /// directory) for offline tools such as `custos audit verify`.
    pub async fn stop_keeping_installation(self) -> Installation {
        self.server.shutdown().await;
        Installation {
            database: self.database,
            data_dir: self.data_dir,
        }
    }
}

/// A stopped server's database and data directory.
pub struct Installation {
    /// The database.
    pub database: TestDatabase,
    /// The data directory (keys, certificate, witness file).
    pub data_dir: tempfile::TempDir,
}

impl Installation {
    /// `--data-dir DIR --database-url URL`, as the command line takes them.
    pub fn cli_args(&self) -> Vec<String> {
        vec![
            "--data-dir".to_owned(),
            self.data_dir.path().display().to_string(),
            "--database-url".to_owned(),
            self.database.url().expose_secret().to_owned(),
        ]
    }

    /// Drops the database.
    pub async fn cleanup(self) {
        self.database.cleanup().await;
    }
}

fn test_config(data_dir: &Path, database: &TestDatabase, settings: &[(&str, &str)]) -> Config {
    let vars = settings
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let overrides = CliOverrides {
        listen: Some("127.0.0.1:0".to_owned()),
        data_dir: Some(data_dir.to_path_buf()),
        database_url: match database.backend() {
            // The SQLite file lives in the database's own temporary directory.
            Backend::Sqlite | Backend::Postgres => Some(expose(database)),
        },
    };
    config::load(None, vars, &overrides).expect("test configuration is valid")
}

/// The test database's URL as text, to pass as `--database-url` would.
fn expose(database: &TestDatabase) -> String {
    database.url().expose_secret().to_owned()
}

/// An HTTPS client whose only trust anchor is the certificate at `cert_path`.
pub fn client_trusting(cert_path: &Path) -> reqwest::Client {
    client_builder_trusting(cert_path)
        .build()
        .expect("HTTPS client")
}

/// A client builder whose only trust anchor is the certificate at `cert_path`,
/// for tests that need other settings (redirects not followed, say).
pub fn client_builder_trusting(cert_path: &Path) -> reqwest::ClientBuilder {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert_path).expect("certificate file") {
        roots.add(cert.expect("certificate")).expect("trust anchor");
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder().tls_backend_preconfigured(tls)
}
