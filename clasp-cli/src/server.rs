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
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clasp::crypto::aws_lc::SHA256;
use clasp::crypto::Hash as _;
use clasp::msgs::enums::ProtocolVersion;
use clasp::trace::{HandshakeEvent, Observer};
use clasp::{ClientAuth, ServerConfig};
use clasp_tokio::TlsAcceptor;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

use crate::escape::printable;
use crate::exit;
use crate::knobs::{self, NameList};
use crate::ladder::{Peer, Recorder};
use crate::local;
use crate::out::outln;
use crate::server_page::{self, HandshakeInfo};

const SERVER_HELP: &str = "\
Examples:
  clasp server                                   self-signed cert for localhost, https://127.0.0.1:8443/
  clasp server --cert cert.pem --key key.pem --port 443 --listen 0.0.0.0
  clasp server --root ./site                     also serve files from ./site
  clasp server --client-auth ca.pem              require a client certificate issued by ca.pem
  clasp server --tls12 --allow-rsa-kx --allow-dhe    TLS 1.2 only, with RSA and DHE key exchange
  curl --cacert ca.pem https://localhost:8443/
  curl -k --http2 https://127.0.0.1:8443/handshake.json

Pages:
  /                  how's my TLS: your ClientHello, what was negotiated, your JA4, the ladder
                     (with --root, DIR/index.html is served here instead when it exists)
  /handshake.json    the same as JSON
  /PATH              with --root: the file DIR/PATH (`..` refused, 404 when missing)

HTTP/2 or HTTP/1.x is chosen by ALPN (h2, http/1.1, http/1.0); clients without ALPN get HTTP/1.x.
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

/// How long a client has to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// Serve static files from DIR (paths with `..` are refused).
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
    /// TLS 1.3 NewSessionTickets sent after each full handshake (0: none).
    #[arg(long, value_name = "N")]
    pub tickets: Option<usize>,
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
            Ok(d) if d.is_dir() => Some(Arc::new(d)),
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
    rt.block_on(serve(
        SocketAddr::new(args.listen, args.port),
        TlsAcceptor::from(config),
        root,
    ))
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
    let (chain, key) = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => local::load_identity(
            ("--cert", cert),
            ("--key", key),
            &clasp::crypto::aws_lc::default_provider(),
        )?,
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
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |i: u32| char::from(ALPHABET[(i & 63) as usize]); // masked to 0..64: in bounds
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

async fn serve(addr: SocketAddr, acceptor: TlsAcceptor, root: Option<Arc<PathBuf>>) -> u8 {
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("clasp server: cannot listen on {addr}: {e}");
            return exit::CONNECT;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    outln!("listening on https://{local}/");
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // e.g. out of file descriptors: wait a little rather than spin.
                eprintln!("clasp server: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        tokio::spawn(connection(acceptor.clone(), tcp, peer, root.clone()));
    }
}

/// Forwards events to the ladder recorder until the handshake is over, so a long-lived connection
/// does not keep recording every application data record.
struct HandshakeOnly {
    recorder: Arc<Recorder>,
    open: AtomicBool,
}

impl Observer for HandshakeOnly {
    fn on_event(&self, event: &HandshakeEvent<'_>) {
        if self.open.load(Ordering::Relaxed) {
            self.recorder.on_event(event);
        }
    }
}

/// One connection: handshake, capture the handshake for the page, then HTTP until it closes.
async fn connection(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    root: Option<Arc<PathBuf>>,
) {
    let obs = Arc::new(HandshakeOnly {
        recorder: Recorder::new(Peer::Server),
        open: AtomicBool::new(true),
    });
    let obs_dyn: Arc<dyn Observer> = obs.clone();
    let accept = acceptor.accept_with(tcp, |c| c.set_observer(obs_dyn));
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            // The error may quote the client (a certificate's names): escaped.
            eprintln!(
                "{peer}: TLS handshake failed: {}",
                printable(&e.to_string())
            );
            return;
        }
        Err(_) => {
            eprintln!("{peer}: TLS handshake timed out");
            return;
        }
    };
    obs.open.store(false, Ordering::Relaxed);
    let conn = tls.get_ref().1;
    let info = Arc::new(HandshakeInfo::capture(conn, &obs.recorder.entries()));
    let h2 = conn.alpn_protocol() == Some(&b"h2"[..]);
    eprintln!(
        "{peer}: {} {} {} ja4={}",
        info.version,
        info.cipher_suite,
        printable(&info.alpn),
        info.ja4.as_ref().map_or("-", |j| j.ja4.as_str())
    );

    let svc = service_fn(move |req| {
        let info = info.clone();
        let root = root.clone();
        async move { Ok::<_, Infallible>(respond(&req, &info, root.as_deref()).await) }
    });
    let io = TokioIo::new(tls);
    let result = if h2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, svc)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(io, svc)
            .await
    };
    if let Err(e) = result {
        if !is_disconnect(&e) {
            eprintln!("{peer}: {}", printable(&e.to_string()));
        }
    }
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

fn response(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn text(status: StatusCode, msg: &str) -> Response<Full<Bytes>> {
    response(status, "text/plain; charset=utf-8", format!("{msg}\n"))
}

async fn respond(
    req: &Request<Incoming>,
    info: &HandshakeInfo,
    root: Option<&PathBuf>,
) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let http = server_page::http_version_name(req.version());
    let path = req.uri().path();
    if path == "/handshake.json" {
        return response(
            StatusCode::OK,
            "application/json",
            server_page::render_json(info, http),
        );
    }
    if path == "/" {
        let index = root.map(|r| r.join("index.html"));
        if let Some(body) = match index {
            Some(p) => tokio::fs::read(p).await.ok(),
            None => None,
        } {
            return response(StatusCode::OK, "text/html; charset=utf-8", body);
        }
        return response(
            StatusCode::OK,
            "text/html; charset=utf-8",
            server_page::render_html(info, http),
        );
    }
    let Some(root) = root else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    let rel = match safe_relative_path(path) {
        Ok(p) => p,
        Err(status) => return text(status, "refused: bad path"),
    };
    serve_file(root, &rel).await
}

/// Decodes `%XX` escapes. `None` for a malformed escape.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Some(out)
}

/// Turns a URL path into a path relative to the root, refusing anything that could leave it:
/// `..` components (also percent-encoded), absolute or prefixed components, backslashes, NUL.
fn safe_relative_path(url_path: &str) -> Result<PathBuf, StatusCode> {
    let decoded = percent_decode(url_path).ok_or(StatusCode::BAD_REQUEST)?;
    let decoded = String::from_utf8(decoded).map_err(|_| StatusCode::BAD_REQUEST)?;
    let mut rel = PathBuf::new();
    for part in decoded.split('/') {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." || part.contains('\\') || part.contains('\0') {
            return Err(StatusCode::FORBIDDEN);
        }
        let mut comps = Path::new(part).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(_)), None) => rel.push(part),
            _ => return Err(StatusCode::FORBIDDEN),
        }
    }
    Ok(rel)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

async fn serve_file(root: &Path, rel: &Path) -> Response<Full<Bytes>> {
    let mut full = root.join(rel);
    // Symlinks inside the root could still point outside it: compare the real path.
    let Ok(real) = tokio::fs::canonicalize(&full).await else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    if !real.starts_with(root) {
        return text(StatusCode::FORBIDDEN, "refused: outside the root");
    }
    if real.is_dir() {
        full = real.join("index.html");
    } else {
        full = real;
    }
    match tokio::fs::read(&full).await {
        Ok(body) => response(StatusCode::OK, content_type(&full), body),
        Err(_) => text(StatusCode::NOT_FOUND, "not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/a/%2E%2E/b",
            "/a\\..\\b",
        ] {
            assert_eq!(safe_relative_path(bad), Err(StatusCode::FORBIDDEN), "{bad}");
        }
        assert_eq!(safe_relative_path("/%zz"), Err(StatusCode::BAD_REQUEST));
        assert_eq!(safe_relative_path("/%"), Err(StatusCode::BAD_REQUEST));
        assert_eq!(
            safe_relative_path("/a/./b.txt"),
            Ok(PathBuf::from("a/b.txt"))
        );
        assert_eq!(
            safe_relative_path("//etc/passwd"),
            Ok(PathBuf::from("etc/passwd"))
        );
        assert_eq!(safe_relative_path("/a%20b"), Ok(PathBuf::from("a b")));
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
