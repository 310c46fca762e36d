//! The exact alert for each RFC rule a peer can break at the record and hello level (issue 9,
//! item 9): each test makes one side misbehave on the wire, asserts the error the other side
//! reports, and delivers that side's alert back to check what the misbehaving peer was told.
//!
//! - ClientHello / ServerHello `legacy_version` 0x0300 or lower → `protocol_version`
//!   (RFC 8446 §D.5), even with a valid supported_versions;
//! - zero-length Handshake or Alert content, TLS 1.3 inner plaintext or TLS 1.2 record →
//!   `unexpected_message` (RFC 8446 §5.4, §5.1; RFC 5246 §6.2.1);
//! - a Finished whose verify_data has the wrong length → `decode_error`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use clasp::error::{InvalidMessage, PeerMisbehaved};
use clasp::keylog::KeyLog;
use clasp::msgs::enums::{AlertDescription, CipherSuite, ContentType};
use clasp::record::RecordEncrypter;
use clasp::{ClientConnection, ConnectionCommon, Error, ServerConnection};

mod common;
use common::{client_builder, give_tls, localhost, pump, server_config, take_tls, transfer};

/// Secrets by NSS key log label.
#[derive(Debug, Default)]
struct MemoryKeyLog(Mutex<BTreeMap<String, Vec<u8>>>);

impl KeyLog for MemoryKeyLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .insert(label.to_owned(), secret.to_vec());
    }
}

fn new_pair(cfg: clasp::ClientConfig) -> (ClientConnection, ServerConnection) {
    let client = ClientConnection::new(Arc::new(cfg), localhost()).unwrap();
    let server = ServerConnection::new(server_config()).unwrap();
    (client, server)
}

/// After `failed` reported an error, the alert it queued as `to` sees it.
fn alert_delivered(failed: &mut ConnectionCommon, to: &mut ConnectionCommon) -> AlertDescription {
    match transfer(failed, to) {
        Err(Error::AlertReceived(a)) => a,
        other => panic!("expected an alert, got {other:?}"),
    }
}

/// A record sealed under the TLS 1.3 traffic secret logged as `label` (AES-128-GCM-SHA256),
/// as the first record (sequence 0) under that secret (RFC 8446 §7.3).
fn forged_tls13_record(log: &MemoryKeyLog, label: &str, typ: ContentType, body: &[u8]) -> Vec<u8> {
    let provider = clasp::crypto::aws_lc::default_provider();
    let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
    let secret = log.0.lock().unwrap()[label].clone();
    let hkdf = provider.hkdf(suite.hash);
    let mut key = vec![0u8; suite.aead.key_len()];
    let mut iv = [0u8; 12];
    clasp::key_schedule::tls13::hkdf_expand_label(hkdf, &secret, b"key", &[], &mut key).unwrap();
    clasp::key_schedule::tls13::hkdf_expand_label(hkdf, &secret, b"iv", &[], &mut iv).unwrap();
    let mut enc = RecordEncrypter::tls13(provider.aead(suite.aead), &key, &iv).unwrap();
    let mut record = Vec::new();
    enc.seal_record(typ, body, &mut record).unwrap();
    record
}

fn logged_client() -> (clasp::ClientConfig, Arc<MemoryKeyLog>) {
    let log = Arc::new(MemoryKeyLog::default());
    let cfg = client_builder()
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .with_key_log(log.clone())
        .build()
        .unwrap();
    (cfg, log)
}

/// Byte offset of `legacy_version` in a flight starting with a plaintext Hello record:
/// record header (5) + handshake header (4).
const HELLO_LEGACY_VERSION: usize = 9;

/// RFC 8446 §D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version or
/// ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a "protocol_version"
/// alert." The ClientHello still carries a valid supported_versions (1.3, 1.2), which alone
/// would let the server negotiate; 0x0300 and 0x0200 are both refused.
#[test]
fn client_hello_legacy_version_ssl3_is_protocol_version() {
    for old in [[3, 0], [2, 0]] {
        let (mut client, mut server) = new_pair(client_builder().build().unwrap());
        let mut hello = take_tls(&mut client);
        assert_eq!(hello[HELLO_LEGACY_VERSION..][..2], [3, 3]);
        hello[HELLO_LEGACY_VERSION..][..2].copy_from_slice(&old);
        let err = give_tls(&mut server, &hello).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::ObsoleteLegacyVersion)
        );
        assert_eq!(
            alert_delivered(&mut server, &mut client),
            AlertDescription::ProtocolVersion
        );
    }
}

/// RFC 8446 §D.5, the client side: a ServerHello with legacy_version 0x0300 (and a valid
/// supported_versions selecting TLS 1.3) is refused with protocol_version.
#[test]
fn server_hello_legacy_version_ssl3_is_protocol_version() {
    let (mut client, mut server) = new_pair(client_builder().build().unwrap());
    let hello = take_tls(&mut client);
    give_tls(&mut server, &hello).unwrap();
    let mut flight = take_tls(&mut server);
    assert_eq!(flight[HELLO_LEGACY_VERSION..][..2], [3, 3]);
    flight[HELLO_LEGACY_VERSION..][..2].copy_from_slice(&[3, 0]);
    let err = give_tls(&mut client, &flight).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::ObsoleteLegacyVersion)
    );
    assert_eq!(
        alert_delivered(&mut client, &mut server),
        AlertDescription::ProtocolVersion
    );
}

/// RFC 8446 §5.4: "Implementations MUST NOT send Handshake and Alert records that have a
/// zero-length TLSInnerPlaintext.content; if such a message is received, the receiving
/// implementation MUST terminate the connection with an "unexpected_message" alert."
#[test]
fn tls13_zero_length_handshake_or_alert_content_is_unexpected_message() {
    for typ in [ContentType::Handshake, ContentType::Alert] {
        let (cfg, log) = logged_client();
        let (mut client, mut server) = new_pair(cfg);
        pump(&mut client, &mut server).unwrap();
        let record = forged_tls13_record(&log, "CLIENT_TRAFFIC_SECRET_0", typ, &[]);
        let err = give_tls(&mut server, &record).unwrap_err();
        assert_eq!(err, Error::InvalidMessage(InvalidMessage::EmptyRecord));
        assert_eq!(
            alert_delivered(&mut server, &mut client),
            AlertDescription::UnexpectedMessage
        );
    }
}

/// RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types";
/// RFC 5246 §6.2.1 says the same of Handshake, Alert and ChangeCipherSpec. A plaintext empty
/// record of those types, before or instead of a ClientHello, is an unexpected_message like
/// its TLS 1.3 protected form.
#[test]
fn plaintext_zero_length_handshake_alert_or_ccs_record_is_unexpected_message() {
    for typ in [22u8, 21, 20] {
        for version in [[3, 1], [3, 3]] {
            let (mut client, mut server) = new_pair(client_builder().build().unwrap());
            let err = give_tls(&mut server, &[typ, version[0], version[1], 0, 0]).unwrap_err();
            assert_eq!(err, Error::InvalidMessage(InvalidMessage::EmptyRecord));
            // The client has sent nothing yet; it still reads the server's plaintext alert.
            let _ = take_tls(&mut client);
            assert_eq!(
                alert_delivered(&mut server, &mut client),
                AlertDescription::UnexpectedMessage
            );
        }
    }
}

/// A Finished whose verify_data is not Hash.length (RFC 8446 §4.4.4) bytes does not decode:
/// `decode_error` (RFC 8446 §6.2: "A message could not be decoded because some field was out
/// of the specified range or the length of the message was incorrect"), not the
/// `decrypt_error` of a wrong MAC. One byte short and one byte long.
#[test]
fn tls13_finished_with_wrong_verify_data_length_is_decode_error() {
    for len in [31u8, 33] {
        let (cfg, log) = logged_client();
        let (mut client, mut server) = new_pair(cfg);
        let hello = take_tls(&mut client);
        give_tls(&mut server, &hello).unwrap();
        let flight = take_tls(&mut server);
        give_tls(&mut client, &flight).unwrap();
        // The client's real Finished is dropped; a forged one under its handshake keys goes in.
        let _ = take_tls(&mut client);
        let mut fin = vec![20, 0, 0, len];
        fin.resize(4 + usize::from(len), 0xaa);
        let record = forged_tls13_record(
            &log,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            ContentType::Handshake,
            &fin,
        );
        let err = give_tls(&mut server, &record).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidMessage(InvalidMessage::InvalidLength("Finished.verify_data"))
        );
        assert_eq!(
            alert_delivered(&mut server, &mut client),
            AlertDescription::DecodeError
        );
    }
}

/// Control for the forgery: a Finished of the right length but wrong content is decrypt_error
/// (RFC 8446 §4.4.4).
#[test]
fn tls13_finished_with_wrong_verify_data_is_decrypt_error() {
    let (cfg, log) = logged_client();
    let (mut client, mut server) = new_pair(cfg);
    let hello = take_tls(&mut client);
    give_tls(&mut server, &hello).unwrap();
    let flight = take_tls(&mut server);
    give_tls(&mut client, &flight).unwrap();
    let _ = take_tls(&mut client);
    let mut fin = vec![20, 0, 0, 32];
    fin.resize(36, 0xaa);
    let record = forged_tls13_record(
        &log,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        ContentType::Handshake,
        &fin,
    );
    let err = give_tls(&mut server, &record).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished)
    );
    assert_eq!(
        alert_delivered(&mut server, &mut client),
        AlertDescription::DecryptError
    );
}
