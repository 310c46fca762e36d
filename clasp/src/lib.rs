//! clasp: a TLS 1.3 (RFC 8446) and TLS 1.2 (RFC 5246) implementation.
//!
//! The protocol core is sans-IO: a [`ClientConnection`] or [`ServerConnection`] consumes and
//! produces bytes and never touches a socket. You move TLS bytes with
//! [`ConnectionCommon::read_tls`] / [`ConnectionCommon::write_tls`], call
//! [`ConnectionCommon::process_new_packets`], and exchange plaintext through
//! [`ConnectionCommon::reader`] / [`ConnectionCommon::writer`]. [`Stream`] does that loop for any
//! blocking `Read + Write`; the `clasp-tokio` crate does it for tokio.
//!
//! Cryptography comes from a [`crypto::CryptoProvider`] (aws-lc-rs by default), X.509 path
//! validation from rustls-webpki ([`verify`]). Defaults are conservative: TLS 1.3 and 1.2, AEAD
//! suites only, X25519MLKEM768 / X25519 / P-256 / P-384; TLS 1.2 RSA key exchange, finite-field
//! DHE and 0-RTT are off until enabled; renegotiation is refused.
//!
//! # Example: a client and a server in one process
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
//! use clasp::verify::RootCertStore;
//! use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A self-signed certificate for "localhost" (use your real chain and key instead).
//! let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
//! let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
//! let mut roots = RootCertStore::empty();
//! roots.add(cert.cert.der())?;
//!
//! let client_config = Arc::new(ClientConfig::builder().with_root_certificates(roots).build()?);
//! let server_config = Arc::new(
//!     ServerConfig::builder()
//!         .with_single_cert(vec![cert.cert.der().clone()], key)
//!         .build()?,
//! );
//! let mut client = ClientConnection::new(client_config, ServerName::try_from("localhost")?)?;
//! let mut server = ServerConnection::new(server_config)?;
//!
//! client.writer().write_all(b"hello")?; // queued until the handshake completes
//! // Move bytes until both sides are quiet (over a socket, `clasp::Stream` does this).
//! loop {
//!     let mut to_server = Vec::new();
//!     client.write_tls(&mut to_server)?;
//!     let mut to_client = Vec::new();
//!     let mut rd = &to_server[..];
//!     while !rd.is_empty() {
//!         server.read_tls(&mut rd)?;
//!         server.process_new_packets()?;
//!     }
//!     server.write_tls(&mut to_client)?;
//!     let mut rd = &to_client[..];
//!     while !rd.is_empty() {
//!         client.read_tls(&mut rd)?;
//!         client.process_new_packets()?;
//!     }
//!     if to_server.is_empty() && to_client.is_empty() {
//!         break;
//!     }
//! }
//! assert_eq!(client.protocol_version(), Some(clasp::msgs::enums::ProtocolVersion::TLSv1_3));
//! let mut got = [0u8; 5];
//! server.reader().read_exact(&mut got)?;
//! assert_eq!(&got, b"hello");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod config;
pub mod conn;
pub mod crypto;
pub mod error;
mod handshake;
#[cfg(feature = "internal")]
#[doc(hidden)]
pub mod internal;
pub(crate) mod key_schedule;
pub mod keylog;
pub mod msgs;
pub mod ocsp;
pub mod psk;
pub mod record;
pub mod recorded;
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
