//! RSA PKCS#1 v1.5 encryption (`aws_lc_rs::rsa`) for the client side of the TLS 1.2 RSA key
//! exchange (RFC 5246 §7.4.7.1).

use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};

use crate::crypto::{CryptoError, RsaEncrypter};

/// RSAES-PKCS1-v1_5 encryption with aws-lc.
#[derive(Debug)]
pub struct AwsLcRsaEncrypter;

/// The provider's RSA encrypter.
pub static RSA_ENCRYPTER: AwsLcRsaEncrypter = AwsLcRsaEncrypter;

impl RsaEncrypter for AwsLcRsaEncrypter {
    fn encrypt_pkcs1(&self, spki: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let public = PublicEncryptingKey::from_der(spki).map_err(|_| CryptoError)?;
        let key = Pkcs1PublicEncryptingKey::new(public).map_err(|_| CryptoError)?;
        let mut out = vec![0u8; key.ciphertext_size()];
        let len = key
            .encrypt(plaintext, &mut out)
            .map_err(|_| CryptoError)?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeySize, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};

    #[test]
    fn encrypts_to_the_key_and_rejects_non_rsa_spki() {
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
        let spki = private.public_key().as_der().unwrap();
        let ct = RSA_ENCRYPTER
            .encrypt_pkcs1(spki.as_ref(), b"pre-master")
            .unwrap();
        assert_eq!(ct.len(), 256);
        let dec = Pkcs1PrivateDecryptingKey::new(private).unwrap();
        let mut out = [0u8; 256];
        assert_eq!(dec.decrypt(&ct, &mut out).unwrap(), b"pre-master");
        assert_eq!(
            RSA_ENCRYPTER.encrypt_pkcs1(&[0x30, 0x00], b"x").map(|_| ()),
            Err(crate::crypto::CryptoError)
        );
    }
}
