//! `clasp demo --steal-key`: forward secrecy shown by attack (issue 16 item 2).
//!
//! The attacker recorded the demo's bytes on the wire (the [`crate::wire`] tap) and later steals
//! the server's private key. Nothing else: no key log, no access to either endpoint's memory.
//!
//! With TLS 1.2 RSA key transport (RFC 5246 §7.4.7.1) the client encrypted the pre-master secret
//! to the server's certificate key, so the stolen key opens it: the attack decrypts the recorded
//! ClientKeyExchange (RSA PKCS#1 v1.5, aws-lc through the library's key provider), derives the
//! master secret (RFC 5246 §8.1, or RFC 7627 §4 with the session hash when EMS was negotiated)
//! and the key block (RFC 5246 §6.3) with the library's own TLS 1.2 key schedule, and opens the
//! recorded records with the library's record layer (AES-GCM, RFC 5288). With ECDHE, DHE and
//! TLS 1.3 the key only signed (RFC 5246 §7.4.3, RFC 8446 §4.4.3); the secrets came from
//! ephemeral private values that were never stored, so the same attempt ends with
//! [`Outcome::NoKeyTransport`].
//!
//! Nothing here is re-implemented: the PRF, key block and record decryption are the library's,
//! reached through `clasp::recorded::Tls12Recording`, its one deliberate route for opening a
//! recorded TLS 1.2 connection from a secret the caller already holds (here: the pre-master
//! secret the provider's RSA decryption gave). No key or IV bytes leave the library; the
//! recovered master secret stays opaque ([`Tls12MasterSecret`]).

use clasp::crypto::aws_lc::default_provider;
use clasp::crypto::SharedSecret;
use clasp::msgs::enums::{CipherSuite, ContentType, ExtensionType, ProtocolVersion};
use clasp::msgs::handshake::{HandshakeMessage, HandshakePayload};
use clasp::recorded::{Sender, Tls12MasterSecret, Tls12Recording};
use clasp::suites::{self, KeyExchange};
use rustls_pki_types::PrivateKeyDer;
use serde_json::{json, Value as Json};

use crate::escape::printable;
use crate::i18n::{Lang, WireMsg};
use crate::ladder::Style;
use crate::wire::{Dir, Observation};

/// Why the stolen key does not open the session: the key exchange was ephemeral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ephemeral {
    /// TLS 1.3: (EC)DHE always (RFC 8446 §2); the certificate key only signs CertificateVerify.
    Tls13,
    /// TLS 1.2 ECDHE (RFC 8422 §2): the server's key signed its ephemeral share.
    Ecdhe,
    /// TLS 1.2 DHE (RFC 5246 §7.4.3): likewise.
    Dhe,
}

/// Why the attack could not even start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No ClientHello or ServerHello was recorded.
    NoHellos,
    /// The ServerHello names a suite this build does not know.
    UnknownSuite(CipherSuite),
    /// An abbreviated (resumed) handshake whose session was not recovered first.
    ResumedUnknownSession,
    /// The stolen key is not an RSA key, or does not decrypt the pre-master secret.
    KeyDoesNotDecrypt,
    /// The library refused a derivation or a record (a record that fails to authenticate).
    Library,
}

/// What the recorded bytes and the stolen key gave.
#[derive(Debug)]
pub enum Outcome {
    /// The session's traffic, decrypted.
    Recovered(Recovered),
    /// No key transport: the stolen key cannot open this session.
    NoKeyTransport(Ephemeral),
    /// The attack could not be carried out.
    Failed(Failure),
}

/// A session opened with the stolen key.
#[derive(Debug)]
pub struct Recovered {
    /// The suite.
    pub suite: CipherSuite,
    /// The master secret came from RFC 7627's session hash.
    pub ems: bool,
    /// An abbreviated handshake, opened with the master secret recovered from an earlier one.
    pub resumed: bool,
    /// Application data the client sent, decrypted.
    pub client: Vec<u8>,
    /// Application data the server sent, decrypted.
    pub server: Vec<u8>,
    /// Records opened.
    pub records: usize,
    /// The master secret (kept for a later resumed session of the same recording).
    pub master: Tls12MasterSecret,
}

fn messages(o: &Observation, dir: Dir) -> impl Iterator<Item = &crate::wire::Observed> {
    o.records
        .iter()
        .filter(move |r| r.dir == dir)
        .flat_map(|r| r.messages.iter())
}

fn decode(raw: &[u8]) -> Option<HandshakeMessage> {
    HandshakeMessage::read_version(raw, ProtocolVersion::TLSv1_2).ok()
}

/// The attack on one recorded connection. `earlier` is the master secret recovered from an
/// earlier connection of the same recording, which a TLS 1.2 abbreviated handshake reuses
/// (RFC 5246 §7.3).
pub fn attack(
    o: &Observation,
    stolen: &PrivateKeyDer<'static>,
    earlier: Option<&Tls12MasterSecret>,
) -> Outcome {
    let hello = |dir, want_client: bool| {
        messages(o, dir).find_map(|m| match decode(&m.raw)?.payload() {
            HandshakePayload::ClientHello(ch) if want_client => Some(ch.random),
            HandshakePayload::ServerHello(sh) if !want_client && !sh.is_hello_retry_request() => {
                Some(sh.random)
            }
            _ => None,
        })
    };
    let (Some(client_random), Some(server_random)) = (
        hello(Dir::ClientToServer, true),
        hello(Dir::ServerToClient, false),
    ) else {
        return Outcome::Failed(Failure::NoHellos);
    };
    let Some(sh) = messages(o, Dir::ServerToClient).find_map(|m| match decode(&m.raw)?.payload() {
        HandshakePayload::ServerHello(sh) if !sh.is_hello_retry_request() => Some(sh.clone()),
        _ => None,
    }) else {
        return Outcome::Failed(Failure::NoHellos);
    };
    if sh.selected_version() == Some(ProtocolVersion::TLSv1_3) {
        return Outcome::NoKeyTransport(Ephemeral::Tls13);
    }
    let Some(suite) = suites::lookup(sh.cipher_suite) else {
        return Outcome::Failed(Failure::UnknownSuite(sh.cipher_suite));
    };
    let ems = sh
        .find_extension(ExtensionType::ExtendedMasterSecret)
        .is_some();
    let provider = default_provider();

    // The handshake messages in the order they crossed the wire, up to and including the
    // ClientKeyExchange: RFC 7627 §3's session_hash input.
    let mut transcript = Vec::new();
    let mut cke = None;
    for m in o.records.iter().flat_map(|r| r.messages.iter()) {
        transcript.extend_from_slice(&m.raw);
        if let Some(d) = decode(&m.raw) {
            if let HandshakePayload::ClientKeyExchange(c) = d.payload() {
                cke = Some(c.clone());
                break;
            }
        }
    }

    let recording = match (cke, suite.kx) {
        (_, KeyExchange::Ecdhe) => return Outcome::NoKeyTransport(Ephemeral::Ecdhe),
        (_, KeyExchange::Dhe) => return Outcome::NoKeyTransport(Ephemeral::Dhe),
        (None, _) => {
            // RFC 5246 §7.3: an abbreviated handshake has no key exchange; its keys come from
            // the resumed session's master secret and the new randoms.
            let Some(ms) = earlier else {
                return Outcome::Failed(Failure::ResumedUnknownSession);
            };
            Tls12Recording::resumed(&provider, suite.suite, ms, client_random, server_random)
        }
        (Some(cke), _) => {
            // RFC 5246 §7.4.7.1: EncryptedPreMasterSecret under the server's RSA key.
            let Ok(ct) = cke.rsa_encrypted_pre_master_secret() else {
                return Outcome::Failed(Failure::KeyDoesNotDecrypt);
            };
            let Ok(key) = provider.key_provider.load_private_key(stolen.clone_key()) else {
                return Outcome::Failed(Failure::KeyDoesNotDecrypt);
            };
            let Some(dec) = key.rsa_decrypter() else {
                return Outcome::Failed(Failure::KeyDoesNotDecrypt);
            };
            // A buffer large enough for any key, as the server uses (RFC 8017 §7.2.2);
            // zeroized on drop.
            let mut pms = zeroize::Zeroizing::new(vec![0u8; ct.len().max(1024)]);
            let n = match dec.decrypt_pkcs1(ct, &mut pms) {
                // RFC 5246 §7.4.7.1: the PreMasterSecret is 48 bytes.
                Ok(n) if n == 48 => n,
                _ => return Outcome::Failed(Failure::KeyDoesNotDecrypt),
            };
            let pms = SharedSecret::new(pms.get(..n).unwrap_or_default().to_vec());
            let session_hash = ems.then(|| provider.hash(suite.hash).hash(&transcript));
            Tls12Recording::from_pre_master(
                &provider,
                suite.suite,
                &pms,
                session_hash.as_ref(),
                client_random,
                server_random,
            )
        }
    };
    let Ok(mut recording) = recording else {
        return Outcome::Failed(Failure::Library);
    };
    let resumed = cke_absent(o);
    let mut out = Recovered {
        suite: suite.suite,
        ems,
        resumed,
        client: Vec::new(),
        server: Vec::new(),
        records: 0,
        master: recording.master_secret(),
    };
    for r in o.records.iter().filter(|r| r.encrypted) {
        let (from, sink) = match r.dir {
            Dir::ClientToServer => (Sender::Client, &mut out.client),
            Dir::ServerToClient => (Sender::Server, &mut out.server),
        };
        let mut body = r.body.clone();
        match recording.open(from, r.header, &mut body) {
            Ok((typ, range)) => {
                if typ == ContentType::ApplicationData {
                    sink.extend_from_slice(body.get(range).unwrap_or_default());
                }
                out.records += 1;
            }
            Err(_) => return Outcome::Failed(Failure::Library),
        }
    }
    Outcome::Recovered(out)
}

fn cke_absent(o: &Observation) -> bool {
    !messages(o, Dir::ClientToServer).any(|m| m.kind == "ClientKeyExchange")
}

impl Outcome {
    /// The outcome as text.
    pub fn text(&self, lang: Lang, st: Style) -> String {
        let mut t = String::new();
        match self {
            Self::Recovered(r) => {
                t.push_str(&st.bold(WireMsg::StealRecovered.text(lang)));
                t.push('\n');
                let steps = if r.resumed {
                    vec![WireMsg::StealStepResumed]
                } else if r.ems {
                    vec![WireMsg::StealStepRsa, WireMsg::StealStepEms]
                } else {
                    vec![WireMsg::StealStepRsa, WireMsg::StealStepMaster]
                };
                for s in steps
                    .into_iter()
                    .chain([WireMsg::StealStepKeyBlock, WireMsg::StealStepRecords])
                {
                    t.push_str(&format!("  - {}\n", s.text(lang)));
                }
                t.push_str(&format!(
                    "  {} ({}, {} {}):\n",
                    st.bold(WireMsg::StealRequest.text(lang)),
                    r.suite,
                    r.records,
                    WireMsg::Records.text(lang)
                ));
                for line in String::from_utf8_lossy(&r.client).lines() {
                    t.push_str(&format!("    {}\n", st.yellow(&printable(line))));
                }
                t.push_str(&format!(
                    "  {}:\n",
                    st.bold(WireMsg::StealResponse.text(lang))
                ));
                for line in String::from_utf8_lossy(&r.server).lines() {
                    t.push_str(&format!("    {}\n", st.yellow(&printable(line))));
                }
                t.push_str(&format!(
                    "  ⇒ {}\n",
                    st.green(WireMsg::StealMoral.text(lang))
                ));
            }
            Self::NoKeyTransport(e) => {
                t.push_str(&st.bold(WireMsg::StealFailed.text(lang)));
                t.push('\n');
                let why = match e {
                    Ephemeral::Tls13 => WireMsg::StealWhyTls13,
                    Ephemeral::Ecdhe => WireMsg::StealWhyEcdhe,
                    Ephemeral::Dhe => WireMsg::StealWhyDhe,
                };
                t.push_str(&format!("  ⇒ {}\n", st.green(why.text(lang))));
            }
            Self::Failed(f) => {
                t.push_str(&format!("{}: {f:?}\n", WireMsg::StealError.text(lang)));
            }
        }
        t
    }

    /// The outcome as JSON.
    pub fn json(&self, lang: Lang) -> Json {
        match self {
            Self::Recovered(r) => json!({
                "outcome": "recovered",
                "suite": r.suite.to_string(),
                "extended_master_secret": r.ems,
                "resumed_session": r.resumed,
                "records_decrypted": r.records,
                "client_application_data": String::from_utf8_lossy(&r.client),
                "server_application_data": String::from_utf8_lossy(&r.server),
                "explanation": WireMsg::StealMoral.text(lang),
            }),
            Self::NoKeyTransport(e) => {
                let (name, why) = match e {
                    Ephemeral::Tls13 => ("tls13", WireMsg::StealWhyTls13),
                    Ephemeral::Ecdhe => ("ecdhe", WireMsg::StealWhyEcdhe),
                    Ephemeral::Dhe => ("dhe", WireMsg::StealWhyDhe),
                };
                json!({"outcome": "no_key_transport", "key_exchange": name, "explanation": why.text(lang)})
            }
            Self::Failed(f) => json!({"outcome": "failed", "reason": format!("{f:?}")}),
        }
    }
}
