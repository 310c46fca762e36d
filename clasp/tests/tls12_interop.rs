//! TLS 1.2 (RFC 5246) interop of clasp against real peers over loopback: `openssl s_server`/
//! `s_client` (OpenSSL 3.0) and `gnutls-serv`/`gnutls-cli` (GnuTLS 3.7), both directions.
//!
//! Every TLS 1.2 suite clasp implements (ECDHE-ECDSA and ECDHE-RSA with AES-128/256-GCM and
//! ChaCha20-Poly1305, DHE-RSA with the RFC 7919 ffdhe2048 group, and RSA key transport with
//! AES-128/256-GCM) runs once per peer and direction; the ECDHE cases spread X25519, P-256 and
//! P-384 so each group is used twice per peer and direction; certificates are ECDSA P-256 for
//! ECDSA suites and RSA-2048 for RSA suites. Each case sends data both ways (the peer echoes or
//! transforms it) and checks the version, suite and group on the clasp side and in the peer's
//! report.
//!
//! Also here: RSA key exchange refused by default (handshake_failure, `NoCommonCipherSuite`),
//! a TLS 1.3-capable clasp client against 1.2-only servers (RFC 8446 §4.1.3 downgrade
//! sentinel must not fire falsely), and client certificates in TLS 1.2 over DHE and RSA key
//! exchange (`mutual_auth.rs` covers the ECDHE cases and the failure alerts).

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use clasp::config::{ClientAuth, ClientConfigBuilder, ServerConfigBuilder};
use clasp::conn::Negotiated;
use clasp::error::{PeerIncompatible, PeerMisbehaved};
use clasp::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use clasp::{ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig};
use clasp_testkit::{
    openssl_cipher_name, require_peers, ClientAuth as PeerClientAuth, GnutlsClient,
    GnutlsClientOpts, GnutlsPriority, GnutlsServer, GnutlsServerOpts, KeyType, OpensslClient,
    OpensslClientOpts, OpensslServer, OpensslServerOpts, PeerOutput, TestPki, TlsVersion,
};

mod common;
use common::{
    close, connect, drain_plaintext, handshake, localhost, read_once, roots, send,
    spawn_upper_server, ServerReport,
};

const T: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// The matrix: one case per TLS 1.2 suite.

/// Key exchange group of a case (`None` in [`Case::group`] means RSA key transport).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    X25519,
    P256,
    P384,
    Ffdhe2048,
}

impl Group {
    fn clasp(self) -> NamedGroup {
        match self {
            Group::X25519 => NamedGroup::X25519,
            Group::P256 => NamedGroup::secp256r1,
            Group::P384 => NamedGroup::secp384r1,
            Group::Ffdhe2048 => NamedGroup::FFDHE2048,
        }
    }
    fn openssl(self) -> &'static str {
        match self {
            Group::X25519 => "X25519",
            Group::P256 => "P-256",
            Group::P384 => "P-384",
            Group::Ffdhe2048 => "ffdhe2048",
        }
    }
    /// How `s_client` prints the server's share ("Server Temp Key: ...").
    fn openssl_temp_key(self) -> &'static str {
        match self {
            Group::X25519 => "Server Temp Key: X25519",
            Group::P256 => "Server Temp Key: ECDH, prime256v1",
            Group::P384 => "Server Temp Key: ECDH, secp384r1",
            Group::Ffdhe2048 => "Server Temp Key: DH, 2048 bits",
        }
    }
    fn gnutls(self) -> &'static str {
        match self {
            Group::X25519 => "X25519",
            Group::P256 => "SECP256R1",
            Group::P384 => "SECP384R1",
            Group::Ffdhe2048 => "FFDHE2048",
        }
    }
    /// The key-exchange part of gnutls' "- Description:" line.
    fn gnutls_description(self) -> String {
        match self {
            Group::Ffdhe2048 => "(DHE-FFDHE2048)".to_owned(),
            g => format!("(ECDHE-{})", g.gnutls()),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Case {
    kt: KeyType,
    suite: CipherSuite,
    /// `None`: RSA key transport.
    group: Option<Group>,
}

impl Case {
    fn iana(self) -> String {
        format!("{:?}", self.suite)
    }
    fn openssl_cipher(self) -> &'static str {
        let iana = self.iana();
        openssl_cipher_name(&iana).unwrap_or_else(|| panic!("no OpenSSL name for {iana}"))
    }
    fn is_dhe(self) -> bool {
        self.group == Some(Group::Ffdhe2048)
    }
    fn is_rsa_kx(self) -> bool {
        self.group.is_none()
    }
    /// Groups the client offers: the case's group, plus P-256 when the certificate is ECDSA
    /// P-256 and the group is another one. In TLS 1.2 the client's supported_groups also
    /// names the curves it accepts in the server's ECDSA certificate (RFC 4492 §5.1, kept by
    /// RFC 8422 §5.1.1), and OpenSSL enforces it: a client offering only X25519 gets
    /// handshake_failure from an s_server with a P-256 certificate (found by this test).
    /// The case's group stays first, so a server following the client's order picks it.
    fn client_groups(self) -> Vec<Group> {
        match self.group {
            None => Vec::new(),
            Some(g) if self.kt == KeyType::EcdsaP256 && g != Group::P256 => vec![g, Group::P256],
            Some(g) => vec![g],
        }
    }
    fn gnutls_priority(self) -> String {
        let mut p = GnutlsPriority::new()
            .version(TlsVersion::Tls12)
            .suite(&self.iana());
        if let Some(g) = self.group {
            p = p.group(g.gnutls());
        }
        p.to_string()
    }
}

const fn case(kt: KeyType, suite: CipherSuite, group: Option<Group>) -> Case {
    Case { kt, suite, group }
}

const ECDHE_ECDSA_AES128: Case = case(
    KeyType::EcdsaP256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    Some(Group::X25519),
);
const ECDHE_ECDSA_AES256: Case = case(
    KeyType::EcdsaP256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    Some(Group::P384),
);
const ECDHE_ECDSA_CHACHA: Case = case(
    KeyType::EcdsaP256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    Some(Group::P256),
);
const ECDHE_RSA_AES128: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    Some(Group::P256),
);
const ECDHE_RSA_AES256: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    Some(Group::X25519),
);
const ECDHE_RSA_CHACHA: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    Some(Group::P384),
);
const DHE_RSA_AES128: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    Some(Group::Ffdhe2048),
);
const DHE_RSA_AES256: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    Some(Group::Ffdhe2048),
);
const DHE_RSA_CHACHA: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    Some(Group::Ffdhe2048),
);
const RSA_AES128: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    None,
);
const RSA_AES256: Case = case(
    KeyType::Rsa2048,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    None,
);

/// Every TLS 1.2 suite in `clasp::suites` must have a case above.
#[test]
fn matrix_covers_every_tls12_suite() {
    let cases = [
        ECDHE_ECDSA_AES128,
        ECDHE_ECDSA_AES256,
        ECDHE_ECDSA_CHACHA,
        ECDHE_RSA_AES128,
        ECDHE_RSA_AES256,
        ECDHE_RSA_CHACHA,
        DHE_RSA_AES128,
        DHE_RSA_AES256,
        DHE_RSA_CHACHA,
        RSA_AES128,
        RSA_AES256,
    ];
    for s in clasp::suites::ALL_SUITES {
        if s.version == ProtocolVersion::TLSv1_2 {
            assert!(
                cases.iter().any(|c| c.suite == s.suite),
                "no interop case for {:?}",
                s.suite
            );
        }
    }
    for g in [Group::X25519, Group::P256, Group::P384] {
        assert!(cases.iter().any(|c| c.group == Some(g)));
    }
}

// ---------------------------------------------------------------------------------------------
// clasp configs and a blocking driver over a TcpStream (as in tls13_interop.rs).

/// A TLS 1.2-only clasp client for `c` (RSA key exchange enabled for RSA cases).
fn client_config(c: Case) -> Arc<ClientConfig> {
    Arc::new(client_builder(c).build().expect("client config"))
}

fn client_builder(c: Case) -> ClientConfigBuilder {
    let mut b = common::client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[c.suite])
        .allow_rsa_key_exchange(c.is_rsa_kx());
    if c.group.is_some() {
        let groups: Vec<NamedGroup> = c.client_groups().into_iter().map(Group::clasp).collect();
        b = b.with_groups(&groups);
    }
    b
}

/// A clasp server for `c`: TLS 1.2 only, just this suite and group, DHE / RSA kx enabled as
/// needed.
fn server_config(c: Case) -> Arc<ServerConfig> {
    Arc::new(server_builder(c).build().expect("server config"))
}

fn server_builder(c: Case) -> ServerConfigBuilder {
    let mut b = common::server_builder(c.kt)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[c.suite])
        .allow_dhe(c.is_dhe())
        .allow_rsa_key_exchange(c.is_rsa_kx());
    if let Some(g) = c.group {
        b = b.with_groups(&[g.clasp()]);
    }
    b
}

/// Reads plaintext until at least `len` bytes arrived and they end with `suffix`.
fn read_until(
    conn: &mut ConnectionCommon,
    sock: &mut TcpStream,
    len: usize,
    suffix: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        drain_plaintext(conn, &mut out);
        if out.len() >= len && out.ends_with(suffix) {
            return out;
        }
        let n = read_once(conn, sock).expect("TLS error while reading data");
        assert!(n > 0, "peer closed before sending {suffix:?}; got {out:?}");
    }
}

fn assert_negotiated(n: &Negotiated, c: Case) {
    assert_eq!(n.version, Some(ProtocolVersion::TLSv1_2), "{n:?}");
    assert_eq!(n.cipher_suite, Some(c.suite), "{n:?}");
    assert_eq!(n.group, c.group.map(Group::clasp), "{n:?}");
}

/// The RFC 7919 ffdhe2048 parameters as PEM, written once by OpenSSL itself
/// (`openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`), for `s_server -dhparam`.
fn ffdhe2048_pem() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let path = std::env::temp_dir().join(format!(
            "clasp-tls12-interop-ffdhe2048-{}.pem",
            std::process::id()
        ));
        let out = std::process::Command::new("openssl")
            .args(["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt"])
            .arg("group:ffdhe2048")
            .arg("-out")
            .arg(&path)
            .output()
            .expect("run openssl genpkey");
        assert!(out.status.success(), "openssl genpkey: {out:?}");
        path
    })
    .clone()
}

// ---------------------------------------------------------------------------------------------
// clasp client -> openssl s_server -tls1_2 -rev (echoes each line reversed).

const LINE: &[u8] = b"hello from clasp 0123456789\n";
const LINE_REV: &[u8] = b"9876543210 psalc morf olleh\n";

fn openssl_server_opts(c: Case) -> OpensslServerOpts {
    let pki = TestPki::shared();
    let mut o = OpensslServerOpts::new(pki.server(c.kt))
        .tls12()
        .cipher(c.openssl_cipher())
        .rev()
        .naccept(1);
    match c.group {
        Some(Group::Ffdhe2048) => {
            o = o.args(&["-dhparam".to_owned(), ffdhe2048_pem().display().to_string()]);
        }
        Some(g) => o = o.groups(g.openssl()),
        None => {}
    }
    o
}

/// Runs clasp (`cfg`) against `s_server` and returns clasp's view and s_server's output.
fn clasp_vs_openssl_server(
    opts: &OpensslServerOpts,
    cfg: Arc<ClientConfig>,
) -> (Negotiated, PeerOutput) {
    let server = OpensslServer::start(opts);
    let mut conn = ClientConnection::new(cfg, localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with s_server failed: {e:?}\n{}",
            server.finish(T)
        );
    }
    send(&mut conn, &mut sock, LINE);
    let got = read_until(&mut conn, &mut sock, LINE.len(), b"\n");
    assert_eq!(got, LINE_REV);
    close(&mut conn, &mut sock);
    drop(sock);
    let out = server.finish(T);
    assert!(!out.contains("CONNECTION FAILURE"), "{out}");
    (conn.negotiated().clone(), out)
}

fn client_to_openssl(c: Case) {
    require_peers!("openssl");
    let (n, out) = clasp_vs_openssl_server(&openssl_server_opts(c), client_config(c));
    // -rev prints a brief summary on stderr: "Protocol version:" and "Ciphersuite:".
    assert_eq!(out.version(), Some(TlsVersion::Tls12), "{out}");
    assert_eq!(out.cipher().as_deref(), Some(c.openssl_cipher()), "{out}");
    assert_negotiated(&n, c);
    let pki = TestPki::shared();
    assert_eq!(n.peer_certificates[0].as_ref(), pki.server(c.kt).cert_der());
    if !c.is_rsa_kx() {
        assert!(n.signature_scheme.is_some(), "{n:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// clasp client -> gnutls-serv --echo.

fn client_to_gnutls(c: Case) {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let server =
        GnutlsServer::start(&GnutlsServerOpts::new(pki.server(c.kt)).priority(c.gnutls_priority()));
    let mut conn = ClientConnection::new(client_config(c), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    // Two lines and a large one spanning several records; gnutls-serv echoes them.
    let mut payload = b"line one\nline two\n".to_vec();
    payload.extend((0..20_000u32).map(|i| b'a' + u8::try_from(i % 26).unwrap()));
    payload.push(b'\n');
    send(&mut conn, &mut sock, &payload);
    let got = read_until(&mut conn, &mut sock, payload.len(), b"\n");
    assert_eq!(got, payload);
    close(&mut conn, &mut sock);
    drop(sock);
    server.wait_for("- Description:", Duration::from_secs(2));
    let out = server.finish();
    assert_gnutls_report(&out, c);
    assert_negotiated(conn.negotiated(), c);
}

/// gnutls prints e.g. "- Description: (TLS1.2-X.509)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-GCM)";
/// for RSA key transport the key-exchange part is "(RSA)".
fn assert_gnutls_report(out: &PeerOutput, c: Case) {
    out.assert_contains("- Description: (TLS1.2-X.509)");
    match c.group {
        Some(g) => {
            out.assert_contains(&g.gnutls_description());
        }
        None => {
            out.assert_contains("(TLS1.2-X.509)-(RSA)-");
        }
    }
    let (cipher, _) = clasp_testkit::gnutls_suite_tokens(&c.iana()).unwrap();
    out.assert_contains(&format!("({cipher})"));
}

// ---------------------------------------------------------------------------------------------
// openssl s_client / gnutls-cli -> clasp server, which answers each chunk of plaintext with its
// ASCII upper-case form.

const PING: &str = "ping from the peer\n";
const PONG: &str = "PING FROM THE PEER";

fn openssl_client_opts(c: Case, port: u16) -> OpensslClientOpts {
    let mut o = OpensslClientOpts::new(port, TestPki::shared().ca_path())
        .tls12()
        .cipher(c.openssl_cipher())
        .send(PING.as_bytes())
        .expect(PONG)
        .timeout(T);
    if c.group.is_some() {
        let groups: Vec<&str> = c.client_groups().into_iter().map(Group::openssl).collect();
        o = o.groups(&groups.join(":"));
    }
    o
}

fn server_report_ok(report: &ServerReport, out: &PeerOutput) {
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    out.assert_success();
    assert_eq!(report.received, PING.as_bytes());
}

fn openssl_to_server(c: Case) {
    require_peers!("openssl");
    let (port, server) = spawn_upper_server(server_config(c));
    let out = OpensslClient::run(&openssl_client_opts(c, port));
    let report = server.join().unwrap();
    server_report_ok(&report, &out);
    assert!(report.peer_closed, "s_client did not send close_notify");
    assert_eq!(out.version(), Some(TlsVersion::Tls12), "{out}");
    assert_eq!(out.cipher().as_deref(), Some(c.openssl_cipher()), "{out}");
    if let Some(g) = c.group {
        out.assert_contains(g.openssl_temp_key());
    } else {
        assert!(!out.contains("Server Temp Key"), "{out}");
    }
    out.assert_contains("Verify return code: 0 (ok)");
    assert_negotiated(&report.negotiated, c);
    assert_eq!(report.negotiated.server_name.as_deref(), Some("localhost"));
}

fn gnutls_to_server(c: Case) {
    require_peers!("gnutls-cli");
    let (port, server) = spawn_upper_server(server_config(c));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, TestPki::shared().ca_path())
            .priority(c.gnutls_priority())
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let report = server.join().unwrap();
    server_report_ok(&report, &out);
    assert_gnutls_report(&out, c);
    assert_negotiated(&report.negotiated, c);
}

// ---------------------------------------------------------------------------------------------
// The matrix as tests: one module per suite, four directions each.

macro_rules! matrix {
    ($($name:ident => $case:expr;)+) => {$(
        mod $name {
            use super::*;
            #[test]
            fn clasp_client_to_openssl() {
                client_to_openssl($case);
            }
            #[test]
            fn clasp_client_to_gnutls() {
                client_to_gnutls($case);
            }
            #[test]
            fn openssl_client_to_clasp() {
                openssl_to_server($case);
            }
            #[test]
            fn gnutls_client_to_clasp() {
                gnutls_to_server($case);
            }
        }
    )+};
}

matrix! {
    ecdhe_ecdsa_aes128_x25519 => ECDHE_ECDSA_AES128;
    ecdhe_ecdsa_aes256_p384 => ECDHE_ECDSA_AES256;
    ecdhe_ecdsa_chacha_p256 => ECDHE_ECDSA_CHACHA;
    ecdhe_rsa_aes128_p256 => ECDHE_RSA_AES128;
    ecdhe_rsa_aes256_x25519 => ECDHE_RSA_AES256;
    ecdhe_rsa_chacha_p384 => ECDHE_RSA_CHACHA;
    dhe_rsa_aes128_ffdhe2048 => DHE_RSA_AES128;
    dhe_rsa_aes256_ffdhe2048 => DHE_RSA_AES256;
    dhe_rsa_chacha_ffdhe2048 => DHE_RSA_CHACHA;
    rsa_kx_aes128 => RSA_AES128;
    rsa_kx_aes256 => RSA_AES256;
}

// ---------------------------------------------------------------------------------------------
// RSA key exchange: off by default (DESIGN.md "Security posture"), on when asked.

/// A clasp server with the default suites and an RSA-2048 certificate, TLS 1.2 only.
fn default_rsa_server(allow_rsa_kx: bool) -> Arc<ServerConfig> {
    Arc::new(
        common::server_builder(KeyType::Rsa2048)
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .allow_rsa_key_exchange(allow_rsa_kx)
            .build()
            .unwrap(),
    )
}

/// `s_client -tls1_2 -cipher AES128-GCM-SHA256` offers only RSA key transport: the server must
/// refuse with handshake_failure (RFC 5246 §7.4.1.3 "If no acceptable choices are presented,
/// return a handshake failure alert").
#[test]
fn rsa_kx_refused_by_default_openssl() {
    require_peers!("openssl");
    let (port, server) = spawn_upper_server(default_rsa_server(false));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, TestPki::shared().ca_path())
            .tls12()
            .cipher("AES128-GCM-SHA256")
            .send(PING.as_bytes())
            .timeout(T),
    );
    let report = server.join().unwrap();
    assert!(
        matches!(
            report.result,
            Err(Error::PeerIncompatible(
                PeerIncompatible::NoCommonCipherSuite
            ))
        ),
        "{:?}\n{out}",
        report.result.err()
    );
    out.assert_failure();
    out.assert_contains("alert handshake failure");
    out.assert_contains("SSL alert number 40");
    assert!(report.received.is_empty());
}

#[test]
fn rsa_kx_refused_by_default_gnutls() {
    require_peers!("gnutls-cli");
    let (port, server) = spawn_upper_server(default_rsa_server(false));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, TestPki::shared().ca_path())
            .priority(RSA_AES128.gnutls_priority())
            .send(PING.as_bytes())
            .timeout(T),
    );
    let report = server.join().unwrap();
    assert!(
        matches!(
            report.result,
            Err(Error::PeerIncompatible(
                PeerIncompatible::NoCommonCipherSuite
            ))
        ),
        "{:?}\n{out}",
        report.result.err()
    );
    out.assert_failure();
    out.assert_contains("Received alert [40]");
}

/// The same offer against the default suite list with RSA key exchange enabled: accepted.
#[test]
fn rsa_kx_accepted_when_enabled_openssl() {
    require_peers!("openssl");
    let (port, server) = spawn_upper_server(default_rsa_server(true));
    let out = OpensslClient::run(&openssl_client_opts(RSA_AES128, port));
    let report = server.join().unwrap();
    server_report_ok(&report, &out);
    assert_eq!(out.cipher().as_deref(), Some("AES128-GCM-SHA256"), "{out}");
    assert_negotiated(&report.negotiated, RSA_AES128);
}

// ---------------------------------------------------------------------------------------------
// A TLS 1.3-capable clasp client against TLS 1.2-only servers. RFC 8446 §4.1.3: a TLS 1.3
// server negotiating 1.2 writes DOWNGRD\x01 into its random, and a 1.3 client receiving it
// aborts. A server with 1.3 *disabled* is not "TLS 1.3 capable" for this connection and must
// not write it; if one did, clasp would reject every 1.2-only server of that kind.

fn tls13_client_to_openssl_tls12(version_flag: &str) {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let mut opts = OpensslServerOpts::new(pki.server(KeyType::EcdsaP256))
        .rev()
        .naccept(1)
        .args(&[version_flag]);
    opts.version = None;
    let (n, out) = clasp_vs_openssl_server(&opts, common::client_config());
    assert_eq!(n.version, Some(ProtocolVersion::TLSv1_2), "{n:?}\n{out}");
    assert_eq!(out.version(), Some(TlsVersion::Tls12), "{out}");
    // clasp's default preference: X25519 and ECDHE-ECDSA AES-128-GCM first.
    assert_eq!(n.group, Some(NamedGroup::X25519), "{n:?}");
}

/// `s_server -tls1_2` (min = max = 1.2).
#[test]
fn tls13_client_to_openssl_tls1_2_only() {
    tls13_client_to_openssl_tls12("-tls1_2");
}

/// `s_server -no_tls1_3` (max 1.2).
#[test]
fn tls13_client_to_openssl_no_tls1_3() {
    tls13_client_to_openssl_tls12("-no_tls1_3");
}

#[test]
fn tls13_client_to_gnutls_tls12_only() {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let server = GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(KeyType::Rsa2048)).version(TlsVersion::Tls12),
    );
    let mut conn = ClientConnection::new(common::client_config(), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    send(&mut conn, &mut sock, LINE);
    assert_eq!(read_until(&mut conn, &mut sock, LINE.len(), b"\n"), LINE);
    close(&mut conn, &mut sock);
    drop(sock);
    server.wait_for("- Description:", Duration::from_secs(2));
    let out = server.finish();
    out.assert_contains("- Description: (TLS1.2-X.509)");
    assert_eq!(conn.negotiated().version, Some(ProtocolVersion::TLSv1_2));
}

// ---------------------------------------------------------------------------------------------
// DHE against s_server without -dhparam: OpenSSL 3.0 then uses its built-in "default temp DH
// parameters" (SSL_CTX_set_dh_auto; RFC 3526 MODP primes sized to the certificate key in
// OpenSSL's ssl_get_auto_dh: group 14, 2048 bits, for the RSA-2048 test key), which are not
// RFC 7919 groups. clasp recognises the RFC 3526 primes of 2048 bits and up by exact match
// (issue 12 item 2) and refuses any other prime with the reason (DhGroupTooSmall /
// UnknownDhGroup, insufficient_security, RFC 7919 §3).

#[test]
fn dhe_client_accepts_openssl_auto_params() {
    require_peers!("openssl");
    let mut opts = openssl_server_opts(DHE_RSA_AES256);
    opts.extra_args.clear();
    let (n, out) = clasp_vs_openssl_server(&opts, client_config(DHE_RSA_AES256));
    out.assert_contains("Using default temp DH parameters");
    assert_eq!(
        out.cipher().as_deref(),
        Some("DHE-RSA-AES256-GCM-SHA384"),
        "{out}"
    );
    assert_eq!(n.version, Some(ProtocolVersion::TLSv1_2));
    assert_eq!(
        n.cipher_suite,
        Some(CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384)
    );
    // RFC 3526 groups have no TLS code point.
    assert_eq!(n.group, None, "{n:?}");
}

/// DH parameters as PEM, written by OpenSSL itself (`openssl genpkey -genparam -algorithm DH
/// -pkeyopt ARG`), e.g. `group:modp_3072` or `dh_rfc5114:2`.
fn dh_params_pem(arg: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "clasp-tls12-interop-{}-{}.pem",
        arg.replace(':', "-"),
        std::process::id()
    ));
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            arg,
            "-out",
        ])
        .arg(&path)
        .output()
        .expect("run openssl genpkey");
    assert!(out.status.success(), "openssl genpkey {arg}: {out:?}");
    path
}

/// s_server for DHE-RSA-AES128 with explicit `-dhparam` parameters.
fn openssl_dhe_server_with(params: &str) -> OpensslServerOpts {
    let mut opts = openssl_server_opts(DHE_RSA_AES128);
    opts.extra_args.clear();
    opts.args(&[
        "-dhparam".to_owned(),
        dh_params_pem(params).display().to_string(),
    ])
}

#[test]
fn dhe_client_accepts_every_rfc3526_group_from_openssl() {
    require_peers!("openssl");
    for group in [
        "modp_2048",
        "modp_3072",
        "modp_4096",
        "modp_6144",
        "modp_8192",
    ] {
        let opts = openssl_dhe_server_with(&format!("group:{group}"));
        let (n, out) = clasp_vs_openssl_server(&opts, client_config(DHE_RSA_AES128));
        assert_eq!(
            out.cipher().as_deref(),
            Some("DHE-RSA-AES128-GCM-SHA256"),
            "{out}"
        );
        assert_eq!(n.group, None, "{group}: {n:?}");
    }
}

#[test]
fn rfc3526_primes_equal_openssl_at_run_time() {
    // An independent check of the transcribed constants, against this machine's OpenSSL.
    require_peers!("openssl");
    use clasp::crypto::ffdhe::{
        dh_group_for_params, MODP2048_PARAMS, MODP3072_PARAMS, MODP4096_PARAMS, MODP6144_PARAMS,
        MODP8192_PARAMS,
    };
    for (name, params) in [
        ("modp_2048", &MODP2048_PARAMS),
        ("modp_3072", &MODP3072_PARAMS),
        ("modp_4096", &MODP4096_PARAMS),
        ("modp_6144", &MODP6144_PARAMS),
        ("modp_8192", &MODP8192_PARAMS),
    ] {
        let pem = dh_params_pem(&format!("group:{name}"));
        let out = std::process::Command::new("openssl")
            .args(["asn1parse", "-in"])
            .arg(&pem)
            .output()
            .expect("run openssl asn1parse");
        let text = String::from_utf8(out.stdout).unwrap();
        let ints: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split("INTEGER").nth(1))
            .map(|v| v.trim().trim_start_matches(':'))
            .collect();
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let (p, g) = (hex(ints[0]), hex(ints[1]));
        assert_eq!(g, [2], "{name}");
        assert_eq!(p, params.prime(), "{name}");
        assert!(std::ptr::eq(dh_group_for_params(&p, &g).unwrap(), params));
    }
}

/// Runs the DHE client against `opts` and returns its error and s_server's output.
fn dhe_client_error(opts: &OpensslServerOpts) -> (Error, PeerOutput) {
    let server = OpensslServer::start(opts);
    let mut conn = ClientConnection::new(client_config(DHE_RSA_AES128), localhost()).unwrap();
    let mut sock = connect(server.port());
    let err = handshake(&mut conn, &mut sock).expect_err("DH parameters were accepted");
    drop(sock);
    (err, server.finish(T))
}

#[test]
fn dhe_client_refuses_small_rfc3526_group_1536() {
    require_peers!("openssl");
    // OpenSSL's default security level 2 refuses to load a 1536-bit group; level 1 allows it.
    let opts =
        openssl_dhe_server_with("group:modp_1536").cipher("DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=1");
    let (err, out) = dhe_client_error(&opts);
    assert_eq!(
        err,
        Error::PeerIncompatible(PeerIncompatible::DhGroupTooSmall { prime_bits: 1536 }),
        "{out}"
    );
    out.assert_contains("alert insufficient security");
}

#[test]
fn dhe_client_refuses_unknown_2048_bit_group() {
    // RFC 5114 §2.2: a 2048-bit prime with a 224-bit subgroup; sound, but neither RFC 7919
    // nor RFC 3526, so we cannot check it cheaply.
    require_peers!("openssl");
    let (err, out) = dhe_client_error(&openssl_dhe_server_with("dh_rfc5114:2"));
    assert_eq!(
        err,
        Error::PeerIncompatible(PeerIncompatible::UnknownDhGroup { prime_bits: 2048 }),
        "{out}"
    );
    out.assert_contains("alert insufficient security");
}

#[test]
fn dhe_client_accepts_rfc3526_group_from_gnutls() {
    // gnutls-serv with `--dhparams` holding RFC 3526 group 14. gnutls implements RFC 7919: had
    // we offered an FFDHE group in supported_groups it would use that one (the matrix covers
    // it), so this client offers X25519 only and gnutls falls back to its --dhparams.
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let c = DHE_RSA_AES128;
    let pem = dh_params_pem("group:modp_2048");
    let server = GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(c.kt))
            .priority(
                GnutlsPriority::new()
                    .version(TlsVersion::Tls12)
                    .suite(&c.iana())
                    .to_string(),
            )
            .args(&["--dhparams".to_owned(), pem.display().to_string()]),
    );
    let cfg = client_builder(c)
        .with_groups(&[NamedGroup::X25519])
        .build()
        .unwrap();
    let mut conn = ClientConnection::new(Arc::new(cfg), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    send(&mut conn, &mut sock, LINE);
    assert_eq!(read_until(&mut conn, &mut sock, LINE.len(), b"\n"), LINE);
    close(&mut conn, &mut sock);
    drop(sock);
    server.wait_for("- Description:", Duration::from_secs(2));
    let out = server.finish();
    out.assert_contains("- Description: (TLS1.2-X.509)-(DHE-");
    assert_eq!(
        conn.negotiated().cipher_suite,
        Some(CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256)
    );
    assert_eq!(conn.negotiated().group, None);
}

// ---------------------------------------------------------------------------------------------
// Client certificates in TLS 1.2 over DHE and RSA key transport (mutual_auth.rs covers ECDHE).

fn client_cert_to_openssl(c: Case, client: KeyType) {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let opts = openssl_server_opts(c).client_auth(PeerClientAuth::Require);
    let cfg = client_builder(c)
        .with_client_auth_cert(
            pki.client(client).cert_chain(),
            pki.client(client).private_key(),
        )
        .build()
        .unwrap();
    let (n, out) = clasp_vs_openssl_server(&opts, Arc::new(cfg));
    assert_negotiated(&n, c);
    out.assert_contains("Peer certificate: CN = clasp test client");
    out.assert_contains("Verification: OK");
    assert_eq!(out.cipher().as_deref(), Some(c.openssl_cipher()), "{out}");
}

#[test]
fn client_cert_ecdsa_to_openssl_rsa_kx() {
    client_cert_to_openssl(RSA_AES256, KeyType::EcdsaP256);
}

#[test]
fn client_cert_rsa_to_openssl_dhe() {
    client_cert_to_openssl(DHE_RSA_CHACHA, KeyType::Rsa2048);
}

fn client_cert_to_gnutls(c: Case, client: KeyType) {
    require_peers!("gnutls-serv");
    let pki = TestPki::shared();
    let server = GnutlsServer::start(
        &GnutlsServerOpts::new(pki.server(c.kt))
            .priority(c.gnutls_priority())
            .client_auth(PeerClientAuth::Require),
    );
    let cfg = client_builder(c)
        .with_client_auth_cert(
            pki.client(client).cert_chain(),
            pki.client(client).private_key(),
        )
        .build()
        .unwrap();
    let mut conn = ClientConnection::new(Arc::new(cfg), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    send(&mut conn, &mut sock, LINE);
    assert_eq!(read_until(&mut conn, &mut sock, LINE.len(), b"\n"), LINE);
    close(&mut conn, &mut sock);
    drop(sock);
    server.wait_for("- Description:", Duration::from_secs(2));
    let out = server.finish();
    assert_gnutls_report(&out, c);
    out.assert_contains("clasp test client");
    assert_negotiated(conn.negotiated(), c);
}

#[test]
fn client_cert_rsa_to_gnutls_rsa_kx() {
    client_cert_to_gnutls(RSA_AES128, KeyType::Rsa2048);
}

#[test]
fn client_cert_ecdsa_to_gnutls_dhe() {
    client_cert_to_gnutls(DHE_RSA_AES128, KeyType::EcdsaP384);
}

fn required_client_auth_server(c: Case) -> Arc<ServerConfig> {
    Arc::new(
        server_builder(c)
            .with_client_auth(ClientAuth::Required(roots()))
            .build()
            .unwrap(),
    )
}

fn assert_client_cert(report: &ServerReport, client: KeyType) {
    let got = report.negotiated.peer_certificates.first();
    assert_eq!(
        got.map(AsRef::as_ref),
        Some(TestPki::shared().client(client).cert_der()),
        "clasp server did not record the client certificate"
    );
}

#[test]
fn openssl_client_cert_to_server_dhe() {
    require_peers!("openssl");
    let c = DHE_RSA_AES256;
    let (port, server) = spawn_upper_server(required_client_auth_server(c));
    let out = OpensslClient::run(
        &openssl_client_opts(c, port).client_cert(TestPki::shared().client(KeyType::EcdsaP256)),
    );
    let report = server.join().unwrap();
    server_report_ok(&report, &out);
    assert_negotiated(&report.negotiated, c);
    assert_client_cert(&report, KeyType::EcdsaP256);
}

#[test]
fn openssl_client_cert_to_server_rsa_kx() {
    require_peers!("openssl");
    let c = RSA_AES128;
    let (port, server) = spawn_upper_server(required_client_auth_server(c));
    let out = OpensslClient::run(
        &openssl_client_opts(c, port).client_cert(TestPki::shared().client(KeyType::Rsa2048)),
    );
    let report = server.join().unwrap();
    server_report_ok(&report, &out);
    assert_negotiated(&report.negotiated, c);
    assert_client_cert(&report, KeyType::Rsa2048);
}

#[test]
fn gnutls_client_cert_to_server_rsa_kx() {
    require_peers!("gnutls-cli");
    let c = RSA_AES256;
    let (port, server) = spawn_upper_server(required_client_auth_server(c));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, TestPki::shared().ca_path())
            .priority(c.gnutls_priority())
            .client_cert(TestPki::shared().client(KeyType::EcdsaP384))
            .send(PING.as_bytes())
            .expect(PONG)
            .timeout(T),
    );
    let report = server.join().unwrap();
    server_report_ok(&report, &out);
    assert_negotiated(&report.negotiated, c);
    assert_client_cert(&report, KeyType::EcdsaP384);
}

// ---------------------------------------------------------------------------------------------
// Extended master secret policy (RFC 7627), against a real client that does not send it:
// GnuTLS with `%NO_SESSION_HASH`.

fn ems_server(require: bool) -> Arc<ServerConfig> {
    let b = common::server_builder(KeyType::EcdsaP256)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2]);
    Arc::new(if require { b.require_ems() } else { b }.build().unwrap())
}

fn gnutls_without_ems(port: u16) -> GnutlsClientOpts {
    GnutlsClientOpts::new(port, TestPki::shared().ca_path())
        .priority(
            GnutlsPriority::new()
                .version(TlsVersion::Tls12)
                .raw("%NO_SESSION_HASH")
                .to_string(),
        )
        .send(PING.as_bytes())
        .timeout(T)
}

/// By default a TLS 1.2 client without extended_master_secret is served (as rustls and Go do
/// outside FIPS mode); the session is never resumed and exports nothing.
#[test]
fn client_without_ems_is_served_by_default_gnutls() {
    require_peers!("gnutls-cli");
    let (port, server) = spawn_upper_server(ems_server(false));
    let out = GnutlsClient::run(&gnutls_without_ems(port));
    let report = server.join().unwrap();
    server_report_ok(&report, &out);
    out.assert_contains(PONG);
}

/// `require_ems()`: the same client is refused with handshake_failure (RFC 7627 §5.3).
#[test]
fn client_without_ems_is_refused_with_require_ems_gnutls() {
    require_peers!("gnutls-cli");
    let (port, server) = spawn_upper_server(ems_server(true));
    let out = GnutlsClient::run(&gnutls_without_ems(port));
    let report = server.join().unwrap();
    assert!(
        matches!(
            report.result,
            Err(Error::PeerMisbehaved(
                PeerMisbehaved::MissingExtendedMasterSecret
            ))
        ),
        "{:?}\n{out}",
        report.result.err()
    );
    out.assert_failure();
    out.assert_contains("Received alert [40]");
}
