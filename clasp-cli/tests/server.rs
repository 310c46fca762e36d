//! `clasp server` end to end: the built binary on a free port, driven by `curl` (HTTP/1.0, 1.1
//! and 2), raw TCP junk, and client certificates from clasp-testkit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use clasp_testkit::{require_peers, KeyType, TestPki};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

/// A running `clasp server`, killed on drop.
struct Server {
    child: Child,
    port: u16,
    /// Lines printed to stdout before "listening on".
    banner: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `clasp server --port 0 ARGS` and waits for "listening on https://127.0.0.1:PORT/".
    fn start(args: &[&str]) -> Self {
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
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => l,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("server did not start ({e}); printed {banner:?}");
                }
            };
            if let Some(rest) = line.strip_prefix("listening on https://127.0.0.1:") {
                let port = rest.trim_end_matches('/').parse().expect("port");
                return Self {
                    child,
                    port,
                    banner,
                };
            }
            banner.push(line);
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    fn resolve(&self) -> String {
        format!("localhost:{}:127.0.0.1", self.port)
    }

    /// The server is still running.
    fn assert_alive(&mut self) {
        assert!(
            self.child.try_wait().expect("try_wait").is_none(),
            "server exited"
        );
    }
}

fn ca() -> String {
    TestPki::shared().ca_path().to_str().unwrap().to_string()
}

fn server_with_testkit_cert(extra: &[&str]) -> Server {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let chain = id.chain_path();
    let key = id.key_path();
    let mut args = vec![
        "--cert",
        chain.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// Runs curl against `server` with `--cacert` for the testkit CA plus `args`.
fn curl(server: &Server, args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20", "--resolve", &server.resolve()])
        .args(["--cacert", &ca()])
        .args(args)
        .output()
        .expect("run curl")
}

fn ok_body(out: &Output) -> String {
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn page_over_http1_and_http2_shows_the_handshake() {
    require_peers!("curl");
    let s = server_with_testkit_cert(&[]);
    let page = ok_body(&curl(&s, &["--http1.1", &s.url("/")]));
    assert!(
        page.contains("<td id=\"tls-version\">TLSv1.3</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td id=\"http-version\">HTTP/1.1</td>"),
        "{page}"
    );
    assert!(page.contains("<td id=\"alpn\">http/1.1</td>"), "{page}");
    assert!(page.contains("<td id=\"cipher-suite\">TLS_"), "{page}");
    assert!(
        page.contains("<td id=\"server-name\">localhost</td>"),
        "{page}"
    );
    // curl sends SNI, so JA4 says "d"; its cipher list is at least the three TLS 1.3 suites.
    assert!(page.contains("<code id=\"ja4\">t13d"), "{page}");
    assert!(page.contains("TLS_AES_128_GCM_SHA256 (0x1301)"), "{page}");
    assert!(page.contains("ClientHello"), "ladder missing: {page}");

    let page = ok_body(&curl(&s, &["--http2", &s.url("/")]));
    assert!(
        page.contains("<td id=\"http-version\">HTTP/2</td>"),
        "{page}"
    );
    assert!(page.contains("<td id=\"alpn\">h2</td>"), "{page}");

    let page = ok_body(&curl(&s, &["--http1.0", &s.url("/")]));
    assert!(
        page.contains("<td id=\"http-version\">HTTP/1.0</td>"),
        "{page}"
    );
}

// A minimal JSON parser, enough to prove /handshake.json is well-formed and to read fields.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", char::from(c), self.i))
        }
    }
    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut kv = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(kv));
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.value()? else {
                        return Err(format!("key expected at {}", self.i));
                    };
                    self.eat(b':')?;
                    kv.push((k, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(kv));
                        }
                        _ => return Err(format!("bad object at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(v));
                        }
                        _ => return Err(format!("bad array at {}", self.i)),
                    }
                }
            }
            Some(b'"') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    match self.s.get(self.i) {
                        Some(b'"') => {
                            self.i += 1;
                            return Ok(Json::Str(out));
                        }
                        Some(b'\\') => {
                            let e = self.s.get(self.i + 1).ok_or("eof in escape")?;
                            match e {
                                b'"' | b'\\' | b'/' => out.push(char::from(*e)),
                                b'n' => out.push('\n'),
                                b'r' => out.push('\r'),
                                b't' => out.push('\t'),
                                b'b' | b'f' => {}
                                b'u' => {
                                    let hex = self.s.get(self.i + 2..self.i + 6).ok_or("eof")?;
                                    let n =
                                        u32::from_str_radix(std::str::from_utf8(hex).unwrap(), 16)
                                            .map_err(|e| e.to_string())?;
                                    out.push(char::from_u32(n).unwrap_or('?'));
                                    self.i += 4;
                                }
                                _ => return Err(format!("bad escape at {}", self.i)),
                            }
                            self.i += 2;
                        }
                        Some(c) if *c < 0x20 => return Err(format!("control char at {}", self.i)),
                        Some(_) => {
                            // Copy one UTF-8 character.
                            let rest = std::str::from_utf8(&self.s[self.i..])
                                .map_err(|e| e.to_string())?;
                            let ch = rest.chars().next().unwrap();
                            out.push(ch);
                            self.i += ch.len_utf8();
                        }
                        None => return Err("eof in string".into()),
                    }
                }
            }
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Json::Bool(true))
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Json::Bool(false))
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(Json::Null)
            }
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                t.parse().map(Json::Num).map_err(|e| format!("{t}: {e}"))
            }
            _ => Err(format!("unexpected input at {}", self.i)),
        }
    }
}

fn parse_json(s: &str) -> Json {
    let mut p = P {
        s: s.as_bytes(),
        i: 0,
    };
    let v = p
        .value()
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {s}"));
    p.ws();
    assert_eq!(p.i, s.len(), "trailing bytes after JSON: {s}");
    v
}

#[test]
fn handshake_json_parses_and_names_ja4() {
    require_peers!("curl");
    let s = server_with_testkit_cert(&[]);
    let body = ok_body(&curl(&s, &["--http2", &s.url("/handshake.json")]));
    let j = parse_json(&body);
    let neg = j.get("negotiated").expect("negotiated");
    assert_eq!(neg.get("version").and_then(Json::str), Some("TLSv1.3"));
    assert_eq!(neg.get("http_version").and_then(Json::str), Some("HTTP/2"));
    let ja4 = j.get("ja4").and_then(Json::str).expect("ja4 string");
    // t13d + 2 digits + 2 digits + ALPN "h2" _ 12 hex _ 12 hex
    let parts: Vec<&str> = ja4.split('_').collect();
    assert_eq!(parts.len(), 3, "{ja4}");
    assert!(
        parts[0].starts_with("t13d") && parts[0].ends_with("h2"),
        "{ja4}"
    );
    assert_eq!(parts[0].len(), 10, "{ja4}");
    for h in &parts[1..] {
        assert_eq!(h.len(), 12, "{ja4}");
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{ja4}"
        );
    }
    let hello = j.get("client_hello").expect("client_hello");
    let Some(Json::Arr(suites)) = hello.get("cipher_suites") else {
        panic!("cipher_suites: {body}");
    };
    // JA4's cipher count is the non-GREASE entries of the list the page shows.
    let non_grease = suites
        .iter()
        .filter(|v| !v.str().unwrap_or("").starts_with("GREASE"))
        .count();
    assert_eq!(
        format!("{:02}", non_grease.min(99)),
        &parts[0][4..6],
        "{ja4}"
    );
    let Some(Json::Obj(ladder)) = j.get("ladder") else {
        panic!("ladder: {body}");
    };
    assert!(ladder.iter().any(|(k, _)| k == "messages"));
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "clasp-server-test-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn status_of(s: &Server, path: &str) -> String {
    let out = curl(
        s,
        &[
            "--path-as-is",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &s.url(path),
        ],
    );
    ok_body(&out)
}

#[test]
fn root_serves_files_and_refuses_traversal() {
    require_peers!("curl");
    let base = temp_dir();
    let root = base.join("www");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("hello.txt"), "hello from the root\n").unwrap();
    std::fs::write(root.join("sub").join("page.html"), "<p>sub</p>").unwrap();
    std::fs::write(base.join("secret.txt"), "must not leak").unwrap();
    let s = server_with_testkit_cert(&["--root", root.to_str().unwrap()]);

    let body = ok_body(&curl(&s, &[&s.url("/hello.txt")]));
    assert_eq!(body, "hello from the root\n");
    let body = ok_body(&curl(&s, &["--http2", &s.url("/sub/page.html")]));
    assert_eq!(body, "<p>sub</p>");
    assert_eq!(status_of(&s, "/missing.txt"), "404");
    for bad in [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let code = status_of(&s, bad);
        assert!(code == "403" || code == "400", "{bad}: {code}");
        let body = ok_body(&curl(&s, &["--path-as-is", &s.url(bad)]));
        assert!(!body.contains("must not leak"), "{bad}: {body}");
    }
    // No index.html in the root: "/" is still the handshake page.
    let page = ok_body(&curl(&s, &[&s.url("/")]));
    assert!(page.contains("id=\"tls-version\""), "{page}");
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn junk_connections_do_not_stop_the_server() {
    require_peers!("curl");
    let mut s = server_with_testkit_cert(&[]);
    let addr = ("127.0.0.1", s.port);
    // 1. Connect and close without a byte.
    drop(TcpStream::connect(addr).unwrap());
    // 2. A handshake record whose ClientHello is garbage.
    let mut t = TcpStream::connect(addr).unwrap();
    t.write_all(&[
        0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
    ])
    .unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reply = Vec::new();
    let _ = t.read_to_end(&mut reply);
    assert_eq!(
        reply.first(),
        Some(&21),
        "expected an alert record, got {reply:?}"
    );
    // 3. Plain HTTP on the TLS port.
    let mut t = TcpStream::connect(addr).unwrap();
    t.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = t.read_to_end(&mut Vec::new());
    // 4. A half-sent ClientHello, then close.
    let mut t = TcpStream::connect(addr).unwrap();
    t.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
        .unwrap();
    drop(t);

    s.assert_alive();
    let page = ok_body(&curl(&s, &[&s.url("/")]));
    assert!(
        page.contains("<td id=\"tls-version\">TLSv1.3</td>"),
        "{page}"
    );
}

fn pem_paths(kind: KeyType) -> (String, String) {
    let id = TestPki::shared().client(kind);
    (
        id.cert_path().to_str().unwrap().to_string(),
        id.key_path().to_str().unwrap().to_string(),
    )
}

#[test]
fn client_auth_required_needs_a_certificate() {
    require_peers!("curl");
    let ca = ca();
    let mut s = server_with_testkit_cert(&["--client-auth", &ca]);
    let out = curl(&s, &[&s.url("/")]);
    assert!(
        !out.status.success(),
        "curl without a client cert succeeded"
    );

    let (cert, key) = pem_paths(KeyType::EcdsaP256);
    let page = ok_body(&curl(&s, &["--cert", &cert, "--key", &key, &s.url("/")]));
    assert!(page.contains("id=\"tls-version\">TLSv1.3<"), "{page}");
    assert!(!page.contains("id=\"client-certificate\">none<"), "{page}");
    s.assert_alive();
}

#[test]
fn client_auth_optional_accepts_both() {
    require_peers!("curl");
    let ca = ca();
    let s = server_with_testkit_cert(&["--client-auth-optional", &ca]);
    let page = ok_body(&curl(&s, &[&s.url("/")]));
    assert!(page.contains("id=\"client-certificate\">none<"), "{page}");
    let (cert, key) = pem_paths(KeyType::EcdsaP256);
    let page = ok_body(&curl(&s, &["--cert", &cert, "--key", &key, &s.url("/")]));
    assert!(!page.contains("id=\"client-certificate\">none<"), "{page}");
}

#[test]
fn version_flags_restrict_the_protocol() {
    require_peers!("curl");
    let s = server_with_testkit_cert(&["--tls12"]);
    let page = ok_body(&curl(&s, &["--http1.1", &s.url("/")]));
    assert!(
        page.contains("<td id=\"tls-version\">TLSv1.2</td>"),
        "{page}"
    );
    // A client that insists on TLS 1.3 is refused.
    let out = curl(&s, &["--tlsv1.3", &s.url("/")]);
    assert!(
        !out.status.success(),
        "TLS 1.3 accepted by a --tls12 server"
    );

    let s = server_with_testkit_cert(&["--tls13"]);
    let out = curl(&s, &["--tls-max", "1.2", &s.url("/")]);
    assert!(
        !out.status.success(),
        "TLS 1.2 accepted by a --tls13 server"
    );
}

#[test]
fn self_signed_certificate_is_generated_and_its_key_pin_works() {
    require_peers!("curl");
    let s = Server::start(&[]);
    let banner = s.banner.join("\n");
    assert!(banner.contains("SHA-256 fingerprint: "), "{banner}");
    let spki = banner
        .lines()
        .find_map(|l| l.split("spki-list): ").nth(1))
        .unwrap_or_else(|| panic!("no SPKI line: {banner}"))
        .trim()
        .to_string();
    // curl checks the printed base64 SPKI hash against the certificate the server really uses.
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-k", "--resolve", &s.resolve()])
        .arg("--pinnedpubkey")
        .arg(format!("sha256//{spki}"))
        .arg(s.url("/"))
        .output()
        .unwrap();
    let page = ok_body(&out);
    assert!(page.contains("id=\"tls-version\""), "{page}");
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-k", "--resolve", &s.resolve()])
        .args([
            "--pinnedpubkey",
            "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ])
        .arg(s.url("/"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "a wrong pin was accepted");
}

#[test]
fn help_shows_examples() {
    let out = Command::new(BIN)
        .args(["server", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for flag in [
        "--cert",
        "--key",
        "--port",
        "--listen",
        "--root",
        "--client-auth",
        "--client-auth-optional",
        "--allow-rsa-kx",
        "--allow-dhe",
        "--tls12",
        "--tls13",
        "Examples:",
    ] {
        assert!(help.contains(flag), "{flag} missing from: {help}");
    }
}

#[test]
fn bad_certificate_file_is_a_usage_error() {
    let out = Command::new(BIN)
        .args([
            "server",
            "--port",
            "0",
            "--cert",
            "/nonexistent.pem",
            "--key",
            "/nonexistent.key",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tls12_rsa_and_dhe_key_exchange_only_when_enabled() {
    require_peers!("curl");
    let id = TestPki::shared().server(KeyType::Rsa2048);
    let (chain, key) = (id.chain_path(), id.key_path());
    let (chain, key) = (chain.to_str().unwrap(), key.to_str().unwrap());
    let json = |s: &Server, cipher: &str| {
        curl(
            s,
            &["--http1.1", "--ciphers", cipher, &s.url("/handshake.json")],
        )
    };
    let plain = Server::start(&["--cert", chain, "--key", key, "--tls12"]);
    for c in ["AES128-GCM-SHA256", "DHE-RSA-AES128-GCM-SHA256"] {
        assert!(
            !json(&plain, c).status.success(),
            "{c} accepted without the flag"
        );
    }
    let s = Server::start(&[
        "--cert",
        chain,
        "--key",
        key,
        "--tls12",
        "--allow-rsa-kx",
        "--allow-dhe",
    ]);
    for (c, suite) in [
        ("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
        (
            "DHE-RSA-AES128-GCM-SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            "ECDHE-RSA-AES256-GCM-SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        ),
    ] {
        let j = parse_json(&ok_body(&json(&s, c)));
        let neg = j.get("negotiated").expect("negotiated");
        assert_eq!(
            neg.get("version").and_then(Json::str),
            Some("TLSv1.2"),
            "{c}"
        );
        assert_eq!(
            neg.get("cipher_suite").and_then(Json::str),
            Some(suite),
            "{c}"
        );
    }
}

/// The in-memory file cache (issue 14 item 6) serves an edited file's new content on the next
/// request, one keep-alive connection or many, and refuses a symlink to outside the root swapped
/// in for a cached file.
#[test]
fn a_cached_file_edited_or_swapped_is_served_fresh() {
    require_peers!("curl");
    let base = temp_dir();
    let root = base.join("www");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("f.txt"), "version 1\n").unwrap();
    std::fs::write(base.join("secret.txt"), "must not leak").unwrap();
    let s = server_with_testkit_cert(&["--root", root.to_str().unwrap()]);
    let url = s.url("/f.txt");
    // Twice on one connection: the second is a cache hit.
    let body = ok_body(&curl(&s, &["--http2", &url, &url]));
    assert_eq!(body, "version 1\nversion 1\n");
    std::fs::write(root.join("f.txt"), "version 2\n").unwrap();
    assert_eq!(ok_body(&curl(&s, &[&url])), "version 2\n");
    std::fs::remove_file(root.join("f.txt")).unwrap();
    assert_eq!(status_of(&s, "/f.txt"), "404");
    #[cfg(unix)]
    {
        std::fs::write(root.join("f.txt"), "version 3\n").unwrap();
        assert_eq!(ok_body(&curl(&s, &[&url])), "version 3\n");
        std::fs::remove_file(root.join("f.txt")).unwrap();
        std::os::unix::fs::symlink(base.join("secret.txt"), root.join("f.txt")).unwrap();
        assert_eq!(status_of(&s, "/f.txt"), "403");
    }
    let _ = std::fs::remove_dir_all(&base);
}
