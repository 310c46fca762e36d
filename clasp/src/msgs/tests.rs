//! Known-answer and negative tests for the wire types: RFC 8448 messages decode and re-encode
//! byte-identical, every strict prefix is rejected, and the RFC 8446 §4.2 / §4.2.11 list rules
//! hold.

use rustls_pki_types::CertificateDer;

use crate::codec::{Codec, Reader};
use crate::error::InvalidMessage;
use crate::msgs::enums::{
    CipherSuite, ClientCertificateType, Compression, EcPointFormat, ExtensionType, HandshakeType,
    KeyUpdateRequest, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme,
};
use crate::msgs::extensions::{
    CertReqExtension, CertificateExtension, CertificateStatus, CertificateStatusRequest,
    ClientExtension, DistinguishedName, EncryptedExtension, KeyShareEntry,
    NewSessionTicketExtension, OfferedPsks, ProtocolName, PskBinderEntry, PskIdentity,
    ServerExtension, ServerNameList,
};
use crate::msgs::handshake::{
    placeholder_binders, CertificateEntry, CertificateRequestTls12, CertificateRequestTls13,
    CertificateTls12, CertificateTls13, ClientHello, EncryptedExtensions, Finished,
    HandshakeMessage, HandshakePayload, NewSessionTicketTls12, NewSessionTicketTls13, ServerHello,
    HELLO_RETRY_REQUEST_RANDOM, MAX_CERTIFICATE_SIZE,
};
use crate::msgs::tls12_kx::{ClientKeyExchange, DigitallySigned, ServerKeyExchange};
use crate::testdata::{rfc8448, rfc8448_entries};

const V13: ProtocolVersion = ProtocolVersion::TLSv1_3;
const V12: ProtocolVersion = ProtocolVersion::TLSv1_2;

/// Decodes, checks the kept bytes and the re-encoding are identical to `bytes`, and that every
/// strict prefix is an error. Returns the message.
fn check_round_trip_and_prefixes(name: &str, bytes: &[u8], v: ProtocolVersion) -> HandshakeMessage {
    let m = HandshakeMessage::read_version(bytes, v)
        .unwrap_or_else(|e| panic!("{name}: does not decode: {e:?}"));
    assert_eq!(m.encoded(), bytes, "{name}: kept bytes differ");
    let again = HandshakeMessage::new(m.payload().clone());
    assert_eq!(again.encoded(), bytes, "{name}: re-encoding differs");
    assert!(
        !matches!(m.payload(), HandshakePayload::Unknown { .. }),
        "{name}: decoded as Unknown"
    );
    for n in 0..bytes.len() {
        // A strict prefix runs out of bytes inside some item (or, cut inside a length, makes
        // that length too short for the RFC's lower bound).
        let r = HandshakeMessage::read_version(&bytes[..n], v);
        assert!(
            matches!(
                r,
                Err(crate::error::InvalidMessage::MissingData(_)
                    | crate::error::InvalidMessage::InvalidLength(_))
            ),
            "{name}: prefix of {n} bytes: {r:?}"
        );
    }
    // Body-level truncation: cutting the body and fixing the header must also fail, except
    // where the RFC makes a shorter body legal (rest-of-body fields, optional extensions).
    let body = &bytes[4..];
    for n in 0..body.len() {
        let r = HandshakePayload::read_body(m.typ(), &body[..n], v);
        if let Ok(p) = r {
            let legal_cut = match &p {
                // Raw bodies: their structure is parsed later (or never).
                HandshakePayload::Finished(_)
                | HandshakePayload::ServerKeyExchange(_)
                | HandshakePayload::ClientKeyExchange(_) => true,
                HandshakePayload::ClientHello(ch) => ch.extensions_absent,
                HandshakePayload::ServerHello(sh) => sh.extensions_absent,
                _ => false,
            };
            assert!(
                legal_cut,
                "{name}: body prefix of {n} bytes accepted as {p:?}"
            );
        }
    }
    m
}

const S3_MESSAGES: &[&str] = &[
    "s3.client_hello",
    "s3.server_hello",
    "s3.encrypted_extensions",
    "s3.certificate",
    "s3.certificate_verify",
    "s3.server_finished",
    "s3.client_finished",
    "s3.new_session_ticket",
];

#[test]
fn rfc8448_section3_messages_round_trip_and_reject_every_prefix() {
    for name in S3_MESSAGES {
        check_round_trip_and_prefixes(name, &rfc8448(name), V13);
    }
}

/// Every entry of the vector file that is a handshake message (not a record, key or hash):
/// covers §4 and §5 (resumption, HRR) as soon as they are transcribed.
#[test]
fn rfc8448_every_handshake_message_round_trips() {
    let mut n = 0;
    for (name, bytes) in rfc8448_entries() {
        let looks_like_message = !name.ends_with("_record")
            && bytes.len() >= 4
            && HandshakeType(bytes[0]).is_known()
            && u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize == bytes.len() - 4;
        if looks_like_message {
            check_round_trip_and_prefixes(name, &bytes, V13);
            n += 1;
        }
    }
    assert!(n >= S3_MESSAGES.len(), "only {n} handshake messages found");
}

#[test]
fn rfc8448_s3_client_hello_fields() {
    let bytes = rfc8448("s3.client_hello");
    let m = HandshakeMessage::read_version(&bytes, V13).unwrap();
    let HandshakePayload::ClientHello(ch) = m.payload() else {
        panic!("not a ClientHello")
    };
    assert_eq!(ch.legacy_version, V12);
    assert!(ch.legacy_session_id.is_empty());
    assert_eq!(
        ch.cipher_suites,
        [
            CipherSuite::TLS_AES_128_GCM_SHA256,
            CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_AES_256_GCM_SHA384
        ]
    );
    assert_eq!(ch.legacy_compression_methods, [Compression::Null]);
    assert_eq!(ch.server_name(), Some("server"));
    // Order preserved exactly as sent (RFC 8448 §3).
    let order: Vec<u16> = ch.extension_types().map(|t| t.0).collect();
    assert_eq!(order, [0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);
    let shares = ch.key_shares().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, NamedGroup::X25519);
    assert_eq!(shares[0].key_exchange, rfc8448("s3.client_x25519_public"));
    assert_eq!(ch.supported_versions(), Some(&[V13][..]));
    assert_eq!(ch.psk_modes(), Some(&[PskKeyExchangeMode::PskDheKe][..]));
    assert_eq!(ch.record_size_limit(), Some(0x4001));
    assert_eq!(ch.renegotiation_info(), Some(&[][..]));
    assert_eq!(ch.session_ticket(), Some(&[][..]));
    assert_eq!(ch.signature_algorithms().map(<[_]>::len), Some(15));
    assert_eq!(ch.supported_groups().map(<[_]>::len), Some(9));
    assert!(ch.psk().is_none());
    assert!(ch.alpn_protocols().is_none());
    assert_eq!(m.psk_binders_offset(), None);
}

#[test]
fn rfc8448_s3_server_messages_fields() {
    let sh = HandshakeMessage::read_version(&rfc8448("s3.server_hello"), V13).unwrap();
    let HandshakePayload::ServerHello(sh) = sh.payload() else {
        panic!("not a ServerHello")
    };
    assert!(!sh.is_hello_retry_request());
    assert_eq!(sh.cipher_suite, CipherSuite::TLS_AES_128_GCM_SHA256);
    assert_eq!(sh.selected_version(), Some(V13));
    let ks = sh.key_share().unwrap();
    assert_eq!(ks.group, NamedGroup::X25519);
    assert_eq!(ks.key_exchange, rfc8448("s3.server_x25519_public"));

    let cert = HandshakeMessage::read_version(&rfc8448("s3.certificate"), V13).unwrap();
    let HandshakePayload::CertificateTls13(c) = cert.payload() else {
        panic!("not a TLS 1.3 Certificate")
    };
    assert!(c.certificate_request_context.is_empty());
    assert_eq!(c.certificate_list.len(), 1);
    assert_eq!(c.certificate_list[0].cert_data.first(), Some(&0x30)); // DER SEQUENCE
    assert!(c.certificate_list[0].extensions.is_empty());

    let cv = HandshakeMessage::read_version(&rfc8448("s3.certificate_verify"), V13).unwrap();
    let HandshakePayload::CertificateVerify(cv) = cv.payload() else {
        panic!("not a CertificateVerify")
    };
    assert_eq!(cv.scheme, SignatureScheme::RSA_PSS_SHA256);
    assert_eq!(cv.signature.len(), 128);

    let fin = HandshakeMessage::read_version(&rfc8448("s3.server_finished"), V13).unwrap();
    let HandshakePayload::Finished(f) = fin.payload() else {
        panic!("not Finished")
    };
    assert_eq!(f.verify_data.len(), 32);

    let nst = HandshakeMessage::read_version(&rfc8448("s3.new_session_ticket"), V13).unwrap();
    let HandshakePayload::NewSessionTicketTls13(t) = nst.payload() else {
        panic!("not a TLS 1.3 NewSessionTicket")
    };
    assert_eq!(t.ticket_lifetime, 30);
    assert_eq!(t.ticket_age_add, 0xfad6_aac5);
    assert_eq!(t.ticket_nonce, [0, 0]);
    assert_eq!(t.ticket.len(), 0xb2);
    assert_eq!(t.max_early_data_size(), Some(0x400));

    let ee = HandshakeMessage::read_version(&rfc8448("s3.encrypted_extensions"), V13).unwrap();
    let HandshakePayload::EncryptedExtensions(ee) = ee.payload() else {
        panic!("not EncryptedExtensions")
    };
    let types: Vec<u16> = ee
        .extensions
        .iter()
        .map(|e| crate::msgs::extensions::ExtensionCodec::ext_type(e).0)
        .collect();
    assert_eq!(types, [10, 28, 0]);
    assert_eq!(ee.record_size_limit(), Some(0x4001));
    assert!(!ee.early_data_accepted());
    assert!(ee.alpn_protocols().is_none());
}

fn simple_client_hello(extensions: Vec<ClientExtension>) -> ClientHello {
    ClientHello {
        legacy_version: V12,
        random: [7; 32],
        legacy_session_id: vec![1; 32],
        cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256],
        legacy_compression_methods: vec![Compression::Null],
        extensions,
        extensions_absent: false,
    }
}

fn encode_ch(ch: ClientHello) -> Vec<u8> {
    HandshakeMessage::new(HandshakePayload::ClientHello(ch))
        .encoded()
        .to_vec()
}

// RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given
// extension block."
#[test]
fn duplicate_extension_is_rejected_in_every_context() {
    let bytes = encode_ch(simple_client_hello(vec![
        ClientExtension::ExtendedMasterSecret,
        ClientExtension::RecordSizeLimit(100),
        ClientExtension::ExtendedMasterSecret,
    ]));
    assert_eq!(
        HandshakeMessage::read_version(&bytes, V13),
        Err(InvalidMessage::DuplicateExtension(23))
    );
    // Two Unknown extensions of the same type count too.
    let unk = || ClientExtension::Unknown {
        typ: ExtensionType(0x7777),
        body: vec![],
    };
    let bytes = encode_ch(simple_client_hello(vec![unk(), unk()]));
    assert_eq!(
        HandshakeMessage::read_version(&bytes, V13),
        Err(InvalidMessage::DuplicateExtension(0x7777))
    );
    // EncryptedExtensions.
    let ee = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(EncryptedExtensions {
        extensions: vec![EncryptedExtension::EarlyData, EncryptedExtension::EarlyData],
    }));
    assert_eq!(
        HandshakeMessage::read_version(ee.encoded(), V13),
        Err(InvalidMessage::DuplicateExtension(42))
    );
    // ServerHello.
    let sh = server_hello(vec![
        ServerExtension::SupportedVersions(V13),
        ServerExtension::SupportedVersions(V13),
    ]);
    assert_eq!(
        HandshakeMessage::read_version(sh.encoded(), V13),
        Err(InvalidMessage::DuplicateExtension(43))
    );
}

// Long lists switch from a scan to a bitset: duplicates are caught on both sides of the switch.
#[test]
fn duplicate_extension_is_rejected_in_long_lists() {
    let unk = |t: u16| ClientExtension::Unknown {
        typ: ExtensionType(0x7000 + t),
        body: vec![],
    };
    let distinct: Vec<ClientExtension> = (0..100).map(unk).collect();
    let bytes = encode_ch(simple_client_hello(distinct.clone()));
    assert!(HandshakeMessage::read_version(&bytes, V13).is_ok());
    for (first, second) in [(0, 5), (3, 31), (3, 32), (3, 33), (10, 90), (60, 99)] {
        let mut exts = distinct.clone();
        exts[second] = unk(first);
        let bytes = encode_ch(simple_client_hello(exts));
        assert_eq!(
            HandshakeMessage::read_version(&bytes, V13),
            Err(InvalidMessage::DuplicateExtension(0x7000 + first)),
            "duplicate at {first} and {second}"
        );
    }
}

fn psk_offer(binder_len: usize) -> OfferedPsks {
    OfferedPsks {
        identities: vec![PskIdentity {
            identity: b"ticket".to_vec(),
            obfuscated_ticket_age: 0x1234_5678,
        }],
        binders: placeholder_binders(&[binder_len]),
    }
}

// RFC 8446 §4.2.11: "The "pre_shared_key" extension MUST be the last extension in the
// ClientHello ... Servers MUST check that it is the last extension".
#[test]
fn pre_shared_key_not_last_is_rejected() {
    let bytes = encode_ch(simple_client_hello(vec![
        ClientExtension::PreSharedKey(psk_offer(32)),
        ClientExtension::EarlyData,
    ]));
    assert_eq!(
        HandshakeMessage::read_version(&bytes, V13),
        Err(InvalidMessage::PreSharedKeyNotLast)
    );
    assert_eq!(
        crate::msgs::enums::AlertDescription::from(&crate::Error::from(
            InvalidMessage::PreSharedKeyNotLast
        )),
        crate::msgs::enums::AlertDescription::IllegalParameter
    );
    // Last is fine.
    let bytes = encode_ch(simple_client_hello(vec![
        ClientExtension::EarlyData,
        ClientExtension::PreSharedKey(psk_offer(32)),
    ]));
    assert!(HandshakeMessage::read_version(&bytes, V13).is_ok());
}

#[test]
fn psk_binder_rules() {
    // RFC 8446 §4.2.11: PskBinderEntry<32..255>.
    let bytes = encode_ch(simple_client_hello(vec![ClientExtension::PreSharedKey(
        psk_offer(31),
    )]));
    assert_eq!(
        HandshakeMessage::read_version(&bytes, V13),
        Err(InvalidMessage::InvalidLength("PskBinderEntry"))
    );
    // One identity, two binders.
    let mut offer = psk_offer(32);
    offer.binders.push(PskBinderEntry(vec![0; 32]));
    let bytes = encode_ch(simple_client_hello(vec![ClientExtension::PreSharedKey(
        offer,
    )]));
    assert_eq!(
        HandshakeMessage::read_version(&bytes, V13).map(|_| ()),
        Err(crate::error::InvalidMessage::PskBinderCountMismatch)
    );
}

// RFC 8446 §4.2.11.2: binders are computed over the ClientHello truncated before the binders
// list, then patched in.
#[test]
fn psk_binders_offset_and_patching() {
    let ch = simple_client_hello(vec![
        ClientExtension::SupportedVersions(vec![V13]),
        ClientExtension::PreSharedKey(psk_offer(32)),
    ]);
    let mut m = HandshakeMessage::new(HandshakePayload::ClientHello(ch));
    let off = m.psk_binders_offset().unwrap();
    let enc = m.encoded().to_vec();
    // binders<33..2^16-1> = u16 length 33, then u8 length 32, then 32 binder bytes.
    assert_eq!(enc.len() - off, 2 + 1 + 32);
    assert_eq!(&enc[off..off + 3], &[0, 33, 32]);
    assert_eq!(ClientHello::binders_offset(&enc), Some(off));
    let truncated = enc[..off].to_vec();

    let binder = [0xab; 32];
    m.set_psk_binders(&[&binder]).unwrap();
    // Only the binder bytes changed.
    assert_eq!(&m.encoded()[..off], &truncated[..]);
    assert_eq!(&m.encoded()[off + 3..], &binder[..]);
    // The patched payload agrees with the patched bytes.
    let again = HandshakeMessage::read_version(m.encoded(), V13).unwrap();
    assert_eq!(again, m);
    // Wrong count or length is refused.
    assert_eq!(
        m.set_psk_binders(&[&[0; 48]]).map(|_| ()),
        Err(crate::error::InvalidMessage::IllegalValue(
            "set_psk_binders"
        ))
    );
    assert_eq!(
        m.set_psk_binders(&[&binder, &binder]).map(|_| ()),
        Err(crate::error::InvalidMessage::IllegalValue(
            "set_psk_binders"
        ))
    );
    // No PSK: no offset.
    let plain = encode_ch(simple_client_hello(vec![]));
    assert_eq!(ClientHello::binders_offset(&plain), None);
}

#[test]
fn unknown_extension_and_message_round_trip() {
    let ch = simple_client_hello(vec![
        ClientExtension::Unknown {
            typ: ExtensionType(0x0a0a), // GREASE
            body: vec![],
        },
        ClientExtension::Unknown {
            typ: ExtensionType::MaxFragmentLength,
            body: vec![4],
        },
        ClientExtension::Padding(vec![0; 17]),
        ClientExtension::Unknown {
            typ: ExtensionType(0xfafa),
            body: vec![0],
        },
    ]);
    let bytes = encode_ch(ch.clone());
    let m = HandshakeMessage::read_version(&bytes, V13).unwrap();
    assert_eq!(m.payload(), &HandshakePayload::ClientHello(ch));
    assert_eq!(
        HandshakeMessage::new(m.payload().clone()).encoded(),
        &bytes[..]
    );

    let unk = [0x63, 0, 0, 3, 1, 2, 3];
    let m = HandshakeMessage::read_version(&unk, V13).unwrap();
    assert_eq!(
        m.payload(),
        &HandshakePayload::Unknown {
            typ: HandshakeType(0x63),
            body: vec![1, 2, 3]
        }
    );
    assert_eq!(HandshakeMessage::new(m.payload().clone()).encoded(), &unk);
}

#[test]
fn server_name_keeps_unknown_name_types_and_rejects_two_host_names() {
    // host_name "a.b", then an entry of unknown type 7 with made-up bytes.
    let mut body = vec![0, 0, 3, b'a', b'.', b'b', 7, 9, 9];
    let mut ext = vec![0, u8::try_from(body.len()).unwrap()];
    ext.append(&mut body);
    let l = ServerNameList::read_bytes(&ext).unwrap();
    assert_eq!(l.host_name(), Some("a.b"));
    assert_eq!(l.get_encoding(), ext);
    let two = [0, 8, 0, 0, 1, b'a', 0, 0, 1, b'b'];
    assert_eq!(
        ServerNameList::read_bytes(&two).map(|_| ()),
        Err(crate::error::InvalidMessage::IllegalValue(
            "server_name: two host_names"
        ))
    );
    let non_ascii = [0, 4, 0, 0, 1, 0xc3];
    assert_eq!(
        ServerNameList::read_bytes(&non_ascii).map(|_| ()),
        Err(crate::error::InvalidMessage::IllegalValue(
            "server_name: non-ASCII host_name"
        ))
    );
    // Empty list is illegal (RFC 6066 §3: server_name_list<1..2^16-1>).
    assert_eq!(
        ServerNameList::read_bytes(&[0, 0]).map(|_| ()),
        Err(crate::error::InvalidMessage::InvalidLength(
            "server_name_list"
        ))
    );
    assert_eq!(
        ServerNameList::from_host_name("example.com").host_name(),
        Some("example.com")
    );
}

fn server_hello(extensions: Vec<ServerExtension>) -> HandshakeMessage {
    HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: V12,
        random: [3; 32],
        legacy_session_id_echo: vec![],
        cipher_suite: CipherSuite::TLS_AES_256_GCM_SHA384,
        legacy_compression_method: Compression::Null,
        extensions,
        extensions_absent: false,
    }))
}

// RFC 8446 §4.1.3: an HRR is a ServerHello whose random is SHA-256("HelloRetryRequest"), and its
// key_share is the selected_group alone (§4.2.8).
#[test]
fn hello_retry_request_is_recognised_and_key_share_decodes_as_group() {
    let hrr = ServerHello {
        legacy_version: V12,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacy_session_id_echo: vec![5; 32],
        cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        legacy_compression_method: Compression::Null,
        extensions: vec![
            ServerExtension::HrrKeyShare(NamedGroup::secp256r1),
            ServerExtension::SupportedVersions(V13),
            ServerExtension::Cookie(vec![1, 2, 3]),
        ],
        extensions_absent: false,
    };
    let m = HandshakeMessage::new(HandshakePayload::ServerHello(hrr.clone()));
    let m = check_round_trip_and_prefixes("hrr", m.encoded(), V13);
    let HandshakePayload::ServerHello(d) = m.payload() else {
        panic!("not a ServerHello")
    };
    assert!(d.is_hello_retry_request());
    assert_eq!(d.hrr_selected_group(), Some(NamedGroup::secp256r1));
    assert_eq!(d.key_share(), None);
    assert_eq!(d.cookie(), Some(&[1, 2, 3][..]));
    assert_eq!(d, &hrr);
    // The constant is SHA-256("HelloRetryRequest") as printed in RFC 8446 §4.1.3.
    assert_eq!(&HELLO_RETRY_REQUEST_RANDOM[..4], &[0xcf, 0x21, 0xad, 0x74]);
    assert_eq!(&HELLO_RETRY_REQUEST_RANDOM[28..], &[0xc8, 0xa8, 0x33, 0x9c]);

    // A real ServerHello with a two-byte key_share body is malformed, not an HRR.
    let mut sh = hrr;
    sh.random = [0; 32];
    let bytes = HandshakeMessage::new(HandshakePayload::ServerHello(sh))
        .encoded()
        .to_vec();
    assert_eq!(
        HandshakeMessage::read_version(&bytes, V13).map(|_| ()),
        Err(crate::error::InvalidMessage::MissingData("key_exchange"))
    );
}

#[test]
fn tls12_hellos_may_omit_extensions() {
    let mut ch = simple_client_hello(vec![]);
    ch.extensions_absent = true;
    let absent = encode_ch(ch.clone());
    ch.extensions_absent = false;
    let empty = encode_ch(ch);
    assert_eq!(empty.len(), absent.len() + 2);
    for b in [&absent, &empty] {
        let m = check_round_trip_and_prefixes("tls12 ch", b, V12);
        let HandshakePayload::ClientHello(c) = m.payload() else {
            panic!()
        };
        assert_eq!(c.extensions_absent, b.len() == absent.len());
    }
    let sh = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: V12,
        random: [3; 32],
        legacy_session_id_echo: vec![9; 32],
        cipher_suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        legacy_compression_method: Compression::Null,
        extensions: vec![],
        extensions_absent: true,
    }));
    check_round_trip_and_prefixes("tls12 sh", sh.encoded(), V12);
    // legacy_session_id longer than 32 (RFC 8446 §4.1.2: <0..32>).
    let mut long = simple_client_hello(vec![]);
    long.legacy_session_id = vec![0; 33];
    assert_eq!(
        HandshakeMessage::read_version(&encode_ch(long), V12).map(|_| ()),
        Err(crate::error::InvalidMessage::InvalidLength(
            "legacy_session_id"
        ))
    );
}

fn cert(n: usize) -> CertificateDer<'static> {
    CertificateDer::from(vec![0x30; n])
}

/// Every other message type, built, encoded, decoded (both versions where they differ).
#[test]
fn all_message_types_round_trip() {
    let v13: Vec<HandshakePayload> = vec![
        HandshakePayload::ServerHello(ServerHello {
            legacy_version: V12,
            random: [1; 32],
            legacy_session_id_echo: vec![2; 32],
            cipher_suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            legacy_compression_method: Compression::Null,
            extensions: vec![
                ServerExtension::KeyShare(KeyShareEntry {
                    group: NamedGroup::X25519,
                    key_exchange: vec![9; 32],
                }),
                ServerExtension::PreSharedKey(0),
                ServerExtension::SupportedVersions(V13),
            ],
            extensions_absent: false,
        }),
        HandshakePayload::EncryptedExtensions(EncryptedExtensions {
            extensions: vec![
                EncryptedExtension::ServerNameAck,
                EncryptedExtension::Alpn(vec![ProtocolName(b"h2".to_vec())]),
                EncryptedExtension::EarlyData,
                EncryptedExtension::RecordSizeLimit(0x4001),
                EncryptedExtension::SupportedGroups(vec![NamedGroup::X25519]),
            ],
        }),
        HandshakePayload::CertificateTls13(CertificateTls13 {
            certificate_request_context: vec![1, 2],
            certificate_list: vec![
                CertificateEntry {
                    cert_data: cert(100),
                    extensions: vec![CertificateExtension::CertificateStatus(CertificateStatus {
                        ocsp_response: vec![0x30, 0],
                    })],
                },
                CertificateEntry {
                    cert_data: cert(50),
                    extensions: vec![CertificateExtension::Unknown {
                        typ: ExtensionType::SignedCertificateTimestamp,
                        body: vec![0, 0],
                    }],
                },
            ],
        }),
        HandshakePayload::CertificateTls13(CertificateTls13 {
            certificate_request_context: vec![],
            certificate_list: vec![],
        }),
        HandshakePayload::CertificateRequestTls13(CertificateRequestTls13 {
            certificate_request_context: vec![],
            extensions: vec![
                CertReqExtension::SignatureAlgorithms(vec![SignatureScheme::ED25519]),
                CertReqExtension::SignatureAlgorithmsCert(vec![SignatureScheme::RSA_PSS_SHA256]),
                CertReqExtension::CertificateAuthorities(vec![DistinguishedName(vec![0x30, 0])]),
                CertReqExtension::Unknown {
                    typ: ExtensionType::OidFilters,
                    body: vec![0, 0],
                },
            ],
        }),
        HandshakePayload::NewSessionTicketTls13(NewSessionTicketTls13 {
            ticket_lifetime: 7200,
            ticket_age_add: 1,
            ticket_nonce: vec![],
            ticket: vec![1],
            extensions: vec![NewSessionTicketExtension::EarlyData(16384)],
        }),
        HandshakePayload::EndOfEarlyData,
        HandshakePayload::KeyUpdate(KeyUpdateRequest::UpdateRequested),
        HandshakePayload::Finished(Finished {
            verify_data: vec![5; 48],
        }),
    ];
    let v12: Vec<HandshakePayload> = vec![
        HandshakePayload::HelloRequest,
        HandshakePayload::ClientHello(simple_client_hello(vec![
            ClientExtension::ServerName(ServerNameList::from_host_name("example.com")),
            ClientExtension::StatusRequest(CertificateStatusRequest::ocsp()),
            ClientExtension::EcPointFormats(vec![EcPointFormat::Uncompressed]),
            ClientExtension::ExtendedMasterSecret,
            ClientExtension::RenegotiationInfo(vec![]),
            ClientExtension::SessionTicket(vec![1, 2, 3]),
            ClientExtension::Alpn(vec![
                ProtocolName(b"h2".to_vec()),
                ProtocolName(b"http/1.1".to_vec()),
            ]),
            ClientExtension::SignatureAlgorithmsCert(vec![SignatureScheme::ED25519]),
            ClientExtension::CertificateAuthorities(vec![DistinguishedName(vec![1])]),
            ClientExtension::PostHandshakeAuth,
            ClientExtension::Cookie(vec![4]),
        ])),
        HandshakePayload::ServerHello(ServerHello {
            legacy_version: V12,
            random: [1; 32],
            legacy_session_id_echo: vec![2; 32],
            cipher_suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            legacy_compression_method: Compression::Null,
            extensions: vec![
                ServerExtension::RenegotiationInfo(vec![]),
                ServerExtension::ExtendedMasterSecret,
                ServerExtension::EcPointFormats(vec![EcPointFormat::Uncompressed]),
                ServerExtension::SessionTicketAck,
                ServerExtension::RecordSizeLimit(0x4001),
                ServerExtension::ServerNameAck,
                ServerExtension::StatusRequestAck,
                ServerExtension::Alpn(vec![ProtocolName(b"h2".to_vec())]),
            ],
            extensions_absent: false,
        }),
        HandshakePayload::CertificateTls12(CertificateTls12 {
            certificate_list: vec![cert(300), cert(200)],
        }),
        HandshakePayload::CertificateTls12(CertificateTls12 {
            certificate_list: vec![],
        }),
        HandshakePayload::CertificateStatus(CertificateStatus {
            ocsp_response: vec![0x30; 10],
        }),
        HandshakePayload::CertificateRequestTls12(CertificateRequestTls12 {
            certificate_types: vec![
                ClientCertificateType::RsaSign,
                ClientCertificateType::EcdsaSign,
            ],
            supported_signature_algorithms: vec![SignatureScheme::RSA_PKCS1_SHA256],
            certificate_authorities: vec![],
        }),
        HandshakePayload::ServerKeyExchange(ServerKeyExchange(vec![3, 0, 0x1d, 1, 9, 4, 3, 0, 0])),
        HandshakePayload::ServerHelloDone,
        HandshakePayload::ClientKeyExchange(ClientKeyExchange::ecdhe(&[4; 65])),
        HandshakePayload::CertificateVerify(DigitallySigned {
            scheme: SignatureScheme::RSA_PKCS1_SHA256,
            signature: vec![1; 256],
        }),
        HandshakePayload::NewSessionTicketTls12(NewSessionTicketTls12 {
            ticket_lifetime_hint: 0,
            ticket: vec![],
        }),
        HandshakePayload::Finished(Finished {
            verify_data: vec![5; 12],
        }),
    ];
    for (list, v) in [(v13, V13), (v12, V12)] {
        for p in list {
            let m = HandshakeMessage::new(p.clone());
            let name = format!("{:?}", p.typ());
            let d = check_round_trip_and_prefixes(&name, m.encoded(), v);
            assert_eq!(d.payload(), &p, "{name}");
            assert_eq!(d.typ(), p.typ());
        }
    }
}

#[test]
fn version_hint_selects_the_certificate_form() {
    let m = HandshakeMessage::new(HandshakePayload::CertificateTls12(CertificateTls12 {
        certificate_list: vec![cert(10)],
    }));
    // As TLS 1.3 the first byte (0) is the context length, and the rest does not parse.
    assert_eq!(
        HandshakeMessage::read_version(m.encoded(), V13).map(|_| ()),
        Err(crate::error::InvalidMessage::MissingData(
            "certificate_list"
        ))
    );
    assert!(HandshakeMessage::read_version(m.encoded(), V12).is_ok());
    // TLS 1.2 NewSessionTicket bytes read as TLS 1.2.
    let nst = HandshakeMessage::new(HandshakePayload::NewSessionTicketTls12(
        NewSessionTicketTls12 {
            ticket_lifetime_hint: 300,
            ticket: vec![1; 20],
        },
    ));
    assert!(matches!(
        HandshakeMessage::read_version(nst.encoded(), V12)
            .unwrap()
            .payload(),
        HandshakePayload::NewSessionTicketTls12(_)
    ));
}

// STYLE: "check a peer-declared length against a cap before allocating".
#[test]
fn certificate_caps_and_huge_lengths() {
    let ok = HandshakeMessage::new(HandshakePayload::CertificateTls12(CertificateTls12 {
        certificate_list: vec![cert(MAX_CERTIFICATE_SIZE)],
    }));
    assert!(HandshakeMessage::read_version(ok.encoded(), V12).is_ok());
    let big = HandshakeMessage::new(HandshakePayload::CertificateTls12(CertificateTls12 {
        certificate_list: vec![cert(MAX_CERTIFICATE_SIZE + 1)],
    }));
    assert_eq!(
        HandshakeMessage::read_version(big.encoded(), V12),
        Err(InvalidMessage::InvalidLength("ASN.1Cert"))
    );
    // Five certificates of 60 KiB: 300 KiB list, over the 256 KiB cap.
    let list = HandshakeMessage::new(HandshakePayload::CertificateTls12(CertificateTls12 {
        certificate_list: vec![cert(60 * 1024); 5],
    }));
    assert_eq!(
        HandshakeMessage::read_version(list.encoded(), V12),
        Err(InvalidMessage::InvalidLength("certificate_list"))
    );
    // A u24 handshake length of 16 MiB - 1 with ten bytes behind it: an error, not an
    // allocation.
    let mut hostile = vec![11, 0xff, 0xff, 0xff];
    hostile.extend_from_slice(&[0; 10]);
    assert_eq!(
        HandshakeMessage::read_version(&hostile, V12),
        Err(InvalidMessage::MissingData("handshake body"))
    );
    // The same inside a body: certificate_list length 16 MiB - 1.
    let hostile_body = [11, 0, 0, 5, 0xff, 0xff, 0xff, 0, 0];
    assert_eq!(
        HandshakeMessage::read_version(&hostile_body, V12).map(|_| ()),
        Err(crate::error::InvalidMessage::InvalidLength(
            "certificate_list"
        ))
    );
}

#[test]
fn read_from_leaves_following_messages() {
    let mut two = rfc8448("s3.encrypted_extensions");
    let cert = rfc8448("s3.certificate");
    two.extend_from_slice(&cert);
    let mut r = Reader::new(&two);
    let a = HandshakeMessage::read_from(&mut r, V13).unwrap();
    let b = HandshakeMessage::read_from(&mut r, V13).unwrap();
    assert!(!r.any_left());
    assert_eq!(a.typ(), HandshakeType::EncryptedExtensions);
    assert_eq!(b.encoded(), &cert[..]);
    // Trailing bytes after one message are an error for read_version.
    assert_eq!(
        HandshakeMessage::read_version(&two, V13).map(|_| ()),
        Err(crate::error::InvalidMessage::TrailingData(
            "handshake message"
        ))
    );
}

#[test]
fn empty_bodies_must_be_empty() {
    for t in [
        HandshakeType::ServerHelloDone,
        HandshakeType::EndOfEarlyData,
        HandshakeType::HelloRequest,
    ] {
        assert!(HandshakeMessage::read_version(&[t.0, 0, 0, 0], V13).is_ok());
        assert!(matches!(
            HandshakeMessage::read_version(&[t.0, 0, 0, 1, 0], V13),
            Err(crate::error::InvalidMessage::TrailingData(_))
        ));
    }
    // KeyUpdate is exactly one byte (RFC 8446 §4.6.3).
    assert_eq!(
        HandshakeMessage::read_version(&[24, 0, 0, 2, 0, 0], V13).map(|_| ()),
        Err(crate::error::InvalidMessage::TrailingData("key_update"))
    );
    // Empty-bodied extensions with a body are errors (RFC 7627 §5.1: extension_data empty).
    let bytes = encode_ch(simple_client_hello(vec![ClientExtension::Unknown {
        typ: ExtensionType::ExtendedMasterSecret,
        body: vec![0],
    }]));
    assert_eq!(
        HandshakeMessage::read_version(&bytes, V13),
        Err(InvalidMessage::TrailingData("extended_master_secret"))
    );
}
