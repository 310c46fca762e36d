//! P-521 (issue 12 item 4): secp521r1 key exchange and `ecdsa_secp521r1_sha512` certificates and
//! signatures, both sides, TLS 1.3 and TLS 1.2 (`ECDHE_ECDSA` with a P-521 certificate), against
//! `openssl` and GnuTLS in both directions, plus the point check on P-521 shares
//! (illegal_parameter for a point off the curve) and the default-group policy: a default
//! client does not offer P-521, a default server accepts it.

use std::sync::Arc;
use std::time::Duration;

use clasp::config::DEFAULT_GROUPS;
use clasp::error::PeerMisbehaved;
use clasp::msgs::enums::{
    AlertDescription, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme,
};
use clasp::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::{
    require_peers, GnutlsClient, GnutlsClientOpts, GnutlsServer, GnutlsServerOpts, KeyType,
    OpensslClient, OpensslClientOpts, OpensslServer, OpensslServerOpts, TestPki, TlsVersion,
};

mod common;
use common::{
    client_builder, close, connect, give_tls, handshake, localhost, pump, read_until, send,
    server_builder, spawn_upper_server, take_tls,
};

const T: Duration = Duration::from_secs(10);
const KT: KeyType = KeyType::EcdsaP521;
const PING: &[u8] = b"ping p-521\n";
const PONG: &str = "PING P-521";

fn protocol(v: TlsVersion) -> ProtocolVersion {
    match v {
        TlsVersion::Tls13 => ProtocolVersion::TLSv1_3,
        TlsVersion::Tls12 => ProtocolVersion::TLSv1_2,
    }
}

/// A clasp client that offers only secp521r1 and only version `v`.
fn p521_client(v: TlsVersion) -> Arc<ClientConfig> {
    Arc::new(
        client_builder()
            .with_groups(&[NamedGroup::secp521r1])
            .with_protocol_versions(&[protocol(v)])
            .build()
            .unwrap(),
    )
}

/// A clasp server with the P-521 certificate and the library's default groups (which accept
/// secp521r1), version `v` only.
fn p521_server(v: TlsVersion) -> Arc<ServerConfig> {
    Arc::new(
        server_builder(KT)
            .with_protocol_versions(&[protocol(v)])
            .build()
            .unwrap(),
    )
}

fn assert_p521(n: &clasp::conn::Negotiated, v: TlsVersion) {
    assert_p521_signed_with(n, v, SignatureScheme::ECDSA_NISTP521_SHA512);
}

fn assert_p521_signed_with(n: &clasp::conn::Negotiated, v: TlsVersion, scheme: SignatureScheme) {
    assert_eq!(n.version, Some(protocol(v)), "{n:?}");
    assert_eq!(n.group, Some(NamedGroup::secp521r1), "{n:?}");
    assert_eq!(n.signature_scheme, Some(scheme), "{n:?}");
}

// ---------------------------------------------------------------------------------------------
// In memory: the default-group policy, and both versions end to end.

#[test]
fn default_client_does_not_offer_p521_and_default_server_accepts_it() {
    assert!(!DEFAULT_GROUPS.contains(&NamedGroup::secp521r1));
    // The default ClientHello's supported_groups: 0x000a, then the list. P-521 (0x0019) is
    // absent; P-384 (0x0018) is there.
    let mut c = ClientConnection::new(common::client_config(), localhost()).unwrap();
    let hello = take_tls(&mut c);
    let groups_ext = hello
        .windows(4)
        .position(|w| w[0] == 0x00 && w[1] == 0x0a)
        .expect("supported_groups");
    let len = usize::from(u16::from_be_bytes([
        hello[groups_ext + 4],
        hello[groups_ext + 5],
    ]));
    let list: Vec<u16> = hello[groups_ext + 6..groups_ext + 6 + len]
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    assert!(list.contains(&0x0018), "{list:x?}");
    assert!(!list.contains(&0x0019), "{list:x?}");

    for v in TlsVersion::ALL {
        let mut c = ClientConnection::new(p521_client(v), localhost()).unwrap();
        let mut s = ServerConnection::new(p521_server(v)).unwrap();
        pump(&mut c, &mut s).unwrap_or_else(|f| panic!("{v:?}: {f:?}"));
        assert_p521(c.negotiated(), v);
        assert_p521(s.negotiated(), v);
        if v == TlsVersion::Tls12 {
            assert_eq!(
                c.negotiated().cipher_suite,
                Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
            );
        }
    }
}

/// Feeds `bytes` to `s` until it fails; returns the error and the alert it sends.
fn server_error(s: &mut ServerConnection, bytes: &[u8]) -> (Error, Vec<u8>) {
    let err = give_tls(s, bytes)
        .err()
        .or_else(|| s.process_new_packets().err());
    let err = err.expect("the server accepted the tampered message");
    (err, take_tls(s))
}

/// The client's view of the server's alert.
fn alert_seen_by(c: &mut ClientConnection, alert: &[u8]) -> Error {
    let _ = give_tls(c, alert);
    c.process_new_packets().unwrap_err()
}

#[test]
fn tls13_p521_key_share_off_the_curve_is_illegal_parameter() {
    let mut c = ClientConnection::new(p521_client(TlsVersion::Tls13), localhost()).unwrap();
    let mut s = ServerConnection::new(p521_server(TlsVersion::Tls13)).unwrap();
    let mut hello = take_tls(&mut c);
    // KeyShareEntry: group 0x0019, length 0x0085 (133 = 0x04 ‖ X ‖ Y, 66 bytes each).
    let at = hello
        .windows(5)
        .position(|w| w == [0x00, 0x19, 0x00, 0x85, 0x04])
        .expect("P-521 key share in the ClientHello");
    hello[at + 4 + 132] ^= 0x01; // last byte of Y
    let (err, alert) = server_error(&mut s, &hello);
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare));
    assert_eq!(
        alert_seen_by(&mut c, &alert),
        Error::AlertReceived(AlertDescription::IllegalParameter)
    );
}

#[test]
fn tls12_p521_client_key_exchange_off_the_curve_is_illegal_parameter() {
    let mut c = ClientConnection::new(p521_client(TlsVersion::Tls12), localhost()).unwrap();
    let mut s = ServerConnection::new(p521_server(TlsVersion::Tls12)).unwrap();
    // ClientHello → server flight → client flight (ClientKeyExchange in the clear).
    give_tls(&mut s, &take_tls(&mut c)).unwrap();
    s.process_new_packets().unwrap();
    give_tls(&mut c, &take_tls(&mut s)).unwrap();
    c.process_new_packets().unwrap();
    let mut flight = take_tls(&mut c);
    // ClientKeyExchange (16), length 134, ECPoint length 133, 0x04 ‖ X ‖ Y (RFC 8422 §5.7).
    let at = flight
        .windows(6)
        .position(|w| w == [0x10, 0x00, 0x00, 0x86, 0x85, 0x04])
        .expect("P-521 ClientKeyExchange");
    flight[at + 5 + 132] ^= 0x01;
    let (err, alert) = server_error(&mut s, &flight);
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare));
    assert_eq!(
        alert_seen_by(&mut c, &alert),
        Error::AlertReceived(AlertDescription::IllegalParameter)
    );
}

// ---------------------------------------------------------------------------------------------
// clasp client -> openssl s_server / gnutls-serv with a P-521 certificate and group.

fn client_to_openssl(v: TlsVersion) {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let mut opts = OpensslServerOpts::new(pki.server(KT))
        .version(v)
        .groups("P-521")
        .rev()
        .naccept(1);
    if v == TlsVersion::Tls12 {
        opts = opts.cipher("ECDHE-ECDSA-AES256-GCM-SHA384");
    }
    let server = OpensslServer::start(&opts);
    let mut conn = ClientConnection::new(p521_client(v), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with s_server failed: {e:?}\n{}",
            server.finish(T)
        );
    }
    send(&mut conn, &mut sock, b"hello p-521\n");
    assert_eq!(read_until(&mut conn, &mut sock, b"\n"), b"125-p olleh\n");
    close(&mut conn, &mut sock);
    drop(sock);
    let out = server.finish(T);
    assert_eq!(out.version(), Some(v), "{out}");
    assert!(!out.contains("CONNECTION FAILURE"), "{out}");
    // In TLS 1.2 an ECDSA scheme fixes only the hash (RFC 8422 §5.1.3): OpenSSL takes the
    // first of our signature_algorithms its P-521 key can do, ecdsa_secp256r1_sha256, i.e.
    // ECDSA P-521 over SHA-256 (which clasp verified before this commit's fix: BadSignature).
    let scheme = match v {
        TlsVersion::Tls13 => SignatureScheme::ECDSA_NISTP521_SHA512,
        TlsVersion::Tls12 => SignatureScheme::ECDSA_NISTP256_SHA256,
    };
    assert_p521_signed_with(conn.negotiated(), v, scheme);
    assert_eq!(
        conn.negotiated().peer_certificates[0].as_ref(),
        pki.server(KT).cert_der()
    );
}

#[test]
fn client_openssl_tls13_p521() {
    client_to_openssl(TlsVersion::Tls13);
}

#[test]
fn client_openssl_tls12_p521() {
    client_to_openssl(TlsVersion::Tls12);
}

fn gnutls_priority(v: TlsVersion) -> String {
    let vers = match v {
        TlsVersion::Tls13 => "TLS1.3",
        TlsVersion::Tls12 => "TLS1.2",
    };
    format!(
        "NORMAL:-VERS-ALL:+VERS-{vers}:-GROUP-ALL:+GROUP-SECP521R1:-SIGN-ALL:+SIGN-ECDSA-SECP521R1-SHA512:+SIGN-ECDSA-SHA512"
    )
}

/// gnutls prints e.g. "(TLS1.3-X.509)-(ECDHE-SECP521R1)-(ECDSA-SECP521R1-SHA512)-(AES-256-GCM)";
/// TLS 1.2 names the signature "(ECDSA-SHA512)".
fn assert_gnutls_p521(out: &clasp_testkit::PeerOutput, v: TlsVersion) {
    out.assert_contains("(ECDHE-SECP521R1)");
    let want = match v {
        TlsVersion::Tls13 => "(TLS1.3-X.509)-(ECDHE-SECP521R1)-(ECDSA-SECP521R1-SHA512)",
        TlsVersion::Tls12 => "(TLS1.2-X.509)-(ECDHE-SECP521R1)-(ECDSA-SHA512)",
    };
    out.assert_contains(want);
}

fn client_to_gnutls(v: TlsVersion) {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let server =
        GnutlsServer::start(&GnutlsServerOpts::new(pki.server(KT)).priority(gnutls_priority(v)));
    let mut conn = ClientConnection::new(p521_client(v), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    send(&mut conn, &mut sock, b"echo p-521\n");
    assert_eq!(read_until(&mut conn, &mut sock, b"\n"), b"echo p-521\n");
    close(&mut conn, &mut sock);
    drop(sock);
    server.wait_for("- Description:", Duration::from_secs(2));
    let out = server.finish();
    assert_gnutls_p521(&out, v);
    assert_p521(conn.negotiated(), v);
}

#[test]
fn client_gnutls_tls13_p521() {
    client_to_gnutls(TlsVersion::Tls13);
}

#[test]
fn client_gnutls_tls12_p521() {
    client_to_gnutls(TlsVersion::Tls12);
}

// ---------------------------------------------------------------------------------------------
// openssl s_client / gnutls-cli -> clasp server (default groups) with a P-521 certificate.

fn openssl_to_server(v: TlsVersion) {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(p521_server(v));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .version(v)
            .groups("P-521")
            .sigalgs("ecdsa_secp521r1_sha512")
            .send(PING)
            .expect(PONG)
            .timeout(T),
    );
    let report = server.join().unwrap();
    out.assert_success();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert_eq!(report.received, PING);
    assert_eq!(out.version(), Some(v), "{out}");
    out.assert_contains("Server Temp Key: ECDH, secp521r1, 521 bits");
    out.assert_contains("Peer signing digest: SHA512");
    out.assert_contains("Verify return code: 0 (ok)");
    assert_p521(&report.negotiated, v);
}

#[test]
fn server_openssl_tls13_p521() {
    openssl_to_server(TlsVersion::Tls13);
}

#[test]
fn server_openssl_tls12_p521() {
    openssl_to_server(TlsVersion::Tls12);
}

fn gnutls_to_server(v: TlsVersion) {
    require_peers!("gnutls-cli");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(p521_server(v));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, pki.ca_path())
            .priority(gnutls_priority(v))
            .send(PING)
            .expect(PONG)
            .timeout(T),
    );
    let report = server.join().unwrap();
    out.assert_success();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert_eq!(report.received, PING);
    assert_gnutls_p521(&out, v);
    assert_p521(&report.negotiated, v);
}

#[test]
fn server_gnutls_tls13_p521() {
    gnutls_to_server(TlsVersion::Tls13);
}

#[test]
fn server_gnutls_tls12_p521() {
    gnutls_to_server(TlsVersion::Tls12);
}
