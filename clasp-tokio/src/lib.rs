//! Async adapter for [clasp] on tokio: [`TlsConnector`] and [`TlsAcceptor`].
//!
//! This crate owns the async I/O loop (the clasp core never does I/O): it moves TLS bytes between
//! a clasp connection and any `AsyncRead + AsyncWrite` transport, and exposes the result as a
//! [`tokio::io::AsyncRead`] + [`tokio::io::AsyncWrite`] stream. It decides no protocol question
//! itself. Errors are `io::Error`s carrying the clasp [`Error`] inside (downcast with
//! `get_ref()`); a transport that ends without close_notify reads as
//! [`io::ErrorKind::UnexpectedEof`] with [`Error::UnexpectedEof`] inside (RFC 8446 §6.1: the data
//! may have been truncated).
//!
//! ```no_run
//! use std::sync::Arc;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use tokio::net::{TcpListener, TcpStream};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Server: accept one TLS connection and echo a line.
//! let config = clasp::ServerConfig::builder()
//!     .with_cert_files("cert.pem", "key.pem")
//!     .build()?;
//! let acceptor = clasp_tokio::TlsAcceptor::from(Arc::new(config));
//! let listener = TcpListener::bind("127.0.0.1:8443").await?;
//! tokio::spawn(async move {
//!     let (tcp, _) = listener.accept().await?;
//!     let mut tls = acceptor.accept(tcp).await?;
//!     let mut buf = [0u8; 64];
//!     let n = tls.read(&mut buf).await?;
//!     tls.write_all(&buf[..n]).await?;
//!     tls.shutdown().await?;
//!     Ok::<(), std::io::Error>(())
//! });
//!
//! // Client.
//! let config = clasp::ClientConfig::builder().with_ca_file("ca.pem")?.build()?;
//! let connector = clasp_tokio::TlsConnector::from(Arc::new(config));
//! let tcp = TcpStream::connect("127.0.0.1:8443").await?;
//! let name = clasp_tokio::ServerName::try_from("localhost")?;
//! let mut tls = connector.connect(name, tcp).await?;
//! tls.write_all(b"hello\n").await?;
//! let (_tcp, conn) = tls.get_ref();
//! println!("negotiated {:?}", conn.protocol_version());
//! # Ok(())
//! # }
//! ```
//!
//! # Timeouts are the application's
//! Nothing here gives up on its own: a silent peer, or one that drips a byte now and then,
//! holds a handshake or a read for as long as it likes, and a peer that stops reading holds a
//! write. Bound the handshake with [`TlsConnector::connect_with_timeout`] /
//! [`TlsAcceptor::accept_with_timeout`] (or wrap any call in [`tokio::time::timeout`]), and the
//! reads and writes after it the same way, as your protocol's idle rules say.
//!
//! # Bounded
//! A [`TlsStream`] never reads more TLS input while more than
//! [`clasp::conn::PENDING_OUTPUT_LIMIT`] (64 KiB) of its output waits for the transport: a peer
//! that floods KeyUpdate requests and never reads gets no more than that queued, and a write
//! takes no new plaintext until earlier records have been sent.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::ops::DerefMut;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use clasp::conn::{ConnectionCommon, IoState, PENDING_OUTPUT_LIMIT};
use clasp::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub use rustls_pki_types::ServerName;

/// Most plaintext accepted by one `poll_write`, so a huge write cannot balloon the send buffer
/// (four full records).
const MAX_WRITE_CHUNK: usize = 4 * 16 * 1024;

/// Client-side stream types.
pub mod client {
    /// A client TLS stream over `IO`.
    pub type TlsStream<IO> = crate::TlsStream<IO, clasp::ClientConnection>;
}

/// Server-side stream types.
pub mod server {
    /// A server TLS stream over `IO`.
    pub type TlsStream<IO> = crate::TlsStream<IO, clasp::ServerConnection>;
}

/// Turns a clasp error into an `io::Error` that keeps it as the inner error.
fn to_io(e: Error) -> io::Error {
    let kind = match e {
        Error::UnexpectedEof => io::ErrorKind::UnexpectedEof,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

/// A blocking `Read + Write` view of an async transport for one poll: `Pending` becomes
/// `WouldBlock` (the waker is registered by the inner poll).
struct SyncIo<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
}

impl<IO: AsyncRead + Unpin> Read for SyncIo<'_, '_, IO> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut rb) {
            Poll::Ready(Ok(())) => Ok(rb.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<IO: AsyncWrite + Unpin> Write for SyncIo<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match Pin::new(&mut *self.io).poll_flush(self.cx) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// Turns a `WouldBlock` from the sync view back into `Pending`.
fn ready<T>(r: io::Result<T>) -> Poll<io::Result<T>> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
        r => Poll::Ready(r),
    }
}

/// A TLS connection `C` ([`ClientConnection`] or [`ServerConnection`]) over an async transport
/// `IO`, usable as one [`AsyncRead`] + [`AsyncWrite`]. Made by [`TlsConnector::connect`] and
/// [`TlsAcceptor::accept`] with the handshake already complete.
///
/// Reading returns end-of-stream only after the peer's close_notify; a transport that ends
/// without it fails with [`io::ErrorKind::UnexpectedEof`].
#[derive(Debug)]
pub struct TlsStream<IO, C> {
    io: IO,
    conn: C,
    /// The transport reported end of stream.
    eof: bool,
}

impl<IO, C> TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = ConnectionCommon> + Unpin,
{
    /// The transport and the connection (for `negotiated()`, `alpn_protocol()`, …).
    pub fn get_ref(&self) -> (&IO, &C) {
        (&self.io, &self.conn)
    }

    /// The transport and the connection, mutably. Reading or writing the transport directly
    /// corrupts the TLS stream.
    pub fn get_mut(&mut self) -> (&mut IO, &mut C) {
        (&mut self.io, &mut self.conn)
    }

    /// Splits the stream back into its parts.
    pub fn into_inner(self) -> (IO, C) {
        (self.io, self.conn)
    }

    /// Writes pending TLS bytes until none remain (`Pending` if the transport is full).
    fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match ready(self.conn.write_tls(&mut io)) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Processes received records; on failure sends the queued alert, best effort (the peer may
    /// be gone, and the error is what matters).
    fn process(&mut self, cx: &mut Context<'_>) -> io::Result<IoState> {
        self.conn.process_new_packets().map_err(|e| {
            let _ = self.poll_flush_tls(cx);
            to_io(e)
        })
    }

    /// Reads one chunk of TLS bytes and processes it. `Ready(Ok(false))` at end of transport.
    ///
    /// Never reads while more than [`PENDING_OUTPUT_LIMIT`] bytes of our output wait: they
    /// must drain first (`Pending` until the transport takes them), so a peer that sends
    /// requests and never reads cannot make us queue without end. Records that waited in the
    /// connection meanwhile are processed before anything new is read.
    fn poll_read_and_process(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.conn.pending_tls().len() > PENDING_OUTPUT_LIMIT {
            match self.poll_flush_tls(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
        }
        let handshaking = self.conn.is_handshaking();
        let st = match self.process(cx) {
            Ok(st) => st,
            Err(e) => return Poll::Ready(Err(e)),
        };
        if st.plaintext_bytes_to_read > 0
            || st.tls_bytes_to_write > PENDING_OUTPUT_LIMIT
            || handshaking != self.conn.is_handshaking()
        {
            return Poll::Ready(Ok(true));
        }
        if self.eof {
            return Poll::Ready(Ok(false));
        }
        let n = loop {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match ready(self.conn.read_tls(&mut io)) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(n)) => break n,
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            }
        };
        if n == 0 {
            self.eof = true;
        }
        if let Err(e) = self.process(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n > 0))
    }

    /// What every write waits for first: the handshake done, and (backpressure) no earlier
    /// records still waiting for the transport. `Err` carries what the write returns instead.
    fn poll_ready_to_write(&mut self, cx: &mut Context<'_>) -> Result<(), Poll<io::Result<usize>>> {
        match self.poll_handshake(cx) {
            Poll::Ready(Ok(())) => {}
            other => return Err(other.map(|r| r.map(|()| 0))),
        }
        match self.poll_flush_tls(cx) {
            Poll::Ready(Ok(())) => Ok(()),
            other => Err(other.map(|r| r.map(|()| 0))),
        }
    }

    /// Drives the handshake to completion (`Ready(Ok)` at once when it is done).
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if let Poll::Ready(Err(e)) = self.poll_flush_tls(cx) {
                return Poll::Ready(Err(e));
            }
            if let Some(e) = self.conn.error() {
                return Poll::Ready(Err(to_io(e.clone())));
            }
            if !self.conn.is_handshaking() {
                // Our last flight (client Finished) may still be queued; it goes out with the
                // next write or flush.
                return Poll::Ready(Ok(()));
            }
            match self.poll_read_and_process(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(false)) if self.conn.is_handshaking() => {
                    return Poll::Ready(Err(to_io(Error::UnexpectedEof)));
                }
                Poll::Ready(Ok(_)) => {}
            }
        }
    }

    /// Wraps `conn` over `io` and completes the handshake.
    async fn handshake(io: IO, conn: C) -> io::Result<Self> {
        let mut s = Self {
            io,
            conn,
            eof: false,
        };
        poll_fn(|cx| s.poll_handshake(cx)).await?;
        // Push out our final flight now, so a peer that only reads still finishes.
        poll_fn(|cx| s.poll_flush_tls(cx)).await?;
        Ok(s)
    }
}

impl<IO, C> AsyncRead for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = ConnectionCommon> + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Poll::Ready(Err(e)) = this.poll_handshake(cx) {
            return Poll::Ready(Err(e));
        }
        loop {
            match this.conn.reader().read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            // Answers the connection may have queued (KeyUpdate) go out before we wait; a full
            // transport is fine here, the bytes stay queued for the next flush, up to the cap
            // on pending output: above it `poll_read_and_process` reads nothing until they
            // have drained.
            if let Poll::Ready(Err(e)) = this.poll_flush_tls(cx) {
                return Poll::Ready(Err(e));
            }
            match this.poll_read_and_process(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(true)) => {}
                Poll::Ready(Ok(false)) => {
                    // One more look: the last chunk may have carried data or close_notify.
                    return match this.conn.reader().read(buf.initialize_unfilled()) {
                        Ok(n) => {
                            buf.advance(n);
                            Poll::Ready(Ok(()))
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            Poll::Ready(Err(to_io(Error::UnexpectedEof)))
                        }
                        Err(e) => Poll::Ready(Err(e)),
                    };
                }
            }
        }
    }
}

impl<IO, C> AsyncWrite for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = ConnectionCommon> + Unpin,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(ready) = this.poll_ready_to_write(cx) {
            return ready;
        }
        let chunk = buf.get(..MAX_WRITE_CHUNK).unwrap_or(buf);
        let n = this.conn.writer().write(chunk)?;
        // Start sending; what the transport cannot take now goes out on the next call.
        if let Poll::Ready(Err(e)) = this.poll_flush_tls(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    /// Small pieces (an HTTP/2 HEADERS frame, a DATA frame header and its payload) become one
    /// record sent in one system call: written one `poll_write` at a time they were a record
    /// and a `sendto` each, twice the syscalls of tokio-rustls per HTTP/2 response and twice
    /// the records for the peer to open (issue 14 item 6, measured with `strace -c`).
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(ready) = this.poll_ready_to_write(cx) {
            return ready;
        }
        // Up to MAX_WRITE_CHUNK of the pieces are joined and written at once (the connection
        // cuts records of at most 2^14 bytes, RFC 8446 §5.1); a single piece needs no copy.
        let mut pieces = bufs.iter().filter(|b| !b.is_empty());
        let n = match (pieces.next(), pieces.next()) {
            (None, _) => return Poll::Ready(Ok(0)),
            (Some(b), None) => this
                .conn
                .writer()
                .write(b.get(..MAX_WRITE_CHUNK).unwrap_or(b))?,
            (Some(_), Some(_)) => {
                let total = bufs.iter().map(|b| b.len()).sum::<usize>();
                let mut joined = Vec::with_capacity(total.min(MAX_WRITE_CHUNK));
                for b in bufs {
                    let room = MAX_WRITE_CHUNK - joined.len();
                    joined.extend_from_slice(b.get(..room).unwrap_or(b));
                    if joined.len() == MAX_WRITE_CHUNK {
                        break;
                    }
                }
                this.conn.writer().write(&joined)?
            }
        };
        if let Poll::Ready(Err(e)) = this.poll_flush_tls(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.conn.writer().flush()?;
        match this.poll_flush_tls(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // RFC 8446 §6.1: close_notify before closing the write side. Idempotent.
        this.conn.send_close_notify();
        match this.poll_flush_tls(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_shutdown(cx),
            other => other,
        }
    }
}

/// Makes client connections over async transports. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        Self { config }
    }
}

impl TlsConnector {
    /// Runs a client handshake with `server_name` over `io`.
    ///
    /// # Errors
    /// Transport errors; [`io::ErrorKind::InvalidData`] with the clasp [`Error`] inside when the
    /// handshake fails (e.g. [`Error::InvalidCertificate`]); [`io::ErrorKind::UnexpectedEof`] if
    /// the transport ends first.
    pub async fn connect<IO>(
        &self,
        server_name: ServerName<'static>,
        io: IO,
    ) -> io::Result<client::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.connect_with(server_name, io, |_| {}).await
    }

    /// Like [`Self::connect`], calling `f` on the connection before any byte moves (to set an
    /// observer, say; note the ClientHello is already built by then).
    ///
    /// # Errors
    /// As [`Self::connect`].
    pub async fn connect_with<IO, F>(
        &self,
        server_name: ServerName<'static>,
        io: IO,
        f: F,
    ) -> io::Result<client::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&mut ClientConnection),
    {
        let mut conn = ClientConnection::new(self.config.clone(), server_name).map_err(to_io)?;
        f(&mut conn);
        TlsStream::handshake(io, conn).await
    }

    /// Like [`Self::connect`], giving up when the handshake has not completed within `timeout`
    /// (a silent or dripping server cannot hold the caller longer).
    ///
    /// # Errors
    /// As [`Self::connect`]; [`io::ErrorKind::TimedOut`] when `timeout` passes first.
    pub async fn connect_with_timeout<IO>(
        &self,
        server_name: ServerName<'static>,
        io: IO,
        timeout: Duration,
    ) -> io::Result<client::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        with_timeout(timeout, self.connect(server_name, io)).await
    }
}

/// Runs `handshake`, failing with [`io::ErrorKind::TimedOut`] after `timeout`.
async fn with_timeout<T>(
    timeout: Duration,
    handshake: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    tokio::time::timeout(timeout, handshake)
        .await
        .unwrap_or_else(|_| {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("TLS handshake not complete after {timeout:?}"),
            ))
        })
}

/// Accepts server connections over async transports. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }
}

impl TlsAcceptor {
    /// Runs a server handshake over `io`.
    ///
    /// # Errors
    /// Transport errors; [`io::ErrorKind::InvalidData`] with the clasp [`Error`] inside when the
    /// handshake fails (garbage, no common parameters, a bad client certificate);
    /// [`io::ErrorKind::UnexpectedEof`] if the client goes away first.
    pub async fn accept<IO>(&self, io: IO) -> io::Result<server::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.accept_with(io, |_| {}).await
    }

    /// Like [`Self::accept`], calling `f` on the connection before the handshake starts (to set
    /// an observer with [`ConnectionCommon::set_observer`], say).
    ///
    /// # Errors
    /// As [`Self::accept`].
    pub async fn accept_with<IO, F>(&self, io: IO, f: F) -> io::Result<server::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&mut ServerConnection),
    {
        let mut conn = ServerConnection::new(self.config.clone()).map_err(to_io)?;
        f(&mut conn);
        TlsStream::handshake(io, conn).await
    }

    /// Like [`Self::accept`], giving up when the handshake has not completed within `timeout`
    /// (a client that connects and stays silent, or drips its ClientHello, cannot hold a task
    /// longer).
    ///
    /// # Errors
    /// As [`Self::accept`]; [`io::ErrorKind::TimedOut`] when `timeout` passes first.
    pub async fn accept_with_timeout<IO>(
        &self,
        io: IO,
        timeout: Duration,
    ) -> io::Result<server::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        with_timeout(timeout, self.accept(io)).await
    }

    /// The configuration connections are accepted with.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }
}
