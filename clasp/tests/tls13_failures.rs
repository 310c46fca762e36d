//! TLS 1.3 failures: each test checks the typed error clasp returns AND what the peer saw (the
//! alert clasp sent, as `openssl` printed it or as the other clasp end decoded it).
//!
//! - certificate checks on the client (RFC 8446 §4.4.2.4, alerts per RFC 8446 §6.2) against a
//!   real `openssl s_server`: wrong name, expired, unknown CA;
//! - tampered records (RFC 8446 §5.2: AEAD failure is bad_record_mac) in memory, both
//!   directions;
//! - ALPN without overlap (RFC 7301 §3.2: no_application_protocol) against `openssl s_client`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use clasp::error::{CertificateError, PeerIncompatible};
use clasp::msgs::enums::AlertDescription;
use clasp::{ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::{
    require_peers, Identity, KeyType, OpensslClient, OpensslClientOpts, OpensslServer,
    OpensslServerOpts, PeerOutput, TestPki,
};
use rustls_pki_types::ServerName;

mod common;
use common::{client_config, give_tls, handshake, server_builder, take_tls, IO_TIMEOUT};

const T: Duration = Duration::from_secs(10);

fn server_config(alpn: &[&[u8]]) -> Arc<ServerConfig> {
    let mut b = server_builder(KeyType::EcdsaP256);
    if !alpn.is_empty() {
        b = b.with_alpn_protocols(alpn.iter().map(|p| p.to_vec()).collect());
    }
    Arc::new(b.build().expect("server config"))
}

// ---------------------------------------------------------------------------------------------
// Certificate failures against openssl s_server.

/// Serves `id` with `s_server -rev -naccept 1`, connects a default clasp client as `name`,
/// and returns clasp's handshake error and everything s_server printed.
fn client_against_openssl(id: &Identity, name: &str) -> (Error, PeerOutput) {
    let server = OpensslServer::start(&OpensslServerOpts::new(id).tls13().rev().naccept(1));
    let mut conn = ClientConnection::new(
        client_config(),
        ServerName::try_from(name.to_owned()).unwrap(),
    )
    .unwrap();
    let mut sock = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let err = match handshake(&mut conn, &mut sock) {
        Ok(()) => panic!("handshake unexpectedly succeeded:\n{}", server.finish(T)),
        Err(e) => e,
    };
    // Sticky: the same error again, and the connection stays unusable.
    assert_eq!(conn.process_new_packets().unwrap_err(), err);
    assert!(conn.is_handshaking());
    drop(sock);
    (err, server.finish(T))
}

#[test]
fn wrong_hostname_is_not_valid_for_name_and_bad_certificate() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (err, out) = client_against_openssl(pki.server(KeyType::EcdsaP256), "other.example");
    match &err {
        Error::InvalidCertificate(CertificateError::NotValidForName {
            expected,
            presented,
        }) => {
            assert_eq!(expected, "other.example");
            assert!(
                presented.iter().any(|p| p.contains("localhost")),
                "presented: {presented:?}"
            );
        }
        other => panic!("expected NotValidForName, got {other:?}"),
    }
    assert_eq!(
        AlertDescription::from(&err),
        AlertDescription::BadCertificate
    );
    out.assert_contains("CONNECTION FAILURE");
    out.assert_contains("alert bad certificate");
    out.assert_contains("SSL alert number 42");
}

#[test]
fn expired_certificate_is_expired_and_certificate_expired() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (err, out) = client_against_openssl(pki.expired(), "localhost");
    assert_eq!(err, Error::InvalidCertificate(CertificateError::Expired));
    out.assert_contains("alert certificate expired");
    out.assert_contains("SSL alert number 45");
}

#[test]
fn unknown_ca_is_unknown_issuer_and_unknown_ca() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    // s_server also sends the unrelated CA (it builds the chain from -CAfile): clasp must still
    // find no path to its own trust anchor.
    let (err, out) = client_against_openssl(pki.untrusted(), "localhost");
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    out.assert_contains("alert unknown ca");
    out.assert_contains("SSL alert number 48");
}

// ---------------------------------------------------------------------------------------------
// Tampered records, clasp client <-> clasp server in memory.

/// (content type, start, end) of each record in `bytes`.
fn records(bytes: &[u8]) -> Vec<(u8, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 5 <= bytes.len() {
        let len = usize::from(u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]));
        out.push((bytes[at], at, at + 5 + len));
        at += 5 + len;
    }
    assert_eq!(at, bytes.len(), "truncated record");
    out
}

fn new_pair() -> (ClientConnection, ServerConnection) {
    let client =
        ClientConnection::new(client_config(), ServerName::try_from("localhost").unwrap()).unwrap();
    let server = ServerConnection::new(server_config(&[])).unwrap();
    (client, server)
}

/// RFC 8446 §5.2: a record that fails AEAD decryption ends the connection with
/// bad_record_mac. Here one byte of the server's last encrypted handshake record (the one
/// carrying Finished) is changed in transit.
#[test]
fn tampered_server_flight_is_decrypt_error() {
    let (mut client, mut server) = new_pair();
    let hello = take_tls(&mut client);
    give_tls(&mut server, &hello).unwrap();
    let mut flight = take_tls(&mut server);
    let recs = records(&flight);
    // ServerHello in the clear, then (optionally) the compatibility CCS, then encrypted records.
    assert_eq!(
        recs[0].0, 22,
        "first record is a plaintext handshake record"
    );
    let &(typ, start, end) = recs.last().unwrap();
    assert_eq!(
        typ, 23,
        "last record of the flight is encrypted (opaque_type 23)"
    );
    assert!(end - start > 5 + 16);
    flight[end - 20] ^= 0x01;

    let err = give_tls(&mut client, &flight).unwrap_err();
    assert_eq!(err, Error::DecryptError);
    assert!(client.is_handshaking());
    assert_eq!(AlertDescription::from(&err), AlertDescription::BadRecordMac);

    // The server decodes the alert the client sent (under the client handshake key).
    let alert = take_tls(&mut client);
    assert!(!alert.is_empty(), "client sent no alert");
    let err = give_tls(&mut server, &alert).unwrap_err();
    assert_eq!(err, Error::AlertReceived(AlertDescription::BadRecordMac));
    assert!(server.is_handshaking());
}

/// The same check after the handshake, client to server: one bit of an application-data
/// record flipped.
#[test]
fn tampered_application_data_is_decrypt_error_and_bad_record_mac_alert() {
    let (mut client, mut server) = new_pair();
    for _ in 0..10 {
        let c = take_tls(&mut client);
        give_tls(&mut server, &c).unwrap();
        let s = take_tls(&mut server);
        give_tls(&mut client, &s).unwrap();
        if c.is_empty() && s.is_empty() {
            break;
        }
    }
    assert!(!client.is_handshaking() && !server.is_handshaking());

    client.writer().write_all(b"attack at dawn").unwrap();
    let mut data = take_tls(&mut client);
    let recs = records(&data);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].0, 23);
    // Flip a bit of the ciphertext body (not the header, not the tag).
    data[5 + 3] ^= 0x40;

    let err = give_tls(&mut server, &data).unwrap_err();
    assert_eq!(err, Error::DecryptError);
    let mut buf = [0u8; 64];
    assert_eq!(
        server.reader().read(&mut buf).map_err(|e| e.kind()),
        // The connection failed: reads report the stored error, not "no data yet".
        Err(std::io::ErrorKind::InvalidData),
        "no plaintext may come out of a forged record"
    );

    let alert = take_tls(&mut server);
    let recs = records(&alert);
    assert_eq!(recs.len(), 1, "one alert record");
    let err = give_tls(&mut client, &alert).unwrap_err();
    assert_eq!(err, Error::AlertReceived(AlertDescription::BadRecordMac));
    // Sticky on the client too.
    assert_eq!(
        client.process_new_packets().unwrap_err(),
        Error::AlertReceived(AlertDescription::BadRecordMac)
    );
}

// ---------------------------------------------------------------------------------------------
// ALPN mismatch: openssl s_client -alpn foo against a clasp server that speaks only h2.

#[test]
fn alpn_mismatch_is_no_application_protocol() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = server_config(&[b"h2", b"http/1.1"]);
    let server = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut conn = ServerConnection::new(cfg).unwrap();
        let r = handshake(&mut conn, &mut sock);
        (r, conn.alpn_protocol().map(<[u8]>::to_vec))
    });
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-alpn", "foo"])
            .send(b"hello\n")
            .timeout(T),
    );
    let (result, alpn) = server.join().unwrap();
    assert_eq!(
        result.unwrap_err(),
        Error::PeerIncompatible(PeerIncompatible::NoApplicationProtocol)
    );
    assert_eq!(alpn, None);
    out.assert_failure();
    out.assert_contains("alert no application protocol");
    out.assert_contains("SSL alert number 120");
}

/// RFC 8446 §4.1.3: a TLS 1.3 ServerHello's legacy_version "MUST be set to 0x0303"; the
/// version is negotiated in supported_versions. A ServerHello naming TLS 1.3 there but carrying
/// another legacy_version is refused (illegal_parameter). (Found by BoGo's ServerBogusVersion.)
#[test]
fn tls13_server_hello_with_bogus_legacy_version_is_refused() {
    for bogus in [[0x12, 0x34], [0x03, 0x04], [0x03, 0x01]] {
        let (mut client, mut server) = new_pair();
        let hello = take_tls(&mut client);
        give_tls(&mut server, &hello).unwrap();
        let mut flight = take_tls(&mut server);
        // Record header (5), handshake header (4), then legacy_version.
        assert_eq!(flight[5], 2, "ServerHello first");
        assert_eq!(&flight[9..11], &[0x03, 0x03]);
        flight[9..11].copy_from_slice(&bogus);
        let err = give_tls(&mut client, &flight).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(clasp::error::PeerMisbehaved::SelectedUnofferedVersion),
            "legacy_version {bogus:x?}"
        );
        assert_eq!(
            AlertDescription::from(&err),
            AlertDescription::IllegalParameter
        );
    }
}
