//! `gnutls-serv` and `gnutls-cli` as loopback peers, and GnuTLS priority strings.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::openssl::ClientAuth;
use crate::pki::Identity;
use crate::process::{run_client, start_server, PeerOutput, PeerProcess, DEFAULT_TIMEOUT};
use crate::TlsVersion;

/// A GnuTLS priority string built from `NORMAL` by narrowing versions, groups, ciphers, key
/// exchanges and signature algorithms. Names are GnuTLS's own, without the prefix
/// (`gnutls-cli --list` prints them): groups `X25519`, `SECP256R1`, `SECP384R1`, `SECP521R1`,
/// `X448`, `FFDHE2048`…; ciphers `AES-128-GCM`, `AES-256-GCM`, `CHACHA20-POLY1305`; key
/// exchanges (TLS 1.2) `ECDHE-ECDSA`, `ECDHE-RSA`, `DHE-RSA`, `RSA`; signatures
/// `ECDSA-SECP256R1-SHA256`, `EdDSA-Ed25519`, `RSA-PSS-RSAE-SHA256`, `RSA-SHA256`….
///
/// ```
/// use clasp_testkit::{GnutlsPriority, TlsVersion};
/// let p = GnutlsPriority::new().version(TlsVersion::Tls13).group("X25519").cipher("AES-128-GCM");
/// assert_eq!(
///     p.to_string(),
///     "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:-CIPHER-ALL:+AES-128-GCM"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GnutlsPriority {
    /// Versions to keep (empty: NORMAL's).
    pub versions: Vec<TlsVersion>,
    /// Groups to keep, in preference order.
    pub groups: Vec<String>,
    /// Ciphers to keep.
    pub ciphers: Vec<String>,
    /// TLS 1.2 key exchanges to keep.
    pub kx: Vec<String>,
    /// Signature algorithms to keep.
    pub sigs: Vec<String>,
    /// Raw elements appended last, e.g. `%NO_TICKETS`, `-ETM`.
    pub extra: Vec<String>,
}

impl GnutlsPriority {
    /// `NORMAL`.
    pub fn new() -> Self {
        Self::default()
    }
    /// Keep only `v` (may be called twice to keep both).
    pub fn version(mut self, v: TlsVersion) -> Self {
        self.versions.push(v);
        self
    }
    /// Keep group `g` (e.g. `X25519`).
    pub fn group(mut self, g: &str) -> Self {
        self.groups.push(g.to_owned());
        self
    }
    /// Keep cipher `c` (e.g. `AES-128-GCM`).
    pub fn cipher(mut self, c: &str) -> Self {
        self.ciphers.push(c.to_owned());
        self
    }
    /// Keep key exchange `k` (TLS 1.2, e.g. `ECDHE-RSA`).
    pub fn kx(mut self, k: &str) -> Self {
        self.kx.push(k.to_owned());
        self
    }
    /// Keep signature algorithm `s` (e.g. `ECDSA-SECP256R1-SHA256`).
    pub fn sig(mut self, s: &str) -> Self {
        self.sigs.push(s.to_owned());
        self
    }
    /// Keep exactly the cipher (and for TLS 1.2 the key exchange) of the suite named `iana`.
    ///
    /// # Panics
    /// If the suite is not one [`gnutls_suite_tokens`] knows.
    pub fn suite(mut self, iana: &str) -> Self {
        let (cipher, kx) = gnutls_suite_tokens(iana)
            .unwrap_or_else(|| panic!("no GnuTLS mapping for suite {iana}"));
        self.ciphers.push(cipher.to_owned());
        if let Some(k) = kx {
            self.kx.push(k.to_owned());
        }
        self
    }
    /// Appends a raw element such as `%NO_TICKETS`.
    pub fn raw(mut self, element: &str) -> Self {
        self.extra.push(element.to_owned());
        self
    }
}

impl fmt::Display for GnutlsPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NORMAL")?;
        let mut section = |all: &str, prefix: &str, items: &[String]| -> fmt::Result {
            if items.is_empty() {
                return Ok(());
            }
            write!(f, ":-{all}")?;
            for i in items {
                write!(f, ":+{prefix}{i}")?;
            }
            Ok(())
        };
        let versions: Vec<String> = self
            .versions
            .iter()
            .map(|v| match v {
                TlsVersion::Tls12 => "TLS1.2".to_owned(),
                TlsVersion::Tls13 => "TLS1.3".to_owned(),
            })
            .collect();
        section("VERS-ALL", "VERS-", &versions)?;
        section("GROUP-ALL", "GROUP-", &self.groups)?;
        section("CIPHER-ALL", "", &self.ciphers)?;
        section("KX-ALL", "", &self.kx)?;
        section("SIGN-ALL", "SIGN-", &self.sigs)?;
        for e in &self.extra {
            write!(f, ":{e}")?;
        }
        Ok(())
    }
}

impl From<GnutlsPriority> for String {
    fn from(p: GnutlsPriority) -> String {
        p.to_string()
    }
}

/// GnuTLS cipher and (TLS 1.2) key-exchange tokens of a suite given by its IANA name, for
/// the AEAD suites clasp implements.
pub fn gnutls_suite_tokens(iana: &str) -> Option<(&'static str, Option<&'static str>)> {
    let cipher = if iana.contains("AES_128_GCM") {
        "AES-128-GCM"
    } else if iana.contains("AES_256_GCM") {
        "AES-256-GCM"
    } else if iana.contains("CHACHA20_POLY1305") {
        "CHACHA20-POLY1305"
    } else {
        return None;
    };
    let kx = match iana.split("_WITH_").next() {
        Some("TLS_ECDHE_ECDSA") => Some("ECDHE-ECDSA"),
        Some("TLS_ECDHE_RSA") => Some("ECDHE-RSA"),
        Some("TLS_DHE_RSA") => Some("DHE-RSA"),
        Some("TLS_RSA") => Some("RSA"),
        // TLS 1.3 names have no _WITH_ and no key exchange.
        _ if !iana.contains("_WITH_") => None,
        _ => return None,
    };
    Some((cipher, kx))
}

/// Options for [`GnutlsServer::start`].
#[derive(Clone, Debug)]
pub struct GnutlsServerOpts {
    /// `--x509certfile` (may hold the chain: gnutls-serv sends every certificate in it).
    pub cert: Option<PathBuf>,
    /// `--x509keyfile`.
    pub key: Option<PathBuf>,
    /// `--x509cafile`: trust anchors for client certificates.
    pub ca_file: Option<PathBuf>,
    /// `--priority`.
    pub priority: Option<String>,
    /// `None`: `--disable-client-cert`; `Request`: gnutls-serv's default (asks, optional);
    /// `Require`: `--require-client-cert`.
    pub client_auth: Option<ClientAuth>,
    /// `--echo` (default on): send back every line received.
    pub echo: bool,
    /// `--earlydata`: accept 0-RTT.
    pub early_data: bool,
    /// Anything else, appended last.
    pub extra_args: Vec<String>,
}

impl GnutlsServerOpts {
    /// Serve `id` (leaf only) as an echo server without asking for client certificates.
    pub fn new(id: &Identity) -> Self {
        GnutlsServerOpts {
            cert: Some(id.cert_path()),
            key: Some(id.key_path()),
            ca_file: Some(id.ca_path()),
            priority: None,
            client_auth: None,
            echo: true,
            early_data: false,
            extra_args: Vec::new(),
        }
    }
    /// `--priority`.
    pub fn priority(mut self, p: impl Into<String>) -> Self {
        self.priority = Some(p.into());
        self
    }
    /// Only `v` (shorthand for a priority with just that version).
    pub fn version(self, v: TlsVersion) -> Self {
        self.priority(GnutlsPriority::new().version(v))
    }
    /// Send the leaf and its CA (`--x509certfile chain.pem`).
    pub fn with_chain(mut self, id: &Identity) -> Self {
        self.cert = Some(id.chain_path());
        self
    }
    /// Ask for a client certificate.
    pub fn client_auth(mut self, mode: ClientAuth) -> Self {
        self.client_auth = Some(mode);
        self
    }
    /// `--earlydata`.
    pub fn early_data(mut self) -> Self {
        self.early_data = true;
        self
    }
    /// Appends raw arguments.
    pub fn args<S: AsRef<str>>(mut self, args: &[S]) -> Self {
        self.extra_args
            .extend(args.iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// The `gnutls-serv` arguments for `port`.
    pub fn to_args(&self, port: u16) -> Vec<String> {
        let mut a = vec!["-p".to_owned(), port.to_string()];
        if self.echo {
            a.push("--echo".to_owned());
        }
        let mut path = |flag: &str, p: &Option<PathBuf>| {
            if let Some(p) = p {
                a.push(format!("{flag}={}", p.display()));
            }
        };
        path("--x509certfile", &self.cert);
        path("--x509keyfile", &self.key);
        path("--x509cafile", &self.ca_file);
        if let Some(p) = &self.priority {
            a.push(format!("--priority={p}"));
        }
        match self.client_auth {
            None => a.push("--disable-client-cert".to_owned()),
            Some(ClientAuth::Request) => {}
            Some(ClientAuth::Require) => a.push("--require-client-cert".to_owned()),
        }
        if self.early_data {
            a.push("--earlydata".to_owned());
        }
        a.extend(self.extra_args.iter().cloned());
        a
    }
}

/// A running `gnutls-serv` (listening on 0.0.0.0 and `[::]`); killed on drop.
///
/// Derefs to [`PeerProcess`]. Its report of each connection ("- Version: TLS1.3",
/// "- Description: …") goes to stdout, its echo log to stderr.
#[derive(Debug)]
pub struct GnutlsServer {
    process: PeerProcess,
    port: u16,
}

impl GnutlsServer {
    /// Starts `gnutls-serv` on a free port and waits (up to 10 s) until it listens.
    ///
    /// # Panics
    /// If it cannot start, exits early, or never listens (with its output).
    pub fn start(opts: &GnutlsServerOpts) -> Self {
        // gnutls-serv prints this on a taken port but keeps running without a socket.
        let (process, port) = start_server(
            "gnutls-serv",
            &|port| opts.to_args(port),
            "bind() failed",
            DEFAULT_TIMEOUT,
        );
        GnutlsServer { process, port }
    }
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }
    /// Kills it (it never exits by itself) and returns everything it printed.
    pub fn finish(self) -> PeerOutput {
        self.process.finish(Duration::ZERO)
    }
}

impl Deref for GnutlsServer {
    type Target = PeerProcess;
    fn deref(&self) -> &PeerProcess {
        &self.process
    }
}
impl DerefMut for GnutlsServer {
    fn deref_mut(&mut self) -> &mut PeerProcess {
        &mut self.process
    }
}

/// Options for [`GnutlsClient`]. It connects to 127.0.0.1 and sends SNI "localhost" and
/// verifies the certificate for "localhost" against `ca_file` (failing otherwise).
#[derive(Clone, Debug)]
pub struct GnutlsClientOpts {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// `--sni-hostname` (`None`: `--disable-sni`).
    pub sni: Option<String>,
    /// `--verify-hostname`.
    pub verify_hostname: Option<String>,
    /// `--x509cafile`.
    pub ca_file: Option<PathBuf>,
    /// `--insecure`: do not fail on a bad certificate.
    pub insecure: bool,
    /// `--priority`.
    pub priority: Option<String>,
    /// `--x509certfile` (client certificate).
    pub cert: Option<PathBuf>,
    /// `--x509keyfile` (client key).
    pub key: Option<PathBuf>,
    /// `--resume`: connect, then reconnect resuming the session.
    pub resume: bool,
    /// `--earlydata=FILE` (with `resume`).
    pub early_data: Option<PathBuf>,
    /// `--noticket`.
    pub no_ticket: bool,
    /// Bytes written to stdin.
    pub stdin: Vec<u8>,
    /// Keep stdin open until this text appears on stdout.
    pub expect: Option<String>,
    /// Bound on every wait.
    pub timeout: Duration,
    /// Anything else, appended before the host.
    pub extra_args: Vec<String>,
}

impl GnutlsClientOpts {
    /// Connect to 127.0.0.1:`port` as "localhost", trusting `ca_file`.
    pub fn new(port: u16, ca_file: impl AsRef<Path>) -> Self {
        GnutlsClientOpts {
            port,
            sni: Some(crate::SERVER_NAME.to_owned()),
            verify_hostname: Some(crate::SERVER_NAME.to_owned()),
            ca_file: Some(ca_file.as_ref().to_path_buf()),
            insecure: false,
            priority: None,
            cert: None,
            key: None,
            resume: false,
            early_data: None,
            no_ticket: false,
            stdin: Vec::new(),
            expect: None,
            timeout: DEFAULT_TIMEOUT,
            extra_args: Vec::new(),
        }
    }
    /// `--priority`.
    pub fn priority(mut self, p: impl Into<String>) -> Self {
        self.priority = Some(p.into());
        self
    }
    /// Only `v`.
    pub fn version(self, v: TlsVersion) -> Self {
        self.priority(GnutlsPriority::new().version(v))
    }
    /// Present `id` as the client certificate.
    pub fn client_cert(mut self, id: &Identity) -> Self {
        self.cert = Some(id.cert_path());
        self.key = Some(id.key_path());
        self
    }
    /// `--resume`.
    pub fn resume(mut self) -> Self {
        self.resume = true;
        self
    }
    /// `--earlydata=FILE`.
    pub fn early_data(mut self, path: impl AsRef<Path>) -> Self {
        self.early_data = Some(path.as_ref().to_path_buf());
        self
    }
    /// `--insecure`.
    pub fn insecure(mut self) -> Self {
        self.insecure = true;
        self
    }
    /// SNI and verified name (`None`: no SNI, no name check).
    pub fn servername(mut self, name: Option<&str>) -> Self {
        self.sni = name.map(str::to_owned);
        self.verify_hostname = name.map(str::to_owned);
        self
    }
    /// Data to send once connected.
    pub fn send(mut self, data: &[u8]) -> Self {
        self.stdin = data.to_vec();
        self
    }
    /// Keep the connection until `text` appears on stdout.
    pub fn expect(mut self, text: &str) -> Self {
        self.expect = Some(text.to_owned());
        self
    }
    /// Bound on every wait.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    /// Appends raw arguments.
    pub fn args<S: AsRef<str>>(mut self, args: &[S]) -> Self {
        self.extra_args
            .extend(args.iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// The `gnutls-cli` arguments.
    pub fn to_args(&self) -> Vec<String> {
        let mut a = vec!["-p".to_owned(), self.port.to_string()];
        match &self.sni {
            Some(n) => a.push(format!("--sni-hostname={n}")),
            None => a.push("--disable-sni".to_owned()),
        }
        if let Some(n) = &self.verify_hostname {
            a.push(format!("--verify-hostname={n}"));
        }
        let mut path = |flag: &str, p: &Option<PathBuf>| {
            if let Some(p) = p {
                a.push(format!("{flag}={}", p.display()));
            }
        };
        path("--x509cafile", &self.ca_file);
        path("--x509certfile", &self.cert);
        path("--x509keyfile", &self.key);
        path("--earlydata", &self.early_data);
        if self.insecure {
            a.push("--insecure".to_owned());
        }
        if let Some(p) = &self.priority {
            a.push(format!("--priority={p}"));
        }
        if self.resume {
            a.push("--resume".to_owned());
        }
        if self.no_ticket {
            a.push("--noticket".to_owned());
        }
        a.extend(self.extra_args.iter().cloned());
        a.push("127.0.0.1".to_owned());
        a
    }
}

/// Runs `gnutls-cli`.
#[derive(Debug)]
pub struct GnutlsClient;

impl GnutlsClient {
    /// Connects, sends `opts.stdin`, waits for `opts.expect` on stdout (if set), closes stdin
    /// and waits for exit; kills it after `opts.timeout`.
    pub fn run(opts: &GnutlsClientOpts) -> PeerOutput {
        run_client(
            "gnutls-cli",
            &opts.to_args(),
            &opts.stdin,
            opts.expect.as_deref(),
            opts.timeout,
        )
    }

    /// Starts gnutls-cli and leaves it running. `opts.stdin` is sent at once.
    ///
    /// # Panics
    /// If `gnutls-cli` cannot be started.
    pub fn spawn(opts: &GnutlsClientOpts) -> PeerProcess {
        let mut p = PeerProcess::spawn("gnutls-cli", &opts.to_args())
            .unwrap_or_else(|e| panic!("cannot start gnutls-cli: {e}"));
        if !opts.stdin.is_empty() {
            p.send(&opts.stdin);
        }
        p
    }
}
