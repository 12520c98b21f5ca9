//! The data directory: created on the first start, reused on every later one.
//!
//! ```text
//! DATA_DIR/               0700
//!   root.key              0600  root of the key hierarchy (32 random bytes), unless
//!                               keys.root_source is `env` or `passphrase`
//!   root-key.salt         0600  Argon2id salt of a passphrase-derived root key
//!   audit-signing.key     0600  Ed25519 key that signs audit checkpoints (PKCS#8 PEM)
//!   audit-signing.pub           its public half (SPKI PEM), for offline verification
//!   tls/cert.pem                self-signed certificate, when no certificate is configured
//!   tls/key.pem           0600  its private key
//!   custos.db                   the embedded SQLite database (unless --database-url)
//!   custos.db.audit-trail       its audit trail (design record 0014)
//!   custos.db.audit-lookup      the trail's lookup tables, derived and rebuilt if lost
//! ```
//!
//! Secret files are written to a temporary name, synced and renamed, so a crash
//! never leaves half a key behind. A secret file readable by group or others is
//! refused at start, as ssh refuses a loose private key.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why the data directory could not be prepared.
#[derive(Debug, Error)]
pub enum DataDirError {
    /// A filesystem operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A secret file can be read by other users.
    #[error(
        "{path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}` and start again"
    )]
    LoosePermissions {
        /// The file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
    /// A key file is not in the expected format.
    #[error("{path} is not a valid {what}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        what: &'static str,
    },
    /// Key generation failed.
    #[error("cannot generate {0}")]
    Generate(&'static str),
    /// A secret expected in the environment is absent or malformed.
    #[error("{what} must be set in {var} (see keys.root_source)")]
    MissingSecret {
        /// What the secret is.
        what: &'static str,
        /// The variable.
        var: &'static str,
    },
}

/// The data directory's path and the names of what lives in it.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Uses `root`, creating it with mode 0700 if missing.
    pub fn create_or_open(root: &Path) -> Result<Self, DataDirError> {
        if !root.exists() {
            fs::create_dir_all(root).map_err(io("create directory", root))?;
            fs::set_permissions(root, fs::Permissions::from_mode(0o700))
                .map_err(io("restrict permissions of", root))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The directory at `root`, which may not exist (for offline tools that only read).
    pub fn at(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The root key file.
    pub fn root_key(&self) -> PathBuf {
        self.root.join("root.key")
    }

    /// The salt of a passphrase-derived root key.
    pub fn root_key_salt(&self) -> PathBuf {
        self.root.join("root-key.salt")
    }

    /// The audit signing key.
    pub fn audit_signing_key(&self) -> PathBuf {
        self.root.join("audit-signing.key")
    }

    /// The audit signing key's public half.
    pub fn audit_public_key(&self) -> PathBuf {
        self.root.join("audit-signing.pub")
    }

    /// The generated certificate.
    pub fn tls_cert(&self) -> PathBuf {
        self.root.join("tls").join("cert.pem")
    }

    /// The generated certificate's key.
    pub fn tls_key(&self) -> PathBuf {
        self.root.join("tls").join("key.pem")
    }
}

/// Maps an I/O error on `path` to a [`DataDirError`].
pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError {
    let path = path.to_path_buf();
    move |source| DataDirError::Io {
        action,
        path,
        source,
    }
}

/// Writes a file only its owner can read, atomically: temporary file, sync, rename.
/// Refuses to replace an existing file.
pub(crate) fn write_secret_file(path: &Path, contents: &[u8]) -> Result<(), DataDirError> {
    write_file(path, contents, 0o600)
}

/// Writes a public file atomically (mode 0644).
pub(crate) fn write_public_file(path: &Path, contents: &[u8]) -> Result<(), DataDirError> {
    write_file(path, contents, 0o644)
}

fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), DataDirError> {
    if let Some(parent) = path.parent()
        && !parent.exists()
    {
        fs::create_dir_all(parent).map_err(io("create directory", parent))?;
        fs::set_permissions(parent, fs::Permissions::from_mode(0o700))
            .map_err(io("restrict permissions of", parent))?;
    }
    let tmp = path.with_extension("tmp");
    // A stale temporary file is what a crash mid-write leaves; it was never renamed into use.
    if tmp.exists() {
        fs::remove_file(&tmp).map_err(io("remove stale", &tmp))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io("create", &tmp))?;
    file.write_all(contents).map_err(io("write", &tmp))?;
    file.sync_all().map_err(io("sync", &tmp))?;
    drop(file);
    if path.exists() {
        return Err(DataDirError::Io {
            action: "refuse to overwrite",
            path: path.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        });
    }
    fs::rename(&tmp, path).map_err(io("rename into", path))?;
    if let Some(parent) = path.parent()
        && let Ok(dir) = fs::File::open(parent)
    {
        // Makes the rename itself durable; not fatal where directories cannot be synced.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Reads a secret file after checking that only its owner can read it.
pub(crate) fn read_secret_file(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, DataDirError> {
    let meta = fs::metadata(path).map_err(io("inspect", path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(DataDirError::LoosePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    fs::read(path)
        .map(zeroize::Zeroizing::new)
        .map_err(io("read", path))
}

/// Encodes DER bytes as a PEM block with the given label.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decodes the first PEM block with `label`.
pub(crate) fn pem_decode(label: &str, text: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    use base64::Engine as _;
    let text = std::str::from_utf8(text).ok()?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()
        .map(zeroize::Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("k");
        write_secret_file(&path, b"abc").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_secret_file(&path).unwrap().as_slice(), b"abc");
        assert!(write_secret_file(&path, b"xyz").is_err());
        assert_eq!(fs::read(&path).unwrap(), b"abc");
    }

    #[test]
    fn loose_secret_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        write_secret_file(&path, b"abc").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            read_secret_file(&path),
            Err(DataDirError::LoosePermissions { .. })
        ));
    }

    #[test]
    fn pem_round_trip() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = pem_encode("TEST", &der);
        assert_eq!(
            pem_decode("TEST", pem.as_bytes()).unwrap().as_slice(),
            der.as_slice()
        );
        assert!(pem_decode("OTHER", pem.as_bytes()).is_none());
    }
}
