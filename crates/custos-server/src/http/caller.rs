//! Extractors for who is calling: the authenticated [`Caller`] and the client
//! address. A session comes from `Authorization: Bearer …` or the
//! `__Host-custos_session` cookie; a cookie-authenticated request that changes
//! something must also come from our own origin (CSRF protection).
//!
//! The client address is the TCP peer, unless the peer is one of
//! `server.trusted_proxies`: then it is the right-most `X-Forwarded-For` entry that
//! is not itself a trusted proxy (entries further left can be forged by anyone).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};

use crate::auth::{AuthError, Principal};
use crate::http::error::ApiError;
use crate::state::AppState;

/// The session cookie's name; `__Host-` makes browsers insist on Secure, Path=/ and no Domain.
pub const SESSION_COOKIE: &str = "__Host-custos_session";

/// The client's address (see the module documentation for proxies).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_address(parts, &state.config().trusted_proxies);
        refuse_blocked(state, ip)?;
        Ok(Self(ip))
    }
}

/// Refuses an address a detection response blocked, for as long as it is blocked.
fn refuse_blocked(state: &AppState, ip: Option<IpAddr>) -> Result<(), ApiError> {
    match ip {
        Some(ip) if state.detection().is_blocked(ip, state.clock().unix_now().0) => {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "address_blocked",
                "Requests from this address are blocked for a while after suspicious activity.",
            ))
        }
        _ => Ok(()),
    }
}

/// The client's address: the peer, or behind trusted proxies the right-most
/// forwarded address that is not a trusted proxy.
fn client_address(parts: &Parts, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    forwarded_client(
        peer,
        trusted,
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

fn forwarded_client<'a>(
    peer: IpAddr,
    trusted: &[ipnet::IpNet],
    headers: impl Iterator<Item = &'a str>,
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // A malformed entry ends what can be believed: the last trusted hop is the answer.
            return Some(client);
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// An authenticated caller and their address.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// From where.
    pub ip: Option<IpAddr>,
}

impl Caller {
    /// The address as text, for audit events.
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|i| i.to_string())
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn session_cookie(parts: &Parts) -> Option<String> {
    cookie(&parts.headers, SESSION_COOKIE)
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
        .map(str::to_owned)
}

/// A cookie-authenticated write must come from a page of ours.
fn same_origin(parts: &Parts) -> bool {
    if let Some(site) = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return site == "same-origin";
    }
    // HTTP/1.1 sends Host; HTTP/2 carries the authority in the request URI instead.
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => origin.strip_prefix("https://") == Some(host),
        _ => false,
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_address(parts, &state.config().trusted_proxies);
        refuse_blocked(state, ip)?;
        let (token, from_cookie) = match bearer(parts) {
            Some(token) => (token.to_owned(), false),
            None => match session_cookie(parts) {
                Some(token) => (token, true),
                None => return Err(unauthenticated()),
            },
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if from_cookie && !safe && !same_origin(parts) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_rejected",
                "This request did not come from a Custos page.",
            ));
        }
        match state.auth().authenticate(&token, ip).await {
            Ok(principal) => Ok(Self { principal, ip }),
            Err(AuthError::Unauthenticated) => Err(unauthenticated()),
            Err(e) => Err(super::auth::auth_error(e)),
        }
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Sign in first.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let proxies: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = ip("10.0.0.5");
        let from =
            |headers: &[&'static str]| forwarded_client(peer, &proxies, headers.iter().copied());
        assert_eq!(from(&["203.0.113.9"]), Some(ip("203.0.113.9")));
        // A client cannot pick its address by sending its own header first.
        assert_eq!(from(&["1.2.3.4, 203.0.113.9"]), Some(ip("203.0.113.9")));
        assert_eq!(
            from(&["1.2.3.4", "203.0.113.9, 10.0.0.7"]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(from(&[]), Some(peer));
        assert_eq!(from(&["not-an-address"]), Some(peer));
        // An untrusted peer's header is ignored.
        let outsider = forwarded_client(ip("198.51.100.1"), &proxies, ["203.0.113.9"].into_iter());
        assert_eq!(outsider, Some(ip("198.51.100.1")));
        assert_eq!(
            forwarded_client(peer, &[], ["203.0.113.9"].into_iter()),
            Some(peer)
        );
    }
}
