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
//! DHE (`allow_dhe` on either builder) and 0-RTT are off until enabled; renegotiation is refused.
//!
//! # Example: a client and a server in one process
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
//! use clasp::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
//! use clasp::verify::RootCertStore;
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
//! assert_eq!(client.protocol_version(), Some(clasp::ProtocolVersion::TLSv1_3));
//! let mut got = [0u8; 5];
//! server.reader().read_exact(&mut got)?;
//! assert_eq!(&got, b"hello");
//! # Ok(())
//! # }
//! ```
//!
//! # Porting from rustls
//!
//! The shapes are rustls's: a config built once and shared in an `Arc`, a sans-IO connection, a
//! blocking [`Stream`], `clasp-tokio` for async. The differences are in the builders: one plain
//! builder per side ending in a validating `build()` (STYLE: no typestate builders), which
//! refuses a config that can never work with an [`error::ConfigError`] naming the problem; and
//! the provider is passed in, never installed process-wide.
//!
//! | rustls | clasp |
//! |---|---|
//! | `rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName}` | [`pki_types`] (the same crate, re-exported) |
//! | `rustls::RootCertStore` | [`verify::RootCertStore`] |
//! | `ClientConfig::builder().with_root_certificates(roots).with_no_client_auth()` | `ClientConfig::builder().with_root_certificates(roots).build()?` |
//! | `….with_client_auth_cert(chain, key)?` | `….with_client_auth_cert(chain, key)` or [`config::ClientConfigBuilder::with_client_cert_files`] |
//! | `ServerConfig::builder().with_no_client_auth().with_single_cert(chain, key)?` | `ServerConfig::builder().with_single_cert(chain, key).build()?` |
//! | `….with_client_cert_verifier(WebPkiClientVerifier::builder(roots).build()?)` | `….with_client_auth(ClientAuth::Required(roots))` |
//! | `config.alpn_protocols = vec![…]` | `.with_alpn_protocols(vec![…])` |
//! | `config.key_log = Arc::new(KeyLogFile::new())` | `.with_env_key_log()` |
//! | `ClientConnection::new(config, name)?` / `ServerConnection::new(config)?` | the same |
//! | `Stream::new(&mut conn, &mut sock)` | the same (owned parts work too) |
//! | `conn.negotiated_cipher_suite()` | the same; returns `Option<`[`CipherSuite`]`>` |
//! | `conn.negotiated_key_exchange_group()` | the same; returns `Option<`[`NamedGroup`]`>` |
//! | `conn.protocol_version()` | the same; returns `Option<`[`ProtocolVersion`]`>` |
//! | `tokio_rustls::{TlsConnector, TlsAcceptor}` | `clasp_tokio::{TlsConnector, TlsAcceptor}` |
//!
//! A blocking client with a client certificate, as the rustls examples write it:
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::sync::Arc;
//! use clasp::pki_types::pem::PemObject;
//! use clasp::pki_types::{CertificateDer, ServerName};
//! use clasp::verify::RootCertStore;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut roots = RootCertStore::empty();
//! for ca in CertificateDer::pem_file_iter("ca.pem")? {
//!     roots.add(&ca?)?;
//! }
//! let config = clasp::ClientConfig::builder()
//!     .with_root_certificates(roots)
//!     .with_client_cert_files("client.pem", "client.key")
//!     .build()?;
//! let mut conn = clasp::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost")?)?;
//! let mut sock = TcpStream::connect("localhost:4443")?;
//! let mut tls = clasp::Stream::new(&mut conn, &mut sock);
//! tls.write_all(b"hello")?;
//! let mut reply = Vec::new();
//! tls.read_to_end(&mut reply)?;
//! println!("{:?}", conn.negotiated_cipher_suite());
//! # Ok(())
//! # }
//! ```
//!
//! A server that requires client certificates:
//!
//! ```no_run
//! use std::sync::Arc;
//! use clasp::pki_types::pem::PemObject;
//! use clasp::pki_types::{CertificateDer, PrivateKeyDer};
//! use clasp::verify::RootCertStore;
//! use clasp::ClientAuth;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let chain = CertificateDer::pem_file_iter("server.pem")?.collect::<Result<Vec<_>, _>>()?;
//! let key = PrivateKeyDer::from_pem_file("server.key")?;
//! let mut client_roots = RootCertStore::empty();
//! for ca in CertificateDer::pem_file_iter("client-ca.pem")? {
//!     client_roots.add(&ca?)?;
//! }
//! let config = Arc::new(
//!     clasp::ServerConfig::builder()
//!         .with_single_cert(chain, key)
//!         .with_client_auth(ClientAuth::Required(client_roots))
//!         .build()?,
//! );
//! let conn = clasp::ServerConnection::new(config)?;
//! # drop(conn);
//! # Ok(())
//! # }
//! ```
//!
//! A config that can never work is refused at `build()`, not at the first handshake:
//!
//! ```
//! use clasp::error::{ConfigError, Error};
//!
//! let err = clasp::ClientConfig::builder().build().unwrap_err();
//! assert_eq!(err, Error::InvalidConfig(ConfigError::NoRootCertificates));
//! assert!(err.to_string().contains("no root certificates"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cert_compression;
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
pub(crate) mod record;
pub mod recorded;
pub mod session;
pub mod sign;
pub mod stream;
pub mod suites;
pub mod time;
pub mod trace;
pub(crate) mod transcript;
pub mod verify;

#[cfg(test)]
pub(crate) mod testdata;

pub use config::{ClientAuth, ClientConfig, ServerConfig};
pub use conn::{ClientConnection, ConnectionCommon, ServerConnection};
pub use error::Error;
pub use msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
/// The ecosystem's certificate, key and server-name types (`rustls-pki-types`, PEM parsing
/// included), re-exported so that `clasp::pki_types::PrivateKeyDer::from_pem_file` resolves.
pub use rustls_pki_types as pki_types;
pub use stream::{AsConnection, Stream};
