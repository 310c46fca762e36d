//! The wire codec: a bounded [`Reader`] over borrowed bytes, the [`Codec`] trait, and
//! length-prefixed vectors whose RFC bounds are declared once on the element type.
//!
//! This module owns byte-level framing only; it knows nothing about what the bytes mean. It must
//! never panic on any input and never allocate more than the input could fill: lengths declared by
//! the peer are checked against the bytes actually present before anything is reserved.

use crate::error::InvalidMessage;

/// A cursor over borrowed bytes. Every read is bounds-checked; nothing here can panic.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    offs: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the whole of `bytes`.
    #[must_use]
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            buf: bytes,
            offs: 0,
        }
    }

    /// Takes exactly `n` bytes, or `None` if fewer remain (the cursor does not move then).
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.offs.checked_add(n)?;
        let out = self.buf.get(self.offs..end)?;
        self.offs = end;
        Some(out)
    }

    /// Takes everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.offs..).unwrap_or_default();
        self.offs = self.buf.len();
        out
    }

    /// A sub-reader over the next `n` bytes; the parent moves past them.
    ///
    /// # Errors
    /// `MissingData` when fewer than `n` bytes remain.
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Reader<'a>, InvalidMessage> {
        self.take(n)
            .map(Reader::new)
            .ok_or(InvalidMessage::MissingData(what))
    }

    /// Whether unread bytes remain.
    #[must_use]
    pub fn any_left(&self) -> bool {
        self.offs < self.buf.len()
    }

    /// Number of unread bytes.
    #[must_use]
    pub fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.offs)
    }

    /// Bytes consumed so far.
    #[must_use]
    pub fn used(&self) -> usize {
        self.offs
    }

    /// Errors with `TrailingData(what)` if anything is left unread.
    ///
    /// # Errors
    /// `TrailingData` when bytes remain.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), InvalidMessage> {
        if self.any_left() {
            Err(InvalidMessage::TrailingData(what))
        } else {
            Ok(())
        }
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// `MissingData(what)` at end of input.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, InvalidMessage> {
        self.take(1)
            .map(|b| b[0])
            .ok_or(InvalidMessage::MissingData(what))
    }

    /// Reads a big-endian u16.
    ///
    /// # Errors
    /// `MissingData(what)` at end of input.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, InvalidMessage> {
        self.take(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(InvalidMessage::MissingData(what))
    }

    /// Reads a big-endian u24.
    ///
    /// # Errors
    /// `MissingData(what)` at end of input.
    pub fn u24(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        self.take(3)
            .map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]]))
            .ok_or(InvalidMessage::MissingData(what))
    }

    /// Reads a big-endian u32.
    ///
    /// # Errors
    /// `MissingData(what)` at end of input.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(InvalidMessage::MissingData(what))
    }

    /// Reads a length of `len.prefix_bytes()` bytes, then returns a sub-reader over that many
    /// bytes, enforcing `len`'s min/max bounds.
    ///
    /// # Errors
    /// `MissingData` if the input is short, `InvalidLength` if the length is out of bounds.
    pub fn length_prefixed(
        &mut self,
        len: ListLength,
        what: &'static str,
    ) -> Result<Reader<'a>, InvalidMessage> {
        let n = match len.prefix_bytes() {
            1 => usize::from(self.u8(what)?),
            2 => usize::from(self.u16(what)?),
            _ => self.u24(what)? as usize,
        };
        if n < len.min() || n > len.max() {
            return Err(InvalidMessage::InvalidLength(what));
        }
        self.sub(n, what)
    }
}

/// How a vector is length-prefixed, and its RFC `<min..max>` bounds in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListLength {
    /// `<0..2^8-1>`
    U8,
    /// `<1..2^8-1>`
    NonEmptyU8,
    /// `<0..2^16-1>`
    U16,
    /// `<1..2^16-1>` (or `<2..2^16-2>` for two-byte elements: non-empty either way)
    NonEmptyU16,
    /// `<0..2^24-1>`
    U24 {
        /// Cap on the length we accept, below the wire maximum, so a peer cannot make us buffer
        /// more than this (STYLE: "check a peer-declared length against a cap").
        max: usize,
    },
    /// `<1..2^24-1>` capped like `U24`.
    NonEmptyU24 {
        /// Cap on the length we accept.
        max: usize,
    },
}

impl ListLength {
    /// Bytes in the length prefix.
    #[must_use]
    pub const fn prefix_bytes(self) -> usize {
        match self {
            Self::U8 | Self::NonEmptyU8 => 1,
            Self::U16 | Self::NonEmptyU16 => 2,
            Self::U24 { .. } | Self::NonEmptyU24 { .. } => 3,
        }
    }

    /// Smallest legal body length.
    #[must_use]
    pub const fn min(self) -> usize {
        match self {
            Self::U8 | Self::U16 | Self::U24 { .. } => 0,
            _ => 1,
        }
    }

    /// Largest legal body length.
    #[must_use]
    pub const fn max(self) -> usize {
        match self {
            Self::U8 | Self::NonEmptyU8 => 0xff,
            Self::U16 | Self::NonEmptyU16 => 0xffff,
            Self::U24 { max } | Self::NonEmptyU24 { max } => {
                if max < 0x00ff_ffff {
                    max
                } else {
                    0x00ff_ffff
                }
            }
        }
    }
}

/// A type with a wire encoding.
pub trait Codec<'a>: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Decodes one value from the front of `r`.
    ///
    /// # Errors
    /// The precise reason the bytes are not a valid encoding.
    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage>;

    /// The encoding as a fresh vector.
    fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes exactly one value occupying all of `bytes`; trailing bytes are an error.
    ///
    /// # Errors
    /// Any decode error, or `TrailingData`.
    fn read_bytes(bytes: &'a [u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.expect_empty(core::any::type_name::<Self>())?;
        Ok(v)
    }
}

/// An element of a length-prefixed vector: declares the vector's prefix size and bounds once
/// (STYLE: "declare the vector bounds on the element type").
pub trait TlsListElement {
    /// Prefix size and bounds of a `Vec<Self>` on the wire.
    const LEN: ListLength;
}

impl<'a, T: Codec<'a> + TlsListElement> Codec<'a> for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        let guard = LengthPrefixedBuffer::new(T::LEN, out);
        for item in self {
            item.encode(guard.buf);
        }
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let mut sub = r.length_prefixed(T::LEN, core::any::type_name::<T>())?;
        // No `with_capacity` from the peer's length: the vector grows only as items decode.
        let mut out = Vec::new();
        while sub.any_left() {
            out.push(T::read(&mut sub)?);
        }
        Ok(out)
    }
}

impl<'a> Codec<'a> for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        r.u8("u8")
    }
}

impl<'a> Codec<'a> for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        r.u16("u16")
    }
}

impl<'a> Codec<'a> for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        r.u32("u32")
    }
}

/// Writes a big-endian u24 (the caller guarantees `v < 2^24`; larger values are truncated).
pub fn put_u24(v: u32, out: &mut Vec<u8>) {
    let b = v.to_be_bytes();
    out.extend_from_slice(&b[1..]);
}

/// Writes `bytes` with a length prefix of `len.prefix_bytes()` bytes.
pub fn put_prefixed(len: ListLength, bytes: &[u8], out: &mut Vec<u8>) {
    let guard = LengthPrefixedBuffer::new(len, out);
    guard.buf.extend_from_slice(bytes);
}

/// Writes a length placeholder, lets the caller append the body, and patches the real length in
/// on drop.
///
/// The placeholder is the all-ones maximum, so a buffer abandoned half-written never parses as a
/// valid message (rustls `LengthPrefixedBuffer`).
#[derive(Debug)]
pub struct LengthPrefixedBuffer<'a> {
    /// The buffer to append the body to.
    pub buf: &'a mut Vec<u8>,
    len: ListLength,
    len_offset: usize,
}

impl<'a> LengthPrefixedBuffer<'a> {
    /// Appends the placeholder and returns the guard.
    pub fn new(len: ListLength, buf: &'a mut Vec<u8>) -> Self {
        let len_offset = buf.len();
        buf.extend(core::iter::repeat_n(0xff, len.prefix_bytes()));
        Self {
            buf,
            len,
            len_offset,
        }
    }
}

impl Drop for LengthPrefixedBuffer<'_> {
    fn drop(&mut self) {
        let n = self.len.prefix_bytes();
        let body = self.buf.len() - self.len_offset - n;
        let be = (body as u64).to_be_bytes();
        // Bodies beyond the prefix's range are a bug in our encoder, never peer input; the
        // placeholder stays (all ones) so such a message cannot parse.
        if body < (1usize << (8 * n)) {
            self.buf[self.len_offset..self.len_offset + n].copy_from_slice(&be[8 - n..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::NamedGroup;

    #[test]
    fn vector_round_trip_and_bounds() {
        let v = vec![NamedGroup::X25519, NamedGroup::secp256r1];
        let enc = v.get_encoding();
        assert_eq!(enc, [0, 4, 0, 0x1d, 0, 0x17]);
        assert_eq!(Vec::<NamedGroup>::read_bytes(&enc).unwrap(), v);
        // RFC 8446 §4.2.7: named_group_list<2..2^16-1>: empty is illegal.
        assert_eq!(
            Vec::<NamedGroup>::read_bytes(&[0, 0]),
            Err(InvalidMessage::InvalidLength(core::any::type_name::<
                NamedGroup,
            >()))
        );
        // A truncated element is an error, not a panic.
        assert_eq!(
            Vec::<NamedGroup>::read_bytes(&[0, 3, 0, 0x1d, 0]).map(|_| ()),
            Err(crate::error::InvalidMessage::MissingData("NamedGroup"))
        );
    }

    #[test]
    fn huge_declared_length_is_an_error_not_an_allocation() {
        // A u24 length of 16 MiB - 1 with ten bytes behind it.
        let mut bytes = vec![0xff, 0xff, 0xff];
        bytes.extend_from_slice(&[0u8; 10]);
        let mut r = Reader::new(&bytes);
        assert_eq!(
            r.length_prefixed(ListLength::U24 { max: 0xff_ffff }, "body")
                .map(|_| ()),
            Err(InvalidMessage::MissingData("body"))
        );
    }

    #[test]
    fn abandoned_length_prefix_stays_invalid() {
        let mut out = Vec::new();
        {
            let g = LengthPrefixedBuffer::new(ListLength::U16, &mut out);
            g.buf.extend_from_slice(&[1, 2, 3]);
        }
        assert_eq!(out, [0, 3, 1, 2, 3]);
    }
}
