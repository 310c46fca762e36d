//! TLS 1.3 interop of clasp against real peers over loopback: `openssl s_server`/`s_client`
//! (OpenSSL 3.0), `gnutls-serv`/`gnutls-cli` (GnuTLS 3.7), and rustls 0.23 in memory.
//!
//! Every suite (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256),
//! every classical group (X25519, P-256, P-384) and every certificate type (ECDSA P-256/P-384,
//! Ed25519, RSA-2048) is used at least once per peer and direction. Each case sends data both
//! ways (the peer transforms it, so an echo proves a round trip) and checks what both ends say
//! was negotiated.
//!
//! X25519MLKEM768 is tested only against rustls: OpenSSL 3.0 and GnuTLS 3.7 implement no ML-KEM
//! group (OpenSSL gained it in 3.5, GnuTLS in 3.8.x), so no command line could offer it there.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use clasp::conn::Negotiated;
use clasp::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use clasp::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use clasp_testkit::{
    require_peers, GnutlsClient, GnutlsClientOpts, GnutlsPriority, GnutlsServer, GnutlsServerOpts,
    KeyType, OpensslClient, OpensslClientOpts, OpensslServer, OpensslServerOpts, TestPki,
    TlsVersion,
};

mod common;
use common::{
    client_builder, close, connect, drain_plaintext, handshake, localhost, read_until, send,
    server_builder, spawn_upper_server,
};

const T: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Names of suites and groups in each toolkit.

#[derive(Clone, Copy, Debug)]
enum Suite {
    Aes128,
    Aes256,
    Chacha,
}

impl Suite {
    fn clasp(self) -> CipherSuite {
        match self {
            Suite::Aes128 => CipherSuite::TLS_AES_128_GCM_SHA256,
            Suite::Aes256 => CipherSuite::TLS_AES_256_GCM_SHA384,
            Suite::Chacha => CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        }
    }
    /// IANA name, which OpenSSL uses for TLS 1.3 suites too.
    fn iana(self) -> &'static str {
        match self {
            Suite::Aes128 => "TLS_AES_128_GCM_SHA256",
            Suite::Aes256 => "TLS_AES_256_GCM_SHA384",
            Suite::Chacha => "TLS_CHACHA20_POLY1305_SHA256",
        }
    }
    fn gnutls(self) -> &'static str {
        match self {
            Suite::Aes128 => "AES-128-GCM",
            Suite::Aes256 => "AES-256-GCM",
            Suite::Chacha => "CHACHA20-POLY1305",
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Group {
    X25519,
    P256,
    P384,
}

impl Group {
    fn clasp(self) -> NamedGroup {
        match self {
            Group::X25519 => NamedGroup::X25519,
            Group::P256 => NamedGroup::secp256r1,
            Group::P384 => NamedGroup::secp384r1,
        }
    }
    fn openssl(self) -> &'static str {
        match self {
            Group::X25519 => "X25519",
            Group::P256 => "P-256",
            Group::P384 => "P-384",
        }
    }
    /// How `s_client` prints the server's share ("Server Temp Key: ...").
    fn openssl_temp_key(self) -> &'static str {
        match self {
            Group::X25519 => "Server Temp Key: X25519",
            Group::P256 => "Server Temp Key: ECDH, prime256v1",
            Group::P384 => "Server Temp Key: ECDH, secp384r1",
        }
    }
    fn gnutls(self) -> &'static str {
        match self {
            Group::X25519 => "X25519",
            Group::P256 => "SECP256R1",
            Group::P384 => "SECP384R1",
        }
    }
}

fn gnutls_priority(suite: Suite, group: Group) -> String {
    GnutlsPriority::new()
        .version(TlsVersion::Tls13)
        .group(group.gnutls())
        .cipher(suite.gnutls())
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// clasp configs and a blocking driver over a TcpStream.

fn client_config(suite: Option<Suite>, group: Option<Group>) -> Arc<ClientConfig> {
    let mut b = client_builder();
    if let Some(s) = suite {
        b = b.with_cipher_suites(&[s.clasp()]);
    }
    if let Some(g) = group {
        b = b.with_groups(&[g.clasp()]);
    }
    Arc::new(b.build().expect("client config"))
}

fn server_config(
    kt: KeyType,
    suite: Option<Suite>,
    groups: Option<&[NamedGroup]>,
) -> Arc<ServerConfig> {
    let mut b = server_builder(kt);
    if let Some(s) = suite {
        b = b.with_cipher_suites(&[s.clasp()]);
    }
    if let Some(g) = groups {
        b = b.with_groups(g);
    }
    Arc::new(b.build().expect("server config"))
}

fn assert_negotiated(n: &Negotiated, suite: Suite, group: Group) {
    assert_eq!(n.version, Some(ProtocolVersion::TLSv1_3), "{n:?}");
    assert_eq!(n.cipher_suite, Some(suite.clasp()), "{n:?}");
    assert_eq!(n.group, Some(group.clasp()), "{n:?}");
}

// ---------------------------------------------------------------------------------------------
// clasp client -> openssl s_server -rev (echoes each line reversed).

/// A line and its reversal as `s_server -rev` sends it back.
const LINE: &[u8] = b"hello from clasp 0123456789\n";
const LINE_REV: &[u8] = b"9876543210 psalc morf olleh\n";

/// Returns what clasp negotiated (`None` when the peer is missing and skipping is allowed).
fn client_to_openssl(
    kt: KeyType,
    suite: Suite,
    group: Group,
    pin_client: bool,
) -> Option<Negotiated> {
    if !clasp_testkit::require_peer("openssl") {
        return None;
    }
    let pki = TestPki::shared();
    let server = OpensslServer::start(
        &OpensslServerOpts::new(pki.server(kt))
            .tls13()
            .groups(group.openssl())
            .ciphersuites(suite.iana())
            .rev()
            .naccept(1),
    );
    let cfg = if pin_client {
        client_config(Some(suite), Some(group))
    } else {
        client_config(None, None)
    };
    let mut conn = ClientConnection::new(cfg, localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with s_server failed: {e:?}\n{}",
            server.finish(T)
        );
    }
    send(&mut conn, &mut sock, LINE);
    let got = read_until(&mut conn, &mut sock, b"\n");
    assert_eq!(got, LINE_REV);
    close(&mut conn, &mut sock);
    drop(sock);
    let out = server.finish(T);
    // -rev always prints a brief summary on stderr.
    out.assert_contains(&format!("Ciphersuite: {}", suite.iana()));
    assert_eq!(out.version(), Some(TlsVersion::Tls13), "{out}");
    assert!(!out.contains("CONNECTION FAILURE"), "{out}");
    let n = conn.negotiated().clone();
    assert_negotiated(&n, suite, group);
    assert_eq!(n.peer_certificates[0].as_ref(), pki.server(kt).cert_der());
    Some(n)
}

#[test]
fn client_openssl_aes128_x25519_ecdsa_p256() {
    client_to_openssl(KeyType::EcdsaP256, Suite::Aes128, Group::X25519, true);
}

#[test]
fn client_openssl_aes256_p256_ed25519() {
    client_to_openssl(KeyType::Ed25519, Suite::Aes256, Group::P256, true);
}

#[test]
fn client_openssl_chacha_p384_rsa() {
    client_to_openssl(KeyType::Rsa2048, Suite::Chacha, Group::P384, true);
}

#[test]
fn client_openssl_aes256_x25519_ecdsa_p384() {
    client_to_openssl(KeyType::EcdsaP384, Suite::Aes256, Group::X25519, true);
}

/// clasp's default config offers key shares for X25519MLKEM768 and X25519 only, so a server
/// restricted to P-384 must send a HelloRetryRequest (RFC 8446 §4.1.4).
#[test]
fn client_openssl_default_config_retry_for_p384() {
    let Some(n) = client_to_openssl(KeyType::EcdsaP256, Suite::Chacha, Group::P384, false) else {
        return;
    };
    assert!(n.hello_retry, "expected a HelloRetryRequest: {n:?}");
}

/// Same default config, server picking X25519 from the first flight: no retry.
#[test]
fn client_openssl_default_config_no_retry_for_x25519() {
    let Some(n) = client_to_openssl(KeyType::Rsa2048, Suite::Aes128, Group::X25519, false) else {
        return;
    };
    assert!(!n.hello_retry, "unexpected HelloRetryRequest: {n:?}");
}

// ---------------------------------------------------------------------------------------------
// clasp client -> gnutls-serv --echo.

fn client_to_gnutls(kt: KeyType, suite: Suite, group: Group) {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let server = GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(kt)).priority(gnutls_priority(suite, group)),
    );
    let mut conn =
        ClientConnection::new(client_config(Some(suite), Some(group)), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    // Two lines in one write and a large one: gnutls-serv echoes what it receives.
    let big: Vec<u8> = (0..20_000u32)
        .map(|i| b'a' + u8::try_from(i % 26).unwrap())
        .chain([b'\n'])
        .collect();
    let mut payload = b"line one\nline two\n".to_vec();
    payload.extend_from_slice(&big);
    send(&mut conn, &mut sock, &payload);
    let mut got = Vec::new();
    while got.len() < payload.len() {
        let more = read_until(&mut conn, &mut sock, b"\n");
        got.extend_from_slice(&more);
    }
    assert_eq!(got, payload);
    close(&mut conn, &mut sock);
    drop(sock);
    // gnutls-serv reports the connection on stdout; give it a moment to print it.
    server.wait_for("- Description:", Duration::from_secs(2));
    let out = server.finish();
    out.assert_contains("- Version: TLS1.3");
    out.assert_contains(&format!("(ECDHE-{})", group.gnutls()));
    out.assert_contains(&format!("({})", suite.gnutls()));
    assert_negotiated(conn.negotiated(), suite, group);
}

#[test]
fn client_gnutls_chacha_x25519_ed25519() {
    client_to_gnutls(KeyType::Ed25519, Suite::Chacha, Group::X25519);
}

#[test]
fn client_gnutls_aes128_p256_rsa() {
    client_to_gnutls(KeyType::Rsa2048, Suite::Aes128, Group::P256);
}

#[test]
fn client_gnutls_aes256_p384_ecdsa_p256() {
    client_to_gnutls(KeyType::EcdsaP256, Suite::Aes256, Group::P384);
}

#[test]
fn client_gnutls_aes128_x25519_ecdsa_p384() {
    client_to_gnutls(KeyType::EcdsaP384, Suite::Aes128, Group::X25519);
}

// ---------------------------------------------------------------------------------------------
// openssl s_client / gnutls-cli -> clasp server. The server answers each chunk of plaintext
// with its ASCII upper-case form, so the client's stdout proves data went both ways.

const PING: &str = "ping from the peer\n";
const PONG: &str = "PING FROM THE PEER";

fn openssl_to_server(kt: KeyType, suite: Suite, group: Group) {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(server_config(kt, Some(suite), None));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .groups(group.openssl())
            .ciphersuites(suite.iana())
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
    assert!(report.peer_closed, "s_client did not send close_notify");
    assert_eq!(out.version(), Some(TlsVersion::Tls13), "{out}");
    assert_eq!(out.cipher().as_deref(), Some(suite.iana()), "{out}");
    out.assert_contains(group.openssl_temp_key());
    out.assert_contains("Verify return code: 0 (ok)");
    assert_negotiated(&report.negotiated, suite, group);
    assert!(!report.negotiated.hello_retry);
    assert_eq!(report.negotiated.server_name.as_deref(), Some("localhost"));
}

#[test]
fn server_openssl_aes128_p384_ecdsa_p256() {
    openssl_to_server(KeyType::EcdsaP256, Suite::Aes128, Group::P384);
}

#[test]
fn server_openssl_chacha_p256_ecdsa_p384() {
    openssl_to_server(KeyType::EcdsaP384, Suite::Chacha, Group::P256);
}

#[test]
fn server_openssl_aes256_x25519_ed25519() {
    openssl_to_server(KeyType::Ed25519, Suite::Aes256, Group::X25519);
}

#[test]
fn server_openssl_aes128_x25519_rsa() {
    openssl_to_server(KeyType::Rsa2048, Suite::Aes128, Group::X25519);
}

/// The clasp server accepts only secp384r1; s_client offers X25519 and P-384 but sends a key
/// share for X25519 alone, so the server must ask again (RFC 8446 §4.1.4).
#[test]
fn server_openssl_hello_retry_request() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(server_config(
        KeyType::EcdsaP256,
        None,
        Some(&[NamedGroup::secp384r1]),
    ));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .groups("X25519:P-384")
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
    assert!(report.negotiated.hello_retry, "{:?}", report.negotiated);
    assert_eq!(report.negotiated.group, Some(NamedGroup::secp384r1));
    out.assert_contains(Group::P384.openssl_temp_key());
}

fn gnutls_to_server(kt: KeyType, suite: Suite, group: Group) {
    require_peers!("gnutls-cli");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(server_config(kt, Some(suite), None));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, pki.ca_path())
            .priority(gnutls_priority(suite, group))
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
    // gnutls-cli prints no "- Version:" line; its description starts with the version.
    out.assert_contains("- Description: (TLS1.3-X.509)");
    out.assert_contains(&format!("(ECDHE-{})", group.gnutls()));
    out.assert_contains(&format!("({})", suite.gnutls()));
    assert_negotiated(&report.negotiated, suite, group);
}

#[test]
fn server_gnutls_aes256_x25519_ecdsa_p256() {
    gnutls_to_server(KeyType::EcdsaP256, Suite::Aes256, Group::X25519);
}

#[test]
fn server_gnutls_chacha_p256_rsa() {
    gnutls_to_server(KeyType::Rsa2048, Suite::Chacha, Group::P256);
}

#[test]
fn server_gnutls_aes128_p384_ed25519() {
    gnutls_to_server(KeyType::Ed25519, Suite::Aes128, Group::P384);
}

#[test]
fn server_gnutls_chacha_x25519_ecdsa_p384() {
    gnutls_to_server(KeyType::EcdsaP384, Suite::Chacha, Group::X25519);
}

// ---------------------------------------------------------------------------------------------
// clasp <-> rustls 0.23 (aws-lc-rs provider), in memory.

/// One end of an in-memory connection: clasp or rustls.
trait End {
    fn tls_out(&mut self) -> Vec<u8>;
    fn tls_in(&mut self, data: &[u8]);
    fn handshaking(&self) -> bool;
    fn send_plain(&mut self, data: &[u8]);
    fn recv_plain(&mut self) -> Vec<u8>;
}

impl<T: std::ops::DerefMut<Target = ConnectionCommon>> End for T {
    fn tls_out(&mut self) -> Vec<u8> {
        let mut v = Vec::new();
        while self.wants_write() {
            self.write_tls(&mut v).unwrap();
        }
        v
    }
    fn tls_in(&mut self, mut data: &[u8]) {
        // This harness delivers whole batches before reading (the test sends 70 KB at once);
        // the 16 KiB default cap on unread plaintext is tested in bounds.rs.
        self.set_plaintext_limit(usize::MAX);
        while !data.is_empty() {
            self.read_tls(&mut data).unwrap();
            self.process_new_packets()
                .expect("clasp rejected rustls' bytes");
        }
    }
    fn handshaking(&self) -> bool {
        self.is_handshaking()
    }
    fn send_plain(&mut self, data: &[u8]) {
        self.writer().write_all(data).unwrap();
    }
    fn recv_plain(&mut self) -> Vec<u8> {
        let mut v = Vec::new();
        drain_plaintext(self, &mut v);
        v
    }
}

/// A rustls connection and the plaintext it has received so far (rustls refuses to buffer more
/// than 16 KiB of unread plaintext, so it is drained after every record batch).
struct Rustls(rustls::Connection, Vec<u8>);

impl End for Rustls {
    fn tls_out(&mut self) -> Vec<u8> {
        let mut v = Vec::new();
        while self.0.wants_write() {
            self.0.write_tls(&mut v).unwrap();
        }
        v
    }
    fn tls_in(&mut self, mut data: &[u8]) {
        let mut buf = [0u8; 4096];
        while !data.is_empty() {
            self.0.read_tls(&mut data).unwrap();
            self.0
                .process_new_packets()
                .expect("rustls rejected clasp's bytes");
            loop {
                match self.0.reader().read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => self.1.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("rustls read: {e}"),
                }
            }
        }
    }
    fn handshaking(&self) -> bool {
        self.0.is_handshaking()
    }
    fn send_plain(&mut self, data: &[u8]) {
        // rustls caps buffered outgoing data at 64 KiB by default; the test sends more.
        self.0.set_buffer_limit(None);
        self.0.writer().write_all(data).unwrap();
    }
    fn recv_plain(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.1)
    }
}

fn pump(a: &mut dyn End, b: &mut dyn End) {
    for _ in 0..50 {
        let ab = a.tls_out();
        if !ab.is_empty() {
            b.tls_in(&ab);
        }
        let ba = b.tls_out();
        if !ba.is_empty() {
            a.tls_in(&ba);
        }
        if ab.is_empty() && ba.is_empty() {
            return;
        }
    }
    panic!("connection did not settle");
}

fn exchange(client: &mut dyn End, server: &mut dyn End) {
    pump(client, server);
    assert!(!client.handshaking() && !server.handshaking());
    client.send_plain(b"from the client");
    pump(client, server);
    assert_eq!(server.recv_plain(), b"from the client");
    let big = vec![0xa5; 70_000];
    server.send_plain(&big);
    pump(client, server);
    assert_eq!(client.recv_plain(), big);
}

fn rustls_provider(
    suite: rustls::SupportedCipherSuite,
    group: &'static dyn rustls::crypto::SupportedKxGroup,
) -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    p.cipher_suites = vec![suite];
    p.kx_groups = vec![group];
    Arc::new(p)
}

fn rustls_client(
    suite: rustls::SupportedCipherSuite,
    group: &'static dyn rustls::crypto::SupportedKxGroup,
) -> Rustls {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(TestPki::shared().ca_cert()).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(rustls_provider(suite, group))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Rustls(
        rustls::ClientConnection::new(Arc::new(cfg), localhost())
            .unwrap()
            .into(),
        Vec::new(),
    )
}

fn rustls_server(
    kt: KeyType,
    suite: rustls::SupportedCipherSuite,
    group: &'static dyn rustls::crypto::SupportedKxGroup,
) -> Rustls {
    let id = TestPki::shared().server(kt);
    let cfg = rustls::ServerConfig::builder_with_provider(rustls_provider(suite, group))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(id.cert_chain(), id.private_key())
        .unwrap();
    Rustls(
        rustls::ServerConnection::new(Arc::new(cfg)).unwrap().into(),
        Vec::new(),
    )
}

fn rustls_group(r: &Rustls) -> Option<rustls::NamedGroup> {
    r.0.negotiated_key_exchange_group()
        .map(rustls::crypto::SupportedKxGroup::name)
}

#[test]
fn rustls_client_to_clasp_server_chacha_p256_ed25519() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let mut client = rustls_client(
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        kx_group::SECP256R1,
    );
    let mut server = ServerConnection::new(server_config(KeyType::Ed25519, None, None)).unwrap();
    exchange(&mut client, &mut server);
    assert_negotiated(server.negotiated(), Suite::Chacha, Group::P256);
    assert_eq!(rustls_group(&client), Some(rustls::NamedGroup::secp256r1));
    assert_eq!(
        client.0.negotiated_cipher_suite().map(|s| s.suite()),
        Some(rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
    );
}

#[test]
fn clasp_client_to_rustls_server_aes256_x25519_rsa() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let mut server = rustls_server(
        KeyType::Rsa2048,
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        kx_group::X25519,
    );
    let mut client = ClientConnection::new(client_config(None, None), localhost()).unwrap();
    exchange(&mut client, &mut server);
    assert_negotiated(client.negotiated(), Suite::Aes256, Group::X25519);
    assert_eq!(rustls_group(&server), Some(rustls::NamedGroup::X25519));
}

/// X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem): only rustls among our peers implements it.
#[test]
fn rustls_client_to_clasp_server_x25519mlkem768() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let mut client = rustls_client(
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        kx_group::X25519MLKEM768,
    );
    let mut server = ServerConnection::new(server_config(KeyType::EcdsaP256, None, None)).unwrap();
    exchange(&mut client, &mut server);
    assert_eq!(
        server.negotiated_key_exchange_group(),
        Some(NamedGroup::X25519MLKEM768)
    );
    assert!(!server.negotiated().hello_retry);
    assert_eq!(
        rustls_group(&client),
        Some(rustls::NamedGroup::X25519MLKEM768)
    );
}

#[test]
fn clasp_client_to_rustls_server_x25519mlkem768() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let mut server = rustls_server(
        KeyType::EcdsaP384,
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        kx_group::X25519MLKEM768,
    );
    // Default config: X25519MLKEM768 is clasp's first key share.
    let mut client = ClientConnection::new(client_config(None, None), localhost()).unwrap();
    exchange(&mut client, &mut server);
    assert_eq!(
        client.negotiated_key_exchange_group(),
        Some(NamedGroup::X25519MLKEM768)
    );
    assert!(!client.negotiated().hello_retry);
    assert_eq!(
        client.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_CHACHA20_POLY1305_SHA256)
    );
    assert_eq!(
        rustls_group(&server),
        Some(rustls::NamedGroup::X25519MLKEM768)
    );
}

/// SecP256r1MLKEM768 (0x11EB, draft-ietf-tls-ecdhe-mlkem; ECDHE half first): rustls 0.23's
/// aws-lc-rs provider has it (`kx_group::SECP256R1MLKEM768`). A default clasp server accepts it
/// without a HelloRetryRequest. SecP384r1MLKEM1024 has no peer here (rustls 0.23.46 lacks it;
/// OpenSSL 3.0 and GnuTLS 3.7 have no ML-KEM): it is covered clasp ↔ clasp in memory
/// (`common_pair.rs`) and by the layout tests in `crypto/aws_lc/kx.rs`.
#[test]
fn rustls_client_to_clasp_server_secp256r1mlkem768() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let mut client = rustls_client(
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        kx_group::SECP256R1MLKEM768,
    );
    let mut server = ServerConnection::new(server_config(KeyType::EcdsaP256, None, None)).unwrap();
    exchange(&mut client, &mut server);
    assert_eq!(
        server.negotiated_key_exchange_group(),
        Some(NamedGroup::secp256r1MLKEM768)
    );
    assert!(!server.negotiated().hello_retry);
    assert_eq!(
        rustls_group(&client),
        Some(rustls::NamedGroup::secp256r1MLKEM768)
    );
}

#[test]
fn clasp_client_to_rustls_server_secp256r1mlkem768() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let mut server = rustls_server(
        KeyType::EcdsaP384,
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        kx_group::SECP256R1MLKEM768,
    );
    // Not a default group of the client: enabled, with its key share, explicitly.
    let cfg = client_builder()
        .with_groups(&[NamedGroup::secp256r1MLKEM768, NamedGroup::X25519])
        .with_key_shares(&[NamedGroup::secp256r1MLKEM768])
        .build()
        .unwrap();
    let mut client = ClientConnection::new(Arc::new(cfg), localhost()).unwrap();
    exchange(&mut client, &mut server);
    assert_eq!(
        client.negotiated_key_exchange_group(),
        Some(NamedGroup::secp256r1MLKEM768)
    );
    assert!(!client.negotiated().hello_retry);
    assert_eq!(
        rustls_group(&server),
        Some(rustls::NamedGroup::secp256r1MLKEM768)
    );
}

/// ALPN (RFC 7301): s_client offers "foo" and "h2"; the clasp server, which speaks h2 and
/// http/1.1, must pick h2 and both ends must report it.
#[test]
fn server_openssl_alpn_h2() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let id = pki.server(KeyType::EcdsaP256);
    let cfg = ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .build()
        .unwrap();
    let (port, server) = spawn_upper_server(Arc::new(cfg));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-alpn", "foo,h2"])
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
    assert_eq!(report.negotiated.alpn_protocol.as_deref(), Some(&b"h2"[..]));
    out.assert_contains("ALPN protocol: h2");
}
