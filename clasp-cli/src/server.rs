//! `clasp server`: a real HTTPS server (hyper, HTTP/1.1 and HTTP/2 by ALPN) over clasp-tokio.
//!
//! Its default page shows the visitor their own handshake ("how's my TLS"): the ClientHello they
//! sent, what was agreed, their JA4 fingerprint and the message ladder (see [`crate::server_page`]).
//! With `--root DIR` it also serves static files. Each connection is its own tokio task; a
//! connection that fails (no handshake, garbage, a bad client certificate) logs one line to
//! stderr and never stops the server. Every TLS decision is the library's.

use std::convert::Infallible;
use std::error::Error as _;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use bytes::Bytes;
use clasp::crypto::aws_lc::SHA256;
use clasp::crypto::Hash as _;
use clasp::msgs::enums::ProtocolVersion;
use clasp::trace::Observer;
use clasp::{ClientAuth, ServerConfig};
use clasp_tokio::TlsAcceptor;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, EXPECT};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

use crate::escape::printable;
use crate::exit;
use crate::knobs::{self, NameList};
use crate::local;
use crate::out::outln;
use crate::server_files::{safe_relative_path, Files, Lookup};
use crate::server_limits::{
    is_resource_exhaustion, ConnSlot, Cut, Limits, Registry, StormLog, TrackedBody, UnreadBody,
};
use crate::server_page::{self, Capture, HandshakeInfo};

/// `eprintln!` in one `write(2)`. Rust's stderr is unbuffered, so `eprintln!` writes each
/// formatted piece on its own: seven system calls for the per-connection line, measured by `perf`
/// at about 5% of the server's CPU under a stream of new connections (issue 14 item 6).
macro_rules! logln {
    ($($arg:tt)*) => {
        log_line(format_args!($($arg)*))
    };
}

fn log_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut line = args.to_string();
    line.push('\n');
    // A closed or full stderr must not stop the server: the line is dropped.
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

const SERVER_HELP: &str = "\
Examples:
  clasp server                                   self-signed cert for localhost, https://127.0.0.1:8443/
  clasp server --cert cert.pem --key key.pem --port 443 --listen 0.0.0.0
  clasp server --root ./site                     also serve files from ./site
  clasp server --client-auth ca.pem              require a client certificate issued by ca.pem
  clasp server --tls12 --allow-rsa-kx --allow-dhe    TLS 1.2 only, with RSA and DHE key exchange
  clasp server --max-connections 4000 --idle-timeout 30    more connections, shorter keep-alive
  clasp server --cert cert.pem --key key.pem --ocsp staple.der    staple an OCSP response
  curl --cacert ca.pem https://localhost:8443/
  curl -k --http2 https://127.0.0.1:8443/handshake.json

Pages:
  /                  how's my TLS: your ClientHello, what was negotiated, your JA4, the ladder
                     (with --root, DIR/index.html is served here instead when it exists)
  /handshake.json    the same as JSON
  /PATH              with --root: the file DIR/PATH (`..` refused, 404 when missing)

  POST /echo         with --echo: answers the SHA-256 (hex) of the request body
  GET /bytes/N       with --echo: N bytes (at most 16 MiB), byte i being i mod 251

HTTP/2 or HTTP/1.x is chosen by ALPN (h2, http/1.1, http/1.0); clients without ALPN get HTTP/1.x.

Limits (all flags above have safe defaults): at --max-connections in total, or
--max-connections-per-ip from one address, a new connection takes the place of the connection
idle longest (in its handshake, waiting for a request, or between keep-alive requests); if all
are busy serving a request, the new one is closed at once. Idle connections are cut after
--idle-timeout, as are busy ones on which nothing moved for that long. When the process runs
out of file descriptors it closes an idle connection, backs off and keeps serving; such errors
are logged once per 10 s. Counters are logged every --stats-interval seconds when they change.

\"listening on https://ADDR:PORT/\" is printed to stdout once the socket is bound. Per-connection
failures (no handshake, bad client certificate) are logged to stderr and do not stop the server.

With --keylog FILE, or when SSLKEYLOGFILE names a file, every connection's TLS secrets are appended
to that file (created owner-only) for Wireshark; a warning naming it is printed at startup.

Algorithms: --groups, --suites and --sigalgs take comma-separated IANA names (an unknown name is a usage
error listing the valid ones); --require-ems refuses TLS 1.2 clients without the extended master
secret (RFC 7627); --tickets N sets the TLS 1.3 session tickets sent per full handshake.
  clasp server --listen ::1 --groups x25519 --suites TLS_AES_256_GCM_SHA384 --tickets 0

Exit codes:
  0  stdout was closed (e.g. `clasp server | head -1`): the server stops quietly
  2  usage error (bad flags, unreadable or unusable certificate/key/CA/key log files, unknown
     --groups/--suites names, a TLS 1.3-only group or suite with --tls12)
  3  the address could not be bound";

/// Concurrent HTTP/2 streams per connection (RFC 9113 §5.1.2: SETTINGS_MAX_CONCURRENT_STREAMS;
/// 100 is the value the RFC recommends as a minimum, and what a browser needs).
const H2_MAX_STREAMS: u32 = 100;

/// Largest response `GET /bytes/N` sends (`--echo`).
const MAX_BYTES_RESPONSE: usize = 16 << 20;

fn secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !(0.0..=86_400.0).contains(&v) {
        return Err("must be between 0 and 86400 seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

/// `clasp server` flags.
#[derive(clap::Args, Debug)]
#[command(after_help = SERVER_HELP)]
pub struct Args {
    /// Certificate chain (PEM, end-entity first); needs --key. Without both, a self-signed
    /// certificate for localhost and 127.0.0.1 is generated and its SHA-256 fingerprint printed.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1) for --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// TCP port (0 picks a free one; the one chosen is printed).
    #[arg(long, default_value_t = 8443)]
    pub port: u16,
    /// Address to listen on (e.g. 0.0.0.0, ::1 or [::1]).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1", value_parser = parse_listen)]
    pub listen: IpAddr,
    /// Serve static files from DIR (paths with `..` are refused). Files up to 256 KiB are kept in
    /// memory (256 at most) and read again as soon as they change.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Require a client certificate issued by a CA in CA_FILE (PEM).
    #[arg(long, value_name = "CA_FILE", conflicts_with = "client_auth_optional")]
    pub client_auth: Option<PathBuf>,
    /// Ask for a client certificate issued by a CA in CA_FILE, but accept clients without one.
    #[arg(long, value_name = "CA_FILE")]
    pub client_auth_optional: Option<PathBuf>,
    /// Enable TLS 1.2 RSA key exchange (no forward secrecy; off by default).
    #[arg(long)]
    pub allow_rsa_kx: bool,
    /// Enable TLS 1.2 finite-field DHE (RFC 7919 groups; off by default).
    #[arg(long)]
    pub allow_dhe: bool,
    /// Only TLS 1.2.
    #[arg(long, conflicts_with = "tls13")]
    pub tls12: bool,
    /// Only TLS 1.3.
    #[arg(long)]
    pub tls13: bool,
    /// Append every connection's TLS secrets to FILE in the NSS key log format, for Wireshark
    /// (the SSLKEYLOGFILE environment variable does the same; a warning is printed).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Seconds a client has to finish its TLS handshake.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = secs)]
    pub handshake_timeout: Duration,
    /// Seconds a client has to send an HTTP/1 request head (counted from when the server starts
    /// waiting for it, so it also bounds the wait between keep-alive requests).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = secs)]
    pub header_timeout: Duration,
    /// Seconds a connection may stay idle (no request in flight), or busy with nothing moving,
    /// before it is closed (HTTP/1 keep-alive and HTTP/2).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = secs)]
    pub idle_timeout: Duration,
    /// HTTP/2: seconds between keep-alive PINGs, and to wait for each answer (0: no PINGs).
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = secs)]
    pub h2_keepalive: Duration,
    /// Largest request head in bytes (HTTP/1 buffer, HTTP/2 header list).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024,
          value_parser = clap::value_parser!(u32).range(8192..=1 << 20))]
    pub max_head_bytes: u32,
    /// Largest request body in bytes (uploads to /echo).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: u64,
    /// Connections held at once (keep it below `ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Connections held at once from one client address.
    #[arg(long, value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_ip: u32,
    /// Seconds between counter log lines (0: never).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = secs)]
    pub stats_interval: Duration,
    /// Test endpoints: POST /echo answers the SHA-256 of the body, GET /bytes/N sends N bytes.
    #[arg(long)]
    pub echo: bool,
    // ---- issue 12 item 3: algorithm knobs (flags only; applied in `apply_knobs`) ----
    /// Key-exchange groups, in preference order, as IANA names (e.g. `--groups x25519,ffdhe2048`).
    #[arg(long, value_name = "LIST", value_parser = knobs::parse_list)]
    pub groups: Option<NameList>,
    /// Cipher suites, in preference order, as IANA names (e.g.
    /// `--suites TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`).
    #[arg(long, value_name = "LIST", value_parser = knobs::parse_list)]
    pub suites: Option<NameList>,
    /// Signature schemes the server may sign with, as IANA names (e.g.
    /// `--sigalgs rsa_pss_rsae_sha256`); the client's order decides among them.
    #[arg(long, value_name = "LIST", value_parser = knobs::parse_list)]
    pub sigalgs: Option<NameList>,
    /// TLS 1.2: refuse clients that do not negotiate the extended master secret (RFC 7627).
    #[arg(long)]
    pub require_ems: bool,
    /// External PSK (TLS 1.3) accepted from clients that offer its identity; they get no
    /// certificate. Others get the certificate, unless --psk-only.
    #[command(flatten)]
    pub psk: knobs::PskArgs,
    /// With --psk-identity: serve no certificate at all (TLS 1.3 only); a client without the
    /// PSK is refused with unknown_psk_identity.
    #[arg(long, requires = "psk_identity", conflicts_with_all = ["cert", "tls12"])]
    pub psk_only: bool,
    /// TLS 1.3 NewSessionTickets sent after each full handshake (0: none).
    #[arg(long, value_name = "N")]
    pub tickets: Option<usize>,
    /// Staple this DER OCSP response (RFC 6960) to clients that ask (RFC 6066 §8 status_request;
    /// TLS 1.2 and 1.3). The file is checked for changes every 2 s at most, when a client asks;
    /// a bad or missing file keeps the previous response (e.g. `--ocsp staple.der`).
    #[arg(long, value_name = "FILE")]
    pub ocsp: Option<PathBuf>,
}

impl Args {
    fn limits(&self) -> Limits {
        let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
        Limits {
            handshake_timeout: self.handshake_timeout,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            h2_keepalive: nonzero(self.h2_keepalive),
            max_head_bytes: self.max_head_bytes as usize,
            max_connections: self.max_connections as usize,
            max_connections_per_ip: self.max_connections_per_ip as usize,
            stats_interval: nonzero(self.stats_interval),
        }
    }
}

/// `--listen`: an IP address, IPv6 with or without brackets (`::1`, `[::1]`).
fn parse_listen(s: &str) -> Result<IpAddr, String> {
    let bare = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse().map_err(|_| {
        format!(
            "'{}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1 or [::1]; the port is --port)",
            printable(s)
        )
    })
}

/// Applies the algorithm knobs to the builder.
fn apply_knobs(
    mut b: clasp::config::ServerConfigBuilder,
    args: &Args,
) -> Result<clasp::config::ServerConfigBuilder, String> {
    if let Some(list) = &args.groups {
        b = b.with_groups(&knobs::groups(list, args.tls12)?);
    }
    if let Some(list) = &args.suites {
        let suites = knobs::suites(list, args.tls12, args.tls13)?;
        for (kx, flag, allowed) in [
            (
                clasp::suites::KeyExchange::Rsa,
                "--allow-rsa-kx",
                args.allow_rsa_kx,
            ),
            (
                clasp::suites::KeyExchange::Dhe,
                "--allow-dhe",
                args.allow_dhe,
            ),
        ] {
            if let (Some(s), false) = (knobs::needs(&suites, kx), allowed) {
                return Err(format!("--suites: {s} needs {flag}"));
            }
        }
        b = b.with_cipher_suites(&suites);
    }
    if args.require_ems {
        b = b.require_ems();
    }
    if let Some(n) = args.tickets {
        b = b.with_tickets(n);
    }
    Ok(b)
}

/// Runs the server until it is killed. Returns an exit code only on a startup failure.
pub fn run(args: &Args) -> u8 {
    let config = match build_config(args) {
        Ok(c) => Arc::new(c),
        Err(msg) => {
            eprintln!("clasp server: {}", printable(&msg));
            return exit::USAGE;
        }
    };
    let root = match &args.root {
        Some(dir) => match dir.canonicalize() {
            Ok(d) if d.is_dir() => Some(Files::new(d)),
            _ => {
                eprintln!("clasp server: --root {}: not a directory", dir.display());
                return exit::USAGE;
            }
        },
        None => None,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clasp server: cannot start the runtime: {e}");
            return exit::USAGE;
        }
    };
    let site = Arc::new(Site {
        root,
        echo: args.echo,
        max_body: args.max_body_bytes,
        body_timeout: args.idle_timeout,
    });
    rt.block_on(serve(
        SocketAddr::new(args.listen, args.port),
        TlsAcceptor::from(config),
        site,
        Registry::new(args.limits()),
    ))
}

/// What the HTTP side serves, shared by all connections.
#[derive(Debug)]
struct Site {
    /// `--root`: the files, with their cache.
    root: Option<Files>,
    echo: bool,
    max_body: u64,
    /// Time allowed for a whole request body (a body dripped slowly enough never stalls).
    body_timeout: Duration,
}

fn build_config(args: &Args) -> Result<ServerConfig, String> {
    let mut b = ServerConfig::builder()
        // RFC 7301 §3.2: a client whose list shares nothing with ours gets no_application_protocol,
        // so "http/1.0" is listed too (curl --http1.0 offers only that).
        .with_alpn_protocols(vec![
            b"h2".to_vec(),
            b"http/1.1".to_vec(),
            b"http/1.0".to_vec(),
        ])
        .allow_rsa_key_exchange(args.allow_rsa_kx)
        .allow_dhe(args.allow_dhe)
        // The page shows the client's JA4 and hello summary (`ServerConnection::client_hello`).
        .retain_client_hello(true);
    if let Some(psk) = args.psk.external_psk()? {
        b = b
            .with_external_psk(psk)
            .with_psk_key_exchange_modes(&args.psk.modes());
    }
    let (chain, key) = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => local::load_identity(
            ("--cert", cert),
            ("--key", key),
            &clasp::crypto::aws_lc::default_provider(),
        )?,
        // --psk-only: no certificate (the builder then speaks TLS 1.3 only).
        _ if args.psk_only => return build_rest(b, args),
        _ => self_signed()?,
    };
    b = match &args.sigalgs {
        Some(list) => b.with_cert_resolver(Arc::new(knobs::cert_with_schemes(
            chain,
            key,
            knobs::sigalgs(list)?,
        )?)),
        None => b.with_single_cert(chain, key),
    };
    build_rest(b, args)
}

/// The rest of the server configuration, after the certificate (or none, with --psk-only).
fn build_rest(
    mut b: clasp::config::ServerConfigBuilder,
    args: &Args,
) -> Result<ServerConfig, String> {
    if let Some(ca) = &args.client_auth {
        b = b.with_client_auth(ClientAuth::Required(local::load_roots(
            "--client-auth",
            ca,
        )?));
    } else if let Some(ca) = &args.client_auth_optional {
        b = b.with_client_auth(ClientAuth::Optional(local::load_roots(
            "--client-auth-optional",
            ca,
        )?));
    }
    if let Some(k) = local::key_log("clasp server", args.keylog.as_deref())? {
        b = b.with_key_log(k);
    }
    b = apply_knobs(b, args)?;
    if let Some(path) = &args.ocsp {
        let file = crate::server_ocsp::OcspFile::load(path)?;
        eprintln!(
            "clasp server: stapling the OCSP response in {} ({} bytes); reloaded when it changes",
            printable(&path.display().to_string()),
            file.current().len()
        );
        b = b.with_ocsp_responder(Arc::new(file));
    }
    if args.tls12 {
        b = b.with_protocol_versions(&[ProtocolVersion::TLSv1_2]);
    } else if args.tls13 {
        b = b.with_protocol_versions(&[ProtocolVersion::TLSv1_3]);
    }
    b.build().map_err(|e| format!("configuration: {e}"))
}

/// Generates a self-signed ECDSA P-256 certificate for localhost and 127.0.0.1 and prints how to
/// trust it.
fn self_signed() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let err = |e: rcgen::Error| format!("generating a certificate: {e}");
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(err)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "clasp server (self-signed)");
    let cert = params.self_signed(&key).map_err(err)?;
    let fp = SHA256.hash(cert.der());
    let spki = SHA256.hash(&key.public_key_der());
    outln!("self-signed certificate for localhost, 127.0.0.1");
    outln!(
        "  SHA-256 fingerprint: {}",
        fp.as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    );
    outln!(
        "  SPKI SHA-256 (base64, for chromium --ignore-certificate-errors-spki-list): {}",
        base64(spki.as_ref())
    );
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

/// Standard base64 with padding (RFC 4648 §4), for printing a fingerprint.
fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

async fn serve(
    addr: SocketAddr,
    acceptor: TlsAcceptor,
    site: Arc<Site>,
    registry: Arc<Registry>,
) -> u8 {
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("clasp server: cannot listen on {addr}: {e}");
            return exit::CONNECT;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    outln!("listening on https://{local}/");
    tokio::spawn(registry.clone().log_stats());
    let mut storm = StormLog::default();
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                registry
                    .stats()
                    .accept_errors
                    .fetch_add(1, Ordering::Relaxed);
                storm.log(&format!("accept: {e}"));
                if is_resource_exhaustion(&e) {
                    // Out of descriptors (or memory): close the longest-idle connection to make
                    // room, and back off rather than spin on an error that will repeat.
                    let pause = if registry.evict_one() { 5 } else { 100 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                continue;
            }
        };
        // Past a cap with every connection busy: closed at once, before a byte is read.
        let Some(slot) = registry.admit(peer.ip()) else {
            drop(tcp);
            continue;
        };
        let acceptor = acceptor.clone();
        let site = site.clone();
        let registry = registry.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = connection(&acceptor, tcp, peer, &site, &registry, &slot) => {}
                cut = slot.watchdog() => {
                    registry.stats().count_cut(cut);
                    match cut {
                        Cut::Idle => logln!("{peer}: closed: idle"),
                        Cut::Stalled => logln!("{peer}: closed: stalled"),
                        // Only counted: under a flood at the cap there is one per new connection.
                        Cut::Evicted => {}
                    }
                }
            }
        });
    }
}

/// One connection: handshake, capture the handshake for the page, then HTTP until it closes.
async fn connection(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    site: &Arc<Site>,
    registry: &Arc<Registry>,
    slot: &ConnSlot,
) {
    let limits = registry.limits();
    let stats = registry.stats();
    // Only copies the handshake's messages; the page is built from them if a request asks.
    let capture = Arc::new(Capture::default());
    let obs_dyn: Arc<dyn Observer> = capture.clone();
    let accept = acceptor.accept_with(slot.track(tcp), |c| c.set_observer(obs_dyn));
    let mut tls = match tokio::time::timeout(limits.handshake_timeout, accept).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            stats.handshake_failures.fetch_add(1, Ordering::Relaxed);
            // The error may quote the client (a certificate's names): escaped.
            logln!(
                "{peer}: TLS handshake failed: {}",
                printable(&e.to_string())
            );
            return;
        }
        Err(_) => {
            stats.handshake_timeouts.fetch_add(1, Ordering::Relaxed);
            logln!("{peer}: TLS handshake timed out");
            return;
        }
    };
    // Also moves the retained ClientHello (up to 64 KiB) out of the connection.
    let info = Arc::new(HandshakeInfo::capture(tls.get_mut().1, &capture));
    drop(capture);
    let n = info.negotiated();
    let h2 = n.alpn_protocol.as_deref() == Some(&b"h2"[..]);
    let tls13 = n.version == Some(ProtocolVersion::TLSv1_3);
    // JA4 is on the page (/handshake.json), not here: computing it costs a parse and two hashes
    // per connection, which a static-file visitor should not pay.
    logln!(
        "{peer}: {} {} {}",
        n.version.map_or_else(|| "none".into(), |v| v.to_string()),
        n.cipher_suite
            .map_or_else(|| "none".into(), |v| v.to_string()),
        printable(
            &n.alpn_protocol
                .as_deref()
                .map_or_else(|| "none".into(), String::from_utf8_lossy)
        )
    );

    let svc = service_fn(|req| {
        let busy = slot.busy();
        let info = info.clone();
        let site = site.clone();
        let registry = registry.clone();
        async move {
            let mut resp = respond(req, &info, &site, registry.stats()).await;
            let unread = resp.extensions_mut().remove::<UnreadBody>();
            Ok::<_, Infallible>(resp.map(|body| TrackedBody::new(body, busy).holding(unread)))
        }
    });
    let io = TokioIo::new(tls);
    let result = if h2 {
        let mut b = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        b.timer(TokioTimer::new())
            .max_concurrent_streams(H2_MAX_STREAMS)
            .max_header_list_size(u32::try_from(limits.max_head_bytes).unwrap_or(u32::MAX))
            .keep_alive_interval(limits.h2_keepalive);
        if let Some(t) = limits.h2_keepalive {
            b.keep_alive_timeout(t);
        }
        b.serve_connection(io, svc).await
    } else {
        let http1 = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            // A client may send its request and then close_notify (`clasp client` does at stdin
            // EOF): in TLS 1.3 that closes only its write side (RFC 8446 §6.1), and the answer is
            // still owed; hyper dropped the request when the close_notify arrived in the same
            // read. In TLS 1.2 the receiver "MUST respond with a close_notify alert of its own
            // and close down the connection immediately, discarding any pending writes"
            // (RFC 5246 §7.2.1), so there it stays off.
            .half_close(tls13)
            // At least hyper's minimum (8 KiB), which the flag's range guarantees.
            .max_buf_size(limits.max_head_bytes)
            .serve_connection(io, svc);
        // Without hyper's own shutdown, so the close can linger (below).
        match http1.without_shutdown().await {
            Ok(parts) => {
                lingering_close(parts.io.into_inner()).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    };
    if let Err(e) = result {
        if e.is_timeout() {
            stats.header_timeouts.fetch_add(1, Ordering::Relaxed);
            logln!("{peer}: request head not received in time");
        } else if !is_disconnect(&e) {
            logln!("{peer}: {}", printable(&e.to_string()));
        }
    }
}

/// How long, and how much, a closing HTTP/1 connection still reads and discards.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 256 * 1024;

/// Lingering close, RFC 9112 §9.6: a server that closes after a response (an upload refused with
/// 413 before its body was read, a client that asked for `Connection: close`) must not close while
/// request bytes are still arriving: the kernel answers them with a TCP reset, and a reset can
/// destroy the response before the client has read it. So the write side is closed first
/// (close_notify, then FIN) and what the client still sends is read and thrown away, undecrypted,
/// until it closes too or the bounds run out.
async fn lingering_close<IO>(mut tls: clasp_tokio::server::TlsStream<IO>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let drain = async {
        tls.shutdown().await?;
        let tcp = tls.get_mut().0;
        let mut buf = [0u8; 8192];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match tcp.read(&mut buf).await? {
                0 => break,
                n => left = left.saturating_sub(n),
            }
        }
        Ok::<_, io::Error>(())
    };
    // Errors and the time limit end the linger the same way: the connection is dropped.
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// A client that just went away (without close_notify, or mid-request) is normal for a web
/// server; only other errors are worth a log line.
fn is_disconnect(e: &hyper::Error) -> bool {
    if e.is_incomplete_message() || e.is_canceled() {
        return true;
    }
    let mut src = e.source();
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
            );
        }
        src = s.source();
    }
    false
}

fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn text(status: StatusCode, msg: &str) -> Response<Bytes> {
    response(status, "text/plain; charset=utf-8", format!("{msg}\n"))
}

async fn respond(
    req: Request<Incoming>,
    info: &HandshakeInfo,
    site: &Site,
    stats: &crate::server_limits::Stats,
) -> Response<Bytes> {
    if site.echo {
        if let Some(r) = echo(req.method(), req.uri().path()) {
            return r;
        }
        if req.method() == Method::POST && req.uri().path() == "/echo" {
            let r = echo_upload(req, site.max_body, site.body_timeout).await;
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                stats.too_large.fetch_add(1, Ordering::Relaxed);
            }
            return r;
        }
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    get(req.uri().path(), req.version(), info, site).await
}

/// GET and HEAD. The page is built (once per connection) only for `/` without an index.html and
/// for `/handshake.json`; a static file never touches it.
async fn get(
    path: &str,
    version: hyper::Version,
    info: &HandshakeInfo,
    site: &Site,
) -> Response<Bytes> {
    let http = server_page::http_version_name(version);
    if path == "/handshake.json" {
        return response(
            StatusCode::OK,
            "application/json",
            server_page::render_json(info.page(), http),
        );
    }
    if path == "/" {
        // DIR/index.html when it exists (a symlink to outside the root is not served).
        if let Some(Lookup::File(body, ct)) = match &site.root {
            Some(files) => Some(files.get(std::path::Path::new("")).await),
            None => None,
        } {
            return response(StatusCode::OK, ct, body);
        }
        return response(
            StatusCode::OK,
            "text/html; charset=utf-8",
            server_page::render_html(info.page(), http),
        );
    }
    let Some(files) = &site.root else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    let rel = match safe_relative_path(path) {
        Ok(p) => p,
        Err(status) => return text(status, "refused: bad path"),
    };
    match files.get(&rel).await {
        Lookup::File(body, ct) => response(StatusCode::OK, ct, body),
        Lookup::NotFound => text(StatusCode::NOT_FOUND, "not found"),
        Lookup::Outside => text(StatusCode::FORBIDDEN, "refused: outside the root"),
    }
}

/// `GET /bytes/N` (`--echo`): N bytes of a pattern the client can check, byte i = i mod 251.
fn echo(method: &Method, path: &str) -> Option<Response<Bytes>> {
    static PATTERN: LazyLock<Bytes> = LazyLock::new(|| {
        // i % 251 < 256: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let v: Vec<u8> = (0..MAX_BYTES_RESPONSE).map(|i| (i % 251) as u8).collect();
        Bytes::from(v)
    });
    if method != Method::GET {
        return None;
    }
    let n = path.strip_prefix("/bytes/")?;
    Some(match n.parse::<usize>() {
        Ok(n) if n <= MAX_BYTES_RESPONSE => response(
            StatusCode::OK,
            "application/octet-stream",
            PATTERN.slice(..n),
        ),
        _ => text(StatusCode::BAD_REQUEST, "bad length"),
    })
}

/// How much of a refused upload, beyond the limit, is still read and thrown away (and for how
/// long), so that a body a little over the limit ends normally before the 413 goes out. Cut
/// short, the request must be ended by the server: a TCP reset risk in HTTP/1 (see
/// [`lingering_close`]), a RST_STREAM in HTTP/2, which RFC 9113 §8.1 allows (NO_ERROR after a
/// complete response) but which curl 7.88 (Debian 12) reports as a stream error, dropping the
/// response it already has.
const DRAIN_BYTES: u64 = 64 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// Reads and discards `body`; `true` if it ended within `max` bytes.
async fn drain(body: &mut Incoming, max: u64) -> bool {
    let mut left = max;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return false;
        };
        if let Ok(data) = frame.into_data() {
            match left.checked_sub(data.len() as u64) {
                Some(l) => left = l,
                None => return false,
            }
        }
    }
    true
}

/// `r`, answering a request whose `body` was not read to its end: the body goes with the
/// response, to be dropped after it (see [`UnreadBody`]).
fn answered_early(mut r: Response<Bytes>, body: Incoming) -> Response<Bytes> {
    r.extensions_mut().insert(UnreadBody::new(body));
    r
}

/// `POST /echo` (`--echo`): reads the body, at most `max` bytes within `limit`, and answers its
/// SHA-256 in hex. The body is hashed as it arrives, never held whole.
async fn echo_upload(req: Request<Incoming>, max: u64, limit: Duration) -> Response<Bytes> {
    let too_large =
        |body| answered_early(text(StatusCode::PAYLOAD_TOO_LARGE, "body too large"), body);
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // A client waiting for 100 Continue sends nothing unless the body is read: never drain it.
    let waits_for_continue = req.headers().contains_key(EXPECT);
    let mut body = req.into_body();
    if declared.is_some_and(|n| n > max) {
        if !waits_for_continue && declared.is_some_and(|n| n - max <= DRAIN_BYTES) {
            let _ = tokio::time::timeout(DRAIN_TIME, drain(&mut body, DRAIN_BYTES + max)).await;
        }
        return too_large(body);
    }
    // `Ok(None)`: over `max`.
    let read = async {
        let mut hash = SHA256.start();
        let mut total: u64 = 0;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(());
            };
            if let Ok(data) = frame.into_data() {
                total = total.saturating_add(data.len() as u64);
                if total > max {
                    return Ok(None);
                }
                hash.update(&data);
            }
        }
        Ok(Some(hash))
    };
    let hash = match tokio::time::timeout(limit, read).await {
        Ok(Ok(Some(hash))) => hash,
        Ok(Ok(None)) => {
            let _ = tokio::time::timeout(DRAIN_TIME, drain(&mut body, DRAIN_BYTES)).await;
            return too_large(body);
        }
        Ok(Err(())) => return text(StatusCode::BAD_REQUEST, "body not received"),
        Err(_) => {
            let r = text(StatusCode::REQUEST_TIMEOUT, "body not received in time");
            return answered_early(r, body);
        }
    };
    let hex: String = hash
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    text(StatusCode::OK, &hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 item 6: the page (ladder, JSON) is built only for the requests that show it,
    /// at most once per connection; a static file, a 404 and a root index.html never build it.
    #[test]
    fn only_the_page_requests_build_the_page() {
        let dir = std::env::temp_dir().join(format!("clasp-page-lazy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("a.txt"), "static").expect("write");
        let site = Site {
            root: Some(Files::new(dir.canonicalize().expect("canonical"))),
            echo: false,
            max_body: 0,
            body_timeout: Duration::from_secs(1),
        };
        let info = HandshakeInfo::for_test(clasp::conn::Negotiated::default());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let h2 = hyper::Version::HTTP_2;
            for _ in 0..3 {
                let r = get("/a.txt", h2, &info, &site).await;
                assert_eq!(r.status(), StatusCode::OK);
                assert_eq!(r.body().as_ref(), b"static");
            }
            assert_eq!(
                get("/missing", h2, &info, &site).await.status(),
                StatusCode::NOT_FOUND
            );
            assert_eq!(
                get("/../x", h2, &info, &site).await.status(),
                StatusCode::FORBIDDEN
            );
            assert!(!info.page_built());
            std::fs::write(dir.join("index.html"), "<p>index").expect("write");
            assert_eq!(
                get("/", h2, &info, &site).await.body().as_ref(),
                b"<p>index"
            );
            assert!(!info.page_built());
            let json = get("/handshake.json", h2, &info, &site).await;
            assert!(info.page_built());
            assert!(std::str::from_utf8(json.body())
                .expect("utf-8")
                .contains("\"http_version\":\"HTTP/2\""));
        });
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 §10.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
