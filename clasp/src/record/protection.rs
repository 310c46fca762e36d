//! Record protection: AEAD seal and open for one direction of one connection.
//!
//! TLS 1.3 (RFC 8446 §5.2–5.4): nonce = IV xor sequence number; the plaintext is
//! `TLSInnerPlaintext` = content ‖ real type ‖ zero padding; the AAD is the record header.
//! TLS 1.2 (RFC 5246 §6.2.3.3): AAD = seq_num ‖ type ‖ version ‖ plaintext length; AES-GCM
//! carries an 8-byte explicit nonce in the record (RFC 5288 §3), ChaCha20-Poly1305 uses
//! IV xor sequence number with no explicit part (RFC 7905 §2).
//!
//! The AEAD key is expanded once, in the constructor; sealing and opening work in place.
//! Sequence numbers never wrap (RFC 8446 §5.3).

use core::fmt;
use core::ops::Range;

use zeroize::Zeroize;

use super::{
    RecordHeader, HEADER_LEN, MAX_CIPHERTEXT_LEN_TLS12, MAX_CIPHERTEXT_LEN_TLS13, MAX_FRAGMENT_LEN,
};
use crate::crypto::{Aead, AeadAlgorithm, AeadKey};
use crate::error::{Error, InternalError, PeerMisbehaved};
use crate::msgs::enums::{ContentType, ProtocolVersion};

const TAG_LEN: usize = AeadAlgorithm::TAG_LEN;
const NONCE_LEN: usize = AeadAlgorithm::NONCE_LEN;
/// RFC 5288 §3: `nonce_explicit` is 8 bytes, `salt` (the implicit part) 4 bytes.
const GCM_EXPLICIT_LEN: usize = 8;
const GCM_SALT_LEN: usize = 4;

/// Which record format the keys are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// RFC 8446 §5.2.
    Tls13,
    /// RFC 5288: AES-GCM with an explicit nonce.
    Tls12Gcm,
    /// RFC 7905: ChaCha20-Poly1305, IV xor seq.
    Tls12Chacha,
}

/// What both directions share: the expanded key, the IV and the sequence number.
struct Cipher {
    key: Box<dyn AeadKey>,
    /// The full 12-byte IV (TLS 1.3, TLS 1.2 ChaCha20), or the 4-byte salt in the first bytes
    /// (TLS 1.2 AES-GCM).
    iv: [u8; NONCE_LEN],
    format: Format,
    algorithm: AeadAlgorithm,
    seq: u64,
}

impl Cipher {
    fn new(aead: &dyn Aead, key: &[u8], iv: &[u8], tls13: bool) -> Result<Self, Error> {
        let algorithm = aead.algorithm();
        let format = match (tls13, algorithm) {
            (true, _) => Format::Tls13,
            (false, AeadAlgorithm::ChaCha20Poly1305) => Format::Tls12Chacha,
            (false, _) => Format::Tls12Gcm,
        };
        let iv_len = match format {
            Format::Tls12Gcm => GCM_SALT_LEN,
            Format::Tls13 | Format::Tls12Chacha => NONCE_LEN,
        };
        // A wrong IV length is a bug in the key schedule, not peer input.
        if iv.len() != iv_len {
            return Err(InternalError::Crypto.into());
        }
        let mut full_iv = [0u8; NONCE_LEN];
        full_iv[..iv_len].copy_from_slice(iv);
        Ok(Self {
            key: aead.key(key)?,
            iv: full_iv,
            format,
            algorithm,
            seq: 0,
        })
    }

    /// The sequence number for the next record, refusing to reach 2^64 - 1 so that the
    /// increment after use can never wrap (RFC 8446 §5.3: "MUST NOT wrap").
    fn current_seq(&self) -> Result<u64, Error> {
        if self.seq == u64::MAX {
            return Err(InternalError::SequenceNumberExhausted.into());
        }
        Ok(self.seq)
    }

    /// RFC 8446 §5.3 / RFC 7905 §2: the 64-bit sequence number, big-endian, left-padded to 12
    /// bytes and xored with the IV. RFC 5288 §3: salt ‖ explicit nonce (we use seq as explicit).
    fn nonce(&self, seq: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        let s = seq.to_be_bytes();
        match self.format {
            Format::Tls13 | Format::Tls12Chacha => {
                for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(s) {
                    *n ^= s;
                }
            }
            Format::Tls12Gcm => nonce[GCM_SALT_LEN..].copy_from_slice(&s),
        }
        nonce
    }

    /// RFC 8446 §5.5 key-usage limits, in records: AES-GCM 2^24.5 full-size records;
    /// ChaCha20-Poly1305's limit is above 2^64, so the sequence number bound applies.
    fn confidentiality_limit(&self) -> u64 {
        match (self.format, self.algorithm) {
            (Format::Tls13, AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm) => 23_726_566,
            _ => u64::MAX,
        }
    }

    /// Rust heap held: the boxed AEAD key (aws-lc's own context behind it is C heap).
    #[cfg(feature = "internal")]
    fn heap_size(&self) -> usize {
        core::mem::size_of_val(&*self.key)
    }

    /// Debug output for the wrapper called `name`: format, algorithm and sequence number, never
    /// the key or IV.
    fn fmt_as(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        f.debug_struct(name)
            .field("format", &self.format)
            .field("algorithm", &self.algorithm)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Drop for Cipher {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

/// RFC 5246 §6.2.3.3: `additional_data = seq_num + TLSCompressed.type + TLSCompressed.version +
/// TLSCompressed.length`.
fn tls12_aad(seq: u64, typ: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8] = typ.0;
    aad[9..11].copy_from_slice(&version.0.to_be_bytes());
    // `len` is at most 2^14 (checked by callers); the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    aad[11..13].copy_from_slice(&(len as u16).to_be_bytes());
    aad
}

/// Opens records received from the peer.
pub struct RecordDecrypter(Cipher);

impl RecordDecrypter {
    /// Rust heap held: the boxed AEAD key (aws-lc's own context behind it is C heap).
    #[cfg(feature = "internal")]
    pub(crate) fn heap_size(&self) -> usize {
        self.0.heap_size()
    }

    /// A TLS 1.3 decrypter from a traffic key and 12-byte IV (RFC 8446 §7.3).
    ///
    /// # Errors
    /// `Internal(Crypto)` if the key or IV length does not fit the AEAD.
    pub(crate) fn tls13(aead: &dyn Aead, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Cipher::new(aead, key, iv, true).map(Self)
    }

    /// A TLS 1.2 decrypter from the key block's write key and write IV (RFC 5246 §6.3): the IV is
    /// the 4-byte salt for AES-GCM (RFC 5288 §3), 12 bytes for ChaCha20-Poly1305 (RFC 7905 §2).
    ///
    /// # Errors
    /// `Internal(Crypto)` if the key or IV length does not fit the AEAD.
    pub(crate) fn tls12(aead: &dyn Aead, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Cipher::new(aead, key, iv, false).map(Self)
    }

    /// Whether this decrypter uses the TLS 1.3 record format.
    #[must_use]
    pub fn is_tls13(&self) -> bool {
        self.0.format == Format::Tls13
    }

    /// Number of records opened so far (the next record's sequence number).
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.0.seq
    }

    /// The largest record body this decrypter accepts (RFC 8446 §5.2, RFC 5246 §6.2.3).
    #[must_use]
    pub fn max_ciphertext_len(&self) -> usize {
        match self.0.format {
            Format::Tls13 => MAX_CIPHERTEXT_LEN_TLS13,
            Format::Tls12Gcm | Format::Tls12Chacha => MAX_CIPHERTEXT_LEN_TLS12,
        }
    }

    /// Opens the record whose header is `header` and whose body is `payload`, in place.
    ///
    /// Returns the real content type and where the plaintext lies inside `payload`. The
    /// sequence number advances only on success, so a failed trial decryption (rejected 0-RTT,
    /// RFC 8446 §4.2.10) leaves the decrypter usable.
    ///
    /// # Errors
    /// - `DecryptError` (`bad_record_mac`) if authentication fails;
    /// - `RecordOverflow` if the plaintext is over the limit;
    /// - TLS 1.3: `PeerMisbehaved::NoInnerContentType` for an all-zero plaintext,
    ///   `InappropriateMessage` for an outer type other than application_data or an inner type
    ///   that may not be encrypted;
    /// - `Internal(SequenceNumberExhausted)`.
    pub fn open_in_place(
        &mut self,
        header: RecordHeader,
        payload: &mut [u8],
    ) -> Result<(ContentType, Range<usize>), Error> {
        let c = &mut self.0;
        let seq = c.current_seq()?;
        let out = match c.format {
            Format::Tls13 => {
                // RFC 8446 §5.2: "The outer opaque_type field of a TLSCiphertext record is always
                // set to the value 23 (application_data)".
                if header.typ != ContentType::ApplicationData {
                    return Err(Error::InappropriateMessage {
                        expected: &[ContentType::ApplicationData],
                        got: header.typ,
                    });
                }
                // RFC 8446 §5.2: additional_data = the record header as received.
                let aad = header.encode();
                let len = c
                    .key
                    .open_in_place(&c.nonce(seq), &aad, payload)
                    .map_err(|_| Error::DecryptError)?;
                let plain = payload.get(..len).ok_or(Error::DecryptError)?;
                // RFC 8446 §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1
                // octets" (record_overflow).
                if plain.len() > MAX_FRAGMENT_LEN + 1 {
                    return Err(Error::RecordOverflow);
                }
                // RFC 8446 §5.4: the content type is the last non-zero byte; "If a receiving
                // implementation does not find a non-zero octet in the cleartext, it MUST
                // terminate the connection with an unexpected_message alert."
                let Some(pos) = plain.iter().rposition(|b| *b != 0) else {
                    return Err(PeerMisbehaved::NoInnerContentType.into());
                };
                let typ = ContentType(plain[pos]);
                // RFC 8446 §5: change_cipher_spec is never encrypted; an unknown type is fatal.
                if !matches!(
                    typ,
                    ContentType::Alert | ContentType::Handshake | ContentType::ApplicationData
                ) {
                    return Err(Error::InappropriateMessage {
                        expected: &[
                            ContentType::Alert,
                            ContentType::Handshake,
                            ContentType::ApplicationData,
                        ],
                        got: typ,
                    });
                }
                (typ, 0..pos)
            }
            Format::Tls12Gcm | Format::Tls12Chacha => {
                let explicit = if c.format == Format::Tls12Gcm {
                    GCM_EXPLICIT_LEN
                } else {
                    0
                };
                let Some(plain_len) = payload.len().checked_sub(explicit + TAG_LEN) else {
                    return Err(Error::DecryptError);
                };
                // RFC 5246 §6.2.1-6.2.3: no compression, so the plaintext is at most 2^14.
                if plain_len > MAX_FRAGMENT_LEN {
                    return Err(Error::RecordOverflow);
                }
                let nonce = if c.format == Format::Tls12Gcm {
                    // RFC 5288 §3: nonce = salt ‖ nonce_explicit (from the record).
                    let mut n = c.iv;
                    n[GCM_SALT_LEN..].copy_from_slice(&payload[..GCM_EXPLICIT_LEN]);
                    n
                } else {
                    c.nonce(seq)
                };
                let aad = tls12_aad(seq, header.typ, header.version, plain_len);
                let body = &mut payload[explicit..];
                let len = c
                    .key
                    .open_in_place(&nonce, &aad, body)
                    .map_err(|_| Error::DecryptError)?;
                if len != plain_len {
                    return Err(Error::DecryptError);
                }
                (header.typ, explicit..explicit + plain_len)
            }
        };
        c.seq = seq + 1;
        Ok(out)
    }
}

impl fmt::Debug for RecordDecrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_as(f, "RecordDecrypter")
    }
}

/// Seals records we send.
pub struct RecordEncrypter(Cipher);

impl RecordEncrypter {
    /// Rust heap held: the boxed AEAD key (aws-lc's own context behind it is C heap).
    #[cfg(feature = "internal")]
    pub(crate) fn heap_size(&self) -> usize {
        self.0.heap_size()
    }

    /// A TLS 1.3 encrypter from a traffic key and 12-byte IV (RFC 8446 §7.3).
    ///
    /// # Errors
    /// `Internal(Crypto)` if the key or IV length does not fit the AEAD.
    pub(crate) fn tls13(aead: &dyn Aead, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Cipher::new(aead, key, iv, true).map(Self)
    }

    /// A TLS 1.2 encrypter; the IV is the 4-byte salt for AES-GCM, 12 bytes for ChaCha20.
    ///
    /// # Errors
    /// `Internal(Crypto)` if the key or IV length does not fit the AEAD.
    pub(crate) fn tls12(aead: &dyn Aead, key: &[u8], iv: &[u8]) -> Result<Self, Error> {
        Cipher::new(aead, key, iv, false).map(Self)
    }

    /// Whether this encrypter uses the TLS 1.3 record format.
    #[must_use]
    #[cfg(test)]
    pub fn is_tls13(&self) -> bool {
        self.0.format == Format::Tls13
    }

    /// Number of records sealed so far (the next record's sequence number).
    #[must_use]
    #[cfg(test)]
    pub fn seq(&self) -> u64 {
        self.0.seq
    }

    /// Whether the key has protected enough records that the connection should send a
    /// KeyUpdate (RFC 8446 §5.5: AES-GCM keys are good for 2^24.5 full-size records; we ask for
    /// an update well before, at half of that).
    #[must_use]
    pub fn wants_key_update(&self) -> bool {
        self.0.seq >= self.0.confidentiality_limit() / 2
    }

    /// Bytes on the wire for one record carrying `plain_len` bytes, header included.
    #[must_use]
    pub fn record_len(&self, plain_len: usize) -> usize {
        HEADER_LEN
            + plain_len
            + TAG_LEN
            + match self.0.format {
                Format::Tls13 => 1,
                Format::Tls12Gcm => GCM_EXPLICIT_LEN,
                Format::Tls12Chacha => 0,
            }
    }

    /// Appends one protected record carrying `payload` (at most 2^14 bytes) of type `typ` to
    /// `out`, sealing in place: header room, plaintext, inner type, seal, tag, header patch.
    /// No allocation beyond growing `out`.
    ///
    /// # Errors
    /// `Internal(SequenceNumberExhausted)`; `EncryptError` if the provider fails or the payload
    /// is over 2^14 (a caller bug: [`super::SendBuffer`] fragments first).
    pub fn seal_record(
        &mut self,
        typ: ContentType,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if payload.len() > MAX_FRAGMENT_LEN {
            return Err(Error::EncryptError);
        }
        let c = &mut self.0;
        let seq = c.current_seq()?;
        let start = out.len();
        let total = self.record_len(payload.len());
        let c = &mut self.0;
        out.reserve(total);
        // The length field is patched below; the body length is at most 2^14 + 256 + 8.
        #[allow(clippy::cast_possible_truncation)]
        let body_len = (total - HEADER_LEN) as u16;
        let (outer_type, aad): (ContentType, [u8; 13]) = match c.format {
            Format::Tls13 => {
                // RFC 8446 §5.2: opaque_type 23, legacy_record_version 0x0303, and the AAD is
                // exactly this header.
                let header = RecordHeader {
                    typ: ContentType::ApplicationData,
                    version: ProtocolVersion::TLSv1_2,
                    len: body_len,
                };
                let mut aad = [0u8; 13];
                aad[..HEADER_LEN].copy_from_slice(&header.encode());
                (ContentType::ApplicationData, aad)
            }
            Format::Tls12Gcm | Format::Tls12Chacha => (
                typ,
                tls12_aad(seq, typ, ProtocolVersion::TLSv1_2, payload.len()),
            ),
        };
        let header = RecordHeader {
            typ: outer_type,
            version: ProtocolVersion::TLSv1_2,
            len: body_len,
        };
        out.extend_from_slice(&header.encode());
        let aad_len = match c.format {
            Format::Tls13 => HEADER_LEN,
            Format::Tls12Gcm | Format::Tls12Chacha => 13,
        };
        if c.format == Format::Tls12Gcm {
            // RFC 5288 §3: "The nonce_explicit MAY be the 64-bit sequence number."
            out.extend_from_slice(&seq.to_be_bytes());
        }
        let sealed_from = out.len();
        out.extend_from_slice(payload);
        if c.format == Format::Tls13 {
            // TLSInnerPlaintext: content ‖ type ‖ zeros (we add no padding).
            out.push(typ.0);
        }
        let tag = c
            .key
            .seal_in_place(&c.nonce(seq), &aad[..aad_len], &mut out[sealed_from..])
            .map_err(|_| {
                out.truncate(start);
                Error::EncryptError
            })?;
        out.extend_from_slice(&tag);
        debug_assert_eq!(out.len() - start, total);
        c.seq = seq + 1;
        Ok(())
    }
}

impl fmt::Debug for RecordEncrypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_as(f, "RecordEncrypter")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::{AES_128_GCM, CHACHA20_POLY1305};
    use crate::testdata::hex;
    use crate::testdata::rfc8448;

    fn split(record: &[u8]) -> (RecordHeader, Vec<u8>) {
        let h = RecordHeader::parse(record).unwrap().unwrap();
        assert_eq!(usize::from(h.len), record.len() - HEADER_LEN);
        (h, record[HEADER_LEN..].to_vec())
    }

    fn dec13(key: &str, iv: &str) -> RecordDecrypter {
        RecordDecrypter::tls13(&AES_128_GCM, &rfc8448(key), &rfc8448(iv)).unwrap()
    }

    fn enc13(key: &str, iv: &str) -> RecordEncrypter {
        RecordEncrypter::tls13(&AES_128_GCM, &rfc8448(key), &rfc8448(iv)).unwrap()
    }

    /// Opens an RFC 8448 record at `seq`, checks the plaintext, then reseals it at the same
    /// sequence number and checks the record comes out byte for byte.
    fn rfc8448_round_trip(
        record: &str,
        key: &str,
        iv: &str,
        seq: u64,
        typ: ContentType,
        plaintext: &[u8],
    ) {
        let record = rfc8448(record);
        let (h, mut body) = split(&record);
        let mut d = dec13(key, iv);
        d.0.seq = seq;
        let (t, range) = d.open_in_place(h, &mut body).unwrap();
        assert_eq!(t, typ);
        assert_eq!(&body[range], plaintext);
        assert_eq!(d.seq(), seq + 1);

        let mut e = enc13(key, iv);
        e.0.seq = seq;
        let mut out = Vec::new();
        e.seal_record(typ, plaintext, &mut out).unwrap();
        assert_eq!(out, record);
    }

    #[test]
    fn rfc8448_s3_server_handshake_record() {
        // RFC 8448 §3: EE, Certificate, CertificateVerify, Finished in one record, seq 0 under
        // the server handshake key.
        let msgs: Vec<u8> = [
            "s3.encrypted_extensions",
            "s3.certificate",
            "s3.certificate_verify",
            "s3.server_finished",
        ]
        .iter()
        .flat_map(|n| rfc8448(n))
        .collect();
        rfc8448_round_trip(
            "s3.server_handshake_record",
            "s3.server_handshake_key",
            "s3.server_handshake_iv",
            0,
            ContentType::Handshake,
            &msgs,
        );
    }

    #[test]
    fn rfc8448_s3_client_finished_record() {
        rfc8448_round_trip(
            "s3.client_finished_record",
            "s3.client_handshake_key",
            "s3.client_handshake_iv",
            0,
            ContentType::Handshake,
            &rfc8448("s3.client_finished"),
        );
    }

    #[test]
    fn rfc8448_s3_new_session_ticket_record() {
        rfc8448_round_trip(
            "s3.new_session_ticket_record",
            "s3.server_application_key",
            "s3.server_application_iv",
            0,
            ContentType::Handshake,
            &rfc8448("s3.new_session_ticket"),
        );
    }

    #[test]
    fn rfc8448_s3_application_data_records() {
        // Client: seq 0 under the client application key. Server: seq 1 (after the NST).
        let data = rfc8448("s3.application_data");
        rfc8448_round_trip(
            "s3.client_application_data_record",
            "s3.client_application_key",
            "s3.client_application_iv",
            0,
            ContentType::ApplicationData,
            &data,
        );
        rfc8448_round_trip(
            "s3.server_application_data_record",
            "s3.server_application_key",
            "s3.server_application_iv",
            1,
            ContentType::ApplicationData,
            &data,
        );
    }

    #[test]
    fn rfc8448_s3_alert_records() {
        // close_notify (warning(1), close_notify(0)): client seq 1, server seq 2.
        rfc8448_round_trip(
            "s3.client_alert_record",
            "s3.client_application_key",
            "s3.client_application_iv",
            1,
            ContentType::Alert,
            &[1, 0],
        );
        rfc8448_round_trip(
            "s3.server_alert_record",
            "s3.server_application_key",
            "s3.server_application_iv",
            2,
            ContentType::Alert,
            &[1, 0],
        );
    }

    #[test]
    fn tls13_flipped_bit_is_bad_record_mac() {
        let record = rfc8448("s3.client_finished_record");
        for i in HEADER_LEN..record.len() {
            let mut r = record.clone();
            r[i] ^= 0x01;
            let (h, mut body) = split(&r);
            let mut d = dec13("s3.client_handshake_key", "s3.client_handshake_iv");
            assert_eq!(d.open_in_place(h, &mut body), Err(Error::DecryptError));
            assert_eq!(d.seq(), 0, "a failed open must not advance seq");
        }
        // The header is authenticated too (RFC 8446 §5.2): change legacy_record_version.
        let mut r = record;
        r[2] = 1;
        let (h, mut body) = split(&r);
        let mut d = dec13("s3.client_handshake_key", "s3.client_handshake_iv");
        assert_eq!(d.open_in_place(h, &mut body), Err(Error::DecryptError));
    }

    #[test]
    fn tls13_wrong_seq_fails() {
        let record = rfc8448("s3.client_finished_record");
        let (h, mut body) = split(&record);
        let mut d = dec13("s3.client_handshake_key", "s3.client_handshake_iv");
        d.0.seq = 1;
        assert_eq!(d.open_in_place(h, &mut body), Err(Error::DecryptError));
    }

    /// Seals a raw TLSInnerPlaintext (to build records our encrypter would never make).
    fn seal_raw13(e: &mut RecordEncrypter, inner: &[u8]) -> Vec<u8> {
        let seq = e.0.seq;
        let header = RecordHeader {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            len: u16::try_from(inner.len() + TAG_LEN).unwrap(),
        };
        let mut body = inner.to_vec();
        let tag =
            e.0.key
                .seal_in_place(&e.0.nonce(seq), &header.encode(), &mut body)
                .unwrap();
        body.extend_from_slice(&tag);
        e.0.seq += 1;
        let mut out = header.encode().to_vec();
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn tls13_padding_is_stripped_and_all_zero_is_rejected() {
        let (k, iv) = ("s3.client_application_key", "s3.client_application_iv");
        let mut e = enc13(k, iv);
        let mut d = dec13(k, iv);
        // content "hi", type handshake, 5 bytes of padding (RFC 8446 §5.4).
        let r = seal_raw13(&mut e, &[b'h', b'i', 22, 0, 0, 0, 0, 0]);
        let (h, mut body) = split(&r);
        let (t, range) = d.open_in_place(h, &mut body).unwrap();
        assert_eq!((t, &body[range]), (ContentType::Handshake, &b"hi"[..]));
        // Padding only: unexpected_message (RFC 8446 §5.4).
        let r = seal_raw13(&mut e, &[0; 10]);
        let (h, mut body) = split(&r);
        let err = d.open_in_place(h, &mut body).unwrap_err();
        assert_eq!(err, PeerMisbehaved::NoInnerContentType.into());
        assert_eq!(
            crate::msgs::enums::AlertDescription::from(&err),
            crate::msgs::enums::AlertDescription::UnexpectedMessage
        );
    }

    #[test]
    fn tls13_inner_ccs_and_unknown_types_are_rejected() {
        let (k, iv) = ("s3.client_application_key", "s3.client_application_iv");
        let mut e = enc13(k, iv);
        let mut d = dec13(k, iv);
        for t in [20u8, 24, 99] {
            let r = seal_raw13(&mut e, &[1, t]);
            let (h, mut body) = split(&r);
            assert!(matches!(
                d.open_in_place(h, &mut body),
                Err(Error::InappropriateMessage { got, .. }) if got == ContentType(t)
            ));
            d.0.seq += 1; // the failure did not advance it
        }
    }

    #[test]
    fn tls13_oversize_inner_plaintext_is_record_overflow() {
        let (k, iv) = ("s3.client_application_key", "s3.client_application_iv");
        let mut e = enc13(k, iv);
        let mut d = dec13(k, iv);
        // 2^14 + 1 bytes of TLSInnerPlaintext is the maximum (RFC 8446 §5.4) ...
        let mut inner = vec![7u8; MAX_FRAGMENT_LEN];
        inner.push(23);
        let r = seal_raw13(&mut e, &inner);
        let (h, mut body) = split(&r);
        assert!(d.open_in_place(h, &mut body).is_ok());
        // ... one more byte (even of padding) is record_overflow.
        inner.push(0);
        let r = seal_raw13(&mut e, &inner);
        let (h, mut body) = split(&r);
        assert_eq!(d.open_in_place(h, &mut body), Err(Error::RecordOverflow));
    }

    #[test]
    fn tls13_outer_type_must_be_application_data() {
        let mut record = rfc8448("s3.client_finished_record");
        record[0] = 22;
        let (h, mut body) = split(&record);
        let mut d = dec13("s3.client_handshake_key", "s3.client_handshake_iv");
        assert!(matches!(
            d.open_in_place(h, &mut body),
            Err(Error::InappropriateMessage { .. })
        ));
    }

    #[test]
    fn sequence_numbers_never_wrap() {
        let (k, iv) = ("s3.client_application_key", "s3.client_application_iv");
        let mut e = enc13(k, iv);
        e.0.seq = u64::MAX - 1;
        let mut out = Vec::new();
        e.seal_record(ContentType::ApplicationData, b"x", &mut out)
            .unwrap();
        assert_eq!(e.seq(), u64::MAX);
        assert_eq!(
            e.seal_record(ContentType::ApplicationData, b"x", &mut out),
            Err(InternalError::SequenceNumberExhausted.into())
        );
        // The decrypter opens the last legal record, then refuses.
        let mut d = dec13(k, iv);
        d.0.seq = u64::MAX - 1;
        let (h, mut body) = split(&out);
        assert!(d.open_in_place(h, &mut body).is_ok());
        let (h, mut body) = split(&out);
        assert_eq!(
            d.open_in_place(h, &mut body),
            Err(InternalError::SequenceNumberExhausted.into())
        );
    }

    #[test]
    fn key_update_is_wanted_before_the_aes_gcm_limit() {
        let (k, iv) = ("s3.client_application_key", "s3.client_application_iv");
        let mut e = enc13(k, iv);
        assert!(!e.wants_key_update());
        e.0.seq = 1 << 24;
        assert!(e.wants_key_update());
    }

    #[test]
    fn bad_iv_or_key_length_is_an_internal_error() {
        let key = [0u8; 16];
        assert_eq!(
            RecordEncrypter::tls13(&AES_128_GCM, &key, &[0; 4]).map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Crypto
            ))
        );
        assert_eq!(
            RecordEncrypter::tls12(&AES_128_GCM, &key, &[0; 12]).map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Crypto
            ))
        );
        assert_eq!(
            RecordEncrypter::tls12(&AES_128_GCM, &key[..15], &[0; 4]).map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Crypto
            ))
        );
        assert_eq!(
            RecordEncrypter::tls12(&CHACHA20_POLY1305, &[0; 32], &[0; 4]).map(|_| ()),
            Err(crate::error::Error::Internal(
                crate::error::InternalError::Crypto
            ))
        );
        assert!(RecordDecrypter::tls12(&CHACHA20_POLY1305, &[0; 32], &[0; 12]).is_ok());
    }

    // TLS 1.2 known answers. The expected records were computed independently with Python
    // `cryptography` 48.0.0 (`AESGCM` / `ChaCha20Poly1305` from
    // `cryptography.hazmat.primitives.ciphers.aead`), building nonce and AAD by hand from
    // RFC 5288 §3 / RFC 7905 §2 / RFC 5246 §6.2.3.3:
    //   key  = 000102..0f (AES-128) / 000102..1f (ChaCha20)
    //   iv   = a0a1a2a3 (GCM salt) / a0a1..ab (ChaCha20 12-byte IV)
    //   seq  = 0x0102030405060708, type = 23, version = 0303, plaintext = b"hello, TLS 1.2 record"
    //   GCM:    nonce = salt ‖ seq;           record = 17 0303 len ‖ seq ‖ ct ‖ tag
    //   ChaCha: nonce = iv xor (0000 ‖ seq);  record = 17 0303 len ‖ ct ‖ tag
    //   aad = seq ‖ 17 ‖ 0303 ‖ 0015
    const TLS12_SEQ: u64 = 0x0102_0304_0506_0708;
    const TLS12_PLAINTEXT: &[u8] = b"hello, TLS 1.2 record";

    fn tls12_known_answer(aead: &dyn Aead, key: &[u8], iv: &[u8], expected: &[u8]) {
        let mut e = RecordEncrypter::tls12(aead, key, iv).unwrap();
        e.0.seq = TLS12_SEQ;
        let mut out = Vec::new();
        e.seal_record(ContentType::ApplicationData, TLS12_PLAINTEXT, &mut out)
            .unwrap();
        assert_eq!(out, expected);
        assert_eq!(out.len(), e.record_len(TLS12_PLAINTEXT.len()));

        let mut d = RecordDecrypter::tls12(aead, key, iv).unwrap();
        d.0.seq = TLS12_SEQ;
        let (h, mut body) = split(expected);
        let (t, range) = d.open_in_place(h, &mut body).unwrap();
        assert_eq!(t, ContentType::ApplicationData);
        assert_eq!(&body[range], TLS12_PLAINTEXT);

        // The sequence number is in the AAD: opening at another seq fails.
        let mut d = RecordDecrypter::tls12(aead, key, iv).unwrap();
        d.0.seq = TLS12_SEQ + 1;
        let (h, mut body) = split(expected);
        assert_eq!(d.open_in_place(h, &mut body), Err(Error::DecryptError));
        // So are the type and version (RFC 5246 §6.2.3.3).
        for (i, v) in [(0usize, 22u8), (2, 1)] {
            let mut r = expected.to_vec();
            r[i] = v;
            let mut d = RecordDecrypter::tls12(aead, key, iv).unwrap();
            d.0.seq = TLS12_SEQ;
            let (h, mut body) = split(&r);
            assert_eq!(d.open_in_place(h, &mut body), Err(Error::DecryptError));
        }
    }

    #[test]
    fn tls12_aes_128_gcm_known_answer() {
        let key: Vec<u8> = (0u8..16).collect();
        tls12_known_answer(
            &AES_128_GCM,
            &key,
            &hex("a0a1a2a3"),
            &hex(TLS12_AES_128_GCM_RECORD),
        );
    }

    #[test]
    fn tls12_chacha20_poly1305_known_answer() {
        let key: Vec<u8> = (0u8..32).collect();
        tls12_known_answer(
            &CHACHA20_POLY1305,
            &key,
            &hex("a0a1a2a3a4a5a6a7a8a9aaab"),
            &hex(TLS12_CHACHA20_RECORD),
        );
    }

    #[test]
    fn tls12_short_and_oversize_records() {
        let key: Vec<u8> = (0u8..16).collect();
        let mut d = RecordDecrypter::tls12(&AES_128_GCM, &key, &hex("a0a1a2a3")).unwrap();
        // Shorter than explicit nonce + tag.
        let h = RecordHeader {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            len: 23,
        };
        assert_eq!(d.open_in_place(h, &mut [0; 23]), Err(Error::DecryptError));
        // Plaintext would be over 2^14 (RFC 5246 §6.2.3).
        let n = MAX_FRAGMENT_LEN + 1 + GCM_EXPLICIT_LEN + TAG_LEN;
        let h = RecordHeader {
            len: u16::try_from(n).unwrap(),
            ..h
        };
        assert_eq!(
            d.open_in_place(h, &mut vec![0; n]),
            Err(Error::RecordOverflow)
        );
    }

    const TLS12_AES_128_GCM_RECORD: &str = "170303002d 0102030405060708
        7458f7a654e4bc90caf4d7313636167dd854ec20cd 947fe487ef2a195f5aa95f7194e6922b";
    const TLS12_CHACHA20_RECORD: &str = "1703030025
        ce9a283abca71ec2f9afcc6b7dd564141073e42b0d 5ae33b7290dd24cdf4be327cc129750e";
}
