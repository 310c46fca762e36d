//! The server handshake: shared hello negotiation, then TLS 1.3 or TLS 1.2.

pub(crate) mod hello;
pub(crate) mod tls12;
mod tls13;

pub(crate) use hello::start;
