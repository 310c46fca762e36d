//! The transmit buffer: payloads in, full records out, sealed in place.
//!
//! Every record is built directly in one contiguous buffer: header room, plaintext copied once
//! from the caller, inner type, seal in place, tag, header patched
//! ([`RecordEncrypter::seal_record`]). Pending records are contiguous, so one `write` call sends
//! all of them: a vectored write would have nothing to gather. The buffer is dropped as soon as
//! it has been written out (DESIGN: idle connections are small).

use std::io;

use super::protection::RecordEncrypter;
use super::{RecordHeader, HEADER_LEN, MAX_FRAGMENT_LEN};
use crate::error::Error;
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// Pending outgoing records. See the module docs.
#[derive(Debug)]
pub struct SendBuffer {
    buf: Vec<u8>,
    /// Bytes at the front already written out.
    sent: usize,
    max_fragment: usize,
}

impl Default for SendBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl SendBuffer {
    /// An empty buffer (no allocation); records carry up to 2^14 bytes.
    #[must_use]
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            sent: 0,
            max_fragment: MAX_FRAGMENT_LEN,
        }
    }

    /// Lowers the plaintext bytes per record, e.g. for a negotiated `record_size_limit`
    /// (RFC 8449) or `max_fragment_length` (RFC 6066 §4). Clamped to 1..=2^14.
    pub fn set_max_fragment_len(&mut self, n: usize) {
        self.max_fragment = n.clamp(1, MAX_FRAGMENT_LEN);
    }

    /// Appends `payload` as plaintext records of type `typ` (handshake before keys, alerts
    /// before keys, change_cipher_spec). `version` is the `legacy_record_version`: 0x0303,
    /// or 0x0301 for an initial ClientHello (RFC 8446 §5.1). An empty payload emits nothing.
    pub fn write_plaintext(&mut self, typ: ContentType, version: ProtocolVersion, payload: &[u8]) {
        self.prepare_append();
        let n = payload.len().div_ceil(self.max_fragment);
        self.buf.reserve(payload.len() + n * HEADER_LEN);
        for chunk in payload.chunks(self.max_fragment) {
            let header = RecordHeader {
                typ,
                version,
                // Chunks are at most 2^14 bytes.
                len: u16::try_from(chunk.len()).unwrap_or(u16::MAX),
            };
            self.buf.extend_from_slice(&header.encode());
            self.buf.extend_from_slice(chunk);
        }
    }

    /// Appends `payload` as protected records of type `typ`, fragmented into full records
    /// (2^14 bytes each but the last) and sealed in place with `enc`. An empty payload emits
    /// nothing. On error, records sealed before it stay queued.
    ///
    /// # Errors
    /// From [`RecordEncrypter::seal_record`] (sequence number exhausted, provider failure).
    pub fn write_protected(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        enc: &mut RecordEncrypter,
    ) -> Result<(), Error> {
        self.prepare_append();
        let full = payload.len() / self.max_fragment;
        let rest = payload.len() % self.max_fragment;
        let mut total = full * enc.record_len(self.max_fragment);
        if rest > 0 {
            total += enc.record_len(rest);
        }
        self.buf.reserve(total);
        for chunk in payload.chunks(self.max_fragment) {
            enc.seal_record(typ, chunk, &mut self.buf)?;
        }
        Ok(())
    }

    /// The bytes waiting to be sent (sans-IO: send them, then [`Self::consume`]).
    #[must_use]
    pub fn pending(&self) -> &[u8] {
        self.buf.get(self.sent..).unwrap_or_default()
    }

    /// Marks `n` pending bytes as sent.
    pub fn consume(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.buf.len());
        if self.sent == self.buf.len() {
            // Drained: release the memory.
            self.buf = Vec::new();
            self.sent = 0;
        }
    }

    /// Writes pending bytes to `wr` with one `write` call; returns how many were written.
    ///
    /// # Errors
    /// Errors from `wr`.
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        if self.is_empty() {
            return Ok(0);
        }
        let n = wr.write(self.pending())?;
        self.consume(n);
        Ok(n)
    }

    /// Bytes waiting to be sent.
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Whether nothing waits to be sent.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of buffer memory held.
    #[must_use]
    #[cfg(any(test, feature = "internal"))]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Before appending: drop bytes already sent so the buffer does not creep.
    fn prepare_append(&mut self) {
        if self.sent > 0 {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::{AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305};
    use crate::record::{Deframer, RecordDecrypter};
    use crate::testdata::rfc8448;

    #[test]
    fn rfc8448_client_hello_record_is_reproduced() {
        let mut s = SendBuffer::new();
        s.write_plaintext(
            ContentType::Handshake,
            ProtocolVersion::TLSv1_0,
            &rfc8448("s3.client_hello"),
        );
        assert_eq!(s.pending(), &rfc8448("s3.client_hello_record")[..]);
    }

    #[test]
    fn rfc8448_client_finished_record_is_reproduced() {
        let mut enc = RecordEncrypter::tls13(
            &AES_128_GCM,
            &rfc8448("s3.client_handshake_key"),
            &rfc8448("s3.client_handshake_iv"),
        )
        .unwrap();
        let mut s = SendBuffer::new();
        s.write_protected(
            ContentType::Handshake,
            &rfc8448("s3.client_finished"),
            &mut enc,
        )
        .unwrap();
        assert_eq!(s.pending(), &rfc8448("s3.client_finished_record")[..]);
    }

    /// A writer that accepts at most `max` bytes per call.
    struct Trickle {
        out: Vec<u8>,
        max: usize,
        calls: usize,
    }
    impl io::Write for Trickle {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            let n = b.len().min(self.max);
            self.out.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn round_trip(tls13: bool, aead: &'static dyn crate::crypto::Aead, iv_len: usize) {
        let key = vec![9u8; aead.algorithm().key_len()];
        let iv = vec![3u8; iv_len];
        let (mut enc, mut dec) = if tls13 {
            (
                RecordEncrypter::tls13(aead, &key, &iv).unwrap(),
                RecordDecrypter::tls13(aead, &key, &iv).unwrap(),
            )
        } else {
            (
                RecordEncrypter::tls12(aead, &key, &iv).unwrap(),
                RecordDecrypter::tls12(aead, &key, &iv).unwrap(),
            )
        };
        let data: Vec<u8> = (0..100_000u32)
            .map(|i| u8::try_from(i % 251).unwrap_or(0))
            .collect();
        let mut s = SendBuffer::new();
        s.write_protected(ContentType::ApplicationData, &data, &mut enc)
            .unwrap();
        // 100,000 bytes = 6 full records + one of 1,696.
        assert_eq!(enc.seq(), 7);
        assert_eq!(
            s.len(),
            6 * enc.record_len(MAX_FRAGMENT_LEN) + enc.record_len(100_000 - 6 * 16_384)
        );
        let mut w = Trickle {
            out: Vec::new(),
            max: 7000,
            calls: 0,
        };
        while !s.is_empty() {
            s.write_tls(&mut w).unwrap();
        }
        assert_eq!(s.capacity(), 0, "drained buffer is released");
        let mut d = Deframer::new();
        let mut rd = &w.out[..];
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while d.read_tls(&mut rd).unwrap() > 0 {
            while let Some(r) = d.next_record(Some(&mut dec)).unwrap() {
                assert_eq!(r.typ, ContentType::ApplicationData);
                sizes.push(r.payload.len());
                got.extend_from_slice(r.payload);
            }
        }
        assert_eq!(got, data);
        assert_eq!(
            sizes,
            [16_384, 16_384, 16_384, 16_384, 16_384, 16_384, 1_696]
        );
    }

    #[test]
    fn full_records_round_trip_every_format() {
        round_trip(true, &AES_128_GCM, 12);
        round_trip(true, &AES_256_GCM, 12);
        round_trip(true, &CHACHA20_POLY1305, 12);
        round_trip(false, &AES_128_GCM, 4);
        round_trip(false, &AES_256_GCM, 4);
        round_trip(false, &CHACHA20_POLY1305, 12);
    }

    #[test]
    fn one_write_call_sends_many_records() {
        let mut enc = RecordEncrypter::tls13(&AES_128_GCM, &[1; 16], &[2; 12]).unwrap();
        let mut s = SendBuffer::new();
        s.write_protected(ContentType::ApplicationData, &[0; 65_536], &mut enc)
            .unwrap();
        let mut w = Trickle {
            out: Vec::new(),
            max: usize::MAX,
            calls: 0,
        };
        s.write_tls(&mut w).unwrap();
        assert_eq!((w.calls, enc.seq()), (1, 4));
        assert!(s.is_empty());
    }

    #[test]
    fn plaintext_fragmentation_and_partial_sends() {
        let mut s = SendBuffer::new();
        s.set_max_fragment_len(100);
        s.write_plaintext(ContentType::Handshake, ProtocolVersion::TLSv1_2, &[5; 250]);
        assert_eq!(s.len(), 250 + 3 * HEADER_LEN);
        assert_eq!(&s.pending()[..5], &[22, 3, 3, 0, 100]);
        s.consume(10);
        s.write_plaintext(ContentType::Alert, ProtocolVersion::TLSv1_2, &[2, 10]);
        assert_eq!(s.len(), 250 + 3 * HEADER_LEN - 10 + 7);
        assert_eq!(&s.pending()[s.len() - 7..], &[21, 3, 3, 0, 2, 2, 10]);
        s.write_plaintext(ContentType::Alert, ProtocolVersion::TLSv1_2, &[]);
        assert_eq!(s.len(), 250 + 3 * HEADER_LEN - 10 + 7);
    }
}
