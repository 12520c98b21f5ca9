//! Parsing and safe display of database URLs.
//!
//! A URL may carry a password, so [`DatabaseUrl`] keeps the full text secret and
//! only ever displays a redacted form.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// Which storage backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://PATH` (also `sqlite:PATH`).
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// A database URL whose scheme has been checked. Displays without its password.
#[derive(Clone)]
pub struct DatabaseUrl {
    backend: Backend,
    url: SecretString,
}

/// Why a database URL was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DatabaseUrlError {
    /// The scheme is neither SQLite nor PostgreSQL.
    #[error("unsupported database URL scheme (use sqlite://PATH or postgres://HOST/DB)")]
    UnsupportedScheme,
    /// A SQLite URL without a path.
    #[error("the sqlite URL names no file")]
    MissingPath,
}

impl DatabaseUrl {
    /// Checks the scheme of `url` and keeps it.
    pub fn parse(url: &str) -> Result<Self, DatabaseUrlError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            if path
                .trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or("")
                .is_empty()
            {
                return Err(DatabaseUrlError::MissingPath);
            }
            Backend::Sqlite
        } else {
            return Err(DatabaseUrlError::UnsupportedScheme);
        };
        Ok(Self {
            backend,
            url: SecretString::from(url.to_owned()),
        })
    }

    /// The URL of an SQLite database file at `path`.
    pub fn sqlite_file(path: &Path) -> Self {
        Self {
            backend: Backend::Sqlite,
            url: SecretString::from(format!("sqlite://{}", path.display())),
        }
    }

    /// The backend this URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For SQLite, the file path the URL names.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.url.expose_secret().strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        Some(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
    }

    /// The full URL, password included: only for handing to a driver or a child process.
    pub fn expose_secret(&self) -> &str {
        self.url.expose_secret()
    }
}

impl fmt::Display for DatabaseUrl {
    /// Shows the URL with any password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.url.expose_secret();
        let Some((scheme, rest)) = url.split_once("://") else {
            return f.write_str(url);
        };
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        // Query parameters such as `password=` may also carry secrets.
        let tail = match tail.split_once('?') {
            Some((path, _)) => format!("{path}?***"),
            None => tail.to_owned(),
        };
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or("");
                if userinfo.contains(':') {
                    write!(f, "{scheme}://{user}:***@{host}{tail}")
                } else {
                    write!(f, "{scheme}://{user}@{host}{tail}")
                }
            }
            None => write!(f, "{scheme}://{authority}{tail}"),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_hides_password_and_query() {
        let url = DatabaseUrl::parse(
            "postgres://custos:hunter2hunter2@db.example:5432/custos?sslmode=require&password=x",
        )
        .unwrap();
        let shown = url.to_string();
        assert_eq!(shown, "postgres://custos:***@db.example:5432/custos?***");
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn schemes() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap().backend(),
            Backend::Sqlite
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db")
                .unwrap()
                .sqlite_path(),
            Some(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/d").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("mysql://h/d").unwrap_err(),
            DatabaseUrlError::UnsupportedScheme
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://").unwrap_err(),
            DatabaseUrlError::MissingPath
        );
    }
}
