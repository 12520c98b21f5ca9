//! TLS for the listener: rustls with the aws-lc-rs provider, TLS 1.3 and 1.2
//! only, the provider's default (AEAD, forward-secret) cipher suites, and ALPN
//! for HTTP/2 and HTTP/1.1.
//!
//! Without a configured certificate the first start generates a self-signed one
//! (ECDSA P-256, via rcgen) for `localhost`, the loopback addresses and the
//! listen address, valid for five years; operators bring their own for production.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;

use crate::config::TlsSource;
use crate::datadir::{self, DataDir, DataDirError};

/// Validity of a generated certificate.
const SELF_SIGNED_VALIDITY_DAYS: i64 = 5 * 365;

/// Why TLS could not be set up.
#[derive(Debug, Error)]
pub enum TlsError {
    /// The data directory failed.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The certificate file could not be read or holds no certificate.
    #[error("cannot read a PEM certificate chain from {0}")]
    Certificate(String),
    /// The key file could not be read or holds no private key.
    #[error("cannot read a PEM private key from {0}")]
    PrivateKey(String),
    /// rustls refused the certificate and key (for example, they do not match).
    #[error("the certificate and key are not usable together: {0}")]
    Rustls(#[from] rustls::Error),
    /// Generating the self-signed certificate failed.
    #[error("cannot generate the self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// Builds the listener's TLS configuration, generating the self-signed
/// certificate on first use. Returns it with whether a certificate was created.
pub fn server_config(
    source: &TlsSource,
    dir: &DataDir,
    listen: SocketAddr,
) -> Result<(Arc<ServerConfig>, bool), TlsError> {
    let (cert_path, key_path, created) = match source {
        TlsSource::Files { cert, key } => (cert.clone(), key.clone(), false),
        TlsSource::SelfSigned => {
            let created = ensure_self_signed(dir, listen.ip())?;
            (dir.tls_cert(), dir.tls_key(), created)
        }
    };
    let chain = CertificateDer::pem_file_iter(&cert_path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|_| TlsError::Certificate(cert_path.display().to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::Certificate(cert_path.display().to_string()));
    }
    let key = load_private_key(&key_path)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((Arc::new(config), created))
}

fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let shown = || TlsError::PrivateKey(path.display().to_string());
    // Our own generated key must be private; an operator's key file is theirs to manage,
    // but a world-readable one is still refused.
    let bytes = datadir::read_secret_file(path).map_err(|e| match e {
        DataDirError::LoosePermissions { .. } => TlsError::DataDir(e),
        _ => shown(),
    })?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| shown())
}

/// Generates the self-signed certificate if the data directory has none.
fn ensure_self_signed(dir: &DataDir, listen_ip: IpAddr) -> Result<bool, TlsError> {
    if dir.tls_cert().exists() && dir.tls_key().exists() {
        return Ok(false);
    }
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !listen_ip.is_unspecified() && !listen_ip.is_loopback() {
        names.push(listen_ip.to_string());
    }
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Custos (self-signed)");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(SELF_SIGNED_VALIDITY_DAYS);
    let key_pair = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key_pair)?;
    let key_pem = zeroize::Zeroizing::new(key_pair.serialize_pem());
    datadir::write_secret_file(&dir.tls_key(), key_pem.as_bytes())?;
    datadir::write_public_file(&dir.tls_cert(), cert.pem().as_bytes())?;
    Ok(true)
}
