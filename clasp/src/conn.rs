//! Connections: the sans-IO engine that moves bytes between the caller, the record layer and
//! the handshake state machine.
//!
//! The caller moves bytes: [`ConnectionCommon::read_tls`] / [`ConnectionCommon::write_tls`] (or
//! the sans-IO pair `push_tls` / `pending_tls`), then [`ConnectionCommon::process_new_packets`];
//! plaintext goes through [`ConnectionCommon::reader`] and [`ConnectionCommon::writer`]. This
//! module never touches a socket itself, and it chooses no alerts: an `Error` becomes an alert in
//! exactly one place (`impl From<&Error> for AlertDescription`). The first fatal error is sticky.

use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::config::{ClientConfig, ServerConfig};
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerMisbehaved};
use crate::handshake::{self, State};
use crate::key_schedule::KeyLogLabel;
use crate::keylog::KeyLog;
use crate::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use crate::msgs::handshake::{ClientHello, HandshakeMessage};
use crate::record::{Deframer, HandshakeJoiner, RecordDecrypter, RecordEncrypter, SendBuffer};
use crate::trace::{Direction, EventKind, HandshakeEvent, Observer, Protection};
use crate::verify::ServerName;

/// Which end of the connection we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client.
    Client,
    /// The server.
    Server,
}

/// What the handshake agreed on. Filled in as the handshake proceeds.
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct Negotiated {
    /// The protocol version.
    pub version: Option<ProtocolVersion>,
    /// The cipher suite.
    pub cipher_suite: Option<CipherSuite>,
    /// The key-exchange group (`None` for TLS 1.2 RSA key exchange and TLS 1.3 psk_ke).
    pub group: Option<NamedGroup>,
    /// The scheme the server signed with (CertificateVerify / ServerKeyExchange).
    pub signature_scheme: Option<SignatureScheme>,
    /// Server only: the scheme the client signed its CertificateVerify with, once it verified
    /// (`None` without client authentication, and on a resumption, which has no
    /// CertificateVerify).
    pub client_signature_scheme: Option<SignatureScheme>,
    /// The ALPN protocol.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The server name the client asked for (SNI).
    pub server_name: Option<String>,
    /// The peer's verified certificate path (see [`ConnectionCommon::peer_certificates`]).
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// Whether the session was resumed.
    pub resumed: bool,
    /// The identity of the external PSK that authenticated the handshake (RFC 8446 §4.2.11),
    /// when the server accepted one; there was then no certificate.
    pub external_psk_identity: Option<Vec<u8>>,
    /// The PSK key exchange mode (RFC 8446 §4.2.9) when a PSK (ticket or external) was
    /// accepted: psk_dhe_ke, or psk_ke (no (EC)DHE, no forward secrecy).
    pub psk_key_exchange_mode: Option<crate::msgs::enums::PskKeyExchangeMode>,
    /// Whether a HelloRetryRequest was needed.
    pub hello_retry: bool,
    /// 0-RTT: `None` if not offered, `Some(true)` if the server accepted the early data,
    /// `Some(false)` if it was refused (a client should then send it again).
    pub early_data_accepted: Option<bool>,
    /// Client: the DER OCSP response the server stapled (see
    /// [`ConnectionCommon::ocsp_response`]). Always `None` on a server, which does not keep a
    /// copy per connection.
    pub ocsp_response: Option<Vec<u8>>,
    /// An OCSP response was stapled in this handshake: received (client) or sent (server).
    pub ocsp_stapled: bool,
    /// The algorithm the server's certificate chain was compressed with (RFC 8879
    /// CompressedCertificate), received (client) or sent (server); `None` when it went
    /// uncompressed or there was none.
    pub certificate_compression: Option<crate::msgs::enums::CertificateCompressionAlgorithm>,
    /// The algorithm the client's certificate was compressed with, when it sent one compressed.
    pub client_certificate_compression: Option<crate::msgs::enums::CertificateCompressionAlgorithm>,
    /// TLS 1.2: both sides negotiated the extended master secret (RFC 7627), so the session
    /// may be resumed and exported from (§5.3–5.4). Always `false` in TLS 1.3, whose key
    /// schedule binds the whole handshake anyway.
    pub extended_master_secret: bool,
}

/// Connection state shared by the handshake states: the record layer, the outgoing flight, what
/// was negotiated. Handshake code talks to the connection only through this.
pub(crate) struct CommonState {
    pub(crate) side: Side,
    pub(crate) deframer: Deframer,
    pub(crate) decrypter: Option<RecordDecrypter>,
    pub(crate) encrypter: Option<RecordEncrypter>,
    pub(crate) sendbuf: SendBuffer,
    pub(crate) joiner: HandshakeJoiner,
    /// Handshake messages queued under the current sending keys, coalesced into as few records
    /// as possible when flushed.
    flight: Vec<u8>,
    /// `legacy_record_version` for plaintext records (0x0301 for an initial ClientHello,
    /// RFC 8446 §5.1).
    pub(crate) record_version: ProtocolVersion,
    pub(crate) negotiated: Negotiated,
    pub(crate) observer: Option<Arc<dyn Observer>>,
    pub(crate) send_protection: Protection,
    pub(crate) recv_protection: Protection,
    pub(crate) may_send_application_data: bool,
    pub(crate) may_receive_application_data: bool,
    /// TLS 1.3: a plaintext change_cipher_spec is dropped until the peer's Finished (§5).
    pub(crate) ccs_allowed: bool,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) client_random: [u8; 32],
    /// Plaintext the caller wrote before the handshake finished.
    pending_plaintext: Vec<u8>,
    pub(crate) received_close_notify: bool,
    pub(crate) sent_close_notify: bool,
    /// The ClientHello the server received (for the tools' "your handshake" page), kept only
    /// when `ServerConfig::retain_client_hello` asks; boxed so that a connection without it
    /// carries 8 bytes, not the decoded struct.
    pub(crate) received_client_hello: Option<Box<(ClientHello, Vec<u8>)>>,
    /// Consecutive records that carried nothing (empty app data, CCS, warnings).
    empty_records: usize,
    /// Consecutive warning alerts (see [`MAX_WARNING_ALERTS`]), reset by a handshake message or
    /// application data.
    warning_alerts: usize,
    /// KeyUpdates and post-handshake CertificateRequests received since the peer's last
    /// application data (see [`MAX_POST_HANDSHAKE_MESSAGES`]).
    post_handshake_messages: usize,
    /// We answered a KeyUpdate(update_requested) and have sent no application data since: a
    /// further request is answered by that same update (RFC 8446 §4.6.3).
    pub(crate) key_update_reply_pending: bool,
    /// Stop opening records while this many bytes of the receive buffer hold unread plaintext
    /// ([`ConnectionCommon::set_plaintext_limit`]).
    plaintext_limit: usize,
    /// Server: accepted 0-RTT data not yet read through [`ServerConnection::early_data`]. Kept
    /// apart from the 1-RTT plaintext (it may be a replay, RFC 8446 §8); bounded by the
    /// server's `max_early_data_size` (`early_data_budget`).
    received_early_data: Vec<u8>,
    /// Exporter for `export_keying_material`.
    pub(crate) exporter: Option<handshake::Exporter>,
    /// Server accepting 0-RTT: bytes of early data still allowed (RFC 8446 §4.2.10).
    pub(crate) early_data_budget: Option<usize>,
    /// Server that refused offered 0-RTT: how many more bytes of records that fail to open (or,
    /// after a HelloRetryRequest, of application_data records) may still be skipped (RFC 8446
    /// §4.2.10 "discarding records which fail deprotection (up to the configured
    /// max_early_data_size)"); `None` when nothing may be skipped.
    pub(crate) early_data_skip: Option<usize>,
    /// Largest protected plaintext we accept: 2^14, or less after record_size_limit (RFC 8449).
    pub(crate) max_received_fragment: usize,
    /// Client: bytes of early data we may still send, while the early keys are installed.
    pub(crate) early_data_send_budget: Option<usize>,
    /// Fuzzing only: rewrites each outgoing handshake message (see [`FuzzMutator`]).
    #[cfg(feature = "fuzzing")]
    fuzz_mutator: Option<FuzzMutator>,
}

/// Fuzzing only (feature `fuzzing`): called with each encoded handshake message (header
/// included) this side sends, after it entered our transcript and before it is protected, so the
/// peer decrypts whatever the function leaves there. The structure-aware fuzz targets use it to
/// mutate one message of a live handshake at a time, in any state, past the record encryption.
#[cfg(feature = "fuzzing")]
pub type FuzzMutator = Box<dyn FnMut(&mut Vec<u8>) + Send>;

/// Records in a row that may carry nothing before we call it a denial of service.
const MAX_EMPTY_RECORDS: usize = 32;

/// Counts `n` more skipped 0-RTT bytes against what is `left`.
///
/// # Errors
/// `TooMuchSkippedEarlyData` past the bound: RFC 8446 §4.2.10: "If the server ... would
/// exceed the max_early_data_size, it MUST terminate the connection with an
/// "unexpected_message" alert".
fn skip_early_data(left: Option<usize>, n: usize) -> Result<usize, Error> {
    left.and_then(|l| l.checked_sub(n))
        .ok_or_else(|| PeerMisbehaved::TooMuchSkippedEarlyData.into())
}

/// Warning alerts in a row we ignore before we call it a denial of service (BoringSSL and
/// rustls allow 4): a warning asks nothing of us.
const MAX_WARNING_ALERTS: usize = 4;

/// KeyUpdates and post-handshake CertificateRequests accepted in a row with no application
/// data from the peer between them; the next one fails the connection
/// (`PeerMisbehaved::TooManyPostHandshakeMessages`). BoringSSL and rustls allow 32 as well.
const MAX_POST_HANDSHAKE_MESSAGES: usize = 32;

/// Above this many bytes of TLS output waiting to be written, a connection takes no more input
/// (64 KiB, as rustls): a peer that sends requests (KeyUpdate, CertificateRequest) and never
/// reads our answers cannot make us queue without end. Bytes the application wrote count too;
/// the caller writes them out, then input flows again.
pub const PENDING_OUTPUT_LIMIT: usize = 64 * 1024;

/// Default for [`ConnectionCommon::set_plaintext_limit`]: 16 KiB, one full record (as rustls).
pub const DEFAULT_PLAINTEXT_LIMIT: usize = 16 * 1024;

impl CommonState {
    fn new(side: Side) -> Self {
        Self {
            side,
            deframer: Deframer::new(),
            decrypter: None,
            encrypter: None,
            sendbuf: SendBuffer::new(),
            joiner: HandshakeJoiner::new(),
            flight: Vec::new(),
            record_version: ProtocolVersion::TLSv1_2,
            negotiated: Negotiated::default(),
            observer: None,
            send_protection: Protection::Plaintext,
            recv_protection: Protection::Plaintext,
            may_send_application_data: false,
            may_receive_application_data: false,
            ccs_allowed: false,
            key_log: None,
            client_random: [0; 32],
            pending_plaintext: Vec::new(),
            received_close_notify: false,
            sent_close_notify: false,
            received_client_hello: None,
            empty_records: 0,
            warning_alerts: 0,
            post_handshake_messages: 0,
            key_update_reply_pending: false,
            plaintext_limit: DEFAULT_PLAINTEXT_LIMIT,
            received_early_data: Vec::new(),
            exporter: None,
            early_data_budget: None,
            early_data_skip: None,
            early_data_send_budget: None,
            max_received_fragment: crate::record::MAX_FRAGMENT_LEN,
            #[cfg(feature = "fuzzing")]
            fuzz_mutator: None,
        }
    }

    fn observe(&self, direction: Direction, kind: EventKind<'_>) {
        if let Some(o) = &self.observer {
            let protection = match (direction, kind) {
                // change_cipher_spec is never encrypted in a first handshake (RFC 8446 §5,
                // RFC 5246 §7.1: it is sent under the keys being replaced, i.e. none).
                (_, EventKind::ChangeCipherSpec) => Protection::Plaintext,
                (Direction::Sent, _) => self.send_protection,
                (Direction::Received, _) => self.recv_protection,
            };
            o.on_event(&HandshakeEvent {
                direction,
                protection,
                kind,
            });
        }
    }

    /// Queues a handshake message in the current flight (STYLE: `emit_*` writers call this).
    pub(crate) fn send_handshake(&mut self, msg: &HandshakeMessage) {
        self.observe(Direction::Sent, EventKind::Handshake(msg));
        #[cfg(feature = "fuzzing")]
        if let Some(mutate) = self.fuzz_mutator.as_mut() {
            let mut bytes = msg.encoded().to_vec();
            mutate(&mut bytes);
            self.flight.extend_from_slice(&bytes);
            return;
        }
        self.flight.extend_from_slice(msg.encoded());
    }

    /// Writes the queued flight out as records under the current keys.
    pub(crate) fn flush_flight(&mut self) -> Result<(), Error> {
        if self.flight.is_empty() {
            return Ok(());
        }
        let flight = core::mem::take(&mut self.flight);
        let r = match self.encrypter.as_mut() {
            Some(enc) => self
                .sendbuf
                .write_protected(ContentType::Handshake, &flight, enc),
            None => {
                self.sendbuf
                    .write_plaintext(ContentType::Handshake, self.record_version, &flight);
                Ok(())
            }
        };
        // During the handshake keep the allocation for the next flight; afterwards messages are
        // rare (tickets, KeyUpdate) and an idle connection should hold nothing (DESIGN).
        if !self.may_send_application_data {
            self.flight = flight;
            self.flight.clear();
        }
        r
    }

    /// Installs new sending keys, flushing what was queued under the old ones first.
    pub(crate) fn set_encrypter(
        &mut self,
        enc: RecordEncrypter,
        to: Protection,
    ) -> Result<(), Error> {
        self.flush_flight()?;
        self.encrypter = Some(enc);
        self.send_protection = to;
        self.observe(
            Direction::Sent,
            EventKind::KeysChanged {
                direction: Direction::Sent,
                to,
            },
        );
        Ok(())
    }

    /// Installs new receiving keys.
    ///
    /// RFC 8446 §5.1: handshake messages "MUST NOT span key changes"; a partial message left in
    /// the joiner is an error (unexpected_message).
    pub(crate) fn set_decrypter(
        &mut self,
        dec: RecordDecrypter,
        to: Protection,
    ) -> Result<(), Error> {
        if !self.joiner.is_empty() {
            return Err(PeerMisbehaved::KeyChangeNotOnRecordBoundary.into());
        }
        self.decrypter = Some(dec);
        self.recv_protection = to;
        self.observe(
            Direction::Received,
            EventKind::KeysChanged {
                direction: Direction::Received,
                to,
            },
        );
        Ok(())
    }

    /// Drops the sending keys (0-RTT keys after a HelloRetryRequest; RFC 8446 §4.2.10).
    pub(crate) fn clear_encrypter(&mut self) {
        let _ = self.flush_flight();
        self.encrypter = None;
        self.send_protection = Protection::Plaintext;
    }

    /// Sends a change_cipher_spec record (TLS 1.2 key switch; TLS 1.3 middlebox compatibility,
    /// RFC 8446 §D.4). Always plaintext in TLS 1.3; in TLS 1.2 it precedes the new keys.
    pub(crate) fn send_ccs(&mut self) -> Result<(), Error> {
        self.flush_flight()?;
        self.observe(Direction::Sent, EventKind::ChangeCipherSpec);
        self.sendbuf.write_plaintext(
            ContentType::ChangeCipherSpec,
            ProtocolVersion::TLSv1_2,
            &[1],
        );
        Ok(())
    }

    fn send_alert(&mut self, level: AlertLevel, desc: AlertDescription) {
        let _ = self.flush_flight();
        self.observe(Direction::Sent, EventKind::Alert(level, desc));
        let body = [level.0, desc.0];
        let ok = match self.encrypter.as_mut() {
            Some(enc) => self
                .sendbuf
                .write_protected(ContentType::Alert, &body, enc)
                .is_ok(),
            None => false,
        };
        if !ok {
            self.sendbuf
                .write_plaintext(ContentType::Alert, self.record_version, &body);
        }
    }

    /// Logs a secret to the key log, if one is configured.
    pub(crate) fn log_secret(&self, label: KeyLogLabel, secret: &[u8]) {
        if let Some(k) = &self.key_log {
            k.log(label.as_str(), &self.client_random, secret);
        }
    }

    /// Called by the handshake when application data may flow; sends what the caller queued.
    pub(crate) fn start_traffic(&mut self) -> Result<(), Error> {
        self.may_send_application_data = true;
        self.may_receive_application_data = true;
        self.flush_flight()?;
        // The flight buffer kept between handshake flights (`flush_flight`) is released here:
        // an idle connection should hold nothing it does not need (DESIGN); a later ticket or
        // KeyUpdate allocates again.
        self.flight = Vec::new();
        if !self.pending_plaintext.is_empty() {
            let data = core::mem::take(&mut self.pending_plaintext);
            self.send_application_data(&data)?;
        }
        Ok(())
    }

    /// Called by a TLS 1.3 server after its Finished when it sends 0.5-RTT data: application
    /// data may go out (under the application keys now installed), before the client's
    /// Finished is received; what the caller queued goes first.
    pub(crate) fn start_half_rtt(&mut self) -> Result<(), Error> {
        self.flush_flight()?;
        self.may_send_application_data = true;
        if !self.pending_plaintext.is_empty() {
            let data = core::mem::take(&mut self.pending_plaintext);
            self.send_application_data(&data)?;
        }
        Ok(())
    }

    fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        let Some(enc) = self.encrypter.as_mut() else {
            return Err(ApiMisuse::HandshakeNotComplete.into());
        };
        self.sendbuf
            .write_protected(ContentType::ApplicationData, data, enc)?;
        // We are no longer silent: the next KeyUpdate request gets an update of its own.
        self.key_update_reply_pending = false;
        self.observe(Direction::Sent, EventKind::ApplicationData(data.len()));
        Ok(())
    }

    /// Counts a KeyUpdate or post-handshake CertificateRequest from the peer. Each costs us a key
    /// derivation, or a signature and an answer; a peer sending them without end and no
    /// application data would keep us busy for free.
    ///
    /// # Errors
    /// `PeerMisbehaved::TooManyPostHandshakeMessages` past [`MAX_POST_HANDSHAKE_MESSAGES`] in a
    /// row (unexpected_message, as BoringSSL and rustls send).
    pub(crate) fn count_post_handshake_message(&mut self) -> Result<(), Error> {
        self.post_handshake_messages += 1;
        if self.post_handshake_messages > MAX_POST_HANDSHAKE_MESSAGES {
            return Err(PeerMisbehaved::TooManyPostHandshakeMessages.into());
        }
        Ok(())
    }

    /// Whether processing must pause before the next record: too much output waits for the
    /// caller to write it, or too much received plaintext waits for the caller to read it.
    fn input_paused(&self) -> bool {
        // Answers queued by this `process` call (`flight`, flushed when it returns) count too:
        // otherwise every record already in the receive buffer is answered first (a server
        // interleaving post-handshake CertificateRequests with 1-byte records queued 186 KB).
        self.sendbuf.len() + self.flight.len() > PENDING_OUTPUT_LIMIT
            || self.deframer.retained_span() >= self.plaintext_limit
    }

    /// Whether the sending key is near its AEAD limit (RFC 8446 §5.5).
    pub(crate) fn wants_key_update(&self) -> bool {
        self.encrypter
            .as_ref()
            .is_some_and(RecordEncrypter::wants_key_update)
    }
}

/// The state of a connection that is the same for clients and servers. Reach it through
/// [`ClientConnection`] or [`ServerConnection`] (both dereference to it).
pub struct ConnectionCommon {
    common: CommonState,
    state: Option<Box<dyn State>>,
    error: Option<Error>,
}

impl core::fmt::Debug for ConnectionCommon {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("side", &self.common.side)
            .field("negotiated", &self.common.negotiated)
            .field("handshaking", &self.is_handshaking())
            .finish_non_exhaustive()
    }
}

/// What [`ConnectionCommon::process_new_packets`] leaves for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoState {
    /// Bytes waiting in [`ConnectionCommon::write_tls`].
    pub tls_bytes_to_write: usize,
    /// Plaintext bytes ready in [`ConnectionCommon::reader`].
    pub plaintext_bytes_to_read: usize,
    /// Whether the peer sent close_notify.
    pub peer_has_closed: bool,
}

impl ConnectionCommon {
    fn new(common: CommonState, state: Box<dyn State>) -> Self {
        Self {
            common,
            state: Some(state),
            error: None,
        }
    }

    /// Reads TLS bytes from `rd` into the connection. Returns 0 at end of stream.
    ///
    /// Check [`Self::wants_read`] first: while output or unread plaintext is over its cap, the
    /// connection takes no input.
    ///
    /// # Errors
    /// I/O errors from `rd`; "buffer full" (`io::ErrorKind::Other`) when records are waiting to
    /// be processed, when more than [`PENDING_OUTPUT_LIMIT`] bytes wait to be written, or when
    /// the unread plaintext has reached [`Self::set_plaintext_limit`].
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        if self.common.received_close_notify {
            return Ok(0);
        }
        if self.common.input_paused() {
            return Err(io::Error::other(
                "TLS output or received plaintext over its cap: write out pending TLS bytes \
                 and read the plaintext, then call process_new_packets before reading more",
            ));
        }
        self.common.deframer.read_tls(rd)
    }

    /// Gives the connection TLS bytes received some other way (sans-IO). Returns how many were
    /// taken; call [`Self::process_new_packets`] and offer the rest again. Takes nothing while
    /// output or unread plaintext is over its cap (see [`Self::wants_read`]).
    pub fn push_tls(&mut self, bytes: &[u8]) -> usize {
        if self.common.input_paused() {
            return 0;
        }
        self.common.deframer.push(bytes)
    }

    /// Writes pending TLS bytes to `wr`.
    ///
    /// # Errors
    /// I/O errors from `wr`.
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        self.common.sendbuf.write_tls(wr)
    }

    /// The TLS bytes waiting to be sent (sans-IO); mark them sent with [`Self::consume_tls`].
    #[must_use]
    pub fn pending_tls(&self) -> &[u8] {
        self.common.sendbuf.pending()
    }

    /// Marks `n` bytes of [`Self::pending_tls`] as sent.
    pub fn consume_tls(&mut self, n: usize) {
        self.common.sendbuf.consume(n);
    }

    /// Whether there are TLS bytes to write.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.common.sendbuf.is_empty()
    }

    /// Whether the connection needs more TLS bytes to make progress.
    ///
    /// `false` while received plaintext waits in [`Self::reader`], and while more than
    /// [`PENDING_OUTPUT_LIMIT`] (64 KiB) bytes of TLS output wait to be written: a connection
    /// whose output does not drain takes no more input (a peer that floods requests and never
    /// reads the answers cannot make it queue more). Write the output out, read the plaintext,
    /// then call [`Self::process_new_packets`] again: records that arrived meanwhile are still
    /// buffered and are processed then, before any new read.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        self.error.is_none()
            && !self.common.received_close_notify
            && self.common.deframer.app_data_len() == 0
            && self.common.sendbuf.len() <= PENDING_OUTPUT_LIMIT
    }

    /// Whether the handshake is still in progress.
    #[must_use]
    pub fn is_handshaking(&self) -> bool {
        !(self.common.may_send_application_data && self.common.may_receive_application_data)
    }

    /// Processes the TLS bytes received so far: runs the handshake, decrypts application data.
    ///
    /// # Errors
    /// The first fatal error, again on every later call (errors are sticky). An alert describing
    /// it has been queued for the peer (except for alerts the peer sent us).
    pub fn process_new_packets(&mut self) -> Result<IoState, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if let Err(e) = self.process() {
            if !matches!(e, Error::AlertReceived(_)) {
                let desc = crate::error::alert_for(&e, self.common.negotiated.version);
                self.common.send_alert(AlertLevel::Fatal, desc);
            }
            self.error = Some(e.clone());
            self.state = None;
            return Err(e);
        }
        Ok(self.io_state())
    }

    fn io_state(&self) -> IoState {
        IoState {
            tls_bytes_to_write: self.common.sendbuf.len(),
            plaintext_bytes_to_read: self.common.deframer.app_data_len(),
            peer_has_closed: self.common.received_close_notify,
        }
    }

    fn process(&mut self) -> Result<(), Error> {
        loop {
            if self.common.received_close_notify {
                return Ok(());
            }
            let c = &mut self.common;
            // Everything bounded (DESIGN): the records after this one wait in the receive buffer
            // (itself bounded) until the caller has written out our output or read the
            // plaintext; nothing they would make us queue is queued meanwhile.
            if c.input_paused() {
                break;
            }
            c.deframer
                .set_skipping_early_data(c.early_data_skip.is_some() && c.decrypter.is_none());
            let rec = match c.deframer.next_record(c.decrypter.as_mut()) {
                Ok(Some(rec)) => rec,
                Ok(None) => break,
                // RFC 8446 §4.2.10: a server that rejected 0-RTT skips records it cannot open
                // with the handshake keys (up to a bound), instead of failing.
                Err(Error::DecryptError) if c.early_data_skip.is_some() => {
                    let n = c.deframer.last_wire_len();
                    c.early_data_skip = Some(skip_early_data(c.early_data_skip, n)?);
                    continue;
                }
                Err(e) => return Err(e),
            };
            // After a HelloRetryRequest the client's 0-RTT records arrive while we read
            // plaintext: application_data there is skipped (RFC 8446 §4.2.10), whatever its size
            // up to a protected record's, so before the plaintext size check below.
            if rec.typ == ContentType::ApplicationData
                && c.decrypter.is_none()
                && c.early_data_skip.is_some()
                && !c.may_receive_application_data
                // RFC 8446 §5.1: never inside a half-received handshake message (below).
                && c.joiner.is_empty()
            {
                let n = c.deframer.last_wire_len();
                c.early_data_skip = Some(skip_early_data(c.early_data_skip, n)?);
                continue;
            }
            // The deframer lets a TLS 1.3 plaintext alert through while the new receiving key
            // has opened nothing (sequence number 0): a peer that failed on our flight before
            // it had handshake keys sends its alert in the clear (RFC 8446 §A.1). An opened
            // record advances the sequence number, so an alert seen at 0 was not protected.
            // Under application keys no peer has a reason to do that, and an unauthenticated
            // close_notify there would let an attacker truncate the stream undetected
            // (RFC 8446 §6.1): RFC 8446 §5: records are protected once keys are in use.
            if rec.typ == ContentType::Alert
                && c.recv_protection == Protection::ApplicationKeys
                && c.decrypter
                    .as_ref()
                    .is_some_and(|d| d.is_tls13() && d.seq() == 0)
            {
                return Err(Error::InappropriateMessage {
                    expected: &[ContentType::ApplicationData],
                    got: ContentType::Alert,
                });
            }
            // RFC 8449 §4: "An endpoint that receives a record larger than its advertised limit
            // MUST generate a fatal "record_overflow" alert".
            if rec.payload.len() > c.max_received_fragment {
                return Err(Error::RecordOverflow);
            }
            if c.decrypter.is_some()
                && rec.typ != ContentType::ChangeCipherSpec
                && rec.typ != ContentType::Alert
            {
                // The first record that opens ends any early-data skipping.
                c.early_data_skip = None;
            }
            let typ = rec.typ;
            // RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other record
            // types": nothing but handshake data while a message is half-received.
            if typ != ContentType::Handshake && !c.joiner.is_empty() {
                return Err(InvalidMessage::UnalignedKeyChange.into());
            }
            match typ {
                ContentType::Handshake => {
                    c.joiner.push(rec.payload)?;
                    c.empty_records = 0;
                    c.warning_alerts = 0;
                    self.drain_handshake()?;
                }
                ContentType::ApplicationData => {
                    let len = rec.payload.len();
                    if !c.may_receive_application_data {
                        if let Some(budget) = c.early_data_budget {
                            // RFC 8446 §4.2.10: more than max_early_data_size is
                            // "unexpected_message".
                            let left = budget
                                .checked_sub(len)
                                .ok_or(PeerMisbehaved::IllegalEarlyData)?;
                            c.early_data_budget = Some(left);
                            // RFC 8446 §8, §E.5: 0-RTT data may be a replay. It goes to its own
                            // buffer (`ServerConnection::early_data`), never into the 1-RTT
                            // stream, so the application cannot mistake it for fresh data.
                            // Bounded by the budget just checked.
                            c.received_early_data.extend_from_slice(rec.payload);
                            c.observe(Direction::Received, EventKind::ApplicationData(len));
                            continue;
                        }
                        return Err(Error::InappropriateMessage {
                            expected: &[ContentType::Handshake],
                            got: ContentType::ApplicationData,
                        });
                    }
                    if len == 0 {
                        c.empty_records += 1;
                        if c.empty_records > MAX_EMPTY_RECORDS {
                            return Err(PeerMisbehaved::TooManyEmptyRecords.into());
                        }
                        continue;
                    }
                    c.empty_records = 0;
                    c.warning_alerts = 0;
                    c.post_handshake_messages = 0;
                    c.deframer.retain_last_payload();
                    c.observe(Direction::Received, EventKind::ApplicationData(len));
                }
                ContentType::Alert => {
                    let p = rec.payload;
                    let [level, desc] = *p else {
                        return Err(InvalidMessage::InvalidAlert.into());
                    };
                    self.handle_alert(AlertLevel(level), AlertDescription(desc))?;
                }
                ContentType::ChangeCipherSpec => {
                    if rec.payload != [1] {
                        return Err(InvalidMessage::InvalidCcs.into());
                    }
                    c.empty_records += 1;
                    if c.empty_records > MAX_EMPTY_RECORDS {
                        return Err(PeerMisbehaved::TooManyEmptyRecords.into());
                    }
                    self.handle_ccs()?;
                }
                other => {
                    return Err(Error::InappropriateMessage {
                        expected: &[ContentType::Handshake],
                        got: other,
                    })
                }
            }
        }
        // Flush whatever the handshake queued in response.
        self.common.flush_flight()?;
        Ok(())
    }

    fn handle_ccs(&mut self) -> Result<(), Error> {
        let c = &mut self.common;
        c.observe(Direction::Received, EventKind::ChangeCipherSpec);
        if c.negotiated.version == Some(ProtocolVersion::TLSv1_3) || c.ccs_allowed {
            // RFC 8446 §5: a change_cipher_spec "at any time after the first ClientHello ... and
            // before the peer's Finished message has been received MUST simply [be dropped]";
            // otherwise "MUST abort the handshake with an unexpected_message alert".
            if c.ccs_allowed {
                return Ok(());
            }
            return Err(PeerMisbehaved::IllegalChangeCipherSpec.into());
        }
        let state =
            self.state
                .take()
                .ok_or(Error::Internal(crate::error::InternalError::Unreachable(
                    "no state",
                )))?;
        self.state = Some(state.handle_ccs(&mut self.common)?);
        Ok(())
    }

    fn handle_alert(&mut self, level: AlertLevel, desc: AlertDescription) -> Result<(), Error> {
        let c = &mut self.common;
        c.observe(Direction::Received, EventKind::Alert(level, desc));
        if desc == AlertDescription::CloseNotify {
            // RFC 8446 §6.1: close_notify ends the peer's writing side; data after it is ignored.
            c.received_close_notify = true;
            return Ok(());
        }
        let tls13 = c.negotiated.version == Some(ProtocolVersion::TLSv1_3);
        // RFC 8446 §6: in TLS 1.3 every error alert is fatal whatever its level;
        // user_canceled is followed by close_notify. RFC 5246 §7.2: TLS 1.2 warnings may be
        // ignored.
        if desc == AlertDescription::UserCanceled || (!tls13 && level == AlertLevel::Warning) {
            if desc == AlertDescription::NoRenegotiation {
                return Err(Error::AlertReceived(desc));
            }
            c.warning_alerts += 1;
            if c.warning_alerts > MAX_WARNING_ALERTS {
                return Err(PeerMisbehaved::TooManyWarningAlerts.into());
            }
            c.empty_records += 1;
            if c.empty_records > MAX_EMPTY_RECORDS {
                return Err(PeerMisbehaved::TooManyEmptyRecords.into());
            }
            return Ok(());
        }
        Err(Error::AlertReceived(desc))
    }

    fn drain_handshake(&mut self) -> Result<(), Error> {
        loop {
            let version = self
                .common
                .negotiated
                .version
                .unwrap_or(ProtocolVersion::TLSv1_3);
            let msg = {
                let Some(m) = self.common.joiner.next_message()? else {
                    return Ok(());
                };
                HandshakeMessage::read_version(m.bytes, version)?
            };
            self.common
                .observe(Direction::Received, EventKind::Handshake(&msg));
            let state = self.state.take().ok_or(Error::Internal(
                crate::error::InternalError::Unreachable("no state"),
            ))?;
            self.state = Some(state.handle(&mut self.common, msg)?);
        }
    }

    /// Caps the received plaintext waiting in [`Self::reader`]: once `limit` bytes of the
    /// receive buffer hold unread plaintext, no further record is opened and no TLS input is
    /// taken (`wants_read() == false`) until the plaintext is read. Default
    /// [`DEFAULT_PLAINTEXT_LIMIT`] (16 KiB). A record is always opened when nothing is waiting,
    /// so up to `limit` plus one record (16 KiB) may be buffered. Accepted 0-RTT data is bounded
    /// by the server's `max_early_data_size` instead.
    pub fn set_plaintext_limit(&mut self, limit: usize) {
        self.common.plaintext_limit = limit.max(1);
    }

    /// Plaintext received from the peer. When it runs dry and records were held back (see
    /// [`Self::set_plaintext_limit`]), reading processes them first.
    pub fn reader(&mut self) -> Reader<'_> {
        Reader { conn: self }
    }

    /// Plaintext to send to the peer. Data written before the handshake completes is queued and
    /// sent as soon as application keys exist.
    pub fn writer(&mut self) -> Writer<'_> {
        Writer { conn: self }
    }

    /// Queues a close_notify alert (RFC 8446 §6.1). Nothing may be written after it. Does
    /// nothing once the connection has failed: RFC 8446 §6.2, after a fatal alert (sent or
    /// received) the connection is closed and no further alert goes out.
    pub fn send_close_notify(&mut self) {
        if self.common.sent_close_notify || self.error.is_some() {
            return;
        }
        self.common.sent_close_notify = true;
        self.common
            .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
    }

    /// Sends a TLS 1.3 KeyUpdate, asking the peer to update too (RFC 8446 §4.6.3).
    ///
    /// # Errors
    /// `ApiMisuse::HandshakeNotComplete` before the handshake ends or in TLS 1.2.
    pub fn refresh_traffic_keys(&mut self) -> Result<(), Error> {
        let state = self
            .state
            .as_mut()
            .ok_or(Error::ApiMisuse(ApiMisuse::HandshakeNotComplete))?;
        state.send_key_update(&mut self.common, true)?;
        self.common.flush_flight()
    }

    /// Fuzzing only (feature `fuzzing`): installs a [`FuzzMutator`] for every handshake
    /// message this side sends from now on.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn set_fuzz_mutator(&mut self, mutator: FuzzMutator) {
        self.common.fuzz_mutator = Some(mutator);
    }

    /// What was negotiated.
    #[must_use]
    pub fn negotiated(&self) -> &Negotiated {
        &self.common.negotiated
    }

    /// The negotiated protocol version.
    #[must_use]
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.common.negotiated.version
    }

    /// The negotiated cipher suite (rustls: `negotiated_cipher_suite`).
    #[must_use]
    pub fn negotiated_cipher_suite(&self) -> Option<CipherSuite> {
        self.common.negotiated.cipher_suite
    }

    /// The negotiated key-exchange group (rustls: `negotiated_key_exchange_group`); `None`
    /// before the ServerHello, and for TLS 1.2 RSA key transport and psk_ke resumptions.
    #[must_use]
    pub fn negotiated_key_exchange_group(&self) -> Option<NamedGroup> {
        self.common.negotiated.group
    }

    /// The ALPN protocol, if one was agreed.
    #[must_use]
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.common.negotiated.alpn_protocol.as_deref()
    }

    /// The peer's verified certificate path: the end-entity certificate, then the intermediates
    /// verification used (certificates the peer sent that are not on the path, and the trust
    /// anchor, are left out). On a resumed connection, the path verified when the session was
    /// made; a server that authenticates clients has verified it again under its current
    /// verifier, and a server that does not reports none. Empty if the peer sent none. With a
    /// verifier that names no path (a custom one, or
    /// [`crate::verify::dangerous::NoServerVerification`]): everything the peer sent.
    #[must_use]
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.common.negotiated.peer_certificates
    }

    /// Client: the OCSP response the server stapled for its end-entity certificate (RFC 6066
    /// §8 CertificateStatus in TLS 1.2, the leaf CertificateEntry's status_request in TLS 1.3,
    /// RFC 8446 §4.4.2.1), as raw DER bytes; `None` if the server sent none. On a resumed
    /// connection, the response received when the session was made. clasp does not parse or
    /// validate it (see [`crate::ocsp`] for why): the application decides what it proves.
    /// Always `None` on a server (see [`Negotiated::ocsp_stapled`]).
    #[must_use]
    pub fn ocsp_response(&self) -> Option<&[u8]> {
        self.common.negotiated.ocsp_response.as_deref()
    }

    /// Sets an observer that receives every handshake event (for tracing tools).
    pub fn set_observer(&mut self, observer: Arc<dyn Observer>) {
        self.common.observer = Some(observer);
    }

    /// Derives keying material (RFC 8446 §7.5, RFC 5705) into `out`.
    ///
    /// # Errors
    /// Before the handshake completes, or for an output length the hash cannot produce.
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        match &self.common.exporter {
            Some(e) => e.export(label, context, out),
            None => Err(ApiMisuse::HandshakeNotComplete.into()),
        }
    }

    /// The first fatal error, if the connection has failed.
    #[must_use]
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The Rust heap this connection holds, part by part (label, bytes), for the memory
    /// breakdown in `clasp-bench --only memory-breakdown`. Sizes come from `size_of_val` and
    /// capacities; the benchmark checks their sum against a counting allocator. Not counted: the
    /// connection struct itself, `Arc`s shared with the config (observer, key log, config), the
    /// heap inside the decoded ClientHello (see [`ServerConnection::client_hello`]) and aws-lc's
    /// own C allocations behind the AEAD keys.
    #[cfg(feature = "internal")]
    #[must_use]
    pub(crate) fn heap_breakdown(&self) -> Vec<(&'static str, usize)> {
        let c = &self.common;
        let mut out = Vec::new();
        if let Some(state) = &self.state {
            state.heap_parts(&mut out);
        }
        out.push((
            "record encrypter (boxed AEAD key)",
            c.encrypter.as_ref().map_or(0, RecordEncrypter::heap_size),
        ));
        out.push((
            "record decrypter (boxed AEAD key)",
            c.decrypter.as_ref().map_or(0, RecordDecrypter::heap_size),
        ));
        out.push(("deframer buffer", c.deframer.capacity()));
        out.push(("send buffer", c.sendbuf.capacity()));
        out.push(("handshake joiner buffer", c.joiner.capacity()));
        out.push(("flight buffer", c.flight.capacity()));
        out.push(("pending plaintext", c.pending_plaintext.capacity()));
        out.push(("received early data", c.received_early_data.capacity()));
        let n = &c.negotiated;
        out.push((
            "negotiated: peer certificates",
            n.peer_certificates.capacity() * core::mem::size_of::<CertificateDer<'static>>()
                + n.peer_certificates.iter().map(|d| d.len()).sum::<usize>(),
        ));
        out.push((
            "negotiated: alpn_protocol",
            n.alpn_protocol.as_ref().map_or(0, Vec::capacity),
        ));
        out.push((
            "negotiated: server_name",
            n.server_name.as_ref().map_or(0, String::capacity),
        ));
        out.push((
            "received ClientHello: box + raw bytes",
            c.received_client_hello
                .as_ref()
                .map_or(0, |b| core::mem::size_of_val(&**b) + b.1.capacity()),
        ));
        out
    }

    /// Bytes of memory held by buffers (for measuring idle connection size).
    #[cfg(feature = "internal")]
    #[must_use]
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.common.deframer.capacity()
            + self.common.sendbuf.capacity()
            + self.common.joiner.capacity()
            + self.common.flight.capacity()
            + self.common.pending_plaintext.capacity()
            + self.common.received_early_data.capacity()
    }
}

/// Reads plaintext from a connection (see [`ConnectionCommon::reader`]).
#[derive(Debug)]
pub struct Reader<'a> {
    conn: &'a mut ConnectionCommon,
}

impl io::Read for Reader<'_> {
    /// Returns plaintext if any is buffered; `Ok(0)` after the peer's close_notify;
    /// `WouldBlock` if more TLS data is needed; `UnexpectedEof` if the connection failed.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = self.conn.common.deframer.read_app_data(buf);
        if n == 0
            && !buf.is_empty()
            && self.conn.error.is_none()
            && !self.conn.common.received_close_notify
            && self.conn.common.deframer.has_unopened()
        {
            // Records held back while the plaintext was at its cap: open them now, or a caller
            // that waits for more TLS bytes would wait for data that is already here.
            if let Err(e) = self.conn.process_new_packets() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            n = self.conn.common.deframer.read_app_data(buf);
        }
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        if self.conn.common.received_close_notify {
            return Ok(0);
        }
        if let Some(e) = &self.conn.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Writes plaintext to a connection (see [`ConnectionCommon::writer`]).
#[derive(Debug)]
pub struct Writer<'a> {
    conn: &'a mut ConnectionCommon,
}

impl io::Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if c.sent_close_notify {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                Error::ApiMisuse(ApiMisuse::ConnectionClosed),
            ));
        }
        if let Some(e) = &self.conn.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if !c.may_send_application_data {
            c.pending_plaintext.extend_from_slice(buf);
            return Ok(buf.len());
        }
        c.send_application_data(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        // RFC 8446 §5.5: change keys well before the AEAD's confidentiality limit. TLS 1.2 has
        // no KeyUpdate (and clasp refuses renegotiation), so there the sequence number runs on.
        if c.wants_key_update() && c.negotiated.version == Some(ProtocolVersion::TLSv1_3) {
            if let Some(state) = self.conn.state.as_mut() {
                state
                    .send_key_update(&mut self.conn.common, false)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                self.conn
                    .common
                    .flush_flight()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A client connection.
#[derive(Debug)]
pub struct ClientConnection {
    inner: ConnectionCommon,
}

impl ClientConnection {
    /// Starts a client connection to `server_name`; the ClientHello is queued immediately.
    ///
    /// # Errors
    /// If the random source fails or the name is unusable.
    pub fn new(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Result<Self, Error> {
        Self::with_observer(config, server_name, None)
    }

    /// Writes 0-RTT data (RFC 8446 §2.3), possible right after [`Self::new`] when a stored
    /// ticket allows it and the config enabled early data. Returns how many bytes were taken
    /// (at most the ticket's `max_early_data_size` in total); 0 when early data is not
    /// possible. Check [`Negotiated::early_data_accepted`] after the handshake: if `Some(false)`,
    /// the server discarded it and it must be sent again. Early data can be replayed by an
    /// attacker; send only idempotent requests.
    ///
    /// # Errors
    /// Record protection failure.
    pub fn write_early_data(&mut self, data: &[u8]) -> Result<usize, Error> {
        let c = &mut self.inner.common;
        let Some(budget) = c.early_data_send_budget else {
            return Ok(0);
        };
        let n = data.len().min(budget);
        if n == 0 {
            return Ok(0);
        }
        c.send_application_data(&data[..n])?;
        c.early_data_send_budget = Some(budget - n);
        Ok(n)
    }

    /// Like [`Self::new`], with an observer that sees the ClientHello too.
    ///
    /// # Errors
    /// If the random source fails or the name is unusable.
    pub fn with_observer(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        observer: Option<Arc<dyn Observer>>,
    ) -> Result<Self, Error> {
        let mut common = CommonState::new(Side::Client);
        common.observer = observer;
        common.key_log.clone_from(&config.key_log);
        let state = handshake::client::start(config, server_name, &mut common)?;
        common.flush_flight()?;
        Ok(Self {
            inner: ConnectionCommon::new(common, state),
        })
    }
}

impl Deref for ClientConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}

/// A server connection.
#[derive(Debug)]
pub struct ServerConnection {
    inner: ConnectionCommon,
}

impl ServerConnection {
    /// Starts a server connection; it waits for a ClientHello.
    ///
    /// # Errors
    /// None today; reserved for configs that cannot start.
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        let mut common = CommonState::new(Side::Server);
        common.key_log.clone_from(&config.key_log);
        let state = handshake::server::start(config);
        Ok(Self {
            inner: ConnectionCommon::new(common, state),
        })
    }

    /// Asks the client for a certificate after the handshake (TLS 1.3 post-handshake
    /// authentication, RFC 8446 §4.6.2). The client's chain appears in
    /// [`ConnectionCommon::peer_certificates`] once its Finished has been verified.
    ///
    /// # Errors
    /// `ApiMisuse::PostHandshakeAuthUnavailable` when the client did not offer post_handshake_auth,
    /// the server config has no client verifier, or the handshake is not complete.
    pub fn request_client_certificate(&mut self) -> Result<(), Error> {
        let inner = &mut self.inner;
        if inner.is_handshaking() {
            return Err(ApiMisuse::HandshakeNotComplete.into());
        }
        let state = inner
            .state
            .as_mut()
            .ok_or(ApiMisuse::PostHandshakeAuthUnavailable)?;
        state.request_client_auth(&mut inner.common)?;
        inner.common.flush_flight()
    }

    /// The accepted 0-RTT data (RFC 8446 §2.3, §4.2.10), apart from the 1-RTT plaintext of
    /// [`ConnectionCommon::reader`]. `Some` while early data is being received (from the
    /// ClientHello until the client's EndOfEarlyData) and afterwards while some of it is unread;
    /// `None` when the server did not accept early data or all of it has been read.
    ///
    /// **Early data can be replayed.** An attacker who recorded the client's first flight can
    /// send it again, to this server or another one sharing its ticket keys, and the same bytes
    /// arrive as early data on another connection (RFC 8446 §8, §E.5); clasp refuses a ticket's
    /// second 0-RTT attempt only within this process. Act on early data only if doing it twice
    /// is harmless (RFC 8446 §E.5: "minimally, this means idempotent"), or hold it until the
    /// handshake is complete ([`ConnectionCommon::is_handshaking`] is `false`: the client's
    /// Finished proves this connection is live, though not that the data was not sent before).
    /// An application protocol needs a profile for 0-RTT (for HTTP, RFC 8470) before using it.
    pub fn early_data(&mut self) -> Option<EarlyDataReader<'_>> {
        let c = &self.inner.common;
        if c.early_data_budget.is_none() && c.received_early_data.is_empty() {
            return None;
        }
        Some(EarlyDataReader {
            common: &mut self.inner.common,
        })
    }

    /// The server name the client asked for (SNI), once the ClientHello has arrived.
    #[must_use]
    pub fn server_name(&self) -> Option<&str> {
        self.inner.common.negotiated.server_name.as_deref()
    }

    /// The ClientHello as received, decoded and raw (for fingerprinting and the tools).
    /// `None` unless the config asked for it with
    /// [`crate::config::ServerConfigBuilder::retain_client_hello`] (an idle connection should
    /// not carry it for life), or before the ClientHello has arrived.
    #[must_use]
    pub fn client_hello(&self) -> Option<(&ClientHello, &[u8])> {
        self.inner
            .common
            .received_client_hello
            .as_deref()
            .map(|(ch, raw)| (ch, raw.as_slice()))
    }

    /// Takes the retained ClientHello out of the connection (decoded and raw), so a long-lived
    /// connection does not carry up to 64 KiB it no longer needs; [`Self::client_hello`] returns
    /// `None` afterwards. Call it once whatever needed the ClientHello has looked at it.
    pub fn take_client_hello(&mut self) -> Option<(ClientHello, Vec<u8>)> {
        self.inner.common.received_client_hello.take().map(|b| *b)
    }
}

impl Deref for ServerConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}

/// Reads accepted 0-RTT data (see [`ServerConnection::early_data`], and its replay warning).
pub struct EarlyDataReader<'a> {
    common: &'a mut CommonState,
}

impl core::fmt::Debug for EarlyDataReader<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EarlyDataReader")
            .field("bytes_available", &self.bytes_available())
            .finish()
    }
}

impl EarlyDataReader<'_> {
    /// Bytes of early data received and not yet read.
    #[must_use]
    pub fn bytes_available(&self) -> usize {
        self.common.received_early_data.len()
    }
}

impl io::Read for EarlyDataReader<'_> {
    /// Returns early data if any is buffered; `WouldBlock` while more may still arrive (before
    /// the client's EndOfEarlyData); `Ok(0)` once all of it has been read.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data = &mut self.common.received_early_data;
        let n = buf.len().min(data.len());
        if n == 0 && !buf.is_empty() {
            if self.common.early_data_budget.is_some() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            return Ok(0);
        }
        buf[..n].copy_from_slice(&data[..n]);
        data.drain(..n);
        if data.is_empty() {
            // Idle connections hold no buffers (DESIGN).
            *data = Vec::new();
        }
        Ok(n)
    }
}
