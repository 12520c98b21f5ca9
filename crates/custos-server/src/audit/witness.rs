//! The witness file: every signed checkpoint appended as a JSON line outside the
//! database, synced before the append returns. Deleting the database's tail
//! together with its in-database checkpoints still leaves these behind, and
//! `custos audit verify` reads them.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use custos_audit::SignedCheckpoint;

/// An append-only file of checkpoints.
#[derive(Debug, Clone)]
pub struct WitnessFile {
    path: PathBuf,
}

impl WitnessFile {
    /// The witness at `path` (created on first append).
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one checkpoint and syncs it to disk.
    pub fn append(&self, checkpoint: &SignedCheckpoint) -> std::io::Result<()> {
        if let Some(parent) = self.path.parent()
            && !parent.exists()
        {
            fs::create_dir_all(parent)?;
            fs::set_permissions(parent, fs::Permissions::from_mode(0o700))?;
        }
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)?;
        let mut line = checkpoint.to_json_line();
        line.push('\n');
        file.write_all(line.as_bytes())?;
        file.sync_data()
    }

    /// Every line of the file, in order; an absent file has none.
    pub fn read_lines(path: &Path) -> std::io::Result<Vec<String>> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}
