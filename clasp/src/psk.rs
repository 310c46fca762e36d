//! External pre-shared keys for TLS 1.3 (RFC 8446 §2.2, §4.2.9, §4.2.11): keys provisioned
//! outside TLS, named by an identity, each tied to one hash (SHA-256 or SHA-384).
//!
//! This module owns the key type and the server's identity → key lookup. It never decides the
//! handshake: the client offers keys in `handshake/client/hello.rs`, the server picks one in
//! `handshake/server/tls13.rs`; their binders use the "ext binder" label (RFC 8446 §7.1), never
//! the "res binder" of resumption tickets, so an external key can never be taken for a ticket.
//!
//! # Security properties (read before using external PSKs)
//! - **Authentication is the key.** When the server accepts an external PSK, neither side sends
//!   a certificate (RFC 8446 §2.2, §4.4): whoever holds the key *is* the peer. RFC 8446 §E.1
//!   ("MUST NOT combine external PSKs with certificate-based authentication"): a server that
//!   accepted an external PSK sends no CertificateRequest.
//! - **One key, one pair of peers.** A key shared by several servers (or clients) lets any of
//!   them impersonate the others to whoever holds it (RFC 9257 §4, the "Selfie" attack on
//!   group keys): give every client–server pair its own key.
//! - **Forward secrecy needs (EC)DHE.** The default mode is `psk_dhe_ke`: a key exchange runs
//!   alongside the PSK, so recording the traffic and later stealing the key reveals nothing.
//!   `psk_ke` (PSK only) has **no forward secrecy**: the key decrypts every past session made
//!   with it. It is used only when both sides enable it explicitly
//!   (`with_psk_key_exchange_modes`).
//! - **Identities are sent in clear** in the ClientHello (RFC 8446 §4.2.11; encrypted
//!   ClientHello is not implemented): an identity must not be a secret and should not name a
//!   person or device an eavesdropper may not learn.
//! - **Low-entropy keys are refused.** The binder lets an eavesdropper test guesses of the key
//!   offline (RFC 8446 §E.6): keys must have at least 128 bits (16 bytes), as RFC 9257 §6
//!   requires. Never derive one from a password.
//! - **No 0-RTT with external PSKs.** Early data under a key that never changes can be replayed
//!   without limit (RFC 8446 §8, §E.5): clasp's client offers 0-RTT only with resumption
//!   tickets, and its server accepts it only with them.

use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::crypto::HashAlgorithm;
use crate::error::{ConfigError, Error};

/// The shortest external PSK accepted: 128 bits (RFC 9257 §6).
pub const MIN_EXTERNAL_PSK_LEN: usize = 16;
/// The longest external PSK accepted (OpenSSL's `PSK_MAX_PSK_LEN`): a bound on what a
/// configuration can make us hash.
pub const MAX_EXTERNAL_PSK_LEN: usize = 512;
/// The longest identity: what fits `opaque identity<1..2^16-1>` (RFC 8446 §4.2.11) with room
/// for the rest of a ClientHello.
pub const MAX_EXTERNAL_PSK_IDENTITY_LEN: usize = 4096;

/// An external PSK: identity, key and hash. The key is wiped on drop and never printed.
pub struct ExternalPsk {
    identity: Vec<u8>,
    key: Zeroizing<Vec<u8>>,
    hash: HashAlgorithm,
}

impl ExternalPsk {
    /// A PSK named `identity` with `key`, used with cipher suites whose hash is `hash`
    /// (RFC 8446 §4.2.11: "For externally established PSKs, the Hash algorithm MUST be set when
    /// the PSK is established or default to SHA-256").
    ///
    /// # Errors
    /// [`ConfigError::BadExternalPsk`] for an empty or over-long identity, or a key shorter
    /// than [`MIN_EXTERNAL_PSK_LEN`] or longer than [`MAX_EXTERNAL_PSK_LEN`] bytes.
    pub fn new(
        identity: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
        hash: HashAlgorithm,
    ) -> Result<Self, Error> {
        let identity = identity.into();
        let key = Zeroizing::new(key.into());
        if identity.is_empty() || identity.len() > MAX_EXTERNAL_PSK_IDENTITY_LEN {
            return Err(ConfigError::BadExternalPsk("identity must be 1 to 4096 bytes").into());
        }
        if key.len() < MIN_EXTERNAL_PSK_LEN {
            return Err(ConfigError::BadExternalPsk(
                "key shorter than 16 bytes (128 bits, RFC 9257 §6)",
            )
            .into());
        }
        if key.len() > MAX_EXTERNAL_PSK_LEN {
            return Err(ConfigError::BadExternalPsk("key longer than 512 bytes").into());
        }
        Ok(Self {
            identity,
            key,
            hash,
        })
    }

    /// The identity, as sent in clear in the ClientHello.
    #[must_use]
    pub fn identity(&self) -> &[u8] {
        &self.identity
    }

    /// The hash this key is used with.
    #[must_use]
    pub fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    /// The key bytes: only the key schedule's callers in `handshake/` read them.
    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }
}

impl fmt::Debug for ExternalPsk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalPsk")
            .field("identity", &String::from_utf8_lossy(&self.identity))
            .field("key", &format_args!("<{} bytes redacted>", self.key.len()))
            .field("hash", &self.hash)
            .finish()
    }
}

/// The server's lookup of an offered identity.
pub trait ResolvesExternalPsk: Send + Sync + fmt::Debug {
    /// The key for `identity`, or `None` if it is not ours (the identity may be a resumption
    /// ticket, which the server then tries as one).
    fn resolve(&self, identity: &[u8]) -> Option<Arc<ExternalPsk>>;
}

/// A fixed set of external PSKs, looked up by identity.
#[derive(Debug, Default)]
pub struct ExternalPskStore {
    keys: HashMap<Vec<u8>, Arc<ExternalPsk>>,
}

impl ExternalPskStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `psk`, replacing any key with the same identity.
    pub fn insert(&mut self, psk: ExternalPsk) {
        self.keys.insert(psk.identity.clone(), Arc::new(psk));
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store has no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl ResolvesExternalPsk for ExternalPskStore {
    fn resolve(&self, identity: &[u8]) -> Option<Arc<ExternalPsk>> {
        self.keys.get(identity).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_never_printed() {
        let bad = |r: Result<ExternalPsk, Error>| {
            matches!(r, Err(Error::InvalidConfig(ConfigError::BadExternalPsk(_))))
        };
        assert!(bad(ExternalPsk::new(
            Vec::new(),
            [1u8; 32],
            HashAlgorithm::Sha256
        )));
        assert!(bad(ExternalPsk::new(
            "id",
            [1u8; 15],
            HashAlgorithm::Sha256
        )));
        assert!(bad(ExternalPsk::new(
            "id",
            vec![1u8; 513],
            HashAlgorithm::Sha256
        )));
        assert!(bad(ExternalPsk::new(
            vec![b'a'; 4097],
            [1u8; 32],
            HashAlgorithm::Sha256
        )));
        let psk = ExternalPsk::new("client1", [0xabu8; 16], HashAlgorithm::Sha384).unwrap();
        assert_eq!(psk.identity(), b"client1");
        assert_eq!(psk.hash(), HashAlgorithm::Sha384);
        let shown = format!("{psk:?}");
        assert!(shown.contains("client1") && shown.contains("16 bytes redacted"));
        assert!(!shown.contains("ab") && !shown.contains("171"));
        let mut store = ExternalPskStore::new();
        store.insert(psk);
        assert!(store.resolve(b"client1").is_some());
        assert!(store.resolve(b"client2").is_none());
    }
}
