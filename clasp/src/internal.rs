//! Test, fuzzing and benchmark hooks: **not public API**.
//!
//! Compiled only with the opt-in `internal` cargo feature, which fuzz/, clasp-bench and the
//! attack tests enable; never in a default build (DESIGN: "A test hook never ships in a default
//! build"), the way rustls keeps its `internal` module. Nothing here is stable.
//!
//! What is here and why:
//! - record protection from raw key bytes, for tests that play a hostile peer and must inject a
//!   record under the live keys (taken from the key log);

use crate::crypto::{Aead, CryptoProvider};
use crate::error::Error;
use crate::key_schedule::tls12::{ConnectionRandoms, MasterSecret};
use crate::msgs::enums::CipherSuite;
use crate::record::RecordEncrypter;

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
