//! The `clasp` binary end to end: `demo` output and `client` against real servers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use clasp::{ServerConfig, ServerConnection, Stream};
use clasp_testkit::{require_peers, KeyType, OpensslServer, OpensslServerOpts, TestPki};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn clasp");
    let mut si = child.stdin.take().expect("stdin");
    si.write_all(stdin).expect("write stdin");
    drop(si);
    child.wait_with_output().expect("wait clasp")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `(direction, type)` of every message in the demo's JSON, in order.
fn messages(json: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = json;
    while let Some(i) = rest.find("{\"direction\":\"") {
        rest = &rest[i + 14..];
        let dir = rest[..rest.find('"').unwrap()].to_string();
        let t = rest.find("\"type\":\"").unwrap() + 8;
        rest = &rest[t..];
        let typ = rest[..rest.find('"').unwrap()].to_string();
        out.push((dir, typ));
    }
    out
}

/// Asserts `want` appears in `got` in this order (other messages may sit between).
fn assert_in_order(got: &[(String, String)], want: &[(&str, &str)]) {
    let mut it = got.iter();
    for (d, t) in want {
        assert!(
            it.any(|(gd, gt)| gd == d && gt == t),
            "{d} {t} missing or out of order in {got:?}"
        );
    }
}

const S2C: &str = "server->client";
const C2S: &str = "client->server";

// TLS 1.3 demos: clasp client and server both offer certificate compression (RFC 8879), so each
// chain crosses as a CompressedCertificate.
#[test]
fn demo_json_names_the_tls13_flight_in_order() {
    let out = run(&["demo", "--json"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert!(
        json.starts_with("{\"handshakes\":[{\"messages\":["),
        "{json}"
    );
    let got = messages(&json);
    assert_in_order(
        &got,
        &[
            (C2S, "ClientHello"),
            (S2C, "ServerHello"),
            (S2C, "EncryptedExtensions"),
            (S2C, "CompressedCertificate"),
            (S2C, "CertificateVerify"),
            (S2C, "Finished"),
            (C2S, "Finished"),
            (C2S, "ApplicationData"),
            (S2C, "ApplicationData"),
        ],
    );
    assert!(!got.iter().any(|(_, t)| t == "CertificateRequest"));
    assert!(json.contains("\"version\":\"TLS 1.3\""), "{json}");
    // ServerHello is plaintext, EncryptedExtensions is not.
    assert!(json.contains("\"type\":\"ServerHello\",\"protection\":\"plaintext\""));
    assert!(json.contains("\"type\":\"EncryptedExtensions\",\"protection\":\"handshake\""));
}

#[test]
fn demo_mutual_json_adds_client_authentication() {
    let out = run(&["demo", "--mutual", "--json"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = messages(&text(&out.stdout));
    assert_in_order(
        &got,
        &[
            (C2S, "ClientHello"),
            (S2C, "ServerHello"),
            (S2C, "EncryptedExtensions"),
            (S2C, "CertificateRequest"),
            (S2C, "CompressedCertificate"),
            (S2C, "CertificateVerify"),
            (S2C, "Finished"),
            (C2S, "CompressedCertificate"),
            (C2S, "CertificateVerify"),
            (C2S, "Finished"),
        ],
    );
}

#[test]
fn demo_text_ladder_explains_steps() {
    let out = run(&["demo", "--lang", "en"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("TCP SYN-ACK"), "{s}");
    assert!(s.contains("it signed the transcript so far"), "{s}");
    assert!(s.contains("close_notify"), "{s}");
    assert!(
        !s.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn demo_lang_ru_prints_cyrillic() {
    let out = run(&["demo", "--lang", "ru"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("подписал всю переписку"), "{s}");
    assert!(s.chars().filter(|c| ('а'..='я').contains(c)).count() > 100);
}

/// The demo's JSON split into its handshakes (the `"resumption"` summary cut off the last).
fn handshakes(json: &str) -> Vec<String> {
    let body = json.split(",\"resumption\":").next().unwrap_or(json);
    body.split("{\"messages\":[")
        .skip(1)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn demo_resume_json_second_handshake_resumes_without_certificate() {
    let out = run(&["demo", "--resume", "--json"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert!(
        json.starts_with("{\"handshakes\":[{\"messages\":["),
        "{json}"
    );
    let hs = handshakes(&json);
    assert_eq!(hs.len(), 2, "{json}");
    // The first is a full handshake that ends with tickets.
    let first = messages(&hs[0]);
    assert_in_order(
        &first,
        &[
            (S2C, "CompressedCertificate"),
            (S2C, "CertificateVerify"),
            (C2S, "Finished"),
            (S2C, "NewSessionTicket"),
        ],
    );
    assert!(hs[0].contains("\"resumed\":false"), "{}", hs[0]);
    // The second offers the ticket as a PSK, and the server authenticates with it alone
    // (RFC 8446 §2.2): no Certificate, no CertificateVerify; the key exchange still runs.
    let second = messages(&hs[1]);
    assert!(hs[1].contains("\"resumed\":true"), "{}", hs[1]);
    assert!(hs[1].contains("\"psk_identities\":\"1\""), "{}", hs[1]);
    assert!(
        hs[1].contains("\"psk\":\"identity 0 accepted\""),
        "{}",
        hs[1]
    );
    assert!(
        !second
            .iter()
            .any(|(_, t)| t.ends_with("Certificate") || t == "CertificateVerify"),
        "{second:?}"
    );
    assert_in_order(
        &second,
        &[
            (C2S, "ClientHello"),
            (S2C, "ServerHello"),
            (S2C, "Finished"),
            (C2S, "Finished"),
            (S2C, "ApplicationData"),
        ],
    );
    assert!(hs[1].contains("\"key_share\":\""), "psk_dhe_ke: {}", hs[1]);
    assert!(json.contains("\"key_exchange\":\"psk_dhe_ke\""), "{json}");
    assert!(
        // The first handshake's chain went compressed (RFC 8879).
        json.contains("\"skipped\":[{\"from\":\"server\",\"type\":\"CompressedCertificate\"}"),
        "{json}"
    );
}

#[test]
fn demo_resume_text_says_what_was_skipped_in_both_languages() {
    let out = run(&["demo", "--resume", "--lang", "en"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("2. Resumed handshake"), "{s}");
    assert!(
        s.contains(
            "Not sent this time: CompressedCertificate (server), CertificateVerify (server)"
        ),
        "{s}"
    );
    assert!(
        s.contains("the PSK from the first session authenticates the server"),
        "{s}"
    );
    assert!(s.contains("psk_dhe_ke"), "{s}");
    assert!(s.contains("forward secrecy is kept"), "{s}");

    let out = run(&["demo", "--resume", "--lang", "ru"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("На этот раз не отправлялись"), "{s}");
    assert!(s.contains("прямая секретность сохраняется"), "{s}");
}

#[test]
fn demo_early_data_sends_request_before_server_reply() {
    let out = run(&["demo", "--early-data", "--json"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    let hs = handshakes(&json);
    assert_eq!(hs.len(), 2, "{json}");
    assert!(!hs[0].contains("early_data_accepted"), "{}", hs[0]);
    assert!(hs[1].contains("\"early_data_accepted\":true"), "{}", hs[1]);
    assert!(hs[1].contains("\"resumed\":true"), "{}", hs[1]);
    // The request leaves under the early-data keys right behind the ClientHello, before the
    // ServerHello; EndOfEarlyData closes it before the client's Finished.
    assert!(
        hs[1].contains("\"type\":\"ApplicationData\",\"protection\":\"early_data\""),
        "{}",
        hs[1]
    );
    let second = messages(&hs[1]);
    let early = second
        .iter()
        .position(|(d, t)| d == C2S && t == "ApplicationData")
        .expect("early data in the ladder");
    let sh = second
        .iter()
        .position(|(d, t)| d == S2C && t == "ServerHello")
        .expect("ServerHello");
    assert!(early < sh, "{second:?}");
    assert_in_order(
        &second,
        &[
            (S2C, "Finished"),
            (C2S, "EndOfEarlyData"),
            (C2S, "Finished"),
        ],
    );
    // No second copy of the request after the handshake: the server took the 0-RTT one.
    assert_eq!(
        second
            .iter()
            .filter(|(d, t)| d == C2S && t == "ApplicationData")
            .count(),
        1,
        "{second:?}"
    );
    assert!(json.contains("\"replay_warning\":"), "{json}");

    let out = run(&["demo", "--early-data", "--lang", "en"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("an attacker can replay it"), "{s}");
    assert!(s.contains("0-RTT: the server accepted the request"), "{s}");
}

#[test]
fn demo_early_data_refuses_tls12() {
    let out = run(&["demo", "--early-data", "--tls12"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn demo_tls12_resume_is_an_abbreviated_handshake() {
    let out = run(&["demo", "--tls12", "--resume", "--json"], b"");
    let (json, err) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{err}");
    let hs = handshakes(&json);
    assert_eq!(hs.len(), 2, "{json}");
    assert!(hs[0].contains("\"resumed\":false"), "{}", hs[0]);
    assert!(hs[1].contains("\"resumed\":true"), "{}", hs[1]);
    // RFC 5246 §7.3 abbreviated handshake: no certificate and no key exchange; the server's
    // ChangeCipherSpec and Finished come first.
    let second = messages(&hs[1]);
    assert!(
        !second.iter().any(|(_, t)| t == "Certificate"
            || t == "ServerKeyExchange"
            || t == "ClientKeyExchange"),
        "{second:?}"
    );
    assert_in_order(
        &second,
        &[
            (C2S, "ClientHello"),
            (S2C, "ServerHello"),
            (S2C, "ChangeCipherSpec"),
            (S2C, "Finished"),
            (C2S, "ChangeCipherSpec"),
            (C2S, "Finished"),
        ],
    );
    assert!(
        json.contains("\"key_exchange\":\"none (TLS 1.2 abbreviated handshake)\""),
        "{json}"
    );
}

/// A clasp server for `client --resume`: `n` connections from one config (so one ticket key);
/// each reads until the request ends or the client closes, and answers a request if there was
/// one. Returns the port and whether each connection resumed.
fn clasp_server(n: usize) -> (u16, std::thread::JoinHandle<Vec<bool>>) {
    let pki = TestPki::shared();
    let id = pki.server(KeyType::EcdsaP256);
    let cfg = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .build()
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut resumed = Vec::new();
        for _ in 0..n {
            let (sock, _) = listener.accept().unwrap();
            let mut s = Stream::new(ServerConnection::new(Arc::clone(&cfg)).unwrap(), sock);
            let mut req = Vec::new();
            let mut buf = [0u8; 256];
            while !req.ends_with(b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            resumed.push(s.conn().negotiated().resumed);
            if req.ends_with(b"\r\n\r\n") {
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nclasp!")
                    .unwrap();
                s.send_close_notify().unwrap();
                let _ = s.read_to_end(&mut Vec::new());
            }
        }
        resumed
    });
    (port, server)
}

#[test]
fn client_resume_against_clasp_server_says_resumed_yes() {
    let (port, server) = clasp_server(2);
    let ca = TestPki::shared().ca_path();
    let out = run(
        &[
            "client",
            &format!("localhost:{port}"),
            "--ca",
            ca.to_str().unwrap(),
            "--resume",
        ],
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    let resumed = server.join().unwrap();
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{so}\nstderr:\n{se}");
    assert!(se.contains("session ticket(s) received"), "{se}");
    assert!(se.contains("resumed: yes (TLS 1.3 PSK)"), "{se}");
    // Only the second connection carried stdin/stdout.
    assert!(so.ends_with("clasp!"), "{so}");
    assert_eq!(resumed, vec![false, true]);
}

#[test]
fn client_resume_tls12_against_clasp_server_says_resumed_yes() {
    let (port, server) = clasp_server(2);
    let ca = TestPki::shared().ca_path();
    let out = run(
        &[
            "client",
            &format!("localhost:{port}"),
            "--ca",
            ca.to_str().unwrap(),
            "--resume",
            "--tls12",
        ],
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    let resumed = server.join().unwrap();
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{so}\nstderr:\n{se}");
    assert!(
        se.contains("resumed: yes (TLS 1.2 abbreviated handshake)"),
        "{se}"
    );
    assert!(so.ends_with("clasp!"), "{so}");
    assert_eq!(resumed, vec![false, true]);
}

#[test]
fn client_resume_against_openssl_tls13_says_resumed_yes() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .www(),
    );
    let ca = pki.ca_path();
    let out = run(
        &[
            "client",
            &format!("127.0.0.1:{}", server.port()),
            "--servername",
            "localhost",
            "--ca",
            ca.to_str().unwrap(),
            "--resume",
            "--trace",
        ],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{so}\nstderr:\n{se}");
    assert!(se.contains("resumed: yes (TLS 1.3 PSK)"), "{se}");
    assert!(so.contains("200 ok") || so.contains("200 OK"), "{so}");
    // --trace shows both ladders: only the first has the server's CertificateVerify.
    assert_eq!(se.matches("CertificateVerify").count(), 1, "{se}");
}

#[test]
fn client_resume_without_tickets_says_no() {
    // A server that issues no tickets: the client reports it and still pipes stdin.
    let pki = TestPki::shared();
    let id = pki.server(KeyType::EcdsaP256);
    let cfg = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .without_resumption()
            .build()
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let (sock, _) = listener.accept().unwrap();
            let mut s = Stream::new(ServerConnection::new(Arc::clone(&cfg)).unwrap(), sock);
            let mut buf = [0u8; 256];
            if matches!(s.read(&mut buf), Ok(n) if n > 0) {
                s.write_all(b"ok").unwrap();
                s.send_close_notify().unwrap();
                let _ = s.read_to_end(&mut Vec::new());
            }
        }
    });
    let ca = pki.ca_path();
    let out = run(
        &[
            "client",
            &format!("localhost:{port}"),
            "--ca",
            ca.to_str().unwrap(),
            "--resume",
        ],
        b"ping",
    );
    server.join().unwrap();
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(se.contains("0 session ticket(s) received"), "{se}");
    assert!(
        se.contains("resumed: no (the server sent no ticket"),
        "{se}"
    );
    assert_eq!(text(&out.stdout), "ok");
}

#[test]
fn client_fetches_page_from_clasp_server() {
    let pki = TestPki::shared();
    let id = pki.server(KeyType::EcdsaP256);
    let cfg = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .build()
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut s = Stream::new(ServerConnection::new(cfg).unwrap(), sock);
        let mut req = Vec::new();
        let mut buf = [0u8; 256];
        while !req.ends_with(b"\r\n\r\n") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0);
            req.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nclasp!")
            .unwrap();
        s.send_close_notify().unwrap();
        let _ = s.read_to_end(&mut Vec::new());
    });
    let ca = pki.ca_path();
    let out = run(
        &[
            "client",
            &format!("localhost:{port}"),
            "--ca",
            ca.to_str().unwrap(),
        ],
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    server.join().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        text(&out.stdout).ends_with("clasp!"),
        "{}",
        text(&out.stdout)
    );
    assert!(err.contains("verified: yes"), "{err}");
    assert!(err.contains("TLS 1.3"), "{err}");
}

#[test]
fn client_fetches_page_from_openssl_www() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server =
        OpensslServer::start(&OpensslServerOpts::new(pki.server(KeyType::EcdsaP256)).www());
    let ca = pki.ca_path();
    let out = run(
        &[
            "client",
            &format!("127.0.0.1:{}", server.port()),
            "--servername",
            "localhost",
            "--ca",
            ca.to_str().unwrap(),
            "--trace",
        ],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{so}\nstderr:\n{se}");
    assert!(so.contains("200 ok") || so.contains("200 OK"), "{so}");
    assert!(
        se.contains("CertificateVerify"),
        "--trace ladder on stderr: {se}"
    );
}

#[test]
fn client_wrong_hostname_exits_4_with_reason() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server = OpensslServer::start(&OpensslServerOpts::new(pki.wrong_host()).www());
    let ca = pki.ca_path();
    let out = run(
        &[
            "client",
            &format!("localhost:{}", server.port()),
            "--ca",
            ca.to_str().unwrap(),
        ],
        b"",
    );
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{se}");
    assert!(se.contains("not valid for localhost"), "{se}");
}

/// `clasp client` against `openssl s_server -www` serving `id`; returns (exit code, stderr).
fn client_against(opts: OpensslServerOpts) -> (Option<i32>, String) {
    let pki = TestPki::shared();
    let server = OpensslServer::start(&opts.www());
    let ca = pki.ca_path();
    let out = run(
        &[
            "client",
            &format!("localhost:{}", server.port()),
            "--ca",
            ca.to_str().unwrap(),
        ],
        b"",
    );
    (out.status.code(), text(&out.stderr))
}

#[test]
fn client_expired_certificate_exits_4_with_reason() {
    require_peers!("openssl");
    let (code, se) = client_against(OpensslServerOpts::new(TestPki::shared().expired()));
    assert_eq!(code, Some(4), "{se}");
    assert!(se.contains("expired"), "{se}");
}

#[test]
fn client_unknown_ca_exits_4_with_reason() {
    require_peers!("openssl");
    let (code, se) = client_against(OpensslServerOpts::new(TestPki::shared().untrusted()));
    assert_eq!(code, Some(4), "{se}");
    assert!(se.contains("unknown certificate authority"), "{se}");
}

#[test]
fn client_handshake_failure_alert_exits_5_with_reason() {
    require_peers!("openssl");
    // A TLS 1.2-only server with only a CBC suite: nothing in common with clasp (AEAD only), so
    // OpenSSL answers the ClientHello with a handshake_failure alert.
    let (code, se) = client_against(
        OpensslServerOpts::new(TestPki::shared().server(KeyType::Rsa2048))
            .tls12()
            .cipher("AES128-SHA"),
    );
    assert_eq!(code, Some(5), "{se}");
    assert!(se.contains("handshake_failure"), "{se}");
}

#[test]
fn client_connection_refused_exits_3() {
    // Bind then drop: the port is very likely free and closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    let out = run(&["client", &format!("127.0.0.1:{port}")], b"");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

#[test]
fn client_usage_error_exits_2() {
    let out = run(&["client"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["client", "--help"], b"");
    assert!(text(&out.stdout).contains("Exit codes"));
}

#[test]
fn demo_tls12_every_key_exchange() {
    for (kx, ske) in [("ecdhe", true), ("dhe", true), ("rsa", false)] {
        let out = run(&["demo", "--tls12", "--kx", kx, "--json"], b"");
        assert!(out.status.success(), "{kx}: {}", text(&out.stderr));
        let json = text(&out.stdout);
        assert!(json.contains("\"version\":\"TLS 1.2\""), "{kx}: {json}");
        let got = messages(&json);
        let mut want = vec![
            (C2S, "ClientHello"),
            (S2C, "ServerHello"),
            (S2C, "Certificate"),
        ];
        if ske {
            want.push((S2C, "ServerKeyExchange"));
        }
        want.extend([
            (S2C, "ServerHelloDone"),
            (C2S, "ClientKeyExchange"),
            (C2S, "ChangeCipherSpec"),
            (C2S, "Finished"),
            (S2C, "ChangeCipherSpec"),
            (S2C, "Finished"),
        ]);
        assert_in_order(&got, &want);
        let has_ske = got.iter().any(|(_, t)| t == "ServerKeyExchange");
        assert_eq!(has_ske, ske, "{kx}: {got:?}");
    }
}

/// RFC 8701 and RFC 8879 in the demo ladder: the client's GREASE values are named GREASE (never
/// "unknown") and explained once; the server's chain arrives as a CompressedCertificate that
/// the ladder decodes (algorithm, sizes, the certificates), and the summary names the algorithm.
#[test]
fn demo_names_grease_and_decodes_the_compressed_certificate() {
    let out = run(&["demo", "--lang", "en"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("cipher suites offered: GREASE (0x"), "{s}");
    assert!(s.contains("PSK modes: GREASE (0x"), "{s}");
    assert!(
        s.contains("GREASE: the values marked GREASE are reserved decoys (RFC 8701)"),
        "{s}"
    );
    assert!(!s.contains("unknown"), "{s}");
    assert!(s.contains("CompressedCertificate"), "{s}");
    assert!(s.contains("compressed: brotli: "), "{s}");
    assert!(s.contains("certificate_compression: brotli"), "{s}");
    let json = text(&run(&["demo", "--json"], b"").stdout);
    assert!(
        json.contains("\"certificate_compression\":\"brotli\""),
        "{json}"
    );
}
