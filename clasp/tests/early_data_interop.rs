//! TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10) against the real `openssl` 3.0 binary, both
//! directions, and a replayed 0-RTT flight over TCP (RFC 8446 §8).
//!
//! - `openssl s_client -sess_out` then `-sess_in -early_data FILE` → clasp server: the server
//!   reads FILE's bytes before the handshake-time data, and both ends say 0-RTT was accepted.
//! - clasp client → `openssl s_server -early_data -naccept 2`: the second connection's
//!   `write_early_data` bytes show up under s_server's "Early data received:" header.
//! - A clasp client's 0-RTT first flight, captured in memory, is sent twice over TCP to one
//!   clasp server config: the first copy is accepted, the replay refused with no data delivered.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use clasp::msgs::enums::ProtocolVersion;
use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use clasp_testkit::{
    require_peers, KeyType, OpensslClient, OpensslClientOpts, OpensslServer, OpensslServerOpts,
    TestPki,
};

mod common;
use common::{
    client_builder, close, connect, drain_early_data, drain_plaintext, flush, handshake, localhost,
    prepare, read_once, read_until, server_builder,
};

const T: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Configs and a blocking driver over a TcpStream.

fn client_config() -> Arc<ClientConfig> {
    Arc::new(
        client_builder()
            .with_early_data()
            .build()
            .expect("client config"),
    )
}

fn server_config() -> Arc<ServerConfig> {
    Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_max_early_data(16384)
            .build()
            .expect("server config"),
    )
}

/// What a clasp server saw on one connection.
#[derive(Debug)]
struct ServerReport {
    /// `negotiated().early_data_accepted` once the ClientHello was processed.
    early_data_accepted: Option<bool>,
    resumed: bool,
    /// Every plaintext byte the application could read, in order.
    data: Vec<u8>,
    /// Why the connection ended, if not by our own close after `lines` lines.
    error: Option<String>,
    /// The handshake completed.
    completed: bool,
}

/// Accepts one connection on `listener` and serves it with `cfg`: reads plaintext until
/// `lines` newlines arrived, answers "served ok\n" and closes; or stops at end of stream / error.
/// (Not a bare "ok": s_client prints "Verify return code: 0 (ok)" right after its handshake,
/// before the tickets arrive, and `expect` would match that.)
fn serve_one(
    listener: &TcpListener,
    cfg: &Arc<ServerConfig>,
    lines: usize,
) -> JoinHandle<ServerReport> {
    let listener = listener.try_clone().expect("listener clone");
    let cfg = Arc::clone(cfg);
    std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().expect("accept");
        prepare(&sock);
        let mut conn = ServerConnection::new(cfg).expect("server connection");
        let mut report = ServerReport {
            early_data_accepted: None,
            resumed: false,
            data: Vec::new(),
            error: None,
            completed: false,
        };
        loop {
            if let Err(e) = flush(&mut conn, &mut sock) {
                // The attacker in the replay test is gone; nothing more to learn.
                report.error = Some(format!("socket write: {e}"));
                break;
            }
            // 0-RTT data has its own reader (it may be a replay); this server takes it as the
            // start of the stream.
            drain_early_data(&mut conn, &mut report.data);
            drain_plaintext(&mut conn, &mut report.data);
            report.early_data_accepted = conn.negotiated().early_data_accepted;
            report.resumed = conn.negotiated().resumed;
            report.completed |= !conn.is_handshaking();
            if report.completed && report.data.iter().filter(|b| **b == b'\n').count() >= lines {
                conn.writer().write_all(b"served ok\n").unwrap();
                close(&mut conn, &mut sock);
                break;
            }
            match read_once(&mut conn, &mut sock) {
                Ok(0) => {
                    drain_plaintext(&mut conn, &mut report.data);
                    report.error = Some("end of stream".into());
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    drain_plaintext(&mut conn, &mut report.data);
                    report.early_data_accepted = conn.negotiated().early_data_accepted;
                    report.error = Some(format!("{e:?}"));
                    break;
                }
            }
        }
        report
    })
}

/// A per-test scratch directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clasp-early-data-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// openssl s_client → clasp server.

#[test]
fn openssl_client_early_data_accepted_by_clasp_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let cfg = server_config();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = scratch("s_client");
    let sess = dir.join("session.pem");
    let early_file = dir.join("early.txt");
    const EARLY: &[u8] = b"GET /early HTTP/1.0 (0-RTT from s_client)\n";
    std::fs::write(&early_file, EARLY).unwrap();

    // 1. Full handshake; the line exchange makes sure the tickets reached s_client before it
    // closes (-sess_out writes the last ticket received).
    let server = serve_one(&listener, &cfg, 1);
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .sess_out(&sess)
            .send(b"first connection\n")
            .expect("served ok"),
    );
    let first = server.join().unwrap();
    out.assert_success();
    assert!(first.completed && first.error.is_none(), "{first:?}\n{out}");
    assert!(!first.resumed);
    assert_eq!(first.early_data_accepted, None, "no 0-RTT offered");
    assert_eq!(first.data, b"first connection\n");
    assert!(sess.exists(), "s_client wrote no session: {out}");

    // 2. Resumed with 0-RTT: FILE goes out as early data, then stdin after the handshake.
    let server = serve_one(&listener, &cfg, 2);
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .sess_in(&sess)
            .early_data(&early_file)
            .send(b"after handshake\n")
            .expect("served ok"),
    );
    let second = server.join().unwrap();
    out.assert_success();
    out.assert_contains("Early data was accepted");
    out.assert_contains("Reused, TLSv1.3");
    assert!(
        second.completed && second.error.is_none(),
        "{second:?}\n{out}"
    );
    assert!(second.resumed, "{second:?}");
    assert_eq!(second.early_data_accepted, Some(true), "{second:?}");
    // The early data comes first and exactly once, then the 1-RTT data.
    assert_eq!(second.data, [EARLY, b"after handshake\n"].concat(), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// clasp client → openssl s_server -early_data.

#[test]
fn clasp_client_early_data_accepted_by_openssl_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    // Interactive mode: s_server prints what it reads (early data under "Early data
    // received:") and sends what we write to its stdin. -rev would not read early data.
    let mut server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .early_data()
            .naccept(2),
    );
    let cfg = client_config();

    // 1. Full handshake. s_server sends its tickets right after our Finished; reading its
    // reply line (sent after it printed ours) proves they were processed.
    let mut c1 = ClientConnection::new(Arc::clone(&cfg), localhost()).unwrap();
    assert_eq!(
        c1.write_early_data(b"too early").unwrap(),
        0,
        "no ticket yet"
    );
    let mut sock = connect(server.port());
    handshake(&mut c1, &mut sock).unwrap_or_else(|e| panic!("handshake: {e:?}\n{}", server.dump()));
    c1.writer().write_all(b"first line from clasp\n").unwrap();
    flush(&mut c1, &mut sock).unwrap();
    server.expect_output("first line from clasp", T);
    server.send(b"reply one\n");
    assert_eq!(read_until(&mut c1, &mut sock, b"\n"), b"reply one\n");
    assert!(!c1.negotiated().resumed);
    assert_eq!(c1.negotiated().early_data_accepted, None);
    close(&mut c1, &mut sock);
    drop(sock);

    // 2. Resumed: early data right after `new`, before any byte was sent.
    const EARLY: &[u8] = b"early bytes from clasp";
    let mut c2 = ClientConnection::new(Arc::clone(&cfg), localhost()).unwrap();
    assert_eq!(c2.write_early_data(EARLY).unwrap(), EARLY.len());
    let mut sock = connect(server.port());
    handshake(&mut c2, &mut sock).unwrap_or_else(|e| panic!("handshake: {e:?}\n{}", server.dump()));
    c2.writer().write_all(b"second line from clasp\n").unwrap();
    flush(&mut c2, &mut sock).unwrap();
    server.expect_output("second line from clasp", T);
    server.send(b"reply two\n");
    assert_eq!(read_until(&mut c2, &mut sock, b"\n"), b"reply two\n");
    let n = c2.negotiated();
    assert_eq!(n.version, Some(ProtocolVersion::TLSv1_3));
    assert!(n.resumed, "{n:?}");
    assert_eq!(
        n.early_data_accepted,
        Some(true),
        "{n:?}\n{}",
        server.dump()
    );
    close(&mut c2, &mut sock);
    drop(sock);

    let out = server.finish(T);
    let stdout = &out.stdout;
    let header = stdout
        .find("Early data received:")
        .unwrap_or_else(|| panic!("s_server saw no early data:\n{out}"));
    let early_at = stdout[header..]
        .find("early bytes from clasp")
        .map(|i| header + i)
        .unwrap_or_else(|| panic!("early data not printed after its header:\n{out}"));
    let second_line = stdout.find("second line from clasp").unwrap();
    assert!(
        early_at < second_line,
        "early data after 1-RTT data:\n{out}"
    );
    assert_eq!(stdout.matches("early bytes from clasp").count(), 1, "{out}");
    assert_eq!(stdout.matches("Early data received:").count(), 1, "{out}");
    assert!(!out.contains("Early data was rejected"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Replay of a captured 0-RTT flight over TCP.

#[test]
fn replayed_early_data_flight_is_refused_over_tcp() {
    let client_cfg = client_config();
    let server_cfg = server_config();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();

    // 1. A full handshake over TCP gives the client a ticket allowing 0-RTT.
    let server = serve_one(&listener, &server_cfg, 1);
    let mut c1 = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    let mut sock = connect(port);
    handshake(&mut c1, &mut sock).unwrap();
    c1.writer().write_all(b"hello\n").unwrap();
    flush(&mut c1, &mut sock).unwrap();
    assert_eq!(read_until(&mut c1, &mut sock, b"\n"), b"served ok\n");
    let r1 = server.join().unwrap();
    assert!(r1.completed && r1.error.is_none(), "{r1:?}");
    drop(sock);

    // 2. The 0-RTT first flight (ClientHello + early data record), captured in memory.
    const EARLY: &[u8] = b"POST /transfer?amount=100\n";
    let mut c2 = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(c2.write_early_data(EARLY).unwrap(), EARLY.len());
    let mut flight = Vec::new();
    while c2.wants_write() {
        c2.write_tls(&mut flight).unwrap();
    }
    assert!(
        flight.len() > 5 && flight[0] == 22,
        "starts with a handshake record"
    );

    // 3. The real client sends it and completes: accepted, delivered once.
    let server = serve_one(&listener, &server_cfg, 2);
    let mut sock = connect(port);
    sock.write_all(&flight).unwrap();
    handshake(&mut c2, &mut sock).unwrap();
    c2.writer().write_all(b"1-RTT line\n").unwrap();
    flush(&mut c2, &mut sock).unwrap();
    assert_eq!(read_until(&mut c2, &mut sock, b"\n"), b"served ok\n");
    assert_eq!(c2.negotiated().early_data_accepted, Some(true));
    let r2 = server.join().unwrap();
    assert!(r2.completed && r2.error.is_none(), "{r2:?}");
    assert!(r2.resumed);
    assert_eq!(r2.early_data_accepted, Some(true));
    assert_eq!(r2.data, [EARLY, b"1-RTT line\n"].concat());
    drop(sock);

    // 4. An attacker replays the same bytes on a new connection, then closes its sending side
    // (so the server processes every replayed byte before it sees the end of the stream).
    // RFC 8446 §8: the server must not deliver the replayed 0-RTT data.
    let server = serve_one(&listener, &server_cfg, 1);
    let mut attacker = connect(port);
    attacker.write_all(&flight).unwrap();
    attacker.shutdown(Shutdown::Write).unwrap();
    let mut answer = Vec::new();
    let _ = attacker.read_to_end(&mut answer);
    let r3 = server.join().unwrap();
    assert_eq!(r3.early_data_accepted, Some(false), "{r3:?}");
    assert!(r3.data.is_empty(), "replayed data delivered: {r3:?}");
    assert!(!r3.completed, "{r3:?}");
    assert!(r3.error.is_some(), "{r3:?}");
    // The server did answer (ServerHello onward): the refusal is of the early data, not of
    // the ClientHello.
    assert!(
        answer.first() == Some(&22),
        "server answered {:02x?}",
        &answer[..answer.len().min(8)]
    );
}
