//! The cipher-suite table: code point → version, key exchange, authentication, AEAD, hash.
//!
//! The table names algorithms, not implementations; the [`CryptoProvider`](crate::crypto::CryptoProvider)
//! supplies those. Only AEAD suites exist here (DESIGN: no CBC, no RC4, nothing before TLS 1.2).

use crate::crypto::{AeadAlgorithm, HashAlgorithm};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};

/// How a TLS 1.2 suite agrees on the pre-master secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyExchange {
    /// TLS 1.3: negotiated separately through key_share.
    Tls13,
    /// Ephemeral elliptic-curve Diffie-Hellman (RFC 8422).
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman with RFC 7919 groups.
    Dhe,
    /// RSA key transport: the client encrypts the pre-master secret (RFC 5246 §7.4.7.1).
    Rsa,
}

/// What kind of certificate key a TLS 1.2 suite needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Authentication {
    /// TLS 1.3: any key, chosen through signature_algorithms.
    Any,
    /// RSA certificate.
    Rsa,
    /// ECDSA certificate.
    Ecdsa,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteInfo {
    /// The code point.
    pub suite: CipherSuite,
    /// The protocol version it belongs to.
    pub version: ProtocolVersion,
    /// Key exchange (TLS 1.2 only; `Tls13` otherwise).
    pub kx: KeyExchange,
    /// Certificate key kind.
    pub auth: Authentication,
    /// Record protection.
    pub aead: AeadAlgorithm,
    /// Hash for the PRF / HKDF and transcript.
    pub hash: HashAlgorithm,
}

impl SuiteInfo {
    /// Whether this is a TLS 1.3 suite.
    #[must_use]
    pub fn is_tls13(&self) -> bool {
        self.version == ProtocolVersion::TLSv1_3
    }
}

const fn tls13(suite: CipherSuite, aead: AeadAlgorithm, hash: HashAlgorithm) -> SuiteInfo {
    SuiteInfo {
        suite,
        version: ProtocolVersion::TLSv1_3,
        kx: KeyExchange::Tls13,
        auth: Authentication::Any,
        aead,
        hash,
    }
}

const fn tls12(
    suite: CipherSuite,
    kx: KeyExchange,
    auth: Authentication,
    aead: AeadAlgorithm,
    hash: HashAlgorithm,
) -> SuiteInfo {
    SuiteInfo {
        suite,
        version: ProtocolVersion::TLSv1_2,
        kx,
        auth,
        aead,
        hash,
    }
}

use AeadAlgorithm::{Aes128Gcm, Aes256Gcm, ChaCha20Poly1305};
use Authentication::{Ecdsa, Rsa as RsaAuth};
use HashAlgorithm::{Sha256, Sha384};
use KeyExchange::{Dhe, Ecdhe, Rsa as RsaKx};

/// Every suite clasp implements, in default preference order.
pub static ALL_SUITES: &[SuiteInfo] = &[
    tls13(CipherSuite::TLS_AES_128_GCM_SHA256, Aes128Gcm, Sha256),
    tls13(CipherSuite::TLS_AES_256_GCM_SHA384, Aes256Gcm, Sha384),
    tls13(
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        ChaCha20Poly1305,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        Ecdhe,
        Ecdsa,
        Aes128Gcm,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        Ecdhe,
        Ecdsa,
        Aes256Gcm,
        Sha384,
    ),
    tls12(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        Ecdhe,
        Ecdsa,
        ChaCha20Poly1305,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        Ecdhe,
        RsaAuth,
        Aes128Gcm,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        Ecdhe,
        RsaAuth,
        Aes256Gcm,
        Sha384,
    ),
    tls12(
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        Ecdhe,
        RsaAuth,
        ChaCha20Poly1305,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        Dhe,
        RsaAuth,
        Aes128Gcm,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        Dhe,
        RsaAuth,
        Aes256Gcm,
        Sha384,
    ),
    tls12(
        CipherSuite::TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        Dhe,
        RsaAuth,
        ChaCha20Poly1305,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        RsaKx,
        RsaAuth,
        Aes128Gcm,
        Sha256,
    ),
    tls12(
        CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
        RsaKx,
        RsaAuth,
        Aes256Gcm,
        Sha384,
    ),
];

/// The table row for `suite`, if clasp implements it.
#[must_use]
pub fn lookup(suite: CipherSuite) -> Option<&'static SuiteInfo> {
    ALL_SUITES.iter().find(|s| s.suite == suite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicates_and_tls13_first() {
        for (i, a) in ALL_SUITES.iter().enumerate() {
            for b in &ALL_SUITES[i + 1..] {
                assert_ne!(a.suite, b.suite);
            }
        }
        assert!(ALL_SUITES[..3].iter().all(SuiteInfo::is_tls13));
        assert_eq!(
            lookup(CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384).map(|s| s.kx),
            Some(KeyExchange::Rsa)
        );
        assert!(lookup(CipherSuite(0x002f)).is_none());
    }
}
