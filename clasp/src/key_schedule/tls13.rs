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
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerMisbehaved};

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
        // The error is built only on failure: `.ok_or(Error)` built and dropped one six times
        // per expansion (about 6.5 k instructions per handshake, callgrind).
        let Some(dst) = hkdf_label.get_mut(at..end) else {
            return Err(ApiMisuse::InvalidExporterRequest.into());
        };
        dst.copy_from_slice(piece);
        at = end;
    }
    let Some(hkdf_label) = hkdf_label.get(..at) else {
        return Err(ApiMisuse::InvalidExporterRequest.into());
    };
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
            self.crypto
                .hkdf
                .extract(derived.bytes.as_bytes(), ikm)
                .into(),
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
        // RFC 8446 §4.4.4: verify_data is Hash.length bytes; any other length is a malformed
        // message (`decode_error`), not a wrong MAC (`decrypt_error`). The length is public.
        if verify_data.len() != transcript_hash.as_ref().len() {
            return Err(InvalidMessage::InvalidLength("Finished.verify_data").into());
        }
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
                    Secret::new(crypto, crypto.hkdf.extract(zeros, psk).into()),
                    Psk::Present,
                )
            }
        }
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
    #[cfg(test)]
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
                Secret::new(
                    crypto,
                    crypto.hkdf.extract(salt, shared_secret.as_bytes()).into(),
                )
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
    #[cfg(test)]
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
    /// N in `application_traffic_secret_N`: how many KeyUpdates led here.
    #[must_use]
    #[cfg(test)]
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
    #[cfg(test)]
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
    pub(crate) fn ticket_psk(&self, ticket_nonce: &[u8]) -> Result<SecretBytes, Error> {
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
mod tests;
