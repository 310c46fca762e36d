//! close_notify after the handshake (RFC 8446 §6.1): a forged plaintext close_notify is not a
//! clean close, and none is sent after a fatal alert. Each test names the RFC rule it checks and
//! failed before the fix it accompanies.

use std::io::Read;
use std::sync::Arc;

use clasp::msgs::enums::HandshakeType;
use clasp::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::KeyType;
use rustls_pki_types::ServerName;

mod common;
use common::{client_config, give_tls, server_builder, server_config, take_tls};

fn server_config_with(
    f: impl FnOnce(clasp::config::ServerConfigBuilder) -> clasp::config::ServerConfigBuilder,
) -> Arc<ServerConfig> {
    Arc::new(
        f(server_builder(KeyType::EcdsaP256))
            .build()
            .expect("server config"),
    )
}

/// Runs a clasp client and server to the end of the handshake.
fn connected() -> (ClientConnection, ServerConnection) {
    connected_with(client_config(), server_config())
}

fn connected_with(
    ccfg: Arc<ClientConfig>,
    scfg: Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection) {
    let mut client =
        ClientConnection::new(ccfg, ServerName::try_from("localhost").unwrap()).unwrap();
    let mut server = ServerConnection::new(scfg).unwrap();
    for _ in 0..10 {
        let c = take_tls(&mut client);
        give_tls(&mut server, &c).unwrap();
        let s = take_tls(&mut server);
        give_tls(&mut client, &s).unwrap();
        if !client.is_handshaking() && !server.is_handshaking() && !client.wants_write() {
            break;
        }
    }
    assert!(!client.is_handshaking() && !server.is_handshaking());
    (client, server)
}

/// A plaintext close_notify record, as an attacker on the path can forge it.
const PLAINTEXT_CLOSE_NOTIFY: [u8; 7] = [21, 3, 3, 0, 2, 1, 0];

/// RFC 8446 §5: once keys are in place every record is protected, and §6.1: close_notify is
/// what tells a complete stream from a truncated one. A forged plaintext close_notify right
/// after the handshake (the peer's application keys still at sequence number 0) must not end
/// the stream cleanly, or an attacker can drop the server's data and fake a clean close.
#[test]
fn forged_plaintext_close_notify_after_handshake_is_not_a_clean_close() {
    // Without tickets the server sends nothing after its Finished, so the client's receiving
    // key is still at sequence number 0.
    let (mut client, _server) = connected_with(
        client_config(),
        server_config_with(clasp::config::ServerConfigBuilder::without_resumption),
    );
    let r = give_tls(&mut client, &PLAINTEXT_CLOSE_NOTIFY);
    let clean_close = matches!(r, Ok(st) if st.peer_has_closed);
    assert!(!clean_close, "forged close_notify accepted: {r:?}");
    let mut buf = [0u8; 8];
    assert!(
        !matches!(client.reader().read(&mut buf), Ok(0)),
        "reader reports a clean EOF after a forged close_notify"
    );
}

/// Same on the server side.
#[test]
fn forged_plaintext_close_notify_to_server_is_not_a_clean_close() {
    let (_client, mut server) = connected();
    let r = give_tls(&mut server, &PLAINTEXT_CLOSE_NOTIFY);
    let clean_close = matches!(r, Ok(st) if st.peer_has_closed);
    assert!(!clean_close, "forged close_notify accepted: {r:?}");
}

/// RFC 8446 §6.2: "Upon transmission or receipt of a fatal alert message, both parties MUST
/// immediately close the connection." After a fatal alert has been queued, a later
/// `send_close_notify` must not put a second alert on the wire.
#[test]
fn no_close_notify_after_a_fatal_alert() {
    let mut server = ServerConnection::new(server_config()).unwrap();
    // A handshake record holding a Finished where a ClientHello must come.
    let bogus = [22, 3, 3, 0, 8, 20, 0, 0, 4, 0, 0, 0, 0];
    assert_eq!(
        give_tls(&mut server, &bogus).map(|_| ()),
        Err(Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::ClientHello],
            got: HandshakeType::Finished,
        })
    );
    let fatal = take_tls(&mut server);
    assert_eq!(fatal.len(), 7, "one plaintext alert record: {fatal:?}");
    server.send_close_notify();
    assert!(
        take_tls(&mut server).is_empty(),
        "close_notify sent after a fatal alert"
    );
}
