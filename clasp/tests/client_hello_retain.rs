//! `ServerConfigBuilder::retain_client_hello`: the ClientHello is kept only when asked, and
//! `ServerConnection::take_client_hello` hands it over so a long-lived connection drops it.

use std::sync::Arc;

use clasp::{ClientConnection, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{client_config, localhost, pump, server_builder};

fn pair(retain: bool) -> ServerConnection {
    let cfg = server_builder(KeyType::EcdsaP256)
        .retain_client_hello(retain)
        .build()
        .expect("server config");
    let mut server = ServerConnection::new(Arc::new(cfg)).expect("server");
    let mut client = ClientConnection::new(client_config(), localhost()).expect("client");
    pump(&mut client, &mut server).expect("handshake");
    assert!(!server.is_handshaking());
    server
}

#[test]
fn client_hello_is_kept_only_when_asked() {
    assert!(pair(false).client_hello().is_none());
    let server = pair(true);
    let (ch, raw) = server.client_hello().expect("retained");
    assert!(!ch.cipher_suites.is_empty());
    // The raw bytes are the whole handshake message: type 1 (client_hello), then a u24 length.
    assert_eq!(raw.first(), Some(&1));
}

#[test]
fn take_client_hello_drops_it_from_the_connection() {
    let mut server = pair(true);
    let raw = server.client_hello().expect("retained").1.to_vec();
    let (ch, taken) = server.take_client_hello().expect("taken");
    assert_eq!(taken, raw);
    assert!(!ch.cipher_suites.is_empty());
    assert!(server.client_hello().is_none());
    assert!(server.take_client_hello().is_none());
    assert!(pair(false).take_client_hello().is_none());
}
