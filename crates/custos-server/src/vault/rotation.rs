//! Key rotation: a new key-encryption key (KEK), every customer's data key
//! rewrapped under it in batches, and the old KEKs destroyed once no data key
//! needs them. Fields are not re-encrypted: their data keys do not change.
//!
//! Resumable by construction: each rewrap is a compare-and-set on the KEK
//! version, so an interrupted rotation leaves every data key readable (under the
//! old or the new KEK), and running it again finishes the job instead of starting
//! another rotation. Destroying the old KEKs is also what makes the erasure of
//! deleted customers final in backups taken before their deletion.

use std::ops::ControlFlow;

use custos_store::{Store, VaultStore};

use super::VaultError;
use super::keyring::Keyring;

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The KEK every data key is (being) moved to.
    pub version: u32,
    /// An earlier, interrupted rotation was resumed rather than a new one started.
    pub resumed: bool,
    /// Data keys rewrapped by this run.
    pub rewrapped: u64,
    /// Data keys that still needed rewrapping when the run began.
    pub total: u64,
    /// KEK versions destroyed because nothing uses them any more.
    pub destroyed: Vec<u32>,
    /// Every data key is under the new KEK and the old ones are gone.
    pub complete: bool,
}

/// Rotates (or resumes rotating) the KEK. `progress(done, total)` is called after
/// each batch; returning `Break` stops the run there, as an interruption would.
pub async fn rotate(
    store: &Store,
    keyring: &Keyring,
    now: i64,
    batch: u32,
    mut progress: impl FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<RotationReport, VaultError> {
    keyring.reload(store).await?;
    let current = keyring.current_kek()?.version();
    let usage = store.kek_usage().await?;
    let behind: u64 = usage
        .iter()
        .filter(|(v, _)| *v != current)
        .map(|(_, n)| n)
        .sum();
    let (target, resumed) = if behind > 0 {
        (current, true)
    } else {
        let next = current.checked_add(1).ok_or(VaultError::KeyUnavailable)?;
        keyring.add_kek(store, next, now).await?;
        (next, false)
    };
    let new_kek = keyring.kek(store, target).await?;
    let total: u64 = usage
        .iter()
        .filter(|(v, _)| *v != target)
        .map(|(_, n)| n)
        .sum();
    let mut rewrapped = 0;
    loop {
        let pending = store.data_keys_to_rewrap(target, batch.max(1)).await?;
        if pending.is_empty() {
            break;
        }
        for key in &pending {
            let old = keyring.kek(store, key.kek_version).await?;
            let customer = key.customer_id.as_bytes();
            let data_key = old
                .unwrap_data_key_material(&key.wrapped, customer, key.data_key_version)
                .map_err(|_| VaultError::Integrity {
                    customer: key.customer_id,
                    field: "data_key",
                })?;
            let wrapped = new_kek.wrap_data_key(&data_key, customer, key.data_key_version)?;
            if store
                .rewrap_data_key(key.customer_id, key.kek_version, target, &wrapped)
                .await?
            {
                rewrapped += 1;
            }
        }
        if progress(rewrapped, total).is_break() {
            return Ok(RotationReport {
                version: target,
                resumed,
                rewrapped,
                total,
                destroyed: Vec::new(),
                complete: false,
            });
        }
    }
    let destroyed = store.destroy_unused_keks(target).await?;
    keyring.reload(store).await?;
    Ok(RotationReport {
        version: target,
        resumed,
        rewrapped,
        total,
        destroyed,
        complete: true,
    })
}
