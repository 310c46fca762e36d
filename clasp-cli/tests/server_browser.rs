//! `clasp server` against a real browser: headless Chromium loads the "how's my TLS" page,
//! trusting the server's self-signed key by its SPKI hash (the one the server prints), and the
//! test reads the facts back from the DOM. Needs the Debian package `chromium`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use clasp_testkit::require_peers;

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

struct Server {
    child: Child,
    port: u16,
    spki: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `clasp server --port 0` with its generated certificate; returns its port and the
/// printed base64 SPKI SHA-256.
fn start() -> Server {
    let mut child = Command::new(BIN)
        .args(["server", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn clasp server");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut spki = None;
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server did not start");
        };
        if let Some(s) = line.split("spki-list): ").nth(1) {
            spki = Some(s.trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("listening on https://127.0.0.1:") {
            let port = rest.trim_end_matches('/').parse().expect("port");
            let spki = spki.expect("SPKI line printed before listening");
            return Server { child, port, spki };
        }
    }
}

static PROFILES: AtomicUsize = AtomicUsize::new(0);

/// Loads `url` in headless Chromium and returns the serialized DOM.
fn dump_dom(url: &str, spki: &str, extra: &[&str]) -> String {
    let profile = std::env::temp_dir().join(format!(
        "clasp-chromium-{}-{}",
        std::process::id(),
        PROFILES.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&profile);
    let out = Command::new("timeout")
        .args(["90", "chromium"])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--ignore-certificate-errors-spki-list={spki}"))
        .args(extra)
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && !dom.is_empty(),
        "chromium failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// The text of the element with `id`, from `<tag id="ID">TEXT</tag>`.
fn field<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = format!("id=\"{id}\">");
    let Some(i) = dom.find(&start) else {
        panic!("no id={id} in {dom}");
    };
    let rest = &dom[i + start.len()..];
    &rest[..rest.find('<').unwrap_or(rest.len())]
}

fn assert_handshake(dom: &str, http: &str) {
    assert_eq!(field(dom, "tls-version"), "TLSv1.3", "{dom}");
    assert!(field(dom, "cipher-suite").starts_with("TLS_"), "{dom}");
    let group = field(dom, "group");
    assert!(!group.is_empty() && group != "none", "{dom}");
    let ja4 = field(dom, "ja4");
    assert!(ja4.starts_with("t13d") || ja4.starts_with("t13i"), "{ja4}");
    assert_eq!(ja4.split('_').count(), 3, "{ja4}");
    assert_eq!(field(dom, "http-version"), http, "{dom}");
}

#[test]
fn chromium_sees_its_handshake_over_h2_and_http11() {
    require_peers!("chromium", "timeout");
    let s = start();
    let url = format!("https://localhost:{}/", s.port);
    let dom = dump_dom(&url, &s.spki, &[]);
    assert_handshake(&dom, "HTTP/2");
    // Chromium sends GREASE (RFC 8701), which the page names and JA4 ignores.
    assert!(dom.contains("GREASE (0x"), "{dom}");
    // Chromium offers brotli certificate compression (RFC 8879): the chain went compressed,
    // and the ladder still shows it decoded.
    assert_eq!(field(&dom, "certificate-compression"), "brotli", "{dom}");
    assert!(dom.contains("CompressedCertificate"), "{dom}");
    // Every code point IANA has named is named (issue 12 item 6). 0xca34, Chromium's
    // experimental trust-anchor extension, has no IANA assignment.
    let mut rest = dom.as_str();
    while let Some(at) = rest.find("unknown") {
        let tail = rest.get(at..at + 16).unwrap_or_default();
        assert_eq!(
            tail, "unknown (0xca34)",
            "a code point without its IANA name: {dom}"
        );
        rest = &rest[at + 7..];
    }

    let dom = dump_dom(&url, &s.spki, &["--disable-http2"]);
    assert_handshake(&dom, "HTTP/1.1");
}
