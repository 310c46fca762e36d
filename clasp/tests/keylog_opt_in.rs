//! Key logging is opt-in (issue 9 item 5): a config built without `with_key_log` /
//! `with_env_key_log` writes no secrets even when `SSLKEYLOGFILE` is set, and the key log file
//! is created owner-only (0600) and appended to.
//!
//! One test function, because it sets a process-wide environment variable.

use std::path::PathBuf;
use std::sync::Arc;

use clasp::keylog::KeyLogFile;
use clasp::{ClientConnection, ServerConnection};
use clasp_testkit::KeyType;

mod common;
use common::{client_builder, localhost, pump, server_builder};

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("clasp-{name}-{}.txt", std::process::id()))
}

/// Runs one handshake in memory between configs built from the two builders.
fn handshake(
    client: clasp::config::ClientConfigBuilder,
    server: clasp::config::ServerConfigBuilder,
) {
    let mut c = ClientConnection::new(Arc::new(client.build().unwrap()), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::new(server.build().unwrap())).unwrap();
    pump(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking() && !s.is_handshaking());
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn key_logging_is_opt_in_and_owner_only() {
    let env_log = temp_path("env-keylog");
    let _ = std::fs::remove_file(&env_log);
    // Not a data race: this is the only test in this binary.
    std::env::set_var("SSLKEYLOGFILE", &env_log);

    // 1. The variable alone does nothing: neither side writes secrets (plain builders, no
    // key log option at all).
    let id = clasp_testkit::TestPki::shared().server(KeyType::EcdsaP256);
    handshake(
        clasp::ClientConfig::builder().with_root_certificates(common::roots()),
        clasp::ServerConfig::builder().with_single_cert(id.cert_chain(), id.private_key()),
    );
    assert!(
        !env_log.exists(),
        "SSLKEYLOGFILE was honoured without with_env_key_log()"
    );

    // 2. with_env_key_log() reads it explicitly, on each side, and the file is owner-only.
    handshake(
        client_builder().with_env_key_log(),
        server_builder(KeyType::EcdsaP256),
    );
    let client_lines = std::fs::read_to_string(&env_log).unwrap();
    assert!(
        client_lines.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "),
        "{client_lines}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&env_log), 0o600);
    handshake(
        client_builder(),
        server_builder(KeyType::EcdsaP256).with_env_key_log(),
    );
    let both = std::fs::read_to_string(&env_log).unwrap();
    // Appended, not truncated: the client's lines are still there.
    assert!(both.starts_with(&client_lines), "{both}");
    assert!(both.len() > client_lines.len(), "{both}");
    let _ = std::fs::remove_file(&env_log);

    // 3. An explicit key log file is created 0600 too, and KeyLogFile::open reports errors.
    let explicit = temp_path("explicit-keylog");
    let _ = std::fs::remove_file(&explicit);
    let k = Arc::new(KeyLogFile::open(explicit.clone()).unwrap());
    handshake(
        client_builder().with_key_log(k),
        server_builder(KeyType::EcdsaP256),
    );
    #[cfg(unix)]
    assert_eq!(mode(&explicit), 0o600);
    assert!(std::fs::read_to_string(&explicit)
        .unwrap()
        .contains("CLIENT_TRAFFIC_SECRET_0 "));
    let _ = std::fs::remove_file(&explicit);
    let bad = std::env::temp_dir().join("clasp-no-such-dir").join("k.txt");
    let e = KeyLogFile::open(bad).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    std::env::remove_var("SSLKEYLOGFILE");
}
