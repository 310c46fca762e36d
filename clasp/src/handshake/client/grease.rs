//! GREASE (RFC 8701): reserved values the client sprinkles into its ClientHello so that servers
//! which choke on values they do not know are found now, not when the next real code point ships.
//!
//! This module owns the choice of the values for one connection; it never decides anything about
//! the server's answer (a server that selects a GREASE value selected something we did not offer,
//! and the ordinary "unoffered" checks refuse it, RFC 8701 §3).

use crate::crypto::CryptoProvider;
use crate::error::Error;
use crate::msgs::enums::{
    CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};

/// RFC 8701 §2: the sixteen reserved two-byte values `{0x?A, 0x?A}`: 0x0A0A, 0x1A1A, …, 0xFAFA.
#[must_use]
pub(crate) fn value(index: u8) -> u16 {
    let hi = u16::from(index & 0x0f) << 4 | 0x0a;
    hi << 8 | hi
}

/// Whether `v` is one of the RFC 8701 §2 two-byte GREASE values.
#[cfg(test)]
#[must_use]
pub(crate) fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// RFC 8701 §2: the eight reserved PskKeyExchangeMode values 0x0B, 0x2A, 0x49, …, 0xE4
/// (0x0B + 0x1F·i).
#[must_use]
pub(crate) fn psk_mode_value(index: u8) -> u8 {
    0x0b + 0x1f * (index & 0x07)
}

/// The GREASE values of one connection. Chosen once, so that the first ClientHello and the one
/// after a HelloRetryRequest carry the same values (RFC 8446 §4.1.2: the second ClientHello is
/// the first one but for key_share, early_data, cookie and padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Grease {
    pub(crate) cipher_suite: CipherSuite,
    /// An empty extension, sent first.
    pub(crate) extension_empty: ExtensionType,
    /// An extension with one zero byte, sent last (before pre_shared_key); never the same
    /// type as `extension_empty` (duplicate extensions are illegal, RFC 8446 §4.2).
    pub(crate) extension_one_byte: ExtensionType,
    pub(crate) group: NamedGroup,
    pub(crate) signature_scheme: SignatureScheme,
    pub(crate) version: ProtocolVersion,
    pub(crate) psk_mode: PskKeyExchangeMode,
}

impl Grease {
    /// Draws the values from the provider's random source.
    pub(crate) fn random(provider: &CryptoProvider) -> Result<Self, Error> {
        let mut r = [0u8; 7];
        provider.secure_random.fill(&mut r)?;
        let ext1 = value(r[1]);
        let mut ext2 = value(r[2]);
        if ext2 == ext1 {
            // Still a GREASE value (one nibble pair flipped), now a different one.
            ext2 ^= 0x1010;
        }
        Ok(Self {
            cipher_suite: CipherSuite(value(r[0])),
            extension_empty: ExtensionType(ext1),
            extension_one_byte: ExtensionType(ext2),
            group: NamedGroup(value(r[3])),
            signature_scheme: SignatureScheme(value(r[4])),
            version: ProtocolVersion(value(r[5])),
            psk_mode: PskKeyExchangeMode(psk_mode_value(r[6])),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8701 §2: the listed values, and only those.
    #[test]
    fn values_are_the_rfc_8701_sets() {
        let all: Vec<u16> = (0..16).map(value).collect();
        assert_eq!(all.first(), Some(&0x0a0a));
        assert_eq!(all.get(1), Some(&0x1a1a));
        assert_eq!(all.last(), Some(&0xfafa));
        assert!(all.iter().all(|v| is_grease(*v)));
        assert_eq!((0..=u16::MAX).filter(|v| is_grease(*v)).count(), 16);
        let modes: Vec<u8> = (0..8).map(psk_mode_value).collect();
        assert_eq!(modes, [0x0b, 0x2a, 0x49, 0x68, 0x87, 0xa6, 0xc5, 0xe4]);
        // Indices wrap into the set.
        assert_eq!(value(0x13), 0x3a3a);
        assert_eq!(psk_mode_value(9), 0x2a);
    }

    #[test]
    fn the_two_extensions_always_differ() {
        for i in 0..=255u8 {
            let a = value(i);
            let mut b = value(i);
            if a == b {
                b ^= 0x1010;
            }
            assert!(is_grease(b) && a != b);
        }
    }
}
