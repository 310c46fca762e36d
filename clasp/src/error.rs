//! Errors: one typed enum, and the single place that maps an error to the alert we send.
//!
//! Call sites return errors; they never choose alerts. `impl From<&Error> for AlertDescription`
//! below is the only mapping (STYLE: "choose the alert in exactly one place").

use core::fmt;

use crate::msgs::enums::{AlertDescription, ContentType, HandshakeType};

/// Everything that can go wrong in clasp.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The peer sent bytes that do not decode.
    InvalidMessage(InvalidMessage),
    /// A message arrived that is not allowed in the current state.
    InappropriateMessage {
        /// What the state machine was waiting for.
        expected: &'static [ContentType],
        /// What arrived.
        got: ContentType,
    },
    /// A handshake message arrived that is not allowed in the current state.
    InappropriateHandshakeMessage {
        /// What the state machine was waiting for.
        expected: &'static [HandshakeType],
        /// What arrived.
        got: HandshakeType,
    },
    /// The peer broke a protocol rule.
    PeerMisbehaved(PeerMisbehaved),
    /// The peer is well-behaved but we share no parameters with it.
    PeerIncompatible(PeerIncompatible),
    /// The peer's certificate (chain) was rejected.
    InvalidCertificate(CertificateError),
    /// A record failed AEAD authentication (`bad_record_mac`).
    DecryptError,
    /// Sealing a record failed.
    EncryptError,
    /// The peer sent a fatal alert, or a warning alert that ends the connection.
    AlertReceived(AlertDescription),
    /// The transport ended without `close_notify`: the data may have been truncated by an attacker.
    UnexpectedEof,
    /// A record longer than the protocol allows.
    RecordOverflow,
    /// The caller used the API wrongly (not a peer problem).
    ApiMisuse(ApiMisuse),
    /// A bug or resource failure on our side.
    Internal(InternalError),
    /// The configuration given to a builder is unusable.
    InvalidConfig(ConfigError),
}

/// Reasons bytes failed to decode. Each maps to `decode_error` (RFC 8446 §6.2) unless noted.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidMessage {
    /// The input ended inside the named item.
    MissingData(&'static str),
    /// Bytes remained after the named item.
    TrailingData(&'static str),
    /// A length prefix is outside the RFC's bounds for the named item.
    InvalidLength(&'static str),
    /// An extension appeared twice in one message (RFC 8446 §4.2).
    DuplicateExtension(u16),
    /// A value that must not appear there (e.g. a non-null compression method).
    IllegalValue(&'static str),
    /// A record header declared a length over the limit (`record_overflow`).
    RecordTooLarge,
    /// A record with a content type we do not know.
    InvalidContentType(u8),
    /// An empty record where the RFC forbids one.
    EmptyRecord,
    /// A handshake message longer than we are willing to buffer.
    HandshakeMessageTooLarge,
    /// A change_cipher_spec record whose body is not the single byte 1.
    InvalidCcs,
    /// An alert record that is not exactly two bytes.
    InvalidAlert,
    /// The handshake data ended inside a message at a key change (RFC 8446 §5.1).
    UnalignedKeyChange,
    /// pre_shared_key is not the last ClientHello extension (RFC 8446 §4.2.11:
    /// `illegal_parameter`).
    PreSharedKeyNotLast,
    /// pre_shared_key carries a different number of binders than identities (RFC 8446 §4.2.11:
    /// each binder is for "the PSK with the same index"): a well-formed list inconsistent with
    /// another field, so `illegal_parameter` (RFC 8446 §6.2).
    PskBinderCountMismatch,
}

/// Protocol-rule violations by the peer, named as findings.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerMisbehaved {
    /// ServerHello chose a cipher suite we did not offer.
    SelectedUnofferedCipherSuite,
    /// ServerHello chose a version we did not offer.
    SelectedUnofferedVersion,
    /// ServerHello chose a group we did not offer, or a key share we did not send.
    SelectedUnofferedGroup,
    /// ServerHello carried an extension we did not offer (RFC 8446 §4.1.3).
    UnsolicitedExtension,
    /// ServerHello.random carries a downgrade sentinel (RFC 8446 §4.1.3).
    DowngradeAttempt,
    /// The peer's key share is malformed or an invalid group element.
    InvalidKeyShare,
    /// The legacy_session_id_echo does not match what we sent.
    SessionIdMismatch,
    /// The Finished verify_data did not match.
    IncorrectFinished,
    /// The CertificateVerify / ServerKeyExchange signature did not verify.
    BadSignature,
    /// The peer signed with a scheme we did not offer.
    UnofferedSignatureScheme,
    /// The peer signed with a scheme for another type of key than its certificate's (RFC 8446
    /// §4.4.3): `illegal_parameter`.
    SignatureSchemeMismatchesKey,
    /// A second HelloRetryRequest, or an HRR that would not change the ClientHello.
    IllegalHelloRetryRequest,
    /// A non-null compression method was selected or offered alone.
    IllegalCompression,
    /// The peer attempted renegotiation.
    Renegotiation,
    /// Messages straddled a key change (RFC 8446 §5.1).
    KeyChangeNotOnRecordBoundary,
    /// The peer sent no certificate where one is required.
    NoCertificate,
    /// A ChangeCipherSpec where none is allowed.
    IllegalChangeCipherSpec,
    /// A required extension was missing (RFC 8446 §9.2).
    MissingExtension,
    /// An extension value is illegal in this context.
    IllegalExtensionValue,
    /// The PSK binder did not verify.
    BadBinder,
    /// A TLS 1.2 renegotiation_info mismatch (RFC 5746).
    BadRenegotiationInfo,
    /// Too many consecutive records without progress (empty records, warnings, CCS).
    TooManyEmptyRecords,
    /// Too many KeyUpdates or post-handshake CertificateRequests in a row with no application
    /// data between them (32 are allowed, as in BoringSSL and rustls): each costs us work and
    /// possibly an answer, so a peer could otherwise keep us busy for free.
    TooManyPostHandshakeMessages,
    /// More than 4 warning alerts (TLS 1.2 warnings, user_canceled) in a row with nothing else
    /// between them, as BoringSSL and rustls bound them: a warning asks nothing of us, so a peer
    /// sending them in a loop only keeps us busy.
    TooManyWarningAlerts,
    /// A KeyUpdate request was malformed or arrived at an illegal point.
    IllegalKeyUpdate,
    /// The ClientHello is unusable (e.g. no key_share for TLS 1.3 after HRR).
    IllegalClientHello,
    /// The peer ignored extended_master_secret where we require it (RFC 7627).
    MissingExtendedMasterSecret,
    /// Early data arrived where it was not accepted or beyond the allowed size.
    IllegalEarlyData,
    /// A TLS 1.3 record decrypted to all zeros: no inner content type (RFC 8446 §5.4).
    NoInnerContentType,
    /// TLS 1.2: the server's end-entity key does not fit the suite it chose (RFC 5246 §7.4.2,
    /// RFC 8422 §5.3): an ECDHE_RSA suite with an ECDSA or Ed25519 key, ECDHE_ECDSA with RSA.
    /// `illegal_parameter`, as BoringSSL sends (SSL_R_WRONG_CERTIFICATE_TYPE).
    CertificateKeyMismatchesSuite,
    /// TLS 1.2: the server's ECDSA end-entity key is on a curve the client did not offer in
    /// supported_groups (RFC 4492 §5.1, §5.3). `illegal_parameter`, as BoringSSL sends
    /// (SSL_R_BAD_ECC_CERT).
    CertificateCurveNotOffered,
    /// A server that refused 0-RTT skipped more undecryptable early data than
    /// max_early_data_size allows (RFC 8446 §4.2.10): `unexpected_message`.
    TooMuchSkippedEarlyData,
    /// A ClientHello or ServerHello with legacy_version 0x0300 (SSL 3.0) or lower, whatever
    /// its supported_versions says (RFC 8446 §D.5: `protocol_version`).
    ObsoleteLegacyVersion,
    /// TLS 1.2 ServerKeyExchange DH parameters that are no group: p even or empty, or g outside
    /// 2..p-2 (RFC 5246 §7.4.3; `crypto::ffdhe::dh_group_for_params`).
    InvalidDhParams,
    /// The server accepted a PSK with a key exchange mode we did not offer: no key_share
    /// (psk_ke) when we offered only psk_dhe_ke, or a key_share when we offered only psk_ke
    /// (RFC 8446 §4.2.9, §4.2.11: "illegal_parameter").
    UnofferedPskKeyExchangeMode,
    /// A CompressedCertificate with an algorithm we did not offer in compress_certificate, or
    /// when we offered none (RFC 8879 §4; illegal_parameter, as BoringSSL).
    UnofferedCertificateCompression,
    /// A CompressedCertificate that does not decompress, or not to exactly its declared
    /// uncompressed_length, or declares more than we accept (RFC 8879 §4: "bad_certificate").
    BadCompressedCertificate,
}

/// The peer is honest but we have nothing in common.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerIncompatible {
    /// No protocol version in common.
    NoCommonVersion,
    /// No cipher suite in common.
    NoCommonCipherSuite,
    /// No key-exchange group in common.
    NoCommonGroup,
    /// No signature scheme in common with our key.
    NoCommonSignatureScheme,
    /// ALPN offered but no protocol in common (RFC 7301 §3.2).
    NoApplicationProtocol,
    /// The peer requires a client certificate and we have none, or vice versa.
    CertificateRequired,
    /// The server requires a feature we refuse (e.g. renegotiation, compression).
    UnsupportedFeature,
    /// Server has no certificate for the requested name.
    UnrecognizedName,
    /// The peer's DH parameters are not one of the RFC 7919 named groups.
    UnnamedDhGroup,
    /// The server's TLS 1.2 DH prime has `prime_bits` bits, below our 2048-bit floor
    /// (RFC 7525 §4.1).
    DhGroupTooSmall {
        /// The size of the server's prime in bits.
        prime_bits: u32,
    },
    /// The server's TLS 1.2 DH prime (`prime_bits` bits) is neither an RFC 7919 nor an RFC 3526
    /// group; we accept only those well-known safe primes (RFC 7919 §3, §5.1).
    UnknownDhGroup {
        /// The size of the server's prime in bits.
        prime_bits: u32,
    },
    /// The server authenticates with external PSKs and the client offered none it knows (or
    /// none usable with the cipher suite and PSK modes): the server has no certificate to fall
    /// back to, or was told not to (RFC 8446 §6.2 "unknown_psk_identity").
    UnknownPskIdentity,
}

/// Why a certificate was rejected, as the verifier saw it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateError {
    /// The chain does not reach a trust anchor.
    UnknownIssuer,
    /// A certificate in the chain has expired.
    Expired,
    /// A certificate in the chain is not valid yet.
    NotValidYet,
    /// The end-entity certificate is not valid for the name we connected to.
    NotValidForName {
        /// The name we asked for.
        expected: String,
        /// The names the certificate carries.
        presented: Vec<String>,
    },
    /// The certificate is not allowed for this purpose (extended key usage).
    InvalidPurpose,
    /// The certificate does not parse or uses something unsupported.
    BadEncoding,
    /// A signature in the chain is invalid.
    BadSignature,
    /// The certificate uses a key or signature algorithm we do not support.
    UnsupportedAlgorithm,
    /// The certificate was revoked.
    Revoked,
    /// The end-entity certificate's KeyUsage extension does not allow the use this handshake
    /// makes of its key (RFC 5280 §4.2.1.3; RFC 5246 §7.4.2, RFC 8446 §4.4.2.2): no
    /// digitalSignature for a signing key, no keyEncipherment for RSA key transport.
    KeyUsageForbidsUse,
    /// The server's stapled OCSP response, or its absence where the verifier requires one, is
    /// not acceptable: RFC 6066 §8, clients "MUST check the OCSP response and abort the
    /// handshake if the response is not satisfactory with bad_certificate_status_response(113)
    /// alert". clasp's own verifiers never report it (they do not judge staples, see
    /// [`crate::ocsp`]); an application verifier that does returns it.
    BadStatusResponse,
    /// Anything else the verifier reported.
    Other(String),
}

/// Ways the caller can misuse the API.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiMisuse {
    /// Application data written before the handshake may carry it.
    HandshakeNotComplete,
    /// Writing after `send_close_notify`.
    ConnectionClosed,
    /// The server name is neither a DNS name nor an IP address.
    InvalidServerName,
    /// Post-handshake client authentication was requested, but the client did not offer it
    /// (RFC 8446 §4.2.6), the connection is not TLS 1.3, or the server has no client verifier.
    PostHandshakeAuthUnavailable,
    /// An exporter was asked for too much output, with an over-long label or context, or with a
    /// label reserved for the handshake (RFC 5705 §4, RFC 8446 §7.5).
    InvalidExporterRequest,
    /// An exporter was asked of a TLS 1.2 session without the extended master secret
    /// (RFC 7627 §5.4); set `require_ems()` to refuse such peers instead.
    ExporterWithoutExtendedMasterSecret,
}

/// Failures on our side.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalError {
    /// The crypto provider failed.
    Crypto,
    /// The random source failed.
    Random,
    /// A sequence number would wrap (RFC 8446 §5.3: "MUST NOT wrap").
    SequenceNumberExhausted,
    /// Signing with our private key failed.
    SigningFailed,
    /// The state machine reached a point that should be impossible.
    Unreachable(&'static str),
    /// The server's [`crate::ocsp::OcspResponder`] refused to produce a response for this
    /// handshake (`internal_error`: it is our failure, not the peer's).
    OcspResponderFailed,
}

/// Builder validation errors.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// No protocol versions enabled.
    NoVersions,
    /// No cipher suites usable with the enabled versions.
    NoCipherSuites,
    /// No key exchange groups enabled.
    NoGroups,
    /// The private key could not be loaded or is unsupported.
    BadPrivateKey,
    /// The certificate chain is empty or unparsable.
    BadCertificateChain,
    /// A PEM file held nothing usable, or could not be read.
    Pem(String),
    /// A trust anchor could not be parsed.
    BadTrustAnchor,
    /// A shared ticket secret shorter than 32 bytes, or a rotation period of 0.
    BadTicketSecret,
    /// The private key does not belong to the end-entity certificate.
    KeyMismatch,
    /// An external PSK or PSK key exchange mode setting is unusable (the reason says which).
    BadExternalPsk(&'static str),
    /// A certificate compression list naming an algorithm clasp does not implement, or one
    /// twice (RFC 8879: zlib, brotli and zstd are implemented).
    BadCertificateCompression,
    /// An OCSP response to staple that is empty or longer than 64 KiB (RFC 6066 §8:
    /// `opaque OCSPResponse<1..2^24-1>`).
    BadOcspResponse,
    /// A client with no trust anchors, no custom verifier and no external PSK: it could never
    /// accept a server.
    NoRootCertificates,
    /// `ClientAuth::Required` with an empty root store: no client certificate could ever verify,
    /// so no client could ever connect.
    EmptyClientAuthRoots,
    /// A server with neither a certificate (chain and key, files or resolver) nor an external
    /// PSK: it could never complete a handshake.
    NoServerCertificate,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoVersions => f.write_str("no protocol versions enabled"),
            Self::NoCipherSuites => {
                f.write_str("no cipher suite is usable with the enabled protocol versions")
            }
            Self::NoGroups => f.write_str("no key exchange groups enabled"),
            Self::BadPrivateKey => {
                f.write_str("the private key could not be loaded or is of an unsupported type")
            }
            Self::BadCertificateChain => {
                f.write_str("the certificate chain is empty or does not parse as X.509")
            }
            Self::Pem(why) => write!(f, "PEM: {why}"),
            Self::BadTrustAnchor => f.write_str("a trust anchor does not parse as X.509"),
            Self::BadTicketSecret => f.write_str(
                "the shared ticket secret is shorter than 32 bytes or the rotation period is 0",
            ),
            Self::KeyMismatch => {
                f.write_str("the private key does not belong to the end-entity certificate")
            }
            Self::BadExternalPsk(why) => write!(f, "external PSK: {why}"),
            Self::BadCertificateCompression => f.write_str(
                "the certificate compression list names an algorithm twice or one clasp does \
                 not implement (zlib, brotli and zstd are)",
            ),
            Self::BadOcspResponse => {
                f.write_str("the OCSP response to staple is empty or longer than 64 KiB")
            }
            Self::NoRootCertificates => f.write_str(
                "client has no root certificates and no custom verifier: add roots \
                 (with_root_certificates, with_ca_file, with_native_roots) or a verifier",
            ),
            Self::EmptyClientAuthRoots => f.write_str(
                "client authentication is required but its root store is empty: no client \
                 certificate could verify; add the CA that issues client certificates",
            ),
            Self::NoServerCertificate => f.write_str(
                "server has no certificate and no external PSK: add one with with_single_cert, \
                 with_cert_files, with_cert_resolver or with_external_psk",
            ),
        }
    }
}

impl From<InvalidMessage> for Error {
    fn from(e: InvalidMessage) -> Self {
        Self::InvalidMessage(e)
    }
}
impl From<PeerMisbehaved> for Error {
    fn from(e: PeerMisbehaved) -> Self {
        Self::PeerMisbehaved(e)
    }
}
impl From<PeerIncompatible> for Error {
    fn from(e: PeerIncompatible) -> Self {
        Self::PeerIncompatible(e)
    }
}
impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Self::InvalidCertificate(e)
    }
}
impl From<InternalError> for Error {
    fn from(e: InternalError) -> Self {
        Self::Internal(e)
    }
}
impl From<ApiMisuse> for Error {
    fn from(e: ApiMisuse) -> Self {
        Self::ApiMisuse(e)
    }
}
impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::InvalidConfig(e)
    }
}

impl From<&Error> for AlertDescription {
    /// The alert to send for an error we detected (RFC 8446 §6.2, RFC 5246 §7.2.2).
    fn from(e: &Error) -> Self {
        use PeerMisbehaved as P;
        match e {
            Error::InvalidMessage(InvalidMessage::RecordTooLarge) | Error::RecordOverflow => {
                Self::RecordOverflow
            }
            // RFC 8446 §5: "If a TLS implementation receives an unexpected record type, it MUST
            // terminate the connection with an "unexpected_message" alert."
            //
            // RFC 8446 §5.4: Handshake or Alert records "that have a zero-length
            // TLSInnerPlaintext.content ... MUST terminate the connection with an
            // "unexpected_message" alert"; we treat the plaintext (and TLS 1.2, RFC 5246
            // §6.2.1) forms alike. RFC 8446 §5: a change_cipher_spec other than the single byte
            // 0x01 is "unexpected_message" too.
            Error::InvalidMessage(
                InvalidMessage::UnalignedKeyChange
                | InvalidMessage::InvalidContentType(_)
                | InvalidMessage::EmptyRecord
                | InvalidMessage::InvalidCcs,
            ) => Self::UnexpectedMessage,
            Error::InvalidMessage(
                InvalidMessage::PreSharedKeyNotLast | InvalidMessage::PskBinderCountMismatch,
            ) => Self::IllegalParameter,
            Error::InvalidMessage(_) => Self::DecodeError,
            Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
                Self::UnexpectedMessage
            }
            Error::DecryptError => Self::BadRecordMac,
            Error::PeerMisbehaved(p) => match p {
                P::IncorrectFinished | P::BadSignature | P::BadBinder => Self::DecryptError,
                P::MissingExtension => Self::MissingExtension,
                P::UnsolicitedExtension => Self::UnsupportedExtension,
                P::Renegotiation => Self::NoRenegotiation,
                P::KeyChangeNotOnRecordBoundary
                | P::IllegalChangeCipherSpec
                | P::TooManyEmptyRecords
                | P::TooManyPostHandshakeMessages
                | P::TooManyWarningAlerts
                | P::IllegalEarlyData
                | P::TooMuchSkippedEarlyData
                | P::NoInnerContentType => Self::UnexpectedMessage,
                P::ObsoleteLegacyVersion => Self::ProtocolVersion,
                P::BadRenegotiationInfo | P::MissingExtendedMasterSecret => Self::HandshakeFailure,
                P::NoCertificate => Self::CertificateRequired,
                P::IllegalCompression
                | P::SelectedUnofferedCipherSuite
                | P::SelectedUnofferedVersion
                | P::SelectedUnofferedGroup
                | P::DowngradeAttempt
                | P::InvalidKeyShare
                | P::SessionIdMismatch
                | P::UnofferedSignatureScheme
                | P::SignatureSchemeMismatchesKey
                | P::IllegalHelloRetryRequest
                | P::IllegalExtensionValue
                | P::IllegalKeyUpdate
                | P::CertificateKeyMismatchesSuite
                | P::CertificateCurveNotOffered
                | P::IllegalClientHello
                | P::InvalidDhParams
                | P::UnofferedPskKeyExchangeMode
                | P::UnofferedCertificateCompression => Self::IllegalParameter,
                P::BadCompressedCertificate => Self::BadCertificate,
            },
            Error::PeerIncompatible(p) => match p {
                PeerIncompatible::NoCommonVersion => Self::ProtocolVersion,
                PeerIncompatible::NoApplicationProtocol => Self::NoApplicationProtocol,
                PeerIncompatible::CertificateRequired => Self::CertificateRequired,
                PeerIncompatible::UnrecognizedName => Self::UnrecognizedName,
                // RFC 8446 §6.2: "Sent by servers when PSK key establishment is desired but no
                // acceptable PSK identity is provided by the client."
                PeerIncompatible::UnknownPskIdentity => Self::UnknownPskIdentity,
                // RFC 7919 §3: a client refusing the server's group under local policy "MAY
                // decide to terminate the connection with a fatal insufficient_security(71)".
                PeerIncompatible::UnnamedDhGroup
                | PeerIncompatible::DhGroupTooSmall { .. }
                | PeerIncompatible::UnknownDhGroup { .. } => Self::InsufficientSecurity,
                _ => Self::HandshakeFailure,
            },
            Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => Self::UnknownCa,
                CertificateError::Expired | CertificateError::NotValidYet => {
                    Self::CertificateExpired
                }
                CertificateError::Revoked => Self::CertificateRevoked,
                CertificateError::BadStatusResponse => Self::BadCertificateStatusResponse,
                // RFC 5246 §7.2.2 / RFC 8446 §6.2 unsupported_certificate: "A certificate was of
                // an unsupported type": one whose KeyUsage rules out the use we would make of
                // it is unusable here, though not corrupt (bad_certificate).
                CertificateError::UnsupportedAlgorithm | CertificateError::KeyUsageForbidsUse => {
                    Self::UnsupportedCertificate
                }
                // RFC 8446 §6.2: "bad_certificate: A certificate was corrupt, contained
                // signatures that did not verify correctly, etc." (decrypt_error is for the
                // handshake's own signatures: CertificateVerify, ServerKeyExchange).
                CertificateError::NotValidForName { .. }
                | CertificateError::BadSignature
                | CertificateError::InvalidPurpose
                | CertificateError::BadEncoding => Self::BadCertificate,
                // RFC 8446 §6.2: "certificate_unknown: Some other (unspecified) issue arose in
                // processing the certificate, rendering it unacceptable" (a verifier's own
                // policy, a chain error with no more specific alert).
                CertificateError::Other(_) => Self::CertificateUnknown,
            },
            Error::AlertReceived(_)
            | Error::UnexpectedEof
            | Error::EncryptError
            | Error::ApiMisuse(_)
            | Error::Internal(_)
            | Error::InvalidConfig(_) => Self::InternalError,
        }
    }
}

/// The alert to send for `e` on a connection that negotiated `version` (if any yet).
///
/// [`From<&Error> for AlertDescription`](AlertDescription) chooses by error; this only replaces
/// the alerts TLS 1.2 does not have: `certificate_required` and `missing_extension` are
/// TLS 1.3 codes (RFC 8446 §6.2), so TLS 1.2 uses `handshake_failure` (RFC 5246 §7.4.6: a
/// server that requires a certificate "may respond with a fatal handshake_failure alert").
#[must_use]
pub fn alert_for(
    e: &Error,
    version: Option<crate::msgs::enums::ProtocolVersion>,
) -> AlertDescription {
    let alert = AlertDescription::from(e);
    let tls12 = version == Some(crate::msgs::enums::ProtocolVersion::TLSv1_2);
    match alert {
        AlertDescription::CertificateRequired | AlertDescription::MissingExtension if tls12 => {
            AlertDescription::HandshakeFailure
        }
        other => other,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMessage(m) => write!(f, "received an invalid message: {m:?}"),
            Self::InappropriateMessage { expected, got } => {
                write!(
                    f,
                    "received unexpected {got} record (expected one of {expected:?})"
                )
            }
            Self::InappropriateHandshakeMessage { expected, got } => write!(
                f,
                "received unexpected {got} handshake message (expected one of {expected:?})"
            ),
            Self::PeerMisbehaved(p) => write!(f, "peer misbehaved: {p:?}"),
            Self::PeerIncompatible(p) => write!(f, "peer is incompatible: {p:?}"),
            Self::InvalidCertificate(c) => write!(f, "invalid peer certificate: {c}"),
            Self::DecryptError => f.write_str("a record failed to decrypt (bad_record_mac)"),
            Self::EncryptError => f.write_str("failed to encrypt a record"),
            Self::AlertReceived(a) => write!(f, "peer sent fatal alert: {a}"),
            Self::UnexpectedEof => {
                f.write_str("peer closed the connection without close_notify (possible truncation)")
            }
            Self::RecordOverflow => f.write_str("record too large"),
            Self::ApiMisuse(m) => write!(f, "API misuse: {m:?}"),
            Self::Internal(i) => write!(f, "internal error: {i:?}"),
            Self::InvalidConfig(c) => write!(f, "invalid configuration: {c}"),
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIssuer => f.write_str("issued by an unknown certificate authority"),
            Self::Expired => f.write_str("certificate has expired"),
            Self::NotValidYet => f.write_str("certificate is not valid yet"),
            Self::NotValidForName {
                expected,
                presented,
            } => write!(
                f,
                "certificate is not valid for {expected} (it is valid for: {})",
                presented.join(", ")
            ),
            Self::InvalidPurpose => f.write_str("certificate is not allowed for this purpose"),
            Self::BadEncoding => f.write_str("certificate is malformed"),
            Self::BadSignature => f.write_str("a signature in the chain is invalid"),
            Self::UnsupportedAlgorithm => f.write_str("certificate uses an unsupported algorithm"),
            Self::Revoked => f.write_str("certificate was revoked"),
            Self::BadStatusResponse => f.write_str("OCSP response not acceptable"),
            Self::KeyUsageForbidsUse => {
                f.write_str("certificate's key usage does not allow this use of its key")
            }
            Self::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole error → alert table (RFC 8446 §6.2, RFC 5246 §7.2.2), one row per variant.
    /// The `match`es have no wildcard: a new variant does not compile until it has a row here.
    /// The tests that make a peer trigger each variant are listed in `tests/alerts.rs`'s module
    /// documentation.
    fn peer_misbehaved_alert(p: PeerMisbehaved) -> AlertDescription {
        use AlertDescription as A;
        use PeerMisbehaved as P;
        match p {
            // RFC 8446 §4.1.3: "... MUST abort the handshake with an "illegal_parameter" alert".
            P::SelectedUnofferedCipherSuite
            | P::SelectedUnofferedVersion
            | P::SelectedUnofferedGroup
            | P::DowngradeAttempt
            | P::SessionIdMismatch
            | P::IllegalCompression
            // RFC 8446 §4.2.8.2, RFC 8422 §5.11: an invalid share or point.
            | P::InvalidKeyShare
            // RFC 8446 §4.4.3 / RFC 5246 §7.4.1.4.1: a scheme we did not offer.
            | P::UnofferedSignatureScheme
            | P::SignatureSchemeMismatchesKey
            // RFC 8446 §4.1.4: an HRR that would not change the ClientHello.
            | P::IllegalHelloRetryRequest
            | P::IllegalExtensionValue
            // RFC 8446 §4.6.3: request_update other than 0 or 1.
            | P::IllegalKeyUpdate
            // RFC 8446 §4.2.8, §4.1.2: key shares, or a second ClientHello that breaks the rules.
            | P::IllegalClientHello
            // RFC 5246 §7.4.2 / RFC 8422 §5.3, as BoringSSL.
            | P::CertificateKeyMismatchesSuite
            // RFC 4492 §5.1, as BoringSSL.
            | P::CertificateCurveNotOffered
            // RFC 5246 §7.4.3: ServerDHParams that are not a group (p even, g out of range).
            | P::InvalidDhParams
            // RFC 8446 §4.2.11: key_share present/absent against psk_key_exchange_modes.
            | P::UnofferedPskKeyExchangeMode
            // RFC 8879 §4: an algorithm we did not offer.
            | P::UnofferedCertificateCompression => A::IllegalParameter,
            // RFC 8879 §4: "cannot be decompressed ... "bad_certificate"".
            P::BadCompressedCertificate => A::BadCertificate,
            // RFC 8446 §4.4.4, §4.4.3, §4.2.11: Finished, CertificateVerify, binder.
            P::IncorrectFinished | P::BadSignature | P::BadBinder => A::DecryptError,
            // RFC 8446 §5.1, §5, §5.4, §4.2.10.
            P::KeyChangeNotOnRecordBoundary
            | P::IllegalChangeCipherSpec
            | P::TooManyEmptyRecords
            | P::TooManyPostHandshakeMessages
            | P::TooManyWarningAlerts
            | P::IllegalEarlyData
            | P::TooMuchSkippedEarlyData
            | P::NoInnerContentType => A::UnexpectedMessage,
            // RFC 8446 §4.2.9, §9.2.
            P::MissingExtension => A::MissingExtension,
            // RFC 8446 §4.2: "unsupported_extension".
            P::UnsolicitedExtension => A::UnsupportedExtension,
            // RFC 5746 §3.4, RFC 7627 §5.2: "handshake_failure".
            P::BadRenegotiationInfo | P::MissingExtendedMasterSecret => A::HandshakeFailure,
            // RFC 8446 §4.4.2.4 (TLS 1.2: handshake_failure, see `alert_for`).
            P::NoCertificate => A::CertificateRequired,
            // RFC 5246 §7.2.2.
            P::Renegotiation => A::NoRenegotiation,
            // RFC 8446 §D.5.
            P::ObsoleteLegacyVersion => A::ProtocolVersion,
        }
    }

    fn invalid_message_alert(m: InvalidMessage) -> AlertDescription {
        use AlertDescription as A;
        use InvalidMessage as M;
        match m {
            // RFC 8446 §6.2 decode_error: "A message could not be decoded because some field
            // was out of the specified range or the length of the message was incorrect."
            M::MissingData(_)
            | M::TrailingData(_)
            | M::InvalidLength(_)
            | M::DuplicateExtension(_)
            | M::IllegalValue(_)
            | M::HandshakeMessageTooLarge
            | M::InvalidAlert => A::DecodeError,
            // RFC 8446 §5.1 / RFC 8449 §4.
            M::RecordTooLarge => A::RecordOverflow,
            // RFC 8446 §5 (unknown record type, bad CCS), §5.4 (empty content), §5.1 (key
            // change inside a message).
            M::InvalidContentType(_) | M::EmptyRecord | M::InvalidCcs | M::UnalignedKeyChange => {
                A::UnexpectedMessage
            }
            // RFC 8446 §4.2.11; §6.2 illegal_parameter: "inconsistent with other fields".
            M::PreSharedKeyNotLast | M::PskBinderCountMismatch => A::IllegalParameter,
        }
    }

    const ALL_PEER_MISBEHAVED: &[PeerMisbehaved] = &[
        PeerMisbehaved::SelectedUnofferedCipherSuite,
        PeerMisbehaved::SelectedUnofferedVersion,
        PeerMisbehaved::SelectedUnofferedGroup,
        PeerMisbehaved::UnsolicitedExtension,
        PeerMisbehaved::DowngradeAttempt,
        PeerMisbehaved::InvalidKeyShare,
        PeerMisbehaved::SessionIdMismatch,
        PeerMisbehaved::IncorrectFinished,
        PeerMisbehaved::BadSignature,
        PeerMisbehaved::UnofferedSignatureScheme,
        PeerMisbehaved::SignatureSchemeMismatchesKey,
        PeerMisbehaved::IllegalHelloRetryRequest,
        PeerMisbehaved::IllegalCompression,
        PeerMisbehaved::Renegotiation,
        PeerMisbehaved::KeyChangeNotOnRecordBoundary,
        PeerMisbehaved::NoCertificate,
        PeerMisbehaved::IllegalChangeCipherSpec,
        PeerMisbehaved::MissingExtension,
        PeerMisbehaved::IllegalExtensionValue,
        PeerMisbehaved::BadBinder,
        PeerMisbehaved::BadRenegotiationInfo,
        PeerMisbehaved::TooManyEmptyRecords,
        PeerMisbehaved::TooManyPostHandshakeMessages,
        PeerMisbehaved::TooManyWarningAlerts,
        PeerMisbehaved::IllegalKeyUpdate,
        PeerMisbehaved::IllegalClientHello,
        PeerMisbehaved::MissingExtendedMasterSecret,
        PeerMisbehaved::IllegalEarlyData,
        PeerMisbehaved::NoInnerContentType,
        PeerMisbehaved::CertificateKeyMismatchesSuite,
        PeerMisbehaved::CertificateCurveNotOffered,
        PeerMisbehaved::TooMuchSkippedEarlyData,
        PeerMisbehaved::ObsoleteLegacyVersion,
        PeerMisbehaved::UnofferedPskKeyExchangeMode,
        PeerMisbehaved::UnofferedCertificateCompression,
        PeerMisbehaved::BadCompressedCertificate,
    ];

    const ALL_INVALID_MESSAGE: &[InvalidMessage] = &[
        InvalidMessage::MissingData("x"),
        InvalidMessage::TrailingData("x"),
        InvalidMessage::InvalidLength("x"),
        InvalidMessage::DuplicateExtension(0),
        InvalidMessage::IllegalValue("x"),
        InvalidMessage::RecordTooLarge,
        InvalidMessage::InvalidContentType(0),
        InvalidMessage::EmptyRecord,
        InvalidMessage::HandshakeMessageTooLarge,
        InvalidMessage::InvalidCcs,
        InvalidMessage::InvalidAlert,
        InvalidMessage::UnalignedKeyChange,
        InvalidMessage::PreSharedKeyNotLast,
        InvalidMessage::PskBinderCountMismatch,
    ];

    #[test]
    fn every_peer_misbehaved_and_invalid_message_variant_has_its_rfc_alert() {
        for p in ALL_PEER_MISBEHAVED {
            assert_eq!(
                AlertDescription::from(&Error::PeerMisbehaved(*p)),
                peer_misbehaved_alert(*p),
                "{p:?}"
            );
        }
        for m in ALL_INVALID_MESSAGE {
            assert_eq!(
                AlertDescription::from(&Error::InvalidMessage(*m)),
                invalid_message_alert(*m),
                "{m:?}"
            );
        }
    }

    /// A server whose OCSP responder fails is at fault itself: internal_error (RFC 8446 §6.2),
    /// never an alert that blames the client.
    #[test]
    fn ocsp_responder_failure_is_internal_error() {
        assert_eq!(
            AlertDescription::from(&Error::Internal(InternalError::OcspResponderFailed)),
            AlertDescription::InternalError
        );
    }

    /// TLS 1.2 has no certificate_required or missing_extension (RFC 5246 §7.2.2).
    #[test]
    fn tls12_replaces_tls13_only_alerts() {
        let v12 = Some(crate::msgs::enums::ProtocolVersion::TLSv1_2);
        let v13 = Some(crate::msgs::enums::ProtocolVersion::TLSv1_3);
        let no_cert: Error = PeerMisbehaved::NoCertificate.into();
        assert_eq!(alert_for(&no_cert, v12), AlertDescription::HandshakeFailure);
        assert_eq!(
            alert_for(&no_cert, v13),
            AlertDescription::CertificateRequired
        );
        let missing: Error = PeerMisbehaved::MissingExtension.into();
        assert_eq!(alert_for(&missing, v12), AlertDescription::HandshakeFailure);
        assert_eq!(alert_for(&missing, v13), AlertDescription::MissingExtension);
    }

    #[test]
    fn certificate_errors_follow_rfc8446_section_6_2() {
        let a = |c: CertificateError| AlertDescription::from(&Error::InvalidCertificate(c));
        assert_eq!(
            a(CertificateError::UnknownIssuer),
            AlertDescription::UnknownCa
        );
        assert_eq!(
            a(CertificateError::Expired),
            AlertDescription::CertificateExpired
        );
        assert_eq!(
            a(CertificateError::NotValidYet),
            AlertDescription::CertificateExpired
        );
        assert_eq!(
            a(CertificateError::Revoked),
            AlertDescription::CertificateRevoked
        );
        // RFC 6066 §8: an unsatisfactory OCSP response.
        assert_eq!(
            a(CertificateError::BadStatusResponse),
            AlertDescription::BadCertificateStatusResponse
        );
        assert_eq!(
            a(CertificateError::UnsupportedAlgorithm),
            AlertDescription::UnsupportedCertificate
        );
        assert_eq!(
            a(CertificateError::KeyUsageForbidsUse),
            AlertDescription::UnsupportedCertificate
        );
        // "bad_certificate: A certificate was corrupt, contained signatures that did not
        // verify correctly, etc."
        assert_eq!(
            a(CertificateError::BadSignature),
            AlertDescription::BadCertificate
        );
        assert_eq!(
            a(CertificateError::BadEncoding),
            AlertDescription::BadCertificate
        );
        assert_eq!(
            a(CertificateError::InvalidPurpose),
            AlertDescription::BadCertificate
        );
        // "certificate_unknown: Some other (unspecified) issue arose in processing the
        // certificate, rendering it unacceptable": a verifier's own reason (found by BoGo's
        // CertificateVerificationFailsOnResume-*-CustomCallback, which expects this alert).
        assert_eq!(
            a(CertificateError::Other("policy".into())),
            AlertDescription::CertificateUnknown
        );
    }

    #[test]
    fn alerts_follow_rfc8446_section_6_2() {
        let a = |e: Error| AlertDescription::from(&e);
        assert_eq!(
            a(InvalidMessage::MissingData("x").into()),
            AlertDescription::DecodeError
        );
        assert_eq!(a(Error::DecryptError), AlertDescription::BadRecordMac);
        assert_eq!(
            a(InvalidMessage::RecordTooLarge.into()),
            AlertDescription::RecordOverflow
        );
        assert_eq!(
            a(PeerMisbehaved::IncorrectFinished.into()),
            AlertDescription::DecryptError
        );
        assert_eq!(
            a(CertificateError::UnknownIssuer.into()),
            AlertDescription::UnknownCa
        );
        assert_eq!(
            a(CertificateError::Expired.into()),
            AlertDescription::CertificateExpired
        );
        assert_eq!(
            a(PeerMisbehaved::DowngradeAttempt.into()),
            AlertDescription::IllegalParameter
        );
        assert_eq!(
            a(PeerIncompatible::NoApplicationProtocol.into()),
            AlertDescription::NoApplicationProtocol
        );
        assert_eq!(
            a(PeerIncompatible::UnknownPskIdentity.into()),
            AlertDescription::UnknownPskIdentity
        );
    }
}
