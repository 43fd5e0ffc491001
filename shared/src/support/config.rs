//! Configuration, read once from the environment at cold start; a missing or malformed
//! variable stops the function with an error that names it.

use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

pub fn required(var: &'static str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError { var, problem: "is missing (see docs/configuration.md)".into() }),
    }
}

pub fn optional(var: &'static str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

pub fn or<T: FromStr>(var: &'static str, default: T) -> Result<T, ConfigError> {
    match optional(var) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError { var, problem: format!("has an unusable value {v:?}") }),
    }
}

/// A secret: required, and long enough to be one (the value itself never appears in the error).
pub fn secret(var: &'static str) -> Result<Vec<u8>, ConfigError> {
    let value = required(var)?;
    if value.len() < 32 {
        return Err(ConfigError { var, problem: "must be at least 32 bytes".into() });
    }
    Ok(value.into_bytes())
}

/// Settings every function shares.
#[derive(Debug, Clone)]
pub struct Common {
    pub table_name: String,
}

impl Common {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self { table_name: required("TABLE_NAME")? })
    }
}
