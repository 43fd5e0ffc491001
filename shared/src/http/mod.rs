//! The HTTP edge: the route table, what a handler reads from a request (and the page of a
//! list it asks for), the error and the envelope every answer is wrapped in, and the Lambda
//! entry every function shares.

pub mod cursor;
pub mod envelope;
pub mod error;
pub mod handler;
pub mod page;
pub mod request;
pub mod routes;
