//! Handshake message reassembly (RFC 8446 §5.1, RFC 5246 §6.2.1).
//!
//! Records and handshake messages do not line up: one message may span several records and one
//! record may carry several messages. The joiner takes handshake record payloads and yields
//! each complete message as its exact received bytes (4-byte header + body), so the state
//! machine can hash what was received (STYLE: hash the bytes you received).
//!
//! A peer-declared length is checked against the cap as soon as its 4-byte header arrives,
//! before anything is buffered for it. The buffer is dropped once drained.

use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::HandshakeType;

/// Handshake message header: msg_type (1) + length (3) (RFC 8446 §4).
const HANDSHAKE_HEADER_LEN: usize = 4;

/// Default cap on a handshake message body: 64 KiB (certificate chains are the largest).
pub const DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN: usize = 0x1_0000;

/// One complete handshake message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeMessage<'a> {
    /// `msg_type`.
    pub typ: HandshakeType,
    /// The whole message as received: 4-byte header ‖ body (hash exactly these bytes).
    pub bytes: &'a [u8],
}

impl<'a> HandshakeMessage<'a> {
    /// The body after the 4-byte header.
    #[must_use]
    #[cfg(test)]
    pub fn body(&self) -> &'a [u8] {
        self.bytes.get(HANDSHAKE_HEADER_LEN..).unwrap_or_default()
    }
}

/// The reassembly buffer. See the module docs.
#[derive(Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    /// Bytes at the front already handed out.
    start: usize,
    max_len: usize,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::new()
    }
}

impl HandshakeJoiner {
    /// An empty joiner with the default cap ([`DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN`]).
    #[must_use]
    pub fn new() -> Self {
        Self::with_max_message_len(DEFAULT_MAX_HANDSHAKE_MESSAGE_LEN)
    }

    /// An empty joiner accepting message bodies up to `max_len` bytes.
    #[must_use]
    pub fn with_max_message_len(max_len: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_len,
        }
    }

    /// Adds the payload of one handshake record.
    ///
    /// # Errors
    /// `HandshakeMessageTooLarge` if any message header now visible declares a body over the
    /// cap (checked before the body is waited for).
    pub fn push(&mut self, payload: &[u8]) -> Result<(), Error> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(payload);
        // Check every header now visible, so an oversized declaration fails immediately.
        let mut at = 0;
        while let Some(len) = self.declared_len(at)? {
            at += HANDSHAKE_HEADER_LEN + len;
        }
        Ok(())
    }

    /// The next complete message, consumed; `Ok(None)` if more records are needed. The bytes
    /// stay valid until the next `push`.
    ///
    /// # Errors
    /// `HandshakeMessageTooLarge` (see [`Self::push`]).
    pub fn next_message(&mut self) -> Result<Option<HandshakeMessage<'_>>, Error> {
        let Some(len) = self.declared_len(0)? else {
            self.release_if_drained();
            return Ok(None);
        };
        let begin = self.start;
        let end = begin + HANDSHAKE_HEADER_LEN + len;
        let Some(bytes) = self.buf.get(begin..end) else {
            return Ok(None);
        };
        self.start = end;
        Ok(Some(HandshakeMessage {
            typ: HandshakeType(bytes[0]),
            bytes,
        }))
    }

    /// Whether no partial or unread message is buffered. Check this before installing new keys:
    /// RFC 8446 §5.1 "Handshake messages MUST NOT span key changes", and before accepting a
    /// non-handshake record: "if a handshake message is split over two or more records, there
    /// MUST NOT be any other records between them".
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.start >= self.buf.len()
    }

    /// `Err(UnalignedKeyChange)` unless [`Self::is_empty`] (for use at a key change).
    ///
    /// # Errors
    /// `InvalidMessage::UnalignedKeyChange` (unexpected_message).
    #[cfg(test)]
    pub fn check_aligned(&self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            // RFC 8446 §5.1: "If they do, then the implementation MUST terminate the connection
            // with an "unexpected_message" alert."
            Err(InvalidMessage::UnalignedKeyChange.into())
        }
    }

    /// Bytes of buffer memory held.
    #[must_use]
    #[cfg(any(test, feature = "internal"))]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The declared body length of the message whose header is at `start + at`, if the header
    /// is complete.
    fn declared_len(&self, at: usize) -> Result<Option<usize>, Error> {
        let Some(h) = self
            .buf
            .get(self.start + at..)
            .and_then(|b| b.get(..HANDSHAKE_HEADER_LEN))
        else {
            return Ok(None);
        };
        let len = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
        if len > self.max_len {
            return Err(InvalidMessage::HandshakeMessageTooLarge.into());
        }
        Ok(Some(len))
    }

    fn release_if_drained(&mut self) {
        if self.is_empty() {
            self.start = 0;
            if self.buf.capacity() != 0 {
                self.buf = Vec::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::rfc8448;

    fn msg(typ: u8, len: usize) -> Vec<u8> {
        let mut v = vec![typ];
        v.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes()[1..]);
        v.extend((0..len).map(|i| u8::try_from(i % 253).unwrap_or(0)));
        v
    }

    fn drain(j: &mut HandshakeJoiner) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(m) = j.next_message().unwrap() {
            assert_eq!(m.body().len() + 4, m.bytes.len());
            out.push(m.bytes.to_vec());
        }
        out
    }

    #[test]
    fn message_spanning_three_records() {
        let m = rfc8448("s3.certificate"); // 445 bytes
        let mut j = HandshakeJoiner::new();
        j.push(&m[..2]).unwrap(); // not even a whole header
        assert_eq!(j.next_message().unwrap(), None);
        assert!(!j.is_empty());
        assert_eq!(
            j.check_aligned(),
            Err(InvalidMessage::UnalignedKeyChange.into())
        );
        j.push(&m[2..300]).unwrap();
        assert_eq!(j.next_message().unwrap(), None);
        j.push(&m[300..]).unwrap();
        let got = j.next_message().unwrap().unwrap();
        assert_eq!(got.typ, HandshakeType::Certificate);
        assert_eq!(got.bytes, &m[..]);
        assert_eq!(j.next_message().unwrap(), None);
        assert!(j.is_empty());
        assert_eq!(j.check_aligned(), Ok(()));
        assert_eq!(j.capacity(), 0);
    }

    #[test]
    fn rfc8448_server_flight_in_one_record() {
        // RFC 8448 §3 sends EE, Certificate, CertificateVerify and Finished in one record.
        let names = [
            "s3.encrypted_extensions",
            "s3.certificate",
            "s3.certificate_verify",
            "s3.server_finished",
        ];
        let msgs: Vec<Vec<u8>> = names.iter().map(|n| rfc8448(n)).collect();
        let mut j = HandshakeJoiner::new();
        j.push(&msgs.concat()).unwrap();
        let mut types = Vec::new();
        let mut got = Vec::new();
        while let Some(m) = j.next_message().unwrap() {
            types.push(m.typ);
            got.push(m.bytes.to_vec());
        }
        assert_eq!(got, msgs);
        assert_eq!(
            types,
            [
                HandshakeType::EncryptedExtensions,
                HandshakeType::Certificate,
                HandshakeType::CertificateVerify,
                HandshakeType::Finished
            ]
        );
    }

    #[test]
    fn three_messages_in_one_record_then_split_tail() {
        let msgs = [msg(2, 0), msg(11, 70), msg(14, 5)];
        let mut stream = msgs.concat();
        let tail = msg(20, 32);
        stream.extend_from_slice(&tail[..10]);
        let mut j = HandshakeJoiner::new();
        j.push(&stream).unwrap();
        assert_eq!(drain(&mut j), msgs.to_vec());
        assert!(!j.is_empty(), "the partial Finished is pending");
        j.push(&tail[10..]).unwrap();
        assert_eq!(drain(&mut j), vec![tail]);
        assert!(j.is_empty());
    }

    #[test]
    fn oversize_declared_length_rejected_immediately() {
        let mut j = HandshakeJoiner::new();
        // Header only: 64 KiB + 1 declared, nothing of the body yet.
        assert_eq!(
            j.push(&[11, 0x01, 0x00, 0x01]),
            Err(InvalidMessage::HandshakeMessageTooLarge.into())
        );
        // Exactly the cap is fine.
        let mut j = HandshakeJoiner::new();
        j.push(&[11, 0x01, 0x00, 0x00]).unwrap();
        assert_eq!(j.next_message().unwrap(), None);
        // A second, oversized header behind a complete message is caught on push too.
        let mut j = HandshakeJoiner::with_max_message_len(100);
        let mut s = msg(1, 10);
        s.extend_from_slice(&[1, 0, 0, 101]);
        assert_eq!(
            j.push(&s),
            Err(InvalidMessage::HandshakeMessageTooLarge.into())
        );
    }

    #[test]
    fn every_split_of_a_flight_reassembles() {
        let msgs = [msg(2, 40), msg(8, 0), msg(11, 300), msg(20, 32)];
        let stream = msgs.concat();
        for a in (0..stream.len()).step_by(7) {
            for b in (a..stream.len()).step_by(13) {
                let mut j = HandshakeJoiner::new();
                let mut got = Vec::new();
                for part in [&stream[..a], &stream[a..b], &stream[b..]] {
                    j.push(part).unwrap();
                    got.extend(drain(&mut j));
                }
                assert_eq!(got, msgs.to_vec(), "cuts {a} {b}");
                assert!(j.is_empty());
            }
        }
    }
}
