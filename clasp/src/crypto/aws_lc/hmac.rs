//! HMAC-SHA256 / HMAC-SHA384 over `aws_lc_rs::hmac` (RFC 2104).

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

use crate::crypto::{HashAlgorithm, Hmac, HmacKey, OkmBlock};

/// HMAC over one hash function.
#[derive(Debug)]
pub struct AwsLcHmac(HashAlgorithm);

/// HMAC-SHA256.
pub static HMAC_SHA256: AwsLcHmac = AwsLcHmac(HashAlgorithm::Sha256);
/// HMAC-SHA384.
pub static HMAC_SHA384: AwsLcHmac = AwsLcHmac(HashAlgorithm::Sha384);

pub(crate) fn hmac_alg(alg: HashAlgorithm) -> hmac::Algorithm {
    match alg {
        HashAlgorithm::Sha256 => hmac::HMAC_SHA256,
        HashAlgorithm::Sha384 => hmac::HMAC_SHA384,
    }
}

impl Hmac for AwsLcHmac {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.0
    }

    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
        Box::new(Key {
            key: hmac::Key::new(hmac_alg(self.0), key),
            tag_len: self.0.output_len(),
        })
    }
}

/// A keyed HMAC (aws-lc keeps the expanded key; it is wiped by aws-lc on drop).
struct Key {
    key: hmac::Key,
    tag_len: usize,
}

impl Key {
    fn compute(&self, data: &[&[u8]]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        for d in data {
            ctx.update(d);
        }
        ctx.sign()
    }
}

impl HmacKey for Key {
    fn sign(&self, data: &[&[u8]]) -> OkmBlock {
        OkmBlock::new(self.compute(data).as_ref())
    }

    fn verify(&self, data: &[&[u8]], tag: &[u8]) -> bool {
        // `hmac::verify` takes one slice; with several parts we compute the tag and compare in
        // constant time (STYLE: "Compare Finished, binders and MACs in constant time").
        // `ct_eq` on slices of different lengths returns false without comparing contents.
        let expected = self.compute(data);
        bool::from(expected.as_ref().ct_eq(tag))
    }

    fn tag_len(&self) -> usize {
        self.tag_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::hex;

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231 §4.3: Key = "Jefe", Data = "what do ya want for nothing?"
        let key = HMAC_SHA256.with_key(b"Jefe");
        let want = hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let tag = key.sign(&[b"what do ya want ", b"for nothing?"]);
        assert_eq!(tag.as_bytes(), want.as_slice());
        assert!(key.verify(&[b"what do ya want for nothing?"], &want));
        let mut bad = want.clone();
        bad[31] ^= 1;
        assert!(!key.verify(&[b"what do ya want for nothing?"], &bad));
        assert!(!key.verify(&[b"what do ya want for nothing?"], &want[..31]));

        let key384 = HMAC_SHA384.with_key(b"Jefe");
        let want384 = hex(
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
             8e2240ca5e69e2c78b3239ecfab21649",
        );
        assert_eq!(
            key384.sign(&[b"what do ya want for nothing?"]).as_bytes(),
            want384.as_slice()
        );
        assert_eq!(key384.tag_len(), 48);
    }
}
