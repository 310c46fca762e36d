//! Everything bounded once the handshake is over (issue 9, items 3, 7, 11 and 13), in memory:
//! - many KeyUpdate(update_requested) while a reply is pending get ONE reply (RFC 8446 §4.6.3);
//! - the 33rd KeyUpdate, or post-handshake CertificateRequest, in a row with no application data
//!   in between ends the connection (`TooManyPostHandshakeMessages`, unexpected_message);
//! - above 64 KiB of pending TLS output a connection takes no more input (`wants_read() ==
//!   false`, records stay unprocessed) until the caller writes it out;
//! - received plaintext the caller does not read is capped (16 KiB by default);
//! - accepted 0-RTT data is delivered only through `ServerConnection::early_data()`.
//!
//! The peer's hostile records are forged under its real traffic keys, taken from a key log
//! (RFC 8446 §7.3), following each KeyUpdate to the next generation (§7.2).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
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
use common::{client_builder, localhost, pump, server_builder, transfer};

/// A TLS 1.3 KeyUpdate record under AES-128-GCM: 5 header + 5 message + 1 type + 16 tag.
const KEY_UPDATE_RECORD_LEN: usize = 27;
/// The documented cap on pending TLS output (`ConnectionCommon::wants_read`).
const OUTPUT_CAP: usize = 64 * 1024;
/// The documented default cap on received plaintext.
const PLAINTEXT_CAP: usize = 16 * 1024;

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
    let server_cfg = server_builder(KeyType::EcdsaP256)
        .with_tickets(0)
        .build()
        .unwrap();
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

/// What `from` queued reaches `to`, which must fail with exactly `alert`.
fn assert_alert(from: &mut ConnectionCommon, to: &mut ConnectionCommon, alert: AlertDescription) {
    assert_eq!(transfer(from, to), Err(Error::AlertReceived(alert)));
}

// ---------------------------------------------------------------------------------------------
// Items 3 and 11: KeyUpdate floods.

/// RFC 8446 §4.6.3: an implementation "which receives multiple KeyUpdates while it is silent"
/// responds "with a single update". 32 requests, given at once and then one at a time, leave
/// exactly one KeyUpdate record queued on the server.
#[test]
fn server_answers_32_key_update_requests_with_one_update() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
    let mut flood = Vec::new();
    for _ in 0..16 {
        flood.extend(forger.key_update(1));
    }
    feed(&mut p.server, &flood).unwrap();
    assert_eq!(p.server.pending_tls().len(), KEY_UPDATE_RECORD_LEN);
    for _ in 0..16 {
        feed(&mut p.server, &forger.key_update(1)).unwrap();
        assert_eq!(p.server.pending_tls().len(), KEY_UPDATE_RECORD_LEN);
    }
    assert_eq!(
        p.server_counts.key_updates_received.load(Ordering::SeqCst),
        32
    );
    assert_eq!(p.server_counts.key_updates_sent.load(Ordering::SeqCst), 1);
    assert!(p.server.wants_read());
    // The single answer is enough: the real client follows it and the connection still works
    // in the server's direction.
    p.server.writer().write_all(b"after the flood").unwrap();
    transfer(&mut p.server, &mut p.client).unwrap();
    let mut got = [0u8; 15];
    p.client.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"after the flood");
}

/// The same on the client: a server's 32 requests get one reply.
#[test]
fn client_answers_32_key_update_requests_with_one_update() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    for _ in 0..32 {
        feed(&mut p.client, &forger.key_update(1)).unwrap();
    }
    assert_eq!(p.client.pending_tls().len(), KEY_UPDATE_RECORD_LEN);
    assert_eq!(
        p.client_counts.key_updates_received.load(Ordering::SeqCst),
        32
    );
    assert_eq!(p.client_counts.key_updates_sent.load(Ordering::SeqCst), 1);
}

/// 32 KeyUpdates with no application data between them are accepted; the 33rd ends the
/// connection with `TooManyPostHandshakeMessages` and unexpected_message (as BoringSSL and
/// rustls do).
#[test]
fn server_fails_on_the_33rd_key_update_without_data() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
    for i in 0..32 {
        feed(&mut p.server, &forger.key_update(u8::from(i % 2 == 0))).unwrap();
    }
    let err = feed(&mut p.server, &forger.key_update(0)).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyPostHandshakeMessages)
    );
    assert_eq!(p.server.error(), Some(&err));
    assert!(!p.server.wants_read());
    assert_alert(
        &mut p.server,
        &mut p.client,
        AlertDescription::UnexpectedMessage,
    );
}

/// Application data between them resets the count: 32, data, 32 more, data: all accepted.
#[test]
fn key_updates_with_data_between_are_not_limited() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
    let mut got = Vec::new();
    for round in 0..4u8 {
        for _ in 0..32 {
            feed(&mut p.server, &forger.key_update(0)).unwrap();
        }
        feed(&mut p.server, &forger.application_data(&[b'a' + round])).unwrap();
        common::drain_plaintext(&mut p.server, &mut got);
    }
    assert_eq!(got, b"abcd");
    assert_eq!(
        p.server_counts.key_updates_received.load(Ordering::SeqCst),
        128
    );
}

#[test]
fn client_fails_on_the_33rd_key_update_without_data() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    let mut flood = Vec::new();
    for _ in 0..33 {
        flood.extend(forger.key_update(1));
    }
    let err = feed(&mut p.client, &flood).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyPostHandshakeMessages)
    );
    assert_eq!(
        p.client_counts.key_updates_received.load(Ordering::SeqCst),
        33
    );
    assert_alert(
        &mut p.client,
        &mut p.server,
        AlertDescription::UnexpectedMessage,
    );
}

/// Item 11: each post-handshake CertificateRequest costs the client a signature; the 33rd in a
/// row without application data ends the connection.
#[test]
fn client_fails_on_the_33rd_post_handshake_certificate_request() {
    let mut p = pair(true);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    for i in 0..32u8 {
        feed(&mut p.client, &forger.certificate_request(i)).unwrap();
        // The caller writes the answers out (the output cap is tested separately).
        let n = p.client.pending_tls().len();
        p.client.consume_tls(n);
    }
    let err = feed(&mut p.client, &forger.certificate_request(32)).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyPostHandshakeMessages)
    );
    assert_eq!(
        p.client_counts
            .certificate_requests_received
            .load(Ordering::SeqCst),
        33
    );
    // The server never saw the answers the test threw away, so it cannot open the alert
    // record; the client's observer shows which alert it sent.
    assert_eq!(
        *p.client_counts.alerts_sent.lock().unwrap(),
        [AlertDescription::UnexpectedMessage]
    );
}

/// Above 64 KiB of pending TLS output the connection wants no input, takes none and processes
/// none (a peer that floods requests and never reads cannot make us queue more); once the
/// caller writes the output out, the records that were waiting are processed.
fn output_cap_holds_input(conn: &mut ConnectionCommon, forger: &mut Forger, counts: &Counts) {
    // A flood arrives, not yet processed...
    let mut flood = Vec::new();
    for i in 0..20 {
        flood.extend(forger.application_data(&[i]));
        flood.extend(forger.key_update(1));
    }
    assert_eq!(conn.push_tls(&flood), flood.len());
    // ... while the application has written 64 KiB that the caller has not sent yet.
    conn.writer().write_all(&vec![0x55; OUTPUT_CAP]).unwrap();
    let queued = conn.pending_tls().len();
    // Four full records plus their overhead: over the cap.
    assert_eq!(queued, OUTPUT_CAP + 4 * 22);
    assert!(!conn.wants_read());
    let st = conn.process_new_packets().unwrap();
    assert_eq!(st.tls_bytes_to_write, queued);
    assert_eq!(st.plaintext_bytes_to_read, 0);
    assert_eq!(counts.key_updates_received.load(Ordering::SeqCst), 0);
    assert!(!conn.wants_read());
    // No more input is taken either.
    let more = forger.application_data(b"more");
    assert_eq!(conn.push_tls(&more), 0);
    let err = conn.read_tls(&mut &more[..]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
    // Written out: the flood is processed, with a single reply (we sent no data between the
    // requests, RFC 8446 §4.6.3).
    conn.consume_tls(queued);
    assert!(conn.wants_read());
    let st = conn.process_new_packets().unwrap();
    assert_eq!(counts.key_updates_received.load(Ordering::SeqCst), 20);
    assert_eq!(counts.key_updates_sent.load(Ordering::SeqCst), 1);
    assert_eq!(st.tls_bytes_to_write, KEY_UPDATE_RECORD_LEN);
    assert_eq!(st.plaintext_bytes_to_read, 20);
}

#[test]
fn server_output_cap_stops_input_until_drained() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
    output_cap_holds_input(&mut p.server, &mut forger, &p.server_counts);
}

#[test]
fn client_output_cap_stops_input_until_drained() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    output_cap_holds_input(&mut p.client, &mut forger, &p.client_counts);
}

/// A peer that sends data and a KeyUpdate request, over and over, to a server that keeps
/// writing and whose caller never drains its output: the output stays under the cap plus one
/// record's worth of answers, however long the flood goes on.
#[test]
fn key_update_flood_against_a_writing_server_stays_under_the_cap() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "CLIENT_TRAFFIC_SECRET_0");
    let mut taken_total = 0;
    let mut offered_total = 0;
    let mut sink = [0u8; 64];
    for i in 0..10_000u32 {
        // The server application answers every byte it reads with 100 bytes.
        let mut rec = forger.application_data(&[1]);
        rec.extend(forger.key_update(1));
        offered_total += rec.len();
        taken_total += p.server.push_tls(&rec);
        p.server.process_new_packets().unwrap();
        while let Ok(n) = p.server.reader().read(&mut sink) {
            p.server.writer().write_all(&vec![0; 100 * n]).unwrap();
        }
        assert!(
            p.server.pending_tls().len() <= OUTPUT_CAP + 128 + KEY_UPDATE_RECORD_LEN,
            "round {i}: {} bytes queued",
            p.server.pending_tls().len()
        );
    }
    assert!(!p.server.wants_read());
    // The server stopped taking input at its receive buffer's bound.
    assert!(taken_total < offered_total);
    assert!(
        taken_total < 100_000,
        "{taken_total} of {offered_total} bytes taken"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 13 (part): received plaintext nobody reads.

/// 200 KiB arrive for a caller that never reads: at most 16 KiB of plaintext is buffered
/// (one full record), after which the connection wants no input and takes no more bytes.
#[test]
fn received_plaintext_is_capped_at_16_kib() {
    let mut p = pair(false);
    p.server.writer().write_all(&vec![7u8; 200 * 1024]).unwrap();
    let wire = common::take_tls(&mut p.server);
    let mut offset = 0;
    let st = loop {
        let n = p.client.push_tls(&wire[offset..]);
        let st = p.client.process_new_packets().unwrap();
        if n == 0 {
            break st;
        }
        offset += n;
    };
    assert_eq!(st.plaintext_bytes_to_read, PLAINTEXT_CAP);
    assert!(!p.client.wants_read());
    assert!(offset < 60 * 1024, "{offset} bytes taken");
    // Reading makes room; everything arrives in the end.
    let mut got = Vec::new();
    for _ in 0..1000 {
        if got.len() == 200 * 1024 {
            break;
        }
        common::drain_plaintext(&mut p.client, &mut got);
        offset += p.client.push_tls(&wire[offset..]);
        let st = p.client.process_new_packets().unwrap();
        assert!(st.plaintext_bytes_to_read <= PLAINTEXT_CAP);
    }
    assert_eq!(got, vec![7u8; 200 * 1024]);
}

/// The cap counts the memory the unread plaintext pins, not only its bytes: 1-byte records (23
/// bytes each on the wire, kept in place) stop after 16 KiB of receive buffer, 714 records.
#[test]
fn tiny_records_are_capped_by_the_buffer_they_pin() {
    let mut p = pair(false);
    let mut forger = Forger::new(&p.log, "SERVER_TRAFFIC_SECRET_0");
    let mut wire = Vec::new();
    for _ in 0..2000 {
        wire.extend(forger.application_data(b"z"));
    }
    let mut offset = 0;
    let st = loop {
        let n = p.client.push_tls(&wire[offset..]);
        let st = p.client.process_new_packets().unwrap();
        if n == 0 {
            break st;
        }
        offset += n;
    };
    // 23 * 713 + 1 = 16,400 >= 16,384 > 23 * 712 + 1.
    assert_eq!(st.plaintext_bytes_to_read, 714);
    assert!(!p.client.wants_read());
    let mut got = Vec::new();
    for _ in 0..100 {
        common::drain_plaintext(&mut p.client, &mut got);
        offset += p.client.push_tls(&wire[offset..]);
        p.client.process_new_packets().unwrap();
    }
    assert_eq!(got, vec![b'z'; 2000]);
}

/// The cap is configurable per connection.
#[test]
fn received_plaintext_cap_can_be_raised() {
    let mut p = pair(false);
    p.client.set_plaintext_limit(64 * 1024);
    p.server.writer().write_all(&vec![7u8; 200 * 1024]).unwrap();
    let wire = common::take_tls(&mut p.server);
    let mut offset = 0;
    loop {
        let n = p.client.push_tls(&wire[offset..]);
        let st = p.client.process_new_packets().unwrap();
        if n == 0 {
            assert_eq!(st.plaintext_bytes_to_read, 64 * 1024);
            break;
        }
        offset += n;
    }
}

// ---------------------------------------------------------------------------------------------
// Item 7: 0-RTT data has its own reader.

#[test]
fn accepted_early_data_arrives_only_through_early_data() {
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let server_cfg = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_max_early_data(16384)
            .build()
            .unwrap(),
    );
    // A first connection for the ticket.
    let mut c1 = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    let mut s1 = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    pump(&mut c1, &mut s1).unwrap();

    let mut client = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(client.write_early_data(b"early request").unwrap(), 13);
    let mut server = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    assert!(server.early_data().is_none());
    // The first flight only: the server has the early data, not yet the client's Finished.
    transfer(&mut client, &mut server).unwrap();
    assert!(server.is_handshaking());
    let mut buf = [0u8; 64];
    assert_eq!(
        server.reader().read(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    {
        let mut early = server.early_data().expect("early data accepted");
        assert_eq!(early.bytes_available(), 13);
        let n = early.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"early request");
    }
    pump(&mut client, &mut server).unwrap();
    assert_eq!(server.negotiated().early_data_accepted, Some(true));
    // Drained and the handshake over: no early-data reader any more.
    assert!(server.early_data().is_none());
    client.writer().write_all(b"1-RTT").unwrap();
    transfer(&mut client, &mut server).unwrap();
    let mut got = Vec::new();
    common::drain_plaintext(&mut server, &mut got);
    assert_eq!(got, b"1-RTT");
}

/// Early data the application did not read during the handshake stays in its own reader
/// afterwards and never mixes with the 1-RTT stream.
#[test]
fn unread_early_data_stays_apart_after_the_handshake() {
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let server_cfg = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_max_early_data(16384)
            .build()
            .unwrap(),
    );
    let mut c1 = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    let mut s1 = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    pump(&mut c1, &mut s1).unwrap();

    let mut client = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(client.write_early_data(b"replayable").unwrap(), 10);
    let mut server = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    pump(&mut client, &mut server).unwrap();
    client.writer().write_all(b"fresh").unwrap();
    transfer(&mut client, &mut server).unwrap();
    let mut got = Vec::new();
    common::drain_plaintext(&mut server, &mut got);
    assert_eq!(got, b"fresh");
    let mut early = Vec::new();
    server
        .early_data()
        .expect("unread early data")
        .read_to_end(&mut early)
        .unwrap();
    assert_eq!(early, b"replayable");
    assert!(server.early_data().is_none());
}
