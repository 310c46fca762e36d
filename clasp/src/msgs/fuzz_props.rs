//! Codec properties (STYLE "Codec properties"): decoders never panic on random or mutated input,
//! whatever decodes re-encodes to the same bytes (decoding is injective), and generated
//! ClientHellos with random extension sets round-trip.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::codec::{Codec, Reader};
use crate::msgs::alert::{Alert, ChangeCipherSpec};
use crate::msgs::enums::{
    CipherSuite, Compression, EcPointFormat, ExtensionType, HandshakeType, NamedGroup,
    ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};
use crate::msgs::extensions::{
    CertificateStatusRequest, ClientExtension, DistinguishedName, ExtensionCodec, KeyShareEntry,
    OfferedPsks, ProtocolName, PskBinderEntry, PskIdentity, ServerNameList,
};
use crate::msgs::handshake::{ClientHello, HandshakeMessage, HandshakePayload};
use crate::msgs::tls12_kx::{ClientKeyExchange, ServerKeyExchange};
use crate::suites::KeyExchange;
use crate::testdata::rfc8448;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::TLSv1_2, ProtocolVersion::TLSv1_3];

/// Feeds `bytes` to every decoder. Anything that decodes must re-encode to exactly `bytes`.
fn decode_everything(bytes: &[u8]) {
    for v in VERSIONS {
        if let Ok(m) = HandshakeMessage::read_version(bytes, v) {
            assert_eq!(m.encoded(), bytes);
            let again = HandshakeMessage::new(m.payload().clone());
            assert_eq!(
                again.encoded(),
                bytes,
                "re-encoding differs for {:?}",
                m.typ()
            );
            // The kx parsers on raw bodies must not panic either.
            match m.payload() {
                HandshakePayload::ServerKeyExchange(s) => {
                    let _ = s.parse(KeyExchange::Ecdhe);
                    let _ = s.parse(KeyExchange::Dhe);
                }
                HandshakePayload::ClientKeyExchange(c) => {
                    let _ = c.parse(KeyExchange::Rsa);
                    let _ = c.parse(KeyExchange::Ecdhe);
                    let _ = c.parse(KeyExchange::Dhe);
                }
                HandshakePayload::ClientHello(_) => {
                    let _ = ClientHello::binders_offset(bytes);
                }
                _ => {}
            }
        }
        // Also as a body of every known type, which reaches decoders a random header rarely
        // selects.
        for t in 0..=25u8 {
            if let Ok(p) = HandshakePayload::read_body(HandshakeType(t), bytes, v) {
                let mut out = Vec::new();
                p.encode_body(&mut out);
                assert_eq!(out, bytes, "body re-encoding differs for type {t}");
            }
        }
    }
    let _ = Alert::read_bytes(bytes);
    let _ = ChangeCipherSpec::read_bytes(bytes);
    let _ = ServerKeyExchange(bytes.to_vec()).ecdhe();
    let _ = ServerKeyExchange(bytes.to_vec()).dhe();
    let _ = ClientKeyExchange(bytes.to_vec()).rsa_encrypted_pre_master_secret();
    let mut r = Reader::new(bytes);
    while HandshakeMessage::read_from(&mut r, ProtocolVersion::TLSv1_3).is_ok() {}
}

fn rfc8448_messages() -> Vec<Vec<u8>> {
    [
        "s3.client_hello",
        "s3.server_hello",
        "s3.encrypted_extensions",
        "s3.certificate",
        "s3.certificate_verify",
        "s3.server_finished",
        "s3.new_session_ticket",
    ]
    .iter()
    .map(|n| rfc8448(n))
    .collect()
}

/// A mutation of one RFC 8448 message: flip, overwrite, insert, delete or truncate.
fn mutated_message() -> impl Strategy<Value = Vec<u8>> {
    let msgs = rfc8448_messages();
    (
        0..msgs.len(),
        vec(
            (any::<u8>(), any::<prop::sample::Index>(), any::<u8>()),
            1..4,
        ),
    )
        .prop_map(move |(i, muts)| {
            let mut m = msgs[i].clone();
            for (kind, at, val) in muts {
                if m.is_empty() {
                    break;
                }
                let at = at.index(m.len());
                match kind % 5 {
                    0 => m[at] ^= 1 << (val % 8),
                    1 => m[at] = val,
                    2 => m.insert(at, val),
                    3 => {
                        m.remove(at);
                    }
                    _ => m.truncate(at),
                }
            }
            m
        })
}

fn bytes(range: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), range)
}

/// One ClientHello extension with a valid body. `Unknown` uses types no typed variant claims.
fn client_extension() -> impl Strategy<Value = ClientExtension> {
    let group = any::<u16>().prop_map(NamedGroup);
    let scheme = any::<u16>().prop_map(SignatureScheme);
    prop_oneof![
        "[a-z0-9.-]{1,40}"
            .prop_map(|h| ClientExtension::ServerName(ServerNameList::from_host_name(&h))),
        Just(ClientExtension::StatusRequest(
            CertificateStatusRequest::ocsp()
        )),
        (bytes(0..8), bytes(0..8)).prop_map(|(a, b)| ClientExtension::StatusRequest(
            CertificateStatusRequest::Ocsp {
                responder_id_list: a,
                request_extensions: b
            }
        )),
        vec(group.clone(), 1..8).prop_map(ClientExtension::SupportedGroups),
        vec(any::<u8>().prop_map(EcPointFormat), 1..4).prop_map(ClientExtension::EcPointFormats),
        vec(scheme.clone(), 1..8).prop_map(ClientExtension::SignatureAlgorithms),
        vec(scheme, 1..8).prop_map(ClientExtension::SignatureAlgorithmsCert),
        vec(bytes(1..12).prop_map(ProtocolName), 1..4).prop_map(ClientExtension::Alpn),
        vec(any::<u16>().prop_map(ProtocolVersion), 1..6)
            .prop_map(ClientExtension::SupportedVersions),
        vec(
            (group, bytes(1..70)).prop_map(|(group, key_exchange)| KeyShareEntry {
                group,
                key_exchange
            }),
            0..3
        )
        .prop_map(ClientExtension::KeyShare),
        vec(any::<u8>().prop_map(PskKeyExchangeMode), 1..3)
            .prop_map(ClientExtension::PskKeyExchangeModes),
        Just(ClientExtension::EarlyData),
        bytes(1..40).prop_map(ClientExtension::Cookie),
        Just(ClientExtension::ExtendedMasterSecret),
        bytes(0..40).prop_map(ClientExtension::RenegotiationInfo),
        bytes(0..40).prop_map(ClientExtension::SessionTicket),
        any::<u16>().prop_map(ClientExtension::RecordSizeLimit),
        bytes(0..40).prop_map(ClientExtension::Padding),
        vec(bytes(1..20).prop_map(DistinguishedName), 1..3)
            .prop_map(ClientExtension::CertificateAuthorities),
        Just(ClientExtension::PostHandshakeAuth),
        (0x1000u16..0xfe00, bytes(0..30))
            .prop_filter("type must be unclaimed", |(t, _)| !ExtensionType(*t)
                .is_known())
            .prop_map(|(t, body)| ClientExtension::Unknown {
                typ: ExtensionType(t),
                body
            }),
    ]
}

fn psk_offer() -> impl Strategy<Value = OfferedPsks> {
    vec((bytes(1..40), any::<u32>(), bytes(32..65)), 1..3).prop_map(|v| {
        let (identities, binders) = v
            .into_iter()
            .map(|(identity, obfuscated_ticket_age, b)| {
                (
                    PskIdentity {
                        identity,
                        obfuscated_ticket_age,
                    },
                    PskBinderEntry(b),
                )
            })
            .unzip();
        OfferedPsks {
            identities,
            binders,
        }
    })
}

fn client_hello() -> impl Strategy<Value = ClientHello> {
    (
        any::<[u8; 32]>(),
        bytes(0..33),
        vec(any::<u16>().prop_map(CipherSuite), 1..20),
        vec(client_extension(), 0..16),
        prop::option::of(psk_offer()),
        any::<bool>(),
    )
        .prop_map(|(random, sid, suites, exts, psk, absent)| {
            // RFC 8446 §4.2: one extension per type; keep the first of each.
            let mut extensions: Vec<ClientExtension> = Vec::new();
            for e in exts {
                if !extensions.iter().any(|x| x.ext_type() == e.ext_type()) {
                    extensions.push(e);
                }
            }
            // RFC 8446 §4.2.11: pre_shared_key last.
            if let Some(p) = psk {
                extensions.push(ClientExtension::PreSharedKey(p));
            }
            let extensions_absent = absent && extensions.is_empty();
            ClientHello {
                legacy_version: ProtocolVersion::TLSv1_2,
                random,
                legacy_session_id: sid,
                cipher_suites: suites,
                legacy_compression_methods: vec![Compression::Null],
                extensions,
                extensions_absent,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(b in bytes(0..300)) {
        decode_everything(&b);
    }

    #[test]
    fn random_bytes_behind_a_valid_header_never_panic(t in 0u8..=25, b in bytes(0..300)) {
        let mut m = vec![t];
        crate::codec::put_u24(u32::try_from(b.len()).unwrap_or(0), &mut m);
        m.extend_from_slice(&b);
        decode_everything(&m);
    }

    #[test]
    fn mutated_rfc8448_messages_never_panic(m in mutated_message()) {
        decode_everything(&m);
    }

    #[test]
    fn generated_client_hellos_round_trip(ch in client_hello()) {
        let m = HandshakeMessage::new(HandshakePayload::ClientHello(ch.clone()));
        let d = HandshakeMessage::read_version(m.encoded(), ProtocolVersion::TLSv1_3).unwrap();
        prop_assert_eq!(d.payload(), &HandshakePayload::ClientHello(ch.clone()));
        prop_assert_eq!(d.encoded(), m.encoded());
        // Every strict prefix of the body is an error, except the one legal TLS 1.2 cut: no
        // extensions block at all (RFC 5246 §7.4.1.2), right after the compression methods.
        let body = &m.encoded()[4..];
        let no_ext_len = 2 + 32 + 1 + ch.legacy_session_id.len() + 2 + 2 * ch.cipher_suites.len() + 2;
        for n in 0..body.len() {
            let r = ClientHello::read_bytes(&body[..n]);
            prop_assert_eq!(r.is_ok(), n == no_ext_len, "body prefix {}", n);
        }
        // Binders offset: the tail is exactly the binders list (RFC 8446 §4.2.11.2).
        match ch.psk() {
            Some(p) => {
                let off = m.psk_binders_offset().unwrap();
                let mut tail = Vec::new();
                p.binders.encode(&mut tail);
                prop_assert_eq!(&m.encoded()[off..], &tail[..]);
            }
            None => prop_assert!(m.psk_binders_offset().is_none()),
        }
    }
}
