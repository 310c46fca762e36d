//! Opening a recorded TLS 1.2 connection's records offline, as Wireshark does with a key log.
//!
//! This is the one deliberate route by which record keys are made outside a live connection.
//! It takes what a party that already holds the connection's secret has: the master secret of a
//! `CLIENT_RANDOM` key-log line ([`crate::keylog::KeyLog`]), or a pre-master secret that came out
//! of the crypto provider (an RSA decryption with the server's key: the forward-secrecy
//! demonstration of `clasp demo --steal-key`). It never hands out key or IV bytes: the master
//! secret it derives stays inside a [`Tls12MasterSecret`], which can only be used to open a later
//! abbreviated handshake of the same session (RFC 5246 §7.3).
//!
//! It must never: reach a live connection's key schedule, or print a secret in `Debug`.
//!
//! Record protection cannot be built from raw key bytes outside the crate:
//!
//! ```compile_fail
//! let aead = clasp::crypto::aws_lc::default_provider().aead(clasp::crypto::AeadAlgorithm::Aes128Gcm);
//! let _ = clasp::internal::RecordEncrypter::tls13(aead, &[0u8; 16], &[0u8; 12]);
//! ```

use core::fmt;
use core::ops::Range;

use crate::crypto::{CryptoProvider, HashOutput, SecretBytes, SharedSecret};
use crate::error::{Error, InternalError};
use crate::key_schedule::tls12::{ConnectionRandoms, MasterSecret};
use crate::msgs::enums::{CipherSuite, ContentType};
use crate::record::RecordDecrypter;
/// The 5-byte record header (RFC 8446 §5.1), which [`Tls12Recording::open`] takes; parse one with
/// [`RecordHeader::parse`].
pub use crate::record::{RecordHeader, HEADER_LEN};
use crate::suites::{self, SuiteInfo};

/// A TLS 1.2 master secret recovered offline; opaque (no accessor for its bytes), zeroized on
/// drop.
pub struct Tls12MasterSecret(SecretBytes);

impl Tls12MasterSecret {
    /// An explicit copy (named so that copies of a secret are visible in review).
    #[must_use]
    pub fn duplicate(&self) -> Self {
        Self(self.0.duplicate())
    }
}

impl fmt::Debug for Tls12MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tls12MasterSecret(<redacted>)")
    }
}

/// Which side sent a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The client.
    Client,
    /// The server.
    Server,
}

/// The record decrypters of one recorded TLS 1.2 connection (AEAD suites, RFC 5246 §6.2.3.3).
pub struct Tls12Recording {
    master: MasterSecret,
    client: RecordDecrypter,
    server: RecordDecrypter,
}

impl fmt::Debug for Tls12Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tls12Recording(<redacted>)")
    }
}

fn suite_info(suite: CipherSuite) -> Result<&'static SuiteInfo, Error> {
    match suites::lookup(suite) {
        Some(s) if !s.is_tls13() => Ok(s),
        _ => Err(InternalError::Crypto.into()),
    }
}

impl Tls12Recording {
    /// From the pre-master secret: RFC 5246 §8.1, or RFC 7627 §4 when `session_hash` (the
    /// transcript hash up to and including ClientKeyExchange) is given because the connection
    /// negotiated extended_master_secret.
    ///
    /// # Errors
    /// A TLS 1.3 or unknown suite, or a provider failure.
    pub fn from_pre_master(
        provider: &CryptoProvider,
        suite: CipherSuite,
        pre_master: &SharedSecret,
        session_hash: Option<&HashOutput>,
        client_random: [u8; 32],
        server_random: [u8; 32],
    ) -> Result<Self, Error> {
        let info = suite_info(suite)?;
        let hmac = provider.hmac(info.hash);
        let randoms = ConnectionRandoms {
            client: client_random,
            server: server_random,
        };
        let master = match session_hash {
            Some(h) => {
                MasterSecret::from_pre_master_extended(hmac, pre_master.as_bytes(), h, randoms)?
            }
            None => MasterSecret::from_pre_master(hmac, pre_master.as_bytes(), randoms)?,
        };
        Self::with_master(provider, info, master)
    }

    /// From the 48-byte master secret of a `CLIENT_RANDOM` key-log line (NSS key log format).
    ///
    /// # Errors
    /// A TLS 1.3 or unknown suite, a secret that is not 48 bytes, or a provider failure.
    pub fn from_key_log(
        provider: &CryptoProvider,
        suite: CipherSuite,
        master_secret: &[u8],
        client_random: [u8; 32],
        server_random: [u8; 32],
    ) -> Result<Self, Error> {
        let info = suite_info(suite)?;
        let randoms = ConnectionRandoms {
            client: client_random,
            server: server_random,
        };
        let master = MasterSecret::from_session(provider.hmac(info.hash), master_secret, randoms)?;
        Self::with_master(provider, info, master)
    }

    /// An abbreviated handshake of the session `master` was recovered from (RFC 5246 §7.3: the
    /// same master secret with the new connection's randoms).
    ///
    /// # Errors
    /// A TLS 1.3 or unknown suite, or a provider failure.
    pub fn resumed(
        provider: &CryptoProvider,
        suite: CipherSuite,
        master: &Tls12MasterSecret,
        client_random: [u8; 32],
        server_random: [u8; 32],
    ) -> Result<Self, Error> {
        Self::from_key_log(
            provider,
            suite,
            master.0.as_bytes(),
            client_random,
            server_random,
        )
    }

    fn with_master(
        provider: &CryptoProvider,
        info: &SuiteInfo,
        master: MasterSecret,
    ) -> Result<Self, Error> {
        let kb = master.key_block(info.aead)?;
        let aead = provider.aead(info.aead);
        Ok(Self {
            client: RecordDecrypter::tls12(aead, kb.client.key(), kb.client.iv())?,
            server: RecordDecrypter::tls12(aead, kb.server.key(), kb.server.iv())?,
            master,
        })
    }

    /// The master secret, kept for a later abbreviated handshake of the same session.
    #[must_use]
    pub fn master_secret(&self) -> Tls12MasterSecret {
        Tls12MasterSecret(self.master.master_secret_for_session())
    }

    /// Opens the next protected record `from` one side, in place: the content type and where
    /// the plaintext lies in `payload`. Records must be given in the order each side sent them
    /// (the sequence number is implicit, RFC 5246 §6.1).
    ///
    /// # Errors
    /// `DecryptError` if the record does not authenticate under these keys.
    pub fn open(
        &mut self,
        from: Sender,
        header: RecordHeader,
        payload: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        match from {
            Sender::Client => self.client.open_in_place(header, payload),
            Sender::Server => self.server.open_in_place(header, payload),
        }
    }
}
