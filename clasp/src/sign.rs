//! Our own certificates and private keys, and choosing which one to present.
//!
//! Owns: [`CertifiedKey`] (a chain plus the [`SigningKey`] for its end-entity certificate),
//! loading them from PEM or DER, and the resolvers that pick one per handshake (server:
//! [`ResolvesServerCert`] by SNI; client: [`ResolvesClientCert`] for a `CertificateRequest`).
//! Never: signing primitives (those are the provider's, `crate::crypto`), X.509 parsing (only
//! `crate::verify` names webpki).

use core::fmt;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, DnsName, PrivateKeyDer};

use crate::crypto::{CryptoProvider, SigningKey};
use crate::error::{ConfigError, Error};
use crate::msgs::enums::{CipherSuite, SignatureScheme};
use crate::verify::{self, DistinguishedName};

/// A certificate chain and the private key for its first (end-entity) certificate.
#[derive(Clone)]
pub struct CertifiedKey {
    /// The chain, end-entity first, then intermediates in issuing order (RFC 8446 §4.4.2:
    /// "The sender's certificate MUST come in the first CertificateEntry in the list").
    pub cert: Vec<CertificateDer<'static>>,
    /// The private key matching `cert[0]`.
    pub key: Arc<dyn SigningKey>,
}

impl fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key's own Debug is the provider's (redacted); certificates are public but long.
        f.debug_struct("CertifiedKey")
            .field("certs", &self.cert.len())
            .field("key", &self.key)
            .finish()
    }
}

impl CertifiedKey {
    /// Pairs a chain with a loaded key, checking that the chain is non-empty and, when the
    /// provider can report the key's public half, that it matches the end-entity certificate.
    ///
    /// # Errors
    /// `ConfigError::BadCertificateChain` for an empty or unparsable chain,
    /// `ConfigError::KeyMismatch` if the key is not the certificate's.
    pub fn new(
        cert: Vec<CertificateDer<'static>>,
        key: Arc<dyn SigningKey>,
    ) -> Result<Self, Error> {
        let ck = Self { cert, key };
        ck.keys_match()?;
        Ok(ck)
    }

    /// Loads `key` through `provider.key_provider` and pairs it with `cert`.
    ///
    /// # Errors
    /// As [`Self::new`], plus `ConfigError::BadPrivateKey` if the key cannot be loaded.
    pub fn from_der(
        cert: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        let key = provider.key_provider.load_private_key(key)?;
        Self::new(cert, key)
    }

    /// Parses a PEM certificate chain (every `CERTIFICATE` section, end-entity first) and a PEM
    /// private key (the first `PRIVATE KEY`, `EC PRIVATE KEY` or `RSA PRIVATE KEY` section).
    ///
    /// # Errors
    /// `ConfigError::Pem` for malformed PEM or missing sections, then as [`Self::from_der`].
    pub fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        let cert = verify::certs_from_pem_iter(CertificateDer::pem_slice_iter(cert_pem))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| key_pem_error(&e))?;
        Self::from_der(cert, key, provider)
    }

    /// As [`Self::from_pem`], reading the two files.
    ///
    /// # Errors
    /// `ConfigError::Pem` (naming the file) if a file cannot be read or holds no usable section,
    /// then as [`Self::from_der`].
    pub fn from_pem_files(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
        provider: &CryptoProvider,
    ) -> Result<Self, Error> {
        let (cert_path, key_path) = (cert_path.as_ref(), key_path.as_ref());
        let iter = CertificateDer::pem_file_iter(cert_path)
            .map_err(|e| verify::pem_error(cert_path, &e))?;
        let cert =
            verify::certs_from_pem_iter(iter).map_err(|e| verify::with_path(e, cert_path))?;
        let key = PrivateKeyDer::from_pem_file(key_path)
            .map_err(|e| verify::with_path(key_pem_error(&e), key_path))?;
        Self::from_der(cert, key, provider)
    }

    /// The end-entity certificate, or `None` for an empty chain (which the constructors refuse,
    /// but the fields are public).
    #[must_use]
    pub fn end_entity(&self) -> Option<&CertificateDer<'static>> {
        self.cert.first()
    }

    /// Checks the chain is non-empty and the key belongs to the end-entity certificate (by
    /// comparing `SubjectPublicKeyInfo`s). Skipped when the provider cannot report the public key.
    ///
    /// # Errors
    /// `ConfigError::BadCertificateChain` or `ConfigError::KeyMismatch`.
    pub fn keys_match(&self) -> Result<(), Error> {
        let ee = self.end_entity().ok_or(ConfigError::BadCertificateChain)?;
        let cert_spki =
            verify::end_entity_spki(ee).map_err(|_| ConfigError::BadCertificateChain)?;
        match self.key.public_key() {
            Some(key_spki) if key_spki.as_ref() != cert_spki.as_ref() => {
                Err(ConfigError::KeyMismatch.into())
            }
            _ => Ok(()),
        }
    }
}

fn key_pem_error(e: &rustls_pki_types::pem::Error) -> Error {
    match e {
        rustls_pki_types::pem::Error::NoItemsFound => {
            ConfigError::Pem("no PRIVATE KEY section found".into()).into()
        }
        other => ConfigError::Pem(other.to_string()).into(),
    }
}

/// What the server knows from the ClientHello when it picks a certificate.
#[derive(Debug, Clone, Copy)]
pub struct ClientHelloInfo<'a> {
    /// The `server_name` host name (RFC 6066 §3), if the client sent one.
    pub server_name: Option<&'a str>,
    /// The client's `signature_algorithms` (RFC 8446 §4.2.3), in its preference order.
    pub signature_schemes: &'a [SignatureScheme],
    /// The client's cipher suites, in its preference order.
    pub cipher_suites: &'a [CipherSuite],
}

/// Picks the server's certificate for a handshake.
pub trait ResolvesServerCert: Send + Sync + fmt::Debug {
    /// The certificate to present, or `None` to abort the handshake (no certificate for this
    /// client).
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>>;
}

/// No certificate at all: a server authenticated only by external PSKs (`crate::psk`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoServerCert;

impl ResolvesServerCert for NoServerCert {
    fn resolve(&self, _hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        None
    }
}

/// Always the same certificate, whatever the client asks for.
#[derive(Debug, Clone)]
pub struct SingleCert(pub Arc<CertifiedKey>);

impl ResolvesServerCert for SingleCert {
    fn resolve(&self, _hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
}

/// Certificates chosen by exact SNI host name (case-insensitive), with an optional default for
/// clients that send no or an unknown name.
#[derive(Debug, Clone, Default)]
pub struct CertsBySni {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl CertsBySni {
    /// An empty map with no default.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `key` to clients asking for `name`.
    ///
    /// # Errors
    /// `ApiMisuse::InvalidServerName` if `name` is not a DNS name; `CertificateError::NotValidForName`
    /// (or another certificate error) if the certificate does not cover `name`.
    pub fn add(&mut self, name: &str, key: Arc<CertifiedKey>) -> Result<(), Error> {
        let dns = DnsName::try_from(name)
            .map_err(|_| crate::error::ApiMisuse::InvalidServerName)?
            .to_lowercase_owned();
        let ee = key.end_entity().ok_or(ConfigError::BadCertificateChain)?;
        verify::check_valid_for_name(ee, &verify::ServerName::DnsName(dns.clone()))?;
        self.by_name.insert(dns.as_ref().to_owned(), key);
        Ok(())
    }

    /// Serves `key` when no name matches (or none was sent).
    pub fn set_default(&mut self, key: Arc<CertifiedKey>) {
        self.default = Some(key);
    }

    /// Number of names configured (not counting the default).
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no names are configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

impl ResolvesServerCert for CertsBySni {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        let found = hello.server_name.and_then(|name| {
            // DNS names compare case-insensitively; an absolute name's trailing dot is not part
            // of the host name (RFC 6066 §3: "without a trailing dot").
            let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
            self.by_name.get(&name)
        });
        found.or(self.default.as_ref()).cloned()
    }
}

/// Picks the client's certificate when the server sends a `CertificateRequest`.
pub trait ResolvesClientCert: Send + Sync + fmt::Debug {
    /// The certificate to send, given the CA names the server accepts (`certificate_authorities`,
    /// DER; empty means "any") and the signature schemes it accepts. `None` sends an empty
    /// Certificate message (RFC 8446 §4.4.2).
    fn resolve(
        &self,
        root_hint_subjects: &[DistinguishedName],
        signature_schemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>>;

    /// Whether this resolver can ever return a certificate.
    fn has_certs(&self) -> bool;
}

/// One client certificate, offered whenever its key can sign with a scheme the server accepts.
/// The server's CA hints are ignored: with a single certificate there is nothing to choose.
#[derive(Debug, Clone)]
pub struct SingleClientCert(pub Arc<CertifiedKey>);

impl ResolvesClientCert for SingleClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[DistinguishedName],
        signature_schemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.0
            .key
            .choose_scheme(signature_schemes)
            .map(|_| Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Never sends a client certificate (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClientCert;

impl ResolvesClientCert for NoClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[DistinguishedName],
        _signature_schemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::default_provider;
    use crate::crypto::KeyKind;
    use crate::verify::test_pki::{ca, server_leaf};

    /// A scratch directory removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let p = std::env::temp_dir().join(format!("clasp-sign-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&p).unwrap();
            Self(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn hello<'a>(name: Option<&'a str>) -> ClientHelloInfo<'a> {
        ClientHelloInfo {
            server_name: name,
            signature_schemes: &[SignatureScheme::ECDSA_NISTP256_SHA256],
            cipher_suites: &[],
        }
    }

    #[test]
    fn pem_files_round_trip_to_a_certified_key() {
        let p = default_provider();
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["localhost"]);
        let dir = TempDir::new("roundtrip");
        let cert_path = dir.0.join("chain.pem");
        let key_path = dir.0.join("key.pem");
        std::fs::write(&cert_path, format!("{}{}", leaf.cert.pem(), ca.cert.pem())).unwrap();
        std::fs::write(&key_path, leaf.key.serialize_pem()).unwrap();

        let ck = CertifiedKey::from_pem_files(&cert_path, &key_path, &p).unwrap();
        assert_eq!(ck.cert.len(), 2);
        assert_eq!(ck.end_entity(), Some(&leaf.der()));
        assert_eq!(ck.cert[1], ca.der());
        assert_eq!(ck.key.kind(), KeyKind::Ecdsa);
        assert!(ck
            .key
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
            .is_some());
    }

    #[test]
    fn pem_loading_errors_are_typed_and_name_the_file() {
        let p = default_provider();
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["localhost"]);
        let dir = TempDir::new("errors");
        let cert_path = dir.0.join("cert.pem");
        let key_path = dir.0.join("key.pem");
        std::fs::write(&cert_path, leaf.cert.pem()).unwrap();
        // A key file that holds only a certificate.
        std::fs::write(&key_path, leaf.cert.pem()).unwrap();

        match CertifiedKey::from_pem_files(&cert_path, &key_path, &p) {
            Err(Error::InvalidConfig(ConfigError::Pem(msg))) => {
                assert!(
                    msg.contains("key.pem") && msg.contains("PRIVATE KEY"),
                    "{msg}"
                );
            }
            other => panic!("{other:?}"),
        }
        match CertifiedKey::from_pem_files(dir.0.join("absent.pem"), &key_path, &p) {
            Err(Error::InvalidConfig(ConfigError::Pem(msg))) => {
                assert!(msg.contains("absent.pem"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        // A certificate file with no certificate in it.
        match CertifiedKey::from_pem(leaf.key.serialize_pem().as_bytes(), b"", &p) {
            Err(Error::InvalidConfig(ConfigError::Pem(msg))) => {
                assert!(msg.contains("CERTIFICATE"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        // A key that is not a key.
        let junk = rustls_pki_types::PrivatePkcs8KeyDer::from(vec![0x30, 0x00]);
        assert!(matches!(
            CertifiedKey::from_der(vec![leaf.der()], junk.into(), &p),
            Err(Error::InvalidConfig(ConfigError::BadPrivateKey))
        ));
        // An empty chain.
        let key = p.key_provider.load_private_key(leaf.key_der()).unwrap();
        assert!(matches!(
            CertifiedKey::new(Vec::new(), key),
            Err(Error::InvalidConfig(ConfigError::BadCertificateChain))
        ));
    }

    #[test]
    fn key_for_another_certificate_is_refused() {
        let p = default_provider();
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, &["localhost"]);
        let other = server_leaf(&ca, &["localhost"]);
        let key = p.key_provider.load_private_key(other.key_der()).unwrap();
        // The aws-lc provider reports public keys, so the check must run (other providers may
        // return None, and the check is then documented as skipped).
        assert!(key.public_key().is_some());
        assert!(matches!(
            CertifiedKey::new(vec![leaf.der()], key),
            Err(Error::InvalidConfig(ConfigError::KeyMismatch))
        ));
        let right = p.key_provider.load_private_key(leaf.key_der()).unwrap();
        CertifiedKey::new(vec![leaf.der()], right).unwrap();
    }

    fn certified(p: &CryptoProvider, names: &[&str]) -> Arc<CertifiedKey> {
        let ca = ca("clasp test CA");
        let leaf = server_leaf(&ca, names);
        Arc::new(CertifiedKey::from_der(vec![leaf.der()], leaf.key_der(), p).unwrap())
    }

    #[test]
    fn certs_by_sni_picks_by_exact_name_then_default() {
        let p = default_provider();
        let a = certified(&p, &["a.example"]);
        let b = certified(&p, &["b.example"]);
        let fallback = certified(&p, &["fallback.example"]);
        let mut r = CertsBySni::new();
        r.add("a.example", Arc::clone(&a)).unwrap();
        r.add("B.Example", Arc::clone(&b)).unwrap();
        assert_eq!(r.len(), 2);

        let got = |r: &CertsBySni, name| r.resolve(&hello(name)).map(|k| k.cert[0].clone());
        assert_eq!(got(&r, Some("a.example")), Some(a.cert[0].clone()));
        assert_eq!(got(&r, Some("A.EXAMPLE.")), Some(a.cert[0].clone()));
        assert_eq!(got(&r, Some("b.example")), Some(b.cert[0].clone()));
        assert_eq!(got(&r, Some("c.example")), None);
        assert_eq!(got(&r, None), None);

        r.set_default(Arc::clone(&fallback));
        assert_eq!(got(&r, Some("c.example")), Some(fallback.cert[0].clone()));
        assert_eq!(got(&r, None), Some(fallback.cert[0].clone()));
    }

    #[test]
    fn certs_by_sni_refuses_a_certificate_for_another_name() {
        let p = default_provider();
        let a = certified(&p, &["a.example"]);
        let mut r = CertsBySni::new();
        assert!(matches!(
            r.add("b.example", a.clone()),
            Err(Error::InvalidCertificate(
                crate::error::CertificateError::NotValidForName { .. }
            ))
        ));
        assert!(matches!(
            r.add("not a name!", a),
            Err(Error::ApiMisuse(crate::error::ApiMisuse::InvalidServerName))
        ));
        assert!(r.is_empty());
    }

    #[test]
    fn single_cert_and_client_cert_resolvers() {
        let p = default_provider();
        let k = certified(&p, &["localhost"]);
        let s = SingleCert(Arc::clone(&k));
        assert!(s.resolve(&hello(Some("anything"))).is_some());
        assert!(s.resolve(&hello(None)).is_some());

        let c = SingleClientCert(Arc::clone(&k));
        assert!(c.has_certs());
        assert!(c
            .resolve(
                &[],
                &[
                    SignatureScheme::RSA_PSS_SHA256,
                    SignatureScheme::ECDSA_NISTP256_SHA256
                ]
            )
            .is_some());
        // A P-256 key cannot sign with any scheme this server accepts.
        assert!(c.resolve(&[], &[SignatureScheme::RSA_PSS_SHA256]).is_none());
        assert!(!NoClientCert.has_certs());
        assert!(NoClientCert
            .resolve(&[], &[SignatureScheme::ECDSA_NISTP256_SHA256])
            .is_none());
    }
}
