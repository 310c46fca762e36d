//! Private keys and signing over `aws_lc_rs::signature`, and RSA PKCS#1 v1.5 decryption for
//! the TLS 1.2 RSA key exchange.
//!
//! Keys are loaded once by [`AwsLcKeyProvider`]; aws-lc holds the key material and wipes it on
//! drop. Key types: ECDSA P-256 / P-384 / P-521 (PKCS#8 or SEC1), Ed25519 (PKCS#8 v1 or v2), RSA
//! 2048..8192 bits (PKCS#8 or PKCS#1).

use core::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::KeyPair as _;
use aws_lc_rs::{rsa, signature};
use rustls_pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer};

use crate::crypto::{CryptoError, KeyKind, KeyProvider, RsaDecrypter, Signer, SigningKey};
use crate::error::{ConfigError, Error, InternalError};
use crate::msgs::enums::SignatureScheme;

/// Loads PKCS#8 / SEC1 / PKCS#1 private keys with aws-lc.
#[derive(Debug)]
pub struct AwsLcKeyProvider;

/// The provider's key loader.
pub static KEY_PROVIDER: AwsLcKeyProvider = AwsLcKeyProvider;

fn bad_key() -> Error {
    ConfigError::BadPrivateKey.into()
}

/// A DER SubjectPublicKeyInfo from anything aws-lc can encode as one.
fn spki<T>(public: &T) -> Option<SubjectPublicKeyInfoDer<'static>>
where
    T: AsDer<aws_lc_rs::encoding::PublicKeyX509Der<'static>>,
{
    public
        .as_der()
        .ok()
        .map(|der| SubjectPublicKeyInfoDer::from(der.as_ref().to_vec()))
}

impl KeyProvider for AwsLcKeyProvider {
    fn load_private_key(&self, key: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, Error> {
        match &key {
            PrivateKeyDer::Pkcs8(der) => {
                let der = der.secret_pkcs8_der();
                if let Some(k) = EcdsaSigningKey::from_der(der) {
                    return Ok(Arc::new(k));
                }
                if let Ok(k) = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
                    return Ok(Arc::new(Ed25519SigningKey(Arc::new(k))));
                }
                let key = signature::RsaKeyPair::from_pkcs8(der).map_err(|_| bad_key())?;
                Ok(Arc::new(RsaSigningKey::new(key)?))
            }
            // RFC 5915 ECPrivateKey; aws-lc reads the curve from its parameters.
            PrivateKeyDer::Sec1(der) => EcdsaSigningKey::from_der(der.secret_sec1_der())
                .map(|k| Arc::new(k) as Arc<dyn SigningKey>)
                .ok_or_else(bad_key),
            // RFC 8017 RSAPrivateKey.
            PrivateKeyDer::Pkcs1(der) => {
                let key = signature::RsaKeyPair::from_der(der.secret_pkcs1_der())
                    .map_err(|_| bad_key())?;
                Ok(Arc::new(RsaSigningKey::new(key)?))
            }
            _ => Err(bad_key()),
        }
    }
}

/// An ECDSA key on P-256, P-384 or P-521; it signs with exactly one scheme (the curve's hash,
/// RFC 8446 §4.2.3).
struct EcdsaSigningKey {
    key: Arc<signature::EcdsaKeyPair>,
    scheme: SignatureScheme,
}

impl EcdsaSigningKey {
    /// Tries P-256, P-384, then P-521; accepts PKCS#8 or SEC1 DER.
    fn from_der(der: &[u8]) -> Option<Self> {
        [
            (
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                SignatureScheme::ECDSA_NISTP256_SHA256,
            ),
            (
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                SignatureScheme::ECDSA_NISTP384_SHA384,
            ),
            // RFC 8446 §4.2.3: ecdsa_secp521r1_sha512. In TLS 1.2 the same code point means
            // ECDSA with SHA-512 (RFC 8422 §5.1.3), which is what a P-521 key signs there too.
            (
                &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
                SignatureScheme::ECDSA_NISTP521_SHA512,
            ),
        ]
        .into_iter()
        .find_map(|(alg, scheme)| {
            signature::EcdsaKeyPair::from_private_key_der(alg, der)
                .ok()
                .map(|key| Self {
                    key: Arc::new(key),
                    scheme,
                })
        })
    }
}

impl fmt::Debug for EcdsaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcdsaSigningKey")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl SigningKey for EcdsaSigningKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Ecdsa
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'static>> {
        spki(self.key.public_key())
    }

    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered.contains(&self.scheme).then(|| {
            Box::new(EcdsaSigner {
                key: Arc::clone(&self.key),
                scheme: self.scheme,
            }) as Box<dyn Signer>
        })
    }
}

struct EcdsaSigner {
    key: Arc<signature::EcdsaKeyPair>,
    scheme: SignatureScheme,
}

impl Signer for EcdsaSigner {
    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.key
            .sign(&SystemRandom::new(), message)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| InternalError::SigningFailed.into())
    }
}

/// An Ed25519 key (RFC 8032; scheme `ed25519`).
struct Ed25519SigningKey(Arc<signature::Ed25519KeyPair>);

impl fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519SigningKey")
    }
}

impl SigningKey for Ed25519SigningKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Ed25519
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'static>> {
        spki(self.0.public_key())
    }

    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ED25519)
            .then(|| Box::new(Ed25519Signer(Arc::clone(&self.0))) as Box<dyn Signer>)
    }
}

struct Ed25519Signer(Arc<signature::Ed25519KeyPair>);

impl Signer for Ed25519Signer {
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.0
            .try_sign(message)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| InternalError::SigningFailed.into())
    }
}

/// The RSA schemes we sign with, and their aws-lc encodings.
const RSA_SCHEMES: [(SignatureScheme, &signature::RsaSignatureEncoding); 6] = [
    (SignatureScheme::RSA_PSS_SHA256, &signature::RSA_PSS_SHA256),
    (SignatureScheme::RSA_PSS_SHA384, &signature::RSA_PSS_SHA384),
    (SignatureScheme::RSA_PSS_SHA512, &signature::RSA_PSS_SHA512),
    (
        SignatureScheme::RSA_PKCS1_SHA256,
        &signature::RSA_PKCS1_SHA256,
    ),
    (
        SignatureScheme::RSA_PKCS1_SHA384,
        &signature::RSA_PKCS1_SHA384,
    ),
    (
        SignatureScheme::RSA_PKCS1_SHA512,
        &signature::RSA_PKCS1_SHA512,
    ),
];

/// An RSA key: signs with PSS (rsae) or PKCS#1 v1.5, and decrypts PKCS#1 v1.5 for the TLS 1.2
/// RSA key exchange.
struct RsaSigningKey {
    key: Arc<signature::RsaKeyPair>,
    decrypter: Pkcs1Decrypter,
}

impl RsaSigningKey {
    fn new(key: signature::RsaKeyPair) -> Result<Self, Error> {
        // aws-lc's decrypting key loads only from PKCS#8, so re-encode (this also covers keys
        // that arrived as PKCS#1).
        let pkcs8 = key.as_der().map_err(|_| bad_key())?;
        let private =
            rsa::PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).map_err(|_| bad_key())?;
        let size = private.key_size_bytes();
        let decrypter = rsa::Pkcs1PrivateDecryptingKey::new(private).map_err(|_| bad_key())?;
        Ok(Self {
            key: Arc::new(key),
            decrypter: Pkcs1Decrypter {
                key: decrypter,
                size,
            },
        })
    }
}

impl fmt::Debug for RsaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaSigningKey")
            .field("bits", &(self.key.public_modulus_len() * 8))
            .finish_non_exhaustive()
    }
}

impl SigningKey for RsaSigningKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Rsa
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'static>> {
        spki(self.key.public_key())
    }

    /// The first scheme in the peer's order that is an RSA scheme. This does not know the
    /// protocol version: a TLS 1.3 caller must remove `rsa_pkcs1_*` from `offered` first
    /// (RFC 8446 §4.2.3).
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered.iter().find_map(|s| {
            RSA_SCHEMES
                .iter()
                .find(|(scheme, _)| scheme == s)
                .map(|&(scheme, encoding)| {
                    Box::new(RsaSigner {
                        key: Arc::clone(&self.key),
                        scheme,
                        encoding,
                    }) as Box<dyn Signer>
                })
        })
    }

    fn rsa_decrypter(&self) -> Option<&dyn RsaDecrypter> {
        Some(&self.decrypter)
    }
}

struct RsaSigner {
    key: Arc<signature::RsaKeyPair>,
    scheme: SignatureScheme,
    encoding: &'static signature::RsaSignatureEncoding,
}

impl Signer for RsaSigner {
    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(self.encoding, &SystemRandom::new(), message, &mut sig)
            .map_err(|_| Error::from(InternalError::SigningFailed))?;
        Ok(sig)
    }
}

/// PKCS#1 v1.5 decryption (RFC 8017 §7.2.2) with aws-lc.
struct Pkcs1Decrypter {
    key: rsa::Pkcs1PrivateDecryptingKey,
    size: usize,
}

impl RsaDecrypter for Pkcs1Decrypter {
    fn decrypt_pkcs1(&self, ciphertext: &[u8], out: &mut [u8]) -> Result<usize, CryptoError> {
        // RFC 8017 §7.2.2 step 1: the ciphertext is exactly k bytes. The padding check happens
        // inside aws-lc; every failure is the same opaque error (RFC 5246 §7.4.7.1: the caller
        // must not reveal which).
        if ciphertext.len() != self.size || out.len() < self.size {
            return Err(CryptoError);
        }
        self.key
            .decrypt(ciphertext, out)
            .map(|plain| plain.len())
            .map_err(|_| CryptoError)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use aws_lc_rs::encoding::AsDer;
    use rustls_pki_types::{
        PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer, SignatureVerificationAlgorithm,
    };

    use super::*;
    use crate::crypto::aws_lc::verify_algs::{self, VERIFIERS};
    use crate::crypto::SignatureVerifiers;

    fn pkcs8(der: &[u8]) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec()))
    }

    /// One 2048-bit RSA key per test run (generation is the slow part).
    fn rsa_pkcs8() -> &'static [u8] {
        static KEY: OnceLock<Vec<u8>> = OnceLock::new();
        KEY.get_or_init(|| {
            let k = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap();
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = k.as_der().unwrap();
            der.as_ref().to_vec()
        })
    }

    /// Reads one DER TLV at the start of `d`: (tag, contents, rest). Test helper only.
    fn tlv(d: &[u8]) -> (u8, &[u8], &[u8]) {
        let (tag, len_byte) = (d[0], d[1]);
        let (len, hdr) = if len_byte < 0x80 {
            (usize::from(len_byte), 2)
        } else {
            let n = usize::from(len_byte & 0x7f);
            let len = d[2..2 + n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (len, 2 + n)
        };
        (tag, &d[hdr..hdr + len], &d[hdr + len..])
    }

    /// The RSAPrivateKey (PKCS#1) inside a PKCS#8 PrivateKeyInfo.
    fn pkcs1_from_pkcs8(p8: &[u8]) -> Vec<u8> {
        let (_, info, _) = tlv(p8); // PrivateKeyInfo SEQUENCE
        let (_, _, rest) = tlv(info); // version
        let (_, _, rest) = tlv(rest); // AlgorithmIdentifier
        let (tag, key, _) = tlv(rest); // OCTET STRING privateKey
        assert_eq!(tag, 0x04);
        key.to_vec()
    }

    fn verify(alg: &dyn SignatureVerificationAlgorithm, pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
        alg.verify_signature(pk, msg, sig).is_ok()
    }

    #[test]
    fn ecdsa_sign_verify_pkcs8_and_sec1() {
        let rng = SystemRandom::new();
        for (alg, scheme, verifier) in [
            (
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                SignatureScheme::ECDSA_NISTP256_SHA256,
                verify_algs::ECDSA_P256_SHA256,
            ),
            (
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                SignatureScheme::ECDSA_NISTP384_SHA384,
                verify_algs::ECDSA_P384_SHA384,
            ),
            (
                &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
                SignatureScheme::ECDSA_NISTP521_SHA512,
                verify_algs::ECDSA_P521_SHA512,
            ),
        ] {
            let doc = signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
            let pair = signature::EcdsaKeyPair::from_pkcs8(alg, doc.as_ref()).unwrap();
            let public = {
                use signature::KeyPair as _;
                pair.public_key().as_ref().to_vec()
            };
            let sec1 = pair.private_key().as_der().unwrap();

            for der in [
                pkcs8(doc.as_ref()),
                PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(sec1.as_ref().to_vec())),
            ] {
                let key = KEY_PROVIDER.load_private_key(der).unwrap();
                assert_eq!(key.kind(), KeyKind::Ecdsa);
                // Only the curve's own scheme is chosen.
                assert!(key.choose_scheme(&[SignatureScheme::ED25519]).is_none());
                let signer = key
                    .choose_scheme(&[SignatureScheme::RSA_PSS_SHA256, scheme])
                    .unwrap();
                assert_eq!(signer.scheme(), scheme);
                let sig = signer.sign(b"message").unwrap();
                assert!(verify(verifier, &public, b"message", &sig));
                assert!(!verify(verifier, &public, b"massage", &sig));
                // Through the scheme table, TLS 1.3 (exact curve).
                let algs = VERIFIERS.for_scheme(scheme, true);
                assert_eq!(algs.len(), 1);
                assert!(verify(algs[0], &public, b"message", &sig));
            }
        }
    }

    #[test]
    fn ed25519_sign_verify() {
        let doc = signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let public = {
            use signature::KeyPair as _;
            pair.public_key().as_ref().to_vec()
        };
        let key = KEY_PROVIDER.load_private_key(pkcs8(doc.as_ref())).unwrap();
        assert_eq!(key.kind(), KeyKind::Ed25519);
        let signer = key.choose_scheme(&[SignatureScheme::ED25519]).unwrap();
        let sig = signer.sign(b"hello").unwrap();
        assert!(verify(verify_algs::ED25519, &public, b"hello", &sig));
        assert!(!verify(verify_algs::ED25519, &public, b"hellO", &sig));
        assert!(key.rsa_decrypter().is_none());
    }

    #[test]
    fn rsa_sign_verify_all_schemes_pkcs8_and_pkcs1() {
        let p8 = rsa_pkcs8();
        let pair = signature::RsaKeyPair::from_pkcs8(p8).unwrap();
        let public = {
            use signature::KeyPair as _;
            pair.public_key().as_ref().to_vec()
        };
        for der in [
            pkcs8(p8),
            PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(pkcs1_from_pkcs8(p8))),
        ] {
            let key = KEY_PROVIDER.load_private_key(der).unwrap();
            assert_eq!(key.kind(), KeyKind::Rsa);
            for (scheme, verifier) in [
                (SignatureScheme::RSA_PSS_SHA256, verify_algs::RSA_PSS_SHA256),
                (SignatureScheme::RSA_PSS_SHA384, verify_algs::RSA_PSS_SHA384),
                (SignatureScheme::RSA_PSS_SHA512, verify_algs::RSA_PSS_SHA512),
                (
                    SignatureScheme::RSA_PKCS1_SHA256,
                    verify_algs::RSA_PKCS1_SHA256,
                ),
                (
                    SignatureScheme::RSA_PKCS1_SHA384,
                    verify_algs::RSA_PKCS1_SHA384,
                ),
                (
                    SignatureScheme::RSA_PKCS1_SHA512,
                    verify_algs::RSA_PKCS1_SHA512,
                ),
            ] {
                let signer = key
                    .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256, scheme])
                    .unwrap();
                assert_eq!(signer.scheme(), scheme);
                let sig = signer.sign(b"transcript").unwrap();
                assert_eq!(sig.len(), 256);
                assert!(verify(verifier, &public, b"transcript", &sig), "{scheme:?}");
                assert!(
                    !verify(verifier, &public, b"transcripT", &sig),
                    "{scheme:?}"
                );
            }
            // Peer order wins.
            let s = key
                .choose_scheme(&[
                    SignatureScheme::RSA_PKCS1_SHA384,
                    SignatureScheme::RSA_PSS_SHA256,
                ])
                .unwrap();
            assert_eq!(s.scheme(), SignatureScheme::RSA_PKCS1_SHA384);
            assert!(key.choose_scheme(&[SignatureScheme::ED25519]).is_none());
        }
    }

    #[test]
    fn rsa_pkcs1_decrypt() {
        let p8 = rsa_pkcs8();
        let key = KEY_PROVIDER.load_private_key(pkcs8(p8)).unwrap();
        let dec = key.rsa_decrypter().unwrap();

        let public = rsa::PrivateDecryptingKey::from_pkcs8(p8)
            .unwrap()
            .public_key();
        let enc = rsa::Pkcs1PublicEncryptingKey::new(public).unwrap();
        let premaster = [
            0x03u8, 0x03, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
            7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 42,
        ];
        let mut ct = vec![0u8; enc.ciphertext_size()];
        let ct = enc.encrypt(&premaster, &mut ct).unwrap().to_vec();

        let mut out = vec![0u8; 256];
        let n = dec.decrypt_pkcs1(&ct, &mut out).unwrap();
        assert_eq!(&out[..n], premaster.as_slice());

        // Garbage, a flipped bit, a wrong length, a short output buffer: all the same error.
        assert_eq!(
            dec.decrypt_pkcs1(&[0x55u8; 256], &mut out),
            Err(CryptoError)
        );
        let mut flipped = ct.clone();
        flipped[0] ^= 0x01;
        flipped[100] ^= 0x80;
        assert_eq!(dec.decrypt_pkcs1(&flipped, &mut out), Err(CryptoError));
        assert_eq!(dec.decrypt_pkcs1(&ct[1..], &mut out), Err(CryptoError));
        assert_eq!(dec.decrypt_pkcs1(&ct, &mut [0u8; 100]), Err(CryptoError));
    }

    #[test]
    fn garbage_keys_are_rejected() {
        for der in [
            pkcs8(&[0x30, 0x03, 0x02, 0x01, 0x00]),
            PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(vec![1, 2, 3])),
            PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(vec![])),
        ] {
            assert_eq!(
                KEY_PROVIDER.load_private_key(der).unwrap_err(),
                Error::InvalidConfig(ConfigError::BadPrivateKey)
            );
        }
    }

    #[test]
    fn scheme_table_follows_the_rfcs() {
        use SignatureScheme as S;
        // TLS 1.2 ECDSA: any curve with that hash (RFC 8422 §5.1.3).
        for s in [
            S::ECDSA_NISTP256_SHA256,
            S::ECDSA_NISTP384_SHA384,
            S::ECDSA_NISTP521_SHA512,
        ] {
            assert_eq!(VERIFIERS.for_scheme(s, false).len(), 3, "{s:?}");
            // TLS 1.3: the curve too (RFC 8446 §4.2.3).
            assert_eq!(VERIFIERS.for_scheme(s, true).len(), 1, "{s:?}");
        }
        // TLS 1.3: no PKCS#1 v1.5 (RFC 8446 §4.2.3).
        assert!(VERIFIERS.for_scheme(S::RSA_PKCS1_SHA256, true).is_empty());
        assert_eq!(VERIFIERS.for_scheme(S::RSA_PKCS1_SHA256, false).len(), 1);
        assert_eq!(VERIFIERS.for_scheme(S::RSA_PSS_SHA256, true).len(), 1);
        assert!(VERIFIERS.for_scheme(S::RSA_PKCS1_SHA1, false).is_empty());
        assert!(VERIFIERS.for_scheme(S::ED448, true).is_empty());
        for s in VERIFIERS.supported_schemes() {
            assert!(!VERIFIERS.for_scheme(*s, false).is_empty(), "{s:?}");
        }
        assert!(VERIFIERS.all().len() >= 16);
    }

    #[test]
    fn ecdsa_tls12_allows_either_curve_and_rejects_spki_shaped_keys() {
        use rustls_pki_types::alg_id;
        // TLS 1.2 ecdsa_secp256r1_sha256 fixes only the hash: P-256, P-384 and P-521 keys with
        // SHA-256.
        let ids: Vec<_> = VERIFIERS
            .for_scheme(SignatureScheme::ECDSA_NISTP256_SHA256, false)
            .iter()
            .map(|a| (a.public_key_alg_id(), a.signature_alg_id()))
            .collect();
        assert_eq!(
            ids,
            [
                (alg_id::ECDSA_P256, alg_id::ECDSA_SHA256),
                (alg_id::ECDSA_P384, alg_id::ECDSA_SHA256),
                (alg_id::ECDSA_P521, alg_id::ECDSA_SHA256)
            ]
        );
        // An SPKI-looking public key is refused (RFC 5480 §2.2 first-octet rule).
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P384_SHA384_ASN1_SIGNING;
        let doc = signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = signature::EcdsaKeyPair::from_pkcs8(alg, doc.as_ref()).unwrap();
        let sig = pair.sign(&rng, b"ske").unwrap();
        let public = pair.public_key().as_ref().to_vec();
        assert!(verify(
            verify_algs::ECDSA_P384_SHA384,
            &public,
            b"ske",
            sig.as_ref()
        ));
        let spki = pair.public_key().as_der().unwrap();
        assert!(!verify(
            verify_algs::ECDSA_P384_SHA384,
            spki.as_ref(),
            b"ske",
            sig.as_ref()
        ));
    }

    #[test]
    fn public_key_is_the_spki_of_the_key() {
        let doc = signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let key = KEY_PROVIDER.load_private_key(pkcs8(doc.as_ref())).unwrap();
        let spki = key.public_key().unwrap();
        // Ed25519 SPKI = 12-byte header + the 32-byte key (RFC 8410 §4).
        assert_eq!(spki.as_ref().len(), 44);
        assert_eq!(&spki.as_ref()[12..], pair.public_key().as_ref());

        let key = KEY_PROVIDER.load_private_key(pkcs8(rsa_pkcs8())).unwrap();
        let rsa_spki = key.public_key().unwrap();
        let expected = rsa::PrivateDecryptingKey::from_pkcs8(rsa_pkcs8())
            .unwrap()
            .public_key()
            .as_der()
            .unwrap();
        assert_eq!(rsa_spki.as_ref(), expected.as_ref());
    }
}
