//! OCSP stapling (RFC 6066 §8 in TLS 1.2, RFC 8446 §4.4.2.1 in TLS 1.3) between two clasp
//! peers in memory, and a hostile server's staples: unsolicited, empty, oversized, misplaced.

use std::sync::Arc;

use clasp_testkit::{KeyType, TestPki};
use rustls_pki_types::CertificateDer;

use super::test_io::{give, take};
use crate::config::{ClientConfig, ServerConfig, ServerConfigBuilder};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::{ConfigError, Error, InternalError, InvalidMessage, PeerMisbehaved};
use crate::msgs::enums::{AlertDescription, HandshakeType, ProtocolVersion};
use crate::msgs::extensions::{
    CertificateExtension, CertificateStatus, ServerExtension, MAX_OCSP_RESPONSE_SIZE,
};
use crate::msgs::handshake::{CertificateTls13, HandshakeMessage, HandshakePayload};
use crate::ocsp::OcspResponder;
use crate::session::ClientSessionCache;
use crate::verify::{RootCertStore, ServerName};

const TLS12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];
const TLS13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];
/// Not DER: clasp never parses the response (crate::ocsp), so any bytes do.
const RESPONSE: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x00];

fn client_config(versions: &[ProtocolVersion], request: bool) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(versions)
        .request_ocsp_stapling(request)
        .build()
        .unwrap()
}

fn server_builder(versions: &[ProtocolVersion]) -> ServerConfigBuilder {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .with_protocol_versions(versions)
}

fn connect(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(
        Arc::clone(client),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    (c, ServerConnection::new(Arc::clone(server)).unwrap())
}

fn handshake(c: &mut ClientConnection, s: &mut ServerConnection) {
    for _ in 0..6 {
        give(s, &take(c)).unwrap();
        give(c, &take(s)).unwrap();
    }
    assert!(!c.is_handshaking() && !s.is_handshaking());
}

/// The plaintext handshake messages of a TLS 1.2 server flight (ServerHello … ServerHelloDone),
/// as raw `type ‖ u24 length ‖ body` byte strings.
fn split_messages(flight: &[u8]) -> Vec<Vec<u8>> {
    let mut joined = Vec::new();
    let mut rest = flight;
    while !rest.is_empty() {
        assert_eq!(rest[0], 22, "a plaintext handshake record");
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        joined.extend_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
    }
    let mut out = Vec::new();
    let mut rest = &joined[..];
    while !rest.is_empty() {
        let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        out.push(rest[..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    out
}

/// Frames handshake messages back into plaintext TLS 1.2 records of at most 2^14 bytes.
fn join_messages(msgs: &[Vec<u8>]) -> Vec<u8> {
    let joined: Vec<u8> = msgs.concat();
    let mut out = Vec::new();
    for chunk in joined.chunks(1 << 14) {
        out.extend_from_slice(&[22, 3, 3]);
        out.extend_from_slice(&u16::try_from(chunk.len()).unwrap().to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn raw_message(typ: HandshakeType, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut m = vec![typ.0, len[1], len[2], len[3]];
    m.extend_from_slice(body);
    m
}

/// Re-encodes the flight's ServerHello (its first message) after `edit`.
fn edit_server_hello(msgs: &mut [Vec<u8>], edit: impl FnOnce(&mut Vec<ServerExtension>)) {
    let msg = HandshakeMessage::read_version(&msgs[0], ProtocolVersion::TLSv1_2).unwrap();
    let HandshakePayload::ServerHello(mut sh) = msg.payload().clone() else {
        panic!("expected ServerHello");
    };
    edit(&mut sh.extensions);
    msgs[0] = HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .encoded()
        .to_vec();
}

/// The client fails with `want`, and the server receives the alert `alert`.
fn client_refuses(
    c: &mut ClientConnection,
    s: &mut ServerConnection,
    forged: &[u8],
    want: &Error,
    alert: AlertDescription,
) {
    assert_eq!(&give(c, forged).unwrap_err(), want);
    assert_eq!(
        give(s, &take(c)).unwrap_err(),
        Error::AlertReceived(alert),
        "the alert the server saw"
    );
}

/// RFC 6066 §8 / RFC 8446 §4.4.2.1: a client that asks gets the configured response, in both
/// versions; the server records that it stapled.
#[test]
fn staple_reaches_a_client_that_asks() {
    for versions in [TLS12, TLS13] {
        let client = Arc::new(client_config(versions, true));
        let server = Arc::new(
            server_builder(versions)
                .with_ocsp_response(RESPONSE.to_vec())
                .build()
                .unwrap(),
        );
        let (mut c, mut s) = connect(&client, &server);
        handshake(&mut c, &mut s);
        assert_eq!(c.ocsp_response(), Some(RESPONSE), "{versions:?}");
        assert!(c.negotiated().ocsp_stapled);
        assert!(s.negotiated().ocsp_stapled, "{versions:?}");
        assert_eq!(s.ocsp_response(), None, "a server keeps no copy");
    }
}

/// A client that does not ask gets nothing (RFC 6066 §8: the server staples only "in response
/// to" status_request; RFC 8446 §4.4.2.1 likewise), and no server without a response staples.
#[test]
fn no_staple_unless_asked_and_configured() {
    for versions in [TLS12, TLS13] {
        let server = Arc::new(
            server_builder(versions)
                .with_ocsp_response(RESPONSE.to_vec())
                .build()
                .unwrap(),
        );
        let (mut c, mut s) = connect(&Arc::new(client_config(versions, false)), &server);
        handshake(&mut c, &mut s);
        assert_eq!(c.ocsp_response(), None);
        assert!(!s.negotiated().ocsp_stapled, "{versions:?}");

        let plain = Arc::new(server_builder(versions).build().unwrap());
        let (mut c, mut s) = connect(&Arc::new(client_config(versions, true)), &plain);
        handshake(&mut c, &mut s);
        assert_eq!(c.ocsp_response(), None);
        assert!(!c.negotiated().ocsp_stapled);
    }
}

/// A resumed connection reports the response of the handshake that made the session.
#[test]
fn resumption_reports_the_original_staple() {
    for versions in [TLS12, TLS13] {
        let cache = Arc::new(ClientSessionCache::new(8));
        let mut roots = RootCertStore::empty();
        roots.add(&TestPki::shared().ca_cert()).unwrap();
        let client = Arc::new(
            ClientConfig::builder()
                .with_root_certificates(roots)
                .with_protocol_versions(versions)
                .with_session_cache(cache)
                .build()
                .unwrap(),
        );
        let server = Arc::new(
            server_builder(versions)
                .with_ocsp_response(RESPONSE.to_vec())
                .build()
                .unwrap(),
        );
        let (mut c, mut s) = connect(&client, &server);
        handshake(&mut c, &mut s);
        // Collect the TLS 1.3 tickets.
        give(&mut c, &take(&mut s)).unwrap();
        let (mut c, mut s) = connect(&client, &server);
        handshake(&mut c, &mut s);
        assert!(c.negotiated().resumed, "{versions:?}");
        assert_eq!(c.ocsp_response(), Some(RESPONSE), "{versions:?}");
        assert!(!s.negotiated().ocsp_stapled, "no Certificate, no staple");
    }
}

#[derive(Debug)]
struct Responder(Result<Option<Vec<u8>>, Error>);

impl OcspResponder for Responder {
    fn ocsp_response(&self, _: &CertificateDer<'_>) -> Result<Option<Vec<u8>>, Error> {
        self.0.clone()
    }
}

/// A responder may decline (nothing stapled), return a response it should not (empty: nothing
/// stapled), or fail the handshake (internal_error: our failure, not the client's).
#[test]
fn responder_declines_or_fails() {
    for versions in [TLS12, TLS13] {
        let client = Arc::new(client_config(versions, true));
        for answer in [
            None,
            Some(Vec::new()),
            Some(vec![0; MAX_OCSP_RESPONSE_SIZE + 1]),
        ] {
            let server = Arc::new(
                server_builder(versions)
                    .with_ocsp_response(RESPONSE.to_vec())
                    .with_ocsp_responder(Arc::new(Responder(Ok(answer))))
                    .build()
                    .unwrap(),
            );
            let (mut c, mut s) = connect(&client, &server);
            handshake(&mut c, &mut s);
            assert_eq!(c.ocsp_response(), None, "{versions:?}");
        }
        let failed = Error::Internal(InternalError::OcspResponderFailed);
        let server = Arc::new(
            server_builder(versions)
                .with_ocsp_responder(Arc::new(Responder(Err(failed.clone()))))
                .build()
                .unwrap(),
        );
        let (mut c, mut s) = connect(&client, &server);
        assert_eq!(give(&mut s, &take(&mut c)).unwrap_err(), failed);
        assert_eq!(
            give(&mut c, &take(&mut s)).unwrap_err(),
            Error::AlertReceived(AlertDescription::InternalError)
        );
    }
}

/// RFC 6066 §8: `opaque OCSPResponse<1..2^24-1>`: a configured response must fit (our cap is
/// 64 KiB, what we accept from a peer too).
#[test]
fn builder_refuses_an_empty_or_oversized_response() {
    for bad in [Vec::new(), vec![0x30; MAX_OCSP_RESPONSE_SIZE + 1]] {
        assert_eq!(
            server_builder(TLS13)
                .with_ocsp_response(bad)
                .build()
                .unwrap_err(),
            Error::InvalidConfig(ConfigError::BadOcspResponse)
        );
    }
}

fn staple_on_leaf(cert: &mut CertificateTls13) {
    if let Some(e) = cert.certificate_list.first_mut() {
        e.extensions
            .push(CertificateExtension::CertificateStatus(CertificateStatus {
                ocsp_response: RESPONSE.to_vec(),
            }));
    }
}

fn staple_on_intermediate(cert: &mut CertificateTls13) {
    if let Some(e) = cert.certificate_list.get_mut(1) {
        e.extensions
            .push(CertificateExtension::CertificateStatus(CertificateStatus {
                ocsp_response: vec![9, 9, 9],
            }));
    }
}

/// RFC 8446 §4.4.2.1: the server sends a status_request CertificateEntry extension only "if the
/// client sent" one; otherwise it is an unsolicited extension (§4.2: unsupported_extension).
#[test]
fn tls13_unsolicited_staple_is_refused() {
    let mut cfg = server_builder(TLS13).build().unwrap();
    cfg.test_cert_hook = Some(staple_on_leaf);
    let (mut c, mut s) = connect(&Arc::new(client_config(TLS13, false)), &Arc::new(cfg));
    give(&mut s, &take(&mut c)).unwrap();
    let flight = take(&mut s);
    client_refuses(
        &mut c,
        &mut s,
        &flight,
        &Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension),
        AlertDescription::UnsupportedExtension,
    );
}

/// A staple on an intermediate is allowed and ignored: only the end-entity's speaks for the
/// server (RFC 8446 §4.4.2.1 puts it "in the extensions of the CertificateEntry" it is about).
#[test]
fn tls13_staple_on_an_intermediate_is_ignored() {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    assert!(id.cert_chain().len() >= 2, "the hook needs a second entry");
    let mut cfg = server_builder(TLS13).build().unwrap();
    cfg.test_cert_hook = Some(staple_on_intermediate);
    let (mut c, mut s) = connect(&Arc::new(client_config(TLS13, true)), &Arc::new(cfg));
    handshake(&mut c, &mut s);
    assert_eq!(c.ocsp_response(), None);
}

/// RFC 8446 §4.2: status_request "not specified for the message in which it appears"
/// (a TLS 1.3 ServerHello) is illegal_parameter, since we did send it.
#[test]
fn tls13_status_request_in_server_hello_is_illegal_parameter() {
    let server = Arc::new(server_builder(TLS13).build().unwrap());
    let (mut c, mut s) = connect(&Arc::new(client_config(TLS13, true)), &server);
    give(&mut s, &take(&mut c)).unwrap();
    let flight = take(&mut s);
    let len = usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let (sh_record, rest) = flight.split_at(5 + len);
    let mut msgs = vec![sh_record[5..].to_vec()];
    edit_server_hello(&mut msgs, |e| e.push(ServerExtension::StatusRequestAck));
    let mut forged = join_messages(&msgs);
    forged.extend_from_slice(rest);
    assert_eq!(
        give(&mut c, &forged).unwrap_err(),
        Error::PeerMisbehaved(PeerMisbehaved::IllegalExtensionValue)
    );
}

/// The TLS 1.2 flight of a server stapling `RESPONSE` to a client that asked, split into
/// messages: ServerHello, Certificate, CertificateStatus, ServerKeyExchange, ServerHelloDone.
fn tls12_stapled_flight() -> (ClientConnection, ServerConnection, Vec<Vec<u8>>) {
    let server = Arc::new(
        server_builder(TLS12)
            .with_ocsp_response(RESPONSE.to_vec())
            .build()
            .unwrap(),
    );
    let (mut c, mut s) = connect(&Arc::new(client_config(TLS12, true)), &server);
    give(&mut s, &take(&mut c)).unwrap();
    let msgs = split_messages(&take(&mut s));
    let types: Vec<u8> = msgs.iter().map(|m| m[0]).collect();
    assert_eq!(types, [2, 11, 22, 12, 14], "the flight we rewrite");
    (c, s, msgs)
}

/// RFC 6066 §8: `opaque OCSPResponse<1..2^24-1>`: an empty response is decode_error.
#[test]
fn tls12_empty_certificate_status_is_decode_error() {
    let (mut c, mut s, mut msgs) = tls12_stapled_flight();
    msgs[2] = raw_message(HandshakeType::CertificateStatus, &[1, 0, 0, 0]);
    let want = give(&mut c, &join_messages(&msgs)).unwrap_err();
    assert_eq!(
        want,
        Error::InvalidMessage(InvalidMessage::InvalidLength("OCSPResponse"))
    );
    assert_eq!(
        give(&mut s, &take(&mut c)).unwrap_err(),
        Error::AlertReceived(AlertDescription::DecodeError)
    );
}

/// A response over our 64 KiB cap is refused before it is buffered as a response
/// (decode_error), though the wire would allow 16 MiB.
#[test]
fn tls12_oversized_certificate_status_is_decode_error() {
    let (mut c, mut s, mut msgs) = tls12_stapled_flight();
    let n = MAX_OCSP_RESPONSE_SIZE + 1;
    let len = u32::try_from(n).unwrap().to_be_bytes();
    let mut body = vec![1, len[1], len[2], len[3]];
    body.resize(4 + n, 0x30);
    msgs[2] = raw_message(HandshakeType::CertificateStatus, &body);
    let err = give(&mut c, &join_messages(&msgs)).unwrap_err();
    assert!(matches!(err, Error::InvalidMessage(_)), "{err:?}");
    assert_eq!(
        give(&mut s, &take(&mut c)).unwrap_err(),
        Error::AlertReceived(AlertDescription::DecodeError)
    );
}

/// RFC 6066 §8: a status_type other than ocsp in CertificateStatus does not decode.
#[test]
fn tls12_certificate_status_of_unknown_type_is_decode_error() {
    let (mut c, mut s, mut msgs) = tls12_stapled_flight();
    msgs[2] = raw_message(HandshakeType::CertificateStatus, &[2, 0, 0, 1, 0x30]);
    client_refuses(
        &mut c,
        &mut s,
        &join_messages(&msgs),
        &Error::InvalidMessage(InvalidMessage::IllegalValue(
            "CertificateStatus.status_type",
        )),
        AlertDescription::DecodeError,
    );
}

/// RFC 6066 §8: "a server MAY also choose not to send a CertificateStatus message" after
/// acknowledging: the handshake goes on without a response.
#[test]
fn tls12_acknowledged_but_no_certificate_status_is_fine() {
    let (mut c, _s, mut msgs) = tls12_stapled_flight();
    msgs.remove(2);
    // The server's transcript includes the CertificateStatus it sent, so its Finished will
    // not match ours: only the client's acceptance of the flight is the point here.
    give(&mut c, &join_messages(&msgs)).unwrap();
    assert_eq!(c.ocsp_response(), None);
}

/// RFC 6066 §8: the server "MUST NOT" send CertificateStatus unless it acknowledged
/// status_request in ServerHello: without the acknowledgement it is unexpected_message.
#[test]
fn tls12_certificate_status_without_acknowledgement_is_unexpected() {
    let (mut c, mut s, mut msgs) = tls12_stapled_flight();
    edit_server_hello(&mut msgs, |e| {
        e.retain(|x| *x != ServerExtension::StatusRequestAck);
    });
    let err = give(&mut c, &join_messages(&msgs)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InappropriateHandshakeMessage {
                got: HandshakeType::CertificateStatus,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        give(&mut s, &take(&mut c)).unwrap_err(),
        Error::AlertReceived(AlertDescription::UnexpectedMessage)
    );
}

/// RFC 5246 §7.4.1.4: a status_request acknowledgement to a client that sent none is an
/// unsolicited extension (unsupported_extension).
#[test]
fn tls12_unsolicited_acknowledgement_is_refused() {
    let server = Arc::new(server_builder(TLS12).build().unwrap());
    let (mut c, mut s) = connect(&Arc::new(client_config(TLS12, false)), &server);
    give(&mut s, &take(&mut c)).unwrap();
    let mut msgs = split_messages(&take(&mut s));
    edit_server_hello(&mut msgs, |e| e.push(ServerExtension::StatusRequestAck));
    client_refuses(
        &mut c,
        &mut s,
        &join_messages(&msgs),
        &Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension),
        AlertDescription::UnsupportedExtension,
    );
}

/// RFC 6066 §8: the acknowledgement's extension_data is empty; anything else does not decode.
#[test]
fn tls12_acknowledgement_with_a_body_is_decode_error() {
    let (mut c, mut s, mut msgs) = tls12_stapled_flight();
    edit_server_hello(&mut msgs, |e| {
        for x in e.iter_mut() {
            if *x == ServerExtension::StatusRequestAck {
                *x = ServerExtension::Unknown {
                    typ: crate::msgs::enums::ExtensionType::StatusRequest,
                    body: vec![0],
                };
            }
        }
    });
    let err = give(&mut c, &join_messages(&msgs)).unwrap_err();
    assert!(matches!(err, Error::InvalidMessage(_)), "{err:?}");
    assert_eq!(
        give(&mut s, &take(&mut c)).unwrap_err(),
        Error::AlertReceived(AlertDescription::DecodeError)
    );
}
