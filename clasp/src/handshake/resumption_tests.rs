//! Tickets too large to send back (issue 9 item 13): the server side is made to misbehave with
//! `ServerConfig::test_ticket_hook`, so these live inside the crate. The end-to-end resumption
//! tests are in `tests/resumption_auth.rs`.

use std::sync::Arc;

use clasp_testkit::{KeyType, TestPki};

use super::test_io::{give_processed as give, take};
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::Error;
use crate::msgs::enums::ProtocolVersion;
use crate::session::{ClientSessionCache, MAX_TICKET_LEN};
use crate::verify::{RootCertStore, ServerName};

/// Runs a handshake to the end (tickets included); whether it resumed, or the first error.
fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> Result<bool, Error> {
    let mut c = ClientConnection::new(
        Arc::clone(client),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    for _ in 0..10 {
        let out = take(&mut c);
        give(&mut s, &out)?;
        let back = take(&mut s);
        give(&mut c, &back)?;
        if out.is_empty() && back.is_empty() {
            break;
        }
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
    Ok(c.negotiated().resumed)
}

/// 65,000 bytes: a ticket that, with the rest of a ClientHello, overflows the u16 extensions
/// block (RFC 8446 §4.1.2), as seen from a hostile server.
fn oversize(ticket: &mut Vec<u8>) {
    ticket.resize(65_000, 0xaa);
}

fn configs(
    versions: &[ProtocolVersion],
) -> (
    Arc<ClientConfig>,
    Arc<ServerConfig>,
    Arc<ClientSessionCache>,
) {
    let pki = TestPki::shared();
    let mut roots = RootCertStore::empty();
    roots.add(&pki.ca_cert()).unwrap();
    let cache = Arc::new(ClientSessionCache::new(8));
    let client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(versions)
        .with_session_cache(Arc::clone(&cache))
        .build()
        .unwrap();
    let id = pki.server(KeyType::EcdsaP256);
    let mut server = ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .with_protocol_versions(versions)
        // TLS 1.2: tickets only, so the oversized ticket is all the client could keep.
        .with_session_id_cache(0)
        .build()
        .unwrap();
    server.test_ticket_hook = Some(oversize);
    (Arc::new(client), Arc::new(server), cache)
}

/// TLS 1.3: the NewSessionTickets carry 65,000-byte tickets; the client keeps none, and its
/// next connection is a clean full handshake (it used to send a ClientHello that could not be
/// encoded).
#[test]
fn tls13_oversized_ticket_is_dropped_at_receipt() {
    const { assert!(65_000 > MAX_TICKET_LEN) };
    let (client, server, cache) = configs(&[ProtocolVersion::TLSv1_3]);
    assert_eq!(connect(&client, &server), Ok(false));
    let now = client.time.now().as_secs();
    assert!(cache.take("localhost", now, &client).is_none());
    assert_eq!(connect(&client, &server), Ok(false));
}

/// TLS 1.2: the same for an RFC 5077 NewSessionTicket.
#[test]
fn tls12_oversized_ticket_is_dropped_at_receipt() {
    let (client, server, cache) = configs(&[ProtocolVersion::TLSv1_2]);
    assert_eq!(connect(&client, &server), Ok(false));
    let now = client.time.now().as_secs();
    assert!(cache.get_tls12("localhost", now, &client).is_none());
    assert_eq!(connect(&client, &server), Ok(false));
}

/// psk_key_exchange_modes offering only psk_ke.
fn only_psk_ke(hello: &mut crate::msgs::handshake::ClientHello) {
    use crate::msgs::enums::PskKeyExchangeMode;
    use crate::msgs::extensions::ClientExtension;
    for e in &mut hello.extensions {
        if let ClientExtension::PskKeyExchangeModes(modes) = e {
            *modes = vec![PskKeyExchangeMode::PskKe];
        }
    }
}

/// RFC 8446 §4.2.9: the client "supports use of PSKs only with these modes", and we resume
/// only with psk_dhe_ke (forward secrecy), so a ticket for a client offering only psk_ke could
/// never be used: none is sent (BoGo TLS13-ExpectNoSessionTicketOnBadKEMode-Server).
#[test]
fn no_ticket_for_a_client_offering_only_psk_ke() {
    let pki = TestPki::shared();
    let mut roots = RootCertStore::empty();
    roots.add(&pki.ca_cert()).unwrap();
    let cache = Arc::new(ClientSessionCache::new(8));
    let mut client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_session_cache(Arc::clone(&cache))
        .build()
        .unwrap();
    client.test_hello_hook = Some(only_psk_ke);
    let client = Arc::new(client);
    let id = pki.server(KeyType::EcdsaP256);
    let server = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
            .build()
            .unwrap(),
    );
    assert_eq!(connect(&client, &server), Ok(false));
    let now = client.time.now().as_secs();
    assert!(cache.take("localhost", now, &client).is_none());
}
