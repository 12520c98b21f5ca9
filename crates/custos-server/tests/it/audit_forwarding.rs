//! Forwarding the trail to SIEMs, end to end: a real rsyslog (Debian's package)
//! receiving RFC 5425 syslog over TLS, and an in-test HTTPS receiver speaking
//! Splunk HEC. Every entry arrives, an outage loses nothing and is recorded in
//! the trail, and the stored cursor reaches the head.
//!
//! rsyslog is installed by `scripts/ensure-deps`. Without `rsyslogd` the syslog
//! tests are skipped with a message, except under `CI=true`, where they fail.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::routing::post;
use custos_audit::{Activity, Actor, AuditEvent, Outcome, StoredEventV1};
use custos_store::{AuditStore, Store};
use custos_testkit::{TestDatabase, TestServer};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use tokio::time::Instant;

/// Longest wait for anything to arrive.
const WAIT_BOUND: Duration = Duration::from_secs(20);
/// Time between two looks at a condition.
const POLL: Duration = Duration::from_millis(50);
const HEC_PATH: &str = "/services/collector/event";

/// A bounded wait: call [`tick`](Self::tick) between looks at a condition.
struct Deadline {
    until: Instant,
    what: &'static str,
}

impl Deadline {
    fn new(what: &'static str) -> Self {
        Self {
            until: Instant::now() + WAIT_BOUND,
            what,
        }
    }

    async fn tick(&self) {
        assert!(
            Instant::now() < self.until,
            "gave up after {WAIT_BOUND:?} waiting until {}",
            self.what
        );
        tokio::time::sleep(POLL).await;
    }
}

fn read_event(i: usize) -> AuditEvent {
    AuditEvent::new(
        1_800_000_000_000,
        Activity::ApiRead,
        "customer.read",
        Outcome::Success,
        Actor::system(),
        "read a customer",
    )
    .with_target("customer", Some(&format!("c-{i}")), None)
}

fn denied_event() -> AuditEvent {
    AuditEvent::new(
        1_800_000_000_000,
        Activity::Decrypt,
        "customer.reveal",
        Outcome::Failure,
        Actor::system(),
        "reveal denied",
    )
    .with_target("customer", Some("c-denied"), Some("ssn"))
}

async fn record_events(server: &TestServer, count: usize) {
    let audit = server.server().state().audit();
    for i in 0..count {
        audit.record(read_event(i)).await.unwrap();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and a server certificate for 127.0.0.1 and localhost, as PEM files.
struct Pki {
    dir: tempfile::TempDir,
    leaf_der: CertificateDer<'static>,
    leaf_key_der: Vec<u8>,
}

impl Pki {
    fn generate() -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Custos test SIEM CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), leaf_key.serialize_pem()).unwrap();
        Self {
            dir,
            leaf_der: leaf.der().clone(),
            leaf_key_der: leaf_key.serialize_der(),
        }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn server_tls(&self) -> Arc<rustls::ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![self.leaf_der.clone()], key)
        .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// `rsyslogd`, or `None` (with a message) when it is missing outside CI.
fn rsyslogd_or_skip() -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let found = path_dirs
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join("rsyslogd"))
        .find(|path| path.is_file());
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("rsyslogd is required under CI=true; scripts/ensure-deps installs it");
        }
        eprintln!("SKIPPED: rsyslogd not installed; run scripts/ensure-deps");
    }
    found
}

/// A real rsyslog taking RFC 5425 syslog over TLS on 127.0.0.1 and writing every
/// message, raw, one per line, to a file.
struct Rsyslog {
    child: Child,
    dir: tempfile::TempDir,
}

impl Rsyslog {
    fn start(rsyslogd: &Path, pki: &Pki, port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let certs = pki.dir.path().display();
        // %rawmsg% is the message exactly as framed, without the octet count.
        let conf = format!(
            r#"global(
  workDirectory="{d}"
  maxMessageSize="64k"
  defaultNetstreamDriver="ossl"
  defaultNetstreamDriverCAFile="{certs}/ca.pem"
  defaultNetstreamDriverCertFile="{certs}/cert.pem"
  defaultNetstreamDriverKeyFile="{certs}/key.pem"
)
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="custos") {{
  action(type="omfile" file="{d}/received.log" template="raw")
}}
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="custos")
"#
        );
        std::fs::write(dir.path().join("rsyslog.conf"), conf).unwrap();
        let stderr = std::fs::File::create(dir.path().join("rsyslogd.stderr")).unwrap();
        let child = Command::new(rsyslogd)
            .arg("-n")
            .arg("-f")
            .arg(dir.path().join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        Self { child, dir }
    }

    /// Waits until the collector accepts connections.
    async fn wait_listening(&mut self, port: u16) {
        let deadline = Deadline::new("rsyslogd listens");
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("rsyslogd exited with {status}: {}", self.stderr());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            deadline.tick().await;
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rsyslogd.stderr")).unwrap_or_default()
    }

    /// Every complete line received so far, parsed, by sequence number (a
    /// duplicate keeps the last copy; `copies` counts them).
    fn received(&self) -> Received {
        let text =
            std::fs::read_to_string(self.dir.path().join("received.log")).unwrap_or_default();
        let mut received = Received::default();
        // A line still being written has no newline yet.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        for line in complete.lines() {
            let message = SyslogMessage::parse(line);
            *received.copies.entry(message.seq).or_default() += 1;
            received.messages.insert(message.seq, message);
        }
        received
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Default)]
struct Received {
    messages: BTreeMap<u64, SyslogMessage>,
    copies: BTreeMap<u64, usize>,
}

impl Received {
    fn covers(&self, through: u64) -> bool {
        (1..=through).all(|seq| self.messages.contains_key(&seq))
    }
}

/// One RFC 5424 message as Custos writes it.
#[derive(Debug)]
struct SyslogMessage {
    pri: u16,
    timestamp: String,
    app: String,
    procid: String,
    msgid: String,
    seq: u64,
    action: String,
    ocsf: Value,
}

impl SyslogMessage {
    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [custos@32473 seq="N" action="…"] JSON`
    fn parse(line: &str) -> Self {
        let rest = line.strip_prefix('<').unwrap_or_else(|| panic!("{line}"));
        let (pri, rest) = rest.split_once('>').unwrap();
        let rest = rest
            .strip_prefix("1 ")
            .unwrap_or_else(|| panic!("version 1: {line}"));
        let mut header = rest.splitn(6, ' ');
        let timestamp = header.next().unwrap().to_owned();
        let _host = header.next().unwrap();
        let app = header.next().unwrap().to_owned();
        let procid = header.next().unwrap().to_owned();
        let msgid = header.next().unwrap().to_owned();
        let rest = header.next().unwrap();
        let sd = rest
            .strip_prefix("[custos@32473 ")
            .unwrap_or_else(|| panic!("structured data: {line}"));
        let (params, json) = sd.split_once("] ").unwrap();
        let param = |name: &str| {
            let start = format!("{name}=\"");
            let value = params.split(&start).nth(1).unwrap();
            value.split('"').next().unwrap().to_owned()
        };
        Self {
            pri: pri.parse().unwrap(),
            timestamp,
            app,
            procid,
            msgid,
            seq: param("seq").parse().unwrap(),
            action: param("action"),
            ocsf: serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}")),
        }
    }
}

fn syslog_settings(pki: &Pki, port: u16) -> Vec<(&'static str, String)> {
    vec![
        (
            "CUSTOS_AUDIT__SYSLOG_URL",
            format!("tls://127.0.0.1:{port}"),
        ),
        (
            "CUSTOS_AUDIT__SYSLOG_CA_FILE",
            pki.ca_file().display().to_string(),
        ),
    ]
}

async fn start_server(db: TestDatabase, settings: &[(&'static str, String)]) -> TestServer {
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestServer::start_on(db, &settings).await
}

async fn chain_head(store: &Store) -> u64 {
    store.audit_head().await.unwrap().seq
}

/// Waits until `sink`'s stored cursor equals the chain head.
async fn wait_for_cursor_at_head(store: &Store, sink: &str) -> u64 {
    let deadline = Deadline::new("the forwarding cursor reaches the head");
    loop {
        let head = chain_head(store).await;
        if store.audit_cursor(sink).await.unwrap() == head {
            return head;
        }
        deadline.tick().await;
    }
}

async fn trail(store: &Store) -> Vec<(u64, StoredEventV1)> {
    store
        .audit_entries(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, StoredEventV1::decode(&e.payload).unwrap()))
        .collect()
}

async fn wait_for_action(store: &Store, action: &str) {
    let deadline = Deadline::new("an action appears in the trail");
    while !trail(store).await.iter().any(|(_, e)| e.action == action) {
        deadline.tick().await;
    }
}

/// Exactly one `audit.sink_down` then one `audit.sink_restored` for `sink`,
/// naming it as the target.
async fn assert_one_outage_recorded(store: &Store, sink: &str, reason: &str) {
    let trail = trail(store).await;
    let of = |action: &str| -> Vec<(u64, StoredEventV1)> {
        trail
            .iter()
            .filter(|(_, e)| e.action == action)
            .cloned()
            .collect()
    };
    let down = of("audit.sink_down");
    let restored = of("audit.sink_restored");
    assert_eq!(down.len(), 1, "one sink_down per outage: {down:?}");
    assert_eq!(restored.len(), 1, "{restored:?}");
    let (down_seq, down) = &down[0];
    let (restored_seq, restored) = &restored[0];
    assert!(down_seq < restored_seq);
    assert_eq!(down.outcome, Outcome::Failure);
    assert_eq!(down.status_detail.as_deref(), Some(reason));
    assert_eq!(restored.outcome, Outcome::Success);
    for event in [down, restored] {
        let target = event.target.as_ref().unwrap();
        assert_eq!(target.kind, "audit_sink");
        assert_eq!(target.id.as_deref(), Some(sink));
        assert_eq!(event.activity(), Some(Activity::EntityUpdate));
    }
    let failed_attempts: u64 = restored.details["failed_attempts"].parse().unwrap();
    assert!(failed_attempts >= 1);
}

async fn every_entry_reaches_rsyslog_over_tls(db: TestDatabase) {
    let Some(rsyslogd) = rsyslogd_or_skip() else {
        db.cleanup().await;
        return;
    };
    let pki = Pki::generate();
    let port = free_port();
    let mut collector = Rsyslog::start(&rsyslogd, &pki, port);
    collector.wait_listening(port).await;
    let server = start_server(db, &syslog_settings(&pki, port)).await;
    record_events(&server, 40).await;
    let denied_seq = server
        .server()
        .state()
        .audit()
        .record(denied_event())
        .await
        .unwrap();
    let store = server.server().state().store().clone();

    let head = wait_for_cursor_at_head(&store, "syslog").await;
    let deadline = Deadline::new("rsyslog has written every entry");
    while !collector.received().covers(head) {
        deadline.tick().await;
    }
    let received = collector.received();
    let trail = trail(&store).await;
    for (seq, event) in &trail {
        let message = &received.messages[seq];
        assert_eq!(message.app, "custos");
        assert_eq!(message.procid, "-");
        assert_eq!(message.msgid, event.action);
        assert_eq!(message.action, event.action);
        assert_eq!(message.ocsf["metadata"]["sequence"], *seq);
        assert_eq!(
            message.ocsf["metadata"]["event_code"],
            event.action.as_str()
        );
        assert_eq!(message.ocsf["class_uid"], event.class_uid);
        // 2027-01-15T08:00:00.000Z: UTC, milliseconds.
        assert_eq!(message.timestamp.len(), 24, "{}", message.timestamp);
        assert!(message.timestamp.ends_with('Z'));
        let expected_pri = if event.outcome == Outcome::Failure {
            108
        } else {
            110
        };
        assert_eq!(message.pri, expected_pri, "seq {seq}");
    }
    assert_eq!(received.messages[&denied_seq].pri, 108);
    assert!(trail.iter().any(|(_, e)| e.action == "audit.sink_start"));

    // Shutdown drains: the stop and the forwarder's own stop event still go out.
    let db = server.stop_keeping_database().await;
    let store = db.open().await;
    let final_head = chain_head(&store).await;
    assert_eq!(store.audit_cursor("syslog").await.unwrap(), final_head);
    let deadline = Deadline::new("rsyslog has the entries drained at shutdown");
    while !collector.received().covers(final_head) {
        deadline.tick().await;
    }
    let actions: Vec<String> = collector
        .received()
        .messages
        .values()
        .map(|m| m.action.clone())
        .collect();
    assert!(actions.iter().any(|a| a == "server.stop"), "{actions:?}");
    assert_eq!(actions.last().map(String::as_str), Some("audit.sink_stop"));
    store.close().await;
    db.cleanup().await;
}

async fn a_syslog_outage_loses_nothing(db: TestDatabase) {
    let Some(rsyslogd) = rsyslogd_or_skip() else {
        db.cleanup().await;
        return;
    };
    let pki = Pki::generate();
    // Nothing listens here until the collector "comes back".
    let port = free_port();
    let server = start_server(db, &syslog_settings(&pki, port)).await;
    record_events(&server, 30).await;
    let store = server.server().state().store().clone();
    wait_for_action(&store, "audit.sink_down").await;
    assert_eq!(
        store.audit_cursor("syslog").await.unwrap(),
        0,
        "nothing counts as delivered while the collector is down"
    );

    let mut collector = Rsyslog::start(&rsyslogd, &pki, port);
    collector.wait_listening(port).await;
    record_events(&server, 5).await;
    wait_for_action(&store, "audit.sink_restored").await;
    let head = wait_for_cursor_at_head(&store, "syslog").await;
    let deadline = Deadline::new("rsyslog has the whole backlog");
    while !collector.received().covers(head) {
        deadline.tick().await;
    }
    assert_one_outage_recorded(&store, "syslog", "connect_failed").await;
    let received = collector.received();
    assert_eq!(
        received.messages.keys().copied().collect::<Vec<_>>(),
        (1..=head).collect::<Vec<_>>()
    );
    server.stop().await;
}

/// A collector that restarts while the forwarder holds a connection to it: the
/// forwarder notices the closed connection before writing (TCP would otherwise
/// take the first write into the void) and the new collector gets the rest.
async fn a_restarted_collector_misses_nothing(db: TestDatabase) {
    let Some(rsyslogd) = rsyslogd_or_skip() else {
        db.cleanup().await;
        return;
    };
    let pki = Pki::generate();
    let port = free_port();
    let mut first = Rsyslog::start(&rsyslogd, &pki, port);
    first.wait_listening(port).await;
    let server = start_server(db, &syslog_settings(&pki, port)).await;
    record_events(&server, 10).await;
    let store = server.server().state().store().clone();
    let before = wait_for_cursor_at_head(&store, "syslog").await;
    let deadline = Deadline::new("the first collector has the first entries");
    while !first.received().covers(before) {
        deadline.tick().await;
    }
    let mut received = first.received().messages;
    drop(first);

    let mut second = Rsyslog::start(&rsyslogd, &pki, port);
    second.wait_listening(port).await;
    record_events(&server, 10).await;
    let head = wait_for_cursor_at_head(&store, "syslog").await;
    let deadline = Deadline::new("the second collector has the later entries");
    while !((before + 1)..=head).all(|seq| second.received().messages.contains_key(&seq)) {
        deadline.tick().await;
    }
    received.extend(second.received().messages);
    assert_eq!(
        received.keys().copied().collect::<Vec<_>>(),
        (1..=head).collect::<Vec<_>>()
    );
    server.stop().await;
}

/// An HTTPS endpoint answering like Splunk HEC: 503 for the first `refuse_first`
/// requests, then 200, keeping every event and `Authorization` header it got.
struct HecReceiver {
    addr: SocketAddr,
    state: Arc<Mutex<HecState>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct HecState {
    refuse_first: usize,
    requests: usize,
    authorizations: Vec<String>,
    events: Vec<Value>,
}

impl HecReceiver {
    async fn start(pki: &Pki, refuse_first: usize) -> Self {
        let state = Arc::new(Mutex::new(HecState {
            refuse_first,
            ..HecState::default()
        }));
        let app = Router::new()
            .route(HEC_PATH, post(collect))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_tls());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let app = app.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                        .await;
                });
            }
        });
        Self { addr, state, task }
    }

    fn url(&self) -> String {
        format!("https://{}{HEC_PATH}", self.addr)
    }

    /// How many times each sequence number arrived.
    fn copies(&self) -> BTreeMap<u64, usize> {
        let state = self.state.lock().unwrap();
        let mut copies = BTreeMap::new();
        for event in &state.events {
            let seq = event["event"]["metadata"]["sequence"].as_u64().unwrap();
            *copies.entry(seq).or_default() += 1;
        }
        copies
    }
}

impl Drop for HecReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn collect(
    State(state): State<Arc<Mutex<HecState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut state = state.lock().unwrap();
    state.requests += 1;
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    state.authorizations.push(authorization);
    if state.requests <= state.refuse_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    for event in serde_json::Deserializer::from_slice(&body).into_iter::<Value>() {
        state.events.push(event.unwrap());
    }
    StatusCode::OK
}

const HEC_TOKEN: &str = "HecTokenCanary-0d6f3b";

fn hec_settings(pki: &Pki, receiver: &HecReceiver) -> Vec<(&'static str, String)> {
    vec![
        ("CUSTOS_AUDIT__HTTP_URL", receiver.url()),
        ("CUSTOS_AUDIT__HTTP_TOKEN", HEC_TOKEN.to_owned()),
        (
            "CUSTOS_AUDIT__HTTP_CA_FILE",
            pki.ca_file().display().to_string(),
        ),
    ]
}

async fn wait_for_hec_backlog(store: &Store, receiver: &HecReceiver) -> u64 {
    let deadline = Deadline::new("the HEC receiver has every entry and the cursor is at the head");
    loop {
        let head = chain_head(store).await;
        let copies = receiver.copies();
        if store.audit_cursor("http").await.unwrap() == head
            && (1..=head).all(|seq| copies.contains_key(&seq))
        {
            return head;
        }
        deadline.tick().await;
    }
}

async fn an_http_outage_loses_nothing(db: TestDatabase) {
    let pki = Pki::generate();
    let receiver = HecReceiver::start(&pki, 3).await;
    let server = start_server(db, &hec_settings(&pki, &receiver)).await;
    record_events(&server, 25).await;
    let store = server.server().state().store().clone();
    wait_for_action(&store, "audit.sink_restored").await;
    let head = wait_for_hec_backlog(&store, &receiver).await;

    // A 503 is not an acknowledgement, so nothing was dropped and nothing doubled.
    let copies = receiver.copies();
    assert_eq!(
        copies.keys().copied().collect::<Vec<_>>(),
        (1..=head).collect::<Vec<_>>()
    );
    assert!(copies.values().all(|n| *n == 1), "{copies:?}");
    assert_eq!(store.audit_cursor("http").await.unwrap(), head);
    {
        let state = receiver.state.lock().unwrap();
        assert!(state.requests > 3, "{} requests", state.requests);
        let expected = format!("Splunk {HEC_TOKEN}");
        assert!(state.authorizations.iter().all(|a| *a == expected));
        for event in &state.events {
            assert_eq!(event["source"], "custos");
            assert_eq!(event["sourcetype"], "ocsf");
            assert!(event["time"].is_f64() || event["time"].is_u64(), "{event}");
            assert!(event["event"]["class_uid"].is_u64(), "{event}");
        }
    }
    assert_one_outage_recorded(&store, "http", "http_status").await;

    // The sink is named in the trail, never its address or token.
    let haystack: String = store
        .audit_entries(0, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|e| String::from_utf8_lossy(&e.payload).into_owned())
        .collect();
    assert!(!haystack.contains(HEC_TOKEN), "the token reached the trail");
    assert!(!haystack.contains(HEC_PATH), "the URL reached the trail");
    server.stop().await;
}

async fn the_cursor_survives_a_restart(db: TestDatabase) {
    let pki = Pki::generate();
    let receiver = HecReceiver::start(&pki, 0).await;
    let settings = hec_settings(&pki, &receiver);

    let first = start_server(db, &settings).await;
    record_events(&first, 10).await;
    let store = first.server().state().store().clone();
    wait_for_hec_backlog(&store, &receiver).await;
    let db = first.stop_keeping_database().await;
    let after_first_run = receiver.copies();

    let second = start_server(db, &settings).await;
    record_events(&second, 10).await;
    let store = second.server().state().store().clone();
    let head = wait_for_hec_backlog(&store, &receiver).await;
    let copies = receiver.copies();
    assert!(head > *after_first_run.keys().last().unwrap());
    assert_eq!(
        copies.keys().copied().collect::<Vec<_>>(),
        (1..=head).collect::<Vec<_>>()
    );
    assert!(
        copies.values().all(|n| *n == 1),
        "the second run resumed from the stored cursor: {copies:?}"
    );
    let starts = trail(&store)
        .await
        .iter()
        .filter(|(_, e)| e.action == "audit.sink_start")
        .count();
    let stops = trail(&store)
        .await
        .iter()
        .filter(|(_, e)| e.action == "audit.sink_stop")
        .count();
    assert_eq!((starts, stops), (2, 1));
    second.stop().await;
}

/// Stopping while the collector is down is prompt, records the stop, and
/// leaves the backlog (cursor untouched) for the next start.
async fn stopping_with_the_collector_down_keeps_the_backlog(db: TestDatabase) {
    let pki = Pki::generate();
    let port = free_port();
    let server = start_server(db, &syslog_settings(&pki, port)).await;
    record_events(&server, 5).await;
    let store = server.server().state().store().clone();
    wait_for_action(&store, "audit.sink_down").await;
    let started = Instant::now();
    let db = server.stop_keeping_database().await;
    // A liveness bound, not a timing target: generous for a loaded CI machine, yet
    // shorter than the 30 s retry backoff shutdown must not wait out.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "shutdown waited {:?} for a collector that is down",
        started.elapsed()
    );
    let store = db.open().await;
    assert_eq!(store.audit_cursor("syslog").await.unwrap(), 0);
    assert!(
        trail(&store)
            .await
            .iter()
            .any(|(_, e)| e.action == "audit.sink_stop")
    );
    store.close().await;
    db.cleanup().await;
}

/// An endpoint that accepts connections and never answers does not hold
/// shutdown: it ends after the drain bound (3 s) and a margin, well inside the
/// generous liveness bound asserted here.
async fn a_hanging_endpoint_does_not_hold_shutdown(db: TestDatabase) {
    let pki = Pki::generate();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let settings = vec![
        (
            "CUSTOS_AUDIT__HTTP_URL",
            format!("https://{addr}{HEC_PATH}"),
        ),
        ("CUSTOS_AUDIT__HTTP_TOKEN", HEC_TOKEN.to_owned()),
        (
            "CUSTOS_AUDIT__HTTP_CA_FILE",
            pki.ca_file().display().to_string(),
        ),
    ];
    let server = start_server(db, &settings).await;
    record_events(&server, 3).await;
    let started = Instant::now();
    let db = server.stop_keeping_database().await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "shutdown waited {:?} for a silent endpoint",
        started.elapsed()
    );
    silent.abort();
    let store = db.open().await;
    assert_eq!(store.audit_cursor("http").await.unwrap(), 0);
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    every_entry_reaches_rsyslog_over_tls,
    a_syslog_outage_loses_nothing,
    a_restarted_collector_misses_nothing,
    an_http_outage_loses_nothing,
    the_cursor_survives_a_restart,
    stopping_with_the_collector_down_keeps_the_backlog,
    a_hanging_endpoint_does_not_hold_shutdown,
);
