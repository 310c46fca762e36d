//! `tokio-rustls-server`: the static-file side of `clasp server --root` on tokio-rustls (rustls
//! 0.23, aws-lc-rs) instead of clasp-tokio, for `scripts/load-server` (issue 14 item 6).
//!
//! Same runtime (tokio multi-thread, one worker per core), same hyper builders and settings
//! (HTTP/2 by ALPN, 100 concurrent streams, the HTTP/1 header timeout), and the very same file
//! code: `clasp-cli/src/server_files.rs` is compiled in. What it leaves out is what `clasp
//! server` adds around the TLS stack: the connection registry and its watchdog, the per-request
//! busy tracking, the log line per connection and the page. So it is the lighter of the two,
//! and a clasp row at ≥ 1.0× is a like-for-like win or better.
//!
//! With `--stack clasp` the same binary runs the same service on clasp-tokio instead: the bare
//! stack, without `clasp server`'s machinery, so the load table can tell the TLS stack's share
//! of a difference from the server's.
//!
//! Usage: `tokio-rustls-server --cert CERT.pem --key KEY.pem --root DIR [--port N]
//! [--stack rustls|clasp]`; prints `listening on https://ADDR/` once bound. Not a general
//! server: a benchmark peer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

#[path = "../../../clasp-cli/src/server_files.rs"]
#[allow(dead_code)]
mod server_files;

use server_files::{safe_relative_path, Files, Lookup};

/// As `clasp server`'s H2_MAX_STREAMS and default --header-timeout / --max-head-bytes.
const H2_MAX_STREAMS: u32 = 100;
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_HEAD_BYTES: usize = 16 * 1024;

struct Args {
    cert: PathBuf,
    key: PathBuf,
    root: PathBuf,
    port: u16,
    clasp: bool,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut cert, mut key, mut root, mut port) = (None, None, None, 8443u16);
    let mut clasp = false;
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--cert" => cert = Some(PathBuf::from(value()?)),
            "--key" => key = Some(PathBuf::from(value()?)),
            "--root" => root = Some(PathBuf::from(value()?)),
            "--port" => port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--stack" => {
                clasp = match value()?.as_str() {
                    "rustls" => false,
                    "clasp" => true,
                    other => return Err(format!("--stack {other}: rustls or clasp")),
                }
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let need = |v: Option<PathBuf>, f: &str| v.ok_or(format!("{f} is required"));
    Ok(Args {
        cert: need(cert, "--cert")?,
        key: need(key, "--key")?,
        root: need(root, "--root")?,
        port,
        clasp,
    })
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn identity(a: &Args) -> Result<Identity, String> {
    let chain = CertificateDer::pem_file_iter(&a.cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("{}: {e}", a.cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(&a.key).map_err(|e| format!("{}: {e}", a.key.display()))?;
    Ok((chain, key))
}

fn alpn() -> Vec<Vec<u8>> {
    vec![b"h2".to_vec(), b"http/1.1".to_vec(), b"http/1.0".to_vec()]
}

fn rustls_config((chain, key): Identity) -> Result<rustls::ServerConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    c.alpn_protocols = alpn();
    Ok(c)
}

/// As `clasp server` builds it, minus what only the page needs (the retained ClientHello).
fn clasp_config((chain, key): Identity) -> Result<clasp::ServerConfig, String> {
    clasp::ServerConfig::builder()
        .with_alpn_protocols(alpn())
        .with_single_cert(chain, key)
        .build()
        .map_err(|e| e.to_string())
}

fn response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// `clasp server`'s GET path for files, minus the page.
async fn respond(req: &Request<hyper::body::Incoming>, files: &Files) -> Response<Full<Bytes>> {
    let text = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return response(StatusCode::METHOD_NOT_ALLOWED, text, Bytes::new());
    }
    let rel = match safe_relative_path(req.uri().path()) {
        Ok(p) => p,
        Err(status) => return response(status, text, Bytes::from_static(b"refused\n")),
    };
    match files.get(&rel).await {
        Lookup::File(body, ct) => response(StatusCode::OK, ct, body),
        Lookup::NotFound => response(StatusCode::NOT_FOUND, text, Bytes::new()),
        Lookup::Outside => response(StatusCode::FORBIDDEN, text, Bytes::new()),
    }
}

/// The TLS acceptor of either stack.
#[derive(Clone)]
enum Acceptor {
    Rustls(tokio_rustls::TlsAcceptor),
    Clasp(clasp_tokio::TlsAcceptor),
}

async fn serve(listener: TcpListener, acceptor: Acceptor, files: Arc<Files>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let files = files.clone();
        tokio::spawn(async move { connection(acceptor, tcp, files).await });
    }
}

async fn connection(acceptor: Acceptor, tcp: TcpStream, files: Arc<Files>) {
    match acceptor {
        Acceptor::Rustls(a) => {
            if let Ok(Ok(tls)) = tokio::time::timeout(HEADER_TIMEOUT, a.accept(tcp)).await {
                let h2 = tls.get_ref().1.alpn_protocol() == Some(&b"h2"[..]);
                http(tls, h2, files).await;
            }
        }
        Acceptor::Clasp(a) => {
            if let Ok(Ok(tls)) = tokio::time::timeout(HEADER_TIMEOUT, a.accept(tcp)).await {
                let h2 = tls.get_ref().1.alpn_protocol() == Some(&b"h2"[..]);
                http(tls, h2, files).await;
            }
        }
    }
}

async fn http<IO>(tls: IO, h2: bool, files: Arc<Files>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(|req| {
        let files = files.clone();
        async move { Ok::<_, Infallible>(respond(&req, &files).await) }
    });
    let io = TokioIo::new(tls);
    let _ = if h2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .max_concurrent_streams(H2_MAX_STREAMS)
            .serve_connection(io, svc)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_HEAD_BYTES)
            .serve_connection(io, svc)
            .await
    };
}

fn main() -> ExitCode {
    let run = || -> Result<(), String> {
        let a = args()?;
        let root = a
            .root
            .canonicalize()
            .map_err(|e| format!("--root {}: {e}", a.root.display()))?;
        let id = identity(&a)?;
        let acceptor = if a.clasp {
            Acceptor::Clasp(clasp_tokio::TlsAcceptor::from(Arc::new(clasp_config(id)?)))
        } else {
            Acceptor::Rustls(tokio_rustls::TlsAcceptor::from(Arc::new(rustls_config(
                id,
            )?)))
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], a.port)))
                .await
                .map_err(|e| format!("bind: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            println!("listening on https://{local}/");
            serve(listener, acceptor, Arc::new(Files::new(root))).await;
            Ok(())
        })
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokio-rustls-server: {e}");
            ExitCode::from(2)
        }
    }
}
