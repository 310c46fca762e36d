//! Attack: get a TLS 1.2 session without extended_master_secret (RFC 7627) cached, resumed or
//! exported from, now that such handshakes are allowed by default (issue 9). Over loopback
//! against GnuTLS with `%NO_SESSION_HASH`, on both sides:
//! - a GnuTLS client without EMS that asks to resume (`--resume`, tickets and session IDs) gets
//!   a full handshake each time from a clasp server;
//! - a clasp client talking to a GnuTLS server without EMS keeps no session: its second
//!   connection is a full handshake, and neither connection exports keying material.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use clasp::error::ApiMisuse;
use clasp::msgs::enums::{HandshakeType, ProtocolVersion};
use clasp::{ClientConnection, Error};
use clasp_testkit::{
    require_peers, GnutlsClient, GnutlsClientOpts, GnutlsPriority, GnutlsServer, GnutlsServerOpts,
    KeyType, TestPki, TlsVersion,
};
use rustls_pki_types::ServerName;

mod common;
use common::{client_builder, server_builder, spawn_stream_server, Recorder};

const T: Duration = Duration::from_secs(10);
const PING: &[u8] = b"ping\n";

fn no_ems_priority() -> String {
    GnutlsPriority::new()
        .version(TlsVersion::Tls12)
        .raw("%NO_SESSION_HASH")
        .to_string()
}

/// A GnuTLS client without EMS connects twice with `--resume` to a clasp server that has both
/// tickets and session IDs on: both are full handshakes (the server issued no ticket and no
/// session ID it would resume), and GnuTLS says it is not resumed.
#[test]
fn gnutls_client_without_ems_is_never_resumed_by_clasp_server() {
    require_peers!("gnutls-cli");
    let cfg = server_builder(KeyType::EcdsaP256)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .build()
        .unwrap();
    let (port, server) = spawn_stream_server(Arc::new(cfg), 2);
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, TestPki::shared().ca_path())
            .priority(no_ems_priority())
            .resume()
            .send(PING)
            .expect("PING")
            .timeout(T),
    );
    let reports = server.join().unwrap();
    out.assert_success();
    assert!(!out.contains("This is a resumed session"), "{out}");
    for r in &reports {
        r.result
            .as_ref()
            .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
        assert!(!r.resumed, "{out}");
    }
}

/// One connection from a clasp client to a GnuTLS server without EMS: whether it resumed, the
/// messages received, and what exporting keying material gave.
fn clasp_to_gnutls(
    cfg: &Arc<clasp::ClientConfig>,
    port: u16,
    peer: &mut clasp_testkit::PeerProcess,
    tag: &str,
) -> (bool, Vec<HandshakeType>, Result<(), Error>) {
    let trace = Arc::new(Recorder::default());
    let conn = ClientConnection::with_observer(
        Arc::clone(cfg),
        ServerName::try_from("localhost").unwrap(),
        Some(trace.clone()),
    )
    .unwrap();
    let mut tls = clasp::Stream::new(conn, common::connect(port));
    if let Err(e) = tls.complete_handshake() {
        panic!("handshake {tag}: {e:?}\n{}", peer.dump());
    }
    assert_eq!(
        tls.conn().negotiated().version,
        Some(ProtocolVersion::TLSv1_2)
    );
    // Reported, so an application (or BoGo's -expect-extended-master-secret) can tell.
    assert!(!tls.conn().negotiated().extended_master_secret);
    let mut out = [0u8; 32];
    let exported = tls
        .conn()
        .export_keying_material(&mut out, b"EXPORTER-attack", None);
    let line = format!("ping {tag}\n");
    tls.write_all(line.as_bytes()).unwrap();
    peer.expect_output(&format!("ping {tag}"), T);
    let resumed = tls.conn().negotiated().resumed;
    let _ = tls.send_close_notify();
    (resumed, trace.received(), exported)
}

/// A clasp client (tickets on, default cache) against a GnuTLS server without EMS that would
/// resume: the client stores nothing, so its second connection is a full handshake with a
/// Certificate; exporting fails with `ExporterWithoutExtendedMasterSecret` both times.
#[test]
fn clasp_client_never_resumes_nor_exports_a_session_without_ems() {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let mut server = GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(KeyType::EcdsaP256)).priority(no_ems_priority()),
    );
    let port = server.port();
    let cfg = Arc::new(
        client_builder()
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .build()
            .unwrap(),
    );
    for tag in ["one", "two"] {
        let (resumed, received, exported) = clasp_to_gnutls(&cfg, port, &mut server, tag);
        assert!(!resumed, "{tag}: {received:?}");
        assert!(
            received.contains(&HandshakeType::Certificate),
            "{tag}: {received:?}"
        );
        assert_eq!(
            exported,
            Err(Error::ApiMisuse(
                ApiMisuse::ExporterWithoutExtendedMasterSecret
            ))
        );
    }
    let out = server.finish();
    assert!(out.contains("Version: TLS1.2"), "{out}");
}
