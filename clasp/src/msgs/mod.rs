//! Wire types: the messages and extensions of TLS 1.2 and 1.3, with no protocol logic.
//!
//! Everything here decodes from borrowed bytes through [`crate::codec::Codec`] and re-encodes to
//! the same bytes. Nothing here decides whether a message is acceptable in a state; that is the
//! state machines' job. Decoders never panic and never allocate more than their input could fill.
//!
//! - [`enums`]: open wire enums (code points).
//! - [`extensions`]: every extension body, and one extension enum per message context.
//! - [`handshake`]: the handshake messages and their framing ([`handshake::HandshakeMessage`]).
//! - [`tls12_kx`]: TLS 1.2 ServerKeyExchange / ClientKeyExchange bodies, whose shape depends on
//!   the negotiated key exchange.
//! - [`alert`]: Alert and ChangeCipherSpec.

pub mod alert;
pub mod enums;
pub mod extensions;
pub mod handshake;
pub mod tls12_kx;

#[cfg(test)]
mod fuzz_props;
#[cfg(test)]
mod tests;

use crate::codec::{put_prefixed, Codec, LengthPrefixedBuffer, ListLength, Reader};
use crate::error::InvalidMessage;

/// Reads an opaque vector `opaque x<min..max>` whose prefix and bounds are `len`.
pub(crate) fn read_opaque(
    r: &mut Reader<'_>,
    len: ListLength,
    what: &'static str,
) -> Result<Vec<u8>, InvalidMessage> {
    Ok(r.length_prefixed(len, what)?.rest().to_vec())
}

/// Writes an opaque vector with the prefix of `len`.
pub(crate) fn put_opaque(len: ListLength, bytes: &[u8], out: &mut Vec<u8>) {
    put_prefixed(len, bytes, out);
}

/// Reads a vector of `T` with explicit bounds, for the few places where the same element type
/// has different bounds in different messages (e.g. DistinguishedName lists in TLS 1.2 vs 1.3).
pub(crate) fn read_list<'a, T: Codec<'a>>(
    r: &mut Reader<'a>,
    len: ListLength,
    what: &'static str,
) -> Result<Vec<T>, InvalidMessage> {
    let mut sub = r.length_prefixed(len, what)?;
    let mut out = Vec::new();
    while sub.any_left() {
        out.push(T::read(&mut sub)?);
    }
    Ok(out)
}

/// Writes a vector of `T` with explicit bounds (the counterpart of [`read_list`]).
pub(crate) fn encode_list<'a, T: Codec<'a>>(items: &[T], len: ListLength, out: &mut Vec<u8>) {
    let g = LengthPrefixedBuffer::new(len, out);
    for i in items {
        i.encode(g.buf);
    }
}
