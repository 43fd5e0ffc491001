//! What every layer may use: time, configuration, crypto, ids, the contract's enums, the API
//! error, field checks, sealed cursors and tokens, the TLS roots. No I/O but reading configuration
//! (the environment, and `SSL_CERT_FILE` for the roots).

pub mod check;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod cursor;
pub mod error;
pub mod ids;
pub mod tokens;
pub mod trust;
pub mod types;
