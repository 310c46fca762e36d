//! A hostile server against `clasp client` (issue 9 item 10): the server presents a trusted
//! leaf and appends a self-made certificate whose names carry terminal escape sequences (a
//! window-title OSC ending in BEL, colour codes, a C1 CSI, a newline that fakes a summary line).
//! The client's output must contain none of those bytes raw, must show them escaped, and must
//! mark the extra certificate as unverified; with `--trace` the ladder printed when verification
//! fails is escaped too.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;

use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, Stream};
use clasp_testkit::{Identity, KeyType, TestPki};
use rustls_pki_types::{CertificateDer, ServerName};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

/// The evil common name: OSC 0 (set window title) ended by BEL, SGR red, a newline that would
/// start a fake "verified: yes" line, and a C1 CSI (U+009B) clearing the screen.
const EVIL_CN: &str =
    "evil\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{1b}[0m\n          verified: yes\u{9b}2J";

/// A self-signed certificate named [`EVIL_CN`], which no trust store knows.
fn evil_cert() -> CertificateDer<'static> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["evil.example".to_string()]).unwrap();
    p.subject_alt_names.push(rcgen::SanType::DnsName(
        "x\u{1b}[2Jy.example".try_into().unwrap(),
    ));
    p.distinguished_name
        .push(rcgen::DnType::CommonName, EVIL_CN);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "\u{1b}[5mblink\u{7f}");
    p.self_signed(&key).unwrap().der().clone()
}

/// A clasp server for one connection presenting `id`'s chain with the evil certificate appended;
/// it answers "hi" if the handshake completes.
fn hostile_server(id: &Identity, tls12: bool) -> (u16, JoinHandle<()>) {
    let mut chain = id.cert_chain();
    chain.push(evil_cert());
    let mut b = ServerConfig::builder().with_single_cert(chain, id.private_key());
    if tls12 {
        b = b.with_protocol_versions(&[clasp::msgs::enums::ProtocolVersion::TLSv1_2]);
    }
    let cfg = Arc::new(b.build().unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut s = Stream::new(ServerConnection::new(cfg).unwrap(), sock);
        if s.complete_handshake().is_ok() {
            let _ = s.write_all(b"hi\n");
            let _ = s.send_close_notify();
            let _ = s.read_to_end(&mut Vec::new());
        }
    });
    (port, t)
}

fn run_client(port: u16, extra: &[&str]) -> Output {
    let ca = TestPki::shared().ca_path();
    Command::new(BIN)
        .args(["client", &format!("localhost:{port}")])
        .args(["--ca", ca.to_str().unwrap()])
        .args(extra)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// No raw control byte other than the newlines of the output itself.
fn assert_no_raw_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control()),
            "{what} has a raw control character U+{:04X}:\n{text}",
            u32::from(c)
        );
    }
}

/// Whether the library's `peer_certificates()` is the verified path (the extra certificate is
/// left out): another branch changes the library that way (issue 9 item 13); until it lands the
/// "unverified" marking cannot appear, and the test says so instead of failing.
fn library_returns_verified_path(id: &Identity) -> bool {
    let (port, server) = hostile_server(id, false);
    let mut roots = clasp::verify::RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    let cfg = ClientConfig::builder()
        .with_root_certificates(roots)
        .build()
        .unwrap();
    let conn =
        ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut s = Stream::new(
        conn,
        std::net::TcpStream::connect(("127.0.0.1", port)).unwrap(),
    );
    s.complete_handshake().unwrap();
    let evil_in_path = s
        .conn()
        .peer_certificates()
        .iter()
        .any(|c| c.windows(5).any(|w| w == b"pwned"));
    let _ = s.read_to_end(&mut Vec::new());
    drop(s);
    server.join().unwrap();
    !evil_in_path
}

#[test]
fn hostile_certificate_names_are_escaped_and_marked_unverified() {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let verified_path = library_returns_verified_path(id);
    for tls12 in [false, true] {
        let (port, server) = hostile_server(id, tls12);
        let mut args = vec!["--trace"];
        if tls12 {
            args.push("--tls12");
        }
        let out = run_client(port, &args);
        server.join().unwrap();
        let se = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{se}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
        assert_no_raw_controls("stderr", &out.stderr);
        // The escapes are shown, visibly, in the ladder and in the summary.
        let shown =
            "CN=evil\\x1b]0;pwned\\x07\\x1b[31mRED\\x1b[0m\\x0a          verified: yes\\x9b2J";
        assert!(se.contains(shown), "{se}");
        assert!(se.contains("\\x1b[5mblink\\x7f"), "{se}");
        // Its subjectAltNames too (in the summary).
        assert!(se.contains("DNS:x\\x1b[2Jy.example"), "{se}");
        // The fake line did not become a line of its own.
        assert_eq!(
            se.lines().filter(|l| l.trim() == "verified: yes").count(),
            1,
            "{se}"
        );
        if verified_path {
            // The summary lists the verified path, then the extra certificate, marked.
            let summary = se.rsplit("peer certificates:").next().unwrap();
            // (The path may or may not list the root CA the server also sent, so the extra
            // certificate's index is not fixed.)
            let at = summary
                .find("] subject: CN=evil")
                .unwrap_or_else(|| panic!("extra certificate not listed: {se}"));
            let (path, extra) = summary.split_at(at);
            let tag = path.rsplit("  [").next().unwrap();
            assert!(
                tag.starts_with("unverified "),
                "not marked unverified: {se}"
            );
            assert!(
                path.contains("more sent by the server, not part of the verified path"),
                "{se}"
            );
            assert!(extra.contains("verified: yes"), "{se}");
        } else {
            eprintln!(
                "note: the library's peer_certificates() still includes unverified certificates; \
                 the unverified marking is checked once it returns the verified path"
            );
        }
    }
}

#[test]
fn trace_ladder_is_escaped_when_verification_fails() {
    // An untrusted leaf: verification fails, the ladder is still printed with --trace.
    let id = TestPki::shared().untrusted();
    let (port, server) = hostile_server(id, false);
    let out = run_client(port, &["--trace"]);
    server.join().unwrap();
    let se = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(4), "{se}");
    assert_no_raw_controls("stderr", &out.stderr);
    assert!(se.contains("CN=evil\\x1b]0;pwned\\x07"), "{se}");
    assert!(se.contains("certificate verification failed"), "{se}");
}
