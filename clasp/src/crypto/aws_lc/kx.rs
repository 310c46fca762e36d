//! Key-exchange groups: X25519, secp256r1, secp384r1 (aws-lc `agreement`), the X25519MLKEM768
//! hybrid (aws-lc `kem`, draft-ietf-tls-ecdhe-mlkem), and the RFC 7919 FFDHE groups (implemented
//! in [`crate::crypto::ffdhe`], bound here to the aws-lc random source).

use aws_lc_rs::{agreement, kem};

use crate::crypto::ffdhe::{FfdheKxGroup, FFDHE2048_PARAMS, FFDHE3072_PARAMS, FFDHE4096_PARAMS};
use crate::crypto::{
    ActiveKeyExchange, CompletedKeyExchange, CryptoError, SharedSecret, SupportedKxGroup,
};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::NamedGroup;

use super::random::SYSTEM_RANDOM;

/// An elliptic-curve Diffie-Hellman group.
#[derive(Debug, Clone, Copy)]
pub struct EcdhGroup {
    name: NamedGroup,
    alg: &'static agreement::Algorithm,
    /// Length of a public share on the wire: 32 for X25519; 1 + 2 * field size for the
    /// uncompressed NIST points.
    share_len: usize,
}

/// X25519 (RFC 7748; RFC 8446 §4.2.8.2).
pub static X25519: EcdhGroup = EcdhGroup {
    name: NamedGroup::X25519,
    alg: &agreement::X25519,
    share_len: 32,
};

/// secp256r1 / P-256 (RFC 8446 §4.2.8.2, uncompressed points).
pub static SECP256R1: EcdhGroup = EcdhGroup {
    name: NamedGroup::secp256r1,
    alg: &agreement::ECDH_P256,
    share_len: 65,
};

/// secp384r1 / P-384 (RFC 8446 §4.2.8.2, uncompressed points).
pub static SECP384R1: EcdhGroup = EcdhGroup {
    name: NamedGroup::secp384r1,
    alg: &agreement::ECDH_P384,
    share_len: 97,
};

/// ffdhe2048 (RFC 7919), exponents from the system random source.
pub static FFDHE2048: FfdheKxGroup = FfdheKxGroup::new(&FFDHE2048_PARAMS, &SYSTEM_RANDOM);
/// ffdhe3072 (RFC 7919), exponents from the system random source.
pub static FFDHE3072: FfdheKxGroup = FfdheKxGroup::new(&FFDHE3072_PARAMS, &SYSTEM_RANDOM);
/// ffdhe4096 (RFC 7919), exponents from the system random source.
pub static FFDHE4096: FfdheKxGroup = FfdheKxGroup::new(&FFDHE4096_PARAMS, &SYSTEM_RANDOM);

fn invalid_share() -> Error {
    PeerMisbehaved::InvalidKeyShare.into()
}

impl EcdhGroup {
    fn key_exchange(
        &self,
        priv_key: agreement::PrivateKey,
    ) -> Result<EcdhKeyExchange, CryptoError> {
        let pub_key = priv_key
            .compute_public_key()
            .map_err(|_| CryptoError)?
            .as_ref()
            .to_vec();
        Ok(EcdhKeyExchange {
            group: *self,
            priv_key,
            pub_key,
        })
    }

    /// Checks the encoding of a peer share and agrees on the shared secret.
    fn agree(&self, priv_key: &agreement::PrivateKey, peer: &[u8]) -> Result<SharedSecret, Error> {
        // Check the encoding ourselves: aws-lc would also accept an X.509 SubjectPublicKeyInfo
        // or a compressed point. RFC 8446 §4.2.8.2: X25519 shares are the 32-byte public key;
        // NIST curve shares are UncompressedPointRepresentation (legacy_form = 4). RFC 8422
        // §5.4.1 says the same for TLS 1.2.
        if peer.len() != self.share_len {
            return Err(invalid_share());
        }
        if self.name != NamedGroup::X25519 && peer.first() != Some(&0x04) {
            return Err(invalid_share());
        }
        // aws-lc checks that a NIST point is on the curve; failure = invalid share.
        let secret = agreement::agree(
            priv_key,
            agreement::UnparsedPublicKey::new(self.alg, peer),
            invalid_share(),
            |s| Ok(SharedSecret::new(s.to_vec())),
        )?;
        // RFC 8446 §7.4.2: "For X25519 and X448, implementations MUST check whether the
        // computed Diffie-Hellman shared secret is the all-zero value and abort if so".
        if self.name == NamedGroup::X25519 && secret.as_bytes().iter().fold(0u8, |a, b| a | b) == 0
        {
            return Err(invalid_share());
        }
        Ok(secret)
    }
}

impl SupportedKxGroup for EcdhGroup {
    fn name(&self) -> NamedGroup {
        self.name
    }

    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        let priv_key = agreement::PrivateKey::generate(self.alg).map_err(|_| CryptoError)?;
        Ok(Box::new(self.key_exchange(priv_key)?))
    }
}

/// An ECDHE exchange in progress. The private key is held by aws-lc, which wipes it on drop.
struct EcdhKeyExchange {
    group: EcdhGroup,
    priv_key: agreement::PrivateKey,
    pub_key: Vec<u8>,
}

impl ActiveKeyExchange for EcdhKeyExchange {
    fn group(&self) -> NamedGroup {
        self.group.name
    }

    fn pub_key(&self) -> &[u8] {
        &self.pub_key
    }

    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error> {
        self.group.agree(&self.priv_key, peer_share)
    }
}

/// An X25519 exchange with a fixed private key, for deterministic tests only (the RFC 8448
/// replays need the trace's key shares). Never use it for a real connection: the key is not
/// ephemeral.
///
/// # Errors
/// If aws-lc rejects the key.
#[doc(hidden)]
pub fn x25519_from_private(bytes: &[u8; 32]) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
    let priv_key = agreement::PrivateKey::from_private_key(&agreement::X25519, bytes)
        .map_err(|_| CryptoError)?;
    Ok(Box::new(X25519.key_exchange(priv_key)?))
}

/// An ECDHE exchange (X25519, secp256r1 or secp384r1) with a fixed private key, for
/// deterministic tests only (the golden transcripts in `clasp/tests/golden.rs` need a fixed
/// P-384 share after a HelloRetryRequest). `private` is the 32-byte X25519 scalar or the
/// big-endian NIST scalar (32 / 48 bytes). Never use it for a real connection: the key is not
/// ephemeral.
///
/// # Errors
/// For another group, or if aws-lc rejects the key.
#[doc(hidden)]
pub fn ecdh_from_private(
    group: NamedGroup,
    private: &[u8],
) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
    let g = match group {
        NamedGroup::X25519 => &X25519,
        NamedGroup::secp256r1 => &SECP256R1,
        NamedGroup::secp384r1 => &SECP384R1,
        _ => return Err(CryptoError),
    };
    let priv_key =
        agreement::PrivateKey::from_private_key(g.alg, private).map_err(|_| CryptoError)?;
    Ok(Box::new(g.key_exchange(priv_key)?))
}

/// The X25519MLKEM768 hybrid (draft-ietf-tls-ecdhe-mlkem §4.1 / IANA 0x11EC).
#[derive(Debug)]
pub struct X25519MlKem768;

/// X25519MLKEM768: ML-KEM-768 combined with X25519.
pub static X25519MLKEM768: X25519MlKem768 = X25519MlKem768;

/// ML-KEM-768 encapsulation key length (FIPS 203).
const MLKEM768_EK_LEN: usize = 1184;
/// ML-KEM-768 ciphertext length (FIPS 203).
const MLKEM768_CT_LEN: usize = 1088;
/// X25519 public key length.
const X25519_LEN: usize = 32;

impl SupportedKxGroup for X25519MlKem768 {
    fn name(&self) -> NamedGroup {
        NamedGroup::X25519MLKEM768
    }

    /// Client side: the share is the ML-KEM-768 encapsulation key followed by an X25519
    /// public key (draft-ietf-tls-ecdhe-mlkem §4.1: "the ML-KEM component comes first").
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        let dk = kem::DecapsulationKey::generate(&kem::ML_KEM_768).map_err(|_| CryptoError)?;
        let ek = dk
            .encapsulation_key()
            .and_then(|ek| ek.key_bytes())
            .map_err(|_| CryptoError)?;
        let x_priv =
            agreement::PrivateKey::generate(&agreement::X25519).map_err(|_| CryptoError)?;
        let x = X25519.key_exchange(x_priv)?;
        let mut pub_key = Vec::with_capacity(MLKEM768_EK_LEN + X25519_LEN);
        pub_key.extend_from_slice(ek.as_ref());
        pub_key.extend_from_slice(&x.pub_key);
        Ok(Box::new(HybridKeyExchange { dk, x, pub_key }))
    }

    /// Server side: encapsulate to the client's ML-KEM key and do X25519 with its X25519 share.
    /// Our share is the ML-KEM ciphertext followed by our X25519 public key; the secret is the
    /// ML-KEM shared secret followed by the X25519 shared secret (draft §4.1).
    fn start_and_complete(&self, peer_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        if peer_share.len() != MLKEM768_EK_LEN + X25519_LEN {
            return Err(invalid_share());
        }
        let (ek, x_peer) = peer_share.split_at(MLKEM768_EK_LEN);
        // FIPS 203 §7.2 "encapsulation key check" (the modulus check): aws-lc runs it inside
        // `encapsulate`, so a failure there means the peer's key is invalid.
        let ek = kem::EncapsulationKey::new(&kem::ML_KEM_768, ek).map_err(|_| invalid_share())?;
        let (ct, mlkem_ss) = ek.encapsulate().map_err(|_| invalid_share())?;

        let x_priv =
            agreement::PrivateKey::generate(&agreement::X25519).map_err(|_| CryptoError)?;
        let x = X25519.key_exchange(x_priv)?;
        let x_ss = X25519.agree(&x.priv_key, x_peer)?;

        let mut pub_key = Vec::with_capacity(MLKEM768_CT_LEN + X25519_LEN);
        pub_key.extend_from_slice(ct.as_ref());
        pub_key.extend_from_slice(&x.pub_key);
        Ok(CompletedKeyExchange {
            group: NamedGroup::X25519MLKEM768,
            pub_key,
            secret: concat_secrets(mlkem_ss.as_ref(), x_ss.as_bytes()),
        })
    }
}

fn concat_secrets(a: &[u8], b: &[u8]) -> SharedSecret {
    let mut v = Vec::with_capacity(a.len() + b.len());
    v.extend_from_slice(a);
    v.extend_from_slice(b);
    SharedSecret::new(v)
}

/// The client half of an X25519MLKEM768 exchange.
struct HybridKeyExchange {
    dk: kem::DecapsulationKey,
    x: EcdhKeyExchange,
    pub_key: Vec<u8>,
}

impl ActiveKeyExchange for HybridKeyExchange {
    fn group(&self) -> NamedGroup {
        NamedGroup::X25519MLKEM768
    }

    fn pub_key(&self) -> &[u8] {
        &self.pub_key
    }

    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error> {
        if peer_share.len() != MLKEM768_CT_LEN + X25519_LEN {
            return Err(invalid_share());
        }
        let (ct, x_peer) = peer_share.split_at(MLKEM768_CT_LEN);
        let mlkem_ss = self
            .dk
            .decapsulate(kem::Ciphertext::from(ct))
            .map_err(|_| invalid_share())?;
        let x_ss = X25519.agree(&self.x.priv_key, x_peer)?;
        Ok(concat_secrets(mlkem_ss.as_ref(), x_ss.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::hex;
    use crate::testdata::rfc8448;

    fn arr32(v: &[u8]) -> [u8; 32] {
        v.try_into().unwrap()
    }

    #[test]
    fn x25519_rfc7748_section_6_1() {
        let a = x25519_from_private(&arr32(&hex(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        )))
        .unwrap();
        let b = x25519_from_private(&arr32(&hex(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        )))
        .unwrap();
        let a_pub = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let b_pub = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        assert_eq!(a.pub_key(), a_pub.as_slice());
        assert_eq!(b.pub_key(), b_pub.as_slice());
        let k = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(a.complete(&b_pub).unwrap().as_bytes(), k.as_slice());
        assert_eq!(b.complete(&a_pub).unwrap().as_bytes(), k.as_slice());
    }

    #[test]
    fn x25519_rfc8448_section_3_shared_secret() {
        let client = x25519_from_private(&arr32(&rfc8448("s3.client_x25519_private"))).unwrap();
        assert_eq!(
            client.pub_key(),
            rfc8448("s3.client_x25519_public").as_slice()
        );
        let server = x25519_from_private(&arr32(&rfc8448("s3.server_x25519_private"))).unwrap();
        assert_eq!(
            server.pub_key(),
            rfc8448("s3.server_x25519_public").as_slice()
        );
        let want = rfc8448("s3.shared_secret");
        let ss = client
            .complete(&rfc8448("s3.server_x25519_public"))
            .unwrap();
        assert_eq!(ss.as_bytes(), want.as_slice());
        let ss = server
            .complete(&rfc8448("s3.client_x25519_public"))
            .unwrap();
        assert_eq!(ss.as_bytes(), want.as_slice());
    }

    fn agree_both_ways(group: &dyn SupportedKxGroup, share_len: usize, secret_len: usize) {
        // Both sides start; also the server's one-step path.
        let a = group.start().unwrap();
        let b = group.start().unwrap();
        assert_eq!(a.group(), group.name());
        assert_eq!(a.pub_key().len(), share_len);
        let (a_pub, b_pub) = (a.pub_key().to_vec(), b.pub_key().to_vec());
        let sa = a.complete(&b_pub).unwrap();
        let sb = b.complete(&a_pub).unwrap();
        assert_eq!(sa.as_bytes(), sb.as_bytes());
        assert_eq!(sa.as_bytes().len(), secret_len);

        let client = group.start().unwrap();
        let done = group.start_and_complete(client.pub_key()).unwrap();
        assert_eq!(done.group, group.name());
        let sc = client.complete(&done.pub_key).unwrap();
        assert_eq!(sc.as_bytes(), done.secret.as_bytes());
    }

    #[test]
    fn ecdh_groups_agree_both_ways() {
        agree_both_ways(&X25519, 32, 32);
        agree_both_ways(&SECP256R1, 65, 32);
        agree_both_ways(&SECP384R1, 97, 48);
        // Uncompressed points (RFC 8446 §4.2.8.2).
        assert_eq!(SECP256R1.start().unwrap().pub_key()[0], 0x04);
        assert_eq!(SECP384R1.start().unwrap().pub_key()[0], 0x04);
    }

    #[test]
    fn ffdhe_groups_agree_through_the_provider_statics() {
        agree_both_ways(&FFDHE2048, 256, 256);
    }

    #[test]
    fn hybrid_round_trip() {
        let client = X25519MLKEM768.start().unwrap();
        assert_eq!(client.group(), NamedGroup::X25519MLKEM768);
        assert_eq!(client.pub_key().len(), 1184 + 32);
        let server = X25519MLKEM768.start_and_complete(client.pub_key()).unwrap();
        assert_eq!(server.pub_key.len(), 1088 + 32);
        assert_eq!(server.secret.as_bytes().len(), 32 + 32);
        let client_ss = client.complete(&server.pub_key).unwrap();
        assert_eq!(client_ss.as_bytes(), server.secret.as_bytes());
    }

    #[test]
    fn hybrid_secret_is_mlkem_then_x25519() {
        // Use a fixed X25519 key on the server side of a hand-built exchange: the last 32 bytes
        // of the hybrid secret must equal the plain X25519 secret of the two X25519 halves.
        let client = X25519MLKEM768.start().unwrap();
        let x_client_pub = client.pub_key()[1184..].to_vec();
        let server = X25519MLKEM768.start_and_complete(client.pub_key()).unwrap();
        let x_server_pub = server.pub_key[1088..].to_vec();
        let ss = client.complete(&server.pub_key).unwrap();
        assert_ne!(x_client_pub, x_server_pub);
        // A third party with a fresh X25519 key sees a different secret in the X25519 half.
        let other = X25519.start().unwrap();
        let other_ss = other.complete(&x_server_pub).unwrap();
        assert_ne!(&ss.as_bytes()[32..], other_ss.as_bytes());
    }

    #[test]
    fn hybrid_rejects_bad_shares() {
        let bad = |r: Result<SharedSecret, Error>| {
            matches!(
                r,
                Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
            )
        };
        let client = X25519MLKEM768.start().unwrap();
        let server = X25519MLKEM768.start_and_complete(client.pub_key()).unwrap();
        // Wrong lengths on either side.
        assert!(bad(client.complete(&server.pub_key[1..])));
        assert!(matches!(
            X25519MLKEM768.start_and_complete(&[0u8; 1184 + 31]),
            Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        ));
        // An all-zero X25519 half gives an all-zero X25519 secret: rejected.
        let client = X25519MLKEM768.start().unwrap();
        let mut share = client.pub_key().to_vec();
        share[1184..].fill(0);
        assert!(matches!(
            X25519MLKEM768.start_and_complete(&share),
            Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        ));
        // An encapsulation key with coefficients >= q (all 0xff) fails the FIPS 203 check.
        let mut share = client.pub_key().to_vec();
        share[..1184].fill(0xff);
        assert!(matches!(
            X25519MLKEM768.start_and_complete(&share),
            Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        ));
    }

    #[test]
    fn invalid_ec_points_are_rejected() {
        let is_invalid = |r: Result<SharedSecret, Error>| {
            matches!(
                r,
                Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
            )
        };
        for group in [&SECP256R1, &SECP384R1] {
            let peer = group.start().unwrap().pub_key().to_vec();
            // Not on the curve: flip a bit of y.
            let mut off_curve = peer.clone();
            let last = off_curve.len() - 1;
            off_curve[last] ^= 1;
            assert!(is_invalid(group.start().unwrap().complete(&off_curve)));
            // Compressed form (aws-lc would parse it; TLS requires uncompressed).
            let field = (peer.len() - 1) / 2;
            let mut compressed = vec![0x02 | (peer[last] & 1)];
            compressed.extend_from_slice(&peer[1..=field]);
            assert!(is_invalid(group.start().unwrap().complete(&compressed)));
            // Right length, wrong prefix.
            let mut hybrid = peer.clone();
            hybrid[0] = 0x06;
            assert!(is_invalid(group.start().unwrap().complete(&hybrid)));
            // Empty, truncated, the point at infinity, all zeros.
            assert!(is_invalid(group.start().unwrap().complete(&[])));
            assert!(is_invalid(group.start().unwrap().complete(&peer[..last])));
            assert!(is_invalid(group.start().unwrap().complete(&[0x00])));
            assert!(is_invalid(
                group.start().unwrap().complete(&vec![0u8; peer.len()])
            ));
            // The valid point is accepted.
            assert!(group.start().unwrap().complete(&peer).is_ok());
        }
        // X25519: wrong length, and a low-order point (all zeros) giving an all-zero secret.
        assert!(is_invalid(X25519.start().unwrap().complete(&[9u8; 31])));
        assert!(is_invalid(X25519.start().unwrap().complete(&[0u8; 32])));
        let mut one = [0u8; 32];
        one[0] = 1; // u = 1 has order 1 or 2: the secret is zero.
        assert!(is_invalid(X25519.start().unwrap().complete(&one)));
    }

    #[test]
    fn fixed_p384_scalar_one_gives_the_generator() {
        // SEC 2 §2.5.1 / FIPS 186-4 D.1.2.4: the P-384 base point G; d = 1 gives Q = G.
        let mut one = [0u8; 48];
        one[47] = 1;
        let kx = ecdh_from_private(NamedGroup::secp384r1, &one).unwrap();
        let g = hex(concat!(
            "04",
            "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38",
            "5502f25dbf55296c3a545e3872760ab7",
            "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c0",
            "0a60b1ce1d7e819d7a431d7c90ea0e5f"
        ));
        assert_eq!(kx.group(), NamedGroup::secp384r1);
        assert_eq!(kx.pub_key(), g.as_slice());
        // Agreement with a generated key works in both directions.
        let peer = SECP384R1.start().unwrap();
        let peer_pub = peer.pub_key().to_vec();
        let ours = kx.complete(&peer_pub).unwrap();
        assert_eq!(peer.complete(&g).unwrap().as_bytes(), ours.as_bytes());
        assert_eq!(
            ecdh_from_private(NamedGroup::FFDHE2048, &one).map(|_| ()),
            Err(crate::crypto::CryptoError)
        );
    }
}
