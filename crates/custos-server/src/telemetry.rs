//! Structured logging with tracing: human-readable text or JSON lines on stderr.
//!
//! What may be logged is decided where events are emitted: routes by their
//! template (never the raw path or query), request ids, outcomes and timings;
//! never a secret, a token or a customer value. axum's own rejection events are
//! off: they quote the body's parse error, which can quote a credential.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. A second call (tests) leaves the first in place.
pub fn init(format: LogFormat, level: &str) {
    let mut filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    // axum logs why it refused a body at TRACE, quoting serde's message, which can
    // quote the value: a password or code sent in the wrong shape. Never log it,
    // whatever the level asked for.
    if let Ok(quiet) = "axum::rejection=off".parse() {
        filter = filter.add_directive(quiet);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true);
    let _already_set = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
