//! The client handshake: shared hello negotiation, then TLS 1.3 or TLS 1.2.

pub(crate) mod grease;
pub(crate) mod hello;
pub(crate) mod tls12;
pub(crate) mod tls13;

pub(crate) use hello::start;
