//! The HTTP edge: the route table, what a handler reads from a request, the error and the
//! envelope every answer is wrapped in, and the Lambda entry every function shares.

pub mod envelope;
pub mod error;
pub mod handler;
pub mod request;
pub mod routes;
