//! The store's one error type: what a failed DynamoDB call means to its caller.

/// Why a store call failed. The cause was logged where it happened; the caller only decides
/// what to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// DynamoDB out of reach, throttled or failing on its side: worth a retry later.
    #[error("the table is unavailable")]
    Unavailable,
    /// A request DynamoDB refused, or an item that does not decode: a bug of ours.
    #[error("internal store error")]
    Internal,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
