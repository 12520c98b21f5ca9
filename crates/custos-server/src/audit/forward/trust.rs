//! Whom the forwarders trust: the CA certificates in the configured file and
//! nothing else, or, without a file, the platform's roots. Always the aws-lc-rs
//! provider, TLS 1.3 and 1.2 only, host names (or IP addresses) verified.

use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use rustls_platform_verifier::BuilderVerifierExt as _;

use super::ForwardError;

/// A client configuration for a sink. `ca_key` names the configuration key of
/// `ca_file` for error messages.
pub(super) fn client_config(
    ca_file: Option<&Path>,
    ca_key: &'static str,
    alpn: &[&[u8]],
) -> Result<ClientConfig, ForwardError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let mut config = match ca_file {
        Some(path) => builder
            .with_root_certificates(read_roots(path, ca_key)?)
            .with_no_client_auth(),
        None => builder.with_platform_verifier()?.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

fn read_roots(path: &Path, key: &'static str) -> Result<RootCertStore, ForwardError> {
    let unusable = || ForwardError::CaFile {
        key,
        path: path.to_path_buf(),
    };
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|_| unusable())?;
    if certs.is_empty() {
        return Err(unusable());
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|_| unusable())?;
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_refused_by_key() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"not a certificate\n").unwrap();
        let err = client_config(Some(file.path()), "audit.syslog_ca_file", &[]).unwrap_err();
        assert!(err.to_string().contains("audit.syslog_ca_file"), "{err}");
        let missing = client_config(
            Some(Path::new("/nonexistent/ca.pem")),
            "audit.http_ca_file",
            &[],
        )
        .unwrap_err();
        assert!(
            missing.to_string().contains("audit.http_ca_file"),
            "{missing}"
        );
    }

    #[test]
    fn a_generated_ca_is_accepted() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(ca.pem().as_bytes()).unwrap();
        let config = client_config(Some(file.path()), "audit.http_ca_file", &[b"h2"]).unwrap();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec()]);
    }
}
