//! `clasp` as an everyday tool (issue 12 items 3 and 7): stdin EOF, the chain on failure,
//! s_client spellings, usage errors, closed stdout, IPv6, and the key-exchange knobs against
//! real peers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use clasp_testkit::{
    require_peers, GnutlsServer, GnutlsServerOpts, KeyType, OpensslServer, OpensslServerOpts,
    TestPki,
};

/// The binary under test; `CLASP_TEST_BIN` points the suite at another build (e.g. the old one,
/// to see a test fail before its fix).
fn bin() -> String {
    std::env::var("CLASP_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_clasp").to_string())
}

fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("SSLKEYLOGFILE");
    c
}

/// Runs `clasp ARGS` with `stdin` and a 30 s safety net.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn clasp");
    let mut si = child.stdin.take().expect("stdin");
    si.write_all(stdin).expect("write stdin");
    drop(si);
    wait_output(child, Duration::from_secs(30))
}

/// Waits for `child` at most `limit` (then kills it and panics).
fn wait_output(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "clasp still running after {limit:?}; stderr:\n{}",
                text(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ca() -> String {
    TestPki::shared().ca_path().to_str().unwrap().to_string()
}

// ---- stdin EOF ----

#[test]
fn client_stdin_eof_exits_within_the_grace_period_against_openssl_www() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server =
        OpensslServer::start(&OpensslServerOpts::new(pki.server(KeyType::EcdsaP256)).www());
    let start = Instant::now();
    let out = run(
        &[
            "client",
            &format!("localhost:{}", server.port()),
            "--ca",
            &ca(),
            "--wait",
            "1",
        ],
        b"",
    );
    let took = start.elapsed();
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {se}");
}

#[test]
fn client_stdin_eof_exits_with_the_default_wait() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server =
        OpensslServer::start(&OpensslServerOpts::new(pki.server(KeyType::EcdsaP256)).www());
    let start = Instant::now();
    let out = run(
        &[
            "client",
            &format!("localhost:{}", server.port()),
            "--ca",
            &ca(),
        ],
        b"",
    );
    let took = start.elapsed();
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(took < Duration::from_secs(6), "took {took:?}: {se}");
}

#[test]
fn client_ign_eof_keeps_reading_after_stdin_ends() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server =
        OpensslServer::start(&OpensslServerOpts::new(pki.server(KeyType::EcdsaP256)).www());
    let mut child = cmd(&[
        "client",
        &format!("localhost:{}", server.port()),
        "--ca",
        &ca(),
        "--wait",
        "0.2",
        "--ign-eof",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let still = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        still,
        "--ign-eof exited on stdin EOF: {}",
        text(&out.stderr)
    );
}

// ---- the chain ----

#[test]
fn client_prints_the_chain_then_why_it_was_refused() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server = OpensslServer::start(&OpensslServerOpts::new(pki.untrusted()).www());
    let out = run(
        &[
            "client",
            &format!("localhost:{}", server.port()),
            "--ca",
            &ca(),
        ],
        b"",
    );
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{se}");
    let chain = se.find("received").expect("chain heading");
    let subject = se.find("subject:").expect("subject line");
    let sha = se.find("sha256:").expect("fingerprint line");
    let refused = se
        .find("certificate verification failed")
        .expect("reason line");
    assert!(chain < subject && subject < sha && sha < refused, "{se}");
    for field in ["issuer:", "valid:", "key:", "names:"] {
        assert!(se.contains(field), "{field} missing: {se}");
    }
}

#[test]
fn client_showcerts_prints_the_chain_as_pem() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let id = pki.server(KeyType::EcdsaP256);
    let server = OpensslServer::start(&OpensslServerOpts::new(id).www());
    let out = run(
        &[
            "client",
            &format!("localhost:{}", server.port()),
            "--ca",
            &ca(),
            "--showcerts",
            "--wait",
            "0.5",
        ],
        b"",
    );
    let so = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(so.starts_with("-----BEGIN CERTIFICATE-----\n"), "{so}");
    assert!(so.contains(id.cert_pem().trim()), "{so}");
}

// ---- s_client spellings and usage errors ----

#[test]
fn client_accepts_s_client_spellings() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server =
        OpensslServer::start(&OpensslServerOpts::new(pki.server(KeyType::EcdsaP256)).www());
    let dir = tempdir();
    let log = dir.join("keys.log");
    let out = run(
        &[
            "client",
            "-connect",
            &format!("127.0.0.1:{}", server.port()),
            "-servername",
            "localhost",
            "-CAfile",
            &ca(),
            "-alpn",
            "http/1.1",
            "-showcerts",
            "--keylogfile",
            log.to_str().unwrap(),
            "--wait",
            "0.5",
        ],
        b"",
    );
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(text(&out.stdout).contains("BEGIN CERTIFICATE"));
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "clasp-tool-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn unknown_s_client_flag_says_what_flags_are_called_here() {
    let out = run(&["client", "-verify_return_error", "localhost"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(
        se.contains("'-verify_return_error' is not a flag of this tool: it takes GNU-style"),
        "{se}"
    );
    assert!(se.contains("-servername"), "{se}");
}

#[test]
fn demo_group_errors_are_usage_errors() {
    let out = run(&["demo", "--group", "curve9"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(
        se.contains("--group: unknown group 'curve9'; valid: "),
        "{se}"
    );
    let out = run(&["demo", "--tls12", "--group", "X25519MLKEM768"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("TLS 1.3-only group"), "{se}");
}

#[test]
fn bad_group_is_a_usage_error_listing_the_choices() {
    for sub in [
        &["client", "localhost:1"][..],
        &["server", "--port", "0"][..],
    ] {
        let mut args = sub.to_vec();
        args.extend(["--groups", "x25519,curve9"]);
        let out = run(&args, b"");
        let se = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {se}");
        assert!(se.contains("unknown group 'curve9'"), "{se}");
        assert!(
            se.contains("X25519MLKEM768") && se.contains("ffdhe2048"),
            "{se}"
        );
        assert!(!se.contains("Pem(") && !se.contains("ConfigError"), "{se}");
    }
}

#[test]
fn bad_suite_is_a_usage_error_listing_the_choices() {
    let out = run(&["client", "localhost:1", "--suites", "TLS_RC4_128"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("unknown cipher suite 'TLS_RC4_128'"), "{se}");
    assert!(se.contains("TLS_AES_128_GCM_SHA256"), "{se}");
    assert!(
        se.contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        "{se}"
    );
}

#[test]
fn tls13_only_group_with_tls12_is_a_usage_error() {
    let out = run(
        &[
            "client",
            "localhost:1",
            "--tls12",
            "--groups",
            "X25519MLKEM768",
        ],
        b"",
    );
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(
        se.contains("X25519MLKEM768 is a TLS 1.3-only group"),
        "{se}"
    );
}

#[test]
fn tls13_suite_with_tls12_is_a_usage_error() {
    let out = run(
        &[
            "server",
            "--port",
            "0",
            "--tls12",
            "--suites",
            "TLS_AES_128_GCM_SHA256",
        ],
        b"",
    );
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("TLS 1.3 suite"), "{se}");
}

#[test]
fn bad_sigalg_is_a_usage_error_listing_the_choices() {
    let out = run(&["client", "localhost:1", "--sigalgs", "dsa_sha1"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("unknown signature scheme 'dsa_sha1'"), "{se}");
    assert!(se.contains("ecdsa_secp256r1_sha256"), "{se}");
}

// ---- closed stdout ----

/// Spawns `clasp ARGS` with a stdout pipe whose read end is closed at once (what `| head -1`
/// does once it has its line), and asserts it ends without a panic.
fn survives_closed_stdout(args: &[&str], stdin: Stdio) -> Output {
    let mut child = cmd(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = wait_output(child, Duration::from_secs(20));
    let se = text(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{args:?}: {se}");
    assert!(!se.contains("panicked"), "{args:?}: {se}");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {se}");
    out
}

#[test]
fn demo_survives_a_closed_stdout() {
    survives_closed_stdout(&["demo", "--json"], Stdio::null());
    survives_closed_stdout(&["demo"], Stdio::null());
}

#[test]
fn server_survives_a_closed_stdout() {
    // The reader is gone before the server prints its first startup line.
    survives_closed_stdout(&["server", "--port", "0"], Stdio::null());
}

#[test]
fn client_survives_a_closed_stdout() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server =
        OpensslServer::start(&OpensslServerOpts::new(pki.server(KeyType::EcdsaP256)).www());
    let req = tempdir().join("req");
    std::fs::write(&req, "GET / HTTP/1.0\r\n\r\n").unwrap();
    survives_closed_stdout(
        &[
            "client",
            &format!("localhost:{}", server.port()),
            "--ca",
            &ca(),
            "--ign-eof",
        ],
        Stdio::from(std::fs::File::open(&req).unwrap()),
    );
}

#[test]
fn pipelines_into_head_do_not_panic() {
    require_peers!("bash");
    let dir = tempdir();
    // A server whose startup lines all fit in the pipe before `head` leaves keeps serving:
    // `timeout` ends it (124); what must never happen is a panic (101).
    for sub in ["demo", "demo --json", "server --port 0"] {
        let err = dir.join("err");
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "timeout 5 '{}' {sub} 2>'{}' | head -1 >/dev/null; echo \"rc=${{PIPESTATUS[0]}}\"",
                bin(),
                err.display()
            ))
            .env_remove("LANG")
            .output()
            .unwrap();
        let rc = text(&out.stdout);
        let se = std::fs::read_to_string(&err).unwrap();
        let rc = rc.trim();
        assert!(
            rc == "rc=0" || (sub.starts_with("server") && rc == "rc=124"),
            "{sub}: {rc}: {se}"
        );
        assert!(!se.contains("panicked"), "{sub}: {se}");
    }
}

// ---- IPv6 ----

/// Starts `clasp server ARGS` and returns it with the address line it printed.
fn start_server(args: &[&str]) -> (Child, String) {
    let mut child = cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            let mut e = String::new();
            child.stderr.take().unwrap().read_to_string(&mut e).unwrap();
            panic!("server ended without a listening line: {e}");
        }
        if line.starts_with("listening on ") {
            break;
        }
    }
    // Keep draining so later prints never block.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = r.read_to_end(&mut sink);
    });
    (child, line.trim().to_string())
}

fn ipv6_available() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

#[test]
fn server_listens_on_ipv6_and_client_connects_with_brackets() {
    if !ipv6_available() {
        return;
    }
    for listen in ["::1", "[::1]"] {
        let (mut server, line) = start_server(&["server", "--port", "0", "--listen", listen]);
        let port: u16 = line
            .strip_prefix("listening on https://[::1]:")
            .and_then(|r| r.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{line}"))
            .parse()
            .unwrap();
        let out = run(
            &[
                "client",
                &format!("[::1]:{port}"),
                "--wait",
                "0.5",
                "--trace",
            ],
            b"",
        );
        let se = text(&out.stderr);
        // The self-signed certificate is not trusted: verification fails (exit 4), but the
        // connection over IPv6 was made and the address prints with brackets.
        assert_eq!(out.status.code(), Some(4), "{se}");
        assert!(se.contains(&format!("[::1]:{port}")), "{se}");
        let _ = server.kill();
        let _ = server.wait();
    }
}

#[test]
fn out_of_range_ports_say_so() {
    let out = run(&["server", "--port", "70000"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("70000") && se.contains("65535"), "{se}");
    let out = run(&["client", "[::1]:70000"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("port 70000 is out of range"), "{se}");
    let out = run(&["server", "--listen", "[::1]:70000"], b"");
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
}

// ---- interop knobs ----

/// `clasp client ARGS` against a local server on `port` trusting the test CA; returns
/// (exit code, stderr).
fn client_to(port: u16, extra: &[&str]) -> (Option<i32>, String) {
    let target = format!("127.0.0.1:{port}");
    let ca = ca();
    let mut args = vec![
        "client",
        target.as_str(),
        "--servername",
        "localhost",
        "--ca",
        ca.as_str(),
        "--wait",
        "0.5",
    ];
    args.extend(extra);
    let out = run(&args, b"GET / HTTP/1.0\r\n\r\n");
    (out.status.code(), text(&out.stderr))
}

#[test]
fn client_groups_ffdhe2048_tls13_against_openssl() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .groups("ffdhe2048")
            .www(),
    );
    let (code, se) = client_to(server.port(), &["--groups", "ffdhe2048"]);
    assert_eq!(code, Some(0), "{se}");
    assert!(se.contains("ffdhe2048"), "{se}");
}

#[test]
fn client_allow_rsa_kx_against_openssl() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::Rsa2048))
            .tls12()
            .cipher("AES128-GCM-SHA256")
            .www(),
    );
    let (code, se) = client_to(server.port(), &["--allow-rsa-kx"]);
    assert_eq!(code, Some(0), "{se}");
    assert!(se.contains("TLS_RSA_WITH_AES_128_GCM_SHA256"), "{se}");
    // Without the flag, nothing in common.
    let (code, se) = client_to(server.port(), &[]);
    assert_eq!(code, Some(5), "{se}");
}

#[test]
fn client_allow_dhe_against_openssl_with_ffdhe2048_params() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let dir = tempdir();
    let params = dir.join("ffdhe2048.pem");
    let ok = Command::new("openssl")
        .args(["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt"])
        .arg("group:ffdhe2048")
        .arg("-out")
        .arg(&params)
        .status()
        .unwrap();
    assert!(ok.success());
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::Rsa2048))
            .tls12()
            .cipher("DHE-RSA-AES128-GCM-SHA256")
            .args(&["-dhparam", params.to_str().unwrap()])
            .www(),
    );
    let (code, se) = client_to(server.port(), &["--allow-dhe"]);
    assert_eq!(code, Some(0), "{se}");
    assert!(se.contains("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), "{se}");
}

fn gnutls(priority: &str, key: KeyType) -> GnutlsServer {
    let pki = TestPki::shared();
    GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(key))
            .priority(priority)
            .args(&["--http"]),
    )
}

#[test]
fn client_allow_dhe_against_gnutls() {
    require_peers!("gnutls-serv");
    let server = gnutls(
        "NONE:+VERS-TLS1.2:+DHE-RSA:+AES-128-GCM:+AEAD:+SIGN-ALL:+GROUP-ALL:+COMP-NULL",
        KeyType::Rsa2048,
    );
    let (code, se) = client_to(server.port(), &["--allow-dhe"]);
    assert_eq!(code, Some(0), "{se}");
    assert!(se.contains("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), "{se}");
}

#[test]
fn client_allow_rsa_kx_against_gnutls() {
    require_peers!("gnutls-serv");
    let server = gnutls(
        "NONE:+VERS-TLS1.2:+RSA:+AES-128-GCM:+AEAD:+SIGN-ALL:+GROUP-ALL:+COMP-NULL",
        KeyType::Rsa2048,
    );
    let (code, se) = client_to(server.port(), &["--allow-rsa-kx"]);
    assert_eq!(code, Some(0), "{se}");
    assert!(se.contains("TLS_RSA_WITH_AES_128_GCM_SHA256"), "{se}");
}

#[test]
fn client_groups_ffdhe2048_tls13_against_gnutls() {
    require_peers!("gnutls-serv");
    let server = gnutls(
        "NONE:+VERS-TLS1.3:+AES-128-GCM:+AEAD:+SIGN-ALL:+GROUP-FFDHE2048:+COMP-NULL",
        KeyType::EcdsaP256,
    );
    let (code, se) = client_to(server.port(), &["--groups", "ffdhe2048"]);
    assert_eq!(code, Some(0), "{se}");
    assert!(se.contains("ffdhe2048"), "{se}");
}

#[test]
fn server_require_ems_and_knobs_accept_openssl() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let id = pki.server(KeyType::EcdsaP256);
    let cert = id.cert_path();
    let key = id.key_path();
    let (mut server, line) = start_server(&[
        "server",
        "--port",
        "0",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--require-ems",
        "--groups",
        "secp384r1",
        "--suites",
        "TLS_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "--sigalgs",
        "ecdsa_secp256r1_sha256",
        "--tickets",
        "0",
    ]);
    let port: u16 = line
        .trim_start_matches("listening on https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let (code, se) = client_to(port, &["--trace", "--ign-eof"]);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(code, Some(0), "{se}");
    assert!(se.contains("secp384r1"), "{se}");
    assert!(se.contains("TLS_AES_256_GCM_SHA384"), "{se}");
}

/// Starts `clasp server` with the test PKI's P-256 identity and `extra` flags; returns it
/// and its port.
fn clasp_server_with(extra: &[&str]) -> (Child, u16) {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let (cert, key) = (id.cert_path(), id.key_path());
    let mut args = vec![
        "server",
        "--port",
        "0",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    args.extend(extra);
    let (child, line) = start_server(&args);
    let port = line
        .trim_start_matches("listening on https://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    (child, port)
}

#[test]
fn server_require_ems_refuses_a_tls12_client_without_ems() {
    require_peers!("gnutls-cli");
    use clasp_testkit::{GnutlsClient, GnutlsClientOpts};
    let no_ems = "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH";
    for (flags, ok) in [(&[][..], true), (&["--require-ems"][..], false)] {
        let (mut server, port) = clasp_server_with(flags);
        let out = GnutlsClient::run(
            &GnutlsClientOpts::new(port, TestPki::shared().ca_path())
                .priority(no_ems)
                .send(b"GET / HTTP/1.0\r\n\r\n"),
        );
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(
            out.status.is_some_and(|s| s.success()),
            ok,
            "{flags:?}: {}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

#[test]
fn client_require_ems_refuses_a_tls12_server_without_ems() {
    require_peers!("gnutls-serv");
    let server = gnutls(
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH",
        KeyType::EcdsaP256,
    );
    let (code, se) = client_to(server.port(), &[]);
    assert_eq!(code, Some(0), "{se}");
    let (code, se) = client_to(server.port(), &["--require-ems"]);
    assert_eq!(code, Some(5), "{se}");
    assert!(
        se.contains("extended master secret") || se.contains("ExtendedMasterSecret"),
        "{se}"
    );
}

#[test]
fn client_no_sni_sends_no_server_name() {
    let (mut server, port) = clasp_server_with(&[]);
    let req = b"GET /handshake.json HTTP/1.0\r\n\r\n";
    let target = format!("127.0.0.1:{port}");
    let ca = ca();
    let base = [
        "client",
        target.as_str(),
        "--servername",
        "localhost",
        "--ca",
        ca.as_str(),
        "--ign-eof",
    ];
    let with = run(&base, req);
    let mut args = base.to_vec();
    args.push("--no-sni");
    let without = run(&args, req);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(with.status.code(), Some(0), "{}", text(&with.stderr));
    assert!(text(&with.stdout).contains("\"server_name\":\"localhost\""));
    assert_eq!(without.status.code(), Some(0), "{}", text(&without.stderr));
    assert!(
        text(&without.stdout).contains("\"server_name\":null"),
        "{}",
        text(&without.stdout)
    );
}

#[test]
fn server_sigalgs_picks_only_the_listed_scheme() {
    require_peers!("openssl");
    let id = TestPki::shared().server(KeyType::Rsa2048);
    let (cert, key) = (id.cert_path(), id.key_path());
    for scheme in ["rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"] {
        let (mut server, line) = start_server(&[
            "server",
            "--port",
            "0",
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--sigalgs",
            scheme,
        ]);
        let port: u16 = line
            .trim_start_matches("listening on https://127.0.0.1:")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let (code, se) = client_to(port, &["--ign-eof"]);
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(code, Some(0), "{se}");
        assert!(se.contains(scheme), "{scheme}: {se}");
    }
}

#[test]
fn demo_suites_mirror_the_client_flag() {
    let out = run(
        &["demo", "--json", "--suites", "TLS_CHACHA20_POLY1305_SHA256"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("TLS_CHACHA20_POLY1305_SHA256"));
    let out = run(
        &[
            "demo",
            "--tls12",
            "--require-ems",
            "--suites",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(
        &["demo", "--suites", "TLS_RSA_WITH_AES_128_GCM_SHA256"],
        b"",
    );
    let se = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("is a TLS 1.2 suite"), "{se}");
}
