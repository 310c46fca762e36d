//! `clasp demo --wire`: the handshake as an eavesdropper on the path sees it (issue 16).
//!
//! The demo's client talks to its server over loopback TCP. A [`Tap`] wraps the client's socket
//! (the `T` of `Stream<C, T>`) and copies every byte written and read, with the time, before
//! anything is decrypted: what it holds is exactly what crossed the wire. [`observe`] then reads
//! those bytes as a passive observer would — record headers, the plaintext hellos (SNI, ALPN,
//! suites, groups, JA4), TLS 1.2's plaintext certificates and key exchange — and for encrypted
//! records only their size. Nothing here holds a key; the view never prints a byte of content.
//!
//! With `--delay MS` a [`relay`] sits between client and server and holds every chunk for `MS`
//! before passing it on, in each direction: a simulated one-way latency, so that round trips
//! show up in milliseconds.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use clasp::msgs::enums::{ContentType, ExtensionType, HandshakeType, ProtocolVersion};
use clasp::msgs::extensions::ExtensionCodec as _;
use clasp::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload};
use clasp::recorded::{RecordHeader, HEADER_LEN};
use serde_json::{json, Value as Json};

use crate::escape::printable;
use crate::i18n::{Lang, WireMsg};
use crate::ja4;
use crate::ladder::{Entry, Peer, Recorder, Step, Style};

/// The longest simulated one-way delay `--delay` takes, in milliseconds.
pub const MAX_DELAY_MS: u64 = 2000;

/// Bytes of one connection the tap keeps at most (the demo exchanges a few KiB); past it only
/// sizes and times are kept, and the capture says it was truncated.
const MAX_CAPTURE: usize = 1 << 20;

/// Which way bytes travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    ClientToServer,
    /// Server to client.
    ServerToClient,
}

impl Dir {
    /// `client->server` / `server->client`, as the ladder's JSON spells directions.
    pub fn json(self) -> &'static str {
        match self {
            Self::ClientToServer => "client->server",
            Self::ServerToClient => "server->client",
        }
    }

    /// "client → server" in `lang`.
    pub fn arrow(self, lang: Lang) -> String {
        match self {
            Self::ClientToServer => format!(
                "{} → {}",
                WireMsg::ClientWord.text(lang),
                WireMsg::ServerWord.text(lang)
            ),
            Self::ServerToClient => format!(
                "{} → {}",
                WireMsg::ServerWord.text(lang),
                WireMsg::ClientWord.text(lang)
            ),
        }
    }
}

/// One `write` or `read` on the client's socket.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Direction.
    pub dir: Dir,
    /// Time since the TCP connect started.
    pub at: Duration,
    /// The bytes (empty past [`MAX_CAPTURE`]).
    pub bytes: Vec<u8>,
    /// Length on the wire (equals `bytes.len()` unless truncated).
    pub len: usize,
    /// The client had handed application data to the connection before this write (the demo
    /// marks it; see [`TapHandle::set_app`]).
    pub app: bool,
    /// How many ladder entries the client's recorder held at this moment: steps recorded
    /// before a write went out in it; steps recorded after a read came from it.
    pub ladder_len: usize,
}

/// Everything the tap saw on one connection.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    /// TCP connect time (with `--delay`, the simulated SYN/SYN-ACK round trip included).
    pub connect: Duration,
    /// Every chunk, in the client's order.
    pub chunks: Vec<Chunk>,
    /// When `complete_handshake` returned on the client.
    pub handshake_done: Option<Duration>,
    /// More than [`MAX_CAPTURE`] bytes: later bytes were not kept.
    pub truncated: bool,
    /// The simulated one-way delay.
    pub delay: Duration,
}

#[derive(Debug)]
struct Shared {
    start: Instant,
    app: AtomicBool,
    rec: Arc<Recorder>,
    cap: Mutex<Capture>,
}

impl Shared {
    fn push(&self, dir: Dir, bytes: &[u8]) {
        let ladder_len = self.rec.entries().len();
        let at = self.start.elapsed();
        let app = self.app.load(Ordering::SeqCst);
        if let Ok(mut c) = self.cap.lock() {
            let kept: usize = c.chunks.iter().map(|c| c.bytes.len()).sum();
            let keep = kept + bytes.len() <= MAX_CAPTURE;
            c.truncated |= !keep;
            c.chunks.push(Chunk {
                dir,
                at,
                bytes: if keep { bytes.to_vec() } else { Vec::new() },
                len: bytes.len(),
                app,
                ladder_len,
            });
        }
    }
}

/// The client's socket with a copy of everything that crosses it.
#[derive(Debug)]
pub struct Tap {
    sock: TcpStream,
    shared: Arc<Shared>,
}

/// The demo's handle on a [`Tap`]: marks and the capture.
#[derive(Debug, Clone)]
pub struct TapHandle(Arc<Shared>);

impl TapHandle {
    /// From now on (`true`), writes carry application data; `false` clears the marks made so
    /// far (0-RTT data the server refused does not count as delivered).
    pub fn set_app(&self, on: bool) {
        self.0.app.store(on, Ordering::SeqCst);
        if !on {
            if let Ok(mut c) = self.0.cap.lock() {
                for ch in &mut c.chunks {
                    ch.app = false;
                }
            }
        }
    }

    /// The client finished its handshake now.
    pub fn handshake_done(&self) {
        let at = self.0.start.elapsed();
        if let Ok(mut c) = self.0.cap.lock() {
            c.handshake_done = Some(at);
        }
    }

    /// What was captured so far.
    pub fn capture(&self) -> Capture {
        self.0.cap.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// Connects to `addr` and taps the socket. With a simulated delay the TCP handshake costs one
/// round trip (RFC 9293 §3.5: SYN →, ← SYN-ACK, then the ACK travels with the first data), which
/// the loopback kernel otherwise does in microseconds: it is slept here.
///
/// # Errors
/// The connect.
pub fn connect(
    addr: SocketAddr,
    delay: Duration,
    rec: Arc<Recorder>,
) -> io::Result<(Tap, TapHandle)> {
    let start = Instant::now();
    let sock = TcpStream::connect(addr)?;
    // No Nagle: a small write (a Finished, a request) goes out at once instead of waiting up to
    // a delayed ACK (40 ms on Linux), which would show up as cost that is not TLS's.
    sock.set_nodelay(true)?;
    std::thread::sleep(delay * 2);
    let connect = start.elapsed();
    let shared = Arc::new(Shared {
        start,
        app: AtomicBool::new(false),
        rec,
        cap: Mutex::new(Capture {
            connect,
            delay,
            ..Capture::default()
        }),
    });
    Ok((
        Tap {
            sock,
            shared: Arc::clone(&shared),
        },
        TapHandle(shared),
    ))
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        if let Some(b) = buf.get(..n).filter(|b| !b.is_empty()) {
            self.shared.push(Dir::ServerToClient, b);
        }
        Ok(n)
    }
}

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.sock.write(buf)?;
        if let Some(b) = buf.get(..n).filter(|b| !b.is_empty()) {
            self.shared.push(Dir::ClientToServer, b);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// A relay on `listener` that forwards `conns` connections to `upstream`, holding each chunk
/// for `delay` in each direction. Chunks are queued with their due time, so a flight written
/// in several pieces is delayed once, not once per piece; the queue is bounded (64 chunks).
pub fn relay(listener: TcpListener, upstream: SocketAddr, delay: Duration, conns: usize) {
    std::thread::spawn(move || {
        for _ in 0..conns {
            let Ok((down, _)) = listener.accept() else {
                return;
            };
            let Ok(up) = TcpStream::connect(upstream) else {
                return;
            };
            for (from, to) in [(&down, &up), (&up, &down)] {
                if let (Ok(f), Ok(t)) = (from.try_clone(), to.try_clone()) {
                    pump(f, t, delay);
                }
            }
        }
    });
}

fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let _ = to.set_nodelay(true);
    // Every wait has a timeout: a stuck demo ends its relay threads within a minute.
    let _ = from.set_read_timeout(Some(Duration::from_secs(60)));
    let _ = to.set_write_timeout(Some(Duration::from_secs(60)));
    let (tx, rx) = mpsc::sync_channel::<(Instant, Vec<u8>)>(64);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = buf.get(..n).unwrap_or_default().to_vec();
                    if tx.send((Instant::now() + delay, chunk)).is_err() {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        for (due, chunk) in rx {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// One record as the observer parsed it.
#[derive(Debug, Clone)]
pub struct WireRecord {
    /// Direction.
    pub dir: Dir,
    /// Time of the chunk that completed it.
    pub at: Duration,
    /// The header as sent.
    pub header: RecordHeader,
    /// Whether the observer cannot read the body.
    pub encrypted: bool,
    /// The flight (index into the runs of same-direction chunks) it belongs to.
    pub flight: usize,
    /// Plaintext handshake messages that this record completed, decoded.
    pub messages: Vec<Observed>,
    /// The body as sent (ciphertext for encrypted records). Never printed by the wire view;
    /// `--steal-key` works from it.
    pub body: Vec<u8>,
}

/// A plaintext handshake message the observer decoded.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Message name.
    pub kind: String,
    /// What the observer learns from it.
    pub fields: Vec<(&'static str, String)>,
    /// The message bytes, header included (for the RFC 7627 session hash of `--steal-key`).
    pub raw: Vec<u8>,
}

/// The records of one connection, as a passive observer parses them.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// Every complete record, in the client's order.
    pub records: Vec<WireRecord>,
    /// The version the ServerHello selected, as the observer read it.
    pub version: Option<ProtocolVersion>,
    /// Flight of each chunk.
    pub chunk_flight: Vec<usize>,
}

#[derive(Default)]
struct DirState {
    buf: Vec<u8>,
    hs: Vec<u8>,
    ccs: bool,
}

/// Parses the captured bytes as an observer on the wire: headers always, plaintext handshake
/// messages while there are any, and nothing of encrypted records but their size.
pub fn observe(cap: &Capture) -> Observation {
    let mut o = Observation::default();
    let mut st = [DirState::default(), DirState::default()];
    let mut flight = 0usize;
    for (i, chunk) in cap.chunks.iter().enumerate() {
        if i > 0 && cap.chunks.get(i - 1).is_some_and(|p| p.dir != chunk.dir) {
            flight += 1;
        }
        o.chunk_flight.push(flight);
        let d = usize::from(chunk.dir == Dir::ServerToClient);
        let Some(s) = st.get_mut(d) else { continue };
        s.buf.extend_from_slice(&chunk.bytes);
        while let Ok(Some(header)) = RecordHeader::parse(&s.buf) {
            let end = HEADER_LEN + usize::from(header.len);
            if s.buf.len() < end {
                break;
            }
            let body = s.buf.get(HEADER_LEN..end).unwrap_or_default().to_vec();
            s.buf.drain(..end);
            // RFC 8446 §5.2: every TLS 1.3 record after the hellos is "application_data" on
            // the wire; RFC 5246 §7.1: in TLS 1.2 everything after a side's ChangeCipherSpec is
            // under its new keys, whatever the outer type says.
            let encrypted = header.typ == ContentType::ApplicationData
                || (s.ccs && header.typ != ContentType::ChangeCipherSpec);
            let tls13 = o.version == Some(ProtocolVersion::TLSv1_3);
            if header.typ == ContentType::ChangeCipherSpec && !tls13 {
                s.ccs = true;
            }
            let mut messages = Vec::new();
            if header.typ == ContentType::Handshake && !encrypted {
                s.hs.extend_from_slice(&body);
                while let Some(len) = s
                    .hs
                    .get(1..4)
                    .map(|l| usize::from(l[0]) << 16 | usize::from(l[1]) << 8 | usize::from(l[2]))
                {
                    if s.hs.len() < 4 + len {
                        break;
                    }
                    let raw: Vec<u8> = s.hs.drain(..4 + len).collect();
                    let version = o.version.unwrap_or(ProtocolVersion::TLSv1_2);
                    let m = HandshakeMessage::read_version(&raw, version).ok();
                    if let Some(HandshakePayload::ServerHello(sh)) =
                        m.as_ref().map(HandshakeMessage::payload)
                    {
                        if !sh.is_hello_retry_request() {
                            o.version = Some(sh.selected_version().unwrap_or(sh.legacy_version));
                        }
                    }
                    messages.push(describe(m.as_ref(), raw));
                }
            }
            o.records.push(WireRecord {
                dir: chunk.dir,
                at: chunk.at,
                header,
                encrypted,
                flight,
                messages,
                body,
            });
        }
    }
    o
}

fn names<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// JA4 from the ClientHello the library decoded (no second parser): the summary JA4 needs is
/// read off the typed message, extensions in the order sent, unknown ones (GREASE) kept.
pub fn hello_summary(ch: &ClientHello) -> ja4::HelloSummary {
    ja4::HelloSummary {
        legacy_version: ch.legacy_version.0,
        cipher_suites: ch.cipher_suites.iter().map(|c| c.0).collect(),
        extensions: ch.extensions.iter().map(|e| e.ext_type().0).collect(),
        server_name: ch.server_name().map(str::to_string),
        alpn: ch
            .alpn_protocols()
            .map(|a| a.iter().map(|p| p.0.clone()).collect())
            .unwrap_or_default(),
        supported_versions: ch
            .supported_versions()
            .map(|v| v.iter().map(|v| v.0).collect())
            .unwrap_or_default(),
        groups: ch
            .supported_groups()
            .map(|g| g.iter().map(|g| g.0).collect())
            .unwrap_or_default(),
        signature_algorithms: ch
            .signature_algorithms()
            .map(|s| s.iter().map(|s| s.0).collect())
            .unwrap_or_default(),
        key_share_groups: ch
            .key_shares()
            .map(|k| k.iter().map(|k| k.group.0).collect())
            .unwrap_or_default(),
    }
}

fn alpn_list(a: &[clasp::msgs::extensions::ProtocolName]) -> String {
    a.iter()
        .map(|p| printable(&String::from_utf8_lossy(&p.0)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the observer reads in one plaintext handshake message.
fn describe(m: Option<&HandshakeMessage>, raw: Vec<u8>) -> Observed {
    let mut f: Vec<(&'static str, String)> = Vec::new();
    let Some(m) = m else {
        let kind = raw
            .first()
            .map_or_else(|| "?".into(), |t| HandshakeType(*t).to_string());
        return Observed {
            kind,
            fields: f,
            raw,
        };
    };
    let kind = match m.payload() {
        HandshakePayload::ClientHello(ch) => {
            if let Some(n) = ch.server_name() {
                f.push(("sni", printable(n)));
            }
            if let Some(a) = ch.alpn_protocols() {
                f.push(("alpn", alpn_list(a)));
            }
            let versions = ch
                .supported_versions()
                .map_or_else(|| ch.legacy_version.to_string(), names);
            f.push(("versions", versions));
            f.push(("cipher_suites", names(&ch.cipher_suites)));
            if let Some(g) = ch.supported_groups() {
                f.push(("groups", names(g)));
            }
            if let Some(k) = ch.key_shares() {
                let ks: Vec<String> = k
                    .iter()
                    .map(|k| format!("{} ({} B)", k.group, k.key_exchange.len()))
                    .collect();
                f.push(("key_shares", ks.join(", ")));
            }
            if let Some(s) = ch.signature_algorithms() {
                f.push(("signature_algorithms", names(s)));
            }
            if ch.psk().is_some() {
                f.push(("psk", "offered".into()));
            }
            if ch.find_extension(ExtensionType::EarlyData).is_some() {
                f.push(("early_data", "offered".into()));
            }
            let s = hello_summary(ch);
            f.push(("ja4", ja4::ja4(&s).ja4));
            "ClientHello"
        }
        HandshakePayload::ServerHello(sh) => {
            let v = sh.selected_version().unwrap_or(sh.legacy_version);
            f.push(("version", v.to_string()));
            f.push(("cipher_suite", sh.cipher_suite.to_string()));
            if let Some(k) = sh.key_share() {
                f.push((
                    "key_share",
                    format!("{} ({} B)", k.group, k.key_exchange.len()),
                ));
            }
            if let Some(a) = sh.alpn_protocol() {
                f.push(("alpn", alpn_list(a)));
            }
            if sh
                .find_extension(ExtensionType::ExtendedMasterSecret)
                .is_some()
            {
                f.push(("ems", "yes".into()));
            }
            if sh.psk_selected_identity().is_some() {
                f.push(("psk", "accepted".into()));
            }
            if sh.is_hello_retry_request() {
                "HelloRetryRequest"
            } else {
                "ServerHello"
            }
        }
        HandshakePayload::CertificateTls12(c) => {
            // RFC 5246 §7.4.2: in TLS 1.2 the certificate chain crosses the wire in the clear.
            let subjects: Vec<String> = c
                .certificate_list
                .iter()
                .map(|d| {
                    crate::x509::summarize(d.as_ref())
                        .map_or_else(|| "(unparsed)".into(), |s| printable(&s.subject))
                })
                .collect();
            f.push(("certificates", subjects.join("; ")));
            "Certificate"
        }
        HandshakePayload::ServerKeyExchange(s) => {
            f.push(("bytes", s.0.len().to_string()));
            "ServerKeyExchange"
        }
        HandshakePayload::ClientKeyExchange(c) => {
            f.push(("bytes", c.0.len().to_string()));
            "ClientKeyExchange"
        }
        HandshakePayload::NewSessionTicketTls12(_) => "NewSessionTicket",
        HandshakePayload::ServerHelloDone => "ServerHelloDone",
        HandshakePayload::CertificateRequestTls12(_) => "CertificateRequest",
        HandshakePayload::CertificateVerify(_) => "CertificateVerify",
        other => {
            return Observed {
                kind: format!("{:?}", other.typ()),
                fields: f,
                raw,
            }
        }
    };
    Observed {
        kind: kind.into(),
        fields: f,
        raw,
    }
}

/// The three services of TLS (RFC 8446 §1: "authentication", "confidentiality", "integrity").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Only the endpoints can read the data.
    Confidentiality,
    /// The peer is who it claims to be.
    Authentication,
    /// Changes on the wire are detected.
    Integrity,
}

impl Service {
    fn json(self) -> &'static str {
        match self {
            Self::Confidentiality => "confidentiality",
            Self::Authentication => "authentication",
            Self::Integrity => "integrity",
        }
    }

    fn text(self, lang: Lang) -> &'static str {
        match self {
            Self::Confidentiality => WireMsg::Confidentiality.text(lang),
            Self::Authentication => WireMsg::Authentication.text(lang),
            Self::Integrity => WireMsg::Integrity.text(lang),
        }
    }
}

/// Which services a ladder step provides, and why.
pub fn services(step: &Step, tls13: bool) -> (&'static [Service], WireMsg) {
    use Service::{Authentication as A, Confidentiality as C, Integrity as I};
    match step.kind.as_str() {
        "ClientHello" | "HelloRetryRequest" => (&[], WireMsg::SvcHello),
        // RFC 8446 §2: after the ServerHello both key shares are known and the handshake
        // keys exist; in TLS 1.2 (RFC 5246 §7.3) the ServerHello only states choices.
        "ServerHello" if tls13 => (&[C], WireMsg::SvcServerHello13),
        "ServerHello" => (&[], WireMsg::SvcServerHello12),
        "EncryptedExtensions" => (&[C], WireMsg::SvcEncryptedExtensions),
        "Certificate" => (&[A], WireMsg::SvcCertificate),
        "CertificateRequest" => (&[A], WireMsg::SvcCertificateRequest),
        "CertificateVerify" => (&[A], WireMsg::SvcCertificateVerify),
        "ServerKeyExchange" => (&[C, A], WireMsg::SvcServerKeyExchange),
        "ClientKeyExchange" => (&[C], WireMsg::SvcClientKeyExchange),
        "ChangeCipherSpec" if !tls13 => (&[C, I], WireMsg::SvcCcs12),
        "ChangeCipherSpec" => (&[], WireMsg::SvcCcs13),
        "Finished" => (&[I, A], WireMsg::SvcFinished),
        "ApplicationData" => (&[C, I], WireMsg::SvcApplicationData),
        "Alert (close_notify)" => (&[I], WireMsg::SvcCloseNotify),
        "NewSessionTicket" => (&[], WireMsg::SvcTicket),
        // "TCP connect", or the three segments of RFC 9293 §3.5 when the ladder draws them.
        k if k.starts_with("TCP") => (&[], WireMsg::SvcTcp),
        "ServerHelloDone" => (&[], WireMsg::SvcHelloDone),
        _ => (&[], WireMsg::SvcNone),
    }
}

/// The ladder steps (what the endpoints see) that travelled in each flight: a step the client
/// sent went out in the first client write made after it was recorded; a step the client
/// received came in the last server chunk read before it was recorded. `None`: the TCP connect.
/// With each step, the time of that chunk: the step's measured time on the client's socket.
pub fn steps_by_flight(
    entries: &[Entry],
    cap: &Capture,
    o: &Observation,
) -> Vec<(Option<usize>, Option<Duration>, Step)> {
    let mut out = Vec::new();
    for (j, e) in entries.iter().enumerate() {
        let Entry::Step(s) = e else { continue };
        if s.protection.is_none() {
            out.push((None, Some(cap.connect), s.clone()));
            continue;
        }
        let idx = match s.from {
            Peer::Client => cap
                .chunks
                .iter()
                .position(|c| c.dir == Dir::ClientToServer && c.ladder_len > j),
            Peer::Server => cap
                .chunks
                .iter()
                .rposition(|c| c.dir == Dir::ServerToClient && c.ladder_len <= j),
        };
        let flight = idx.and_then(|i| o.chunk_flight.get(i).copied());
        let at = idx.and_then(|i| cap.chunks.get(i)).map(|c| c.at);
        out.push((flight, at, s.clone()));
    }
    out
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn version_label(v: ProtocolVersion) -> String {
    format!("{v} (0x{:04x})", v.0)
}

fn field_label(k: &str, lang: Lang) -> &str {
    match k {
        "sni" => "SNI",
        "alpn" => "ALPN",
        "ja4" => "JA4",
        "ems" => "extended_master_secret",
        other => crate::i18n::label(other, lang),
    }
}

/// The few words the observer's fields use as values (the JSON keeps them in English).
fn value_text(v: &str, lang: Lang) -> &str {
    match v {
        "offered" => WireMsg::Offered.text(lang),
        "accepted" => WireMsg::Accepted.text(lang),
        "yes" => WireMsg::Yes.text(lang),
        other => other,
    }
}

/// The eavesdropper's view as text: per flight, each record's header and what can be read in
/// it, then what the endpoints saw in that flight and which service each step provides.
pub fn render_text(
    entries: &[Entry],
    cap: &Capture,
    o: &Observation,
    lang: Lang,
    st: Style,
) -> String {
    let tls13 = o.version == Some(ProtocolVersion::TLSv1_3);
    let steps = steps_by_flight(entries, cap, o);
    let mut t = String::new();
    t.push_str(&st.bold(WireMsg::WireTitle.text(lang)));
    t.push('\n');
    t.push_str(&st.dim(WireMsg::WireLegend.text(lang)));
    t.push('\n');
    t.push_str(&format!(
        "  {} {:>8.1} ms  TCP SYN → / ← SYN-ACK\n",
        st.cyan("TCP"),
        ms(cap.connect)
    ));
    for (_, at, s) in steps.iter().filter(|(f, _, _)| f.is_none()) {
        push_services(&mut t, s, *at, tls13, lang, st);
    }
    let flights = o
        .records
        .iter()
        .map(|r| r.flight)
        .max()
        .map_or(0, |m| m + 1);
    for f in 0..flights {
        let recs: Vec<&WireRecord> = o.records.iter().filter(|r| r.flight == f).collect();
        let Some(first) = recs.first() else { continue };
        t.push_str(&format!(
            "\n  {} {} — {}\n",
            st.bold(&format!("{} {}", WireMsg::Flight.text(lang), f + 1)),
            first.dir.arrow(lang),
            WireMsg::OnTheWire.text(lang)
        ));
        for r in &recs {
            let what = if r.encrypted {
                st.yellow(WireMsg::EncryptedOnly.text(lang))
            } else {
                st.green(WireMsg::Readable.text(lang))
            };
            t.push_str(&format!(
                "    {:>8.1} ms  {:<18} {:<22} {} {:>5}  {what}\n",
                ms(r.at),
                r.header.typ.to_string(),
                version_label(r.header.version),
                WireMsg::Length.text(lang),
                r.header.len,
            ));
            for m in &r.messages {
                t.push_str(&format!("                 {}\n", st.bold(&m.kind)));
                for (k, v) in &m.fields {
                    t.push_str(&format!(
                        "                   {}: {}\n",
                        field_label(k, lang),
                        value_text(v, lang)
                    ));
                }
            }
        }
        t.push_str(&format!(
            "    {}\n",
            st.dim(WireMsg::EndpointsSee.text(lang))
        ));
        for (_, at, s) in steps.iter().filter(|(fl, _, _)| *fl == Some(f)) {
            push_services(&mut t, s, *at, tls13, lang, st);
        }
    }
    if cap.truncated {
        t.push_str(&format!("  {}\n", WireMsg::Truncated.text(lang)));
    }
    t
}

fn push_services(
    t: &mut String,
    s: &Step,
    at: Option<Duration>,
    tls13: bool,
    lang: Lang,
    st: Style,
) {
    let (svc, why) = services(s, tls13);
    let names = if svc.is_empty() {
        WireMsg::NoService.text(lang).to_string()
    } else {
        svc.iter()
            .map(|s| s.text(lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let at = at.map_or_else(|| "-".into(), |d| format!("{:.1} ms", ms(d)));
    t.push_str(&format!(
        "    {at:>11}  {:<22} [{}] {}\n",
        s.kind,
        st.cyan(&names),
        st.dim(why.text(lang))
    ));
}

/// The eavesdropper's view as JSON: `{"connect_ms":…,"records":[…],"steps":[…]}`.
pub fn render_json(entries: &[Entry], cap: &Capture, o: &Observation, lang: Lang) -> Json {
    let tls13 = o.version == Some(ProtocolVersion::TLSv1_3);
    let records: Vec<Json> = o
        .records
        .iter()
        .map(|r| {
            let msgs: Vec<Json> = r
                .messages
                .iter()
                .map(|m| {
                    let fields: serde_json::Map<String, Json> = m
                        .fields
                        .iter()
                        .map(|(k, v)| ((*k).to_string(), Json::from(v.as_str())))
                        .collect();
                    json!({"type": m.kind, "fields": fields})
                })
                .collect();
            json!({
                "direction": r.dir.json(),
                "flight": r.flight + 1,
                "time_ms": ms(r.at),
                "content_type": r.header.typ.to_string(),
                "legacy_version": format!("0x{:04x}", r.header.version.0),
                "length": r.header.len,
                "encrypted": r.encrypted,
                "plaintext_messages": msgs,
            })
        })
        .collect();
    let steps: Vec<Json> = steps_by_flight(entries, cap, o)
        .iter()
        .map(|(f, at, s)| {
            let (svc, why) = services(s, tls13);
            json!({
                "type": s.kind,
                "flight": f.map(|f| f + 1),
                "time_ms": at.map(ms),
                "services": svc.iter().map(|s| s.json()).collect::<Vec<_>>(),
                "why": why.text(lang),
            })
        })
        .collect();
    json!({
        "connect_ms": ms(cap.connect),
        "records": records,
        "endpoint_steps": steps,
        "truncated": cap.truncated,
    })
}

/// What follows each ladder: the eavesdropper's view (with `--wire`), then the cost.
pub fn render_extra(
    entries: &[Entry],
    cap: &Capture,
    o: &Observation,
    wire: bool,
    lang: Lang,
    st: Style,
) -> String {
    let mut t = String::new();
    if wire {
        t.push_str(&render_text(entries, cap, o, lang, st));
        t.push('\n');
    }
    t.push_str(&crate::cost::compute(cap, o).text(lang, st));
    t.push('\n');
    t
}

/// Adds `"cost"` (always) and `"wire"` (with `--wire`) to one handshake's JSON object as the
/// ladder rendered it (`{"messages":…,"negotiated":…}`), keeping its text as it was.
pub fn splice_json(
    ladder_json: String,
    entries: &[Entry],
    cap: &Capture,
    o: &Observation,
    wire: bool,
    lang: Lang,
) -> String {
    let mut j = ladder_json;
    if j.ends_with('}') {
        j.pop();
        j.push_str(&format!(
            ",\"cost\":{}",
            crate::cost::compute(cap, o).json()
        ));
        if wire {
            j.push_str(&format!(",\"wire\":{}", render_json(entries, cap, o, lang)));
        }
        j.push('}');
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_differ_by_version() {
        let step = |k: &str| Step {
            from: Peer::Server,
            kind: k.into(),
            protection: None,
            fields: Vec::new(),
            note: None,
        };
        assert_eq!(
            services(&step("ServerHello"), true).0,
            &[Service::Confidentiality]
        );
        assert!(services(&step("ServerHello"), false).0.is_empty());
        assert_eq!(
            services(&step("Finished"), true).0,
            &[Service::Integrity, Service::Authentication]
        );
    }
}
