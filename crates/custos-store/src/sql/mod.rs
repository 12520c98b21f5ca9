//! The SQL shared by both backends. Each file holds one storage trait's
//! implementation as a macro that `sqlite` and `postgres` instantiate for their
//! store type; only connecting and migrating differ per backend.

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod conversation;
pub(crate) mod detection;
pub(crate) mod instance;
pub(crate) mod invitations;
pub(crate) mod passkeys;
pub(crate) mod vault;
