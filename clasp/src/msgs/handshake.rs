//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4) and their framing.
//!
//! [`HandshakeMessage`] pairs a decoded [`HandshakePayload`] with the exact bytes it came from
//! (header + body), which is what the transcript hashes (STYLE: "hash the bytes you received").
//! Certificate, CertificateRequest and NewSessionTicket differ between TLS 1.2 and 1.3, so
//! decoding takes the negotiated version ([`HandshakeMessage::read_version`]).
//!
//! This module must never judge whether a message is acceptable in a state; it only decodes.

use rustls_pki_types::CertificateDer;

use crate::codec::{put_u24, Codec, LengthPrefixedBuffer, ListLength, Reader};
use crate::error::InvalidMessage;
use crate::msgs::enums::{
    CertificateCompressionAlgorithm, CipherSuite, ClientCertificateType, Compression,
    ExtensionType, HandshakeType, KeyUpdateRequest, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode, SignatureScheme,
};
use crate::msgs::extensions::{
    encode_extensions, find_extension, read_extensions, CertReqExtension, CertificateExtension,
    CertificateStatus, ClientExtension, DistinguishedName, EncryptedExtension, ExtensionCodec,
    KeyShareEntry, NewSessionTicketExtension, OfferedPsks, ProtocolName, PskBinderEntry,
    ServerExtension, ServerHelloKind,
};
use crate::msgs::tls12_kx::{ClientKeyExchange, DigitallySigned, ServerKeyExchange};
use crate::msgs::{encode_list, put_opaque, read_list, read_opaque};

/// `Random` (RFC 8446 §4.1.2): 32 bytes.
pub type Random = [u8; 32];

/// The ServerHello.random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest")
/// (RFC 8446 §4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: Random = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Cap on one certificate we accept (the wire allows 16 MiB; rustls caps at 64 KiB too).
pub const MAX_CERTIFICATE_SIZE: usize = 64 * 1024;

/// Cap on a whole certificate_list (TLS 1.2 and 1.3): 256 KiB, far above real chains (a few KiB
/// to ~20 KiB) while bounding what a peer can make us buffer.
pub const MAX_CERTIFICATE_LIST_SIZE: usize = 256 * 1024;

/// Reads `random` (RFC 8446 §4.1.2).
fn read_random(r: &mut Reader<'_>) -> Result<Random, InvalidMessage> {
    let b = r.take(32).ok_or(InvalidMessage::MissingData("Random"))?;
    let mut out = [0u8; 32];
    out.copy_from_slice(b);
    Ok(out)
}

/// Reads `opaque legacy_session_id<0..32>` (RFC 8446 §4.1.2).
fn read_session_id(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<u8>, InvalidMessage> {
    let id = read_opaque(r, ListLength::U8, what)?;
    if id.len() > 32 {
        return Err(InvalidMessage::InvalidLength(what));
    }
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// ClientHello
// ---------------------------------------------------------------------------------------------

/// `ClientHello` (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// RFC 8446 §4.1.2: ProtocolVersion legacy_version = 0x0303
    pub legacy_version: ProtocolVersion,
    /// RFC 8446 §4.1.2: Random random
    pub random: Random,
    /// RFC 8446 §4.1.2: opaque legacy_session_id<0..32>
    pub legacy_session_id: Vec<u8>,
    /// RFC 8446 §4.1.2: CipherSuite cipher_suites<2..2^16-2>
    pub cipher_suites: Vec<CipherSuite>,
    /// RFC 8446 §4.1.2: opaque legacy_compression_methods<1..2^8-1>
    pub legacy_compression_methods: Vec<Compression>,
    /// RFC 8446 §4.1.2: Extension extensions<8..2^16-1>, in the peer's order.
    pub extensions: Vec<ClientExtension>,
    /// True when the message had no extensions block at all (legal in TLS 1.2, RFC 5246
    /// §7.4.1.2); with an empty `extensions` it makes the encoding omit the block again.
    pub extensions_absent: bool,
}

impl<'a> Codec<'a> for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_opaque(ListLength::U8, &self.legacy_session_id, out);
        self.cipher_suites.encode(out);
        self.legacy_compression_methods.encode(out);
        if !(self.extensions_absent && self.extensions.is_empty()) {
            encode_extensions(&self.extensions, out);
        }
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let legacy_version = ProtocolVersion::read(r)?;
        let random = read_random(r)?;
        let legacy_session_id = read_session_id(r, "legacy_session_id")?;
        let cipher_suites = Vec::<CipherSuite>::read(r)?;
        let legacy_compression_methods = Vec::<Compression>::read(r)?;
        // RFC 5246 §7.4.1.2: "the presence of extensions can be detected by determining whether
        // there are bytes following the compression_methods".
        let extensions_absent = !r.any_left();
        let extensions = if extensions_absent {
            Vec::new()
        } else {
            read_extensions::<ClientExtension>(r, ListLength::U16, ())?
        };
        // RFC 8446 §4.2.11: "The "pre_shared_key" extension MUST be the last extension in the
        // ClientHello ... Servers MUST check that it is the last extension".
        if let Some(pos) = extensions
            .iter()
            .position(|e| e.ext_type() == ExtensionType::PreSharedKey)
        {
            if pos + 1 != extensions.len() {
                return Err(InvalidMessage::PreSharedKeyNotLast);
            }
        }
        Ok(Self {
            legacy_version,
            random,
            legacy_session_id,
            cipher_suites,
            legacy_compression_methods,
            extensions,
            extensions_absent,
        })
    }
}

impl ClientHello {
    /// The extension of type `typ`, if present.
    #[must_use]
    pub fn find_extension(&self, typ: ExtensionType) -> Option<&ClientExtension> {
        find_extension(&self.extensions, typ)
    }

    /// Whether an extension of type `typ` is present.
    #[must_use]
    pub fn has_extension(&self, typ: ExtensionType) -> bool {
        self.find_extension(typ).is_some()
    }

    /// The extension types in the order sent (for fingerprints such as JA4).
    pub fn extension_types(&self) -> impl Iterator<Item = ExtensionType> + '_ {
        self.extensions.iter().map(ExtensionCodec::ext_type)
    }

    /// server_name's `host_name` (RFC 6066 §3).
    #[must_use]
    pub fn server_name(&self) -> Option<&str> {
        match self.find_extension(ExtensionType::ServerName)? {
            ClientExtension::ServerName(l) => l.host_name(),
            _ => None,
        }
    }

    /// key_share's client_shares (RFC 8446 §4.2.8).
    #[must_use]
    pub fn key_shares(&self) -> Option<&[KeyShareEntry]> {
        match self.find_extension(ExtensionType::KeyShare)? {
            ClientExtension::KeyShare(v) => Some(v),
            _ => None,
        }
    }

    /// supported_versions (RFC 8446 §4.2.1).
    #[must_use]
    pub fn supported_versions(&self) -> Option<&[ProtocolVersion]> {
        match self.find_extension(ExtensionType::SupportedVersions)? {
            ClientExtension::SupportedVersions(v) => Some(v),
            _ => None,
        }
    }

    /// ALPN protocol names (RFC 7301 §3.1).
    #[must_use]
    pub fn alpn_protocols(&self) -> Option<&[ProtocolName]> {
        match self.find_extension(ExtensionType::ApplicationLayerProtocolNegotiation)? {
            ClientExtension::Alpn(v) => Some(v),
            _ => None,
        }
    }

    /// pre_shared_key's offer (RFC 8446 §4.2.11).
    #[must_use]
    pub fn psk(&self) -> Option<&OfferedPsks> {
        match self.find_extension(ExtensionType::PreSharedKey)? {
            ClientExtension::PreSharedKey(v) => Some(v),
            _ => None,
        }
    }

    /// psk_key_exchange_modes (RFC 8446 §4.2.9).
    #[must_use]
    pub fn psk_modes(&self) -> Option<&[PskKeyExchangeMode]> {
        match self.find_extension(ExtensionType::PskKeyExchangeModes)? {
            ClientExtension::PskKeyExchangeModes(v) => Some(v),
            _ => None,
        }
    }

    /// supported_groups (RFC 8446 §4.2.7).
    #[must_use]
    pub fn supported_groups(&self) -> Option<&[NamedGroup]> {
        match self.find_extension(ExtensionType::SupportedGroups)? {
            ClientExtension::SupportedGroups(v) => Some(v),
            _ => None,
        }
    }

    /// signature_algorithms (RFC 8446 §4.2.3).
    #[must_use]
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        match self.find_extension(ExtensionType::SignatureAlgorithms)? {
            ClientExtension::SignatureAlgorithms(v) => Some(v),
            _ => None,
        }
    }

    /// signature_algorithms_cert (RFC 8446 §4.2.3).
    #[must_use]
    pub fn signature_algorithms_cert(&self) -> Option<&[SignatureScheme]> {
        match self.find_extension(ExtensionType::SignatureAlgorithmsCert)? {
            ClientExtension::SignatureAlgorithmsCert(v) => Some(v),
            _ => None,
        }
    }

    /// compress_certificate (RFC 8879 §3).
    #[must_use]
    pub fn compress_certificate(&self) -> Option<&[CertificateCompressionAlgorithm]> {
        match self.find_extension(ExtensionType::CompressCertificate)? {
            ClientExtension::CompressCertificate(v) => Some(v),
            _ => None,
        }
    }

    /// cookie (RFC 8446 §4.2.2).
    #[must_use]
    pub fn cookie(&self) -> Option<&[u8]> {
        match self.find_extension(ExtensionType::Cookie)? {
            ClientExtension::Cookie(v) => Some(v),
            _ => None,
        }
    }

    /// renegotiation_info's renegotiated_connection (RFC 5746 §3.2).
    #[must_use]
    pub fn renegotiation_info(&self) -> Option<&[u8]> {
        match self.find_extension(ExtensionType::RenegotiationInfo)? {
            ClientExtension::RenegotiationInfo(v) => Some(v),
            _ => None,
        }
    }

    /// session_ticket's ticket (RFC 5077 §3.2); `Some(&[])` asks for a new ticket.
    #[must_use]
    pub fn session_ticket(&self) -> Option<&[u8]> {
        match self.find_extension(ExtensionType::SessionTicket)? {
            ClientExtension::SessionTicket(v) => Some(v),
            _ => None,
        }
    }

    /// record_size_limit (RFC 8449 §4).
    #[must_use]
    pub fn record_size_limit(&self) -> Option<u16> {
        match self.find_extension(ExtensionType::RecordSizeLimit)? {
            ClientExtension::RecordSizeLimit(v) => Some(*v),
            _ => None,
        }
    }

    /// The offset in `encoded` (a whole ClientHello handshake message, header included) where
    /// the PSK binders list begins: `encoded[..offset]` is the truncated ClientHello that the
    /// binders are computed over (RFC 8446 §4.2.11.2). `None` if the message does not decode
    /// or carries no pre_shared_key.
    #[must_use]
    pub fn binders_offset(encoded: &[u8]) -> Option<usize> {
        let msg = HandshakeMessage::read_version(encoded, ProtocolVersion::TLSv1_3).ok()?;
        msg.psk_binders_offset()
    }
}

// ---------------------------------------------------------------------------------------------
// ServerHello / HelloRetryRequest
// ---------------------------------------------------------------------------------------------

/// `ServerHello` (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3), also used for HelloRetryRequest
/// (RFC 8446 §4.1.4), recognised by its `random`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// RFC 8446 §4.1.3: ProtocolVersion legacy_version = 0x0303
    pub legacy_version: ProtocolVersion,
    /// RFC 8446 §4.1.3: Random random ([`HELLO_RETRY_REQUEST_RANDOM`] for an HRR)
    pub random: Random,
    /// RFC 8446 §4.1.3: opaque legacy_session_id_echo<0..32>
    pub legacy_session_id_echo: Vec<u8>,
    /// RFC 8446 §4.1.3: CipherSuite cipher_suite
    pub cipher_suite: CipherSuite,
    /// RFC 8446 §4.1.3: uint8 legacy_compression_method = 0
    pub legacy_compression_method: Compression,
    /// RFC 8446 §4.1.3: Extension extensions<6..2^16-1>, in the peer's order.
    pub extensions: Vec<ServerExtension>,
    /// True when a TLS 1.2 ServerHello had no extensions block (RFC 5246 §7.4.1.3).
    pub extensions_absent: bool,
}

impl<'a> Codec<'a> for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_opaque(ListLength::U8, &self.legacy_session_id_echo, out);
        self.cipher_suite.encode(out);
        self.legacy_compression_method.encode(out);
        if !(self.extensions_absent && self.extensions.is_empty()) {
            encode_extensions(&self.extensions, out);
        }
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let legacy_version = ProtocolVersion::read(r)?;
        let random = read_random(r)?;
        let legacy_session_id_echo = read_session_id(r, "legacy_session_id_echo")?;
        let cipher_suite = CipherSuite::read(r)?;
        let legacy_compression_method = Compression::read(r)?;
        // RFC 8446 §4.1.3: an HRR is a ServerHello whose random is the special value; its
        // key_share carries only the selected group (RFC 8446 §4.2.8).
        let kind = if random == HELLO_RETRY_REQUEST_RANDOM {
            ServerHelloKind::HelloRetryRequest
        } else {
            ServerHelloKind::ServerHello
        };
        let extensions_absent = !r.any_left();
        let extensions = if extensions_absent {
            Vec::new()
        } else {
            read_extensions::<ServerExtension>(r, ListLength::U16, kind)?
        };
        Ok(Self {
            legacy_version,
            random,
            legacy_session_id_echo,
            cipher_suite,
            legacy_compression_method,
            extensions,
            extensions_absent,
        })
    }
}

impl ServerHello {
    /// Whether this is a HelloRetryRequest (RFC 8446 §4.1.3).
    #[must_use]
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// The extension of type `typ`, if present.
    #[must_use]
    pub fn find_extension(&self, typ: ExtensionType) -> Option<&ServerExtension> {
        find_extension(&self.extensions, typ)
    }

    /// supported_versions' selected_version (RFC 8446 §4.2.1).
    #[must_use]
    pub fn selected_version(&self) -> Option<ProtocolVersion> {
        match self.find_extension(ExtensionType::SupportedVersions)? {
            ServerExtension::SupportedVersions(v) => Some(*v),
            _ => None,
        }
    }

    /// key_share's server_share (RFC 8446 §4.2.8; ServerHello only).
    #[must_use]
    pub fn key_share(&self) -> Option<&KeyShareEntry> {
        match self.find_extension(ExtensionType::KeyShare)? {
            ServerExtension::KeyShare(v) => Some(v),
            _ => None,
        }
    }

    /// key_share's selected_group (RFC 8446 §4.2.8; HelloRetryRequest only).
    #[must_use]
    pub fn hrr_selected_group(&self) -> Option<NamedGroup> {
        match self.find_extension(ExtensionType::KeyShare)? {
            ServerExtension::HrrKeyShare(g) => Some(*g),
            _ => None,
        }
    }

    /// pre_shared_key's selected_identity (RFC 8446 §4.2.11).
    #[must_use]
    pub fn psk_selected_identity(&self) -> Option<u16> {
        match self.find_extension(ExtensionType::PreSharedKey)? {
            ServerExtension::PreSharedKey(i) => Some(*i),
            _ => None,
        }
    }

    /// cookie (RFC 8446 §4.2.2; HelloRetryRequest).
    #[must_use]
    pub fn cookie(&self) -> Option<&[u8]> {
        match self.find_extension(ExtensionType::Cookie)? {
            ServerExtension::Cookie(v) => Some(v),
            _ => None,
        }
    }

    /// ALPN's selected protocol (RFC 7301 §3.1; TLS 1.2 ServerHello).
    #[must_use]
    pub fn alpn_protocol(&self) -> Option<&[ProtocolName]> {
        match self.find_extension(ExtensionType::ApplicationLayerProtocolNegotiation)? {
            ServerExtension::Alpn(v) => Some(v),
            _ => None,
        }
    }

    /// renegotiation_info's renegotiated_connection (RFC 5746 §3.2).
    #[must_use]
    pub fn renegotiation_info(&self) -> Option<&[u8]> {
        match self.find_extension(ExtensionType::RenegotiationInfo)? {
            ServerExtension::RenegotiationInfo(v) => Some(v),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// EncryptedExtensions
// ---------------------------------------------------------------------------------------------

/// `EncryptedExtensions` (RFC 8446 §4.3.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptedExtensions {
    /// RFC 8446 §4.3.1: Extension extensions<0..2^16-1>
    pub extensions: Vec<EncryptedExtension>,
}

impl<'a> Codec<'a> for EncryptedExtensions {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_extensions(&self.extensions, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            extensions: read_extensions(r, ListLength::U16, ())?,
        })
    }
}

impl EncryptedExtensions {
    /// The extension of type `typ`, if present.
    #[must_use]
    pub fn find_extension(&self, typ: ExtensionType) -> Option<&EncryptedExtension> {
        find_extension(&self.extensions, typ)
    }

    /// ALPN's protocol list as sent (RFC 7301 §3.1: the server sends exactly one name; the
    /// state machine checks that).
    #[must_use]
    pub fn alpn_protocols(&self) -> Option<&[ProtocolName]> {
        match self.find_extension(ExtensionType::ApplicationLayerProtocolNegotiation)? {
            EncryptedExtension::Alpn(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the server accepted early data (RFC 8446 §4.2.10).
    #[must_use]
    pub fn early_data_accepted(&self) -> bool {
        self.find_extension(ExtensionType::EarlyData).is_some()
    }

    /// record_size_limit (RFC 8449 §4).
    #[must_use]
    pub fn record_size_limit(&self) -> Option<u16> {
        match self.find_extension(ExtensionType::RecordSizeLimit)? {
            EncryptedExtension::RecordSizeLimit(v) => Some(*v),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Certificate
// ---------------------------------------------------------------------------------------------

fn certificate_len() -> ListLength {
    ListLength::NonEmptyU24 {
        max: MAX_CERTIFICATE_SIZE,
    }
}

fn certificate_list_len() -> ListLength {
    ListLength::U24 {
        max: MAX_CERTIFICATE_LIST_SIZE,
    }
}

fn read_cert(
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<CertificateDer<'static>, InvalidMessage> {
    // RFC 8446 §4.4.2 / RFC 5246 §7.4.2: opaque cert_data<1..2^24-1> (capped)
    Ok(CertificateDer::from(read_opaque(
        r,
        certificate_len(),
        what,
    )?))
}

/// `CertificateEntry` (RFC 8446 §4.4.2), X.509 form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    /// RFC 8446 §4.4.2: opaque cert_data<1..2^24-1> (capped at [`MAX_CERTIFICATE_SIZE`])
    pub cert_data: CertificateDer<'static>,
    /// RFC 8446 §4.4.2: Extension extensions<0..2^16-1>
    pub extensions: Vec<CertificateExtension>,
}

impl<'a> Codec<'a> for CertificateEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(certificate_len(), &self.cert_data, out);
        encode_extensions(&self.extensions, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            cert_data: read_cert(r, "cert_data")?,
            extensions: read_extensions(r, ListLength::U16, ())?,
        })
    }
}

/// TLS 1.3 `Certificate` (RFC 8446 §4.4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateTls13 {
    /// RFC 8446 §4.4.2: opaque certificate_request_context<0..2^8-1>
    pub certificate_request_context: Vec<u8>,
    /// RFC 8446 §4.4.2: CertificateEntry certificate_list<0..2^24-1> (capped at
    /// [`MAX_CERTIFICATE_LIST_SIZE`])
    pub certificate_list: Vec<CertificateEntry>,
}

impl<'a> Codec<'a> for CertificateTls13 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::U8, &self.certificate_request_context, out);
        encode_list(&self.certificate_list, certificate_list_len(), out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            certificate_request_context: read_opaque(
                r,
                ListLength::U8,
                "certificate_request_context",
            )?,
            certificate_list: read_list(r, certificate_list_len(), "certificate_list")?,
        })
    }
}

/// TLS 1.2 `Certificate` (RFC 5246 §7.4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateTls12 {
    /// RFC 5246 §7.4.2: ASN.1Cert certificate_list<0..2^24-1>, each `opaque ASN.1Cert<1..2^24-1>`
    /// (capped at [`MAX_CERTIFICATE_SIZE`] each and [`MAX_CERTIFICATE_LIST_SIZE`] in total)
    pub certificate_list: Vec<CertificateDer<'static>>,
}

impl<'a> Codec<'a> for CertificateTls12 {
    fn encode(&self, out: &mut Vec<u8>) {
        let g = LengthPrefixedBuffer::new(certificate_list_len(), out);
        for c in &self.certificate_list {
            put_opaque(certificate_len(), c, g.buf);
        }
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let mut list = r.length_prefixed(certificate_list_len(), "certificate_list")?;
        let mut certificate_list = Vec::new();
        while list.any_left() {
            certificate_list.push(read_cert(&mut list, "ASN.1Cert")?);
        }
        Ok(Self { certificate_list })
    }
}

// ---------------------------------------------------------------------------------------------
// CertificateRequest
// ---------------------------------------------------------------------------------------------

/// TLS 1.3 `CertificateRequest` (RFC 8446 §4.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequestTls13 {
    /// RFC 8446 §4.3.2: opaque certificate_request_context<0..2^8-1>
    pub certificate_request_context: Vec<u8>,
    /// RFC 8446 §4.3.2: Extension extensions<2..2^16-1>
    pub extensions: Vec<CertReqExtension>,
}

impl<'a> Codec<'a> for CertificateRequestTls13 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::U8, &self.certificate_request_context, out);
        encode_extensions(&self.extensions, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            certificate_request_context: read_opaque(
                r,
                ListLength::U8,
                "certificate_request_context",
            )?,
            // RFC 8446 §4.3.2: extensions<2..2^16-1>: never empty (signature_algorithms is
            // required; the state machine checks which ones are present).
            extensions: read_extensions(r, ListLength::NonEmptyU16, ())?,
        })
    }
}

impl CertificateRequestTls13 {
    /// signature_algorithms (RFC 8446 §4.3.2: "MUST be specified").
    #[must_use]
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        match find_extension(&self.extensions, ExtensionType::SignatureAlgorithms)? {
            CertReqExtension::SignatureAlgorithms(v) => Some(v),
            _ => None,
        }
    }

    /// compress_certificate (RFC 8879 §3): what the server accepts for our certificate.
    #[must_use]
    pub fn compress_certificate(&self) -> Option<&[CertificateCompressionAlgorithm]> {
        match find_extension(&self.extensions, ExtensionType::CompressCertificate)? {
            CertReqExtension::CompressCertificate(v) => Some(v),
            _ => None,
        }
    }
}

/// `CompressedCertificate` (RFC 8879 §4): a TLS 1.3 Certificate message body, compressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompressedCertificate {
    /// RFC 8879 §4: CertificateCompressionAlgorithm algorithm
    pub algorithm: CertificateCompressionAlgorithm,
    /// RFC 8879 §4: uint24 uncompressed_length
    pub uncompressed_length: u32,
    /// RFC 8879 §4: opaque compressed_certificate_message<1..2^24-1> (capped at
    /// [`MAX_CERTIFICATE_LIST_SIZE`]: compressed is never larger than a chain we would accept)
    pub compressed: Vec<u8>,
}

impl CompressedCertificate {
    /// The TLS 1.3 Certificate this carries, decompressed with any algorithm clasp implements
    /// and bounded as a handshake bounds it (RFC 8879 §4: never past the declared
    /// uncompressed_length, nor past the certificate cap): for tools that show a transcript.
    ///
    /// # Errors
    /// `PeerMisbehaved::UnofferedCertificateCompression` for an algorithm clasp does not
    /// implement, `PeerMisbehaved::BadCompressedCertificate` when it does not decompress to the
    /// declared length, or the reason the body is no Certificate.
    pub fn decompress(&self) -> Result<CertificateTls13, crate::Error> {
        let body =
            crate::cert_compression::decompress(crate::cert_compression::DEFAULT_ALGORITHMS, self)?;
        let mut r = Reader::new(&body);
        let cert = CertificateTls13::read(&mut r)?;
        r.expect_empty("certificate")?;
        Ok(cert)
    }
}

impl<'a> Codec<'a> for CompressedCertificate {
    fn encode(&self, out: &mut Vec<u8>) {
        self.algorithm.encode(out);
        put_u24(self.uncompressed_length, out);
        put_opaque(
            ListLength::NonEmptyU24 {
                max: MAX_CERTIFICATE_LIST_SIZE,
            },
            &self.compressed,
            out,
        );
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            algorithm: CertificateCompressionAlgorithm::read(r)?,
            uncompressed_length: r.u24("uncompressed_length")?,
            compressed: read_opaque(
                r,
                ListLength::NonEmptyU24 {
                    max: MAX_CERTIFICATE_LIST_SIZE,
                },
                "compressed_certificate_message",
            )?,
        })
    }
}

/// TLS 1.2 `CertificateRequest` (RFC 5246 §7.4.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequestTls12 {
    /// RFC 5246 §7.4.4: ClientCertificateType certificate_types<1..2^8-1>
    pub certificate_types: Vec<ClientCertificateType>,
    /// RFC 5246 §7.4.4: SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>
    pub supported_signature_algorithms: Vec<SignatureScheme>,
    /// RFC 5246 §7.4.4: DistinguishedName certificate_authorities<0..2^16-1>
    pub certificate_authorities: Vec<DistinguishedName>,
}

impl<'a> Codec<'a> for CertificateRequestTls12 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.certificate_types.encode(out);
        self.supported_signature_algorithms.encode(out);
        encode_list(&self.certificate_authorities, ListLength::U16, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            certificate_types: Vec::read(r)?,
            supported_signature_algorithms: Vec::read(r)?,
            certificate_authorities: read_list(r, ListLength::U16, "certificate_authorities")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Finished, NewSessionTicket
// ---------------------------------------------------------------------------------------------

/// `Finished` (RFC 8446 §4.4.4, RFC 5246 §7.4.9): `opaque verify_data[Hash.length]` (TLS 1.2:
/// 12 bytes); the whole body. Its length is checked against the suite by the state machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// RFC 8446 §4.4.4: opaque verify_data[Hash.length]
    pub verify_data: Vec<u8>,
}

impl<'a> Codec<'a> for Finished {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            verify_data: r.rest().to_vec(),
        })
    }
}

/// TLS 1.3 `NewSessionTicket` (RFC 8446 §4.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicketTls13 {
    /// RFC 8446 §4.6.1: uint32 ticket_lifetime (seconds, at most 604800)
    pub ticket_lifetime: u32,
    /// RFC 8446 §4.6.1: uint32 ticket_age_add
    pub ticket_age_add: u32,
    /// RFC 8446 §4.6.1: opaque ticket_nonce<0..255>
    pub ticket_nonce: Vec<u8>,
    /// RFC 8446 §4.6.1: opaque ticket<1..2^16-1>
    pub ticket: Vec<u8>,
    /// RFC 8446 §4.6.1: Extension extensions<0..2^16-2>
    pub extensions: Vec<NewSessionTicketExtension>,
}

impl<'a> Codec<'a> for NewSessionTicketTls13 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.ticket_lifetime.encode(out);
        self.ticket_age_add.encode(out);
        put_opaque(ListLength::U8, &self.ticket_nonce, out);
        put_opaque(ListLength::NonEmptyU16, &self.ticket, out);
        encode_extensions(&self.extensions, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            ticket_lifetime: r.u32("ticket_lifetime")?,
            ticket_age_add: r.u32("ticket_age_add")?,
            ticket_nonce: read_opaque(r, ListLength::U8, "ticket_nonce")?,
            ticket: read_opaque(r, ListLength::NonEmptyU16, "ticket")?,
            extensions: read_extensions(r, ListLength::U16, ())?,
        })
    }
}

impl NewSessionTicketTls13 {
    /// early_data's max_early_data_size (RFC 8446 §4.2.10), if the ticket allows 0-RTT.
    #[must_use]
    pub fn max_early_data_size(&self) -> Option<u32> {
        match find_extension(&self.extensions, ExtensionType::EarlyData)? {
            NewSessionTicketExtension::EarlyData(n) => Some(*n),
            NewSessionTicketExtension::Unknown { .. } => None,
        }
    }
}

/// TLS 1.2 `NewSessionTicket` (RFC 5077 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicketTls12 {
    /// RFC 5077 §3.3: uint32 ticket_lifetime_hint
    pub ticket_lifetime_hint: u32,
    /// RFC 5077 §3.3: opaque ticket<0..2^16-1>
    pub ticket: Vec<u8>,
}

impl<'a> Codec<'a> for NewSessionTicketTls12 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.ticket_lifetime_hint.encode(out);
        put_opaque(ListLength::U16, &self.ticket, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            ticket_lifetime_hint: r.u32("ticket_lifetime_hint")?,
            ticket: read_opaque(r, ListLength::U16, "ticket")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The payload enum and the framing
// ---------------------------------------------------------------------------------------------

/// The body of a handshake message, by type.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakePayload {
    /// HelloRequest: empty (RFC 5246 §7.4.1.1); clasp refuses renegotiation.
    HelloRequest,
    /// ClientHello (RFC 8446 §4.1.2).
    ClientHello(ClientHello),
    /// ServerHello or HelloRetryRequest (RFC 8446 §4.1.3).
    ServerHello(ServerHello),
    /// EndOfEarlyData: empty (RFC 8446 §4.5).
    EndOfEarlyData,
    /// EncryptedExtensions (RFC 8446 §4.3.1).
    EncryptedExtensions(EncryptedExtensions),
    /// TLS 1.3 Certificate (RFC 8446 §4.4.2).
    CertificateTls13(CertificateTls13),
    /// TLS 1.2 Certificate (RFC 5246 §7.4.2).
    CertificateTls12(CertificateTls12),
    /// TLS 1.3 CertificateRequest (RFC 8446 §4.3.2).
    CertificateRequestTls13(CertificateRequestTls13),
    /// TLS 1.2 CertificateRequest (RFC 5246 §7.4.4).
    CertificateRequestTls12(CertificateRequestTls12),
    /// CertificateVerify (RFC 8446 §4.4.3, RFC 5246 §7.4.8).
    CertificateVerify(DigitallySigned),
    /// TLS 1.2 ServerKeyExchange, raw until the key exchange is known (RFC 5246 §7.4.3).
    ServerKeyExchange(ServerKeyExchange),
    /// ServerHelloDone: empty (RFC 5246 §7.4.5).
    ServerHelloDone,
    /// TLS 1.2 ClientKeyExchange, raw until the key exchange is known (RFC 5246 §7.4.7).
    ClientKeyExchange(ClientKeyExchange),
    /// Finished (RFC 8446 §4.4.4).
    Finished(Finished),
    /// TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1).
    NewSessionTicketTls13(NewSessionTicketTls13),
    /// TLS 1.2 NewSessionTicket (RFC 5077 §3.3).
    NewSessionTicketTls12(NewSessionTicketTls12),
    /// CertificateStatus (RFC 6066 §8).
    CertificateStatus(CertificateStatus),
    /// CompressedCertificate (RFC 8879 §4), TLS 1.3 only.
    CompressedCertificate(CompressedCertificate),
    /// KeyUpdate: `KeyUpdateRequest request_update` (RFC 8446 §4.6.3). Values other than 0 and
    /// 1 decode; the state machine answers them with illegal_parameter.
    KeyUpdate(KeyUpdateRequest),
    /// A message type we do not know, kept raw.
    Unknown {
        /// RFC 8446 §4: HandshakeType msg_type
        typ: HandshakeType,
        /// The body.
        body: Vec<u8>,
    },
}

impl HandshakePayload {
    /// The handshake type this payload is sent under.
    #[must_use]
    pub fn typ(&self) -> HandshakeType {
        use HandshakeType as T;
        match self {
            Self::HelloRequest => T::HelloRequest,
            Self::ClientHello(_) => T::ClientHello,
            Self::ServerHello(_) => T::ServerHello,
            Self::EndOfEarlyData => T::EndOfEarlyData,
            Self::EncryptedExtensions(_) => T::EncryptedExtensions,
            Self::CertificateTls13(_) | Self::CertificateTls12(_) => T::Certificate,
            Self::CertificateRequestTls13(_) | Self::CertificateRequestTls12(_) => {
                T::CertificateRequest
            }
            Self::CertificateVerify(_) => T::CertificateVerify,
            Self::ServerKeyExchange(_) => T::ServerKeyExchange,
            Self::ServerHelloDone => T::ServerHelloDone,
            Self::ClientKeyExchange(_) => T::ClientKeyExchange,
            Self::Finished(_) => T::Finished,
            Self::NewSessionTicketTls13(_) | Self::NewSessionTicketTls12(_) => T::NewSessionTicket,
            Self::CertificateStatus(_) => T::CertificateStatus,
            Self::CompressedCertificate(_) => T::CompressedCertificate,
            Self::KeyUpdate(_) => T::KeyUpdate,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    /// Appends the body (without the 4-byte header).
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::HelloRequest | Self::EndOfEarlyData | Self::ServerHelloDone => {}
            Self::ClientHello(m) => m.encode(out),
            Self::ServerHello(m) => m.encode(out),
            Self::EncryptedExtensions(m) => m.encode(out),
            Self::CertificateTls13(m) => m.encode(out),
            Self::CertificateTls12(m) => m.encode(out),
            Self::CertificateRequestTls13(m) => m.encode(out),
            Self::CertificateRequestTls12(m) => m.encode(out),
            Self::CertificateVerify(m) => m.encode(out),
            Self::ServerKeyExchange(m) => m.encode(out),
            Self::ClientKeyExchange(m) => m.encode(out),
            Self::Finished(m) => m.encode(out),
            Self::NewSessionTicketTls13(m) => m.encode(out),
            Self::NewSessionTicketTls12(m) => m.encode(out),
            Self::CertificateStatus(m) => m.encode(out),
            Self::CompressedCertificate(m) => m.encode(out),
            Self::KeyUpdate(m) => m.encode(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    /// Appends the whole message: `msg_type`, `uint24 length`, body (RFC 8446 §4).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        let g = LengthPrefixedBuffer::new(ListLength::U24 { max: 0x00ff_ffff }, out);
        self.encode_body(g.buf);
    }

    /// Decodes a body of type `typ`; `version` picks the TLS 1.3 (`TLSv1_3`) or TLS 1.2 (any
    /// other value) form of Certificate, CertificateRequest and NewSessionTicket. The whole
    /// body must be consumed.
    ///
    /// # Errors
    /// The reason the body does not decode, or `TrailingData`.
    pub fn read_body(
        typ: HandshakeType,
        body: &[u8],
        version: ProtocolVersion,
    ) -> Result<Self, InvalidMessage> {
        use HandshakeType as T;
        let tls13 = version == ProtocolVersion::TLSv1_3;
        let mut r = Reader::new(body);
        let r = &mut r;
        let p = match typ {
            T::HelloRequest => Self::HelloRequest,
            T::ClientHello => Self::ClientHello(ClientHello::read(r)?),
            T::ServerHello => Self::ServerHello(ServerHello::read(r)?),
            T::EndOfEarlyData => Self::EndOfEarlyData,
            T::EncryptedExtensions => Self::EncryptedExtensions(EncryptedExtensions::read(r)?),
            T::Certificate if tls13 => Self::CertificateTls13(CertificateTls13::read(r)?),
            T::Certificate => Self::CertificateTls12(CertificateTls12::read(r)?),
            T::CertificateRequest if tls13 => {
                Self::CertificateRequestTls13(CertificateRequestTls13::read(r)?)
            }
            T::CertificateRequest => {
                Self::CertificateRequestTls12(CertificateRequestTls12::read(r)?)
            }
            T::CertificateVerify => Self::CertificateVerify(DigitallySigned::read(r)?),
            T::ServerKeyExchange => Self::ServerKeyExchange(ServerKeyExchange::read(r)?),
            T::ServerHelloDone => Self::ServerHelloDone,
            T::ClientKeyExchange => Self::ClientKeyExchange(ClientKeyExchange::read(r)?),
            T::Finished => Self::Finished(Finished::read(r)?),
            T::NewSessionTicket if tls13 => {
                Self::NewSessionTicketTls13(NewSessionTicketTls13::read(r)?)
            }
            T::NewSessionTicket => Self::NewSessionTicketTls12(NewSessionTicketTls12::read(r)?),
            T::CertificateStatus => Self::CertificateStatus(CertificateStatus::read(r)?),
            T::CompressedCertificate if tls13 => {
                Self::CompressedCertificate(CompressedCertificate::read(r)?)
            }
            T::KeyUpdate => Self::KeyUpdate(KeyUpdateRequest::read(r)?),
            _ => Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        };
        r.expect_empty(match typ.name() {
            Some(n) => n,
            None => "handshake message",
        })?;
        Ok(p)
    }
}

/// A handshake message with the exact bytes (header + body) it was received as, or encoded to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    payload: HandshakePayload,
    encoded: Vec<u8>,
}

impl HandshakeMessage {
    /// Wraps a payload we built, encoding it once (header + body).
    #[must_use]
    pub fn new(payload: HandshakePayload) -> Self {
        let mut encoded = Vec::new();
        payload.encode(&mut encoded);
        Self { payload, encoded }
    }

    /// Decodes exactly one message occupying all of `bytes` (header + body).
    ///
    /// `version` is the negotiated version, which decides the form of Certificate,
    /// CertificateRequest and NewSessionTicket; before negotiation any value works for
    /// ClientHello and ServerHello.
    ///
    /// # Errors
    /// Any decode error; `TrailingData` if bytes follow the message.
    pub fn read_version(bytes: &[u8], version: ProtocolVersion) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let m = Self::read_from(&mut r, version)?;
        r.expect_empty("handshake message")?;
        Ok(m)
    }

    /// Decodes one message from the front of `r`, leaving the rest.
    ///
    /// # Errors
    /// Any decode error.
    pub fn read_from(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, InvalidMessage> {
        let typ = HandshakeType::read(r)?;
        // RFC 8446 §4: uint24 length; the body must be present in full (no allocation from the
        // declared length: `sub` checks it against the bytes we have).
        let len = r.u24("handshake length")?;
        let body = r.sub(len as usize, "handshake body")?.rest();
        let payload = HandshakePayload::read_body(typ, body, version)?;
        let mut encoded = Vec::with_capacity(4 + body.len());
        typ.encode(&mut encoded);
        put_u24(len, &mut encoded);
        encoded.extend_from_slice(body);
        Ok(Self { payload, encoded })
    }

    /// The message type.
    #[must_use]
    pub fn typ(&self) -> HandshakeType {
        self.payload.typ()
    }

    /// The decoded body.
    #[must_use]
    pub fn payload(&self) -> &HandshakePayload {
        &self.payload
    }

    /// The bytes as received (or as encoded by [`HandshakeMessage::new`]): what the transcript
    /// hashes.
    #[must_use]
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// Splits into payload and bytes.
    #[must_use]
    pub fn into_parts(self) -> (HandshakePayload, Vec<u8>) {
        (self.payload, self.encoded)
    }

    /// For a ClientHello with pre_shared_key: the offset where the binders list starts, so that
    /// `encoded()[..offset]` is the truncated ClientHello (RFC 8446 §4.2.11.2).
    #[must_use]
    pub fn psk_binders_offset(&self) -> Option<usize> {
        let HandshakePayload::ClientHello(ch) = &self.payload else {
            return None;
        };
        // pre_shared_key is the last extension (checked on decode; RFC 8446 §4.2.11) and
        // binders its last field, so the binders list is the tail of the encoding.
        let ClientExtension::PreSharedKey(offer) = ch.extensions.last()? else {
            return None;
        };
        self.encoded.len().checked_sub(offer.binders_encoded_len())
    }

    /// Replaces the PSK binders of a ClientHello we built with placeholder binders of the same
    /// lengths, patching both the payload and the encoded bytes (RFC 8446 §4.2.11.2: the binders
    /// are computed over the message without them, then filled in).
    ///
    /// # Errors
    /// `IllegalValue` if this is not a ClientHello ending in pre_shared_key, or if the number or
    /// lengths of `binders` differ from the placeholders.
    pub fn set_psk_binders(&mut self, binders: &[&[u8]]) -> Result<(), InvalidMessage> {
        const WHAT: InvalidMessage = InvalidMessage::IllegalValue("set_psk_binders");
        let offset = self.psk_binders_offset().ok_or(WHAT)?;
        let HandshakePayload::ClientHello(ch) = &mut self.payload else {
            return Err(WHAT);
        };
        let Some(ClientExtension::PreSharedKey(offer)) = ch.extensions.last_mut() else {
            return Err(WHAT);
        };
        if offer.binders.len() != binders.len()
            || offer
                .binders
                .iter()
                .zip(binders)
                .any(|(a, b)| a.0.len() != b.len())
        {
            return Err(WHAT);
        }
        for (slot, b) in offer.binders.iter_mut().zip(binders) {
            slot.0.copy_from_slice(b);
        }
        let mut tail = Vec::with_capacity(offer.binders_encoded_len());
        offer.binders.encode(&mut tail);
        // Same lengths as before, so the tail has the same size and the header and outer
        // lengths stay valid.
        self.encoded.truncate(offset);
        self.encoded.extend_from_slice(&tail);
        Ok(())
    }
}

/// Builds placeholder binders (zeros) of the given lengths, to encode a ClientHello before its
/// binders are known (RFC 8446 §4.2.11.2).
#[must_use]
pub fn placeholder_binders(lengths: &[usize]) -> Vec<PskBinderEntry> {
    lengths
        .iter()
        .map(|&n| PskBinderEntry(vec![0; n]))
        .collect()
}
