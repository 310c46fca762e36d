//! The handshake state machines, one file per side and version, in handshake order.
//!
//! Each state is a struct named for what it waits for (`ExpectServerHello`, …) holding exactly
//! what is known at that point; `handle` consumes it and returns the next state. States are
//! boxed trait objects rather than one closed enum per version: each file then reads top to
//! bottom in protocol order, and TLS 1.2 and 1.3 states live apart without a central list.

use crate::conn::CommonState;
use crate::error::{ApiMisuse, Error};
use crate::msgs::enums::{ContentType, HandshakeType};
use crate::msgs::handshake::HandshakeMessage;

#[cfg(test)]
mod alert_tests;
#[cfg(test)]
mod attack_tests;
#[cfg(test)]
mod cert_compression_tests;
pub(crate) mod client;
#[cfg(test)]
mod extension_tests;
#[cfg(test)]
mod external_psk_tests;
#[cfg(test)]
mod grease_tests;
#[cfg(test)]
mod hostile_hello_tests;
#[cfg(test)]
mod negotiation_rule_tests;
#[cfg(test)]
mod ocsp_tests;
#[cfg(test)]
mod resumption_tests;
#[cfg(test)]
mod rfc8448_tests;
pub(crate) mod server;
#[cfg(test)]
mod test_io;
pub(crate) mod tls13;

/// One state of a handshake (or of the established connection).
pub(crate) trait State: Send + Sync {
    /// Consumes the state with the next handshake message.
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        msg: HandshakeMessage,
    ) -> Result<Box<dyn State>, Error>;

    /// A TLS 1.2 ChangeCipherSpec arrived (TLS 1.3 ones never reach the state).
    fn handle_ccs(self: Box<Self>, _cx: &mut CommonState) -> Result<Box<dyn State>, Error> {
        Err(Error::InappropriateMessage {
            expected: &[ContentType::Handshake],
            got: ContentType::ChangeCipherSpec,
        })
    }

    /// Sends a post-handshake CertificateRequest (TLS 1.3 server traffic state only).
    fn request_client_auth(&mut self, _cx: &mut CommonState) -> Result<(), Error> {
        Err(ApiMisuse::PostHandshakeAuthUnavailable.into())
    }

    /// Sends a KeyUpdate (TLS 1.3 traffic states only).
    fn send_key_update(&mut self, _cx: &mut CommonState, _request_peer: bool) -> Result<(), Error> {
        Err(ApiMisuse::HandshakeNotComplete.into())
    }

    /// Adds this state's Rust heap, part by part, to `out` (for
    /// `ConnectionCommon::heap_breakdown`): by default the boxed struct alone.
    #[cfg(feature = "internal")]
    fn heap_parts(&self, out: &mut Vec<(&'static str, usize)>) {
        out.push((
            "handshake state (boxed struct)",
            core::mem::size_of_val(self),
        ));
    }
}

/// The error for a handshake message that is not allowed now.
pub(crate) fn unexpected(msg: &HandshakeMessage, expected: &'static [HandshakeType]) -> Error {
    Error::InappropriateHandshakeMessage {
        expected,
        got: msg.typ(),
    }
}

/// Exporters for either version (RFC 8446 §7.5, RFC 5705).
pub(crate) enum Exporter {
    /// TLS 1.3 exporter_master_secret.
    Tls13(crate::key_schedule::tls13::ExporterSecret),
    /// TLS 1.2 master secret.
    Tls12(crate::key_schedule::tls12::MasterSecret),
    /// TLS 1.2 without the extended master secret: no exporter. RFC 7627 §5.4 ("Interaction
    /// with Other Extensions"): keying material exported from a master secret that is not bound
    /// to the handshake can be synchronised by a man in the middle (the triple handshake), so
    /// applications relying on it for channel binding would be fooled.
    Tls12WithoutEms,
}

impl Exporter {
    /// The TLS 1.2 exporter for a session whose master secret is (`ems`) or is not extended.
    pub(crate) fn tls12(master: crate::key_schedule::tls12::MasterSecret, ems: bool) -> Self {
        if ems {
            Self::Tls12(master)
        } else {
            Self::Tls12WithoutEms
        }
    }

    pub(crate) fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        match self {
            Self::Tls13(e) => e.export(label, context, out),
            Self::Tls12(m) => m.export(label, context, out),
            Self::Tls12WithoutEms => Err(ApiMisuse::ExporterWithoutExtendedMasterSecret.into()),
        }
    }
}

/// The 8 bytes a TLS 1.3 server writes at the end of ServerHello.random when it negotiates
/// TLS 1.2 (RFC 8446 §4.1.3).
pub(crate) const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";
/// … and when it negotiates TLS 1.1 or below.
pub(crate) const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

/// The 64 spaces + context string + 0 prefix signed in a TLS 1.3 CertificateVerify
/// (RFC 8446 §4.4.3), followed by the transcript hash.
pub(crate) fn tls13_signed_message(server: bool, transcript_hash: &[u8]) -> Vec<u8> {
    let context: &[u8] = if server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut m = Vec::with_capacity(64 + context.len() + 1 + transcript_hash.len());
    m.extend_from_slice(&[0x20; 64]);
    m.extend_from_slice(context);
    m.push(0);
    m.extend_from_slice(transcript_hash);
    m
}

/// A peer-supplied list (cipher suites, groups, key share groups, signature schemes) as a
/// sorted copy, so membership is a binary search and duplicates are neighbours.
///
/// DESIGN: "Every per-message check is linear in the size of the message." A ClientHello of
/// 64 KiB can carry ~30,000 list entries; a check that scans one peer list for every entry of
/// another (or of itself) is quadratic: ~80 ms of server CPU for 9,300 junk groups. Building
/// the set is O(n log n) once; each lookup is O(log n).
pub(crate) struct PeerSet<T>(Vec<T>);

impl<T: Ord + Copy> PeerSet<T> {
    pub(crate) fn new(items: &[T]) -> Self {
        let mut v = items.to_vec();
        v.sort_unstable();
        Self(v)
    }

    pub(crate) fn contains(&self, item: &T) -> bool {
        self.0.binary_search(item).is_ok()
    }

    /// Whether any value appears more than once.
    pub(crate) fn has_duplicates(&self) -> bool {
        self.0.windows(2).any(|w| w[0] == w[1])
    }
}
