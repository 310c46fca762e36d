//! GREASE (RFC 8701): the client's values, the server ignoring every GREASE value in every list,
//! and the client refusing a server that selects one (through the crate-internal hooks and by
//! rewriting the server's plaintext ServerHello in flight).

use std::cell::RefCell;
use std::sync::Arc;

use super::client::grease::{is_grease, psk_mode_value, value};
use super::test_io::{client_builder, give_processed as give, server_builder, take};
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{
    AlertDescription, CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
    SignatureScheme,
};
use crate::msgs::extensions::{
    ClientExtension, EncryptedExtension, KeyShareEntry, ProtocolName, ServerExtension,
};
use crate::msgs::handshake::{
    ClientHello, EncryptedExtensions, HandshakeMessage, HandshakePayload,
};
use crate::session::ClientSessionCache;
use crate::verify::ServerName;

fn new_client(cfg: ClientConfig) -> ClientConnection {
    ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap()
}

/// Pumps until both sides are done or one fails.
fn run(
    c: &mut ClientConnection,
    s: &mut ServerConnection,
) -> (Result<(), Error>, Result<(), Error>) {
    for _ in 0..10 {
        let out = take(c);
        if let Err(e) = give(s, &out) {
            return (Ok(()), Err(e));
        }
        let out = take(s);
        if let Err(e) = give(c, &out) {
            return (Err(e), Ok(()));
        }
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() {
            break;
        }
    }
    (Ok(()), Ok(()))
}

thread_local! {
    /// The ClientHellos the hook saw on this thread (each test runs on its own thread).
    static SEEN: RefCell<Vec<ClientHello>> = const { RefCell::new(Vec::new()) };
}

fn record(ch: &mut ClientHello) {
    SEEN.with(|s| s.borrow_mut().push(ch.clone()));
}

fn seen() -> Vec<ClientHello> {
    SEEN.with(|s| s.borrow_mut().drain(..).collect())
}

fn retried(ch: &ClientHello) -> bool {
    ch.key_shares()
        .is_some_and(|s| s.iter().any(|k| k.group == NamedGroup::secp256r1))
}

/// RFC 8701 §4 ("Servers MUST handle these values and treat them as unknown values"): every
/// GREASE value in every list a ClientHello has, extensions of several lengths included.
fn every_grease_value(ch: &mut ClientHello) {
    let all: Vec<u16> = (0..16).map(value).collect();
    let second = retried(ch);
    ch.cipher_suites
        .splice(0..0, all.iter().map(|v| CipherSuite(*v)));
    for e in &mut ch.extensions {
        match e {
            ClientExtension::SupportedGroups(g) => {
                g.splice(0..0, all.iter().map(|v| NamedGroup(*v)));
            }
            // The second ClientHello must hold the single share the HRR asked for.
            ClientExtension::KeyShare(k) if !second => {
                k.splice(
                    0..0,
                    all.iter().map(|v| KeyShareEntry {
                        group: NamedGroup(*v),
                        key_exchange: vec![0],
                    }),
                );
            }
            ClientExtension::SignatureAlgorithms(s) => {
                s.splice(0..0, all.iter().map(|v| SignatureScheme(*v)));
            }
            ClientExtension::SupportedVersions(v) => {
                v.splice(0..0, all.iter().map(|v| ProtocolVersion(*v)));
            }
            ClientExtension::PskKeyExchangeModes(m) => {
                m.splice(0..0, (0..8).map(|i| PskKeyExchangeMode(psk_mode_value(i))));
            }
            ClientExtension::Alpn(p) => {
                p.splice(
                    0..0,
                    all.iter().map(|v| ProtocolName(v.to_be_bytes().to_vec())),
                );
            }
            _ => {}
        }
    }
    // Extensions with empty, one-byte and longer bodies, first in the list (pre_shared_key
    // stays last).
    let exts = all
        .iter()
        .enumerate()
        .map(|(i, v)| ClientExtension::Unknown {
            typ: ExtensionType(*v),
            body: vec![0x5a; i % 4],
        });
    ch.extensions.splice(0..0, exts);
}

/// RFC 8701 §4: the server treats GREASE as unknown values, in TLS 1.3 (with and without a
/// HelloRetryRequest, full and resumed) and in TLS 1.2; the handshake negotiates the real values.
#[test]
fn server_ignores_every_grease_value_in_every_list() {
    let cache = Arc::new(ClientSessionCache::new(8));
    let cases: [(&str, Vec<ProtocolVersion>, Vec<NamedGroup>); 3] = [
        (
            "tls13",
            vec![ProtocolVersion::TLSv1_3],
            vec![NamedGroup::X25519],
        ),
        (
            "tls13 hrr",
            vec![ProtocolVersion::TLSv1_3],
            vec![NamedGroup::secp256r1],
        ),
        (
            "tls12",
            vec![ProtocolVersion::TLSv1_2],
            vec![NamedGroup::X25519],
        ),
    ];
    for (name, versions, server_groups) in cases {
        let server = Arc::new(
            server_builder()
                .with_protocol_versions(&versions)
                .with_groups(&server_groups)
                .with_alpn_protocols(vec![b"h2".to_vec()])
                .build()
                .unwrap(),
        );
        let mut cfg = client_builder()
            .with_grease(false)
            .with_groups(&[NamedGroup::X25519, NamedGroup::secp256r1])
            .with_key_shares(&[NamedGroup::X25519])
            .with_alpn_protocols(vec![b"h2".to_vec()])
            .with_session_cache(Arc::clone(&cache))
            .build()
            .unwrap();
        cfg.test_hello_hook = Some(every_grease_value);
        let cfg = Arc::new(cfg);
        // Twice: the second connection resumes, so psk_key_exchange_modes is read too.
        for round in 0..2 {
            let mut c =
                ClientConnection::new(Arc::clone(&cfg), ServerName::try_from("localhost").unwrap())
                    .unwrap();
            let mut s = ServerConnection::new(Arc::clone(&server)).unwrap();
            let (cr, sr) = run(&mut c, &mut s);
            assert_eq!((cr, sr), (Ok(()), Ok(())), "{name} round {round}");
            let n = c.negotiated();
            assert!(!is_grease(n.cipher_suite.unwrap().0), "{name}");
            if !n.resumed {
                assert_eq!(n.group, server_groups.first().copied(), "{name}");
            }
            assert_eq!(n.version, versions.first().copied(), "{name}");
            assert_eq!(n.alpn_protocol.as_deref(), Some(&b"h2"[..]), "{name}");
            assert_eq!(n.hello_retry, name == "tls13 hrr", "{name}");
            if versions == [ProtocolVersion::TLSv1_3] {
                assert_eq!(n.resumed, round == 1, "{name} round {round}");
            }
        }
    }
}

/// RFC 8701 §3: by default the client greases its suites, extensions (one empty, one with a
/// byte), groups, key share (one byte), signature algorithms, versions and PSK modes; RFC 8446
/// §4.1.2: the second ClientHello after a HelloRetryRequest keeps the same values but for the
/// key share, which holds only the requested group.
#[test]
fn client_greases_its_hello_and_keeps_the_values_after_hrr() {
    let mut cfg = client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2])
        .with_groups(&[NamedGroup::X25519, NamedGroup::secp256r1])
        .with_key_shares(&[NamedGroup::X25519])
        .build()
        .unwrap();
    cfg.test_hello_hook = Some(record);
    let server = server_builder()
        .with_groups(&[NamedGroup::secp256r1])
        .build()
        .unwrap();
    let mut c = new_client(cfg);
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    let (cr, sr) = run(&mut c, &mut s);
    assert_eq!((cr, sr), (Ok(()), Ok(())));
    assert!(c.negotiated().hello_retry);
    let hellos = seen();
    assert_eq!(hellos.len(), 2);
    let (first, second) = (&hellos[0], &hellos[1]);

    let suite = first.cipher_suites[0];
    assert!(is_grease(suite.0), "{suite}");
    assert!(first.cipher_suites[1..].iter().all(|c| !is_grease(c.0)));
    let Some(ClientExtension::Unknown { typ: e1, body }) = first.extensions.first() else {
        panic!(
            "first extension is not GREASE: {:?}",
            first.extensions.first()
        );
    };
    assert!(is_grease(e1.0) && body.is_empty());
    // The other one carries one byte (after it only the TLS 1.2 session_ticket offer, added
    // once the hello is built).
    let greased: Vec<&ClientExtension> = first
        .extensions
        .iter()
        .filter(|e| matches!(e, ClientExtension::Unknown { typ, .. } if is_grease(typ.0)))
        .collect();
    assert_eq!(greased.len(), 2);
    let ClientExtension::Unknown { typ: e2, body } = greased[1] else {
        unreachable!("filtered above")
    };
    assert!(body == &[0] && e1 != e2);
    let group = first.supported_groups().unwrap()[0];
    assert!(is_grease(group.0));
    let shares = first.key_shares().unwrap();
    assert_eq!(
        shares[0].group, group,
        "the GREASE share is for the GREASE group"
    );
    assert_eq!(shares[0].key_exchange, [0]);
    assert_eq!(shares[1].group, NamedGroup::X25519);
    assert!(is_grease(first.signature_algorithms().unwrap()[0].0));
    let versions = first.supported_versions().unwrap();
    assert!(is_grease(versions[0].0));
    assert_eq!(
        &versions[1..],
        [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]
    );
    // The GREASE mode first, then the config's modes.
    let modes = first.psk_modes().unwrap();
    assert!([0x0b, 0x2a, 0x49, 0x68, 0x87, 0xa6, 0xc5, 0xe4].contains(&modes[0].0));
    assert_eq!(&modes[1..], [PskKeyExchangeMode::PskDheKe]);

    // Same values in the second ClientHello; only the requested share.
    assert_eq!(second.cipher_suites, first.cipher_suites);
    assert_eq!(second.extensions.first(), first.extensions.first());
    assert_eq!(
        second.extensions.iter().find(|e| *e == greased[1]),
        Some(greased[1])
    );
    assert_eq!(second.supported_groups(), first.supported_groups());
    assert_eq!(second.signature_algorithms(), first.signature_algorithms());
    assert_eq!(second.supported_versions(), first.supported_versions());
    assert_eq!(second.psk_modes(), first.psk_modes());
    let shares = second.key_shares().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, NamedGroup::secp256r1);
}

/// Values are drawn per connection: two connections almost never agree on all of them, and
/// `with_grease(false)` sends none.
#[test]
fn grease_values_vary_per_connection_and_can_be_turned_off() {
    let mut suites = std::collections::HashSet::new();
    for _ in 0..12 {
        let mut cfg = client_builder().build().unwrap();
        cfg.test_hello_hook = Some(record);
        let mut c = new_client(cfg);
        let _ = take(&mut c);
        suites.insert(seen()[0].cipher_suites[0]);
    }
    // 12 draws from 16 values all equal: probability 16^-11.
    assert!(suites.len() > 1, "{suites:?}");

    let mut cfg = client_builder().with_grease(false).build().unwrap();
    cfg.test_hello_hook = Some(record);
    let mut c = new_client(cfg);
    let _ = take(&mut c);
    let ch = &seen()[0];
    assert!(ch.cipher_suites.iter().all(|c| !is_grease(c.0)));
    assert!(ch
        .supported_groups()
        .unwrap()
        .iter()
        .all(|g| !is_grease(g.0)));
    assert!(ch
        .extensions
        .iter()
        .all(|e| !matches!(e, ClientExtension::Unknown { .. })));
    assert_eq!(ch.psk_modes(), Some(&[PskKeyExchangeMode::PskDheKe][..]));
}

/// The server's first flight with its ServerHello record rewritten by `edit`, which also gets
/// the ClientHello the client sent.
fn forged_server_hello(
    c: &mut ClientConnection,
    server: ServerConfig,
    edit: impl Fn(&ClientHello, &mut crate::msgs::handshake::ServerHello),
) -> Vec<u8> {
    let ch_bytes = take(c);
    let ch_msg = HandshakeMessage::read_version(&ch_bytes[5..], ProtocolVersion::TLSv1_2).unwrap();
    let HandshakePayload::ClientHello(ch) = ch_msg.payload().clone() else {
        panic!("expected a ClientHello");
    };
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    give(&mut s, &ch_bytes).unwrap();
    let flight = take(&mut s);
    let len = usize::from(u16::from_be_bytes([flight[3], flight[4]]));
    let (sh_record, rest) = flight.split_at(5 + len);
    let msg = HandshakeMessage::read_version(&sh_record[5..], ProtocolVersion::TLSv1_3).unwrap();
    let HandshakePayload::ServerHello(mut sh) = msg.payload().clone() else {
        panic!("expected a ServerHello");
    };
    edit(&ch, &mut sh);
    let body = HandshakeMessage::new(HandshakePayload::ServerHello(sh));
    let mut forged = vec![22, 3, 3];
    forged.extend_from_slice(&u16::try_from(body.encoded().len()).unwrap().to_be_bytes());
    forged.extend_from_slice(body.encoded());
    forged.extend_from_slice(rest);
    forged
}

fn grease_ext(ch: &ClientHello) -> ExtensionType {
    match ch.extensions.first() {
        Some(ClientExtension::Unknown { typ, .. }) if is_grease(typ.0) => *typ,
        other => panic!("no GREASE extension first: {other:?}"),
    }
}

/// RFC 8701 §3: "Clients MUST reject GREASE values when negotiated by the server": a ServerHello
/// (or HelloRetryRequest) selecting our GREASE suite, version or group, or answering our
/// GREASE extension, fails with the alert RFC 8446 names for an unoffered value.
#[test]
fn client_refuses_a_server_that_selects_grease() {
    type Edit = fn(&ClientHello, &mut crate::msgs::handshake::ServerHello);
    let cases: [(&str, bool, Edit, PeerMisbehaved, AlertDescription); 6] = [
        (
            "cipher_suite",
            false,
            |ch, sh| sh.cipher_suite = ch.cipher_suites[0],
            PeerMisbehaved::SelectedUnofferedCipherSuite,
            AlertDescription::IllegalParameter,
        ),
        (
            "supported_versions",
            false,
            |ch, sh| {
                let v = ch.supported_versions().unwrap()[0];
                for e in &mut sh.extensions {
                    if let ServerExtension::SupportedVersions(s) = e {
                        *s = v;
                    }
                }
            },
            PeerMisbehaved::SelectedUnofferedVersion,
            AlertDescription::IllegalParameter,
        ),
        (
            "key_share",
            false,
            |ch, sh| {
                let g = ch.supported_groups().unwrap()[0];
                for e in &mut sh.extensions {
                    if let ServerExtension::KeyShare(k) = e {
                        k.group = g;
                        k.key_exchange = vec![0];
                    }
                }
            },
            PeerMisbehaved::SelectedUnofferedGroup,
            AlertDescription::IllegalParameter,
        ),
        (
            "extension",
            false,
            |ch, sh| {
                sh.extensions.push(ServerExtension::Unknown {
                    typ: grease_ext(ch),
                    body: Vec::new(),
                });
            },
            PeerMisbehaved::UnsolicitedExtension,
            AlertDescription::UnsupportedExtension,
        ),
        (
            "hrr selected_group",
            true,
            |ch, sh| {
                let g = ch.supported_groups().unwrap()[0];
                for e in &mut sh.extensions {
                    if let ServerExtension::HrrKeyShare(s) = e {
                        *s = g;
                    }
                }
            },
            PeerMisbehaved::SelectedUnofferedGroup,
            AlertDescription::IllegalParameter,
        ),
        (
            "hrr extension",
            true,
            |ch, sh| {
                sh.extensions.push(ServerExtension::Unknown {
                    typ: grease_ext(ch),
                    body: Vec::new(),
                });
            },
            PeerMisbehaved::UnsolicitedExtension,
            AlertDescription::UnsupportedExtension,
        ),
    ];
    for (name, hrr, edit, want, alert) in cases {
        let mut c = new_client(
            client_builder()
                .with_groups(&[NamedGroup::X25519, NamedGroup::secp256r1])
                .with_key_shares(&[NamedGroup::X25519])
                .build()
                .unwrap(),
        );
        let group = if hrr {
            NamedGroup::secp256r1
        } else {
            NamedGroup::X25519
        };
        let server = server_builder().with_groups(&[group]).build().unwrap();
        let forged = forged_server_hello(&mut c, server, edit);
        let err = give(&mut c, &forged).unwrap_err();
        assert_eq!(err, Error::PeerMisbehaved(want), "{name}");
        assert_eq!(AlertDescription::from(&err), alert, "{name}");
    }
}

fn add_grease_ee(ee: &mut EncryptedExtensions) {
    let typ = SEEN.with(
        |s| match s.borrow().first().and_then(|ch| ch.extensions.first()) {
            Some(ClientExtension::Unknown { typ, .. }) => *typ,
            other => panic!("no GREASE extension recorded: {other:?}"),
        },
    );
    ee.extensions.push(EncryptedExtension::Unknown {
        typ,
        body: Vec::new(),
    });
}

/// RFC 8701 §3: a GREASE extension in EncryptedExtensions is refused. We sent that type but it
/// does not belong there: illegal_parameter (RFC 8446 §4.2).
#[test]
fn client_refuses_grease_in_encrypted_extensions() {
    let mut cfg = client_builder().build().unwrap();
    cfg.test_hello_hook = Some(record);
    let mut scfg = server_builder().build().unwrap();
    scfg.test_ee_hook = Some(add_grease_ee);
    let mut c = new_client(cfg);
    let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
    let (cr, _) = run(&mut c, &mut s);
    assert_eq!(cr, Err(PeerMisbehaved::IllegalExtensionValue.into()));
    let _ = seen();
}
