//! clasp ↔ clasp in memory: client certificates during and after the TLS 1.3 handshake
//! (RFC 8446 §4.3.2, §4.6.2), and record_size_limit (RFC 8449).

use std::io::{Read, Write};
use std::sync::Arc;

use clasp::error::{ApiMisuse, Error, PeerMisbehaved};
use clasp::verify::RootCertStore;
use clasp::{
    ClientAuth, ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

struct Pki {
    ca: CertificateDer<'static>,
    server: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
    client: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
}

fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "clasp auth test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = |names: Vec<String>, eku| {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![eku];
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        (
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    };
    Pki {
        ca: ca.der().clone(),
        server: leaf(
            vec!["localhost".into()],
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ),
        client: leaf(
            vec!["client.example".into()],
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ),
    }
}

fn roots(p: &Pki) -> RootCertStore {
    let mut r = RootCertStore::empty();
    r.add(&p.ca).unwrap();
    r
}

/// Moves `from`'s pending bytes into `to`; whether anything moved.
fn transfer(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<bool, Error> {
    let mut buf = Vec::new();
    from.write_tls(&mut buf).unwrap();
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd).unwrap();
        to.process_new_packets()?;
    }
    Ok(!buf.is_empty())
}

/// Moves bytes both ways until quiet; returns the first error either side hit.
fn pump(client: &mut ConnectionCommon, server: &mut ConnectionCommon) -> Result<(), Error> {
    for _ in 0..20 {
        let a = transfer(client, server)?;
        let b = transfer(server, client)?;
        if !a && !b {
            return Ok(());
        }
    }
    Ok(())
}

fn pair(client: ClientConfig, server: ServerConfig) -> (ClientConnection, ServerConnection) {
    let c = ClientConnection::new(Arc::new(client), ServerName::try_from("localhost").unwrap())
        .unwrap();
    let s = ServerConnection::new(Arc::new(server)).unwrap();
    (c, s)
}

#[test]
fn tls13_mutual_auth_server_sees_client_chain() {
    let p = pki();
    let (mut c, mut s) = pair(
        ClientConfig::builder()
            .with_root_certificates(roots(&p))
            .with_client_auth_cert(p.client.0.clone(), p.client.1.clone_key())
            .without_env_key_log()
            .build()
            .unwrap(),
        ServerConfig::builder()
            .with_single_cert(p.server.0.clone(), p.server.1.clone_key())
            .with_client_auth(ClientAuth::Required(roots(&p)))
            .without_env_key_log()
            .build()
            .unwrap(),
    );
    pump(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking() && !s.is_handshaking());
    assert_eq!(s.peer_certificates(), &p.client.0[..]);
}

#[test]
fn tls13_required_client_cert_missing_is_certificate_required() {
    let p = pki();
    let (mut c, mut s) = pair(
        ClientConfig::builder()
            .with_root_certificates(roots(&p))
            .without_env_key_log()
            .build()
            .unwrap(),
        ServerConfig::builder()
            .with_single_cert(p.server.0.clone(), p.server.1.clone_key())
            .with_client_auth(ClientAuth::Required(roots(&p)))
            .without_env_key_log()
            .build()
            .unwrap(),
    );
    let err = pump(&mut c, &mut s).unwrap_err();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::NoCertificate));
    // The client hears certificate_required (RFC 8446 §4.4.2.4).
    let mut buf = Vec::new();
    s.write_tls(&mut buf).unwrap();
    let mut rd = &buf[..];
    c.read_tls(&mut rd).unwrap();
    assert_eq!(
        c.process_new_packets().unwrap_err(),
        Error::AlertReceived(clasp::msgs::enums::AlertDescription::CertificateRequired)
    );
}

#[test]
fn tls13_post_handshake_auth() {
    let p = pki();
    let (mut c, mut s) = pair(
        ClientConfig::builder()
            .with_root_certificates(roots(&p))
            .with_client_auth_cert(p.client.0.clone(), p.client.1.clone_key())
            .without_env_key_log()
            .build()
            .unwrap(),
        ServerConfig::builder()
            .with_single_cert(p.server.0.clone(), p.server.1.clone_key())
            // Optional at handshake time so the handshake itself asks for nothing...
            .with_client_auth(ClientAuth::Optional(roots(&p)))
            .without_env_key_log()
            .build()
            .unwrap(),
    );
    let seen = Arc::new(Received::default());
    s.set_observer(seen.clone());
    pump(&mut c, &mut s).unwrap();
    // The main handshake carried one client Certificate (Optional asks for it).
    assert_eq!(seen.count("certificate"), 1);
    assert_eq!(s.peer_certificates(), &p.client.0[..]);
    s.request_client_certificate().unwrap();
    c.writer().write_all(b"data in flight").unwrap();
    pump(&mut c, &mut s).unwrap();
    // RFC 8446 §4.6.2: Certificate, CertificateVerify and Finished came back after it.
    assert_eq!(seen.count("certificate"), 2);
    assert_eq!(seen.count("certificate_verify"), 2);
    assert_eq!(seen.count("finished"), 2);
    assert_eq!(s.peer_certificates(), &p.client.0[..]);
    let mut got = [0u8; 14];
    s.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"data in flight");
    // A second request works too (a new context each time).
    s.request_client_certificate().unwrap();
    pump(&mut c, &mut s).unwrap();
    assert_eq!(seen.count("certificate"), 3);
    assert_eq!(s.peer_certificates(), &p.client.0[..]);
}

/// Counts received handshake messages by type name.
#[derive(Default)]
struct Received(std::sync::Mutex<Vec<String>>);

impl Received {
    fn count(&self, typ: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|t| *t == typ).count()
    }
}

impl clasp::trace::Observer for Received {
    fn on_event(&self, ev: &clasp::trace::HandshakeEvent<'_>) {
        if let (clasp::trace::Direction::Received, clasp::trace::EventKind::Handshake(m)) =
            (ev.direction, ev.kind)
        {
            self.0.lock().unwrap().push(m.typ().to_string());
        }
    }
}

#[test]
fn post_handshake_auth_needs_the_clients_offer() {
    let p = pki();
    let (mut c, mut s) = pair(
        ClientConfig::builder()
            .with_root_certificates(roots(&p))
            .without_env_key_log()
            .build()
            .unwrap(),
        ServerConfig::builder()
            .with_single_cert(p.server.0.clone(), p.server.1.clone_key())
            .with_client_auth(ClientAuth::Optional(roots(&p)))
            .without_env_key_log()
            .build()
            .unwrap(),
    );
    pump(&mut c, &mut s).unwrap();
    // RFC 8446 §4.6.2: no post_handshake_auth offered → no CertificateRequest.
    assert_eq!(
        s.request_client_certificate().unwrap_err(),
        Error::ApiMisuse(ApiMisuse::PostHandshakeAuthUnavailable)
    );
}

#[test]
fn record_size_limit_bounds_the_servers_records() {
    let p = pki();
    let (mut c, mut s) = pair(
        ClientConfig::builder()
            .with_root_certificates(roots(&p))
            .with_record_size_limit(256)
            .without_env_key_log()
            .build()
            .unwrap(),
        ServerConfig::builder()
            .with_single_cert(p.server.0.clone(), p.server.1.clone_key())
            .without_env_key_log()
            .build()
            .unwrap(),
    );
    pump(&mut c, &mut s).unwrap();
    let data = vec![0x42u8; 10_000];
    s.writer().write_all(&data).unwrap();
    let mut wire = Vec::new();
    s.write_tls(&mut wire).unwrap();
    // Every record: 5-byte header, ≤ 255 bytes of content + 1 type byte, 16-byte tag.
    let mut rest = &wire[..];
    let mut records = 0;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        assert!(len <= 256 + 16, "record of {len} bytes over the limit");
        rest = &rest[5 + len..];
        records += 1;
    }
    assert!(records >= 10_000 / 255);
    let mut rd = &wire[..];
    while !rd.is_empty() {
        c.read_tls(&mut rd).unwrap();
        c.process_new_packets().unwrap();
    }
    let mut got = vec![0u8; data.len()];
    c.reader().read_exact(&mut got).unwrap();
    assert_eq!(got, data);
}
