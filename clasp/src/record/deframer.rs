//! The receive buffer: bytes in, records out, decrypted in place.
//!
//! Layout of `buf` (indices only grow until the next compaction):
//! ```text
//! 0 .. [retained app data ranges, with dead gaps] .. start .. [unopened bytes] .. end .. [spare]
//! ```
//! A record returned by [`Deframer::next_record`] is consumed at once (`start` moves past it),
//! but its bytes stay where they are until the next `read_tls`/`push`, so the plaintext can be
//! lent out without a copy. Application data the caller wants to hand to the user later can be
//! kept in place with [`Deframer::retain_last_payload`].
//!
//! Memory: the buffer is allocated on the first read and dropped as soon as everything in it has
//! been consumed (DESIGN: idle connections are small). At most [`MAX_BUFFERED_UNOPENED`] bytes of
//! not-yet-opened data are ever buffered; retained plaintext comes on top and is bounded by the
//! caller (it decides when to stop opening records).

use core::ops::Range;
use std::collections::VecDeque;
use std::io;

use super::{
    protection::RecordDecrypter, RecordHeader, HEADER_LEN, MAX_CIPHERTEXT_LEN_TLS13,
    MAX_FRAGMENT_LEN, MAX_WIRE_RECORD_LEN,
};
use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// The most unopened bytes the deframer buffers: two of the largest records on the wire
/// (2 × (5 + 2^14 + 2048) = 36,874 bytes). One whole record plus most of the next fits, so a bulk
/// transfer needs about one `read` call per record; beyond this, [`Deframer::read_tls`] refuses
/// until records are taken out.
pub const MAX_BUFFERED_UNOPENED: usize = 2 * MAX_WIRE_RECORD_LEN;

/// Smallest read attempted (a handshake flight usually fits).
const MIN_READ: usize = 4096;

/// One record, opened: its real content type and plaintext.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The content type (for TLS 1.3 protected records, the inner type).
    pub typ: ContentType,
    /// The header's `legacy_record_version` (TLS 1.2 checks it; TLS 1.3 ignores it, §5.1).
    pub version: ProtocolVersion,
    /// The plaintext, borrowed from the receive buffer.
    pub payload: &'a [u8],
}

/// The receive buffer. See the module docs.
#[derive(Debug, Default)]
pub struct Deframer {
    /// Every byte of `buf` is initialized; `buf.len()` is the initialized capacity.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Plaintext of the record most recently returned by `next_record`.
    last: Option<Range<usize>>,
    /// Application data kept in place for the reader, in order.
    retained: VecDeque<Range<usize>>,
    /// Wire length (header included) of the record most recently consumed by `next_record`,
    /// whether or not it opened: what skipped 0-RTT is counted in (RFC 8446 §4.2.10).
    last_wire_len: usize,
    /// A server skipping 0-RTT it has no key for (after a HelloRetryRequest): application_data
    /// records without a decrypter are protected records, bounded as such (2^14 + 256, RFC
    /// 8446 §5.2), not as plaintext.
    skipping_early_data: bool,
}

impl Deframer {
    /// An empty deframer (no allocation).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads from `rd` into the buffer; returns the byte count (0 means end of stream).
    ///
    /// Reads at least `MIN_READ` (4 KiB) bytes or what the record in progress still needs, and — once
    /// large records are flowing — as much as fits under [`MAX_BUFFERED_UNOPENED`].
    ///
    /// # Errors
    /// Errors from `rd`; `io::ErrorKind::Other` ("record buffer full") when
    /// [`MAX_BUFFERED_UNOPENED`] bytes are already waiting: take records out first.
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        let room = MAX_BUFFERED_UNOPENED - (self.end - self.start);
        if room == 0 {
            return Err(io::Error::other(
                "record buffer full: process records before reading more",
            ));
        }
        let needed = self.bytes_needed();
        let target = if needed > MIN_READ {
            // Bulk: a large record is on its way; read it and whatever follows in one go.
            room
        } else {
            // Use spare initialized room (no zeroing) but read at least MIN_READ.
            (self.buf.len() - self.end).max(MIN_READ).min(room)
        };
        self.make_room(target);
        let res = rd.read(&mut self.buf[self.end..self.end + target]);
        if let Ok(n) = res {
            self.end += n.min(target);
        }
        // An idle connection usually ends its read loop with WouldBlock or EOF: don't keep the
        // buffer just allocated for that read.
        self.release_if_drained();
        res
    }

    /// Appends `bytes` received some other way (sans-IO). Returns how many were taken: fewer
    /// than offered once [`MAX_BUFFERED_UNOPENED`] bytes wait; take records out, then push the rest.
    #[must_use = "bytes beyond the bound are not taken"]
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let room = MAX_BUFFERED_UNOPENED - (self.end - self.start);
        let n = bytes.len().min(room);
        if n == 0 {
            return 0;
        }
        self.make_room(n);
        self.buf[self.end..self.end + n].copy_from_slice(&bytes[..n]);
        self.end += n;
        n
    }

    /// Takes the next complete record out of the buffer, opening it in place with `dec` if
    /// given. `Ok(None)` means more bytes are needed.
    ///
    /// With a TLS 1.3 decrypter, a plaintext change_cipher_spec record is passed through
    /// unopened (RFC 8446 §5: it may arrive unencrypted during the handshake), as is a plaintext
    /// alert before the first record has been opened (a peer that failed on our ServerHello has
    /// no keys to encrypt its alert with). The caller decides whether either is allowed.
    ///
    /// The record is consumed whether or not opening succeeds; errors are fatal for the
    /// connection except a `DecryptError` during 0-RTT trial decryption (RFC 8446 §4.2.10).
    ///
    /// # Errors
    /// - `InvalidContentType`, `IllegalValue`, from the header;
    /// - `RecordTooLarge` (record_overflow) for a length over the bound of the current state,
    ///   reported as soon as the header has arrived, before the body is buffered: 2^14 for
    ///   plaintext records (RFC 8446 §5.1), 2^14 + 256 (§5.2) or 2^14 + 2048 (RFC 5246 §6.2.3)
    ///   for protected ones;
    /// - `EmptyRecord` for an empty handshake, alert or change_cipher_spec record (RFC 8446
    ///   §5.1, RFC 5246 §6.2.1);
    /// - anything [`RecordDecrypter::open_in_place`] returns.
    pub fn next_record(
        &mut self,
        dec: Option<&mut RecordDecrypter>,
    ) -> Result<Option<Record<'_>>, Error> {
        self.last = None;
        let Some(header) = RecordHeader::parse(&self.buf[self.start..self.end])? else {
            self.release_if_drained();
            return Ok(None);
        };
        let dec = dec.filter(|d| {
            !(d.is_tls13()
                && (header.typ == ContentType::ChangeCipherSpec
                    || (header.typ == ContentType::Alert && d.seq() == 0)))
        });
        let plaintext_limit =
            if self.skipping_early_data && header.typ == ContentType::ApplicationData {
                MAX_CIPHERTEXT_LEN_TLS13
            } else {
                MAX_FRAGMENT_LEN
            };
        let limit = dec
            .as_ref()
            .map_or(plaintext_limit, |d| d.max_ciphertext_len());
        let len = usize::from(header.len);
        if len > limit {
            return Err(InvalidMessage::RecordTooLarge.into());
        }
        let body_start = self.start + HEADER_LEN;
        let body_end = body_start + len;
        if body_end > self.end {
            return Ok(None);
        }
        self.start = body_end;
        self.last_wire_len = HEADER_LEN + len;
        let (typ, range) = match dec {
            None => (header.typ, body_start..body_end),
            Some(d) => {
                let (typ, r) = d.open_in_place(header, &mut self.buf[body_start..body_end])?;
                (typ, body_start + r.start..body_start + r.end)
            }
        };
        // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake
        // types"; RFC 5246 §6.2.1: nor of Alert or ChangeCipherSpec. Empty application data is
        // allowed.
        if range.is_empty() && typ != ContentType::ApplicationData {
            return Err(InvalidMessage::EmptyRecord.into());
        }
        self.last = Some(range.clone());
        Ok(Some(Record {
            typ,
            version: header.version,
            payload: &self.buf[range],
        }))
    }

    /// Wire length (header included) of the record the last `next_record` consumed, whether it
    /// opened or not.
    pub(crate) fn last_wire_len(&self) -> usize {
        self.last_wire_len
    }

    /// See the `skipping_early_data` field: set while a server skips rejected 0-RTT.
    pub(crate) fn set_skipping_early_data(&mut self, on: bool) {
        self.skipping_early_data = on;
    }

    /// Keeps the plaintext of the record just returned by [`Self::next_record`] in the buffer
    /// as application data for [`Self::app_data`] / [`Self::read_app_data`], instead of the
    /// caller copying it out. Must be called before the next `next_record`, `read_tls` or
    /// `push`; returns `false` (and does nothing) otherwise.
    pub fn retain_last_payload(&mut self) -> bool {
        match self.last.take() {
            Some(r) if !r.is_empty() => {
                self.retained.push_back(r);
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// The first contiguous piece of retained application data (empty if none).
    #[must_use]
    pub fn app_data(&self) -> &[u8] {
        self.retained
            .front()
            .and_then(|r| self.buf.get(r.clone()))
            .unwrap_or_default()
    }

    /// Marks `n` bytes of retained application data as read (at most what is retained).
    pub fn consume_app_data(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.retained.front_mut() else {
                break;
            };
            let k = n.min(front.len());
            front.start += k;
            n -= k;
            if front.start >= front.end {
                self.retained.pop_front();
            }
        }
        self.release_if_drained();
    }

    /// Copies retained application data into `out`; returns the count.
    pub fn read_app_data(&mut self, out: &mut [u8]) -> usize {
        let mut done = 0;
        while done < out.len() {
            let src = self.app_data();
            if src.is_empty() {
                break;
            }
            let k = src.len().min(out.len() - done);
            out[done..done + k].copy_from_slice(&src[..k]);
            done += k;
            self.consume_app_data(k);
        }
        done
    }

    /// Bytes of retained application data.
    #[must_use]
    pub fn app_data_len(&self) -> usize {
        self.retained.iter().map(|r| r.end - r.start).sum()
    }

    /// Bytes of the buffer pinned by retained application data: from the first retained byte to
    /// the last, with the headers, tags and padding between records. This, not
    /// [`Self::app_data_len`], is what unread plaintext costs in memory (a peer sending 1-byte
    /// records pins 22 bytes for each), so the cap on unread plaintext is checked against it.
    #[must_use]
    pub fn retained_span(&self) -> usize {
        match (self.retained.front(), self.retained.back()) {
            (Some(first), Some(last)) => last.end - first.start,
            _ => 0,
        }
    }

    /// Whether unopened bytes are buffered (at end of stream: a truncated record).
    #[must_use]
    pub fn has_unopened(&self) -> bool {
        self.start < self.end
    }

    /// Bytes of buffer memory held (for tests and memory accounting).
    #[must_use]
    #[cfg(any(test, feature = "internal"))]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// How many more bytes the record at `start` needs before it is complete (header first).
    fn bytes_needed(&self) -> usize {
        let have = self.end - self.start;
        match self.buf.get(self.start..self.end).map(RecordHeader::parse) {
            Some(Ok(Some(h))) => (HEADER_LEN + usize::from(h.len)).saturating_sub(have),
            Some(Ok(None)) => HEADER_LEN - have,
            // A bad header: `next_record` reports it; read nothing special for it.
            _ => 0,
        }
    }

    /// Ensures `buf[end..end + n]` exists, compacting (moving live bytes to the front) before
    /// growing. Invalidates `last`.
    fn make_room(&mut self, n: usize) {
        self.last = None;
        let keep_from = self.retained.front().map_or(self.start, |r| r.start);
        if keep_from == self.end {
            // Nothing live.
            self.retained.clear();
            self.start = 0;
            self.end = 0;
        } else if keep_from > 0 && self.end + n > self.buf.len() {
            self.buf.copy_within(keep_from..self.end, 0);
            for r in &mut self.retained {
                *r = r.start - keep_from..r.end - keep_from;
            }
            self.start -= keep_from;
            self.end -= keep_from;
        }
        if self.end + n > self.buf.len() {
            self.buf.resize(self.end + n, 0);
        }
    }

    /// Drops the buffer once nothing in it is live (DESIGN: idle connections hold no buffers).
    fn release_if_drained(&mut self) {
        if self.start == self.end && self.retained.is_empty() && self.last.is_none() {
            self.start = 0;
            self.end = 0;
            if self.buf.capacity() != 0 {
                self.buf = Vec::new();
                self.retained = VecDeque::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::AES_128_GCM;
    use crate::error::PeerMisbehaved;
    use crate::record::RecordEncrypter;
    use crate::testdata::rfc8448;

    fn keys() -> (RecordEncrypter, RecordDecrypter) {
        let k = rfc8448("s3.client_application_key");
        let iv = rfc8448("s3.client_application_iv");
        (
            RecordEncrypter::tls13(&AES_128_GCM, &k, &iv).unwrap(),
            RecordDecrypter::tls13(&AES_128_GCM, &k, &iv).unwrap(),
        )
    }

    fn plain(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![typ, 3, 3];
        v.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn rfc8448_client_hello_record_passes_through() {
        let rec = rfc8448("s3.client_hello_record");
        let mut d = Deframer::new();
        assert_eq!(d.push(&rec), rec.len());
        let r = d.next_record(None).unwrap().unwrap();
        assert_eq!(r.typ, ContentType::Handshake);
        assert_eq!(r.version, ProtocolVersion::TLSv1_0);
        assert_eq!(r.payload, &rfc8448("s3.client_hello")[..]);
        assert_eq!(d.next_record(None).unwrap(), None);
        assert_eq!(d.capacity(), 0, "drained buffer is released");
    }

    #[test]
    fn rfc8448_server_flight_split_at_every_byte() {
        // ServerHello (plaintext), CCS (plaintext, RFC 8446 §5 compatibility), then the
        // encrypted server handshake record: split at every possible point.
        let ccs = plain(20, &[1]);
        let stream: Vec<u8> = [
            rfc8448("s3.server_hello_record"),
            ccs,
            rfc8448("s3.server_handshake_record"),
        ]
        .concat();
        let hs: Vec<u8> = [
            "s3.encrypted_extensions",
            "s3.certificate",
            "s3.certificate_verify",
            "s3.server_finished",
        ]
        .iter()
        .flat_map(|n| rfc8448(n))
        .collect();
        for cut in 0..=stream.len() {
            let mut d = Deframer::new();
            let mut dec = None;
            let mut got = Vec::new();
            for part in [&stream[..cut], &stream[cut..]] {
                assert_eq!(d.push(part), part.len());
                while let Some(r) = d.next_record(dec.as_mut()).unwrap() {
                    got.push((r.typ, r.payload.to_vec()));
                    if r.typ == ContentType::Handshake && dec.is_none() {
                        // After ServerHello: install the server handshake key.
                        dec = Some(
                            RecordDecrypter::tls13(
                                &AES_128_GCM,
                                &rfc8448("s3.server_handshake_key"),
                                &rfc8448("s3.server_handshake_iv"),
                            )
                            .unwrap(),
                        );
                    }
                }
            }
            assert_eq!(
                got,
                vec![
                    (ContentType::Handshake, rfc8448("s3.server_hello")),
                    (ContentType::ChangeCipherSpec, vec![1]),
                    (ContentType::Handshake, hs.clone()),
                ],
                "cut at {cut}"
            );
            assert!(!d.has_unopened());
            assert_eq!(d.capacity(), 0);
        }
    }

    #[test]
    fn byte_at_a_time_through_read_tls() {
        let (mut e, mut dec) = keys();
        let mut wire = Vec::new();
        for i in 0..5u8 {
            e.seal_record(ContentType::ApplicationData, &[i; 300], &mut wire)
                .unwrap();
        }
        struct OneByte<'a>(&'a [u8]);
        impl io::Read for OneByte<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let Some((b, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                out[0] = *b;
                self.0 = rest;
                Ok(1)
            }
        }
        let mut rd = OneByte(&wire);
        let mut d = Deframer::new();
        let mut n = 0u8;
        while d.read_tls(&mut rd).unwrap() == 1 {
            while let Some(r) = d.next_record(Some(&mut dec)).unwrap() {
                assert_eq!(r.payload, &[n; 300][..]);
                n += 1;
            }
        }
        assert_eq!(n, 5);
    }

    #[test]
    fn oversize_header_rejected_before_body_arrives() {
        let mut d = Deframer::new();
        // 2^14 + 1 in a plaintext record: record_overflow with only the header buffered.
        assert!(d.push(&[22, 3, 3, 0x40, 0x01]) > 0);
        assert_eq!(
            d.next_record(None),
            Err(InvalidMessage::RecordTooLarge.into())
        );
        // 2^14 is fine (and incomplete).
        let mut d = Deframer::new();
        assert!(d.push(&[22, 3, 3, 0x40, 0x00]) > 0);
        assert_eq!(d.next_record(None), Ok(None));
        // TLS 1.3 protected: 2^14 + 256 ok, + 257 not.
        let (_, mut dec) = keys();
        let mut d = Deframer::new();
        assert!(d.push(&[23, 3, 3, 0x41, 0x00]) > 0);
        assert_eq!(d.next_record(Some(&mut dec)), Ok(None));
        let mut d = Deframer::new();
        assert!(d.push(&[23, 3, 3, 0x41, 0x01]) > 0);
        assert_eq!(
            d.next_record(Some(&mut dec)),
            Err(InvalidMessage::RecordTooLarge.into())
        );
        // Any state: over 2^14 + 2048.
        let mut d = Deframer::new();
        assert!(d.push(&[23, 3, 3, 0x48, 0x01]) > 0);
        assert_eq!(
            d.next_record(None).map(|_| ()),
            Err(crate::error::Error::InvalidMessage(
                crate::error::InvalidMessage::RecordTooLarge
            ))
        );
    }

    #[test]
    fn empty_records() {
        for t in [20u8, 21, 22] {
            let mut d = Deframer::new();
            assert!(d.push(&plain(t, &[])) > 0);
            assert_eq!(d.next_record(None), Err(InvalidMessage::EmptyRecord.into()));
        }
        let mut d = Deframer::new();
        assert!(d.push(&plain(23, &[])) > 0);
        assert_eq!(d.next_record(None).unwrap().unwrap().payload, b"");
        // Protected empty handshake (type byte only) is rejected too.
        let (mut e, mut dec) = keys();
        let mut wire = Vec::new();
        e.seal_record(ContentType::Handshake, &[], &mut wire)
            .unwrap();
        let mut d = Deframer::new();
        assert!(d.push(&wire) > 0);
        assert_eq!(
            d.next_record(Some(&mut dec)),
            Err(InvalidMessage::EmptyRecord.into())
        );
    }

    #[test]
    fn flipped_bit_is_decrypt_error_and_padding_only_is_rejected() {
        let (mut e, mut dec) = keys();
        let mut wire = Vec::new();
        e.seal_record(ContentType::ApplicationData, b"data", &mut wire)
            .unwrap();
        wire[HEADER_LEN + 2] ^= 0x80;
        let mut d = Deframer::new();
        assert!(d.push(&wire) > 0);
        assert_eq!(d.next_record(Some(&mut dec)), Err(Error::DecryptError));

        // A record whose TLSInnerPlaintext is all zeros.
        let (_, mut dec) = keys();
        let k = rfc8448("s3.client_application_key");
        let iv = rfc8448("s3.client_application_iv");
        let key = crate::crypto::Aead::key(&AES_128_GCM, &k).unwrap();
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&iv);
        let header = [23, 3, 3, 0, 20];
        let mut body = vec![0u8; 4];
        let tag = key.seal_in_place(&nonce, &header, &mut body).unwrap();
        let wire = [&header[..], &body, &tag].concat();
        let mut d = Deframer::new();
        assert!(d.push(&wire) > 0);
        assert_eq!(
            d.next_record(Some(&mut dec)),
            Err(PeerMisbehaved::NoInnerContentType.into())
        );
    }

    #[test]
    fn tls13_plaintext_ccs_and_early_alert_pass_through() {
        let (mut e, mut dec) = keys();
        let mut wire = plain(21, &[2, 40]);
        wire.extend_from_slice(&plain(20, &[1]));
        e.seal_record(ContentType::Handshake, b"fin", &mut wire)
            .unwrap();
        // After the first opened record a plaintext alert is no longer accepted as such.
        wire.extend_from_slice(&plain(21, &[2, 40]));
        let mut d = Deframer::new();
        assert!(d.push(&wire) > 0);
        let r = d.next_record(Some(&mut dec)).unwrap().unwrap();
        assert_eq!((r.typ, r.payload), (ContentType::Alert, &[2u8, 40][..]));
        let r = d.next_record(Some(&mut dec)).unwrap().unwrap();
        assert_eq!(r.typ, ContentType::ChangeCipherSpec);
        let r = d.next_record(Some(&mut dec)).unwrap().unwrap();
        assert_eq!((r.typ, r.payload), (ContentType::Handshake, &b"fin"[..]));
        assert!(matches!(
            d.next_record(Some(&mut dec)),
            Err(Error::InappropriateMessage { .. })
        ));
    }

    #[test]
    fn retained_app_data_survives_compaction() {
        let (mut e, mut dec) = keys();
        let mut wire = Vec::new();
        let chunks: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 10_000]).collect();
        for c in &chunks {
            e.seal_record(ContentType::ApplicationData, c, &mut wire)
                .unwrap();
        }
        let mut d = Deframer::new();
        let mut rd = &wire[..];
        let mut out = Vec::new();
        loop {
            // Open and retain everything available, read half of it, repeat.
            while let Some(_r) = d.next_record(Some(&mut dec)).unwrap() {
                assert!(d.retain_last_payload());
            }
            let mut tmp = vec![0u8; d.app_data_len() / 2 + 1];
            let n = d.read_app_data(&mut tmp);
            out.extend_from_slice(&tmp[..n]);
            match d.read_tls(&mut rd) {
                Ok(0) if d.app_data_len() == 0 => break,
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
            assert!(d.end - d.start <= MAX_BUFFERED_UNOPENED);
        }
        assert_eq!(out, chunks.concat());
        assert_eq!(d.capacity(), 0, "released once drained");
    }

    #[test]
    fn would_block_leaves_no_buffer_behind() {
        struct Blocked;
        impl io::Read for Blocked {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
        let mut d = Deframer::new();
        assert_eq!(
            d.read_tls(&mut Blocked).map(|_| ()).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock)
        );
        assert_eq!(d.capacity(), 0);
        // A partial record is kept, of course.
        assert!(d.push(&[22, 3, 3, 0, 10, 1]) > 0);
        assert_eq!(
            d.read_tls(&mut Blocked).map(|_| ()).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock)
        );
        assert!(d.has_unopened());
        assert_eq!(d.next_record(None), Ok(None));
    }

    #[test]
    fn buffer_bound_is_enforced() {
        let mut d = Deframer::new();
        // A valid but incomplete max-size record, then more: push stops at the bound.
        let big = vec![0u8; MAX_BUFFERED_UNOPENED + 100];
        assert_eq!(d.push(&big), MAX_BUFFERED_UNOPENED);
        assert_eq!(d.push(&[1]), 0);
        assert_eq!(
            d.read_tls(&mut &[1u8, 2, 3][..])
                .map(|_| ())
                .map_err(|e| e.kind()),
            Err(std::io::ErrorKind::Other)
        );
    }

    #[test]
    fn bulk_reads_take_several_records_at_once() {
        let (mut e, mut dec) = keys();
        let mut wire = Vec::new();
        for _ in 0..8 {
            e.seal_record(
                ContentType::ApplicationData,
                &[7; MAX_FRAGMENT_LEN],
                &mut wire,
            )
            .unwrap();
        }
        let mut rd = &wire[..];
        let mut d = Deframer::new();
        let mut reads = 0;
        let mut records = 0;
        while d.read_tls(&mut rd).unwrap() > 0 {
            reads += 1;
            while let Some(r) = d.next_record(Some(&mut dec)).unwrap() {
                assert_eq!(r.payload.len(), MAX_FRAGMENT_LEN);
                records += 1;
            }
        }
        assert_eq!(records, 8);
        // 8 records of 16,406 bytes: well under one read per record after the first.
        assert!(reads <= 6, "{reads} reads");
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..3000),
                                    cut in 0usize..3000) {
                let (_, mut dec) = keys();
                for with_dec in [false, true] {
                    let mut d = Deframer::new();
                    let cut = cut.min(data.len());
                    for part in [&data[..cut], &data[cut..]] {
                        let _ = d.push(part);
                        loop {
                            let dd = if with_dec { Some(&mut dec) } else { None };
                            match d.next_record(dd) {
                                Ok(Some(_)) => { d.retain_last_payload(); }
                                Ok(None) | Err(_) => break,
                            }
                        }
                        let mut sink = [0u8; 64];
                        d.read_app_data(&mut sink);
                    }
                }
            }

            #[test]
            fn plaintext_records_reassemble_at_any_split(
                bodies in proptest::collection::vec(
                    proptest::collection::vec(any::<u8>(), 1..600), 1..6),
                cuts in proptest::collection::vec(0usize..4000, 0..5)) {
                let wire: Vec<u8> = bodies.iter().flat_map(|b| plain(22, b)).collect();
                let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(wire.len())).collect();
                cuts.push(0);
                cuts.push(wire.len());
                cuts.sort_unstable();
                let mut d = Deframer::new();
                let mut got = Vec::new();
                for w in cuts.windows(2) {
                    assert_eq!(d.push(&wire[w[0]..w[1]]), w[1] - w[0]);
                    while let Some(r) = d.next_record(None).unwrap() {
                        got.push(r.payload.to_vec());
                    }
                }
                prop_assert_eq!(got, bodies);
            }
        }
    }
}
