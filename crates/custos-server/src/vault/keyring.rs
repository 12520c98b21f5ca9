//! The vault's keys in memory: every key-encryption key (KEK) by version, the
//! blind-index key and the card-vault key, each unwrapped once through the root
//! key provider. The first start creates version 1 of each; nodes sharing a
//! database race benignly (the store keeps the first, everyone reloads).
//!
//! A node learns about a KEK made by another node or by `custos keys rotate`
//! when it meets a data key wrapped by a version it does not hold, and when it
//! reloads the keyring (every minute: one query, and unwrapping only when the set
//! of versions changed), so new customers move to the newest KEK.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use custos_crypto::{BlindIndexKey, KeyBytes, KeyEncryptionKey, RootKeyProvider, SealingKey};
use custos_store::{KekRecord, Store, SystemKeyRecord, VaultStore};

use super::VaultError;

/// The purpose of the blind-index key.
const BLIND_INDEX: &str = "blind_index";
/// The purpose of the key that seals card numbers in the token table.
const CARD_VAULT: &str = "card_vault";
/// The purpose of the key one-time verification codes are kept under (as HMACs).
const VERIFICATION_CODE: &str = "verification_code";

/// The vault's keys.
#[derive(Debug)]
pub struct Keyring {
    root: Arc<dyn RootKeyProvider>,
    keks: RwLock<BTreeMap<u32, Arc<KeyEncryptionKey>>>,
    index: BlindIndexKey,
    card_vault: (u32, SealingKey),
    verification: BlindIndexKey,
}

fn kek_context(version: u32) -> Vec<u8> {
    format!("custos.kek.v1\0{version}").into_bytes()
}

fn system_key_context(purpose: &str, version: u32) -> Vec<u8> {
    format!("custos.vault-key.v1\0{purpose}\0{version}").into_bytes()
}

impl Keyring {
    /// Loads the keys from `store`, creating version 1 of any that is missing.
    pub async fn load_or_init(
        store: &Store,
        root: Arc<dyn RootKeyProvider>,
        now: i64,
    ) -> Result<Self, VaultError> {
        if store.vault_keks().await?.is_empty() {
            let material = KeyBytes::generate()?;
            let wrapped = root.wrap(&material, &kek_context(1))?;
            store
                .add_vault_kek(&KekRecord {
                    version: 1,
                    wrapped,
                    created_at: now,
                })
                .await?;
        }
        let index_material = system_key(store, root.as_ref(), BLIND_INDEX, now).await?;
        let card_material = system_key(store, root.as_ref(), CARD_VAULT, now).await?;
        let code_material = system_key(store, root.as_ref(), VERIFICATION_CODE, now).await?;
        let keyring = Self {
            keks: RwLock::new(BTreeMap::new()),
            index: BlindIndexKey::new(index_material.0, &index_material.1)?,
            card_vault: (card_material.0, SealingKey::from_key(&card_material.1)?),
            verification: BlindIndexKey::new(code_material.0, &code_material.1)?,
            root,
        };
        keyring.reload(store).await?;
        Ok(keyring)
    }

    /// Reloads the KEKs from the store (new versions appear, destroyed ones go).
    /// KEKs are never changed once stored, so when the versions are the ones held,
    /// nothing is unwrapped again (a root provider may be a remote HSM or KMS).
    pub async fn reload(&self, store: &Store) -> Result<(), VaultError> {
        let records = store.vault_keks().await?;
        let unchanged = {
            let held = self
                .keks
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            held.len() == records.len() && records.iter().all(|r| held.contains_key(&r.version))
        };
        if unchanged {
            return Ok(());
        }
        let mut loaded = BTreeMap::new();
        for record in records {
            let material = self
                .root
                .unwrap(&record.wrapped, &kek_context(record.version))?;
            loaded.insert(
                record.version,
                Arc::new(KeyEncryptionKey::new(record.version, &material)?),
            );
        }
        *self
            .keks
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = loaded;
        Ok(())
    }

    /// The newest KEK: new data keys are wrapped by it.
    pub fn current_kek(&self) -> Result<Arc<KeyEncryptionKey>, VaultError> {
        self.keks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .next_back()
            .cloned()
            .ok_or(VaultError::KeyUnavailable)
    }

    /// The KEK `version`, reloading once from the store if this node lacks it.
    pub async fn kek(
        &self,
        store: &Store,
        version: u32,
    ) -> Result<Arc<KeyEncryptionKey>, VaultError> {
        if let Some(kek) = self.cached_kek(version) {
            return Ok(kek);
        }
        self.reload(store).await?;
        self.cached_kek(version).ok_or(VaultError::KeyUnavailable)
    }

    fn cached_kek(&self, version: u32) -> Option<Arc<KeyEncryptionKey>> {
        self.keks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&version)
            .cloned()
    }

    /// Makes KEK `version` (the next one) and stores it wrapped; false if another
    /// process made it first.
    pub async fn add_kek(&self, store: &Store, version: u32, now: i64) -> Result<bool, VaultError> {
        let material = KeyBytes::generate()?;
        let wrapped = self.root.wrap(&material, &kek_context(version))?;
        let added = store
            .add_vault_kek(&KekRecord {
                version,
                wrapped,
                created_at: now,
            })
            .await?;
        self.reload(store).await?;
        Ok(added)
    }

    /// The blind-index key.
    pub fn index_key(&self) -> &BlindIndexKey {
        &self.index
    }

    /// The key one-time verification codes are kept under: a keyed PRF, so a
    /// stolen database does not give the codes away by trying all million.
    pub fn verification_key(&self) -> &BlindIndexKey {
        &self.verification
    }

    /// The card-vault key and its version.
    pub fn card_vault(&self) -> (u32, &SealingKey) {
        (self.card_vault.0, &self.card_vault.1)
    }
}

/// The newest version of the system key `purpose`, created if there is none.
async fn system_key(
    store: &Store,
    root: &dyn RootKeyProvider,
    purpose: &str,
    now: i64,
) -> Result<(u32, KeyBytes), VaultError> {
    let newest = |keys: Vec<SystemKeyRecord>| {
        keys.into_iter()
            .filter(|k| k.purpose == purpose)
            .max_by_key(|k| k.version)
    };
    let record = match newest(store.vault_system_keys().await?) {
        Some(record) => record,
        None => {
            let material = KeyBytes::generate()?;
            let wrapped = root.wrap(&material, &system_key_context(purpose, 1))?;
            store
                .add_vault_system_key(
                    &SystemKeyRecord {
                        purpose: purpose.to_owned(),
                        version: 1,
                        wrapped,
                    },
                    now,
                )
                .await?;
            newest(store.vault_system_keys().await?).ok_or(VaultError::KeyUnavailable)?
        }
    };
    let material = root.unwrap(
        &record.wrapped,
        &system_key_context(purpose, record.version),
    )?;
    Ok((record.version, material))
}
