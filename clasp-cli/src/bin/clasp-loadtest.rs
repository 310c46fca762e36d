//! `clasp-loadtest`: load and fault test for `clasp server` (issue 10), loopback only.
//!
//! Starts `clasp server --echo` on 127.0.0.1 with its own CA, then at the same time runs
//! `--connections` good clients, each a full TLS handshake that downloads `--bytes` bytes
//! (checked against the known pattern) and uploads `--bytes` bytes (checked against the SHA-256
//! the server answers) over one HTTP/1.1 keep-alive connection, and `--faulty` clients of each
//! kind of misbehaviour: stall before the handshake, stall during it, drip a request head, vanish
//! mid-record, send garbage, open and close without a byte, and send KeyUpdates without reading.
//! It samples the server's RSS and open descriptors (from /proc) throughout and checks that:
//! every good client got the right bytes; every faulty client was cut by the server within its
//! timeout (plus slack); the server is still up; and afterwards its descriptors are back to the
//! baseline (+`--fd-margin`) and its RSS to the baseline + `--rss-margin-mb`. It prints
//! connections/s, p50/p99 latency and peak RSS. Exit status 0 only if every check passed.
//! Every count is bounded by its flags and the whole run by `--deadline`.
//!
//! `scripts/loadtest` runs the full size (2,000 connections of 1 MiB each way); the test suite
//! runs a small one (`clasp-cli/tests/loadtest.rs`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use clasp::crypto::aws_lc::SHA256;
use clasp::crypto::{Hash as _, HashContext};
use clasp::{ClientConfig, ClientConnection};
use clasp_tokio::{client::TlsStream, ServerName, TlsConnector};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Load and fault test for `clasp server` over loopback.
#[derive(Parser, Debug)]
struct Args {
    /// The `clasp` binary (default: next to this one).
    #[arg(long, value_name = "PATH")]
    server_bin: Option<PathBuf>,
    /// Good clients, all at once.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    connections: u32,
    /// Bytes each good client downloads and uploads.
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u32).range(4..=(16 << 20)))]
    bytes: u32,
    /// Faulty clients of each kind.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=1000))]
    faulty: u32,
    /// KeyUpdates each KeyUpdate client sends (at most).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    key_updates: u32,
    // The full run's 2,000 clients share two cores with the server (and with whatever else
    // runs): a client can wait tens of seconds for its turn, so the defaults are generous.
    /// Server handshake timeout, seconds.
    #[arg(long, default_value_t = 60)]
    handshake_timeout: u64,
    /// Server header timeout, seconds.
    #[arg(long, default_value_t = 60)]
    header_timeout: u64,
    /// Server idle timeout, seconds.
    #[arg(long, default_value_t = 60)]
    idle_timeout: u64,
    /// Allowed RSS above the baseline once everything is closed: the larger of this many MiB
    /// and --rss-margin-pct of the peak's growth over the baseline. The allocator keeps part of
    /// the freed memory (fragmented arenas); --rounds 2 checks that it is reused, not leaked.
    #[arg(long, default_value_t = 64)]
    rss_margin_mb: u64,
    /// See --rss-margin-mb.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=100))]
    rss_margin_pct: u64,
    /// Allowed RSS growth of each later round over what the first round left, MiB (a leak check).
    #[arg(long, default_value_t = 16)]
    rss_growth_mb: u64,
    /// Rounds of the whole load, one after the other on the same server.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    rounds: u32,
    /// Allowed descriptors over the baseline once everything is closed.
    #[arg(long, default_value_t = 4)]
    fd_margin: u64,
    /// The whole run must end within this many seconds.
    #[arg(long, default_value_t = 600)]
    deadline: u64,
}

type Failure = String;

fn main() {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clasp-loadtest: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    let deadline = Duration::from_secs(args.deadline);
    let code = match rt.block_on(async { timeout(deadline, run(&args)).await }) {
        Ok(Ok(())) => {
            println!("PASS");
            0
        }
        Ok(Err(failures)) => {
            for f in &failures {
                println!("FAIL: {f}");
            }
            1
        }
        Err(_) => {
            println!("FAIL: the run did not finish within {deadline:?}");
            1
        }
    };
    // Do not wait for stalled tasks: the process ends here.
    rt.shutdown_background();
    std::process::exit(code);
}

/// Soft and hard RLIMIT_NOFILE of `pid`, from /proc.
fn nofile(pid: &str) -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut nums = line
        .split_whitespace()
        .filter_map(|w| w.parse::<u64>().ok());
    Some((nums.next()?, nums.next()?))
}

/// Raises this process's descriptor limit to `need` (children inherit it) with `prlimit`, as
/// far as the hard limit allows.
fn raise_nofile(need: u64) -> Result<(), Failure> {
    let (soft, hard) = nofile("self").ok_or("cannot read /proc/self/limits")?;
    if soft >= need {
        return Ok(());
    }
    if hard < need {
        return Err(format!(
            "{need} file descriptors needed, the hard limit is {hard} (raise it, e.g. as root)"
        ));
    }
    let status = Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={need}:{hard}"))
        .status()
        .map_err(|e| format!("prlimit: {e}"))?;
    if !status.success() {
        return Err(format!("prlimit failed: {status}"));
    }
    Ok(())
}

/// The server's resident set and peak, KiB, and open descriptors.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    rss_kb: u64,
    hwm_kb: u64,
    fds: u64,
}

fn sample(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some(Sample {
        rss_kb: field("VmRSS:")?,
        hwm_kb: field("VmHWM:")?,
        fds,
    })
}

/// A CA and a server certificate for localhost, written to `dir`.
fn make_pki(dir: &Path) -> Result<(), Failure> {
    let err = |e: rcgen::Error| format!("generating certificates: {e}");
    let ca_key = rcgen::KeyPair::generate().map_err(err)?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "clasp-loadtest CA");
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(err)?;
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(err)?;
    let write = |name: &str, data: String| {
        std::fs::write(dir.join(name), data).map_err(|e| format!("writing {name}: {e}"))
    };
    write("ca.pem", ca_cert.pem())?;
    write("cert.pem", cert.pem())?;
    write("key.pem", key.serialize_pem())
}

/// `clasp server`, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(args: &Args, dir: &Path, max_conns: u32) -> Result<Server, Failure> {
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .map_err(|e| format!("current_exe: {e}"))?
            .with_file_name("clasp"),
    };
    let log = dir.join("server.log");
    let stderr = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = Command::new(&bin)
        .arg("server")
        .args(["--listen", "127.0.0.1", "--port", "0", "--echo"])
        .arg("--cert")
        .arg(dir.join("cert.pem"))
        .arg("--key")
        .arg(dir.join("key.pem"))
        .args(["--max-connections", &max_conns.to_string()])
        .args(["--max-connections-per-ip", &max_conns.to_string()])
        .args(["--max-body-bytes", &args.bytes.to_string()])
        .args(["--handshake-timeout", &args.handshake_timeout.to_string()])
        .args(["--header-timeout", &args.header_timeout.to_string()])
        .args(["--idle-timeout", &args.idle_timeout.to_string()])
        .args(["--stats-interval", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("listening on https://") {
                let _ = tx.send(rest.trim_end_matches('/').to_string());
            }
        }
    });
    let mut server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        log,
    };
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the server did not start".to_string())?;
    server.addr = addr.parse().map_err(|e| format!("address {addr}: {e}"))?;
    Ok(server)
}

/// Size of the read buffer of a good client.
const READ_BUF: usize = 16 * 1024;

/// What the good clients send and expect, computed once and shared.
struct Payload {
    bytes: usize,
    /// What `GET /bytes/N` sends (byte i = i mod 251), long enough that any read of up to
    /// [`READ_BUF`] bytes at offset `k` compares with `pattern[k % 251..]`.
    pattern: Vec<u8>,
    /// The upload but for its last four bytes, which carry the client's id.
    upload: Vec<u8>,
    /// SHA-256 after `upload`, forked for each client's id.
    upload_hash: Box<dyn HashContext>,
}

impl Payload {
    fn new(bytes: u32) -> Self {
        // i % 251 < 256: no truncation.
        #[allow(clippy::cast_possible_truncation)]
        let pattern = (0..READ_BUF + 251).map(|i| (i % 251) as u8).collect();
        let upload: Vec<u8> = (0u32..bytes.saturating_sub(4))
            .map(|i| i.wrapping_mul(2_246_822_519).to_be_bytes()[1])
            .collect();
        let mut upload_hash = SHA256.start();
        upload_hash.update(&upload);
        Self {
            bytes: bytes as usize,
            pattern,
            upload,
            upload_hash,
        }
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads an HTTP/1.1 response head; returns the status and Content-Length.
async fn read_head<R: AsyncRead + Unpin>(r: &mut R) -> Result<(u16, usize), Failure> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err("response head too long".into());
        }
        let n = r
            .read(&mut byte)
            .await
            .map_err(|e| format!("read head: {e}"))?;
        if n == 0 {
            return Err("closed in the response head".into());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let len = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .ok_or("no Content-Length")?;
    Ok((status, len))
}

fn client_config(dir: &Path) -> Result<Arc<ClientConfig>, Failure> {
    let cfg = ClientConfig::builder()
        .with_ca_file(dir.join("ca.pem"))
        .map_err(|e| format!("ca.pem: {e}"))?
        .with_alpn_protocols(vec![b"http/1.1".to_vec()])
        // Every connection a full handshake: the expensive case.
        .without_resumption()
        .build()
        .map_err(|e| format!("client config: {e}"))?;
    Ok(Arc::new(cfg))
}

async fn tls(addr: SocketAddr, cfg: &Arc<ClientConfig>) -> Result<TlsStream<TcpStream>, Failure> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    TlsConnector::from(cfg.clone())
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))
}

/// One good client: download and check, upload and check, close.
async fn good(
    id: u32,
    addr: SocketAddr,
    cfg: Arc<ClientConfig>,
    payload: Arc<Payload>,
) -> Result<(), Failure> {
    let bytes = payload.bytes;
    let mut s = tls(addr, &cfg).await?;
    // 1. Download: the pattern, checked byte by byte as it arrives.
    let req = format!("GET /bytes/{bytes} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| format!("send GET: {e}"))?;
    let (status, len) = read_head(&mut s).await?;
    if status != 200 || len != bytes {
        return Err(format!("GET: status {status}, length {len}"));
    }
    let mut buf = vec![0u8; READ_BUF];
    let mut got = 0;
    while got < len {
        let want = buf.len().min(len - got);
        let n = s
            .read(&mut buf[..want])
            .await
            .map_err(|e| format!("read body at {got}: {e}"))?;
        if n == 0 {
            return Err(format!("body cut at {got} of {len}"));
        }
        let k = got % 251;
        if buf.get(..n) != payload.pattern.get(k..k + n) {
            return Err(format!("wrong bytes in {got}..{}", got + n));
        }
        got += n;
    }
    // 2. Upload: the shared buffer (not copied per client), then this client's id, checked by
    // SHA-256.
    let id = id.to_be_bytes();
    let id = id
        .get(4 - (bytes - payload.upload.len())..)
        .unwrap_or_default();
    let mut hash = payload.upload_hash.fork();
    hash.update(id);
    let expect = hex(hash.finish().as_ref());
    let req = format!("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {bytes}\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| format!("send POST: {e}"))?;
    s.write_all(&payload.upload)
        .await
        .map_err(|e| format!("send body: {e}"))?;
    s.write_all(id)
        .await
        .map_err(|e| format!("send body: {e}"))?;
    let (status, len) = read_head(&mut s).await?;
    let mut answer = vec![0u8; len.min(1024)];
    s.read_exact(&mut answer)
        .await
        .map_err(|e| format!("read echo: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    if status != 200 || answer.trim() != expect {
        return Err(format!("POST: status {status}, checksum {}", answer.trim()));
    }
    // 3. close_notify, then the TCP close.
    let _ = timeout(Duration::from_secs(5), s.shutdown()).await;
    Ok(())
}

/// The kinds of faulty client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    StallBeforeHandshake,
    StallInHandshake,
    DripHeaders,
    VanishMidRecord,
    Garbage,
    OpenClose,
    KeyUpdates,
}

/// Every kind, once.
const FAULTS: [Fault; 7] = [
    Fault::StallBeforeHandshake,
    Fault::StallInHandshake,
    Fault::DripHeaders,
    Fault::VanishMidRecord,
    Fault::Garbage,
    Fault::OpenClose,
    Fault::KeyUpdates,
];

/// Reads until the server closes; `Ok(elapsed)` if it did within `limit`.
async fn until_closed<R: AsyncRead + Unpin>(
    r: &mut R,
    limit: Duration,
) -> Result<Duration, Failure> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match timeout(left, r.read(&mut buf)).await {
            Err(_) => return Err(format!("still open after {limit:?}")),
            Ok(Ok(0) | Err(_)) => return Ok(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// One faulty client; `Ok(Some(t))` when the server cut it after `t`.
async fn faulty(
    kind: Fault,
    addr: SocketAddr,
    cfg: Arc<ClientConfig>,
    args: Limits,
) -> Result<Option<Duration>, Failure> {
    let connect = || async {
        TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))
    };
    let slack = Duration::from_secs(10);
    match kind {
        Fault::StallBeforeHandshake => {
            let mut t = connect().await?;
            until_closed(&mut t, args.handshake.min(args.idle) + slack)
                .await
                .map(Some)
        }
        Fault::StallInHandshake => {
            let mut t = connect().await?;
            let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
            let mut conn = ClientConnection::new(cfg, name).map_err(|e| e.to_string())?;
            let mut hello = Vec::new();
            conn.write_tls(&mut hello).map_err(|e| e.to_string())?;
            t.write_all(&hello).await.map_err(|e| e.to_string())?;
            until_closed(&mut t, args.handshake.min(args.idle) + slack)
                .await
                .map(Some)
        }
        Fault::DripHeaders => {
            let mut s = tls(addr, &cfg).await?;
            let start = Instant::now();
            let limit = args.header.min(args.idle) + slack;
            let head = b"GET / HTTP/1.1\r\nHost: localhost\r\n"
                .iter()
                .chain(b"X-Drip: a\r\n".iter().cycle());
            for &b in head {
                let w = timeout(Duration::from_secs(2), async {
                    s.write_all(&[b]).await?;
                    s.flush().await
                })
                .await;
                if !matches!(w, Ok(Ok(()))) {
                    return Ok(Some(start.elapsed()));
                }
                // Closed already? A short read tells (nothing else comes before a response).
                if let Ok(r) = timeout(Duration::from_millis(500), s.read(&mut [0u8; 1024])).await {
                    if matches!(r, Ok(0) | Err(_)) {
                        return Ok(Some(start.elapsed()));
                    }
                }
                if start.elapsed() > limit {
                    return Err(format!("dripping for {limit:?} and still open"));
                }
            }
            Ok(None)
        }
        Fault::VanishMidRecord => {
            let mut s = tls(addr, &cfg).await?;
            let (io, conn) = s.get_mut();
            std::io::Write::write_all(
                &mut conn.writer(),
                b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            )
            .map_err(|e| e.to_string())?;
            let mut rec = Vec::new();
            conn.write_tls(&mut rec).map_err(|e| e.to_string())?;
            io.write_all(&rec[..rec.len() / 2])
                .await
                .map_err(|e| e.to_string())?;
            Ok(None)
        }
        Fault::Garbage => {
            let mut t = connect().await?;
            let junk: Vec<u8> = (0u32..4096)
                .map(|i| i.wrapping_mul(2_654_435_761).to_be_bytes()[0])
                .collect();
            // The server may hang up before it has read it all.
            let _ = t.write_all(&junk).await;
            until_closed(&mut t, Duration::from_secs(5) + slack)
                .await
                .map(Some)
        }
        Fault::OpenClose => {
            drop(connect().await?);
            Ok(None)
        }
        Fault::KeyUpdates => {
            let mut s = tls(addr, &cfg).await?;
            let start = Instant::now();
            let limit = args.idle + slack;
            let mut sent = 0;
            // Send KeyUpdates (each asking for one back) and never read. Stop at the count, or
            // when the server stops taking them for a second, or hangs up.
            while start.elapsed() < limit {
                let (io, conn) = s.get_mut();
                let batch = if sent < args.key_updates { 100 } else { 1 };
                let mut out = Vec::new();
                for _ in 0..batch {
                    if conn.refresh_traffic_keys().is_err() {
                        return Err("refresh_traffic_keys failed".into());
                    }
                    conn.write_tls(&mut out).map_err(|e| e.to_string())?;
                }
                sent += batch;
                match timeout(Duration::from_secs(1), io.write_all(&out)).await {
                    Ok(Err(_)) => return Ok(Some(start.elapsed())),
                    Ok(Ok(())) if sent < args.key_updates => {}
                    // Sent them all, or the server stopped reading: poke once in a while.
                    _ => tokio::time::sleep(Duration::from_millis(500)).await,
                }
            }
            Err(format!("sending KeyUpdates for {limit:?} and still open"))
        }
    }
}

/// Server timeouts as the faulty clients expect them.
#[derive(Debug, Clone, Copy)]
struct Limits {
    handshake: Duration,
    header: Duration,
    idle: Duration,
    key_updates: u32,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// What one round shares with the next.
struct Setup<'a> {
    args: &'a Args,
    pid: u32,
    addr: SocketAddr,
    log: &'a Path,
    cfg: &'a Arc<ClientConfig>,
    payload: &'a Arc<Payload>,
    base: Sample,
}

/// One round: all good and faulty clients at once; failures go to `failures`. Returns the
/// server's state once everything is closed.
async fn round(st: &Setup<'_>, failures: &mut Vec<Failure>) -> Sample {
    let Setup {
        args,
        pid,
        addr,
        log,
        cfg,
        payload,
        base,
    } = *st;
    let bytes = payload.bytes;
    // Sample throughout.
    let peak_fds = Arc::new(AtomicU64::new(base.fds));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak_fds, stop) = (peak_fds.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Some(s) = sample(pid) {
                    peak_fds.fetch_max(s.fds, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let limits = Limits {
        handshake: Duration::from_secs(args.handshake_timeout),
        header: Duration::from_secs(args.header_timeout),
        idle: Duration::from_secs(args.idle_timeout),
        key_updates: args.key_updates,
    };
    let start = Instant::now();
    let mut faulty_tasks = Vec::new();
    for kind in FAULTS {
        for _ in 0..args.faulty {
            let cfg = cfg.clone();
            faulty_tasks.push((kind, tokio::spawn(faulty(kind, addr, cfg, limits))));
        }
    }
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut good_tasks = Vec::new();
    for id in 0..args.connections {
        let (cfg, payload, latencies) = (cfg.clone(), payload.clone(), latencies.clone());
        good_tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = good(id, addr, cfg, payload).await;
            if r.is_ok() {
                if let Ok(mut l) = latencies.lock() {
                    l.push(t.elapsed());
                }
            }
            r
        }));
    }
    let mut good_failed = 0;
    for (i, t) in good_tasks.into_iter().enumerate() {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                good_failed += 1;
                if good_failed <= 10 {
                    failures.push(format!("good client {i}: {e}"));
                }
            }
            Err(e) => failures.push(format!("good client {i}: task {e}")),
        }
    }
    let good_time = start.elapsed();
    if good_failed > 10 {
        failures.push(format!("... {good_failed} good clients failed in all"));
    }
    let mut cut_times: Vec<(Fault, Duration)> = Vec::new();
    for (kind, t) in faulty_tasks {
        match t.await {
            Ok(Ok(Some(d))) => cut_times.push((kind, d)),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => failures.push(format!("{kind:?} client: {e}")),
            Err(e) => failures.push(format!("{kind:?} client: task {e}")),
        }
    }
    let all_time = start.elapsed();

    // Everything closed: wait for the server to let go, then compare with the baseline.
    let mut after = sample(pid).unwrap_or_default();
    let settle = Instant::now();
    while after.fds > base.fds + args.fd_margin && settle.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = sample(pid).unwrap_or_default();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    after = sample(pid).unwrap_or_default();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;

    let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort();
    let ok = lat.len();
    println!(
        "good clients: {ok}/{} ok, {} bytes down and up each, in {:.2} s: {:.0} connections/s",
        args.connections,
        bytes,
        good_time.as_secs_f64(),
        ok as f64 / good_time.as_secs_f64()
    );
    println!(
        "latency (connect to close): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&lat, 0.50).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    for kind in FAULTS {
        let times: Vec<_> = cut_times
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, d)| d.as_secs_f64())
            .collect();
        if let Some(max) = times.iter().copied().reduce(f64::max) {
            println!(
                "faulty {kind:?}: {} cut by the server, slowest after {max:.1} s",
                times.len()
            );
        } else {
            println!("faulty {kind:?}: {} sent", args.faulty);
        }
    }
    println!(
        "server: peak RSS {} KiB (baseline {} KiB, after {} KiB); fds baseline {}, peak {}, after {}; all done in {:.1} s",
        after.hwm_kb,
        base.rss_kb,
        after.rss_kb,
        base.fds,
        peak_fds.load(Ordering::Relaxed),
        after.fds,
        all_time.as_secs_f64()
    );
    if let Ok(log) = std::fs::read_to_string(log) {
        if let Some(stats) = log.lines().rev().find(|l| l.contains("stats:")) {
            println!("{stats}");
        }
    }
    let _ = std::io::stdout().flush();

    if after.fds > base.fds + args.fd_margin {
        failures.push(format!(
            "server descriptors {} after the run, baseline {} (+{} allowed)",
            after.fds, base.fds, args.fd_margin
        ));
    }
    after
}

async fn run(args: &Args) -> Result<(), Vec<Failure>> {
    let one = |e: Failure| vec![e];
    // 7 kinds of faulty client.
    let total = args.connections + args.faulty * 7;
    // Both ends in this process tree: a descriptor per connection on each side, plus slack.
    raise_nofile(u64::from(total) * 2 + 200).map_err(one)?;
    let dir = std::env::temp_dir().join(format!("clasp-loadtest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| one(format!("{}: {e}", dir.display())))?;
    make_pki(&dir).map_err(one)?;
    let server = start_server(args, &dir, total + 100).map_err(one)?;
    let pid = server.child.id();
    let cfg = client_config(&dir).map_err(one)?;
    let payload = Arc::new(Payload::new(args.bytes));

    // Warm up (lazy buffers, the runtime's threads), then the baseline.
    for i in 0..4 {
        good(u32::MAX - i, server.addr, cfg.clone(), payload.clone())
            .await
            .map_err(|e| one(format!("warm-up client: {e}")))?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base = sample(pid).ok_or_else(|| one("cannot read the server's /proc".into()))?;
    println!(
        "server pid {pid}: baseline RSS {} KiB, {} fds",
        base.rss_kb, base.fds
    );

    let setup = Setup {
        args,
        pid,
        addr: server.addr,
        log: &server.log,
        cfg: &cfg,
        payload: &payload,
        base,
    };
    let mut failures = Vec::new();
    let mut first_after: Option<Sample> = None;
    for n in 1..=args.rounds {
        println!("round {n} of {}:", args.rounds);
        let after = round(&setup, &mut failures).await;
        let growth = after.hwm_kb.saturating_sub(base.rss_kb);
        let margin = (args.rss_margin_mb * 1024).max(growth * args.rss_margin_pct / 100);
        println!(
            "server RSS after round {n}: {} KiB = baseline + {} KiB (allowed + {margin} KiB)",
            after.rss_kb,
            after.rss_kb.saturating_sub(base.rss_kb)
        );
        if after.rss_kb > base.rss_kb + margin {
            failures.push(format!(
                "round {n}: server RSS {} KiB after the run, baseline {} KiB (+{margin} KiB allowed)",
                after.rss_kb, base.rss_kb
            ));
        }
        // Later rounds must not grow what the first left behind: that would be a leak, not the
        // allocator keeping freed memory for reuse.
        match first_after {
            None => first_after = Some(after),
            Some(first) if after.rss_kb > first.rss_kb + args.rss_growth_mb * 1024 => {
                failures.push(format!(
                    "round {n}: server RSS {} KiB, {} KiB after round 1 (+{} MiB allowed)",
                    after.rss_kb, first.rss_kb, args.rss_growth_mb
                ));
            }
            Some(_) => {}
        }
    }
    let mut server = server;
    if !matches!(server.child.try_wait(), Ok(None)) {
        failures.push("the server exited".into());
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}
