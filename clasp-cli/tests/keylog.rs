//! Key logging in the tools (issue 9 item 5): `clasp demo`, `clasp client` and `clasp server`
//! honour `SSLKEYLOGFILE` (as curl does) and `--keylog FILE`, write an owner-only file, and warn
//! on stderr, naming the file, whenever key logging is on. Without either, nothing is logged and
//! nothing is said.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use clasp::{ServerConfig, ServerConnection, Stream};
use clasp_testkit::{KeyType, TestPki};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

fn temp_path(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("clasp-cli-{name}-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn run(args: &[&str], env_keylog: Option<&Path>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("SSLKEYLOGFILE")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .stdin(Stdio::null());
    if let Some(p) = env_keylog {
        cmd.env("SSLKEYLOGFILE", p);
    }
    cmd.output().expect("run clasp")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(unix)]
fn assert_owner_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
}
#[cfg(not(unix))]
fn assert_owner_only(_: &Path) {}

fn assert_logged(path: &Path, stderr: &str) {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    assert!(log.contains("CLIENT_TRAFFIC_SECRET_0 "), "{log}");
    assert_owner_only(path);
    assert!(
        stderr.contains("warning") && stderr.contains(&path.display().to_string()),
        "no warning naming the key log file: {stderr}"
    );
}

#[test]
fn demo_honours_sslkeylogfile_and_warns() {
    let path = temp_path("demo-env");
    let out = run(&["demo"], Some(&path));
    let se = text(&out.stderr);
    assert!(out.status.success(), "{se}");
    assert_logged(&path, &se);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn demo_keylog_flag_and_warns() {
    let path = temp_path("demo-flag");
    let out = run(&["demo", "--keylog", path.to_str().unwrap()], None);
    let se = text(&out.stderr);
    assert!(out.status.success(), "{se}");
    assert_logged(&path, &se);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn demo_without_keylog_says_nothing() {
    let out = run(&["demo"], None);
    let se = text(&out.stderr);
    assert!(out.status.success(), "{se}");
    assert!(!se.contains("warning"), "{se}");
}

#[test]
fn keylog_in_missing_directory_is_a_usage_error() {
    let path = std::env::temp_dir()
        .join("clasp-no-such-dir-x")
        .join("keys.txt");
    let out = run(&["demo", "--keylog", path.to_str().unwrap()], None);
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("--keylog"), "{se}");
    assert!(se.contains(&path.display().to_string()), "{se}");
}

/// A clasp server for one connection that answers one line.
fn one_shot_server() -> (u16, std::thread::JoinHandle<()>) {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let cfg = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .build()
            .unwrap(),
    );
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

#[test]
fn client_honours_env_and_flag_and_warns() {
    let ca = TestPki::shared().ca_path();
    for flag in [false, true] {
        let path = temp_path(if flag { "client-flag" } else { "client-env" });
        let (port, server) = one_shot_server();
        let target = format!("localhost:{port}");
        let mut args = vec!["client", &target, "--ca", ca.to_str().unwrap()];
        let p = path.to_str().unwrap().to_string();
        if flag {
            args.extend(["--keylog", &p]);
        }
        let out = run(&args, (!flag).then_some(path.as_path()));
        server.join().unwrap();
        let se = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{se}");
        assert_logged(&path, &se);
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn server_keylog_flag_warns_and_logs() {
    let path = temp_path("server-flag");
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let mut child = Command::new(BIN)
        .args(["server", "--port", "0", "--keylog", path.to_str().unwrap()])
        .args(["--cert", id.chain_path().to_str().unwrap()])
        .args(["--key", id.key_path().to_str().unwrap()])
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.strip_prefix("listening on https://127.0.0.1:") {
            break rest.trim_end_matches('/').parse().unwrap();
        }
    };
    let curl = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(TestPki::shared().ca_path())
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .arg(format!("https://localhost:{port}/handshake.json"))
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap();
    assert!(curl.status.success(), "{}", text(&curl.stderr));
    std::thread::sleep(Duration::from_millis(200));
    let _ = child.kill();
    let _ = child.wait();
    let mut se = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut se)
        .unwrap();
    assert_logged(&path, &se);
    let _ = std::fs::remove_file(&path);
}
