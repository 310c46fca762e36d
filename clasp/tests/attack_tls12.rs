//! A hostile TLS 1.2 peer after the handshake, in memory: renegotiation attempts from either
//! side (refused with no_renegotiation, DESIGN), and floods of warning alerts (RFC 5246 §7.2:
//! warnings may be ignored, but each costs the peer nothing to send). Records are forged under
//! the peer's real keys: the key block derived from the logged master secret and the randoms
//! (RFC 5246 §6.3).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use clasp::error::PeerMisbehaved;
use clasp::internal::RecordEncrypter;
use clasp::keylog::KeyLog;
use clasp::msgs::enums::{AlertDescription, CipherSuite, ContentType, ProtocolVersion};
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer};
use clasp::{ClientConnection, ConnectionCommon, Error, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{
    client_builder, drain_plaintext, give_tls, localhost, pump, server_builder, take_tls,
};

const SUITE: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;

#[derive(Debug, Default)]
struct MasterLog(Mutex<BTreeMap<Vec<u8>, Vec<u8>>>);

impl KeyLog for MasterLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if label == "CLIENT_RANDOM" {
            self.0
                .lock()
                .unwrap()
                .insert(client_random.to_vec(), secret.to_vec());
        }
    }
}

#[derive(Default)]
struct Alerts(Mutex<Vec<AlertDescription>>);

impl Observer for Alerts {
    fn on_event(&self, ev: &HandshakeEvent<'_>) {
        if let (EventKind::Alert(_, d), Direction::Sent) = (ev.kind, ev.direction) {
            self.0.lock().unwrap().push(d);
        }
    }
}

struct Pair {
    client: ClientConnection,
    server: ServerConnection,
    client_alerts: Arc<Alerts>,
    server_alerts: Arc<Alerts>,
    /// Seals as the client would (the next record after its Finished).
    as_client: RecordEncrypter,
    /// Seals as the server would.
    as_server: RecordEncrypter,
    /// The client's ClientHello, as a handshake message.
    client_hello: Vec<u8>,
}

fn pair() -> Pair {
    let log = Arc::new(MasterLog::default());
    let client_alerts = Arc::new(Alerts::default());
    let server_alerts = Arc::new(Alerts::default());
    let cfg = client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[SUITE])
        .with_key_log(log.clone())
        .build()
        .unwrap();
    let mut client =
        ClientConnection::with_observer(Arc::new(cfg), localhost(), Some(client_alerts.clone()))
            .unwrap();
    let mut server = ServerConnection::new(Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .build()
            .unwrap(),
    ))
    .unwrap();
    server.set_observer(server_alerts.clone());
    let first = take_tls(&mut client);
    let client_hello = first[5..].to_vec();
    give_tls(&mut server, &first).unwrap();
    let reply = take_tls(&mut server);
    // Record header (5), handshake header (4), server_version (2), then the random.
    let server_random: [u8; 32] = reply[11..43].try_into().unwrap();
    let client_random: [u8; 32] = client_hello[6..38].try_into().unwrap();
    give_tls(&mut client, &reply).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking() && !server.is_handshaking());

    let master = log.0.lock().unwrap()[&client_random.to_vec()].clone();
    let provider = clasp::crypto::aws_lc::default_provider();
    let (mut as_client, mut as_server) = clasp::internal::tls12_record_encrypters(
        &provider,
        SUITE,
        &master,
        client_random,
        server_random,
    )
    .unwrap();
    // Sequence number 0 under these keys went to each side's Finished.
    for enc in [&mut as_client, &mut as_server] {
        enc.seal_record(ContentType::Handshake, &[0; 16], &mut Vec::new())
            .unwrap();
    }
    Pair {
        client,
        server,
        client_alerts,
        server_alerts,
        as_client,
        as_server,
        client_hello,
    }
}

fn seal(enc: &mut RecordEncrypter, typ: ContentType, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    enc.seal_record(typ, payload, &mut out).unwrap();
    out
}

fn feed(conn: &mut ConnectionCommon, data: &[u8]) -> Result<(), Error> {
    assert_eq!(conn.push_tls(data), data.len());
    conn.process_new_packets().map(|_| ())
}

/// The forging works: a record sealed as the server is read by the client.
#[test]
fn forged_application_data_is_accepted() {
    let mut p = pair();
    let rec = seal(&mut p.as_server, ContentType::ApplicationData, b"forged");
    feed(&mut p.client, &rec).unwrap();
    let mut got = Vec::new();
    drain_plaintext(&mut p.client, &mut got);
    assert_eq!(got, b"forged");
}

/// RFC 5746 §4.2 / DESIGN: a HelloRequest asks the client to renegotiate, which clasp refuses:
/// `Renegotiation`, no_renegotiation.
#[test]
fn hello_request_is_refused_with_no_renegotiation() {
    let mut p = pair();
    let rec = seal(&mut p.as_server, ContentType::Handshake, &[0, 0, 0, 0]);
    assert_eq!(
        feed(&mut p.client, &rec),
        Err(Error::PeerMisbehaved(PeerMisbehaved::Renegotiation))
    );
    assert_eq!(
        *p.client_alerts.0.lock().unwrap(),
        [AlertDescription::NoRenegotiation]
    );
}

/// A ClientHello on the established connection (client-initiated renegotiation, RFC 5746 §4.4)
/// is refused the same way by the server.
#[test]
fn client_hello_after_the_handshake_is_refused_with_no_renegotiation() {
    let mut p = pair();
    let hello = p.client_hello.clone();
    let rec = seal(&mut p.as_client, ContentType::Handshake, &hello);
    assert_eq!(
        feed(&mut p.server, &rec),
        Err(Error::PeerMisbehaved(PeerMisbehaved::Renegotiation))
    );
    assert_eq!(
        *p.server_alerts.0.lock().unwrap(),
        [AlertDescription::NoRenegotiation]
    );
}

/// Warning alerts are ignored in TLS 1.2, but the 5th in a row (no application data between)
/// is `TooManyWarningAlerts` (4, as BoringSSL and rustls allow).
#[test]
fn warning_alert_flood_is_cut_at_4() {
    let mut p = pair();
    // unrecognized_name (112) as a warning (RFC 6066 §3).
    for _ in 0..4 {
        let rec = seal(&mut p.as_server, ContentType::Alert, &[1, 112]);
        feed(&mut p.client, &rec).unwrap();
    }
    let rec = seal(&mut p.as_server, ContentType::Alert, &[1, 112]);
    assert_eq!(
        feed(&mut p.client, &rec),
        Err(Error::PeerMisbehaved(PeerMisbehaved::TooManyWarningAlerts))
    );
}

/// With a byte of application data between warnings the flood goes on (each warning costs a
/// record of the peer's), but nothing accumulates: no output, buffers as after the first round.
#[test]
fn warnings_between_data_hold_no_memory() {
    let mut p = pair();
    let mut got = Vec::new();
    let mut round = |p: &mut Pair| {
        let mut rec = seal(&mut p.as_server, ContentType::Alert, &[1, 112]);
        rec.extend(seal(&mut p.as_server, ContentType::ApplicationData, b"x"));
        feed(&mut p.client, &rec).unwrap();
        drain_plaintext(&mut p.client, &mut got);
    };
    round(&mut p);
    let after_one = clasp::internal::buffer_capacity(&p.client);
    for _ in 0..5_000 {
        round(&mut p);
    }
    assert_eq!(got.len(), 5_001);
    assert!(!p.client.wants_write());
    assert!(clasp::internal::buffer_capacity(&p.client) <= after_one.max(18 * 1024));
}

/// A no_renegotiation warning is not ignored: the peer refuses something we never asked for,
/// so it ends the connection (`AlertReceived`).
#[test]
fn no_renegotiation_warning_ends_the_connection() {
    let mut p = pair();
    let rec = seal(&mut p.as_server, ContentType::Alert, &[1, 100]);
    assert_eq!(
        feed(&mut p.client, &rec),
        Err(Error::AlertReceived(AlertDescription::NoRenegotiation))
    );
}
