//! External PSKs (RFC 8446 §2.2, §4.2.9, §4.2.11), clasp client ↔ clasp server in memory:
//! authentication by the key instead of a certificate, both key exchange modes, both hashes,
//! and every refusal with its exact error and alert.

use std::io::{Read, Write};
use std::sync::Arc;

use clasp::crypto::HashAlgorithm;
use clasp::error::{ConfigError, PeerIncompatible, PeerMisbehaved};
use clasp::msgs::enums::{AlertDescription, CipherSuite, NamedGroup, PskKeyExchangeMode};
use clasp::psk::ExternalPsk;
use clasp::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{client_builder, give_tls, localhost, pump, server_builder, take_tls, Failure};

const KEY: [u8; 32] = [0x42; 32];

fn psk(id: &str, key: &[u8], hash: HashAlgorithm) -> ExternalPsk {
    ExternalPsk::new(id, key, hash).unwrap()
}

/// A server with no certificate at all: external PSKs only.
fn psk_only_server() -> clasp::config::ServerConfigBuilder {
    ServerConfig::builder().with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
}

/// A client that trusts no CA at all: it can only complete a handshake authenticated by a PSK.
fn psk_client() -> clasp::config::ClientConfigBuilder {
    ClientConfig::builder().with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
}

fn connect(
    c: clasp::config::ClientConfigBuilder,
    s: clasp::config::ServerConfigBuilder,
) -> (ClientConnection, ServerConnection, Result<(), Failure>) {
    let mut client = ClientConnection::new(Arc::new(c.build().unwrap()), localhost()).unwrap();
    let mut server = ServerConnection::new(Arc::new(s.build().unwrap())).unwrap();
    let r = pump(&mut client, &mut server);
    (client, server, r)
}

fn data_both_ways(client: &mut ClientConnection, server: &mut ServerConnection) {
    client.writer().write_all(b"ping").unwrap();
    pump(client, server).unwrap();
    let mut got = [0u8; 4];
    server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ping");
    server.writer().write_all(b"pong").unwrap();
    pump(client, server).unwrap();
    client.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"pong");
}

/// RFC 8446 §2.2: with the PSK accepted, neither side sends a certificate; the client, which
/// trusts no CA, completes only because the server proved it holds the key.
#[test]
fn psk_dhe_ke_with_a_certificate_less_server() {
    let (mut c, mut s, r) = connect(psk_client(), psk_only_server());
    r.unwrap();
    for n in [c.negotiated(), s.negotiated()] {
        assert_eq!(n.external_psk_identity.as_deref(), Some(&b"client1"[..]));
        assert_eq!(n.psk_key_exchange_mode, Some(PskKeyExchangeMode::PskDheKe));
        assert!(!n.resumed, "an external PSK is not a resumption");
        assert!(n.peer_certificates.is_empty());
        assert_eq!(n.signature_scheme, None);
        // psk_dhe_ke: an (EC)DHE group was used, so the session has forward secrecy.
        assert_eq!(n.group, Some(NamedGroup::X25519MLKEM768));
    }
    data_both_ways(&mut c, &mut s);
}

/// RFC 8446 §4.2.11: a SHA-384 PSK makes the server pick a SHA-384 suite even though it
/// prefers AES-128-GCM-SHA256 ("externally established PSKs SHOULD influence cipher suite
/// selection").
#[test]
fn sha384_psk_selects_a_sha384_suite() {
    let key = [7u8; 48];
    let c = ClientConfig::builder().with_external_psk(psk("p384", &key, HashAlgorithm::Sha384));
    let s = ServerConfig::builder()
        .with_external_psk(psk("p384", &key, HashAlgorithm::Sha384))
        .with_cipher_suites(&[
            CipherSuite::TLS_AES_128_GCM_SHA256,
            CipherSuite::TLS_AES_256_GCM_SHA384,
        ]);
    let (mut c, mut s, r) = connect(c, s);
    r.unwrap();
    assert_eq!(
        c.negotiated().cipher_suite,
        Some(CipherSuite::TLS_AES_256_GCM_SHA384)
    );
    assert_eq!(
        s.negotiated().external_psk_identity.as_deref(),
        Some(&b"p384"[..])
    );
    data_both_ways(&mut c, &mut s);
}

/// psk_ke on both sides: no key_share in the ServerHello, no group, still a working session.
#[test]
fn psk_ke_when_both_sides_enable_it() {
    let c = psk_client().with_psk_key_exchange_modes(&[PskKeyExchangeMode::PskKe]);
    let s = psk_only_server()
        .with_psk_key_exchange_modes(&[PskKeyExchangeMode::PskKe, PskKeyExchangeMode::PskDheKe]);
    let (mut c, mut s, r) = connect(c, s);
    r.unwrap();
    for n in [c.negotiated(), s.negotiated()] {
        assert_eq!(n.psk_key_exchange_mode, Some(PskKeyExchangeMode::PskKe));
        assert_eq!(n.group, None);
    }
    data_both_ways(&mut c, &mut s);
}

/// A server that allows psk_ke still uses psk_dhe_ke when it prefers it and the client offers
/// both.
#[test]
fn server_preference_orders_the_modes() {
    let both = [PskKeyExchangeMode::PskDheKe, PskKeyExchangeMode::PskKe];
    let (c, _s, r) = connect(
        psk_client().with_psk_key_exchange_modes(&both),
        psk_only_server().with_psk_key_exchange_modes(&both),
    );
    r.unwrap();
    assert_eq!(
        c.negotiated().psk_key_exchange_mode,
        Some(PskKeyExchangeMode::PskDheKe)
    );
}

/// psk_ke is refused unless the server enables it: a client offering only psk_ke gets no PSK
/// handshake; a PSK-only server then has nothing to authenticate with.
#[test]
fn psk_ke_is_refused_unless_the_server_enables_it() {
    let c = psk_client().with_psk_key_exchange_modes(&[PskKeyExchangeMode::PskKe]);
    let (mut c, mut s, r) = connect(c, psk_only_server());
    assert!(matches!(
        r,
        Err(Failure::Server(Error::PeerIncompatible(
            PeerIncompatible::UnknownPskIdentity
        )))
    ));
    assert_eq!(
        give_tls(&mut c, &take_tls(&mut s)),
        Err(Error::AlertReceived(AlertDescription::UnknownPskIdentity))
    );
    // With a certificate, the server falls back to it (the client verifies it as usual).
    let c = client_builder()
        .with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
        .with_psk_key_exchange_modes(&[PskKeyExchangeMode::PskKe]);
    let s = server_builder(KeyType::EcdsaP256).with_external_psk(psk(
        "client1",
        &KEY,
        HashAlgorithm::Sha256,
    ));
    let (c, _s, r) = connect(c, s);
    r.unwrap();
    assert_eq!(c.negotiated().external_psk_identity, None);
    assert_eq!(c.negotiated().psk_key_exchange_mode, None);
    assert!(!c.negotiated().peer_certificates.is_empty());
}

/// A wrong key: the binder fails, the server aborts with decrypt_error (RFC 8446 §4.2.11.2).
#[test]
fn wrong_key_fails_the_binder_with_decrypt_error() {
    let c = ClientConfig::builder().with_external_psk(psk(
        "client1",
        &[0x43; 32],
        HashAlgorithm::Sha256,
    ));
    let (mut c, mut s, r) = connect(c, psk_only_server());
    assert!(
        matches!(
            r,
            Err(Failure::Server(Error::PeerMisbehaved(
                PeerMisbehaved::BadBinder
            )))
        ),
        "{r:?}"
    );
    assert_eq!(
        give_tls(&mut c, &take_tls(&mut s)),
        Err(Error::AlertReceived(AlertDescription::DecryptError))
    );
    // The same with a certificate to fall back to: a known identity with a bad binder is
    // never a reason to fall back (the server "MUST abort the handshake").
    let c = client_builder().with_external_psk(psk("client1", &[0x43; 32], HashAlgorithm::Sha256));
    let s = server_builder(KeyType::EcdsaP256).with_external_psk(psk(
        "client1",
        &KEY,
        HashAlgorithm::Sha256,
    ));
    let (_c, _s, r) = connect(c, s);
    assert!(matches!(
        r,
        Err(Failure::Server(Error::PeerMisbehaved(
            PeerMisbehaved::BadBinder
        )))
    ));
}

/// An unknown identity: a server with a certificate falls back to it (the client verifies the
/// chain as in any handshake); one without, or told to refuse, sends unknown_psk_identity.
#[test]
fn unknown_identity_falls_back_or_fails_as_configured() {
    let stranger = || psk("stranger", &KEY, HashAlgorithm::Sha256);
    // Fallback to the certificate.
    let (mut c, mut s, r) = connect(
        client_builder().with_external_psk(stranger()),
        server_builder(KeyType::EcdsaP256).with_external_psk(psk(
            "client1",
            &KEY,
            HashAlgorithm::Sha256,
        )),
    );
    r.unwrap();
    assert_eq!(c.negotiated().external_psk_identity, None);
    assert!(!c.negotiated().peer_certificates.is_empty());
    assert!(c.negotiated().signature_scheme.is_some());
    data_both_ways(&mut c, &mut s);

    // Refused by configuration.
    let (mut c, mut s, r) = connect(
        client_builder().with_external_psk(stranger()),
        server_builder(KeyType::EcdsaP256)
            .with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
            .refuse_unknown_psk_identities(),
    );
    assert!(matches!(
        r,
        Err(Failure::Server(Error::PeerIncompatible(
            PeerIncompatible::UnknownPskIdentity
        )))
    ));
    assert_eq!(
        give_tls(&mut c, &take_tls(&mut s)),
        Err(Error::AlertReceived(AlertDescription::UnknownPskIdentity))
    );
    // ... while a client that offers no PSK still gets the certificate.
    let (_c, _s, r) = connect(
        client_builder(),
        server_builder(KeyType::EcdsaP256)
            .with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
            .refuse_unknown_psk_identities(),
    );
    r.unwrap();

    // No certificate to fall back to.
    let (mut c, mut s, r) = connect(
        ClientConfig::builder().with_external_psk(stranger()),
        psk_only_server(),
    );
    assert!(matches!(
        r,
        Err(Failure::Server(Error::PeerIncompatible(
            PeerIncompatible::UnknownPskIdentity
        )))
    ));
    assert_eq!(
        give_tls(&mut c, &take_tls(&mut s)),
        Err(Error::AlertReceived(AlertDescription::UnknownPskIdentity))
    );
}

/// A client that offered an external PSK but the server did not select it verifies the
/// certificate as usual: an untrusted chain still fails.
#[test]
fn unselected_psk_does_not_excuse_the_certificate() {
    let (_c, _s, r) = connect(
        // Trusts no CA.
        ClientConfig::builder().with_external_psk(psk("stranger", &KEY, HashAlgorithm::Sha256)),
        server_builder(KeyType::EcdsaP256),
    );
    assert!(
        matches!(
            r,
            Err(Failure::Client(Error::InvalidCertificate(
                clasp::error::CertificateError::UnknownIssuer
            )))
        ),
        "{r:?}"
    );
}

/// A PSK of another hash than any suite both sides share is not used: the client drops it
/// from the offer when it offers no suite of its hash.
#[test]
fn psk_without_a_suite_of_its_hash_is_not_offered() {
    let c = client_builder()
        .with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha384))
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256]);
    let s = server_builder(KeyType::EcdsaP256).with_external_psk(psk(
        "client1",
        &KEY,
        HashAlgorithm::Sha384,
    ));
    let (c, _s, r) = connect(c, s);
    r.unwrap();
    assert_eq!(c.negotiated().external_psk_identity, None);
}

/// A HelloRetryRequest in a PSK handshake: the second ClientHello carries a fresh binder over
/// message_hash(ClientHello1) and the HRR (RFC 8446 §4.2.11.2), and the PSK is still accepted.
#[test]
fn psk_after_hello_retry_request() {
    let s = psk_only_server().with_groups(&[NamedGroup::secp384r1]);
    let (mut c, mut s, r) = connect(psk_client(), s);
    r.unwrap();
    assert!(c.negotiated().hello_retry);
    assert_eq!(
        c.negotiated().external_psk_identity.as_deref(),
        Some(&b"client1"[..])
    );
    assert_eq!(c.negotiated().group, Some(NamedGroup::secp384r1));
    data_both_ways(&mut c, &mut s);
}

/// Tickets and external PSKs are kept apart: the client lists its ticket first and the
/// external PSK after it; the server resumes the ticket ("res binder"), and a server that
/// lost its ticket keys takes the external PSK ("ext binder") instead.
#[test]
fn tickets_and_external_psks_do_not_mix() {
    // One client config (a session resumes only under the config that made it).
    let client = Arc::new(
        client_builder()
            .with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
            .build()
            .unwrap(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let keys = Arc::new(
        clasp::session::TicketKeys::from_shared_secret(
            &clasp::crypto::aws_lc::default_provider(),
            &[9u8; 32],
            now,
            3600,
        )
        .unwrap(),
    );
    let server = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_ticket_keys(keys)
            .with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
            .build()
            .unwrap(),
    );
    let run = |server: &Arc<ServerConfig>| {
        let mut c = ClientConnection::new(client.clone(), localhost()).unwrap();
        let mut s = ServerConnection::new(server.clone()).unwrap();
        pump(&mut c, &mut s).unwrap();
        data_both_ways(&mut c, &mut s);
        c
    };
    // 1. External PSK handshake; the server sends tickets afterwards.
    let c = run(&server);
    assert!(c.negotiated().external_psk_identity.is_some());
    // 2. The ticket is offered first and resumed ("res binder").
    let c = run(&server);
    assert!(c.negotiated().resumed);
    assert_eq!(c.negotiated().external_psk_identity, None);
    // 3. Another server, other ticket keys: the ticket is unknown, the external PSK works
    // ("ext binder").
    let other = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_external_psk(psk("client1", &KEY, HashAlgorithm::Sha256))
            .build()
            .unwrap(),
    );
    let c = run(&other);
    assert!(!c.negotiated().resumed);
    assert_eq!(
        c.negotiated().external_psk_identity.as_deref(),
        Some(&b"client1"[..])
    );
}

/// 0-RTT is never sent or accepted under an external PSK: a client with early data enabled and
/// no ticket offers none.
#[test]
fn no_early_data_with_external_psks() {
    let c = psk_client().with_early_data();
    let s = psk_only_server().with_max_early_data(16384);
    let (c, s, r) = connect(c, s);
    r.unwrap();
    assert_eq!(c.negotiated().early_data_accepted, None);
    assert_eq!(s.negotiated().early_data_accepted, None);
}

#[test]
fn configuration_errors() {
    let bad = |e: Error| matches!(e, Error::InvalidConfig(ConfigError::BadExternalPsk(_)));
    // Too short a key (RFC 9257 §6: at least 128 bits).
    assert!(bad(
        ExternalPsk::new("id", [1u8; 8], HashAlgorithm::Sha256).unwrap_err()
    ));
    // No mode.
    assert!(bad(psk_client()
        .with_psk_key_exchange_modes(&[])
        .build()
        .unwrap_err()));
    // External PSKs are TLS 1.3 only.
    assert!(bad(psk_client()
        .with_protocol_versions(&[clasp::msgs::enums::ProtocolVersion::TLSv1_2])
        .build()
        .unwrap_err()));
    // A server with neither certificate nor PSK is still refused.
    assert_eq!(
        ServerConfig::builder().build().unwrap_err(),
        Error::InvalidConfig(ConfigError::NoServerCertificate)
    );
}

/// A PSK-only server speaks TLS 1.3 only: a TLS 1.2 client gets protocol_version.
#[test]
fn psk_only_server_refuses_tls12() {
    let c =
        client_builder().with_protocol_versions(&[clasp::msgs::enums::ProtocolVersion::TLSv1_2]);
    let (_c, _s, r) = connect(c, psk_only_server());
    assert!(
        matches!(
            r,
            Err(Failure::Server(Error::PeerIncompatible(
                PeerIncompatible::NoCommonVersion
            )))
        ),
        "{r:?}"
    );
}
