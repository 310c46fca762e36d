//! Developer tasks for the clasp workspace.
//!
//! ```text
//! cargo run -p xtask -- golden [--new-pki] [SCENARIO...]
//! ```
//! Records the golden transcripts in `clasp/testdata/golden/` (the Go `handshake_test.go
//! -update` pattern): for each scenario, a clasp client on the deterministic provider
//! (`clasp/tests/golden/provider.rs`, included below so recorder and replay share one source)
//! talks to a live `openssl s_server -rev`; everything each side sent is written to
//! `<scenario>.hex`, after checking that an offline replay of the new file reproduces the
//! client's bytes. The replay test is `clasp/tests/golden.rs`; README.md in the golden
//! directory says when to regenerate.
//!
//! The server's certificate and key are kept in the golden directory (`ca.der`, `server.der`,
//! `server.key.der`, generated once through clasp-testkit) so a re-recording changes only
//! what the protocol changes. `--new-pki` generates new ones.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use clasp_testkit::{KeyType, OpensslServer, OpensslServerMode, OpensslServerOpts, TestPki};

#[path = "../../clasp/tests/golden/provider.rs"]
mod provider;
#[path = "../../clasp/tests/golden/transcript.rs"]
mod transcript;

use transcript::{expected_reply, replay, scenario_header, Driver, Golden, Scenario, SCENARIOS};

const USAGE: &str = "usage: cargo run -p xtask -- golden [--new-pki] [SCENARIO...]\n\
                     \n\
                     golden   re-record clasp/testdata/golden/*.hex against openssl s_server\n\
                     \x20        --new-pki   also replace ca.der / server.der / server.key.der";

/// How long one read from the server may take.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((cmd, rest)) if cmd == "golden" => golden(rest),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../clasp/testdata/golden")
}

fn golden(args: &[String]) -> Result<(), String> {
    let mut new_pki = false;
    let mut chosen: Vec<&'static Scenario> = Vec::new();
    for a in args {
        if a == "--new-pki" {
            new_pki = true;
        } else if let Some(sc) = transcript::scenario(a) {
            chosen.push(sc);
        } else {
            let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
            return Err(format!(
                "unknown argument {a:?}; scenarios: {}\n{USAGE}",
                names.join(", ")
            ));
        }
    }
    if chosen.is_empty() {
        chosen = SCENARIOS.iter().collect();
    }
    if !clasp_testkit::peer_available("openssl") {
        return Err("`openssl` is not on PATH (apt-get install openssl)".to_owned());
    }
    let dir = golden_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    ensure_pki(&dir, new_pki)?;
    let ca = read(&dir.join("ca.der"))?;
    let leaf = read(&dir.join("server.der"))?;
    let peer = openssl_version();
    for sc in chosen {
        let golden = record(sc, &dir, &ca, &peer)?;
        check_replay(sc, &golden, &ca, &leaf)?;
        let path = dir.join(format!("{}.hex", sc.name));
        let text = golden.render(sc.version);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "{}: {} client bytes, {} server bytes -> {}",
            sc.name,
            golden.client.len(),
            golden.server.len(),
            path.display()
        );
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the CA, the ECDSA P-256 "localhost" leaf and its key (PKCS#8) unless they exist.
/// The key is a throwaway test key: it is checked in so that re-recording keeps the same
/// certificate.
fn ensure_pki(dir: &Path, new_pki: bool) -> Result<(), String> {
    let files = ["ca.der", "server.der", "server.key.der"].map(|f| dir.join(f));
    if !new_pki && files.iter().all(|f| f.exists()) {
        return Ok(());
    }
    let pki = TestPki::new();
    let id = pki.server(KeyType::EcdsaP256);
    write(&files[0], id.ca_der())?;
    write(&files[1], id.cert_der())?;
    write(&files[2], id.key_der())?;
    println!("new golden PKI written to {}", dir.display());
    Ok(())
}

fn openssl_version() -> String {
    Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned())
}

/// Runs the scenario against a live s_server and returns what both sides sent.
fn record(sc: &Scenario, dir: &Path, ca: &[u8], peer: &str) -> Result<Golden, String> {
    let mut extra: Vec<String> = sc.server_args.iter().map(|a| (*a).to_owned()).collect();
    extra.extend(["-certform", "DER", "-keyform", "DER"].map(String::from));
    let opts = OpensslServerOpts {
        cert: Some(dir.join("server.der")),
        key: Some(dir.join("server.key.der")),
        mode: OpensslServerMode::Rev,
        naccept: Some(1),
        extra_args: extra,
        ..OpensslServerOpts::default()
    };
    let server = OpensslServer::start(&opts);
    let fail = |what: String| format!("{}: {what}\n{}", sc.name, server.dump());

    let mut sock = TcpStream::connect(server.addr()).map_err(|e| fail(format!("connect: {e}")))?;
    sock.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| fail(e.to_string()))?;
    let mut d = Driver::new(ca).map_err(&fail)?;
    let (mut client, mut from_server) = (Vec::new(), Vec::new());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let out = d.take_output();
        sock.write_all(&out)
            .map_err(|e| fail(format!("write: {e}")))?;
        client.extend_from_slice(&out);
        if d.done() {
            break;
        }
        let n = sock
            .read(&mut buf)
            .map_err(|e| fail(format!("read: {e}")))?;
        if n == 0 {
            return Err(fail("the server closed the connection early".to_owned()));
        }
        let got = buf.get(..n).unwrap_or_default();
        from_server.extend_from_slice(got);
        d.feed(got).map_err(&fail)?;
    }

    let n = d.conn.negotiated();
    let live = (n.version, n.cipher_suite, n.group, n.hello_retry);
    let want = (
        Some(sc.version),
        Some(sc.suite),
        Some(sc.group),
        sc.hello_retry,
    );
    if live != want {
        return Err(fail(format!(
            "negotiated {live:?}, the scenario expects {want:?}"
        )));
    }
    if d.app_received != expected_reply() {
        return Err(fail(format!(
            "the server answered {:?}",
            String::from_utf8_lossy(&d.app_received)
        )));
    }
    drop(sock);
    let _ = server.finish(Duration::from_secs(5));

    let mut header = scenario_header(sc);
    header.insert(1, ("peer".to_owned(), peer.to_owned()));
    Ok(Golden {
        header,
        client,
        server: from_server,
    })
}

/// The new file must replay offline before it replaces the old one.
fn check_replay(sc: &Scenario, golden: &Golden, ca: &[u8], leaf: &[u8]) -> Result<(), String> {
    let again = Golden::parse(&golden.render(sc.version))?;
    if again.client != golden.client || again.server != golden.server {
        return Err(format!(
            "{}: the rendered file does not parse back",
            sc.name
        ));
    }
    let out =
        replay(&again, ca).map_err(|e| format!("{}: replay of the new recording: {e}", sc.name))?;
    if out.leaf.as_deref() != Some(leaf) {
        return Err(format!("{}: the server sent another certificate", sc.name));
    }
    if out.app_received != expected_reply() {
        return Err(format!("{}: replay decrypted another reply", sc.name));
    }
    Ok(())
}
