//! `openssl s_server` and `openssl s_client` as loopback peers.

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::pki::Identity;
use crate::process::{run_client, start_server, PeerOutput, PeerProcess, DEFAULT_TIMEOUT};
use crate::TlsVersion;

fn version_flag(v: TlsVersion) -> &'static str {
    match v {
        TlsVersion::Tls12 => "-tls1_2",
        TlsVersion::Tls13 => "-tls1_3",
    }
}

fn push_opt(args: &mut Vec<String>, flag: &str, value: Option<&String>) {
    if let Some(v) = value {
        args.push(flag.to_owned());
        args.push(v.clone());
    }
}

fn push_path(args: &mut Vec<String>, flag: &str, value: Option<&PathBuf>) {
    if let Some(v) = value {
        args.push(flag.to_owned());
        args.push(v.to_string_lossy().into_owned());
    }
}

/// Whether a server asks for a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// Ask, but let a client without a certificate in (`-verify 1`, `gnutls-serv` default).
    Request,
    /// Ask and refuse a client without a valid certificate (`-Verify 1`,
    /// `gnutls-serv --require-client-cert`).
    Require,
}

/// What `s_server` does with application data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OpensslServerMode {
    /// Default: print what the client sends to stdout, send what the test writes to stdin
    /// ([`PeerProcess::send`]).
    #[default]
    Interactive,
    /// `-www`: answer `GET /` with an HTML status page (handy for HTTP clients).
    Www,
    /// `-rev`: echo each received line back reversed (an automatic echo server).
    Rev,
}

/// Options for [`OpensslServer::start`]. Build with [`OpensslServerOpts::new`] and the
/// chaining methods; every field is public for anything unusual.
#[derive(Clone, Debug, Default)]
pub struct OpensslServerOpts {
    /// `-tls1_2` / `-tls1_3`; `None` allows both.
    pub version: Option<TlsVersion>,
    /// `-cert` (the leaf; s_server reads only the first certificate of this file).
    pub cert: Option<PathBuf>,
    /// `-key`.
    pub key: Option<PathBuf>,
    /// `-cert_chain`: extra certificates sent after the leaf.
    pub cert_chain: Option<PathBuf>,
    /// `-CAfile`: trust anchors for client certificates.
    pub ca_file: Option<PathBuf>,
    /// `-groups`, e.g. `"X25519:P-256"`.
    pub groups: Option<String>,
    /// `-ciphersuites` (TLS 1.3 names, e.g. `"TLS_AES_128_GCM_SHA256"`).
    pub ciphersuites: Option<String>,
    /// `-cipher` (TLS 1.2, OpenSSL names, e.g. `"ECDHE-ECDSA-AES128-GCM-SHA256"`; see
    /// [`crate::openssl_cipher_name`]).
    pub cipher: Option<String>,
    /// `-sigalgs`, e.g. `"ECDSA+SHA256:rsa_pss_rsae_sha256"`.
    pub sigalgs: Option<String>,
    /// Client certificate request (`-verify 1` / `-Verify 1`, plus `-verify_return_error`).
    pub client_auth: Option<ClientAuth>,
    /// `-early_data`: accept 0-RTT data.
    pub early_data: bool,
    /// What to do with application data.
    pub mode: OpensslServerMode,
    /// `-naccept N`: exit after N connections.
    pub naccept: Option<u32>,
    /// `-brief`: print "Protocol version:" and "Ciphersuite:" (stderr) instead of the long
    /// report ("CIPHER is", "Reused session-id" on stdout).
    pub brief: bool,
    /// Anything else, appended last.
    pub extra_args: Vec<String>,
}

impl OpensslServerOpts {
    /// Serve `id` (`-cert`, `-key`) and trust its issuing CA for client certificates.
    pub fn new(id: &Identity) -> Self {
        OpensslServerOpts {
            cert: Some(id.cert_path()),
            key: Some(id.key_path()),
            ca_file: Some(id.ca_path()),
            ..Self::default()
        }
    }
    /// Only TLS 1.3.
    pub fn tls13(mut self) -> Self {
        self.version = Some(TlsVersion::Tls13);
        self
    }
    /// Only TLS 1.2.
    pub fn tls12(mut self) -> Self {
        self.version = Some(TlsVersion::Tls12);
        self
    }
    /// Only `v`.
    pub fn version(mut self, v: TlsVersion) -> Self {
        self.version = Some(v);
        self
    }
    /// `-groups`.
    pub fn groups(mut self, groups: &str) -> Self {
        self.groups = Some(groups.to_owned());
        self
    }
    /// `-ciphersuites` (TLS 1.3).
    pub fn ciphersuites(mut self, suites: &str) -> Self {
        self.ciphersuites = Some(suites.to_owned());
        self
    }
    /// `-cipher` (TLS 1.2).
    pub fn cipher(mut self, cipher: &str) -> Self {
        self.cipher = Some(cipher.to_owned());
        self
    }
    /// `-sigalgs`.
    pub fn sigalgs(mut self, sigalgs: &str) -> Self {
        self.sigalgs = Some(sigalgs.to_owned());
        self
    }
    /// Send the leaf and its CA (`-cert_chain chain.pem`).
    pub fn with_chain(mut self, id: &Identity) -> Self {
        self.cert_chain = Some(id.chain_path());
        self
    }
    /// `-verify 1` or `-Verify 1`.
    pub fn client_auth(mut self, mode: ClientAuth) -> Self {
        self.client_auth = Some(mode);
        self
    }
    /// `-early_data`.
    pub fn early_data(mut self) -> Self {
        self.early_data = true;
        self
    }
    /// `-www`.
    pub fn www(mut self) -> Self {
        self.mode = OpensslServerMode::Www;
        self
    }
    /// `-rev`.
    pub fn rev(mut self) -> Self {
        self.mode = OpensslServerMode::Rev;
        self
    }
    /// `-naccept n`.
    pub fn naccept(mut self, n: u32) -> Self {
        self.naccept = Some(n);
        self
    }
    /// `-brief`.
    pub fn brief(mut self) -> Self {
        self.brief = true;
        self
    }
    /// Appends raw arguments.
    pub fn args<S: AsRef<str>>(mut self, args: &[S]) -> Self {
        self.extra_args
            .extend(args.iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// The `s_server` arguments for `port`.
    pub fn to_args(&self, port: u16) -> Vec<String> {
        let mut a = vec![
            "s_server".to_owned(),
            "-accept".to_owned(),
            format!("127.0.0.1:{port}"),
        ];
        if let Some(v) = self.version {
            a.push(version_flag(v).to_owned());
        }
        push_path(&mut a, "-cert", self.cert.as_ref());
        push_path(&mut a, "-key", self.key.as_ref());
        push_path(&mut a, "-cert_chain", self.cert_chain.as_ref());
        push_path(&mut a, "-CAfile", self.ca_file.as_ref());
        push_opt(&mut a, "-groups", self.groups.as_ref());
        push_opt(&mut a, "-ciphersuites", self.ciphersuites.as_ref());
        push_opt(&mut a, "-cipher", self.cipher.as_ref());
        push_opt(&mut a, "-sigalgs", self.sigalgs.as_ref());
        match self.client_auth {
            None => {}
            // Without -verify_return_error s_server logs a bad client certificate and carries on.
            Some(ClientAuth::Request) => {
                a.extend(["-verify", "1", "-verify_return_error"].map(String::from));
            }
            Some(ClientAuth::Require) => {
                a.extend(["-Verify", "1", "-verify_return_error"].map(String::from));
            }
        }
        if self.early_data {
            a.push("-early_data".to_owned());
        }
        match self.mode {
            OpensslServerMode::Interactive => {}
            OpensslServerMode::Www => a.push("-www".to_owned()),
            OpensslServerMode::Rev => a.push("-rev".to_owned()),
        }
        if let Some(n) = self.naccept {
            a.push("-naccept".to_owned());
            a.push(n.to_string());
        }
        if self.brief {
            a.push("-brief".to_owned());
        }
        a.extend(self.extra_args.iter().cloned());
        a
    }
}

/// A running `openssl s_server` on 127.0.0.1; killed on drop.
///
/// Derefs to [`PeerProcess`] for output inspection and stdin.
#[derive(Debug)]
pub struct OpensslServer {
    process: PeerProcess,
    port: u16,
}

impl OpensslServer {
    /// Starts `s_server` on a free port and waits (up to 10 s) until it listens.
    ///
    /// # Panics
    /// If `openssl` cannot start, exits early, or never listens (with its output).
    pub fn start(opts: &OpensslServerOpts) -> Self {
        // s_server prints this and exits with status 0 when the port is taken.
        let (process, port) = start_server(
            "openssl",
            &|port| opts.to_args(port),
            "Address already in use",
            DEFAULT_TIMEOUT,
        );
        OpensslServer { process, port }
    }
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }
    /// Closes stdin, waits up to `timeout` for exit (kills it otherwise) and returns the output.
    pub fn finish(self, timeout: Duration) -> PeerOutput {
        self.process.finish(timeout)
    }
}

impl Deref for OpensslServer {
    type Target = PeerProcess;
    fn deref(&self) -> &PeerProcess {
        &self.process
    }
}
impl DerefMut for OpensslServer {
    fn deref_mut(&mut self) -> &mut PeerProcess {
        &mut self.process
    }
}

/// Options for [`OpensslClient`]. Verification is on by default (`-verify_return_error` and
/// `-verify_hostname localhost`), so a bad server certificate makes s_client fail.
#[derive(Clone, Debug)]
pub struct OpensslClientOpts {
    /// Port on 127.0.0.1 to connect to.
    pub port: u16,
    /// `-servername` (SNI); `None` sends `-noservername`.
    pub servername: Option<String>,
    /// `-CAfile`.
    pub ca_file: Option<PathBuf>,
    /// `-verify_return_error` plus `-verify_hostname` (when set): fail on a bad certificate.
    pub verify: bool,
    /// `-verify_hostname`: the name the certificate must match.
    pub verify_hostname: Option<String>,
    /// `-tls1_2` / `-tls1_3`; `None` offers both.
    pub version: Option<TlsVersion>,
    /// `-groups`.
    pub groups: Option<String>,
    /// `-ciphersuites` (TLS 1.3).
    pub ciphersuites: Option<String>,
    /// `-cipher` (TLS 1.2).
    pub cipher: Option<String>,
    /// `-sigalgs`.
    pub sigalgs: Option<String>,
    /// `-cert` (client certificate).
    pub cert: Option<PathBuf>,
    /// `-key` (client key).
    pub key: Option<PathBuf>,
    /// `-sess_out`: write the session (ticket) here.
    pub sess_out: Option<PathBuf>,
    /// `-sess_in`: resume this session.
    pub sess_in: Option<PathBuf>,
    /// `-early_data FILE`: send this file as 0-RTT data (needs `sess_in`).
    pub early_data: Option<PathBuf>,
    /// `-brief`.
    pub brief: bool,
    /// Bytes written to stdin (sent to the server after the handshake).
    pub stdin: Vec<u8>,
    /// [`OpensslClient::run`] keeps stdin open until this text appears on stdout (e.g. the
    /// server's echo), then closes it; s_client then sends close_notify and exits.
    pub expect: Option<String>,
    /// Bound on every wait in [`OpensslClient::run`].
    pub timeout: Duration,
    /// Anything else, appended last.
    pub extra_args: Vec<String>,
}

impl OpensslClientOpts {
    /// Connect to 127.0.0.1:`port` as "localhost", trusting `ca_file`.
    pub fn new(port: u16, ca_file: impl AsRef<Path>) -> Self {
        OpensslClientOpts {
            port,
            servername: Some(crate::SERVER_NAME.to_owned()),
            ca_file: Some(ca_file.as_ref().to_path_buf()),
            verify: true,
            verify_hostname: Some(crate::SERVER_NAME.to_owned()),
            version: None,
            groups: None,
            ciphersuites: None,
            cipher: None,
            sigalgs: None,
            cert: None,
            key: None,
            sess_out: None,
            sess_in: None,
            early_data: None,
            brief: false,
            stdin: Vec::new(),
            expect: None,
            timeout: DEFAULT_TIMEOUT,
            extra_args: Vec::new(),
        }
    }
    /// Only TLS 1.3.
    pub fn tls13(mut self) -> Self {
        self.version = Some(TlsVersion::Tls13);
        self
    }
    /// Only TLS 1.2.
    pub fn tls12(mut self) -> Self {
        self.version = Some(TlsVersion::Tls12);
        self
    }
    /// Only `v`.
    pub fn version(mut self, v: TlsVersion) -> Self {
        self.version = Some(v);
        self
    }
    /// `-groups`.
    pub fn groups(mut self, groups: &str) -> Self {
        self.groups = Some(groups.to_owned());
        self
    }
    /// `-ciphersuites`.
    pub fn ciphersuites(mut self, suites: &str) -> Self {
        self.ciphersuites = Some(suites.to_owned());
        self
    }
    /// `-cipher`.
    pub fn cipher(mut self, cipher: &str) -> Self {
        self.cipher = Some(cipher.to_owned());
        self
    }
    /// `-sigalgs`.
    pub fn sigalgs(mut self, sigalgs: &str) -> Self {
        self.sigalgs = Some(sigalgs.to_owned());
        self
    }
    /// Present `id` as the client certificate.
    pub fn client_cert(mut self, id: &Identity) -> Self {
        self.cert = Some(id.cert_path());
        self.key = Some(id.key_path());
        self
    }
    /// `-sess_out`.
    pub fn sess_out(mut self, path: impl AsRef<Path>) -> Self {
        self.sess_out = Some(path.as_ref().to_path_buf());
        self
    }
    /// `-sess_in`.
    pub fn sess_in(mut self, path: impl AsRef<Path>) -> Self {
        self.sess_in = Some(path.as_ref().to_path_buf());
        self
    }
    /// `-early_data FILE`.
    pub fn early_data(mut self, path: impl AsRef<Path>) -> Self {
        self.early_data = Some(path.as_ref().to_path_buf());
        self
    }
    /// `-servername` (or `None` for `-noservername`); also the name verified.
    pub fn servername(mut self, name: Option<&str>) -> Self {
        self.servername = name.map(str::to_owned);
        self.verify_hostname = name.map(str::to_owned);
        self
    }
    /// Do not fail on a bad certificate (s_client's own default).
    pub fn no_verify(mut self) -> Self {
        self.verify = false;
        self
    }
    /// `-brief`.
    pub fn brief(mut self) -> Self {
        self.brief = true;
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

    /// The `s_client` arguments.
    pub fn to_args(&self) -> Vec<String> {
        let mut a = vec![
            "s_client".to_owned(),
            "-connect".to_owned(),
            format!("127.0.0.1:{}", self.port),
        ];
        match &self.servername {
            Some(n) => {
                a.push("-servername".to_owned());
                a.push(n.clone());
            }
            None => a.push("-noservername".to_owned()),
        }
        push_path(&mut a, "-CAfile", self.ca_file.as_ref());
        if self.verify {
            a.push("-verify_return_error".to_owned());
            push_opt(&mut a, "-verify_hostname", self.verify_hostname.as_ref());
        }
        if let Some(v) = self.version {
            a.push(version_flag(v).to_owned());
        }
        push_opt(&mut a, "-groups", self.groups.as_ref());
        push_opt(&mut a, "-ciphersuites", self.ciphersuites.as_ref());
        push_opt(&mut a, "-cipher", self.cipher.as_ref());
        push_opt(&mut a, "-sigalgs", self.sigalgs.as_ref());
        push_path(&mut a, "-cert", self.cert.as_ref());
        push_path(&mut a, "-key", self.key.as_ref());
        push_path(&mut a, "-sess_out", self.sess_out.as_ref());
        push_path(&mut a, "-sess_in", self.sess_in.as_ref());
        push_path(&mut a, "-early_data", self.early_data.as_ref());
        if self.brief {
            a.push("-brief".to_owned());
        }
        a.extend(self.extra_args.iter().cloned());
        a
    }
}

/// Runs `openssl s_client`.
#[derive(Debug)]
pub struct OpensslClient;

impl OpensslClient {
    /// Connects, sends `opts.stdin`, waits for `opts.expect` on stdout (if set), closes stdin
    /// and waits for exit; kills it after `opts.timeout`.
    pub fn run(opts: &OpensslClientOpts) -> PeerOutput {
        run_client(
            "openssl",
            &opts.to_args(),
            &opts.stdin,
            opts.expect.as_deref(),
            opts.timeout,
        )
    }

    /// Starts s_client and leaves it running (for interactive tests: [`PeerProcess::send`],
    /// [`PeerProcess::expect_output`]). `opts.stdin` is sent at once; `expect` is ignored.
    ///
    /// # Panics
    /// If `openssl` cannot be started.
    pub fn spawn(opts: &OpensslClientOpts) -> PeerProcess {
        let mut p = PeerProcess::spawn("openssl", &opts.to_args())
            .unwrap_or_else(|e| panic!("cannot start openssl: {e}"));
        if !opts.stdin.is_empty() {
            p.send(&opts.stdin);
        }
        p
    }
}

/// The OpenSSL name (for `-cipher`) of a TLS 1.2 AEAD suite given by its IANA name, for the
/// suites clasp implements. TLS 1.3 suites keep their IANA names in OpenSSL.
pub fn openssl_cipher_name(iana: &str) -> Option<&'static str> {
    Some(match iana {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" => "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" => "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" => "DHE-RSA-AES128-GCM-SHA256",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" => "DHE-RSA-AES256-GCM-SHA384",
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" => "DHE-RSA-CHACHA20-POLY1305",
        "TLS_RSA_WITH_AES_128_GCM_SHA256" => "AES128-GCM-SHA256",
        "TLS_RSA_WITH_AES_256_GCM_SHA384" => "AES256-GCM-SHA384",
        _ => return None,
    })
}
