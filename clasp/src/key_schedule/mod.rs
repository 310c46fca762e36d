//! Key schedules: TLS 1.3 (HKDF, RFC 8446 §7) in [`tls13`], TLS 1.2 (PRF, RFC 5246 §5, §6.3, §8.1
//! and RFC 7627) in [`tls12`].
//!
//! This module owns every handshake secret from the early secret to the traffic keys. Secrets are
//! newtypes over [`SecretBytes`]: zeroized on drop, redacted in `Debug`, not `Clone`. It must never
//! hand raw secret bytes out except through the three narrow doors below:
//! - [`TrafficKeys`], the AEAD key and IV the record layer installs;
//! - a [`KeyLogVisitor`], called with an NSS key-log label, for `SSLKEYLOGFILE`;
//! - explicit `…_for_session` / ticket-PSK calls that the resumption code stores.
//!
//! It never does I/O and never decides on alerts: a failed Finished or binder check returns a
//! typed [`Error`](crate::error::Error).

use core::fmt;

use crate::crypto::SecretBytes;

pub mod tls12;
pub mod tls13;

/// The NSS key log labels (the first word of each `SSLKEYLOGFILE` line).
///
/// See <https://udn.realityripple.com/docs/Mozilla/Projects/NSS/Key_Log_Format>.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyLogLabel {
    /// TLS 1.2: the 48-byte master secret.
    ClientRandom,
    /// TLS 1.3 `client_early_traffic_secret`.
    ClientEarlyTrafficSecret,
    /// TLS 1.3 `client_handshake_traffic_secret`.
    ClientHandshakeTrafficSecret,
    /// TLS 1.3 `server_handshake_traffic_secret`.
    ServerHandshakeTrafficSecret,
    /// TLS 1.3 `client_application_traffic_secret_0`.
    ClientTrafficSecret0,
    /// TLS 1.3 `server_application_traffic_secret_0`.
    ServerTrafficSecret0,
    /// TLS 1.3 `early_exporter_master_secret`.
    EarlyExporterSecret,
    /// TLS 1.3 `exporter_master_secret`.
    ExporterSecret,
}

impl KeyLogLabel {
    /// The label exactly as it appears in the key log file.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientRandom => "CLIENT_RANDOM",
            Self::ClientEarlyTrafficSecret => "CLIENT_EARLY_TRAFFIC_SECRET",
            Self::ClientHandshakeTrafficSecret => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Self::ServerHandshakeTrafficSecret => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Self::ClientTrafficSecret0 => "CLIENT_TRAFFIC_SECRET_0",
            Self::ServerTrafficSecret0 => "SERVER_TRAFFIC_SECRET_0",
            Self::EarlyExporterSecret => "EARLY_EXPORTER_SECRET",
            Self::ExporterSecret => "EXPORTER_SECRET",
        }
    }
}

impl fmt::Display for KeyLogLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Receives secrets for key logging. The only way secret bytes leave the key schedule for a
/// purpose other than record protection; each secret type's `log_to` names its own label, so a
/// secret cannot be logged under the wrong one.
///
/// Implemented for every `FnMut(KeyLogLabel, &[u8])`.
pub trait KeyLogVisitor {
    /// Called once per secret with its NSS label and bytes. The caller adds the client random.
    fn visit(&mut self, label: KeyLogLabel, secret: &[u8]);
}

impl<F: FnMut(KeyLogLabel, &[u8])> KeyLogVisitor for F {
    fn visit(&mut self, label: KeyLogLabel, secret: &[u8]) {
        self(label, secret);
    }
}

/// Proof that a peer's Finished message verified (STYLE: proof tokens). Only this module can
/// make one (the field is private to it); the state after `ExpectFinished` (`ExpectTraffic`)
/// takes it as a constructor argument, so deleting the check does not compile.
#[derive(Debug)]
#[must_use = "a verified Finished must be carried into the next state"]
pub struct FinishedVerified(());

/// Proof that a PSK binder verified (RFC 8446 §4.2.11.2). Only this module can make one; the
/// accepted PSK (external or resumption) carries it, so a PSK cannot be accepted unchecked.
#[derive(Debug)]
#[must_use = "a verified binder must be carried with the accepted PSK"]
pub struct BinderVerified(());

/// The AEAD key and IV for one direction, as the record layer installs them.
///
/// TLS 1.3: `iv` is the 12-byte per-record IV (RFC 8446 §5.3). TLS 1.2: `iv` is the fixed IV,
/// 4 bytes for AES-GCM (RFC 5288 §3) and 12 bytes for ChaCha20-Poly1305 (RFC 7905 §2).
pub struct TrafficKeys {
    key: SecretBytes,
    iv: SecretBytes,
}

impl TrafficKeys {
    /// The AEAD key bytes.
    #[must_use]
    pub(crate) fn key(&self) -> &[u8] {
        self.key.as_bytes()
    }

    /// The IV bytes (see the type docs for the length).
    #[must_use]
    pub(crate) fn iv(&self) -> &[u8] {
        self.iv.as_bytes()
    }
}

impl fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TrafficKeys(<{}-byte key, {}-byte iv redacted>)",
            self.key.len(),
            self.iv.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nss_labels_are_exact() {
        assert_eq!(KeyLogLabel::ClientRandom.as_str(), "CLIENT_RANDOM");
        assert_eq!(
            KeyLogLabel::ClientHandshakeTrafficSecret.to_string(),
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
        );
        assert_eq!(
            KeyLogLabel::ServerTrafficSecret0.as_str(),
            "SERVER_TRAFFIC_SECRET_0"
        );
    }

    #[test]
    fn traffic_keys_debug_is_redacted() {
        let keys = TrafficKeys {
            key: SecretBytes::new(&[0xab; 16]),
            iv: SecretBytes::new(&[0xcd; 12]),
        };
        let s = format!("{keys:?}");
        assert!(
            !s.contains("ab") && !s.contains("171") && !s.contains("cd"),
            "{s}"
        );
        assert_eq!(keys.key(), &[0xab; 16]);
        assert_eq!(keys.iv(), &[0xcd; 12]);
    }
}
