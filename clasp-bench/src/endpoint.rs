//! One small interface over both stacks' connections, so each scenario is written once and runs
//! the same calls, in the same order, against clasp and rustls.

use std::io::{self, Read, Write};

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
                Some(clasp::ConnectionCommon::buffer_capacity(self))
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
        }
    };
}

rustls_endpoint!(rustls::ClientConnection);
rustls_endpoint!(rustls::ServerConnection);

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
