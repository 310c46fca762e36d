//! The record layer (RFC 8446 §5, RFC 5246 §6.2): framing, protection and reassembly.
//!
//! This module owns the bytes between the socket and the handshake state machine:
//! - [`Deframer`]: the receive buffer. Splits the byte stream into records, opens protected
//!   records *in place* and hands the plaintext out as a borrowed slice.
//! - [`RecordDecrypter`] / [`RecordEncrypter`]: per-direction AEAD protection for TLS 1.3
//!   (RFC 8446 §5.2–5.4) and TLS 1.2 (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905), with sequence
//!   numbers that never wrap.
//! - [`SendBuffer`]: the transmit buffer. Fragments payloads into full records and seals them in
//!   place with room reserved for header and tag.
//! - [`HandshakeJoiner`]: reassembles handshake messages that span records and splits records
//!   carrying several messages.
//!
//! It must never: copy a record body between buffers on the receive path, allocate per record
//! once a buffer has grown, expand an AEAD key more than once per key change, or panic on peer
//! bytes. It knows nothing about handshake message contents or which record types are allowed in
//! which state: that is the connection's job.
//!
//! ## Receive loop (what the connection does)
//! ```text
//! deframer.read_tls(&mut sock)?;                       // or deframer.push(bytes)
//! while let Some(rec) = deframer.next_record(decrypter.as_mut())? {
//!     match rec.typ {
//!         Handshake => joiner.push(rec.payload)?,        // then: while let Some(m) = joiner.next_message()? { .. }
//!         ApplicationData => { /* copy rec.payload out, or deframer.retain_last_payload() */ }
//!         Alert | ChangeCipherSpec => { .. }
//!     }
//! }
//! ```
//! When the keys change (a new `RecordDecrypter` is installed) the caller must first check
//! [`HandshakeJoiner::is_empty`] (RFC 8446 §5.1: handshake messages "MUST NOT span key changes").

mod deframer;
mod fragmenter;
mod joiner;
mod protection;

pub use deframer::Deframer;
pub use fragmenter::SendBuffer;
pub use joiner::HandshakeJoiner;
pub use protection::{RecordDecrypter, RecordEncrypter};

use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// Length of a record header: type (1), legacy_record_version (2), length (2) (RFC 8446 §5.1).
pub const HEADER_LEN: usize = 5;

/// Largest plaintext fragment: 2^14 bytes (RFC 8446 §5.1, RFC 5246 §6.2.1).
pub const MAX_FRAGMENT_LEN: usize = 1 << 14;

/// Largest TLS 1.3 `TLSCiphertext.length`: 2^14 + 256 (RFC 8446 §5.2).
pub const MAX_CIPHERTEXT_LEN_TLS13: usize = MAX_FRAGMENT_LEN + 256;

/// Largest TLS 1.2 `TLSCiphertext.length`: 2^14 + 2048 (RFC 5246 §6.2.3).
pub const MAX_CIPHERTEXT_LEN_TLS12: usize = MAX_FRAGMENT_LEN + 2048;

/// Largest record on the wire, header included (the TLS 1.2 ciphertext bound is the loosest).
pub const MAX_WIRE_RECORD_LEN: usize = HEADER_LEN + MAX_CIPHERTEXT_LEN_TLS12;

/// A parsed record header (RFC 8446 §5.1 `TLSPlaintext` / §5.2 `TLSCiphertext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// The (outer) content type.
    pub typ: ContentType,
    /// `legacy_record_version`.
    pub version: ProtocolVersion,
    /// Length of the fragment that follows.
    pub len: u16,
}

impl RecordHeader {
    /// Parses the header at the front of `bytes`. `Ok(None)` if fewer than [`HEADER_LEN`] bytes
    /// are present.
    ///
    /// Checks that do not depend on connection state: a known content type (RFC 8446 §5: an
    /// unexpected record type is fatal), a `legacy_record_version` with major version 3 (anything
    /// else is not TLS: catching this early turns "HTTP on the TLS port" into a clear error), and
    /// the loosest length bound, 2^14 + 2048 (RFC 5246 §6.2.3). The exact bound for the current
    /// protection state is checked by the connection's deframer.
    ///
    /// # Errors
    /// `InvalidContentType`, `IllegalValue("legacy_record_version")`, `RecordTooLarge`.
    pub fn parse(bytes: &[u8]) -> Result<Option<Self>, Error> {
        let Some(h) = bytes.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let typ = ContentType(h[0]);
        if !matches!(
            typ,
            ContentType::ChangeCipherSpec
                | ContentType::Alert
                | ContentType::Handshake
                | ContentType::ApplicationData
        ) {
            return Err(InvalidMessage::InvalidContentType(h[0]).into());
        }
        if h[1] != 3 {
            return Err(InvalidMessage::IllegalValue("legacy_record_version").into());
        }
        let version = ProtocolVersion(u16::from_be_bytes([h[1], h[2]]));
        let len = u16::from_be_bytes([h[3], h[4]]);
        if usize::from(len) > MAX_CIPHERTEXT_LEN_TLS12 {
            return Err(InvalidMessage::RecordTooLarge.into());
        }
        Ok(Some(Self { typ, version, len }))
    }

    /// The header as it goes on the wire.
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let v = self.version.0.to_be_bytes();
        let l = self.len.to_be_bytes();
        [self.typ.0, v[0], v[1], l[0], l[1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parses_and_round_trips() {
        let h = RecordHeader::parse(&[22, 3, 1, 0, 196, 0xff])
            .unwrap()
            .unwrap();
        assert_eq!(h.typ, ContentType::Handshake);
        assert_eq!(h.version, ProtocolVersion::TLSv1_0);
        assert_eq!(h.len, 196);
        assert_eq!(h.encode(), [22, 3, 1, 0, 196]);
        assert_eq!(RecordHeader::parse(&[22, 3, 3, 0]).unwrap(), None);
    }

    #[test]
    fn header_rejects_bad_type_version_and_length() {
        // RFC 8446 §5: unknown record types are fatal. Heartbeat (24) is not supported.
        for t in [0u8, 19, 24, 0xff] {
            assert_eq!(
                RecordHeader::parse(&[t, 3, 3, 0, 1]),
                Err(InvalidMessage::InvalidContentType(t).into())
            );
        }
        // "GET /" is not TLS.
        assert_eq!(
            RecordHeader::parse(b"GET / HTTP/1.1").map(|_| ()),
            Err(crate::error::Error::InvalidMessage(
                crate::error::InvalidMessage::InvalidContentType(71)
            ))
        );
        assert_eq!(
            RecordHeader::parse(&[23, 2, 0, 0, 1]),
            Err(InvalidMessage::IllegalValue("legacy_record_version").into())
        );
        // RFC 5246 §6.2.3: 2^14 + 2048 is the largest length in any state.
        let max = u16::try_from(MAX_CIPHERTEXT_LEN_TLS12)
            .unwrap()
            .to_be_bytes();
        assert!(RecordHeader::parse(&[23, 3, 3, max[0], max[1]]).is_ok());
        let over = u16::try_from(MAX_CIPHERTEXT_LEN_TLS12 + 1)
            .unwrap()
            .to_be_bytes();
        assert_eq!(
            RecordHeader::parse(&[23, 3, 3, over[0], over[1]]),
            Err(InvalidMessage::RecordTooLarge.into())
        );
    }
}
