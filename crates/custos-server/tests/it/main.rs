//! The server through its front door: HTTPS requests to a real node started by the testkit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken assumption must fail the test loudly"
)]

mod audit_forwarding;
mod audit_trail;
mod auth;
mod authz_matrix;
mod console;
mod conversations;
mod credential_reset;
mod detection;
mod http_surface;
mod invitations;
mod passkeys;
mod roles;
mod service_tokens;
mod settings;
mod setup_link;
mod tls_versions;
mod vault;
