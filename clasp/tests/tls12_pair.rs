//! clasp TLS 1.2 client ↔ clasp TLS 1.2 server in memory (RFC 5246): every TLS 1.2 suite, data
//! both ways, and the negative cases (downgrade sentinel, tampered ServerKeyExchange, bad DH
//! values, RSA ClientKeyExchange that must fail only at Finished).

use std::io::{Read, Write};
use std::sync::Arc;

use clasp::error::{PeerIncompatible, PeerMisbehaved};
use clasp::msgs::enums::{AlertDescription, CipherSuite, NamedGroup, ProtocolVersion};
use clasp::suites::{Authentication, KeyExchange, ALL_SUITES};
use clasp::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig, ServerConnection,
};
use clasp_testkit::{KeyType, TestPki};
use rustls_pki_types::CertificateDer;

mod common;
use common::{client_builder, localhost, Failure};

/// A server builder presenting only the shared PKI's `kt` server leaf, without the CA (the
/// tests check that the client sees a one-certificate chain).
fn leaf_only_server(kt: KeyType) -> clasp::config::ServerConfigBuilder {
    let id = TestPki::shared().server(kt);
    let leaf = CertificateDer::from(id.cert_der().to_vec());
    ServerConfig::builder().with_single_cert(vec![leaf], id.private_key())
}

/// The SubjectPublicKeyInfo of the shared PKI's RSA server key, to encrypt a forged premaster
/// secret to it.
fn rsa_spki() -> Vec<u8> {
    let id = TestPki::shared().server(KeyType::Rsa2048);
    rcgen::KeyPair::try_from(id.key_der())
        .unwrap()
        .public_key_der()
}

/// Moves bytes both ways until neither side has anything to send; `tamper` may rewrite each
/// batch (`true` = client → server). On the first error the failing side's alert is still
/// delivered, so the peer's `AlertReceived` can be checked.
fn pump_with(
    client: &mut ConnectionCommon,
    server: &mut ConnectionCommon,
    tamper: &mut dyn FnMut(bool, &mut Vec<u8>),
) -> Result<(), (Failure, Option<Error>)> {
    fn deliver(to: &mut ConnectionCommon, buf: &[u8]) -> Result<(), Error> {
        // Whole (possibly tampered) batches are delivered before the test reads; the 16 KiB
        // default cap on unread plaintext is tested in bounds.rs.
        to.set_plaintext_limit(usize::MAX);
        let mut rd = buf;
        while !rd.is_empty() {
            to.read_tls(&mut rd).unwrap();
            to.process_new_packets()?;
        }
        Ok(())
    }
    for _ in 0..30 {
        let mut progressed = false;
        for from_client in [true, false] {
            let (src, dst) = if from_client {
                (&mut *client, &mut *server)
            } else {
                (&mut *server, &mut *client)
            };
            let mut buf = Vec::new();
            src.write_tls(&mut buf).unwrap();
            if buf.is_empty() {
                continue;
            }
            progressed = true;
            tamper(from_client, &mut buf);
            if let Err(e) = deliver(dst, &buf) {
                // The failing side queued an alert: deliver it to see what the peer learns.
                let mut alert = Vec::new();
                dst.write_tls(&mut alert).unwrap();
                let peer = deliver(src, &alert).err();
                let f = if from_client {
                    Failure::Server(e)
                } else {
                    Failure::Client(e)
                };
                return Err((f, peer));
            }
        }
        if !progressed {
            return Ok(());
        }
    }
    Ok(())
}

fn client_config(suite: CipherSuite, groups: &[NamedGroup], rsa_kx: bool) -> ClientConfig {
    client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[suite])
        .with_groups(groups)
        .allow_rsa_key_exchange(rsa_kx)
        .build()
        .unwrap()
}

fn server_config(
    kt: KeyType,
    versions: &[ProtocolVersion],
    rsa_kx: bool,
    dhe: bool,
) -> ServerConfig {
    leaf_only_server(kt)
        .with_protocol_versions(versions)
        .allow_rsa_key_exchange(rsa_kx)
        .allow_dhe(dhe)
        .build()
        .unwrap()
}

fn connect(client: ClientConfig, server: ServerConfig) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(Arc::new(client), localhost()).unwrap();
    let s = ServerConnection::new(Arc::new(server)).unwrap();
    (c, s)
}

fn exchange_data(client: &mut ClientConnection, server: &mut ServerConnection) {
    client.writer().write_all(b"hello from client").unwrap();
    pump_with(client, server, &mut |_, _| {}).unwrap();
    let mut got = [0u8; 17];
    server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello from client");
    let big = vec![0x5a; 40_000];
    server.writer().write_all(&big).unwrap();
    pump_with(client, server, &mut |_, _| {}).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < big.len() {
        let n = client.reader().read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, big);
}

/// A client and server set up for `suite` (certificate matching its authentication).
fn pair_for(
    suite: CipherSuite,
    kx: KeyExchange,
    auth: Authentication,
) -> (ClientConnection, ServerConnection) {
    let kt = if auth == Authentication::Ecdsa {
        KeyType::EcdsaP256
    } else {
        KeyType::Rsa2048
    };
    let groups: &[NamedGroup] = match kx {
        KeyExchange::Dhe => &[NamedGroup::FFDHE2048],
        _ => &[NamedGroup::X25519, NamedGroup::secp256r1],
    };
    let rsa = kx == KeyExchange::Rsa;
    let server = leaf_only_server(kt)
        .with_cipher_suites(&[suite])
        .allow_rsa_key_exchange(rsa)
        .allow_dhe(kx == KeyExchange::Dhe)
        .build()
        .unwrap();
    connect(client_config(suite, groups, rsa), server)
}

/// RFC 5246 §7.4: a full handshake and data both ways for every TLS 1.2 suite in the table.
#[test]
fn every_tls12_suite_handshakes_and_carries_data() {
    let mut n = 0;
    for s in ALL_SUITES
        .iter()
        .filter(|s| s.version == ProtocolVersion::TLSv1_2)
    {
        let (mut c, mut sv) = pair_for(s.suite, s.kx, s.auth);
        pump_with(&mut c, &mut sv, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("{:?}: {e:?}", s.suite));
        assert!(!c.is_handshaking() && !sv.is_handshaking(), "{:?}", s.suite);
        assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSv1_2));
        assert_eq!(c.negotiated_cipher_suite(), Some(s.suite));
        assert_eq!(sv.negotiated_cipher_suite(), Some(s.suite));
        match s.kx {
            KeyExchange::Dhe => assert_eq!(
                c.negotiated_key_exchange_group(),
                Some(NamedGroup::FFDHE2048)
            ),
            KeyExchange::Ecdhe => {
                assert_eq!(c.negotiated_key_exchange_group(), Some(NamedGroup::X25519));
            }
            _ => assert_eq!(c.negotiated_key_exchange_group(), None),
        }
        assert_eq!(c.peer_certificates().len(), 1);
        // RFC 5705: both sides export the same keying material.
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        c.export_keying_material(&mut a, b"EXPORTER-test", Some(b"ctx"))
            .unwrap();
        sv.export_keying_material(&mut b, b"EXPORTER-test", Some(b"ctx"))
            .unwrap();
        assert_eq!(a, b);
        exchange_data(&mut c, &mut sv);
        n += 1;
    }
    assert_eq!(n, 11);
}

/// DESIGN: RSA key exchange is off by default; a client offering only RSA suites gets
/// handshake_failure.
#[test]
fn rsa_key_exchange_disabled_by_default_is_handshake_failure() {
    let client = client_config(
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        &[NamedGroup::X25519],
        true,
    );
    let server = server_config(KeyType::Rsa2048, &[ProtocolVersion::TLSv1_2], false, false);
    let (mut c, mut s) = connect(client, server);
    let (f, peer) = pump_with(&mut c, &mut s, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(
            f,
            Failure::Server(Error::PeerIncompatible(
                PeerIncompatible::NoCommonCipherSuite
            ))
        ),
        "{f:?}"
    );
    assert_eq!(
        peer,
        Some(Error::AlertReceived(AlertDescription::HandshakeFailure))
    );
}

/// Calls `f` on the body of the first handshake message of type `typ` in a batch of plaintext
/// records (stops at the first ChangeCipherSpec: what follows is encrypted).
fn with_handshake_body(buf: &mut [u8], typ: u8, f: &mut dyn FnMut(&mut [u8])) -> bool {
    let mut pos = 0;
    while pos + 5 <= buf.len() {
        let ct = buf[pos];
        let len = u16::from_be_bytes([buf[pos + 3], buf[pos + 4]]) as usize;
        if ct == 20 {
            return false;
        }
        let end = pos + 5 + len;
        if ct == 22 {
            let mut m = pos + 5;
            while m + 4 <= end {
                let mlen = u32::from_be_bytes([0, buf[m + 1], buf[m + 2], buf[m + 3]]) as usize;
                if buf[m] == typ {
                    f(&mut buf[m + 4..m + 4 + mlen]);
                    return true;
                }
                m += 4 + mlen;
            }
        }
        pos = end;
    }
    false
}

const SERVER_KEY_EXCHANGE: u8 = 12;
const CLIENT_KEY_EXCHANGE: u8 = 16;

/// RFC 8446 §4.1.3: a TLS 1.3-capable client that gets a TLS 1.2 ServerHello whose random ends
/// in DOWNGRD\x01 aborts with illegal_parameter. The ServerHello comes from a clasp server
/// that supports TLS 1.3 but negotiated 1.2 with a 1.2-only client; it is replayed to a client
/// that offered 1.3.
#[test]
fn downgrade_sentinel_is_written_and_detected() {
    let p = KeyType::EcdsaP256;
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let server = server_config(
        p,
        &[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2],
        false,
        false,
    );
    // P-256 offered too: the server's ECDSA leaf must be on an offered curve (RFC 4492 §5.1).
    let groups = [NamedGroup::X25519, NamedGroup::secp256r1];
    let (mut c12, mut s) = connect(client_config(suite, &groups, false), server);
    let mut hello = Vec::new();
    c12.write_tls(&mut hello).unwrap();
    let mut rd = &hello[..];
    s.read_tls(&mut rd).unwrap();
    s.process_new_packets().unwrap();
    let mut flight = Vec::new();
    s.write_tls(&mut flight).unwrap();
    // ServerHello is the first message: record header 5, handshake header 4, version 2.
    assert_eq!(&flight[5 + 4 + 2 + 24..5 + 4 + 2 + 32], b"DOWNGRD\x01");
    // The 1.2-only client does not look at the sentinel (RFC 8446 §4.1.3 applies to TLS 1.3
    // clients) and completes.
    let mut rd = &flight[..];
    c12.read_tls(&mut rd).unwrap();
    c12.process_new_packets().unwrap();

    let c13 = client_builder().build().unwrap();
    let mut c13 = ClientConnection::new(Arc::new(c13), localhost()).unwrap();
    let mut rd = &flight[..];
    c13.read_tls(&mut rd).unwrap();
    let err = c13.process_new_packets().unwrap_err();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::DowngradeAttempt));
    assert_eq!(
        AlertDescription::from(&err),
        AlertDescription::IllegalParameter
    );
}

/// RFC 5246 §7.4.3: a ServerKeyExchange whose signature does not verify → decrypt_error.
#[test]
fn tampered_server_key_exchange_signature_is_decrypt_error() {
    for (suite, kx, auth) in [
        (
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            KeyExchange::Ecdhe,
            Authentication::Ecdsa,
        ),
        (
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            KeyExchange::Ecdhe,
            Authentication::Rsa,
        ),
        (
            CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
            KeyExchange::Dhe,
            Authentication::Rsa,
        ),
    ] {
        let (mut c, mut s) = pair_for(suite, kx, auth);
        let mut tamper = |from_client: bool, buf: &mut Vec<u8>| {
            if !from_client {
                with_handshake_body(buf, SERVER_KEY_EXCHANGE, &mut |body| {
                    let last = body.len() - 1;
                    body[last] ^= 0x01;
                });
            }
        };
        let (f, peer) = pump_with(&mut c, &mut s, &mut tamper).unwrap_err();
        assert!(
            matches!(
                f,
                Failure::Client(Error::PeerMisbehaved(PeerMisbehaved::BadSignature))
            ),
            "{suite:?}: {f:?}"
        );
        assert_eq!(
            peer,
            Some(Error::AlertReceived(AlertDescription::DecryptError))
        );
    }
}

/// RFC 7919 §5.1: "1 < Y < p-1"; a client DH value of 1 or p-1 is rejected by the server.
#[test]
fn dh_public_value_one_and_p_minus_one_are_rejected() {
    let p_minus_1 = {
        let mut p = clasp::crypto::ffdhe::FfdheParams::for_group(NamedGroup::FFDHE2048)
            .unwrap()
            .prime();
        let last = p.len() - 1;
        p[last] -= 1; // p is odd: no borrow
        p
    };
    let mut one = vec![0u8; 256];
    one[255] = 1;
    for bad in [one, p_minus_1] {
        let (mut c, mut s) = pair_for(
            CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
            KeyExchange::Dhe,
            Authentication::Rsa,
        );
        let mut tamper = |from_client: bool, buf: &mut Vec<u8>| {
            if from_client {
                with_handshake_body(buf, CLIENT_KEY_EXCHANGE, &mut |body| {
                    assert_eq!(body.len(), 2 + 256);
                    body[2..].copy_from_slice(&bad);
                });
            }
        };
        let (f, _) = pump_with(&mut c, &mut s, &mut tamper).unwrap_err();
        assert!(
            matches!(
                f,
                Failure::Server(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
            ),
            "{f:?}"
        );
    }
}

/// RFC 8422 §5.11 / RFC 8446 §4.2.8.2: an ECDHE point that is not on the curve is rejected
/// (illegal_parameter), here a client P-256 point with one coordinate byte changed.
#[test]
fn ecdhe_point_not_on_the_curve_is_rejected() {
    let p = KeyType::EcdsaP256;
    let mut c = ClientConnection::new(
        Arc::new(client_config(
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            &[NamedGroup::secp256r1],
            false,
        )),
        localhost(),
    )
    .unwrap();
    let mut s = ServerConnection::new(Arc::new(server_config(
        p,
        &[ProtocolVersion::TLSv1_2],
        false,
        false,
    )))
    .unwrap();
    let mut tamper = |from_client: bool, buf: &mut Vec<u8>| {
        if from_client {
            with_handshake_body(buf, CLIENT_KEY_EXCHANGE, &mut |body| {
                // u8 length (65) ‖ 0x04 ‖ X ‖ Y: change the last byte of Y.
                assert_eq!(body.len(), 1 + 65);
                body[65] ^= 0x01;
            });
        }
    };
    let (f, peer) = pump_with(&mut c, &mut s, &mut tamper).unwrap_err();
    assert!(
        matches!(
            f,
            Failure::Server(Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare))
        ),
        "{f:?}"
    );
    assert_eq!(
        peer,
        Some(Error::AlertReceived(AlertDescription::IllegalParameter))
    );
}

/// RFC 5246 §7.4.7.1: a ClientKeyExchange with wrong padding, wrong version or wrong length
/// must not be told apart from a good one until Finished: each fails exactly like a correct
/// encryption of a different pre-master secret: the server's keys differ from the client's,
/// so the encrypted client Finished fails to open (bad_record_mac).
#[test]
fn rsa_client_key_exchange_errors_all_fail_at_finished() {
    use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
    let key =
        Pkcs1PublicEncryptingKey::new(PublicEncryptingKey::from_der(&rsa_spki()).unwrap()).unwrap();
    let encrypt = |m: &[u8]| {
        let mut out = vec![0u8; 256];
        key.encrypt(m, &mut out).unwrap().to_vec()
    };
    let mut good_version = vec![0x03, 0x03];
    good_version.extend_from_slice(&[0x42; 46]);
    let mut wrong_version = vec![0x03, 0x01];
    wrong_version.extend_from_slice(&[0x42; 46]);
    let mut bad_padding = vec![0x00];
    bad_padding.extend_from_slice(&[0x17; 255]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("different pre-master", encrypt(&good_version)),
        ("wrong version", encrypt(&wrong_version)),
        ("wrong length 47", encrypt(&good_version[..47])),
        (
            "wrong length 49",
            encrypt(&[good_version.as_slice(), &[0]].concat()),
        ),
        ("bad padding", bad_padding),
    ];
    for (name, ct) in cases {
        let (mut c, mut s) = pair_for(
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            KeyExchange::Rsa,
            Authentication::Rsa,
        );
        let mut tamper = |from_client: bool, buf: &mut Vec<u8>| {
            if from_client {
                with_handshake_body(buf, CLIENT_KEY_EXCHANGE, &mut |body| {
                    assert_eq!(body.len(), 2 + 256);
                    body[2..].copy_from_slice(&ct);
                });
            }
        };
        let (f, peer) = pump_with(&mut c, &mut s, &mut tamper).unwrap_err();
        // Nothing earlier than the client's Finished record may fail.
        assert!(
            matches!(f, Failure::Server(Error::DecryptError)),
            "{name}: {f:?}"
        );
        assert_eq!(
            peer,
            Some(Error::AlertReceived(AlertDescription::BadRecordMac)),
            "{name}"
        );
    }
}

const SERVER_HELLO: u8 = 2;

/// RFC 8422 §5.3–5.4 / RFC 5246 §7.4.2–7.4.3: the server's key and its ServerKeyExchange
/// signature must fit the suite's authentication (ECDHE_ECDSA: ECDSA or EdDSA; ECDHE_RSA:
/// RSA). A server with an RSA key that claims an ECDHE_ECDSA suite (ServerHello rewritten on
/// the wire) is refused at its Certificate already (`CertificateKeyMismatchesSuite`, as
/// BoringSSL's WRONG_CERTIFICATE_TYPE), before any key is derived; the ServerKeyExchange
/// check behind it (`UnofferedSignatureScheme`) stays as a second line. (Found by BoGo's
/// CertificateCipherMismatch-* tests.)
#[test]
fn server_key_exchange_signature_must_fit_the_suite() {
    let ecdsa = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let rsa = CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    for (kt, chosen, claimed) in [
        (KeyType::Rsa2048, rsa, ecdsa),
        (KeyType::EcdsaP256, ecdsa, rsa),
    ] {
        let client = client_builder()
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .with_cipher_suites(&[ecdsa, rsa])
            .build()
            .unwrap();
        let server = leaf_only_server(kt)
            .with_cipher_suites(&[chosen])
            .build()
            .unwrap();
        let (mut c, mut s) = connect(client, server);
        let mut tamper = |from_client: bool, buf: &mut Vec<u8>| {
            if !from_client {
                with_handshake_body(buf, SERVER_HELLO, &mut |body| {
                    // version (2), random (32), session_id (1 + n), then cipher_suite.
                    let at = 2 + 32 + 1 + usize::from(body[34]);
                    body[at..at + 2].copy_from_slice(&claimed.0.to_be_bytes());
                });
            }
        };
        let (f, peer) = pump_with(&mut c, &mut s, &mut tamper).unwrap_err();
        assert!(
            matches!(
                f,
                Failure::Client(Error::PeerMisbehaved(
                    PeerMisbehaved::CertificateKeyMismatchesSuite
                ))
            ),
            "{kt:?} claiming {claimed:?}: {f:?}"
        );
        assert_eq!(
            peer,
            Some(Error::AlertReceived(AlertDescription::IllegalParameter))
        );
    }
}

/// RFC 8422 §5.1.2: a client that lists EC groups but whose ec_point_formats lacks
/// "uncompressed" makes the server "abort the handshake and return an illegal_parameter
/// alert". (Found by BoGo's PointFormat-Server-MissingUncompressed.)
#[test]
fn ec_point_formats_without_uncompressed_is_illegal_parameter() {
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let (mut c, mut s) = pair_for(suite, KeyExchange::Ecdhe, Authentication::Ecdsa);
    let mut tampered = false;
    let mut tamper = |from_client: bool, buf: &mut Vec<u8>| {
        // ec_point_formats (type 11), extension_data length 2, list length 1, uncompressed (0).
        let ext = [0x00, 0x0b, 0x00, 0x02, 0x01, 0x00];
        if from_client && !tampered {
            if let Some(at) = buf.windows(ext.len()).position(|w| w == ext) {
                // ansiX962_compressed_prime (1) instead.
                buf[at + 5] = 0x01;
                tampered = true;
            }
        }
    };
    let (f, peer) = pump_with(&mut c, &mut s, &mut tamper).unwrap_err();
    assert!(
        tampered,
        "the client sent no ec_point_formats [uncompressed]"
    );
    assert!(
        matches!(
            f,
            Failure::Server(Error::PeerMisbehaved(PeerMisbehaved::IllegalExtensionValue))
        ),
        "{f:?}"
    );
    assert_eq!(
        peer,
        Some(Error::AlertReceived(AlertDescription::IllegalParameter))
    );
}

/// RFC 5246 Appendix E.1: a server version the client does not support is "protocol_version",
/// decided on the version before the suite is looked at. A TLS 1.3-only client given a TLS 1.2
/// ServerHello says so. (Found by BoGo's MinimumVersion-Client-TLS13-TLS12-TLS.)
#[test]
fn tls13_only_client_refuses_tls12_server_hello_with_protocol_version() {
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let server = server_config(
        KeyType::EcdsaP256,
        &[ProtocolVersion::TLSv1_2],
        false,
        false,
    );
    // P-256 offered too: the server's ECDSA leaf must be on an offered curve (RFC 4492 §5.1).
    let groups = [NamedGroup::X25519, NamedGroup::secp256r1];
    let (mut c12, mut s) = connect(client_config(suite, &groups, false), server);
    let mut hello = Vec::new();
    c12.write_tls(&mut hello).unwrap();
    let mut rd = &hello[..];
    s.read_tls(&mut rd).unwrap();
    s.process_new_packets().unwrap();
    let mut flight = Vec::new();
    s.write_tls(&mut flight).unwrap();

    let c13 = client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .build()
        .unwrap();
    let mut c13 = ClientConnection::new(Arc::new(c13), localhost()).unwrap();
    let mut rd = &flight[..];
    c13.read_tls(&mut rd).unwrap();
    let err = c13.process_new_packets().unwrap_err();
    assert_eq!(
        err,
        Error::PeerIncompatible(PeerIncompatible::NoCommonVersion)
    );
    assert_eq!(
        AlertDescription::from(&err),
        AlertDescription::ProtocolVersion
    );
}
