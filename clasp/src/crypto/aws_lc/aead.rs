//! AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 over `aws_lc_rs::aead` (RFC 5116, RFC 8439).
//!
//! Keys are expanded once in [`Aead::key`] and reused for every record until the next key change;
//! sealing and opening work in place (DESIGN: "Record path without copies").

use aws_lc_rs::aead;

use crate::crypto::{Aead, AeadAlgorithm, AeadKey, CryptoError};

/// An AEAD algorithm backed by `aws_lc_rs::aead::LessSafeKey`.
#[derive(Debug)]
pub struct AwsLcAead(AeadAlgorithm);

/// AES-128-GCM.
pub static AES_128_GCM: AwsLcAead = AwsLcAead(AeadAlgorithm::Aes128Gcm);
/// AES-256-GCM.
pub static AES_256_GCM: AwsLcAead = AwsLcAead(AeadAlgorithm::Aes256Gcm);
/// ChaCha20-Poly1305.
pub static CHACHA20_POLY1305: AwsLcAead = AwsLcAead(AeadAlgorithm::ChaCha20Poly1305);

impl Aead for AwsLcAead {
    fn algorithm(&self) -> AeadAlgorithm {
        self.0
    }

    fn key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError> {
        let alg = match self.0 {
            AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlgorithm::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        // `UnboundKey::new` rejects a key of the wrong length.
        let unbound = aead::UnboundKey::new(alg, key).map_err(|_| CryptoError)?;
        Ok(Box::new(Key(aead::LessSafeKey::new(unbound))))
    }
}

/// An expanded key. `LessSafeKey` because TLS builds its own per-record nonces (RFC 8446 §5.3,
/// RFC 5288 §3) and the record layer guarantees they never repeat.
struct Key(aead::LessSafeKey);

impl AeadKey for Key {
    fn seal_in_place(
        &self,
        nonce: &[u8; AeadAlgorithm::NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; AeadAlgorithm::TAG_LEN], CryptoError> {
        let tag = self
            .0
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .map_err(|_| CryptoError)?;
        let mut out = [0u8; AeadAlgorithm::TAG_LEN];
        let tag = tag.as_ref();
        if tag.len() != out.len() {
            return Err(CryptoError);
        }
        out.copy_from_slice(tag);
        Ok(out)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; AeadAlgorithm::NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<usize, CryptoError> {
        // A ciphertext shorter than the tag fails here too (aws-lc returns an error).
        self.0
            .open_in_place(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .map(|plain| plain.len())
            .map_err(|_| CryptoError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        for aead in [&AES_128_GCM, &AES_256_GCM, &CHACHA20_POLY1305] {
            let key_bytes = vec![0x42u8; aead.algorithm().key_len()];
            let key = aead.key(&key_bytes).unwrap();
            let nonce = [7u8; 12];
            let aad = b"header";
            let msg = b"attack at dawn, bring snacks".to_vec();

            let mut buf = msg.clone();
            let tag = key.seal_in_place(&nonce, aad, &mut buf).unwrap();
            assert_ne!(buf, msg, "{:?} did not encrypt", aead.algorithm());
            buf.extend_from_slice(&tag);

            let mut ok = buf.clone();
            let n = key.open_in_place(&nonce, aad, &mut ok).unwrap();
            assert_eq!(&ok[..n], msg.as_slice());

            // Flipped ciphertext bit, flipped tag bit, other AAD, other nonce: all rejected.
            let mut c = buf.clone();
            c[0] ^= 1;
            assert_eq!(key.open_in_place(&nonce, aad, &mut c), Err(CryptoError));
            let mut t = buf.clone();
            let last = t.len() - 1;
            t[last] ^= 0x80;
            assert_eq!(key.open_in_place(&nonce, aad, &mut t), Err(CryptoError));
            let mut a = buf.clone();
            assert_eq!(
                key.open_in_place(&nonce, b"Header", &mut a),
                Err(CryptoError)
            );
            let mut n2 = buf.clone();
            assert_eq!(
                key.open_in_place(&[8u8; 12], aad, &mut n2),
                Err(CryptoError)
            );
            // Shorter than a tag.
            assert_eq!(
                key.open_in_place(&nonce, aad, &mut [0u8; 15]),
                Err(CryptoError)
            );
        }
    }

    #[test]
    fn wrong_key_length_is_rejected() {
        assert_eq!(
            AES_128_GCM.key(&[0u8; 32]).map(|_| ()),
            Err(crate::crypto::CryptoError)
        );
        assert_eq!(
            AES_256_GCM.key(&[0u8; 16]).map(|_| ()),
            Err(crate::crypto::CryptoError)
        );
        assert_eq!(
            CHACHA20_POLY1305.key(&[0u8; 31]).map(|_| ()),
            Err(crate::crypto::CryptoError)
        );
    }

    #[test]
    fn aes_128_gcm_known_answer() {
        // GCM spec (McGrew & Viega) test case 2: K = 0^128, IV = 0^96, P = 0^128.
        let key = AES_128_GCM.key(&[0u8; 16]).unwrap();
        let mut buf = [0u8; 16];
        let tag = key.seal_in_place(&[0u8; 12], &[], &mut buf).unwrap();
        assert_eq!(
            buf,
            [
                0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92, 0xf3, 0x28, 0xc2, 0xb9, 0x71, 0xb2,
                0xfe, 0x78
            ]
        );
        assert_eq!(
            tag,
            [
                0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec, 0x13, 0xbd, 0xf5, 0x3a, 0x67, 0xb2, 0x12, 0x57,
                0xbd, 0xdf
            ]
        );
    }
}
