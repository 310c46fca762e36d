//! Test support for clasp: certificates generated at run time and real TLS peers (OpenSSL
//! and GnuTLS command-line tools) started over loopback.
//!
//! This crate does not depend on clasp; clasp's tests use it as a dev-dependency.
//!
//! - [`TestPki`]: a CA, "localhost" server leaves and client leaves for every [`KeyType`]
//!   (ECDSA P-256/P-384, Ed25519, RSA-2048), and bad leaves (expired, wrong host, unrelated
//!   CA), as DER, PEM and files. [`TestPki::shared`] gives one per test process.
//! - [`OpensslServer`] / [`OpensslClient`] and [`GnutlsServer`] / [`GnutlsClient`]: peers on a
//!   free 127.0.0.1 port, every wait bounded, output captured, processes killed on drop.
//! - [`parse`]: the negotiated version, suite and resumption out of the peers' reports.
//! - [`require_peers!`]: fail loudly when a peer binary is missing (CI installs them), or skip
//!   with a printed reason when `CLASP_ALLOW_MISSING_PEERS=1`.
//!
//! ```
//! use clasp_testkit::*;
//! # fn main() {
//! require_peers!("openssl", "gnutls-serv");
//! let pki = TestPki::shared();
//! let server = GnutlsServer::start(
//!     &GnutlsServerOpts::new(pki.server(KeyType::EcdsaP256)).version(TlsVersion::Tls13),
//! );
//! let out = OpensslClient::run(
//!     &OpensslClientOpts::new(server.port(), pki.ca_path()).send(b"hello\n").expect("hello"),
//! );
//! out.assert_success();
//! assert_eq!(out.version(), Some(TlsVersion::Tls13));
//! # }
//! ```
//!
//! # Command lines that work here (OpenSSL 3.0.19, GnuTLS 3.7.9)
//! `tests/interop.rs` runs these for every key type and both versions:
//! ```text
//! openssl s_server -accept 127.0.0.1:PORT -tls1_3 -cert cert.pem -key key.pem -CAfile ca.pem \
//!     -groups P-256 -ciphersuites TLS_AES_128_GCM_SHA256 -naccept 1 -brief
//! openssl s_client -connect 127.0.0.1:PORT -servername localhost -CAfile ca.pem \
//!     -verify_return_error -verify_hostname localhost -tls1_2 -groups P-384 \
//!     -cipher ECDHE-ECDSA-AES256-GCM-SHA384
//! gnutls-serv -p PORT --echo --x509certfile=cert.pem --x509keyfile=key.pem \
//!     --x509cafile=ca.pem --disable-client-cert \
//!     --priority=NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:-CIPHER-ALL:+CHACHA20-POLY1305
//! gnutls-cli -p PORT --sni-hostname=localhost --verify-hostname=localhost \
//!     --x509cafile=ca.pem \
//!     --priority=NORMAL:-VERS-ALL:+VERS-TLS1.2:-GROUP-ALL:+GROUP-SECP256R1:-CIPHER-ALL:+AES-128-GCM:-KX-ALL:+ECDHE-RSA \
//!     127.0.0.1
//! ```
//! Client auth: `s_server -Verify 1 -verify_return_error`, `gnutls-serv --require-client-cert`,
//! clients add `-cert/-key` or `--x509certfile/--x509keyfile`. Resumption: `s_client -sess_out F`
//! then `-sess_in F` ("Reused, TLSv1.3, …"); `gnutls-cli --resume` ("This is a resumed session").
//!
//! # Pitfalls found on the way (the kit handles each one)
//! - **Verification is off by default in s_client**: it prints the error and carries on.
//!   `-verify_return_error` makes it fail, and it checks no hostname without
//!   `-verify_hostname`. [`OpensslClientOpts`] adds both unless [`no_verify`](OpensslClientOpts::no_verify).
//!   s_server likewise needs `-verify_return_error` to refuse a bad client certificate.
//! - **Port collisions are reported differently**: s_server prints "Address already in use"
//!   and exits with status 0; gnutls-serv prints "bind() failed" and keeps running without a
//!   socket. The kit decides readiness by finding a LISTEN socket owned by the child's pid in
//!   `/proc/net/tcp` (never a probe connection, which would use up `-naccept 1`), and retries
//!   on a new port after a collision. This makes the servers Linux-only.
//! - **s_server prints "ACCEPT" only in its default report mode**: not with `-brief`, and its
//!   `-rev` mode always prints a brief summary (stderr) with no "Reused session-id".
//!   Only `-brief` prints the protocol version on the server side.
//! - **s_server builds the served chain from `-CAfile`**: with `-cert cert.pem` it still sends
//!   the issuing CA when that CA is in `-CAfile` (so a client sees "self-signed certificate in
//!   certificate chain" for the unrelated-CA leaf rather than "unable to get local issuer").
//! - **stdin EOF ends the clients**: s_client and gnutls-cli send close_notify and exit as soon
//!   as stdin closes, possibly before the reply arrives. `run` keeps stdin open until the
//!   `expect`ed text shows on stdout, then closes it.
//! - **One-letter lines are commands** in s_client/s_server interactive mode (`Q`, `R`, `k`,
//!   `K`…): do not send them as data (s_client has `-nocommands`).
//! - **gnutls-serv block-buffers stdout into a pipe**, so its per-connection report would only
//!   appear at exit (and never on SIGKILL). Peers run under `stdbuf -oL -eL` when coreutils'
//!   `stdbuf` exists. Its connection reports ("- Version:", "- Description:") go to stdout,
//!   the echo log to stderr. It requests (optionally) a client certificate unless given
//!   `--disable-client-cert`, and binds 0.0.0.0 and \[::].
//! - **gnutls-cli given "localhost" resolves it itself**; the kit connects to 127.0.0.1 and
//!   names the host with `--sni-hostname`/`--verify-hostname`.
//! - **Ed25519 PKCS#8**: aws-lc-rs (through rcgen) writes PKCS#8 v2 (RFC 8410, with the public
//!   key), which OpenSSL 3.0 ("unsupported") and GnuTLS 3.7 ("ASN1 parser: Error in DER
//!   parsing") refuse. The kit rewrites Ed25519 keys as PKCS#8 v1, in the files and in
//!   [`Identity::key_der`], so code loading them must accept v1.
//! - **RSA**: rcgen 0.13 with aws-lc-rs generates RSA-2048 keys itself (no `openssl genpkey`
//!   needed), but it takes a few hundred milliseconds, hence [`TestPki::shared`].
//! - TLS 1.2 suites: OpenSSL's `-cipher` wants OpenSSL names ([`openssl_cipher_name`]);
//!   GnuTLS picks suites from cipher + key exchange tokens ([`GnutlsPriority::suite`]). Ed25519
//!   works in TLS 1.2 with `ECDHE-ECDSA` suites in both toolkits.
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

/// For a capability a test needs beyond a binary on `PATH` (capture rights, a working
/// browser sandbox, …) that turned out to be missing: with `CLASP_ALLOW_MISSING_PEERS=1` prints
/// `what` and returns (the caller then returns early); otherwise panics with `what`, like
/// [`require_peer`].
///
/// # Panics
/// Unless the variable is `1`.
pub fn missing_capability(what: &str) {
    if std::env::var(ALLOW_MISSING_ENV).is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: {what} ({ALLOW_MISSING_ENV}=1)");
        return;
    }
    panic!("{what}; fix the environment or set {ALLOW_MISSING_ENV}=1 to skip");
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
