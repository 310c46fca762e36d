//! RFC 7919 finite-field Diffie-Hellman groups (ffdhe2048, ffdhe3072, ffdhe4096).
//!
//! aws-lc-rs has no finite-field DH, so the modular exponentiation comes from `crypto-bigint`
//! (constant-time Montgomery arithmetic, `DynResidue`); randomness comes from the provider's
//! [`SecureRandom`]. This module owns the group parameters, key generation, public-value
//! encoding and the peer checks of RFC 7919 §5.1. It never implements bignum arithmetic itself.
//!
//! Private exponents are short exponents (RFC 7919 §5.2): we draw an m-bit value with the top bit
//! set, m = 256 / 320 / 384 bits for ffdhe2048 / 3072 / 4096. That is above the Appendix A
//! minimums (225 / 275 / 325 bits) and above twice each group's estimated strength
//! (103 / 125 / 150 bits), rounded up to whole 64-bit words.

use core::fmt;

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Uint, U2048, U3072, U4096, U512};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::{ActiveKeyExchange, CryptoError, SecureRandom, SharedSecret, SupportedKxGroup};
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::NamedGroup;

// RFC 7919 Appendix A.1-A.3, "The hexadecimal representation of p", transcribed from the RFC
// text; the tests check them against an independent copy and with a Fermat test.
const P_2048: &str = concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF",
);
const P_3072: &str = concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B",
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C",
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF",
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E",
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
);
const P_4096: &str = concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B",
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C",
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF",
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E",
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB",
    "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A",
    "7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038",
    "092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF",
    "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E655F6AFFFFFFFFFFFFFFFF",
);

/// The generator of every RFC 7919 group ("The generator is: g = 2").
const GENERATOR: u8 = 2;

/// Largest private exponent we use, in bits (the exponent lives in a `U512`).
const MAX_EXPONENT_BITS: usize = 512;

/// The prime sizes we implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    B2048,
    B3072,
    B4096,
}

/// The parameters of one RFC 7919 group.
#[derive(Debug)]
pub struct FfdheParams {
    name: NamedGroup,
    size: Size,
    /// Private exponent length in bits (RFC 7919 §5.2; see the module docs).
    exponent_bits: usize,
}

/// ffdhe2048 (RFC 7919 Appendix A.1).
pub static FFDHE2048_PARAMS: FfdheParams = FfdheParams {
    name: NamedGroup::FFDHE2048,
    size: Size::B2048,
    exponent_bits: 256,
};
/// ffdhe3072 (RFC 7919 Appendix A.2).
pub static FFDHE3072_PARAMS: FfdheParams = FfdheParams {
    name: NamedGroup::FFDHE3072,
    size: Size::B3072,
    exponent_bits: 320,
};
/// ffdhe4096 (RFC 7919 Appendix A.3).
pub static FFDHE4096_PARAMS: FfdheParams = FfdheParams {
    name: NamedGroup::FFDHE4096,
    size: Size::B4096,
    exponent_bits: 384,
};

const ALL: [&FfdheParams; 3] = [&FFDHE2048_PARAMS, &FFDHE3072_PARAMS, &FFDHE4096_PARAMS];

impl FfdheParams {
    /// The parameters for `name`, if it is one of the groups we implement.
    #[must_use]
    pub fn for_group(name: NamedGroup) -> Option<&'static Self> {
        ALL.into_iter().find(|p| p.name == name)
    }

    /// The group's code point.
    #[must_use]
    pub fn name(&self) -> NamedGroup {
        self.name
    }

    /// The length of p in bytes (also the length of public values and, in TLS 1.3, of the
    /// shared secret).
    #[must_use]
    pub fn prime_len(&self) -> usize {
        match self.size {
            Size::B2048 => 256,
            Size::B3072 => 384,
            Size::B4096 => 512,
        }
    }

    /// p, big-endian, `prime_len()` bytes.
    #[must_use]
    pub fn prime(&self) -> Vec<u8> {
        match self.size {
            Size::B2048 => to_be_bytes(&U2048::from_be_hex(P_2048)),
            Size::B3072 => to_be_bytes(&U3072::from_be_hex(P_3072)),
            Size::B4096 => to_be_bytes(&U4096::from_be_hex(P_4096)),
        }
    }

    /// The generator, big-endian (`[2]`).
    #[must_use]
    pub fn generator(&self) -> &'static [u8] {
        &[GENERATOR]
    }

    /// `base ^ x mod p` for a validated `base` (None = the generator), big-endian, left-padded
    /// to the prime length.
    fn modexp(&self, base: Option<&[u8]>, x: &U512) -> Result<Zeroizing<Vec<u8>>, Error> {
        match self.size {
            Size::B2048 => {
                modexp::<{ U2048::LIMBS }>(&U2048::from_be_hex(P_2048), base, x, self.exponent_bits)
            }
            Size::B3072 => {
                modexp::<{ U3072::LIMBS }>(&U3072::from_be_hex(P_3072), base, x, self.exponent_bits)
            }
            Size::B4096 => {
                modexp::<{ U4096::LIMBS }>(&U4096::from_be_hex(P_4096), base, x, self.exponent_bits)
            }
        }
    }

    /// Generates a key pair: a random `exponent_bits`-bit private exponent x with its top bit
    /// set (RFC 7919 §5.2: "an m-bit integer"), and Y = g^x mod p.
    ///
    /// # Errors
    /// If the random source fails.
    pub fn start(
        &'static self,
        rng: &dyn SecureRandom,
    ) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; MAX_EXPONENT_BITS / 8]);
        let n = self.exponent_bits / 8;
        let start = bytes.len() - n;
        rng.fill(&mut bytes[start..])?;
        bytes[start] |= 0x80;
        let x = U512::from_be_slice(&bytes[..]);
        let pub_key = self.modexp(None, &x).map_err(|_| CryptoError)?;
        Ok(Box::new(FfdheKeyExchange {
            params: self,
            x,
            pub_key: pub_key.to_vec(),
        }))
    }
}

/// A TLS 1.2 DH public value (`dh_Ys` / `dh_Yc`, RFC 5246 §7.4.3 / §7.4.7.2) left-padded with
/// zeros to the length of `group`'s prime. TLS 1.2 does not require peers to send leading zero
/// bytes (GnuTLS omits them, about once in 256), while [`ActiveKeyExchange::complete`] takes
/// the fixed-length TLS 1.3 form (RFC 8446 §4.2.8.1).
///
/// # Errors
/// `PeerMisbehaved::InvalidKeyShare` if the value is empty or longer than the prime, or the
/// group is not an RFC 7919 group.
pub fn tls12_public_value(group: NamedGroup, value: &[u8]) -> Result<Vec<u8>, Error> {
    let len = FfdheParams::for_group(group)
        .map(FfdheParams::prime_len)
        .ok_or(PeerMisbehaved::InvalidKeyShare)?;
    if value.is_empty() || value.len() > len {
        return Err(PeerMisbehaved::InvalidKeyShare.into());
    }
    let mut out = vec![0u8; len - value.len()];
    out.extend_from_slice(value);
    Ok(out)
}

/// RFC 7919 §5.1 peer check and the exponentiation, for one prime size.
fn modexp<const L: usize>(
    p: &Uint<L>,
    base: Option<&[u8]>,
    x: &U512,
    x_bits: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let base = match base {
        None => Uint::<L>::from_u8(GENERATOR),
        Some(y) => {
            // RFC 8446 §4.2.8.1: Y is "padded to the left with zeros to the size of p in bytes";
            // a value of any other length is malformed. (`from_be_slice` requires this length.)
            if y.len() != Uint::<L>::BYTES {
                return Err(PeerMisbehaved::InvalidKeyShare.into());
            }
            let y = Uint::<L>::from_be_slice(y);
            // RFC 7919 §5.1: "Peers MUST validate each other's public key Y ... by ensuring
            // that 1 < Y < p-1." This also rejects Y >= p.
            let p_minus_1 = p.wrapping_sub(&Uint::<L>::ONE);
            if y <= Uint::<L>::ONE || y >= p_minus_1 {
                return Err(PeerMisbehaved::InvalidKeyShare.into());
            }
            y
        }
    };
    // Every RFC 7919 prime is odd, so `new` cannot panic.
    let params = DynResidueParams::new(p);
    let mut r = DynResidue::new(&base, params).pow_bounded_exp(x, x_bits);
    let mut z = r.retrieve();
    r.as_montgomery_mut().as_words_mut().zeroize();
    let out = Zeroizing::new(to_be_bytes(&z));
    z.as_words_mut().zeroize();
    Ok(out)
}

/// Big-endian bytes of `v`, exactly `Uint::<L>::BYTES` long.
fn to_be_bytes<const L: usize>(v: &Uint<L>) -> Vec<u8> {
    let mut out = Vec::with_capacity(Uint::<L>::BYTES);
    for w in v.as_words().iter().rev() {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out
}

/// A DH exchange in progress: our private exponent and public value.
struct FfdheKeyExchange {
    params: &'static FfdheParams,
    x: U512,
    pub_key: Vec<u8>,
}

impl Drop for FfdheKeyExchange {
    fn drop(&mut self) {
        self.x.as_words_mut().zeroize();
    }
}

impl ActiveKeyExchange for FfdheKeyExchange {
    fn group(&self) -> NamedGroup {
        self.params.name
    }

    fn pub_key(&self) -> &[u8] {
        &self.pub_key
    }

    /// Z = Y^x mod p, left-padded to the length of p (RFC 8446 §7.4.1; a TLS 1.2 caller strips
    /// the zeros with [`SharedSecret::strip_leading_zeros`], RFC 5246 §8.1.2).
    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error> {
        let z = self.params.modexp(Some(peer_share), &self.x)?;
        Ok(SharedSecret::new(z.to_vec()))
    }
}

/// A [`SupportedKxGroup`] for one RFC 7919 group, drawing exponents from `rng`.
pub struct FfdheKxGroup {
    params: &'static FfdheParams,
    rng: &'static dyn SecureRandom,
}

impl FfdheKxGroup {
    /// The group `params` with randomness from `rng`.
    #[must_use]
    pub const fn new(params: &'static FfdheParams, rng: &'static dyn SecureRandom) -> Self {
        Self { params, rng }
    }

    /// The group parameters.
    #[must_use]
    pub fn params(&self) -> &'static FfdheParams {
        self.params
    }
}

impl fmt::Debug for FfdheKxGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FfdheKxGroup")
            .field(&self.params.name)
            .finish()
    }
}

impl SupportedKxGroup for FfdheKxGroup {
    fn name(&self) -> NamedGroup {
        self.params.name
    }

    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        self.params.start(self.rng)
    }
}

/// Recognises RFC 7919 parameters in a TLS 1.2 ServerKeyExchange (`dh_p`, `dh_g`; leading zero
/// bytes are ignored). Returns `None` for any other group: RFC 7919 §5.1 explains why an unknown
/// group cannot be checked cheaply, and we refuse those (`PeerIncompatible::UnnamedDhGroup`).
#[must_use]
pub fn ffdhe_group_for_prime(p: &[u8], g: &[u8]) -> Option<NamedGroup> {
    let strip = |v: &[u8]| -> Vec<u8> { v.iter().copied().skip_while(|b| *b == 0).collect() };
    if strip(g) != [GENERATOR] {
        return None;
    }
    let p = strip(p);
    ALL.into_iter()
        .find(|params| params.prime() == p)
        .map(|params| params.name)
}

/// Starts a DH exchange in the RFC 7919 group `name` (e.g. for a TLS 1.2 client that recognised
/// the server's parameters with [`ffdhe_group_for_prime`]).
///
/// # Errors
/// `PeerIncompatible::UnnamedDhGroup` if `name` is not a group we implement; `Internal` if the
/// random source fails.
pub fn start_ffdhe(
    name: NamedGroup,
    rng: &dyn SecureRandom,
) -> Result<Box<dyn ActiveKeyExchange>, Error> {
    let params = FfdheParams::for_group(name).ok_or(PeerIncompatible::UnnamedDhGroup)?;
    Ok(params.start(rng)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::SYSTEM_RANDOM;

    fn agree_both_ways(params: &'static FfdheParams) {
        let a = params.start(&SYSTEM_RANDOM).unwrap();
        let b = params.start(&SYSTEM_RANDOM).unwrap();
        assert_eq!(a.pub_key().len(), params.prime_len());
        assert_eq!(a.group(), params.name());
        assert_ne!(a.pub_key(), b.pub_key());
        let a_pub = a.pub_key().to_vec();
        let b_pub = b.pub_key().to_vec();
        let sa = a.complete(&b_pub).unwrap();
        let sb = b.complete(&a_pub).unwrap();
        assert_eq!(sa.as_bytes(), sb.as_bytes());
        assert_eq!(sa.as_bytes().len(), params.prime_len());
    }

    #[test]
    fn tls12_public_values_are_left_padded() {
        let v = tls12_public_value(NamedGroup::FFDHE2048, &[1, 2, 3]).unwrap();
        assert_eq!(v.len(), 256);
        assert_eq!(&v[253..], &[1, 2, 3]);
        assert!(v[..253].iter().all(|b| *b == 0));
        assert_eq!(
            tls12_public_value(NamedGroup::FFDHE2048, &[]).map(|_| ()),
            Err(crate::error::Error::PeerMisbehaved(
                crate::error::PeerMisbehaved::InvalidKeyShare
            ))
        );
        assert_eq!(
            tls12_public_value(NamedGroup::FFDHE2048, &[1; 257]).map(|_| ()),
            Err(crate::error::Error::PeerMisbehaved(
                crate::error::PeerMisbehaved::InvalidKeyShare
            ))
        );
        assert_eq!(
            tls12_public_value(NamedGroup::X25519, &[1; 32]).map(|_| ()),
            Err(crate::error::Error::PeerMisbehaved(
                crate::error::PeerMisbehaved::InvalidKeyShare
            ))
        );
    }

    #[test]
    fn ffdhe2048_agrees_both_ways() {
        agree_both_ways(&FFDHE2048_PARAMS);
    }

    #[test]
    fn ffdhe3072_agrees_both_ways() {
        // Slowest in debug builds after 4096; kept in the default run.
        agree_both_ways(&FFDHE3072_PARAMS);
    }

    #[test]
    fn ffdhe4096_agrees_both_ways() {
        agree_both_ways(&FFDHE4096_PARAMS);
    }

    #[test]
    fn known_small_exponent() {
        // With x = 2^8 + 3 = 259 the public value is 2^259 mod p = 2^259 (p is much larger):
        // a single bit at position 259 of a 2048-bit big-endian number.
        let x = U512::from_u64(259);
        let y = FFDHE2048_PARAMS.modexp(None, &x).unwrap();
        let mut want = vec![0u8; 256];
        want[255 - 259 / 8] = 1 << (259 % 8);
        assert_eq!(y.as_slice(), want.as_slice());
    }

    #[test]
    fn primes_match_rustls_copy_and_pass_fermat() {
        // An independent transcription of the same RFC 7919 primes.
        let theirs = [
            rustls::ffdhe_groups::FFDHE2048,
            rustls::ffdhe_groups::FFDHE3072,
            rustls::ffdhe_groups::FFDHE4096,
        ];
        for (ours, theirs) in ALL.iter().zip(theirs) {
            assert_eq!(ours.prime(), theirs.p, "{:?}", ours.name);
            assert_eq!(ours.prime().len(), ours.prime_len());
            assert_eq!(ffdhe_group_for_prime(theirs.p, theirs.g), Some(ours.name));
        }
        // Fermat: 2^(p-1) = 1 mod p for prime p (ffdhe2048; the others cost seconds in debug).
        let p = U2048::from_be_hex(P_2048);
        let params = DynResidueParams::new(&p);
        let one = DynResidue::new(&U2048::from_u8(2), params)
            .pow(&p.wrapping_sub(&U2048::ONE))
            .retrieve();
        assert_eq!(one, U2048::ONE);
    }

    #[test]
    fn group_recognition() {
        let p = FFDHE3072_PARAMS.prime();
        let mut padded = vec![0u8, 0];
        padded.extend_from_slice(&p);
        assert_eq!(
            ffdhe_group_for_prime(&padded, &[0, 2]),
            Some(NamedGroup::FFDHE3072)
        );
        assert_eq!(ffdhe_group_for_prime(&p, &[5]), None);
        let mut other = p.clone();
        other[100] ^= 1;
        assert_eq!(ffdhe_group_for_prime(&other, &[2]), None);
        assert_eq!(ffdhe_group_for_prime(&[], &[]), None);
    }

    #[test]
    fn start_ffdhe_by_name() {
        let kx = start_ffdhe(NamedGroup::FFDHE2048, &SYSTEM_RANDOM).unwrap();
        assert_eq!(kx.group(), NamedGroup::FFDHE2048);
        assert!(matches!(
            start_ffdhe(NamedGroup::X25519, &SYSTEM_RANDOM),
            Err(Error::PeerIncompatible(PeerIncompatible::UnnamedDhGroup))
        ));
    }

    #[test]
    fn rfc7919_section_5_1_rejects_bad_peer_values() {
        let params = &FFDHE2048_PARAMS;
        let p = params.prime();
        let len = params.prime_len();
        let num = |v: u8| {
            let mut b = vec![0u8; len];
            b[len - 1] = v;
            b
        };
        let p_minus_1 = {
            let mut b = p.clone();
            b[len - 1] -= 1; // p ends in 0xff
            b
        };
        let p_minus_2 = {
            let mut b = p.clone();
            b[len - 1] -= 2;
            b
        };
        let p_plus_1 = {
            let mut b = p.clone();
            b[len - 1] = 0; // 0xff + 1 carries into the next byte (also 0xff) ...
            b[len - 2] = 0;
            b[len - 3] = 0;
            b[len - 4] = 0;
            b[len - 5] = 0;
            b[len - 6] = 0;
            b[len - 7] = 0;
            b[len - 8] = 0; // ... through the low 64 one-bits, then +1 into byte len-9.
            b[len - 9] += 1; // 0x97 + 1 (see the prime's low words)
            b
        };
        let bad: [(&str, Vec<u8>); 8] = [
            ("0", num(0)),
            ("1", num(1)),
            ("p-1", p_minus_1),
            ("p", p.clone()),
            ("p+1", p_plus_1),
            ("all ones (> p)", vec![0xff; len]),
            ("short", num(2)[1..].to_vec()),
            ("long", {
                let mut v = vec![0u8];
                v.extend_from_slice(&num(2));
                v
            }),
        ];
        for (what, y) in bad {
            let kx = params.start(&SYSTEM_RANDOM).unwrap();
            assert!(
                matches!(
                    kx.complete(&y),
                    Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
                ),
                "accepted {what}"
            );
        }
        // The extremes of the allowed range are accepted.
        for y in [num(2), p_minus_2] {
            let kx = params.start(&SYSTEM_RANDOM).unwrap();
            assert_eq!(kx.complete(&y).unwrap().as_bytes().len(), len);
        }
    }
}
