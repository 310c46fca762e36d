//! clasp client ↔ clasp server in memory: the handshake and data both ways.

use std::io::{Read, Write};
use std::sync::Arc;

use clasp::msgs::enums::{NamedGroup, ProtocolVersion};
use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

struct Pki {
    ca: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki(alg: &'static rcgen::SignatureAlgorithm) -> Pki {
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "clasp test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();
    Pki {
        ca: ca.der().clone(),
        chain: vec![leaf.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// Moves bytes both ways until neither side has anything to send.
fn pump(client: &mut ConnectionCommon, server: &mut ConnectionCommon) {
    for _ in 0..20 {
        let mut progressed = false;
        let mut buf = Vec::new();
        client.write_tls(&mut buf).unwrap();
        if !buf.is_empty() {
            progressed = true;
            let mut rd = &buf[..];
            while !rd.is_empty() {
                server.read_tls(&mut rd).unwrap();
                server.process_new_packets().unwrap();
            }
        }
        let mut buf = Vec::new();
        server.write_tls(&mut buf).unwrap();
        if !buf.is_empty() {
            progressed = true;
            let mut rd = &buf[..];
            while !rd.is_empty() {
                client.read_tls(&mut rd).unwrap();
                client.process_new_packets().unwrap();
            }
        }
        if !progressed {
            return;
        }
    }
}

fn handshake_with(
    alg: &'static rcgen::SignatureAlgorithm,
    client_groups: Option<&[NamedGroup]>,
    server_groups: Option<&[NamedGroup]>,
) -> (ClientConnection, ServerConnection) {
    let p = pki(alg);
    let mut roots = RootCertStore::empty();
    roots.add(&p.ca).unwrap();
    let mut cb = ClientConfig::builder()
        .with_root_certificates(roots)
        .without_env_key_log();
    if let Some(g) = client_groups {
        cb = cb.with_groups(g);
    }
    let client_cfg = Arc::new(cb.build().unwrap());
    let mut sb = ServerConfig::builder()
        .with_single_cert(p.chain, p.key)
        .without_env_key_log();
    if let Some(g) = server_groups {
        sb = sb.with_groups(g);
    }
    let server_cfg = Arc::new(sb.build().unwrap());
    let mut client =
        ClientConnection::new(client_cfg, ServerName::try_from("localhost").unwrap()).unwrap();
    let mut server = ServerConnection::new(server_cfg).unwrap();
    pump(&mut client, &mut server);
    assert!(!client.is_handshaking(), "client still handshaking");
    assert!(!server.is_handshaking(), "server still handshaking");
    (client, server)
}

fn exchange_data(client: &mut ClientConnection, server: &mut ServerConnection) {
    client.writer().write_all(b"hello from client").unwrap();
    pump(client, server);
    let mut got = [0u8; 17];
    server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello from client");
    let big = vec![0x5a; 100_000];
    server.writer().write_all(&big).unwrap();
    pump(client, server);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < big.len() {
        let n = client.reader().read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, big);
}

#[test]
fn tls13_ecdsa_p256_default_groups() {
    let (mut c, mut s) = handshake_with(&rcgen::PKCS_ECDSA_P256_SHA256, None, None);
    assert_eq!(c.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::X25519MLKEM768));
    assert_eq!(s.key_exchange_group(), Some(NamedGroup::X25519MLKEM768));
    exchange_data(&mut c, &mut s);
}

#[test]
fn tls13_ed25519_x25519() {
    let (mut c, mut s) = handshake_with(&rcgen::PKCS_ED25519, Some(&[NamedGroup::X25519]), None);
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::X25519));
    exchange_data(&mut c, &mut s);
}

#[test]
fn tls13_hello_retry_request_for_p384() {
    let (mut c, mut s) = handshake_with(
        &rcgen::PKCS_ECDSA_P384_SHA384,
        None,
        Some(&[NamedGroup::secp384r1]),
    );
    assert!(c.negotiated().hello_retry);
    assert_eq!(c.key_exchange_group(), Some(NamedGroup::secp384r1));
    exchange_data(&mut c, &mut s);
}
