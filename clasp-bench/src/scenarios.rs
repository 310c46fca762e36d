//! The measured scenarios, written once over [`Endpoint`] / [`Stack`].
//!
//! Timing rule: a call into a connection is charged to the side that owns the connection
//! (client or server, sender or receiver). Moving bytes between the two in-memory "wires" is
//! the caller's work and is charged to nobody except through the `read_tls` / `write_tls` calls
//! themselves (for OpenSSL: handing its in-memory pipe the wire's buffer and taking its output,
//! see `endpoint::Pipe`). Constructing a connection is charged to its side (a clasp or rustls
//! client builds its key share and ClientHello in `new`; an OpenSSL client in its first
//! `SSL_do_handshake`). Dropping a connection is not timed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::alloc::{malloc_in_use, rust_live};
use crate::endpoint::{Endpoint, Stack};
use crate::setup::Suite;

/// Plaintext handed to `write_plain` per call, and the size of the receive sink.
pub const CHUNK: usize = 64 * 1024;

/// Runs `f`, adding its duration to `acc`.
fn timed<R>(acc: &mut Duration, f: impl FnOnce() -> R) -> R {
    let t = Instant::now();
    let r = f();
    *acc += t.elapsed();
    r
}

/// Byte `i` of every benchmark stream (period 251, so chunk boundaries are visible).
fn pattern(i: usize) -> u8 {
    // `i % 251 < 251` fits in u8.
    u8::try_from(i % 251).unwrap_or(0)
}

/// Where received plaintext goes: counted, and compared with the pattern if `verify`.
#[derive(Debug)]
struct Sink {
    buf: Vec<u8>,
    received: usize,
    verify: bool,
}

impl Sink {
    fn new(verify: bool) -> Self {
        Self {
            buf: vec![0; CHUNK],
            received: 0,
            verify,
        }
    }

    /// Reads every buffered plaintext byte out of `e`.
    fn drain(&mut self, e: &mut impl Endpoint) -> Result<(), String> {
        loop {
            let n = e.read_plain(&mut self.buf).map_err(|x| x.to_string())?;
            if n == 0 {
                return Ok(());
            }
            if self.verify {
                for (k, b) in self.buf[..n].iter().enumerate() {
                    let at = self.received + k;
                    if *b != pattern(at % CHUNK) {
                        return Err(format!("plaintext byte {at} is {b:#04x}, expected other"));
                    }
                }
            }
            self.received += n;
        }
    }
}

/// Moves every pending TLS byte from `src` to `dst` through `wire`; `dst` processes them
/// (and, with a `sink`, hands out its plaintext) after each `read_tls`. Returns whether
/// anything moved.
fn flow(
    src: &mut impl Endpoint,
    dst: &mut impl Endpoint,
    wire: &mut Vec<u8>,
    t_src: &mut Duration,
    t_dst: &mut Duration,
    mut sink: Option<&mut Sink>,
) -> Result<bool, String> {
    wire.clear();
    timed(t_src, || src.write_all_tls(wire)).map_err(|e| e.to_string())?;
    if wire.is_empty() {
        return Ok(false);
    }
    timed(t_dst, || {
        dst.read_all_tls(wire, |dst| {
            dst.process()?;
            if let Some(s) = sink.as_deref_mut() {
                s.drain(dst)?;
            }
            Ok(())
        })
    })?;
    Ok(true)
}

/// Runs a handshake to completion, charging each side's calls to `tc` / `ts`.
fn complete_handshake(
    c: &mut impl Endpoint,
    s: &mut impl Endpoint,
    wire: &mut Vec<u8>,
    tc: &mut Duration,
    ts: &mut Duration,
) -> Result<(), String> {
    for _ in 0..16 {
        let a = flow(c, s, wire, tc, ts, None)?;
        let b = flow(s, c, wire, ts, tc, None)?;
        if !a && !b {
            break;
        }
    }
    if c.is_handshaking() || s.is_handshaking() {
        return Err("handshake did not complete".into());
    }
    Ok(())
}

/// Time spent by each side over a batch of handshakes.
#[derive(Debug, Clone, Copy, Default)]
pub struct HandshakeTimes {
    /// Client side: `new`, its `write_tls`, `read_tls`, `process_new_packets` calls.
    pub client: Duration,
    /// Server side: the same calls on the server.
    pub server: Duration,
}

/// `n` handshakes between fresh connections, resuming when `resume`: an untimed full handshake
/// first gives the client a session, then every timed handshake must resume the session the one
/// before it left (the client reads the server's NewSessionTicket, charged to the client).
///
/// # Errors
/// A handshake fails, or (with `resume`) does not resume.
pub fn handshakes_resuming<S: Stack>(
    stack: &S,
    n: usize,
    resume: bool,
) -> Result<HandshakeTimes, String> {
    let mut t = HandshakeTimes::default();
    let mut wire = Vec::with_capacity(8192);
    let mut sink = [0u8; 64];
    let one = |t: &mut HandshakeTimes, wire: &mut Vec<u8>, sink: &mut [u8]| {
        let mut c = timed(&mut t.client, || stack.new_client());
        let mut s = timed(&mut t.server, || stack.new_server());
        complete_handshake(&mut c, &mut s, wire, &mut t.client, &mut t.server)?;
        // Post-handshake messages (OpenSSL processes tickets only when reading).
        timed(&mut t.client, || c.read_plain(sink)).map_err(|e| e.to_string())?;
        stack.remember(&mut c);
        black_box(&s);
        Ok::<bool, String>(c.resumed())
    };
    if resume {
        one(&mut HandshakeTimes::default(), &mut wire, &mut sink)?;
    }
    for _ in 0..n {
        if one(&mut t, &mut wire, &mut sink)? != resume {
            return Err(format!("handshake resumed: expected {resume}"));
        }
    }
    Ok(t)
}

/// A connected pair after an untimed handshake.
///
/// # Errors
/// The handshake fails.
pub fn connected<S: Stack>(stack: &S) -> Result<(S::Client, S::Server), String> {
    let mut c = stack.new_client();
    let mut s = stack.new_server();
    let (mut a, mut b) = (Duration::ZERO, Duration::ZERO);
    complete_handshake(&mut c, &mut s, &mut Vec::new(), &mut a, &mut b)?;
    Ok((c, s))
}

/// Sends `total` pattern bytes from `src` to `dst`, charging the sender's `write_plain` and
/// `write_tls` to `t_send` and the receiver's `read_tls`, `process_new_packets` and plaintext
/// reads to `t_recv`.
///
/// # Errors
/// A stack error, a stall, or (with `verify`) a wrong or missing byte.
pub fn stream(
    src: &mut impl Endpoint,
    dst: &mut impl Endpoint,
    total: usize,
    verify: bool,
    t_send: &mut Duration,
    t_recv: &mut Duration,
) -> Result<(), String> {
    let data: Vec<u8> = (0..CHUNK).map(pattern).collect();
    let mut wire = Vec::with_capacity(2 * CHUNK);
    let mut sink = Sink::new(verify);
    let mut sent = 0;
    while sent < total {
        let want = CHUNK.min(total - sent);
        let mut off = 0;
        while off < want {
            let n =
                timed(t_send, || src.write_plain(&data[off..want])).map_err(|e| e.to_string())?;
            off += n;
            let moved = flow(src, dst, &mut wire, t_send, t_recv, Some(&mut sink))?;
            if n == 0 && !moved {
                return Err("sender stalled".into());
            }
        }
        sent += want;
    }
    if sink.received != total {
        return Err(format!("received {} of {total} bytes", sink.received));
    }
    Ok(())
}

/// Sender and receiver time for one bulk transfer.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkTimes {
    /// `write_plain` + `write_tls` on the sender (encryption happens here).
    pub send: Duration,
    /// `read_tls` + `process_new_packets` + plaintext reads on the receiver (decryption).
    pub recv: Duration,
}

/// A fresh connection, then `total` bytes client → server.
///
/// # Errors
/// See [`stream`].
pub fn bulk<S: Stack>(stack: &S, total: usize, verify: bool) -> Result<BulkTimes, String> {
    let (mut c, mut s) = connected(stack)?;
    let mut t = BulkTimes::default();
    stream(&mut c, &mut s, total, verify, &mut t.send, &mut t.recv)?;
    Ok(t)
}

/// Time to seal `total` bytes as 16 KiB records (fresh nonce each) with `aead`, through the
/// clasp provider's `AeadKey::seal_in_place`: the ceiling for any record layer on top of it.
///
/// # Errors
/// The provider fails.
pub fn raw_seal(aead: &dyn clasp::crypto::Aead, total: usize) -> Result<Duration, String> {
    let key = aead
        .key(&vec![0x42; aead.algorithm().key_len()])
        .map_err(|e| format!("{e:?}"))?;
    let mut buf = vec![0u8; 16 * 1024];
    let aad = [0x17, 0x03, 0x03, 0x40, 0x11];
    let mut nonce = [0u8; 12];
    let records = total.div_ceil(buf.len());
    let t = Instant::now();
    for i in 0..records as u64 {
        nonce[4..].copy_from_slice(&i.to_be_bytes());
        let tag = key
            .seal_in_place(&nonce, &aad, &mut buf)
            .map_err(|e| format!("{e:?}"))?;
        black_box(tag);
    }
    Ok(t.elapsed())
}

/// [`raw_seal`] for OpenSSL's own primitives (libcrypto, not aws-lc): one EVP context keyed
/// once, then per 16 KiB record a fresh IV, the AAD, an in-place update, final and the tag, as
/// OpenSSL's TLS 1.3 record layer does. The ceiling for OpenSSL's column.
///
/// # Errors
/// libcrypto fails.
pub fn raw_seal_openssl(suite: Suite, total: usize) -> Result<Duration, String> {
    use openssl::cipher::Cipher;
    use openssl::cipher_ctx::CipherCtx;
    let e = |x: openssl::error::ErrorStack| x.to_string();
    let cipher = match suite {
        Suite::Aes128Gcm => Cipher::aes_128_gcm(),
        Suite::Chacha20Poly1305 => Cipher::chacha20_poly1305(),
    };
    let mut ctx = CipherCtx::new().map_err(e)?;
    ctx.encrypt_init(Some(cipher), Some(&vec![0x42; cipher.key_length()]), None)
        .map_err(e)?;
    let mut buf = vec![0u8; 16 * 1024];
    let aad = [0x17, 0x03, 0x03, 0x40, 0x11];
    let mut nonce = [0u8; 12];
    let mut tag = [0u8; 16];
    let records = total.div_ceil(buf.len());
    let t = Instant::now();
    for i in 0..records as u64 {
        nonce[4..].copy_from_slice(&i.to_be_bytes());
        ctx.encrypt_init(None, None, Some(&nonce)).map_err(e)?;
        ctx.cipher_update(&aad, None).map_err(e)?;
        let len = buf.len();
        ctx.cipher_update_inplace(&mut buf, len).map_err(e)?;
        ctx.cipher_final(&mut []).map_err(e)?;
        ctx.tag(&mut tag).map_err(e)?;
        black_box(&tag);
    }
    Ok(t.elapsed())
}

/// Memory held per idle connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Client: Rust heap (this thread) + the connection struct itself.
    pub client_rust: f64,
    /// Server: Rust heap (this thread) + the connection struct itself.
    pub server_rust: f64,
    /// Client: C heap in use (mallinfo2, includes aws-lc's allocations) + the struct.
    pub client_malloc: f64,
    /// Server: C heap in use + the struct.
    pub server_malloc: f64,
    /// Client `buffer_capacity()`, where the stack reports it.
    pub client_buffers: Option<f64>,
    /// Server `buffer_capacity()`, where the stack reports it.
    pub server_buffers: Option<f64>,
}

fn per(delta: f64, n: usize) -> f64 {
    // Connection counts are small; the f64 conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let n = n as f64;
    delta / n
}

#[allow(clippy::cast_precision_loss)]
fn diff_isize(a: isize, b: isize) -> f64 {
    (a - b) as f64
}

#[allow(clippy::cast_precision_loss)]
fn diff_usize(a: usize, b: usize) -> f64 {
    a as f64 - b as f64
}

/// `pairs` connected pairs held idle, after the handshake and (if `transfer` > 0) after
/// `transfer` bytes each way, read to the end. Measures the heap before and after dropping the
/// servers, then the clients. The vectors holding the connections are allocated first, so only
/// what each connection owns (plus its inline size) is counted.
///
/// # Errors
/// A handshake or transfer fails.
pub fn idle_memory<S: Stack>(stack: &S, pairs: usize, transfer: usize) -> Result<Memory, String> {
    let mut clients: Vec<S::Client> = Vec::with_capacity(pairs);
    let mut servers: Vec<S::Server> = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let (mut c, mut s) = connected(stack)?;
        if transfer > 0 {
            let (mut a, mut b) = (Duration::ZERO, Duration::ZERO);
            stream(&mut c, &mut s, transfer, false, &mut a, &mut b)?;
            stream(&mut s, &mut c, transfer, false, &mut a, &mut b)?;
        }
        // OpenSSL's in-memory "socket" is the harness's, not the connection's.
        c.release_harness_buffers();
        s.release_harness_buffers();
        clients.push(c);
        servers.push(s);
    }
    let (r1, m1) = (rust_live(), malloc_in_use());
    let client_buffers = clients
        .iter()
        .map(Endpoint::buffer_capacity)
        .sum::<Option<usize>>();
    let server_buffers = servers
        .iter()
        .map(Endpoint::buffer_capacity)
        .sum::<Option<usize>>();
    servers.clear();
    let (r2, m2) = (rust_live(), malloc_in_use());
    clients.clear();
    let (r3, m3) = (rust_live(), malloc_in_use());
    #[allow(clippy::cast_precision_loss)]
    let (cs, ss) = (
        std::mem::size_of::<S::Client>() as f64,
        std::mem::size_of::<S::Server>() as f64,
    );
    #[allow(clippy::cast_precision_loss)]
    let avg = |b: Option<usize>| b.map(|b| per(b as f64, pairs));
    Ok(Memory {
        client_rust: per(diff_isize(r2, r3), pairs) + cs,
        server_rust: per(diff_isize(r1, r2), pairs) + ss,
        client_malloc: per(diff_usize(m2, m3), pairs) + cs,
        server_malloc: per(diff_usize(m1, m2), pairs) + ss,
        client_buffers: avg(client_buffers),
        server_buffers: avg(server_buffers),
    })
}
