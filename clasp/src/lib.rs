//! clasp: a TLS 1.3 and TLS 1.2 implementation.
//!
//! The protocol core is sans-IO: it consumes and produces bytes and never touches a socket.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod config;
pub mod conn;
pub mod crypto;
pub mod error;
mod handshake;
pub mod keylog;
pub mod key_schedule;
pub mod msgs;
pub mod record;
pub mod session;
pub mod sign;
pub mod stream;
pub mod suites;
pub mod time;
pub mod trace;
pub mod transcript;
pub mod verify;

#[cfg(test)]
pub(crate) mod testdata;

pub use config::{ClientAuth, ClientConfig, ServerConfig};
pub use conn::{ClientConnection, ConnectionCommon, ServerConnection};
pub use error::Error;
pub use stream::Stream;
