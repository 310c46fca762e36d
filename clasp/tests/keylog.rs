//! SSLKEYLOGFILE (NSS key log format) checked against independent tools:
//! - OpenSSL's own key log (`s_server -keylogfile` / `s_client -keylogfile`) for the same
//!   session must hold exactly the lines clasp wrote, for all five TLS 1.3 labels;
//! - tshark (Wireshark), given only clasp's key log, must decrypt a loopback capture of the
//!   session and find the application data in both directions. When tshark is not installed
//!   or cannot capture (it needs capture rights on `lo`) the test fails, or is skipped with a
//!   printed reason under `CLASP_ALLOW_MISSING_PEERS=1`, like every peer test.
//!
//! The client random in every line must be the one in the ClientHello clasp sent or received,
//! taken from the trace observer (bytes 6..38 of the encoded message: 4-byte handshake header,
//! 2-byte legacy_version, then the 32-byte random; RFC 8446 §4.1.2).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clasp::keylog::KeyLogFile;
use clasp::msgs::enums::{CipherSuite, HandshakeType, ProtocolVersion};
use clasp::msgs::handshake::HandshakePayload;
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer};
use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use clasp_testkit::{
    require_peers, KeyType, OpensslClient, OpensslClientOpts, OpensslServer, OpensslServerOpts,
    PeerProcess, TestPki,
};
use rustls_pki_types::ServerName;

mod common;
use common::{connect, roots, IO_TIMEOUT};

const T: Duration = Duration::from_secs(10);

/// RFC 8446 §7.1 secrets as NSS names them.
const TLS13_LABELS: [&str; 5] = [
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
];

/// Captures the random of the ClientHello seen in `direction`.
struct HelloRandom {
    direction: Direction,
    random: Mutex<Option<Vec<u8>>>,
}

impl HelloRandom {
    fn new(direction: Direction) -> Arc<Self> {
        Arc::new(HelloRandom {
            direction,
            random: Mutex::new(None),
        })
    }
    fn get(&self) -> Vec<u8> {
        self.random
            .lock()
            .unwrap()
            .clone()
            .expect("no ClientHello observed")
    }
}

impl Observer for HelloRandom {
    fn on_event(&self, ev: &HandshakeEvent<'_>) {
        let EventKind::Handshake(m) = ev.kind else {
            return;
        };
        if ev.direction != self.direction || m.typ() != HandshakeType::ClientHello {
            return;
        }
        let wire = m.encoded();
        let random = wire[6..38].to_vec();
        // The decoded message agrees with the bytes.
        if let HandshakePayload::ClientHello(ch) = m.payload() {
            assert_eq!(&ch.random[..], &random[..]);
        }
        let mut slot = self.random.lock().unwrap();
        // Only the first ClientHello (after a HelloRetryRequest the random stays the same).
        if slot.is_none() {
            *slot = Some(random);
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fresh path for a key log (removed first).
fn temp_path(name: &str) -> PathBuf {
    let p = TestPki::shared()
        .dir()
        .join(format!("{name}-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// `label -> (client_random hex, secret hex)` for every line; panics on a repeated label or a
/// malformed line.
fn parse_keylog(path: &Path) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read key log {}: {e}", path.display()));
    let mut map = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 3, "malformed key log line {line:?}");
        let prev = map.insert(f[0].to_owned(), (f[1].to_owned(), f[2].to_owned()));
        assert!(prev.is_none(), "label {} logged twice:\n{text}", f[0]);
    }
    map
}

/// Checks clasp's key log: exactly the five TLS 1.3 labels, each with `random`, each secret
/// as long as the suite hash.
fn check_clasp_log(log: &BTreeMap<String, (String, String)>, random: &[u8], hash_len: usize) {
    let labels: Vec<&str> = log.keys().map(String::as_str).collect();
    let mut expected = TLS13_LABELS.to_vec();
    expected.sort_unstable();
    assert_eq!(labels, expected);
    for (label, (cr, secret)) in log {
        assert_eq!(*cr, hex(random), "{label}: wrong client random");
        assert_eq!(secret.len(), 2 * hash_len, "{label}: wrong secret length");
    }
}

/// OpenSSL's key log for the same session holds the same secret under every label.
fn check_against_openssl(
    clasp_log: &BTreeMap<String, (String, String)>,
    openssl_log: &BTreeMap<String, (String, String)>,
) {
    for label in TLS13_LABELS {
        let ours = &clasp_log[label];
        let theirs = openssl_log
            .get(label)
            .unwrap_or_else(|| panic!("OpenSSL logged no {label}: {openssl_log:?}"));
        assert_eq!(ours, theirs, "{label} differs from OpenSSL's");
    }
}

const LINE: &[u8] = b"CLASPKEYLOG-client-to-server\n";
const LINE_REV: &[u8] = b"revres-ot-tneilc-GOLYEKPSALC\n";

/// A parsed key log: label → (client random hex, secret hex).
type KeyLogLines = BTreeMap<String, (String, String)>;

/// A clasp client with a `KeyLogFile` against `s_server -rev -keylogfile`; returns both logs
/// and the client random clasp sent.
fn clasp_client_session(
    suite: CipherSuite,
    openssl_suite: &str,
) -> (KeyLogLines, KeyLogLines, Vec<u8>) {
    let pki = TestPki::shared();
    let clasp_log = temp_path(&format!("clasp-client-keylog-{}", suite.0));
    let openssl_log = temp_path(&format!("openssl-server-keylog-{}", suite.0));
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .ciphersuites(openssl_suite)
            .rev()
            .naccept(1)
            .args(&["-keylogfile", &openssl_log.to_string_lossy()]),
    );
    let cfg = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_key_log(Arc::new(KeyLogFile::new(clasp_log.clone())))
        .build()
        .unwrap();
    let hello = HelloRandom::new(Direction::Sent);
    let conn = ClientConnection::with_observer(
        Arc::new(cfg),
        ServerName::try_from("localhost").unwrap(),
        Some(hello.clone()),
    )
    .unwrap();
    let mut tls = clasp::Stream::new(conn, connect(server.port()));
    tls.complete_handshake()
        .unwrap_or_else(|e| panic!("handshake: {e:?}\n{}", server.dump()));
    assert_eq!(tls.conn().negotiated_cipher_suite(), Some(suite));
    tls.write_all(LINE).unwrap();
    let mut got = vec![0u8; LINE_REV.len()];
    tls.read_exact(&mut got).unwrap();
    assert_eq!(got, LINE_REV);
    tls.send_close_notify().unwrap();
    drop(tls);
    let out = server.finish(T);
    assert!(!out.contains("CONNECTION FAILURE"), "{out}");
    let ours = parse_keylog(&clasp_log);
    let theirs = parse_keylog(&openssl_log);
    let _ = std::fs::remove_file(&clasp_log);
    let _ = std::fs::remove_file(&openssl_log);
    (ours, theirs, hello.get())
}

#[test]
fn client_keylog_matches_openssl_server_aes128_sha256() {
    require_peers!("openssl");
    let (ours, theirs, random) = clasp_client_session(
        CipherSuite::TLS_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
    );
    check_clasp_log(&ours, &random, 32);
    check_against_openssl(&ours, &theirs);
}

#[test]
fn client_keylog_matches_openssl_server_aes256_sha384() {
    require_peers!("openssl");
    let (ours, theirs, random) = clasp_client_session(
        CipherSuite::TLS_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
    );
    check_clasp_log(&ours, &random, 48);
    check_against_openssl(&ours, &theirs);
}

/// The server side logs the same labels under the random it received.
#[test]
fn server_keylog_matches_openssl_client() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let clasp_log = temp_path("clasp-server-keylog");
    let openssl_log = temp_path("openssl-client-keylog");
    let id = pki.server(KeyType::Rsa2048);
    let cfg = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
            .with_key_log(Arc::new(KeyLogFile::new(clasp_log.clone())))
            .build()
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hello = HelloRandom::new(Direction::Received);
    let observer = hello.clone();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut conn = ServerConnection::new(cfg).unwrap();
        conn.set_observer(observer);
        let mut tls = clasp::Stream::new(conn, sock);
        let result = (|| -> std::io::Result<()> {
            tls.complete_handshake()?;
            let mut buf = [0u8; 256];
            let n = tls.read(&mut buf)?;
            tls.write_all(&buf[..n].to_ascii_uppercase())?;
            // Until s_client closes.
            while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
            Ok(())
        })();
        result.map_err(|e| e.to_string())
    });
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-keylogfile", &openssl_log.to_string_lossy()])
            .send(b"ping for the key log\n")
            .expect("PING FOR THE KEY LOG")
            .timeout(T),
    );
    let result = server.join().unwrap();
    out.assert_success();
    result.unwrap_or_else(|e| panic!("clasp server: {e}\n{out}"));
    let ours = parse_keylog(&clasp_log);
    let theirs = parse_keylog(&openssl_log);
    let _ = std::fs::remove_file(&clasp_log);
    let _ = std::fs::remove_file(&openssl_log);
    check_clasp_log(&ours, &hello.get(), 32);
    check_against_openssl(&ours, &theirs);
}

// ---------------------------------------------------------------------------------------------
// tshark decrypts a capture with clasp's key log alone.

/// Starts `tshark` capturing `port` on loopback into `pcap`; `None` when it cannot capture here
/// and `CLASP_ALLOW_MISSING_PEERS=1` (otherwise that fails the test, naming why).
fn start_capture(port: u16, pcap: &Path) -> Option<PeerProcess> {
    let filter = format!("tcp port {port}");
    let p = PeerProcess::spawn(
        "tshark",
        &[
            "-i",
            "lo",
            "-f",
            filter.as_str(),
            "-w",
            pcap.to_str().unwrap(),
        ],
    )
    .expect("spawn tshark");
    // tshark says "Capture started." (after "Capturing on 'Loopback: lo'") once dumpcap
    // records packets.
    if !p.wait_for("Capture started", T) {
        clasp_testkit::missing_capability(&format!(
            "tshark could not capture on lo (it needs capture rights: add the user to the \
             wireshark group or run dumpcap with cap_net_raw):\n{}",
            p.dump()
        ));
        return None;
    }
    Some(p)
}

/// Stops a capture with SIGINT so tshark writes out what it has.
fn stop_capture(mut p: PeerProcess) {
    // Give the last segments (close_notify, FIN) a moment to be captured.
    std::thread::sleep(Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &p.pid().to_string()])
        .status();
    assert!(
        p.wait_exit(T).is_some(),
        "tshark did not stop: {}",
        p.dump()
    );
}

/// Every decrypted payload (hex) tshark finds in `pcap` with `keylog` (or with no key log).
fn tshark_decrypted(pcap: &Path, keylog: Option<&Path>) -> String {
    let mut args = vec!["-r".to_owned(), pcap.to_string_lossy().into_owned()];
    if let Some(k) = keylog {
        args.push("-o".to_owned());
        args.push(format!("tls.keylog_file:{}", k.display()));
    }
    args.extend(["-Y", "data", "-T", "fields", "-e", "data.data"].map(String::from));
    let out = std::process::Command::new("tshark")
        .args(&args)
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark -r failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tshark_decrypts_capture_with_clasp_keylog() {
    require_peers!("openssl", "tshark");
    let pcap = temp_path("keylog-capture").with_extension("pcap");
    let pki = TestPki::shared();
    let keylog = temp_path("clasp-keylog-for-tshark");
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP384))
            .tls13()
            .rev()
            .naccept(1),
    );
    let Some(capture) = start_capture(server.port(), &pcap) else {
        return;
    };
    let cfg = ClientConfig::builder()
        .with_root_certificates(roots())
        .with_key_log(Arc::new(KeyLogFile::new(keylog.clone())))
        .build()
        .unwrap();
    let conn =
        ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut tls = clasp::Stream::new(conn, connect(server.port()));
    tls.write_all(LINE).unwrap();
    let mut got = vec![0u8; LINE_REV.len()];
    tls.read_exact(&mut got).unwrap();
    assert_eq!(got, LINE_REV);
    tls.send_close_notify().unwrap();
    drop(tls);
    server.finish(T);
    stop_capture(capture);

    let with_keys = tshark_decrypted(&pcap, Some(&keylog));
    let without_keys = tshark_decrypted(&pcap, None);
    let _ = std::fs::remove_file(&pcap);
    let _ = std::fs::remove_file(&keylog);
    // Both directions decrypt with clasp's secrets (client and server traffic secrets) ...
    assert!(
        with_keys.contains(&hex(LINE)),
        "client data not decrypted:\n{with_keys}"
    );
    assert!(
        with_keys.contains(&hex(LINE_REV)),
        "server data not decrypted:\n{with_keys}"
    );
    // ... and not without them.
    assert!(!without_keys.contains(&hex(LINE)), "{without_keys}");
}
