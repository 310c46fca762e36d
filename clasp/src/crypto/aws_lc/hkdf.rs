//! HKDF (RFC 5869) over `aws_lc_rs::hmac` and `aws_lc_rs::hkdf`.
//!
//! Extract is computed as HMAC(salt, IKM) so the PRK can be held as a [`SecretBytes`] (the TLS 1.3
//! key schedule needs the raw secrets, RFC 8446 §7.1); Expand uses aws-lc's HKDF-Expand on that PRK.

use aws_lc_rs::{hkdf, hmac};

use crate::crypto::{CryptoError, HashAlgorithm, Hkdf, SecretBytes, MAX_HASH_LEN};

use super::hmac::hmac_alg;

/// HKDF over one hash function.
#[derive(Debug)]
pub struct AwsLcHkdf(HashAlgorithm);

/// HKDF-SHA256.
pub static HKDF_SHA256: AwsLcHkdf = AwsLcHkdf(HashAlgorithm::Sha256);
/// HKDF-SHA384.
pub static HKDF_SHA384: AwsLcHkdf = AwsLcHkdf(HashAlgorithm::Sha384);

/// An output length for `Prk::expand`.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl Hkdf for AwsLcHkdf {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.0
    }

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> SecretBytes {
        // RFC 5869 §2.2: "if not provided, [salt] is set to a string of HashLen zeros".
        let zeros = [0u8; MAX_HASH_LEN];
        let salt = if salt.is_empty() {
            &zeros[..self.0.output_len()]
        } else {
            salt
        };
        let key = hmac::Key::new(hmac_alg(self.0), salt);
        SecretBytes::new(hmac::sign(&key, ikm).as_ref())
    }

    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
        // `Prk::new_less_safe` panics on a PRK longer than the largest digest; refuse instead.
        if prk.len() > MAX_HASH_LEN {
            return Err(CryptoError);
        }
        let alg = match self.0 {
            HashAlgorithm::Sha256 => hkdf::HKDF_SHA256,
            HashAlgorithm::Sha384 => hkdf::HKDF_SHA384,
        };
        let prk = hkdf::Prk::new_less_safe(alg, prk);
        // RFC 5869 §2.3: L <= 255*HashLen; `expand` checks it.
        prk.expand(info, Len(out.len()))
            .and_then(|okm| okm.fill(out))
            .map_err(|_| CryptoError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc5869_test_case_1() {
        // RFC 5869 Appendix A.1.
        let ikm = [0x0bu8; 22];
        let salt = hex("000102030405060708090a0b0c");
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        let prk = HKDF_SHA256.extract(&salt, &ikm);
        assert_eq!(
            prk.as_bytes(),
            hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5").as_slice()
        );
        let mut okm = [0u8; 42];
        HKDF_SHA256
            .expand(prk.as_bytes(), &[&info[..4], &info[4..]], &mut okm)
            .unwrap();
        assert_eq!(
            okm.as_slice(),
            hex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf\
                 34007208d5b887185865"
            )
            .as_slice()
        );
    }

    #[test]
    fn rfc5869_test_case_3_empty_salt() {
        // RFC 5869 Appendix A.3: salt and info empty.
        let prk = HKDF_SHA256.extract(&[], &[0x0bu8; 22]);
        assert_eq!(
            prk.as_bytes(),
            hex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04").as_slice()
        );
        let mut okm = [0u8; 42];
        HKDF_SHA256.expand(prk.as_bytes(), &[], &mut okm).unwrap();
        assert_eq!(
            okm.as_slice(),
            hex(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d\
                 9d201395faa4b61a96c8"
            )
            .as_slice()
        );
    }

    #[test]
    fn expand_too_long_is_an_error() {
        let prk = [1u8; 32];
        let mut out = vec![0u8; 255 * 32 + 1];
        assert_eq!(HKDF_SHA256.expand(&prk, &[], &mut out), Err(CryptoError));
        assert_eq!(
            HKDF_SHA256.expand(&[0u8; 65], &[], &mut [0u8; 4]),
            Err(CryptoError)
        );
    }
}
