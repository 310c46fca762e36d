//! Certificate compression (RFC 8879) end to end: clasp ↔ clasp for every algorithm and both
//! directions (server chain and client certificate), and clasp ↔ rustls 0.23 (its brotli and
//! zlib features) both ways, in memory.

mod common;

use std::sync::Arc;

use clasp::config::ClientAuth;
use clasp::msgs::enums::CertificateCompressionAlgorithm as Alg;
use clasp::{ClientConnection, ServerConnection};
use clasp_testkit::{KeyType, TestPki};
use common::{client_builder, localhost, pump, roots, server_builder};

fn pair(
    client: clasp::config::ClientConfigBuilder,
    server: clasp::config::ServerConfigBuilder,
) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(Arc::new(client.build().unwrap()), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::new(server.build().unwrap())).unwrap();
    pump(&mut c, &mut s).expect("handshake");
    assert!(!c.is_handshaking() && !s.is_handshaking());
    (c, s)
}

fn client_cert(b: clasp::config::ClientConfigBuilder) -> clasp::config::ClientConfigBuilder {
    let id = TestPki::shared().client(KeyType::EcdsaP256);
    b.with_client_auth_cert(id.cert_chain(), id.private_key())
}

/// RFC 8879 §4: with each algorithm alone on both sides, the server's chain and the client's
/// certificate travel compressed, and both sides verify what they decompressed.
#[test]
fn clasp_to_clasp_each_algorithm_both_directions() {
    for alg in [Alg::Zlib, Alg::Brotli, Alg::Zstd] {
        let (c, s) = pair(
            client_cert(client_builder()).with_certificate_compression(&[alg]),
            server_builder(KeyType::Rsa2048)
                .with_client_auth(ClientAuth::Required(roots()))
                .with_certificate_compression(&[alg]),
        );
        assert_eq!(c.negotiated().certificate_compression, Some(alg), "{alg}");
        assert_eq!(s.negotiated().certificate_compression, Some(alg), "{alg}");
        assert_eq!(
            c.negotiated().client_certificate_compression,
            Some(alg),
            "{alg}"
        );
        assert_eq!(
            s.negotiated().client_certificate_compression,
            Some(alg),
            "{alg}"
        );
        assert_eq!(
            c.negotiated().peer_certificates.first().map(|d| d.to_vec()),
            Some(
                TestPki::shared()
                    .server(KeyType::Rsa2048)
                    .cert_der()
                    .to_vec()
            )
        );
        assert!(!s.negotiated().peer_certificates.is_empty());
    }
}

/// Only an algorithm the peer offered is used (RFC 8879 §3), in the server's preference order;
/// with nothing in common, or compression off on either side, the Certificate goes plain.
#[test]
fn only_offered_algorithms_are_used() {
    let (c, _) = pair(
        client_builder().with_certificate_compression(&[Alg::Zlib, Alg::Zstd]),
        server_builder(KeyType::EcdsaP256),
    );
    // Server preference: brotli, zstd, zlib.
    assert_eq!(c.negotiated().certificate_compression, Some(Alg::Zstd));
    let (c, s) = pair(
        client_builder().with_certificate_compression(&[Alg::Zlib]),
        server_builder(KeyType::EcdsaP256).with_certificate_compression(&[Alg::Brotli]),
    );
    assert_eq!(c.negotiated().certificate_compression, None);
    assert_eq!(s.negotiated().certificate_compression, None);
    let (c, _) = pair(
        client_builder().with_certificate_compression(&[]),
        server_builder(KeyType::EcdsaP256),
    );
    assert_eq!(c.negotiated().certificate_compression, None);
    // TLS 1.2 has no CompressedCertificate (RFC 8879 §3: the extension is ignored).
    let (c, _) = pair(
        client_builder().with_protocol_versions(&[clasp::msgs::enums::ProtocolVersion::TLSv1_2]),
        server_builder(KeyType::EcdsaP256),
    );
    assert_eq!(c.negotiated().certificate_compression, None);
}

#[test]
fn a_list_with_an_unimplemented_or_repeated_algorithm_is_refused() {
    for list in [vec![Alg(7)], vec![Alg::Zlib, Alg::Zlib]] {
        assert_eq!(
            client_builder()
                .with_certificate_compression(&list)
                .build()
                .err(),
            Some(clasp::Error::InvalidConfig(
                clasp::error::ConfigError::BadCertificateCompression
            ))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// rustls 0.23 with its brotli and zlib features.

fn rustls_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(TestPki::shared().ca_cert()).unwrap();
    roots
}

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Pumps a clasp connection and a rustls one until neither has anything to send.
fn pump_rustls(clasp: &mut clasp::ConnectionCommon, other: &mut rustls::Connection) {
    for _ in 0..20 {
        let mut a = Vec::new();
        while clasp.wants_write() {
            clasp.write_tls(&mut a).unwrap();
        }
        let mut rd = &a[..];
        while !rd.is_empty() {
            other.read_tls(&mut rd).unwrap();
            other
                .process_new_packets()
                .expect("rustls rejected clasp's bytes");
        }
        let mut b = Vec::new();
        while other.wants_write() {
            other.write_tls(&mut b).unwrap();
        }
        let mut rd = &b[..];
        while !rd.is_empty() {
            clasp.read_tls(&mut rd).unwrap();
            clasp
                .process_new_packets()
                .expect("clasp rejected rustls' bytes");
        }
        if a.is_empty() && b.is_empty() {
            return;
        }
    }
    panic!("connection did not settle");
}

/// clasp client → rustls server (which compresses with brotli when offered, and asks for a
/// compressed client certificate): both directions compressed, with rustls' algorithm choice.
#[test]
fn clasp_client_to_rustls_server() {
    for (ours, want) in [
        (vec![Alg::Brotli, Alg::Zstd, Alg::Zlib], Alg::Brotli),
        (vec![Alg::Zlib], Alg::Zlib),
    ] {
        let id = TestPki::shared().server(KeyType::Rsa2048);
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(rustls_roots()),
            rustls_provider(),
        )
        .build()
        .unwrap();
        let scfg = rustls::ServerConfig::builder_with_provider(rustls_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(id.cert_chain(), id.private_key())
            .unwrap();
        let mut server: rustls::Connection = rustls::ServerConnection::new(Arc::new(scfg))
            .unwrap()
            .into();
        let ccfg = client_cert(client_builder())
            .with_certificate_compression(&ours)
            .build()
            .unwrap();
        let mut client = ClientConnection::new(Arc::new(ccfg), localhost()).unwrap();
        pump_rustls(&mut client, &mut server);
        assert!(!client.is_handshaking() && !server.is_handshaking());
        assert_eq!(client.negotiated().certificate_compression, Some(want));
        assert_eq!(
            client.negotiated().client_certificate_compression,
            Some(want)
        );
        assert!(server.peer_certificates().is_some_and(|c| !c.is_empty()));
    }
}

/// rustls client → clasp server: clasp compresses its chain for rustls (brotli, our first
/// choice among rustls' offers) and decompresses rustls' client certificate.
#[test]
fn rustls_client_to_clasp_server() {
    let id = TestPki::shared().client(KeyType::EcdsaP256);
    let ccfg = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(rustls_roots())
        .with_client_auth_cert(id.cert_chain(), id.private_key())
        .unwrap();
    let mut client: rustls::Connection =
        rustls::ClientConnection::new(Arc::new(ccfg), "localhost".try_into().unwrap())
            .unwrap()
            .into();
    let scfg = server_builder(KeyType::Rsa2048)
        .with_client_auth(ClientAuth::Required(roots()))
        .build()
        .unwrap();
    let mut server = ServerConnection::new(Arc::new(scfg)).unwrap();
    // rustls speaks first.
    let mut hello = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut hello).unwrap();
    }
    let mut rd = &hello[..];
    while !rd.is_empty() {
        server.read_tls(&mut rd).unwrap();
        server.process_new_packets().unwrap();
    }
    pump_rustls(&mut server, &mut client);
    assert!(!client.is_handshaking() && !server.is_handshaking());
    assert_eq!(
        server.negotiated().certificate_compression,
        Some(Alg::Brotli)
    );
    assert_eq!(
        server.negotiated().client_certificate_compression,
        Some(Alg::Brotli)
    );
    assert!(!server.negotiated().peer_certificates.is_empty());
}
