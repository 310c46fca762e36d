//! clasp errors as the runner's error strings.
//!
//! The runner checks that the shim's stderr contains an expected BoringSSL reason code such as
//! `:NO_SHARED_CIPHER:`. The shim prints one code per clasp error, chosen here; where clasp's error
//! is coarser than BoringSSL's (one clasp variant for several BoringSSL reasons), `ErrorMap` in
//! `bogo/config.json` maps the runner's expectation to the code printed here.

use clasp::error::{CertificateError, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use clasp::Error;

/// The BoringSSL-style reason code for `e` (with the surrounding colons).
#[must_use]
pub fn code(e: &Error) -> String {
    use PeerMisbehaved as P;
    if let Some(c) = crate::ocsp::error_code(e) {
        return c.to_owned();
    }
    let s = match e {
        Error::InvalidMessage(InvalidMessage::RecordTooLarge) | Error::RecordOverflow => {
            ":RECORD_OVERFLOW:"
        }
        Error::InvalidMessage(InvalidMessage::InvalidContentType(_)) => ":UNEXPECTED_RECORD:",
        // BoringSSL: UNEXPECTED_RECORD for a TLS 1.2 message split across ChangeCipherSpec,
        // EXCESS_HANDSHAKE_DATA for TLS 1.3 (mapped in config.json).
        Error::InvalidMessage(InvalidMessage::UnalignedKeyChange) => ":UNEXPECTED_RECORD:",
        Error::InvalidMessage(InvalidMessage::IllegalValue("legacy_record_version")) => {
            ":UNEXPECTED_RECORD:"
        }
        Error::InvalidMessage(InvalidMessage::DuplicateExtension(_)) => ":DUPLICATE_EXTENSION:",
        Error::InvalidMessage(InvalidMessage::InvalidAlert) => ":BAD_ALERT:",
        Error::InvalidMessage(InvalidMessage::PreSharedKeyNotLast) => {
            ":PRE_SHARED_KEY_MUST_BE_LAST:"
        }
        Error::InvalidMessage(InvalidMessage::PskBinderCountMismatch) => {
            ":PSK_IDENTITY_BINDER_COUNT_MISMATCH:"
        }
        Error::InvalidMessage(InvalidMessage::EmptyRecord) => ":TOO_MANY_EMPTY_FRAGMENTS:",
        Error::InvalidMessage(InvalidMessage::HandshakeMessageTooLarge) => {
            ":EXCESSIVE_MESSAGE_SIZE:"
        }
        Error::InvalidMessage(_) => ":DECODE_ERROR:",
        Error::InappropriateMessage { .. } => ":UNEXPECTED_RECORD:",
        Error::InappropriateHandshakeMessage { .. } => ":UNEXPECTED_MESSAGE:",
        Error::DecryptError => ":DECRYPTION_FAILED_OR_BAD_RECORD_MAC:",
        Error::PeerMisbehaved(p) => match p {
            P::SelectedUnofferedCipherSuite => ":WRONG_CIPHER_RETURNED:",
            P::SelectedUnofferedVersion => ":UNSUPPORTED_PROTOCOL:",
            P::SelectedUnofferedGroup => ":WRONG_CURVE:",
            P::UnsolicitedExtension => ":UNEXPECTED_EXTENSION:",
            P::DowngradeAttempt => ":TLS13_DOWNGRADE:",
            P::InvalidKeyShare => ":BAD_ECPOINT:",
            P::SessionIdMismatch => ":SERVER_ECHOED_INVALID_SESSION_ID:",
            P::IncorrectFinished | P::BadBinder => ":DIGEST_CHECK_FAILED:",
            P::BadSignature => ":BAD_SIGNATURE:",
            P::UnofferedSignatureScheme | P::SignatureSchemeMismatchesKey => {
                ":WRONG_SIGNATURE_TYPE:"
            }
            P::IllegalHelloRetryRequest => ":ILLEGAL_HELLO_RETRY_REQUEST:",
            P::IllegalCompression => ":UNSUPPORTED_COMPRESSION_ALGORITHM:",
            P::Renegotiation => ":NO_RENEGOTIATION:",
            P::KeyChangeNotOnRecordBoundary => ":UNEXPECTED_RECORD:",
            P::NoCertificate => ":PEER_DID_NOT_RETURN_A_CERTIFICATE:",
            P::TooManyEmptyRecords => ":TOO_MANY_EMPTY_FRAGMENTS:",
            P::IllegalChangeCipherSpec => ":UNEXPECTED_RECORD:",
            P::MissingExtension => ":MISSING_EXTENSION:",
            P::IllegalExtensionValue => ":ERROR_PARSING_EXTENSION:",
            P::BadRenegotiationInfo => ":RENEGOTIATION_MISMATCH:",
            P::IllegalKeyUpdate => ":BAD_KEY_UPDATE:",
            P::IllegalClientHello => ":ILLEGAL_CLIENT_HELLO:",
            P::MissingExtendedMasterSecret => ":MISSING_EXTENDED_MASTER_SECRET:",
            P::IllegalEarlyData => ":UNEXPECTED_EARLY_DATA:",
            P::NoInnerContentType => ":NO_INNER_CONTENT_TYPE:",
            P::TooManyPostHandshakeMessages => ":TOO_MANY_KEY_UPDATES:",
            P::TooManyWarningAlerts => ":TOO_MANY_WARNING_ALERTS:",
            // BoringSSL: WRONG_CERTIFICATE_TYPE, mapped to this code in config.json.
            P::CertificateKeyMismatchesSuite => ":WRONG_SIGNATURE_TYPE:",
            P::ObsoleteLegacyVersion => ":UNSUPPORTED_PROTOCOL:",
            P::CertificateCurveNotOffered => ":BAD_ECC_CERT:",
            P::TooMuchSkippedEarlyData => ":TOO_MUCH_SKIPPED_EARLY_DATA:",
            // A resumption in a PSK mode the client did not offer: in BoGo the server omits the
            // key_share psk_dhe_ke needs, for which BoringSSL reports MISSING_KEY_SHARE (mapped to
            // this code in config.json).
            P::UnofferedPskKeyExchangeMode => ":MISSING_EXTENSION:",
            _ => ":PEER_MISBEHAVED:",
        },
        Error::PeerIncompatible(p) => match p {
            PeerIncompatible::NoCommonVersion => ":UNSUPPORTED_PROTOCOL:",
            PeerIncompatible::NoCommonCipherSuite => ":NO_SHARED_CIPHER:",
            PeerIncompatible::NoCommonGroup => ":NO_SHARED_GROUP:",
            PeerIncompatible::NoCommonSignatureScheme => ":NO_COMMON_SIGNATURE_ALGORITHMS:",
            PeerIncompatible::NoApplicationProtocol => ":NO_APPLICATION_PROTOCOL:",
            PeerIncompatible::CertificateRequired => ":PEER_DID_NOT_RETURN_A_CERTIFICATE:",
            PeerIncompatible::UnrecognizedName => ":UNRECOGNIZED_NAME:",
            _ => ":PEER_INCOMPATIBLE:",
        },
        Error::InvalidCertificate(CertificateError::BadEncoding) => ":CANNOT_PARSE_LEAF_CERT:",
        Error::InvalidCertificate(CertificateError::KeyUsageForbidsUse) => {
            ":KEY_USAGE_BIT_INCORRECT:"
        }
        // The shim's verifier stands in for BoringSSL's failing client OCSP callback.
        Error::InvalidCertificate(CertificateError::BadStatusResponse) => ":OCSP_CB_ERROR:",
        Error::InvalidCertificate(_) => ":CERTIFICATE_VERIFY_FAILED:",
        Error::AlertReceived(a) => return alert_code(a.0),
        Error::UnexpectedEof => ":UNEXPECTED_EOF:",
        Error::ApiMisuse(_) => ":API_MISUSE:",
        _ => ":INTERNAL_ERROR:",
    };
    s.to_owned()
}

/// BoringSSL's reason code for a received alert: `SSL_AD_REASON_OFFSET` (1000) plus the alert
/// value, named `SSLV3_ALERT_*` for the alerts SSLv3 had and `TLSV1_ALERT_*` for the rest.
fn alert_code(alert: u8) -> String {
    let name = match alert {
        0 => "SSLV3_ALERT_CLOSE_NOTIFY",
        10 => "SSLV3_ALERT_UNEXPECTED_MESSAGE",
        20 => "SSLV3_ALERT_BAD_RECORD_MAC",
        21 => "TLSV1_ALERT_DECRYPTION_FAILED",
        22 => "TLSV1_ALERT_RECORD_OVERFLOW",
        30 => "SSLV3_ALERT_DECOMPRESSION_FAILURE",
        40 => "SSLV3_ALERT_HANDSHAKE_FAILURE",
        41 => "SSLV3_ALERT_NO_CERTIFICATE",
        42 => "SSLV3_ALERT_BAD_CERTIFICATE",
        43 => "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
        44 => "SSLV3_ALERT_CERTIFICATE_REVOKED",
        45 => "SSLV3_ALERT_CERTIFICATE_EXPIRED",
        46 => "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        47 => "SSLV3_ALERT_ILLEGAL_PARAMETER",
        48 => "TLSV1_ALERT_UNKNOWN_CA",
        49 => "TLSV1_ALERT_ACCESS_DENIED",
        50 => "TLSV1_ALERT_DECODE_ERROR",
        51 => "TLSV1_ALERT_DECRYPT_ERROR",
        60 => "TLSV1_ALERT_EXPORT_RESTRICTION",
        70 => "TLSV1_ALERT_PROTOCOL_VERSION",
        71 => "TLSV1_ALERT_INSUFFICIENT_SECURITY",
        80 => "TLSV1_ALERT_INTERNAL_ERROR",
        86 => "TLSV1_ALERT_INAPPROPRIATE_FALLBACK",
        90 => "TLSV1_ALERT_USER_CANCELLED",
        100 => "TLSV1_ALERT_NO_RENEGOTIATION",
        110 => "TLSV1_ALERT_UNSUPPORTED_EXTENSION",
        111 => "TLSV1_ALERT_CERTIFICATE_UNOBTAINABLE",
        112 => "TLSV1_ALERT_UNRECOGNIZED_NAME",
        113 => "TLSV1_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE",
        114 => "TLSV1_ALERT_BAD_CERTIFICATE_HASH_VALUE",
        115 => "TLSV1_ALERT_UNKNOWN_PSK_IDENTITY",
        116 => "TLSV1_ALERT_CERTIFICATE_REQUIRED",
        120 => "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
        121 => "TLSV1_ALERT_ECH_REQUIRED",
        _ => return format!(":TLSV1_ALERT_UNKNOWN_{alert}:"),
    };
    format!(":{name}:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clasp::msgs::enums::AlertDescription;

    #[test]
    fn received_alerts_use_boringssl_reason_names() {
        assert_eq!(
            code(&Error::AlertReceived(AlertDescription::HandshakeFailure)),
            ":SSLV3_ALERT_HANDSHAKE_FAILURE:"
        );
        assert_eq!(
            code(&Error::AlertReceived(AlertDescription::DecodeError)),
            ":TLSV1_ALERT_DECODE_ERROR:"
        );
    }

    #[test]
    fn negotiation_failures() {
        assert_eq!(
            code(&PeerIncompatible::NoCommonCipherSuite.into()),
            ":NO_SHARED_CIPHER:"
        );
        assert_eq!(
            code(&InvalidMessage::MissingData("x").into()),
            ":DECODE_ERROR:"
        );
    }
}
