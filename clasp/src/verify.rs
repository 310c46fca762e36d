//! Certificate verification: trust anchors, server and client certificate checks, and the
//! signatures of `CertificateVerify` / `ServerKeyExchange`.
//!
//! This is the only module that names `webpki` (STYLE). It never builds a chain by hand: path
//! building, validity periods, name matching and EKU checks are `rustls-webpki`'s. What it owns is
//! the mapping from TLS concepts (server names, signature schemes, protocol versions) to webpki
//! calls, and from webpki errors to precise [`CertificateError`]s.
//!
//! Verifiers return zero-sized proof tokens ([`ServerCertVerified`], [`ClientCertVerified`],
//! [`HandshakeSignatureValid`]); the handshake states that follow take them as constructor
//! arguments, so a state machine that skips a check does not compile (STYLE: "require proof
//! tokens"). The tokens have private fields; their `assertion()` constructors are public but
//! `#[doc(hidden)]` so that applications can write their own verifiers (as with rustls). The
//! token guards against *forgetting* a check inside clasp, not against code that deliberately
//! vouches for a certificate.
//!
//! Time is always passed in (`now`): this module never reads the clock (see [`crate::time`]).

use core::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
pub use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use rustls_pki_types::{SubjectPublicKeyInfoDer, TrustAnchor};

use crate::crypto::{CryptoProvider, SignatureVerifiers};

mod chain_cache;
use crate::error::{CertificateError, ConfigError, Error, PeerMisbehaved};
use crate::msgs::enums::SignatureScheme;
use chain_cache::ChainCache;
pub(crate) use chain_cache::DEFAULT_MAX_AGE_SECS as CHAIN_CACHE_MAX_AGE_SECS;

/// The host name to send in `server_name` (RFC 6066 §3), if any: only DNS names are sent;
/// "Literal IPv4 and IPv6 addresses are not permitted in "HostName"".
#[must_use]
pub fn sni_host_name<'a>(name: &'a ServerName<'_>) -> Option<&'a str> {
    match name {
        ServerName::DnsName(d) => Some(d.as_ref()),
        _ => None,
    }
}

/// A DER-encoded X.501 `Name` (including its outer SEQUENCE), as carried in the
/// `certificate_authorities` extension and in TLS 1.2 `CertificateRequest` (RFC 8446 §4.2.4,
/// RFC 5246 §7.4.4).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DistinguishedName(Vec<u8>);

impl DistinguishedName {
    /// Wraps the DER of a complete `Name` (starting with the SEQUENCE tag 0x30).
    #[must_use]
    pub fn from_der(der: Vec<u8>) -> Self {
        Self(der)
    }

    /// Wraps the *contents* of a `Name` SEQUENCE (what webpki calls a subject) in its SEQUENCE
    /// header, producing the encoding TLS sends.
    #[must_use]
    pub fn in_sequence(contents: &[u8]) -> Self {
        let mut out = Vec::with_capacity(contents.len() + 5);
        out.push(0x30);
        put_der_len(&mut out, contents.len());
        out.extend_from_slice(contents);
        Self(out)
    }

    /// The DER bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for DistinguishedName {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DistinguishedName(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Appends a DER definite length (X.690 §8.1.3).
fn put_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // Cannot truncate: len < 0x80.
        #[allow(clippy::cast_possible_truncation)]
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    // At most size_of::<usize>() = 8 bytes, so the count fits in the low 7 bits.
    #[allow(clippy::cast_possible_truncation)]
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// The trust anchors a verifier accepts chains to.
#[derive(Clone, Default)]
pub struct RootCertStore {
    roots: Vec<TrustAnchor<'static>>,
    /// Changes whenever `roots` does (0: empty since creation): the trust-anchor set's identity
    /// in the verified-chain cache's key, so a chain verified under other anchors never matches.
    identity: u64,
}

impl fmt::Debug for RootCertStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootCertStore")
            .field("len", &self.roots.len())
            .finish()
    }
}

impl RootCertStore {
    /// Adds every anchor of `other` to this store.
    pub fn extend(&mut self, other: RootCertStore) {
        self.roots.extend(other.roots);
        self.identity = chain_cache::next_roots_identity();
    }

    /// An empty store.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds one DER certificate as a trust anchor.
    ///
    /// # Errors
    /// `ConfigError::BadTrustAnchor` if the certificate does not parse.
    pub fn add(&mut self, cert: &CertificateDer<'_>) -> Result<(), Error> {
        let anchor = webpki::anchor_from_trusted_cert(cert)
            .map_err(|_| ConfigError::BadTrustAnchor)?
            .to_owned();
        self.roots.push(anchor);
        self.identity = chain_cache::next_roots_identity();
        Ok(())
    }

    /// Adds every certificate that parses; returns `(added, ignored)`. For bundles such as the
    /// system store, where one odd certificate should not make the rest unusable.
    pub fn add_parsable_certificates<'a>(
        &mut self,
        certs: impl IntoIterator<Item = CertificateDer<'a>>,
    ) -> (usize, usize) {
        let (mut added, mut ignored) = (0, 0);
        for cert in certs {
            match self.add(&cert) {
                Ok(()) => added += 1,
                Err(_) => ignored += 1,
            }
        }
        (added, ignored)
    }

    /// Adds every `CERTIFICATE` section of a PEM bundle; returns how many were added.
    ///
    /// # Errors
    /// `ConfigError::Pem` if the PEM is malformed or holds no certificate,
    /// `ConfigError::BadTrustAnchor` if a certificate does not parse.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize, Error> {
        let certs = certs_from_pem_iter(CertificateDer::pem_slice_iter(pem))?;
        self.add_all(&certs)
    }

    /// Adds every `CERTIFICATE` section of a PEM file; returns how many were added.
    ///
    /// # Errors
    /// As [`Self::add_pem`], plus `ConfigError::Pem` if the file cannot be read.
    pub fn add_pem_file(&mut self, path: impl AsRef<Path>) -> Result<usize, Error> {
        let path = path.as_ref();
        let iter = CertificateDer::pem_file_iter(path).map_err(|e| pem_error(path, &e))?;
        let certs = certs_from_pem_iter(iter).map_err(|e| with_path(e, path))?;
        self.add_all(&certs)
    }

    fn add_all(&mut self, certs: &[CertificateDer<'_>]) -> Result<usize, Error> {
        for cert in certs {
            self.add(cert)?;
        }
        Ok(certs.len())
    }

    /// A store holding the operating system's trust anchors (via `rustls-native-certs`, with the
    /// cargo feature `native-roots`). Certificates that do not parse are skipped.
    ///
    /// # Errors
    /// `ConfigError::Pem` if not a single usable root was found.
    #[cfg(feature = "native-roots")]
    pub fn with_native_roots() -> Result<Self, Error> {
        let found = rustls_native_certs::load_native_certs();
        let mut store = Self::empty();
        store.add_parsable_certificates(found.certs);
        if store.is_empty() {
            let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            return Err(ConfigError::Pem(format!(
                "no usable system root certificates ({})",
                why.join("; ")
            ))
            .into());
        }
        Ok(store)
    }

    /// Number of trust anchors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether the store holds no anchors.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The anchors' subject names, for `certificate_authorities` (RFC 8446 §4.2.4) and TLS 1.2
    /// `CertificateRequest.certificate_authorities`.
    #[must_use]
    pub fn subjects(&self) -> Vec<DistinguishedName> {
        self.roots
            .iter()
            .map(|ta| DistinguishedName::in_sequence(ta.subject.as_ref()))
            .collect()
    }
}

/// Collects a PEM iterator's certificates; none at all is an error.
pub(crate) fn certs_from_pem_iter(
    iter: impl Iterator<Item = Result<CertificateDer<'static>, rustls_pki_types::pem::Error>>,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = iter
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::Pem(e.to_string()))?;
    if certs.is_empty() {
        return Err(ConfigError::Pem("no CERTIFICATE section found".into()).into());
    }
    Ok(certs)
}

pub(crate) fn pem_error(path: &Path, e: &rustls_pki_types::pem::Error) -> Error {
    ConfigError::Pem(format!("{}: {e}", path.display())).into()
}

pub(crate) fn with_path(e: Error, path: &Path) -> Error {
    match e {
        Error::InvalidConfig(ConfigError::Pem(msg)) => {
            ConfigError::Pem(format!("{}: {msg}", path.display())).into()
        }
        other => other,
    }
}

/// The end-entity certificate's `SubjectPublicKeyInfo` (to check a private key matches it).
///
/// # Errors
/// `CertificateError::BadEncoding` if the certificate does not parse.
pub(crate) fn end_entity_spki(
    cert: &CertificateDer<'_>,
) -> Result<SubjectPublicKeyInfoDer<'static>, Error> {
    let ee = webpki::EndEntityCert::try_from(cert).map_err(|e| map_webpki_error(&e))?;
    Ok(ee.subject_public_key_info())
}

/// What the peer's end-entity key is used for in this handshake, for its KeyUsage extension
/// (RFC 5280 §4.2.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeafKeyUse {
    /// Signing handshake messages: a TLS 1.2 (EC)DHE ServerKeyExchange (RFC 5246 §7.4.2), a
    /// TLS 1.3 CertificateVerify (RFC 8446 §4.4.2.2), a client's CertificateVerify: the
    /// "digitalSignature bit MUST be set if the Key Usage extension is present".
    Sign,
    /// TLS 1.2 RSA key transport (RFC 5246 §7.4.2): "the keyEncipherment bit MUST be set if the
    /// key usage extension is present".
    Encipher,
}

/// An end-entity certificate's key: its kind and what its KeyUsage extension allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EndEntityKey {
    /// RSA, ECDSA or Ed25519.
    pub(crate) kind: crate::crypto::KeyKind,
    /// digitalSignature set, or no KeyUsage extension.
    may_sign: bool,
    /// keyEncipherment set, or no KeyUsage extension.
    may_encipher: bool,
    /// The named curve of an EC key (P-256, P-384, P-521); `None` for other keys and curves.
    pub(crate) curve: Option<crate::msgs::enums::NamedGroup>,
}

impl EndEntityKey {
    /// Whether KeyUsage (RFC 5280 §4.2.1.3) allows `usage`.
    ///
    /// # Errors
    /// `CertificateError::KeyUsageForbidsUse` if it does not.
    pub(crate) fn check_usage(&self, usage: LeafKeyUse) -> Result<(), Error> {
        let allowed = match usage {
            LeafKeyUse::Sign => self.may_sign,
            LeafKeyUse::Encipher => self.may_encipher,
        };
        if allowed {
            Ok(())
        } else {
            Err(CertificateError::KeyUsageForbidsUse.into())
        }
    }
}

impl EndEntityKey {
    /// Whether the peer's signature `scheme` is one for this key's type.
    ///
    /// RFC 8446 §4.4.3: "the sender MUST ... use a signature algorithm ... compatible with the
    /// key in the sender's end-entity certificate" (RFC 5246 §7.4.1.4.1 likewise). A scheme for
    /// another key type is the peer's choice gone wrong, not a forged signature, so it is
    /// `illegal_parameter` (RFC 8446 §6.2), not `decrypt_error`.
    ///
    /// # Errors
    /// `PeerMisbehaved::SignatureSchemeMismatchesKey` if it is not.
    pub(crate) fn check_scheme(&self, scheme: SignatureScheme) -> Result<(), Error> {
        use crate::crypto::KeyKind;
        let fits = match scheme {
            SignatureScheme::RSA_PKCS1_SHA1
            | SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
            | SignatureScheme::RSA_PSS_SHA256
            | SignatureScheme::RSA_PSS_SHA384
            | SignatureScheme::RSA_PSS_SHA512 => self.kind == KeyKind::Rsa,
            SignatureScheme::ECDSA_SHA1_Legacy
            | SignatureScheme::ECDSA_NISTP256_SHA256
            | SignatureScheme::ECDSA_NISTP384_SHA384
            | SignatureScheme::ECDSA_NISTP521_SHA512 => self.kind == KeyKind::Ecdsa,
            SignatureScheme::ED25519 => self.kind == KeyKind::Ed25519,
            // rsa_pss_pss_* need an RSASSA-PSS key, which we do not accept; anything else is
            // left to the verifier (which refuses what it does not know).
            SignatureScheme::RSA_PSS_PSS_SHA256
            | SignatureScheme::RSA_PSS_PSS_SHA384
            | SignatureScheme::RSA_PSS_PSS_SHA512
            | SignatureScheme::ED448 => false,
            _ => true,
        };
        if fits {
            Ok(())
        } else {
            Err(crate::error::PeerMisbehaved::SignatureSchemeMismatchesKey.into())
        }
    }

    /// [`Self::check_scheme`] for TLS 1.3, where an ECDSA scheme also names the curve.
    ///
    /// RFC 8446 §4.2.3: "ecdsa_secp256r1_sha256 ... ECDSA algorithms: Indicates a signature
    /// algorithm using ECDSA [ECDSA], the corresponding curve as defined in ANSI X9.62 [ECDSA]
    /// and FIPS 186-4 [DSS]": a P-384 key cannot sign with ecdsa_secp256r1_sha256.
    ///
    /// # Errors
    /// `PeerMisbehaved::SignatureSchemeMismatchesKey` if the scheme does not fit the key.
    pub(crate) fn check_tls13_scheme(&self, scheme: SignatureScheme) -> Result<(), Error> {
        use crate::msgs::enums::NamedGroup;
        self.check_scheme(scheme)?;
        let want = match scheme {
            SignatureScheme::ECDSA_NISTP256_SHA256 => NamedGroup::secp256r1,
            SignatureScheme::ECDSA_NISTP384_SHA384 => NamedGroup::secp384r1,
            SignatureScheme::ECDSA_NISTP521_SHA512 => NamedGroup::secp521r1,
            _ => return Ok(()),
        };
        if self.curve == Some(want) {
            Ok(())
        } else {
            Err(crate::error::PeerMisbehaved::SignatureSchemeMismatchesKey.into())
        }
    }
}

/// The kind of key an end-entity certificate carries and what its KeyUsage allows.
///
/// rustls-webpki does not expose KeyUsage or the key algorithm, so the certificate is read with
/// `x509-parser` (never a hand-written DER walker).
///
/// # Errors
/// `CertificateError::BadEncoding` if the certificate does not parse (or carries KeyUsage
/// twice), `CertificateError::UnsupportedAlgorithm` for a key that is neither RSA, EC nor
/// Ed25519.
pub(crate) fn end_entity_key(cert: &CertificateDer<'_>) -> Result<EndEntityKey, Error> {
    use x509_parser::oid_registry::{
        OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
        OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
    };

    use crate::msgs::enums::NamedGroup;
    use x509_parser::prelude::{FromDer, X509Certificate};

    use crate::crypto::KeyKind;

    let (_, x509) =
        X509Certificate::from_der(cert.as_ref()).map_err(|_| CertificateError::BadEncoding)?;
    let alg = &x509.public_key().algorithm.algorithm;
    let kind = if *alg == OID_PKCS1_RSAENCRYPTION {
        KeyKind::Rsa
    } else if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        KeyKind::Ecdsa
    } else if *alg == OID_SIG_ED25519 {
        KeyKind::Ed25519
    } else {
        return Err(CertificateError::UnsupportedAlgorithm.into());
    };
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
    // extension" (x509-parser reports a duplicate as an error). Without the extension every
    // use is allowed (§4.2.1.3 restricts only when present).
    let ku = x509
        .key_usage()
        .map_err(|_| CertificateError::BadEncoding)?;
    let (may_sign, may_encipher) = ku.map_or((true, true), |ku| {
        (ku.value.digital_signature(), ku.value.key_encipherment())
    });
    // RFC 5480 §2.1.1: the EC key's namedCurve is the algorithm's parameter.
    let curve = match (kind, x509.public_key().algorithm.parameters.as_ref()) {
        (KeyKind::Ecdsa, Some(p)) => match p.as_oid() {
            Ok(oid) if oid == OID_EC_P256 => Some(NamedGroup::secp256r1),
            Ok(oid) if oid == OID_NIST_EC_P384 => Some(NamedGroup::secp384r1),
            Ok(oid) if oid == OID_NIST_EC_P521 => Some(NamedGroup::secp521r1),
            _ => None,
        },
        _ => None,
    };
    Ok(EndEntityKey {
        kind,
        may_sign,
        may_encipher,
        curve,
    })
}

/// Checks that `cert` names `name` (used when configuring certificates per SNI name).
///
/// # Errors
/// `CertificateError::NotValidForName` or a parse error.
pub(crate) fn check_valid_for_name(
    cert: &CertificateDer<'_>,
    name: &ServerName<'_>,
) -> Result<(), Error> {
    let ee = webpki::EndEntityCert::try_from(cert).map_err(|e| map_webpki_error(&e))?;
    ee.verify_is_valid_for_subject_name(name)
        .map_err(|e| map_name_error(&e, name))
}

/// Proof that a server's certificate chain was verified for the name we connected to; it may
/// carry the path that verified (see [`ServerCertVerified::assertion_with_path`]).
#[derive(Debug)]
pub struct ServerCertVerified(Option<Vec<CertificateDer<'static>>>);

impl ServerCertVerified {
    /// Vouches for a server certificate. Only verifiers call this. The connection then reports
    /// every certificate the server sent as its `peer_certificates()`.
    #[doc(hidden)]
    #[must_use]
    pub fn assertion() -> Self {
        Self(None)
    }

    /// Vouches for a server certificate and names the path that verified: the end-entity
    /// certificate, then the intermediates used, issuer after subject (no trust anchor). The
    /// connection reports this path, not what the server sent, as its `peer_certificates()`.
    #[doc(hidden)]
    #[must_use]
    pub fn assertion_with_path(path: Vec<CertificateDer<'static>>) -> Self {
        Self(Some(path))
    }

    /// The verified path, if the verifier named one (taken once).
    pub(crate) fn take_path(&mut self) -> Option<Vec<CertificateDer<'static>>> {
        self.0.take()
    }
}

/// Proof that a client's certificate chain was verified; it may carry the path that verified
/// (see [`ClientCertVerified::assertion_with_path`]).
#[derive(Debug)]
pub struct ClientCertVerified(Option<Vec<CertificateDer<'static>>>);

impl ClientCertVerified {
    /// Vouches for a client certificate. Only verifiers call this. The connection then reports
    /// every certificate the client sent as its `peer_certificates()`.
    #[doc(hidden)]
    #[must_use]
    pub fn assertion() -> Self {
        Self(None)
    }

    /// Vouches for a client certificate and names the path that verified: the end-entity
    /// certificate, then the intermediates used (no trust anchor). The connection reports this
    /// path as its `peer_certificates()`, and a TLS 1.3 server seals it into its tickets to
    /// verify it again on resumption.
    #[doc(hidden)]
    #[must_use]
    pub fn assertion_with_path(path: Vec<CertificateDer<'static>>) -> Self {
        Self(Some(path))
    }

    /// The verified path, if the verifier named one (taken once).
    pub(crate) fn take_path(&mut self) -> Option<Vec<CertificateDer<'static>>> {
        self.0.take()
    }
}

/// Proof that a handshake signature (`CertificateVerify`, TLS 1.2 `ServerKeyExchange`)
/// verified under the peer's certificate key.
#[derive(Debug)]
pub struct HandshakeSignatureValid(());

impl HandshakeSignatureValid {
    /// Vouches for a handshake signature. Only verifiers call this.
    #[doc(hidden)]
    #[must_use]
    pub fn assertion() -> Self {
        Self(())
    }
}

/// Decides whether the server's certificate is acceptable, and checks its handshake signatures.
pub trait ServerCertVerifier: Send + Sync + fmt::Debug {
    /// Verifies `end_entity` chains to a trusted root through `intermediates` (in any order),
    /// is valid at `now`, is meant for server authentication, and names `server_name`.
    ///
    /// # Errors
    /// `Error::InvalidCertificate` with the precise reason.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error>;

    /// Verifies a TLS 1.2 `ServerKeyExchange` signature over `message` (RFC 5246 §7.4.3).
    ///
    /// # Errors
    /// `PeerMisbehaved::BadSignature` or `PeerMisbehaved::UnofferedSignatureScheme`.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error>;

    /// Verifies a TLS 1.3 `CertificateVerify` signature over `message` (the RFC 8446 §4.4.3
    /// padded context string and transcript hash).
    ///
    /// # Errors
    /// `PeerMisbehaved::BadSignature` or `PeerMisbehaved::UnofferedSignatureScheme`.
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error>;

    /// The schemes to offer in `signature_algorithms`, in preference order.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme>;
}

/// Decides whether a client's certificate is acceptable (server side).
pub trait ClientCertVerifier: Send + Sync + fmt::Debug {
    /// Whether to send a `CertificateRequest` at all.
    fn offer_client_auth(&self) -> bool {
        true
    }

    /// Whether a client that sends no certificate is rejected
    /// (`PeerMisbehaved::NoCertificate` → `certificate_required`, RFC 8446 §4.4.2.4).
    fn client_auth_mandatory(&self) -> bool {
        self.offer_client_auth()
    }

    /// The CA names to send in `certificate_authorities` (may be empty).
    fn root_hint_subjects(&self) -> &[DistinguishedName];

    /// Verifies `end_entity` chains to a trusted root, is valid at `now` and is meant for client
    /// authentication.
    ///
    /// # Errors
    /// `Error::InvalidCertificate` with the precise reason.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error>;

    /// Verifies a TLS 1.2 client `CertificateVerify` (RFC 5246 §7.4.8).
    ///
    /// # Errors
    /// `PeerMisbehaved::BadSignature` or `PeerMisbehaved::UnofferedSignatureScheme`.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error>;

    /// Verifies a TLS 1.3 client `CertificateVerify` (RFC 8446 §4.4.3).
    ///
    /// # Errors
    /// `PeerMisbehaved::BadSignature` or `PeerMisbehaved::UnofferedSignatureScheme`.
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error>;

    /// The schemes to offer in the `CertificateRequest`'s `signature_algorithms`.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme>;
}

/// Verifies server certificates against a [`RootCertStore`] with `rustls-webpki`.
///
/// It keeps a small cache of chains it verified (64 by default; see
/// [`WebPkiServerVerifier::with_chain_cache`]), so a client reconnecting to the same server
/// skips the chain's signature checks; the server's `CertificateVerify` is checked every time.
/// The cache's key, bounds and security argument are documented in `verify/chain_cache.rs`.
#[derive(Debug, Clone)]
pub struct WebPkiServerVerifier {
    roots: Arc<RootCertStore>,
    verifiers: &'static dyn SignatureVerifiers,
    cache: Arc<ChainCache>,
}

impl WebPkiServerVerifier {
    /// A verifier trusting `roots`, checking signatures with `provider.verifiers`, with the
    /// default verified-chain cache (64 chains, each for at most an hour and never past the
    /// earliest `notAfter` on its path).
    #[must_use]
    pub fn new(roots: Arc<RootCertStore>, provider: &CryptoProvider) -> Self {
        Self {
            roots,
            verifiers: provider.verifiers,
            cache: Arc::new(ChainCache::new(
                chain_cache::DEFAULT_CAPACITY,
                chain_cache::DEFAULT_MAX_AGE_SECS,
            )),
        }
    }

    /// Sets the verified-chain cache: at most `capacity` chains (0 turns the cache off), each
    /// used for at most `max_age_secs` after it was verified (and never past the earliest
    /// `notAfter` on its path). Replaces the current cache with an empty one.
    #[must_use]
    pub fn with_chain_cache(mut self, capacity: usize, max_age_secs: u64) -> Self {
        self.cache = Arc::new(ChainCache::new(capacity, max_age_secs));
        self
    }
}

impl ServerCertVerifier for WebPkiServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // 0. A chain this verifier already verified for this name under these anchors, still
        //    within every certificate's validity period (see verify/chain_cache.rs for why that
        //    gives the same answer as steps 1 and 2).
        let key = self
            .cache
            .is_enabled()
            .then(|| ChainCache::key(self.roots.identity, end_entity, intermediates, server_name))
            .flatten();
        if let Some(path) = key.as_deref().and_then(|k| self.cache.get(k, now)) {
            return Ok(ServerCertVerified::assertion_with_path(path));
        }
        self.cache.count_verification();
        // 1. The chain: a path to a trust anchor, valid at `now`, with the serverAuth EKU.
        let (ee, path) = verify_chain(
            self.verifiers,
            &self.roots,
            end_entity,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
        )?;
        // 2. The name: a DNS or IP SAN matching what we connected to (RFC 6125 via webpki).
        ee.verify_is_valid_for_subject_name(server_name)
            .map_err(|e| map_name_error(&e, server_name))?;
        if let Some(key) = key {
            self.cache.insert(key, &path, now);
        }
        Ok(ServerCertVerified::assertion_with_path(path))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.verifiers.supported_schemes().to_vec()
    }
}

/// Parses `end_entity` and checks that it chains to one of `roots` through `intermediates` (in
/// any order), is valid at `now` and may be used for `usage` (extended key usage). Shared by
/// [`WebPkiServerVerifier`] and [`WebPkiClientVerifier`]. Returns the parsed end entity and the
/// path that verified: `end_entity`, then the intermediates webpki used, issuer after subject
/// (certificates the peer sent that are not on the path are left out).
fn verify_chain<'a>(
    verifiers: &dyn SignatureVerifiers,
    roots: &RootCertStore,
    end_entity: &'a CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    now: UnixTime,
    usage: webpki::KeyUsage,
) -> Result<(webpki::EndEntityCert<'a>, Vec<CertificateDer<'static>>), Error> {
    let ee = webpki::EndEntityCert::try_from(end_entity).map_err(|e| map_webpki_error(&e))?;
    let path = {
        let verified = ee
            .verify_for_usage(
                verifiers.all(),
                &roots.roots,
                intermediates,
                now,
                usage,
                None,
                None,
            )
            .map_err(|e| map_webpki_error(&e))?;
        let mut path = vec![end_entity.clone().into_owned()];
        path.extend(
            verified
                .intermediate_certificates()
                .map(|c| c.der().into_owned()),
        );
        path
    };
    Ok((ee, path))
}

/// Whether [`WebPkiClientVerifier`] insists on a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuthMode {
    /// A client without a certificate is refused (`certificate_required`).
    Required,
    /// A client may send no certificate; one it does send must verify.
    Optional,
}

/// Verifies client certificates against a [`RootCertStore`] with `rustls-webpki`.
#[derive(Debug, Clone)]
pub struct WebPkiClientVerifier {
    roots: Arc<RootCertStore>,
    subjects: Vec<DistinguishedName>,
    mode: ClientAuthMode,
    verifiers: &'static dyn SignatureVerifiers,
}

impl WebPkiClientVerifier {
    /// A verifier trusting `roots` for client authentication.
    #[must_use]
    pub fn new(roots: Arc<RootCertStore>, provider: &CryptoProvider, mode: ClientAuthMode) -> Self {
        let subjects = roots.subjects();
        Self {
            roots,
            subjects,
            mode,
            verifiers: provider.verifiers,
        }
    }
}

impl ClientCertVerifier for WebPkiClientVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mode == ClientAuthMode::Required
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.subjects
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let (_, path) = verify_chain(
            self.verifiers,
            &self.roots,
            end_entity,
            intermediates,
            now,
            webpki::KeyUsage::client_auth(),
        )?;
        Ok(ClientCertVerified::assertion_with_path(path))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.verifiers.supported_schemes().to_vec()
    }
}

/// A server that never asks for client certificates (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClientAuth;

impl ClientCertVerifier for NoClientAuth {
    fn offer_client_auth(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        // We never sent a CertificateRequest, so a client Certificate is a protocol error
        // which the state machine catches first; refuse here too.
        Err(CertificateError::Other("client authentication is not enabled".into()).into())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _scheme: SignatureScheme,
        _sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        Err(PeerMisbehaved::UnofferedSignatureScheme.into())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _scheme: SignatureScheme,
        _sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        Err(PeerMisbehaved::UnofferedSignatureScheme.into())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        Vec::new()
    }
}

/// TLS 1.2 handshake signature: an ECDSA scheme fixes only the hash (RFC 8422 §5.1.3), so every
/// algorithm the provider lists for it is tried against the certificate's key type.
///
/// # Errors
/// `PeerMisbehaved::UnofferedSignatureScheme` if we cannot verify `scheme` at all,
/// `PeerMisbehaved::BadSignature` if the signature is wrong or does not fit the key.
pub fn verify_tls12_signature(
    verifiers: &dyn SignatureVerifiers,
    message: &[u8],
    cert: &CertificateDer<'_>,
    scheme: SignatureScheme,
    sig: &[u8],
) -> Result<HandshakeSignatureValid, Error> {
    verify_with_algs(verifiers.for_scheme(scheme, false), message, cert, sig)
}

/// TLS 1.3 handshake signature (`CertificateVerify`, RFC 8446 §4.4.3).
///
/// # Errors
/// `PeerMisbehaved::UnofferedSignatureScheme` for an RSASSA-PKCS1-v1_5 or SHA-1 scheme or one we
/// cannot verify, `PeerMisbehaved::BadSignature` if the signature is wrong.
pub fn verify_tls13_signature(
    verifiers: &dyn SignatureVerifiers,
    message: &[u8],
    cert: &CertificateDer<'_>,
    scheme: SignatureScheme,
    sig: &[u8],
) -> Result<HandshakeSignatureValid, Error> {
    // RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 values "refer solely to signatures which appear in
    // certificates ... and are not defined for use in signed TLS handshake messages"; the same
    // holds for the SHA-1 legacy schemes.
    if is_legacy_only_scheme(scheme) {
        return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
    }
    verify_with_algs(verifiers.for_scheme(scheme, true), message, cert, sig)
}

/// Schemes valid in TLS 1.2 handshakes and certificates but never in a TLS 1.3 handshake.
fn is_legacy_only_scheme(scheme: SignatureScheme) -> bool {
    matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA1
            | SignatureScheme::ECDSA_SHA1_Legacy
            | SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
    )
}

fn verify_with_algs(
    algs: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm],
    message: &[u8],
    cert: &CertificateDer<'_>,
    sig: &[u8],
) -> Result<HandshakeSignatureValid, Error> {
    if algs.is_empty() {
        // We never offer a scheme we cannot verify, so the peer chose an unoffered one.
        return Err(PeerMisbehaved::UnofferedSignatureScheme.into());
    }
    let ee = webpki::EndEntityCert::try_from(cert).map_err(|e| map_webpki_error(&e))?;
    for alg in algs {
        match ee.verify_signature(*alg, message, sig) {
            Ok(()) => return Ok(HandshakeSignatureValid::assertion()),
            // Another algorithm for the same scheme may fit this key (TLS 1.2 ECDSA curves).
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => {}
            #[allow(deprecated)]
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKey) => {}
            Err(webpki::Error::BadDer) => return Err(CertificateError::BadEncoding.into()),
            // RFC 8446 §4.4.3: "If the verification fails, the receiver MUST terminate the
            // handshake with a "decrypt_error" alert" (PeerMisbehaved::BadSignature maps there).
            Err(_) => return Err(PeerMisbehaved::BadSignature.into()),
        }
    }
    // The scheme does not fit the certificate's key (e.g. ECDSA scheme, RSA key): the
    // signature cannot be valid.
    Err(PeerMisbehaved::BadSignature.into())
}

/// A name mismatch carries what we asked for and what the certificate offers.
fn map_name_error(e: &webpki::Error, server_name: &ServerName<'_>) -> Error {
    match e {
        webpki::Error::CertNotValidForName(ctx) => CertificateError::NotValidForName {
            expected: server_name.to_str().into_owned(),
            presented: ctx.presented.iter().map(|n| tidy_presented(n)).collect(),
        }
        .into(),
        other => map_webpki_error(other),
    }
}

/// webpki reports presented SANs in its `Debug` form (`DnsName("a.example")`,
/// `IpAddress(192.0.2.1)`); users want the bare names. Anything unrecognised is kept verbatim.
fn tidy_presented(name: &str) -> String {
    let bare = name
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            name.strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        });
    bare.unwrap_or(name).to_owned()
}

/// Maps webpki's findings to the most specific [`CertificateError`].
#[allow(deprecated)]
fn map_webpki_error(e: &webpki::Error) -> Error {
    use webpki::Error as W;
    let c = match e {
        W::UnknownIssuer => CertificateError::UnknownIssuer,
        W::CertExpired { .. } => CertificateError::Expired,
        W::CertNotValidYet { .. } => CertificateError::NotValidYet,
        W::CertRevoked => CertificateError::Revoked,
        W::CertNotValidForName(ctx) => CertificateError::NotValidForName {
            expected: ctx.expected.to_str().into_owned(),
            presented: ctx.presented.iter().map(|n| tidy_presented(n)).collect(),
        },
        W::RequiredEkuNotFound
        | W::RequiredEkuNotFoundContext(_)
        | W::CaUsedAsEndEntity
        | W::EndEntityUsedAsCa => CertificateError::InvalidPurpose,
        W::InvalidSignatureForPublicKey => CertificateError::BadSignature,
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | W::SignatureAlgorithmMismatch => CertificateError::UnsupportedAlgorithm,
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::UnsupportedCertVersion
        | W::UnsupportedCriticalExtension
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::InvalidCertValidity
        | W::InvalidSerialNumber
        | W::MalformedDnsIdentifier
        | W::EmptyEkuExtension => CertificateError::BadEncoding,
        other => CertificateError::Other(format!("{other}")),
    };
    c.into()
}

/// Escape hatches that switch verification off. **Insecure**: for tests and local debugging only.
pub mod dangerous {
    use super::{
        CertificateDer, HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
        ServerName, UnixTime,
    };
    use crate::error::Error;
    use crate::msgs::enums::SignatureScheme;

    /// **Insecure.** Accepts *any* server certificate for *any* name and *any* handshake
    /// signature, so an active attacker can impersonate every server and read everything.
    ///
    /// Use only in tests and against servers you control on a trusted network. Prefer a
    /// [`super::WebPkiServerVerifier`] with a [`super::RootCertStore`] holding your test CA.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct NoServerVerification;

    impl ServerCertVerifier for NoServerVerification {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            _message: &[u8],
            _cert: &CertificateDer<'_>,
            _scheme: SignatureScheme,
            _sig: &[u8],
        ) -> Result<HandshakeSignatureValid, Error> {
            Ok(HandshakeSignatureValid::assertion())
        }

        fn verify_tls13_signature(
            &self,
            _message: &[u8],
            _cert: &CertificateDer<'_>,
            _scheme: SignatureScheme,
            _sig: &[u8],
        ) -> Result<HandshakeSignatureValid, Error> {
            Ok(HandshakeSignatureValid::assertion())
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            vec![
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::ECDSA_NISTP384_SHA384,
                SignatureScheme::ED25519,
                SignatureScheme::RSA_PSS_SHA256,
                SignatureScheme::RSA_PSS_SHA384,
                SignatureScheme::RSA_PSS_SHA512,
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PKCS1_SHA384,
                SignatureScheme::RSA_PKCS1_SHA512,
            ]
        }
    }
}

/// Certificates for tests, made at run time with rcgen (shared with `sign.rs` tests).
#[cfg(test)]
pub(crate) mod test_pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };

    /// 2025-01-01T00:00:00Z, the "now" of these tests.
    pub(crate) const NOW_SECS: u64 = 1_735_689_600;

    pub(crate) fn now() -> super::UnixTime {
        super::UnixTime::since_unix_epoch(core::time::Duration::from_secs(NOW_SECS))
    }

    /// A CA or leaf: its certificate and key.
    pub(crate) struct Issued {
        pub(crate) cert: rcgen::Certificate,
        pub(crate) key: KeyPair,
    }

    impl Issued {
        pub(crate) fn der(&self) -> super::CertificateDer<'static> {
            self.cert.der().clone()
        }

        pub(crate) fn key_der(&self) -> rustls_pki_types::PrivateKeyDer<'static> {
            rustls_pki_types::PrivatePkcs8KeyDer::from(self.key.serialize_der()).into()
        }
    }

    pub(crate) fn ca(name: &str) -> Issued {
        ca_signed_by(name, None)
    }

    /// A CA, self-signed or (for an intermediate) signed by `issuer`.
    pub(crate) fn ca_signed_by(name: &str, issuer: Option<&Issued>) -> Issued {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2040, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = match issuer {
            None => p.self_signed(&key).unwrap(),
            Some(i) => p.signed_by(&key, &i.cert, &i.key).unwrap(),
        };
        Issued { cert, key }
    }

    /// A leaf for `sans` (DNS names or IP literals) with the given EKUs and validity years.
    pub(crate) fn leaf_with(
        issuer: &Issued,
        sans: &[&str],
        ekus: &[ExtendedKeyUsagePurpose],
        years: (i32, i32),
    ) -> Issued {
        let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
        let mut p = CertificateParams::new(sans).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "clasp test leaf");
        p.is_ca = IsCa::ExplicitNoCa;
        p.extended_key_usages = ekus.to_vec();
        p.not_before = rcgen::date_time_ymd(years.0, 1, 1);
        p.not_after = rcgen::date_time_ymd(years.1, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &issuer.cert, &issuer.key).unwrap();
        Issued { cert, key }
    }

    /// A server leaf valid 2020..2040.
    pub(crate) fn server_leaf(issuer: &Issued, sans: &[&str]) -> Issued {
        leaf_with(
            issuer,
            sans,
            &[ExtendedKeyUsagePurpose::ServerAuth],
            (2020, 2040),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::test_pki::{ca, ca_signed_by, leaf_with, now, server_leaf};
    use super::*;
    use crate::crypto::aws_lc::default_provider;
    use rcgen::ExtendedKeyUsagePurpose as Eku;

    /// BoGo Verify-*-SignatureType*: a signature with a scheme for another key type is
    /// illegal_parameter before any verification.
    #[test]
    fn signature_scheme_must_fit_the_key_type() {
        use clasp_testkit::{KeyType, TestPki};
        let pki = TestPki::shared();
        let rsa = pki.server(KeyType::Rsa2048).cert_chain()[0].clone();
        let ec = pki.server(KeyType::EcdsaP256).cert_chain()[0].clone();
        let rsa = end_entity_key(&rsa).unwrap();
        let ec = end_entity_key(&ec).unwrap();
        let err: Error = crate::error::PeerMisbehaved::SignatureSchemeMismatchesKey.into();
        let mismatch = Err(err.clone());
        assert_eq!(
            rsa.check_scheme(SignatureScheme::ECDSA_NISTP256_SHA256),
            mismatch
        );
        assert_eq!(rsa.check_scheme(SignatureScheme::ED25519), mismatch);
        assert_eq!(ec.check_scheme(SignatureScheme::RSA_PSS_SHA256), mismatch);
        assert_eq!(ec.check_scheme(SignatureScheme::RSA_PKCS1_SHA256), mismatch);
        assert_eq!(
            rsa.check_scheme(SignatureScheme::RSA_PSS_PSS_SHA256),
            mismatch
        );
        assert_eq!(rsa.check_scheme(SignatureScheme::RSA_PSS_SHA256), Ok(()));
        assert_eq!(rsa.check_scheme(SignatureScheme::RSA_PKCS1_SHA256), Ok(()));
        assert_eq!(
            ec.check_scheme(SignatureScheme::ECDSA_NISTP256_SHA256),
            Ok(())
        );
        assert_eq!(
            crate::msgs::enums::AlertDescription::from(&err),
            crate::msgs::enums::AlertDescription::IllegalParameter
        );
    }

    fn store_with(ca: &test_pki::Issued) -> Arc<RootCertStore> {
        let mut roots = RootCertStore::empty();
        roots.add(&ca.der()).unwrap();
        Arc::new(roots)
    }

    fn server_verifier(ca: &test_pki::Issued) -> WebPkiServerVerifier {
        WebPkiServerVerifier::new(store_with(ca), &default_provider())
    }

    fn dns(name: &str) -> ServerName<'static> {
        ServerName::try_from(name.to_owned()).unwrap()
    }

    fn cert_err(r: Result<ServerCertVerified, Error>) -> CertificateError {
        match r {
            Err(Error::InvalidCertificate(c)) => c,
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[test]
    fn ca_and_localhost_leaf_verify() {
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["localhost"]);
        let v = server_verifier(&ca);
        v.verify_server_cert(&leaf.der(), &[], &dns("localhost"), now())
            .unwrap();
        // The proof does not depend on the name's case (RFC 6125 §6.4.1).
        v.verify_server_cert(&leaf.der(), &[], &dns("LocalHost"), now())
            .unwrap();
    }

    #[test]
    fn chain_through_intermediate_needs_the_intermediate() {
        let root = ca("clasp root");
        let inter = ca_signed_by("clasp intermediate", Some(&root));
        let leaf = server_leaf(&inter, &["localhost"]);
        let v = server_verifier(&root);
        v.verify_server_cert(&leaf.der(), &[inter.der()], &dns("localhost"), now())
            .unwrap();
        assert_eq!(
            cert_err(v.verify_server_cert(&leaf.der(), &[], &dns("localhost"), now())),
            CertificateError::UnknownIssuer
        );
    }

    #[test]
    fn wrong_hostname_reports_expected_and_presented() {
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["localhost", "a.example"]);
        let e = cert_err(server_verifier(&ca).verify_server_cert(
            &leaf.der(),
            &[],
            &dns("b.example"),
            now(),
        ));
        assert_eq!(
            e,
            CertificateError::NotValidForName {
                expected: "b.example".into(),
                presented: vec!["localhost".into(), "a.example".into()],
            }
        );
        // RFC 8446 §6.2 has no name alert: bad_certificate.
        assert_eq!(
            crate::msgs::enums::AlertDescription::from(&Error::from(e)),
            crate::msgs::enums::AlertDescription::BadCertificate
        );
    }

    #[test]
    fn expired_leaf_is_expired() {
        let ca = ca("clasp test CA");
        let leaf = leaf_with(&ca, &["localhost"], &[Eku::ServerAuth], (2020, 2021));
        assert_eq!(
            cert_err(server_verifier(&ca).verify_server_cert(
                &leaf.der(),
                &[],
                &dns("localhost"),
                now()
            )),
            CertificateError::Expired
        );
    }

    #[test]
    fn future_leaf_is_not_valid_yet() {
        let ca = ca("clasp test CA");
        let leaf = leaf_with(&ca, &["localhost"], &[Eku::ServerAuth], (2030, 2035));
        assert_eq!(
            cert_err(server_verifier(&ca).verify_server_cert(
                &leaf.der(),
                &[],
                &dns("localhost"),
                now()
            )),
            CertificateError::NotValidYet
        );
    }

    #[test]
    fn unknown_ca_is_unknown_issuer() {
        let ca1 = ca("clasp CA one");
        let ca2 = ca("clasp CA two");
        let leaf = server_leaf(&ca1, &["localhost"]);
        assert_eq!(
            cert_err(server_verifier(&ca2).verify_server_cert(
                &leaf.der(),
                &[],
                &dns("localhost"),
                now()
            )),
            CertificateError::UnknownIssuer
        );
    }

    #[test]
    fn client_only_leaf_is_not_a_server_cert() {
        let ca = ca("clasp test CA");
        let leaf = leaf_with(&ca, &["localhost"], &[Eku::ClientAuth], (2020, 2040));
        assert_eq!(
            cert_err(server_verifier(&ca).verify_server_cert(
                &leaf.der(),
                &[],
                &dns("localhost"),
                now()
            )),
            CertificateError::InvalidPurpose
        );
    }

    #[test]
    fn garbage_certificate_is_bad_encoding() {
        let ca = ca("clasp test CA");
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01]);
        assert_eq!(
            cert_err(server_verifier(&ca).verify_server_cert(&junk, &[], &dns("localhost"), now())),
            CertificateError::BadEncoding
        );
    }

    #[test]
    fn ip_address_san_matches_ip_server_name() {
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["127.0.0.1", "::1"]);
        let v = server_verifier(&ca);
        let ip = |s: &str| ServerName::from(s.parse::<std::net::IpAddr>().unwrap());
        v.verify_server_cert(&leaf.der(), &[], &ip("127.0.0.1"), now())
            .unwrap();
        v.verify_server_cert(&leaf.der(), &[], &ip("::1"), now())
            .unwrap();
        match cert_err(v.verify_server_cert(&leaf.der(), &[], &ip("127.0.0.2"), now())) {
            CertificateError::NotValidForName {
                expected,
                presented,
            } => {
                assert_eq!(expected, "127.0.0.2");
                assert!(presented.contains(&"127.0.0.1".to_owned()), "{presented:?}");
            }
            other => panic!("{other:?}"),
        }
        // An IP literal is not a DNS name: RFC 6066 §3 forbids it in SNI.
        assert_eq!(sni_host_name(&ip("127.0.0.1")), None);
        assert_eq!(sni_host_name(&dns("localhost")), Some("localhost"));
    }

    #[test]
    fn client_verifier_requires_client_auth_eku() {
        let ca = ca("clasp client CA");
        let p = default_provider();
        let v = WebPkiClientVerifier::new(store_with(&ca), &p, ClientAuthMode::Required);
        assert!(v.offer_client_auth());
        assert!(v.client_auth_mandatory());

        let server_only = leaf_with(&ca, &["client.example"], &[Eku::ServerAuth], (2020, 2040));
        match v.verify_client_cert(&server_only.der(), &[], now()) {
            Err(Error::InvalidCertificate(CertificateError::InvalidPurpose)) => {}
            other => panic!("expected InvalidPurpose, got {other:?}"),
        }
        let client = leaf_with(&ca, &["client.example"], &[Eku::ClientAuth], (2020, 2040));
        v.verify_client_cert(&client.der(), &[], now()).unwrap();

        let optional = WebPkiClientVerifier::new(store_with(&ca), &p, ClientAuthMode::Optional);
        assert!(optional.offer_client_auth());
        assert!(!optional.client_auth_mandatory());
        assert!(!NoClientAuth.offer_client_auth());
        assert!(!NoClientAuth.client_auth_mandatory());
    }

    #[test]
    fn client_verifier_hints_are_the_root_subjects() {
        let ca = ca("clasp client CA");
        let v = WebPkiClientVerifier::new(
            store_with(&ca),
            &default_provider(),
            ClientAuthMode::Required,
        );
        let hints = v.root_hint_subjects();
        assert_eq!(hints.len(), 1);
        // A complete DER Name: SEQUENCE, length covering the rest, and the CN inside.
        let dn = hints[0].as_bytes();
        assert_eq!(dn[0], 0x30);
        assert_eq!(usize::from(dn[1]), dn.len() - 2);
        assert!(dn.windows(15).any(|w| w == b"clasp client CA"));
    }

    #[test]
    fn der_lengths_follow_x690() {
        let len_of = |n: usize| {
            let mut v = Vec::new();
            put_der_len(&mut v, n);
            v
        };
        assert_eq!(len_of(0), [0x00]);
        assert_eq!(len_of(0x7f), [0x7f]);
        assert_eq!(len_of(0x80), [0x81, 0x80]);
        assert_eq!(len_of(0x1234), [0x82, 0x12, 0x34]);
        let dn = DistinguishedName::in_sequence(&[0xaa; 200]);
        assert_eq!(&dn.as_bytes()[..3], &[0x30, 0x81, 200]);
        assert_eq!(dn.as_bytes().len(), 203);
    }

    #[test]
    fn root_store_loads_pem_and_rejects_junk() {
        let ca1 = ca("clasp CA one");
        let ca2 = ca("clasp CA two");
        let bundle = format!("{}{}", ca1.cert.pem(), ca2.cert.pem());
        let mut store = RootCertStore::empty();
        assert_eq!(store.add_pem(bundle.as_bytes()).unwrap(), 2);
        assert_eq!(store.len(), 2);
        assert_eq!(store.subjects().len(), 2);

        assert!(matches!(
            store.add_pem(b"no pem here"),
            Err(Error::InvalidConfig(ConfigError::Pem(_)))
        ));
        assert_eq!(
            store.add(&CertificateDer::from(vec![1, 2, 3])),
            Err(ConfigError::BadTrustAnchor.into())
        );
        assert_eq!(
            store.add_parsable_certificates([ca1.der(), CertificateDer::from(vec![0u8; 4])]),
            (1, 1)
        );
        assert_eq!(store.len(), 3);

        let dir = std::env::temp_dir().join(format!("clasp-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("roots.pem");
        std::fs::write(&path, &bundle).unwrap();
        let mut from_file = RootCertStore::empty();
        assert_eq!(from_file.add_pem_file(&path).unwrap(), 2);
        match RootCertStore::empty().add_pem_file(dir.join("missing.pem")) {
            Err(Error::InvalidConfig(ConfigError::Pem(msg))) => {
                assert!(msg.contains("missing.pem"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// RFC 8446 §4.4.3: the content covered by a server CertificateVerify signature.
    fn tls13_server_signed_content(transcript_hash: &[u8]) -> Vec<u8> {
        let mut m = vec![0x20; 64];
        m.extend_from_slice(b"TLS 1.3, server CertificateVerify");
        m.push(0);
        m.extend_from_slice(transcript_hash);
        m
    }

    #[test]
    fn tls13_certificate_verify_signature_verifies_and_tampering_fails() {
        let p = default_provider();
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["localhost"]);
        let key = p.key_provider.load_private_key(leaf.key_der()).unwrap();
        let signer = key
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
            .expect("P-256 key signs ecdsa_secp256r1_sha256");
        let msg = tls13_server_signed_content(&[0x5a; 32]);
        let sig = signer.sign(&msg).unwrap();
        let v = server_verifier(&ca);
        let scheme = SignatureScheme::ECDSA_NISTP256_SHA256;

        v.verify_tls13_signature(&msg, &leaf.der(), scheme, &sig)
            .unwrap();
        // The same signature is a valid TLS 1.2 digitally-signed value too.
        v.verify_tls12_signature(&msg, &leaf.der(), scheme, &sig)
            .unwrap();

        // RFC 8446 §4.4.3: a signature that fails to verify → decrypt_error.
        let mut bad_msg = msg.clone();
        bad_msg[70] ^= 1;
        let e = v
            .verify_tls13_signature(&bad_msg, &leaf.der(), scheme, &sig)
            .unwrap_err();
        assert_eq!(e, PeerMisbehaved::BadSignature.into());
        assert_eq!(
            crate::msgs::enums::AlertDescription::from(&e),
            crate::msgs::enums::AlertDescription::DecryptError
        );
        let mut bad_sig = sig.clone();
        let last = bad_sig.len() - 1;
        bad_sig[last] ^= 0x80;
        assert_eq!(
            v.verify_tls13_signature(&msg, &leaf.der(), scheme, &bad_sig)
                .err(),
            Some(PeerMisbehaved::BadSignature.into())
        );
        // A scheme that does not fit the certificate's key cannot verify.
        assert_eq!(
            v.verify_tls13_signature(&msg, &leaf.der(), SignatureScheme::ED25519, &sig)
                .err(),
            Some(PeerMisbehaved::BadSignature.into())
        );
    }

    #[test]
    fn tls13_refuses_rsa_pkcs1_and_sha1_for_certificate_verify() {
        // RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 "not defined for use in signed TLS handshake
        // messages".
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["localhost"]);
        let v = server_verifier(&ca);
        for scheme in [
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            SignatureScheme::RSA_PKCS1_SHA1,
            SignatureScheme::ECDSA_SHA1_Legacy,
        ] {
            assert_eq!(
                v.verify_tls13_signature(b"m", &leaf.der(), scheme, b"s")
                    .err(),
                Some(PeerMisbehaved::UnofferedSignatureScheme.into()),
                "{scheme}"
            );
        }
        // An unknown scheme was never offered.
        assert_eq!(
            v.verify_tls12_signature(b"m", &leaf.der(), SignatureScheme(0xfefe), b"s")
                .err(),
            Some(PeerMisbehaved::UnofferedSignatureScheme.into())
        );
    }

    #[test]
    fn dangerous_verifier_accepts_anything() {
        let junk = CertificateDer::from(vec![1, 2, 3]);
        let v = dangerous::NoServerVerification;
        assert!(v
            .verify_server_cert(&junk, &[], &dns("anything.example"), now())
            .is_ok());
        assert!(!v.supported_verify_schemes().is_empty());
    }
}
