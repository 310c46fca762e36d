//! Negotiation rules (psk_key_exchange_modes, unsolicited extensions, early_data, compression,
//! versions, extended_master_secret) checked against a clasp peer that breaks exactly one of them
//! through the crate-internal hooks (`ClientConfig::test_hello_hook`, `ServerConfig::test_ee_hook`).
//! Each test names the RFC rule it checks.

use std::sync::Arc;

use clasp_testkit::TestPki;

use super::test_io::{client_builder, give_processed as give, server_builder, take};
use crate::config::{ClientConfig, ClientConfigBuilder, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{Compression, NamedGroup, ProtocolVersion};
use crate::msgs::extensions::{ClientExtension, EncryptedExtension};
use crate::msgs::handshake::{ClientHello, EncryptedExtensions};
use crate::session::ClientSessionCache;
use crate::verify::{RootCertStore, ServerCertVerifier, ServerName, WebPkiServerVerifier};

/// A client builder whose verifier is `verifier`: configs built from it with one shared
/// verifier resume each other's sessions from a shared cache (a session is bound to the
/// verifier and client-certificate resolver that made it).
fn client_builder_with(verifier: &Arc<dyn ServerCertVerifier>) -> ClientConfigBuilder {
    client_builder().with_verifier(Arc::clone(verifier))
}

fn shared_verifier() -> Arc<dyn ServerCertVerifier> {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    Arc::new(WebPkiServerVerifier::new(
        Arc::new(roots),
        &crate::crypto::aws_lc::default_provider(),
    ))
}

/// Pumps until both sides are done or one fails; returns (client result, server result).
fn run(
    client: &mut ClientConnection,
    server: &mut ServerConnection,
) -> (Result<(), Error>, Result<(), Error>) {
    for _ in 0..10 {
        let c = take(client);
        if let Err(e) = give(server, &c) {
            return (Ok(()), Err(e));
        }
        let s = take(server);
        if let Err(e) = give(client, &s) {
            return (Err(e), Ok(()));
        }
        if !client.is_handshaking() && !server.is_handshaking() && !client.wants_write() {
            break;
        }
    }
    (Ok(()), Ok(()))
}

fn connect(
    ccfg: ClientConfig,
    scfg: impl Into<Arc<ServerConfig>>,
) -> (
    ClientConnection,
    ServerConnection,
    Result<(), Error>,
    Result<(), Error>,
) {
    let mut client =
        ClientConnection::new(Arc::new(ccfg), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut server = ServerConnection::new(scfg.into()).unwrap();
    let (c, s) = run(&mut client, &mut server);
    (client, server, c, s)
}

fn drop_psk_modes(ch: &mut ClientHello) {
    ch.extensions
        .retain(|e| !matches!(e, ClientExtension::PskKeyExchangeModes(_)));
}

/// RFC 8446 §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes"
/// extension, servers MUST abort the handshake"; §9.2: with a "missing_extension" alert.
#[test]
fn psk_without_psk_key_exchange_modes_is_missing_extension() {
    let cache = Arc::new(ClientSessionCache::new(8));
    let verifier = shared_verifier();
    let server = Arc::new(server_builder().build().unwrap());
    let first = client_builder_with(&verifier)
        .with_session_cache(Arc::clone(&cache))
        .build()
        .unwrap();
    let (_, _, c, s) = connect(first, Arc::clone(&server));
    c.unwrap();
    s.unwrap();
    let mut second = client_builder_with(&verifier)
        .with_session_cache(Arc::clone(&cache))
        .build()
        .unwrap();
    second.test_hello_hook = Some(drop_psk_modes);
    let (_, _, _, s) = connect(second, Arc::clone(&server));
    assert_eq!(s, Err(PeerMisbehaved::MissingExtension.into()));
}

fn add_server_name_ack(ee: &mut EncryptedExtensions) {
    ee.extensions.push(EncryptedExtension::ServerNameAck);
}

/// RFC 8446 §4.2: "Implementations MUST NOT send extension responses if the remote endpoint
/// did not send the corresponding extension requests ... Upon receiving such an extension, an
/// endpoint MUST abort the handshake with an "unsupported_extension" alert." Here: a
/// server_name acknowledgement in EncryptedExtensions to a client that sent no SNI.
#[test]
fn unsolicited_server_name_in_encrypted_extensions_is_rejected() {
    let mut scfg = server_builder().build().unwrap();
    scfg.test_ee_hook = Some(add_server_name_ack);
    let (_, _, c, _) = connect(client_builder().without_sni().build().unwrap(), scfg);
    assert_eq!(c, Err(PeerMisbehaved::UnsolicitedExtension.into()));
}

fn add_early_data(ee: &mut EncryptedExtensions) {
    if !ee
        .extensions
        .iter()
        .any(|e| matches!(e, EncryptedExtension::EarlyData))
    {
        ee.extensions.push(EncryptedExtension::EarlyData);
    }
}

/// RFC 8446 §4.2.10: "In order to accept early data, the server MUST have accepted a PSK
/// cipher suite and selected the first key offered"; a client told its 0-RTT was accepted in a
/// handshake where the server took no PSK (so it cannot have read it) must abort
/// (illegal_parameter), not go on believing the early data arrived.
#[test]
fn early_data_accepted_without_psk_is_rejected() {
    let cache = Arc::new(ClientSessionCache::new(8));
    let verifier = shared_verifier();
    let server = server_builder().with_max_early_data(1024).build().unwrap();
    let first = client_builder_with(&verifier)
        .with_session_cache(Arc::clone(&cache))
        .with_early_data()
        .build()
        .unwrap();
    let (_, _, c, s) = connect(first, server);
    c.unwrap();
    s.unwrap();
    // A second server with other ticket keys: it cannot open the ticket, so no PSK.
    let mut other = server_builder().with_max_early_data(1024).build().unwrap();
    other.test_ee_hook = Some(add_early_data);
    let second = client_builder_with(&verifier)
        .with_session_cache(Arc::clone(&cache))
        .with_early_data()
        .build()
        .unwrap();
    let mut client =
        ClientConnection::new(Arc::new(second), ServerName::try_from("localhost").unwrap())
            .unwrap();
    assert!(
        client.write_early_data(b"GET /").unwrap() > 0,
        "0-RTT offered"
    );
    let mut server = ServerConnection::new(Arc::new(other)).unwrap();
    let (c, _) = run(&mut client, &mut server);
    assert_eq!(c, Err(PeerMisbehaved::IllegalExtensionValue.into()));
}

fn compress_second_hello(ch: &mut ClientHello) {
    let retried = ch
        .key_shares()
        .is_some_and(|s| s.iter().any(|k| k.group == NamedGroup::secp256r1));
    if retried {
        ch.legacy_compression_methods = vec![Compression(1), Compression::Null];
    }
}

/// RFC 8446 §4.1.2: "If a TLS 1.3 ClientHello is received with any other value [than a single
/// null compression method], the server MUST abort the handshake with an "illegal_parameter"
/// alert" — the second ClientHello after a HelloRetryRequest included.
#[test]
fn second_client_hello_with_compression_is_rejected() {
    let mut ccfg = client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_groups(&[NamedGroup::X25519, NamedGroup::secp256r1])
        .with_key_shares(&[NamedGroup::X25519])
        .build()
        .unwrap();
    ccfg.test_hello_hook = Some(compress_second_hello);
    let scfg = server_builder()
        .with_groups(&[NamedGroup::secp256r1])
        .build()
        .unwrap();
    let (client, _, _, s) = connect(ccfg, scfg);
    assert!(
        client.negotiated().hello_retry,
        "a HelloRetryRequest was sent"
    );
    assert_eq!(s, Err(PeerMisbehaved::IllegalCompression.into()));
}

/// RFC 8446 §4.1.4: "The value of selected_version in the HelloRetryRequest
/// "supported_versions" extension MUST be retained in the ServerHello, and a client MUST abort
/// the handshake with an "illegal_parameter" alert if the value changes." A TLS 1.2
/// ServerHello after a TLS 1.3 HelloRetryRequest must not start a TLS 1.2 handshake.
#[test]
fn tls12_server_hello_after_hello_retry_request_is_rejected() {
    let ccfg = client_builder()
        .with_groups(&[NamedGroup::X25519, NamedGroup::secp256r1])
        .with_key_shares(&[NamedGroup::X25519])
        .build()
        .unwrap();
    let mut client =
        ClientConnection::new(Arc::new(ccfg), ServerName::try_from("localhost").unwrap()).unwrap();
    // A TLS 1.3 server that wants secp256r1 sends the HelloRetryRequest ...
    let mut s13 = ServerConnection::new(Arc::new(
        server_builder()
            .with_groups(&[NamedGroup::secp256r1])
            .build()
            .unwrap(),
    ))
    .unwrap();
    let ch1 = take(&mut client);
    give(&mut s13, &ch1).unwrap();
    let hrr = take(&mut s13);
    give(&mut client, &hrr).unwrap();
    assert!(client.negotiated().hello_retry);
    // ... and a TLS 1.2 server answers the second ClientHello.
    // (Without the compatibility change_cipher_spec in front, which a TLS 1.2 server would
    // refuse before any ClientHello.)
    let mut ch2 = take(&mut client);
    if ch2.first() == Some(&20) {
        ch2.drain(..6);
    }
    let mut s12 = ServerConnection::new(Arc::new(
        server_builder()
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .build()
            .unwrap(),
    ))
    .unwrap();
    give(&mut s12, &ch2).unwrap();
    let flight = take(&mut s12);
    let r = give(&mut client, &flight);
    assert_eq!(r, Err(PeerMisbehaved::SelectedUnofferedVersion.into()));
}

/// RFC 8446 §4.1.3: a TLS 1.3 ServerHello has legacy_version 0x0303 and supported_versions; a
/// ServerHello with 0x0304 in legacy_version and no supported_versions must not be taken for
/// TLS 1.3.
#[test]
fn tls13_in_legacy_version_without_supported_versions_is_rejected() {
    let mut client = ClientConnection::new(
        Arc::new(client_builder().build().unwrap()),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut server = ServerConnection::new(Arc::new(server_builder().build().unwrap())).unwrap();
    let ch = take(&mut client);
    give(&mut server, &ch).unwrap();
    let flight = take(&mut server);
    // The first record is the ServerHello alone: rebuild it without supported_versions
    // (00 2b 00 02 03 04) and with legacy_version 0x0304.
    let rec_len = usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let mut sh = flight[5..5 + rec_len].to_vec();
    assert_eq!(sh[0], 2, "ServerHello");
    let sv = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04];
    let at = sh
        .windows(sv.len())
        .position(|w| w == sv)
        .expect("supported_versions in ServerHello");
    sh.drain(at..at + sv.len());
    sh[4..6].copy_from_slice(&[3, 4]);
    let body_len = sh.len() - 4;
    sh[1..4].copy_from_slice(&u32::try_from(body_len).unwrap().to_be_bytes()[1..]);
    // extensions<..> length: after version(2) random(32) session_id(1+n) suite(2) comp(1).
    let sid_len = usize::from(sh[4 + 2 + 32]);
    let ext_len_at = 4 + 2 + 32 + 1 + sid_len + 2 + 1;
    let ext_len = u16::from_be_bytes([sh[ext_len_at], sh[ext_len_at + 1]]) - 6;
    sh[ext_len_at..ext_len_at + 2].copy_from_slice(&ext_len.to_be_bytes());
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&u16::try_from(sh.len()).unwrap().to_be_bytes());
    rec.extend_from_slice(&sh);
    let r = give(&mut client, &rec);
    assert_eq!(r, Err(PeerMisbehaved::SelectedUnofferedVersion.into()));
}

fn drop_ems(ch: &mut ClientHello) {
    ch.extensions
        .retain(|e| !matches!(e, ClientExtension::ExtendedMasterSecret));
}

/// A TLS 1.2 client whose ClientHello lacks extended_master_secret; `f` adds options.
fn tls12_client_without_ems(
    f: impl FnOnce(ClientConfigBuilder) -> ClientConfigBuilder,
) -> ClientConfig {
    let mut c = f(client_builder().with_protocol_versions(&[ProtocolVersion::TLSv1_2]))
        .build()
        .unwrap();
    c.test_hello_hook = Some(drop_ems);
    c
}

/// RFC 7627 §5.3 leaves a server free to accept a client without the extended master secret;
/// by default we do (older clients and scanners), but such a session is never resumed (§5.3:
/// a server "MUST NOT" resume it if it did not use the extension... we go further and never
/// cache it) and exports nothing (§5.4).
#[test]
fn tls12_without_ems_completes_but_is_never_resumed_nor_exported() {
    let cache = Arc::new(ClientSessionCache::new(8));
    let server = Arc::new(server_builder().build().unwrap());
    let ccfg = || tls12_client_without_ems(|b| b.with_session_cache(Arc::clone(&cache)));
    let (client, server_conn, c, s) = connect(ccfg(), Arc::clone(&server));
    assert_eq!((c, s), (Ok(()), Ok(())));
    assert!(!client.is_handshaking() && !server_conn.is_handshaking());
    assert_eq!(client.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    let mut out = [0u8; 32];
    for conn in [&*client, &*server_conn] {
        assert_eq!(
            conn.export_keying_material(&mut out, b"EXPERIMENTAL clasp", None),
            Err(Error::ApiMisuse(
                crate::error::ApiMisuse::ExporterWithoutExtendedMasterSecret
            ))
        );
    }
    // Nothing was cached on either side: the next connection is a full handshake.
    let (client, _, c, s) = connect(ccfg(), server);
    assert_eq!((c, s), (Ok(()), Ok(())));
    assert!(!client.negotiated().resumed);
}

/// With EMS (what every clasp client sends) the session resumes and exports as before.
#[test]
fn tls12_with_ems_resumes_and_exports() {
    let cache = Arc::new(ClientSessionCache::new(8));
    let verifier = shared_verifier();
    let server = Arc::new(server_builder().require_ems().build().unwrap());
    let ccfg = || {
        client_builder_with(&verifier)
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .with_session_cache(Arc::clone(&cache))
            .require_ems()
            .build()
            .unwrap()
    };
    let (client, server_conn, c, s) = connect(ccfg(), Arc::clone(&server));
    assert_eq!((c, s), (Ok(()), Ok(())));
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    client
        .export_keying_material(&mut a, b"EXPERIMENTAL clasp", None)
        .unwrap();
    server_conn
        .export_keying_material(&mut b, b"EXPERIMENTAL clasp", None)
        .unwrap();
    assert_eq!(a, b);
    let (client, _, c, s) = connect(ccfg(), server);
    assert_eq!((c, s), (Ok(()), Ok(())));
    assert!(client.negotiated().resumed);
}

/// `ServerConfigBuilder::require_ems`: a ClientHello without extended_master_secret is refused
/// (RFC 7627 §5.3 "the server ... MAY abort") with handshake_failure.
#[test]
fn tls12_server_require_ems_refuses_client_without_it() {
    let server = server_builder().require_ems().build().unwrap();
    let (client, _, c, s) = connect(tls12_client_without_ems(|b| b), server);
    assert_eq!(
        s,
        Err(Error::PeerMisbehaved(
            PeerMisbehaved::MissingExtendedMasterSecret
        ))
    );
    assert_eq!(c, Ok(()));
    assert!(client.is_handshaking());
}

/// `ClientConfigBuilder::require_ems`: a server that does not echo extended_master_secret is
/// refused (RFC 7627 §5.3: the client "SHOULD abort the handshake if it does not wish to
/// interoperate with legacy servers"). The server here omits it because the hook removed it
/// from the ClientHello.
#[test]
fn tls12_client_require_ems_refuses_server_without_it() {
    let server = server_builder().build().unwrap();
    let (_, _, c, _) = connect(
        tls12_client_without_ems(ClientConfigBuilder::require_ems),
        server,
    );
    assert_eq!(
        c,
        Err(Error::PeerMisbehaved(
            PeerMisbehaved::MissingExtendedMasterSecret
        ))
    );
}
