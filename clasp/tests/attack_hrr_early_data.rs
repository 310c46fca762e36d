//! Attack: 0-RTT around a HelloRetryRequest (RFC 8446 §4.2.10, §4.1.4). A client that offered
//! early data gets a HelloRetryRequest; the server skips the application_data records that
//! follow (it has no key for them), but only up to a bound in bytes, only until the second
//! ClientHello, and never on a second ClientHello that offers early data again (§4.2.10: "A
//! client MUST NOT include the "early_data" extension in its followup ClientHello").

use std::sync::Arc;

use clasp::error::PeerMisbehaved;
use clasp::msgs::enums::{NamedGroup, ProtocolVersion};
use clasp::msgs::extensions::ClientExtension;
use clasp::msgs::handshake::{HandshakeMessage, HandshakePayload};
use clasp::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{client_builder, give_tls, localhost, pump, server_builder, take_tls};

const TLS13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];

/// A server taking only X25519, and a client whose only key share is P-256 (so a
/// HelloRetryRequest follows every first ClientHello), early data on both sides.
fn configs() -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let server = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(TLS13)
            .with_groups(&[NamedGroup::X25519])
            .with_max_early_data(16384)
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(TLS13)
            .with_groups(&[NamedGroup::secp256r1, NamedGroup::X25519])
            .with_key_shares(&[NamedGroup::secp256r1])
            .with_early_data()
            .build()
            .unwrap(),
    );
    (client, server)
}

/// A resumed client (a first connection for the ticket) that has written early data; its
/// first flight is the ClientHello and one 0-RTT record.
fn early_client(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, Vec<u8>) {
    let mut c = ClientConnection::new(Arc::clone(client), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    pump(&mut c, &mut s).unwrap();
    let mut c = ClientConnection::new(Arc::clone(client), localhost()).unwrap();
    assert_eq!(c.write_early_data(b"early").unwrap(), 5);
    let flight = take_tls(&mut c);
    (c, flight)
}

/// An application_data record the server cannot open (junk under no key it has).
fn junk_record() -> Vec<u8> {
    let mut r = vec![23, 3, 3, 0, 40];
    r.extend([0x5a; 40]);
    r
}

/// An application_data record of `len` bytes the server cannot open (junk under no key it has).
fn junk_record_of(len: u16) -> Vec<u8> {
    let mut r = vec![23, 3, 3];
    r.extend_from_slice(&len.to_be_bytes());
    r.extend(std::iter::repeat_n(0x5a, usize::from(len)));
    r
}

/// After the HelloRetryRequest the client's 0-RTT record and more are skipped, and the
/// handshake completes without early data; skipping is bounded in bytes (RFC 8446 §4.2.10: "up
/// to the configured max_early_data_size"), not in records: 1,000 small records are over the
/// bound (`TooMuchSkippedEarlyData`, unexpected_message).
#[test]
fn early_records_after_hrr_are_skipped_up_to_the_byte_bound() {
    let (client, server_cfg) = configs();
    for (extra, ok) in [(63, true), (1000, false)] {
        let (mut c, mut flight) = early_client(&client, &server_cfg);
        for _ in 0..extra {
            flight.extend(junk_record());
        }
        let mut s = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
        let r = give_tls(&mut s, &flight);
        if ok {
            r.unwrap();
            pump(&mut c, &mut s).unwrap();
            assert!(s.negotiated().hello_retry && s.negotiated().resumed);
            assert_eq!(s.negotiated().early_data_accepted, Some(false));
        } else {
            assert_eq!(
                r,
                Err(Error::PeerMisbehaved(
                    PeerMisbehaved::TooMuchSkippedEarlyData
                ))
            );
        }
    }
}

/// A protected record larger than any plaintext one (2^14 + 200 bytes; RFC 8446 §5.2 allows up
/// to 2^14 + 256) of 0-RTT data after the HelloRetryRequest is skipped like any other: the
/// server has no key for it, but its size is that of a protected record, so it is not
/// record_overflow (BoGo
/// `SkipEarlyData-HRR-TooMuchData-TLS13` exposed the plaintext bound being applied first).
/// Two of them are over the byte bound.
#[test]
fn full_size_early_record_after_hrr_is_skipped_not_overflow() {
    let (client, server_cfg) = configs();
    for (count, ok) in [(1, true), (2, false)] {
        let (mut c, mut flight) = early_client(&client, &server_cfg);
        for _ in 0..count {
            flight.extend(junk_record_of(16384 + 200));
        }
        let mut s = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
        let r = give_tls(&mut s, &flight);
        if ok {
            r.unwrap();
            pump(&mut c, &mut s).unwrap();
            assert!(s.negotiated().hello_retry);
        } else {
            assert_eq!(
                r,
                Err(Error::PeerMisbehaved(
                    PeerMisbehaved::TooMuchSkippedEarlyData
                ))
            );
        }
    }
}

/// Once the second ClientHello has arrived, the client has no early data left to send: a
/// record that does not open under its handshake key is `DecryptError` (bad_record_mac), not
/// skipped with what was left of the HelloRetryRequest's allowance.
#[test]
fn no_skipping_after_the_second_client_hello() {
    let (client, server_cfg) = configs();
    let (mut c, flight) = early_client(&client, &server_cfg);
    let mut s = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    give_tls(&mut s, &flight).unwrap();
    give_tls(&mut c, &take_tls(&mut s)).unwrap(); // HelloRetryRequest
    give_tls(&mut s, &take_tls(&mut c)).unwrap(); // ClientHello 2
    assert!(s.negotiated().hello_retry);
    give_tls(&mut c, &take_tls(&mut s)).unwrap(); // ServerHello .. Finished
    let mut attack = junk_record();
    attack.extend(take_tls(&mut c)); // the client's Finished
    assert_eq!(give_tls(&mut s, &attack), Err(Error::DecryptError));
}

/// A second ClientHello that offers early_data again is `IllegalClientHello`
/// (illegal_parameter), like any other illegal change to the first (§4.1.2: the client
/// removes early_data, "Early data is not permitted after a HelloRetryRequest"). BoringSSL
/// instead ignores the extension and fails on the next early record (BoGo's
/// SkipEarlyData-SecondClientHelloEarlyData-TLS13 expects that bad_record_mac); clasp refuses
/// the ClientHello itself, so no record after it can be skipped either way.
#[test]
fn second_client_hello_offering_early_data_is_refused() {
    let (client, server_cfg) = configs();
    // No ticket: a fresh client (early data is then not offered in the first ClientHello
    // either, but the second one must not carry it in any case).
    let mut c = ClientConnection::new(Arc::clone(&client), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    give_tls(&mut s, &take_tls(&mut c)).unwrap();
    give_tls(&mut c, &take_tls(&mut s)).unwrap(); // HelloRetryRequest
    let flight = take_tls(&mut c);
    // A change_cipher_spec (RFC 8446 §D.4) may come first: find the ClientHello's record.
    let mut rest = &flight[..];
    let ch2 = loop {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let (rec, tail) = rest.split_at(5 + len);
        if rec[0] == 22 {
            break rec;
        }
        give_tls(&mut s, rec).unwrap();
        rest = tail;
    };
    let msg = HandshakeMessage::read_version(&ch2[5..], ProtocolVersion::TLSv1_3).unwrap();
    let HandshakePayload::ClientHello(mut hello) = msg.payload().clone() else {
        panic!("not a ClientHello");
    };
    assert!(!hello
        .extensions
        .iter()
        .any(|e| matches!(e, ClientExtension::EarlyData)));
    hello.extensions.push(ClientExtension::EarlyData);
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
    let body = msg.encoded();
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    rec.extend_from_slice(body);
    assert_eq!(
        give_tls(&mut s, &rec),
        Err(Error::PeerMisbehaved(PeerMisbehaved::IllegalClientHello))
    );
}

/// RFC 8446 §4.1.2: the second ClientHello repeats the first except for the listed changes;
/// for pre_shared_key the client may only recompute ages and binders and "(optionally) remove
/// any PSKs which are incompatible with the server's indicated cipher suite". A second
/// ClientHello that drops a PSK the server could resume under the HelloRetryRequest's suite
/// is inconsistent: `IllegalClientHello` (illegal_parameter), BoGo
/// `Resume-Server-OmitPSKsOnSecondClientHello`.
#[test]
fn second_client_hello_dropping_the_resumable_psk_is_refused() {
    let (client, server_cfg) = configs();
    let (mut c, flight) = early_client(&client, &server_cfg);
    let mut s = ServerConnection::new(Arc::clone(&server_cfg)).unwrap();
    give_tls(&mut s, &flight).unwrap();
    give_tls(&mut c, &take_tls(&mut s)).unwrap(); // HelloRetryRequest
    let flight = take_tls(&mut c);
    let mut rest = &flight[..];
    let ch2 = loop {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let (rec, tail) = rest.split_at(5 + len);
        if rec[0] == 22 {
            break rec;
        }
        give_tls(&mut s, rec).unwrap();
        rest = tail;
    };
    let msg = HandshakeMessage::read_version(&ch2[5..], ProtocolVersion::TLSv1_3).unwrap();
    let HandshakePayload::ClientHello(mut hello) = msg.payload().clone() else {
        panic!("not a ClientHello");
    };
    let before = hello.extensions.len();
    hello
        .extensions
        .retain(|e| !matches!(e, ClientExtension::PreSharedKey(_)));
    assert_eq!(
        hello.extensions.len(),
        before - 1,
        "the retry offered the PSK"
    );
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
    let body = msg.encoded();
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    rec.extend_from_slice(body);
    assert_eq!(
        give_tls(&mut s, &rec),
        Err(Error::PeerMisbehaved(PeerMisbehaved::IllegalClientHello))
    );
}

/// RFC 8446 §4.2.10: the server accepts 0-RTT only under the ticket's ALPN protocol, and early
/// data written for one protocol means nothing under another: a client that no longer offers
/// the ticket's protocol resumes without offering early data (BoGo
/// `EarlyData-ALPNPreferenceChanged-TLS13`). With the protocol still offered it does offer it.
#[test]
fn client_offers_no_early_data_when_the_tickets_alpn_is_not_offered() {
    let server = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(TLS13)
            .with_max_early_data(16384)
            .with_alpn_protocols(vec![b"foo".to_vec(), b"bar".to_vec()])
            .build()
            .unwrap(),
    );
    let provider = clasp::crypto::aws_lc::default_provider();
    let verifier = Arc::new(clasp::verify::WebPkiServerVerifier::new(
        Arc::new(common::roots()),
        &provider,
    ));
    for (second, offered) in [(&b"bar"[..], false), (&b"foo"[..], true)] {
        let cache = Arc::new(clasp::session::ClientSessionCache::new(4));
        let client = |alpn: &[u8]| {
            Arc::new(
                ClientConfig::builder()
                    .with_verifier(verifier.clone())
                    .with_session_cache(cache.clone())
                    .with_protocol_versions(TLS13)
                    .with_alpn_protocols(vec![alpn.to_vec()])
                    .with_early_data()
                    .build()
                    .unwrap(),
            )
        };
        let mut c = ClientConnection::new(client(b"foo"), localhost()).unwrap();
        let mut s = ServerConnection::new(Arc::clone(&server)).unwrap();
        pump(&mut c, &mut s).unwrap();
        let mut c = ClientConnection::new(client(second), localhost()).unwrap();
        let n = c.write_early_data(b"early").unwrap();
        let mut s = ServerConnection::new(Arc::clone(&server)).unwrap();
        pump(&mut c, &mut s).unwrap();
        assert!(c.negotiated().resumed, "{second:?}");
        assert_eq!(
            c.negotiated().early_data_accepted.is_some(),
            offered,
            "{second:?}"
        );
        assert_eq!(n > 0, offered, "{second:?}");
        assert_eq!(
            c.negotiated().alpn_protocol.as_deref(),
            Some(second),
            "{second:?}"
        );
    }
}
