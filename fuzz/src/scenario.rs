//! Structure-aware fuzzing of live handshakes: the `handshake` target.
//!
//! A clasp client and a clasp server (both on the deterministic [`fuzz_provider`]) run one of the
//! [`Scenario`]s in memory. The fuzz input picks the scenario, one handshake message by its place
//! in the exchange (counted over both directions, ClientHello excluded: the `server` target
//! covers it), and a mutation. The sending side rewrites that message with clasp's `fuzzing`
//! hook *after* it entered its own transcript and *before* its record layer protects it, so the
//! receiver decrypts the mutated bytes under the real keys and the fuzzer reaches every state —
//! EncryptedExtensions, CertificateRequest, a client Certificate, a TLS 1.2 ServerKeyExchange,
//! a NewSessionTicket, a post-handshake KeyUpdate — not only the first flight.
//!
//! Layout of the input: `[scenario, message index, operation, operand...]`.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};

use clasp::config::ClientAuth;
use clasp::crypto::CryptoProvider;
use clasp::msgs::enums::{NamedGroup, ProtocolVersion};
use clasp::session::{ClientSessionCache, TicketKeys};
use clasp::time::FixedTimeProvider;
use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{ed25519_cert, fuzz_provider, server_name};

/// What the two endpoints do. Every scenario finishes with application data both ways, so the
/// post-handshake states (tickets, KeyUpdate, post-handshake auth) are reached too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// TLS 1.3, X25519, one round trip; the client then asks for a KeyUpdate.
    Tls13Full,
    /// TLS 1.3 with a HelloRetryRequest (the server only takes P-256).
    Tls13Retry,
    /// TLS 1.3 with a required client certificate.
    Tls13Mutual,
    /// TLS 1.3 resumption with 0-RTT: a clean first handshake leaves a ticket, the second
    /// (fuzzed) handshake offers it with early data.
    Tls13Resumed,
    /// TLS 1.3, then a post-handshake CertificateRequest answered by the client.
    Tls13PostHandshakeAuth,
    /// TLS 1.2 ECDHE.
    Tls12Full,
    /// TLS 1.2 with a required client certificate.
    Tls12Mutual,
    /// TLS 1.2 resumed by a session ticket (RFC 5077) after a clean first handshake.
    Tls12Resumed,
}

impl Scenario {
    /// Every scenario, in the order the first input byte selects them.
    pub const ALL: [Self; 8] = [
        Self::Tls13Full,
        Self::Tls13Retry,
        Self::Tls13Mutual,
        Self::Tls13Resumed,
        Self::Tls13PostHandshakeAuth,
        Self::Tls12Full,
        Self::Tls12Mutual,
        Self::Tls12Resumed,
    ];

    fn tls12(self) -> bool {
        matches!(
            self,
            Self::Tls12Full | Self::Tls12Mutual | Self::Tls12Resumed
        )
    }

    fn resumes(self) -> bool {
        matches!(self, Self::Tls13Resumed | Self::Tls12Resumed)
    }
}

/// One mutation of one message.
#[derive(Debug, Clone)]
struct Mutation {
    /// Handshake messages sent so far (both sides, after the first ClientHello).
    seen: usize,
    target: usize,
    op: u8,
    operand: Vec<u8>,
    applied: bool,
    /// The type of each message sent, before any mutation.
    types: Vec<u8>,
}

impl Mutation {
    /// Rewrites `msg` (type, u24 length, body) if it is the target. Most operations keep the
    /// 4-byte header consistent with the new body so the receiver parses the body rather than
    /// stopping at the framing; operation 1 replaces the raw bytes, header included.
    fn apply(&mut self, msg: &mut Vec<u8>) {
        let index = self.seen;
        self.seen += 1;
        if let Some(t) = msg.first() {
            self.types.push(*t);
        }
        if index != self.target || msg.len() < 4 {
            return;
        }
        let before = msg.clone();
        self.apply_op(msg);
        self.applied = *msg != before;
    }

    fn apply_op(&self, msg: &mut Vec<u8>) {
        let d = &self.operand;
        match self.op % 5 {
            // A new body under the same type.
            0 => set_body(msg, d.to_vec()),
            // Raw bytes, header and all.
            1 => d.clone_into(msg),
            // XOR the operand into the body at an offset taken from its first two bytes.
            2 => {
                if let [hi, lo, xs @ ..] = d.as_slice() {
                    let mut body = msg[4..].to_vec();
                    if !body.is_empty() {
                        let at = usize::from(u16::from_be_bytes([*hi, *lo])) % body.len();
                        for (b, x) in body[at..].iter_mut().zip(xs) {
                            *b ^= x;
                        }
                    }
                    set_body(msg, body);
                }
            }
            // Cut the body at an offset and append the rest of the operand.
            3 => {
                if let [hi, lo, tail @ ..] = d.as_slice() {
                    let mut body = msg[4..].to_vec();
                    let at = usize::from(u16::from_be_bytes([*hi, *lo])) % (body.len() + 1);
                    body.truncate(at);
                    body.extend_from_slice(tail);
                    set_body(msg, body);
                }
            }
            // Another message type with the same body.
            _ => {
                if let Some(t) = d.first() {
                    msg[0] = *t;
                }
            }
        }
    }
}

/// Replaces the body of an encoded handshake message, fixing its u24 length (a body over 2^24
/// is cut there: the header cannot say more).
fn set_body(msg: &mut Vec<u8>, mut body: Vec<u8>) {
    body.truncate((1 << 24) - 1);
    let len = u32::try_from(body.len()).unwrap_or(0).to_be_bytes();
    msg.truncate(1);
    msg.extend_from_slice(&len[1..]);
    msg.extend_from_slice(&body);
}

/// The `handshake` target: see the module docs for the input layout.
pub fn handshake(data: &[u8]) {
    let [s, index, op, operand @ ..] = data else {
        return;
    };
    let scenario = Scenario::ALL[usize::from(*s) % Scenario::ALL.len()];
    let _ = run(scenario, Some((usize::from(*index), *op, operand)));
}

/// What a run reached, for tests of the harness itself.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Both sides finished the handshake and exchanged application data.
    pub completed: bool,
    /// Whether the second connection resumed (for the resumption scenarios).
    pub resumed: bool,
    /// Handshake messages sent in the fuzzed connection, after the first ClientHello.
    pub messages: usize,
    /// Whether the mutation found its target message and changed it.
    pub mutated: bool,
    /// The handshake type of each message sent in the fuzzed connection, in order.
    pub types: Vec<u8>,
}

/// Runs `scenario`, mutating one message as `mutation` (index, op, operand) says.
#[must_use]
pub fn run(scenario: Scenario, mutation: Option<(usize, u8, &[u8])>) -> Outcome {
    let client_cfg = client_config(scenario);
    let server_cfg = server_config(scenario);
    if scenario.resumes() {
        // A clean handshake first: it leaves a ticket in the client's cache.
        let first = connect(&client_cfg, &server_cfg, scenario, None);
        if !first.completed {
            return first;
        }
    }
    let m = mutation.map(|(target, op, operand)| Mutation {
        seen: 0,
        target,
        op,
        operand: operand.to_vec(),
        applied: false,
        types: Vec::new(),
    });
    connect(&client_cfg, &server_cfg, scenario, m)
}

fn connect(
    client_cfg: &Arc<ClientConfig>,
    server_cfg: &Arc<ServerConfig>,
    scenario: Scenario,
    mutation: Option<Mutation>,
) -> Outcome {
    let mut outcome = Outcome {
        completed: false,
        resumed: false,
        messages: 0,
        mutated: false,
        types: Vec::new(),
    };
    let Ok(mut c) = ClientConnection::new(client_cfg.clone(), server_name()) else {
        return outcome;
    };
    let Ok(mut s) = ServerConnection::new(server_cfg.clone()) else {
        return outcome;
    };
    let shared = Arc::new(Mutex::new(mutation.unwrap_or(Mutation {
        seen: 0,
        target: usize::MAX,
        op: 0,
        operand: Vec::new(),
        applied: false,
        types: Vec::new(),
    })));
    for conn in [&mut *c, &mut *s] {
        let m = shared.clone();
        conn.set_fuzz_mutator(Box::new(move |msg| {
            if let Ok(mut m) = m.lock() {
                m.apply(msg);
            }
        }));
    }
    if scenario == Scenario::Tls13Resumed {
        let _ = c.write_early_data(b"GET /early HTTP/1.1\r\n\r\n");
    }
    let mut sent_app = false;
    let mut post_handshake = false;
    for _ in 0..24 {
        let a = transfer(&mut c, &mut s);
        let b = transfer(&mut s, &mut c);
        if c.error().is_some() || s.error().is_some() {
            break;
        }
        if !c.is_handshaking() && !s.is_handshaking() {
            if !sent_app {
                let _ = c.writer().write_all(b"ping");
                let _ = s.writer().write_all(b"pong");
                sent_app = true;
                continue;
            }
            if !post_handshake {
                post_handshake = true;
                match scenario {
                    Scenario::Tls13PostHandshakeAuth => {
                        let _ = s.request_client_certificate();
                    }
                    s if !s.tls12() => {
                        let _ = c.refresh_traffic_keys();
                    }
                    _ => {}
                }
                continue;
            }
        }
        if !a && !b {
            break;
        }
    }
    outcome.completed = sent_app && c.error().is_none() && s.error().is_none();
    outcome.resumed = c.negotiated().resumed;
    if let Ok(m) = shared.lock() {
        outcome.messages = m.seen;
        outcome.mutated = m.applied;
        outcome.types.clone_from(&m.types);
    }
    outcome
}

/// Moves everything `from` has to send into `to`, reading any plaintext `to` then holds.
/// Returns whether any byte moved.
fn transfer(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> bool {
    let out = from.pending_tls().to_vec();
    from.consume_tls(out.len());
    let mut rest = &out[..];
    let mut buf = [0u8; 4096];
    while !rest.is_empty() {
        let n = to.push_tls(rest);
        rest = &rest[n..];
        let ok = to.process_new_packets().is_ok();
        while matches!(to.reader().read(&mut buf), Ok(k) if k > 0) {}
        if !ok || n == 0 {
            break;
        }
    }
    !out.is_empty()
}

/// A fixed instant inside every certificate's validity, so ticket ages and expiry checks give
/// the same answer on every run.
const NOW: u64 = 1_800_000_000;

fn provider(scenario: Scenario) -> CryptoProvider {
    let mut p = fuzz_provider();
    if scenario == Scenario::Tls13Retry {
        p.kx_groups.push(&clasp::crypto::aws_lc::kx::SECP256R1);
    }
    p
}

fn client_config(scenario: Scenario) -> Arc<ClientConfig> {
    let versions: &[ProtocolVersion] = if scenario.tls12() {
        &[ProtocolVersion::TLSv1_2]
    } else {
        &[ProtocolVersion::TLSv1_3]
    };
    let mut b = ClientConfig::builder()
        .with_provider(provider(scenario))
        .with_protocol_versions(versions)
        .with_time_provider(Arc::new(FixedTimeProvider::from_secs(NOW)));
    if scenario == Scenario::Tls13Retry {
        b = b
            .with_groups(&[NamedGroup::X25519, NamedGroup::secp256r1])
            .with_key_shares(&[NamedGroup::X25519]);
    }
    if matches!(
        scenario,
        Scenario::Tls13Mutual | Scenario::Tls12Mutual | Scenario::Tls13PostHandshakeAuth
    ) {
        let (chain, key) = client_cert();
        b = b.with_client_auth_cert(chain, key);
    }
    if scenario.resumes() {
        b = b.with_session_cache(Arc::new(ClientSessionCache::new(4)));
        if scenario == Scenario::Tls13Resumed {
            b = b.with_early_data();
        }
    } else {
        b = b.without_resumption();
    }
    let b = b.dangerous().with_no_certificate_verification();
    // A fixed config of the harness: failing to build it is a harness bug, not a finding.
    Arc::new(b.build().expect("fuzz client config"))
}

fn server_config(scenario: Scenario) -> Arc<ServerConfig> {
    static CERT: OnceLock<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> = OnceLock::new();
    let (chain, key) = CERT.get_or_init(ed25519_cert);
    let (chain, key) = (chain.clone(), key.clone_key());
    let mut b = ServerConfig::builder()
        .with_provider(provider(scenario))
        .with_single_cert(chain, key)
        .with_time_provider(Arc::new(FixedTimeProvider::from_secs(NOW)))
        .with_ticket_keys(ticket_keys());
    match scenario {
        Scenario::Tls13Retry => b = b.with_groups(&[NamedGroup::secp256r1]),
        Scenario::Tls13Mutual | Scenario::Tls12Mutual => {
            b = b.with_client_auth(ClientAuth::Required(client_roots()));
        }
        Scenario::Tls13PostHandshakeAuth => {
            b = b.with_client_auth(ClientAuth::Optional(client_roots()));
        }
        Scenario::Tls13Resumed => b = b.with_max_early_data(1024),
        _ => {}
    }
    Arc::new(b.build().expect("fuzz server config"))
}

/// Ticket keys derived from a fixed secret: every run seals the same tickets.
fn ticket_keys() -> Arc<TicketKeys> {
    static KEYS: OnceLock<Arc<TicketKeys>> = OnceLock::new();
    KEYS.get_or_init(|| {
        Arc::new(
            TicketKeys::from_shared_secret(&fuzz_provider(), &[0x77; 32], NOW, 86_400)
                .expect("fuzz ticket keys"),
        )
    })
    .clone()
}

fn ed25519_key(seed: u8) -> rcgen::KeyPair {
    // PKCS#8 v1 for Ed25519 (RFC 8410 §7): fixed prefix, then the 32-byte seed.
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend_from_slice(&[seed; 32]);
    rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(pkcs8),
        &rcgen::PKCS_ED25519,
    )
    .expect("Ed25519 key")
}

/// A CA and a client certificate it issued, made once per process.
fn client_pki() -> &'static (CertificateDer<'static>, CertificateDer<'static>, Vec<u8>) {
    static PKI: OnceLock<(CertificateDer<'static>, CertificateDer<'static>, Vec<u8>)> =
        OnceLock::new();
    PKI.get_or_init(|| {
        let ca_key = ed25519_key(0x22);
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.serial_number = Some(rcgen::SerialNumber::from(1u64));
        let ca_cert = ca.self_signed(&ca_key).expect("ca");
        let leaf_key = ed25519_key(0x33);
        let mut leaf = rcgen::CertificateParams::new(vec!["client".to_string()]).expect("params");
        leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        leaf.serial_number = Some(rcgen::SerialNumber::from(2u64));
        let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).expect("leaf");
        (
            ca_cert.der().clone(),
            leaf_cert.der().clone(),
            leaf_key.serialize_der(),
        )
    })
}

fn client_cert() -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let (_, leaf, key) = client_pki();
    (
        vec![leaf.clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.clone())),
    )
}

fn client_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(&client_pki().0).expect("fuzz client CA");
    roots
}
