//! The key material of an installation, created on the first start:
//! the root key (the top of the data-key hierarchy) and the audit signing key
//! (Ed25519, separate from every data key, signs audit checkpoints).
//!
//! The root key comes from `root.key` in the data directory (the default), from
//! the `CUSTOS_ROOT_KEY` environment variable (32 bytes in base64, for a secrets
//! manager), or from the `CUSTOS_ROOT_PASSPHRASE` variable stretched with Argon2id
//! and a salt kept in the data directory (`root-key.salt`); see `keys.root_source`.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use custos_audit::AuditSigner;
use secrecy::SecretBox;

use crate::config::RootSource;
use crate::datadir::{self, DataDir, DataDirError};

/// The variable holding the root key when `keys.root_source = "env"`.
pub const ROOT_KEY_VAR: &str = "CUSTOS_ROOT_KEY";
/// The variable holding the passphrase when `keys.root_source = "passphrase"`.
pub const ROOT_PASSPHRASE_VAR: &str = "CUSTOS_ROOT_PASSPHRASE";

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
    /// Where the root came from.
    pub root_source: RootSource,
    /// Signs audit chain heads and checkpoints.
    pub audit_signer: Arc<AuditSigner>,
}

impl Keys {
    /// The root key provider's name for where the root came from.
    pub fn root_source_kind(&self) -> &'static str {
        match self.root_source {
            RootSource::File => "file",
            RootSource::Env => "env",
            RootSource::Passphrase => "passphrase",
        }
    }
}

/// Loads the keys of `dir`, creating any that do not exist yet (the root key
/// only when it comes from the data directory). Returns the keys and whether
/// anything was created.
pub fn load_or_create(dir: &DataDir, source: RootSource) -> Result<(Keys, bool), DataDirError> {
    let (root, mut created) = match source {
        RootSource::File => root_from_file(dir)?,
        RootSource::Env => (root_from_env()?, false),
        RootSource::Passphrase => root_from_passphrase(dir)?,
    };
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
            root_source: source,
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
pub fn load_existing(dir: &DataDir, source: RootSource) -> Result<Keys, DataDirError> {
    let mut needed = vec![dir.audit_signing_key()];
    match source {
        RootSource::File => needed.push(dir.root_key()),
        RootSource::Passphrase => needed.push(dir.root_key_salt()),
        RootSource::Env => {}
    }
    for path in needed {
        if !path.exists() {
            return Err(DataDirError::Io {
                action: "find",
                path,
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
    }
    load_or_create(dir, source).map(|(keys, _)| keys)
}

fn root_from_file(dir: &DataDir) -> Result<(RootKey, bool), DataDirError> {
    let root_path = dir.root_key();
    let mut created = false;
    if !root_path.exists() {
        let bytes = custos_crypto::KeyBytes::generate()
            .map_err(|_| DataDirError::Generate("the root key"))?;
        let encoded = zeroize::Zeroizing::new(format!(
            "{ROOT_KEY_HEADER}\n{}\n",
            base64::engine::general_purpose::STANDARD.encode(bytes.expose())
        ));
        datadir::write_secret_file(&root_path, encoded.as_bytes())?;
        created = true;
    }
    Ok((read_root_key(&root_path)?, created))
}

fn root_from_env() -> Result<RootKey, DataDirError> {
    let missing = || DataDirError::MissingSecret {
        what: "the root key",
        var: ROOT_KEY_VAR,
    };
    let text = zeroize::Zeroizing::new(std::env::var(ROOT_KEY_VAR).map_err(|_| missing())?);
    let decoded = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| missing())?,
    );
    let bytes: [u8; ROOT_KEY_LEN] = decoded.as_slice().try_into().map_err(|_| missing())?;
    Ok(RootKey(SecretBox::new(Box::new(bytes))))
}

fn root_from_passphrase(dir: &DataDir) -> Result<(RootKey, bool), DataDirError> {
    let passphrase = zeroize::Zeroizing::new(std::env::var(ROOT_PASSPHRASE_VAR).map_err(|_| {
        DataDirError::MissingSecret {
            what: "the root key passphrase",
            var: ROOT_PASSPHRASE_VAR,
        }
    })?);
    let salt_path = dir.root_key_salt();
    let mut created = false;
    if !salt_path.exists() {
        let mut salt = [0u8; 16];
        aws_lc_rs::rand::fill(&mut salt)
            .map_err(|_| DataDirError::Generate("the root key salt"))?;
        datadir::write_secret_file(
            &salt_path,
            format!(
                "{}\n",
                base64::engine::general_purpose::STANDARD.encode(salt)
            )
            .as_bytes(),
        )?;
        created = true;
    }
    let malformed = || DataDirError::Malformed {
        path: salt_path.clone(),
        what: "root key salt",
    };
    let salt_text = datadir::read_secret_file(&salt_path)?;
    let salt = base64::engine::general_purpose::STANDARD
        .decode(
            std::str::from_utf8(&salt_text)
                .map_err(|_| malformed())?
                .trim(),
        )
        .map_err(|_| malformed())?;
    let bytes = custos_crypto::root::stretch_passphrase(passphrase.as_bytes(), &salt)
        .map_err(|_| malformed())?;
    Ok((RootKey(SecretBox::new(Box::new(*bytes.expose()))), created))
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
        let (first, created) = load_or_create(&dir, RootSource::File).unwrap();
        assert!(created);
        let (second, created_again) = load_or_create(&dir, RootSource::File).unwrap();
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
            load_or_create(&dir, RootSource::File),
            Err(DataDirError::Malformed { .. })
        ));
    }
}
