//! External PSK interop (RFC 8446 §4.2.11) against real peers over loopback, both directions:
//! `openssl s_server -psk HEX -psk_identity ID -nocert` / `openssl s_client -psk`, and
//! `gnutls-serv --pskpasswd FILE` / `gnutls-cli --pskusername ID --pskkey HEX` with TLS 1.3
//! PSK priority strings. Negative cases: a wrong key (the peer's binder, or ours, fails) and an
//! unknown identity.
//!
//! OpenSSL 3.0's `-psk` key is SHA-256 (its TLS 1.3 PSK session uses TLS_AES_128_GCM_SHA256);
//! GnuTLS uses SHA-256 for `--pskkey` too. The SHA-384 case is covered clasp ↔ clasp in
//! `external_psk.rs`.

use std::sync::Arc;
use std::time::Duration;

use clasp::crypto::HashAlgorithm;
use clasp::error::{PeerIncompatible, PeerMisbehaved};
use clasp::msgs::enums::{AlertDescription, PskKeyExchangeMode};
use clasp::psk::ExternalPsk;
use clasp::{ClientConfig, ClientConnection, Error, ServerConfig};
use clasp_testkit::{
    require_peers, GnutlsClient, GnutlsClientOpts, GnutlsServer, GnutlsServerOpts, OpensslClient,
    OpensslClientOpts, OpensslServer, OpensslServerOpts, TestPki,
};

mod common;
use common::{close, connect, handshake, localhost, read_until, send, spawn_upper_server};

const T: Duration = Duration::from_secs(10);
const ID: &str = "clasp-test-client";
const KEY_HEX: &str = "00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef";
const WRONG_HEX: &str = "ff112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef";

fn key(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn psk(id: &str, hex: &str) -> ExternalPsk {
    ExternalPsk::new(id, key(hex), HashAlgorithm::Sha256).unwrap()
}

/// A clasp client that trusts no CA: it completes only through the PSK.
fn psk_client(id: &str, hex: &str, modes: &[PskKeyExchangeMode]) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder()
            .with_external_psk(psk(id, hex))
            .with_psk_key_exchange_modes(modes)
            .build()
            .unwrap(),
    )
}

/// A clasp server with no certificate at all.
fn psk_server(modes: &[PskKeyExchangeMode]) -> Arc<ServerConfig> {
    Arc::new(
        ServerConfig::builder()
            .with_external_psk(psk(ID, KEY_HEX))
            .with_psk_key_exchange_modes(modes)
            .build()
            .unwrap(),
    )
}

const LINE: &[u8] = b"hello over a PSK\n";
const LINE_REV: &[u8] = b"KSP a revo olleh\n";

fn openssl_psk_server(hex: &str, extra: &[&str]) -> OpensslServer {
    let mut args = vec!["-nocert", "-psk", hex, "-psk_identity", ID];
    args.extend_from_slice(extra);
    OpensslServer::start(
        &OpensslServerOpts::default()
            .tls13()
            .rev()
            .naccept(1)
            .args(&args),
    )
}

// ---------------------------------------------------------------------------------------------
// clasp client -> openssl s_server -nocert

/// One echo exchange between a clasp client offering `modes` and `openssl s_server -psk`
/// started with `server_args`; returns the connection and what s_server printed.
fn echo_with_openssl(
    server_args: &[&str],
    modes: &[PskKeyExchangeMode],
) -> (ClientConnection, clasp_testkit::PeerOutput) {
    let server = openssl_psk_server(KEY_HEX, server_args);
    let mut conn = ClientConnection::new(psk_client(ID, KEY_HEX, modes), localhost()).unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with s_server -psk failed: {e:?}\n{}",
            server.finish(T)
        );
    }
    send(&mut conn, &mut sock, LINE);
    assert_eq!(read_until(&mut conn, &mut sock, b"\n"), LINE_REV);
    close(&mut conn, &mut sock);
    drop(sock);
    (conn, server.finish(T))
}

#[test]
fn clasp_client_to_openssl_psk_dhe_ke() {
    require_peers!("openssl");
    let (conn, out) = echo_with_openssl(&[], &[PskKeyExchangeMode::PskDheKe]);
    assert!(!out.contains("CONNECTION FAILURE"), "{out}");
    let n = conn.negotiated();
    assert_eq!(n.external_psk_identity.as_deref(), Some(ID.as_bytes()));
    assert_eq!(n.psk_key_exchange_mode, Some(PskKeyExchangeMode::PskDheKe));
    assert!(n.group.is_some());
    assert!(n.peer_certificates.is_empty());
}

/// psk_ke: OpenSSL 3.0 uses it when the client offers only psk_ke and s_server has
/// `-allow_no_dhe_kex`.
#[test]
fn clasp_client_to_openssl_psk_ke() {
    require_peers!("openssl");
    let (conn, _) = echo_with_openssl(&["-allow_no_dhe_kex"], &[PskKeyExchangeMode::PskKe]);
    let n = conn.negotiated();
    assert_eq!(n.psk_key_exchange_mode, Some(PskKeyExchangeMode::PskKe));
    assert_eq!(n.group, None);
}

/// A wrong key: s_server's binder check fails ("binder does not verify"). RFC 8446 §4.2.11
/// says only that the server "MUST abort the handshake"; OpenSSL 3.0 sends illegal_parameter
/// (clasp, like BoringSSL and rustls, sends decrypt_error: see the reverse direction below).
#[test]
fn clasp_client_wrong_key_to_openssl_is_decrypt_error() {
    require_peers!("openssl");
    let server = openssl_psk_server(KEY_HEX, &[]);
    let mut conn = ClientConnection::new(
        psk_client(ID, WRONG_HEX, &[PskKeyExchangeMode::PskDheKe]),
        localhost(),
    )
    .unwrap();
    let mut sock = connect(server.port());
    let r = handshake(&mut conn, &mut sock);
    drop(sock);
    let out = server.finish(T);
    assert_eq!(
        r,
        Err(Error::AlertReceived(AlertDescription::IllegalParameter)),
        "{out}"
    );
    out.assert_contains("binder does not verify");
    assert_eq!(conn.negotiated().external_psk_identity, None);
}

// ---------------------------------------------------------------------------------------------
// openssl s_client -psk -> clasp server (no certificate)

#[test]
fn openssl_client_to_clasp_psk_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(psk_server(&[PskKeyExchangeMode::PskDheKe]));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-psk", KEY_HEX, "-psk_identity", ID])
            .send(b"ping over psk\n")
            .expect("PING OVER PSK")
            .timeout(T),
    );
    let report = server.join().unwrap();
    out.assert_success();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert_eq!(report.received, b"ping over psk\n");
    let n = &report.negotiated;
    assert_eq!(n.external_psk_identity.as_deref(), Some(ID.as_bytes()));
    assert_eq!(n.psk_key_exchange_mode, Some(PskKeyExchangeMode::PskDheKe));
    // No certificate was sent or verified (s_client reports none).
    out.assert_contains("no peer certificate available");
}

/// psk_ke both ways: s_client `-allow_no_dhe_kex` offers both modes; the clasp server prefers
/// psk_ke only because it was configured to.
#[test]
fn openssl_client_to_clasp_psk_server_psk_ke() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(psk_server(&[PskKeyExchangeMode::PskKe]));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-psk", KEY_HEX, "-psk_identity", ID, "-allow_no_dhe_kex"])
            .send(b"ping over psk\n")
            .expect("PING OVER PSK")
            .timeout(T),
    );
    let report = server.join().unwrap();
    out.assert_success();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert_eq!(
        report.negotiated.psk_key_exchange_mode,
        Some(PskKeyExchangeMode::PskKe)
    );
    assert_eq!(report.negotiated.group, None);
}

/// A wrong key from s_client: our binder check fails, BadBinder, decrypt_error.
#[test]
fn openssl_client_wrong_key_to_clasp_is_bad_binder() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(psk_server(&[PskKeyExchangeMode::PskDheKe]));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-psk", WRONG_HEX, "-psk_identity", ID])
            .timeout(T),
    );
    let report = server.join().unwrap();
    assert_eq!(
        report.result,
        Err(Error::PeerMisbehaved(PeerMisbehaved::BadBinder)),
        "{out}"
    );
    out.assert_contains("decrypt error");
}

/// An unknown identity to a certificate-less clasp server: unknown_psk_identity.
#[test]
fn openssl_client_unknown_identity_to_clasp_psk_server() {
    require_peers!("openssl");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(psk_server(&[PskKeyExchangeMode::PskDheKe]));
    let out = OpensslClient::run(
        &OpensslClientOpts::new(port, pki.ca_path())
            .tls13()
            .args(&["-psk", KEY_HEX, "-psk_identity", "someone-else"])
            .timeout(T),
    );
    let report = server.join().unwrap();
    assert_eq!(
        report.result,
        Err(Error::PeerIncompatible(
            PeerIncompatible::UnknownPskIdentity
        )),
        "{out}"
    );
    out.assert_contains("unknown psk identity");
}

// ---------------------------------------------------------------------------------------------
// gnutls

/// TLS 1.3 with (EC)DHE-PSK only (psk_dhe_ke), no certificate key exchange.
const GNUTLS_PSK_DHE: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+DHE-PSK";

fn gnutls_passwd_file() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("clasp-psk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("psk.passwd");
    std::fs::write(&path, format!("{ID}:{KEY_HEX}\n")).unwrap();
    path
}

#[test]
fn clasp_client_to_gnutls_serv_psk() {
    require_peers!("gnutls-serv");
    let passwd = gnutls_passwd_file();
    let opts = GnutlsServerOpts {
        cert: None,
        key: None,
        ca_file: None,
        priority: Some(GNUTLS_PSK_DHE.to_owned()),
        client_auth: None,
        echo: true,
        early_data: false,
        extra_args: Vec::new(),
    }
    .args(&[format!("--pskpasswd={}", passwd.display())]);
    let server = GnutlsServer::start(&opts);
    let mut conn = ClientConnection::new(
        psk_client(ID, KEY_HEX, &[PskKeyExchangeMode::PskDheKe]),
        localhost(),
    )
    .unwrap();
    let mut sock = connect(server.port());
    if let Err(e) = handshake(&mut conn, &mut sock) {
        panic!(
            "handshake with gnutls-serv failed: {e:?}\n{}",
            server.finish()
        );
    }
    send(&mut conn, &mut sock, LINE);
    assert_eq!(read_until(&mut conn, &mut sock, b"\n"), LINE);
    close(&mut conn, &mut sock);
    drop(sock);
    let _ = server.finish();
    let n = conn.negotiated();
    assert_eq!(n.external_psk_identity.as_deref(), Some(ID.as_bytes()));
    assert_eq!(n.psk_key_exchange_mode, Some(PskKeyExchangeMode::PskDheKe));
}

#[test]
fn gnutls_cli_to_clasp_psk_server() {
    require_peers!("gnutls-cli");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(psk_server(&[PskKeyExchangeMode::PskDheKe]));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, pki.ca_path())
            .priority(GNUTLS_PSK_DHE)
            .args(&[format!("--pskusername={ID}"), format!("--pskkey={KEY_HEX}")])
            .send(b"ping over psk\n")
            .expect("PING OVER PSK")
            .timeout(T),
    );
    let report = server.join().unwrap();
    report
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("clasp server: {e:?}\n{out}"));
    assert_eq!(report.received, b"ping over psk\n");
    assert_eq!(
        report.negotiated.external_psk_identity.as_deref(),
        Some(ID.as_bytes())
    );
}

/// gnutls-cli with a wrong key: our binder check fails.
#[test]
fn gnutls_cli_wrong_key_to_clasp_is_bad_binder() {
    require_peers!("gnutls-cli");
    let pki = TestPki::shared();
    let (port, server) = spawn_upper_server(psk_server(&[PskKeyExchangeMode::PskDheKe]));
    let out = GnutlsClient::run(
        &GnutlsClientOpts::new(port, pki.ca_path())
            .priority(GNUTLS_PSK_DHE)
            .args(&[
                format!("--pskusername={ID}"),
                format!("--pskkey={WRONG_HEX}"),
            ])
            .timeout(T),
    );
    let report = server.join().unwrap();
    assert_eq!(
        report.result,
        Err(Error::PeerMisbehaved(PeerMisbehaved::BadBinder)),
        "{out}"
    );
}
