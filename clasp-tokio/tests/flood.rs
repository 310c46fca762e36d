//! A raw TCP peer that completes a TLS 1.3 handshake, then floods a clasp-tokio server with
//! application data and KeyUpdate(update_requested) records and never reads (issue 9, items 3
//! and 11): the server's queued output stays bounded.
//!
//! The peer is clasp's sans-IO client for the handshake; after it, records are forged under
//! the client's traffic keys from a key log (RFC 8446 §7.3), following each KeyUpdate to the
//! next generation (§7.2).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clasp::conn::PENDING_OUTPUT_LIMIT;
use clasp::internal::RecordEncrypter;
use clasp::keylog::KeyLog;
use clasp::msgs::enums::{CipherSuite, ContentType, HandshakeType};
use clasp::trace::{Direction, EventKind, HandshakeEvent, Observer};
use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ClientConnection, ServerConfig};
use clasp_testkit::{KeyType, TestPki};
use clasp_tokio::{ServerName, TlsAcceptor};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

#[derive(Debug, Default)]
struct MemoryKeyLog(Mutex<BTreeMap<String, Vec<u8>>>);

impl KeyLog for MemoryKeyLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .insert(label.to_owned(), secret.to_vec());
    }
}

#[derive(Default)]
struct KeyUpdates {
    sent: AtomicUsize,
    received: AtomicUsize,
}

impl Observer for KeyUpdates {
    fn on_event(&self, ev: &HandshakeEvent<'_>) {
        if let EventKind::Handshake(m) = ev.kind {
            if m.typ() == HandshakeType::KeyUpdate {
                match ev.direction {
                    Direction::Sent => self.sent.fetch_add(1, Ordering::SeqCst),
                    Direction::Received => self.received.fetch_add(1, Ordering::SeqCst),
                };
            }
        }
    }
}

/// Seals records as the client would under its application traffic keys.
struct Forger {
    secret: Vec<u8>,
    enc: RecordEncrypter,
}

impl Forger {
    fn new(secret: Vec<u8>) -> Self {
        let enc = Self::encrypter(&secret);
        Self { secret, enc }
    }

    fn encrypter(secret: &[u8]) -> RecordEncrypter {
        let provider = clasp::crypto::aws_lc::default_provider();
        let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
        let hkdf = provider.hkdf(suite.hash);
        let mut key = vec![0u8; suite.aead.key_len()];
        let mut iv = [0u8; 12];
        clasp::crypto::tls13::hkdf_expand_label(hkdf, secret, b"key", &[], &mut key).unwrap();
        clasp::crypto::tls13::hkdf_expand_label(hkdf, secret, b"iv", &[], &mut iv).unwrap();
        clasp::internal::record_encrypter_tls13(provider.aead(suite.aead), &key, &iv).unwrap()
    }

    /// One byte of application data, then KeyUpdate(update_requested); later records use the
    /// next generation.
    fn data_and_key_update(&mut self, out: &mut Vec<u8>) {
        self.enc
            .seal_record(ContentType::ApplicationData, b"x", out)
            .unwrap();
        self.enc
            .seal_record(ContentType::Handshake, &[24, 0, 0, 1, 1], out)
            .unwrap();
        let provider = clasp::crypto::aws_lc::default_provider();
        let suite = clasp::suites::lookup(CipherSuite::TLS_AES_128_GCM_SHA256).unwrap();
        let mut next = vec![0u8; self.secret.len()];
        clasp::crypto::tls13::hkdf_expand_label(
            provider.hkdf(suite.hash),
            &self.secret,
            b"traffic upd",
            &[],
            &mut next,
        )
        .unwrap();
        self.enc = Self::encrypter(&next);
        self.secret = next;
    }
}

fn server_config() -> Arc<ServerConfig> {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .with_tickets(0)
            .build()
            .unwrap(),
    )
}

/// Connects to `port`, completes a handshake, and returns the socket and the client's
/// CLIENT_TRAFFIC_SECRET_0. Runs on a plain thread (blocking I/O).
fn raw_peer(port: u16) -> (TcpStream, Vec<u8>) {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    let log = Arc::new(MemoryKeyLog::default());
    let cfg = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .with_key_log(log.clone())
        .build()
        .unwrap();
    let mut conn =
        ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    clasp::Stream::new(&mut *conn, &sock)
        .complete_handshake()
        .unwrap();
    let secret = log.0.lock().unwrap()["CLIENT_TRAFFIC_SECRET_0"].clone();
    (sock, secret)
}

/// 200,000 pairs of (1 data byte, KeyUpdate request), about 9.8 MB, from a peer that never
/// reads, to a server that reads everything: the server answers with ONE KeyUpdate (it never
/// sends data, so it stays "silent", RFC 8446 §4.6.3) and has nothing queued at the end. Before
/// the fix it queued one 27-byte answer per request: megabytes, beyond what the socket buffers
/// take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_update_flood_from_a_peer_that_never_reads_queues_one_answer() {
    const PAIRS: usize = 200_000;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = TlsAcceptor::from(server_config());
    let updates = Arc::new(KeyUpdates::default());
    let observer = updates.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor
            .accept_with(tcp, |c| c.set_observer(observer))
            .await
            .unwrap();
        let mut got = 0usize;
        let mut buf = [0u8; 4096];
        let mut most_queued = 0usize;
        while got < PAIRS {
            let n = tokio::time::timeout(Duration::from_secs(30), tls.read(&mut buf))
                .await
                .expect("flood stalled")
                .unwrap();
            assert!(n > 0, "peer closed after {got} bytes");
            got += n;
            most_queued = most_queued.max(tls.get_ref().1.pending_tls().len());
        }
        (got, most_queued, tls.get_ref().1.pending_tls().len())
    });
    let peer = std::thread::spawn(move || {
        let (mut sock, secret) = raw_peer(port);
        let mut forger = Forger::new(secret);
        let mut batch = Vec::new();
        for i in 0..PAIRS {
            forger.data_and_key_update(&mut batch);
            if i % 1000 == 999 {
                sock.write_all(&batch).unwrap();
                batch.clear();
            }
        }
        sock.write_all(&batch).unwrap();
        // Keep the socket open (unread) until the server is done.
        sock
    });
    let (got, most_queued, queued_at_end) = server.await.unwrap();
    let _sock = peer.join().unwrap();
    println!(
        "{} KeyUpdates received, {} sent; at most {most_queued} bytes queued, {queued_at_end} at the end",
        updates.received.load(Ordering::SeqCst),
        updates.sent.load(Ordering::SeqCst)
    );
    assert_eq!(got, PAIRS);
    assert_eq!(updates.received.load(Ordering::SeqCst), PAIRS);
    assert_eq!(updates.sent.load(Ordering::SeqCst), 1);
    assert!(most_queued <= 27, "{most_queued} bytes queued at most");
    assert_eq!(queued_at_end, 0);
}

/// While more than the cap of output waits for a peer that does not read, the stream reads
/// nothing more: 32 MiB the server application put into the connection directly cannot drain,
/// so a read stays pending and the peer's KeyUpdate requests are not even processed. Before the
/// fix the stream went on reading and queued an answer to each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reading_while_output_over_the_cap_cannot_drain() {
    const PAIRS: usize = 2_000;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = TlsAcceptor::from(server_config());
    let updates = Arc::new(KeyUpdates::default());
    let observer = updates.clone();
    let (flood_sent_tx, flood_sent_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor
            .accept_with(tcp, |c| c.set_observer(observer))
            .await
            .unwrap();
        // Far more than the socket buffers take from a peer that never reads: 32 MiB.
        let big = vec![0u8; 1 << 20];
        for _ in 0..32 {
            std::io::Write::write_all(&mut tls.get_mut().1.writer(), &big).unwrap();
        }
        let before = tls.get_ref().1.pending_tls().len();
        flood_sent_rx.await.unwrap();
        let mut buf = [0u8; 4096];
        let read = tokio::time::timeout(Duration::from_millis(1500), tls.read(&mut buf)).await;
        let queued = tls.get_ref().1.pending_tls().len();
        (read.is_err(), before, queued)
    });
    let peer = std::thread::spawn(move || {
        let (mut sock, secret) = raw_peer(port);
        let mut forger = Forger::new(secret);
        let mut flood = Vec::new();
        for _ in 0..PAIRS {
            forger.data_and_key_update(&mut flood);
        }
        sock.write_all(&flood).unwrap();
        flood_sent_tx.send(()).unwrap();
        sock
    });
    let (read_timed_out, before, queued) = server.await.unwrap();
    let _sock = peer.join().unwrap();
    assert!(
        read_timed_out,
        "the stream read while its output could not drain"
    );
    assert_eq!(updates.received.load(Ordering::SeqCst), 0);
    assert_eq!(updates.sent.load(Ordering::SeqCst), 0);
    // What the transport did not take is still queued (nothing was added to it).
    assert!(queued > PENDING_OUTPUT_LIMIT, "{queued}");
    assert!(queued <= before, "{queued} > {before}");
}
