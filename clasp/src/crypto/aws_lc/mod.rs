//! The aws-lc-rs provider: the only code in clasp that names `aws_lc_rs`.
//!
//! Every item is a `static` implementing one of the traits in [`crate::crypto`];
//! [`default_provider`] gathers them into a [`CryptoProvider`].

use crate::crypto::CryptoProvider;

pub mod aead;
pub mod hash;
pub mod hkdf;
pub mod hmac;
pub mod kx;
pub mod random;
pub mod rsa;
pub mod sign;
pub mod verify_algs;

pub use aead::{AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305};
pub use hash::{SHA256, SHA384};
pub use hkdf::{HKDF_SHA256, HKDF_SHA384};
pub use hmac::{HMAC_SHA256, HMAC_SHA384};
pub use kx::{
    FFDHE2048, FFDHE3072, FFDHE4096, SECP256R1, SECP256R1MLKEM768, SECP384R1, SECP384R1MLKEM1024,
    SECP521R1, X25519, X25519MLKEM768,
};
pub use random::SYSTEM_RANDOM;
pub use rsa::RSA_ENCRYPTER;
pub use sign::KEY_PROVIDER;
pub use verify_algs::VERIFIERS;

/// The aws-lc-rs provider with every algorithm clasp implements.
///
/// Key-exchange groups are listed in preference order; the config layer decides which are
/// enabled by default.
#[must_use]
pub fn default_provider() -> CryptoProvider {
    CryptoProvider {
        kx_groups: vec![
            &X25519MLKEM768,
            &X25519,
            &SECP256R1,
            &SECP384R1,
            &SECP521R1,
            &SECP256R1MLKEM768,
            &SECP384R1MLKEM1024,
            &FFDHE2048,
            &FFDHE3072,
            &FFDHE4096,
        ],
        hashes: [&SHA256, &SHA384],
        hmacs: [&HMAC_SHA256, &HMAC_SHA384],
        hkdfs: [&HKDF_SHA256, &HKDF_SHA384],
        aeads: [&AES_128_GCM, &AES_256_GCM, &CHACHA20_POLY1305],
        key_provider: &KEY_PROVIDER,
        verifiers: &VERIFIERS,
        secure_random: &SYSTEM_RANDOM,
        rsa_encrypter: &RSA_ENCRYPTER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{AeadAlgorithm, HashAlgorithm};
    use crate::msgs::enums::NamedGroup;

    #[test]
    fn provider_lookups_return_matching_algorithms() {
        let p = default_provider();
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            assert_eq!(p.hash(alg).algorithm(), alg);
            assert_eq!(p.hmac(alg).hash_algorithm(), alg);
            assert_eq!(p.hkdf(alg).hash_algorithm(), alg);
        }
        for alg in [
            AeadAlgorithm::Aes128Gcm,
            AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::ChaCha20Poly1305,
        ] {
            assert_eq!(p.aead(alg).algorithm(), alg);
        }
        let names: Vec<_> = p.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            names,
            [
                NamedGroup::X25519MLKEM768,
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1,
                NamedGroup::secp521r1,
                NamedGroup::secp256r1MLKEM768,
                NamedGroup::secp384r1MLKEM1024,
                NamedGroup::FFDHE2048,
                NamedGroup::FFDHE3072,
                NamedGroup::FFDHE4096,
            ]
        );
        assert!(p.kx_group(NamedGroup::X448).is_none());
    }
}
