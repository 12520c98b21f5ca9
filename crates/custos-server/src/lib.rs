//! The Custos server: configuration, the data directory and its keys, TLS,
//! the HTTP surface and the listener. `custos serve` and the testkit both start
//! it through [`server::start`].

pub mod access_review;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod clock;
pub mod config;
pub mod console;
pub mod conversation;
pub mod datadir;
pub mod demo;
pub mod detect;
pub mod http;
pub mod keys;
mod listener;
pub mod notify;
pub mod server;
pub mod settings;
pub mod setup;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod vault;

pub use server::{RunningServer, StartError, StartReport, start};
