//! Client certificates (RFC 8446 §4.3.2, §4.4.2; RFC 5246 §7.4.4, §7.4.6) against real peers:
//! `openssl s_server -Verify 1` / `gnutls-serv --require-client-cert` asking clasp for a
//! certificate, and `openssl s_client -cert` / `gnutls-cli --x509certfile` presenting one to a
//! clasp server with `ClientAuth::Required`, in TLS 1.3 and TLS 1.2.
//!
//! The failure cases check both ends: the clasp server's typed error and the alert the peer
//! reports (unknown_ca for an unrelated CA, bad_certificate for a leaf without the clientAuth
//! purpose, certificate_required for a missing certificate in TLS 1.3).

use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use clasp::error::{CertificateError, PeerMisbehaved};
use clasp::msgs::enums::ProtocolVersion;
use clasp::{ClientAuth, ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::{
    require_peers, ClientAuth as PeerClientAuth, GnutlsClient, GnutlsClientOpts, GnutlsServer,
    GnutlsServerOpts, Identity, KeyType, OpensslClient, OpensslClientOpts, OpensslServer,
    OpensslServerOpts, TestPki, TlsVersion,
};
use rustls_pki_types::{CertificateDer, ServerName};

mod common;
use common::{clasp_error, client_builder, connect, roots, server_builder, IO_TIMEOUT};

const T: Duration = Duration::from_secs(10);

fn clasp_version(v: TlsVersion) -> ProtocolVersion {
    match v {
        TlsVersion::Tls12 => ProtocolVersion::TLSv1_2,
        TlsVersion::Tls13 => ProtocolVersion::TLSv1_3,
    }
}

/// A clasp client trusting the test CA and presenting `id` when asked.
fn client_config(id: &Identity, v: TlsVersion) -> Arc<ClientConfig> {
    Arc::new(
        client_builder()
            .with_protocol_versions(&[clasp_version(v)])
            .with_client_auth_cert(id.cert_chain(), id.private_key())
            .build()
            .expect("client config"),
    )
}

/// A clasp server (ECDSA P-256 leaf) with the given client-auth policy.
fn server_config(auth: ClientAuth, v: TlsVersion) -> Arc<ServerConfig> {
    Arc::new(
        server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(&[clasp_version(v)])
            .with_client_auth(auth)
            .build()
            .expect("server config"),
    )
}

// ---------------------------------------------------------------------------------------------
// clasp client with a certificate -> openssl s_server -Verify 1 / gnutls-serv
// --require-client-cert.

const LINE: &[u8] = b"client auth line 0123\n";
const LINE_REV: &[u8] = b"3210 enil htua tneilc\n";

fn client_to_openssl(kt: KeyType, v: TlsVersion) {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let client_id = pki.client(kt);
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
            .version(v)
            .client_auth(PeerClientAuth::Require)
            .rev()
            .naccept(1),
    );
    let conn = ClientConnection::new(
        client_config(client_id, v),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut tls = clasp::Stream::new(conn, connect(server.port()));
    if let Err(e) = tls.complete_handshake() {
        panic!(
            "handshake with s_server failed: {e:?}\n{}",
            server.finish(T)
        );
    }
    tls.write_all(LINE).unwrap();
    let mut got = vec![0u8; LINE_REV.len()];
    if let Err(e) = tls.read_exact(&mut got) {
        panic!("reading the echo failed: {e:?}\n{}", server.finish(T));
    }
    assert_eq!(got, LINE_REV);
    tls.send_close_notify().unwrap();
    assert_eq!(tls.conn().protocol_version(), Some(clasp_version(v)));
    drop(tls);
    let out = server.finish(T);
    // s_server verified what clasp sent: the testkit's client leaf, CN "clasp test client".
    out.assert_contains("Peer certificate: CN = clasp test client");
    out.assert_contains("Verification: OK");
    assert_eq!(out.version(), Some(v), "{out}");
}

#[test]
fn client_cert_to_openssl_tls13_ecdsa_p256() {
    client_to_openssl(KeyType::EcdsaP256, TlsVersion::Tls13);
}

#[test]
fn client_cert_to_openssl_tls13_rsa() {
    client_to_openssl(KeyType::Rsa2048, TlsVersion::Tls13);
}

#[test]
fn client_cert_to_openssl_tls13_ed25519() {
    client_to_openssl(KeyType::Ed25519, TlsVersion::Tls13);
}

#[test]
fn client_cert_to_openssl_tls12_ecdsa_p384() {
    client_to_openssl(KeyType::EcdsaP384, TlsVersion::Tls12);
}

#[test]
fn client_cert_to_openssl_tls12_rsa() {
    client_to_openssl(KeyType::Rsa2048, TlsVersion::Tls12);
}

fn client_to_gnutls(kt: KeyType, v: TlsVersion) {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let server = GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(KeyType::EcdsaP256))
            .version(v)
            .client_auth(PeerClientAuth::Require),
    );
    let conn = ClientConnection::new(
        client_config(pki.client(kt), v),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut tls = clasp::Stream::new(conn, connect(server.port()));
    if let Err(e) = tls.complete_handshake() {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    tls.write_all(LINE).unwrap();
    let mut got = vec![0u8; LINE.len()];
    if let Err(e) = tls.read_exact(&mut got) {
        panic!("reading the echo failed: {e:?}\n{}", server.finish());
    }
    assert_eq!(got, LINE);
    tls.send_close_notify().unwrap();
    drop(tls);
    server.wait_for("- Description:", Duration::from_secs(2));
    let out = server.finish();
    let version = match v {
        TlsVersion::Tls12 => "- Version: TLS1.2",
        TlsVersion::Tls13 => "- Version: TLS1.3",
    };
    out.assert_contains(version);
    // gnutls-serv prints the verified client certificate's subject.
    out.assert_contains("clasp test client");
}

#[test]
fn client_cert_to_gnutls_tls13_ecdsa_p384() {
    client_to_gnutls(KeyType::EcdsaP384, TlsVersion::Tls13);
}

#[test]
fn client_cert_to_gnutls_tls13_rsa() {
    client_to_gnutls(KeyType::Rsa2048, TlsVersion::Tls13);
}

#[test]
fn client_cert_to_gnutls_tls12_ecdsa_p256() {
    client_to_gnutls(KeyType::EcdsaP256, TlsVersion::Tls12);
}

// ---------------------------------------------------------------------------------------------
// openssl s_client / gnutls-cli with a certificate -> clasp server.

struct ServerReport {
    result: Result<(), Error>,
    peer_certificates: Vec<CertificateDer<'static>>,
    received: Vec<u8>,
}

/// Serves one connection on 127.0.0.1 with `cfg`: answers each chunk with its upper-case form
/// until the peer closes.
fn spawn_server(cfg: Arc<ServerConfig>) -> (u16, JoinHandle<ServerReport>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        sock.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let conn = ServerConnection::new(cfg).unwrap();
        let mut tls = clasp::Stream::new(conn, sock);
        let mut received = Vec::new();
        let result = (|| -> io::Result<()> {
            tls.complete_handshake()?;
            let mut buf = [0u8; 4096];
            loop {
                let n = tls.read(&mut buf)?;
                if n == 0 {
                    return tls.send_close_notify();
                }
                received.extend_from_slice(&buf[..n]);
                tls.write_all(&buf[..n].to_ascii_uppercase())?;
            }
        })();
        let result = result.map_err(|e| {
            clasp_error(&e)
                .or_else(|| tls.conn().error().cloned())
                .unwrap_or_else(|| panic!("server I/O error that is not TLS: {e:?}"))
        });
        ServerReport {
            result,
            peer_certificates: tls.conn().peer_certificates().to_vec(),
            received,
        }
    });
    (port, handle)
}

const PING: &str = "ping with a client certificate\n";
const PONG: &str = "PING WITH A CLIENT CERTIFICATE";

fn openssl_to_server(kt: KeyType, v: TlsVersion) {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let client_id = pki.client(kt);
    let (port, server) = spawn_server(server_config(ClientAuth::Required(roots()), v));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .version(v)
            .client_cert(client_id)
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let report = server.join().unwrap();
    out.assert_success();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert_eq!(report.received, PING.as_bytes());
    assert_eq!(out.version(), Some(v), "{out}");
    // The clasp server saw exactly the testkit's client leaf, end-entity first.
    assert!(!report.peer_certificates.is_empty());
    assert_eq!(report.peer_certificates[0].as_ref(), client_id.cert_der());
}

#[test]
fn openssl_client_cert_to_server_tls13_ecdsa_p256() {
    openssl_to_server(KeyType::EcdsaP256, TlsVersion::Tls13);
}

#[test]
fn openssl_client_cert_to_server_tls13_rsa() {
    openssl_to_server(KeyType::Rsa2048, TlsVersion::Tls13);
}

#[test]
fn openssl_client_cert_to_server_tls13_ed25519() {
    openssl_to_server(KeyType::Ed25519, TlsVersion::Tls13);
}

#[test]
fn openssl_client_cert_to_server_tls12_ecdsa_p384() {
    openssl_to_server(KeyType::EcdsaP384, TlsVersion::Tls12);
}

#[test]
fn openssl_client_cert_to_server_tls12_rsa() {
    openssl_to_server(KeyType::Rsa2048, TlsVersion::Tls12);
}

fn gnutls_to_server(kt: KeyType, v: TlsVersion) {
    require_peers!("gnutls-cli");
    let pki = TestPki::shared();
    let client_id = pki.client(kt);
    let (port, server) = spawn_server(server_config(ClientAuth::Required(roots()), v));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, pki.ca_path())
            .version(v)
            .client_cert(client_id)
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let report = server.join().unwrap();
    out.assert_success();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert_eq!(report.received, PING.as_bytes());
    assert_eq!(out.version(), Some(v), "{out}");
    assert!(!report.peer_certificates.is_empty());
    assert_eq!(report.peer_certificates[0].as_ref(), client_id.cert_der());
}

#[test]
fn gnutls_client_cert_to_server_tls13_ecdsa_p384() {
    gnutls_to_server(KeyType::EcdsaP384, TlsVersion::Tls13);
}

#[test]
fn gnutls_client_cert_to_server_tls13_ed25519() {
    gnutls_to_server(KeyType::Ed25519, TlsVersion::Tls13);
}

#[test]
fn gnutls_client_cert_to_server_tls12_rsa() {
    gnutls_to_server(KeyType::Rsa2048, TlsVersion::Tls12);
}

// ---------------------------------------------------------------------------------------------
// Failures: the clasp server refuses, and the peer reports the alert.

/// s_client presents `id` (or nothing) to a clasp server requiring a certificate; returns the
/// clasp server's error and s_client's output.
fn openssl_rejected(id: Option<&Identity>, v: TlsVersion) -> (Error, clasp_testkit::PeerOutput) {
    let pki = TestPki::shared();
    let (port, server) = spawn_server(server_config(ClientAuth::Required(roots()), v));
    let mut opts = OpensslClientOpts::new(port, pki.ca_path())
        .version(v)
        .send(PING.as_bytes())
        .expect(PONG)
        // s_client exits when the alert arrives, which ends the wait early.
        .timeout(Duration::from_secs(5));
    if let Some(id) = id {
        opts = opts.client_cert(id);
    }
    let out = OpensslClient::run(&opts);
    let report = server.join().unwrap();
    out.assert_failure();
    assert!(report.received.is_empty(), "data got through: {out}");
    let err = match report.result {
        Ok(()) => panic!("clasp server accepted the client:\n{out}"),
        Err(e) => e,
    };
    (err, out)
}

/// A client leaf (clientAuth EKU) issued by a CA the server does not trust, written to files
/// for the peers. The testkit's `untrusted()` leaf is a *server* leaf, which webpki refuses for
/// its purpose before it looks for an issuer (see `untrusted_server_leaf_*`).
struct ForeignClient {
    dir: std::path::PathBuf,
}

impl ForeignClient {
    fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "foreign CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "foreign client");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "clasp-mutual-auth-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        ForeignClient { dir }
    }
}

impl Drop for ForeignClient {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl_foreign_client(v: TlsVersion) -> (Error, clasp_testkit::PeerOutput) {
    let foreign = ForeignClient::new();
    let pki = TestPki::shared();
    let (port, server) = spawn_server(server_config(ClientAuth::Required(roots()), v));
    let mut opts = OpensslClientOpts::new(port, pki.ca_path())
        .version(v)
        .send(PING.as_bytes())
        .expect(PONG)
        .timeout(Duration::from_secs(5));
    opts.cert = Some(foreign.dir.join("cert.pem"));
    opts.key = Some(foreign.dir.join("key.pem"));
    let out = OpensslClient::run(&opts);
    let report = server.join().unwrap();
    out.assert_failure();
    assert!(report.received.is_empty(), "data got through: {out}");
    match report.result {
        Ok(()) => panic!("clasp server accepted the client:\n{out}"),
        Err(e) => (e, out),
    }
}

/// RFC 8446 §4.4.2.4: a chain to no trusted root is refused; unknown_ca (RFC 8446 §6.2).
#[test]
fn foreign_ca_client_cert_is_unknown_ca_tls13() {
    require_peers!("openssl");
    let (err, out) = openssl_foreign_client(TlsVersion::Tls13);
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "{out}"
    );
    out.assert_contains("alert unknown ca");
}

#[test]
fn foreign_ca_client_cert_is_unknown_ca_tls12() {
    require_peers!("openssl");
    let (err, out) = openssl_foreign_client(TlsVersion::Tls12);
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "{out}"
    );
    out.assert_contains("alert unknown ca");
}

/// The testkit's untrusted leaf has two faults (unrelated CA, serverAuth EKU only); webpki
/// checks the leaf's own purpose before path building, so the purpose is what is reported.
#[test]
fn untrusted_server_leaf_as_client_cert_tls13() {
    require_peers!("openssl");
    let (err, out) = openssl_rejected(Some(TestPki::shared().untrusted()), TlsVersion::Tls13);
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::InvalidPurpose),
        "{out}"
    );
    out.assert_contains("alert bad certificate");
}

/// A server leaf (serverAuth EKU only) from the trusted CA is not a client certificate.
#[test]
fn server_leaf_as_client_cert_is_bad_certificate_tls13() {
    require_peers!("openssl");
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let (err, out) = openssl_rejected(Some(id), TlsVersion::Tls13);
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::InvalidPurpose),
        "{out}"
    );
    out.assert_contains("alert bad certificate");
}

#[test]
fn server_leaf_as_client_cert_is_bad_certificate_tls12() {
    require_peers!("openssl");
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let (err, out) = openssl_rejected(Some(id), TlsVersion::Tls12);
    assert_eq!(
        err,
        Error::InvalidCertificate(CertificateError::InvalidPurpose),
        "{out}"
    );
    out.assert_contains("alert bad certificate");
}

/// RFC 8446 §4.4.2.4: "If the client does not send any certificates ... the server MAY at its
/// discretion ... abort the handshake with a "certificate_required" alert."
#[test]
fn missing_client_cert_is_certificate_required_tls13() {
    require_peers!("openssl");
    let (err, out) = openssl_rejected(None, TlsVersion::Tls13);
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::NoCertificate),
        "{out}"
    );
    out.assert_contains("alert certificate required");
}

/// TLS 1.2 has no certificate_required alert: RFC 5246 §7.4.6 lets the server "respond with a
/// fatal handshake_failure alert".
#[test]
fn missing_client_cert_is_handshake_failure_tls12() {
    require_peers!("openssl");
    let (err, out) = openssl_rejected(None, TlsVersion::Tls12);
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::NoCertificate),
        "{out}"
    );
    out.assert_contains("alert handshake failure");
}

/// `ClientAuth::Optional`: a client without a certificate gets in, and the server sees no chain.
#[test]
fn optional_client_auth_without_cert_connects_tls13() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_server(server_config(
        ClientAuth::Optional(roots()),
        TlsVersion::Tls13,
    ));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let report = server.join().unwrap();
    out.assert_success();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert!(report.peer_certificates.is_empty());
    // s_client saw the CertificateRequest naming the test CA.
    out.assert_contains("Acceptable client certificate CA names");
}
