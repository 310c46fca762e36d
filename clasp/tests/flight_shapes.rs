//! Flight-shape oracle (STYLE.md: "Keep a table of legal flight shapes, like s2n's
//! `tls13_handshakes[]`, but only as a test oracle").
//!
//! [`SHAPES`] lists, for every handshake mode, what the CLIENT observes: each handshake
//! message (direction, type, protection), each ChangeCipherSpec record, and each key change.
//! Every row is written from the RFCs, not from the code:
//! - TLS 1.3: RFC 8446 §2 figures 1–4 for the messages, Appendix A.1 (client state machine)
//!   for the key changes (`K_recv = handshake` on ServerHello, `[K_send = early data]` after
//!   ClientHello, `K_send = handshake` before the second flight, `K_send = K_recv =
//!   application` after Finished), and Appendix D.4 for the compatibility ChangeCipherSpecs:
//!   clasp's client always sends a legacy_session_id, so the server "MUST send the
//!   change_cipher_spec" right after its first handshake message, and the client sends one
//!   "immediately before its second flight" (or "immediately after the first ClientHello" when
//!   offering early data).
//! - TLS 1.2: RFC 5246 §7.3 figures 1 (full) and 2 (abbreviated); RFC 5077 §3.1 figures 1
//!   (full handshake issuing a ticket: NewSessionTicket before the server's ChangeCipherSpec)
//!   and 2 (resumption by ticket; the server renews the ticket). The key switch is the
//!   ChangeCipherSpec (RFC 5246 §7.1): the Finished after it is the first protected message.
//!
//! How it is compared. The RFCs fix the order of handshake messages completely, and the order
//! of everything within one direction; they do not fix when a key change (or the D.4 dummy
//! ChangeCipherSpec) in one direction happens relative to messages travelling the other way
//! (A.1 itself notes that a client "SHOULD first rekey to the handshake keys" before an alert
//! about the server's flight, i.e. earlier than its diagram shows). So [`check`] asserts three
//! exact equalities: the handshake messages in total order, and the full projection of each
//! direction (messages, ChangeCipherSpecs and key changes, with their protections).
//!
//! TLS 1.3 NewSessionTickets are post-handshake messages (RFC 8446 §4.6.1), not part of any
//! figure: they are checked to come after the handshake under application keys, then dropped.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use clasp::msgs::enums::{CipherSuite, HandshakeType, NamedGroup, ProtocolVersion};
use clasp::msgs::handshake::HandshakePayload;
use clasp::session::TicketKeys;
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer, Protection};
use clasp::{ClientAuth, ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use clasp_testkit::{KeyType, TestPki};
use rustls_pki_types::ServerName;

// ---------------------------------------------------------------------------------------------
// The table.

/// A handshake message as the oracle names it (HelloRetryRequest apart from ServerHello).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    ClientHello,
    HelloRetryRequest,
    ServerHello,
    EncryptedExtensions,
    Certificate,
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    CertificateVerify,
    ClientKeyExchange,
    NewSessionTicket,
    EndOfEarlyData,
    Finished,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Msg(Msg),
    Ccs,
    /// Keys changed to the step's protection.
    Keys,
}

/// One observed step: (direction, protection, what).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step(Direction, Protection, Item);

use Direction::{Received as R, Sent as S};
use Msg::*;
use Protection::{
    ApplicationKeys as App, EarlyData as Early, HandshakeKeys as Hs, Plaintext as Plain,
};

mod common;
use common::{client_builder, pump, roots, server_builder};

const fn m(d: Direction, p: Protection, msg: Msg) -> Step {
    Step(d, p, Item::Msg(msg))
}
/// A ChangeCipherSpec record (always plaintext).
const fn ccs(d: Direction) -> Step {
    Step(d, Plain, Item::Ccs)
}
/// The keys of direction `d` change to `p`.
const fn keys(d: Direction, p: Protection) -> Step {
    Step(d, p, Item::Keys)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Tls13Full,
    Tls13Hrr,
    Tls13ClientAuth,
    Tls13Resumed,
    Tls13EarlyAccepted,
    Tls13EarlyRefused,
    Tls12EcdheFull,
    Tls12EcdheFullTicketIssued,
    Tls12RsaKx,
    Tls12ClientAuth,
    Tls12ResumedSessionId,
    Tls12ResumedTicket,
}

/// The legal flight shapes, client's view. See the module docs for the sources.
const SHAPES: &[(Mode, &[Step])] = &[
    // RFC 8446 §2 Figure 1.
    (
        Mode::Tls13Full,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            keys(R, Hs), // A.1: Recv ServerHello, K_recv = handshake
            ccs(R),      // D.4: sent right after ServerHello, read under K_recv = handshake
            m(R, Hs, EncryptedExtensions),
            m(R, Hs, Certificate),
            m(R, Hs, CertificateVerify),
            m(R, Hs, Finished),
            ccs(S),      // D.4: immediately before the second flight
            keys(S, Hs), // A.1: K_send = handshake
            m(S, Hs, Finished),
            keys(S, App), // A.1: K_send = K_recv = application
            keys(R, App),
        ],
    ),
    // RFC 8446 §2 Figure 2 (§4.1.4).
    (
        Mode::Tls13Hrr,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, HelloRetryRequest),
            ccs(R), // D.4: "after a ServerHello or a HelloRetryRequest"
            ccs(S), // D.4: "before its second ClientHello"
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            keys(R, Hs),
            m(R, Hs, EncryptedExtensions),
            m(R, Hs, Certificate),
            m(R, Hs, CertificateVerify),
            m(R, Hs, Finished),
            keys(S, Hs),
            m(S, Hs, Finished),
            keys(S, App),
            keys(R, App),
        ],
    ),
    // RFC 8446 §2 Figure 1 with the optional CertificateRequest and client
    // Certificate/CertificateVerify (§4.3.2, §4.4.2).
    (
        Mode::Tls13ClientAuth,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            keys(R, Hs), // A.1: Recv ServerHello, K_recv = handshake
            ccs(R),      // D.4: sent right after ServerHello, read under K_recv = handshake
            m(R, Hs, EncryptedExtensions),
            m(R, Hs, CertificateRequest),
            m(R, Hs, Certificate),
            m(R, Hs, CertificateVerify),
            m(R, Hs, Finished),
            ccs(S),
            keys(S, Hs),
            m(S, Hs, Certificate),
            m(S, Hs, CertificateVerify),
            m(S, Hs, Finished),
            keys(S, App),
            keys(R, App),
        ],
    ),
    // RFC 8446 §2 Figure 3, "Subsequent Handshake".
    (
        Mode::Tls13Resumed,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            keys(R, Hs), // A.1: Recv ServerHello, K_recv = handshake
            ccs(R),      // D.4: sent right after ServerHello, read under K_recv = handshake
            m(R, Hs, EncryptedExtensions),
            m(R, Hs, Finished),
            ccs(S),
            keys(S, Hs),
            m(S, Hs, Finished),
            keys(S, App),
            keys(R, App),
        ],
    ),
    // RFC 8446 §2 Figure 4; EndOfEarlyData under the early keys (§4.5).
    (
        Mode::Tls13EarlyAccepted,
        &[
            m(S, Plain, ClientHello),
            ccs(S),         // D.4: "immediately after the first ClientHello"
            keys(S, Early), // A.1: [K_send = early data]
            m(R, Plain, ServerHello),
            keys(R, Hs), // A.1: Recv ServerHello, K_recv = handshake
            ccs(R),      // D.4: sent right after ServerHello, read under K_recv = handshake
            m(R, Hs, EncryptedExtensions),
            m(R, Hs, Finished),
            m(S, Early, EndOfEarlyData),
            keys(S, Hs),
            m(S, Hs, Finished),
            keys(S, App),
            keys(R, App),
        ],
    ),
    // Figure 4 with the early_data extension absent from EncryptedExtensions: no
    // EndOfEarlyData (§4.5: sent only "If the server sent an "early_data" extension").
    (
        Mode::Tls13EarlyRefused,
        &[
            m(S, Plain, ClientHello),
            ccs(S),
            keys(S, Early),
            m(R, Plain, ServerHello),
            keys(R, Hs), // A.1: Recv ServerHello, K_recv = handshake
            ccs(R),      // D.4: sent right after ServerHello, read under K_recv = handshake
            m(R, Hs, EncryptedExtensions),
            m(R, Hs, Finished),
            keys(S, Hs),
            m(S, Hs, Finished),
            keys(S, App),
            keys(R, App),
        ],
    ),
    // RFC 5246 §7.3 Figure 1, ECDHE: ServerKeyExchange present (RFC 4492 §2).
    (
        Mode::Tls12EcdheFull,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            m(R, Plain, Certificate),
            m(R, Plain, ServerKeyExchange),
            m(R, Plain, ServerHelloDone),
            m(S, Plain, ClientKeyExchange),
            ccs(S),
            keys(S, App),
            m(S, App, Finished),
            ccs(R),
            keys(R, App),
            m(R, App, Finished),
        ],
    ),
    // RFC 5077 §3.1 Figure 1: the full handshake issuing a ticket.
    (
        Mode::Tls12EcdheFullTicketIssued,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            m(R, Plain, Certificate),
            m(R, Plain, ServerKeyExchange),
            m(R, Plain, ServerHelloDone),
            m(S, Plain, ClientKeyExchange),
            ccs(S),
            keys(S, App),
            m(S, App, Finished),
            m(R, Plain, NewSessionTicket),
            ccs(R),
            keys(R, App),
            m(R, App, Finished),
        ],
    ),
    // RFC 5246 §7.3 Figure 1, RSA key transport: no ServerKeyExchange (§7.4.3).
    (
        Mode::Tls12RsaKx,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            m(R, Plain, Certificate),
            m(R, Plain, ServerHelloDone),
            m(S, Plain, ClientKeyExchange),
            ccs(S),
            keys(S, App),
            m(S, App, Finished),
            ccs(R),
            keys(R, App),
            m(R, App, Finished),
        ],
    ),
    // RFC 5246 §7.3 Figure 1 with CertificateRequest, client Certificate and
    // CertificateVerify (§7.4.4, §7.4.6, §7.4.8).
    (
        Mode::Tls12ClientAuth,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            m(R, Plain, Certificate),
            m(R, Plain, ServerKeyExchange),
            m(R, Plain, CertificateRequest),
            m(R, Plain, ServerHelloDone),
            m(S, Plain, Certificate),
            m(S, Plain, ClientKeyExchange),
            m(S, Plain, CertificateVerify),
            ccs(S),
            keys(S, App),
            m(S, App, Finished),
            ccs(R),
            keys(R, App),
            m(R, App, Finished),
        ],
    ),
    // RFC 5246 §7.3 Figure 2: the server's ChangeCipherSpec and Finished come first.
    (
        Mode::Tls12ResumedSessionId,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            ccs(R),
            keys(R, App),
            m(R, App, Finished),
            ccs(S),
            keys(S, App),
            m(S, App, Finished),
        ],
    ),
    // RFC 5077 §3.1 Figure 2: resumed by ticket, the server renewing it.
    (
        Mode::Tls12ResumedTicket,
        &[
            m(S, Plain, ClientHello),
            m(R, Plain, ServerHello),
            m(R, Plain, NewSessionTicket),
            ccs(R),
            keys(R, App),
            m(R, App, Finished),
            ccs(S),
            keys(S, App),
            m(S, App, Finished),
        ],
    ),
];

fn shape(mode: Mode) -> &'static [Step] {
    SHAPES
        .iter()
        .find(|(m, _)| *m == mode)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no row for {mode:?}"))
}

// ---------------------------------------------------------------------------------------------
// Observation.

/// Records the steps the oracle knows about (alerts and application data are left out).
#[derive(Default)]
struct Recorder(Mutex<Vec<Step>>);

impl Observer for Recorder {
    fn on_event(&self, ev: &HandshakeEvent<'_>) {
        let item = match ev.kind {
            EventKind::Handshake(hm) => Item::Msg(match (hm.typ(), hm.payload()) {
                (_, HandshakePayload::ServerHello(sh)) if sh.is_hello_retry_request() => {
                    HelloRetryRequest
                }
                (HandshakeType::ClientHello, _) => ClientHello,
                (HandshakeType::ServerHello, _) => ServerHello,
                (HandshakeType::EncryptedExtensions, _) => EncryptedExtensions,
                // RFC 8879 §4: CompressedCertificate stands in Certificate's place (clasp
                // offers and uses certificate compression by default in TLS 1.3).
                (HandshakeType::Certificate | HandshakeType::CompressedCertificate, _) => {
                    Certificate
                }
                (HandshakeType::ServerKeyExchange, _) => ServerKeyExchange,
                (HandshakeType::CertificateRequest, _) => CertificateRequest,
                (HandshakeType::ServerHelloDone, _) => ServerHelloDone,
                (HandshakeType::CertificateVerify, _) => CertificateVerify,
                (HandshakeType::ClientKeyExchange, _) => ClientKeyExchange,
                (HandshakeType::NewSessionTicket, _) => NewSessionTicket,
                (HandshakeType::EndOfEarlyData, _) => EndOfEarlyData,
                (HandshakeType::Finished, _) => Finished,
                (other, _) => panic!("message outside the oracle: {other:?}"),
            }),
            EventKind::ChangeCipherSpec => Item::Ccs,
            EventKind::KeysChanged { direction, to } => {
                assert_eq!(
                    direction, ev.direction,
                    "key change reported on its own direction"
                );
                assert_eq!(to, ev.protection, "key change reported under the new keys");
                Item::Keys
            }
            _ => return,
        };
        self.0
            .lock()
            .unwrap()
            .push(Step(ev.direction, ev.protection, item));
    }
}

fn project(steps: &[Step], keep: impl Fn(&Step) -> bool) -> Vec<Step> {
    steps.iter().copied().filter(|s| keep(s)).collect()
}

/// The three equalities of the module docs, with the whole rows in the message on failure.
fn check(mode: Mode, observed: &[Step]) {
    let want = shape(mode);
    let ctx = || format!("{mode:?}\n  want: {want:?}\n  got:  {observed:?}");
    let msgs = |s: &Step| matches!(s.2, Item::Msg(_));
    assert_eq!(
        project(observed, msgs),
        project(want, msgs),
        "messages: {}",
        ctx()
    );
    for d in [S, R] {
        let dir = |s: &Step| s.0 == d;
        assert_eq!(
            project(observed, dir),
            project(want, dir),
            "{d:?} side: {}",
            ctx()
        );
    }
}

/// Drops TLS 1.3 post-handshake NewSessionTickets after checking they follow the handshake
/// under application keys (RFC 8446 §4.6.1: "at any time after it receives the client
/// Finished").
fn strip_tls13_tickets(mut steps: Vec<Step>) -> Vec<Step> {
    let is_nst = |s: &Step| s.2 == Item::Msg(NewSessionTicket);
    if let Some(first) = steps.iter().position(is_nst) {
        let handshake_done = steps
            .iter()
            .position(|s| *s == keys(R, App))
            .expect("receive keys switched to application before a ticket");
        assert!(
            first > handshake_done,
            "ticket inside the handshake: {steps:?}"
        );
        for s in steps.iter().filter(|s| is_nst(s)) {
            assert_eq!(*s, m(R, App, NewSessionTicket), "{steps:?}");
        }
        steps.retain(|s| !is_nst(s));
    }
    steps
}

// ---------------------------------------------------------------------------------------------
// clasp ↔ clasp in memory.

/// One connection; returns the client's observation (and the client, for its `negotiated()`).
fn run(
    client_cfg: &Arc<ClientConfig>,
    server_cfg: &Arc<ServerConfig>,
    early: Option<&[u8]>,
) -> (ClientConnection, Vec<Step>) {
    let rec = Arc::new(Recorder::default());
    let mut client = ClientConnection::with_observer(
        Arc::clone(client_cfg),
        ServerName::try_from("localhost").unwrap(),
        Some(rec.clone()),
    )
    .unwrap();
    if let Some(data) = early {
        assert_eq!(
            client.write_early_data(data).unwrap(),
            data.len(),
            "0-RTT possible"
        );
    }
    let mut server = ServerConnection::new(Arc::clone(server_cfg)).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking() && !server.is_handshaking());
    // Data both ways, so that tickets sent after the handshake have arrived.
    client.writer().write_all(b"ping").unwrap();
    pump(&mut client, &mut server).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while let Ok(n) = server.reader().read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.ends_with(b"ping"), "{got:?}");
    server.writer().write_all(b"pong").unwrap();
    pump(&mut client, &mut server).unwrap();
    let mut got = [0u8; 4];
    client.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"pong");
    let steps = rec.0.lock().unwrap().clone();
    (client, steps)
}

fn client(versions: &[ProtocolVersion]) -> clasp::config::ClientConfigBuilder {
    client_builder().with_protocol_versions(versions)
}

fn server(versions: &[ProtocolVersion], kt: KeyType) -> clasp::config::ServerConfigBuilder {
    server_builder(kt).with_protocol_versions(versions)
}

const V13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];
const V12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];

fn build<T>(r: Result<T, clasp::Error>) -> Arc<T> {
    Arc::new(r.expect("config"))
}

/// Runs `mode` and returns what the client observed on the connection the row describes.
fn observe(mode: Mode) -> Vec<Step> {
    let pki = TestPki::shared();
    match mode {
        Mode::Tls13Full => {
            let (c, steps) = run(
                &build(client(V13).build()),
                &build(server(V13, KeyType::EcdsaP256).build()),
                None,
            );
            assert!(!c.negotiated().hello_retry && !c.negotiated().resumed);
            strip_tls13_tickets(steps)
        }
        Mode::Tls13Hrr => {
            // Our default key shares are X25519MLKEM768 and X25519: a P-384-only server must
            // ask again (RFC 8446 §4.1.4).
            let (c, steps) = run(
                &build(client(V13).build()),
                &build(
                    server(V13, KeyType::EcdsaP256)
                        .with_groups(&[NamedGroup::secp384r1])
                        .build(),
                ),
                None,
            );
            assert!(c.negotiated().hello_retry);
            strip_tls13_tickets(steps)
        }
        Mode::Tls13ClientAuth | Mode::Tls12ClientAuth => {
            let v = if mode == Mode::Tls13ClientAuth {
                V13
            } else {
                V12
            };
            let id = pki.client(KeyType::EcdsaP256);
            let (c, steps) = run(
                &build(
                    client(v)
                        .with_client_auth_cert(id.cert_chain(), id.private_key())
                        .build(),
                ),
                &build(
                    server(v, KeyType::EcdsaP256)
                        .with_client_auth(ClientAuth::Required(roots()))
                        .without_tls12_tickets()
                        .build(),
                ),
                None,
            );
            assert_eq!(c.negotiated().version, Some(v[0]));
            if v == V13 {
                strip_tls13_tickets(steps)
            } else {
                steps
            }
        }
        Mode::Tls13Resumed => {
            let ccfg = build(client(V13).build());
            let scfg = build(server(V13, KeyType::EcdsaP256).build());
            let (first, _) = run(&ccfg, &scfg, None);
            assert!(!first.negotiated().resumed);
            let (c, steps) = run(&ccfg, &scfg, None);
            assert!(c.negotiated().resumed);
            strip_tls13_tickets(steps)
        }
        Mode::Tls13EarlyAccepted | Mode::Tls13EarlyRefused => {
            let ccfg = build(client(V13).with_early_data().build());
            let provider = clasp::crypto::aws_lc::default_provider();
            let keys = Arc::new(TicketKeys::new(&provider, 0, 0).unwrap());
            let scfg = |max_early: u32| {
                build(
                    server(V13, KeyType::EcdsaP256)
                        .with_ticket_keys(Arc::clone(&keys))
                        .with_max_early_data(max_early)
                        .build(),
                )
            };
            let (first, _) = run(&ccfg, &scfg(16384), None);
            assert!(!first.negotiated().resumed);
            // Refused: a server with the same ticket keys but 0-RTT switched off.
            let second = if mode == Mode::Tls13EarlyAccepted {
                scfg(16384)
            } else {
                scfg(0)
            };
            let (c, steps) = run(&ccfg, &second, Some(b"early"));
            assert!(c.negotiated().resumed);
            assert_eq!(
                c.negotiated().early_data_accepted,
                Some(mode == Mode::Tls13EarlyAccepted)
            );
            strip_tls13_tickets(steps)
        }
        Mode::Tls12EcdheFull | Mode::Tls12EcdheFullTicketIssued => {
            let mut sb = server(V12, KeyType::EcdsaP256);
            if mode == Mode::Tls12EcdheFull {
                sb = sb.without_tls12_tickets();
            }
            let (c, steps) = run(&build(client(V12).build()), &build(sb.build()), None);
            assert_eq!(c.negotiated().version, Some(ProtocolVersion::TLSv1_2));
            assert!(!c.negotiated().resumed);
            steps
        }
        Mode::Tls12RsaKx => {
            // Without tickets: the row is RFC 5246 Figure 1 alone.
            let suite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
            let (c, steps) = run(
                &build(
                    client(V12)
                        .with_cipher_suites(&[suite])
                        .allow_rsa_key_exchange(true)
                        .build(),
                ),
                &build(
                    server(V12, KeyType::Rsa2048)
                        .with_cipher_suites(&[suite])
                        .allow_rsa_key_exchange(true)
                        .without_tls12_tickets()
                        .build(),
                ),
                None,
            );
            assert_eq!(c.negotiated().cipher_suite, Some(suite));
            steps
        }
        Mode::Tls12ResumedSessionId => {
            let ccfg = build(client(V12).build());
            let scfg = build(
                server(V12, KeyType::EcdsaP256)
                    .without_tls12_tickets()
                    .with_session_id_cache(16)
                    .build(),
            );
            let (first, _) = run(&ccfg, &scfg, None);
            assert!(!first.negotiated().resumed);
            let (c, steps) = run(&ccfg, &scfg, None);
            assert!(c.negotiated().resumed);
            steps
        }
        Mode::Tls12ResumedTicket => {
            let ccfg = build(client(V12).build());
            // No session-ID cache, so only the ticket can resume.
            let scfg = build(server(V12, KeyType::EcdsaP256).build());
            let (first, _) = run(&ccfg, &scfg, None);
            assert!(!first.negotiated().resumed);
            let (c, steps) = run(&ccfg, &scfg, None);
            assert!(c.negotiated().resumed);
            steps
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests: one per row, so a failure names the mode.

#[test]
fn tls13_full() {
    check(Mode::Tls13Full, &observe(Mode::Tls13Full));
}

#[test]
fn tls13_hello_retry_request() {
    check(Mode::Tls13Hrr, &observe(Mode::Tls13Hrr));
}

#[test]
fn tls13_client_auth() {
    check(Mode::Tls13ClientAuth, &observe(Mode::Tls13ClientAuth));
}

#[test]
fn tls13_resumed_psk() {
    check(Mode::Tls13Resumed, &observe(Mode::Tls13Resumed));
}

#[test]
fn tls13_resumed_early_data_accepted() {
    check(Mode::Tls13EarlyAccepted, &observe(Mode::Tls13EarlyAccepted));
}

#[test]
fn tls13_resumed_early_data_refused() {
    check(Mode::Tls13EarlyRefused, &observe(Mode::Tls13EarlyRefused));
}

#[test]
fn tls12_ecdhe_full() {
    check(Mode::Tls12EcdheFull, &observe(Mode::Tls12EcdheFull));
}

#[test]
fn tls12_ecdhe_full_issuing_ticket() {
    check(
        Mode::Tls12EcdheFullTicketIssued,
        &observe(Mode::Tls12EcdheFullTicketIssued),
    );
}

#[test]
fn tls12_rsa_key_exchange() {
    check(Mode::Tls12RsaKx, &observe(Mode::Tls12RsaKx));
}

#[test]
fn tls12_client_auth() {
    check(Mode::Tls12ClientAuth, &observe(Mode::Tls12ClientAuth));
}

#[test]
fn tls12_resumed_by_session_id() {
    check(
        Mode::Tls12ResumedSessionId,
        &observe(Mode::Tls12ResumedSessionId),
    );
}

#[test]
fn tls12_resumed_by_ticket() {
    check(Mode::Tls12ResumedTicket, &observe(Mode::Tls12ResumedTicket));
}

/// The oracle itself can fail: a shape with one step moved, or with a step's protection
/// changed, is caught by `check`.
#[test]
fn oracle_rejects_wrong_shapes() {
    let good = shape(Mode::Tls13Full).to_vec();
    let caught =
        |steps: &[Step]| std::panic::catch_unwind(|| check(Mode::Tls13Full, steps)).is_err();
    assert!(!caught(&good));
    // Client Finished under plaintext.
    let mut bad = good.clone();
    let fin = bad.iter().position(|s| *s == m(S, Hs, Finished)).unwrap();
    bad[fin] = m(S, Plain, Finished);
    assert!(caught(&bad));
    // Our CCS after our Finished.
    let mut bad = good.clone();
    let ccs_at = bad.iter().position(|s| *s == ccs(S)).unwrap();
    let step = bad.remove(ccs_at);
    bad.insert(fin, step);
    assert!(caught(&bad));
    // Server messages in another order.
    let mut bad = good;
    let cert = bad
        .iter()
        .position(|s| *s == m(R, Hs, Certificate))
        .unwrap();
    bad.swap(cert, cert + 1);
    assert!(caught(&bad));
    // Every mode has a row, and each row starts with our ClientHello in plaintext.
    for (_, row) in SHAPES {
        assert_eq!(row.first(), Some(&m(S, Plain, ClientHello)));
    }
}
