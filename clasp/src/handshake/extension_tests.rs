//! Extensions in places the RFCs forbid, made by a clasp peer misbehaving through the
//! crate-internal hooks or by rewriting its plaintext messages in flight.

use std::sync::Arc;

use clasp_testkit::{KeyType, TestPki};

use super::test_io::{give, take};
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{AlertDescription, ExtensionType, NamedGroup, ProtocolVersion};
use crate::msgs::extensions::{CertificateExtension, ServerExtension};
use crate::msgs::handshake::{CertificateTls13, HandshakeMessage, HandshakePayload};
use crate::verify::{RootCertStore, ServerName};

fn client() -> ClientConnection {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    let cfg = ClientConfig::builder()
        .with_root_certificates(roots)
        .build()
        .unwrap();
    ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap()
}

fn server(cfg: ServerConfig) -> ServerConnection {
    ServerConnection::new(Arc::new(cfg)).unwrap()
}

fn server_config(groups: &[NamedGroup]) -> ServerConfig {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .with_groups(groups)
        .build()
        .unwrap()
}

fn add_sct(cert: &mut CertificateTls13) {
    if let Some(e) = cert.certificate_list.first_mut() {
        e.extensions.push(CertificateExtension::Unknown {
            typ: ExtensionType::SignedCertificateTimestamp,
            body: vec![0, 0],
        });
    }
}

/// RFC 8446 §4.4.2: CertificateEntry extensions "MUST correspond to ones from the
/// ClientHello"; clasp asks for none, so an SCT is unsupported_extension.
#[test]
fn certificate_entry_extension_not_requested_is_refused() {
    let mut cfg = server_config(&[NamedGroup::X25519]);
    cfg.test_cert_hook = Some(add_sct);
    let (mut c, mut s) = (client(), server(cfg));
    give(&mut s, &take(&mut c)).unwrap();
    let err = give(&mut c, &take(&mut s)).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension)
    );
    assert_eq!(
        give(&mut s, &take(&mut c)).unwrap_err(),
        Error::AlertReceived(AlertDescription::UnsupportedExtension)
    );
}

/// RFC 8446 §4.1.4: a HelloRetryRequest "MUST NOT contain any extensions that were not first
/// offered by the client"; extended_master_secret was offered, but it has no place in an HRR
/// (§4.2 table), so the client refuses it.
#[test]
fn hello_retry_request_with_a_foreign_extension_is_refused() {
    let (mut c, mut s) = (client(), server(server_config(&[NamedGroup::secp384r1])));
    give(&mut s, &take(&mut c)).unwrap();
    let flight = take(&mut s);
    // The first record is the HelloRetryRequest alone; re-encode it with one more extension.
    let len = usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let (hrr_record, rest) = flight.split_at(5 + len);
    let msg = HandshakeMessage::read_version(&hrr_record[5..], ProtocolVersion::TLSv1_3).unwrap();
    let HandshakePayload::ServerHello(mut hrr) = msg.payload().clone() else {
        panic!("expected a HelloRetryRequest");
    };
    assert!(hrr.is_hello_retry_request());
    hrr.extensions.push(ServerExtension::ExtendedMasterSecret);
    let body = HandshakeMessage::new(HandshakePayload::ServerHello(hrr));
    let mut forged = vec![22, 3, 3];
    forged.extend_from_slice(&u16::try_from(body.encoded().len()).unwrap().to_be_bytes());
    forged.extend_from_slice(body.encoded());
    forged.extend_from_slice(rest);
    let err = give(&mut c, &forged).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension)
    );
    // The unmodified flight is accepted (the check is not just refusing every HRR).
    let (mut c2, mut s2) = (client(), server(server_config(&[NamedGroup::secp384r1])));
    give(&mut s2, &take(&mut c2)).unwrap();
    give(&mut c2, &take(&mut s2)).unwrap();
}

fn add_early_data(ee: &mut crate::msgs::handshake::EncryptedExtensions) {
    ee.extensions
        .push(crate::msgs::extensions::EncryptedExtension::EarlyData);
}

/// RFC 8446 §4.2.10: early data is accepted only under the ticket's own cipher suite. A server
/// (made to misbehave) that resumes with another suite of the same hash and still claims to
/// accept the 0-RTT data is refused with illegal_parameter.
#[test]
fn early_data_accepted_under_another_suite_is_refused() {
    use crate::msgs::enums::CipherSuite;
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    let client_cfg = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots)
            .with_early_data()
            .build()
            .unwrap(),
    );
    let provider = crate::crypto::aws_lc::default_provider();
    let keys = Arc::new(crate::session::TicketKeys::new(&provider, 0, 0).unwrap());
    let server_cfg = |suites: &[CipherSuite]| {
        let id = TestPki::shared().server(KeyType::EcdsaP256);
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .with_cipher_suites(suites)
            .with_ticket_keys(Arc::clone(&keys))
            .with_max_early_data(16384)
            .build()
            .unwrap()
    };
    // 1. A full handshake under AES-128-GCM leaves a 0-RTT ticket for that suite.
    let mut c = ClientConnection::new(
        Arc::clone(&client_cfg),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut s = server(server_cfg(&[CipherSuite::TLS_AES_128_GCM_SHA256]));
    for _ in 0..4 {
        give(&mut s, &take(&mut c)).unwrap();
        give(&mut c, &take(&mut s)).unwrap();
    }
    assert!(!c.is_handshaking());
    // 2. Resume against a server preferring ChaCha20 (same SHA-256 hash) that claims 0-RTT.
    let mut c =
        ClientConnection::new(client_cfg, ServerName::try_from("localhost").unwrap()).unwrap();
    assert!(c.write_early_data(b"early").unwrap() > 0);
    let mut cfg = server_cfg(&[
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite::TLS_AES_128_GCM_SHA256,
    ]);
    cfg.test_ee_hook = Some(add_early_data);
    let mut s = server(cfg);
    give(&mut s, &take(&mut c)).unwrap();
    let err = give(&mut c, &take(&mut s)).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::IllegalExtensionValue)
    );
}

fn duplicate_key_share(ch: &mut crate::msgs::handshake::ClientHello) {
    for e in &mut ch.extensions {
        if let crate::msgs::extensions::ClientExtension::KeyShare(shares) = e {
            if let Some(first) = shares.first().cloned() {
                shares.push(first);
            }
        }
    }
}

fn share_outside_supported_groups(ch: &mut crate::msgs::handshake::ClientHello) {
    for e in &mut ch.extensions {
        if let crate::msgs::extensions::ClientExtension::SupportedGroups(groups) = e {
            groups.retain(|g| *g != NamedGroup::X25519);
        }
    }
}

/// RFC 8446 §4.2.8: a repeated key share group, or a share for a group missing from
/// supported_groups, is illegal_parameter (servers MAY check; clasp does).
#[test]
fn key_share_rule_violations_are_illegal_parameter() {
    for hook in [
        duplicate_key_share as fn(&mut crate::msgs::handshake::ClientHello),
        share_outside_supported_groups,
    ] {
        let mut roots = RootCertStore::empty();
        roots.add(&TestPki::shared().ca_cert()).unwrap();
        let mut cfg = ClientConfig::builder()
            .with_root_certificates(roots)
            .build()
            .unwrap();
        cfg.test_hello_hook = Some(hook);
        let mut c =
            ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap())
                .unwrap();
        let mut s = server(server_config(&[NamedGroup::X25519]));
        let err = give(&mut s, &take(&mut c)).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::IllegalClientHello)
        );
        assert_eq!(
            give(&mut c, &take(&mut s)).unwrap_err(),
            Error::AlertReceived(AlertDescription::IllegalParameter)
        );
    }
}

/// RFC 8446 §4.2: an extension "which it did not request in the associated ClientHello" is
/// `unsupported_extension`. A fresh client offers no PSK, so a ServerHello selecting one answers
/// nothing we sent (BoGo AlwaysSelectPSKIdentity-TLS13).
#[test]
fn server_hello_selecting_an_unoffered_psk_is_unsupported_extension() {
    let (mut c, mut s) = (client(), server(server_config(&[NamedGroup::X25519])));
    give(&mut s, &take(&mut c)).unwrap();
    let flight = take(&mut s);
    // The first record is the ServerHello alone; re-encode it with a pre_shared_key answer.
    let len = usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let (sh_record, rest) = flight.split_at(5 + len);
    let msg = HandshakeMessage::read_version(&sh_record[5..], ProtocolVersion::TLSv1_3).unwrap();
    let HandshakePayload::ServerHello(mut sh) = msg.payload().clone() else {
        panic!("expected a ServerHello");
    };
    sh.extensions.push(ServerExtension::PreSharedKey(0));
    let body = HandshakeMessage::new(HandshakePayload::ServerHello(sh));
    let mut forged = vec![22, 3, 3];
    forged.extend_from_slice(&u16::try_from(body.encoded().len()).unwrap().to_be_bytes());
    forged.extend_from_slice(body.encoded());
    forged.extend_from_slice(rest);
    let err = give(&mut c, &forged).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::UnsolicitedExtension)
    );
    assert_eq!(
        AlertDescription::from(&err),
        AlertDescription::UnsupportedExtension
    );
}
