//! Finite-field Diffie-Hellman groups: the RFC 7919 named groups (ffdhe2048, ffdhe3072,
//! ffdhe4096), and, for a TLS 1.2 client only, the RFC 3526 MODP groups 14-18 (2048 to 8192
//! bits) that servers without RFC 7919 support send as explicit `dh_p` / `dh_g` (OpenSSL 3.0's
//! automatic DH parameters are these primes).
//!
//! aws-lc-rs has no finite-field DH, so the modular exponentiation comes from `crypto-bigint`
//! (constant-time Montgomery arithmetic, `DynResidue`); randomness comes from the provider's
//! [`SecureRandom`]. This module owns the group parameters, key generation, public-value
//! encoding and the peer checks of RFC 7919 §5.1. It never implements bignum arithmetic itself.
//!
//! Private exponents are short exponents (RFC 7919 §5.2): we draw an m-bit value with the top bit
//! set, m = 256 / 320 / 384 bits for ffdhe2048 / 3072 / 4096. That is above the Appendix A
//! minimums (225 / 275 / 325 bits) and above twice each group's estimated strength
//! (103 / 125 / 150 bits), rounded up to whole 64-bit words. The RFC 3526 groups use the same
//! lengths for the same prime sizes and 448 / 512 bits for 6144 / 8192 (RFC 3526 §8 estimates
//! 170-270 / 190-310 bits of strength; twice the lower estimates is 340 / 380). Both families
//! are safe primes (p = 2q + 1, q prime), so a short exponent costs no security against the
//! small-subgroup attacks RFC 7919 §5.1 discusses; the peer check 1 < Y < p-1 applies to both.
//!
//! A TLS 1.2 client accepts a server's group only by an exact match of p and g with one of these
//! primes ([`dh_group_for_params`]): testing an arbitrary prime for safety is too costly
//! (RFC 7919 §5.1). Anything else is refused with an error naming the prime size.

use core::fmt;

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Uint, U2048, U3072, U4096, U512, U6144, U8192};
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

// RFC 3526 §3-§7 (MODP groups 14-18), the hexadecimal value of p. Copied from OpenSSL 3.0.19
// (`openssl genpkey -genparam -algorithm DH -pkeyopt group:modp_N | openssl asn1parse`) and
// checked equal, byte for byte, to the independent word tables of aws-lc
// (crypto/fipsmodule/dh/dh.c, kMODP2048Data..kMODP8192Data). The tests check the structure
// (top and bottom 64 bits set, the pi digits shared with RFC 2409), a Fermat test, and
// `tests/tls12_interop.rs` (rfc3526_primes_equal_openssl_at_run_time) compares them with
// `openssl` output at run time.
const MODP_2048: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
);
const MODP_3072: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const MODP_4096: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7",
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8",
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2",
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9",
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
);
const MODP_6144: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7",
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8",
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2",
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9",
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026",
    "C1D4DCB2602646DEC9751E763DBA37BDF8FF9406AD9E530EE5DB382F413001AE",
    "B06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B",
    "DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92EC",
    "F032EA15D1721D03F482D7CE6E74FEF6D55E702F46980C82B5A84031900B1C9E",
    "59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA",
    "CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76",
    "F550AA3D8A1FBFF0EB19CCB1A313D55CDA56C9EC2EF29632387FE8D76E3C0468",
    "043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DCC4024FFFFFFFFFFFFFFFF",
);
const MODP_8192: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7",
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8",
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2",
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9",
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026",
    "C1D4DCB2602646DEC9751E763DBA37BDF8FF9406AD9E530EE5DB382F413001AE",
    "B06A53ED9027D831179727B0865A8918DA3EDBEBCF9B14ED44CE6CBACED4BB1B",
    "DB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF5983CA01C64B92EC",
    "F032EA15D1721D03F482D7CE6E74FEF6D55E702F46980C82B5A84031900B1C9E",
    "59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AA",
    "CC8F6D7EBF48E1D814CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76",
    "F550AA3D8A1FBFF0EB19CCB1A313D55CDA56C9EC2EF29632387FE8D76E3C0468",
    "043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DBE115974A3926F12FEE5E4",
    "38777CB6A932DF8CD8BEC4D073B931BA3BC832B68D9DD300741FA7BF8AFC47ED",
    "2576F6936BA424663AAB639C5AE4F5683423B4742BF1C978238F16CBE39D652D",
    "E3FDB8BEFC848AD922222E04A4037C0713EB57A81A23F0C73473FC646CEA306B",
    "4BCBC8862F8385DDFA9D4B7FA2C087E879683303ED5BDD3A062B3CF5B3A278A6",
    "6D2A13F83F44F82DDF310EE074AB6A364597E899A0255DC164F31CC50846851D",
    "F9AB48195DED7EA1B1D510BD7EE74D73FAF36BC31ECFA268359046F4EB879F92",
    "4009438B481C6CD7889A002ED5EE382BC9190DA6FC026E479558E4475677E9AA",
    "9E3050E2765694DFC81F56E880B96E7160C980DD98EDD3DFFFFFFFFFFFFFFFFF",
);

/// The generator of every RFC 7919 and RFC 3526 group ("The generator is: g = 2").
const GENERATOR: u8 = 2;

/// Largest private exponent we use, in bits (the exponent lives in a `U512`).
const MAX_EXPONENT_BITS: usize = 512;

/// The prime sizes we implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    B2048,
    B3072,
    B4096,
    B6144,
    B8192,
}

/// The parameters of one RFC 7919 or RFC 3526 group.
#[derive(Debug)]
pub struct FfdheParams {
    /// The TLS code point; `None` for the RFC 3526 groups, which have none (TLS 1.2 carries
    /// them as explicit p and g).
    name: Option<NamedGroup>,
    /// For people: "ffdhe2048", "RFC 3526 MODP group 14".
    label: &'static str,
    size: Size,
    /// p in hexadecimal, `size` bits.
    prime_hex: &'static str,
    /// Private exponent length in bits (RFC 7919 §5.2; see the module docs).
    exponent_bits: usize,
}

/// ffdhe2048 (RFC 7919 Appendix A.1).
pub static FFDHE2048_PARAMS: FfdheParams = FfdheParams {
    name: Some(NamedGroup::FFDHE2048),
    label: "ffdhe2048",
    size: Size::B2048,
    prime_hex: P_2048,
    exponent_bits: 256,
};
/// ffdhe3072 (RFC 7919 Appendix A.2).
pub static FFDHE3072_PARAMS: FfdheParams = FfdheParams {
    name: Some(NamedGroup::FFDHE3072),
    label: "ffdhe3072",
    size: Size::B3072,
    prime_hex: P_3072,
    exponent_bits: 320,
};
/// ffdhe4096 (RFC 7919 Appendix A.3).
pub static FFDHE4096_PARAMS: FfdheParams = FfdheParams {
    name: Some(NamedGroup::FFDHE4096),
    label: "ffdhe4096",
    size: Size::B4096,
    prime_hex: P_4096,
    exponent_bits: 384,
};

const ALL: [&FfdheParams; 3] = [&FFDHE2048_PARAMS, &FFDHE3072_PARAMS, &FFDHE4096_PARAMS];

/// RFC 3526 MODP group 14 (2048-bit, RFC 3526 §3); TLS 1.2 client only.
pub static MODP2048_PARAMS: FfdheParams = FfdheParams {
    name: None,
    label: "RFC 3526 MODP group 14",
    size: Size::B2048,
    prime_hex: MODP_2048,
    exponent_bits: 256,
};
/// RFC 3526 MODP group 15 (3072-bit, RFC 3526 §4); TLS 1.2 client only.
pub static MODP3072_PARAMS: FfdheParams = FfdheParams {
    name: None,
    label: "RFC 3526 MODP group 15",
    size: Size::B3072,
    prime_hex: MODP_3072,
    exponent_bits: 320,
};
/// RFC 3526 MODP group 16 (4096-bit, RFC 3526 §5); TLS 1.2 client only.
pub static MODP4096_PARAMS: FfdheParams = FfdheParams {
    name: None,
    label: "RFC 3526 MODP group 16",
    size: Size::B4096,
    prime_hex: MODP_4096,
    exponent_bits: 384,
};
/// RFC 3526 MODP group 17 (6144-bit, RFC 3526 §6); TLS 1.2 client only.
pub static MODP6144_PARAMS: FfdheParams = FfdheParams {
    name: None,
    label: "RFC 3526 MODP group 17",
    size: Size::B6144,
    prime_hex: MODP_6144,
    exponent_bits: 448,
};
/// RFC 3526 MODP group 18 (8192-bit, RFC 3526 §7); TLS 1.2 client only.
pub static MODP8192_PARAMS: FfdheParams = FfdheParams {
    name: None,
    label: "RFC 3526 MODP group 18",
    size: Size::B8192,
    prime_hex: MODP_8192,
    exponent_bits: 512,
};

/// The RFC 3526 groups a TLS 1.2 client recognises (2048 bits and up; the 1536-bit group 5 is
/// below the RFC 7525 §4.1 / NIST floor of 2048 bits and is refused as too small).
const RFC3526: [&FfdheParams; 5] = [
    &MODP2048_PARAMS,
    &MODP3072_PARAMS,
    &MODP4096_PARAMS,
    &MODP6144_PARAMS,
    &MODP8192_PARAMS,
];

/// The smallest prime we accept, in bits (RFC 7525 §4.1: "at least 2048 bits"; OpenSSL's
/// security level 2, the default on current distributions, sets the same floor).
pub const MIN_DH_PRIME_BITS: u32 = 2048;

/// Stands for "no code point" where the key-exchange traits need a [`NamedGroup`]: an RFC 3526
/// exchange reports it from [`ActiveKeyExchange::group`]. 0x0000 is unassigned in the IANA
/// registry and never sent: RFC 3526 groups are never offered, only recognised.
const NO_CODE_POINT: NamedGroup = NamedGroup(0);

impl FfdheParams {
    /// The parameters for `name`, if it is one of the groups we implement.
    #[must_use]
    pub fn for_group(name: NamedGroup) -> Option<&'static Self> {
        ALL.into_iter().find(|p| p.name == Some(name))
    }

    /// The group's code point; `None` for an RFC 3526 group.
    #[must_use]
    pub fn name(&self) -> Option<NamedGroup> {
        self.name
    }

    /// A name for people: the IANA name of an RFC 7919 group, "RFC 3526 MODP group N" otherwise.
    #[must_use]
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The size of p in bits.
    #[must_use]
    pub fn prime_bits(&self) -> usize {
        self.prime_len() * 8
    }

    /// The length of p in bytes (also the length of public values and, in TLS 1.3, of the
    /// shared secret).
    #[must_use]
    pub fn prime_len(&self) -> usize {
        match self.size {
            Size::B2048 => 256,
            Size::B3072 => 384,
            Size::B4096 => 512,
            Size::B6144 => 768,
            Size::B8192 => 1024,
        }
    }

    /// p, big-endian, `prime_len()` bytes.
    #[must_use]
    pub fn prime(&self) -> Vec<u8> {
        // `from_be_hex` panics only on a constant of the wrong length; each `prime_hex` has
        // exactly `size` bits (the tests check every group).
        let h = self.prime_hex;
        match self.size {
            Size::B2048 => to_be_bytes(&U2048::from_be_hex(h)),
            Size::B3072 => to_be_bytes(&U3072::from_be_hex(h)),
            Size::B4096 => to_be_bytes(&U4096::from_be_hex(h)),
            Size::B6144 => to_be_bytes(&U6144::from_be_hex(h)),
            Size::B8192 => to_be_bytes(&U8192::from_be_hex(h)),
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
        let (h, bits) = (self.prime_hex, self.exponent_bits);
        match self.size {
            Size::B2048 => modexp::<{ U2048::LIMBS }>(&U2048::from_be_hex(h), base, x, bits),
            Size::B3072 => modexp::<{ U3072::LIMBS }>(&U3072::from_be_hex(h), base, x, bits),
            Size::B4096 => modexp::<{ U4096::LIMBS }>(&U4096::from_be_hex(h), base, x, bits),
            Size::B6144 => modexp::<{ U6144::LIMBS }>(&U6144::from_be_hex(h), base, x, bits),
            Size::B8192 => modexp::<{ U8192::LIMBS }>(&U8192::from_be_hex(h), base, x, bits),
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
    let params = FfdheParams::for_group(group).ok_or(PeerMisbehaved::InvalidKeyShare)?;
    params.tls12_public_value(value)
}

impl FfdheParams {
    /// [`tls12_public_value`] for these parameters (also the RFC 3526 groups).
    ///
    /// # Errors
    /// `PeerMisbehaved::InvalidKeyShare` if the value is empty or longer than the prime.
    pub fn tls12_public_value(&self, value: &[u8]) -> Result<Vec<u8>, Error> {
        let len = self.prime_len();
        if value.is_empty() || value.len() > len {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        let mut out = vec![0u8; len - value.len()];
        out.extend_from_slice(value);
        Ok(out)
    }
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
    // Every RFC 7919 and RFC 3526 prime is odd, so `new` cannot panic.
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
        self.params.name.unwrap_or(NO_CODE_POINT)
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
    /// The RFC 7919 code point (0x0000 for an RFC 3526 group, which cannot be offered).
    fn name(&self) -> NamedGroup {
        self.params.name.unwrap_or(NO_CODE_POINT)
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
        .and_then(|params| params.name)
}

/// What a TLS 1.2 client makes of the server's `dh_p` and `dh_g` (RFC 5246 §7.4.3; leading zero
/// bytes are ignored): an RFC 7919 group or an RFC 3526 group (2048 bits and up) by an exact
/// match of p and g = 2, or a refusal that says why.
///
/// RFC 7919 §3: a client whose offered groups do not match "MAY decide to continue the
/// connection if the selected group is acceptable under local policy, or it MAY decide to
/// terminate the connection with a fatal insufficient_security(71) alert". Our local policy is
/// the well-known safe primes only.
///
/// # Errors
/// - `PeerMisbehaved::InvalidDhParams` (illegal_parameter) for parameters that are no group at
///   all: p empty or even, or g outside 2..p-2;
/// - `PeerIncompatible::DhGroupTooSmall` (insufficient_security) for a prime below
///   [`MIN_DH_PRIME_BITS`], whatever it is (RFC 3526 group 5, RFC 2409 group 2, OpenSSL's
///   1024-bit automatic parameters);
/// - `PeerIncompatible::UnknownDhGroup` (insufficient_security) for any other prime of 2048 bits
///   or more: it may be sound, but checking that it is a safe prime costs more than the
///   handshake (RFC 7919 §5.1).
pub fn dh_group_for_params(p: &[u8], g: &[u8]) -> Result<&'static FfdheParams, Error> {
    let strip = |v: &'_ [u8]| -> usize { v.iter().take_while(|b| **b == 0).count() };
    let p = p.get(strip(p)..).unwrap_or_default();
    let g = g.get(strip(g)..).unwrap_or_default();
    // 1. A group at all: p odd (every prime above 2), 1 < g < p-1 (g = 1 and g = p-1 generate
    // subgroups of order 1 and 2).
    let Some(&p_last) = p.last() else {
        return Err(PeerMisbehaved::InvalidDhParams.into());
    };
    if p_last & 1 == 0 || g.is_empty() || g == [1] {
        return Err(PeerMisbehaved::InvalidDhParams.into());
    }
    // p is odd, so p-1 differs from p only in its last byte (no borrow).
    let g_at_least_p_minus_1 = g.len() > p.len()
        || (g.len() == p.len() && {
            let mut p_minus_1 = p.to_vec();
            if let Some(b) = p_minus_1.last_mut() {
                *b -= 1;
            }
            g >= p_minus_1.as_slice()
        });
    if g_at_least_p_minus_1 {
        return Err(PeerMisbehaved::InvalidDhParams.into());
    }
    // 2. One of ours, by exact match.
    if g == [GENERATOR] {
        if let Some(params) = ALL
            .into_iter()
            .chain(RFC3526)
            .find(|params| params.prime() == p)
        {
            return Ok(params);
        }
    }
    // 3. Why not.
    let lead = p.first().map_or(0, |b| b.leading_zeros());
    let bits = u32::try_from(p.len())
        .unwrap_or(u32::MAX / 8)
        .saturating_mul(8)
        .saturating_sub(lead);
    if bits < MIN_DH_PRIME_BITS {
        return Err(PeerIncompatible::DhGroupTooSmall { prime_bits: bits }.into());
    }
    Err(PeerIncompatible::UnknownDhGroup { prime_bits: bits }.into())
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
        assert_eq!(a.group(), params.name().unwrap_or(NO_CODE_POINT));
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
            assert_eq!(ffdhe_group_for_prime(theirs.p, theirs.g), ours.name);
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

    #[test]
    fn rfc3526_primes_have_the_rfc_shape_and_pass_fermat() {
        for (params, bits) in RFC3526.iter().zip([2048, 3072, 4096, 6144, 8192]) {
            let p = params.prime();
            assert_eq!(p.len() * 8, bits, "{}", params.label());
            assert_eq!(params.prime_bits(), bits);
            assert_eq!(params.name(), None);
            // RFC 3526: p = 2^N - 2^(N-64) - 1 + 2^64 * ( [2^(N-130) pi] + X ): the top and
            // bottom 64 bits are ones, and the next 64 bits are the first digits of pi
            // (C90FDAA2 2168C234, as in every RFC 2409 / RFC 3526 MODP prime).
            assert_eq!(&p[..8], &[0xff; 8]);
            assert_eq!(&p[p.len() - 8..], &[0xff; 8]);
            assert_eq!(&p[8..16], &[0xc9, 0x0f, 0xda, 0xa2, 0x21, 0x68, 0xc2, 0x34]);
        }
        // RFC 3526 §3 ends group 14 with "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF".
        let p = MODP2048_PARAMS.prime();
        assert_eq!(
            &p[p.len() - 16..],
            &[
                0x15, 0x72, 0x8e, 0x5a, 0x8a, 0xac, 0xaa, 0x68, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff
            ]
        );
        // Fermat: 2^(p-1) = 1 mod p for group 14 (the others cost seconds in debug builds).
        let p = U2048::from_be_hex(MODP_2048);
        let params = DynResidueParams::new(&p);
        let one = DynResidue::new(&U2048::from_u8(2), params)
            .pow(&p.wrapping_sub(&U2048::ONE))
            .retrieve();
        assert_eq!(one, U2048::ONE);
    }

    #[test]
    fn rfc3526_groups_known_small_exponent() {
        // 2^259 mod p = 2^259 for every group: one bit at position 259.
        let x = U512::from_u64(259);
        for params in RFC3526 {
            let y = params.modexp(None, &x).unwrap();
            let len = params.prime_len();
            let mut want = vec![0u8; len];
            want[len - 1 - 259 / 8] = 1 << (259 % 8);
            assert_eq!(y.as_slice(), want.as_slice(), "{}", params.label());
        }
    }

    #[test]
    fn modp2048_agrees_both_ways() {
        agree_both_ways(&MODP2048_PARAMS);
        let kx = MODP2048_PARAMS.start(&SYSTEM_RANDOM).unwrap();
        assert_eq!(kx.group(), NamedGroup(0));
    }

    #[test]
    fn rfc3526_peer_values_are_range_checked() {
        // RFC 7919 §3 / §5.1: 1 < Y < p-1, for the RFC 3526 groups too.
        for params in [&MODP2048_PARAMS, &MODP8192_PARAMS] {
            let p = params.prime();
            let len = params.prime_len();
            let num = |v: u8| {
                let mut b = vec![0u8; len];
                b[len - 1] = v;
                b
            };
            let mut p_minus_1 = p.clone();
            p_minus_1[len - 1] -= 1;
            for (what, y) in [
                ("0", num(0)),
                ("1", num(1)),
                ("p-1", p_minus_1),
                ("p", p.clone()),
                ("all ones", vec![0xff; len]),
            ] {
                let kx = params.start(&SYSTEM_RANDOM).unwrap();
                assert!(
                    matches!(
                        kx.complete(&y),
                        Err(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
                    ),
                    "{}: accepted {what}",
                    params.label()
                );
            }
            let kx = params.start(&SYSTEM_RANDOM).unwrap();
            assert_eq!(kx.complete(&num(2)).unwrap().as_bytes().len(), len);
        }
    }

    #[test]
    fn dh_params_recognised_by_exact_match() {
        for params in ALL.into_iter().chain(RFC3526) {
            let mut padded = vec![0u8];
            padded.extend_from_slice(&params.prime());
            let got = dh_group_for_params(&padded, &[0, 2]).unwrap();
            assert!(core::ptr::eq(got, params), "{}", params.label());
            assert!(core::ptr::eq(
                dh_group_for_params(&params.prime(), &[2]).unwrap(),
                params
            ));
        }
        assert_eq!(
            dh_group_for_params(&MODP3072_PARAMS.prime(), &[2])
                .unwrap()
                .label(),
            "RFC 3526 MODP group 15"
        );
        assert_eq!(
            dh_group_for_params(&FFDHE2048_PARAMS.prime(), &[2])
                .unwrap()
                .name(),
            Some(NamedGroup::FFDHE2048)
        );
    }

    #[test]
    fn dh_params_refused_with_the_reason() {
        use crate::msgs::enums::AlertDescription;
        let too_small =
            |bits| Error::PeerIncompatible(PeerIncompatible::DhGroupTooSmall { prime_bits: bits });
        let unknown =
            |bits| Error::PeerIncompatible(PeerIncompatible::UnknownDhGroup { prime_bits: bits });
        let invalid = Error::PeerMisbehaved(PeerMisbehaved::InvalidDhParams);
        let modp = MODP2048_PARAMS.prime();
        // Below 2048 bits: any 1024-bit odd number, RFC 3526 group 5's size, a 2047-bit one.
        let mut p1024 = vec![0xffu8; 128];
        p1024[64] = 0x12;
        assert_eq!(
            dh_group_for_params(&p1024, &[2]).unwrap_err(),
            too_small(1024)
        );
        assert_eq!(
            dh_group_for_params(&modp[..192], &[2]).unwrap_err(),
            too_small(1536)
        );
        let mut p2047 = modp.clone();
        p2047[0] = 0x7f;
        assert_eq!(
            dh_group_for_params(&p2047, &[2]).unwrap_err(),
            too_small(2047)
        );
        // 2048 bits and more, but not ours: one bit changed, another generator, a bigger prime.
        let mut other = modp.clone();
        other[100] ^= 1;
        assert_eq!(
            dh_group_for_params(&other, &[2]).unwrap_err(),
            unknown(2048)
        );
        assert_eq!(dh_group_for_params(&modp, &[5]).unwrap_err(), unknown(2048));
        let mut big = vec![0x01u8];
        big.extend_from_slice(&MODP8192_PARAMS.prime());
        assert_eq!(dh_group_for_params(&big, &[2]).unwrap_err(), unknown(8193));
        // No group at all.
        let mut even = modp.clone();
        even[255] = 0xfe;
        let mut p_minus_1 = modp.clone();
        p_minus_1[255] = 0xfe;
        for (what, p, g) in [
            ("empty p", vec![], vec![2]),
            ("zero p", vec![0, 0], vec![2]),
            ("even p", even, vec![2]),
            ("g = 0", modp.clone(), vec![0]),
            ("empty g", modp.clone(), vec![]),
            ("g = 1", modp.clone(), vec![0, 1]),
            ("g = p-1", modp.clone(), p_minus_1),
            ("g = p", modp.clone(), modp.clone()),
            (
                "g longer than p",
                modp.clone(),
                [vec![1], modp.clone()].concat(),
            ),
        ] {
            assert_eq!(dh_group_for_params(&p, &g).unwrap_err(), invalid, "{what}");
        }
        // The alerts: insufficient_security for policy refusals (RFC 7919 §3),
        // illegal_parameter for parameters that are no group.
        assert_eq!(
            AlertDescription::from(&too_small(1024)),
            AlertDescription::InsufficientSecurity
        );
        assert_eq!(
            AlertDescription::from(&unknown(2048)),
            AlertDescription::InsufficientSecurity
        );
        assert_eq!(
            AlertDescription::from(&invalid),
            AlertDescription::IllegalParameter
        );
    }
}
