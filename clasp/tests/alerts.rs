//! The exact alert for each RFC rule a peer can break at the record and hello level (issue 9,
//! item 9): each test makes one side misbehave on the wire, asserts the error the other side
//! reports, and delivers that side's alert back to check what the misbehaving peer was told.
//!
//! - ClientHello / ServerHello `legacy_version` 0x0300 or lower → `protocol_version`
//!   (RFC 8446 §D.5), even with a valid supported_versions;
//! - zero-length Handshake or Alert content, TLS 1.3 inner plaintext or TLS 1.2 record →
//!   `unexpected_message` (RFC 8446 §5.4, §5.1; RFC 5246 §6.2.1);
//! - a Finished whose verify_data has the wrong length → `decode_error`;
//!
//! and the rest of the error → alert table (`error.rs`, RFC 8446 §6.2, RFC 5246 §7.2.2): every
//! `PeerMisbehaved` and `InvalidMessage` variant is raised by at least one test, most of them
//! end to end with the alert the peer receives:
//!
//! | variant | alert | test |
//! |---|---|---|
//! | SelectedUnofferedCipherSuite | illegal_parameter | alerts::server_hello_with_unoffered_cipher_suite_is_illegal_parameter |
//! | SelectedUnofferedVersion | illegal_parameter | handshake::negotiation_rule_tests::tls13_in_legacy_version_without_supported_versions_is_rejected |
//! | SelectedUnofferedGroup | illegal_parameter | alerts::server_hello_key_share_for_an_unsent_group_is_illegal_parameter |
//! | UnsolicitedExtension | unsupported_extension | handshake::negotiation_rule_tests::unsolicited_server_name_in_encrypted_extensions_is_rejected |
//! | DowngradeAttempt | illegal_parameter | tls12_pair::downgrade_sentinel_is_written_and_detected |
//! | InvalidKeyShare | illegal_parameter | common_pair, tls12_pair (invalid points), crypto::aws_lc::kx tests |
//! | SessionIdMismatch | illegal_parameter | alerts::server_hello_with_wrong_session_id_echo_is_illegal_parameter |
//! | IncorrectFinished | decrypt_error | alerts::tls13_finished_with_wrong_verify_data_is_decrypt_error |
//! | BadSignature | decrypt_error | handshake::rfc8448_tests::client_refuses_tampered_certificate_verify_signature |
//! | UnofferedSignatureScheme | illegal_parameter | verify::tests::tls13_refuses_rsa_pkcs1_and_sha1_for_certificate_verify |
//! | SignatureSchemeMismatchesKey | illegal_parameter | verify::tests::signature_scheme_must_fit_the_key_type |
//! | IllegalHelloRetryRequest | illegal_parameter | alerts::hello_retry_request_for_a_group_already_shared_is_illegal_parameter |
//! | IllegalCompression | illegal_parameter | handshake::negotiation_rule_tests::second_client_hello_with_compression_is_rejected |
//! | Renegotiation | no_renegotiation | alerts::tls12_hello_request_after_the_handshake_is_no_renegotiation |
//! | KeyChangeNotOnRecordBoundary | unexpected_message | alerts::bytes_after_server_hello_in_its_record_are_unexpected_message |
//! | NoCertificate | certificate_required | auth_pair::tls13_required_client_cert_missing_is_certificate_required |
//! | IllegalChangeCipherSpec | unexpected_message | alerts::tls13_change_cipher_spec_after_the_handshake_is_unexpected_message |
//! | MissingExtension | missing_extension | handshake::negotiation_rule_tests::psk_without_psk_key_exchange_modes_is_missing_extension |
//! | IllegalExtensionValue | illegal_parameter | handshake::negotiation_rule_tests::early_data_accepted_without_psk_is_rejected |
//! | BadBinder | decrypt_error | key_schedule::tls13::tests::binder_round_trip_and_tamper |
//! | BadRenegotiationInfo | handshake_failure | handshake::alert_tests::renegotiation_info_broken_on_initial_hello_is_handshake_failure |
//! | TooManyEmptyRecords | unexpected_message | alerts::endless_empty_application_data_records_are_unexpected_message |
//! | TooManyPostHandshakeMessages | unexpected_message | bounds.rs (KeyUpdate / CertificateRequest floods) |
//! | TooManyWarningAlerts | unexpected_message | alerts::more_than_four_user_canceled_alerts_in_a_row_are_unexpected_message |
//! | IllegalKeyUpdate | illegal_parameter | key_update::in_memory_key_update_with_illegal_request_value_is_illegal_parameter |
//! | IllegalClientHello | illegal_parameter | handshake::extension_tests::key_share_rule_violations_are_illegal_parameter |
//! | MissingExtendedMasterSecret | handshake_failure | handshake::alert_tests::missing_extended_master_secret_is_handshake_failure |
//! | IllegalEarlyData | unexpected_message | alerts::early_data_over_the_servers_limit_is_unexpected_message |
//! | NoInnerContentType | unexpected_message | record::deframer::tests::flipped_bit_is_decrypt_error_and_padding_only_is_rejected |
//! | CertificateKeyMismatchesSuite | illegal_parameter | cert_key_fit::ecdhe_rsa_with_an_ecdsa_leaf_is_illegal_parameter |
//! | ObsoleteLegacyVersion | protocol_version | alerts::client_hello_legacy_version_ssl3_is_protocol_version |
//! | InvalidDhParams | illegal_parameter | crypto::ffdhe::tests::dh_params_refused_with_the_reason |
//! | InvalidMessage::MissingData, TrailingData, InvalidLength, IllegalValue, DuplicateExtension | decode_error | msgs::tests (round trips, prefixes, duplicate_extension_is_rejected_in_every_context, server_name rules) |
//! | InvalidMessage::RecordTooLarge | record_overflow | record::deframer::tests::oversize_header_rejected_before_body_arrives |
//! | InvalidMessage::InvalidContentType | unexpected_message | record::tests::header_rejects_bad_type_version_and_length |
//! | InvalidMessage::EmptyRecord | unexpected_message | alerts::plaintext_zero_length_handshake_alert_or_ccs_record_is_unexpected_message |
//! | InvalidMessage::HandshakeMessageTooLarge | decode_error | record::joiner::tests::oversize_declared_length_rejected_immediately |
//! | InvalidMessage::InvalidCcs, InvalidAlert | unexpected_message, decode_error | msgs::alert::tests |
//! | InvalidMessage::UnalignedKeyChange | unexpected_message | record::joiner::tests::message_spanning_three_records |
//! | InvalidMessage::PreSharedKeyNotLast | illegal_parameter | msgs::tests::pre_shared_key_not_last_is_rejected |
//!
//! `PeerMisbehaved::IllegalEmptyRecord` was removed: nothing raised it (empty records are
//! `InvalidMessage::EmptyRecord`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use clasp::error::{InvalidMessage, PeerMisbehaved};
use clasp::keylog::KeyLog;
use clasp::msgs::enums::{AlertDescription, CipherSuite, ContentType};
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
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"key", &[], &mut key).unwrap();
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"iv", &[], &mut iv).unwrap();
    let mut enc =
        clasp::internal::record_encrypter_tls13(provider.aead(suite.aead), &key, &iv).unwrap();
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

// ---------------------------------------------------------------------------------------------
// ServerHello tampering: the client's own checks (RFC 8446 §4.1.3, §4.1.4).

/// Offsets in a flight that starts with a plaintext ServerHello record.
struct HelloLayout {
    /// cipher_suite.
    suite: usize,
    /// The first byte of legacy_session_id_echo (its length byte is just before).
    session_id: usize,
    /// extension type → offset of its body.
    extensions: Vec<(u16, usize)>,
    /// The end of the ServerHello record.
    record_end: usize,
}

fn hello_layout(flight: &[u8]) -> HelloLayout {
    let record_end = 5 + usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let sid_len = usize::from(flight[9 + 2 + 32]);
    let session_id = 9 + 2 + 32 + 1;
    let suite = session_id + sid_len;
    let mut at = suite + 2 + 1 + 2;
    let mut extensions = Vec::new();
    while at + 4 <= record_end {
        let typ = u16::from_be_bytes([flight[at], flight[at + 1]]);
        let len = usize::from(u16::from_be_bytes([flight[at + 2], flight[at + 3]]));
        extensions.push((typ, at + 4));
        at += 4 + len;
    }
    HelloLayout {
        suite,
        session_id,
        extensions,
        record_end,
    }
}

/// A TLS 1.3 client (AES-128-GCM only) and server; the server's first flight, for tampering.
fn server_flight_for(
    client_cfg: clasp::ClientConfig,
    server_cfg: Arc<clasp::ServerConfig>,
) -> (ClientConnection, ServerConnection, Vec<u8>) {
    let mut client = ClientConnection::new(Arc::new(client_cfg), localhost()).unwrap();
    let mut server = ServerConnection::new(server_cfg).unwrap();
    give_tls(&mut server, &take_tls(&mut client)).unwrap();
    let flight = take_tls(&mut server);
    (client, server, flight)
}

fn aes128_client() -> clasp::ClientConfig {
    client_builder()
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .build()
        .unwrap()
}

/// The client's error for `flight`, and the alert the server then receives.
fn client_refuses(
    client: &mut ClientConnection,
    server: &mut ServerConnection,
    flight: &[u8],
) -> (Error, AlertDescription) {
    let err = give_tls(client, flight).unwrap_err();
    (err, alert_delivered(client, server))
}

/// RFC 8446 §4.1.3: "A client which receives a cipher suite that was not offered MUST abort
/// the handshake with an "illegal_parameter" alert."
#[test]
fn server_hello_with_unoffered_cipher_suite_is_illegal_parameter() {
    let (mut c, mut s, mut flight) = server_flight_for(aes128_client(), server_config());
    let at = hello_layout(&flight).suite;
    assert_eq!(flight[at..at + 2], [0x13, 0x01]);
    flight[at + 1] = 0x02; // TLS_AES_256_GCM_SHA384
    assert_eq!(
        client_refuses(&mut c, &mut s, &flight),
        (
            Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedCipherSuite),
            AlertDescription::IllegalParameter
        )
    );
}

/// RFC 8446 §4.1.3: "A client which receives a legacy_session_id_echo field that does not
/// match what it sent in the ClientHello MUST abort the handshake with an "illegal_parameter"
/// alert."
#[test]
fn server_hello_with_wrong_session_id_echo_is_illegal_parameter() {
    let (mut c, mut s, mut flight) = server_flight_for(aes128_client(), server_config());
    let at = hello_layout(&flight).session_id;
    flight[at] ^= 1;
    assert_eq!(
        client_refuses(&mut c, &mut s, &flight),
        (
            Error::PeerMisbehaved(PeerMisbehaved::SessionIdMismatch),
            AlertDescription::IllegalParameter
        )
    );
}

/// RFC 8446 §4.2.8: the server's share must be for a group the client sent a share for; else
/// illegal_parameter ("If using (EC)DHE key establishment ... the client MUST verify that the
/// selected NamedGroup in the ServerHello is the same as that in the HelloRetryRequest" and
/// §4.1.3's rule for values the client did not offer).
#[test]
fn server_hello_key_share_for_an_unsent_group_is_illegal_parameter() {
    let cfg = client_builder()
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .with_key_shares(&[clasp::msgs::enums::NamedGroup::X25519])
        .build()
        .unwrap();
    let (mut c, mut s, mut flight) = server_flight_for(cfg, server_config());
    let layout = hello_layout(&flight);
    let (_, at) = *layout.extensions.iter().find(|(t, _)| *t == 51).unwrap();
    assert_eq!(flight[at..at + 2], [0x00, 0x1d]);
    flight[at..at + 2].copy_from_slice(&[0x00, 0x17]); // secp256r1: no share sent
    assert_eq!(
        client_refuses(&mut c, &mut s, &flight),
        (
            Error::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedGroup),
            AlertDescription::IllegalParameter
        )
    );
}

/// RFC 8446 §4.1.4: "Clients MUST abort the handshake with an "illegal_parameter" alert if the
/// HelloRetryRequest would not result in any change in the ClientHello": here the HRR names
/// X25519, for which the client already sent a share (§4.2.8).
#[test]
fn hello_retry_request_for_a_group_already_shared_is_illegal_parameter() {
    use clasp::msgs::enums::NamedGroup;
    let cfg = client_builder()
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .with_key_shares(&[NamedGroup::X25519])
        .build()
        .unwrap();
    // A server that only takes P-256 answers with a HelloRetryRequest for it.
    let id = clasp_testkit::TestPki::shared().server(clasp_testkit::KeyType::EcdsaP256);
    let scfg = Arc::new(
        clasp::ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .with_groups(&[NamedGroup::secp256r1])
            .build()
            .unwrap(),
    );
    let (mut c, mut s, mut flight) = server_flight_for(cfg, scfg);
    let layout = hello_layout(&flight);
    let (_, at) = *layout.extensions.iter().find(|(t, _)| *t == 51).unwrap();
    assert_eq!(flight[at..at + 2], [0x00, 0x17]);
    flight[at..at + 2].copy_from_slice(&[0x00, 0x1d]);
    assert_eq!(
        client_refuses(&mut c, &mut s, &flight),
        (
            Error::PeerMisbehaved(PeerMisbehaved::IllegalHelloRetryRequest),
            AlertDescription::IllegalParameter
        )
    );
}

/// RFC 8446 §5.1: "Handshake messages MUST NOT span key changes ... If they do, the receiving
/// implementation MUST terminate the connection with an "unexpected_message" alert". Here the
/// plaintext ServerHello record carries the start of another message after it, so bytes are
/// left over when the handshake keys take effect.
#[test]
fn bytes_after_server_hello_in_its_record_are_unexpected_message() {
    let (mut c, mut s, flight) = server_flight_for(aes128_client(), server_config());
    let end = hello_layout(&flight).record_end;
    let mut tampered = flight[..end].to_vec();
    tampered.extend_from_slice(&[8, 0, 0, 2]);
    let len = u16::from_be_bytes([tampered[3], tampered[4]]) + 4;
    tampered[3..5].copy_from_slice(&len.to_be_bytes());
    tampered.extend_from_slice(&flight[end..]);
    assert_eq!(
        client_refuses(&mut c, &mut s, &tampered),
        (
            Error::PeerMisbehaved(PeerMisbehaved::KeyChangeNotOnRecordBoundary),
            AlertDescription::UnexpectedMessage
        )
    );
}

// ---------------------------------------------------------------------------------------------
// change_cipher_spec and empty records in TLS 1.3.

const PLAINTEXT_CCS: [u8; 6] = [20, 3, 3, 0, 1, 1];

/// RFC 8446 §5: a change_cipher_spec is dropped only "at any time after the first ClientHello
/// message has been sent or received and before the peer's Finished message has been
/// received"; otherwise "MUST abort the handshake with an "unexpected_message" alert".
#[test]
fn tls13_change_cipher_spec_after_the_handshake_is_unexpected_message() {
    let (mut client, mut server) = new_pair(client_builder().build().unwrap());
    pump(&mut client, &mut server).unwrap();
    let err = give_tls(&mut server, &PLAINTEXT_CCS).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::IllegalChangeCipherSpec)
    );
    assert_eq!(
        alert_delivered(&mut server, &mut client),
        AlertDescription::UnexpectedMessage
    );
}

/// Records that carry nothing (middlebox CCS during the handshake, empty application data,
/// TLS 1.2 warnings) are allowed, but not without bound: a peer could keep us busy forever.
/// Past 32 in a row: unexpected_message.
#[test]
fn endless_change_cipher_spec_records_are_unexpected_message() {
    let (mut client, mut server) = new_pair(client_builder().build().unwrap());
    give_tls(&mut server, &take_tls(&mut client)).unwrap();
    let flood: Vec<u8> = PLAINTEXT_CCS.repeat(100);
    let err = give_tls(&mut server, &flood).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyEmptyRecords)
    );
    // The alert follows the server's flight, under its handshake keys.
    assert_eq!(
        alert_delivered(&mut server, &mut client),
        AlertDescription::UnexpectedMessage
    );
}

/// The same for empty application_data records under the traffic keys (RFC 8446 §5.4 allows
/// them one at a time).
#[test]
fn endless_empty_application_data_records_are_unexpected_message() {
    let (cfg, log) = logged_client();
    let (mut client, mut server) = new_pair(cfg);
    pump(&mut client, &mut server).unwrap();
    let provider = clasp::crypto::aws_lc::default_provider();
    let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
    let secret = log.0.lock().unwrap()["CLIENT_TRAFFIC_SECRET_0"].clone();
    let hkdf = provider.hkdf(suite.hash);
    let mut key = vec![0u8; suite.aead.key_len()];
    let mut iv = [0u8; 12];
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"key", &[], &mut key).unwrap();
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"iv", &[], &mut iv).unwrap();
    let mut enc =
        clasp::internal::record_encrypter_tls13(provider.aead(suite.aead), &key, &iv).unwrap();
    let mut flood = Vec::new();
    for _ in 0..100 {
        enc.seal_record(ContentType::ApplicationData, &[], &mut flood)
            .unwrap();
    }
    let err = give_tls(&mut server, &flood).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyEmptyRecords)
    );
    assert_eq!(
        alert_delivered(&mut server, &mut client),
        AlertDescription::UnexpectedMessage
    );
}

// ---------------------------------------------------------------------------------------------
// TLS 1.2 renegotiation.

/// RFC 5246 §7.4.1.1 / RFC 5746: clasp never renegotiates. A HelloRequest from the server
/// after the handshake (sealed here under the server's TLS 1.2 write keys, derived from the
/// logged master secret) ends the connection with a no_renegotiation alert.
#[test]
fn tls12_hello_request_after_the_handshake_is_no_renegotiation() {
    use clasp::msgs::enums::ProtocolVersion;

    let suite_id = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    let log = Arc::new(MemoryKeyLog::default());
    let cfg = client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[suite_id])
        .with_key_log(log.clone())
        .build()
        .unwrap();
    let (mut client, mut server) = new_pair(cfg);
    let hello = take_tls(&mut client);
    let mut client_random = [0u8; 32];
    client_random.copy_from_slice(&hello[11..43]);
    give_tls(&mut server, &hello).unwrap();
    let flight = take_tls(&mut server);
    let mut server_random = [0u8; 32];
    server_random.copy_from_slice(&flight[11..43]);
    give_tls(&mut client, &flight).unwrap();
    pump(&mut client, &mut server).unwrap();
    assert!(!client.is_handshaking());

    let provider = clasp::crypto::aws_lc::default_provider();
    let master = log.0.lock().unwrap()["CLIENT_RANDOM"].clone();
    let (_, mut enc) = clasp::internal::tls12_record_encrypters(
        &provider,
        suite_id,
        &master,
        client_random,
        server_random,
    )
    .unwrap();
    // Sequence 0 was the server's Finished; the HelloRequest is record 1.
    let mut finished = Vec::new();
    enc.seal_record(ContentType::Handshake, &[20, 0, 0, 0], &mut finished)
        .unwrap();
    let mut record = Vec::new();
    enc.seal_record(ContentType::Handshake, &[0, 0, 0, 0], &mut record)
        .unwrap();
    let err = give_tls(&mut client, &record).unwrap_err();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::Renegotiation));
    assert_eq!(
        alert_delivered(&mut client, &mut server),
        AlertDescription::NoRenegotiation
    );
}

// ---------------------------------------------------------------------------------------------
// 0-RTT beyond the server's limit.

/// RFC 8446 §4.2.10: "If the server ... receives more than max_early_data_size bytes of 0-RTT
/// data, it SHOULD abort the handshake with an "unexpected_message" alert." The ticket came
/// from a server allowing 16 KiB; the server that resumes it (same ticket keys) allows 16 bytes
/// and accepts 0-RTT, so the client's 100 early bytes are over its limit.
#[test]
fn early_data_over_the_servers_limit_is_unexpected_message() {
    use std::io::Read as _;

    let provider = clasp::crypto::aws_lc::default_provider();
    let keys = Arc::new(clasp::session::TicketKeys::new(&provider, 0, 0).unwrap());
    let server = |max_early: u32| {
        Arc::new(
            common::server_builder(clasp_testkit::KeyType::EcdsaP256)
                .with_ticket_keys(Arc::clone(&keys))
                .with_max_early_data(max_early)
                .build()
                .unwrap(),
        )
    };
    let client_cfg = Arc::new(client_builder().with_early_data().build().unwrap());
    let mut c1 = ClientConnection::new(Arc::clone(&client_cfg), localhost()).unwrap();
    let mut s1 = ServerConnection::new(server(16384)).unwrap();
    pump(&mut c1, &mut s1).unwrap();
    // Read once so the client processes the tickets.
    let mut buf = [0u8; 1];
    let _ = c1.reader().read(&mut buf);

    let mut client = ClientConnection::new(client_cfg, localhost()).unwrap();
    assert_eq!(client.write_early_data(&[7; 100]).unwrap(), 100);
    let mut server = ServerConnection::new(server(16)).unwrap();
    let err = give_tls(&mut server, &take_tls(&mut client)).unwrap_err();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::IllegalEarlyData));
    assert_eq!(
        alert_delivered(&mut server, &mut client),
        AlertDescription::UnexpectedMessage
    );
}

/// Warning alerts (here TLS 1.3 user_canceled, RFC 8446 §6.1) ask nothing of us and are
/// ignored, but not without bound: 4 in a row are tolerated, the 5th is unexpected_message (as
/// BoringSSL and rustls do; BoGo SendUserCanceledAlerts-TooMany-TLS13).
#[test]
fn more_than_four_user_canceled_alerts_in_a_row_are_unexpected_message() {
    let (cfg, log) = logged_client();
    let (mut client, mut server) = new_pair(cfg);
    pump(&mut client, &mut server).unwrap();
    let provider = clasp::crypto::aws_lc::default_provider();
    let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
    let secret = log.0.lock().unwrap()["CLIENT_TRAFFIC_SECRET_0"].clone();
    let hkdf = provider.hkdf(suite.hash);
    let mut key = vec![0u8; suite.aead.key_len()];
    let mut iv = [0u8; 12];
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"key", &[], &mut key).unwrap();
    clasp::crypto::tls13::hkdf_expand_label(hkdf, &secret, b"iv", &[], &mut iv).unwrap();
    let mut enc =
        clasp::internal::record_encrypter_tls13(provider.aead(suite.aead), &key, &iv).unwrap();
    let user_canceled = [1u8, 90];
    let mut four = Vec::new();
    for _ in 0..4 {
        enc.seal_record(ContentType::Alert, &user_canceled, &mut four)
            .unwrap();
    }
    give_tls(&mut server, &four).unwrap();
    let mut fifth = Vec::new();
    enc.seal_record(ContentType::Alert, &user_canceled, &mut fifth)
        .unwrap();
    let err = give_tls(&mut server, &fifth).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::TooManyWarningAlerts)
    );
    assert_eq!(
        alert_delivered(&mut server, &mut client),
        AlertDescription::UnexpectedMessage
    );
}
