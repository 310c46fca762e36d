//! The handshake as a ladder diagram: an observer that records decoded messages, and renderers
//! for text (client column left, server column right) and JSON.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use clasp::conn::Negotiated;
use clasp::msgs::enums::AlertLevel;
use clasp::msgs::enums::{AlertDescription, ExtensionType, ProtocolVersion};
use clasp::msgs::handshake::{HandshakeMessage, HandshakePayload};
use clasp::suites::KeyExchange;
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer, Protection};

use crate::escape::printable;
use crate::i18n::{label, Lang, Msg};
use crate::x509;

/// One end of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The client.
    Client,
    /// The server.
    Server,
}

/// A field value.
#[derive(Debug, Clone)]
pub enum Value {
    /// One value.
    Text(String),
    /// A list of values.
    List(Vec<String>),
    /// A list of records (certificates).
    Records(Vec<Vec<(&'static str, String)>>),
    /// A phrase of ours, translated: the sentence of `Msg` with its `{}` replaced by the
    /// string (JSON keeps the English sentence).
    Said(Msg, String),
}

impl Value {
    /// A phrase of ours without an argument.
    #[must_use]
    pub fn said(m: Msg) -> Self {
        Self::Said(m, String::new())
    }
}

/// The sentence of `m` in `lang` with its `{}` replaced by `arg`.
#[must_use]
pub fn fill(m: Msg, lang: Lang, arg: &str) -> String {
    m.text(lang).replacen("{}", arg, 1)
}

/// One arrow in the ladder.
#[derive(Debug, Clone)]
pub struct Step {
    /// Who sent it.
    pub from: Peer,
    /// "ClientHello", "Finished", "TCP connect", …
    pub kind: String,
    /// The keys it travelled under; `None` for the TCP connect.
    pub protection: Option<Protection>,
    /// Decoded fields, in display order.
    pub fields: Vec<(&'static str, Value)>,
    /// What the step proves or establishes.
    pub note: Option<Msg>,
}

/// A ladder entry: an arrow, or a note that keys changed.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A message.
    Step(Step),
    /// `who` now sends under `to`.
    Keys {
        /// Whose sending keys changed.
        who: Peer,
        /// The new protection.
        to: Protection,
    },
}

/// What a message's explanation depends on besides its type and sender, learned from the
/// ClientHello and ServerHello as they pass (RFC 8446 §2 vs RFC 5246 §7.3 message flows).
#[derive(Debug, Default, Clone, Copy)]
struct Path {
    /// TLS 1.2 was negotiated.
    tls12: bool,
    /// The TLS 1.2 key exchange of the chosen suite.
    kx: Option<KeyExchange>,
    /// The server accepted the offered session (TLS 1.3 PSK, or a TLS 1.2 abbreviated handshake).
    resumed: bool,
    /// The TLS 1.3 group is a hybrid with ML-KEM (a KEM, not only Diffie-Hellman).
    kem: bool,
}

/// Public values of one handshake that `clasp demo --secrets` derives from: the randoms and the
/// handshake messages as sent (what the transcript hash covers). Nothing secret.
#[derive(Debug, Default, Clone)]
pub struct Transcript {
    /// ClientHello.random (of the last ClientHello).
    pub client_random: Vec<u8>,
    /// ServerHello.random.
    pub server_random: Vec<u8>,
    /// Every handshake message, in order, with its type name.
    pub messages: Vec<(String, Vec<u8>)>,
    /// The TLS 1.2 ServerHello carried extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
}

#[derive(Debug, Default)]
struct Inner {
    entries: Vec<Entry>,
    version: Option<ProtocolVersion>,
    path: Path,
    /// Keep the handshake bytes (`clasp demo --secrets` only: a server recording every visitor's
    /// ladder has no use for them).
    keep_transcript: bool,
    transcript: Transcript,
    offered_resumption: bool,
    /// The session ID of the last ClientHello (TLS 1.2 resumption echoes it, RFC 5077 §3.4).
    client_session_id: Vec<u8>,
    /// A client's recorder: every certificate of the server's last Certificate message, as
    /// received (the library's `peer_certificates()` is the verified path; the difference is
    /// what the server sent beyond it).
    received_certificates: Vec<Vec<u8>>,
}

/// Records trace events from one side's connection.
#[derive(Debug)]
pub struct Recorder {
    me: Peer,
    inner: Mutex<Inner>,
}

impl Recorder {
    /// A recorder for the connection of `me`.
    pub fn new(me: Peer) -> Arc<Self> {
        Arc::new(Self {
            me,
            inner: Mutex::new(Inner::default()),
        })
    }

    /// A recorder that also keeps the randoms and the handshake messages ([`Self::transcript`]).
    pub fn with_transcript(me: Peer) -> Arc<Self> {
        let r = Self::new(me);
        if let Ok(mut i) = r.inner.lock() {
            i.keep_transcript = true;
        }
        r
    }

    /// Adds a step not seen by the observer (TCP connect).
    pub fn push(&self, step: Step) {
        if let Ok(mut i) = self.inner.lock() {
            i.entries.push(Entry::Step(step));
        }
    }

    /// What was recorded so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.inner
            .lock()
            .map(|i| i.entries.clone())
            .unwrap_or_default()
    }

    /// Whether a recorded ClientHello offered to resume a session: a TLS 1.3 pre_shared_key,
    /// a non-empty TLS 1.2 session ticket (RFC 5077 §3.2), or a TLS 1.2-only hello carrying a
    /// session ID (RFC 5246 §7.4.1.2; a TLS 1.3 hello's session ID is compatibility filler).
    pub fn offered_resumption(&self) -> bool {
        self.inner.lock().is_ok_and(|i| i.offered_resumption)
    }

    /// The certificates of the last Certificate message received from the server (recorded on
    /// the client side only), verified or not, in the order sent.
    pub fn received_certificates(&self) -> Vec<Vec<u8>> {
        self.inner
            .lock()
            .map(|i| i.received_certificates.clone())
            .unwrap_or_default()
    }

    /// The randoms and handshake messages recorded so far.
    pub fn transcript(&self) -> Transcript {
        self.inner
            .lock()
            .map(|i| i.transcript.clone())
            .unwrap_or_default()
    }

    fn other(&self) -> Peer {
        match self.me {
            Peer::Client => Peer::Server,
            Peer::Server => Peer::Client,
        }
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> Value {
    Value::List(items.iter().map(ToString::to_string).collect())
}

/// A list of code points by their IANA names (also those clasp does not implement: a
/// browser's ClientHello on the server page offers many).
fn iana_list(items: impl Iterator<Item = u16>, name: fn(u16) -> &'static str) -> Value {
    Value::List(items.map(|v| crate::iana::show(v, name)).collect())
}

fn version_name(v: ProtocolVersion) -> String {
    // RFC 8701: browsers put GREASE into supported_versions too.
    if crate::iana::is_grease(v.0) {
        return crate::iana::show(v.0, crate::iana::group);
    }
    match v {
        ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        other => other.to_string(),
    }
}

/// RFC 8701 §2: the PskKeyExchangeMode GREASE values (0x0B + 0x1F·i) print as GREASE.
fn psk_mode_name(m: clasp::msgs::enums::PskKeyExchangeMode) -> String {
    if m.0 % 0x1f == 0x0b {
        format!("GREASE (0x{:02x})", m.0)
    } else {
        m.to_string()
    }
}

/// Whether a ClientHello carries any RFC 8701 GREASE value.
fn has_grease(ch: &clasp::msgs::handshake::ClientHello) -> bool {
    use crate::iana::is_grease;
    use clasp::msgs::extensions::ExtensionCodec as _;
    ch.cipher_suites.iter().any(|c| is_grease(c.0))
        || ch.extensions.iter().any(|e| is_grease(e.ext_type().0))
        || ch
            .supported_groups()
            .is_some_and(|g| g.iter().any(|g| is_grease(g.0)))
        || ch
            .supported_versions()
            .is_some_and(|v| v.iter().any(|v| is_grease(v.0)))
}

fn cert_records(certs: &[&[u8]]) -> Value {
    Value::Records(
        certs
            .iter()
            .map(|der| match x509::summarize(der) {
                Some(s) => vec![
                    ("subject", s.subject),
                    ("issuer", s.issuer),
                    ("valid", format!("{} .. {}", s.not_before, s.not_after)),
                    ("key", s.key),
                ],
                None => vec![("subject", "(unparsed)".to_string())],
            })
            .collect(),
    )
}

/// Decodes the key fields of a handshake message.
#[allow(clippy::too_many_lines)]
fn describe(
    msg: &HandshakeMessage,
    from: Peer,
    path: Path,
) -> (String, Vec<(&'static str, Value)>, Option<Msg>) {
    let mut f: Vec<(&'static str, Value)> = Vec::new();
    let (kind, note) = match msg.payload() {
        HandshakePayload::ClientHello(ch) => {
            if let Some(v) = ch.supported_versions() {
                f.push((
                    "versions",
                    Value::List(v.iter().map(|v| version_name(*v)).collect()),
                ));
            } else {
                f.push((
                    "versions",
                    Value::List(vec![version_name(ch.legacy_version)]),
                ));
            }
            f.push((
                "cipher_suites",
                iana_list(
                    ch.cipher_suites.iter().map(|c| c.0),
                    crate::iana::cipher_suite,
                ),
            ));
            if let Some(g) = ch.supported_groups() {
                f.push((
                    "groups",
                    iana_list(g.iter().map(|g| g.0), crate::iana::group),
                ));
            }
            if let Some(ks) = ch.key_shares() {
                f.push((
                    "key_shares",
                    Value::List(
                        ks.iter()
                            .map(|k| {
                                format!(
                                    "{} ({} B)",
                                    crate::iana::show(k.group.0, crate::iana::group),
                                    k.key_exchange.len()
                                )
                            })
                            .collect(),
                    ),
                ));
            }
            if let Some(s) = ch.signature_algorithms() {
                f.push((
                    "signature_algorithms",
                    iana_list(s.iter().map(|s| s.0), crate::iana::signature_scheme),
                ));
            }
            if let Some(a) = ch.alpn_protocols() {
                f.push((
                    "alpn",
                    Value::List(
                        a.iter()
                            .map(|p| String::from_utf8_lossy(&p.0).into_owned())
                            .collect(),
                    ),
                ));
            }
            if let Some(n) = ch.server_name() {
                f.push(("server_name", Value::Text(n.to_string())));
            }
            if ch.find_extension(ExtensionType::EarlyData).is_some() {
                f.push(("early_data", Value::said(Msg::ValOffered)));
            }
            if let Some(modes) = ch.psk_modes() {
                f.push((
                    "psk_modes",
                    Value::List(modes.iter().map(|m| psk_mode_name(*m)).collect()),
                ));
            }
            // RFC 8701: say what the GREASE values are for, when the hello carries some.
            if has_grease(ch) {
                f.push(("grease", Value::said(Msg::ValGrease)));
            }
            // RFC 8446 §4.2.11: pre_shared_key is the last extension; its identities are the
            // tickets the client holds for this server.
            let ticket = ch.session_ticket();
            if let Some(t) = ticket {
                // RFC 5077 §3.2: empty asks for a ticket, non-empty presents one.
                let v = if t.is_empty() {
                    Value::said(Msg::ValRequested)
                } else {
                    Value::Said(Msg::ValResuming, t.len().to_string())
                };
                f.push(("session_ticket", v));
            }
            if let Some(psk) = ch.psk() {
                f.push((
                    "psk_identities",
                    Value::Text(psk.identities.len().to_string()),
                ));
                ("ClientHello", Msg::ClientHelloResume)
            } else if ticket.is_some_and(|t| !t.is_empty())
                || (ch.supported_versions().is_none() && !ch.legacy_session_id.is_empty())
            {
                ("ClientHello", Msg::ClientHelloResume12)
            } else if ch.key_shares().is_some() {
                ("ClientHello", Msg::ClientHello)
            } else {
                // RFC 5246 §7.4.1.2: a TLS 1.2 hello carries no key exchange.
                ("ClientHello", Msg::ClientHello12)
            }
        }
        HandshakePayload::ServerHello(sh) => {
            let v = sh.selected_version().unwrap_or(sh.legacy_version);
            f.push(("version", Value::Text(version_name(v))));
            f.push(("cipher_suite", Value::Text(sh.cipher_suite.to_string())));
            if sh.is_hello_retry_request() {
                if let Some(g) = sh.hrr_selected_group() {
                    f.push((
                        "key_share",
                        Value::Said(Msg::ValGroupRequested, g.to_string()),
                    ));
                }
                ("HelloRetryRequest", Msg::HelloRetryRequest)
            } else {
                if let Some(k) = sh.key_share() {
                    f.push((
                        "key_share",
                        Value::Text(format!("{} ({} B)", k.group, k.key_exchange.len())),
                    ));
                }
                if let Some(a) = sh.alpn_protocol() {
                    f.push((
                        "alpn",
                        Value::List(
                            a.iter()
                                .map(|p| String::from_utf8_lossy(&p.0).into_owned())
                                .collect(),
                        ),
                    ));
                }
                // RFC 8446 §4.2.11: the server names the PSK identity it accepted.
                if let Some(i) = sh.psk_selected_identity() {
                    f.push(("psk", Value::Said(Msg::ValIdentityAccepted, i.to_string())));
                    ("ServerHello", Msg::ServerHelloResume)
                } else if path.resumed {
                    ("ServerHello", Msg::ServerHelloResume12)
                } else if path.tls12 {
                    // RFC 5246 §7.4.1.3: the suite fixes the key exchange that follows.
                    match path.kx {
                        Some(KeyExchange::Rsa) => ("ServerHello", Msg::ServerHello12Rsa),
                        Some(KeyExchange::Dhe) => ("ServerHello", Msg::ServerHello12Dhe),
                        _ => ("ServerHello", Msg::ServerHello12Ecdhe),
                    }
                } else if path.kem {
                    ("ServerHello", Msg::ServerHelloKem)
                } else {
                    ("ServerHello", Msg::ServerHello)
                }
            }
        }
        HandshakePayload::EncryptedExtensions(ee) => {
            use clasp::msgs::extensions::EncryptedExtension as E;
            for e in &ee.extensions {
                match e {
                    E::Alpn(p) => f.push((
                        "alpn",
                        Value::List(
                            p.iter()
                                .map(|p| String::from_utf8_lossy(&p.0).into_owned())
                                .collect(),
                        ),
                    )),
                    E::ServerNameAck => {
                        f.push(("server_name", Value::said(Msg::ValAcknowledged)));
                    }
                    E::SupportedGroups(g) => f.push(("groups", list(g))),
                    _ => {}
                }
            }
            // RFC 8446 §4.2.10: an empty early_data extension here accepts the 0-RTT data.
            if ee.early_data_accepted() {
                f.push(("early_data", Value::said(Msg::ValAccepted)));
            }
            ("EncryptedExtensions", Msg::EncryptedExtensions)
        }
        HandshakePayload::CertificateTls13(c) => {
            let ders: Vec<&[u8]> = c
                .certificate_list
                .iter()
                .map(|e| e.cert_data.as_ref())
                .collect();
            f.push(("certificates", cert_records(&ders)));
            // RFC 8446 §4.4.2.1: a stapled OCSP response rides in the end-entity's entry.
            if let Some(n) = c.certificate_list.first().and_then(|e| {
                e.extensions.iter().find_map(|x| match x {
                    clasp::msgs::extensions::CertificateExtension::CertificateStatus(s) => {
                        Some(s.ocsp_response.len())
                    }
                    _ => None,
                })
            }) {
                f.push(("ocsp_staple", Value::Text(format!("{n} bytes"))));
            }
            let note = if from == Peer::Server {
                Msg::ServerCertificate
            } else {
                Msg::ClientCertificate
            };
            ("Certificate", note)
        }
        // RFC 8879 §4: the Certificate, compressed; shown decompressed, with what it saved.
        HandshakePayload::CompressedCertificate(cc) => {
            f.push((
                "compression",
                Value::Said(
                    Msg::ValCompressed,
                    format!(
                        "{}: {} → {}",
                        cc.algorithm,
                        cc.uncompressed_length,
                        cc.compressed.len()
                    ),
                ),
            ));
            match cc.decompress() {
                Ok(c) => {
                    let ders: Vec<&[u8]> = c
                        .certificate_list
                        .iter()
                        .map(|e| e.cert_data.as_ref())
                        .collect();
                    f.push(("certificates", cert_records(&ders)));
                }
                Err(e) => f.push(("certificates", Value::Text(e.to_string()))),
            }
            let note = if from == Peer::Server {
                Msg::ServerCertificate
            } else {
                Msg::ClientCertificate
            };
            ("CompressedCertificate", note)
        }
        HandshakePayload::CertificateTls12(c) => {
            let ders: Vec<&[u8]> = c.certificate_list.iter().map(AsRef::as_ref).collect();
            f.push(("certificates", cert_records(&ders)));
            let note = if from == Peer::Client {
                Msg::ClientCertificate
            } else if path.kx == Some(KeyExchange::Rsa) {
                // RFC 5246 §7.4.7.1: the pre-master secret is encrypted to this key.
                Msg::ServerCertificateRsaKx
            } else {
                Msg::ServerCertificate
            };
            ("Certificate", note)
        }
        HandshakePayload::CertificateRequestTls13(r) => {
            if let Some(s) = r.signature_algorithms() {
                f.push(("signature_algorithms", list(s)));
            }
            ("CertificateRequest", Msg::CertificateRequest)
        }
        HandshakePayload::CertificateRequestTls12(_) => {
            ("CertificateRequest", Msg::CertificateRequest)
        }
        HandshakePayload::CertificateVerify(ds) => {
            f.push(("signature_scheme", Value::Text(ds.scheme.to_string())));
            f.push(("signature_len", Value::Text(ds.signature.len().to_string())));
            let note = if from == Peer::Server {
                Msg::ServerCertificateVerify
            } else {
                Msg::ClientCertificateVerify
            };
            ("CertificateVerify", note)
        }
        HandshakePayload::ServerKeyExchange(_) => {
            f.push((
                "length",
                Value::Text(msg.encoded().len().saturating_sub(4).to_string()),
            ));
            // RFC 8422 §5.4 (ECDHE) / RFC 5246 §7.4.3 (DHE): the server's signed parameters.
            let note = if path.kx == Some(KeyExchange::Dhe) {
                Msg::ServerKeyExchangeDhe
            } else {
                Msg::ServerKeyExchangeEcdhe
            };
            ("ServerKeyExchange", note)
        }
        HandshakePayload::CertificateStatus(s) => {
            f.push((
                "ocsp_staple",
                Value::Text(format!("{} bytes", s.ocsp_response.len())),
            ));
            ("CertificateStatus", Msg::CertificateStatus)
        }
        HandshakePayload::ServerHelloDone => ("ServerHelloDone", Msg::ServerHelloDone),
        HandshakePayload::ClientKeyExchange(_) => {
            f.push((
                "length",
                Value::Text(msg.encoded().len().saturating_sub(4).to_string()),
            ));
            let note = match path.kx {
                Some(KeyExchange::Rsa) => Msg::ClientKeyExchangeRsa,
                Some(KeyExchange::Dhe) => Msg::ClientKeyExchangeDhe,
                _ => Msg::ClientKeyExchangeEcdhe,
            };
            ("ClientKeyExchange", note)
        }
        HandshakePayload::Finished(fin) => {
            f.push((
                "verify_data_len",
                Value::Text(fin.verify_data.len().to_string()),
            ));
            // Who finishes first: TLS 1.3 and a TLS 1.2 resumption, the server (RFC 8446 §2,
            // RFC 5246 §7.3 Figure 2); a full TLS 1.2 handshake, the client (Figure 1).
            let note = match (path.tls12, path.resumed, from) {
                (false, true, Peer::Server) => Msg::ServerFinishedResumed,
                (false, false, Peer::Server) => Msg::ServerFinished,
                (false, _, Peer::Client) => Msg::ClientFinished,
                (true, true, Peer::Server) => Msg::ServerFinished12Resumed,
                (true, true, Peer::Client) => Msg::ClientFinished12Resumed,
                (true, false, Peer::Client) => Msg::ClientFinished12,
                (true, false, Peer::Server) => {
                    if path.kx == Some(KeyExchange::Rsa) {
                        Msg::ServerFinished12Rsa
                    } else {
                        Msg::ServerFinished12
                    }
                }
            };
            ("Finished", note)
        }
        HandshakePayload::NewSessionTicketTls13(t) => {
            f.push(("lifetime_s", Value::Text(t.ticket_lifetime.to_string())));
            if let Some(n) = t.max_early_data_size() {
                f.push(("max_early_data", Value::Text(n.to_string())));
            }
            ("NewSessionTicket", Msg::NewSessionTicket)
        }
        HandshakePayload::NewSessionTicketTls12(_) => ("NewSessionTicket", Msg::NewSessionTicket12),
        HandshakePayload::EndOfEarlyData => ("EndOfEarlyData", Msg::EndOfEarlyData),
        other => return (format!("{}", other.typ()), f, None),
    };
    (kind.to_string(), f, Some(note))
}

impl Observer for Recorder {
    fn on_event(&self, event: &HandshakeEvent<'_>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let from = match event.direction {
            Direction::Sent => self.me,
            Direction::Received => self.other(),
        };
        let tls13 = inner.version != Some(ProtocolVersion::TLSv1_2);
        let step = match event.kind {
            EventKind::Handshake(msg) => {
                if inner.keep_transcript {
                    inner
                        .transcript
                        .messages
                        .push((msg.payload().typ().to_string(), msg.encoded().to_vec()));
                }
                if let HandshakePayload::ClientHello(ch) = msg.payload() {
                    inner.transcript.client_random = ch.random.to_vec();
                    inner.client_session_id.clone_from(&ch.legacy_session_id);
                    inner.offered_resumption = ch.psk().is_some()
                        || ch.session_ticket().is_some_and(|t| !t.is_empty())
                        || (ch.supported_versions().is_none() && !ch.legacy_session_id.is_empty());
                }
                if self.me == Peer::Client && event.direction == Direction::Received {
                    let sent: Option<Vec<Vec<u8>>> = match msg.payload() {
                        HandshakePayload::CertificateTls13(c) => Some(
                            c.certificate_list
                                .iter()
                                .map(|e| e.cert_data.as_ref().to_vec())
                                .collect(),
                        ),
                        HandshakePayload::CertificateTls12(c) => Some(
                            c.certificate_list
                                .iter()
                                .map(|d| d.as_ref().to_vec())
                                .collect(),
                        ),
                        HandshakePayload::CompressedCertificate(cc) => {
                            cc.decompress().ok().map(|c| {
                                c.certificate_list
                                    .iter()
                                    .map(|e| e.cert_data.as_ref().to_vec())
                                    .collect()
                            })
                        }
                        _ => None,
                    };
                    if let Some(certs) = sent {
                        inner.received_certificates = certs;
                    }
                }
                if let HandshakePayload::ServerHello(sh) = msg.payload() {
                    inner.version = Some(sh.selected_version().unwrap_or(sh.legacy_version));
                    if !sh.is_hello_retry_request() {
                        inner.transcript.server_random = sh.random.to_vec();
                    }
                    inner.transcript.extended_master_secret = sh
                        .find_extension(ExtensionType::ExtendedMasterSecret)
                        .is_some();
                    inner.path.tls12 = inner.version == Some(ProtocolVersion::TLSv1_2);
                    inner.path.kx = clasp::suites::lookup(sh.cipher_suite).map(|s| s.kx);
                    inner.path.kem = sh
                        .key_share()
                        .is_some_and(|k| k.group.name().is_some_and(|n| n.contains("MLKEM")));
                    // RFC 5246 §7.4.1.3 / RFC 5077 §3.4: a TLS 1.2 server that resumes echoes
                    // the client's session ID.
                    let tls12_resumed = sh.selected_version().is_none()
                        && !sh.legacy_session_id_echo.is_empty()
                        && sh.legacy_session_id_echo == inner.client_session_id;
                    inner.path.resumed = sh.psk_selected_identity().is_some() || tls12_resumed;
                }
                let (kind, fields, note) = describe(msg, from, inner.path);
                Step {
                    from,
                    kind,
                    protection: Some(event.protection),
                    fields,
                    note,
                }
            }
            EventKind::ChangeCipherSpec => Step {
                from,
                kind: "ChangeCipherSpec".into(),
                // RFC 8446 §5: a TLS 1.3 change_cipher_spec record is always plaintext (the
                // library reports the current receive keys for it).
                protection: Some(if tls13 {
                    Protection::Plaintext
                } else {
                    event.protection
                }),
                fields: Vec::new(),
                note: Some(if tls13 { Msg::CcsCompat } else { Msg::CcsTls12 }),
            },
            EventKind::Alert(level, desc) => Step {
                from,
                kind: if desc == AlertDescription::CloseNotify {
                    "Alert (close_notify)".into()
                } else {
                    "Alert".into()
                },
                protection: Some(event.protection),
                fields: vec![
                    (
                        "level",
                        Value::said(if level == AlertLevel::Fatal {
                            Msg::LevelFatal
                        } else {
                            Msg::LevelWarning
                        }),
                    ),
                    ("description", Value::Text(desc.to_string())),
                ],
                note: Some(if desc == AlertDescription::CloseNotify {
                    Msg::CloseNotify
                } else {
                    Msg::Alert
                }),
            },
            EventKind::ApplicationData(n) => Step {
                from,
                kind: "ApplicationData".into(),
                protection: Some(event.protection),
                fields: vec![("bytes", Value::Text(n.to_string()))],
                note: Some(if event.protection == Protection::EarlyData {
                    Msg::EarlyData
                } else if inner.path.tls12 {
                    Msg::ApplicationData12
                } else {
                    Msg::ApplicationData
                }),
            },
            EventKind::KeysChanged {
                direction: Direction::Sent,
                to,
            } => {
                inner.entries.push(Entry::Keys { who: self.me, to });
                return;
            }
            _ => return,
        };
        inner.entries.push(Entry::Step(step));
    }
}

/// Whether a protection level means encrypted.
pub fn is_encrypted(p: Option<Protection>) -> bool {
    matches!(p, Some(p) if p != Protection::Plaintext)
}

fn protection_name(p: Option<Protection>) -> &'static str {
    match p {
        None => "none",
        Some(Protection::Plaintext) => "plaintext",
        Some(Protection::EarlyData) => "early_data",
        Some(Protection::HandshakeKeys) => "handshake",
        Some(Protection::ApplicationKeys) => "application",
        Some(_) => "other",
    }
}

/// Terminal styling (only when stdout/stderr is a terminal and `NO_COLOR` is unset).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit ANSI colours.
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// Bold.
    pub fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Dim.
    pub fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    /// Green.
    pub fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Cyan.
    pub fn cyan(self, s: &str) -> String {
        self.paint("36", s)
    }
    /// Yellow.
    pub fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
}

const WIDTH: usize = 66;

fn arrow(step: &Step, lang: Lang, st: Style) -> String {
    let lock = if is_encrypted(step.protection) {
        " 🔒"
    } else {
        ""
    };
    let name = format!(" {}{} ", printable(&step.kind), lock);
    let name_w = name.chars().count() + usize::from(!lock.is_empty()); // the emoji is 2 columns wide
    let pad = WIDTH.saturating_sub(name_w + 3);
    let _ = lang;
    let line = match step.from {
        Peer::Client => format!("├──{}{}▶│", st.bold(&name), "─".repeat(pad)),
        Peer::Server => format!("│◀{}{}──┤", "─".repeat(pad), st.bold(&name)),
    };
    format!("    {line}")
}

/// Whether the recorded handshake is TLS 1.2 (its ServerHello chose it).
fn is_tls12(entries: &[Entry]) -> bool {
    entries.iter().any(|e| {
        matches!(e, Entry::Step(s) if s.kind == "ServerHello"
            && s.fields.iter().any(|(k, v)| *k == "version" && matches!(v, Value::Text(t) if t == "TLS 1.2")))
    })
}

/// The keys a step travelled under, for people: TLS 1.2 has one set of record keys from the key
/// block (RFC 5246 §6.3), TLS 1.3 a key per stage (RFC 8446 §7.3).
fn protection_text(p: Option<Protection>, tls12: bool, lang: Lang) -> String {
    let m = match p {
        Some(Protection::EarlyData) => Msg::ProtEarly,
        Some(Protection::HandshakeKeys) => Msg::ProtHandshake,
        Some(_) if tls12 => Msg::ProtSession12,
        _ => Msg::ProtApplication,
    };
    m.text(lang).to_string()
}

/// Renders the ladder as text.
pub fn render_text(entries: &[Entry], lang: Lang, st: Style) -> String {
    let mut out = String::new();
    let tls12 = is_tls12(entries);
    let c = Msg::Client.text(lang);
    let s = Msg::Server.text(lang);
    let gap = (WIDTH + 4).saturating_sub(c.chars().count() + 2);
    let _ = writeln!(out, "  {}{}{}", st.bold(c), " ".repeat(gap), st.bold(s));
    for e in entries {
        match e {
            Entry::Keys { who, to } => {
                let msg = match to {
                    Protection::HandshakeKeys => Msg::KeysHandshake,
                    Protection::ApplicationKeys if tls12 => Msg::KeysTls12,
                    Protection::ApplicationKeys => Msg::KeysApplication,
                    Protection::EarlyData => Msg::KeysEarly,
                    _ => continue,
                };
                let who = if *who == Peer::Client { c } else { s };
                let _ = writeln!(
                    out,
                    "    │ {}",
                    st.dim(&format!("· {who}: {}", msg.text(lang)))
                );
            }
            Entry::Step(step) => {
                let _ = writeln!(out, "    │{}│", " ".repeat(WIDTH));
                let _ = writeln!(out, "{}", arrow(step, lang, st));
                let prot = if step.protection.is_none() {
                    String::new()
                } else if is_encrypted(step.protection) {
                    format!(
                        "[{}: {}]",
                        Msg::Encrypted.text(lang),
                        protection_text(step.protection, tls12, lang)
                    )
                } else {
                    format!("[{}]", Msg::Plaintext.text(lang))
                };
                if !prot.is_empty() {
                    let _ = writeln!(out, "    │   {}", st.dim(&prot));
                }
                for (k, v) in &step.fields {
                    match v {
                        // Field values may carry peer-chosen text (names, ALPN, SNI): never
                        // raw control characters on the terminal.
                        Value::Text(t) => {
                            let _ = writeln!(
                                out,
                                "    │   {}: {}",
                                label(k, lang),
                                st.cyan(&printable(t))
                            );
                        }
                        Value::List(l) => {
                            let _ = writeln!(
                                out,
                                "    │   {}: {}",
                                label(k, lang),
                                st.cyan(&printable(&l.join(", ")))
                            );
                        }
                        Value::Said(m, arg) => {
                            let _ = writeln!(
                                out,
                                "    │   {}: {}",
                                label(k, lang),
                                st.cyan(&printable(&fill(*m, lang, arg)))
                            );
                        }
                        Value::Records(rs) => {
                            let _ = writeln!(out, "    │   {}:", label(k, lang));
                            for (i, r) in rs.iter().enumerate() {
                                for (j, (rk, rv)) in r.iter().enumerate() {
                                    let bullet = if j == 0 {
                                        format!("[{i}]")
                                    } else {
                                        "   ".into()
                                    };
                                    let _ = writeln!(
                                        out,
                                        "    │     {bullet} {}: {}",
                                        label(rk, lang),
                                        st.cyan(&printable(rv))
                                    );
                                }
                            }
                        }
                    }
                }
                if let Some(n) = step.note {
                    let _ = writeln!(out, "    │   {}", st.green(&format!("⇒ {}", n.text(lang))));
                }
            }
        }
    }
    let _ = writeln!(out, "    │{}│", " ".repeat(WIDTH));
    out
}

/// Renders what was negotiated as `(key, value)` pairs.
pub fn negotiated_fields(n: &Negotiated) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(x) = n.version {
        v.push(("version", version_name(x)));
    }
    if let Some(x) = n.cipher_suite {
        v.push(("cipher_suite", x.to_string()));
    }
    if let Some(x) = n.group {
        v.push(("group", x.to_string()));
    }
    if let Some(x) = n.signature_scheme {
        v.push(("signature_scheme", x.to_string()));
    }
    v.push((
        "alpn",
        n.alpn_protocol.as_ref().map_or_else(
            || "none".to_string(),
            |a| String::from_utf8_lossy(a).into_owned(),
        ),
    ));
    if let Some(x) = &n.server_name {
        v.push(("server_name", x.clone()));
    }
    v.push(("resumed", n.resumed.to_string()));
    // RFC 8446 §2.2: an external PSK authenticated the handshake (no certificate).
    if let Some(id) = &n.external_psk_identity {
        v.push(("external_psk", String::from_utf8_lossy(id).into_owned()));
    }
    // RFC 8446 §4.2.9: psk_ke (no forward secrecy) or psk_dhe_ke.
    if let Some(m) = n.psk_key_exchange_mode {
        v.push(("psk_mode", m.to_string()));
    }
    v.push(("hello_retry", n.hello_retry.to_string()));
    if let Some(a) = n.early_data_accepted {
        v.push(("early_data_accepted", a.to_string()));
    }
    // RFC 6066 §8 / RFC 8446 §4.4.2.1: an OCSP response was stapled (sent or received).
    v.push(("ocsp_stapled", n.ocsp_stapled.to_string()));
    // RFC 8879: the server's chain travelled as a CompressedCertificate.
    if let Some(a) = n.certificate_compression {
        v.push(("certificate_compression", a.to_string()));
    }
    v
}

/// Negotiated keys whose values are JSON booleans rather than strings.
const BOOLEAN_KEYS: [&str; 4] = [
    "resumed",
    "hello_retry",
    "early_data_accepted",
    "ocsp_stapled",
];

/// Escapes `s` as a JSON string.
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            // Every control (C0, DEL, C1) and bidi control: raw, they reach a terminal that
            // shows the JSON (RFC 8259 §7 allows any character to be escaped).
            c if crate::escape::needs_escape(c) => {
                let _ = write!(o, "\\u{:04x}", u32::from(c));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_value(v: &Value) -> String {
    match v {
        Value::Text(t) => json_str(t),
        Value::Said(m, arg) => json_str(&fill(*m, Lang::En, arg)),
        Value::List(l) => format!(
            "[{}]",
            l.iter().map(|s| json_str(s)).collect::<Vec<_>>().join(",")
        ),
        Value::Records(rs) => format!(
            "[{}]",
            rs.iter()
                .map(|r| format!(
                    "{{{}}}",
                    r.iter()
                        .map(|(k, v)| format!("{}:{}", json_str(k), json_str(v)))
                        .collect::<Vec<_>>()
                        .join(",")
                ))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// One handshake as a JSON object: `{"messages":[…],"negotiated":{…}}`.
pub fn render_json(entries: &[Entry], negotiated: &[(&'static str, String)], lang: Lang) -> String {
    let msgs: Vec<String> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Step(s) if s.protection.is_some() => Some(s),
            _ => None,
        })
        .map(|s| {
            let dir = match s.from {
                Peer::Client => "client->server",
                Peer::Server => "server->client",
            };
            let fields = s
                .fields
                .iter()
                .map(|(k, v)| format!("{}:{}", json_str(k), json_value(v)))
                .collect::<Vec<_>>()
                .join(",");
            format!(
                "{{\"direction\":{},\"type\":{},\"protection\":{},\"encrypted\":{},\"fields\":{{{}}},\"explanation\":{}}}",
                json_str(dir),
                json_str(&s.kind),
                json_str(protection_name(s.protection)),
                is_encrypted(s.protection),
                fields,
                s.note.map_or_else(|| "null".to_string(), |n| json_str(n.text(lang))),
            )
        })
        .collect();
    let neg = negotiated
        .iter()
        .map(|(k, v)| {
            let value = if BOOLEAN_KEYS.contains(k) && (v == "true" || v == "false") {
                v.clone()
            } else {
                json_str(v)
            };
            format!("{}:{}", json_str(k), value)
        })
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "{{\"messages\":[{}],\"negotiated\":{{{}}}}}",
        msgs.join(","),
        neg
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile_step() -> Entry {
        Entry::Step(Step {
            from: Peer::Server,
            kind: "EncryptedExtensions".into(),
            protection: Some(Protection::HandshakeKeys),
            fields: vec![
                ("alpn", Value::List(vec!["h2\u{1b}]0;x\u{7}".into()])),
                ("server_name", Value::Text("a\u{9b}2J".into())),
                (
                    "certificates",
                    Value::Records(vec![vec![("subject", "CN=\u{1b}[31mred".into())]]),
                ),
            ],
            note: None,
        })
    }

    #[test]
    fn text_ladder_escapes_peer_fields() {
        let out = render_text(&[hostile_step()], Lang::En, Style { color: false });
        assert!(!out.chars().any(|c| c != '\n' && c.is_control()), "{out}");
        assert!(out.contains("h2\\x1b]0;x\\x07"), "{out}");
        assert!(out.contains("a\\x9b2J"), "{out}");
        assert!(out.contains("CN=\\x1b[31mred"), "{out}");
    }

    #[test]
    fn json_escapes_every_control() {
        assert_eq!(
            json_str("a\u{1b}\u{7f}\u{9b}\u{202e}\"\\"),
            "\"a\\u001b\\u007f\\u009b\\u202e\\\"\\\\\""
        );
        let out = render_json(&[hostile_step()], &[], Lang::En);
        assert!(!out.chars().any(char::is_control), "{out}");
        assert!(out.contains("h2\\u001b]0;x\\u0007"), "{out}");
    }
}
