//! A hostile peer after (and around) the handshake, in memory (issue 9 items 3, 7, 11): floods
//! that try to dodge the post-handshake counters, messages trickled a byte per record, records
//! the RFC forbids once traffic keys are in use, and 0-RTT data beyond what the server allows.
//! Each asserts the exact error, or that memory stays bounded while the attack goes on.
//!
//! The peer's records are forged under its real keys, taken from a key log (RFC 8446 §7.3).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clasp::error::PeerMisbehaved;
use clasp::internal::RecordEncrypter;
use clasp::keylog::KeyLog;
use clasp::msgs::enums::{AlertDescription, CipherSuite, ContentType, HandshakeType};
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer};
use clasp::{ClientConnection, ConnectionCommon, Error, ServerConnection};
use clasp_testkit::{KeyType, TestPki};

mod common;
use common::{
    client_builder, drain_early_data, drain_plaintext, localhost, pump, server_builder, take_tls,
};

/// A TLS 1.3 KeyUpdate record under AES-128-GCM: 5 header + 5 message + 1 type + 16 tag.
const KEY_UPDATE_RECORD_LEN: usize = 27;
/// The documented cap on pending TLS output (`ConnectionCommon::wants_read`).
const OUTPUT_CAP: usize = 64 * 1024;

/// Key log kept in memory: label -> secret.
#[derive(Debug, Default)]
struct MemoryKeyLog(Mutex<BTreeMap<String, Vec<u8>>>);

impl KeyLog for MemoryKeyLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .insert(label.to_owned(), secret.to_vec());
    }
}

/// Counts KeyUpdate and CertificateRequest messages sent and received.
#[derive(Default)]
struct Counts {
    key_updates_sent: AtomicUsize,
    key_updates_received: AtomicUsize,
    certificate_requests_received: AtomicUsize,
    alerts_sent: Mutex<Vec<AlertDescription>>,
}

impl Observer for Counts {
    fn on_event(&self, ev: &HandshakeEvent<'_>) {
        if let (EventKind::Alert(_, desc), Direction::Sent) = (ev.kind, ev.direction) {
            self.alerts_sent.lock().unwrap().push(desc);
        }
        if let EventKind::Handshake(m) = ev.kind {
            let counter = match (m.typ(), ev.direction) {
                (HandshakeType::KeyUpdate, Direction::Sent) => &self.key_updates_sent,
                (HandshakeType::KeyUpdate, Direction::Received) => &self.key_updates_received,
                (HandshakeType::CertificateRequest, Direction::Received) => {
                    &self.certificate_requests_received
                }
                _ => return,
            };
            counter.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Seals records as one side of the pair would, under its application traffic keys.
struct Forger {
    secret: Vec<u8>,
    enc: RecordEncrypter,
}

impl Forger {
    /// Starts at generation 0 of `label` (`CLIENT_TRAFFIC_SECRET_0` / `SERVER_TRAFFIC_SECRET_0`);
    /// the first record under it has sequence number 0.
    fn new(log: &MemoryKeyLog, label: &str) -> Self {
        let secret = log.0.lock().unwrap()[label].clone();
        let enc = Self::encrypter(&secret);
        Self { secret, enc }
    }

    fn encrypter(secret: &[u8]) -> RecordEncrypter {
        let provider = clasp::crypto::aws_lc::default_provider();
        let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
        let hkdf = provider.hkdf(suite.hash);
        let mut key = vec![0u8; suite.aead.key_len()];
        let mut iv = [0u8; 12];
        clasp::crypto::tls13::hkdf_expand_label(hkdf, secret, b"key", &[], &mut key).unwrap();
        clasp::crypto::tls13::hkdf_expand_label(hkdf, secret, b"iv", &[], &mut iv).unwrap();
        clasp::internal::record_encrypter_tls13(provider.aead(suite.aead), &key, &iv).unwrap()
    }

    fn seal(&mut self, typ: ContentType, payload: &[u8]) -> Vec<u8> {
        let mut record = Vec::new();
        self.enc.seal_record(typ, payload, &mut record).unwrap();
        record
    }

    /// A KeyUpdate (RFC 8446 §4.6.3) under the current keys; later records use the next
    /// generation (§7.2: "traffic upd").
    fn key_update(&mut self, request: u8) -> Vec<u8> {
        let record = self.seal(ContentType::Handshake, &[24, 0, 0, 1, request]);
        let provider = clasp::crypto::aws_lc::default_provider();
        let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
        let mut next = vec![0u8; self.secret.len()];
        clasp::crypto::tls13::hkdf_expand_label(
            provider.hkdf(suite.hash),
            &self.secret,
            b"traffic upd",
            &[],
            &mut next,
        )
        .unwrap();
        self.enc = Self::encrypter(&next);
        self.secret = next;
        record
    }

    /// A post-handshake CertificateRequest (RFC 8446 §4.6.2) with a one-byte context and
    /// signature_algorithms = [ecdsa_secp256r1_sha256].
    fn certificate_request(&mut self, context: u8) -> Vec<u8> {
        let body = [
            13, 0, 0, 12, // CertificateRequest, 12 bytes
            1, context, // certificate_request_context
            0, 8, // extensions
            0, 13, 0, 4, 0, 2, 4, 3, // signature_algorithms: ecdsa_secp256r1_sha256
        ];
        self.seal(ContentType::Handshake, &body)
    }

    fn application_data(&mut self, data: &[u8]) -> Vec<u8> {
        self.seal(ContentType::ApplicationData, data)
    }
}

struct Pair {
    client: ClientConnection,
    server: ServerConnection,
    client_counts: Arc<Counts>,
    server_counts: Arc<Counts>,
    log: Arc<MemoryKeyLog>,
}

/// A completed TLS 1.3 (AES-128-GCM) pair whose client logs its secrets. The server sends no
/// tickets, so no record has been sent under either application key yet.
fn pair(client_cert: bool) -> Pair {
    pair_with(client_cert, false)
}

/// [`pair`], with a server that asks for client certificates when `server_auth` (optionally,
/// so post-handshake authentication is available).
fn pair_with(client_cert: bool, server_auth: bool) -> Pair {
    let log = Arc::new(MemoryKeyLog::default());
    let mut cb = client_builder()
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .with_key_log(log.clone());
    if client_cert {
        let id = TestPki::shared().client(KeyType::EcdsaP256);
        cb = cb.with_client_auth_cert(id.cert_chain(), id.private_key());
    }
    let client_counts = Arc::new(Counts::default());
    let server_counts = Arc::new(Counts::default());
    let mut client = ClientConnection::with_observer(
        Arc::new(cb.build().unwrap()),
        localhost(),
        Some(client_counts.clone()),
    )
    .unwrap();
    let mut sb = server_builder(KeyType::EcdsaP256).with_tickets(0);
    if server_auth {
        sb = sb.with_client_auth(clasp::ClientAuth::Optional(common::roots()));
    }
    let server_cfg = sb.build().unwrap();
    let mut server = ServerConnection::new(Arc::new(server_cfg)).unwrap();
    server.set_observer(server_counts.clone());
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking() && !server.is_handshaking());
    Pair {
        client,
        server,
        client_counts,
        server_counts,
        log,
    }
}

/// Gives `conn` all of `data` (which must fit the receive buffer) and processes it.
fn feed(conn: &mut ConnectionCommon, data: &[u8]) -> Result<(), Error> {
    assert_eq!(conn.push_tls(data), data.len());
    conn.process_new_packets().map(|_| ())
}

impl Forger {
    /// A NewSessionTicket (RFC 8446 §4.6.1) with a `ticket_len`-byte ticket.
    fn new_session_ticket(&mut self, ticket_len: usize) -> Vec<u8> {
        self.seal(ContentType::Handshake, &nst_body(ticket_len))
    }
}

fn nst_body(ticket_len: usize) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&7200u32.to_be_bytes()); // ticket_lifetime
    body.extend_from_slice(&1u32.to_be_bytes()); // ticket_age_add
    body.extend_from_slice(&[1, 0]); // ticket_nonce<0..255>
    body.extend_from_slice(&u16::try_from(ticket_len).unwrap().to_be_bytes());
    body.extend(std::iter::repeat_n(0xa5, ticket_len));
    body.extend_from_slice(&[0, 0]); // extensions
    let mut msg = vec![4];
    msg.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    msg.extend(body);
    msg
}

/// Gives `conn` everything in `data`, a receive buffer's worth at a time, processing and
/// reading the plaintext as it goes; the first error. Its output is thrown away when
/// `discard_output`, else kept for the peer.
fn feed_all_with(
    conn: &mut ConnectionCommon,
    mut data: &[u8],
    discard_output: bool,
) -> Result<(), Error> {
    let mut sink = Vec::new();
    while !data.is_empty() {
        let n = conn.push_tls(data);
        data = &data[n..];
        conn.process_new_packets()?;
        drain_plaintext(conn, &mut sink);
        if discard_output {
            let out = conn.pending_tls().len();
            conn.consume_tls(out);
        }
        assert!(n > 0 || conn.wants_read(), "stuck");
    }
    Ok(())
}

fn feed_all(conn: &mut ConnectionCommon, data: &[u8]) -> Result<(), Error> {
    feed_all_with(conn, data, true)
}

// ---------------------------------------------------------------------------------------------
// Dodging the post-handshake counters.

/// NewSessionTickets between KeyUpdate requests do not reset the count (only application data
/// does): the 33rd KeyUpdate fails with `TooManyPostHandshakeMessages`, and the client
/// answered the 32 before with a single KeyUpdate (RFC 8446 §4.6.3).
#[test]
fn tickets_between_key_updates_do_not_reset_the_count() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    for _ in 0..32 {
        feed(&mut p.client, &forger.new_session_ticket(32)).unwrap();
        feed(&mut p.client, &forger.key_update(1)).unwrap();
    }
    assert_eq!(p.client.pending_tls().len(), KEY_UPDATE_RECORD_LEN);
    feed(&mut p.client, &forger.new_session_ticket(32)).unwrap();
    assert_eq!(
        feed(&mut p.client, &forger.key_update(1)),
        Err(Error::PeerMisbehaved(
            PeerMisbehaved::TooManyPostHandshakeMessages
        ))
    );
    assert_eq!(p.client_counts.key_updates_sent.load(Ordering::SeqCst), 1);
    assert_eq!(
        *p.client_counts.alerts_sent.lock().unwrap(),
        [AlertDescription::UnexpectedMessage]
    );
}

/// A server that sends NewSessionTickets (1 KiB tickets) and empty application-data records in
/// turn, 5,000 times: every handshake record resets the empty-record count, so nothing fails,
/// but nothing accumulates either: the tickets replace each other in the bounded cache, and
/// the connection's buffers stay as small as after the first round.
#[test]
fn ticket_and_empty_record_flood_holds_no_memory() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    let mut round = Vec::new();
    round.extend(forger.new_session_ticket(1024));
    round.extend(forger.application_data(&[]));
    feed_all(&mut p.client, &round).unwrap();
    let after_one = clasp::internal::buffer_capacity(&p.client);
    for _ in 0..5_000 {
        let mut round = forger.new_session_ticket(1024);
        round.extend(forger.application_data(&[]));
        feed_all(&mut p.client, &round).unwrap();
    }
    assert!(
        clasp::internal::buffer_capacity(&p.client) <= after_one.max(18 * 1024),
        "{} bytes of buffers after the flood, {after_one} after one round",
        clasp::internal::buffer_capacity(&p.client)
    );
    assert!(p.client.wants_read());
    assert_eq!(p.client.pending_tls().len(), 0);
}

/// A server interleaves post-handshake CertificateRequests with one byte of application data,
/// which resets the count of requests in a row: the client answers every one (a signature and
/// about a kilobyte each). Its output still stops growing at the cap while nobody drains it:
/// past 64 KiB queued (answers not yet flushed included) it processes no more records. Before
/// the fix every record already in the receive buffer was answered in one
/// `process_new_packets`: 186 KB queued for 200 requests.
#[test]
fn certificate_requests_between_data_are_answered_but_output_stays_capped() {
    let mut p = pair(true);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    let mut flood = Vec::new();
    for i in 0..200u32 {
        flood.extend(forger.certificate_request(u8::try_from(i % 250).unwrap() + 1));
        flood.extend(forger.application_data(b"x"));
    }
    let mut offered = &flood[..];
    let mut sink = Vec::new();
    for _ in 0..1000 {
        let n = p.client.push_tls(offered);
        offered = &offered[n..];
        p.client.process_new_packets().unwrap();
        drain_plaintext(&mut p.client, &mut sink);
        assert!(
            p.client.pending_tls().len() <= OUTPUT_CAP + 2048,
            "{} bytes queued",
            p.client.pending_tls().len()
        );
        if n == 0 {
            break;
        }
    }
    assert!(!p.client.wants_read());
    let answered = p
        .client_counts
        .certificate_requests_received
        .load(Ordering::SeqCst);
    assert!(
        (50..200).contains(&answered),
        "{answered} requests answered"
    );
    // Once the caller writes the output out, the rest is answered, a cap's worth at a time.
    for _ in 0..10 {
        let n = p.client.pending_tls().len();
        p.client.consume_tls(n);
        let n = p.client.push_tls(offered);
        offered = &offered[n..];
        p.client.process_new_packets().unwrap();
        drain_plaintext(&mut p.client, &mut sink);
        assert!(p.client.pending_tls().len() <= OUTPUT_CAP + 2048);
    }
    assert_eq!(
        p.client_counts
            .certificate_requests_received
            .load(Ordering::SeqCst),
        200
    );
    assert_eq!(sink.len(), 200);
}

// ---------------------------------------------------------------------------------------------
// Handshake messages trickled, or declared huge.

/// A post-handshake message whose header declares 16 MiB fails as soon as its 4-byte header
/// arrives, before anything is buffered for it: `HandshakeMessageTooLarge`, decode_error...
#[test]
fn declared_16_mib_post_handshake_message_fails_at_its_header() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    let header = forger.seal(ContentType::Handshake, &[4, 0xff, 0xff, 0xff]);
    assert_eq!(
        feed(&mut p.client, &header),
        Err(Error::InvalidMessage(
            clasp::error::InvalidMessage::HandshakeMessageTooLarge
        ))
    );
    assert_eq!(
        *p.client_counts.alerts_sent.lock().unwrap(),
        [AlertDescription::DecodeError]
    );
}

/// A 17 KiB NewSessionTicket (over the client's ticket cap) trickled one byte per record:
/// 17,000 records of 23 bytes. The client reassembles it in linear time (well under a second)
/// with buffers bounded by the message, then drops the oversized ticket; the connection still
/// works.
#[test]
fn ticket_trickled_one_byte_per_record_is_linear_and_bounded() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    let msg = nst_body(17 * 1024);
    let mut flood = Vec::with_capacity(msg.len() * 23);
    for b in &msg {
        flood.extend(forger.seal(ContentType::Handshake, &[*b]));
    }
    let t = std::time::Instant::now();
    let mut peak = 0;
    let mut offered = &flood[..];
    while !offered.is_empty() {
        let n = p.client.push_tls(offered);
        offered = &offered[n..];
        p.client.process_new_packets().unwrap();
        peak = peak.max(clasp::internal::buffer_capacity(&p.client));
    }
    let took = t.elapsed();
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    assert!(peak < 128 * 1024, "{peak} bytes of buffers");
    p.server.writer().write_all(b"still here").unwrap();
    let mut rest = take_tls(&mut p.server);
    // The real server's record is under its own (untouched) key and sequence 0: the forger
    // used sequence numbers the real server never did, so re-seal the data with the forger.
    rest.clear();
    rest.extend(forger.application_data(b"still here"));
    feed(&mut p.client, &rest).unwrap();
    let mut got = Vec::new();
    drain_plaintext(&mut p.client, &mut got);
    assert_eq!(got, b"still here");
}

// ---------------------------------------------------------------------------------------------
// Records the RFC forbids once traffic keys are in use.

/// RFC 8446 §5: change_cipher_spec after the peer's Finished "MUST [be treated] as an
/// unexpected_message": `IllegalChangeCipherSpec`.
#[test]
fn change_cipher_spec_after_the_handshake_is_refused() {
    let mut p = pair(false);
    assert_eq!(
        feed(&mut p.server, &[20, 3, 3, 0, 1, 1]),
        Err(Error::PeerMisbehaved(
            PeerMisbehaved::IllegalChangeCipherSpec
        ))
    );
    assert_eq!(
        *p.server_counts.alerts_sent.lock().unwrap(),
        [AlertDescription::UnexpectedMessage]
    );
}

/// user_canceled alerts (RFC 8446 §6.1: not fatal by themselves) cost nothing to send: the
/// 5th in a row is `TooManyWarningAlerts` (4, as BoringSSL and rustls allow).
#[test]
fn user_canceled_flood_is_cut_at_4() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
    for _ in 0..4 {
        feed(&mut p.server, &forger.seal(ContentType::Alert, &[1, 90])).unwrap();
    }
    assert_eq!(
        feed(&mut p.server, &forger.seal(ContentType::Alert, &[1, 90])),
        Err(Error::PeerMisbehaved(PeerMisbehaved::TooManyWarningAlerts))
    );
}

// ---------------------------------------------------------------------------------------------
// 0-RTT beyond what the server allows.

/// A client config with early data on, AES-128-GCM only, logging its secrets to `log`.
fn early_client(log: &Arc<MemoryKeyLog>) -> Arc<clasp::ClientConfig> {
    Arc::new(
        client_builder()
            .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
            .with_early_data()
            .with_key_log(log.clone())
            .build()
            .unwrap(),
    )
}

fn early_server(
    max_early_data: u32,
    keys: &Arc<clasp::session::TicketKeys>,
) -> Arc<clasp::ServerConfig> {
    Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_max_early_data(max_early_data)
            .with_ticket_keys(Arc::clone(keys))
            .build()
            .unwrap(),
    )
}

/// A first connection to `issuer` for a ticket allowing early data, then a resumed client that
/// has written `early` as 0-RTT data. Returns the client, its first flight, and a forger for
/// its early traffic key positioned after the client's own early record.
fn zero_rtt_attempt(
    issuer: &Arc<clasp::ServerConfig>,
    early: &[u8],
) -> (ClientConnection, Vec<u8>, Forger) {
    let log = Arc::new(MemoryKeyLog::default());
    let cfg = early_client(&log);
    let mut c1 = ClientConnection::new(Arc::clone(&cfg), localhost()).unwrap();
    let mut s1 = ServerConnection::new(Arc::clone(issuer)).unwrap();
    pump(&mut c1, &mut s1).unwrap();
    let mut client = ClientConnection::new(cfg, localhost()).unwrap();
    assert_eq!(client.write_early_data(early).unwrap(), early.len());
    let flight = take_tls(&mut client);
    let mut forger = Forger::new(&log, "CLIENT_EARLY_TRAFFIC_SECRET");
    // Sequence number 0 went to the client's own early record.
    let _ = forger.application_data(early);
    (client, flight, forger)
}

fn keys() -> Arc<clasp::session::TicketKeys> {
    Arc::new(
        clasp::session::TicketKeys::new(&clasp::crypto::aws_lc::default_provider(), 0, 0).unwrap(),
    )
}

/// 0-RTT data beyond the server's max_early_data_size (100 bytes: 60 real + 41 forged) is
/// `IllegalEarlyData`, unexpected_message (RFC 8446 §4.2.10), and none of the excess reaches
/// the early-data reader.
#[test]
fn early_data_over_the_limit_is_unexpected_message() {
    let server_cfg = early_server(100, &keys());
    let (_client, mut flight, mut forger) = zero_rtt_attempt(&server_cfg, &[b'e'; 60]);
    flight.extend(forger.application_data(&[b'f'; 41]));
    let mut server = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    let counts = Arc::new(Counts::default());
    server.set_observer(counts.clone());
    assert_eq!(
        feed(&mut server, &flight),
        Err(Error::PeerMisbehaved(PeerMisbehaved::IllegalEarlyData))
    );
    assert_eq!(
        *counts.alerts_sent.lock().unwrap(),
        [AlertDescription::UnexpectedMessage]
    );
    let mut early = Vec::new();
    drain_early_data(&mut server, &mut early);
    assert_eq!(early, [b'e'; 60]);
}

/// Exactly max_early_data_size (60 + 40 = 100 bytes) is accepted.
#[test]
fn early_data_up_to_the_limit_is_accepted() {
    let server_cfg = early_server(100, &keys());
    let (_client, mut flight, mut forger) = zero_rtt_attempt(&server_cfg, &[b'e'; 60]);
    flight.extend(forger.application_data(&[b'f'; 40]));
    let mut server = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    feed(&mut server, &flight).unwrap();
    let mut early = Vec::new();
    drain_early_data(&mut server, &mut early);
    assert_eq!(early.len(), 100);
}

/// A record under the early key after EndOfEarlyData: the server has switched to the client's
/// handshake key (RFC 8446 §4.5), so it does not open: `DecryptError`, bad_record_mac.
#[test]
fn early_data_after_end_of_early_data_is_bad_record_mac() {
    let server_cfg = early_server(16384, &keys());
    let (mut client, flight, mut forger) = zero_rtt_attempt(&server_cfg, b"early");
    let mut server = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    feed(&mut server, &flight).unwrap();
    let reply = take_tls(&mut server);
    feed(&mut client, &reply).unwrap();
    // The client's second flight: EndOfEarlyData (early key, sequence 1), then its Finished
    // under the handshake key. EndOfEarlyData is a 4-byte message: a 26-byte record.
    let second = take_tls(&mut client);
    let (eoed, rest) = second.split_at(5 + 4 + 1 + 16);
    assert_eq!(eoed[0], 23);
    let _ = forger.application_data(&[]); // sequence 1: the client's EndOfEarlyData
    let mut attack = eoed.to_vec();
    attack.extend(forger.application_data(b"late early data"));
    attack.extend_from_slice(rest);
    assert_eq!(feed(&mut server, &attack), Err(Error::DecryptError));
    let mut early = Vec::new();
    drain_early_data(&mut server, &mut early);
    assert_eq!(early, b"early");
}

/// A server that rejects 0-RTT (here: it shares the ticket keys but allows no early data)
/// skips records it cannot open "up to the configured max_early_data_size" (RFC 8446
/// §4.2.10), counted in record bytes, headers included; with no early data configured the
/// bound is 2^14 bytes (BoringSSL's). The client's own record plus 15 forged 1 KiB ones fit
/// and the handshake completes; a 16th, or a single record of 2^14 bytes of plaintext (BoGo
/// `SkipEarlyData-TooMuchData-TLS13`), is `TooMuchSkippedEarlyData` (unexpected_message).
#[test]
fn rejected_early_data_is_skipped_up_to_the_byte_bound() {
    let keys = keys();
    let issuer = early_server(16384, &keys);
    let refuser = early_server(0, &keys);
    for (extra, size, ok) in [(15, 1024, true), (16, 1024, false), (1, 16384, false)] {
        let (mut client, mut flight, mut forger) = zero_rtt_attempt(&issuer, b"early");
        for _ in 0..extra {
            flight.extend(forger.application_data(&vec![0; size]));
        }
        let mut server = ServerConnection::new(Arc::clone(&refuser)).unwrap();
        let r = feed_all_with(&mut server, &flight, false);
        if ok {
            r.unwrap();
            pump(&mut client, &mut server).unwrap();
            assert!(!server.is_handshaking());
            assert_eq!(server.negotiated().early_data_accepted, Some(false));
            assert!(server.early_data().is_none());
        } else {
            assert_eq!(
                r,
                Err(Error::PeerMisbehaved(
                    PeerMisbehaved::TooMuchSkippedEarlyData
                )),
                "{extra} x {size}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Every post-handshake message type, in memory, on both sides: no panic, a sticky error.

/// A tiny deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Each handshake type 0..=255 (with bodies of 0, 5 and 40 random bytes, under the peer's
/// real keys) reaches an established client and an established server (the server once in the
/// middle of a post-handshake authentication): the connection either carries on or fails
/// with an error that it then keeps returning (errors are sticky) and an alert queued for the
/// peer. Run in a debug build: overflow checks on.
#[test]
fn every_post_handshake_message_type_fails_cleanly() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut p = pair_with(true, true);
    let mut to_client = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    let mut to_server = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
    let mut failures = 0;
    for typ in 0..=255u8 {
        for len in [0usize, 5, 40] {
            let mut msg = vec![typ];
            msg.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes()[1..]);
            msg.extend((0..len).map(|_| rng.next().to_le_bytes()[0]));
            for server_side in [false, true] {
                let (conn, forger) = if server_side {
                    (&mut *p.server, &mut to_server)
                } else {
                    (&mut *p.client, &mut to_client)
                };
                let rec = forger.seal(ContentType::Handshake, &msg);
                if let Err(e) = feed(conn, &rec) {
                    failures += 1;
                    assert_eq!(conn.error(), Some(&e));
                    assert_eq!(conn.process_new_packets().unwrap_err(), e);
                    assert!(conn.wants_write(), "no alert queued for {e:?}");
                    // A fresh pair for the next message.
                    p = pair_with(true, true);
                    to_client = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
                    to_server = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
                    if typ % 2 == 0 {
                        p.server.request_client_certificate().unwrap();
                        let _ = take_tls(&mut p.server);
                    }
                }
            }
        }
    }
    // With these lengths no message is well formed (a KeyUpdate is one byte, a ticket at least
    // 13): every one ends the connection.
    assert_eq!(failures, 256 * 3 * 2);
}
