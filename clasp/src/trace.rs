//! Handshake tracing: every message in and out, decoded, for the tools.
//!
//! The connection reports [`HandshakeEvent`]s to an optional [`Observer`]. Events borrow the
//! decoded message; nothing secret is ever part of an event (keys and secrets are not in the
//! message types at all, and key changes are reported by name only).

use core::fmt;

use crate::msgs::enums::{AlertDescription, AlertLevel};
use crate::msgs::handshake::HandshakeMessage;

/// Which way a record went, from the observed connection's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// We sent it.
    Sent,
    /// We received it.
    Received,
}

/// Which keys protected the record (RFC 8446 §7.1 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protection {
    /// No encryption (ClientHello, ServerHello, TLS 1.2 handshake before ChangeCipherSpec).
    Plaintext,
    /// client_early_traffic_secret (0-RTT).
    EarlyData,
    /// `[sender]_handshake_traffic_secret`.
    HandshakeKeys,
    /// `[sender]_application_traffic_secret_N`, or the TLS 1.2 key block.
    ApplicationKeys,
}

/// What happened.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum EventKind<'a> {
    /// A handshake message.
    Handshake(&'a HandshakeMessage),
    /// A change_cipher_spec record (TLS 1.2 key switch, or TLS 1.3 middlebox compatibility).
    ChangeCipherSpec,
    /// An alert.
    Alert(AlertLevel, AlertDescription),
    /// Application data of this many bytes.
    ApplicationData(usize),
    /// The keys for one direction changed.
    KeysChanged {
        /// Our sending keys (`Sent`) or our receiving keys (`Received`).
        direction: Direction,
        /// The new protection.
        to: Protection,
    },
}

/// One trace event.
#[derive(Debug, Clone, Copy)]
pub struct HandshakeEvent<'a> {
    /// Sent or received.
    pub direction: Direction,
    /// The protection the record was (or will be) sent under.
    pub protection: Protection,
    /// What it was.
    pub kind: EventKind<'a>,
}

/// Receives trace events. Implementations must be cheap: they run inline with the handshake.
pub trait Observer: Send + Sync {
    /// Called for every event, in order.
    fn on_event(&self, event: &HandshakeEvent<'_>);
}

impl fmt::Debug for dyn Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}
