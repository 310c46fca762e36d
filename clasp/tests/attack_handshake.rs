//! Attack: the first flight trickled one byte per record. A ClientHello of about 52 KB (a long
//! ALPN list) arrives as 52,000 plaintext records of one byte each (RFC 8446 §5.1 allows
//! handshake messages to be fragmented at any byte): the server reassembles it in linear time
//! with bounded buffers and the handshake completes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clasp::{ClientConnection, ServerConnection};

mod common;
use common::{client_builder, localhost, pump, server_config, take_tls};

#[test]
fn client_hello_trickled_one_byte_per_record_is_linear_and_bounded() {
    let protocols: Vec<Vec<u8>> = (0..200u8).map(|i| vec![b'a' + i % 26; 255]).collect();
    let client_cfg = Arc::new(
        client_builder()
            .with_alpn_protocols(protocols)
            .build()
            .unwrap(),
    );
    let mut client = ClientConnection::new(client_cfg, localhost()).unwrap();
    let flight = take_tls(&mut client);
    // One or more plaintext records: strip their headers to get the ClientHello bytes.
    let mut hello = Vec::new();
    let mut rest = &flight[..];
    while !rest.is_empty() {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        hello.extend_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
    }
    assert!(hello.len() > 50_000, "{} bytes", hello.len());
    let mut trickle = Vec::with_capacity(hello.len() * 6);
    for b in &hello {
        trickle.extend_from_slice(&[0x16, 0x03, 0x01, 0x00, 0x01, *b]);
    }
    let mut server = ServerConnection::new(server_config()).unwrap();
    let t = Instant::now();
    let mut peak = 0;
    let mut offered = &trickle[..];
    while !offered.is_empty() {
        let n = server.push_tls(offered);
        assert!(n > 0, "server stopped taking input");
        offered = &offered[n..];
        server.process_new_packets().unwrap();
        peak = peak.max(clasp::internal::buffer_capacity(&server));
    }
    let took = t.elapsed();
    eprintln!(
        "{} records in {took:?}, peak buffers {peak} bytes",
        hello.len()
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The message itself (52 KB) plus the receive buffer.
    assert!(peak < 160 * 1024, "{peak} bytes of buffers");
    pump(&mut client, &mut server).unwrap();
    assert!(!server.is_handshaking() && !client.is_handshaking());
}
