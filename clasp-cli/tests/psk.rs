//! `clasp client` / `clasp server` with an external PSK (`--psk-identity ID --psk-key HEX`,
//! TLS 1.3, RFC 8446 §4.2.11) against `openssl s_server -psk -nocert` and `openssl s_client
//! -psk`, and clasp against clasp; the summary and `/handshake.json` name the PSK.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use clasp_testkit::{require_peers, OpensslServer, OpensslServerOpts};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");
const ID: &str = "cli-client";
const KEY: &str = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
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

/// `clasp server --port 0 ARGS`, killed on drop; `.1` is the port.
struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .arg("server")
        .args(["--port", "0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn clasp server");
    let stdout = child.stdout.take().expect("stdout");
    // From here the guard kills and reaps the child on every path (a panic included).
    let mut server = Server(child, 0);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) else {
            panic!("clasp server did not start");
        };
        if let Some(rest) = line.strip_prefix("listening on https://127.0.0.1:") {
            server.1 = rest.trim_end_matches('/').parse().expect("port");
            return server;
        }
    }
}

#[test]
fn clasp_client_psk_to_openssl_www_nocert() {
    require_peers!("openssl");
    let server = OpensslServer::start(&OpensslServerOpts::default().tls13().www().args(&[
        "-nocert",
        "-psk",
        KEY,
        "-psk_identity",
        ID,
    ]));
    let out = run(
        &[
            "client",
            &format!("127.0.0.1:{}", server.port()),
            "--servername",
            "localhost",
            "--psk-identity",
            ID,
            "--psk-key",
            KEY,
            "--trace",
        ],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{so}\nstderr:\n{se}");
    assert!(so.contains("200 ok") || so.contains("200 OK"), "{so}");
    assert!(se.contains(&format!("external_psk: {ID}")), "{se}");
    assert!(se.contains("psk_mode: psk_dhe_ke"), "{se}");
    assert!(se.contains("proved it holds the external PSK"), "{se}");
    // No certificate in the ladder: the PSK authenticated the server.
    assert!(!se.contains("CertificateVerify"), "{se}");
}

#[test]
fn clasp_client_wrong_psk_fails_with_exit_5() {
    require_peers!("openssl");
    let server = OpensslServer::start(&OpensslServerOpts::default().tls13().www().args(&[
        "-nocert",
        "-psk",
        KEY,
        "-psk_identity",
        ID,
    ]));
    let wrong = KEY.replace("a0", "ff");
    let out = run(
        &[
            "client",
            &format!("127.0.0.1:{}", server.port()),
            "--psk-identity",
            ID,
            "--psk-key",
            &wrong,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
}

/// A PSK-only clasp server (no certificate) and a clasp client; the page's JSON names the PSK
/// and the mode. (psk_ke between the two tools is not tested here: see the report of issue 15;
/// psk_ke is covered in clasp/tests/external_psk.rs and against OpenSSL.)
#[test]
fn clasp_client_to_psk_only_clasp_server_handshake_json() {
    let server = start_server(&["--psk-only", "--psk-identity", ID, "--psk-key", KEY]);
    let out = run(
        &[
            "client",
            &format!("127.0.0.1:{}", server.1),
            "--servername",
            "localhost",
            "--psk-identity",
            ID,
            "--psk-key",
            KEY,
        ],
        b"GET /handshake.json HTTP/1.0\r\nHost: localhost\r\n\r\n",
    );
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout:\n{so}\nstderr:\n{se}");
    assert!(so.contains(&format!("\"external_psk\":\"{ID}\"")), "{so}");
    assert!(so.contains("\"psk_mode\":\"psk_dhe_ke\""), "{so}");
    assert!(se.contains("psk_mode: psk_dhe_ke"), "{se}");
}

/// openssl s_client -psk against `clasp server --psk-only`.
#[test]
fn openssl_client_psk_to_clasp_server() {
    require_peers!("openssl");
    let server = start_server(&["--psk-only", "--psk-identity", ID, "--psk-key", KEY]);
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", server.1),
            "-tls1_3",
            "-psk",
            KEY,
            "-psk_identity",
            ID,
            "-ign_eof",
            "-quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn openssl");
    let mut si = child.stdin.take().expect("stdin");
    si.write_all(b"GET /handshake.json HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .expect("write");
    drop(si);
    let out = child.wait_with_output().expect("wait openssl");
    let so = text(&out.stdout);
    assert!(
        so.contains(&format!("\"external_psk\":\"{ID}\"")),
        "{so}\n{}",
        text(&out.stderr)
    );
    // A client without the PSK is refused: the server has no certificate.
    let out = run(
        &[
            "client",
            &format!("127.0.0.1:{}", server.1),
            "--servername",
            "localhost",
        ],
        b"",
    );
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{se}");
    assert!(se.contains("unknown_psk_identity"), "{se}");
}
