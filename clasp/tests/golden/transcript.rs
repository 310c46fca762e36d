//! Golden transcripts: the scenarios, the file format, and the client driver that both records
//! (xtask, against a live `openssl s_server -rev`) and replays (`clasp/tests/golden.rs`).
//!
//! Recording and replay run the same [`Driver`]: the client sends its ClientHello, takes the
//! server's bytes as they come, writes [`APP_LINE`] as soon as its handshake is complete, and
//! sends close_notify once the server's reversed line ([`expected_reply`]) has arrived. The
//! client's bytes depend only on the server's bytes (the provider is deterministic, see
//! `provider.rs`), not on how they were split into reads, so a replay must reproduce every
//! byte the client wrote during recording.
//!
//! # File format (`<scenario>.hex`, text)
//! Lines starting with `#` are comments (the recorder annotates each record). A header of
//! `key value` lines comes first; then a line `client` followed by the client's bytes in hex,
//! then a line `server` followed by the server's bytes in hex. Whitespace inside the hex is
//! ignored: the recorder puts each record header (type, version, length) on its own line and
//! 32 bytes per line after it, so a diff shows which record changed.
#![allow(dead_code)] // each includer uses a different part

use std::fmt::Write as _;
use std::io::{Read, Write};

use clasp::msgs::enums::{CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion};
use clasp::ClientConnection;
use rustls_pki_types::ServerName;

use super::provider::{golden_client_config, FIXED_TIME_SECS};

/// What the client sends once the handshake is done (`s_server -rev` answers it reversed). Not
/// a one-letter line: s_server treats those as commands.
pub const APP_LINE: &[u8] = b"clasp golden transcript\n";

/// The name the client connects to (the golden leaf is issued for it).
pub const SERVER_NAME: &str = "localhost";

/// `s_server -rev`'s answer to [`APP_LINE`]: the line without its newline, reversed, plus "\n".
#[must_use]
pub fn expected_reply() -> Vec<u8> {
    let mut line: Vec<u8> = APP_LINE.strip_suffix(b"\n").unwrap_or(APP_LINE).to_vec();
    line.reverse();
    line.push(b'\n');
    line
}

/// One recorded handshake: how the server is started and what the client must negotiate.
#[derive(Debug)]
pub struct Scenario {
    /// File stem under `clasp/testdata/golden/`.
    pub name: &'static str,
    /// One line for the file header.
    pub about: &'static str,
    /// `s_server` options besides `-accept`, `-cert`, `-key`, `-rev` and `-naccept 1`.
    pub server_args: &'static [&'static str],
    /// The version the client must negotiate.
    pub version: ProtocolVersion,
    /// The suite the client must negotiate.
    pub suite: CipherSuite,
    /// The key-exchange group the client must end up with.
    pub group: NamedGroup,
    /// Whether the server must send a HelloRetryRequest.
    pub hello_retry: bool,
}

/// Every golden scenario. The client config is the same for all of them
/// (`provider::golden_client_config`); the server's options choose the path.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "tls13-x25519-aes128gcm",
        about: "TLS 1.3, X25519 key share accepted, TLS_AES_128_GCM_SHA256, ECDSA P-256 leaf",
        server_args: &[
            "-tls1_3",
            "-groups",
            "X25519",
            "-ciphersuites",
            "TLS_AES_128_GCM_SHA256",
        ],
        version: ProtocolVersion::TLSv1_3,
        suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        group: NamedGroup::X25519,
        hello_retry: false,
    },
    Scenario {
        name: "tls13-p384-hrr",
        about: "TLS 1.3, server wants only P-384: HelloRetryRequest, second ClientHello with a \
                P-384 share, TLS_AES_256_GCM_SHA384",
        server_args: &[
            "-tls1_3",
            "-groups",
            "P-384",
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384",
        ],
        version: ProtocolVersion::TLSv1_3,
        suite: CipherSuite::TLS_AES_256_GCM_SHA384,
        group: NamedGroup::secp384r1,
        hello_retry: true,
    },
    Scenario {
        name: "tls12-ecdhe-ecdsa-aes128gcm",
        about: "TLS 1.2 (server refuses 1.3), ECDHE-ECDSA-AES128-GCM-SHA256 over X25519",
        server_args: &[
            "-tls1_2",
            "-groups",
            "X25519",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ],
        version: ProtocolVersion::TLSv1_2,
        suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        group: NamedGroup::X25519,
        hello_retry: false,
    },
];

/// The scenario called `name`.
#[must_use]
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// The clasp client of a golden connection, and the little application script it runs.
#[derive(Debug)]
pub struct Driver {
    /// The connection.
    pub conn: ClientConnection,
    /// Plaintext received from the server.
    pub app_received: Vec<u8>,
    sent_app: bool,
    sent_close: bool,
}

impl Driver {
    /// A client trusting `ca` (DER); its ClientHello is already queued.
    ///
    /// # Errors
    /// If the connection cannot be created.
    pub fn new(ca: &[u8]) -> Result<Self, String> {
        let name = ServerName::try_from(SERVER_NAME).map_err(|e| e.to_string())?;
        let conn = ClientConnection::new(golden_client_config(ca), name)
            .map_err(|e| format!("ClientConnection::new: {e:?}"))?;
        Ok(Driver {
            conn,
            app_received: Vec::new(),
            sent_app: false,
            sent_close: false,
        })
    }

    /// Takes what the client wants to send.
    pub fn take_output(&mut self) -> Vec<u8> {
        let out = self.conn.pending_tls().to_vec();
        self.conn.consume_tls(out.len());
        out
    }

    /// Feeds bytes from the server, reads any plaintext, then runs the script: [`APP_LINE`]
    /// once the handshake is done, close_notify once the whole reply is in.
    ///
    /// # Errors
    /// The client's error, if it rejects the bytes.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), String> {
        while !bytes.is_empty() {
            let n = self.conn.push_tls(bytes);
            bytes = bytes.get(n..).unwrap_or_default();
            self.conn
                .process_new_packets()
                .map_err(|e| format!("client error: {e:?}"))?;
            self.read_plaintext();
            if n == 0 {
                return Err("client takes no more bytes".to_owned());
            }
        }
        self.script()
    }

    fn read_plaintext(&mut self) {
        let mut buf = [0u8; 1024];
        while let Ok(k @ 1..) = self.conn.reader().read(&mut buf) {
            self.app_received
                .extend_from_slice(buf.get(..k).unwrap_or_default());
        }
    }

    fn script(&mut self) -> Result<(), String> {
        if !self.sent_app && !self.conn.is_handshaking() {
            self.conn
                .writer()
                .write_all(APP_LINE)
                .map_err(|e| format!("write: {e}"))?;
            self.sent_app = true;
        }
        if self.sent_app && !self.sent_close && self.app_received.len() >= expected_reply().len() {
            self.conn.send_close_notify();
            self.sent_close = true;
        }
        Ok(())
    }

    /// Whether the script has run to the end (close_notify queued).
    #[must_use]
    pub fn done(&self) -> bool {
        self.sent_close
    }
}

/// A parsed golden file.
#[derive(Debug, Clone, Default)]
pub struct Golden {
    /// `key value` header lines, in file order.
    pub header: Vec<(String, String)>,
    /// Everything the client wrote.
    pub client: Vec<u8>,
    /// Everything the client read from the server.
    pub server: Vec<u8>,
}

impl Golden {
    /// The header value for `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Parses the text format described in the module docs.
    ///
    /// # Errors
    /// On a malformed line or odd-length hex.
    pub fn parse(text: &str) -> Result<Self, String> {
        enum Part {
            Header,
            Client,
            Server,
        }
        let mut g = Golden::default();
        let (mut part, mut client_hex, mut server_hex) =
            (Part::Header, String::new(), String::new());
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match (line, &part) {
                ("client", Part::Header) => part = Part::Client,
                ("server", Part::Client) => part = Part::Server,
                (_, Part::Header) => {
                    let (k, v) = line.split_once(' ').unwrap_or((line, ""));
                    g.header.push((k.to_owned(), v.trim().to_owned()));
                }
                (_, Part::Client) => client_hex.push_str(line),
                (_, Part::Server) => server_hex.push_str(line),
            }
            if line.len() > 200 && !matches!(part, Part::Header) {
                return Err(format!("line {}: hex line too long", i + 1));
            }
        }
        if !matches!(part, Part::Server) {
            return Err("missing `client` or `server` section".to_owned());
        }
        g.client = from_hex(&client_hex)?;
        g.server = from_hex(&server_hex)?;
        Ok(g)
    }

    /// The file text; records are annotated as seen in a connection of `version`.
    #[must_use]
    pub fn render(&self, version: ProtocolVersion) -> String {
        let mut s = String::new();
        s.push_str(
            "# clasp golden transcript: a clasp client (deterministic provider) against openssl \
             s_server.\n# Written by `cargo run -p xtask -- golden`; see README.md. Do not edit \
             by hand.\n",
        );
        for (k, v) in &self.header {
            let _ = writeln!(s, "{k} {v}");
        }
        s.push_str("\nclient\n");
        render_records(&mut s, &self.client, version);
        s.push_str("\nserver\n");
        render_records(&mut s, &self.server, version);
        s
    }
}

/// What a replay established.
#[derive(Debug)]
pub struct Outcome {
    /// Negotiated version.
    pub version: Option<ProtocolVersion>,
    /// Negotiated suite.
    pub suite: Option<CipherSuite>,
    /// Negotiated group.
    pub group: Option<NamedGroup>,
    /// Whether a HelloRetryRequest happened.
    pub hello_retry: bool,
    /// The server's end-entity certificate.
    pub leaf: Option<Vec<u8>>,
    /// Plaintext from the server.
    pub app_received: Vec<u8>,
}

/// Replays `golden`: a fresh [`Driver`] trusting `ca` is fed the recorded server bytes one
/// record at a time, and everything it writes must equal the recorded client bytes.
///
/// # Errors
/// The first difference in the client's bytes (with its offset and record), a client error,
/// or a client that stops short of the recorded bytes or of the end of the script.
pub fn replay(golden: &Golden, ca: &[u8]) -> Result<Outcome, String> {
    let mut d = Driver::new(ca)?;
    let mut pos = 0;
    for chunk in split_records(&golden.server) {
        check_output(&mut d, &golden.client, &mut pos)?;
        d.feed(chunk)?;
    }
    check_output(&mut d, &golden.client, &mut pos)?;
    if pos != golden.client.len() {
        return Err(format!(
            "the client wrote {pos} of the {} recorded bytes and then stopped",
            golden.client.len()
        ));
    }
    if !d.done() {
        return Err("the script did not finish (no full reply from the server?)".to_owned());
    }
    let n = d.conn.negotiated();
    Ok(Outcome {
        version: n.version,
        suite: n.cipher_suite,
        group: n.group,
        hello_retry: n.hello_retry,
        leaf: n.peer_certificates.first().map(|c| c.as_ref().to_vec()),
        app_received: d.app_received,
    })
}

fn check_output(d: &mut Driver, recorded: &[u8], pos: &mut usize) -> Result<(), String> {
    let out = d.take_output();
    let want = recorded.get(*pos..).unwrap_or_default();
    if let Some(i) = out.iter().zip(want).position(|(a, b)| a != b) {
        let at = *pos + i;
        return Err(format!(
            "client byte {at} ({}) differs from the recording: wrote {:02x}, recorded {:02x}",
            locate(recorded, at),
            out[i],
            want[i]
        ));
    }
    if out.len() > want.len() {
        return Err(format!(
            "the client wrote {} bytes past the end of the recording",
            out.len() - want.len()
        ));
    }
    *pos += out.len();
    Ok(())
}

/// "record N, offset K" for byte `at` of a record stream.
fn locate(stream: &[u8], at: usize) -> String {
    let mut start = 0;
    for (i, r) in split_records(stream).iter().enumerate() {
        if at < start + r.len() {
            return format!("record {}, offset {}", i + 1, at - start);
        }
        start += r.len();
    }
    "past the last record".to_owned()
}

/// Splits a TLS record stream into records (5-byte header + length); a trailing partial
/// record comes out as one last piece.
#[must_use]
pub fn split_records(mut stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !stream.is_empty() {
        let len = match stream.get(3..5) {
            Some(&[hi, lo]) => 5 + usize::from(u16::from_be_bytes([hi, lo])),
            _ => stream.len(),
        };
        let (r, rest) = stream.split_at(len.min(stream.len()));
        out.push(r);
        stream = rest;
    }
    out
}

fn render_records(s: &mut String, stream: &[u8], version: ProtocolVersion) {
    let mut after_ccs = false;
    for (i, r) in split_records(stream).into_iter().enumerate() {
        let typ = ContentType::from(r[0]);
        let len = r.len().saturating_sub(5);
        let unit = if len == 1 { "byte" } else { "bytes" };
        let _ = write!(s, "# record {}: {typ}, {len} {unit}", i + 1);
        if r.len() < 5 {
            s.push_str(" (incomplete)\n");
            push_hex_lines(s, r);
            continue;
        }
        let body = &r[5..];
        // Plaintext handshake records: name the messages. In TLS 1.2 a handshake record after
        // ChangeCipherSpec is encrypted (Finished); in TLS 1.3 encrypted records are always
        // application_data on the outside.
        let plaintext = version == ProtocolVersion::TLSv1_3 || !after_ccs;
        if typ == ContentType::Handshake && plaintext {
            let mut names: Vec<String> = handshake_types(body)
                .into_iter()
                .map(|t| t.to_string())
                .collect();
            // RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest.
            if body.get(6..38) == Some(&HRR_RANDOM[..]) {
                if let Some(first) = names.first_mut() {
                    first.push_str(" (HelloRetryRequest)");
                }
            }
            let _ = write!(s, ": {}", names.join(", "));
        } else if typ == ContentType::ApplicationData || typ == ContentType::Handshake {
            s.push_str(" (encrypted)");
        }
        if typ == ContentType::ChangeCipherSpec {
            after_ccs = true;
        }
        let _ = writeln!(
            s,
            "\n{:02x} {:02x}{:02x} {:02x}{:02x}",
            r[0], r[1], r[2], r[3], r[4]
        );
        push_hex_lines(s, body);
    }
}

/// RFC 8446 §4.1.3: the `random` of a HelloRetryRequest, SHA-256("HelloRetryRequest").
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

fn handshake_types(mut body: &[u8]) -> Vec<HandshakeType> {
    let mut out = Vec::new();
    while body.len() >= 4 {
        out.push(HandshakeType::from(body[0]));
        let len = usize::from(body[1]) << 16 | usize::from(body[2]) << 8 | usize::from(body[3]);
        body = body.get(4 + len..).unwrap_or_default();
    }
    out
}

fn push_hex_lines(s: &mut String, bytes: &[u8]) {
    for line in bytes.chunks(32) {
        for b in line {
            let _ = write!(s, "{b:02x}");
        }
        s.push('\n');
    }
}

/// Lowercase hex of `bytes`.
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Decodes hex, ignoring whitespace.
///
/// # Errors
/// On a non-hex character or an odd number of digits.
pub fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| match b {
            b'0'..=b'9' => Ok(b - b'0'),
            b'a'..=b'f' => Ok(b - b'a' + 10),
            b'A'..=b'F' => Ok(b - b'A' + 10),
            _ => Err(format!("not a hex digit: {:?}", char::from(b))),
        })
        .collect::<Result<_, _>>()?;
    if digits.len() % 2 != 0 {
        return Err("odd number of hex digits".to_owned());
    }
    Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

/// The header every golden file starts with, for `sc` (the recorder adds `peer`).
#[must_use]
pub fn scenario_header(sc: &Scenario) -> Vec<(String, String)> {
    let mut server = String::from("openssl s_server");
    for a in sc.server_args {
        server.push(' ');
        server.push_str(a);
    }
    server.push_str(
        " -cert server.der -certform DER -key server.key.der -keyform DER -rev -naccept 1",
    );
    vec![
        ("scenario".into(), sc.name.into()),
        ("about".into(), sc.about.into()),
        ("server_command".into(), server),
        (
            "client_config".into(),
            "provider::golden_client_config(ca.der), SNI localhost".into(),
        ),
        ("time".into(), FIXED_TIME_SECS.to_string()),
        ("version".into(), sc.version.to_string()),
        ("suite".into(), sc.suite.to_string()),
        ("group".into(), sc.group.to_string()),
        ("hello_retry".into(), sc.hello_retry.to_string()),
        ("app_sent".into(), to_hex(APP_LINE)),
        ("app_received".into(), to_hex(&expected_reply())),
    ]
}
