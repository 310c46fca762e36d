//! Wire enums: open sets of protocol code points.
//!
//! Every enum here is a newtype over its wire integer with named constants, so a value we do not
//! know survives a decode/encode round trip and prints as hex (STYLE: "wire enums are open sets").
//! `Display` uses the IANA registry names.

use crate::codec::{Codec, ListLength, Reader, TlsListElement};
use crate::error::InvalidMessage;

/// Declares an open wire enum: `$name($ty)` with associated constants and IANA `Display` names.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident($ty:ty) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr => $iana:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $ty);

        #[allow(non_upper_case_globals)]
        impl $name {
            $( $(#[$vmeta])* #[doc = $iana] pub const $variant: Self = Self($value); )*

            /// The IANA name, or `None` for a value this build does not know.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($iana), )*
                    _ => None,
                }
            }

            /// Whether this build knows the value.
            #[must_use]
            pub fn is_known(self) -> bool {
                self.name().is_some()
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "unknown(0x{:0w$x})", self.0, w = core::mem::size_of::<$ty>() * 2),
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(self, f)
            }
        }

        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $ty {
            fn from(v: $name) -> Self {
                v.0
            }
        }

        impl<'a> Codec<'a> for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0.to_be_bytes());
            }

            fn read(r: &mut Reader<'a>) -> Result<Self, InvalidMessage> {
                const N: usize = core::mem::size_of::<$ty>();
                let b = r.take(N).ok_or(InvalidMessage::MissingData(stringify!($name)))?;
                let mut a = [0u8; N];
                a.copy_from_slice(b);
                Ok(Self(<$ty>::from_be_bytes(a)))
            }
        }
    };
}

wire_enum! {
    /// `ProtocolVersion` (RFC 8446 §4.1.2, RFC 5246 §6.2.1).
    ProtocolVersion(u16) {
        SSLv3 = 0x0300 => "SSLv3",
        TLSv1_0 = 0x0301 => "TLSv1.0",
        TLSv1_1 = 0x0302 => "TLSv1.1",
        TLSv1_2 = 0x0303 => "TLSv1.2",
        TLSv1_3 = 0x0304 => "TLSv1.3",
    }
}

wire_enum! {
    /// `ContentType` of a record (RFC 8446 §5.1).
    ContentType(u8) {
        ChangeCipherSpec = 20 => "change_cipher_spec",
        Alert = 21 => "alert",
        Handshake = 22 => "handshake",
        ApplicationData = 23 => "application_data",
        Heartbeat = 24 => "heartbeat",
    }
}

wire_enum! {
    /// `HandshakeType` (RFC 8446 §4, RFC 5246 §7.4).
    HandshakeType(u8) {
        HelloRequest = 0 => "hello_request",
        ClientHello = 1 => "client_hello",
        ServerHello = 2 => "server_hello",
        NewSessionTicket = 4 => "new_session_ticket",
        EndOfEarlyData = 5 => "end_of_early_data",
        EncryptedExtensions = 8 => "encrypted_extensions",
        Certificate = 11 => "certificate",
        ServerKeyExchange = 12 => "server_key_exchange",
        CertificateRequest = 13 => "certificate_request",
        ServerHelloDone = 14 => "server_hello_done",
        CertificateVerify = 15 => "certificate_verify",
        ClientKeyExchange = 16 => "client_key_exchange",
        Finished = 20 => "finished",
        CertificateStatus = 22 => "certificate_status",
        KeyUpdate = 24 => "key_update",
        CompressedCertificate = 25 => "compressed_certificate",
        MessageHash = 254 => "message_hash",
    }
}

wire_enum! {
    /// `AlertLevel` (RFC 8446 §6).
    AlertLevel(u8) {
        Warning = 1 => "warning",
        Fatal = 2 => "fatal",
    }
}

wire_enum! {
    /// `AlertDescription` (RFC 8446 §6, RFC 5246 §7.2).
    AlertDescription(u8) {
        CloseNotify = 0 => "close_notify",
        UnexpectedMessage = 10 => "unexpected_message",
        BadRecordMac = 20 => "bad_record_mac",
        DecryptionFailed = 21 => "decryption_failed",
        RecordOverflow = 22 => "record_overflow",
        DecompressionFailure = 30 => "decompression_failure",
        HandshakeFailure = 40 => "handshake_failure",
        NoCertificate = 41 => "no_certificate",
        BadCertificate = 42 => "bad_certificate",
        UnsupportedCertificate = 43 => "unsupported_certificate",
        CertificateRevoked = 44 => "certificate_revoked",
        CertificateExpired = 45 => "certificate_expired",
        CertificateUnknown = 46 => "certificate_unknown",
        IllegalParameter = 47 => "illegal_parameter",
        UnknownCa = 48 => "unknown_ca",
        AccessDenied = 49 => "access_denied",
        DecodeError = 50 => "decode_error",
        DecryptError = 51 => "decrypt_error",
        ExportRestriction = 60 => "export_restriction",
        ProtocolVersion = 70 => "protocol_version",
        InsufficientSecurity = 71 => "insufficient_security",
        InternalError = 80 => "internal_error",
        InappropriateFallback = 86 => "inappropriate_fallback",
        UserCanceled = 90 => "user_canceled",
        NoRenegotiation = 100 => "no_renegotiation",
        MissingExtension = 109 => "missing_extension",
        UnsupportedExtension = 110 => "unsupported_extension",
        CertificateUnobtainable = 111 => "certificate_unobtainable",
        UnrecognizedName = 112 => "unrecognized_name",
        BadCertificateStatusResponse = 113 => "bad_certificate_status_response",
        BadCertificateHashValue = 114 => "bad_certificate_hash_value",
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        CertificateRequired = 116 => "certificate_required",
        NoApplicationProtocol = 120 => "no_application_protocol",
    }
}

wire_enum! {
    /// `CipherSuite` (IANA TLS Cipher Suites registry).
    CipherSuite(u16) {
        TLS_NULL_WITH_NULL_NULL = 0x0000 => "TLS_NULL_WITH_NULL_NULL",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        /// Signalling value for secure renegotiation (RFC 5746 §3.3).
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        TLS_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        TLS_AES_128_CCM_SHA256 = 0x1304 => "TLS_AES_128_CCM_SHA256",
        TLS_AES_128_CCM_8_SHA256 = 0x1305 => "TLS_AES_128_CCM_8_SHA256",
        /// Signalling value for fallback (RFC 7507).
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    }
}

wire_enum! {
    /// `NamedGroup` (RFC 8446 §4.2.7, RFC 7919, draft-ietf-tls-ecdhe-mlkem).
    NamedGroup(u16) {
        secp256r1 = 0x0017 => "secp256r1",
        secp384r1 = 0x0018 => "secp384r1",
        secp521r1 = 0x0019 => "secp521r1",
        X25519 = 0x001d => "x25519",
        X448 = 0x001e => "x448",
        FFDHE2048 = 0x0100 => "ffdhe2048",
        FFDHE3072 = 0x0101 => "ffdhe3072",
        FFDHE4096 = 0x0102 => "ffdhe4096",
        FFDHE6144 = 0x0103 => "ffdhe6144",
        FFDHE8192 = 0x0104 => "ffdhe8192",
        MLKEM768 = 0x0201 => "MLKEM768",
        secp256r1MLKEM768 = 0x11eb => "SecP256r1MLKEM768",
        X25519MLKEM768 = 0x11ec => "X25519MLKEM768",
        secp384r1MLKEM1024 = 0x11ed => "SecP384r1MLKEM1024",
    }
}

impl NamedGroup {
    /// Whether this is a finite-field Diffie-Hellman group (RFC 7919 §2).
    #[must_use]
    pub fn is_ffdhe(self) -> bool {
        (0x0100..=0x01ff).contains(&self.0)
    }
}

wire_enum! {
    /// `SignatureScheme` (RFC 8446 §4.2.3).
    SignatureScheme(u16) {
        RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
        ECDSA_SHA1_Legacy = 0x0203 => "ecdsa_sha1",
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        ECDSA_NISTP256_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        ECDSA_NISTP384_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        ECDSA_NISTP521_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RSA_PSS_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        RSA_PSS_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        RSA_PSS_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        ED25519 = 0x0807 => "ed25519",
        ED448 = 0x0808 => "ed448",
        RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
        RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
        RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
    }
}

wire_enum! {
    /// `ExtensionType` (RFC 8446 §4.2 and the IANA registry).
    ExtensionType(u16) {
        ServerName = 0 => "server_name",
        MaxFragmentLength = 1 => "max_fragment_length",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "supported_groups",
        EcPointFormats = 11 => "ec_point_formats",
        SignatureAlgorithms = 13 => "signature_algorithms",
        UseSrtp = 14 => "use_srtp",
        Heartbeat = 15 => "heartbeat",
        ApplicationLayerProtocolNegotiation = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        ClientCertificateType = 19 => "client_certificate_type",
        ServerCertificateType = 20 => "server_certificate_type",
        Padding = 21 => "padding",
        EncryptThenMac = 22 => "encrypt_then_mac",
        ExtendedMasterSecret = 23 => "extended_master_secret",
        CompressCertificate = 27 => "compress_certificate",
        RecordSizeLimit = 28 => "record_size_limit",
        SessionTicket = 35 => "session_ticket",
        PreSharedKey = 41 => "pre_shared_key",
        EarlyData = 42 => "early_data",
        SupportedVersions = 43 => "supported_versions",
        Cookie = 44 => "cookie",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        CertificateAuthorities = 47 => "certificate_authorities",
        OidFilters = 48 => "oid_filters",
        PostHandshakeAuth = 49 => "post_handshake_auth",
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        KeyShare = 51 => "key_share",
        ApplicationSettings = 17513 => "application_settings",
        EncryptedClientHello = 0xfe0d => "encrypted_client_hello",
        RenegotiationInfo = 0xff01 => "renegotiation_info",
    }
}

wire_enum! {
    /// `ECPointFormat` (RFC 4492 §5.1.2, RFC 8422 §5.1.2).
    EcPointFormat(u8) {
        Uncompressed = 0 => "uncompressed",
        AnsiX962CompressedPrime = 1 => "ansiX962_compressed_prime",
        AnsiX962CompressedChar2 = 2 => "ansiX962_compressed_char2",
    }
}

wire_enum! {
    /// `ECCurveType` in a TLS 1.2 ServerKeyExchange (RFC 8422 §5.4).
    EcCurveType(u8) {
        ExplicitPrime = 1 => "explicit_prime",
        ExplicitChar2 = 2 => "explicit_char2",
        NamedCurve = 3 => "named_curve",
    }
}

wire_enum! {
    /// `PskKeyExchangeMode` (RFC 8446 §4.2.9).
    PskKeyExchangeMode(u8) {
        PskKe = 0 => "psk_ke",
        PskDheKe = 1 => "psk_dhe_ke",
    }
}

wire_enum! {
    /// `CertificateCompressionAlgorithm` (RFC 8879 §3).
    CertificateCompressionAlgorithm(u16) {
        Zlib = 1 => "zlib",
        Brotli = 2 => "brotli",
        Zstd = 3 => "zstd",
    }
}

wire_enum! {
    /// `KeyUpdateRequest` (RFC 8446 §4.6.3).
    KeyUpdateRequest(u8) {
        UpdateNotRequested = 0 => "update_not_requested",
        UpdateRequested = 1 => "update_requested",
    }
}

wire_enum! {
    /// `CertificateStatusType` (RFC 6066 §8).
    CertificateStatusType(u8) {
        Ocsp = 1 => "ocsp",
    }
}

wire_enum! {
    /// `ClientCertificateType` in a TLS 1.2 CertificateRequest (RFC 5246 §7.4.4, RFC 8422 §5.5).
    ClientCertificateType(u8) {
        RsaSign = 1 => "rsa_sign",
        DssSign = 2 => "dss_sign",
        EcdsaSign = 64 => "ecdsa_sign",
    }
}

wire_enum! {
    /// `NameType` in server_name (RFC 6066 §3).
    ServerNameType(u8) {
        HostName = 0 => "host_name",
    }
}

wire_enum! {
    /// `CompressionMethod` (RFC 5246 §7.4.1.2); only `null` is ever accepted.
    Compression(u8) {
        Null = 0 => "null",
        Deflate = 1 => "deflate",
    }
}

// Vector bounds declared once on the element type (RFC presentation-language `<min..max>`).

impl TlsListElement for CipherSuite {
    // RFC 8446 §4.1.2: CipherSuite cipher_suites<2..2^16-2>
    const LEN: ListLength = ListLength::NonEmptyU16;
}
impl TlsListElement for NamedGroup {
    // RFC 8446 §4.2.7: NamedGroup named_group_list<2..2^16-1>
    const LEN: ListLength = ListLength::NonEmptyU16;
}
impl TlsListElement for SignatureScheme {
    // RFC 8446 §4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>
    const LEN: ListLength = ListLength::NonEmptyU16;
}
impl TlsListElement for EcPointFormat {
    // RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>
    const LEN: ListLength = ListLength::NonEmptyU8;
}
impl TlsListElement for PskKeyExchangeMode {
    // RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>
    const LEN: ListLength = ListLength::NonEmptyU8;
}
impl TlsListElement for CertificateCompressionAlgorithm {
    // RFC 8879 §3: CertificateCompressionAlgorithm algorithms<2..2^8-2>
    const LEN: ListLength = ListLength::NonEmptyU8;
}
impl TlsListElement for Compression {
    // RFC 5246 §7.4.1.2: CompressionMethod compression_methods<1..2^8-1>
    const LEN: ListLength = ListLength::NonEmptyU8;
}
impl TlsListElement for ProtocolVersion {
    // RFC 8446 §4.2.1: ProtocolVersion versions<2..254> (client form, u8-prefixed)
    const LEN: ListLength = ListLength::NonEmptyU8;
}
impl TlsListElement for ClientCertificateType {
    // RFC 5246 §7.4.4: ClientCertificateType certificate_types<1..2^8-1>
    const LEN: ListLength = ListLength::NonEmptyU8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_iana_names_and_hex_for_unknown() {
        assert_eq!(
            CipherSuite::TLS_AES_128_GCM_SHA256.to_string(),
            "TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(NamedGroup::X25519.to_string(), "x25519");
        assert_eq!(
            SignatureScheme::ECDSA_NISTP256_SHA256.to_string(),
            "ecdsa_secp256r1_sha256"
        );
        assert_eq!(NamedGroup(0x1234).to_string(), "unknown(0x1234)");
        assert_eq!(AlertDescription(0xfe).to_string(), "unknown(0xfe)");
    }

    #[test]
    fn unknown_values_round_trip() {
        let g = NamedGroup(0xabcd);
        let bytes = g.get_encoding();
        assert_eq!(bytes, [0xab, 0xcd]);
        assert_eq!(NamedGroup::read_bytes(&bytes).unwrap(), g);
        assert!(!g.is_known());
    }
}
