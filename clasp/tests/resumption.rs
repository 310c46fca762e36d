//! TLS 1.3 session resumption (RFC 8446 §2.2, §4.6.1) against real peers:
//! - a clasp client connects twice to `openssl s_server` with one `ClientConfig` and resumes
//!   the second time (no Certificate on the wire, s_server prints "Reused session-id");
//! - `openssl s_client -sess_out` / `-sess_in` and `gnutls-cli --resume` resume with a clasp
//!   server.
//!
//! TLS 1.2 resumption (session IDs, RFC 5246 §7.4.1.2; tickets, RFC 5077) against the same
//! peers is tested in `tls12_resumption.rs`.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use clasp::msgs::enums::{HandshakeType, ProtocolVersion};
use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ClientConnection, ServerConfig};
use clasp_testkit::{
    require_peers, GnutlsClient, GnutlsClientOpts, KeyType, OpensslClient, OpensslClientOpts,
    OpensslServer, OpensslServerOpts, TestPki, TlsVersion,
};
use rustls_pki_types::ServerName;

mod common;
use common::{client_builder, connect, server_builder, spawn_stream_server, Recorder};

const T: Duration = Duration::from_secs(10);

fn client_config() -> Arc<ClientConfig> {
    Arc::new(
        client_builder()
            .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
            .build()
            .expect("client config"),
    )
}

fn server_config() -> Arc<ServerConfig> {
    Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
            .build()
            .expect("server config"),
    )
}

// ---------------------------------------------------------------------------------------------
// clasp client -> openssl s_server (interactive mode, which reports "Reused session-id").

/// One connection from `cfg` to s_server: data both ways (so the NewSessionTickets, sent right
/// after the handshake, are processed before the reply), then close. Returns whether clasp
/// resumed and the handshake messages it received.
fn one_connection(
    cfg: &Arc<ClientConfig>,
    server: &mut OpensslServer,
    tag: &str,
) -> (bool, Vec<HandshakeType>) {
    let seen = Arc::new(Recorder::default());
    let conn = ClientConnection::with_observer(
        Arc::clone(cfg),
        ServerName::try_from("localhost").unwrap(),
        Some(seen.clone()),
    )
    .unwrap();
    let mut tls = clasp::Stream::new(conn, connect(server.port()));
    if let Err(e) = tls.complete_handshake() {
        panic!("handshake {tag} failed: {e:?}\n{}", server.dump());
    }
    let ping = format!("ping {tag}\n");
    tls.write_all(ping.as_bytes()).unwrap();
    // s_server prints what it receives; once it has, it is past the handshake and has sent its
    // tickets.
    server.expect_output(&format!("ping {tag}"), T);
    let pong = format!("pong {tag}\n");
    server.send(pong.as_bytes());
    let mut got = vec![0u8; pong.len()];
    tls.read_exact(&mut got).unwrap();
    assert_eq!(got, pong.as_bytes());
    tls.send_close_notify().unwrap();
    let resumed = tls.conn().negotiated().resumed;
    (resumed, seen.received())
}

#[test]
fn clasp_client_resumes_with_openssl_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let mut server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .naccept(2),
    );
    let cfg = client_config();

    let (resumed, first) = one_connection(&cfg, &mut server, "one");
    assert!(!resumed);
    assert!(first.contains(&HandshakeType::Certificate), "{first:?}");
    // RFC 8446 §4.6.1: the tickets arrive after the handshake.
    assert!(
        first.contains(&HandshakeType::NewSessionTicket),
        "{first:?}"
    );

    let (resumed, second) = one_connection(&cfg, &mut server, "two");
    assert!(resumed, "second connection did not resume: {second:?}");
    // RFC 8446 §2.2: a PSK handshake has no Certificate / CertificateVerify.
    assert!(!second.contains(&HandshakeType::Certificate), "{second:?}");
    assert!(
        !second.contains(&HandshakeType::CertificateVerify),
        "{second:?}"
    );
    assert!(second.contains(&HandshakeType::Finished), "{second:?}");

    // s_server exits after two connections; it reports the reuse for the second only.
    assert!(server.wait_exit(T).is_some(), "{}", server.dump());
    let out = server.finish(T);
    assert_eq!(
        out.stdout.matches("Reused session-id").count(),
        1,
        "expected exactly one resumed connection:\n{out}"
    );
    let first_report = out.stdout.split("ping one").next().unwrap_or_default();
    assert!(!first_report.contains("Reused session-id"), "{out}");
}

/// A `ClientConfig` without resumption never offers a PSK, so the second connection is full.
#[test]
fn clasp_client_without_resumption_does_full_handshakes() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let mut server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .tls13()
            .naccept(2),
    );
    let mut roots = RootCertStore::empty();
    roots.add(&pki.ca_cert()).unwrap();
    let cfg = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots)
            .without_resumption()
            .build()
            .unwrap(),
    );
    for tag in ["one", "two"] {
        let (resumed, seen) = one_connection(&cfg, &mut server, tag);
        assert!(!resumed);
        assert!(seen.contains(&HandshakeType::Certificate), "{seen:?}");
    }
    assert!(server.wait_exit(T).is_some(), "{}", server.dump());
    let out = server.finish(T);
    assert!(!out.contains("Reused session-id"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// openssl s_client / gnutls-cli -> clasp server.

const PING: &str = "resume me\n";
const PONG: &str = "RESUME ME";

#[test]
fn openssl_sess_out_then_sess_in_resumes_with_clasp_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let sess = pki
        .dir()
        .join(format!("resumption-{}.sess", std::process::id()));
    let _ = std::fs::remove_file(&sess);
    let (port, server) = spawn_stream_server(server_config(), 2);

    let first = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .sess_out(&sess)
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    first.assert_success();
    assert!(first.contains("New, TLSv1.3"), "{first}");
    assert!(
        sess.exists(),
        "s_client wrote no session (no ticket?):\n{first}"
    );

    let second = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .sess_in(&sess)
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let reports = server.join().unwrap();
    let _ = std::fs::remove_file(&sess);
    second.assert_success();
    second.assert_contains("Reused, TLSv1.3");
    assert_eq!(reports.len(), 2);
    for r in &reports {
        r.result
            .as_ref()
            .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{first}\n{second}"));
        assert_eq!(r.received, PING.as_bytes());
    }
    assert!(!reports[0].resumed);
    assert!(reports[1].resumed);
}

#[test]
fn gnutls_cli_resume_with_clasp_server() {
    require_peers!("gnutls-cli");
    let pki = TestPki::shared();
    let (port, server) = spawn_stream_server(server_config(), 2);
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, pki.ca_path())
            .version(TlsVersion::Tls13)
            .resume()
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let reports = server.join().unwrap();
    out.assert_success();
    out.assert_contains("This is a resumed session");
    assert_eq!(reports.len(), 2);
    for r in &reports {
        r.result
            .as_ref()
            .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    }
    assert!(!reports[0].resumed);
    assert!(reports[1].resumed);
    // The data goes over the resumed connection.
    assert_eq!(reports[1].received, PING.as_bytes());
}

/// Resumption under required client authentication with a real client (issue 9 item 1):
/// `openssl s_client -cert … -sess_out`, then `-sess_in`. The clasp server resumes the ticket
/// only after verifying the client's sealed chain again, and reports it on the resumed
/// connection.
#[test]
fn openssl_with_client_certificate_resumes_and_keeps_its_chain() {
    use std::net::TcpListener;

    require_peers!("openssl");
    let pki = TestPki::shared();
    let client_id = pki.client(KeyType::EcdsaP256);
    let sess = pki
        .dir()
        .join(format!("resumption-auth-{}.sess", std::process::id()));
    let _ = std::fs::remove_file(&sess);
    let cfg = Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
            .with_client_auth(clasp::ClientAuth::Required(common::roots()))
            .build()
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        (0..2)
            .map(|_| {
                let (sock, _) = listener.accept().expect("accept");
                common::prepare(&sock);
                let conn = clasp::ServerConnection::new(Arc::clone(&cfg)).unwrap();
                let mut tls = clasp::Stream::new(conn, sock);
                let result = (|| -> std::io::Result<()> {
                    let mut buf = [0u8; 4096];
                    let n = tls.read(&mut buf)?;
                    tls.write_all(&buf[..n].to_ascii_uppercase())?;
                    // s_client closes after reading the answer.
                    let _ = tls.read(&mut buf);
                    Ok(())
                })();
                let n = tls.conn().negotiated();
                (result.is_ok(), n.resumed, n.peer_certificates.clone())
            })
            .collect::<Vec<_>>()
    });
    let run = |opts: OpensslClientOpts| {
        OpensslClient::run(
            &opts
                .tls13()
                .client_cert(client_id)
                .send(PING.as_bytes())
                .expect(PONG)
                .timeout(T),
        )
    };
    let first = run(OpensslClientOpts::new(port, pki.ca_path()).sess_out(&sess));
    first.assert_success();
    let second = run(OpensslClientOpts::new(port, pki.ca_path()).sess_in(&sess));
    let reports = server.join().unwrap();
    let _ = std::fs::remove_file(&sess);
    second.assert_success();
    second.assert_contains("Reused, TLSv1.3");
    let leaf = vec![rustls_pki_types::CertificateDer::from(
        client_id.cert_der().to_vec(),
    )];
    assert_eq!(reports[0], (true, false, leaf.clone()), "{first}");
    assert_eq!(reports[1], (true, true, leaf), "{second}");
}
