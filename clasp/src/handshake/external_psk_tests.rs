//! External PSK checks that need a misbehaving peer: the client's psk_key_exchange_modes on the
//! wire rewritten (crate-internal `test_hello_hook`, applied before the binders are computed, so
//! the server accepts the PSK) so that a well-behaved clasp server answers with a mode the
//! client's configuration never offered.

use std::sync::Arc;

use super::test_io::take;
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::crypto::HashAlgorithm;
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{AlertDescription, PskKeyExchangeMode};
use crate::msgs::extensions::ClientExtension;
use crate::msgs::handshake::ClientHello;
use crate::psk::ExternalPsk;
use crate::verify::ServerName;

fn psk() -> ExternalPsk {
    ExternalPsk::new("client1", [0x42u8; 32], HashAlgorithm::Sha256).unwrap()
}

fn set_modes(hello: &mut ClientHello, modes: &[PskKeyExchangeMode]) {
    for e in &mut hello.extensions {
        if let ClientExtension::PskKeyExchangeModes(m) = e {
            *m = modes.to_vec();
        }
    }
}

fn wire_psk_ke(hello: &mut ClientHello) {
    set_modes(hello, &[PskKeyExchangeMode::PskKe]);
}

fn wire_psk_dhe_ke(hello: &mut ClientHello) {
    set_modes(hello, &[PskKeyExchangeMode::PskDheKe]);
}

/// Runs the ClientHello → server flight → client; returns the client's error and the alert the
/// server then reads.
fn run(
    client_modes: &[PskKeyExchangeMode],
    hook: fn(&mut ClientHello),
    server_modes: &[PskKeyExchangeMode],
) -> (Error, Result<(), Error>) {
    let mut cfg = ClientConfig::builder()
        .with_external_psk(psk())
        .with_psk_key_exchange_modes(client_modes)
        .build()
        .unwrap();
    cfg.test_hello_hook = Some(hook);
    let mut client =
        ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap();
    let scfg = ServerConfig::builder()
        .with_external_psk(psk())
        .with_psk_key_exchange_modes(server_modes)
        .build()
        .unwrap();
    let mut server = ServerConnection::new(Arc::new(scfg)).unwrap();
    let ch = take(&mut client);
    server.read_tls(&mut ch.as_slice()).unwrap();
    server.process_new_packets().unwrap();
    let flight = take(&mut server);
    client.read_tls(&mut flight.as_slice()).unwrap();
    let err = client.process_new_packets().unwrap_err();
    let alert = take(&mut client);
    server.read_tls(&mut alert.as_slice()).unwrap();
    (err, server.process_new_packets().map(|_| ()))
}

/// RFC 8446 §4.2.11: clients MUST verify "that a server "key_share" extension is present if
/// required by the ClientHello "psk_key_exchange_modes" extension" (illegal_parameter): our
/// configuration offered psk_dhe_ke only; a server answering in psk_ke (no key_share) is
/// refused.
#[test]
fn client_refuses_psk_ke_it_did_not_offer() {
    let (err, server_saw) = run(
        &[PskKeyExchangeMode::PskDheKe],
        wire_psk_ke,
        &[PskKeyExchangeMode::PskKe],
    );
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::UnofferedPskKeyExchangeMode)
    );
    assert_eq!(
        server_saw,
        Err(Error::AlertReceived(AlertDescription::IllegalParameter))
    );
}

/// RFC 8446 §4.2.9: "Servers MUST NOT select a key exchange mode that is not listed by the
/// client": our configuration offered psk_ke only; a key_share with the PSK is psk_dhe_ke.
#[test]
fn client_refuses_psk_dhe_ke_it_did_not_offer() {
    let (err, server_saw) = run(
        &[PskKeyExchangeMode::PskKe],
        wire_psk_dhe_ke,
        &[PskKeyExchangeMode::PskDheKe],
    );
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::UnofferedPskKeyExchangeMode)
    );
    assert_eq!(
        server_saw,
        Err(Error::AlertReceived(AlertDescription::IllegalParameter))
    );
}
