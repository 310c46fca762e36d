//! TLS 1.2 ClientHello rules the server enforces, broken by a clasp client through the
//! crate-internal `test_hello_hook`; each test asserts the server's error and the alert the
//! client receives (issue 9, item 9).

use std::sync::Arc;

use clasp_testkit::{KeyType, TestPki};

use super::test_io::{give, take};
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{AlertDescription, CipherSuite, ProtocolVersion};
use crate::msgs::extensions::ClientExtension;
use crate::msgs::handshake::ClientHello;
use crate::verify::{RootCertStore, ServerName};

/// A TLS 1.2 ClientHello rewritten by `hook`, given to a clasp server (that requires the
/// extended master secret): the server's error and the alert the client then receives.
fn tls12_server_refuses(hook: fn(&mut ClientHello)) -> (Error, Error) {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    let mut cfg = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .build()
        .unwrap();
    cfg.test_hello_hook = Some(hook);
    let mut c =
        ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap();
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let scfg = ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .require_ems()
        .build()
        .unwrap();
    let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
    let server_err = give(&mut s, &take(&mut c)).unwrap_err();
    let client_err = give(&mut c, &take(&mut s)).unwrap_err();
    (server_err, client_err)
}

fn nonempty_renegotiation_info(ch: &mut ClientHello) {
    for e in &mut ch.extensions {
        if let ClientExtension::RenegotiationInfo(v) = e {
            v.push(1);
        }
    }
}

fn no_renegotiation_signal(ch: &mut ClientHello) {
    ch.extensions
        .retain(|e| !matches!(e, ClientExtension::RenegotiationInfo(_)));
    ch.cipher_suites
        .retain(|s| *s != CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
}

fn no_extended_master_secret(ch: &mut ClientHello) {
    ch.extensions
        .retain(|e| !matches!(e, ClientExtension::ExtendedMasterSecret));
}

/// RFC 5746 §3.6: on an initial handshake the server "MUST verify that the length of the
/// "renegotiated_connection" field is zero, and if it is not, MUST abort the handshake" (with
/// handshake_failure, §3.4); without the extension or the SCSV we refuse too (we require
/// secure renegotiation signalling).
#[test]
fn renegotiation_info_broken_on_initial_hello_is_handshake_failure() {
    for hook in [
        nonempty_renegotiation_info as fn(&mut ClientHello),
        no_renegotiation_signal,
    ] {
        assert_eq!(
            tls12_server_refuses(hook),
            (
                Error::PeerMisbehaved(PeerMisbehaved::BadRenegotiationInfo),
                Error::AlertReceived(AlertDescription::HandshakeFailure)
            )
        );
    }
}

/// RFC 7627 §5.3: a server that requires the extended master secret "MUST abort the handshake"
/// (handshake_failure) when the ClientHello lacks the extension (`require_ems()`).
#[test]
fn missing_extended_master_secret_is_handshake_failure() {
    assert_eq!(
        tls12_server_refuses(no_extended_master_secret),
        (
            Error::PeerMisbehaved(PeerMisbehaved::MissingExtendedMasterSecret),
            Error::AlertReceived(AlertDescription::HandshakeFailure)
        )
    );
}
