//! Key-exchange groups: X25519, secp256r1, secp384r1, secp521r1 (aws-lc `agreement`), the X25519MLKEM768
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

/// secp521r1 / P-521 (RFC 8446 §4.2.8.2, uncompressed points: 1 + 2 * 66 bytes; the shared
/// secret is the 66-byte x coordinate, RFC 8446 §7.4.2). Offered by the client only when
/// configured (see `config::DEFAULT_GROUPS`); accepted by a default server.
pub static SECP521R1: EcdhGroup = EcdhGroup {
    name: NamedGroup::secp521r1,
    alg: &agreement::ECDH_P521,
    share_len: 133,
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
#[cfg(any(test, feature = "internal"))]
pub(crate) fn x25519_from_private(
    bytes: &[u8; 32],
) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
    let priv_key = agreement::PrivateKey::from_private_key(&agreement::X25519, bytes)
        .map_err(|_| CryptoError)?;
    Ok(Box::new(X25519.key_exchange(priv_key)?))
}

/// An ECDHE exchange (X25519, secp256r1, secp384r1 or secp521r1) with a fixed private key, for
/// deterministic tests only (the golden transcripts in `clasp/tests/golden.rs` need a fixed
/// P-384 share after a HelloRetryRequest). `private` is the 32-byte X25519 scalar or the
/// big-endian NIST scalar (32 / 48 / 66 bytes). Never use it for a real connection: the key is not
/// ephemeral.
///
/// # Errors
/// For another group, or if aws-lc rejects the key.
#[cfg(any(test, feature = "internal"))]
pub(crate) fn ecdh_from_private(
    group: NamedGroup,
    private: &[u8],
) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
    let g = match group {
        NamedGroup::X25519 => &X25519,
        NamedGroup::secp256r1 => &SECP256R1,
        NamedGroup::secp384r1 => &SECP384R1,
        NamedGroup::secp521r1 => &SECP521R1,
        _ => return Err(CryptoError),
    };
    let priv_key =
        agreement::PrivateKey::from_private_key(g.alg, private).map_err(|_| CryptoError)?;
    Ok(Box::new(g.key_exchange(priv_key)?))
}

/// An ECDHE + ML-KEM hybrid group (draft-ietf-tls-ecdhe-mlkem): X25519MLKEM768 (0x11EC),
/// SecP256r1MLKEM768 (0x11EB) and SecP384r1MLKEM1024 (0x11ED).
///
/// draft-ietf-tls-ecdhe-mlkem §4.1 fixes the order of the two halves per group: X25519MLKEM768
/// puts the ML-KEM part first in both shares and in the shared secret ("the ML-KEM component
/// comes first"), while the two NIST-curve hybrids put the ECDHE part first (the client share is
/// the uncompressed point followed by the ML-KEM encapsulation key; the server share the point
/// followed by the ciphertext; the secret the ECDH secret followed by the ML-KEM secret). The
/// OpenSSL 3.5 and rustls implementations agree (`EVP_PKEY-MLX-KEM(7)`; rustls
/// `pq::SECP256R1MLKEM768`, `post_quantum_first: false`).
#[derive(Debug, Clone, Copy)]
pub struct EcdhMlKemHybrid {
    name: NamedGroup,
    ecdh: &'static EcdhGroup,
    kem: &'static kem::Algorithm,
    /// FIPS 203 encapsulation key length (the client's ML-KEM half).
    ek_len: usize,
    /// FIPS 203 ciphertext length (the server's ML-KEM half).
    ct_len: usize,
    /// Whether the ML-KEM half comes first on the wire and in the secret.
    kem_first: bool,
}

/// The X25519MLKEM768 hybrid type, kept under its old name.
// TODO(merge): remove once no branch names `X25519MlKem768`.
#[doc(hidden)]
pub type X25519MlKem768 = EcdhMlKemHybrid;

/// X25519MLKEM768 (0x11EC): ML-KEM-768 combined with X25519, ML-KEM first.
pub static X25519MLKEM768: EcdhMlKemHybrid = EcdhMlKemHybrid {
    name: NamedGroup::X25519MLKEM768,
    ecdh: &X25519,
    kem: &kem::ML_KEM_768,
    ek_len: MLKEM768_EK_LEN,
    ct_len: MLKEM768_CT_LEN,
    kem_first: true,
};

/// SecP256r1MLKEM768 (0x11EB): P-256 ECDHE combined with ML-KEM-768, ECDHE first. Not offered
/// by default (see `config::DEFAULT_GROUPS`); enable it with `with_groups`.
pub static SECP256R1MLKEM768: EcdhMlKemHybrid = EcdhMlKemHybrid {
    name: NamedGroup::secp256r1MLKEM768,
    ecdh: &SECP256R1,
    kem: &kem::ML_KEM_768,
    ek_len: MLKEM768_EK_LEN,
    ct_len: MLKEM768_CT_LEN,
    kem_first: false,
};

/// SecP384r1MLKEM1024 (0x11ED): P-384 ECDHE combined with ML-KEM-1024, ECDHE first. Not offered
/// by default; enable it with `with_groups`.
pub static SECP384R1MLKEM1024: EcdhMlKemHybrid = EcdhMlKemHybrid {
    name: NamedGroup::secp384r1MLKEM1024,
    ecdh: &SECP384R1,
    kem: &kem::ML_KEM_1024,
    ek_len: MLKEM1024_EK_LEN,
    ct_len: MLKEM1024_CT_LEN,
    kem_first: false,
};

/// ML-KEM-768 encapsulation key length (FIPS 203).
const MLKEM768_EK_LEN: usize = 1184;
/// ML-KEM-768 ciphertext length (FIPS 203).
const MLKEM768_CT_LEN: usize = 1088;
/// ML-KEM-1024 encapsulation key length (FIPS 203).
const MLKEM1024_EK_LEN: usize = 1568;
/// ML-KEM-1024 ciphertext length (FIPS 203).
const MLKEM1024_CT_LEN: usize = 1568;

impl EcdhMlKemHybrid {
    /// Splits a peer share of exactly `kem_len + ecdh share` bytes into (ML-KEM, ECDHE) halves
    /// in this group's order; any other length is an invalid share.
    fn split<'a>(&self, share: &'a [u8], kem_len: usize) -> Result<(&'a [u8], &'a [u8]), Error> {
        if share.len() != kem_len + self.ecdh.share_len {
            return Err(invalid_share());
        }
        Ok(if self.kem_first {
            share.split_at(kem_len)
        } else {
            let (ecdh, kem) = share.split_at(self.ecdh.share_len);
            (kem, ecdh)
        })
    }

    /// Joins the two halves (shares or secrets) in this group's order.
    fn join(&self, kem_part: &[u8], ecdh_part: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(kem_part.len() + ecdh_part.len());
        if self.kem_first {
            v.extend_from_slice(kem_part);
            v.extend_from_slice(ecdh_part);
        } else {
            v.extend_from_slice(ecdh_part);
            v.extend_from_slice(kem_part);
        }
        v
    }

    fn start_ecdh(&self) -> Result<EcdhKeyExchange, CryptoError> {
        let priv_key = agreement::PrivateKey::generate(self.ecdh.alg).map_err(|_| CryptoError)?;
        self.ecdh.key_exchange(priv_key)
    }
}

impl SupportedKxGroup for EcdhMlKemHybrid {
    fn name(&self) -> NamedGroup {
        self.name
    }

    /// Client side: the share is the ML-KEM encapsulation key and an ECDHE public key, in the
    /// group's order (draft-ietf-tls-ecdhe-mlkem §4.1).
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        let dk = kem::DecapsulationKey::generate(self.kem).map_err(|_| CryptoError)?;
        let ek = dk
            .encapsulation_key()
            .and_then(|ek| ek.key_bytes())
            .map_err(|_| CryptoError)?;
        let x = self.start_ecdh()?;
        let pub_key = self.join(ek.as_ref(), &x.pub_key);
        Ok(Box::new(HybridKeyExchange {
            group: *self,
            dk,
            x,
            pub_key,
        }))
    }

    /// Server side: encapsulate to the client's ML-KEM key and do ECDHE with its ECDHE share.
    /// Our share is the ML-KEM ciphertext and our ECDHE public key, the secret the ML-KEM and
    /// ECDHE secrets, both in the group's order (draft §4.1).
    fn start_and_complete(&self, peer_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        let (ek, x_peer) = self.split(peer_share, self.ek_len)?;
        // FIPS 203 §7.2 "encapsulation key check" (the modulus check): aws-lc runs it inside
        // `encapsulate`, so a failure there means the peer's key is invalid.
        let ek = kem::EncapsulationKey::new(self.kem, ek).map_err(|_| invalid_share())?;
        let (ct, mlkem_ss) = ek.encapsulate().map_err(|_| invalid_share())?;

        let x = self.start_ecdh()?;
        // The ECDHE half gets the same encoding checks as a plain ECDHE share (length, the
        // uncompressed-point prefix, on the curve; X25519's all-zero secret).
        let x_ss = self.ecdh.agree(&x.priv_key, x_peer)?;

        Ok(CompletedKeyExchange {
            group: self.name,
            pub_key: self.join(ct.as_ref(), &x.pub_key),
            secret: SharedSecret::new(self.join(mlkem_ss.as_ref(), x_ss.as_bytes())),
        })
    }
}

/// The client half of a hybrid exchange.
struct HybridKeyExchange {
    group: EcdhMlKemHybrid,
    dk: kem::DecapsulationKey,
    x: EcdhKeyExchange,
    pub_key: Vec<u8>,
}

impl ActiveKeyExchange for HybridKeyExchange {
    fn group(&self) -> NamedGroup {
        self.group.name
    }

    fn pub_key(&self) -> &[u8] {
        &self.pub_key
    }

    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error> {
        let (ct, x_peer) = self.group.split(peer_share, self.group.ct_len)?;
        let mlkem_ss = self
            .dk
            .decapsulate(kem::Ciphertext::from(ct))
            .map_err(|_| invalid_share())?;
        let x_ss = self.group.ecdh.agree(&self.x.priv_key, x_peer)?;
        Ok(SharedSecret::new(
            self.group.join(mlkem_ss.as_ref(), x_ss.as_bytes()),
        ))
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
        agree_both_ways(&SECP521R1, 133, 66);
        // Uncompressed points (RFC 8446 §4.2.8.2).
        assert_eq!(SECP256R1.start().unwrap().pub_key()[0], 0x04);
        assert_eq!(SECP384R1.start().unwrap().pub_key()[0], 0x04);
        assert_eq!(SECP521R1.start().unwrap().pub_key()[0], 0x04);
    }

    #[test]
    fn ffdhe_groups_agree_through_the_provider_statics() {
        agree_both_ways(&FFDHE2048, 256, 256);
    }

    /// One row per hybrid: (group, ECDH group, ML-KEM encapsulation key length, ciphertext
    /// length, ECDH share length, ECDH secret length, ML-KEM half first). The layout columns are
    /// written down here from draft-ietf-tls-ecdhe-mlkem §4.1 independently of the
    /// implementation's own table, so a swapped order there fails these tests.
    type HybridRow = (
        &'static EcdhMlKemHybrid,
        NamedGroup,
        usize,
        usize,
        usize,
        usize,
        bool,
    );
    const HYBRIDS: &[HybridRow] = &[
        (
            &X25519MLKEM768,
            NamedGroup::X25519,
            1184,
            1088,
            32,
            32,
            true,
        ),
        (
            &SECP256R1MLKEM768,
            NamedGroup::secp256r1,
            1184,
            1088,
            65,
            32,
            false,
        ),
        (
            &SECP384R1MLKEM1024,
            NamedGroup::secp384r1,
            1568,
            1568,
            97,
            48,
            false,
        ),
    ];

    #[allow(clippy::needless_pass_by_value)] // called with temporaries: reads better
    fn is_invalid_share<T>(r: Result<T, Error>) -> bool {
        matches!(
            r.as_ref().err(),
            Some(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        )
    }

    #[test]
    fn hybrid_round_trip() {
        for &(g, _, ek, ct, ec, ec_ss, _) in HYBRIDS {
            let client = g.start().unwrap();
            assert_eq!(client.group(), g.name());
            assert_eq!(client.pub_key().len(), ek + ec, "{}", g.name());
            let server = g.start_and_complete(client.pub_key()).unwrap();
            assert_eq!(server.group, g.name());
            assert_eq!(server.pub_key.len(), ct + ec, "{}", g.name());
            assert_eq!(server.secret.as_bytes().len(), 32 + ec_ss);
            let client_ss = client.complete(&server.pub_key).unwrap();
            assert_eq!(client_ss.as_bytes(), server.secret.as_bytes());
        }
        assert_eq!(SECP256R1MLKEM768.name().0, 0x11eb);
        assert_eq!(SECP384R1MLKEM1024.name().0, 0x11ed);
        assert_eq!(X25519MLKEM768.name().0, 0x11ec);
    }

    /// The order of the halves in shares and secret (draft-ietf-tls-ecdhe-mlkem §4.1): a
    /// server share built by hand from aws-lc's ML-KEM and a fixed-key ECDH, in the order the
    /// draft gives, must decapsulate to the two secrets in that order.
    #[test]
    fn hybrid_halves_are_in_the_draft_order() {
        for &(g, ecdh, ek_len, _, ec_len, _, kem_first) in HYBRIDS {
            let client = g.start().unwrap();
            let share = client.pub_key().to_vec();
            let (ek, point) = if kem_first {
                let (a, b) = share.split_at(ek_len);
                (a, b)
            } else {
                let (a, b) = share.split_at(ec_len);
                (b, a)
            };
            if ecdh != NamedGroup::X25519 {
                assert_eq!(point[0], 0x04, "{}: uncompressed point first", g.name());
            }
            let alg = if ek_len == 1184 {
                &kem::ML_KEM_768
            } else {
                &kem::ML_KEM_1024
            };
            let (ct, kem_ss) = kem::EncapsulationKey::new(alg, ek)
                .unwrap()
                .encapsulate()
                .unwrap();
            let mut scalar = vec![0u8; if ec_len == 97 { 48 } else { 32 }];
            let n = scalar.len();
            scalar[n - 1] = 7;
            scalar[0] = 0x40;
            let server_ecdh = ecdh_from_private(ecdh, &scalar).unwrap();
            let server_point = server_ecdh.pub_key().to_vec();
            let ec_ss = server_ecdh.complete(point).unwrap();
            let (server_share, want) = if kem_first {
                (
                    [ct.as_ref(), &server_point].concat(),
                    [kem_ss.as_ref(), ec_ss.as_bytes()].concat(),
                )
            } else {
                (
                    [&server_point, ct.as_ref()].concat(),
                    [ec_ss.as_bytes(), kem_ss.as_ref()].concat(),
                )
            };
            let got = client.complete(&server_share).unwrap();
            assert_eq!(got.as_bytes(), want.as_slice(), "{}", g.name());
        }
    }

    /// The same malformed-share handling for every hybrid: wrong lengths on either side, an
    /// invalid ECDHE half (all zeros: a zero X25519 secret, or no NIST point), a compressed or
    /// off-curve NIST point, and an encapsulation key failing the FIPS 203 modulus check.
    #[test]
    fn hybrid_rejects_bad_shares() {
        for &(g, ecdh, ek_len, _, ec_len, _, kem_first) in HYBRIDS {
            let name = g.name();
            let client = g.start().unwrap();
            let good = client.pub_key().to_vec();
            let server = g.start_and_complete(&good).unwrap();
            // Wrong lengths on either side (one byte short, one byte long, empty).
            let short_server = &server.pub_key[1..];
            assert!(is_invalid_share(client.complete(short_server)), "{name}");
            let client = g.start().unwrap();
            let mut long = server.pub_key.clone();
            long.push(0);
            assert!(is_invalid_share(client.complete(&long)), "{name}");
            assert!(is_invalid_share(g.start().unwrap().complete(&[])), "{name}");
            assert!(is_invalid_share(g.start_and_complete(&good[1..])), "{name}");
            assert!(is_invalid_share(
                g.start_and_complete(&[good.as_slice(), &[0]].concat())
            ));
            assert!(is_invalid_share(g.start_and_complete(&[])), "{name}");
            // The ECDHE and ML-KEM ranges of the client share.
            let (ec_range, ek_range) = if kem_first {
                (ek_len..ek_len + ec_len, 0..ek_len)
            } else {
                (0..ec_len, ec_len..ec_len + ek_len)
            };
            // An all-zero ECDHE half: the zero X25519 secret, or not a NIST point at all.
            let mut share = good.clone();
            share[ec_range.clone()].fill(0);
            assert!(is_invalid_share(g.start_and_complete(&share)), "{name}");
            if ecdh != NamedGroup::X25519 {
                // Compressed form in place of the uncompressed prefix; off the curve.
                let mut share = good.clone();
                share[ec_range.start] = 0x02;
                assert!(is_invalid_share(g.start_and_complete(&share)), "{name}");
                let mut share = good.clone();
                share[ec_range.end - 1] ^= 1;
                assert!(is_invalid_share(g.start_and_complete(&share)), "{name}");
                // The server's point off the curve, seen by the client.
                let client = g.start().unwrap();
                let mut sv = g.start_and_complete(client.pub_key()).unwrap().pub_key;
                let last_point_byte = if kem_first { sv.len() - 1 } else { ec_len - 1 };
                sv[last_point_byte] ^= 1;
                assert!(is_invalid_share(client.complete(&sv)), "{name}");
            }
            // An encapsulation key with coefficients >= q (all 0xff) fails the FIPS 203 check.
            let mut share = good.clone();
            share[ek_range].fill(0xff);
            assert!(is_invalid_share(g.start_and_complete(&share)), "{name}");
            // The untouched share still works.
            assert!(g.start_and_complete(&good).is_ok(), "{name}");
        }
    }

    #[test]
    fn invalid_ec_points_are_rejected() {
        let is_invalid = |r: Result<SharedSecret, Error>| {
            matches!(
                r,
                Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
            )
        };
        for group in [&SECP256R1, &SECP384R1, &SECP521R1] {
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

    #[test]
    fn fixed_p521_scalar_one_gives_the_generator() {
        // SEC 2 §2.6.1 / FIPS 186-4 D.1.2.5: the P-521 base point G (also printed by
        // `openssl ecparam -name secp521r1 -param_enc explicit -text`); d = 1 gives Q = G.
        let mut one = [0u8; 66];
        one[65] = 1;
        let kx = ecdh_from_private(NamedGroup::secp521r1, &one).unwrap();
        let g = hex(concat!(
            "04",
            "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3d",
            "baa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
            "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e66",
            "2c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650"
        ));
        assert_eq!(kx.group(), NamedGroup::secp521r1);
        assert_eq!(kx.pub_key(), g.as_slice());
        // The secret with a generated peer is that peer's view of d = 1: its own x coordinate.
        let peer = SECP521R1.start().unwrap();
        let peer_pub = peer.pub_key().to_vec();
        let ours = kx.complete(&peer_pub).unwrap();
        assert_eq!(ours.as_bytes(), &peer_pub[1..67]);
        assert_eq!(peer.complete(&g).unwrap().as_bytes(), ours.as_bytes());
    }
}
