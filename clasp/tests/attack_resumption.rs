//! Attack: get anonymous access at a server requiring client certificates with a ticket from a
//! server that shares its ticket keys but does not authenticate clients (issue 9 item 1), by
//! the paths the end-to-end tests in `resumption_auth.rs` do not take: after a
//! HelloRetryRequest (the PSK is checked on the second ClientHello), and with 0-RTT data (which
//! would reach the application before any authentication). Also: a client clock that lies
//! about the ticket's age (RFC 8446 §8.3) still resumes, but its early data is refused.

use std::sync::Arc;

use clasp::error::PeerMisbehaved;
use clasp::msgs::enums::{AlertDescription, NamedGroup, ProtocolVersion};
use clasp::session::TicketKeys;
use clasp::time::{FixedTimeProvider, SystemTimeProvider, TimeProvider};
use clasp::{ClientAuth, ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{client_builder, drain_early_data, localhost, pump, roots, server_builder, Failure};

const TLS13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];

fn keys() -> Arc<TicketKeys> {
    Arc::new(TicketKeys::new(&clasp::crypto::aws_lc::default_provider(), 0, 0).unwrap())
}

fn server(keys: &Arc<TicketKeys>, auth: ClientAuth, max_early_data: u32) -> Arc<ServerConfig> {
    Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(TLS13)
            .with_ticket_keys(Arc::clone(keys))
            .with_client_auth(auth)
            .with_max_early_data(max_early_data)
            .build()
            .unwrap(),
    )
}

fn connect(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection, Result<(), Failure>) {
    let mut c = ClientConnection::new(Arc::clone(client), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    let r = pump(&mut c, &mut s);
    (c, s, r)
}

/// The client got `certificate_required` and the server failed with `NoCertificate`
/// (RFC 8446 §4.4.2.4): the server's alert is delivered to the client here.
fn assert_certificate_required(c: &mut ClientConnection, s: &mut ServerConnection) {
    assert_eq!(
        s.error(),
        Some(&Error::PeerMisbehaved(PeerMisbehaved::NoCertificate))
    );
    assert_eq!(
        common::give_tls(c, &common::take_tls(s)),
        Err(Error::AlertReceived(AlertDescription::CertificateRequired))
    );
    assert!(!s.negotiated().resumed);
    assert!(s.peer_certificates().is_empty());
}

/// The anonymous ticket is offered again in the second ClientHello after a HelloRetryRequest
/// (the client's only key share is a group the server does not take): still a full handshake
/// with a CertificateRequest, and the certificate-less client is refused.
#[test]
fn anonymous_ticket_after_hello_retry_request_is_not_resumed_at_required_server() {
    let keys = keys();
    let open = server(&keys, ClientAuth::None, 0);
    let strict = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(TLS13)
            .with_ticket_keys(Arc::clone(&keys))
            .with_client_auth(ClientAuth::Required(roots()))
            .with_groups(&[NamedGroup::X25519])
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(TLS13)
            .with_groups(&[NamedGroup::secp256r1, NamedGroup::X25519])
            .with_key_shares(&[NamedGroup::secp256r1])
            .build()
            .unwrap(),
    );
    let (_, _, r) = connect(&client, &open);
    r.unwrap();
    let (mut c, mut s, r) = connect(&client, &strict);
    assert!(r.is_err());
    assert!(s.negotiated().hello_retry, "no HelloRetryRequest");
    assert_certificate_required(&mut c, &mut s);
}

/// The anonymous ticket allows 0-RTT at the issuing server; the strict server (early data on
/// too) must not accept the client's early data, which would reach the application before any
/// authentication: it is never in `early_data()`, and the handshake ends in
/// `certificate_required`.
#[test]
fn anonymous_ticket_gets_no_early_data_at_required_server() {
    let keys = keys();
    let open = server(&keys, ClientAuth::None, 16384);
    let strict = server(&keys, ClientAuth::Required(roots()), 16384);
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(TLS13)
            .with_early_data()
            .build()
            .unwrap(),
    );
    let (_, _, r) = connect(&client, &open);
    r.unwrap();
    let mut c = ClientConnection::new(Arc::clone(&client), localhost()).unwrap();
    assert_eq!(c.write_early_data(b"GET /admin").unwrap(), 10);
    let mut s = ServerConnection::new(Arc::clone(&strict)).unwrap();
    let r = pump(&mut c, &mut s);
    assert!(r.is_err());
    assert_eq!(s.negotiated().early_data_accepted, Some(false));
    let mut early = Vec::new();
    drain_early_data(&mut s, &mut early);
    assert!(early.is_empty());
    assert_certificate_required(&mut c, &mut s);
}

/// A client whose clock stands still while the server's moves on by an hour reports its
/// ticket as brand new (obfuscated_ticket_age); the server's anti-replay freshness check
/// (RFC 8446 §8.3, a 10 s window) sees the lie: the ticket resumes (still within its own
/// lifetime) but the early data is refused and never reaches `early_data()`.
#[test]
fn lying_ticket_age_resumes_without_early_data() {
    let now = SystemTimeProvider.now().as_secs();
    let keys = keys();
    let build = |secs: u64| {
        Arc::new(
            server_builder(KeyType::EcdsaP256)
                .with_protocol_versions(TLS13)
                .with_ticket_keys(Arc::clone(&keys))
                .with_max_early_data(16384)
                .with_time_provider(Arc::new(FixedTimeProvider::from_secs(secs)))
                .build()
                .unwrap(),
        )
    };
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(TLS13)
            .with_early_data()
            .with_time_provider(Arc::new(FixedTimeProvider::from_secs(now)))
            .build()
            .unwrap(),
    );
    let (_, _, r) = connect(&client, &build(now));
    r.unwrap();
    let later = build(now + 3600);
    let mut c = ClientConnection::new(Arc::clone(&client), localhost()).unwrap();
    assert_eq!(c.write_early_data(b"replayed?").unwrap(), 9);
    let mut s = ServerConnection::new(later).unwrap();
    pump(&mut c, &mut s).unwrap();
    assert!(s.negotiated().resumed && c.negotiated().resumed);
    assert_eq!(s.negotiated().early_data_accepted, Some(false));
    let mut early = Vec::new();
    drain_early_data(&mut s, &mut early);
    assert!(early.is_empty());
}
