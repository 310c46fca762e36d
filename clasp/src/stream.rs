//! Blocking adapter: a connection plus any `Read + Write` transport, used as one `Read + Write`.
//!
//! This module owns the I/O loop for blocking callers (the core in [`crate::conn`] never does
//! I/O). It completes the handshake on first use, moves TLS bytes with `read_tls` /
//! `process_new_packets` / `write_tls`, and turns clasp errors into `io::Error`s that keep the
//! [`Error`] inside (downcast with `get_ref()`). It must never decide protocol questions itself.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::ops::DerefMut;
use std::sync::Arc;

use rustls_pki_types::ServerName;

use crate::config::ClientConfig;
use crate::conn::{ClientConnection, ConnectionCommon};
use crate::error::Error;

/// A TLS connection `C` (a [`ClientConnection`], a [`crate::ServerConnection`], or anything that
/// dereferences to [`ConnectionCommon`]) over a blocking transport `T`.
///
/// Reading returns `Ok(0)` only after the peer's close_notify. If the transport ends without it,
/// reading fails with [`io::ErrorKind::UnexpectedEof`] carrying [`Error::UnexpectedEof`]: the
/// data may have been truncated by an attacker (RFC 8446 §6.1).
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
    C: DerefMut<Target = ConnectionCommon>,
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
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads one chunk of TLS bytes and processes it. Returns `false` at end of transport.
    fn read_and_process(&mut self) -> io::Result<bool> {
        let n = loop {
            match self.conn.read_tls(&mut self.sock) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if let Err(e) = self.conn.process_new_packets() {
            // The connection queued an alert describing `e`; tell the peer, best effort (the
            // peer may already be gone, and `e` is the error that matters).
            let _ = self.flush_tls();
            return Err(to_io(e));
        }
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
            if !self.conn.is_handshaking() {
                return Ok(());
            }
            if let Some(e) = self.conn.error() {
                return Err(to_io(e.clone()));
            }
            if !self.read_and_process()? && self.conn.is_handshaking() {
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
        self.conn.send_close_notify();
        self.flush_tls()?;
        self.sock.flush()
    }
}

impl<C, T> Read for Stream<C, T>
where
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.complete_handshake()?;
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            // Answers the handshake may have queued (KeyUpdate) go out before we block.
            self.flush_tls()?;
            if !self.read_and_process()? {
                // One more look: the last chunk may have carried data or close_notify.
                return match self.conn.reader().read(buf) {
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
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.complete_handshake()?;
        let n = self.conn.writer().write(buf)?;
        self.flush_tls()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.writer().flush()?;
        self.flush_tls()?;
        self.sock.flush()
    }
}

impl Stream<ClientConnection, TcpStream> {
    /// Connects over TCP to `addr` (`"host:port"`, `"[v6]:port"`) and starts a client connection that
    /// verifies the server against `host`. The handshake runs on first use.
    ///
    /// # Errors
    /// An unusable host name ([`io::ErrorKind::InvalidInput`]), TCP/DNS errors, or a connection
    /// that cannot start.
    pub fn connect(addr: &str, config: Arc<ClientConfig>) -> io::Result<Self> {
        let (host, _port) = addr.rsplit_once(':').ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "address must be host:port")
        })?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let sock = TcpStream::connect(addr)?;
        let conn = ClientConnection::new(config, name).map_err(to_io)?;
        Ok(Self::new(conn, sock))
    }
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
}
