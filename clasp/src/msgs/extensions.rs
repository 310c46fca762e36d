//! Extension bodies and one extension enum per message context.
//!
//! | enum | appears in |
//! |---|---|
//! | [`ClientExtension`] | ClientHello (TLS 1.2 and 1.3) |
//! | [`ServerExtension`] | ServerHello (TLS 1.2 and 1.3) and HelloRetryRequest |
//! | [`EncryptedExtension`] | EncryptedExtensions (TLS 1.3) |
//! | [`CertReqExtension`] | CertificateRequest (TLS 1.3) |
//! | [`CertificateExtension`] | CertificateEntry (TLS 1.3) |
//! | [`NewSessionTicketExtension`] | NewSessionTicket (TLS 1.3) |
//!
//! Every list keeps the peer's order (the "how's my TLS" page and JA4 need it), keeps extensions
//! we do not know as opaque `Unknown { typ, body }` that re-encode byte-identical, and rejects a
//! repeated extension type while decoding (RFC 8446 §4.2: "There MUST NOT be more than one
//! extension of the same type in a given extension block").
//!
//! This module must never decide whether an extension is *allowed* in a state (that is the state
//! machines' job); it only decides whether the bytes are well-formed.

use crate::codec::{Codec, LengthPrefixedBuffer, ListLength, Reader, TlsListElement};
use crate::error::InvalidMessage;
use crate::msgs::enums::{
    CertificateCompressionAlgorithm, CertificateStatusType, EcPointFormat, ExtensionType,
    NamedGroup, ProtocolVersion, PskKeyExchangeMode, ServerNameType, SignatureScheme,
};
use crate::msgs::{put_opaque, read_opaque};

// ---------------------------------------------------------------------------------------------
// Extension-list machinery
// ---------------------------------------------------------------------------------------------

/// An extension enum: how one `Extension { extension_type, extension_data }` (RFC 8446 §4.2)
/// maps to a typed body in a given message context.
pub trait ExtensionCodec: Sized {
    /// Extra knowledge the body decoder needs (e.g. whether a ServerHello is an HRR).
    type Context: Copy;

    /// The extension_type this value is sent under.
    fn ext_type(&self) -> ExtensionType;

    /// Appends `extension_data` (without its length prefix).
    fn encode_body(&self, out: &mut Vec<u8>);

    /// Decodes `extension_data` of type `typ`; the caller checks that `body` is consumed.
    ///
    /// # Errors
    /// The reason the body does not decode.
    fn read_body(
        typ: ExtensionType,
        body: &mut Reader<'_>,
        cx: Self::Context,
    ) -> Result<Self, InvalidMessage>;

    /// Appends the whole extension: type, u16 length, body (RFC 8446 §4.2).
    fn encode_extension(&self, out: &mut Vec<u8>) {
        self.ext_type().encode(out);
        let g = LengthPrefixedBuffer::new(ListLength::U16, out);
        self.encode_body(g.buf);
    }

    /// Decodes one whole extension: type, u16 length, body.
    ///
    /// # Errors
    /// Short input, or a body that does not decode or has trailing bytes.
    fn read_extension(r: &mut Reader<'_>, cx: Self::Context) -> Result<Self, InvalidMessage> {
        let typ = ExtensionType::read(r)?;
        // RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        let mut body = r.length_prefixed(ListLength::U16, "extension_data")?;
        let ext = Self::read_body(typ, &mut body, cx)?;
        body.expect_empty("extension_data")?;
        Ok(ext)
    }
}

/// List length from which duplicate detection switches from a scan to [`SeenTypes`].
const SCAN_LIMIT: usize = 32;

/// Tracks which extension types were seen, without allocating: one bit per possible type.
struct SeenTypes([u64; 1024]);

impl SeenTypes {
    fn new() -> Self {
        Self([0; 1024])
    }

    /// Marks `typ`; `false` if it was already marked.
    fn insert(&mut self, typ: ExtensionType) -> bool {
        let (word, bit) = (usize::from(typ.0 >> 6), typ.0 & 63);
        // `word` < 1024 because typ.0 >> 6 < 2^10: the `get_mut` cannot fail.
        match self.0.get_mut(word) {
            Some(w) if *w & (1 << bit) == 0 => {
                *w |= 1 << bit;
                true
            }
            _ => false,
        }
    }
}

/// Reads `Extension extensions<..>` with prefix/bounds `len`, in order, rejecting duplicates.
///
/// # Errors
/// `DuplicateExtension` (RFC 8446 §4.2), or any body decode error.
pub fn read_extensions<E: ExtensionCodec>(
    r: &mut Reader<'_>,
    len: ListLength,
    cx: E::Context,
) -> Result<Vec<E>, InvalidMessage> {
    let mut sub = r.length_prefixed(len, "extensions")?;
    // Real lists are short (a browser ClientHello has ~18): scan what we decoded so far; only a
    // long (hostile) list pays for the 8 KiB bitset, keeping the check O(n) either way.
    let mut seen: Option<SeenTypes> = None;
    let mut out: Vec<E> = Vec::new();
    while sub.any_left() {
        let typ = ExtensionType::read(&mut sub)?;
        let duplicate = match &mut seen {
            Some(set) => !set.insert(typ),
            None => {
                let dup = out.iter().any(|e| e.ext_type() == typ);
                if out.len() >= SCAN_LIMIT {
                    let mut set = SeenTypes::new();
                    for e in &out {
                        set.insert(e.ext_type());
                    }
                    set.insert(typ);
                    seen = Some(set);
                }
                dup
            }
        };
        // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type".
        if duplicate {
            return Err(InvalidMessage::DuplicateExtension(typ.0));
        }
        // RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        let mut body = sub.length_prefixed(ListLength::U16, "extension_data")?;
        out.push(E::read_body(typ, &mut body, cx)?);
        body.expect_empty("extension_data")?;
    }
    Ok(out)
}

/// Writes `Extension extensions<0..2^16-1>` in the order given.
pub fn encode_extensions<E: ExtensionCodec>(exts: &[E], out: &mut Vec<u8>) {
    let g = LengthPrefixedBuffer::new(ListLength::U16, out);
    for e in exts {
        e.encode_extension(g.buf);
    }
}

/// Extension-type lookup shared by every extension enum.
pub fn find_extension<E: ExtensionCodec>(exts: &[E], typ: ExtensionType) -> Option<&E> {
    exts.iter().find(|e| e.ext_type() == typ)
}

/// Whether two lists would collide, e.g. before pushing an extension onto a list we build.
#[must_use]
pub fn has_duplicates<E: ExtensionCodec>(exts: &[E]) -> bool {
    let mut seen = SeenTypes::new();
    exts.iter().any(|e| !seen.insert(e.ext_type()))
}

// ---------------------------------------------------------------------------------------------
// Body types
// ---------------------------------------------------------------------------------------------

/// `ServerNameList` (RFC 6066 §3). Only `host_name` is understood; the raw list is kept so that
/// entries of unknown name types re-encode byte-identical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerNameList {
    /// RFC 6066 §3: the body of `ServerName server_name_list<1..2^16-1>`, exactly as received.
    raw: Vec<u8>,
    /// RFC 6066 §3: the `host_name` entry, ASCII without trailing dot.
    host_name: Option<String>,
}

impl ServerNameList {
    /// A list holding one `host_name` (RFC 6066 §3).
    #[must_use]
    pub fn from_host_name(name: &str) -> Self {
        let mut raw = Vec::with_capacity(name.len() + 3);
        ServerNameType::HostName.encode(&mut raw);
        put_opaque(ListLength::NonEmptyU16, name.as_bytes(), &mut raw);
        Self {
            raw,
            host_name: Some(name.to_owned()),
        }
    }

    /// The `host_name`, if the list has one.
    #[must_use]
    pub fn host_name(&self) -> Option<&str> {
        self.host_name.as_deref()
    }

    /// The list body as received (for the tools).
    #[must_use]
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}

impl<'a> Codec<'a> for ServerNameList {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::NonEmptyU16, &self.raw, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        // RFC 6066 §3: ServerName server_name_list<1..2^16-1>
        let raw = r
            .length_prefixed(ListLength::NonEmptyU16, "server_name_list")?
            .rest();
        let mut list = Reader::new(raw);
        let raw = raw.to_vec();
        let mut host_name = None;
        while list.any_left() {
            let typ = ServerNameType::read(&mut list)?;
            if typ != ServerNameType::HostName {
                // An unknown NameType has no known length: stop here and keep the raw bytes
                // (RFC 6066 §3 defines only host_name).
                break;
            }
            // RFC 6066 §3: opaque HostName<1..2^16-1>
            let name = list
                .length_prefixed(ListLength::NonEmptyU16, "HostName")?
                .rest();
            // RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of the
            // same name_type."
            if host_name.is_some() {
                return Err(InvalidMessage::IllegalValue("server_name: two host_names"));
            }
            // RFC 6066 §3: HostName is "a byte string using ASCII encoding".
            if !name.is_ascii() {
                return Err(InvalidMessage::IllegalValue(
                    "server_name: non-ASCII host_name",
                ));
            }
            host_name = Some(name.iter().map(|&b| char::from(b)).collect());
        }
        Ok(Self { raw, host_name })
    }
}

/// `KeyShareEntry` (RFC 8446 §4.2.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// RFC 8446 §4.2.8: NamedGroup group
    pub group: NamedGroup,
    /// RFC 8446 §4.2.8: opaque key_exchange<1..2^16-1>
    pub key_exchange: Vec<u8>,
}

impl<'a> Codec<'a> for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        put_opaque(ListLength::NonEmptyU16, &self.key_exchange, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            group: NamedGroup::read(r)?,
            key_exchange: read_opaque(r, ListLength::NonEmptyU16, "key_exchange")?,
        })
    }
}

impl TlsListElement for KeyShareEntry {
    // RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1>
    const LEN: ListLength = ListLength::U16;
}

/// `PskIdentity` (RFC 8446 §4.2.11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskIdentity {
    /// RFC 8446 §4.2.11: opaque identity<1..2^16-1>
    pub identity: Vec<u8>,
    /// RFC 8446 §4.2.11: uint32 obfuscated_ticket_age
    pub obfuscated_ticket_age: u32,
}

impl<'a> Codec<'a> for PskIdentity {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::NonEmptyU16, &self.identity, out);
        self.obfuscated_ticket_age.encode(out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self {
            identity: read_opaque(r, ListLength::NonEmptyU16, "PskIdentity.identity")?,
            obfuscated_ticket_age: r.u32("obfuscated_ticket_age")?,
        })
    }
}

impl TlsListElement for PskIdentity {
    // RFC 8446 §4.2.11: PskIdentity identities<7..2^16-1>
    const LEN: ListLength = ListLength::NonEmptyU16;
}

/// `PskBinderEntry` (RFC 8446 §4.2.11): `opaque PskBinderEntry<32..255>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskBinderEntry(pub Vec<u8>);

impl<'a> Codec<'a> for PskBinderEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::NonEmptyU8, &self.0, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let b = read_opaque(r, ListLength::NonEmptyU8, "PskBinderEntry")?;
        // RFC 8446 §4.2.11: opaque PskBinderEntry<32..255>
        if b.len() < 32 {
            return Err(InvalidMessage::InvalidLength("PskBinderEntry"));
        }
        Ok(Self(b))
    }
}

impl TlsListElement for PskBinderEntry {
    // RFC 8446 §4.2.11: PskBinderEntry binders<33..2^16-1>
    const LEN: ListLength = ListLength::NonEmptyU16;
}

/// `OfferedPsks` (RFC 8446 §4.2.11): the client's pre_shared_key body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    /// RFC 8446 §4.2.11: PskIdentity identities<7..2^16-1>
    pub identities: Vec<PskIdentity>,
    /// RFC 8446 §4.2.11: PskBinderEntry binders<33..2^16-1>
    pub binders: Vec<PskBinderEntry>,
}

impl OfferedPsks {
    /// Length of the encoded `binders` vector including its u16 prefix: the truncated
    /// ClientHello (RFC 8446 §4.2.11.2) is the encoded message minus this many trailing bytes.
    #[must_use]
    pub fn binders_encoded_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.0.len()).sum::<usize>()
    }
}

impl<'a> Codec<'a> for OfferedPsks {
    fn encode(&self, out: &mut Vec<u8>) {
        self.identities.encode(out);
        self.binders.encode(out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let identities = Vec::<PskIdentity>::read(r)?;
        let binders = Vec::<PskBinderEntry>::read(r)?;
        // RFC 8446 §4.2.11: each binder is "computed ... for the PSK with the same index": the
        // counts must match for the list to mean anything.
        if identities.len() != binders.len() {
            return Err(InvalidMessage::PskBinderCountMismatch);
        }
        Ok(Self {
            identities,
            binders,
        })
    }
}

/// `ProtocolName` (RFC 7301 §3.1): `opaque ProtocolName<1..2^8-1>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolName(pub Vec<u8>);

impl<'a> Codec<'a> for ProtocolName {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::NonEmptyU8, &self.0, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self(read_opaque(
            r,
            ListLength::NonEmptyU8,
            "ProtocolName",
        )?))
    }
}

impl TlsListElement for ProtocolName {
    // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>
    const LEN: ListLength = ListLength::NonEmptyU16;
}

/// `DistinguishedName` (RFC 8446 §4.2.4, RFC 5246 §7.4.4): `opaque DistinguishedName<1..2^16-1>`,
/// a DER-encoded X.501 Name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistinguishedName(pub Vec<u8>);

impl<'a> Codec<'a> for DistinguishedName {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(ListLength::NonEmptyU16, &self.0, out);
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        Ok(Self(read_opaque(
            r,
            ListLength::NonEmptyU16,
            "DistinguishedName",
        )?))
    }
}

impl TlsListElement for DistinguishedName {
    // RFC 8446 §4.2.4: DistinguishedName authorities<3..2^16-1> (TLS 1.2's CertificateRequest
    // list is <0..2^16-1> and is read with explicit bounds there).
    const LEN: ListLength = ListLength::NonEmptyU16;
}

/// `CertificateStatusRequest` (RFC 6066 §8), the client's status_request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateStatusRequest {
    /// RFC 6066 §8: `status_type` ocsp with an `OCSPStatusRequest`.
    Ocsp {
        /// RFC 6066 §8: body of `ResponderID responder_id_list<0..2^16-1>`, as received.
        responder_id_list: Vec<u8>,
        /// RFC 6066 §8: body of `Extensions request_extensions<0..2^16-1>` (DER), as received.
        request_extensions: Vec<u8>,
    },
    /// A status_type we do not know, kept raw.
    Unknown {
        /// RFC 6066 §8: CertificateStatusType status_type
        status_type: CertificateStatusType,
        /// Everything after the type.
        body: Vec<u8>,
    },
}

impl CertificateStatusRequest {
    /// An OCSP request with no responder ids and no extensions (what browsers send).
    #[must_use]
    pub fn ocsp() -> Self {
        Self::Ocsp {
            responder_id_list: Vec::new(),
            request_extensions: Vec::new(),
        }
    }
}

impl<'a> Codec<'a> for CertificateStatusRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Ocsp {
                responder_id_list,
                request_extensions,
            } => {
                CertificateStatusType::Ocsp.encode(out);
                put_opaque(ListLength::U16, responder_id_list, out);
                put_opaque(ListLength::U16, request_extensions, out);
            }
            Self::Unknown { status_type, body } => {
                status_type.encode(out);
                out.extend_from_slice(body);
            }
        }
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        let status_type = CertificateStatusType::read(r)?;
        if status_type == CertificateStatusType::Ocsp {
            Ok(Self::Ocsp {
                responder_id_list: read_opaque(r, ListLength::U16, "responder_id_list")?,
                request_extensions: read_opaque(r, ListLength::U16, "request_extensions")?,
            })
        } else {
            Ok(Self::Unknown {
                status_type,
                body: r.rest().to_vec(),
            })
        }
    }
}

/// `CertificateStatus` (RFC 6066 §8; RFC 8446 §4.4.2.1): an OCSP response, sent as a TLS 1.2
/// handshake message or inside a TLS 1.3 CertificateEntry's status_request extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateStatus {
    /// RFC 6066 §8: `opaque OCSPResponse<1..2^24-1>` (status_type is always ocsp).
    pub ocsp_response: Vec<u8>,
}

/// Cap on an OCSP response we accept (the wire allows 16 MiB; real ones are a few KiB).
pub const MAX_OCSP_RESPONSE_SIZE: usize = 64 * 1024;

impl<'a> Codec<'a> for CertificateStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        CertificateStatusType::Ocsp.encode(out);
        put_opaque(
            ListLength::NonEmptyU24 {
                max: MAX_OCSP_RESPONSE_SIZE,
            },
            &self.ocsp_response,
            out,
        );
    }

    fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
        // RFC 6066 §8: ocsp is the only status_type with a defined body.
        if CertificateStatusType::read(r)? != CertificateStatusType::Ocsp {
            return Err(InvalidMessage::IllegalValue(
                "CertificateStatus.status_type",
            ));
        }
        Ok(Self {
            ocsp_response: read_opaque(
                r,
                ListLength::NonEmptyU24 {
                    max: MAX_OCSP_RESPONSE_SIZE,
                },
                "OCSPResponse",
            )?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Shared body codecs (same wire form in several contexts)
// ---------------------------------------------------------------------------------------------

fn expect_empty_body(r: &Reader<'_>, what: &'static str) -> Result<(), InvalidMessage> {
    r.expect_empty(what)
}

/// RFC 5746 §3.2: `opaque renegotiated_connection<0..255>`.
fn read_reneg(r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    read_opaque(r, ListLength::U8, "renegotiated_connection")
}

/// RFC 8446 §4.2.2: `opaque cookie<1..2^16-1>`.
fn read_cookie(r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    read_opaque(r, ListLength::NonEmptyU16, "cookie")
}

// ---------------------------------------------------------------------------------------------
// ClientHello extensions
// ---------------------------------------------------------------------------------------------

/// An extension in a ClientHello (RFC 8446 §4.2, RFC 5246 §7.4.1.4).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// server_name (RFC 6066 §3).
    ServerName(ServerNameList),
    /// status_request (RFC 6066 §8).
    StatusRequest(CertificateStatusRequest),
    /// supported_groups: `NamedGroup named_group_list<2..2^16-1>` (RFC 8446 §4.2.7).
    SupportedGroups(Vec<NamedGroup>),
    /// ec_point_formats: `ECPointFormat ec_point_format_list<1..2^8-1>` (RFC 8422 §5.1.2).
    EcPointFormats(Vec<EcPointFormat>),
    /// signature_algorithms (RFC 8446 §4.2.3).
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// signature_algorithms_cert (RFC 8446 §4.2.3).
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// application_layer_protocol_negotiation: `ProtocolNameList` (RFC 7301 §3.1).
    Alpn(Vec<ProtocolName>),
    /// supported_versions: `ProtocolVersion versions<2..254>` (RFC 8446 §4.2.1).
    SupportedVersions(Vec<ProtocolVersion>),
    /// key_share: `KeyShareEntry client_shares<0..2^16-1>` (RFC 8446 §4.2.8).
    KeyShare(Vec<KeyShareEntry>),
    /// psk_key_exchange_modes: `PskKeyExchangeMode ke_modes<1..255>` (RFC 8446 §4.2.9).
    PskKeyExchangeModes(Vec<PskKeyExchangeMode>),
    /// pre_shared_key: `OfferedPsks` (RFC 8446 §4.2.11); must be the last extension.
    PreSharedKey(OfferedPsks),
    /// early_data: empty in ClientHello (RFC 8446 §4.2.10).
    EarlyData,
    /// cookie: `opaque cookie<1..2^16-1>` (RFC 8446 §4.2.2).
    Cookie(Vec<u8>),
    /// extended_master_secret: empty (RFC 7627 §5.1).
    ExtendedMasterSecret,
    /// renegotiation_info: `opaque renegotiated_connection<0..255>` (RFC 5746 §3.2).
    RenegotiationInfo(Vec<u8>),
    /// session_ticket: the opaque ticket, possibly empty (RFC 5077 §3.2).
    SessionTicket(Vec<u8>),
    /// record_size_limit: `uint16 RecordSizeLimit` (RFC 8449 §4).
    RecordSizeLimit(u16),
    /// padding: any bytes, kept as received. RFC 7685 §3 says the client "MUST fill the padding
    /// extension completely with zero bytes", but puts no duty on the receiver; we accept any
    /// content (as rustls and Go do) so a sloppy padder does not break the handshake, and keep
    /// it so it re-encodes byte-identical.
    Padding(Vec<u8>),
    /// certificate_authorities: `DistinguishedName authorities<3..2^16-1>` (RFC 8446 §4.2.4).
    CertificateAuthorities(Vec<DistinguishedName>),
    /// post_handshake_auth: empty (RFC 8446 §4.2.6).
    PostHandshakeAuth,
    /// compress_certificate: `CertificateCompressionAlgorithm algorithms<2..2^8-2>` (RFC 8879 §3).
    CompressCertificate(Vec<CertificateCompressionAlgorithm>),
    /// Any other extension, kept opaque.
    Unknown {
        /// RFC 8446 §4.2: ExtensionType extension_type
        typ: ExtensionType,
        /// RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        body: Vec<u8>,
    },
}

impl ExtensionCodec for ClientExtension {
    type Context = ();

    fn ext_type(&self) -> ExtensionType {
        use ExtensionType as T;
        match self {
            Self::ServerName(_) => T::ServerName,
            Self::StatusRequest(_) => T::StatusRequest,
            Self::SupportedGroups(_) => T::SupportedGroups,
            Self::EcPointFormats(_) => T::EcPointFormats,
            Self::SignatureAlgorithms(_) => T::SignatureAlgorithms,
            Self::SignatureAlgorithmsCert(_) => T::SignatureAlgorithmsCert,
            Self::Alpn(_) => T::ApplicationLayerProtocolNegotiation,
            Self::SupportedVersions(_) => T::SupportedVersions,
            Self::KeyShare(_) => T::KeyShare,
            Self::PskKeyExchangeModes(_) => T::PskKeyExchangeModes,
            Self::PreSharedKey(_) => T::PreSharedKey,
            Self::EarlyData => T::EarlyData,
            Self::Cookie(_) => T::Cookie,
            Self::ExtendedMasterSecret => T::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => T::RenegotiationInfo,
            Self::SessionTicket(_) => T::SessionTicket,
            Self::RecordSizeLimit(_) => T::RecordSizeLimit,
            Self::Padding(_) => T::Padding,
            Self::CertificateAuthorities(_) => T::CertificateAuthorities,
            Self::PostHandshakeAuth => T::PostHandshakeAuth,
            Self::CompressCertificate(_) => T::CompressCertificate,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::CompressCertificate(v) => v.encode(out),
            Self::ServerName(v) => v.encode(out),
            Self::StatusRequest(v) => v.encode(out),
            Self::SupportedGroups(v) => v.encode(out),
            Self::EcPointFormats(v) => v.encode(out),
            Self::SignatureAlgorithms(v) | Self::SignatureAlgorithmsCert(v) => v.encode(out),
            Self::Alpn(v) => v.encode(out),
            Self::SupportedVersions(v) => v.encode(out),
            Self::KeyShare(v) => v.encode(out),
            Self::PskKeyExchangeModes(v) => v.encode(out),
            Self::PreSharedKey(v) => v.encode(out),
            Self::EarlyData | Self::ExtendedMasterSecret | Self::PostHandshakeAuth => {}
            Self::Cookie(v) => put_opaque(ListLength::NonEmptyU16, v, out),
            Self::RenegotiationInfo(v) => put_opaque(ListLength::U8, v, out),
            Self::SessionTicket(v) | Self::Padding(v) | Self::Unknown { body: v, .. } => {
                out.extend_from_slice(v);
            }
            Self::RecordSizeLimit(v) => v.encode(out),
            Self::CertificateAuthorities(v) => v.encode(out),
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>, (): ()) -> Result<Self, InvalidMessage> {
        use ExtensionType as T;
        Ok(match typ {
            T::ServerName => Self::ServerName(ServerNameList::read(r)?),
            T::StatusRequest => Self::StatusRequest(CertificateStatusRequest::read(r)?),
            T::SupportedGroups => Self::SupportedGroups(Vec::read(r)?),
            T::EcPointFormats => Self::EcPointFormats(Vec::read(r)?),
            T::SignatureAlgorithms => Self::SignatureAlgorithms(Vec::read(r)?),
            T::SignatureAlgorithmsCert => Self::SignatureAlgorithmsCert(Vec::read(r)?),
            T::ApplicationLayerProtocolNegotiation => Self::Alpn(Vec::read(r)?),
            T::SupportedVersions => Self::SupportedVersions(Vec::read(r)?),
            T::KeyShare => Self::KeyShare(Vec::read(r)?),
            T::PskKeyExchangeModes => Self::PskKeyExchangeModes(Vec::read(r)?),
            T::PreSharedKey => Self::PreSharedKey(OfferedPsks::read(r)?),
            T::EarlyData => {
                expect_empty_body(r, "early_data")?;
                Self::EarlyData
            }
            T::Cookie => Self::Cookie(read_cookie(r)?),
            T::ExtendedMasterSecret => {
                expect_empty_body(r, "extended_master_secret")?;
                Self::ExtendedMasterSecret
            }
            T::RenegotiationInfo => Self::RenegotiationInfo(read_reneg(r)?),
            T::SessionTicket => Self::SessionTicket(r.rest().to_vec()),
            T::RecordSizeLimit => Self::RecordSizeLimit(r.u16("record_size_limit")?),
            T::Padding => Self::Padding(r.rest().to_vec()),
            T::CertificateAuthorities => Self::CertificateAuthorities(Vec::read(r)?),
            T::PostHandshakeAuth => {
                expect_empty_body(r, "post_handshake_auth")?;
                Self::PostHandshakeAuth
            }
            T::CompressCertificate => Self::CompressCertificate(Vec::read(r)?),
            _ => Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// ServerHello / HelloRetryRequest extensions
// ---------------------------------------------------------------------------------------------

/// Which kind of ServerHello the extensions belong to: key_share differs (RFC 8446 §4.2.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerHelloKind {
    /// A real ServerHello (TLS 1.2 or 1.3).
    ServerHello,
    /// A HelloRetryRequest (RFC 8446 §4.1.4).
    HelloRetryRequest,
}

/// An extension in a ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4; RFC 5246
/// §7.4.1.4).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExtension {
    /// server_name acknowledgement: empty (RFC 6066 §3; TLS 1.2 ServerHello).
    ServerNameAck,
    /// status_request acknowledgement: empty (RFC 6066 §8; TLS 1.2 ServerHello).
    StatusRequestAck,
    /// ec_point_formats (RFC 8422 §5.2; TLS 1.2).
    EcPointFormats(Vec<EcPointFormat>),
    /// application_layer_protocol_negotiation: exactly one name (RFC 7301 §3.1; TLS 1.2).
    Alpn(Vec<ProtocolName>),
    /// supported_versions: `ProtocolVersion selected_version` (RFC 8446 §4.2.1).
    SupportedVersions(ProtocolVersion),
    /// key_share in ServerHello: `KeyShareEntry server_share` (RFC 8446 §4.2.8).
    KeyShare(KeyShareEntry),
    /// key_share in HelloRetryRequest: `NamedGroup selected_group` (RFC 8446 §4.2.8).
    HrrKeyShare(NamedGroup),
    /// pre_shared_key: `uint16 selected_identity` (RFC 8446 §4.2.11).
    PreSharedKey(u16),
    /// cookie: `opaque cookie<1..2^16-1>` (RFC 8446 §4.2.2; HelloRetryRequest).
    Cookie(Vec<u8>),
    /// extended_master_secret: empty (RFC 7627 §5.1).
    ExtendedMasterSecret,
    /// renegotiation_info: `opaque renegotiated_connection<0..255>` (RFC 5746 §3.2).
    RenegotiationInfo(Vec<u8>),
    /// session_ticket acknowledgement: empty (RFC 5077 §3.2).
    SessionTicketAck,
    /// record_size_limit: `uint16 RecordSizeLimit` (RFC 8449 §4; TLS 1.2 ServerHello).
    RecordSizeLimit(u16),
    /// Any other extension, kept opaque.
    Unknown {
        /// RFC 8446 §4.2: ExtensionType extension_type
        typ: ExtensionType,
        /// RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        body: Vec<u8>,
    },
}

impl ExtensionCodec for ServerExtension {
    type Context = ServerHelloKind;

    fn ext_type(&self) -> ExtensionType {
        use ExtensionType as T;
        match self {
            Self::ServerNameAck => T::ServerName,
            Self::StatusRequestAck => T::StatusRequest,
            Self::EcPointFormats(_) => T::EcPointFormats,
            Self::Alpn(_) => T::ApplicationLayerProtocolNegotiation,
            Self::SupportedVersions(_) => T::SupportedVersions,
            Self::KeyShare(_) | Self::HrrKeyShare(_) => T::KeyShare,
            Self::PreSharedKey(_) => T::PreSharedKey,
            Self::Cookie(_) => T::Cookie,
            Self::ExtendedMasterSecret => T::ExtendedMasterSecret,
            Self::RenegotiationInfo(_) => T::RenegotiationInfo,
            Self::SessionTicketAck => T::SessionTicket,
            Self::RecordSizeLimit(_) => T::RecordSizeLimit,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::ServerNameAck
            | Self::StatusRequestAck
            | Self::ExtendedMasterSecret
            | Self::SessionTicketAck => {}
            Self::EcPointFormats(v) => v.encode(out),
            Self::Alpn(v) => v.encode(out),
            Self::SupportedVersions(v) => v.encode(out),
            Self::KeyShare(v) => v.encode(out),
            Self::HrrKeyShare(v) => v.encode(out),
            Self::PreSharedKey(v) => v.encode(out),
            Self::Cookie(v) => put_opaque(ListLength::NonEmptyU16, v, out),
            Self::RenegotiationInfo(v) => put_opaque(ListLength::U8, v, out),
            Self::RecordSizeLimit(v) => v.encode(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read_body(
        typ: ExtensionType,
        r: &mut Reader<'_>,
        kind: ServerHelloKind,
    ) -> Result<Self, InvalidMessage> {
        use ExtensionType as T;
        Ok(match typ {
            T::ServerName => {
                expect_empty_body(r, "server_name")?;
                Self::ServerNameAck
            }
            T::StatusRequest => {
                expect_empty_body(r, "status_request")?;
                Self::StatusRequestAck
            }
            T::EcPointFormats => Self::EcPointFormats(Vec::read(r)?),
            T::ApplicationLayerProtocolNegotiation => Self::Alpn(Vec::read(r)?),
            T::SupportedVersions => Self::SupportedVersions(ProtocolVersion::read(r)?),
            T::KeyShare => match kind {
                ServerHelloKind::ServerHello => Self::KeyShare(KeyShareEntry::read(r)?),
                ServerHelloKind::HelloRetryRequest => Self::HrrKeyShare(NamedGroup::read(r)?),
            },
            T::PreSharedKey => Self::PreSharedKey(r.u16("selected_identity")?),
            T::Cookie => Self::Cookie(read_cookie(r)?),
            T::ExtendedMasterSecret => {
                expect_empty_body(r, "extended_master_secret")?;
                Self::ExtendedMasterSecret
            }
            T::RenegotiationInfo => Self::RenegotiationInfo(read_reneg(r)?),
            T::SessionTicket => {
                expect_empty_body(r, "session_ticket")?;
                Self::SessionTicketAck
            }
            T::RecordSizeLimit => Self::RecordSizeLimit(r.u16("record_size_limit")?),
            _ => Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// EncryptedExtensions
// ---------------------------------------------------------------------------------------------

/// An extension in EncryptedExtensions (RFC 8446 §4.3.1).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncryptedExtension {
    /// server_name acknowledgement: empty (RFC 6066 §3).
    ServerNameAck,
    /// supported_groups: the server's preference (RFC 8446 §4.2.7).
    SupportedGroups(Vec<NamedGroup>),
    /// application_layer_protocol_negotiation: exactly one name (RFC 7301 §3.1).
    Alpn(Vec<ProtocolName>),
    /// early_data: empty, the server accepted 0-RTT (RFC 8446 §4.2.10).
    EarlyData,
    /// record_size_limit: `uint16 RecordSizeLimit` (RFC 8449 §4).
    RecordSizeLimit(u16),
    /// Any other extension, kept opaque.
    Unknown {
        /// RFC 8446 §4.2: ExtensionType extension_type
        typ: ExtensionType,
        /// RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        body: Vec<u8>,
    },
}

impl ExtensionCodec for EncryptedExtension {
    type Context = ();

    fn ext_type(&self) -> ExtensionType {
        use ExtensionType as T;
        match self {
            Self::ServerNameAck => T::ServerName,
            Self::SupportedGroups(_) => T::SupportedGroups,
            Self::Alpn(_) => T::ApplicationLayerProtocolNegotiation,
            Self::EarlyData => T::EarlyData,
            Self::RecordSizeLimit(_) => T::RecordSizeLimit,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::ServerNameAck | Self::EarlyData => {}
            Self::SupportedGroups(v) => v.encode(out),
            Self::Alpn(v) => v.encode(out),
            Self::RecordSizeLimit(v) => v.encode(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>, (): ()) -> Result<Self, InvalidMessage> {
        use ExtensionType as T;
        Ok(match typ {
            T::ServerName => {
                expect_empty_body(r, "server_name")?;
                Self::ServerNameAck
            }
            T::SupportedGroups => Self::SupportedGroups(Vec::read(r)?),
            T::ApplicationLayerProtocolNegotiation => Self::Alpn(Vec::read(r)?),
            T::EarlyData => {
                expect_empty_body(r, "early_data")?;
                Self::EarlyData
            }
            T::RecordSizeLimit => Self::RecordSizeLimit(r.u16("record_size_limit")?),
            _ => Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// CertificateRequest (TLS 1.3)
// ---------------------------------------------------------------------------------------------

/// An extension in a TLS 1.3 CertificateRequest (RFC 8446 §4.3.2).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertReqExtension {
    /// signature_algorithms (RFC 8446 §4.2.3); required.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// signature_algorithms_cert (RFC 8446 §4.2.3).
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// certificate_authorities (RFC 8446 §4.2.4).
    CertificateAuthorities(Vec<DistinguishedName>),
    /// compress_certificate: the algorithms the server accepts for the client's certificate
    /// (RFC 8879 §3).
    CompressCertificate(Vec<CertificateCompressionAlgorithm>),
    /// Any other extension (oid_filters, status_request, ...), kept opaque.
    Unknown {
        /// RFC 8446 §4.2: ExtensionType extension_type
        typ: ExtensionType,
        /// RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        body: Vec<u8>,
    },
}

impl ExtensionCodec for CertReqExtension {
    type Context = ();

    fn ext_type(&self) -> ExtensionType {
        match self {
            Self::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            Self::SignatureAlgorithmsCert(_) => ExtensionType::SignatureAlgorithmsCert,
            Self::CertificateAuthorities(_) => ExtensionType::CertificateAuthorities,
            Self::CompressCertificate(_) => ExtensionType::CompressCertificate,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::SignatureAlgorithms(v) | Self::SignatureAlgorithmsCert(v) => v.encode(out),
            Self::CertificateAuthorities(v) => v.encode(out),
            Self::CompressCertificate(v) => v.encode(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>, (): ()) -> Result<Self, InvalidMessage> {
        use ExtensionType as T;
        Ok(match typ {
            T::SignatureAlgorithms => Self::SignatureAlgorithms(Vec::read(r)?),
            T::SignatureAlgorithmsCert => Self::SignatureAlgorithmsCert(Vec::read(r)?),
            T::CertificateAuthorities => Self::CertificateAuthorities(Vec::read(r)?),
            T::CompressCertificate => Self::CompressCertificate(Vec::read(r)?),
            _ => Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// CertificateEntry (TLS 1.3)
// ---------------------------------------------------------------------------------------------

/// An extension in a TLS 1.3 CertificateEntry (RFC 8446 §4.4.2).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateExtension {
    /// status_request: a stapled OCSP response (RFC 8446 §4.4.2.1).
    CertificateStatus(CertificateStatus),
    /// Any other extension (signed_certificate_timestamp, ...), kept opaque.
    Unknown {
        /// RFC 8446 §4.2: ExtensionType extension_type
        typ: ExtensionType,
        /// RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        body: Vec<u8>,
    },
}

impl ExtensionCodec for CertificateExtension {
    type Context = ();

    fn ext_type(&self) -> ExtensionType {
        match self {
            Self::CertificateStatus(_) => ExtensionType::StatusRequest,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::CertificateStatus(v) => v.encode(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>, (): ()) -> Result<Self, InvalidMessage> {
        Ok(if typ == ExtensionType::StatusRequest {
            Self::CertificateStatus(CertificateStatus::read(r)?)
        } else {
            Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// NewSessionTicket (TLS 1.3)
// ---------------------------------------------------------------------------------------------

/// An extension in a TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewSessionTicketExtension {
    /// early_data: `uint32 max_early_data_size` (RFC 8446 §4.2.10).
    EarlyData(u32),
    /// Any other extension, kept opaque.
    Unknown {
        /// RFC 8446 §4.2: ExtensionType extension_type
        typ: ExtensionType,
        /// RFC 8446 §4.2: opaque extension_data<0..2^16-1>
        body: Vec<u8>,
    },
}

impl ExtensionCodec for NewSessionTicketExtension {
    type Context = ();

    fn ext_type(&self) -> ExtensionType {
        match self {
            Self::EarlyData(_) => ExtensionType::EarlyData,
            Self::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::EarlyData(v) => v.encode(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read_body(typ: ExtensionType, r: &mut Reader<'_>, (): ()) -> Result<Self, InvalidMessage> {
        Ok(if typ == ExtensionType::EarlyData {
            Self::EarlyData(r.u32("max_early_data_size")?)
        } else {
            Self::Unknown {
                typ,
                body: r.rest().to_vec(),
            }
        })
    }
}

/// `Codec` for the context-free extension enums (one whole extension: type, length, body).
macro_rules! codec_via_extension_codec {
    ($($t:ty),*) => {$(
        impl<'a> Codec<'a> for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                self.encode_extension(out);
            }
            fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
                Self::read_extension(r, ())
            }
        }
    )*};
}

codec_via_extension_codec!(
    ClientExtension,
    EncryptedExtension,
    CertReqExtension,
    CertificateExtension,
    NewSessionTicketExtension
);
