//! Test, fuzzing and benchmark hooks: **not public API**.
//!
//! Compiled only with the opt-in `internal` cargo feature, which fuzz/, clasp-bench and the
//! attack tests enable; never in a default build (DESIGN: "A test hook never ships in a default
//! build"), the way rustls keeps its `internal` module. Nothing here is stable.
//!
//! What is here and why:
//! - record protection from raw key bytes, for tests that play a hostile peer and must inject a
//!   record under the live keys (taken from the key log);
//! - key exchange with a fixed private key, for the RFC 8448 replays, the golden transcripts and
//!   the fuzz harness (never ephemeral, so never for a real connection);
//! - memory accounting for clasp-bench and the bounded-memory tests;
//! - the ticket codec round trip for the `ticket` fuzz target.

use crate::conn::ConnectionCommon;
use crate::crypto::{Aead, CryptoProvider};
use crate::error::Error;
use crate::key_schedule::tls12::{ConnectionRandoms, MasterSecret};
use crate::msgs::enums::CipherSuite;
pub use crate::record::{Deframer, RecordEncrypter};

/// A TLS 1.3 record encrypter from a key and IV (RFC 8446 §7.3), for a test playing a peer.
///
/// # Errors
/// A key or IV of the wrong length.
pub fn record_encrypter_tls13(
    aead: &dyn Aead,
    key: &[u8],
    iv: &[u8],
) -> Result<RecordEncrypter, Error> {
    RecordEncrypter::tls13(aead, key, iv)
}

/// The client's and the server's TLS 1.2 record encrypters, from the master secret a
/// `CLIENT_RANDOM` key-log line carries and the two randoms (RFC 5246 §6.3), for a test that
/// injects records into a live TLS 1.2 connection.
///
/// # Errors
/// An unknown suite, a master secret that is not 48 bytes, or a provider failure.
pub fn tls12_record_encrypters(
    provider: &CryptoProvider,
    suite: CipherSuite,
    master_secret: &[u8],
    client_random: [u8; 32],
    server_random: [u8; 32],
) -> Result<(RecordEncrypter, RecordEncrypter), Error> {
    let info = crate::suites::lookup(suite).ok_or(crate::error::InternalError::Crypto)?;
    let ms = MasterSecret::from_session(
        provider.hmac(info.hash),
        master_secret,
        ConnectionRandoms {
            client: client_random,
            server: server_random,
        },
    )?;
    let kb = ms.key_block(info.aead)?;
    let aead = provider.aead(info.aead);
    Ok((
        RecordEncrypter::tls12(aead, kb.client.key(), kb.client.iv())?,
        RecordEncrypter::tls12(aead, kb.server.key(), kb.server.iv())?,
    ))
}

/// An X25519 exchange with a fixed private key (the RFC 8448 replays need the trace's key
/// shares). Never for a real connection: the key is not ephemeral.
///
/// # Errors
/// If aws-lc rejects the key.
pub fn x25519_from_private(
    bytes: &[u8; 32],
) -> Result<Box<dyn crate::crypto::ActiveKeyExchange>, crate::crypto::CryptoError> {
    crate::crypto::aws_lc::kx::x25519_from_private(bytes)
}

/// An ECDHE exchange (X25519, secp256r1, secp384r1 or secp521r1) with a fixed private key (the
/// golden transcripts need a fixed share). `private` is the 32-byte X25519 scalar or the
/// big-endian NIST scalar. Never for a real connection: the key is not ephemeral.
///
/// # Errors
/// For another group, or if aws-lc rejects the key.
pub fn ecdh_from_private(
    group: crate::msgs::enums::NamedGroup,
    private: &[u8],
) -> Result<Box<dyn crate::crypto::ActiveKeyExchange>, crate::crypto::CryptoError> {
    crate::crypto::aws_lc::kx::ecdh_from_private(group, private)
}

/// The Rust heap a connection holds, part by part (label, bytes), for the memory breakdown in
/// `clasp-bench --only memory-breakdown`. Sizes come from `size_of_val` and capacities; the
/// benchmark checks their sum against a counting allocator. Not counted: the connection struct
/// itself, `Arc`s shared with the config (observer, key log, config), the heap inside the decoded
/// ClientHello and aws-lc's own C allocations behind the AEAD keys.
#[must_use]
pub fn heap_breakdown(conn: &ConnectionCommon) -> Vec<(&'static str, usize)> {
    conn.heap_breakdown()
}

/// Bytes of memory held by a connection's buffers (for measuring idle connection size and the
/// bounded-memory tests).
#[must_use]
pub fn buffer_capacity(conn: &ConnectionCommon) -> usize {
    conn.buffer_capacity()
}

/// Decodes `bytes` as the sealed plaintext of a TLS 1.3 and of a TLS 1.2 ticket. Returns
/// `false` if one decodes but does not re-encode to exactly `bytes` (the `ticket` fuzz target
/// asserts it never does).
#[must_use]
pub fn fuzz_ticket_plaintext(bytes: &[u8]) -> bool {
    crate::session::fuzz_ticket_plaintext(bytes)
}
