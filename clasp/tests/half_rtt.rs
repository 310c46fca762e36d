//! 0.5-RTT data (RFC 8446 §4.4.4: "Servers MAY send data after sending their first flight"):
//! a server built with `with_half_rtt_data(true)` that accepted 0-RTT may answer the early data
//! before the client's Finished arrives; without it (the default), or when 0-RTT was not
//! accepted, what it writes waits for the handshake to complete. Clasp ↔ clasp in memory.

use std::io::{Read, Write};
use std::sync::Arc;

use clasp::msgs::enums::ProtocolVersion;
use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{
    client_builder, drain_early_data, give_tls, localhost, pump, server_builder, take_tls,
};

const TLS13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];

fn configs(half_rtt: bool, max_early: u32) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let server = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(TLS13)
            .with_max_early_data(max_early)
            .with_half_rtt_data(half_rtt)
            .build()
            .unwrap(),
    );
    let client = Arc::new(
        client_builder()
            .with_protocol_versions(TLS13)
            .with_early_data()
            .build()
            .unwrap(),
    );
    (client, server)
}

/// A resumed client with early data offered (if its ticket allows), and a server that has
/// processed its first flight: (client, server, early bytes the server got).
fn resumed_pair(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (ClientConnection, ServerConnection, Vec<u8>) {
    let mut c = ClientConnection::new(Arc::clone(client), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    pump(&mut c, &mut s).unwrap();
    let mut c = ClientConnection::new(Arc::clone(client), localhost()).unwrap();
    let _ = c.write_early_data(b"ping").unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    give_tls(&mut s, &take_tls(&mut c)).unwrap();
    let mut early = Vec::new();
    drain_early_data(&mut s, &mut early);
    (c, s, early)
}

/// The server's first flight goes to the client; what plaintext the client can read then,
/// before it has sent its Finished.
fn client_reads_before_its_finished(c: &mut ClientConnection, s: &mut ServerConnection) -> Vec<u8> {
    give_tls(c, &take_tls(s)).unwrap();
    let mut got = vec![0u8; 64];
    let n = match c.reader().read(&mut got) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
        Err(e) => panic!("{e}"),
    };
    got.truncate(n);
    got
}

#[test]
fn half_rtt_data_goes_out_before_the_clients_finished() {
    let (client, server) = configs(true, 16384);
    let (mut c, mut s, early) = resumed_pair(&client, &server);
    assert_eq!(early, b"ping");
    assert!(s.is_handshaking());
    s.writer().write_all(b"pong").unwrap();
    assert_eq!(client_reads_before_its_finished(&mut c, &mut s), b"pong");
    // The client has not finished, so the server is still waiting for its Finished.
    assert!(s.is_handshaking());
    pump(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking() && !s.is_handshaking());
    assert_eq!(s.negotiated().early_data_accepted, Some(true));
}

#[test]
fn without_the_option_data_waits_for_the_handshake() {
    let (client, server) = configs(false, 16384);
    let (mut c, mut s, early) = resumed_pair(&client, &server);
    assert_eq!(early, b"ping");
    s.writer().write_all(b"pong").unwrap();
    assert_eq!(client_reads_before_its_finished(&mut c, &mut s), b"");
    pump(&mut c, &mut s).unwrap();
    let mut got = vec![0u8; 64];
    let n = c.reader().read(&mut got).unwrap();
    assert_eq!(&got[..n], b"pong");
}

#[test]
fn no_half_rtt_data_when_0rtt_was_not_accepted() {
    // The server takes no early data: the ticket allows none, so none is offered.
    let (client, server) = configs(true, 0);
    let (mut c, mut s, early) = resumed_pair(&client, &server);
    assert!(early.is_empty());
    s.writer().write_all(b"pong").unwrap();
    assert_eq!(client_reads_before_its_finished(&mut c, &mut s), b"");
    pump(&mut c, &mut s).unwrap();
    let mut got = vec![0u8; 64];
    let n = c.reader().read(&mut got).unwrap();
    assert_eq!(&got[..n], b"pong");
}
