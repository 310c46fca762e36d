//! A hostile client against the server's PSK handling (issue 9 items 1 and 4). The attacker
//! holds one real ticket, so it knows the PSK and can write valid binders for any ClientHello it
//! builds; this needs the PSK from the client's cache, hence a test inside the crate.

use std::sync::Arc;
use std::time::Instant;

use clasp_testkit::{KeyType, TestPki};

use super::test_io::{give_processed as give, take};
use crate::config::{ClientAuth, ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::crypto::aws_lc::default_provider;
use crate::key_schedule::tls13::{EarlySecret, PskKind, Tls13Crypto};
use crate::msgs::enums::{ProtocolVersion, PskKeyExchangeMode};
use crate::msgs::extensions::{ClientExtension, OfferedPsks, PskIdentity};
use crate::msgs::handshake::{placeholder_binders, HandshakeMessage, HandshakePayload};
use crate::session::{ClientSessionCache, ClientTicket, TicketKeys};
use crate::suites;
use crate::verify::{RootCertStore, ServerName};

fn roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    roots
}

fn server(keys: &Arc<TicketKeys>, auth: ClientAuth) -> Arc<ServerConfig> {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
            .with_ticket_keys(Arc::clone(keys))
            .with_client_auth(auth)
            .build()
            .unwrap(),
    )
}

/// A full handshake of `client` with `server`, then the ticket it left in the cache.
fn ticket_from(
    client: &Arc<ClientConfig>,
    cache: &ClientSessionCache,
    server: &Arc<ServerConfig>,
) -> ClientTicket {
    let mut c = ClientConnection::new(
        Arc::clone(client),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    for _ in 0..10 {
        let out = take(&mut c);
        give(&mut s, &out).unwrap();
        let back = take(&mut s);
        give(&mut c, &back).unwrap();
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    let now = client.time.now().as_secs();
    let t = cache.take("localhost", now, client).expect("a ticket");
    // Empty the cache, so the next ClientHello carries no PSK of its own.
    while cache.take("localhost", now, client).is_some() {}
    t
}

/// The client's next ClientHello (no PSK), with `n` copies of `ticket` as its pre_shared_key
/// identities, each with a valid binder: the binder covers the truncated ClientHello, which is
/// the same for every identity (RFC 8446 §4.2.11.2). Padded to about `target` bytes.
fn hello_with_copies(
    client: &Arc<ClientConfig>,
    ticket: &ClientTicket,
    n: usize,
    target: usize,
) -> Vec<u8> {
    let mut c = ClientConnection::new(
        Arc::clone(client),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let first = take(&mut c);
    // One plaintext record: 5-byte header, then the ClientHello.
    let msg = HandshakeMessage::read_version(&first[5..], ProtocolVersion::TLSv1_3).unwrap();
    let HandshakePayload::ClientHello(mut ch) = msg.payload().clone() else {
        panic!("not a ClientHello");
    };
    if ch.psk_modes().is_none() {
        ch.extensions
            .push(ClientExtension::PskKeyExchangeModes(vec![
                PskKeyExchangeMode::PskDheKe,
            ]));
    }
    let suite = suites::lookup(ticket.session.suite).unwrap();
    let hash_len = suite.hash.output_len();
    // Pad with a junk extension so every case hashes about the same ClientHello size.
    let per_identity = 2 + ticket.ticket.len() + 4 + 1 + hash_len;
    let used = first.len() + n * per_identity;
    let pad = target.saturating_sub(used).min(60_000);
    if pad > 4 {
        // Not a GREASE type: the client's own GREASE extension (RFC 8701) could be the same.
        ch.extensions.push(ClientExtension::Unknown {
            typ: crate::msgs::enums::ExtensionType(0xcafe),
            body: vec![0; pad - 4],
        });
    }
    ch.extensions
        .push(ClientExtension::PreSharedKey(OfferedPsks {
            identities: vec![
                PskIdentity {
                    identity: ticket.ticket.clone(),
                    obfuscated_ticket_age: ticket.session.age_add,
                };
                n
            ],
            binders: placeholder_binders(&vec![hash_len; n]),
        }));
    let mut msg = HandshakeMessage::new(HandshakePayload::ClientHello(ch));
    let offset = msg.psk_binders_offset().unwrap();
    let provider = default_provider();
    let binder_hash = provider.hash(suite.hash).hash(&msg.encoded()[..offset]);
    let early = EarlySecret::new(
        Tls13Crypto::new(&provider, suite.hash),
        Some(ticket.session.psk.as_bytes()),
    );
    let binder = early
        .binder_key(PskKind::Resumption)
        .unwrap()
        .compute_binder(&binder_hash)
        .unwrap();
    let binders = vec![binder.as_ref(); n];
    msg.set_psk_binders(&binders).unwrap();
    // Plaintext records of at most 2^14 bytes (RFC 8446 §5.1).
    let mut out = Vec::new();
    for chunk in msg.encoded().chunks(16_384) {
        out.extend_from_slice(&[0x16, 0x03, 0x01]);
        out.extend_from_slice(&u16::try_from(chunk.len()).unwrap().to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// Server CPU for one ClientHello: the best of a few runs.
fn server_time(server: &Arc<ServerConfig>, hello: &[u8]) -> (std::time::Duration, bool) {
    let mut best = std::time::Duration::MAX;
    let mut resumed = false;
    for _ in 0..5 {
        let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
        let t = Instant::now();
        give(&mut s, hello).unwrap();
        best = best.min(t.elapsed());
        resumed = s.negotiated().resumed;
    }
    (best, resumed)
}

/// An anonymous ticket (from a config without client authentication that shares the ticket
/// keys) offered 300 times in one ClientHello to a server requiring client certificates: every
/// copy opens and has a valid binder, and every copy is refused (no client chain to re-verify).
/// The server must not redo the binder work, a hash of the whole ClientHello, for each copy:
/// that was quadratic in the ClientHello's size (about 300 × 64 KiB hashed per ClientHello).
/// The ClientHello is refused no slower than 10× one with a single identity of the same size.
#[test]
fn many_copies_of_a_refused_ticket_cost_no_more_than_one() {
    let keys = Arc::new(TicketKeys::new(&default_provider(), 1_700_000_000, 0).unwrap());
    let open = server(&keys, ClientAuth::None);
    let strict = server(&keys, ClientAuth::Required(roots()));
    let cache = Arc::new(ClientSessionCache::new(8));
    let client = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots())
            .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
            .with_session_cache(Arc::clone(&cache))
            .build()
            .unwrap(),
    );
    let ticket = ticket_from(&client, &cache, &open);
    let per_identity = 2 + ticket.ticket.len() + 4 + 1 + 32;
    let n = 60_000 / per_identity;
    assert!(n >= 200, "ticket of {} bytes", ticket.ticket.len());
    let one = hello_with_copies(&client, &ticket, 1, 64_000);
    let many = hello_with_copies(&client, &ticket, n, 64_000);
    assert!(many.len() > 60_000 && one.len() > 60_000);
    let (t_one, r_one) = server_time(&strict, &one);
    let (t_many, r_many) = server_time(&strict, &many);
    // Neither resumed: a full handshake with a CertificateRequest follows.
    assert!(!r_one && !r_many);
    eprintln!("one identity: {t_one:?}; {n} identities: {t_many:?}");
    assert!(
        t_many < t_one * 10,
        "{n} copies took {t_many:?}, one took {t_one:?}"
    );
    // The open server resumes the same ClientHello (the binders are valid).
    let (_, resumed) = server_time(&open, &many);
    assert!(resumed);
}
