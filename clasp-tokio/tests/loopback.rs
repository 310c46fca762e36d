//! clasp-tokio client <-> clasp-tokio server over 127.0.0.1.

use std::io;
use std::sync::Arc;

use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ServerConfig};
use clasp_testkit::{KeyType, TestPki};
use clasp_tokio::{ServerName, TlsAcceptor, TlsConnector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn configs(alpn: bool) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let pki = TestPki::shared();
    let mut roots = RootCertStore::empty();
    roots.add(&pki.ca_cert()).unwrap();
    let mut client = ClientConfig::builder().with_root_certificates(roots);
    let id = pki.server(KeyType::EcdsaP256);
    let mut server = ServerConfig::builder().with_single_cert(id.cert_chain(), id.private_key());
    if alpn {
        client = client.with_alpn_protocols(vec![b"h2".to_vec()]);
        server = server.with_alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    }
    (
        Arc::new(client.build().unwrap()),
        Arc::new(server.build().unwrap()),
    )
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_both_ways_and_close_cleanly() {
    let (ccfg, scfg) = configs(true);
    let (l, port) = listener().await;
    let acceptor = TlsAcceptor::from(scfg);
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        tls.write_all(b"world").await.unwrap();
        tls.shutdown().await.unwrap();
        // The client's close_notify reads as a clean end of stream.
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    });
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let connector = TlsConnector::from(ccfg);
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    assert!(!tls.get_ref().1.is_handshaking());
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    tls.write_all(b"hello").await.unwrap();
    let mut got = Vec::new();
    // read_to_end succeeds only on close_notify.
    tls.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"world");
    tls.shutdown().await.unwrap();
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_megabyte_each_way_intact() {
    let (ccfg, scfg) = configs(false);
    let (l, port) = listener().await;
    let data: Vec<u8> = (0..1_048_576u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    let expect = data.clone();
    let acceptor = TlsAcceptor::from(scfg);
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        // Echo everything back concurrently (reading and writing halves).
        let (mut r, mut w) = tokio::io::split(tls);
        let n = tokio::io::copy(&mut r, &mut w).await.unwrap();
        w.shutdown().await.unwrap();
        n
    });
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let tls = TlsConnector::from(ccfg)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (mut r, mut w) = tokio::io::split(tls);
    let writer = tokio::spawn(async move {
        w.write_all(&data).await.unwrap();
        w.shutdown().await.unwrap();
    });
    let mut got = Vec::new();
    r.read_to_end(&mut got).await.unwrap();
    writer.await.unwrap();
    assert_eq!(server.await.unwrap(), 1_048_576);
    assert_eq!(got.len(), expect.len());
    assert!(got == expect, "echoed bytes differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_tcp_close_and_garbage_are_errors_not_panics() {
    let (_, scfg) = configs(false);
    let (l, port) = listener().await;
    let acceptor = TlsAcceptor::from(scfg);
    let server = tokio::spawn(async move {
        let mut errs = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = l.accept().await.unwrap();
            errs.push(acceptor.accept(tcp).await.unwrap_err());
        }
        errs
    });
    // 1. Connect and close without a byte.
    drop(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    // 2. A handshake record that is not a ClientHello.
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0xff])
        .await
        .unwrap();
    let mut alert = Vec::new();
    let _ = tcp.read_to_end(&mut alert).await;
    let errs = server.await.unwrap();
    assert_eq!(errs[0].kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(errs[1].kind(), io::ErrorKind::InvalidData);
    assert!(
        errs[1]
            .get_ref()
            .and_then(|e| e.downcast_ref::<clasp::Error>())
            .is_some(),
        "{:?}",
        errs[1]
    );
    // The server told the client why: an alert record (content type 21).
    assert_eq!(alert.first(), Some(&21));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_name_fails_on_both_sides() {
    let (ccfg, scfg) = configs(false);
    let (l, port) = listener().await;
    let acceptor = TlsAcceptor::from(scfg);
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        acceptor.accept(tcp).await.is_err()
    });
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let err = TlsConnector::from(ccfg)
        .connect(ServerName::try_from("other.example").unwrap(), tcp)
        .await
        .unwrap_err();
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<clasp::Error>());
    assert!(
        matches!(inner, Some(clasp::Error::InvalidCertificate(_))),
        "{inner:?}"
    );
    assert!(server.await.unwrap());
}

/// Counts the application data records a connection receives, and their sizes.
struct Records(std::sync::Mutex<Vec<usize>>);
impl clasp::trace::Observer for Records {
    fn on_event(&self, event: &clasp::trace::HandshakeEvent<'_>) {
        if let (clasp::trace::Direction::Received, clasp::trace::EventKind::ApplicationData(n)) =
            (event.direction, event.kind)
        {
            self.0.lock().unwrap().push(n);
        }
    }
}

/// A vectored write of small pieces (how hyper's HTTP/2 writes a response) is taken whole and
/// arrives as one record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vectored_write_of_small_pieces_is_one_record() {
    let (ccfg, scfg) = configs(false);
    let (l, port) = listener().await;
    let acceptor = TlsAcceptor::from(scfg);
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let bufs = [
            io::IoSlice::new(b"headers"),
            io::IoSlice::new(b""),
            io::IoSlice::new(b"|data frame|"),
            io::IoSlice::new(&[b'x'; 1400]),
        ];
        let n = tls.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, 7 + 12 + 1400);
        tls.shutdown().await.unwrap();
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest).await;
    });
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let records = Arc::new(Records(std::sync::Mutex::new(Vec::new())));
    let obs: Arc<dyn clasp::trace::Observer> = records.clone();
    let mut tls = TlsConnector::from(ccfg)
        .connect_with(ServerName::try_from("localhost").unwrap(), tcp, |c| {
            c.set_observer(obs);
        })
        .await
        .unwrap();
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await.unwrap();
    let mut want = b"headers|data frame|".to_vec();
    want.extend_from_slice(&[b'x'; 1400]);
    assert_eq!(got, want);
    assert_eq!(*records.0.lock().unwrap(), vec![1419]);
    tls.shutdown().await.unwrap();
    server.await.unwrap();
}
