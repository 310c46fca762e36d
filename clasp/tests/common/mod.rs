//! Plumbing shared by clasp's integration tests: configs from the shared [`TestPki`], an
//! in-memory pump between two connections, a blocking driver over a [`TcpStream`] for real
//! peers (openssl, gnutls), clasp servers on a thread, and an observer that records handshake
//! message types.
//!
//! Each test file includes this with `mod common;` and uses a subset of it, hence the
//! `dead_code` allowance. Cargo does not build `tests/common/mod.rs` as a test target of its own.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use clasp::config::{ClientConfigBuilder, ServerConfigBuilder};
use clasp::conn::{IoState, Negotiated};
use clasp::msgs::enums::HandshakeType;
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer};
use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ConnectionCommon, Error, ServerConfig, ServerConnection};
use clasp_testkit::{KeyType, TestPki};
use rustls_pki_types::ServerName;

/// Read and write timeout on every test socket, so a silent peer fails the test, not hangs it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Configs.

/// A root store holding only `pki`'s CA.
pub fn roots_for(pki: &TestPki) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(&pki.ca_cert()).unwrap();
    roots
}

/// A root store holding the CA of [`TestPki::shared`].
pub fn roots() -> RootCertStore {
    roots_for(TestPki::shared())
}

/// The name every test server certificate carries.
pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// A client builder trusting the shared test CA (no key log: logging is opt-in).
pub fn client_builder() -> ClientConfigBuilder {
    ClientConfig::builder().with_root_certificates(roots())
}

/// A server builder presenting the shared PKI's `key_type` server leaf (no key log).
pub fn server_builder(key_type: KeyType) -> ServerConfigBuilder {
    let id = TestPki::shared().server(key_type);
    ServerConfig::builder().with_single_cert(id.cert_chain(), id.private_key())
}

/// [`client_builder`] with the library defaults, built.
pub fn client_config() -> Arc<ClientConfig> {
    Arc::new(client_builder().build().expect("client config"))
}

/// [`server_builder`] with an ECDSA P-256 leaf and the library defaults, built.
pub fn server_config() -> Arc<ServerConfig> {
    Arc::new(
        server_builder(KeyType::EcdsaP256)
            .build()
            .expect("server config"),
    )
}

// ---------------------------------------------------------------------------------------------
// Two connections in memory.

/// Which side of an in-memory pair failed, and with what error.
#[derive(Debug)]
pub enum Failure {
    /// The client's `process_new_packets` failed.
    Client(Error),
    /// The server's `process_new_packets` failed.
    Server(Error),
}

impl Failure {
    /// The error, whichever side hit it.
    pub fn into_error(self) -> Error {
        match self {
            Failure::Client(e) | Failure::Server(e) => e,
        }
    }
}

/// Moves what `from` has to send into `to` and processes it; whether anything moved. `to`
/// takes nothing while its unread plaintext or its own output is over the cap
/// (`wants_read() == false`); the rest stays queued in `from` for the next call, after the
/// test has read the plaintext ([`exchange`] does both).
pub fn transfer(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<bool, Error> {
    let mut moved = false;
    loop {
        let n = to.push_tls(from.pending_tls());
        from.consume_tls(n);
        moved |= n > 0;
        to.process_new_packets()?;
        if n == 0 || !from.wants_write() {
            return Ok(moved);
        }
    }
}

/// Like [`pump`], reading the plaintext each side receives into `client_got` / `server_got` as
/// it goes, so any amount of data gets through the receive caps.
pub fn exchange(
    client: &mut ConnectionCommon,
    server: &mut ConnectionCommon,
    client_got: &mut Vec<u8>,
    server_got: &mut Vec<u8>,
) -> Result<(), Failure> {
    for _ in 0..100_000 {
        let a = transfer(client, server).map_err(Failure::Server)?;
        drain_plaintext(server, server_got);
        let b = transfer(server, client).map_err(Failure::Client)?;
        drain_plaintext(client, client_got);
        if !a && !b {
            return Ok(());
        }
    }
    panic!("connections did not settle");
}

/// Moves bytes both ways until neither side has anything to send. Returns the first error
/// either side hit, tagged with that side; panics if the pair never goes quiet.
pub fn pump(client: &mut ConnectionCommon, server: &mut ConnectionCommon) -> Result<(), Failure> {
    for _ in 0..1000 {
        let a = transfer(client, server).map_err(Failure::Server)?;
        let b = transfer(server, client).map_err(Failure::Client)?;
        if !a && !b {
            return Ok(());
        }
    }
    panic!("connections did not settle");
}

/// Everything `conn` has to send, as one buffer (to inspect or tamper with before delivery).
pub fn take_tls(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut v = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut v).unwrap();
    }
    v
}

/// Feeds `data` to `conn`, processing as it goes; the state after the last record, or the
/// first error.
pub fn give_tls(conn: &mut ConnectionCommon, mut data: &[u8]) -> Result<IoState, Error> {
    let mut st = conn.process_new_packets()?;
    while !data.is_empty() {
        if conn.read_tls(&mut data).unwrap() == 0 {
            break;
        }
        st = conn.process_new_packets()?;
    }
    Ok(st)
}

/// Moves all accepted 0-RTT data the server has buffered into `out`.
pub fn drain_early_data(conn: &mut ServerConnection, out: &mut Vec<u8>) {
    let Some(mut early) = conn.early_data() else {
        return;
    };
    let mut buf = [0u8; 16384];
    loop {
        match early.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("early data read: {e}"),
        }
    }
}

/// Moves all plaintext the connection has buffered into `out`.
pub fn drain_plaintext(conn: &mut ConnectionCommon, out: &mut Vec<u8>) {
    let mut buf = [0u8; 16384];
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => return,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("plaintext read: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Recording the handshake.

/// Records the type and direction of every handshake message a connection sends or receives.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<(Direction, HandshakeType)>>);

impl Observer for Recorder {
    fn on_event(&self, ev: &HandshakeEvent<'_>) {
        if let EventKind::Handshake(m) = ev.kind {
            // RFC 8879 §4: a CompressedCertificate is the Certificate, compressed (clasp uses
            // it by default in TLS 1.3): recorded as Certificate, so the tests' assertions
            // about certificates (present, absent, counted) keep their meaning.
            let typ = match m.typ() {
                HandshakeType::CompressedCertificate => HandshakeType::Certificate,
                t => t,
            };
            self.0.lock().unwrap().push((ev.direction, typ));
        }
    }
}

impl Recorder {
    /// Every message type, sent and received, in order.
    pub fn all(&self) -> Vec<HandshakeType> {
        self.0.lock().unwrap().iter().map(|(_, t)| *t).collect()
    }

    /// The message types received, in order.
    pub fn received(&self) -> Vec<HandshakeType> {
        self.filtered(Direction::Received)
    }

    /// The message types sent, in order.
    pub fn sent(&self) -> Vec<HandshakeType> {
        self.filtered(Direction::Sent)
    }

    /// How many messages of type `typ` were received.
    pub fn count_received(&self, typ: HandshakeType) -> usize {
        self.received().iter().filter(|t| **t == typ).count()
    }

    fn filtered(&self, dir: Direction) -> Vec<HandshakeType> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(d, _)| *d == dir)
            .map(|(_, t)| *t)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// A blocking driver over TCP, for real peers.

/// Sets [`IO_TIMEOUT`] both ways and disables Nagle.
pub fn prepare(sock: &TcpStream) {
    sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    sock.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    sock.set_nodelay(true).unwrap();
}

/// Connects to 127.0.0.1:`port` with [`prepare`]d timeouts.
pub fn connect(port: u16) -> TcpStream {
    let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    prepare(&sock);
    sock
}

/// Writes every pending TLS byte to the socket.
pub fn flush(conn: &mut ConnectionCommon, sock: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    Ok(())
}

/// Reads once from the socket and processes it. Returns the bytes read (0 at end of stream or
/// on a reset). On a TLS error the alert clasp queued is sent before returning it.
pub fn read_once(conn: &mut ConnectionCommon, sock: &mut TcpStream) -> Result<usize, Error> {
    let n = match conn.read_tls(sock) {
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => 0,
        Err(e) => panic!("socket read: {e}"),
    };
    if let Err(e) = conn.process_new_packets() {
        let _ = flush(conn, sock);
        return Err(e);
    }
    Ok(n)
}

/// Runs the handshake to completion over `sock`; on a TLS error the queued alert is sent first.
pub fn handshake(conn: &mut ConnectionCommon, sock: &mut TcpStream) -> Result<(), Error> {
    loop {
        flush(conn, sock).expect("socket write");
        if !conn.is_handshaking() {
            return Ok(());
        }
        if read_once(conn, sock)? == 0 {
            return Err(conn.error().cloned().unwrap_or(Error::UnexpectedEof));
        }
    }
}

/// Reads plaintext until `out` ends with `suffix`; panics if the peer closes first.
pub fn read_until(conn: &mut ConnectionCommon, sock: &mut TcpStream, suffix: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        drain_plaintext(conn, &mut out);
        if out.ends_with(suffix) {
            return out;
        }
        let n = read_once(conn, sock).expect("TLS error while reading data");
        assert!(
            n > 0,
            "peer closed before sending {suffix:?}; got {:?}",
            String::from_utf8_lossy(&out)
        );
    }
}

/// Writes `data` as application data and flushes it.
pub fn send(conn: &mut ConnectionCommon, sock: &mut TcpStream, data: &[u8]) {
    conn.writer().write_all(data).unwrap();
    flush(conn, sock).unwrap();
}

/// Sends close_notify, ignoring a peer that already left.
pub fn close(conn: &mut ConnectionCommon, sock: &mut TcpStream) {
    conn.send_close_notify();
    let _ = flush(conn, sock);
}

/// The clasp error inside an `io::Error` from `clasp::Stream`.
pub fn clasp_error(e: &io::Error) -> Option<Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
        .cloned()
}

// ---------------------------------------------------------------------------------------------
// clasp servers on a thread, answering each chunk of plaintext with its ASCII upper-case form
// (so a peer's stdout proves data went both ways).

/// What [`spawn_upper_server`] saw on its one connection.
pub struct ServerReport {
    /// How the connection ended.
    pub result: Result<(), Error>,
    /// What the handshake settled on.
    pub negotiated: Negotiated,
    /// Every plaintext byte received.
    pub received: Vec<u8>,
    /// The peer sent close_notify.
    pub peer_closed: bool,
}

/// Accepts one connection on 127.0.0.1 in a thread and serves it with `cfg` over the
/// sans-IO driver above. Returns the port and the thread.
pub fn spawn_upper_server(cfg: Arc<ServerConfig>) -> (u16, JoinHandle<ServerReport>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().expect("accept");
        prepare(&sock);
        let mut conn = ServerConnection::new(cfg).unwrap();
        let mut received = Vec::new();
        let mut peer_closed = false;
        let result = (|| {
            handshake(&mut conn, &mut sock)?;
            loop {
                let before = received.len();
                drain_plaintext(&mut conn, &mut received);
                if received.len() > before {
                    let reply = received[before..].to_ascii_uppercase();
                    send(&mut conn, &mut sock, &reply);
                }
                if conn.process_new_packets()?.peer_has_closed {
                    peer_closed = true;
                    close(&mut conn, &mut sock);
                    return Ok(());
                }
                if read_once(&mut conn, &mut sock)? == 0 {
                    return Ok(());
                }
            }
        })();
        ServerReport {
            result,
            negotiated: conn.negotiated().clone(),
            received,
            peer_closed,
        }
    });
    (port, handle)
}

/// What [`spawn_stream_server`] saw on one connection.
pub struct StreamReport {
    /// How the connection ended.
    pub result: Result<(), Error>,
    /// The connection resumed a session.
    pub resumed: bool,
    /// Every plaintext byte received.
    pub received: Vec<u8>,
}

/// Serves `n` connections one after the other on 127.0.0.1 with one `cfg` (so sessions from
/// one are resumable by the next) through `clasp::Stream`. Returns the port and the thread.
pub fn spawn_stream_server(
    cfg: Arc<ServerConfig>,
    n: usize,
) -> (u16, JoinHandle<Vec<StreamReport>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        (0..n)
            .map(|_| {
                let (sock, _) = listener.accept().expect("accept");
                sock.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                sock.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
                let conn = ServerConnection::new(Arc::clone(&cfg)).unwrap();
                let mut tls = clasp::Stream::new(conn, sock);
                let mut received = Vec::new();
                let result = (|| -> io::Result<()> {
                    tls.complete_handshake()?;
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = match tls.read(&mut buf) {
                            Ok(n) => n,
                            // gnutls-cli may close the first connection without close_notify.
                            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
                            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => 0,
                            Err(e) => return Err(e),
                        };
                        if n == 0 {
                            let _ = tls.send_close_notify();
                            return Ok(());
                        }
                        received.extend_from_slice(&buf[..n]);
                        tls.write_all(&buf[..n].to_ascii_uppercase())?;
                    }
                })();
                let result = result.map_err(|e| {
                    clasp_error(&e)
                        .or_else(|| tls.conn().error().cloned())
                        .unwrap_or_else(|| panic!("server I/O error that is not TLS: {e:?}"))
                });
                StreamReport {
                    result,
                    resumed: tls.conn().negotiated().resumed,
                    received,
                }
            })
            .collect()
    });
    (port, handle)
}
