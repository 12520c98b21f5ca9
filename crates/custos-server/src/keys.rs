//! The key material of an installation, created on the first start:
//! the root key (the top of the data-key hierarchy) and the audit signing key
//! (Ed25519, separate from every data key, signs audit checkpoints).

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use custos_audit::AuditSigner;
use secrecy::SecretBox;

use crate::datadir::{self, DataDir, DataDirError};

/// First line of the root key file; the version lets the format evolve.
const ROOT_KEY_HEADER: &str = "custos-root-key v1";
/// Root key length in bytes (AES-256).
pub const ROOT_KEY_LEN: usize = 32;

/// The root key. Never printed; zeroed when dropped.
pub struct RootKey(SecretBox<[u8; ROOT_KEY_LEN]>);

impl RootKey {
    /// The key bytes, for the key hierarchy only.
    pub fn expose(&self) -> &[u8; ROOT_KEY_LEN] {
        use secrecy::ExposeSecret as _;
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(..)")
    }
}

/// Every key the server holds in memory.
#[derive(Debug)]
pub struct Keys {
    /// Root of the key hierarchy.
    pub root: RootKey,
    /// Signs audit chain heads and checkpoints.
    pub audit_signer: Arc<AuditSigner>,
}

/// Loads the keys of `dir`, creating any that do not exist yet. Returns the keys
/// and whether anything was created.
pub fn load_or_create(dir: &DataDir) -> Result<(Keys, bool), DataDirError> {
    let mut created = false;
    let root_path = dir.root_key();
    if !root_path.exists() {
        let mut bytes = zeroize::Zeroizing::new([0u8; ROOT_KEY_LEN]);
        aws_lc_rs::rand::fill(bytes.as_mut_slice())
            .map_err(|_| DataDirError::Generate("the root key"))?;
        let encoded = zeroize::Zeroizing::new(format!(
            "{ROOT_KEY_HEADER}\n{}\n",
            base64::engine::general_purpose::STANDARD.encode(bytes.as_slice())
        ));
        datadir::write_secret_file(&root_path, encoded.as_bytes())?;
        created = true;
    }
    let root = read_root_key(&root_path)?;

    let audit_path = dir.audit_signing_key();
    if !audit_path.exists() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| DataDirError::Generate("the audit signing key"))?;
        let pem = zeroize::Zeroizing::new(datadir::pem_encode("PRIVATE KEY", pkcs8.as_ref()));
        datadir::write_secret_file(&audit_path, pem.as_bytes())?;
        created = true;
    }
    let malformed_audit = || DataDirError::Malformed {
        path: audit_path.clone(),
        what: "Ed25519 PKCS#8 PEM private key",
    };
    let audit_pem = datadir::read_secret_file(&audit_path)?;
    let der = datadir::pem_decode("PRIVATE KEY", &audit_pem).ok_or_else(malformed_audit)?;
    let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|_| malformed_audit())?;

    let public_path = dir.audit_public_key();
    if !public_path.exists() {
        let spki = pair
            .public_key()
            .as_der()
            .map_err(|_| DataDirError::Generate("the audit public key"))?;
        datadir::write_public_file(
            &public_path,
            datadir::pem_encode("PUBLIC KEY", spki.as_ref()).as_bytes(),
        )?;
    }

    Ok((
        Keys {
            root,
            audit_signer: Arc::new(AuditSigner::new(pair)),
        },
        created,
    ))
}

/// Loads the public audit key of `dir` (for verification), never creating anything.
pub fn load_audit_public_key(
    path: &std::path::Path,
) -> Result<custos_audit::AuditVerifyingKey, DataDirError> {
    let malformed = || DataDirError::Malformed {
        path: path.to_path_buf(),
        what: "Ed25519 public key (SPKI PEM)",
    };
    let pem = std::fs::read(path).map_err(datadir::io("read", path))?;
    let der = datadir::pem_decode("PUBLIC KEY", &pem).ok_or_else(malformed)?;
    custos_audit::AuditVerifyingKey::from_der_or_raw(&der).map_err(|_| malformed())
}

/// Loads the existing keys of `dir`; refuses to create any (offline tools).
pub fn load_existing(dir: &DataDir) -> Result<Keys, DataDirError> {
    for path in [dir.root_key(), dir.audit_signing_key()] {
        if !path.exists() {
            return Err(DataDirError::Io {
                action: "find",
                path,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
    }
    load_or_create(dir).map(|(keys, _)| keys)
}

fn read_root_key(path: &std::path::Path) -> Result<RootKey, DataDirError> {
    let malformed = || DataDirError::Malformed {
        path: path.to_path_buf(),
        what: "root key file",
    };
    let text = datadir::read_secret_file(path)?;
    let text = std::str::from_utf8(&text).map_err(|_| malformed())?;
    let mut lines = text.lines();
    if lines.next() != Some(ROOT_KEY_HEADER) {
        return Err(malformed());
    }
    let decoded = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(lines.next().unwrap_or("").trim())
            .map_err(|_| malformed())?,
    );
    let bytes: [u8; ROOT_KEY_LEN] = decoded.as_slice().try_into().map_err(|_| malformed())?;
    Ok(RootKey(SecretBox::new(Box::new(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::create_or_open(&tmp.path().join("data")).unwrap();
        let (first, created) = load_or_create(&dir).unwrap();
        assert!(created);
        let (second, created_again) = load_or_create(&dir).unwrap();
        assert!(!created_again);
        assert_eq!(first.root.expose(), second.root.expose());
        assert_eq!(
            first.audit_signer.verifying_key(),
            second.audit_signer.verifying_key()
        );
        assert_ne!(first.root.expose(), &[0u8; ROOT_KEY_LEN]);
        assert_eq!(format!("{:?}", first.root), "RootKey(..)");
    }

    #[test]
    fn corrupt_root_key_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::create_or_open(tmp.path()).unwrap();
        datadir::write_secret_file(&dir.root_key(), b"custos-root-key v1\nAAAA\n").unwrap();
        assert!(matches!(
            load_or_create(&dir),
            Err(DataDirError::Malformed { .. })
        ));
    }
}
