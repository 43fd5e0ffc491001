//! The HTTP edge: the route table, what a handler reads from a request (and the page of a
//! list it asks for), the views answers are rendered from, the envelope every answer is wrapped
//! in, and the Lambda entry every function shares.

pub mod envelope;
pub mod handler;
pub mod page;
pub mod request;
pub mod routes;
pub mod views;
