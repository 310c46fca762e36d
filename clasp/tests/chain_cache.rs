//! The client's verified-chain cache end to end: a reconnecting client skips the chain's
//! signature checks but still verifies the server's CertificateVerify, so a server that presents
//! a cached chain without holding its key is refused (RFC 8446 §4.4.3).

mod common;

use std::sync::Arc;

use clasp::error::PeerMisbehaved;
use clasp::sign::{CertifiedKey, SingleCert};
use clasp::{ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::{KeyType, TestPki};
use common::{client_builder, localhost, pump, server_config, Failure};

#[test]
fn cached_chain_still_needs_a_valid_certificate_verify() {
    let client = Arc::new(client_builder().build().unwrap());
    // 1. A real visit: the chain is verified and cached.
    let mut c = ClientConnection::new(client.clone(), localhost()).unwrap();
    let mut s = ServerConnection::new(server_config()).unwrap();
    pump(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking());

    // 2. An impostor presents the same chain but signs with another key of the same type.
    let pki = TestPki::shared();
    let chain = pki.server(KeyType::EcdsaP256).cert_chain();
    let other_key = clasp::crypto::aws_lc::default_provider()
        .key_provider
        .load_private_key(pki.client(KeyType::EcdsaP256).private_key())
        .unwrap();
    let impostor = ServerConfig::builder()
        .with_cert_resolver(Arc::new(SingleCert(Arc::new(CertifiedKey {
            cert: chain,
            key: other_key,
        }))))
        .build()
        .unwrap();
    let mut c = ClientConnection::new(client.clone(), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::new(impostor)).unwrap();
    match pump(&mut c, &mut s) {
        Err(Failure::Client(e)) => assert_eq!(e, Error::from(PeerMisbehaved::BadSignature)),
        other => panic!("expected the client to refuse the signature, got {other:?}"),
    }

    // 3. The real server is still welcome.
    let mut c = ClientConnection::new(client, localhost()).unwrap();
    let mut s = ServerConnection::new(server_config()).unwrap();
    pump(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking());
}
