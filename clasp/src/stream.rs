//! Blocking adapter: a connection plus any `Read + Write` transport, used as one `Read + Write`.
//!
//! This module owns the I/O loop for blocking callers (the core in [`crate::conn`] never does
//! I/O). It completes the handshake on first use, moves TLS bytes with `read_tls` /
//! `process_new_packets` / `write_tls`, and turns clasp errors into `io::Error`s that keep the
//! [`Error`] inside (downcast with `get_ref()`). It must never decide protocol questions itself.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::ServerName;

use crate::config::ClientConfig;
use crate::conn::{ClientConnection, ConnectionCommon, IoState, ServerConnection};
use crate::error::Error;

/// A connection a [`Stream`] can drive: a [`ClientConnection`], a [`ServerConnection`], a
/// [`ConnectionCommon`], or a `&mut` or `Box` of one. Owned or borrowed: both
/// `Stream::new(conn, sock)` and rustls's `Stream::new(&mut conn, &mut sock)` compile.
pub trait AsConnection {
    /// The connection.
    fn connection(&self) -> &ConnectionCommon;
    /// The connection, mutably.
    fn connection_mut(&mut self) -> &mut ConnectionCommon;
}

impl AsConnection for ConnectionCommon {
    fn connection(&self) -> &ConnectionCommon {
        self
    }
    fn connection_mut(&mut self) -> &mut ConnectionCommon {
        self
    }
}

impl AsConnection for ClientConnection {
    fn connection(&self) -> &ConnectionCommon {
        self
    }
    fn connection_mut(&mut self) -> &mut ConnectionCommon {
        self
    }
}

impl AsConnection for ServerConnection {
    fn connection(&self) -> &ConnectionCommon {
        self
    }
    fn connection_mut(&mut self) -> &mut ConnectionCommon {
        self
    }
}

impl<C: AsConnection + ?Sized> AsConnection for &mut C {
    fn connection(&self) -> &ConnectionCommon {
        (**self).connection()
    }
    fn connection_mut(&mut self) -> &mut ConnectionCommon {
        (**self).connection_mut()
    }
}

impl<C: AsConnection + ?Sized> AsConnection for Box<C> {
    fn connection(&self) -> &ConnectionCommon {
        (**self).connection()
    }
    fn connection_mut(&mut self) -> &mut ConnectionCommon {
        (**self).connection_mut()
    }
}

/// A TLS connection `C` (a [`ClientConnection`], a [`ServerConnection`], or a `&mut` of one:
/// see [`AsConnection`]) over a blocking transport `T` (owned, or `&mut` of one).
///
/// Reading returns `Ok(0)` only after the peer's close_notify. If the transport ends without it,
/// reading fails with [`io::ErrorKind::UnexpectedEof`] carrying [`Error::UnexpectedEof`]: the
/// data may have been truncated by an attacker (RFC 8446 §6.1).
///
/// **Timeouts are the application's.** `Stream` waits as long as its transport does: a peer that
/// stops reading blocks [`Write::write`] (and a read, which sends our pending output first) in
/// the transport's write, and a silent or dripping peer blocks reads and the handshake. Give the
/// transport timeouts ([`TcpStream::set_read_timeout`] / [`TcpStream::set_write_timeout`], or
/// [`Stream::connect_timeout`], which sets both); an expired timeout surfaces as the transport's
/// error ([`io::ErrorKind::WouldBlock`] or [`io::ErrorKind::TimedOut`]). Bound the whole
/// handshake by a deadline, not only each read, if a peer dripping one byte per timeout must
/// not hold you longer.
///
/// Reading never lets output pile up: before it reads from the transport, `Stream` writes out
/// everything the connection has queued (answers to the peer's KeyUpdates, say), so a peer
/// that sends requests and never reads meets the write timeout, not our memory.
///
/// ```no_run
/// use std::io::{Read, Write};
/// use std::sync::Arc;
///
/// let config = clasp::ClientConfig::builder().with_native_roots()?.build()?;
/// let mut tls = clasp::Stream::connect("example.com:443", Arc::new(config))?;
/// tls.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")?;
/// let mut page = Vec::new();
/// tls.read_to_end(&mut page)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Borrowed parts, as with rustls's `Stream`:
///
/// ```no_run
/// use std::io::Write;
/// use std::net::TcpStream;
/// use std::sync::Arc;
/// use clasp::pki_types::ServerName;
///
/// let config = Arc::new(clasp::ClientConfig::builder().with_native_roots()?.build()?);
/// let mut conn = clasp::ClientConnection::new(config, ServerName::try_from("example.com")?)?;
/// let mut sock = TcpStream::connect("example.com:443")?;
/// let mut tls = clasp::Stream::new(&mut conn, &mut sock);
/// tls.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Stream<C, T> {
    conn: C,
    sock: T,
}

/// Turns a clasp error into an `io::Error` that keeps it as the inner error.
fn to_io(e: Error) -> io::Error {
    let kind = match e {
        Error::UnexpectedEof => io::ErrorKind::UnexpectedEof,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

impl<C, T> Stream<C, T>
where
    C: AsConnection,
    T: Read + Write,
{
    /// Wraps `conn` over `sock`. Nothing is sent until the first read, write or
    /// [`Self::complete_handshake`].
    pub fn new(conn: C, sock: T) -> Self {
        Self { conn, sock }
    }

    /// The connection (for `negotiated()`, `peer_certificates()`, …).
    pub fn conn(&self) -> &C {
        &self.conn
    }

    /// The connection, mutably.
    pub fn conn_mut(&mut self) -> &mut C {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.sock
    }

    /// The transport, mutably (e.g. to set timeouts). Reading or writing it directly corrupts the
    /// TLS stream.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.sock
    }

    /// Splits the stream back into its parts.
    pub fn into_parts(self) -> (C, T) {
        (self.conn, self.sock)
    }

    /// Writes every pending TLS byte to the transport.
    fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.connection().wants_write() {
            match self.conn.connection_mut().write_tls(&mut self.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Processes received records, queuing the alert for a failure and sending it.
    fn process(&mut self) -> io::Result<IoState> {
        self.conn
            .connection_mut()
            .process_new_packets()
            .map_err(|e| {
                // The connection queued an alert describing `e`; tell the peer, best effort (the
                // peer may already be gone, and `e` is the error that matters).
                let _ = self.flush_tls();
                to_io(e)
            })
    }

    /// Reads one chunk of TLS bytes and processes it. Returns `false` at end of transport.
    ///
    /// Call with the output flushed. Records that waited in the connection while its output was
    /// over the cap ([`ConnectionCommon::wants_read`]) are processed first: they may be all the
    /// caller needs, and the transport may have nothing more to give.
    fn read_and_process(&mut self) -> io::Result<bool> {
        let handshaking = self.conn.connection().is_handshaking();
        let st = self.process()?;
        if st.plaintext_bytes_to_read > 0
            || st.tls_bytes_to_write > 0
            || handshaking != self.conn.connection().is_handshaking()
        {
            return Ok(true);
        }
        let n = loop {
            match self.conn.connection_mut().read_tls(&mut self.sock) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        self.process()?;
        Ok(n > 0)
    }

    /// Runs the handshake to completion (a no-op once it is done).
    ///
    /// # Errors
    /// Transport errors; [`io::ErrorKind::InvalidData`] with the clasp [`Error`] inside when the
    /// handshake fails; [`io::ErrorKind::UnexpectedEof`] if the transport ends first.
    pub fn complete_handshake(&mut self) -> io::Result<()> {
        loop {
            self.flush_tls()?;
            if !self.conn.connection().is_handshaking() {
                return Ok(());
            }
            if let Some(e) = self.conn.connection().error() {
                return Err(to_io(e.clone()));
            }
            if !self.read_and_process()? && self.conn.connection().is_handshaking() {
                return Err(to_io(Error::UnexpectedEof));
            }
        }
    }

    /// Sends close_notify (RFC 8446 §6.1) and flushes it. Reading may continue until the peer
    /// closes too.
    ///
    /// # Errors
    /// Transport errors.
    pub fn send_close_notify(&mut self) -> io::Result<()> {
        self.conn.connection_mut().send_close_notify();
        self.flush_tls()?;
        self.sock.flush()
    }
}

impl<C, T> Read for Stream<C, T>
where
    C: AsConnection,
    T: Read + Write,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.complete_handshake()?;
        loop {
            match self.conn.connection_mut().reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            // Answers the handshake may have queued (KeyUpdate) go out before we block, and all of
            // our output goes out before we read more: a peer that sends requests and never
            // reads cannot make us queue without end (this blocks until the transport takes
            // it, or fails at the transport's write timeout).
            self.flush_tls()?;
            if !self.read_and_process()? {
                // One more look: the last chunk may have carried data or close_notify.
                return match self.conn.connection_mut().reader().read(buf) {
                    Ok(n) => Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        Err(to_io(Error::UnexpectedEof))
                    }
                    Err(e) => Err(e),
                };
            }
        }
    }
}

impl<C, T> Write for Stream<C, T>
where
    C: AsConnection,
    T: Read + Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.complete_handshake()?;
        let n = self.conn.connection_mut().writer().write(buf)?;
        self.flush_tls()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.connection_mut().writer().flush()?;
        self.flush_tls()?;
        self.sock.flush()
    }
}

impl Stream<ClientConnection, TcpStream> {
    /// Like [`Self::connect`], with a deadline: each TCP connection attempt gives up after
    /// `timeout`, and the socket's read and write timeouts are set to `timeout`, so every later
    /// read or write (the handshake's included) fails with [`io::ErrorKind::WouldBlock`] or
    /// [`io::ErrorKind::TimedOut`] after `timeout` without progress instead of waiting forever.
    ///
    /// ```no_run
    /// use std::io::{Read, Write};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let config = Arc::new(clasp::ClientConfig::builder().with_native_roots()?.build()?);
    /// let mut tls = clasp::Stream::connect_timeout("example.com:443", config, Duration::from_secs(10))?;
    /// tls.complete_handshake()?;
    /// // The same by hand, on a socket you made yourself:
    /// let sock = std::net::TcpStream::connect("example.com:443")?;
    /// sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    /// sock.set_write_timeout(Some(Duration::from_secs(10)))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Self::connect`]; [`io::ErrorKind::InvalidInput`] for a zero `timeout`;
    /// [`io::ErrorKind::TimedOut`] when no address answers in time.
    pub fn connect_timeout(
        addr: &str,
        config: Arc<ClientConfig>,
        timeout: Duration,
    ) -> io::Result<Self> {
        let name = server_name(addr)?;
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(sock) => {
                    sock.set_read_timeout(Some(timeout))?;
                    sock.set_write_timeout(Some(timeout))?;
                    let conn = ClientConnection::new(config, name).map_err(to_io)?;
                    return Ok(Self::new(conn, sock));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the address resolved to nothing",
            )
        }))
    }

    /// Connects over TCP to `addr` (`"host:port"`, `"[v6]:port"`) and starts a client connection that
    /// verifies the server against `host`. The handshake runs on first use.
    ///
    /// # Errors
    /// An unusable host name ([`io::ErrorKind::InvalidInput`]), TCP/DNS errors, or a connection
    /// that cannot start.
    pub fn connect(addr: &str, config: Arc<ClientConfig>) -> io::Result<Self> {
        let name = server_name(addr)?;
        let sock = TcpStream::connect(addr)?;
        let conn = ClientConnection::new(config, name).map_err(to_io)?;
        Ok(Self::new(conn, sock))
    }
}

/// The server name in `"host:port"` / `"[v6]:port"`.
fn server_name(addr: &str) -> io::Result<ServerName<'static>> {
    let (host, _port) = addr
        .rsplit_once(':')
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "address must be host:port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::RootCertStore;
    use crate::{ServerConfig, ServerConnection};
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::net::TcpListener;

    fn configs() -> (Arc<ClientConfig>, Arc<ServerConfig>) {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(ca.der()).unwrap();
        let client = ClientConfig::builder()
            .with_root_certificates(roots)
            .build()
            .unwrap();
        let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
        let server = ServerConfig::builder()
            .with_single_cert(
                chain,
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .build()
            .unwrap();
        (Arc::new(client), Arc::new(server))
    }

    /// Starts a server thread on 127.0.0.1 running `serve` over one accepted connection.
    fn server<F>(cfg: Arc<ServerConfig>, serve: F) -> (u16, std::thread::JoinHandle<()>)
    where
        F: FnOnce(Stream<ServerConnection, TcpStream>) + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            serve(Stream::new(ServerConnection::new(cfg).unwrap(), sock));
        });
        (port, h)
    }

    #[test]
    fn echo_over_tcp_then_clean_close() {
        let (ccfg, scfg) = configs();
        let (port, h) = server(scfg, |mut s| {
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"hello");
            s.write_all(b"world").unwrap();
            s.send_close_notify().unwrap();
        });
        let mut c = Stream::connect(&format!("localhost:{port}"), ccfg).unwrap();
        c.write_all(b"hello").unwrap();
        let mut got = Vec::new();
        // read_to_end succeeds only on a clean EOF (close_notify).
        c.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"world");
        assert!(!c.conn().is_handshaking());
        assert!(c.conn().protocol_version().is_some());
        h.join().unwrap();
    }

    #[test]
    fn eof_without_close_notify_is_unexpected_eof() {
        let (ccfg, scfg) = configs();
        let (port, h) = server(scfg, |mut s| {
            s.write_all(b"partial").unwrap();
            // Drop without close_notify: the TCP connection just ends.
        });
        let mut c = Stream::connect(&format!("localhost:{port}"), ccfg).unwrap();
        let mut got = Vec::new();
        let err = c.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert_eq!(inner, Some(&Error::UnexpectedEof));
        assert_eq!(got, b"partial");
        h.join().unwrap();
    }

    #[test]
    fn wrong_name_fails_with_certificate_error_inside() {
        let (ccfg, scfg) = configs();
        let (port, h) = server(scfg, |mut s| {
            assert!(s.complete_handshake().is_err());
        });
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let name = ServerName::try_from("other.example").unwrap();
        let mut c = Stream::new(ClientConnection::new(ccfg, name).unwrap(), sock);
        let err = c.complete_handshake().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert!(
            matches!(inner, Some(Error::InvalidCertificate(_))),
            "{inner:?}"
        );
        h.join().unwrap();
    }

    /// Far more data than the receive side buffers (its plaintext cap is 16 KiB), then
    /// close_notify, all sent before the reader starts: read in small pieces, everything
    /// arrives and the stream ends cleanly (records held back at the cap are processed from
    /// the receive buffer, not waited for on the socket).
    #[test]
    fn data_beyond_the_plaintext_cap_then_close_arrives_whole() {
        let (ccfg, scfg) = configs();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let (port, h) = server(scfg, move |mut s| {
            s.get_ref()
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            s.write_all(&data).unwrap();
            s.send_close_notify().unwrap();
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
        });
        let mut c =
            Stream::connect_timeout(&format!("localhost:{port}"), ccfg, Duration::from_secs(5))
                .unwrap();
        c.complete_handshake().unwrap();
        // Let everything reach our socket first.
        std::thread::sleep(Duration::from_millis(200));
        let mut got = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = c.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got == expected, "got {} bytes", got.len());
        c.send_close_notify().unwrap();
        h.join().unwrap();
    }

    /// A server that completes the handshake and then never reads: the client's writes fill the
    /// socket buffers and then fail at the write timeout instead of blocking forever.
    #[test]
    fn writes_to_a_peer_that_never_reads_fail_at_the_write_timeout() {
        let (ccfg, scfg) = configs();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let (port, h) = server(scfg, move |mut s| {
            s.complete_handshake().unwrap();
            // Hold the connection open without reading until the client is done.
            let _ = done_rx.recv_timeout(Duration::from_secs(20));
        });
        let timeout = Duration::from_millis(300);
        let mut c = Stream::connect_timeout(&format!("localhost:{port}"), ccfg, timeout).unwrap();
        c.complete_handshake().unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let start = std::time::Instant::now();
        let mut written = 0usize;
        let err = loop {
            match c.write(&chunk) {
                Ok(n) => written += n,
                Err(e) => break e,
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "still writing after {written} bytes"
            );
        };
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{err:?}"
        );
        // The socket buffers took what they could; the connection's own queue did not grow
        // beyond one write's records.
        assert!(c.conn().pending_tls().len() <= chunk.len() + 4 * 22);
        done_tx.send(()).unwrap();
        h.join().unwrap();
    }
}
