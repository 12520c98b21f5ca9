//! `CUSTOS_<SECTION>__<KEY>` environment overrides.
//!
//! Each variable is checked on its own first, so an error names the variable
//! rather than a merged table. Values are read as TOML scalars where they parse
//! (`900`, `true`) and as strings otherwise.

use serde::Deserialize;

use super::{ConfigError, FileConfig};

const PREFIX: &str = "CUSTOS_";

/// Merges every `CUSTOS_<SECTION>__<KEY>` variable of `vars` into `table`.
pub(super) fn apply_overrides(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let mut overrides: Vec<(String, String, String, String)> = vars
        .into_iter()
        .filter_map(|(var, raw)| {
            let name = var.strip_prefix(PREFIX)?;
            let (section, key) = name.split_once("__")?;
            let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
            Some((var, section, key, raw))
        })
        .collect();
    // Deterministic order, so the first error reported does not depend on the environment's order.
    overrides.sort_by(|a, b| a.0.cmp(&b.0));
    for (var, section, key, raw) in overrides {
        let value = scalar(&raw);
        // A typed reading first; a value that only fits as text (`smtp_from=123`) is retried as one.
        let value = match check_single(&section, &key, value.clone()) {
            Ok(()) => value,
            Err(typed_error) => {
                let text = toml::Value::String(raw);
                match check_single(&section, &key, text.clone()) {
                    Ok(()) => text,
                    Err(_) => {
                        return Err(ConfigError::Env {
                            var,
                            message: format!("{section}.{key}: {typed_error}"),
                        });
                    }
                }
            }
        };
        let entry = table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(section_table) = entry {
            section_table.insert(key, value);
        }
    }
    Ok(())
}

/// Deserializes a configuration holding only `section.key = value`.
fn check_single(section: &str, key: &str, value: toml::Value) -> Result<(), String> {
    let mut inner = toml::Table::new();
    inner.insert(key.to_owned(), value);
    let mut single = toml::Table::new();
    single.insert(section.to_owned(), toml::Value::Table(inner));
    FileConfig::deserialize(single)
        .map(drop)
        .map_err(|e| e.message().to_owned())
}

/// `900` → integer, `true` → boolean, `{ … }` or `[ … ]` → an inline TOML table or
/// array, anything else → the string itself.
fn scalar(raw: &str) -> toml::Value {
    let trimmed = raw.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Some(value) = format!("value = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut table| table.remove("value"))
    {
        return value;
    }
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_owned()),
    }
}
