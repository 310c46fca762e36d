//! One small interface over the stacks' connections, so each scenario is written once and runs
//! the same calls, in the same order, against clasp, rustls and OpenSSL.
//!
//! clasp and rustls are sans-IO: the trait's methods are theirs. OpenSSL is driven the way it is
//! on a non-blocking socket: an [`SslStream`] over [`Pipe`], an in-memory duplex (one byte queue
//! each way) that answers "would block" when empty, with `SSL_do_handshake` in `process` and
//! `SSL_read_ex` / `SSL_write_ex` for plaintext.

use std::io::{self, Read, Write};

use openssl::ssl::{ErrorCode, Ssl, SslContext, SslSession, SslSessionRef, SslStream};

use crate::setup::{server_name, Configs};

/// The sans-IO calls the scenarios make on a connection.
pub trait Endpoint {
    /// Takes TLS bytes from `rd`.
    ///
    /// # Errors
    /// I/O errors, or the stack's "buffer full".
    fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize>;
    /// Appends pending TLS bytes to `wr`.
    ///
    /// # Errors
    /// I/O errors from `wr`.
    fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize>;
    /// Processes what was read.
    ///
    /// # Errors
    /// The stack's error, as text.
    fn process(&mut self) -> Result<(), String>;
    /// Whether the handshake is still running.
    fn is_handshaking(&self) -> bool;
    /// Whether TLS bytes wait to be written.
    fn wants_write(&self) -> bool;
    /// Queues plaintext; returns how much was taken (rustls may take less than offered).
    ///
    /// # Errors
    /// The stack refuses the write.
    fn write_plain(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// Reads received plaintext; 0 when none is buffered.
    ///
    /// # Errors
    /// Anything but "would block".
    fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Bytes held in the connection's buffers, if the stack reports it (clasp does).
    fn buffer_capacity(&self) -> Option<usize>;
    /// Whether the handshake resumed a session.
    fn resumed(&self) -> bool;

    /// Appends every pending TLS byte to `wire`: `write_tls` while `wants_write`.
    ///
    /// # Errors
    /// As [`Endpoint::write_tls`].
    fn write_all_tls(&mut self, wire: &mut Vec<u8>) -> io::Result<()> {
        while self.wants_write() {
            self.write_tls(wire)?;
        }
        Ok(())
    }

    /// Takes every byte of `wire`, calling `after` (process, drain plaintext) after each
    /// `read_tls`. `wire` may be left holding anything: the caller clears it before reuse.
    ///
    /// # Errors
    /// An I/O error, a `read_tls` that takes nothing, or an error from `after`.
    fn read_all_tls(
        &mut self,
        wire: &mut Vec<u8>,
        mut after: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String>
    where
        Self: Sized,
    {
        let mut rd = &wire[..];
        while !rd.is_empty() {
            let n = self.read_tls(&mut rd).map_err(|e| e.to_string())?;
            after(self)?;
            if n == 0 {
                return Err("read_tls took nothing".into());
            }
        }
        Ok(())
    }

    /// Frees buffers that belong to the test harness rather than the stack (OpenSSL's in-memory
    /// "socket"), so the memory rows count only the connection. A no-op for sans-IO stacks.
    fn release_harness_buffers(&mut self) {}
}

fn would_block_is_zero(r: io::Result<usize>) -> io::Result<usize> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
        other => other,
    }
}

macro_rules! clasp_endpoint {
    ($t:ty) => {
        impl Endpoint for $t {
            fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
                clasp::ConnectionCommon::read_tls(self, rd)
            }
            fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
                clasp::ConnectionCommon::write_tls(self, wr)
            }
            fn process(&mut self) -> Result<(), String> {
                self.process_new_packets()
                    .map(|_| ())
                    .map_err(|e| format!("clasp: {e:?}"))
            }
            fn is_handshaking(&self) -> bool {
                clasp::ConnectionCommon::is_handshaking(self)
            }
            fn wants_write(&self) -> bool {
                clasp::ConnectionCommon::wants_write(self)
            }
            fn write_plain(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.writer().write(buf)
            }
            fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                would_block_is_zero(self.reader().read(buf))
            }
            fn buffer_capacity(&self) -> Option<usize> {
                Some(clasp::internal::buffer_capacity(self))
            }
            fn resumed(&self) -> bool {
                self.negotiated().resumed
            }
        }
    };
}

clasp_endpoint!(clasp::ClientConnection);
clasp_endpoint!(clasp::ServerConnection);

// rustls's methods live on `ConnectionCommon` / `CommonState` behind `Deref`; `(**self)` reaches
// them (naming `<$t>::method` would pick this trait's method and recurse).
macro_rules! rustls_endpoint {
    ($t:ty) => {
        impl Endpoint for $t {
            fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
                (**self).read_tls(rd)
            }
            fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
                (**self).write_tls(wr)
            }
            fn process(&mut self) -> Result<(), String> {
                self.process_new_packets()
                    .map(|_| ())
                    .map_err(|e| format!("rustls: {e:?}"))
            }
            fn is_handshaking(&self) -> bool {
                (**self).is_handshaking()
            }
            fn wants_write(&self) -> bool {
                (**self).wants_write()
            }
            fn write_plain(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.writer().write(buf)
            }
            fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                would_block_is_zero(self.reader().read(buf))
            }
            fn buffer_capacity(&self) -> Option<usize> {
                None
            }
            fn resumed(&self) -> bool {
                (**self).handshake_kind() == Some(rustls::HandshakeKind::Resumed)
            }
        }
    };
}

rustls_endpoint!(rustls::ClientConnection);
rustls_endpoint!(rustls::ServerConnection);

/// The in-memory "socket" under an OpenSSL connection: bytes from the peer wait in `inbound`
/// until OpenSSL's BIO reads them (an empty queue reads as `WouldBlock`, i.e.
/// `SSL_ERROR_WANT_READ`); what OpenSSL writes collects in `outbound`.
#[derive(Debug, Default)]
pub struct Pipe {
    inbound: Vec<u8>,
    /// Bytes of `inbound` already handed to OpenSSL.
    pos: usize,
    outbound: Vec<u8>,
}

impl Pipe {
    /// Queues `wire`'s bytes for OpenSSL. When nothing is queued the vectors are swapped instead
    /// of copied, so the in-memory wire costs OpenSSL the same single copy per side (OpenSSL's
    /// BIO read into its record buffer, like a socket `read`) as it costs clasp and rustls
    /// (`read_tls` into their buffer).
    fn give(&mut self, wire: &mut Vec<u8>) {
        if self.pos == self.inbound.len() {
            self.inbound.clear();
            self.pos = 0;
            std::mem::swap(&mut self.inbound, wire);
        } else {
            self.inbound.extend_from_slice(wire);
        }
    }

    /// Moves everything OpenSSL wrote to `wire`, by swapping when `wire` is empty (see
    /// [`Pipe::give`]: OpenSSL's BIO write out of its record buffer is the one copy).
    fn take(&mut self, wire: &mut Vec<u8>) {
        if wire.is_empty() {
            std::mem::swap(&mut self.outbound, wire);
        } else {
            wire.extend_from_slice(&self.outbound);
        }
        self.outbound.clear();
    }
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.inbound.get(self.pos..).unwrap_or_default();
        if avail.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbound.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One OpenSSL connection (client or server) over a [`Pipe`].
#[derive(Debug)]
pub struct OpensslConn {
    stream: SslStream<Pipe>,
}

impl OpensslConn {
    /// A client for "localhost" (SNI and certificate host name check), its ClientHello written.
    fn client(ctx: &SslContext) -> Result<Self, String> {
        Self::client_with_session(ctx, None)
    }

    /// [`OpensslConn::client`] offering to resume `session` (from a client of `ctx`).
    pub(crate) fn client_with_session(
        ctx: &SslContext,
        session: Option<&SslSessionRef>,
    ) -> Result<Self, String> {
        let mut ssl = Ssl::new(ctx).map_err(|e| e.to_string())?;
        if let Some(session) = session {
            // SAFETY (rust-openssl's contract for `SSL_set_session`): the session must come
            // from a connection of the same context; the bench only hands back sessions of
            // clients of `ctx` (`kinds::OpensslStack` keeps one per context).
            #[allow(unsafe_code)]
            unsafe {
                ssl.set_session(session).map_err(|e| e.to_string())?;
            }
        }
        ssl.set_hostname("localhost").map_err(|e| e.to_string())?;
        ssl.param_mut()
            .set_host("localhost")
            .map_err(|e| e.to_string())?;
        ssl.set_connect_state();
        let mut c = Self {
            stream: SslStream::new(ssl, Pipe::default()).map_err(|e| e.to_string())?,
        };
        // Like `ClientConnection::new` in clasp and rustls: build the key share and ClientHello.
        c.process()?;
        Ok(c)
    }

    /// The client's current session (after the server's NewSessionTicket was read), to resume.
    pub(crate) fn session(&self) -> Option<SslSession> {
        self.stream.ssl().session().map(ToOwned::to_owned)
    }

    /// Closes the connection cleanly (queues a close_notify, untimed), so freeing it leaves
    /// its session resumable (`SSL_free` of a connection not shut down invalidates it).
    pub(crate) fn mark_closed(&mut self) {
        // A failure only means the session is not kept; the next handshake then reports that
        // it did not resume.
        let _ = self.stream.shutdown();
    }

    /// A server waiting for a ClientHello.
    fn server(ctx: &SslContext) -> Result<Self, String> {
        let mut ssl = Ssl::new(ctx).map_err(|e| e.to_string())?;
        ssl.set_accept_state();
        Ok(Self {
            stream: SslStream::new(ssl, Pipe::default()).map_err(|e| e.to_string())?,
        })
    }

    /// The negotiated suite's name (OpenSSL's spelling is the IANA one for TLS 1.3).
    #[cfg(test)]
    pub fn cipher_name(&self) -> Option<&'static str> {
        self.stream
            .ssl()
            .current_cipher()
            .map(openssl::ssl::SslCipherRef::name)
    }

    /// The negotiated version.
    #[cfg(test)]
    pub fn version(&self) -> &'static str {
        self.stream.ssl().version_str()
    }
}

impl Endpoint for OpensslConn {
    fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
        let pipe = self.stream.get_mut();
        let start = pipe.inbound.len();
        pipe.inbound.resize(start + 18 * 1024, 0);
        let n = rd.read(&mut pipe.inbound[start..]);
        pipe.inbound.truncate(start + *n.as_ref().unwrap_or(&0));
        n
    }
    fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
        let pipe = self.stream.get_mut();
        wr.write_all(&pipe.outbound)?;
        let n = pipe.outbound.len();
        pipe.outbound.clear();
        Ok(n)
    }
    fn process(&mut self) -> Result<(), String> {
        // After the handshake, records are decrypted by `SSL_read_ex` in `read_plain` (still
        // charged to the receiving side).
        if !self.is_handshaking() {
            return Ok(());
        }
        match self.stream.do_handshake() {
            Ok(()) => Ok(()),
            Err(e) if e.code() == ErrorCode::WANT_READ => Ok(()),
            Err(e) => Err(format!("openssl: {e}")),
        }
    }
    fn is_handshaking(&self) -> bool {
        !self.stream.ssl().is_init_finished()
    }
    fn wants_write(&self) -> bool {
        !self.stream.get_ref().outbound.is_empty()
    }
    fn write_plain(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream
            .ssl_write(buf)
            .map_err(|e| io::Error::other(format!("openssl: {e}")))
    }
    fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stream.ssl_read(buf) {
            Ok(n) => Ok(n),
            Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::ZERO_RETURN) => Ok(0),
            Err(e) => Err(io::Error::other(format!("openssl: {e}"))),
        }
    }
    fn buffer_capacity(&self) -> Option<usize> {
        None
    }
    fn resumed(&self) -> bool {
        self.stream.ssl().session_reused()
    }
    fn write_all_tls(&mut self, wire: &mut Vec<u8>) -> io::Result<()> {
        self.stream.get_mut().take(wire);
        Ok(())
    }
    fn read_all_tls(
        &mut self,
        wire: &mut Vec<u8>,
        mut after: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        if wire.is_empty() {
            return Ok(());
        }
        self.stream.get_mut().give(wire);
        after(self)
    }
    fn release_harness_buffers(&mut self) {
        let pipe = self.stream.get_mut();
        if pipe.pos == pipe.inbound.len() {
            pipe.inbound = Vec::new();
            pipe.pos = 0;
        }
        if pipe.outbound.is_empty() {
            pipe.outbound = Vec::new();
        }
    }
}

/// A TLS stack: makes client and server connections from its configurations.
pub trait Stack {
    /// Client connection type.
    type Client: Endpoint;
    /// Server connection type.
    type Server: Endpoint;
    /// A new client connection (its ClientHello queued).
    fn new_client(&self) -> Self::Client;
    /// A new server connection.
    fn new_server(&self) -> Self::Server;
    /// Called after each handshake with the client (OpenSSL keeps its session to resume).
    fn remember(&self, _client: &mut Self::Client) {}
}

impl Stack for Configs<clasp::ClientConfig, clasp::ServerConfig> {
    type Client = clasp::ClientConnection;
    type Server = clasp::ServerConnection;
    fn new_client(&self) -> Self::Client {
        clasp::ClientConnection::new(self.client.clone(), server_name()).expect("clasp client")
    }
    fn new_server(&self) -> Self::Server {
        clasp::ServerConnection::new(self.server.clone()).expect("clasp server")
    }
}

impl Stack for Configs<rustls::ClientConfig, rustls::ServerConfig> {
    type Client = rustls::ClientConnection;
    type Server = rustls::ServerConnection;
    fn new_client(&self) -> Self::Client {
        rustls::ClientConnection::new(self.client.clone(), server_name()).expect("rustls client")
    }
    fn new_server(&self) -> Self::Server {
        rustls::ServerConnection::new(self.server.clone()).expect("rustls server")
    }
}

impl Stack for Configs<SslContext, SslContext> {
    type Client = OpensslConn;
    type Server = OpensslConn;
    fn new_client(&self) -> Self::Client {
        OpensslConn::client(&self.client).expect("openssl client")
    }
    fn new_server(&self) -> Self::Server {
        OpensslConn::server(&self.server).expect("openssl server")
    }
}
