//! TLS 1.2 session resumption: session IDs (RFC 5246 §7.3, §7.4.1.2) and tickets (RFC 5077),
//! with the extended master secret required (RFC 7627 §5.3).
//!
//! - clasp ↔ clasp in memory: session-ID and ticket resumption (the resumed handshake has no
//!   Certificate / ServerKeyExchange / ClientKeyExchange), a ticket under a rotated-out key falls
//!   back to a full handshake, a client offering TLS 1.3 too resumes a TLS 1.2 session;
//! - real peers: `openssl s_client -sess_out` / `-sess_in` and `gnutls-cli --resume` against a
//!   clasp server; a clasp client connecting twice to `openssl s_server` and `gnutls-serv`.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use clasp::msgs::enums::{HandshakeType, ProtocolVersion};
use clasp::session::TicketKeys;
use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use clasp_testkit::{
    require_peers, GnutlsClient, GnutlsClientOpts, GnutlsServer, GnutlsServerOpts, KeyType,
    OpensslClient, OpensslClientOpts, OpensslServer, OpensslServerOpts, TestPki, TlsVersion,
};
use rustls_pki_types::ServerName;

mod common;
use common::{client_builder, pump, server_builder, spawn_stream_server, Recorder};

const T: Duration = Duration::from_secs(10);

fn client_config(versions: &[ProtocolVersion]) -> Arc<ClientConfig> {
    Arc::new(
        client_builder()
            .with_protocol_versions(versions)
            .build()
            .unwrap(),
    )
}

fn tls12_server() -> clasp::config::ServerConfigBuilder {
    server_builder(KeyType::EcdsaP256).with_protocol_versions(&[ProtocolVersion::TLSv1_2])
}

// ---------------------------------------------------------------------------------------------
// clasp <-> clasp in memory.

/// One connection; data both ways. Returns (client resumed, server resumed, trace seen by the
/// client).
fn connect(
    client_cfg: &Arc<ClientConfig>,
    server_cfg: &Arc<ServerConfig>,
) -> (bool, bool, Vec<HandshakeType>, Vec<HandshakeType>) {
    let trace = Arc::new(Recorder::default());
    let mut client = ClientConnection::with_observer(
        Arc::clone(client_cfg),
        ServerName::try_from("localhost").unwrap(),
        Some(trace.clone()),
    )
    .unwrap();
    let mut server = ServerConnection::new(Arc::clone(server_cfg)).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking() && !server.is_handshaking());
    assert_eq!(
        client.negotiated().version,
        Some(ProtocolVersion::TLSv1_2),
        "{:?}",
        trace.all()
    );
    client.writer().write_all(b"ping").unwrap();
    pump(&mut client, &mut server).unwrap();
    let mut got = [0u8; 4];
    server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ping");
    server.writer().write_all(b"pong").unwrap();
    pump(&mut client, &mut server).unwrap();
    client.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"pong");
    // The server's certificate is still reported on a resumed connection.
    assert!(!client.negotiated().peer_certificates.is_empty());
    (
        client.negotiated().resumed,
        server.negotiated().resumed,
        trace.all(),
        trace.received(),
    )
}

/// RFC 5246 §7.3 figure 2: no Certificate, ServerKeyExchange, ServerHelloDone or
/// ClientKeyExchange in an abbreviated handshake.
fn assert_abbreviated(trace: &[HandshakeType]) {
    for t in [
        HandshakeType::Certificate,
        HandshakeType::ServerKeyExchange,
        HandshakeType::ServerHelloDone,
        HandshakeType::ClientKeyExchange,
    ] {
        assert!(
            !trace.contains(&t),
            "{t:?} in a resumed handshake: {trace:?}"
        );
    }
    assert_eq!(
        trace
            .iter()
            .filter(|t| **t == HandshakeType::Finished)
            .count(),
        2,
        "{trace:?}"
    );
}

#[test]
fn session_id_resumption_in_memory() {
    let server = Arc::new(tls12_server().without_tls12_tickets().build().unwrap());
    let client = client_config(&[ProtocolVersion::TLSv1_2]);

    let (c, s, first, received) = connect(&client, &server);
    assert!(!c && !s);
    assert!(first.contains(&HandshakeType::Certificate), "{first:?}");
    // Tickets are off: no NewSessionTicket.
    assert!(
        !received.contains(&HandshakeType::NewSessionTicket),
        "{received:?}"
    );

    for _ in 0..2 {
        let (c, s, trace, _) = connect(&client, &server);
        assert!(c, "client did not resume: {trace:?}");
        assert!(s, "server did not resume: {trace:?}");
        assert_abbreviated(&trace);
    }
}

#[test]
fn ticket_resumption_in_memory() {
    // No session IDs: only the ticket can resume.
    let server = Arc::new(tls12_server().with_session_id_cache(0).build().unwrap());
    let client = client_config(&[ProtocolVersion::TLSv1_2]);

    let (c, s, first, received) = connect(&client, &server);
    assert!(!c && !s);
    assert!(first.contains(&HandshakeType::Certificate), "{first:?}");
    // RFC 5077 §3.3: NewSessionTicket after the client's Finished.
    assert!(
        received.contains(&HandshakeType::NewSessionTicket),
        "{received:?}"
    );

    let (c, s, trace, received) = connect(&client, &server);
    assert!(c, "client did not resume: {trace:?}");
    assert!(s, "server did not resume: {trace:?}");
    assert_abbreviated(&trace);
    // RFC 5077 §3.1: the renewed ticket, then ChangeCipherSpec and Finished.
    assert_eq!(
        received,
        [
            HandshakeType::ServerHello,
            HandshakeType::NewSessionTicket,
            HandshakeType::Finished
        ]
    );
}

#[test]
fn client_offering_tls13_resumes_a_tls12_session() {
    // RFC 8446 §4.1.2: the cached TLS 1.2 session ID goes into legacy_session_id.
    let server = Arc::new(tls12_server().without_tls12_tickets().build().unwrap());
    let client = client_config(&[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]);
    let (c, _, _, _) = connect(&client, &server);
    assert!(!c);
    let (c, s, trace, _) = connect(&client, &server);
    assert!(c && s, "{trace:?}");
    assert_abbreviated(&trace);

    // With tickets (RFC 5077 §3.4: the random compatibility session ID is echoed).
    let server = Arc::new(tls12_server().with_session_id_cache(0).build().unwrap());
    let client = client_config(&[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]);
    let (c, _, _, _) = connect(&client, &server);
    assert!(!c);
    let (c, s, trace, _) = connect(&client, &server);
    assert!(c && s, "{trace:?}");
    assert_abbreviated(&trace);
}

#[test]
fn ticket_under_rotated_out_key_falls_back_to_full_handshake() {
    let provider = clasp::crypto::aws_lc::default_provider();
    let keys = Arc::new(TicketKeys::new(&provider, 0, 0).unwrap());
    let server = Arc::new(
        tls12_server()
            .with_session_id_cache(0)
            .with_ticket_keys(Arc::clone(&keys))
            .build()
            .unwrap(),
    );
    let client = client_config(&[ProtocolVersion::TLSv1_2]);
    let (c, _, _, _) = connect(&client, &server);
    assert!(!c);
    // One rotation: the previous key still opens the ticket.
    keys.rotate(1).unwrap();
    let (c, s, _, _) = connect(&client, &server);
    assert!(c && s);
    // Two more rotations: the (renewed) ticket's key is gone.
    keys.rotate(2).unwrap();
    keys.rotate(3).unwrap();
    let (c, s, trace, _) = connect(&client, &server);
    assert!(!c && !s, "resumed under a rotated-out key: {trace:?}");
    assert!(trace.contains(&HandshakeType::Certificate), "{trace:?}");
    // The full handshake stored a fresh ticket, which resumes.
    let (c, s, trace, _) = connect(&client, &server);
    assert!(c && s, "{trace:?}");
}

#[test]
fn client_without_resumption_never_resumes() {
    let server = Arc::new(tls12_server().build().unwrap());
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .without_resumption()
            .build()
            .unwrap(),
    );
    for _ in 0..2 {
        let (c, s, trace, _) = connect(&client, &server);
        assert!(!c && !s, "{trace:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// openssl s_client / gnutls-cli -> clasp server.

const PING: &str = "resume me\n";
const PONG: &str = "RESUME ME";

fn s_client_sess_out_sess_in(server: ServerConfig, extra: &[&str], tag: &str) {
    let pki = TestPki::shared();
    let sess = pki.dir().join(format!(
        "tls12-resumption-{tag}-{}.sess",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&sess);
    let (port, reports) = spawn_stream_server(Arc::new(server), 2);
    let opts = |o: OpensslClientOpts| {
        o.tls12()
            .args(extra)
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T)
    };
    let first = OpensslClient::run(&opts(
        OpensslClientOpts::new(port, pki.ca_path()).sess_out(&sess),
    ));
    first.assert_success();
    assert!(first.contains("New, TLSv1.2"), "{first}");
    let second = OpensslClient::run(&opts(
        OpensslClientOpts::new(port, pki.ca_path()).sess_in(&sess),
    ));
    let reports = reports.join().unwrap();
    let _ = std::fs::remove_file(&sess);
    second.assert_success();
    second.assert_contains("Reused, TLSv1.2");
    for r in &reports {
        r.result
            .as_ref()
            .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{first}\n{second}"));
        assert_eq!(r.received, PING.as_bytes());
    }
    assert!(!reports[0].resumed);
    assert!(reports[1].resumed);
}

#[test]
fn openssl_sess_in_resumes_by_ticket_with_clasp_server() {
    require_peers!("openssl");
    s_client_sess_out_sess_in(
        tls12_server().with_session_id_cache(0).build().unwrap(),
        &[],
        "ticket",
    );
}

#[test]
fn openssl_sess_in_resumes_by_session_id_with_clasp_server() {
    require_peers!("openssl");
    s_client_sess_out_sess_in(tls12_server().build().unwrap(), &["-no_ticket"], "sid");
}

#[test]
fn gnutls_cli_resume_with_clasp_server() {
    require_peers!("gnutls-cli");
    let pki = TestPki::shared();
    let (port, server) = spawn_stream_server(Arc::new(tls12_server().build().unwrap()), 2);
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, pki.ca_path())
            .version(TlsVersion::Tls12)
            .resume()
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let reports = server.join().unwrap();
    out.assert_success();
    out.assert_contains("This is a resumed session");
    for r in &reports {
        r.result
            .as_ref()
            .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    }
    assert!(!reports[0].resumed);
    assert!(reports[1].resumed);
    assert_eq!(reports[1].received, PING.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// clasp client -> openssl s_server / gnutls-serv.

/// One connection from `cfg` to `port`: a line out, its echo back, close. Returns whether
/// clasp resumed and the handshake messages it received.
fn one_connection(
    cfg: &Arc<ClientConfig>,
    port: u16,
    tag: &str,
    peer: &mut clasp_testkit::PeerProcess,
) -> (bool, Vec<HandshakeType>) {
    let trace = Arc::new(Recorder::default());
    let conn = ClientConnection::with_observer(
        Arc::clone(cfg),
        ServerName::try_from("localhost").unwrap(),
        Some(trace.clone()),
    )
    .unwrap();
    let mut tls = clasp::Stream::new(conn, common::connect(port));
    if let Err(e) = tls.complete_handshake() {
        panic!("handshake {tag} failed: {e:?}\n{}", peer.dump());
    }
    assert_eq!(
        tls.conn().negotiated().version,
        Some(ProtocolVersion::TLSv1_2)
    );
    let ping = format!("ping {tag}\n");
    tls.write_all(ping.as_bytes()).unwrap();
    peer.expect_output(&format!("ping {tag}"), T);
    let resumed = tls.conn().negotiated().resumed;
    let _ = tls.send_close_notify();
    (resumed, trace.received())
}

fn clasp_client_twice(port: u16, peer: &mut clasp_testkit::PeerProcess) {
    let cfg = client_config(&[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]);
    let (resumed, first) = one_connection(&cfg, port, "one", peer);
    assert!(!resumed);
    assert!(first.contains(&HandshakeType::Certificate), "{first:?}");
    let (resumed, second) = one_connection(&cfg, port, "two", peer);
    assert!(
        resumed,
        "second connection did not resume: {second:?}\n{}",
        peer.dump()
    );
    assert!(!second.contains(&HandshakeType::Certificate), "{second:?}");
    assert!(second.contains(&HandshakeType::Finished), "{second:?}");
}

#[test]
fn clasp_client_resumes_with_openssl_server_ticket() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let mut server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls12()
            .naccept(2),
    );
    let port = server.port();
    clasp_client_twice(port, &mut server);
    assert!(server.wait_exit(T).is_some(), "{}", server.dump());
    let out = server.finish(T);
    assert_eq!(out.stdout.matches("Reused session-id").count(), 1, "{out}");
}

#[test]
fn clasp_client_resumes_with_openssl_server_session_id() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let mut server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls12()
            .args(&["-no_ticket"])
            .naccept(2),
    );
    let port = server.port();
    clasp_client_twice(port, &mut server);
    assert!(server.wait_exit(T).is_some(), "{}", server.dump());
    let out = server.finish(T);
    assert_eq!(out.stdout.matches("Reused session-id").count(), 1, "{out}");
}

#[test]
fn clasp_client_resumes_with_gnutls_server() {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let mut server = GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(KeyType::EcdsaP256)).version(TlsVersion::Tls12),
    );
    let port = server.port();
    clasp_client_twice(port, &mut server);
    let out = server.finish();
    assert!(out.contains("Version: TLS1.2"), "{out}");
}

#[test]
fn unknown_session_gets_a_full_handshake_and_a_new_session() {
    // A server that never saw the session (another process: its own cache and ticket keys)
    // answers with a full handshake (RFC 5246 §7.4.1.2); the client then keeps the new session.
    let client = client_config(&[ProtocolVersion::TLSv1_2]);
    let a = Arc::new(tls12_server().build().unwrap());
    let b = Arc::new(tls12_server().build().unwrap());
    let (c, _, _, _) = connect(&client, &a);
    assert!(!c);
    let (c, s, trace, _) = connect(&client, &b);
    assert!(!c && !s, "{trace:?}");
    assert!(trace.contains(&HandshakeType::Certificate), "{trace:?}");
    let (c, s, trace, _) = connect(&client, &b);
    assert!(c && s, "{trace:?}");
}

/// `ClientSessionCache::sessions_stored` counts what connections leave to resume and
/// `ServerConfig::session_id_cache` shows what the server cached by ID (the knobs BoGo's
/// `-expect-no-session`, `-expect-ticket-renewal`, `-expect-session-id` and
/// `-expect-no-session-id` read).
#[test]
fn sessions_stored_and_session_id_cache_report_what_connections_left() {
    use clasp::session::ClientSessionCache;
    let cache = Arc::new(ClientSessionCache::new(4));
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .with_session_cache(cache.clone())
            .build()
            .unwrap(),
    );

    // Session IDs only: the full handshake stores one session on each side; the resumption
    // (no ticket to renew) puts the same session back, which is not a new one.
    let server = Arc::new(tls12_server().without_tls12_tickets().build().unwrap());
    assert_eq!(server.session_id_cache().len(), 0);
    assert_eq!(cache.sessions_stored(), 0);
    let (c, _, _, _) = connect(&client, &server);
    assert!(!c);
    assert_eq!(cache.sessions_stored(), 1);
    assert_eq!(server.session_id_cache().len(), 1);
    let (c, _, _, _) = connect(&client, &server);
    assert!(c);
    assert_eq!(cache.sessions_stored(), 1);
    assert_eq!(server.session_id_cache().len(), 1);

    // Tickets only: no session ID cached; each resumption renews the ticket (RFC 5077 §3.3).
    let server = Arc::new(tls12_server().with_session_id_cache(0).build().unwrap());
    let (c, _, _, _) = connect(&client, &server);
    assert!(!c);
    assert_eq!(cache.sessions_stored(), 2);
    let (c, _, _, _) = connect(&client, &server);
    assert!(c);
    assert_eq!(cache.sessions_stored(), 3);
    assert_eq!(server.session_id_cache().len(), 0);

    // A cache of capacity 0 stores nothing and counts nothing.
    let none = Arc::new(ClientSessionCache::new(0));
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .with_session_cache(none.clone())
            .build()
            .unwrap(),
    );
    connect(&client, &server);
    assert_eq!(none.sessions_stored(), 0);
}

/// RFC 5077 §3.4: "If a server is planning on issuing a session ticket to a client that does
/// not present one, it SHOULD include an empty Session ID in the ServerHello." With tickets and
/// session IDs both on (the default), a client that asks for a ticket gets one and no session
/// ID, so the server caches nothing it will not need; a client that asks for none still gets a
/// session ID. (Found by BoGo's Basic-Server, which expects no stateful session.)
#[test]
fn server_issuing_a_ticket_caches_no_session_id() {
    let server = Arc::new(tls12_server().build().unwrap());
    let client = client_config(&[ProtocolVersion::TLSv1_2]);
    let (c, _, _, received) = connect(&client, &server);
    assert!(!c);
    assert!(
        received.contains(&HandshakeType::NewSessionTicket),
        "{received:?}"
    );
    assert_eq!(server.session_id_cache().len(), 0);
    let (c, s, trace, _) = connect(&client, &server);
    assert!(c && s, "not resumed: {trace:?}");
    assert_eq!(server.session_id_cache().len(), 0);
}

/// `Negotiated::extended_master_secret` reports RFC 7627 on both sides of a TLS 1.2 full and
/// resumed handshake, and is false in TLS 1.3 (attack_no_ems.rs covers a peer without it).
#[test]
fn extended_master_secret_is_reported() {
    let server = Arc::new(tls12_server().build().unwrap());
    let client = client_config(&[ProtocolVersion::TLSv1_2]);
    for resumed in [false, true] {
        let mut c = ClientConnection::new(
            Arc::clone(&client),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let mut s = ServerConnection::new(Arc::clone(&server)).unwrap();
        pump(&mut c, &mut s).unwrap();
        assert_eq!(c.negotiated().resumed, resumed);
        assert!(c.negotiated().extended_master_secret);
        assert!(s.negotiated().extended_master_secret);
    }
    let server13 = Arc::new(server_builder(KeyType::EcdsaP256).build().unwrap());
    let client13 = client_config(&[ProtocolVersion::TLSv1_3]);
    let mut c =
        ClientConnection::new(client13, ServerName::try_from("localhost").unwrap()).unwrap();
    let mut s = ServerConnection::new(server13).unwrap();
    pump(&mut c, &mut s).unwrap();
    assert!(!c.negotiated().extended_master_secret);
    assert!(!s.negotiated().extended_master_secret);
}
