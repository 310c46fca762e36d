//! Maximal ClientHellos (issue 9, item 4): thousands of junk cipher suites, groups, key shares,
//! signature schemes and unknown extensions, close to the 64 KiB handshake-message cap. The
//! server's checks over these peer lists are linear by construction (sorted sets, one pass per
//! list, see `handshake::PeerSet`), so these tests assert only the outcome: the junk is
//! skipped and the real offer negotiated, and a rule broken after thousands of entries is
//! still found. No timing is asserted.

use std::sync::Arc;

use clasp_testkit::{KeyType, TestPki};

use super::test_io::{give, take};
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{
    AlertDescription, CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::{ClientExtension, KeyShareEntry};
use crate::msgs::handshake::ClientHello;
use crate::verify::{RootCertStore, ServerName};

const JUNK_SUITES: u16 = 3000;
const JUNK_GROUPS: u16 = 6000;
const JUNK_SHARES: u16 = 4000;
const JUNK_SCHEMES: u16 = 4000;
const JUNK_EXTENSIONS: u16 = 3000;

fn junk_group(i: u16) -> NamedGroup {
    NamedGroup(0x3000 + i)
}

/// Prepends junk to every list the server searches, so the real entries come last.
fn add_junk(ch: &mut ClientHello) {
    let mut suites: Vec<CipherSuite> = (0..JUNK_SUITES).map(|i| CipherSuite(0x5000 + i)).collect();
    suites.append(&mut ch.cipher_suites);
    ch.cipher_suites = suites;
    for e in &mut ch.extensions {
        match e {
            ClientExtension::SupportedGroups(groups) => {
                let mut junk: Vec<NamedGroup> = (0..JUNK_GROUPS).map(junk_group).collect();
                junk.append(groups);
                *groups = junk;
            }
            ClientExtension::KeyShare(shares) => {
                let mut junk: Vec<KeyShareEntry> = (0..JUNK_SHARES)
                    .map(|i| KeyShareEntry {
                        group: junk_group(i),
                        key_exchange: vec![1],
                    })
                    .collect();
                junk.append(shares);
                *shares = junk;
            }
            ClientExtension::SignatureAlgorithms(schemes) => {
                let mut junk: Vec<SignatureScheme> = (0..JUNK_SCHEMES)
                    .map(|i| SignatureScheme(0x7000 + i))
                    .collect();
                junk.append(schemes);
                *schemes = junk;
            }
            _ => {}
        }
    }
    // Unknown extensions go first: pre_shared_key, if present, must stay last (§4.2.11).
    let mut exts: Vec<ClientExtension> = (0..JUNK_EXTENSIONS)
        .map(|i| ClientExtension::Unknown {
            typ: ExtensionType(0x9000 + i),
            body: Vec::new(),
        })
        .collect();
    exts.append(&mut ch.extensions);
    ch.extensions = exts;
}

/// [`add_junk`], then the first junk share repeated at the very end (RFC 8446 §4.2.8).
fn add_junk_and_duplicate_share(ch: &mut ClientHello) {
    add_junk(ch);
    for e in &mut ch.extensions {
        if let ClientExtension::KeyShare(shares) = e {
            shares.push(KeyShareEntry {
                group: junk_group(0),
                key_exchange: vec![2],
            });
        }
    }
}

/// [`add_junk`], then one more share at the end for a group missing from supported_groups.
fn add_junk_and_unlisted_share(ch: &mut ClientHello) {
    add_junk(ch);
    for e in &mut ch.extensions {
        if let ClientExtension::KeyShare(shares) = e {
            shares.push(KeyShareEntry {
                group: junk_group(JUNK_GROUPS),
                key_exchange: vec![2],
            });
        }
    }
}

fn client(versions: &[ProtocolVersion], hook: fn(&mut ClientHello)) -> ClientConnection {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    let mut cfg = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(versions)
        // The junk extension types (0x9000..) include GREASE values (0x9a9a) the client
        // might pick (RFC 8701): a repeat would make the hello undecodable.
        .with_grease(false)
        .build()
        .unwrap();
    cfg.test_hello_hook = Some(hook);
    ClientConnection::new(Arc::new(cfg), ServerName::try_from("localhost").unwrap()).unwrap()
}

fn server() -> ServerConnection {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let cfg = ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .build()
        .unwrap();
    ServerConnection::new(Arc::new(cfg)).unwrap()
}

fn run(c: &mut ClientConnection, s: &mut ServerConnection) {
    for _ in 0..10 {
        let out = take(c);
        give(s, &out).unwrap();
        let back = take(s);
        give(c, &back).unwrap();
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() {
            return;
        }
    }
    panic!("handshake did not finish");
}

/// The junk ClientHello is near the cap, so it is the "maximal" one the issue describes.
#[test]
fn junk_client_hello_is_near_the_handshake_message_cap() {
    let mut c = client(&[ProtocolVersion::TLSv1_3], add_junk);
    let wire = take(&mut c);
    assert!(wire.len() > 55_000, "{} bytes", wire.len());
    assert!(wire.len() < 0x1_0000, "{} bytes", wire.len());
}

/// TLS 1.3: thousands of junk suites, groups, shares, schemes and extensions before the real
/// ones: the server skips them and negotiates the real offer.
#[test]
fn tls13_client_hello_with_thousands_of_junk_entries_negotiates() {
    let mut c = client(&[ProtocolVersion::TLSv1_3], add_junk);
    let mut s = server();
    run(&mut c, &mut s);
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    // The default first preference (the hybrid group), exactly as without junk.
    assert_eq!(
        s.negotiated_key_exchange_group(),
        Some(NamedGroup::X25519MLKEM768)
    );
    assert_eq!(
        c.negotiated_key_exchange_group(),
        Some(NamedGroup::X25519MLKEM768)
    );
}

/// TLS 1.2: the same junk (the key shares are ignored there).
#[test]
fn tls12_client_hello_with_thousands_of_junk_entries_negotiates() {
    let mut c = client(&[ProtocolVersion::TLSv1_2], add_junk);
    let mut s = server();
    run(&mut c, &mut s);
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    assert_eq!(s.negotiated_key_exchange_group(), Some(NamedGroup::X25519));
}

/// RFC 8446 §4.2.8: a repeated share group, or a share outside supported_groups, found after
/// thousands of entries (the check used to compare every share with every earlier one):
/// illegal_parameter.
#[test]
fn key_share_rule_broken_after_thousands_of_shares_is_illegal_parameter() {
    for hook in [
        add_junk_and_duplicate_share as fn(&mut ClientHello),
        add_junk_and_unlisted_share,
    ] {
        let mut c = client(&[ProtocolVersion::TLSv1_3], hook);
        let mut s = server();
        let err = give(&mut s, &take(&mut c)).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::IllegalClientHello)
        );
        assert_eq!(
            give(&mut c, &take(&mut s)).unwrap_err(),
            Error::AlertReceived(AlertDescription::IllegalParameter)
        );
    }
}
