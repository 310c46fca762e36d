//! The server's end-entity key must fit the negotiated suite and its KeyUsage must allow the
//! use the handshake makes of it (issue 9, items 6 and 13):
//!
//! - RFC 5246 §7.4.2 / RFC 8422 §5.3: ECDHE_RSA needs an RSA key, ECDHE_ECDSA an ECDSA (or
//!   Ed25519) key; a server whose Certificate does not fit the suite it chose is refused with
//!   `CertificateKeyMismatchesSuite` / illegal_parameter (what BoringSSL sends);
//! - RFC 5280 §4.2.1.3 with RFC 5246 §7.4.2: RSA key transport needs keyEncipherment, (EC)DHE
//!   needs digitalSignature; RFC 8446 §4.4.2.2: TLS 1.3 needs digitalSignature (both sides).
//!   A KeyUsage that forbids the use is `KeyUsageForbidsUse` / unsupported_certificate; no
//!   KeyUsage extension at all allows everything.

use std::sync::Arc;

use clasp::error::{CertificateError, PeerMisbehaved};
use clasp::msgs::enums::{AlertDescription, CipherSuite, ProtocolVersion};
use clasp::verify::RootCertStore;
use clasp::{ClientAuth, ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use clasp_testkit::{KeyType, TestPki};
use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

mod common;
use common::{give_tls, localhost, pump, take_tls, transfer, Failure};

// ---------------------------------------------------------------------------------------------
// A small PKI whose leaves carry chosen KeyUsage bits.

struct KuPki {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
    rsa: KeyPair,
    ecdsa: KeyPair,
}

impl KuPki {
    fn new() -> Self {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::default();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let ca = p.self_signed(&ca_key).unwrap();
        Self {
            ca,
            ca_key,
            rsa: KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap(),
            ecdsa: KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots
            .add(&CertificateDer::from(self.ca.der().to_vec()))
            .unwrap();
        roots
    }

    /// A leaf for `localhost` (server) or a client, with exactly `ku` (empty: no extension).
    fn leaf(
        &self,
        rsa: bool,
        ku: &[KeyUsagePurpose],
        client: bool,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = if rsa { &self.rsa } else { &self.ecdsa };
        let mut p = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        p.key_usages = ku.to_vec();
        p.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let cert = p.signed_by(key, &self.ca, &self.ca_key).unwrap();
        (
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

fn ku_pki() -> &'static KuPki {
    static PKI: std::sync::OnceLock<KuPki> = std::sync::OnceLock::new();
    PKI.get_or_init(KuPki::new)
}

const SIGN: &[KeyUsagePurpose] = &[KeyUsagePurpose::DigitalSignature];
const ENCIPHER: &[KeyUsagePurpose] = &[KeyUsagePurpose::KeyEncipherment];
const NO_KU: &[KeyUsagePurpose] = &[];

/// A handshake between a client trusting the KU PKI and a server with `leaf`, at `version`
/// with `suite`; RSA key exchange enabled on both sides when the suite needs it.
fn handshake(
    leaf: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
    version: ProtocolVersion,
    suite: CipherSuite,
) -> (ClientConnection, ServerConnection, Result<(), Failure>) {
    let rsa_kx = suite == CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
    let ccfg = ClientConfig::builder()
        .with_root_certificates(ku_pki().roots())
        .with_protocol_versions(&[version])
        .with_cipher_suites(&[suite])
        .allow_rsa_key_exchange(rsa_kx)
        .build()
        .unwrap();
    let scfg = ServerConfig::builder()
        .with_single_cert(leaf.0, leaf.1)
        .with_protocol_versions(&[version])
        .with_cipher_suites(&[suite])
        .allow_rsa_key_exchange(rsa_kx)
        .build()
        .unwrap();
    let mut c = ClientConnection::new(Arc::new(ccfg), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
    let r = pump(&mut c, &mut s);
    (c, s, r)
}

/// The client refused with `want`, and the server was told `alert`.
fn assert_client_refused(
    (mut c, mut s, r): (ClientConnection, ServerConnection, Result<(), Failure>),
    want: &Error,
    alert: AlertDescription,
) {
    match r {
        Err(Failure::Client(e)) => assert_eq!(&e, want),
        other => panic!("expected the client to fail with {want:?}, got {other:?}"),
    }
    assert_eq!(transfer(&mut c, &mut s), Err(Error::AlertReceived(alert)));
}

// ---------------------------------------------------------------------------------------------
// KeyUsage.

/// RFC 5246 §7.4.2 (RSA): "the keyEncipherment bit MUST be set if the key usage extension is
/// present". A digitalSignature-only RSA leaf must not receive an encrypted pre-master secret.
#[test]
fn rsa_key_exchange_to_a_signature_only_leaf_is_refused() {
    let leaf = ku_pki().leaf(true, SIGN, false);
    assert_client_refused(
        handshake(
            leaf,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        ),
        &Error::InvalidCertificate(CertificateError::KeyUsageForbidsUse),
        AlertDescription::UnsupportedCertificate,
    );
}

/// RFC 5246 §7.4.2 (ECDHE_RSA): "the digitalSignature bit MUST be set if the key usage
/// extension is present". A keyEncipherment-only leaf must not sign ServerKeyExchange.
#[test]
fn ecdhe_rsa_with_an_encipherment_only_leaf_is_refused() {
    let leaf = ku_pki().leaf(true, ENCIPHER, false);
    assert_client_refused(
        handshake(
            leaf,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ),
        &Error::InvalidCertificate(CertificateError::KeyUsageForbidsUse),
        AlertDescription::UnsupportedCertificate,
    );
}

/// RFC 8422 §5.3 (ECDHE_ECDSA): the key "MUST allow the key to be used for signing".
#[test]
fn ecdhe_ecdsa_with_an_encipherment_only_leaf_is_refused() {
    let leaf = ku_pki().leaf(false, &[KeyUsagePurpose::KeyAgreement], false);
    assert_client_refused(
        handshake(
            leaf,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ),
        &Error::InvalidCertificate(CertificateError::KeyUsageForbidsUse),
        AlertDescription::UnsupportedCertificate,
    );
}

/// RFC 8446 §4.4.2.2: "The certificate MUST allow the key to be used for signing (i.e., the
/// digitalSignature bit MUST be set if the Key Usage extension is present)".
#[test]
fn tls13_server_leaf_without_digital_signature_is_refused() {
    for rsa in [true, false] {
        let ku = if rsa {
            ENCIPHER
        } else {
            &[KeyUsagePurpose::KeyAgreement][..]
        };
        let leaf = ku_pki().leaf(rsa, ku, false);
        assert_client_refused(
            handshake(
                leaf,
                ProtocolVersion::TLSv1_3,
                CipherSuite::TLS_AES_128_GCM_SHA256,
            ),
            &Error::InvalidCertificate(CertificateError::KeyUsageForbidsUse),
            AlertDescription::UnsupportedCertificate,
        );
    }
}

/// RFC 8446 §4.4.2.2 applies to the client's certificate too: a server requiring client auth
/// refuses a client leaf whose KeyUsage lacks digitalSignature (TLS 1.3 and TLS 1.2, where
/// the client signs CertificateVerify).
#[test]
fn client_leaf_without_digital_signature_is_refused_by_the_server() {
    for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
        let (chain, key) = ku_pki().leaf(false, &[KeyUsagePurpose::KeyAgreement], true);
        let server_leaf = ku_pki().leaf(false, SIGN, false);
        let ccfg = ClientConfig::builder()
            .with_root_certificates(ku_pki().roots())
            .with_protocol_versions(&[version])
            .with_client_auth_cert(chain, key)
            .build()
            .unwrap();
        let scfg = ServerConfig::builder()
            .with_single_cert(server_leaf.0, server_leaf.1)
            .with_protocol_versions(&[version])
            .with_client_auth(ClientAuth::Required(ku_pki().roots()))
            .build()
            .unwrap();
        let mut c = ClientConnection::new(Arc::new(ccfg), localhost()).unwrap();
        let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
        match pump(&mut c, &mut s) {
            Err(Failure::Server(e)) => assert_eq!(
                e,
                Error::InvalidCertificate(CertificateError::KeyUsageForbidsUse),
                "{version:?}"
            ),
            other => panic!("{version:?}: expected the server to fail, got {other:?}"),
        }
        assert_eq!(
            transfer(&mut s, &mut c),
            Err(Error::AlertReceived(
                AlertDescription::UnsupportedCertificate
            )),
            "{version:?}"
        );
    }
}

/// Controls: the right bit, or no KeyUsage extension at all, is accepted for every use.
#[test]
fn fitting_key_usage_or_none_is_accepted() {
    let cases = [
        (
            true,
            ENCIPHER,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        ),
        (
            true,
            NO_KU,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        ),
        (
            true,
            SIGN,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ),
        (
            true,
            NO_KU,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ),
        (
            false,
            SIGN,
            ProtocolVersion::TLSv1_2,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ),
        (
            false,
            NO_KU,
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS_AES_128_GCM_SHA256,
        ),
        (
            true,
            SIGN,
            ProtocolVersion::TLSv1_3,
            CipherSuite::TLS_AES_128_GCM_SHA256,
        ),
    ];
    for (rsa, ku, version, suite) in cases {
        let (c, _, r) = handshake(ku_pki().leaf(rsa, ku, false), version, suite);
        assert!(matches!(r, Ok(())), "{suite:?} rsa={rsa} ku={ku:?}: {r:?}");
        assert!(!c.is_handshaking());
    }
}

// ---------------------------------------------------------------------------------------------
// The leaf's key type against the suite.

/// The handshake messages of a plaintext TLS 1.2 flight (all records of type 22).
fn messages(flight: &[u8]) -> Vec<Vec<u8>> {
    let mut body = Vec::new();
    let mut at = 0;
    while at + 5 <= flight.len() {
        assert_eq!(flight[at], 22, "plaintext handshake records only");
        let len = usize::from(u16::from_be_bytes([flight[at + 3], flight[at + 4]]));
        body.extend_from_slice(&flight[at + 5..at + 5 + len]);
        at += 5 + len;
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at + 4 <= body.len() {
        let len = usize::from(body[at + 1]) << 16
            | usize::from(body[at + 2]) << 8
            | usize::from(body[at + 3]);
        out.push(body[at..at + 4 + len].to_vec());
        at += 4 + len;
    }
    out
}

/// `msgs` framed again as TLS 1.2 handshake records.
fn records(msgs: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = msgs.concat();
    let mut out = Vec::new();
    for chunk in body.chunks(16384) {
        out.extend_from_slice(&[22, 3, 3]);
        out.extend_from_slice(&u16::try_from(chunk.len()).unwrap().to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// A TLS 1.2 Certificate message carrying `chain` (RFC 5246 §7.4.2).
fn certificate_message(chain: &[Vec<u8>]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in chain {
        let n = u32::try_from(c.len()).unwrap().to_be_bytes();
        list.extend_from_slice(&n[1..]);
        list.extend_from_slice(c);
    }
    let mut body = u32::try_from(list.len()).unwrap().to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&list);
    let mut msg = vec![11];
    msg.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    msg
}

/// A clasp server with a `server_key` leaf negotiates TLS 1.2 `suite`; its Certificate is
/// swapped in flight for the shared PKI's `swapped_key` chain (same CA, same name, so the chain
/// itself verifies). The client must refuse the key type.
fn swapped_certificate(suite: CipherSuite, server_key: KeyType, swapped_key: KeyType) -> Error {
    let pki = TestPki::shared();
    let rsa_kx = suite == CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
    let ccfg = common::client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[suite])
        .allow_rsa_key_exchange(rsa_kx)
        .build()
        .unwrap();
    let id = pki.server(server_key);
    let scfg = ServerConfig::builder()
        .with_single_cert(id.cert_chain(), id.private_key())
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[suite])
        .allow_rsa_key_exchange(rsa_kx)
        .build()
        .unwrap();
    let mut c = ClientConnection::new(Arc::new(ccfg), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
    give_tls(&mut s, &take_tls(&mut c)).unwrap();
    let mut msgs = messages(&take_tls(&mut s));
    let cert = msgs.iter().position(|m| m[0] == 11).expect("Certificate");
    msgs[cert] = certificate_message(pki.server(swapped_key).chain_der());
    let err = give_tls(&mut c, &records(&msgs)).unwrap_err();
    assert_eq!(
        transfer(&mut c, &mut s),
        Err(Error::AlertReceived(AlertDescription::IllegalParameter)),
        "{suite:?} with a {swapped_key:?} leaf"
    );
    err
}

/// RFC 5246 §7.4.2: "The end-entity certificate's public key (and associated restrictions)
/// MUST be compatible with the selected key exchange algorithm": ECDHE_RSA needs "RSA public
/// key". An ECDSA (or Ed25519) leaf is refused before its key is used.
#[test]
fn ecdhe_rsa_with_an_ecdsa_leaf_is_illegal_parameter() {
    for leaf in [KeyType::EcdsaP256, KeyType::Ed25519] {
        assert_eq!(
            swapped_certificate(
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                KeyType::Rsa2048,
                leaf
            ),
            Error::PeerMisbehaved(PeerMisbehaved::CertificateKeyMismatchesSuite)
        );
    }
}

/// RFC 8422 §5.3: ECDHE_ECDSA needs an "ECDSA- or EdDSA-capable public key". An RSA leaf is
/// refused, as is RSA key transport to an ECDSA leaf (RFC 5246 §7.4.2: RSA needs "RSA public
/// key").
#[test]
fn ecdhe_ecdsa_with_an_rsa_leaf_or_rsa_kx_with_an_ecdsa_leaf_is_illegal_parameter() {
    assert_eq!(
        swapped_certificate(
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            KeyType::EcdsaP256,
            KeyType::Rsa2048
        ),
        Error::PeerMisbehaved(PeerMisbehaved::CertificateKeyMismatchesSuite)
    );
    assert_eq!(
        swapped_certificate(
            CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
            KeyType::Rsa2048,
            KeyType::EcdsaP256
        ),
        Error::PeerMisbehaved(PeerMisbehaved::CertificateKeyMismatchesSuite)
    );
}

// ---------------------------------------------------------------------------------------------
// The leaf's curve (BoGo `CheckLeafCurve`, `ECDSACurveMismatch-Verify-TLS13`).

/// RFC 4492 §5.1 (receiver): an ECC suite "must be negotiated only if the server can
/// successfully complete the handshake while using the curves ... supported by the client
/// (cf. Sections 5.3 and 5.4)". A TLS 1.2 ECDSA leaf on a curve the client did not offer in
/// supported_groups is refused (BoringSSL: BAD_ECC_CERT, illegal_parameter).
#[test]
fn tls12_ecdsa_leaf_on_an_unoffered_curve_is_refused() {
    use clasp::msgs::enums::NamedGroup;
    let ccfg = common::client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .with_cipher_suites(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
        .with_groups(&[NamedGroup::secp384r1])
        .with_key_shares(&[NamedGroup::secp384r1])
        .build()
        .unwrap();
    let scfg = common::server_builder(KeyType::EcdsaP256)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
        .build()
        .unwrap();
    let c = ClientConnection::new(Arc::new(ccfg), localhost()).unwrap();
    let s = ServerConnection::new(Arc::new(scfg)).unwrap();
    let (mut c, mut s) = (c, s);
    let r = pump(&mut c, &mut s);
    assert_client_refused(
        (c, s, r),
        &Error::PeerMisbehaved(PeerMisbehaved::CertificateCurveNotOffered),
        AlertDescription::IllegalParameter,
    );
}

/// Control for the above: TLS 1.3 ECDSA schemes name their curve and do not use
/// supported_groups (BoGo `CheckLeafCurve-TLS13`), and TLS 1.2 with the curve offered works.
#[test]
fn ecdsa_leaf_curve_controls() {
    use clasp::msgs::enums::NamedGroup;
    for (version, groups) in [
        (ProtocolVersion::TLSv1_3, &[NamedGroup::secp384r1][..]),
        (
            ProtocolVersion::TLSv1_2,
            &[NamedGroup::secp384r1, NamedGroup::secp256r1][..],
        ),
    ] {
        let ccfg = common::client_builder()
            .with_protocol_versions(&[version])
            .with_groups(groups)
            .with_key_shares(&groups[..1])
            .build()
            .unwrap();
        let scfg = common::server_builder(KeyType::EcdsaP256)
            .with_protocol_versions(&[version])
            .build()
            .unwrap();
        let mut c = ClientConnection::new(Arc::new(ccfg), localhost()).unwrap();
        let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
        let r = pump(&mut c, &mut s);
        assert!(matches!(r, Ok(())), "{version:?}: {r:?}");
    }
}

/// A P-384 key that claims ecdsa_secp256r1_sha256 for its P-384 signatures.
#[derive(Debug)]
struct MislabelledCurve(Arc<dyn clasp::crypto::SigningKey>);

struct Relabel(Box<dyn clasp::crypto::Signer>);

impl clasp::crypto::Signer for Relabel {
    fn scheme(&self) -> clasp::msgs::enums::SignatureScheme {
        clasp::msgs::enums::SignatureScheme::ECDSA_NISTP256_SHA256
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.0.sign(message)
    }
}

impl clasp::crypto::SigningKey for MislabelledCurve {
    fn kind(&self) -> clasp::crypto::KeyKind {
        self.0.kind()
    }

    fn choose_scheme(
        &self,
        _offered: &[clasp::msgs::enums::SignatureScheme],
    ) -> Option<Box<dyn clasp::crypto::Signer>> {
        let s = self
            .0
            .choose_scheme(&[clasp::msgs::enums::SignatureScheme::ECDSA_NISTP384_SHA384])?;
        Some(Box::new(Relabel(s)))
    }

    fn public_key(&self) -> Option<rustls_pki_types::SubjectPublicKeyInfoDer<'static>> {
        self.0.public_key()
    }
}

/// RFC 8446 §4.2.3: in TLS 1.3 "ecdsa_secp256r1_sha256" names the curve too, so a
/// CertificateVerify under that scheme from a P-384 key is refused before the signature is
/// checked (`SignatureSchemeMismatchesKey`, illegal_parameter), not as a bad signature.
#[test]
fn tls13_ecdsa_scheme_for_another_curve_is_refused() {
    let provider = clasp::crypto::aws_lc::default_provider();
    let id = TestPki::shared().server(KeyType::EcdsaP384);
    let key = provider
        .key_provider
        .load_private_key(id.private_key())
        .unwrap();
    let ck =
        clasp::sign::CertifiedKey::new(id.cert_chain(), Arc::new(MislabelledCurve(key))).unwrap();
    let ccfg = common::client_builder()
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .build()
        .unwrap();
    let scfg = ServerConfig::builder()
        .with_cert_resolver(Arc::new(clasp::sign::SingleCert(Arc::new(ck))))
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .build()
        .unwrap();
    let mut c = ClientConnection::new(Arc::new(ccfg), localhost()).unwrap();
    let mut s = ServerConnection::new(Arc::new(scfg)).unwrap();
    let r = pump(&mut c, &mut s);
    assert_client_refused(
        (c, s, r),
        &Error::PeerMisbehaved(PeerMisbehaved::SignatureSchemeMismatchesKey),
        AlertDescription::IllegalParameter,
    );
}
