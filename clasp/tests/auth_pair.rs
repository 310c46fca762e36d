//! clasp ↔ clasp in memory: client certificates during and after the TLS 1.3 handshake
//! (RFC 8446 §4.3.2, §4.6.2), and record_size_limit (RFC 8449).

use std::io::{Read, Write};
use std::sync::Arc;

use clasp::error::{ApiMisuse, Error, PeerMisbehaved};
use clasp::msgs::enums::HandshakeType;
use clasp::{ClientAuth, ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use clasp_testkit::{KeyType, TestPki};

mod common;
use common::{client_builder, localhost, pump, roots, server_builder, Recorder};

/// What `peer_certificates()` reports for a test identity: the verified path, here the leaf
/// alone (the CA sent after it is the trust anchor, not an intermediate).
fn verified_path(id: &clasp_testkit::Identity) -> Vec<rustls_pki_types::CertificateDer<'static>> {
    id.cert_chain()[..1].to_vec()
}

fn pair(client: ClientConfig, server: ServerConfig) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(Arc::new(client), localhost()).unwrap();
    let s = ServerConnection::new(Arc::new(server)).unwrap();
    (c, s)
}

#[test]
fn tls13_mutual_auth_server_sees_client_chain() {
    let client_id = TestPki::shared().client(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(
        client_builder()
            .with_client_auth_cert(client_id.cert_chain(), client_id.private_key())
            .build()
            .unwrap(),
        server_builder(KeyType::EcdsaP256)
            .with_client_auth(ClientAuth::Required(roots()))
            .build()
            .unwrap(),
    );
    pump(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking() && !s.is_handshaking());
    assert_eq!(s.peer_certificates(), &verified_path(client_id)[..]);
}

/// The server reports the scheme of the client's CertificateVerify (TLS 1.3 and 1.2), and
/// the client has none to report (it is the server's field only).
#[test]
fn server_reports_the_clients_signature_scheme() {
    use clasp::msgs::enums::{ProtocolVersion, SignatureScheme};
    let client_id = TestPki::shared().client(KeyType::EcdsaP256);
    for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
        let (mut c, mut s) = pair(
            client_builder()
                .with_protocol_versions(&[version])
                .with_client_auth_cert(client_id.cert_chain(), client_id.private_key())
                .build()
                .unwrap(),
            server_builder(KeyType::EcdsaP256)
                .with_client_auth(ClientAuth::Required(roots()))
                .build()
                .unwrap(),
        );
        pump(&mut c, &mut s).unwrap();
        assert_eq!(
            s.negotiated().client_signature_scheme,
            Some(SignatureScheme::ECDSA_NISTP256_SHA256),
            "{version:?}"
        );
        assert_eq!(c.negotiated().client_signature_scheme, None);
    }
}

#[test]
fn tls13_required_client_cert_missing_is_certificate_required() {
    let (mut c, mut s) = pair(
        client_builder().build().unwrap(),
        server_builder(KeyType::EcdsaP256)
            .with_client_auth(ClientAuth::Required(roots()))
            .build()
            .unwrap(),
    );
    let err = pump(&mut c, &mut s).unwrap_err().into_error();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::NoCertificate));
    // The client hears certificate_required (RFC 8446 §4.4.2.4).
    let mut buf = Vec::new();
    s.write_tls(&mut buf).unwrap();
    let mut rd = &buf[..];
    c.read_tls(&mut rd).unwrap();
    assert_eq!(
        c.process_new_packets().unwrap_err(),
        Error::AlertReceived(clasp::msgs::enums::AlertDescription::CertificateRequired)
    );
}

#[test]
fn tls13_post_handshake_auth() {
    let client_id = TestPki::shared().client(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(
        client_builder()
            .with_client_auth_cert(client_id.cert_chain(), client_id.private_key())
            .build()
            .unwrap(),
        server_builder(KeyType::EcdsaP256)
            // Optional at handshake time so the handshake itself asks for nothing...
            .with_client_auth(ClientAuth::Optional(roots()))
            .build()
            .unwrap(),
    );
    let seen = Arc::new(Recorder::default());
    s.set_observer(seen.clone());
    pump(&mut c, &mut s).unwrap();
    // The main handshake carried one client Certificate (Optional asks for it).
    assert_eq!(seen.count_received(HandshakeType::Certificate), 1);
    assert_eq!(s.peer_certificates(), &verified_path(client_id)[..]);
    s.request_client_certificate().unwrap();
    c.writer().write_all(b"data in flight").unwrap();
    pump(&mut c, &mut s).unwrap();
    // RFC 8446 §4.6.2: Certificate, CertificateVerify and Finished came back after it.
    assert_eq!(seen.count_received(HandshakeType::Certificate), 2);
    assert_eq!(seen.count_received(HandshakeType::CertificateVerify), 2);
    assert_eq!(seen.count_received(HandshakeType::Finished), 2);
    assert_eq!(s.peer_certificates(), &verified_path(client_id)[..]);
    let mut got = [0u8; 14];
    s.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"data in flight");
    // A second request works too (a new context each time).
    s.request_client_certificate().unwrap();
    pump(&mut c, &mut s).unwrap();
    assert_eq!(seen.count_received(HandshakeType::Certificate), 3);
    assert_eq!(s.peer_certificates(), &verified_path(client_id)[..]);
}

#[test]
fn post_handshake_auth_needs_the_clients_offer() {
    let (mut c, mut s) = pair(
        client_builder().build().unwrap(),
        server_builder(KeyType::EcdsaP256)
            .with_client_auth(ClientAuth::Optional(roots()))
            .build()
            .unwrap(),
    );
    pump(&mut c, &mut s).unwrap();
    // RFC 8446 §4.6.2: no post_handshake_auth offered → no CertificateRequest.
    assert_eq!(
        s.request_client_certificate().unwrap_err(),
        Error::ApiMisuse(ApiMisuse::PostHandshakeAuthUnavailable)
    );
}

#[test]
fn record_size_limit_bounds_the_servers_records() {
    let (mut c, mut s) = pair(
        client_builder()
            .with_record_size_limit(256)
            .build()
            .unwrap(),
        server_builder(KeyType::EcdsaP256).build().unwrap(),
    );
    pump(&mut c, &mut s).unwrap();
    let data = vec![0x42u8; 10_000];
    s.writer().write_all(&data).unwrap();
    let mut wire = Vec::new();
    s.write_tls(&mut wire).unwrap();
    // Every record: 5-byte header, ≤ 255 bytes of content + 1 type byte, 16-byte tag.
    let mut rest = &wire[..];
    let mut records = 0;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        assert!(len <= 256 + 16, "record of {len} bytes over the limit");
        rest = &rest[5 + len..];
        records += 1;
    }
    assert!(records >= 10_000 / 255);
    let mut rd = &wire[..];
    while !rd.is_empty() {
        c.read_tls(&mut rd).unwrap();
        c.process_new_packets().unwrap();
    }
    let mut got = vec![0u8; data.len()];
    c.reader().read_exact(&mut got).unwrap();
    assert_eq!(got, data);
}

/// RFC 8446 §4.6.2: other messages may arrive between the server's post-handshake
/// CertificateRequest and the client's answer; a KeyUpdate there is handled normally and the
/// authentication still completes.
#[test]
fn key_update_before_the_post_handshake_auth_answer_is_fine() {
    let (mut c, mut s, seen) = post_handshake_auth_pair();
    s.request_client_certificate().unwrap();
    // The client's KeyUpdate is on its way before it has seen the request.
    c.refresh_traffic_keys().unwrap();
    pump(&mut c, &mut s).unwrap();
    assert_eq!(seen.count_received(HandshakeType::KeyUpdate), 1);
    assert_eq!(seen.count_received(HandshakeType::Certificate), 2);
    assert_eq!(seen.count_received(HandshakeType::Finished), 2);
    c.writer().write_all(b"after").unwrap();
    pump(&mut c, &mut s).unwrap();
    let mut got = [0u8; 5];
    s.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"after");
}

/// A client with a certificate and a server that may ask for one, after the handshake.
fn post_handshake_auth_pair() -> (ClientConnection, ServerConnection, Arc<Recorder>) {
    let client_id = TestPki::shared().client(KeyType::EcdsaP256);
    let (mut c, mut s) = pair(
        client_builder()
            .with_client_auth_cert(client_id.cert_chain(), client_id.private_key())
            .build()
            .unwrap(),
        server_builder(KeyType::EcdsaP256)
            .with_client_auth(ClientAuth::Optional(roots()))
            .build()
            .unwrap(),
    );
    let seen = Arc::new(Recorder::default());
    s.set_observer(seen.clone());
    pump(&mut c, &mut s).unwrap();
    (c, s, seen)
}
