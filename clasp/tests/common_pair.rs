//! clasp client ↔ clasp server in memory: the handshake and data both ways.

use std::io::{Read, Write};
use std::sync::Arc;

use clasp::msgs::enums::{HandshakeType, NamedGroup, ProtocolVersion};
use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{client_builder, give_tls, localhost, pump, server_builder, take_tls, Recorder};

fn handshake_with(
    kt: KeyType,
    client_groups: Option<&[NamedGroup]>,
    server_groups: Option<&[NamedGroup]>,
) -> (ClientConnection, ServerConnection) {
    let mut cb = client_builder();
    if let Some(g) = client_groups {
        cb = cb.with_groups(g);
    }
    let client_cfg = Arc::new(cb.build().unwrap());
    let mut sb = server_builder(kt);
    if let Some(g) = server_groups {
        sb = sb.with_groups(g);
    }
    let server_cfg = Arc::new(sb.build().unwrap());
    let mut client = ClientConnection::new(client_cfg, localhost()).unwrap();
    let mut server = ServerConnection::new(server_cfg).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking(), "client still handshaking");
    assert!(!server.is_handshaking(), "server still handshaking");
    (client, server)
}

fn exchange_data(client: &mut ClientConnection, server: &mut ServerConnection) {
    client.writer().write_all(b"hello from client").unwrap();
    pump(client, server).unwrap();
    let mut got = [0u8; 17];
    server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello from client");
    let big = vec![0x5a; 100_000];
    server.writer().write_all(&big).unwrap();
    // More than the client buffers unread (16 KiB): read as it arrives.
    let mut got = Vec::new();
    common::exchange(client, server, &mut got, &mut Vec::new()).unwrap();
    assert_eq!(got, big);
}

#[test]
fn tls13_ecdsa_p256_default_groups() {
    let (mut c, mut s) = handshake_with(KeyType::EcdsaP256, None, None);
    assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    assert_eq!(
        c.negotiated_key_exchange_group(),
        Some(NamedGroup::X25519MLKEM768)
    );
    assert_eq!(
        s.negotiated_key_exchange_group(),
        Some(NamedGroup::X25519MLKEM768)
    );
    exchange_data(&mut c, &mut s);
}

/// The NIST-curve ML-KEM hybrids (draft-ietf-tls-ecdhe-mlkem), clasp ↔ clasp: a client that
/// enables one gets it from a default server (which accepts both) without a retry.
/// SecP384r1MLKEM1024 has no other peer in our test set (rustls 0.23.46 lacks it).
#[test]
fn tls13_nist_mlkem_hybrids() {
    for g in [
        NamedGroup::secp256r1MLKEM768,
        NamedGroup::secp384r1MLKEM1024,
    ] {
        let (mut c, mut s) = handshake_with(KeyType::EcdsaP256, Some(&[g]), None);
        assert_eq!(c.negotiated_key_exchange_group(), Some(g));
        assert_eq!(s.negotiated_key_exchange_group(), Some(g));
        assert!(!c.negotiated().hello_retry);
        exchange_data(&mut c, &mut s);
    }
    // A default client does not offer them; a server that takes only them sends a
    // HelloRetryRequest only if the client lists them, else fails: no common group.
    let mut client =
        ClientConnection::new(Arc::new(client_builder().build().unwrap()), localhost()).unwrap();
    let mut server = ServerConnection::new(Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_groups(&[NamedGroup::secp384r1MLKEM1024])
            .build()
            .unwrap(),
    ))
    .unwrap();
    let r = pump(&mut client, &mut server);
    assert!(
        matches!(
            r,
            Err(common::Failure::Server(clasp::Error::PeerIncompatible(
                clasp::error::PeerIncompatible::NoCommonGroup
            )))
        ),
        "{r:?}"
    );
}

#[test]
fn tls13_ed25519_x25519() {
    let (mut c, mut s) = handshake_with(KeyType::Ed25519, Some(&[NamedGroup::X25519]), None);
    assert_eq!(c.negotiated_key_exchange_group(), Some(NamedGroup::X25519));
    exchange_data(&mut c, &mut s);
}

#[test]
fn tls13_hello_retry_request_for_p384() {
    let (mut c, mut s) = handshake_with(KeyType::EcdsaP384, None, Some(&[NamedGroup::secp384r1]));
    assert!(c.negotiated().hello_retry);
    assert_eq!(
        c.negotiated_key_exchange_group(),
        Some(NamedGroup::secp384r1)
    );
    exchange_data(&mut c, &mut s);
}

fn connect(
    client_cfg: &Arc<ClientConfig>,
    server_cfg: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection, Arc<Recorder>) {
    let types = Arc::new(Recorder::default());
    let mut client =
        ClientConnection::with_observer(Arc::clone(client_cfg), localhost(), Some(types.clone()))
            .unwrap();
    let mut server = ServerConnection::new(Arc::clone(server_cfg)).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking() && !server.is_handshaking());
    (client, server, types)
}

fn resumption_configs(
    keys: Option<Arc<clasp::session::TicketKeys>>,
) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let kt = KeyType::EcdsaP256;
    let client_cfg = Arc::new(client_builder().build().unwrap());
    let mut sb = server_builder(kt);
    if let Some(k) = keys {
        sb = sb.with_ticket_keys(k);
    }
    (client_cfg, Arc::new(sb.build().unwrap()))
}

#[test]
fn tls13_resumption_skips_certificate() {
    let (client_cfg, server_cfg) = resumption_configs(None);
    let (mut c1, mut s1, t1) = connect(&client_cfg, &server_cfg);
    exchange_data(&mut c1, &mut s1); // the tickets arrive with the server's first flight after Finished
    assert!(!c1.negotiated().resumed);
    assert!(t1.all().contains(&HandshakeType::Certificate));

    let (mut c2, mut s2, t2) = connect(&client_cfg, &server_cfg);
    assert!(c2.negotiated().resumed, "second connection should resume");
    assert!(s2.negotiated().resumed);
    let types = t2.all();
    // RFC 8446 §2.2: the resumed handshake carries no Certificate / CertificateVerify.
    assert!(!types.contains(&HandshakeType::Certificate), "{types:?}");
    assert!(
        !types.contains(&HandshakeType::CertificateVerify),
        "{types:?}"
    );
    exchange_data(&mut c2, &mut s2);
}

#[test]
fn tls13_ticket_under_rotated_out_key_falls_back_to_full_handshake() {
    let provider = clasp::crypto::aws_lc::default_provider();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let keys = Arc::new(clasp::session::TicketKeys::new(&provider, now, 0).unwrap());
    let (client_cfg, server_cfg) = resumption_configs(Some(keys.clone()));
    let (mut c1, mut s1, _) = connect(&client_cfg, &server_cfg);
    exchange_data(&mut c1, &mut s1);
    // Two rotations: the key that sealed the tickets is gone.
    keys.rotate(now).unwrap();
    keys.rotate(now).unwrap();
    let (c2, _s2, t2) = connect(&client_cfg, &server_cfg);
    assert!(!c2.negotiated().resumed);
    assert!(t2.all().contains(&HandshakeType::Certificate));
}

fn early_data_configs() -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let kt = KeyType::EcdsaP256;
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let server_cfg = Arc::new(
        server_builder(kt)
            .with_max_early_data(16384)
            .build()
            .unwrap(),
    );
    (client_cfg, server_cfg)
}

#[test]
fn tls13_early_data_accepted_once_and_replay_refused() {
    let (client_cfg, server_cfg) = early_data_configs();
    let (mut c1, mut s1, _) = connect(&client_cfg, &server_cfg);
    exchange_data(&mut c1, &mut s1);

    // Second connection: 0-RTT data goes out with the ClientHello.
    let mut client = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(client.write_early_data(b"early request").unwrap(), 13);
    let mut first_flight = Vec::new();
    client.write_tls(&mut first_flight).unwrap();
    let mut server = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    let mut rd = &first_flight[..];
    while !rd.is_empty() {
        server.read_tls(&mut rd).unwrap();
        server.process_new_packets().unwrap();
    }
    pump(&mut client, &mut server).unwrap();
    assert!(client.negotiated().resumed);
    assert_eq!(client.negotiated().early_data_accepted, Some(true));
    assert_eq!(server.negotiated().early_data_accepted, Some(true));
    // The early data comes through its own reader only (RFC 8446 §8: it may be a replay).
    let mut buf = [0u8; 64];
    assert_eq!(
        server.reader().read(&mut buf).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
    let mut got = Vec::new();
    common::drain_early_data(&mut server, &mut got);
    assert_eq!(got, b"early request");
    exchange_data(&mut client, &mut server);

    // An attacker replays the same first flight to the server: the early data is refused
    // (RFC 8446 §8) and never reaches the application.
    let mut replayed = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    let mut rd = &first_flight[..];
    while !rd.is_empty() {
        replayed.read_tls(&mut rd).unwrap();
        replayed.process_new_packets().unwrap();
    }
    assert_eq!(replayed.negotiated().early_data_accepted, Some(false));
    let mut buf = [0u8; 64];
    assert_eq!(
        replayed.reader().read(&mut buf).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "replayed data delivered"
    );
}

#[test]
fn tls13_early_data_refused_by_server_without_0rtt_is_reported() {
    let kt = KeyType::EcdsaP256;
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let provider = clasp::crypto::aws_lc::default_provider();
    let keys = Arc::new(clasp::session::TicketKeys::new(&provider, 0, 0).unwrap());
    let server = |max_early: u32| {
        Arc::new(
            server_builder(kt)
                .with_ticket_keys(Arc::clone(&keys))
                .with_max_early_data(max_early)
                .build()
                .unwrap(),
        )
    };
    let (mut c1, mut s1, _) = connect(&client_cfg, &server(16384));
    exchange_data(&mut c1, &mut s1);

    // The ticket allows 0-RTT, but this server (same ticket keys) has it switched off: it
    // resumes, skips the early data (RFC 8446 §4.2.10) and both sides report the refusal.
    let mut client = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(client.write_early_data(b"early").unwrap(), 5);
    let mut server = ServerConnection::new(server(0)).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking());
    assert!(server.negotiated().resumed);
    assert_eq!(server.negotiated().early_data_accepted, Some(false));
    assert_eq!(client.negotiated().early_data_accepted, Some(false));
    // The refused data never reaches the server application; the client resends it.
    client.writer().write_all(b"early").unwrap();
    pump(&mut client, &mut server).unwrap();
    let mut got = [0u8; 5];
    server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"early");
    let mut more = [0u8; 8];
    assert_eq!(
        server.reader().read(&mut more).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock)
    );
}

/// RFC 8446 §4.2.8.2: a key share that is not a point on the curve ends the handshake with
/// illegal_parameter (the peer is told so).
#[test]
fn tls13_key_share_not_on_the_curve_is_illegal_parameter() {
    let kt = KeyType::EcdsaP256;
    let client_cfg = client_builder()
        .with_groups(&[NamedGroup::secp256r1])
        .build()
        .unwrap();
    let server_cfg = server_builder(kt).build().unwrap();
    let mut client = ClientConnection::new(Arc::new(client_cfg), localhost()).unwrap();
    let mut server = ServerConnection::new(Arc::new(server_cfg)).unwrap();
    let mut hello = Vec::new();
    client.write_tls(&mut hello).unwrap();
    // The P-256 share is 65 bytes (0x04 ‖ X ‖ Y) after the group (0x0017) and its length (0x0041).
    let at = hello
        .windows(5)
        .position(|w| w == [0x00, 0x17, 0x00, 0x41, 0x04])
        .expect("P-256 key share in the ClientHello");
    hello[at + 4 + 64] ^= 0x01;
    let mut rd = &hello[..];
    let mut err = None;
    while !rd.is_empty() && err.is_none() {
        server.read_tls(&mut rd).unwrap();
        err = server.process_new_packets().err();
    }
    assert_eq!(
        err,
        Some(clasp::Error::PeerMisbehaved(
            clasp::error::PeerMisbehaved::InvalidKeyShare
        ))
    );
    let mut alert = Vec::new();
    server.write_tls(&mut alert).unwrap();
    let mut rd = &alert[..];
    client.read_tls(&mut rd).unwrap();
    assert_eq!(
        client.process_new_packets().unwrap_err(),
        clasp::Error::AlertReceived(clasp::msgs::enums::AlertDescription::IllegalParameter)
    );
}

/// RFC 8446 §4.2.10: after a HelloRetryRequest early data is rejected; the server skips the
/// client's 0-RTT records and the handshake completes, both sides reporting the refusal.
#[test]
fn tls13_early_data_with_hello_retry_request_is_refused_and_skipped() {
    let kt = KeyType::EcdsaP384;
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let provider = clasp::crypto::aws_lc::default_provider();
    let keys = Arc::new(clasp::session::TicketKeys::new(&provider, 0, 0).unwrap());
    let server = |groups: &[NamedGroup]| {
        Arc::new(
            server_builder(kt)
                .with_ticket_keys(Arc::clone(&keys))
                .with_max_early_data(16384)
                .with_groups(groups)
                .build()
                .unwrap(),
        )
    };
    let (mut c1, mut s1, _) = connect(&client_cfg, &server(&[NamedGroup::X25519]));
    exchange_data(&mut c1, &mut s1);

    // Same ticket keys, but this server only takes P-384: the client's shares (X25519MLKEM768,
    // X25519) force a HelloRetryRequest.
    let mut client = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(client.write_early_data(b"early").unwrap(), 5);
    let mut server = ServerConnection::new(server(&[NamedGroup::secp384r1])).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking() && !server.is_handshaking());
    assert!(client.negotiated().hello_retry);
    assert!(client.negotiated().resumed);
    assert_eq!(client.negotiated().early_data_accepted, Some(false));
    assert_eq!(server.negotiated().early_data_accepted, Some(false));
    let mut buf = [0u8; 8];
    assert_eq!(
        server.reader().read(&mut buf).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "skipped 0-RTT data was delivered"
    );
    exchange_data(&mut client, &mut server);
}

/// RFC 8446 §4.2.10: after a HelloRetryRequest the server skips the client's 0-RTT records
/// only until the second ClientHello (a client "MUST NOT include the early_data extension in
/// its followup ClientHello"). A record that fails to open under the handshake key after the
/// second ClientHello is bad_record_mac, not more early data to skip. (Found by BoGo's
/// SkipEarlyData-SecondClientHelloEarlyData-TLS13.)
#[test]
fn tls13_no_early_data_skipping_after_the_second_client_hello() {
    let kt = KeyType::EcdsaP384;
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let provider = clasp::crypto::aws_lc::default_provider();
    let keys = Arc::new(clasp::session::TicketKeys::new(&provider, 0, 0).unwrap());
    let server = |groups: &[NamedGroup]| {
        Arc::new(
            server_builder(kt)
                .with_ticket_keys(Arc::clone(&keys))
                .with_max_early_data(16384)
                .with_groups(groups)
                .build()
                .unwrap(),
        )
    };
    let (mut c1, mut s1, _) = connect(&client_cfg, &server(&[NamedGroup::X25519]));
    exchange_data(&mut c1, &mut s1);

    let mut client = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(client.write_early_data(b"early").unwrap(), 5);
    let mut server = ServerConnection::new(server(&[NamedGroup::secp384r1])).unwrap();
    // ClientHello + 0-RTT record → HelloRetryRequest (the 0-RTT record is skipped).
    give_tls(&mut server, &take_tls(&mut client)).unwrap();
    give_tls(&mut client, &take_tls(&mut server)).unwrap();
    // Second ClientHello → the server's flight, then a record nobody can open.
    give_tls(&mut server, &take_tls(&mut client)).unwrap();
    assert!(server.negotiated().hello_retry);
    let mut junk = vec![23, 3, 3, 0, 40];
    junk.extend_from_slice(&[0x5a; 40]);
    let err = give_tls(&mut server, &junk).unwrap_err();
    assert_eq!(err, clasp::Error::DecryptError);
}

/// RFC 8446 Appendix D.3: "A client that attempts to send 0-RTT data MUST fail a connection if
/// it receives a ServerHello with TLS 1.2 or older." (Found by BoGo's
/// EarlyDataVersionDowngrade-Client-TLS13.)
#[test]
fn tls13_client_that_sent_early_data_refuses_a_tls12_server_hello() {
    let kt = KeyType::EcdsaP256;
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let provider = clasp::crypto::aws_lc::default_provider();
    let keys = Arc::new(clasp::session::TicketKeys::new(&provider, 0, 0).unwrap());
    let server13 = Arc::new(
        server_builder(kt)
            .with_ticket_keys(Arc::clone(&keys))
            .with_max_early_data(16384)
            .build()
            .unwrap(),
    );
    let (mut c1, mut s1, _) = connect(&client_cfg, &server13);
    exchange_data(&mut c1, &mut s1);

    let mut client = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    assert_eq!(client.write_early_data(b"early").unwrap(), 5);
    let server12 = server_builder(kt)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .build()
        .unwrap();
    let mut server = ServerConnection::new(Arc::new(server12)).unwrap();
    // Only the ClientHello record reaches the TLS 1.2 server.
    let bytes = take_tls(&mut client);
    let ch_len = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    give_tls(&mut server, &bytes[..ch_len]).unwrap();
    let err = give_tls(&mut client, &take_tls(&mut server)).unwrap_err();
    assert_eq!(
        err,
        clasp::Error::PeerIncompatible(clasp::error::PeerIncompatible::NoCommonVersion)
    );
}
