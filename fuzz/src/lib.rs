//! Bodies of the clasp fuzz targets, as plain functions over `&[u8]`.
//!
//! Each `fuzz_targets/<name>.rs` is one line calling the function of the same name here. Keeping
//! the bodies in an ordinary library means they build on stable Rust, and clasp-bench's tests
//! include this file (`#[path]`) and run every body over the seed corpora in `fuzz/corpus/`.
//!
//! The connection targets run on a deterministic provider ([`fuzz_provider`]): fixed "random"
//! bytes, a fixed X25519 key on both sides and an Ed25519 server key (deterministic
//! signatures). A clasp client talking to a clasp server then produces the same bytes every run,
//! so a recorded flight ([`transcript`]) replays into a fresh connection and takes it past the
//! encrypted handshake, and the fuzzer mutates from deep states rather than only ServerHello.
//!
//! Every body must return normally for any input; an error from clasp is the expected outcome
//! for almost all of them. A panic is a finding.

use std::io::Read;
use std::sync::{Arc, OnceLock};

pub mod scenario;
pub use scenario::handshake;

use clasp::crypto::{ActiveKeyExchange, CryptoError, SecureRandom, SupportedKxGroup};
use clasp::internal::Deframer;
use clasp::msgs::enums::{NamedGroup, ProtocolVersion};
use clasp::msgs::handshake::HandshakeMessage;
use clasp::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

/// `message`: every handshake message decoder, for both versions. Whatever decodes must
/// re-encode to exactly the input (msgs/mod.rs: "re-encodes to the same bytes").
pub fn message(data: &[u8]) {
    for v in [ProtocolVersion::TLSv1_2, ProtocolVersion::TLSv1_3] {
        if let Ok(m) = HandshakeMessage::read_version(data, v) {
            assert_eq!(m.encoded(), data, "kept bytes differ");
            let again = HandshakeMessage::new(m.payload().clone());
            assert_eq!(
                again.encoded(),
                data,
                "re-encoding differs for {:?}",
                m.typ()
            );
            // Differential: the re-encoding decodes to the same value.
            let back = HandshakeMessage::read_version(again.encoded(), v)
                .unwrap_or_else(|e| panic!("re-encoded {:?} does not decode: {e:?}", m.typ()));
            assert_eq!(back.payload(), m.payload(), "decode(encode(m)) != m");
        }
    }
}

/// `ticket`: the server's ticket decoders, on the plaintext a ticket key would have opened
/// (whatever decodes must re-encode to the same bytes), and ticket decryption itself on the raw
/// bytes a client presents.
pub fn ticket(data: &[u8]) {
    assert!(
        clasp::internal::fuzz_ticket_plaintext(data),
        "ticket plaintext does not round-trip"
    );
    static KEYS: OnceLock<clasp::session::TicketKeys> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        clasp::session::TicketKeys::from_shared_secret(&fuzz_provider(), &[7; 32], 0, 3600)
            .expect("fuzz ticket keys")
    });
    assert!(keys.decrypt(data, 0).is_none() || data.len() > 16);
}

/// `loaders`: the PEM certificate/key loaders and the DER key loader, as a server operator's
/// files reach them. The first two bytes (little-endian) split the rest into a "certificate
/// file" and a "key file"; every loader must return a typed error for garbage, never panic.
pub fn loaders(data: &[u8]) {
    let [lo, hi, rest @ ..] = data else {
        return;
    };
    let at = usize::from(u16::from_le_bytes([*lo, *hi])).min(rest.len());
    let (cert, key) = rest.split_at(at);
    let provider = clasp::crypto::aws_lc::default_provider();
    let _ = clasp::sign::CertifiedKey::from_pem(cert, key, &provider);
    let _ = clasp::sign::CertifiedKey::from_pem(rest, rest, &provider);
    let _ = clasp::verify::RootCertStore::empty().add_pem(rest);
    let _ = clasp::verify::RootCertStore::empty().add(&CertificateDer::from(rest.to_vec()));
    for der in [
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(rest.to_vec())),
        PrivateKeyDer::Sec1(rest.to_vec().into()),
        PrivateKeyDer::Pkcs1(rest.to_vec().into()),
    ] {
        let _ = clasp::sign::CertifiedKey::from_der(
            vec![CertificateDer::from(cert.to_vec())],
            der,
            &provider,
        );
    }
}

/// `deframer`: plaintext record framing. Push everything (as much as the deframer takes at a
/// time) and take records out until it needs more bytes or reports an error.
pub fn deframer(data: &[u8]) {
    let mut d = Deframer::new();
    let mut rest = data;
    loop {
        let n = d.push(rest);
        rest = &rest[n..];
        loop {
            match d.next_record(None) {
                Ok(Some(r)) => {
                    // A plaintext record is never longer than 2^14 (RFC 8446 §5.1).
                    assert!(
                        r.payload.len() <= 1 << 14,
                        "record over the plaintext bound"
                    );
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if n == 0 || rest.is_empty() {
            return;
        }
    }
}

/// `client`: a client connection that has sent its ClientHello, fed `data` as the server's
/// bytes.
pub fn client(data: &[u8]) {
    let _ = client_fed(data);
}

/// The `client` body, returning the connection so tests can see how far `data` took it.
#[must_use]
pub fn client_fed(data: &[u8]) -> Option<ClientConnection> {
    let mut c = ClientConnection::new(client_config(), server_name()).ok()?;
    discard_output(&mut c);
    feed(&mut c, data);
    Some(c)
}

/// `server`: a fresh server connection fed `data` as the client's bytes.
pub fn server(data: &[u8]) {
    let _ = server_fed(data);
}

/// The `server` body, returning the connection so tests can see how far `data` took it.
#[must_use]
pub fn server_fed(data: &[u8]) -> Option<ServerConnection> {
    let mut s = ServerConnection::new(server_config()).ok()?;
    feed(&mut s, data);
    Some(s)
}

/// Pushes `data` into `conn` and processes it; also reads any plaintext and drops any output,
/// as an application would.
fn feed(conn: &mut ConnectionCommon, mut data: &[u8]) {
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.push_tls(data);
        data = &data[n..];
        let ok = conn.process_new_packets().is_ok();
        while matches!(conn.reader().read(&mut buf), Ok(k) if k > 0) {}
        discard_output(conn);
        if !ok || n == 0 || data.is_empty() {
            return;
        }
    }
}

fn discard_output(conn: &mut ConnectionCommon) {
    let n = conn.pending_tls().len();
    conn.consume_tls(n);
}

/// Runs a handshake between a fuzz-configured client and server, then sends `app` bytes from
/// the client and from the server. Returns (client → server bytes, server → client bytes):
/// seeds for the `server` and `client` targets. Deterministic, see the module docs.
///
/// # Panics
/// If the handshake fails (a setup bug, not fuzz input).
#[must_use]
pub fn transcript(app: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use std::io::Write;
    let mut c = ClientConnection::new(client_config(), server_name()).expect("client");
    let mut s = ServerConnection::new(server_config()).expect("server");
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    let mut sent_app = false;
    for _ in 0..10 {
        let a = move_bytes(&mut c, &mut s, &mut to_server);
        let b = move_bytes(&mut s, &mut c, &mut to_client);
        if !c.is_handshaking() && !s.is_handshaking() && !sent_app {
            c.writer().write_all(app).expect("client write");
            s.writer().write_all(app).expect("server write");
            sent_app = true;
            continue;
        }
        if !a && !b {
            break;
        }
    }
    assert!(
        !c.is_handshaking() && !s.is_handshaking(),
        "fuzz handshake did not complete"
    );
    (to_server, to_client)
}

fn move_bytes(from: &mut ConnectionCommon, to: &mut ConnectionCommon, log: &mut Vec<u8>) -> bool {
    let out = from.pending_tls().to_vec();
    from.consume_tls(out.len());
    log.extend_from_slice(&out);
    let mut rest = &out[..];
    let mut buf = [0u8; 4096];
    while !rest.is_empty() {
        let n = to.push_tls(rest);
        rest = &rest[n..];
        to.process_new_packets().expect("fuzz handshake");
        // Read the plaintext, or `to` stops taking bytes at its 16 KiB cap on unread plaintext.
        while matches!(to.reader().read(&mut buf), Ok(k) if k > 0) {}
    }
    !out.is_empty()
}

/// Fixed bytes instead of randomness (fuzzing only: predictable by design).
#[derive(Debug)]
struct FixedRandom;

impl SecureRandom for FixedRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        buf.fill(0x5a);
        Ok(())
    }
}

/// X25519 with a fixed private key (fuzzing only).
#[derive(Debug)]
struct FixedX25519;

impl SupportedKxGroup for FixedX25519 {
    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }

    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        clasp::internal::x25519_from_private(&[0x42; 32])
    }
}

static FIXED_RANDOM: FixedRandom = FixedRandom;
static FIXED_X25519: FixedX25519 = FixedX25519;

/// The aws-lc provider with fixed randomness and a fixed X25519 key: deterministic handshakes.
#[must_use]
pub fn fuzz_provider() -> clasp::crypto::CryptoProvider {
    clasp::crypto::CryptoProvider {
        kx_groups: vec![&FIXED_X25519],
        secure_random: &FIXED_RANDOM,
        ..clasp::crypto::aws_lc::default_provider()
    }
}

fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("valid DNS name")
}

/// Client: no certificate verification (so fuzzed certificates reach the later states), no
/// resumption, deterministic provider.
fn client_config() -> Arc<ClientConfig> {
    static CFG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        Arc::new(
            ClientConfig::builder()
                .with_provider(fuzz_provider())
                .dangerous()
                .with_no_certificate_verification()
                // No ticket cache: each connection's ClientHello is the same, which the
                // transcript replay needs.
                .without_resumption()
                .build()
                .expect("fuzz client config"),
        )
    })
    .clone()
}

/// Server: a self-signed Ed25519 certificate from a fixed seed (Ed25519 signatures are
/// deterministic, so the whole server flight is too), deterministic provider. Tickets stay on so
/// fuzzed `pre_shared_key` offers reach ticket decryption.
fn server_config() -> Arc<ServerConfig> {
    static CFG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let (chain, key) = ed25519_cert();
        Arc::new(
            ServerConfig::builder()
                .with_provider(fuzz_provider())
                .with_single_cert(chain, key)
                .build()
                .expect("fuzz server config"),
        )
    })
    .clone()
}

fn ed25519_cert() -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    // PKCS#8 v1 for Ed25519 (RFC 8410 §7): fixed prefix, then the 32-byte seed.
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend_from_slice(&[0x11; 32]);
    let der = PrivatePkcs8KeyDer::from(pkcs8);
    let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_ED25519)
        .expect("Ed25519 key");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("self-signed");
    (
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}
