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
            (S2C, "Certificate"),
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
            (S2C, "Certificate"),
            (S2C, "CertificateVerify"),
            (S2C, "Finished"),
            (C2S, "Certificate"),
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
    assert!(s.contains("TCP connect"), "{s}");
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

#[test]
fn demo_resume_says_not_implemented() {
    let out = run(&["demo", "--resume"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not implemented"));
}

#[test]
fn client_fetches_page_from_clasp_server() {
    let pki = TestPki::shared();
    let id = pki.server(KeyType::EcdsaP256);
    let cfg = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .without_env_key_log()
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
