//! HKDF (RFC 5869) over `aws_lc_rs::hmac` and `aws_lc_rs::hkdf`.
//!
//! Extract is computed as HMAC(salt, IKM) so the PRK can be held as a [`OkmBlock`] (the TLS 1.3
//! key schedule needs the raw secrets, RFC 8446 §7.1); Expand uses aws-lc's HKDF-Expand on that PRK.
//! [`Hkdf::expander`] keys an `aws_lc_rs::hmac::Key` with the PRK once and computes each
//! Expand's T(i) blocks as HMACs under it (RFC 5869 §2.3), so several Expands of one secret pay
//! for the HMAC key setup once.

use aws_lc_rs::{hkdf, hmac};
use zeroize::Zeroizing;

use crate::crypto::{CryptoError, HashAlgorithm, Hkdf, HkdfExpander, OkmBlock, MAX_HASH_LEN};

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

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> OkmBlock {
        // RFC 5869 §2.2: "if not provided, [salt] is set to a string of HashLen zeros".
        let zeros = [0u8; MAX_HASH_LEN];
        let salt = if salt.is_empty() {
            &zeros[..self.0.output_len()]
        } else {
            salt
        };
        let key = hmac::Key::new(hmac_alg(self.0), salt);
        OkmBlock::new(hmac::sign(&key, ikm).as_ref())
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

    fn expander(&self, prk: &[u8]) -> Result<Box<dyn HkdfExpander>, CryptoError> {
        // Same bound as `expand`: a PRK is one HMAC output of the suite hash.
        if prk.len() > MAX_HASH_LEN {
            return Err(CryptoError);
        }
        Ok(Box::new(Expander {
            key: hmac::Key::new(hmac_alg(self.0), prk),
            hash_len: self.0.output_len(),
        }))
    }
}

/// A PRK as a keyed HMAC (aws-lc wipes the HMAC state on drop).
struct Expander {
    key: hmac::Key,
    hash_len: usize,
}

impl HkdfExpander for Expander {
    fn expand(&self, info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
        // RFC 5869 §2.3: N = ceil(L/HashLen); "L  length of output keying material in octets
        // (<= 255*HashLen)", and the block counter is one octet.
        let blocks = u8::try_from(out.len().div_ceil(self.hash_len)).map_err(|_| CryptoError)?;
        // T(0) = empty string; T(i) = HMAC-Hash(PRK, T(i-1) | info | i). The previous block is
        // key material: keep it in a buffer that is wiped on drop.
        let mut t = Zeroizing::new([0u8; MAX_HASH_LEN]);
        for (i, chunk) in (1..=blocks).zip(out.chunks_mut(self.hash_len)) {
            let mut ctx = hmac::Context::with_key(&self.key);
            if i > 1 {
                ctx.update(t.get(..self.hash_len).ok_or(CryptoError)?);
            }
            for part in info {
                ctx.update(part);
            }
            ctx.update(&[i]);
            // aws-lc-rs returns the tag by value (a stack copy we cannot wipe, as for every
            // `hmac::sign`); it is moved into `t` at once.
            let tag = ctx.sign();
            let tag = tag.as_ref();
            t.get_mut(..tag.len())
                .ok_or(CryptoError)?
                .copy_from_slice(tag);
            chunk.copy_from_slice(t.get(..chunk.len()).ok_or(CryptoError)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::hex;

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

    /// The reusable expander gives HKDF-Expand's output: RFC 5869 A.1–A.3 (one and several
    /// blocks, empty info), SHA-384, every length up to three blocks, and several Expands from
    /// one expander.
    #[test]
    fn expander_matches_expand() {
        let prk = HKDF_SHA256.extract(&hex("000102030405060708090a0b0c"), &[0x0bu8; 22]);
        let exp = HKDF_SHA256.expander(prk.as_bytes()).unwrap();
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        let mut okm = [0u8; 42];
        exp.expand(&[&info[..3], &info[3..]], &mut okm).unwrap();
        assert_eq!(
            okm.as_slice(),
            hex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf\
                 34007208d5b887185865"
            )
            .as_slice()
        );
        // RFC 5869 A.2: 80 bytes of info, L = 82 (three blocks).
        let a2_prk = HKDF_SHA256.extract(
            &(0x60..=0xafu8).collect::<Vec<_>>(),
            &(0..=0x4fu8).collect::<Vec<_>>(),
        );
        let a2_info: Vec<u8> = (0xb0..=0xffu8).collect();
        let mut a2 = [0u8; 82];
        HKDF_SHA256
            .expander(a2_prk.as_bytes())
            .unwrap()
            .expand(&[&a2_info], &mut a2)
            .unwrap();
        assert_eq!(
            a2.as_slice(),
            hex(
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
                 59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
                 cc30c58179ec3e87c14c01d5c1f3434f1d87"
            )
            .as_slice()
        );
        // RFC 5869 A.3: empty info.
        let a3_prk = HKDF_SHA256.extract(&[], &[0x0bu8; 22]);
        let mut a3 = [0u8; 42];
        HKDF_SHA256
            .expander(a3_prk.as_bytes())
            .unwrap()
            .expand(&[], &mut a3)
            .unwrap();
        assert_eq!(
            a3.as_slice(),
            hex(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d\
                 9d201395faa4b61a96c8"
            )
            .as_slice()
        );
        for hkdf in [&HKDF_SHA256, &HKDF_SHA384] {
            let prk = hkdf.extract(b"salt", b"input keying material");
            let exp = hkdf.expander(prk.as_bytes()).unwrap();
            for len in 0..=3 * hkdf.0.output_len() {
                for info in [&b""[..], b"tls13 c hs traffic"] {
                    let (mut a, mut b) = (vec![0u8; len], vec![0xffu8; len]);
                    hkdf.expand(prk.as_bytes(), &[info], &mut a).unwrap();
                    exp.expand(&[info], &mut b).unwrap();
                    assert_eq!(a, b, "{:?} len {len}", hkdf.0);
                }
            }
        }
    }

    #[test]
    fn expander_refuses_what_expand_refuses() {
        let exp = HKDF_SHA256.expander(&[1u8; 32]).unwrap();
        assert!(exp.expand(&[], &mut vec![0u8; 255 * 32]).is_ok());
        assert_eq!(
            exp.expand(&[], &mut vec![0u8; 255 * 32 + 1]),
            Err(CryptoError)
        );
        assert_eq!(
            HKDF_SHA256.expander(&[0u8; 65]).map(|_| ()),
            Err(crate::crypto::CryptoError)
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
