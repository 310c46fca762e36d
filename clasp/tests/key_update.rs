//! TLS 1.3 KeyUpdate (RFC 8446 §4.6.3):
//! - 100 MiB from `openssl s_client` to a clasp server that sends KeyUpdate every MiB;
//! - 8 MiB (100 MiB with `CLASP_KEY_UPDATE_MIB=100`, see [`total_bytes`]) through a clasp
//!   client and `openssl s_server -rev` with clasp calling `refresh_traffic_keys()`
//!   (KeyUpdate, update_requested) every MiB: OpenSSL must follow
//!   every key change in both directions and the reversed lines must come back intact;
//! - `openssl s_client`'s `K` command sends clasp's server a KeyUpdate(update_requested);
//! - clasp ↔ clasp in memory: the server updates 100 times during a transfer, and a KeyUpdate
//!   with a request value other than 0 or 1 ends the connection with illegal_parameter.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clasp::error::PeerMisbehaved;
use clasp::keylog::KeyLog;
use clasp::msgs::enums::{AlertDescription, CipherSuite, ContentType, HandshakeType};
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer};
use clasp::{ClientConnection, ConnectionCommon, Error, ServerConnection};
use clasp_testkit::{
    require_peers, KeyType, OpensslClient, OpensslClientOpts, OpensslServer, OpensslServerOpts,
    TestPki,
};
use rustls_pki_types::ServerName;

mod common;
use common::{client_builder, pump, server_config, transfer};

const T: Duration = Duration::from_secs(10);

/// Counts KeyUpdate messages sent and received.
#[derive(Default)]
struct KeyUpdates {
    sent: AtomicUsize,
    received: AtomicUsize,
}

impl Observer for KeyUpdates {
    fn on_event(&self, ev: &HandshakeEvent<'_>) {
        if let EventKind::Handshake(m) = ev.kind {
            if m.typ() == HandshakeType::KeyUpdate {
                match ev.direction {
                    Direction::Sent => self.sent.fetch_add(1, Ordering::SeqCst),
                    Direction::Received => self.received.fetch_add(1, Ordering::SeqCst),
                };
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 100 MiB against openssl s_server -rev.

const LINE_LEN: usize = 16_000;
const REFRESH_EVERY: usize = 1 << 20;

/// MiB to send: 100 with `CLASP_KEY_UPDATE_MIB=100`. The default is 8 because `s_server -rev`
/// answers at about 1 MiB/s on loopback (each reversed line is a small flushed write, and
/// s_server sets no TCP_NODELAY, so Nagle and delayed ACKs pace it; both ends sit idle),
/// which makes 100 MiB take 100 s. 100 MiB was run and passed (99 KeyUpdates each way).
fn total_bytes() -> usize {
    let mib: usize = std::env::var("CLASP_KEY_UPDATE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    mib << 20
}

/// Line `i`: `LINE_LEN - 1` letters from a small LCG, then '\n' (no '\r', never "CLOSE",
/// which s_server -rev treats as a command).
fn line(i: usize) -> Vec<u8> {
    let mut x = u32::try_from(i).unwrap().wrapping_mul(2_654_435_761) ^ 0x9e37_79b9;
    let mut v: Vec<u8> = (0..LINE_LEN - 1)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            b'a' + u8::try_from((x >> 24) % 26).unwrap()
        })
        .collect();
    v.push(b'\n');
    v
}

/// What s_server -rev answers to `line(i)`.
fn reversed(i: usize) -> Vec<u8> {
    let mut v = line(i);
    v.pop();
    v.reverse();
    v.push(b'\n');
    v
}

fn write_some(conn: &mut ConnectionCommon, sock: &mut TcpStream) -> bool {
    let mut progressed = false;
    while conn.wants_write() {
        match conn.write_tls(sock) {
            Ok(0) => panic!("socket closed while writing"),
            Ok(_) => progressed = true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("socket write: {e}"),
        }
    }
    progressed
}

#[test]
fn bulk_transfer_with_key_updates_every_mib_against_openssl() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .ciphersuites("TLS_AES_128_GCM_SHA256")
            .rev()
            .naccept(1),
    );
    let cfg = client_builder().build().unwrap();
    let updates = Arc::new(KeyUpdates::default());
    let mut conn = ClientConnection::with_observer(
        Arc::new(cfg),
        ServerName::try_from("localhost").unwrap(),
        Some(updates.clone()),
    )
    .unwrap();
    let sock = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    sock.set_read_timeout(Some(T)).unwrap();
    sock.set_write_timeout(Some(T)).unwrap();
    // The blocking adapter for the handshake, then the sans-IO calls for the bulk transfer.
    clasp::Stream::new(&mut *conn, &sock)
        .complete_handshake()
        .unwrap_or_else(|e| panic!("handshake: {e:?}\n{}", server.dump()));
    let mut sock = sock;
    sock.set_nodelay(true).unwrap();
    sock.set_nonblocking(true).unwrap();

    // Interleave: queue plaintext while less than 1 MiB of TLS is pending, write what the
    // socket takes, read and check what comes back.
    let lines = total_bytes() / LINE_LEN;
    let start = Instant::now();
    let (mut sent_lines, mut sent_bytes, mut refreshes) = (0usize, 0usize, 0usize);
    let (mut checked_lines, mut rx) = (0usize, Vec::<u8>::new());
    let mut buf = vec![0u8; 64 * 1024];
    while checked_lines < lines {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "stalled: sent {sent_lines} lines, got {checked_lines}\n{}",
            server.dump()
        );
        let mut progressed = false;
        // Below the 64 KiB output cap, so that reading never pauses for long.
        while sent_lines < lines && conn.pending_tls().len() < 48 * 1024 {
            // 16 KiB of plaintext per write.
            let mut chunk = Vec::with_capacity(16 * 1024);
            while chunk.len() < 16 * 1024 && sent_lines < lines {
                chunk.extend_from_slice(&line(sent_lines));
                sent_lines += 1;
            }
            conn.writer().write_all(&chunk).unwrap();
            sent_bytes += chunk.len();
            if sent_bytes / REFRESH_EVERY > refreshes && sent_lines < lines {
                conn.refresh_traffic_keys().unwrap();
                refreshes += 1;
            }
            progressed = true;
        }
        progressed |= write_some(&mut conn, &mut sock);
        for _ in 0..64 {
            // Not while 16 KiB of plaintext wait unread (or our output is over its cap).
            if !conn.wants_read() {
                break;
            }
            match conn.read_tls(&mut sock) {
                Ok(0) => panic!(
                    "s_server closed after {checked_lines} lines:\n{}",
                    server.dump()
                ),
                Ok(_) => {
                    progressed = true;
                    if let Err(e) = conn.process_new_packets() {
                        panic!("clasp: {e:?}\n{}", server.dump());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("socket read: {e}"),
            }
        }
        loop {
            match conn.reader().read(&mut buf) {
                Ok(0) => break,
                Ok(n) => rx.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("plaintext read: {e}"),
            }
        }
        // Check every complete line against what s_server must have answered.
        let mut used = 0;
        while rx.len() - used >= LINE_LEN {
            let got = &rx[used..used + LINE_LEN];
            assert!(
                got == reversed(checked_lines).as_slice(),
                "line {checked_lines} came back wrong"
            );
            checked_lines += 1;
            used += LINE_LEN;
        }
        rx.drain(..used);
        if !progressed {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    assert!(rx.is_empty(), "{} extra bytes", rx.len());
    conn.send_close_notify();
    sock.set_nonblocking(false).unwrap();
    write_some(&mut conn, &mut sock);
    drop(sock);
    let out = server.finish(T);
    assert!(!out.contains("CONNECTION FAILURE"), "{out}");

    assert_eq!(sent_bytes, lines * LINE_LEN);
    assert!(sent_bytes > total_bytes() - LINE_LEN);
    assert_eq!(refreshes, (sent_bytes - 1) / REFRESH_EVERY);
    // Our updates, and OpenSSL answering update_requested with its own (RFC 8446 §4.6.3); it
    // may answer several requests with one update.
    assert_eq!(updates.sent.load(Ordering::SeqCst), refreshes);
    let received = updates.received.load(Ordering::SeqCst);
    assert!(received >= 1, "OpenSSL never updated its keys");
    println!(
        "{sent_bytes} bytes in {:?}: {refreshes} KeyUpdates sent, {received} received",
        start.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// openssl s_client `K` (KeyUpdate, update_requested) -> clasp server.

#[test]
fn openssl_client_key_update_to_clasp_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let updates = Arc::new(KeyUpdates::default());
    let observer = updates.clone();
    let server = std::thread::spawn(move || -> Result<Vec<u8>, String> {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut conn = ServerConnection::new(server_config()).unwrap();
        conn.set_observer(observer);
        let mut tls = clasp::Stream::new(conn, sock);
        let mut received = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            let n = match tls.read(&mut buf) {
                Ok(n) => n,
                Err(e) => return Err(format!("{e:?}")),
            };
            if n == 0 {
                return Ok(received);
            }
            received.extend_from_slice(&buf[..n]);
            tls.write_all(&buf[..n].to_ascii_uppercase())
                .map_err(|e| e.to_string())?;
        }
    });
    // "K" as the first byte of a stdin read is s_client's command for
    // KeyUpdate(update_requested); the lines around it are data, sent under the old and the
    // new keys. Each stdin write waits for the echo so s_client reads them separately.
    let mut client = OpensslClient::spawn(&OpensslClientOpts::new(port, pki.ca_path()).tls13());
    client.send(b"before the update\n");
    client.expect_output("BEFORE THE UPDATE", T);
    client.send(b"K\n");
    client.expect_output("KEYUPDATE", T);
    client.send(b"after the update\n");
    client.expect_output("AFTER THE UPDATE", T);
    let out = client.finish(T);
    let received = server.join().unwrap();
    out.assert_success();
    let received = received.unwrap_or_else(|e| panic!("clasp server: {e}\n{out}"));
    assert_eq!(received, b"before the update\nafter the update\n");
    // clasp received the request and answered with its own KeyUpdate (RFC 8446 §4.6.3).
    assert_eq!(updates.received.load(Ordering::SeqCst), 1);
    assert_eq!(updates.sent.load(Ordering::SeqCst), 1);
}

/// The acceptance run at full size (100 MiB, a KeyUpdate every MiB), in the direction OpenSSL is fast in: `openssl s_client
/// -quiet` streams 100 MiB from its stdin to a clasp server, which sends
/// KeyUpdate(update_requested) after every MiB it receives. OpenSSL must switch its receiving
/// keys at each of ours and answer with its own KeyUpdate, after which everything it sends is
/// under its next keys: any slip breaks a record's AEAD tag. The data must arrive intact.
#[test]
fn hundred_mib_from_openssl_with_clasp_key_updates_every_mib() {
    require_peers!("openssl");
    const TOTAL: usize = 100 << 20;
    let pattern = |i: usize| u8::try_from((i * 31 + i / 4093) % 251).unwrap();
    let pki = TestPki::shared();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let updates = Arc::new(KeyUpdates::default());
    let observer = updates.clone();
    let server = std::thread::spawn(move || -> Result<usize, String> {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut conn = ServerConnection::new(server_config()).unwrap();
        conn.set_observer(observer);
        let mut tls = clasp::Stream::new(conn, sock);
        let mut buf = vec![0u8; 64 * 1024];
        let (mut received, mut next_update) = (0usize, 1usize << 20);
        while received < TOTAL {
            let n = tls
                .read(&mut buf)
                .map_err(|e| format!("{e:?} after {received}"))?;
            if n == 0 {
                return Err(format!("EOF after {received} bytes"));
            }
            if let Some(bad) = (0..n).find(|&k| buf[k] != pattern(received + k)) {
                return Err(format!("byte {} corrupted", received + bad));
            }
            received += n;
            if received >= next_update && received < TOTAL {
                tls.conn_mut()
                    .refresh_traffic_keys()
                    .map_err(|e| e.to_string())?;
                tls.flush().map_err(|e| e.to_string())?;
                next_update += 1 << 20;
            }
        }
        tls.send_close_notify().map_err(|e| e.to_string())?;
        // OpenSSL may have written the last MiBs before it read our last requests, so their
        // answers can follow the data: keep reading (and processing KeyUpdates) until it closes.
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest);
        Ok(received)
    });
    let data: Vec<u8> = (0..TOTAL).map(pattern).collect();
    let mut client = OpensslClient::spawn(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-quiet"]),
    );
    client.send(&data);
    let received = server.join().unwrap();
    let out = client.finish(Duration::from_secs(30));
    let received = received.unwrap_or_else(|e| panic!("clasp server: {e}\n{out}"));
    assert_eq!(received, TOTAL);
    // 99 requests from clasp (after each MiB but the last). OpenSSL answers with its next
    // write, and may answer several requests that arrived together with one KeyUpdate
    // (RFC 8446 §4.6.3 allows it), so the count of answers is between 1 and 99 depending on
    // scheduling; every answer switched the keys clasp reads with, and the data stayed intact.
    let (sent, answered) = (
        updates.sent.load(Ordering::SeqCst),
        updates.received.load(Ordering::SeqCst),
    );
    assert_eq!(sent, 99);
    assert!(
        (1..=sent).contains(&answered),
        "{answered} of {sent} answered"
    );
}

// ---------------------------------------------------------------------------------------------
// clasp <-> clasp in memory.

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

fn in_memory_pair(
    key_log: Option<Arc<MemoryKeyLog>>,
) -> (
    ClientConnection,
    ServerConnection,
    Arc<KeyUpdates>,
    Arc<KeyUpdates>,
) {
    let mut cb = client_builder().with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256]);
    if let Some(k) = key_log {
        cb = cb.with_key_log(k);
    }
    let cu = Arc::new(KeyUpdates::default());
    let su = Arc::new(KeyUpdates::default());
    let mut client = ClientConnection::with_observer(
        Arc::new(cb.build().unwrap()),
        ServerName::try_from("localhost").unwrap(),
        Some(cu.clone()),
    )
    .unwrap();
    let mut server = ServerConnection::new(server_config()).unwrap();
    server.set_observer(su.clone());
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking() && !server.is_handshaking());
    (client, server, cu, su)
}

#[test]
fn in_memory_server_updates_keys_100_times_during_transfer() {
    let (mut client, mut server, cu, su) = in_memory_pair(None);
    let pattern = |i: usize| u8::try_from((i * 7 + i / 251) % 256).unwrap();
    let chunk = 100_000;
    let total = 100 * chunk;
    let to_client: Vec<u8> = (0..total).map(pattern).collect();
    let to_server: Vec<u8> = (0..total / 10).map(|i| pattern(i + 3)).collect();
    let (mut got_client, mut got_server) = (Vec::new(), Vec::new());
    for i in 0..100 {
        server
            .writer()
            .write_all(&to_client[i * chunk..(i + 1) * chunk])
            .unwrap();
        client
            .writer()
            .write_all(&to_server[i * chunk / 10..(i + 1) * chunk / 10])
            .unwrap();
        // Mid-stream: records before and after the update are under different keys.
        server.refresh_traffic_keys().unwrap();
        // Read as it arrives: each side buffers at most 16 KiB unread.
        common::exchange(&mut client, &mut server, &mut got_client, &mut got_server).unwrap();
    }
    if got_client != to_client {
        let first = got_client.iter().zip(&to_client).position(|(a, b)| a != b);
        panic!(
            "server -> client data corrupted: got {} of {} bytes, first difference at {first:?}",
            got_client.len(),
            to_client.len()
        );
    }
    assert!(got_server == to_server, "client -> server data corrupted");
    // 100 requests from the server, each answered by the client (RFC 8446 §4.6.3).
    assert_eq!(su.sent.load(Ordering::SeqCst), 100);
    assert_eq!(cu.received.load(Ordering::SeqCst), 100);
    assert_eq!(cu.sent.load(Ordering::SeqCst), 100);
    assert_eq!(su.received.load(Ordering::SeqCst), 100);
}

/// The client's next record, forged: a KeyUpdate (type 24, length 1) with `request_update` =
/// `request`, sealed under the client's application traffic keys (RFC 8446 §7.3) derived from
/// CLIENT_TRAFFIC_SECRET_0 in `log`; the first record under that secret has sequence 0.
fn forged_client_key_update(log: &MemoryKeyLog, request: u8) -> Vec<u8> {
    let provider = clasp::crypto::aws_lc::default_provider();
    let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
    let secret = log.0.lock().unwrap()["CLIENT_TRAFFIC_SECRET_0"].clone();
    let hkdf = provider.hkdf(suite.hash);
    let mut key = vec![0u8; suite.aead.key_len()];
    let mut iv = [0u8; 12];
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"key", &[], &mut key).unwrap();
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"iv", &[], &mut iv).unwrap();
    let mut enc =
        clasp::internal::record_encrypter_tls13(provider.aead(suite.aead), &key, &iv).unwrap();
    let mut record = Vec::new();
    enc.seal_record(ContentType::Handshake, &[24, 0, 0, 1, request], &mut record)
        .unwrap();
    record
}

/// RFC 8446 §4.6.3: "If an implementation receives any other value [of request_update than 0
/// or 1], it MUST terminate the connection with an "illegal_parameter" alert."
#[test]
fn in_memory_key_update_with_illegal_request_value_is_illegal_parameter() {
    let log = Arc::new(MemoryKeyLog::default());
    let (mut client, mut server, _, _) = in_memory_pair(Some(log.clone()));
    let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
    assert_eq!(client.negotiated_cipher_suite(), Some(suite.suite));
    let record = forged_client_key_update(&log, 2);

    let mut rd = &record[..];
    server.read_tls(&mut rd).unwrap();
    let err = server.process_new_packets().unwrap_err();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::IllegalKeyUpdate));
    // The alert the server queued reaches the client as illegal_parameter.
    let err = transfer(&mut server, &mut client).unwrap_err();
    assert_eq!(
        err,
        Error::AlertReceived(AlertDescription::IllegalParameter)
    );
}

/// Control for the forgery above: request_update = 0 under the same keys is accepted.
#[test]
fn in_memory_forged_legal_key_update_is_accepted() {
    let log = Arc::new(MemoryKeyLog::default());
    let (mut client, mut server, _, su) = in_memory_pair(Some(log.clone()));
    let record = forged_client_key_update(&log, 0);
    let mut rd = &record[..];
    server.read_tls(&mut rd).unwrap();
    server.process_new_packets().unwrap();
    assert_eq!(su.received.load(Ordering::SeqCst), 1);
    // The server moved to the next client key generation: the real client's next record,
    // still under generation 0, no longer opens.
    client.writer().write_all(b"old keys").unwrap();
    assert_eq!(transfer(&mut client, &mut server), Err(Error::DecryptError));
}
