//! The crypto provider: every primitive clasp uses, behind small traits.
//!
//! This is the only module that names `aws_lc_rs` (in `aws_lc/`). The protocol code sees the traits
//! below and a [`CryptoProvider`] value passed in through the configs; there is no process-global
//! default (STYLE: rustls issue #2070). If a second provider ever appears, `crypto/` becomes its
//! own crate without touching the protocol.
//!
//! Secrets returned from here are [`OkmBlock`] / [`SharedSecret`]: zeroized on drop, redacted in
//! `Debug`, not `Clone`. Their bytes are readable because a provider implementation (and a caller
//! of the provider) needs them, as with rustls's `OkmBlock` and `SharedSecret::secret_bytes`. The
//! secrets of a connection's key schedule are a different, crate-private type and never leave the
//! crate except through the [`crate::keylog::KeyLog`] hook:
//!
//! ```compile_fail
//! // A key-schedule secret's bytes are not reachable from outside the crate.
//! let s = clasp::crypto::SecretBytes::new(&[0u8; 32]);
//! let _ = s.as_bytes();
//! ```
//!
//! ```compile_fail
//! // Nor are the traffic keys the record layer installs.
//! fn leak(k: &clasp::key_schedule::TrafficKeys) -> &[u8] { k.key() }
//! ```
//!
//! The protocol's two pure derivation functions over caller-supplied bytes are public here, for
//! tools that re-derive a schedule from a key log (RFC 8446 §7.1, RFC 5246 §5):
//! [`tls13::hkdf_expand_label`] and [`tls12::prf`].

use core::fmt;
use std::sync::Arc;

use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;
use crate::msgs::enums::{NamedGroup, SignatureScheme};

pub mod aws_lc;
pub mod ffdhe;

pub use rustls_pki_types::SignatureVerificationAlgorithm;

/// TLS 1.2 derivation over the provider's HMAC.
pub mod tls12 {
    pub use crate::key_schedule::tls12::prf;
}

/// TLS 1.3 derivation over the provider's HKDF.
pub mod tls13 {
    pub use crate::key_schedule::tls13::hkdf_expand_label;
}

/// A provider failure with no further detail (the provider does not say why, by design).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CryptoError;

impl From<CryptoError> for Error {
    fn from(_: CryptoError) -> Self {
        Self::Internal(crate::error::InternalError::Crypto)
    }
}

/// Hash functions used by the cipher suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
}

impl HashAlgorithm {
    /// Output length in bytes.
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }
}

/// AEAD algorithms used by the cipher suites (RFC 5116).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AeadAlgorithm {
    /// AES-128-GCM
    Aes128Gcm,
    /// AES-256-GCM
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 8439)
    ChaCha20Poly1305,
}

impl AeadAlgorithm {
    /// Key length in bytes.
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// Tag length in bytes (16 for all three).
    pub const TAG_LEN: usize = 16;
    /// Nonce length in bytes (12 for all three).
    pub const NONCE_LEN: usize = 12;
}

/// Maximum hash output we support (SHA-384 = 48; room for SHA-512).
pub const MAX_HASH_LEN: usize = 64;

/// A hash value (public, not secret): a transcript hash, a certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HashOutput {
    buf: [u8; MAX_HASH_LEN],
    len: usize,
}

impl HashOutput {
    /// Wraps `bytes` (at most [`MAX_HASH_LEN`]; longer input is truncated, a provider bug).
    #[must_use]
    pub fn new(bytes: &[u8]) -> Self {
        let len = bytes.len().min(MAX_HASH_LEN);
        let mut buf = [0u8; MAX_HASH_LEN];
        buf[..len].copy_from_slice(&bytes[..len]);
        Self { buf, len }
    }
}

impl AsRef<[u8]> for HashOutput {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Debug for HashOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_ref() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A provider output of at most [`MAX_HASH_LEN`] bytes: an HKDF-Extract PRK, an HMAC tag
/// (rustls's `OkmBlock` / `hmac::Tag`). Zeroized on drop; `Debug` is redacted; not `Clone`.
///
/// This is the provider boundary: a provider implementation makes one from the bytes its
/// primitive produced, and a caller of the provider's [`Hkdf`] / [`HmacKey`] reads them. The key
/// schedule moves the bytes into its own secret type at once, and nothing of a connection's key
/// schedule is handed out as an `OkmBlock`.
pub struct OkmBlock {
    buf: [u8; MAX_HASH_LEN],
    len: usize,
}

impl OkmBlock {
    /// Copies `bytes` (at most [`MAX_HASH_LEN`]; longer input is truncated, a provider bug).
    #[must_use]
    pub fn new(bytes: &[u8]) -> Self {
        let len = bytes.len().min(MAX_HASH_LEN);
        let mut buf = [0u8; MAX_HASH_LEN];
        buf[..len].copy_from_slice(&bytes[..len]);
        Self { buf, len }
    }

    /// The bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the block is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl AsRef<[u8]> for OkmBlock {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Drop for OkmBlock {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl fmt::Debug for OkmBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OkmBlock(<{} bytes redacted>)", self.len)
    }
}

/// A secret of at most [`MAX_HASH_LEN`] bytes held by the key schedule, the record layer or the
/// session store: a traffic secret, a key, an IV, a master secret, a PSK. Zeroized on drop;
/// `Debug` is redacted; deliberately not `Clone`.
///
/// Crate-private: no code outside clasp can name it or read its bytes (DESIGN: "secret bytes —
/// is `pub(crate)`"). A secret leaves the crate only through the [`crate::keylog::KeyLog`] hook
/// the application installs.
pub(crate) struct SecretBytes {
    buf: [u8; MAX_HASH_LEN],
    len: usize,
}

impl SecretBytes {
    /// Copies `bytes` into a new secret (at most [`MAX_HASH_LEN`] bytes; longer is truncated).
    #[must_use]
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let len = bytes.len().min(MAX_HASH_LEN);
        let mut buf = [0u8; MAX_HASH_LEN];
        buf[..len].copy_from_slice(&bytes[..len]);
        Self { buf, len }
    }

    /// A zeroed secret of `len` bytes, to be filled through [`Self::as_mut`].
    #[must_use]
    pub(crate) fn zeroed(len: usize) -> Self {
        Self {
            buf: [0u8; MAX_HASH_LEN],
            len: len.min(MAX_HASH_LEN),
        }
    }

    /// The secret bytes.
    #[must_use]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Mutable access for filling.
    #[allow(clippy::should_implement_trait)]
    pub(crate) fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }

    /// Length in bytes.
    #[must_use]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// An explicit copy, for the few places that must keep a secret twice (e.g. a resumption
    /// secret stored in a ticket). Named so that copies are visible in review.
    #[must_use]
    pub(crate) fn duplicate(&self) -> Self {
        Self::new(self.as_bytes())
    }
}

impl From<OkmBlock> for SecretBytes {
    fn from(okm: OkmBlock) -> Self {
        Self::new(okm.as_bytes())
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.len)
    }
}

/// The output of a key exchange (up to 512 bytes for ffdhe4096). Zeroized on drop.
pub struct SharedSecret(Zeroizing<Vec<u8>>);

impl SharedSecret {
    /// Takes ownership of `bytes`.
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// For FFDHE in TLS 1.2, leading zero bytes are stripped (RFC 5246 §8.1.2); TLS 1.3 keeps
    /// them (RFC 8446 §7.4.1).
    pub fn strip_leading_zeros(&mut self) {
        let n = self.0.iter().take_while(|b| **b == 0).count();
        self.0.drain(..n);
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedSecret(<{} bytes redacted>)", self.0.len())
    }
}

/// A hash function.
pub trait Hash: Send + Sync + fmt::Debug {
    /// Which function this is.
    fn algorithm(&self) -> HashAlgorithm;
    /// A fresh incremental context.
    fn start(&self) -> Box<dyn HashContext>;
    /// One-shot hash of `data`.
    fn hash(&self, data: &[u8]) -> HashOutput;
}

/// An incremental hash (the transcript hash is one of these, hashed once and forked).
pub trait HashContext: Send + Sync {
    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]);
    /// An independent copy of the state.
    fn fork(&self) -> Box<dyn HashContext>;
    /// The hash of everything so far, leaving `self` usable.
    fn fork_finish(&self) -> HashOutput;
    /// The final hash.
    fn finish(self: Box<Self>) -> HashOutput;
}

/// HMAC over one hash function.
pub trait Hmac: Send + Sync + fmt::Debug {
    /// The underlying hash.
    fn hash_algorithm(&self) -> HashAlgorithm;
    /// A keyed instance.
    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey>;
}

/// A keyed HMAC.
pub trait HmacKey: Send + Sync {
    /// HMAC of the concatenation of `data`.
    fn sign(&self, data: &[&[u8]]) -> OkmBlock;
    /// Constant-time check that `tag` is the HMAC of `data` (STYLE: prefer verify-style calls).
    fn verify(&self, data: &[&[u8]], tag: &[u8]) -> bool;
    /// Tag length in bytes.
    fn tag_len(&self) -> usize;
}

/// HKDF (RFC 5869) over one hash function.
pub trait Hkdf: Send + Sync + fmt::Debug {
    /// The underlying hash.
    fn hash_algorithm(&self) -> HashAlgorithm;
    /// HKDF-Extract(salt, ikm). An empty `salt` means a string of `Hash.length` zeros.
    fn extract(&self, salt: &[u8], ikm: &[u8]) -> OkmBlock;
    /// HKDF-Expand(prk, info = concatenation of `info`, out.len()).
    ///
    /// # Errors
    /// If `out` is longer than 255 * Hash.length.
    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError>;
    /// `prk` keyed once for several Expands: the HMAC key setup (hashing the padded key into
    /// the inner and outer states) is done here, not again in every
    /// [`HkdfExpander::expand`]. The TLS 1.3 key schedule expands most secrets two to four
    /// times (RFC 8446 §7.1, §7.3).
    ///
    /// # Errors
    /// If `prk` is longer than the provider accepts.
    fn expander(&self, prk: &[u8]) -> Result<Box<dyn HkdfExpander>, CryptoError>;
}

/// A PRK ready for HKDF-Expand (RFC 5869 §2.3); made by [`Hkdf::expander`]. Holds keyed HMAC
/// state, which the provider wipes on drop.
pub trait HkdfExpander: Send + Sync {
    /// HKDF-Expand(PRK, info = concatenation of `info`, out.len()); the same output as
    /// [`Hkdf::expand`] with the PRK this was made from.
    ///
    /// # Errors
    /// If `out` is longer than 255 * Hash.length.
    fn expand(&self, info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError>;
}

/// An AEAD algorithm.
pub trait Aead: Send + Sync + fmt::Debug {
    /// Which algorithm this is.
    fn algorithm(&self) -> AeadAlgorithm;
    /// Expands `key` once; the result is used for every record until the next key change
    /// (DESIGN: "AEAD keys are expanded once per key change, never per record").
    ///
    /// # Errors
    /// If `key` has the wrong length.
    fn key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError>;
}

/// An expanded AEAD key.
pub trait AeadKey: Send + Sync {
    /// Encrypts `in_out` in place and returns the tag.
    ///
    /// # Errors
    /// Provider failure (e.g. input too long for the algorithm).
    fn seal_in_place(
        &self,
        nonce: &[u8; AeadAlgorithm::NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; AeadAlgorithm::TAG_LEN], CryptoError>;

    /// Decrypts `in_out` = ciphertext ‖ tag in place; returns the plaintext length (the
    /// plaintext is `in_out[..len]`).
    ///
    /// # Errors
    /// Authentication failure.
    fn open_in_place(
        &self,
        nonce: &[u8; AeadAlgorithm::NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<usize, CryptoError>;
}

/// A key-exchange group (ECDHE, FFDHE, or a KEM-based hybrid).
pub trait SupportedKxGroup: Send + Sync + fmt::Debug {
    /// The group's code point.
    fn name(&self) -> NamedGroup;

    /// Generates an ephemeral key pair (the client side; also the server side for DH groups).
    ///
    /// # Errors
    /// Provider failure.
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError>;

    /// Server side in one step: given the client's share, returns our share and the shared
    /// secret. For KEM groups this is encapsulation; for DH groups it is `start` + `complete`.
    ///
    /// # Errors
    /// `PeerMisbehaved::InvalidKeyShare` for an invalid peer share.
    fn start_and_complete(&self, peer_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        let kx = self.start()?;
        let pub_key = kx.pub_key().to_vec();
        let secret = kx.complete(peer_share)?;
        Ok(CompletedKeyExchange {
            group: self.name(),
            pub_key,
            secret,
        })
    }
}

/// The result of [`SupportedKxGroup::start_and_complete`].
#[derive(Debug)]
pub struct CompletedKeyExchange {
    /// The group used.
    pub group: NamedGroup,
    /// Our share to send.
    pub pub_key: Vec<u8>,
    /// The shared secret.
    pub secret: SharedSecret,
}

/// An in-progress key exchange holding our ephemeral private key.
pub trait ActiveKeyExchange: Send + Sync {
    /// The group.
    fn group(&self) -> NamedGroup;
    /// Our public share, as it goes on the wire.
    fn pub_key(&self) -> &[u8];
    /// Completes with the peer's share.
    ///
    /// # Errors
    /// `PeerMisbehaved::InvalidKeyShare` for an invalid peer share (wrong length, point not on
    /// the curve, DH value outside 2..p-2).
    fn complete(self: Box<Self>, peer_share: &[u8]) -> Result<SharedSecret, Error>;
}

/// The kind of a private key, for matching cipher suites (TLS 1.2 `ECDHE_ECDSA` vs `ECDHE_RSA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA
    Rsa,
    /// ECDSA (P-256 or P-384)
    Ecdsa,
    /// Ed25519
    Ed25519,
}

/// A private key that can sign handshake messages.
pub trait SigningKey: Send + Sync + fmt::Debug {
    /// The key's kind.
    fn kind(&self) -> KeyKind;
    /// Picks the first scheme in `offered` (peer preference order) this key can sign with.
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>>;
    /// For RSA keys used with TLS 1.2 RSA key exchange: PKCS#1 v1.5 decryption.
    ///
    /// Returns `None` for non-RSA keys. The result carries whether decryption succeeded; callers
    /// must not branch on it in a way that changes their observable behaviour (RFC 5246 §7.4.7.1).
    fn rsa_decrypter(&self) -> Option<&dyn RsaDecrypter> {
        None
    }
    /// The public half as a DER `SubjectPublicKeyInfo`, so that loaders can check the key
    /// matches its certificate (`sign::CertifiedKey`). `None` when the provider cannot say; the
    /// check is then skipped.
    fn public_key(&self) -> Option<rustls_pki_types::SubjectPublicKeyInfoDer<'static>> {
        None
    }
}

/// Signs with one fixed scheme.
pub trait Signer: Send + Sync {
    /// The scheme.
    fn scheme(&self) -> SignatureScheme;
    /// Signs `message` (the signature algorithm hashes it as the scheme says).
    ///
    /// # Errors
    /// Provider failure.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;
}

/// RSA PKCS#1 v1.5 decryption for the TLS 1.2 RSA key exchange.
pub trait RsaDecrypter: Send + Sync {
    /// Decrypts `ciphertext` into `out` (which must hold the key size) and returns the
    /// plaintext length, or `Err` on any padding error.
    ///
    /// # Errors
    /// Any decryption or padding failure, all alike.
    fn decrypt_pkcs1(&self, ciphertext: &[u8], out: &mut [u8]) -> Result<usize, CryptoError>;
}

/// RSA PKCS#1 v1.5 encryption under a peer's public key: the client side of the TLS 1.2 RSA key
/// exchange (RFC 5246 §7.4.7.1).
pub trait RsaEncrypter: Send + Sync + fmt::Debug {
    /// Encrypts `plaintext` (RSAES-PKCS1-v1_5) under the RSA key in `spki` (a DER
    /// `SubjectPublicKeyInfo`).
    ///
    /// # Errors
    /// The key is not an acceptable RSA key, or the provider failed.
    fn encrypt_pkcs1(&self, spki: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// Loads private keys.
pub trait KeyProvider: Send + Sync + fmt::Debug {
    /// Parses a private key (PKCS#8, SEC1 or PKCS#1 DER).
    ///
    /// # Errors
    /// `ConfigError::BadPrivateKey` when the key is unusable.
    fn load_private_key(
        &self,
        key: rustls_pki_types::PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, Error>;
}

/// A source of cryptographically secure randomness.
pub trait SecureRandom: Send + Sync + fmt::Debug {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    /// Provider failure.
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError>;
}

/// Signature verification algorithms, by TLS signature scheme.
pub trait SignatureVerifiers: Send + Sync + fmt::Debug {
    /// Every algorithm accepted inside certificate chains (for `rustls-webpki`).
    fn all(&self) -> &'static [&'static dyn SignatureVerificationAlgorithm];
    /// The algorithms that implement `scheme` for a handshake signature.
    ///
    /// For TLS 1.3 an ECDSA scheme names one curve; in TLS 1.2 `ecdsa_secp256r1_sha256` only
    /// fixes the hash (RFC 8422 §5.1.3), so several algorithms may be returned. RSA PKCS#1
    /// schemes are not valid for TLS 1.3 CertificateVerify (RFC 8446 §4.2.3); the caller
    /// enforces that.
    fn for_scheme(
        &self,
        scheme: SignatureScheme,
        tls13: bool,
    ) -> &'static [&'static dyn SignatureVerificationAlgorithm];
    /// The schemes we can verify, in our preference order (for signature_algorithms).
    fn supported_schemes(&self) -> &'static [SignatureScheme];
}

/// Everything the protocol needs from cryptography, passed in explicitly through the configs.
#[derive(Clone, Debug)]
pub struct CryptoProvider {
    /// Key-exchange groups in preference order.
    pub kx_groups: Vec<&'static dyn SupportedKxGroup>,
    /// SHA-256 and SHA-384.
    pub hashes: [&'static dyn Hash; 2],
    /// HMAC over SHA-256 and SHA-384.
    pub hmacs: [&'static dyn Hmac; 2],
    /// HKDF over SHA-256 and SHA-384.
    pub hkdfs: [&'static dyn Hkdf; 2],
    /// AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305.
    pub aeads: [&'static dyn Aead; 3],
    /// Private key loading.
    pub key_provider: &'static dyn KeyProvider,
    /// Signature verification.
    pub verifiers: &'static dyn SignatureVerifiers,
    /// Randomness.
    pub secure_random: &'static dyn SecureRandom,
    /// RSA PKCS#1 v1.5 encryption (TLS 1.2 RSA key exchange, client side).
    pub rsa_encrypter: &'static dyn RsaEncrypter,
}

impl CryptoProvider {
    /// The hash implementation for `alg`.
    #[must_use]
    pub fn hash(&self, alg: HashAlgorithm) -> &'static dyn Hash {
        match alg {
            HashAlgorithm::Sha256 => self.hashes[0],
            HashAlgorithm::Sha384 => self.hashes[1],
        }
    }

    /// The HMAC implementation for `alg`.
    #[must_use]
    pub fn hmac(&self, alg: HashAlgorithm) -> &'static dyn Hmac {
        match alg {
            HashAlgorithm::Sha256 => self.hmacs[0],
            HashAlgorithm::Sha384 => self.hmacs[1],
        }
    }

    /// The HKDF implementation for `alg`.
    #[must_use]
    pub fn hkdf(&self, alg: HashAlgorithm) -> &'static dyn Hkdf {
        match alg {
            HashAlgorithm::Sha256 => self.hkdfs[0],
            HashAlgorithm::Sha384 => self.hkdfs[1],
        }
    }

    /// The AEAD implementation for `alg`.
    #[must_use]
    pub fn aead(&self, alg: AeadAlgorithm) -> &'static dyn Aead {
        match alg {
            AeadAlgorithm::Aes128Gcm => self.aeads[0],
            AeadAlgorithm::Aes256Gcm => self.aeads[1],
            AeadAlgorithm::ChaCha20Poly1305 => self.aeads[2],
        }
    }

    /// The key-exchange group named `name`, if enabled.
    #[must_use]
    pub fn kx_group(&self, name: NamedGroup) -> Option<&'static dyn SupportedKxGroup> {
        self.kx_groups.iter().copied().find(|g| g.name() == name)
    }
}
