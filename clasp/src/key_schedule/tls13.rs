//! The TLS 1.3 key schedule (RFC 8446 §7.1–§7.5) as a typestate:
//! [`EarlySecret`] → [`HandshakeSecret`] → [`MasterSecret`], each consuming the one before, so a
//! later stage can never be used to derive an earlier stage's secrets (rustls
//! `tls13/key_schedule.rs` argues the same).
//!
//! ```text
//!              0
//!              |
//!    PSK ->  HKDF-Extract = Early Secret ──> binder_key, client_early_traffic_secret,
//!              |                              early_exporter_master_secret
//!        Derive-Secret(., "derived", "")
//!              |
//! (EC)DHE -> HKDF-Extract = Handshake Secret ──> [client|server]_handshake_traffic_secret
//!              |
//!        Derive-Secret(., "derived", "")
//!              |
//!    0 -> HKDF-Extract = Master Secret ──> [client|server]_application_traffic_secret_0,
//!                                          exporter_master_secret, resumption_master_secret
//! ```
//!
//! The caller supplies every transcript hash (from [`crate::transcript::Transcript`]); this module
//! never sees handshake messages. It owns the labels, which are exactly those of RFC 8446 §7.1.

use core::fmt;

use super::{BinderVerified, FinishedVerified, KeyLogLabel, KeyLogVisitor, TrafficKeys};
use crate::crypto::{
    AeadAlgorithm, CryptoError, CryptoProvider, Hash, HashAlgorithm, HashOutput, Hkdf,
    HkdfExpander, Hmac, SecretBytes, SharedSecret, MAX_HASH_LEN,
};
use crate::error::{ApiMisuse, Error, PeerMisbehaved};

/// The hash-dependent primitives of one TLS 1.3 cipher suite: HKDF, HMAC and the hash itself,
/// all over the suite's hash (RFC 8446 §7.1: "The Hash function used by Transcript-Hash and HKDF
/// is the cipher suite hash algorithm").
#[derive(Clone, Copy, Debug)]
pub struct Tls13Crypto {
    /// HKDF over the suite hash.
    pub hkdf: &'static dyn Hkdf,
    /// HMAC over the suite hash (Finished and binders, RFC 8446 §4.4.4).
    pub hmac: &'static dyn Hmac,
    /// The suite hash.
    pub hash: &'static dyn Hash,
}

impl Tls13Crypto {
    /// The primitives for `alg` from `provider`.
    #[must_use]
    pub fn new(provider: &CryptoProvider, alg: HashAlgorithm) -> Self {
        Self {
            hkdf: provider.hkdf(alg),
            hmac: provider.hmac(alg),
            hash: provider.hash(alg),
        }
    }

    /// The suite hash algorithm.
    #[must_use]
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hkdf.hash_algorithm()
    }

    fn hash_len(&self) -> usize {
        self.hash_algorithm().output_len()
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1), writing `out.len()` bytes.
///
/// ```text
/// struct {
///     uint16 length = Length;
///     opaque label<7..255> = "tls13 " + Label;
///     opaque context<0..255> = Context;
/// } HkdfLabel;
/// ```
/// The `HkdfLabel` is passed to the provider in pieces, so nothing is allocated.
///
/// # Errors
/// `ApiMisuse::InvalidExporterRequest` when `out`, `label` or `context` do not fit their length
/// fields (only reachable through an exporter); provider failure otherwise.
pub fn hkdf_expand_label(
    hkdf: &dyn Hkdf,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    expand_label_with(label, context, out, |info, out| {
        hkdf.expand(secret, info, out)
    })
}

/// HKDF-Expand-Label with HKDF-Expand supplied by `expand` (a one-shot [`Hkdf::expand`] or a
/// keyed [`HkdfExpander`]): builds the `HkdfLabel` pieces, checks the length fields.
fn expand_label_with(
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
    expand: impl FnOnce(&[&[u8]], &mut [u8]) -> Result<(), CryptoError>,
) -> Result<(), Error> {
    const PREFIX: &[u8] = b"tls13 ";
    let too_long = |_| Error::ApiMisuse(ApiMisuse::InvalidExporterRequest);
    let length = u16::try_from(out.len()).map_err(too_long)?;
    let label_len = u8::try_from(PREFIX.len() + label.len()).map_err(too_long)?;
    let context_len = u8::try_from(context.len()).map_err(too_long)?;
    // The HkdfLabel in one piece (at most 2 + 1 + 255 + 1 + 255 bytes by the checks above), so
    // the HMAC takes one update instead of six.
    let mut hkdf_label = [0u8; 2 + 1 + 255 + 1 + 255];
    let mut at = 0;
    for piece in [
        &length.to_be_bytes()[..],
        &[label_len],
        PREFIX,
        label,
        &[context_len],
        context,
    ] {
        let end = at + piece.len();
        hkdf_label
            .get_mut(at..end)
            .ok_or(Error::ApiMisuse(ApiMisuse::InvalidExporterRequest))?
            .copy_from_slice(piece);
        at = end;
    }
    let hkdf_label = hkdf_label
        .get(..at)
        .ok_or(Error::ApiMisuse(ApiMisuse::InvalidExporterRequest))?;
    expand(&[hkdf_label], out)?;
    Ok(())
}

/// Hash of the empty string, the context of every `Derive-Secret(., label, "")` (RFC 8446 §7.1).
/// A published constant of each hash function (FIPS 180-4 test values), so it is not recomputed
/// for each derivation; `empty_hashes_are_the_hash_of_nothing` checks it against the provider.
fn empty_hash(alg: HashAlgorithm) -> HashOutput {
    const SHA256: [u8; 32] = [
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
        0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
        0xb8, 0x55,
    ];
    const SHA384: [u8; 48] = [
        0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e, 0xb1, 0xb1, 0xe3,
        0x6a, 0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43, 0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6,
        0xe1, 0xda, 0x27, 0x4e, 0xde, 0xbf, 0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48,
        0x98, 0xb9, 0x5b,
    ];
    match alg {
        HashAlgorithm::Sha256 => HashOutput::new(&SHA256),
        HashAlgorithm::Sha384 => HashOutput::new(&SHA384),
    }
}

/// Early Secret = `HKDF-Extract(0, 0)` when there is no PSK (RFC 8446 §7.1: "the 0-value ...
/// is used"): the same public constant in every handshake of a suite hash (RFC 8448 §3 prints the
/// SHA-256 one). `no_psk_secrets_match_the_schedule` recomputes it through the provider.
fn no_psk_early_secret(alg: HashAlgorithm) -> &'static [u8] {
    const SHA256: [u8; 32] = [
        0x33, 0xad, 0x0a, 0x1c, 0x60, 0x7e, 0xc0, 0x3b, 0x09, 0xe6, 0xcd, 0x98, 0x93, 0x68, 0x0c,
        0xe2, 0x10, 0xad, 0xf3, 0x00, 0xaa, 0x1f, 0x26, 0x60, 0xe1, 0xb2, 0x2e, 0x10, 0xf1, 0x70,
        0xf9, 0x2a,
    ];
    const SHA384: [u8; 48] = [
        0x7e, 0xe8, 0x20, 0x6f, 0x55, 0x70, 0x02, 0x3e, 0x6d, 0xc7, 0x51, 0x9e, 0xb1, 0x07, 0x3b,
        0xc4, 0xe7, 0x91, 0xad, 0x37, 0xb5, 0xc3, 0x82, 0xaa, 0x10, 0xba, 0x18, 0xe2, 0x35, 0x7e,
        0x71, 0x69, 0x71, 0xf9, 0x36, 0x2f, 0x2c, 0x2f, 0xe2, 0xa7, 0x6b, 0xfd, 0x78, 0xdf, 0xec,
        0x4e, 0xa9, 0xb5,
    ];
    match alg {
        HashAlgorithm::Sha256 => &SHA256,
        HashAlgorithm::Sha384 => &SHA384,
    }
}

/// `Derive-Secret(Early Secret, "derived", "")` when there is no PSK, the salt of the Handshake
/// Secret: also a public constant per suite hash (RFC 8448 §3 prints the SHA-256 one as the
/// "derived" secret). Using it saves an Extract, a hash and an Expand per full handshake.
/// `no_psk_secrets_match_the_schedule` recomputes it through the provider.
fn no_psk_derived_secret(alg: HashAlgorithm) -> &'static [u8] {
    const SHA256: [u8; 32] = [
        0x6f, 0x26, 0x15, 0xa1, 0x08, 0xc7, 0x02, 0xc5, 0x67, 0x8f, 0x54, 0xfc, 0x9d, 0xba, 0xb6,
        0x97, 0x16, 0xc0, 0x76, 0x18, 0x9c, 0x48, 0x25, 0x0c, 0xeb, 0xea, 0xc3, 0x57, 0x6c, 0x36,
        0x11, 0xba,
    ];
    const SHA384: [u8; 48] = [
        0x15, 0x91, 0xda, 0xc5, 0xcb, 0xbf, 0x03, 0x30, 0xa4, 0xa8, 0x4d, 0xe9, 0xc7, 0x53, 0x33,
        0x0e, 0x92, 0xd0, 0x1f, 0x0a, 0x88, 0x21, 0x4b, 0x44, 0x64, 0x97, 0x2f, 0xd6, 0x68, 0x04,
        0x9e, 0x93, 0xe5, 0x2f, 0x2b, 0x16, 0xfa, 0xd9, 0x22, 0xfd, 0xc0, 0x58, 0x44, 0x78, 0x42,
        0x8f, 0x28, 0x2b,
    ];
    match alg {
        HashAlgorithm::Sha256 => &SHA256,
        HashAlgorithm::Sha384 => &SHA384,
    }
}

/// A secret in the schedule together with the primitives that derive from it. Private core of
/// every public secret type below.
struct Secret {
    crypto: Tls13Crypto,
    bytes: SecretBytes,
    /// `bytes` keyed once for HKDF-Expand ([`Secret::keyed`]), for a secret expanded several
    /// times; `None` for one expanded at most once, or kept for the connection's life (the keyed
    /// HMAC state is several hundred bytes).
    expander: Option<Box<dyn HkdfExpander>>,
}

impl Secret {
    fn new(crypto: Tls13Crypto, bytes: SecretBytes) -> Self {
        Self {
            crypto,
            bytes,
            expander: None,
        }
    }

    /// Keys the HMAC for HKDF-Expand once, so that the 2–4 expansions of a schedule stage
    /// (RFC 8446 §7.1, §7.3, §4.4.4) skip the HMAC key setup each one would repeat.
    fn keyed(mut self) -> Result<Self, Error> {
        self.expander = Some(self.crypto.hkdf.expander(self.bytes.as_bytes())?);
        Ok(self)
    }

    /// HKDF-Expand-Label(self, label, context, out.len()) into `out`.
    fn expand_label_into(&self, label: &[u8], context: &[u8], out: &mut [u8]) -> Result<(), Error> {
        match &self.expander {
            Some(e) => expand_label_with(label, context, out, |info, out| e.expand(info, out)),
            None => hkdf_expand_label(self.crypto.hkdf, self.bytes.as_bytes(), label, context, out),
        }
    }

    /// HKDF-Expand-Label(self, label, context, Hash.length).
    fn expand_label(&self, label: &[u8], context: &[u8]) -> Result<Self, Error> {
        let mut out = SecretBytes::zeroed(self.crypto.hash_len());
        self.expand_label_into(label, context, out.as_mut())?;
        Ok(Self::new(self.crypto, out))
    }

    /// Derive-Secret(self, label, Messages), given Transcript-Hash(Messages) (RFC 8446 §7.1).
    fn derive(&self, label: &[u8], transcript_hash: &HashOutput) -> Result<Self, Error> {
        self.expand_label(label, transcript_hash.as_ref())
    }

    /// Derive-Secret(self, label, "") — the context is Hash of the empty string.
    fn derive_empty(&self, label: &[u8]) -> Result<Self, Error> {
        self.derive(label, &empty_hash(self.crypto.hash_algorithm()))
    }

    /// HKDF-Extract(salt = Derive-Secret(self, "derived", ""), ikm) — the step between stages.
    fn next_stage(&self, ikm: &[u8]) -> Result<Self, Error> {
        let derived = self.derive_empty(b"derived")?;
        Ok(Self::new(
            self.crypto,
            self.crypto.hkdf.extract(derived.bytes.as_bytes(), ikm),
        ))
    }

    /// Key and IV for record protection (RFC 8446 §7.3).
    fn traffic_keys(&self, aead: AeadAlgorithm) -> Result<TrafficKeys, Error> {
        // Two expansions: key the HMAC once for both unless this secret already is.
        let local;
        let expander: &dyn HkdfExpander = match &self.expander {
            Some(e) => e.as_ref(),
            None => {
                local = self.crypto.hkdf.expander(self.bytes.as_bytes())?;
                local.as_ref()
            }
        };
        let expand = |info: &[&[u8]], out: &mut [u8]| expander.expand(info, out);
        // [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
        let mut key = SecretBytes::zeroed(aead.key_len());
        expand_label_with(b"key", &[], key.as_mut(), expand)?;
        // [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length); iv_length is the
        // AEAD nonce length, 12 for all our AEADs (RFC 8446 §5.3).
        let mut iv = SecretBytes::zeroed(AeadAlgorithm::NONCE_LEN);
        expand_label_with(b"iv", &[], iv.as_mut(), expand)?;
        Ok(TrafficKeys { key, iv })
    }

    /// finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).
    fn finished_key(&self) -> Result<Self, Error> {
        self.expand_label(b"finished", &[])
    }

    /// verify_data = HMAC(finished_key, Transcript-Hash(...)) (RFC 8446 §4.4.4).
    fn finished_mac(&self, transcript_hash: &HashOutput) -> Result<HashOutput, Error> {
        let key = self.finished_key()?;
        let tag = self
            .crypto
            .hmac
            .with_key(key.bytes.as_bytes())
            .sign(&[transcript_hash.as_ref()]);
        Ok(HashOutput::new(tag.as_bytes()))
    }

    /// Constant-time check of a received verify_data / binder (the provider's HMAC verify).
    fn verify_finished_mac(
        &self,
        transcript_hash: &HashOutput,
        received: &[u8],
    ) -> Result<bool, Error> {
        let key = self.finished_key()?;
        Ok(self
            .crypto
            .hmac
            .with_key(key.bytes.as_bytes())
            .verify(&[transcript_hash.as_ref()], received))
    }

    /// Checks a received Finished verify_data with this secret as BaseKey, in constant time.
    /// RFC 8446 §4.4.4: "Recipients of Finished messages MUST verify that the contents are
    /// correct and if incorrect MUST terminate the connection with a "decrypt_error" alert."
    fn verify_finished(
        &self,
        transcript_hash: &HashOutput,
        verify_data: &[u8],
    ) -> Result<FinishedVerified, Error> {
        if self.verify_finished_mac(transcript_hash, verify_data)? {
            Ok(FinishedVerified(()))
        } else {
            Err(PeerMisbehaved::IncorrectFinished.into())
        }
    }

    /// Derive-Secret(self, label, Messages) with `client_label` or `server_label` by `sender`:
    /// the two traffic secrets of a stage (RFC 8446 §7.1).
    fn derive_traffic(
        &self,
        sender: Sender,
        client_label: &[u8],
        server_label: &[u8],
        transcript_hash: &HashOutput,
    ) -> Result<Self, Error> {
        let label = match sender {
            Sender::Client => client_label,
            Sender::Server => server_label,
        };
        self.derive(label, transcript_hash)
    }

    fn redacted(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        write!(
            f,
            "{name}({:?}, <{} bytes redacted>)",
            self.crypto.hash_algorithm(),
            self.bytes.len()
        )
    }
}

/// Which end of the connection a traffic secret protects (the sender of the records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Records the client sends.
    Client,
    /// Records the server sends.
    Server,
}

// ---------------------------------------------------------------------------------------------
// Early Secret
// ---------------------------------------------------------------------------------------------

/// Which kind of PSK a binder is for (RFC 8446 §7.1: "ext binder" vs "res binder").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PskKind {
    /// Provisioned outside TLS.
    External,
    /// From a NewSessionTicket of an earlier connection.
    Resumption,
}

/// Early Secret = HKDF-Extract(0, PSK) (RFC 8446 §7.1).
pub struct EarlySecret(Secret, Psk);

/// Whether the Early Secret came from a PSK or is the no-PSK constant.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Psk {
    Absent,
    Present,
}

impl EarlySecret {
    /// Early Secret = HKDF-Extract(salt = 0, IKM = PSK), where a missing PSK is Hash.length zeros
    /// (RFC 8446 §7.1: "If a given secret is not available, then the 0-value consisting of a
    /// string of Hash.length bytes set to zeros is used").
    #[must_use]
    pub fn new(crypto: Tls13Crypto, psk: Option<&[u8]>) -> Self {
        let alg = crypto.hash_algorithm();
        match psk {
            // HKDF-Extract(0, 0): a constant, not recomputed per handshake.
            None => Self(
                Secret::new(crypto, SecretBytes::new(no_psk_early_secret(alg))),
                Psk::Absent,
            ),
            Some(psk) => {
                let zeros = [0u8; MAX_HASH_LEN];
                let zeros = zeros.get(..alg.output_len()).unwrap_or(&zeros);
                Self(
                    Secret::new(crypto, crypto.hkdf.extract(zeros, psk)),
                    Psk::Present,
                )
            }
        }
    }

    /// The primitives this schedule uses.
    #[must_use]
    pub fn crypto(&self) -> Tls13Crypto {
        self.0.crypto
    }

    /// binder_key = Derive-Secret(., "ext binder" | "res binder", "") (RFC 8446 §7.1).
    ///
    /// # Errors
    /// Provider failure.
    pub fn binder_key(&self, kind: PskKind) -> Result<BinderKey, Error> {
        let label: &[u8] = match kind {
            PskKind::External => b"ext binder",
            PskKind::Resumption => b"res binder",
        };
        self.0.derive_empty(label).map(BinderKey)
    }

    /// client_early_traffic_secret = Derive-Secret(., "c e traffic", ClientHello).
    ///
    /// # Errors
    /// Provider failure.
    pub fn client_early_traffic_secret(
        &self,
        client_hello_hash: &HashOutput,
    ) -> Result<EarlyTrafficSecret, Error> {
        self.0
            .derive(b"c e traffic", client_hello_hash)
            .map(EarlyTrafficSecret)
    }

    /// early_exporter_master_secret = Derive-Secret(., "e exp master", ClientHello).
    ///
    /// # Errors
    /// Provider failure.
    pub fn early_exporter_master_secret(
        &self,
        client_hello_hash: &HashOutput,
    ) -> Result<ExporterSecret, Error> {
        self.0
            .derive(b"e exp master", client_hello_hash)
            .map(|secret| ExporterSecret {
                secret,
                early: true,
            })
    }

    /// Handshake Secret = HKDF-Extract(Derive-Secret(., "derived", ""), (EC)DHE).
    ///
    /// RFC 8446 §7.4.1: the (EC)DHE shared secret is used as is, leading zeros included.
    ///
    /// # Errors
    /// Provider failure.
    pub fn into_handshake(self, shared_secret: &SharedSecret) -> Result<HandshakeSecret, Error> {
        let secret = match self.1 {
            Psk::Absent => {
                // Derive-Secret(HKDF-Extract(0, 0), "derived", ""): a constant.
                let crypto = self.0.crypto;
                let salt = no_psk_derived_secret(crypto.hash_algorithm());
                Secret::new(crypto, crypto.hkdf.extract(salt, shared_secret.as_bytes()))
            }
            Psk::Present => self.0.next_stage(shared_secret.as_bytes())?,
        };
        // Expanded three times: "c hs traffic", "s hs traffic", "derived".
        secret.keyed().map(HandshakeSecret)
    }
}

impl fmt::Debug for EarlySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.redacted(f, "EarlySecret")
    }
}

/// binder_key (RFC 8446 §7.1), the base key for PSK binders (§4.2.11.2).
pub struct BinderKey(Secret);

impl BinderKey {
    /// The binder: HMAC(finished_key(binder_key), Transcript-Hash(Truncate(ClientHello))) — the
    /// Finished computation with binder_key as BaseKey (RFC 8446 §4.2.11.2). `transcript_hash`
    /// covers the ClientHello up to and excluding the binders list (and, after a
    /// HelloRetryRequest, the message_hash and HRR before it).
    ///
    /// # Errors
    /// Provider failure.
    pub fn compute_binder(&self, transcript_hash: &HashOutput) -> Result<HashOutput, Error> {
        self.0.finished_mac(transcript_hash)
    }

    /// Checks a received binder in constant time.
    ///
    /// # Errors
    /// `PeerMisbehaved::BadBinder` on mismatch (RFC 8446 §4.2.11: "If this value does not
    /// validate, the server MUST abort the handshake").
    pub fn verify_binder(
        &self,
        transcript_hash: &HashOutput,
        binder: &[u8],
    ) -> Result<BinderVerified, Error> {
        if self.0.verify_finished_mac(transcript_hash, binder)? {
            Ok(BinderVerified(()))
        } else {
            Err(PeerMisbehaved::BadBinder.into())
        }
    }
}

impl fmt::Debug for BinderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.redacted(f, "BinderKey")
    }
}

/// client_early_traffic_secret: protects 0-RTT data (RFC 8446 §7.1).
pub struct EarlyTrafficSecret(Secret);

impl EarlyTrafficSecret {
    /// Key and IV for the client's early data (RFC 8446 §7.3).
    ///
    /// # Errors
    /// Provider failure.
    pub fn traffic_keys(&self, aead: AeadAlgorithm) -> Result<TrafficKeys, Error> {
        self.0.traffic_keys(aead)
    }

    /// Logs as `CLIENT_EARLY_TRAFFIC_SECRET`.
    pub fn log_to(&self, visitor: &mut dyn KeyLogVisitor) {
        visitor.visit(
            KeyLogLabel::ClientEarlyTrafficSecret,
            self.0.bytes.as_bytes(),
        );
    }
}

impl fmt::Debug for EarlyTrafficSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.redacted(f, "EarlyTrafficSecret")
    }
}

// ---------------------------------------------------------------------------------------------
// Handshake Secret
// ---------------------------------------------------------------------------------------------

/// Handshake Secret (RFC 8446 §7.1).
pub struct HandshakeSecret(Secret);

impl HandshakeSecret {
    /// `client_handshake_traffic_secret = Derive-Secret(., "c hs traffic", ClientHello...ServerHello)`.
    ///
    /// # Errors
    /// Provider failure.
    pub fn client_handshake_traffic_secret(
        &self,
        hello_hash: &HashOutput,
    ) -> Result<HandshakeTrafficSecret, Error> {
        self.traffic_secret(Sender::Client, hello_hash)
    }

    /// `server_handshake_traffic_secret = Derive-Secret(., "s hs traffic", ClientHello...ServerHello)`.
    ///
    /// # Errors
    /// Provider failure.
    pub fn server_handshake_traffic_secret(
        &self,
        hello_hash: &HashOutput,
    ) -> Result<HandshakeTrafficSecret, Error> {
        self.traffic_secret(Sender::Server, hello_hash)
    }

    fn traffic_secret(
        &self,
        sender: Sender,
        hello_hash: &HashOutput,
    ) -> Result<HandshakeTrafficSecret, Error> {
        let secret = self
            .0
            .derive_traffic(sender, b"c hs traffic", b"s hs traffic", hello_hash)?;
        Ok(HandshakeTrafficSecret {
            // Expanded three times: "key", "iv", "finished" (RFC 8446 §7.3, §4.4.4).
            secret: secret.keyed()?,
            sender,
        })
    }

    /// Master Secret = HKDF-Extract(Derive-Secret(., "derived", ""), 0).
    ///
    /// # Errors
    /// Provider failure.
    pub fn into_master(self) -> Result<MasterSecret, Error> {
        let zeros = [0u8; MAX_HASH_LEN];
        let zeros = zeros.get(..self.0.crypto.hash_len()).unwrap_or(&zeros);
        // Expanded up to four times: "c ap traffic", "s ap traffic", "exp master", "res master".
        self.0.next_stage(zeros)?.keyed().map(MasterSecret)
    }
}

impl fmt::Debug for HandshakeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.redacted(f, "HandshakeSecret")
    }
}

/// `[client|server]_handshake_traffic_secret`: protects the encrypted handshake and is the
/// BaseKey of that side's Finished (RFC 8446 §4.4.4).
pub struct HandshakeTrafficSecret {
    secret: Secret,
    sender: Sender,
}

impl HandshakeTrafficSecret {
    /// Whose records this secret protects.
    #[must_use]
    pub fn sender(&self) -> Sender {
        self.sender
    }

    /// Key and IV for the handshake records of [`Self::sender`] (RFC 8446 §7.3).
    ///
    /// # Errors
    /// Provider failure.
    pub fn traffic_keys(&self, aead: AeadAlgorithm) -> Result<TrafficKeys, Error> {
        self.secret.traffic_keys(aead)
    }

    /// The verify_data of the Finished that [`Self::sender`] sends (RFC 8446 §4.4.4):
    /// `HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*))`.
    ///
    /// # Errors
    /// Provider failure.
    pub fn compute_finished(&self, transcript_hash: &HashOutput) -> Result<HashOutput, Error> {
        self.secret.finished_mac(transcript_hash)
    }

    /// Checks the peer's Finished in constant time (the provider's HMAC verify).
    ///
    /// # Errors
    /// `PeerMisbehaved::IncorrectFinished` on mismatch: RFC 8446 §4.4.4 "Recipients of Finished
    /// messages MUST verify that the contents are correct and if incorrect MUST terminate the
    /// connection with a "decrypt_error" alert."
    pub fn verify_finished(
        &self,
        transcript_hash: &HashOutput,
        verify_data: &[u8],
    ) -> Result<FinishedVerified, Error> {
        self.secret.verify_finished(transcript_hash, verify_data)
    }

    /// Logs as `CLIENT_HANDSHAKE_TRAFFIC_SECRET` / `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub fn log_to(&self, visitor: &mut dyn KeyLogVisitor) {
        let label = match self.sender {
            Sender::Client => KeyLogLabel::ClientHandshakeTrafficSecret,
            Sender::Server => KeyLogLabel::ServerHandshakeTrafficSecret,
        };
        visitor.visit(label, self.secret.bytes.as_bytes());
    }
}

impl fmt::Debug for HandshakeTrafficSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.sender {
            Sender::Client => "ClientHandshakeTrafficSecret",
            Sender::Server => "ServerHandshakeTrafficSecret",
        };
        self.secret.redacted(f, name)
    }
}

// ---------------------------------------------------------------------------------------------
// Master Secret
// ---------------------------------------------------------------------------------------------

/// Master Secret (RFC 8446 §7.1).
///
/// The application traffic secrets and the exporter secret come from the hash up to the server
/// Finished; the resumption master secret needs the client Finished too, so it is the last
/// derivation and consumes the master secret.
pub struct MasterSecret(Secret);

impl MasterSecret {
    /// `client_application_traffic_secret_0 = Derive-Secret(., "c ap traffic", ClientHello...server Finished)`.
    ///
    /// # Errors
    /// Provider failure.
    pub fn client_application_traffic_secret(
        &self,
        transcript_hash: &HashOutput,
    ) -> Result<ApplicationTrafficSecret, Error> {
        self.traffic_secret(Sender::Client, transcript_hash)
    }

    /// `server_application_traffic_secret_0 = Derive-Secret(., "s ap traffic", ClientHello...server Finished)`.
    ///
    /// # Errors
    /// Provider failure.
    pub fn server_application_traffic_secret(
        &self,
        transcript_hash: &HashOutput,
    ) -> Result<ApplicationTrafficSecret, Error> {
        self.traffic_secret(Sender::Server, transcript_hash)
    }

    fn traffic_secret(
        &self,
        sender: Sender,
        transcript_hash: &HashOutput,
    ) -> Result<ApplicationTrafficSecret, Error> {
        Ok(ApplicationTrafficSecret {
            secret: self.0.derive_traffic(
                sender,
                b"c ap traffic",
                b"s ap traffic",
                transcript_hash,
            )?,
            sender,
            generation: 0,
        })
    }

    /// `exporter_master_secret = Derive-Secret(., "exp master", ClientHello...server Finished)`.
    ///
    /// # Errors
    /// Provider failure.
    pub fn exporter_master_secret(
        &self,
        transcript_hash: &HashOutput,
    ) -> Result<ExporterSecret, Error> {
        Ok(ExporterSecret {
            secret: self.0.derive(b"exp master", transcript_hash)?,
            early: false,
        })
    }

    /// `resumption_master_secret = Derive-Secret(., "res master", ClientHello...client Finished)`.
    /// Consumes the master secret: nothing is derived from it afterwards.
    ///
    /// # Errors
    /// Provider failure.
    pub fn into_resumption_master_secret(
        self,
        transcript_hash: &HashOutput,
    ) -> Result<ResumptionMasterSecret, Error> {
        self.0
            .derive(b"res master", transcript_hash)
            .map(ResumptionMasterSecret)
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.redacted(f, "MasterSecret")
    }
}

/// `[client|server]_application_traffic_secret_N` (RFC 8446 §7.1, §7.2).
pub struct ApplicationTrafficSecret {
    secret: Secret,
    sender: Sender,
    generation: u64,
}

impl ApplicationTrafficSecret {
    /// Whose records this secret protects.
    #[must_use]
    pub fn sender(&self) -> Sender {
        self.sender
    }

    /// N in `application_traffic_secret_N`: how many KeyUpdates led here.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Key and IV for application records (RFC 8446 §7.3).
    ///
    /// # Errors
    /// Provider failure.
    pub fn traffic_keys(&self, aead: AeadAlgorithm) -> Result<TrafficKeys, Error> {
        self.secret.traffic_keys(aead)
    }

    /// The next generation after a KeyUpdate (RFC 8446 §7.2):
    /// `application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)`.
    /// Consumes `self`: the old secret is zeroized as soon as the new one exists.
    ///
    /// # Errors
    /// Provider failure.
    pub fn into_next(self) -> Result<Self, Error> {
        Ok(Self {
            secret: self.secret.expand_label(b"traffic upd", &[])?,
            sender: self.sender,
            generation: self.generation.saturating_add(1),
        })
    }

    /// Finished verify_data with this secret as BaseKey — post-handshake client authentication
    /// uses `client_application_traffic_secret_N` (RFC 8446 §4.4, §4.4.4).
    ///
    /// # Errors
    /// Provider failure.
    pub fn compute_finished(&self, transcript_hash: &HashOutput) -> Result<HashOutput, Error> {
        self.secret.finished_mac(transcript_hash)
    }

    /// Constant-time check of a post-handshake Finished.
    ///
    /// # Errors
    /// `PeerMisbehaved::IncorrectFinished` on mismatch (RFC 8446 §4.4.4).
    pub fn verify_finished(
        &self,
        transcript_hash: &HashOutput,
        verify_data: &[u8],
    ) -> Result<FinishedVerified, Error> {
        self.secret.verify_finished(transcript_hash, verify_data)
    }

    /// Logs generation 0 as `CLIENT_TRAFFIC_SECRET_0` / `SERVER_TRAFFIC_SECRET_0`. Later
    /// generations have no NSS label (tools derive them from generation 0), so nothing is logged.
    pub fn log_to(&self, visitor: &mut dyn KeyLogVisitor) {
        if self.generation != 0 {
            return;
        }
        let label = match self.sender {
            Sender::Client => KeyLogLabel::ClientTrafficSecret0,
            Sender::Server => KeyLogLabel::ServerTrafficSecret0,
        };
        visitor.visit(label, self.secret.bytes.as_bytes());
    }
}

impl fmt::Debug for ApplicationTrafficSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.sender {
            Sender::Client => "ClientApplicationTrafficSecret",
            Sender::Server => "ServerApplicationTrafficSecret",
        };
        self.secret.redacted(f, name)?;
        write!(f, "#{}", self.generation)
    }
}

/// `exporter_master_secret` or `early_exporter_master_secret`, the Secret of TLS-Exporter
/// (RFC 8446 §7.5).
pub struct ExporterSecret {
    secret: Secret,
    early: bool,
}

impl ExporterSecret {
    /// Whether this is the `early_exporter_master_secret` (RFC 8446 §7.5 recommends a separate
    /// interface for it so it is not used by accident: callers should check this).
    #[must_use]
    pub fn is_early(&self) -> bool {
        self.early
    }

    /// `TLS-Exporter(label, context_value, key_length) =
    ///  HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length)`
    /// into `out` (RFC 8446 §7.5). `None` and an empty context give the same value in TLS 1.3.
    ///
    /// # Errors
    /// `ApiMisuse::InvalidExporterRequest` for a label over 249 bytes or `out` over 65535 bytes
    /// (the HkdfLabel fields), or more output than HKDF can give (255 × Hash.length).
    pub fn export(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let crypto = self.secret.crypto;
        let derived = self.secret.derive_empty(label)?;
        let context_hash = crypto.hash.hash(context.unwrap_or_default());
        hkdf_expand_label(
            crypto.hkdf,
            derived.bytes.as_bytes(),
            b"exporter",
            context_hash.as_ref(),
            out,
        )
        .map_err(|e| match e {
            // HKDF refuses L > 255 * HashLen: that too is the caller asking for too much.
            Error::Internal(_) => Error::ApiMisuse(ApiMisuse::InvalidExporterRequest),
            e => e,
        })
    }

    /// Logs as `EXPORTER_SECRET` (or `EARLY_EXPORTER_SECRET`).
    pub fn log_to(&self, visitor: &mut dyn KeyLogVisitor) {
        let label = if self.early {
            KeyLogLabel::EarlyExporterSecret
        } else {
            KeyLogLabel::ExporterSecret
        };
        visitor.visit(label, self.secret.bytes.as_bytes());
    }
}

impl fmt::Debug for ExporterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.secret.redacted(f, "ExporterSecret")
    }
}

/// `resumption_master_secret` (RFC 8446 §7.1): the server keeps it to issue tickets, the client
/// to turn received tickets into PSKs.
pub struct ResumptionMasterSecret(Secret);

impl ResumptionMasterSecret {
    /// The PSK of the ticket with `ticket_nonce` (RFC 8446 §4.6.1):
    /// `HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length)`.
    /// Returned as raw secret bytes because the session store keeps it.
    ///
    /// # Errors
    /// A nonce longer than 255 bytes (the decoder already enforces `opaque ticket_nonce<0..255>`);
    /// provider failure.
    pub fn ticket_psk(&self, ticket_nonce: &[u8]) -> Result<SecretBytes, Error> {
        self.0
            .expand_label(b"resumption", ticket_nonce)
            .map(|s| s.bytes)
    }
}

impl fmt::Debug for ResumptionMasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.redacted(f, "ResumptionMasterSecret")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::aws_lc::default_provider;
    use crate::testdata::hex;
    use crate::testdata::rfc8448;
    use crate::transcript::Transcript;

    fn sha256() -> Tls13Crypto {
        Tls13Crypto::new(&default_provider(), HashAlgorithm::Sha256)
    }

    /// verify_data of a Finished message vector (strip the 4-byte handshake header).
    fn verify_data(name: &str) -> Vec<u8> {
        let msg = rfc8448(name);
        assert_eq!(msg[0], 20, "{name} is a Finished");
        msg[4..].to_vec()
    }

    fn assert_keys(keys: &TrafficKeys, prefix: &str) {
        assert_eq!(
            keys.key(),
            rfc8448(&format!("{prefix}_key")),
            "{prefix}_key"
        );
        assert_eq!(keys.iv(), rfc8448(&format!("{prefix}_iv")), "{prefix}_iv");
    }

    /// RFC 8448 §3 (simple 1-RTT handshake): every secret, key, IV and both Finished.
    #[test]
    fn rfc8448_section3_full_schedule() {
        let crypto = sha256();
        let aead = AeadAlgorithm::Aes128Gcm;
        let mut transcript = Transcript::new();

        // Early Secret, no PSK.
        let early = EarlySecret::new(crypto, None);
        assert_eq!(early.0.bytes.as_bytes(), rfc8448("s3.early_secret"));
        assert_eq!(
            early.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
            rfc8448("s3.derived_for_handshake")
        );

        // Handshake Secret from the X25519 shared secret.
        let hs = early
            .into_handshake(&SharedSecret::new(rfc8448("s3.shared_secret")))
            .unwrap();
        assert_eq!(hs.0.bytes.as_bytes(), rfc8448("s3.handshake_secret"));

        transcript.add(&rfc8448("s3.client_hello"));
        transcript.start_hash(crypto.hash).unwrap();
        transcript.add(&rfc8448("s3.server_hello"));
        let ch_sh = transcript.current_hash().unwrap();
        assert_eq!(ch_sh.as_ref(), rfc8448("s3.transcript_hash_ch_sh"));

        let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
        let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
        assert_eq!(
            c_hs.secret.bytes.as_bytes(),
            rfc8448("s3.client_handshake_traffic_secret")
        );
        assert_eq!(
            s_hs.secret.bytes.as_bytes(),
            rfc8448("s3.server_handshake_traffic_secret")
        );
        assert_eq!(
            (c_hs.sender(), s_hs.sender()),
            (Sender::Client, Sender::Server)
        );
        assert_keys(&s_hs.traffic_keys(aead).unwrap(), "s3.server_handshake");
        assert_keys(&c_hs.traffic_keys(aead).unwrap(), "s3.client_handshake");

        // Server Finished over ClientHello..CertificateVerify (RFC 8446 §4.4.4).
        for m in [
            "s3.encrypted_extensions",
            "s3.certificate",
            "s3.certificate_verify",
        ] {
            transcript.add(&rfc8448(m));
        }
        let ch_cv = transcript.current_hash().unwrap();
        assert_eq!(
            s_hs.secret.finished_key().unwrap().bytes.as_bytes(),
            rfc8448("s3.server_finished_key")
        );
        let server_vd = verify_data("s3.server_finished");
        assert_eq!(s_hs.compute_finished(&ch_cv).unwrap().as_ref(), server_vd);
        assert!(s_hs.verify_finished(&ch_cv, &server_vd).is_ok());

        // Client Finished over ClientHello..server Finished.
        transcript.add(&rfc8448("s3.server_finished"));
        let ch_sf = transcript.current_hash().unwrap();
        assert_eq!(ch_sf.as_ref(), rfc8448("s3.transcript_hash_ch_sf"));
        assert_eq!(
            c_hs.secret.finished_key().unwrap().bytes.as_bytes(),
            rfc8448("s3.client_finished_key")
        );
        let client_vd = verify_data("s3.client_finished");
        assert_eq!(c_hs.compute_finished(&ch_sf).unwrap().as_ref(), client_vd);
        assert!(c_hs.verify_finished(&ch_sf, &client_vd).is_ok());

        // Master Secret and what comes from it.
        assert_eq!(
            hs.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
            rfc8448("s3.derived_for_master")
        );
        let master = hs.into_master().unwrap();
        assert_eq!(master.0.bytes.as_bytes(), rfc8448("s3.master_secret"));
        let c_ap = master.client_application_traffic_secret(&ch_sf).unwrap();
        let s_ap = master.server_application_traffic_secret(&ch_sf).unwrap();
        let exporter = master.exporter_master_secret(&ch_sf).unwrap();
        assert_eq!(
            c_ap.secret.bytes.as_bytes(),
            rfc8448("s3.client_application_traffic_secret")
        );
        assert_eq!(
            s_ap.secret.bytes.as_bytes(),
            rfc8448("s3.server_application_traffic_secret")
        );
        assert_eq!(
            exporter.secret.bytes.as_bytes(),
            rfc8448("s3.exporter_master_secret")
        );
        assert!(!exporter.is_early());
        assert_keys(&s_ap.traffic_keys(aead).unwrap(), "s3.server_application");
        assert_keys(&c_ap.traffic_keys(aead).unwrap(), "s3.client_application");

        // Resumption master secret over ClientHello..client Finished, and the ticket PSK
        // (ticket_nonce 00 00, RFC 8446 §4.6.1).
        transcript.add(&rfc8448("s3.client_finished"));
        let ch_cf = transcript.current_hash().unwrap();
        assert_eq!(ch_cf.as_ref(), rfc8448("s3.transcript_hash_ch_cf"));
        let res = master.into_resumption_master_secret(&ch_cf).unwrap();
        assert_eq!(
            res.0.bytes.as_bytes(),
            rfc8448("s3.resumption_master_secret")
        );
        assert_eq!(
            res.ticket_psk(&[0, 0]).unwrap().as_bytes(),
            rfc8448("s3.resumption_psk")
        );
        assert_ne!(
            res.ticket_psk(&[0, 1]).unwrap().as_bytes(),
            rfc8448("s3.resumption_psk")
        );

        // Key log: each secret under its own NSS label.
        let mut logged: Vec<(KeyLogLabel, Vec<u8>)> = Vec::new();
        let mut visitor = |label: KeyLogLabel, secret: &[u8]| logged.push((label, secret.to_vec()));
        c_hs.log_to(&mut visitor);
        s_hs.log_to(&mut visitor);
        c_ap.log_to(&mut visitor);
        s_ap.log_to(&mut visitor);
        exporter.log_to(&mut visitor);
        assert_eq!(
            logged,
            vec![
                (
                    KeyLogLabel::ClientHandshakeTrafficSecret,
                    rfc8448("s3.client_handshake_traffic_secret")
                ),
                (
                    KeyLogLabel::ServerHandshakeTrafficSecret,
                    rfc8448("s3.server_handshake_traffic_secret")
                ),
                (
                    KeyLogLabel::ClientTrafficSecret0,
                    rfc8448("s3.client_application_traffic_secret")
                ),
                (
                    KeyLogLabel::ServerTrafficSecret0,
                    rfc8448("s3.server_application_traffic_secret")
                ),
                (
                    KeyLogLabel::ExporterSecret,
                    rfc8448("s3.exporter_master_secret")
                ),
            ]
        );
    }

    /// RFC 8446 §4.4.4: a Finished that does not match MUST be rejected (decrypt_error).
    #[test]
    fn finished_mismatch_is_rejected_rfc8446_4_4_4() {
        let crypto = sha256();
        let hs = EarlySecret::new(crypto, None)
            .into_handshake(&SharedSecret::new(rfc8448("s3.shared_secret")))
            .unwrap();
        let mut transcript = Transcript::with_hash(crypto.hash);
        for m in [
            "s3.client_hello",
            "s3.server_hello",
            "s3.encrypted_extensions",
            "s3.certificate",
            "s3.certificate_verify",
        ] {
            transcript.add(&rfc8448(m));
        }
        let ch_sh = {
            let mut t = Transcript::with_hash(crypto.hash);
            t.add(&rfc8448("s3.client_hello"));
            t.add(&rfc8448("s3.server_hello"));
            t.current_hash().unwrap()
        };
        let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
        let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
        let ch_cv = transcript.current_hash().unwrap();
        let good = verify_data("s3.server_finished");
        let incorrect = Err(Error::PeerMisbehaved(PeerMisbehaved::IncorrectFinished));

        let mut flipped = good.clone();
        flipped[31] ^= 0x80;
        assert_eq!(
            s_hs.verify_finished(&ch_cv, &flipped).map(|_| ()),
            incorrect
        );
        assert_eq!(
            s_hs.verify_finished(&ch_cv, &good[..31]).map(|_| ()),
            incorrect
        );
        assert_eq!(s_hs.verify_finished(&ch_cv, &[]).map(|_| ()), incorrect);
        // The other side's secret, or the wrong transcript hash, does not verify.
        assert_eq!(c_hs.verify_finished(&ch_cv, &good).map(|_| ()), incorrect);
        assert_eq!(s_hs.verify_finished(&ch_sh, &good).map(|_| ()), incorrect);
    }

    /// RFC 8448 §5 (HelloRetryRequest): the transcript replaces ClientHello1 with message_hash
    /// (RFC 8446 §4.4.1); the rest of the schedule follows from it.
    #[test]
    fn rfc8448_section5_hello_retry_request() {
        let crypto = sha256();
        let aead = AeadAlgorithm::Aes128Gcm;
        let mut transcript = Transcript::new();
        transcript.add(&rfc8448("s5.client_hello_1"));
        // The client learns the suite from the HRR.
        transcript.start_hash(crypto.hash).unwrap();
        transcript.rollup_for_hrr().unwrap();
        for m in [
            "s5.hello_retry_request",
            "s5.client_hello_2",
            "s5.server_hello",
        ] {
            transcript.add(&rfc8448(m));
        }
        let ch_sh = transcript.current_hash().unwrap();
        assert_eq!(ch_sh.as_ref(), rfc8448("s5.transcript_hash_ch1_sh"));

        let early = EarlySecret::new(crypto, None);
        assert_eq!(early.0.bytes.as_bytes(), rfc8448("s5.early_secret"));
        let hs = early
            .into_handshake(&SharedSecret::new(rfc8448("s5.shared_secret")))
            .unwrap();
        assert_eq!(hs.0.bytes.as_bytes(), rfc8448("s5.handshake_secret"));
        let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
        let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
        assert_eq!(
            c_hs.secret.bytes.as_bytes(),
            rfc8448("s5.client_handshake_traffic_secret")
        );
        assert_eq!(
            s_hs.secret.bytes.as_bytes(),
            rfc8448("s5.server_handshake_traffic_secret")
        );
        assert_keys(&s_hs.traffic_keys(aead).unwrap(), "s5.server_handshake");
        assert_keys(&c_hs.traffic_keys(aead).unwrap(), "s5.client_handshake");

        for m in [
            "s5.encrypted_extensions",
            "s5.certificate",
            "s5.certificate_verify",
        ] {
            transcript.add(&rfc8448(m));
        }
        let ch_cv = transcript.current_hash().unwrap();
        assert!(s_hs
            .verify_finished(&ch_cv, &verify_data("s5.server_finished"))
            .is_ok());
        transcript.add(&rfc8448("s5.server_finished"));
        let ch_sf = transcript.current_hash().unwrap();
        assert_eq!(
            c_hs.compute_finished(&ch_sf).unwrap().as_ref(),
            verify_data("s5.client_finished")
        );

        let master = hs.into_master().unwrap();
        assert_eq!(master.0.bytes.as_bytes(), rfc8448("s5.master_secret"));
        let c_ap = master.client_application_traffic_secret(&ch_sf).unwrap();
        let s_ap = master.server_application_traffic_secret(&ch_sf).unwrap();
        assert_keys(&c_ap.traffic_keys(aead).unwrap(), "s5.client_application");
        assert_keys(&s_ap.traffic_keys(aead).unwrap(), "s5.server_application");
        assert_eq!(
            master
                .exporter_master_secret(&ch_sf)
                .unwrap()
                .secret
                .bytes
                .as_bytes(),
            rfc8448("s5.exporter_master_secret")
        );
        transcript.add(&rfc8448("s5.client_finished"));
        let ch_cf = transcript.current_hash().unwrap();
        assert_eq!(ch_cf.as_ref(), rfc8448("s5.transcript_hash_ch1_cf"));
        assert_eq!(
            master
                .into_resumption_master_secret(&ch_cf)
                .unwrap()
                .0
                .bytes
                .as_bytes(),
            rfc8448("s5.resumption_master_secret")
        );
    }

    /// RFC 8448 §4 (resumed 0-RTT handshake): ticket PSK from §3, early secret, "res binder"
    /// binder over the ClientHello prefix (RFC 8446 §4.2.11.2), early traffic and exporter
    /// secrets, then the rest of the PSK-DHE schedule.
    #[test]
    fn rfc8448_section4_resumption_binder_and_early_data() {
        let crypto = sha256();
        let aead = AeadAlgorithm::Aes128Gcm;

        // The PSK is the §3 ticket's: HKDF-Expand-Label(res master, "resumption", 00 00).
        let res3 = ResumptionMasterSecret(Secret::new(
            crypto,
            SecretBytes::new(&rfc8448("s3.resumption_master_secret")),
        ));
        let psk = res3.ticket_psk(&[0, 0]).unwrap();
        assert_eq!(psk.as_bytes(), rfc8448("s4.psk"));

        let early = EarlySecret::new(crypto, Some(psk.as_bytes()));
        assert_eq!(early.0.bytes.as_bytes(), rfc8448("s4.early_secret"));

        // Binder over the ClientHello up to the binders list.
        let prefix = rfc8448("s4.client_hello_prefix");
        let mut transcript = Transcript::new();
        let binder_hash = transcript.hash_with_suffix(crypto.hash, &prefix).unwrap();
        assert_eq!(binder_hash.as_ref(), rfc8448("s4.binder_hash"));
        let binder_key = early.binder_key(PskKind::Resumption).unwrap();
        assert_eq!(binder_key.0.bytes.as_bytes(), rfc8448("s4.binder_key"));
        assert_eq!(
            binder_key.0.finished_key().unwrap().bytes.as_bytes(),
            rfc8448("s4.binder_finished_key")
        );
        let binder = rfc8448("s4.binder");
        assert_eq!(
            binder_key.compute_binder(&binder_hash).unwrap().as_ref(),
            binder
        );
        assert!(binder_key.verify_binder(&binder_hash, &binder).is_ok());
        assert!(early
            .binder_key(PskKind::External)
            .unwrap()
            .verify_binder(&binder_hash, &binder)
            .is_err());
        // The full ClientHello is the prefix followed by the binders list carrying that binder.
        let ch = rfc8448("s4.client_hello");
        assert!(ch.starts_with(&prefix));
        assert!(ch.ends_with(&binder));

        // 0-RTT secrets over the whole ClientHello.
        transcript.add(&ch);
        transcript.start_hash(crypto.hash).unwrap();
        let ch_hash = transcript.current_hash().unwrap();
        let cets = early.client_early_traffic_secret(&ch_hash).unwrap();
        assert_eq!(
            cets.0.bytes.as_bytes(),
            rfc8448("s4.client_early_traffic_secret")
        );
        assert_keys(&cets.traffic_keys(aead).unwrap(), "s4.client_early");
        assert_eq!(
            early
                .early_exporter_master_secret(&ch_hash)
                .unwrap()
                .secret
                .bytes
                .as_bytes(),
            rfc8448("s4.early_exporter_master_secret")
        );

        // PSK-DHE handshake secret.
        assert_eq!(
            early.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
            rfc8448("s4.derived_for_handshake")
        );
        let hs = early
            .into_handshake(&SharedSecret::new(rfc8448("s4.shared_secret")))
            .unwrap();
        assert_eq!(hs.0.bytes.as_bytes(), rfc8448("s4.handshake_secret"));
        transcript.add(&rfc8448("s4.server_hello"));
        let ch_sh = transcript.current_hash().unwrap();
        assert_eq!(ch_sh.as_ref(), rfc8448("s4.transcript_hash_ch_sh"));
        let c_hs = hs.client_handshake_traffic_secret(&ch_sh).unwrap();
        let s_hs = hs.server_handshake_traffic_secret(&ch_sh).unwrap();
        assert_eq!(
            c_hs.secret.bytes.as_bytes(),
            rfc8448("s4.client_handshake_traffic_secret")
        );
        assert_eq!(
            s_hs.secret.bytes.as_bytes(),
            rfc8448("s4.server_handshake_traffic_secret")
        );
        assert_keys(&s_hs.traffic_keys(aead).unwrap(), "s4.server_handshake");
        assert_keys(&c_hs.traffic_keys(aead).unwrap(), "s4.client_handshake");

        // No Certificate/CertificateVerify with a PSK: server Finished over CH..EE.
        transcript.add(&rfc8448("s4.encrypted_extensions"));
        let ch_ee = transcript.current_hash().unwrap();
        assert_eq!(
            s_hs.secret.finished_key().unwrap().bytes.as_bytes(),
            rfc8448("s4.server_finished_key")
        );
        assert!(s_hs
            .verify_finished(&ch_ee, &verify_data("s4.server_finished"))
            .is_ok());
        transcript.add(&rfc8448("s4.server_finished"));
        let ch_sf = transcript.current_hash().unwrap();
        assert_eq!(ch_sf.as_ref(), rfc8448("s4.transcript_hash_ch_sf"));

        assert_eq!(
            hs.0.derive_empty(b"derived").unwrap().bytes.as_bytes(),
            rfc8448("s4.derived_for_master")
        );
        let master = hs.into_master().unwrap();
        assert_eq!(master.0.bytes.as_bytes(), rfc8448("s4.master_secret"));
        let c_ap = master.client_application_traffic_secret(&ch_sf).unwrap();
        let s_ap = master.server_application_traffic_secret(&ch_sf).unwrap();
        assert_eq!(
            c_ap.secret.bytes.as_bytes(),
            rfc8448("s4.client_application_traffic_secret")
        );
        assert_eq!(
            s_ap.secret.bytes.as_bytes(),
            rfc8448("s4.server_application_traffic_secret")
        );
        assert_eq!(
            master
                .exporter_master_secret(&ch_sf)
                .unwrap()
                .secret
                .bytes
                .as_bytes(),
            rfc8448("s4.exporter_master_secret")
        );
        assert_keys(&s_ap.traffic_keys(aead).unwrap(), "s4.server_application");
        assert_keys(&c_ap.traffic_keys(aead).unwrap(), "s4.client_application");

        // Client Finished over CH..EndOfEarlyData.
        transcript.add(&rfc8448("s4.end_of_early_data"));
        let ch_eoed = transcript.current_hash().unwrap();
        assert_eq!(
            c_hs.secret.finished_key().unwrap().bytes.as_bytes(),
            rfc8448("s4.client_finished_key")
        );
        assert_eq!(
            c_hs.compute_finished(&ch_eoed).unwrap().as_ref(),
            verify_data("s4.client_finished")
        );
        transcript.add(&rfc8448("s4.client_finished"));
        let ch_cf = transcript.current_hash().unwrap();
        assert_eq!(ch_cf.as_ref(), rfc8448("s4.transcript_hash_ch_cf"));
        let res = master.into_resumption_master_secret(&ch_cf).unwrap();
        assert_eq!(
            res.0.bytes.as_bytes(),
            rfc8448("s4.resumption_master_secret")
        );
    }

    // KeyUpdate and exporter values below were computed once, independently, with Python's
    // `hmac`/`hashlib` implementing HKDF-Expand (RFC 5869) and HKDF-Expand-Label (RFC 8446 §7.1)
    // in a few lines, starting from the RFC 8448 §3 client_application_traffic_secret_0 and
    // exporter_master_secret.

    /// RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(N, "traffic upd", "", Hash.length).
    #[test]
    fn key_update_rfc8446_7_2() {
        let crypto = sha256();
        let secret = ApplicationTrafficSecret {
            secret: Secret::new(
                crypto,
                SecretBytes::new(&rfc8448("s3.client_application_traffic_secret")),
            ),
            sender: Sender::Client,
            generation: 0,
        };
        let next = secret.into_next().unwrap();
        assert_eq!(next.generation(), 1);
        assert_eq!(
            next.secret.bytes.as_bytes(),
            hex("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207")
        );
        let keys = next.traffic_keys(AeadAlgorithm::Aes128Gcm).unwrap();
        assert_eq!(keys.key(), hex("3879d82f5f14056e623f2ce5bfc66fce"));
        assert_eq!(keys.iv(), hex("5dfb2c5938c3379b6cc5d1f2"));

        // Generation 1 has no NSS label: nothing is logged.
        let mut count = 0;
        next.log_to(&mut |_: KeyLogLabel, _: &[u8]| count += 1);
        assert_eq!(count, 0);

        let next = next.into_next().unwrap();
        assert_eq!(next.generation(), 2);
        assert_eq!(
            next.secret.bytes.as_bytes(),
            hex("68474fe58c172143d0a009a76edd231b0d934f3058588ea0852662279e54a573")
        );
    }

    /// RFC 8446 §7.5 TLS-Exporter.
    #[test]
    fn exporter_rfc8446_7_5() {
        let exporter = ExporterSecret {
            secret: Secret::new(
                sha256(),
                SecretBytes::new(&rfc8448("s3.exporter_master_secret")),
            ),
            early: false,
        };
        let label = b"EXPERIMENTAL clasp";
        let mut out = [0u8; 32];
        exporter
            .export(label, Some(b"context value"), &mut out)
            .unwrap();
        assert_eq!(
            out.as_slice(),
            hex("61316d3f9d0ae912ed6a6e91728205d4c77c2263c81eca3e1ea5bad6b84a2beb")
        );
        // No context and an empty context are the same in TLS 1.3.
        let mut a = [0u8; 20];
        let mut b = [0u8; 20];
        exporter.export(label, None, &mut a).unwrap();
        exporter.export(label, Some(b""), &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.as_slice(),
            hex("640c2069cb8add4d91fdbdfd950a82d867d46644")
        );

        let misuse = Err(Error::ApiMisuse(ApiMisuse::InvalidExporterRequest));
        assert_eq!(exporter.export(&[b'x'; 250], None, &mut a), misuse);
        let mut too_long = vec![0u8; 255 * 32 + 1];
        assert_eq!(exporter.export(label, None, &mut too_long), misuse);
        let mut max = vec![0u8; 255 * 32];
        assert!(exporter.export(label, None, &mut max).is_ok());
    }

    #[test]
    fn hkdf_expand_label_rejects_oversized_fields() {
        let hkdf = sha256().hkdf;
        let secret = [1u8; 32];
        let mut out = [0u8; 16];
        assert!(hkdf_expand_label(hkdf, &secret, &[b'a'; 249], &[], &mut out).is_ok());
        assert!(hkdf_expand_label(hkdf, &secret, &[b'a'; 250], &[], &mut out).is_err());
        assert!(hkdf_expand_label(hkdf, &secret, b"key", &[0; 256], &mut out).is_err());
        let mut big = vec![0u8; 70_000];
        assert!(hkdf_expand_label(hkdf, &secret, b"key", &[], &mut big).is_err());
    }

    /// PSK binders and early secrets (RFC 8446 §4.2.11.2, §7.1): with an external PSK the binder
    /// computed by a client verifies on the server, and any change breaks it.
    #[test]
    fn binder_round_trip_and_tamper() {
        let crypto = sha256();
        let psk = [7u8; 32];
        let early = EarlySecret::new(crypto, Some(&psk));
        let partial_ch = b"\x01\x00\x01\x00 truncated ClientHello";
        let t = Transcript::new();
        let hash = t.hash_with_suffix(crypto.hash, partial_ch).unwrap();
        let ext = early.binder_key(PskKind::External).unwrap();
        let res = early.binder_key(PskKind::Resumption).unwrap();
        let binder = ext.compute_binder(&hash).unwrap();
        assert_eq!(binder.as_ref().len(), 32);
        assert!(ext.verify_binder(&hash, binder.as_ref()).is_ok());
        // "ext binder" and "res binder" keys differ, so the wrong kind does not verify.
        let bad = Err(Error::PeerMisbehaved(PeerMisbehaved::BadBinder));
        assert_eq!(res.verify_binder(&hash, binder.as_ref()).map(|_| ()), bad);
        let mut flipped = binder.as_ref().to_vec();
        flipped[0] ^= 1;
        assert_eq!(ext.verify_binder(&hash, &flipped).map(|_| ()), bad);
        // A different PSK gives a different early secret and binder.
        let other = EarlySecret::new(crypto, Some(&[8u8; 32]));
        assert_ne!(other.0.bytes.as_bytes(), early.0.bytes.as_bytes());
    }

    #[test]
    fn secrets_debug_shows_no_key_bytes() {
        let crypto = sha256();
        let early = EarlySecret::new(crypto, None);
        let ch = HashOutput::new(&[0x11; 32]);
        let binder = early.binder_key(PskKind::Resumption).unwrap();
        let cets = early.client_early_traffic_secret(&ch).unwrap();
        let eems = early.early_exporter_master_secret(&ch).unwrap();
        let mut dumps = vec![
            (format!("{early:?}"), early.0.bytes.as_bytes().to_vec()),
            (format!("{binder:?}"), binder.0.bytes.as_bytes().to_vec()),
            (format!("{cets:?}"), cets.0.bytes.as_bytes().to_vec()),
            (format!("{eems:?}"), eems.secret.bytes.as_bytes().to_vec()),
        ];
        let hs = early
            .into_handshake(&SharedSecret::new(rfc8448("s3.shared_secret")))
            .unwrap();
        let c_hs = hs.client_handshake_traffic_secret(&ch).unwrap();
        dumps.push((format!("{hs:?}"), hs.0.bytes.as_bytes().to_vec()));
        dumps.push((format!("{c_hs:?}"), c_hs.secret.bytes.as_bytes().to_vec()));
        let keys = c_hs.traffic_keys(AeadAlgorithm::Aes128Gcm).unwrap();
        dumps.push((format!("{keys:?}"), keys.key().to_vec()));
        let master = hs.into_master().unwrap();
        let s_ap = master.server_application_traffic_secret(&ch).unwrap();
        let exp = master.exporter_master_secret(&ch).unwrap();
        dumps.push((format!("{master:?}"), master.0.bytes.as_bytes().to_vec()));
        dumps.push((format!("{s_ap:?}"), s_ap.secret.bytes.as_bytes().to_vec()));
        dumps.push((format!("{exp:?}"), exp.secret.bytes.as_bytes().to_vec()));
        let res = master.into_resumption_master_secret(&ch).unwrap();
        dumps.push((format!("{res:?}"), res.0.bytes.as_bytes().to_vec()));

        for (dbg, bytes) in dumps {
            assert!(dbg.contains("redacted"), "{dbg}");
            let lower: String = bytes[..4].iter().map(|b| format!("{b:02x}")).collect();
            let upper = lower.to_uppercase();
            let decimal = format!("{}, {}", bytes[0], bytes[1]);
            assert!(
                !dbg.contains(&lower) && !dbg.contains(&upper) && !dbg.contains(&decimal),
                "{dbg} leaks {lower}"
            );
        }
    }

    #[test]
    fn early_secrets_are_logged_under_their_labels() {
        let early = EarlySecret::new(sha256(), Some(&[7u8; 32]));
        let ch = HashOutput::new(&[0x22; 32]);
        let cets = early.client_early_traffic_secret(&ch).unwrap();
        let eems = early.early_exporter_master_secret(&ch).unwrap();
        assert!(eems.is_early());
        let mut labels = Vec::new();
        cets.log_to(&mut |l: KeyLogLabel, s: &[u8]| labels.push((l, s.len())));
        eems.log_to(&mut |l: KeyLogLabel, s: &[u8]| labels.push((l, s.len())));
        assert_eq!(
            labels,
            vec![
                (KeyLogLabel::ClientEarlyTrafficSecret, 32),
                (KeyLogLabel::EarlyExporterSecret, 32)
            ]
        );
        // c e traffic and e exp master are different derivations.
        assert_ne!(cets.0.bytes.as_bytes(), eems.secret.bytes.as_bytes());
    }

    /// The constants the schedule uses instead of recomputing are what the provider computes:
    /// Hash("") per suite hash, and with no PSK the Early Secret HKDF-Extract(0, 0) and its
    /// Derive-Secret(., "derived", "") (RFC 8446 §7.1); the SHA-256 ones are RFC 8448 §3's.
    #[test]
    fn no_psk_secrets_match_the_schedule() {
        let provider = default_provider();
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let crypto = Tls13Crypto::new(&provider, alg);
            assert_eq!(
                empty_hash(alg).as_ref(),
                crypto.hash.hash(&[]).as_ref(),
                "{alg:?}"
            );
            let zeros = vec![0u8; alg.output_len()];
            let early = crypto.hkdf.extract(&zeros, &zeros);
            assert_eq!(early.as_bytes(), no_psk_early_secret(alg), "{alg:?}");
            let early_secret = EarlySecret::new(crypto, None);
            assert_eq!(early_secret.0.bytes.as_bytes(), early.as_bytes());
            let mut derived = vec![0u8; alg.output_len()];
            hkdf_expand_label(
                crypto.hkdf,
                early.as_bytes(),
                b"derived",
                crypto.hash.hash(&[]).as_ref(),
                &mut derived,
            )
            .unwrap();
            assert_eq!(derived, no_psk_derived_secret(alg), "{alg:?}");
            // The shortcut and the general path give the same Handshake Secret.
            let ss = SharedSecret::new(vec![0x42; 32]);
            let general = early_secret.0.next_stage(ss.as_bytes()).unwrap();
            let fast = EarlySecret::new(crypto, None).into_handshake(&ss).unwrap();
            assert_eq!(fast.0.bytes.as_bytes(), general.bytes.as_bytes());
        }
        assert_eq!(
            no_psk_early_secret(HashAlgorithm::Sha256),
            rfc8448("s3.early_secret")
        );
    }

    /// A keyed secret (one HMAC key for several expansions) derives exactly what the one-shot
    /// HKDF-Expand-Label derives, for every derivation the schedule makes from it.
    #[test]
    fn keyed_secret_derives_the_same() {
        let provider = default_provider();
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let crypto = Tls13Crypto::new(&provider, alg);
            let bytes = vec![0x5a; alg.output_len()];
            let plain = Secret::new(crypto, SecretBytes::new(&bytes));
            let keyed = Secret::new(crypto, SecretBytes::new(&bytes))
                .keyed()
                .unwrap();
            assert!(keyed.expander.is_some() && plain.expander.is_none());
            let th = crypto.hash.hash(b"transcript");
            for label in [
                &b"c hs traffic"[..],
                b"s ap traffic",
                b"derived",
                b"res master",
            ] {
                assert_eq!(
                    keyed.derive(label, &th).unwrap().bytes.as_bytes(),
                    plain.derive(label, &th).unwrap().bytes.as_bytes()
                );
            }
            for aead in [AeadAlgorithm::Aes128Gcm, AeadAlgorithm::Aes256Gcm] {
                let (a, b) = (
                    keyed.traffic_keys(aead).unwrap(),
                    plain.traffic_keys(aead).unwrap(),
                );
                assert_eq!((a.key(), a.iv()), (b.key(), b.iv()));
            }
            assert_eq!(
                keyed.finished_mac(&th).unwrap().as_ref(),
                plain.finished_mac(&th).unwrap().as_ref()
            );
            let mac = plain.finished_mac(&th).unwrap();
            assert!(keyed.verify_finished_mac(&th, mac.as_ref()).unwrap());
            let mut bad = mac.as_ref().to_vec();
            bad[0] ^= 1;
            assert!(!keyed.verify_finished_mac(&th, &bad).unwrap());
            // Oversized fields are refused on the keyed path too.
            let mut out = [0u8; 32];
            assert!(keyed
                .expand_label_into(&[b'a'; 250], &[], &mut out)
                .is_err());
            assert!(keyed
                .expand_label_into(b"key", &[0; 256], &mut out)
                .is_err());
        }
    }
}
