//! The state every handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use custos_store::{InstanceInfo, Store};

use crate::audit::AuditLog;
use crate::auth::AuthService;
use crate::authz::Authorizer;
use crate::clock::Clock;
use crate::config::Config;
use crate::http::metrics::HttpMetrics;
use crate::keys::Keys;
use crate::settings::LiveSettings;
use crate::vault::VaultService;

/// Cheap to clone: one shared inner value.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    settings: Arc<LiveSettings>,
    store: Store,
    keys: Keys,
    audit: AuditLog,
    auth: AuthService,
    authz: Authorizer,
    vault: VaultService,
    redactor: custos_redact::Redactor,
    notifier: crate::notify::Notifier,
    detection: crate::detect::Detection,
    entries: crate::conversation::writer::EntryWriter,
    clock: Arc<dyn Clock>,
    instance: InstanceInfo,
    metrics: HttpMetrics,
    draining: AtomicBool,
    openapi_json: String,
    base_url: String,
}

impl AppState {
    /// Bundles what the handlers need.
    #[expect(
        clippy::too_many_arguments,
        reason = "the state is built once, from every service"
    )]
    pub fn new(
        config: Config,
        settings: Arc<LiveSettings>,
        store: Store,
        keys: Keys,
        audit: AuditLog,
        auth: AuthService,
        authz: Authorizer,
        vault: VaultService,
        redactor: custos_redact::Redactor,
        notifier: crate::notify::Notifier,
        detection: crate::detect::Detection,
        entries: crate::conversation::writer::EntryWriter,
        clock: Arc<dyn Clock>,
        instance: InstanceInfo,
        openapi_json: String,
        base_url: String,
    ) -> Self {
        Self(Arc::new(Inner {
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
            entries,
            clock,
            instance,
            metrics: HttpMetrics::new(),
            draining: AtomicBool::new(false),
            openapi_json,
            base_url,
        }))
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The settings that change at run time (sessions, lockout, retention,
    /// masking): read them here, not from [`AppState::config`].
    pub fn settings(&self) -> &LiveSettings {
        &self.0.settings
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The keys held in memory.
    pub fn keys(&self) -> &Keys {
        &self.0.keys
    }

    /// The audit log.
    pub fn audit(&self) -> &AuditLog {
        &self.0.audit
    }

    /// Authentication.
    pub fn auth(&self) -> &AuthService {
        &self.0.auth
    }

    /// Authorization.
    pub fn authz(&self) -> &Authorizer {
        &self.0.authz
    }

    /// Detection and response on this node.
    pub fn detection(&self) -> &crate::detect::Detection {
        &self.0.detection
    }

    /// The group-committing writer of conversation entries.
    pub fn entry_writer(&self) -> &crate::conversation::writer::EntryWriter {
        &self.0.entries
    }

    /// Outgoing mail and webhooks.
    pub fn notifier(&self) -> &crate::notify::Notifier {
        &self.0.notifier
    }

    /// The customer vault.
    pub fn vault(&self) -> &VaultService {
        &self.0.vault
    }

    /// The redaction engine.
    pub fn redactor(&self) -> &custos_redact::Redactor {
        &self.0.redactor
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.0.clock.as_ref()
    }

    /// This installation's identity.
    pub fn instance(&self) -> &InstanceInfo {
        &self.0.instance
    }

    /// HTTP metrics.
    pub fn metrics(&self) -> &HttpMetrics {
        &self.0.metrics
    }

    /// Where people reach this server (`server.public_url`, or the listener's
    /// address): the base of the links it hands out.
    pub fn base_url(&self) -> &str {
        &self.0.base_url
    }

    /// The served OpenAPI document.
    pub fn openapi_json(&self) -> &str {
        &self.0.openapi_json
    }

    /// Marks the node as shutting down: readiness fails so load balancers drain it.
    pub fn start_draining(&self) {
        self.0.draining.store(true, Ordering::SeqCst);
    }

    /// Whether the node is shutting down.
    pub fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::SeqCst)
    }
}
