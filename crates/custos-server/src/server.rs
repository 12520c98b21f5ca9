//! Starting and stopping a Custos node: data directory, keys, TLS, store,
//! setup link, then the listener. Used by `custos serve` and by the testkit,
//! so tests run exactly the code users run.

use std::net::SocketAddr;
use std::sync::Arc;

use custos_store::{AccountStore, InstanceStore, Store, StoreError, StoreOptions};
use secrecy::SecretString;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::audit::forward::{self, ForwardContext, ForwardError, Forwarders};
use crate::audit::{AuditError, AuditWriter, events};
use crate::auth::AuthService;
use crate::authz::Authorizer;
use crate::clock::Clock;
use crate::config::Config;
use crate::datadir::{DataDir, DataDirError};
use crate::settings::LiveSettings;
use crate::state::AppState;
use crate::tls::TlsError;
use crate::vault::VaultService;
use crate::vault::keyring::Keyring;
use crate::{http, keys, listener, setup, tls};

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// Authentication or authorization could not be set up.
    #[error("security services: {0}")]
    Security(String),
    /// The data directory or a key in it.
    #[error("data directory: {0}")]
    DataDir(#[from] DataDirError),
    /// TLS set-up.
    #[error("tls: {0}")]
    Tls(#[from] TlsError),
    /// The store.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The start could not be recorded in the audit trail.
    #[error("audit trail: {0}")]
    Audit(#[from] AuditError),
    /// Forwarding the trail to a SIEM could not be set up.
    #[error("audit forwarding: {0}")]
    Forward(#[from] ForwardError),
    /// The listen address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// What a start did, for the operator.
#[derive(Debug)]
pub struct StartReport {
    /// Keys or certificate were created: this was the first start on this data directory.
    pub initialized: bool,
    /// The one-time link for the first admin, while setup is pending. A secret: print
    /// it to the operator's terminal only, never to a log.
    pub setup_url: Option<SecretString>,
}

/// A running node.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    base_url: String,
    state: AppState,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    audit_task: JoinHandle<()>,
    forwarders: Forwarders,
    sweeper: JoinHandle<()>,
    detector: JoinHandle<()>,
    indexer: JoinHandle<()>,
}

impl RunningServer {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https://host:port` as clients should use it.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The shared state, for in-process tests and tooling.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, drains requests in flight (bounded by the grace period),
    /// stops the SIEM forwarders (bounded) and closes the store.
    pub async fn shutdown(self) {
        self.state.start_draining();
        let _ = self.shutdown.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "listener task failed");
        }
        let _ = self.sweeper.await;
        let _ = self.detector.await;
        let _ = self.indexer.await;
        let audit = self.state.audit();
        let stopping = events::server_stopping(crate::audit::event_time_ms(self.state.clock()));
        if let Err(e) = audit.record(stopping).await {
            tracing::error!(error = %e, "cannot record the stop in the audit trail");
        }
        // Before the writer closes: they record their own stop and drain the backlog.
        self.forwarders.stop().await;
        audit.close().await;
        if let Err(e) = self.audit_task.await {
            tracing::error!(error = %e, "audit writer failed");
        }
        self.state.store().close().await;
        tracing::info!("custos stopped");
    }
}

/// Starts a node with `config`, reading time from `clock`.
pub async fn start(
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<(RunningServer, StartReport), StartError> {
    let dir = DataDir::create_or_open(&config.data_dir)?;
    let (keys, keys_created) = keys::load_or_create(&dir, config.root_source)?;
    let (tls_config, cert_created) = tls::server_config(&config.tls, &dir, config.listen)?;
    let sinks = forward::prepare(&config.audit.forward, forward::local_hostname().as_deref())?;

    let database_url = config.effective_database_url();
    let store = Store::open(
        &database_url,
        &StoreOptions {
            max_connections: config.max_connections,
            sqlite_direct: config.sqlite_direct,
            ..StoreOptions::default()
        },
    )
    .await?;
    let instance = store.instance(clock.unix_now()).await?;

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| default_base_url(local_addr));
    let setup_url = setup::issue_setup_link(&store, clock.as_ref(), &base_url).await?;

    let (committed, committed_rx) = watch::channel(0);
    let (feed, feed_rx) = tokio::sync::mpsc::channel(crate::audit::FEED_DEPTH);
    let (audit, audit_task) = AuditWriter::new(
        store.clone(),
        keys.audit_signer.clone(),
        instance.instance_id.to_string(),
        clock.clone(),
        config.audit.clone(),
    )
    .with_commit_notifier(committed)
    .with_batch_feed(feed)
    .spawn();
    audit
        .record(events::server_started(
            crate::audit::event_time_ms(clock.as_ref()),
            env!("CARGO_PKG_VERSION"),
            &config_fingerprint(&config),
            &store.backend().to_string(),
        ))
        .await?;
    let lookup_committed = committed_rx.clone();
    let forwarders = sinks.spawn(ForwardContext {
        store: store.clone(),
        audit: audit.clone(),
        clock: clock.clone(),
        committed: committed_rx,
    });

    let (router, api) = http::routes();
    let openapi_json = api.to_pretty_json().unwrap_or_default();
    let grace = config.shutdown_grace;
    let settings = Arc::new(LiveSettings::load(&config, &store).await?);
    let auth = AuthService::new(
        &config,
        store.clone(),
        audit.clone(),
        clock.clone(),
        settings.clone(),
        keys.root.expose(),
    )
    .map_err(|e| StartError::Security(e.to_string()))?
    .with_passkeys(passkey_relying_party(&config, &base_url)?);
    let extra_policies = store.extra_policies().await?;
    let authz = Authorizer::with_defaults_and(&extra_policies)
        .map_err(|e| StartError::Security(e.to_string()))?;
    let root = custos_crypto::LocalRootKey::from_bytes(keys.root_source_kind(), keys.root.expose())
        .map_err(|e| StartError::Security(e.to_string()))?;
    let keyring = Keyring::load_or_init(&store, Arc::new(root), clock.unix_now().0)
        .await
        .map_err(|e| match e {
            crate::vault::VaultError::Crypto(_) => StartError::Security(
                "the vault keys in this database cannot be unwrapped with this root key \
                 (is this the data directory, or keys.root_source, that created the database?)"
                    .to_owned(),
            ),
            e => StartError::Security(e.to_string()),
        })?;
    let redactor = custos_redact::Redactor::new(custos_redact::RedactorConfig::default())
        .map_err(|e| StartError::Security(e.to_string()))?;
    let vault = VaultService::new(
        store.clone(),
        audit.clone(),
        clock.clone(),
        keyring,
        redactor.clone(),
        settings.clone(),
        &config.vault,
    );
    let notifier = crate::notify::Notifier::from_config(&config)
        .map_err(|e| StartError::Security(e.to_string()))?;
    let head = custos_store::AuditStore::audit_head(&store).await?.seq;
    // The writer ends with the last handle (the state), after the listener has drained.
    let (entry_writer, _) = crate::conversation::writer::EntryWriter::spawn(store.clone());
    let detection = crate::detect::Detection::load(&store, head)
        .await
        .map_err(|e| StartError::Security(format!("detection rules: {e}")))?;
    let state = AppState::new(
        config,
        settings,
        store,
        keys,
        audit,
        auth,
        authz,
        vault,
        redactor,
        notifier,
        detection,
        entry_writer,
        clock,
        instance.clone(),
        openapi_json,
        base_url.clone(),
    );
    let (shutdown, shutdown_rx) = watch::channel(false);
    let app = http::app(router, state.clone());
    let sweeper = tokio::spawn(sweep_inactive_accounts(state.clone(), shutdown_rx.clone()));
    let detector = tokio::spawn(crate::detect::run(
        state.clone(),
        feed_rx,
        shutdown_rx.clone(),
    ));
    let indexer = tokio::spawn(crate::audit::lookup::run(
        state.store().clone(),
        lookup_committed,
        shutdown_rx.clone(),
    ));

    let task = tokio::spawn(listener::serve(
        listener,
        tls_config,
        app,
        shutdown_rx,
        grace,
    ));
    tracing::info!(
        address = %local_addr,
        store = %database_url,
        instance_id = %instance.instance_id,
        "custos listening"
    );
    Ok((
        RunningServer {
            local_addr,
            base_url,
            state,
            shutdown,
            task,
            audit_task,
            sweeper,
            detector,
            indexer,
            forwarders,
        },
        StartReport {
            initialized: keys_created || cert_created,
            setup_url,
        },
    ))
}

/// SHA-256 of the effective configuration as `config check` prints it (no secrets).
fn config_fingerprint(config: &Config) -> String {
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, config.describe().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What other nodes and tools may change in the shared store, reloaded into this
/// node: the vault's keys (a rotation by `custos keys rotate` moves new customers
/// to the newest KEK), the policies administrators added elsewhere, the
/// detection rules and the settings they changed.
pub async fn reload_shared_state(state: &AppState) {
    if let Err(e) = state.vault().reload_keys().await {
        tracing::warn!(error = %e, "reloading the vault keys failed");
    }
    match state.store().extra_policies().await {
        Ok(extra) => match state.authz().reload_added(&extra) {
            Ok(true) => tracing::info!(policies = extra.len(), "added policies reloaded"),
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e, "stored policies do not validate; kept the ones in force")
            }
        },
        Err(e) => tracing::warn!(error = %e, "reading the added policies failed"),
    }
    if let Err(e) = state.settings().reload(state.store()).await {
        tracing::warn!(error = %e, "reading the settings changes failed");
    }
    match state.detection().reload(state.store()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rules = n, "detection rule changes reloaded"),
        Err(e) => tracing::warn!(error = %e, "reading the detection rule changes failed"),
    }
}

/// Disables accounts unused for 90 days (PCI DSS 8.2.6): at start, then hourly,
/// until shutdown. Sign-in checks the same rule, so an hour's delay opens nothing.
/// Every minute, reloads what other nodes may have changed ([`reload_shared_state`]).
async fn sweep_inactive_accounts(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every_minute.tick() => {
                reload_shared_state(&state).await;
                match crate::conversation::lifecycle::close_idle(&state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(interactions = n, "closed idle interactions"),
                    Err(e) => tracing::warn!(error = %e, "closing idle interactions failed"),
                }
            }
            _ = every_hour.tick() => {
                match state.auth().disable_inactive().await {
                    Ok(disabled) if !disabled.is_empty() => {
                        tracing::info!(accounts = disabled.len(), "disabled accounts inactive for 90 days");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "inactive-account sweep failed"),
                }
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
    }
}

/// The passkeys' relying party for the address people use; `None` (and a warning)
/// when that address is a bare non-loopback IP, which browsers refuse for passkeys.
fn passkey_relying_party(
    config: &Config,
    base_url: &str,
) -> Result<Option<crate::auth::RelyingParty>, StartError> {
    let relying_party =
        crate::auth::RelyingParty::for_base_url(base_url, config.webauthn_rp_id.as_deref())
            .map_err(StartError::Security)?;
    match &relying_party {
        Some(rp) => tracing::info!(origin = rp.origin(), "passkeys enabled"),
        None => tracing::warn!(
            "passkeys are off: set server.public_url to the https:// domain name people use"
        ),
    }
    Ok(relying_party)
}

/// The URL people use when no public URL is configured. An unspecified listen
/// address (0.0.0.0) is shown as `localhost`, which the generated certificate names.
fn default_base_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() || addr.ip().is_loopback() && addr.is_ipv6() {
        format!("https://localhost:{}", addr.port())
    } else {
        format!("https://{addr}")
    }
}
