//! Test support for clasp: certificates generated at run time and real TLS peers (OpenSSL
//! and GnuTLS command-line tools) started over loopback.
//!
//! This crate does not depend on clasp; clasp's tests use it as a dev-dependency.
//!
//! PITFALLS_PLACEHOLDER
#![warn(missing_docs)]

mod gnutls;
mod openssl;
pub mod parse;
mod pki;
mod process;

pub use gnutls::{
    gnutls_suite_tokens, GnutlsClient, GnutlsClientOpts, GnutlsPriority, GnutlsServer,
    GnutlsServerOpts,
};
pub use openssl::{
    openssl_cipher_name, ClientAuth, OpensslClient, OpensslClientOpts, OpensslServer,
    OpensslServerMode, OpensslServerOpts,
};
pub use pki::{Identity, KeyType, TestPki, OTHER_SERVER_NAME, SERVER_NAME};
pub use process::{free_port, pid_listens_on, PeerOutput, PeerProcess, Stream, DEFAULT_TIMEOUT};

/// A protocol version a peer can be restricted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

impl TlsVersion {
    /// Both versions, 1.3 first.
    pub const ALL: [TlsVersion; 2] = [TlsVersion::Tls13, TlsVersion::Tls12];
}

/// The environment variable that lets tests skip (instead of fail) when a peer binary is
/// missing.
pub const ALLOW_MISSING_ENV: &str = "CLASP_ALLOW_MISSING_PEERS";

/// Whether `bin` is an executable file in a `PATH` directory.
pub fn peer_available(bin: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(bin))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Returns true when `bin` is available. When it is missing: with
/// `CLASP_ALLOW_MISSING_PEERS=1` prints why and returns false (the test should return early);
/// otherwise panics, because CI installs every peer and a missing one must fail loudly.
///
/// # Panics
/// If `bin` is missing and the variable is not `1`.
pub fn require_peer(bin: &str) -> bool {
    if peer_available(bin) {
        return true;
    }
    if std::env::var(ALLOW_MISSING_ENV).is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: `{bin}` is not on PATH ({ALLOW_MISSING_ENV}=1)");
        return false;
    }
    panic!(
        "`{bin}` is not on PATH: install it (apt-get install openssl gnutls-bin, as .ci/run \
         does) or set {ALLOW_MISSING_ENV}=1 to skip"
    );
}

/// Returns from the enclosing test (after printing why) unless every named binary is
/// available; see [`require_peer`].
///
/// ```
/// fn interop() {
///     clasp_testkit::require_peers!("openssl", "gnutls-cli");
///     // ... start peers ...
/// }
/// ```
#[macro_export]
macro_rules! require_peers {
    ($($bin:expr),+ $(,)?) => {
        $(
            if !$crate::require_peer($bin) {
                return;
            }
        )+
    };
}
