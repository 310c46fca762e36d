//! Certificate compression (RFC 8879) refused in a live handshake: a server that sends a
//! CompressedCertificate the client cannot accept (through the crate-internal hook), and the
//! alert that reaches the server.

use std::sync::Arc;

use clasp_testkit::{KeyType, TestPki};

use super::test_io::{give, take};
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{AlertDescription, CertificateCompressionAlgorithm as Alg};
use crate::msgs::handshake::CompressedCertificate;
use crate::verify::{RootCertStore, ServerName};

/// One handshake with `hook` rewriting the server's CompressedCertificate (zlib on both
/// sides); the client's error and the alert the server then reads.
fn refused(hook: fn(&mut CompressedCertificate)) -> (Error, Error) {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    let ccfg = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_certificate_compression(&[Alg::Zlib])
        .build()
        .unwrap();
    let id = TestPki::shared().server(KeyType::Rsa2048);
    let mut scfg = ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .with_certificate_compression(&[Alg::Zlib])
        .build()
        .unwrap();
    scfg.test_compressed_cert_hook = Some(hook);
    let mut c =
        ClientConnection::new(Arc::new(ccfg), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
    give(&mut s, &take(&mut c)).unwrap();
    let client_err = give(&mut c, &take(&mut s)).unwrap_err();
    let server_err = give(&mut s, &take(&mut c)).unwrap_err();
    (client_err, server_err)
}

fn zlib_zeros(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&vec![0u8; n]).unwrap();
    e.finish().unwrap()
}

/// RFC 8879 §4: a declared uncompressed_length that is not the real one is bad_certificate.
#[test]
fn length_mismatch_is_bad_certificate() {
    fn longer(cc: &mut CompressedCertificate) {
        cc.uncompressed_length += 1;
    }
    fn shorter(cc: &mut CompressedCertificate) {
        cc.uncompressed_length -= 1;
    }
    for hook in [longer as fn(&mut CompressedCertificate), shorter] {
        let (c, s) = refused(hook);
        assert_eq!(
            c,
            Error::PeerMisbehaved(PeerMisbehaved::BadCompressedCertificate)
        );
        assert_eq!(s, Error::AlertReceived(AlertDescription::BadCertificate));
    }
}

/// RFC 8879 §4: a decompression bomb (4 MiB of zeros in about 20 KB, declared as 2000 bytes or as
/// the protocol's maximum 2^24 - 1) is bad_certificate, decoded no further than the declared
/// length.
#[test]
fn decompression_bomb_is_bad_certificate() {
    fn bomb(cc: &mut CompressedCertificate) {
        cc.compressed = zlib_zeros(4 << 20);
        cc.uncompressed_length = 2000;
    }
    fn bomb_at_the_limit(cc: &mut CompressedCertificate) {
        cc.compressed = zlib_zeros(4 << 20);
        cc.uncompressed_length = (1 << 24) - 1;
    }
    fn garbage(cc: &mut CompressedCertificate) {
        cc.compressed = vec![0x78, 0x9c, 0xff, 0xff, 0xff];
    }
    for hook in [
        bomb as fn(&mut CompressedCertificate),
        bomb_at_the_limit,
        garbage,
    ] {
        let (c, s) = refused(hook);
        assert_eq!(
            c,
            Error::PeerMisbehaved(PeerMisbehaved::BadCompressedCertificate)
        );
        assert_eq!(s, Error::AlertReceived(AlertDescription::BadCertificate));
    }
}

/// RFC 8879 §4: an algorithm the client did not offer is illegal_parameter.
#[test]
fn unoffered_algorithm_is_illegal_parameter() {
    fn brotli(cc: &mut CompressedCertificate) {
        cc.algorithm = Alg::Brotli;
    }
    let (c, s) = refused(brotli);
    assert_eq!(
        c,
        Error::PeerMisbehaved(PeerMisbehaved::UnofferedCertificateCompression)
    );
    assert_eq!(s, Error::AlertReceived(AlertDescription::IllegalParameter));
}

/// The server compresses its chain when the config is built, once per algorithm, and a
/// handshake takes it from the cache: nothing new is compressed (RFC 8879 §4 allows any
/// compression; doing it per handshake would cost milliseconds with brotli).
#[test]
fn the_chain_is_compressed_at_build_time_and_reused() {
    let id = TestPki::shared().server(KeyType::Rsa2048);
    let scfg = Arc::new(
        ServerConfig::builder()
            .with_single_cert(id.cert_chain(), id.private_key())
            .build()
            .unwrap(),
    );
    assert_eq!(scfg.cert_compression_cache.len(), 3);
    for alg in [Alg::Brotli, Alg::Zstd, Alg::Zlib] {
        let mut roots = RootCertStore::empty();
        roots.add(&TestPki::shared().ca_cert()).unwrap();
        let ccfg = ClientConfig::builder()
            .with_root_certificates(roots)
            .request_ocsp_stapling(false)
            .with_certificate_compression(&[alg])
            .build()
            .unwrap();
        let mut c =
            ClientConnection::new(Arc::new(ccfg), ServerName::try_from("localhost").unwrap())
                .unwrap();
        let mut s = ServerConnection::new(Arc::clone(&scfg)).unwrap();
        give(&mut s, &take(&mut c)).unwrap();
        give(&mut c, &take(&mut s)).unwrap();
        give(&mut s, &take(&mut c)).unwrap();
        assert!(!c.is_handshaking() && !s.is_handshaking());
        assert_eq!(c.negotiated().certificate_compression, Some(alg));
        assert_eq!(scfg.cert_compression_cache.len(), 3, "{alg}");
    }
}
