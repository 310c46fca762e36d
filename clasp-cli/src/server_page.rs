//! The "how's my TLS" page of `clasp server`: the visitor's own handshake as HTML and JSON.
//!
//! Two stages, so a connection that only fetches static files never pays for the page (issue 14
//! item 6). During the handshake, [`Capture`] only copies each message's bytes (no decoding, no
//! formatting); after it, [`HandshakeInfo`] keeps those bytes, the negotiated parameters and the
//! ClientHello. The [`Page`] (ClientHello summary, JA4, the ladder as text and JSON) is built from
//! them the first time a request asks for `/` or `/handshake.json`, at most once per connection;
//! the renderers add the HTTP version of each request.
//! Everything the client sent is escaped before it reaches HTML or JSON, control characters
//! included: the page may be fetched with curl into a terminal.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use clasp::conn::Negotiated;
use clasp::msgs::enums::{AlertDescription, AlertLevel, ProtocolVersion};
use clasp::msgs::handshake::{HandshakeMessage, HandshakePayload};
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer, Protection};
use clasp::ServerConnection;

use crate::i18n::Lang;
use crate::ja4::{self, is_grease, HelloSummary, Ja4};
use crate::ladder::{self, Entry, Peer, Recorder, Style};
use crate::x509;

/// What one connection's handshake offered and agreed, as the page shows it.
#[derive(Debug, Clone)]
pub struct Page {
    /// The ClientHello as sent (None only if the library did not keep it).
    pub hello: Option<HelloSummary>,
    /// Its JA4 fingerprint.
    pub ja4: Option<Ja4>,
    /// Negotiated version, e.g. "TLSv1.3".
    pub version: String,
    /// Negotiated cipher suite.
    pub cipher_suite: String,
    /// Key-exchange group ("none" for RSA key exchange).
    pub group: String,
    /// Signature scheme the server signed with.
    pub signature_scheme: String,
    /// ALPN protocol agreed ("none" if none).
    pub alpn: String,
    /// SNI the client sent.
    pub server_name: Option<String>,
    /// Subject of the client certificate, if one was sent.
    pub client_certificate: Option<String>,
    /// Whether a HelloRetryRequest was needed.
    pub hello_retry: bool,
    /// Whether the session was resumed.
    pub resumed: bool,
    /// Whether an OCSP response was stapled (RFC 6066 §8, RFC 8446 §4.4.2.1).
    pub ocsp_stapled: bool,
    /// The algorithm our certificate chain went out compressed with (RFC 8879), if it did.
    pub certificate_compression: Option<String>,
    /// The handshake ladder, as text.
    pub ladder_text: String,
    /// The handshake ladder, as the JSON `clasp demo --json` prints.
    pub ladder_json: String,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_string(), |x| x.to_string())
}

/// Bytes of handshake messages [`Capture`] copies before it falls back to decoding as they pass
/// (what [`Recorder`] does). An ordinary handshake is 2–6 KB; a client padding its ClientHello
/// towards the 64 KiB the library accepts must not make every idle connection hold that much.
const RAW_BUDGET: usize = 16 * 1024;

/// One trace event with the message copied out, not decoded.
#[derive(Debug)]
struct RawEvent {
    direction: Direction,
    protection: Protection,
    kind: RawKind,
}

#[derive(Debug)]
enum RawKind {
    /// A handshake message as sent or received (header included).
    Handshake(Vec<u8>),
    ChangeCipherSpec,
    Alert(AlertLevel, AlertDescription),
    ApplicationData(usize),
    KeysChanged {
        direction: Direction,
        to: Protection,
    },
}

#[derive(Debug)]
enum CaptureState {
    /// Copied events, `usize` bytes of handshake messages, and the version the ServerHello
    /// selected (TLS 1.3 until one passes).
    Raw(Vec<RawEvent>, usize, ProtocolVersion),
    /// Over [`RAW_BUDGET`]: decoded as they pass.
    Decoded(Arc<Recorder>),
    /// Taken by [`Capture::finish`]; later events (application data) are ignored.
    Done,
}

/// What the ladder is made from: copied events (replayed through a [`Recorder`] when the page is
/// built) or, past the budget, entries already decoded.
#[derive(Debug)]
enum LadderSource {
    Raw(Vec<RawEvent>),
    Decoded(Vec<Entry>),
}

/// The observer of one server connection's handshake. Cheap by design (the trace contract:
/// "implementations must be cheap"): a lock and a copy of each message.
#[derive(Debug)]
pub struct Capture {
    state: Mutex<CaptureState>,
    /// [`RAW_BUDGET`], smaller in tests.
    budget: usize,
}

impl Default for Capture {
    fn default() -> Self {
        Self::with_budget(RAW_BUDGET)
    }
}

impl Capture {
    fn with_budget(budget: usize) -> Self {
        Self {
            budget,
            state: Mutex::new(CaptureState::Raw(
                Vec::with_capacity(16),
                0,
                ProtocolVersion::TLSv1_3,
            )),
        }
    }
}

/// Replays copied events through `recorder`, decoding each message with the negotiated version
/// (which decides the form of Certificate, CertificateRequest and NewSessionTicket). The bytes
/// were decoded once already by the library (received) or encoded by it (sent); a message that
/// still fails to decode is left out of the ladder rather than shown wrong.
fn replay(events: &[RawEvent], version: ProtocolVersion, recorder: &Recorder) {
    for e in events {
        let msg;
        let kind = match &e.kind {
            RawKind::Handshake(bytes) => {
                let Ok(m) = HandshakeMessage::read_version(bytes, version) else {
                    continue;
                };
                msg = m;
                EventKind::Handshake(&msg)
            }
            RawKind::ChangeCipherSpec => EventKind::ChangeCipherSpec,
            RawKind::Alert(l, d) => EventKind::Alert(*l, *d),
            RawKind::ApplicationData(n) => EventKind::ApplicationData(*n),
            RawKind::KeysChanged { direction, to } => EventKind::KeysChanged {
                direction: *direction,
                to: *to,
            },
        };
        recorder.on_event(&HandshakeEvent {
            direction: e.direction,
            protection: e.protection,
            kind,
        });
    }
}

impl Capture {
    /// Ends the capture (call once the handshake is complete).
    fn finish(&self) -> LadderSource {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *state, CaptureState::Done) {
            CaptureState::Raw(events, ..) => LadderSource::Raw(events),
            CaptureState::Decoded(r) => LadderSource::Decoded(r.entries()),
            CaptureState::Done => LadderSource::Raw(Vec::new()),
        }
    }
}

impl Observer for Capture {
    fn on_event(&self, event: &HandshakeEvent<'_>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let events = match &mut *state {
            CaptureState::Done => return,
            CaptureState::Decoded(r) => return r.on_event(event),
            CaptureState::Raw(events, bytes, version) => {
                if let EventKind::Handshake(m) = event.kind {
                    // RFC 8446 §4.2.1: the version is in supported_versions; a TLS 1.2
                    // ServerHello has none (the message is decoded already: no cost).
                    if let HandshakePayload::ServerHello(sh) = m.payload() {
                        *version = sh.selected_version().unwrap_or(sh.legacy_version);
                    }
                    *bytes += m.encoded().len();
                    if *bytes > self.budget {
                        // Over budget: decode what was copied, then everything as it passes.
                        let r = Recorder::new(Peer::Server);
                        replay(events, *version, &r);
                        r.on_event(event);
                        *state = CaptureState::Decoded(r);
                        return;
                    }
                }
                events
            }
        };
        let kind = match event.kind {
            EventKind::Handshake(m) => RawKind::Handshake(m.encoded().to_vec()),
            EventKind::ChangeCipherSpec => RawKind::ChangeCipherSpec,
            EventKind::Alert(l, d) => RawKind::Alert(l, d),
            EventKind::ApplicationData(n) => RawKind::ApplicationData(n),
            EventKind::KeysChanged { direction, to } => RawKind::KeysChanged { direction, to },
            _ => return,
        };
        events.push(RawEvent {
            direction: event.direction,
            protection: event.protection,
            kind,
        });
    }
}

/// One connection's handshake, captured cheaply; the [`Page`] is built from it on first use.
#[derive(Debug)]
pub struct HandshakeInfo {
    negotiated: Negotiated,
    /// The ClientHello as received (the last one, after a HelloRetryRequest).
    client_hello: Option<Vec<u8>>,
    ladder: LadderSource,
    page: OnceLock<Page>,
}

impl HandshakeInfo {
    /// Takes what the page needs from `conn` (call once the handshake is complete) and from its
    /// observer `capture`. Moves the retained ClientHello out of the connection, so the
    /// connection no longer holds it; copies nothing else but the negotiated parameters.
    #[must_use]
    pub fn capture(conn: &mut ServerConnection, capture: &Capture) -> Self {
        Self {
            negotiated: conn.negotiated().clone(),
            client_hello: conn.take_client_hello().map(|(_, raw)| raw),
            ladder: capture.finish(),
            page: OnceLock::new(),
        }
    }

    /// What was negotiated (cheap; for the log line).
    #[must_use]
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// An empty capture of `negotiated` (tests).
    #[cfg(test)]
    pub fn for_test(negotiated: Negotiated) -> Self {
        Self {
            negotiated,
            client_hello: None,
            ladder: LadderSource::Raw(Vec::new()),
            page: OnceLock::new(),
        }
    }

    /// Whether the page has been built (tests: a static file must not build it).
    #[cfg(test)]
    pub fn page_built(&self) -> bool {
        self.page.get().is_some()
    }

    /// The page, built on the first call.
    pub fn page(&self) -> &Page {
        self.page.get_or_init(|| self.build_page())
    }

    fn build_page(&self) -> Page {
        let n = &self.negotiated;
        let hello = self.client_hello.as_deref().and_then(ja4::summarize);
        let entries = match &self.ladder {
            LadderSource::Decoded(entries) => entries.clone(),
            LadderSource::Raw(events) => {
                let r = Recorder::new(Peer::Server);
                replay(events, n.version.unwrap_or(ProtocolVersion::TLSv1_3), &r);
                r.entries()
            }
        };
        Page {
            ja4: hello.as_ref().map(ja4::ja4),
            hello,
            version: opt(n.version),
            cipher_suite: opt(n.cipher_suite),
            group: opt(n.group),
            signature_scheme: opt(n.signature_scheme),
            alpn: n.alpn_protocol.as_ref().map_or_else(
                || "none".to_string(),
                |a| String::from_utf8_lossy(a).into_owned(),
            ),
            server_name: n.server_name.clone(),
            client_certificate: n
                .peer_certificates
                .first()
                .map(|c| x509::summarize(c).map_or_else(|| "(unparsed)".into(), |s| s.subject)),
            hello_retry: n.hello_retry,
            resumed: n.resumed,
            ocsp_stapled: n.ocsp_stapled,
            certificate_compression: n.certificate_compression.map(|a| a.to_string()),
            ladder_text: ladder::render_text(&entries, Lang::En, Style { color: false }),
            ladder_json: ladder::render_json(&entries, &ladder::negotiated_fields(n), Lang::En),
        }
    }
}

/// "HTTP/1.1", "HTTP/2", … for a hyper request version.
#[must_use]
pub fn http_version_name(v: hyper::Version) -> &'static str {
    match v {
        hyper::Version::HTTP_09 => "HTTP/0.9",
        hyper::Version::HTTP_10 => "HTTP/1.0",
        hyper::Version::HTTP_11 => "HTTP/1.1",
        hyper::Version::HTTP_2 => "HTTP/2",
        hyper::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
}

/// Escapes text for HTML element content and attribute values, control characters included
/// (see [`crate::escape::html`]).
fn esc(s: &str) -> String {
    crate::escape::html(s)
}

/// `name (0xhhhh)`, or `GREASE (0xhhhh)`.
fn named(v: u16, name: impl Fn(u16) -> String) -> String {
    if is_grease(v) {
        format!("GREASE (0x{v:04x})")
    } else {
        format!("{} (0x{v:04x})", name(v))
    }
}

fn names(v: &[u16], name: impl Fn(u16) -> String) -> Vec<String> {
    v.iter().map(|x| named(*x, &name)).collect()
}

// Every list on the page names what IANA has named, not only what clasp implements.
fn suite(v: u16) -> String {
    crate::iana::cipher_suite(v).to_string()
}
fn ext(v: u16) -> String {
    crate::iana::extension(v).to_string()
}
fn group(v: u16) -> String {
    crate::iana::group(v).to_string()
}
fn sig(v: u16) -> String {
    crate::iana::signature_scheme(v).to_string()
}
fn version(v: u16) -> String {
    ProtocolVersion::from(v).to_string()
}

/// The offered lists, as (id, title, values).
fn offered(h: &HelloSummary) -> Vec<(&'static str, &'static str, Vec<String>)> {
    vec![
        (
            "versions",
            "Versions (supported_versions)",
            names(&h.supported_versions, version),
        ),
        (
            "cipher-suites",
            "Cipher suites",
            names(&h.cipher_suites, suite),
        ),
        (
            "groups",
            "Groups (supported_groups)",
            names(&h.groups, group),
        ),
        (
            "key-share-groups",
            "Key shares sent for",
            names(&h.key_share_groups, group),
        ),
        (
            "signature-algorithms",
            "Signature algorithms",
            names(&h.signature_algorithms, sig),
        ),
        (
            "extensions",
            "Extensions, in the order sent",
            names(&h.extensions, ext),
        ),
        (
            "alpn-offered",
            "ALPN offered",
            h.alpn
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
        ),
    ]
}

/// The page for GET /.
#[must_use]
pub fn render_html(info: &Page, http_version: &str) -> String {
    let mut o = String::new();
    o.push_str(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>how's my TLS</title><style>\
         body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
         th{text-align:left;padding-right:1rem}td{font-family:monospace}\
         pre{background:#f4f4f4;padding:1rem;overflow-x:auto}li{font-family:monospace}\
         </style></head><body>\n<h1>how's my TLS</h1>\n\
         <p>This is the TLS handshake your client just made with this clasp server.</p>\n\
         <h2>Negotiated</h2>\n<table>\n",
    );
    let rows = [
        ("tls-version", "TLS version", info.version.clone()),
        ("cipher-suite", "Cipher suite", info.cipher_suite.clone()),
        ("group", "Key exchange group", info.group.clone()),
        (
            "signature-scheme",
            "Server signature",
            info.signature_scheme.clone(),
        ),
        ("alpn", "ALPN", info.alpn.clone()),
        ("http-version", "HTTP version", http_version.to_string()),
        ("server-name", "SNI", opt(info.server_name.as_deref())),
        (
            "client-certificate",
            "Client certificate",
            opt(info.client_certificate.as_deref()),
        ),
        (
            "hello-retry",
            "HelloRetryRequest",
            info.hello_retry.to_string(),
        ),
        ("resumed", "Resumed", info.resumed.to_string()),
        (
            "certificate-compression",
            "Certificate compressed with (RFC 8879)",
            opt(info.certificate_compression.as_deref()),
        ),
    ];
    for (id, title, value) in rows {
        let _ = writeln!(
            o,
            "<tr><th>{title}</th><td id=\"{id}\">{}</td></tr>",
            esc(&value)
        );
    }
    o.push_str("</table>\n<h2>JA4 fingerprint</h2>\n");
    match &info.ja4 {
        Some(j) => {
            let _ = writeln!(
                o,
                "<p><code id=\"ja4\">{}</code></p>\n<p>JA4_r: <code id=\"ja4-r\">{}</code></p>",
                esc(&j.ja4),
                esc(&j.raw)
            );
        }
        None => o.push_str("<p><code id=\"ja4\">unavailable</code></p>\n"),
    }
    if let Some(h) = &info.hello {
        let _ = writeln!(
            o,
            "<h2>Your ClientHello</h2>\n<p>legacy_version: <code>{}</code></p>",
            esc(&named(h.legacy_version, version))
        );
        for (id, title, values) in offered(h) {
            let _ = writeln!(o, "<h3>{title}</h3>\n<ol id=\"{id}\">");
            for v in values {
                let _ = writeln!(o, "<li>{}</li>", esc(&v));
            }
            o.push_str("</ol>\n");
        }
    }
    let _ = writeln!(
        o,
        "<h2>The handshake</h2>\n<pre id=\"ladder\">{}</pre>\n\
         <p>Also as JSON: <a href=\"/handshake.json\">/handshake.json</a></p>\n</body></html>",
        // Line by line: the ladder's own line breaks are layout and stay; a control character
        // inside a line (peer text) is escaped like everywhere else.
        info.ladder_text
            .split('\n')
            .map(esc)
            .collect::<Vec<_>>()
            .join("\n")
    );
    o
}

fn json_list(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter()
            .map(|s| ladder::json_str(s))
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// The same data as JSON, for GET /handshake.json.
#[must_use]
pub fn render_json(info: &Page, http_version: &str) -> String {
    let s = |x: &str| ladder::json_str(x);
    let o = |x: Option<&str>| x.map_or_else(|| "null".to_string(), ladder::json_str);
    let mut out = format!(
        "{{\"negotiated\":{{\"version\":{},\"cipher_suite\":{},\"group\":{},\
         \"signature_scheme\":{},\"alpn\":{},\"http_version\":{},\"server_name\":{},\
         \"client_certificate\":{},\"hello_retry\":{},\"resumed\":{},\"ocsp_stapled\":{},\
         \"certificate_compression\":{}}}",
        s(&info.version),
        s(&info.cipher_suite),
        s(&info.group),
        s(&info.signature_scheme),
        s(&info.alpn),
        s(http_version),
        o(info.server_name.as_deref()),
        o(info.client_certificate.as_deref()),
        info.hello_retry,
        info.resumed,
        info.ocsp_stapled,
        o(info.certificate_compression.as_deref()),
    );
    match &info.ja4 {
        Some(j) => {
            let _ = write!(
                out,
                ",\"ja4\":{},\"ja4_r\":{},\"ja4_o\":{},\"ja4_ro\":{}",
                s(&j.ja4),
                s(&j.raw),
                s(&j.original),
                s(&j.raw_original)
            );
        }
        None => out.push_str(",\"ja4\":null"),
    }
    if let Some(h) = &info.hello {
        let _ = write!(
            out,
            ",\"client_hello\":{{\"legacy_version\":{}",
            s(&named(h.legacy_version, version))
        );
        for (id, _, values) in offered(h) {
            let _ = write!(out, ",{}:{}", s(&id.replace('-', "_")), json_list(&values));
        }
        out.push('}');
    } else {
        out.push_str(",\"client_hello\":null");
    }
    let _ = write!(out, ",\"ladder\":{}}}", info.ladder_json);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> Page {
        let hello = HelloSummary {
            legacy_version: 0x0303,
            cipher_suites: vec![0x1a1a, 0x1301],
            extensions: vec![0x0000, 0x0010, 0x002b],
            server_name: Some("localhost".into()),
            alpn: vec![b"<h2>".to_vec()],
            supported_versions: vec![0x0304],
            ..HelloSummary::default()
        };
        Page {
            ja4: Some(ja4::ja4(&hello)),
            hello: Some(hello),
            version: "TLSv1.3".into(),
            cipher_suite: "TLS_AES_128_GCM_SHA256".into(),
            group: "x25519".into(),
            signature_scheme: "ecdsa_secp256r1_sha256".into(),
            alpn: "h2".into(),
            server_name: Some("localhost".into()),
            client_certificate: None,
            hello_retry: false,
            resumed: false,
            ocsp_stapled: false,
            certificate_compression: None,
            ladder_text: "a <b> & c".into(),
            ladder_json: "{\"messages\":[]}".into(),
        }
    }

    /// Feeds both observers every event: the direct recorder is what the page showed before
    /// the capture became lazy.
    struct Both(Arc<Capture>, Arc<Recorder>);
    impl Observer for Both {
        fn on_event(&self, event: &HandshakeEvent<'_>) {
            self.0.on_event(event);
            self.1.on_event(event);
        }
    }

    /// An in-memory clasp↔clasp handshake; the server observed by a capture with `budget` and
    /// by a recorder. Returns the page built from the capture and the recorder's ladder.
    fn handshake(tls12: bool, budget: usize) -> (Page, String) {
        use clasp::verify::RootCertStore;
        use clasp::{ClientConfig, ClientConnection, ServerConfig};
        use rustls_pki_types::ServerName;

        let pki = crate::demo::make_pki(false).expect("pki");
        let mut roots = RootCertStore::empty();
        roots.add(&pki.ca).expect("root");
        let versions = [if tls12 {
            ProtocolVersion::TLSv1_2
        } else {
            ProtocolVersion::TLSv1_3
        }];
        let cc = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_protocol_versions(&versions)
            .with_alpn_protocols(vec![b"h2".to_vec()])
            .build()
            .expect("client config");
        let sc = ServerConfig::builder()
            .with_single_cert(pki.server.0.clone(), pki.server.1.clone_key())
            .with_protocol_versions(&versions)
            .with_alpn_protocols(vec![b"h2".to_vec()])
            .retain_client_hello(true)
            .build()
            .expect("server config");
        let name = ServerName::try_from("localhost").expect("name");
        let mut client = ClientConnection::new(Arc::new(cc), name).expect("client");
        let mut server = ServerConnection::new(Arc::new(sc)).expect("server");
        let capture = Arc::new(Capture::with_budget(budget));
        let recorder = Recorder::new(Peer::Server);
        server.set_observer(Arc::new(Both(capture.clone(), recorder.clone())));
        for _ in 0..10 {
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).expect("client write");
            }
            let mut rd = &wire[..];
            while !rd.is_empty() {
                server.read_tls(&mut rd).expect("server read");
                server.process_new_packets().expect("server");
            }
            let mut wire = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut wire).expect("server write");
            }
            let mut rd = &wire[..];
            while !rd.is_empty() {
                client.read_tls(&mut rd).expect("client read");
                client.process_new_packets().expect("client");
            }
            if !client.is_handshaking() && !server.is_handshaking() && !server.wants_write() {
                break;
            }
        }
        assert!(!server.is_handshaking(), "handshake did not finish");
        let info = HandshakeInfo::capture(&mut server, &capture);
        assert!(
            server.client_hello().is_none(),
            "the ClientHello stays in the connection"
        );
        let direct = ladder::render_text(&recorder.entries(), Lang::En, Style { color: false });
        (info.page().clone(), direct)
    }

    /// The lazily built ladder is the one the recorder draws as the handshake passes: TLS 1.3
    /// and 1.2, copied whole, over the budget from the first message, and over it midway.
    #[test]
    fn the_lazy_ladder_is_the_ladder() {
        for tls12 in [false, true] {
            for budget in [RAW_BUDGET, 0, 600] {
                let (page, direct) = handshake(tls12, budget);
                assert!(
                    direct.contains("ClientHello") && direct.contains("Finished"),
                    "{direct}"
                );
                assert_eq!(page.ladder_text, direct, "tls12={tls12} budget={budget}");
                assert_eq!(page.alpn, "h2");
                assert!(page.ja4.is_some() && page.hello.is_some());
                let want = if tls12 { "TLSv1.2" } else { "TLSv1.3" };
                assert_eq!(page.version, want);
                assert!(
                    page.ladder_json.contains("\"messages\""),
                    "{}",
                    page.ladder_json
                );
            }
        }
    }

    /// The ClientHello of Chromium 156.0.8078.114 (Debian 12), as `clasp server` recorded it
    /// when the browser harness of `tests/server_browser.rs` loaded /handshake.json (2026-12-02):
    /// GREASE, CBC suites, ML-DSA, X25519MLKEM768, ECH, compress_certificate, ALPS.
    fn chromium_hello() -> HelloSummary {
        HelloSummary {
            legacy_version: 0x0303,
            supported_versions: vec![0xbaba, 0x0304, 0x0303],
            cipher_suites: vec![
                0xeaea, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            groups: vec![0xbaba, 0x11ec, 0x001d, 0x0017, 0x0018],
            key_share_groups: vec![0xbaba, 0x11ec, 0x001d],
            signature_algorithms: vec![
                0xeaea, 0x0904, 0x0905, 0x0906, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501,
                0x0806, 0x0601,
            ],
            extensions: vec![
                0x0a0a, 0xff01, 0x000d, 0x000b, 0x44cd, 0x0012, 0x0005, 0x001b, 0x000a, 0x0010,
                0x0023, 0xca34, 0x002d, 0x0033, 0x0000, 0x002b, 0x0017, 0xfe0d, 0x4a4a,
            ],
            server_name: Some("localhost".into()),
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        }
    }

    /// Values IANA has not assigned that Chromium sends: 0xca34 is Chromium's experimental
    /// trust-anchor code point; every other value on the page must be named.
    const NOT_ASSIGNED: &[&str] = &["unknown (0xca34)"];

    #[test]
    fn a_chromium_hello_has_no_unknown_code_point_that_iana_names() {
        let mut i = info();
        let hello = chromium_hello();
        i.ja4 = Some(ja4::ja4(&hello));
        i.hello = Some(hello);
        let page = render_html(&i, "HTTP/2");
        let json = render_json(&i, "HTTP/2");
        for out in [&page, &json] {
            let mut rest = out.as_str();
            while let Some(at) = rest.find("unknown") {
                let tail = rest.get(at..at + 16).unwrap_or_default();
                assert!(NOT_ASSIGNED.contains(&tail), "{tail} in {out}");
                rest = &rest[at + 7..];
            }
        }
        for named in [
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xc013)",
            "TLS_RSA_WITH_AES_256_CBC_SHA (0x0035)",
            "mldsa44 (0x0904)",
            "mldsa87 (0x0906)",
            "X25519MLKEM768 (0x11ec)",
            "encrypted_client_hello (0xfe0d)",
            "application_settings (0x44cd)",
            "compress_certificate (0x001b)",
            "renegotiation_info (0xff01)",
            "GREASE (0x4a4a)",
            "GREASE (0xbaba)",
        ] {
            assert!(page.contains(named), "{named} missing");
        }
    }

    #[test]
    fn the_listed_code_points_are_named() {
        for (v, f, name) in [
            (
                0x00ffu16,
                suite as fn(u16) -> String,
                "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
            ),
            (0x000a, suite, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            (0x0201, sig, "rsa_pkcs1_sha1"),
            (0x081b, sig, "ecdsa_brainpoolP384r1tls13_sha384"),
            (0x0905, sig, "mldsa65"),
            (0x11eb, group, "SecP256r1MLKEM768"),
            (0x11ed, group, "SecP384r1MLKEM1024"),
            (0x0104, group, "ffdhe8192"),
            (0x4469, ext, "application_settings"),
            (0x0015, ext, "padding"),
            (0x0023, ext, "session_ticket"),
        ] {
            assert_eq!(named(v, f), format!("{name} (0x{v:04x})"));
        }
    }

    #[test]
    fn html_has_the_ids_and_escapes_peer_text() {
        let page = render_html(&info(), "HTTP/2");
        assert!(page.contains("<td id=\"tls-version\">TLSv1.3</td>"));
        assert!(page.contains("<td id=\"http-version\">HTTP/2</td>"));
        assert!(page.contains("id=\"cipher-suite\""));
        assert!(page.contains("id=\"group\">x25519<"));
        assert!(page.contains("<code id=\"ja4\">t13d0103"));
        assert!(page.contains("<li>&lt;h2&gt;</li>"));
        assert!(page.contains("<li>GREASE (0x1a1a)</li>"));
        assert!(page.contains("a &lt;b&gt; &amp; c"));
        assert!(!page.contains("<h2>\n") || !page.contains("<li><h2>"));
    }

    #[test]
    fn control_characters_never_reach_the_page_raw() {
        let mut i = info();
        if let Some(h) = i.hello.as_mut() {
            h.alpn = vec![b"h2\x1b]0;pwned\x07".to_vec()];
        }
        i.server_name = Some("a\u{9b}2J".into());
        i.client_certificate = Some("CN=\u{1b}[31mred\u{7f}".into());
        i.ladder_text = "ClientHello\n  CN=\u{1b}[5m\r\n".into();
        let page = render_html(&i, "HTTP/1.1");
        assert!(!page.chars().any(|c| c != '\n' && c.is_control()), "{page}");
        assert!(page.contains("<li>h2\\x1b]0;pwned\\x07</li>"), "{page}");
        assert!(page.contains("a\\x9b2J"), "{page}");
        assert!(page.contains("CN=\\x1b[31mred\\x7f"), "{page}");
        // The ladder keeps its line breaks (it is a <pre>); a CR inside a line does not pass.
        assert!(
            page.contains("ClientHello\n  CN=\\x1b[5m\\x0d\n</pre>"),
            "{page}"
        );
        let json = render_json(&i, "HTTP/1.1");
        assert!(!json.chars().any(char::is_control), "{json}");
        assert!(json.contains("h2\\u001b]0;pwned\\u0007"), "{json}");
        assert!(json.contains("CN=\\u001b[31mred\\u007f"), "{json}");
    }

    #[test]
    fn json_names_ja4_and_the_lists() {
        let j = render_json(&info(), "HTTP/1.1");
        assert!(j.contains("\"ja4\":\"t13d0103"));
        assert!(j.contains("\"http_version\":\"HTTP/1.1\""));
        assert!(j.contains(
            "\"cipher_suites\":[\"GREASE (0x1a1a)\",\"TLS_AES_128_GCM_SHA256 (0x1301)\"]"
        ));
        assert!(j.contains("\"ladder\":{\"messages\":[]}"));
        assert!(j.ends_with('}'));
    }
}
