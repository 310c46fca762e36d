//! Signature verification algorithms over `aws_lc_rs::signature`, as
//! `rustls_pki_types::SignatureVerificationAlgorithm`s (the form `rustls-webpki` consumes), and
//! their mapping from TLS signature schemes.

use aws_lc_rs::signature;
use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature};

use crate::crypto::{SignatureVerificationAlgorithm, SignatureVerifiers};
use crate::msgs::enums::SignatureScheme;

/// One verification algorithm: a public-key type, a signature AlgorithmIdentifier and the
/// aws-lc algorithm that checks it.
#[derive(Debug)]
struct Alg {
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
    verification_alg: &'static dyn signature::VerificationAlgorithm,
}

impl SignatureVerificationAlgorithm for Alg {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        if matches!(
            self.public_key_alg_id,
            alg_id::ECDSA_P256 | alg_id::ECDSA_P384 | alg_id::ECDSA_P521
        ) {
            // RFC 5480 §2.2: an EC subjectPublicKey starts with 0x04 (uncompressed) or 0x02/0x03
            // (compressed); "The public key MUST be rejected if any other value is included in
            // the first octet." aws-lc would otherwise also try other encodings (e.g. a whole
            // SubjectPublicKeyInfo).
            if !matches!(public_key.first(), Some(0x02..=0x04)) {
                return Err(InvalidSignature);
            }
        }
        signature::UnparsedPublicKey::new(self.verification_alg, public_key)
            .verify(message, signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key_alg_id
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

/// ECDSA on P-256 with SHA-256, ASN.1 DER signatures.
pub static ECDSA_P256_SHA256: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P256,
    signature_alg_id: alg_id::ECDSA_SHA256,
    verification_alg: &signature::ECDSA_P256_SHA256_ASN1,
};
/// ECDSA on P-256 with SHA-384 (TLS 1.2 and certificates only).
pub static ECDSA_P256_SHA384: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P256,
    signature_alg_id: alg_id::ECDSA_SHA384,
    verification_alg: &signature::ECDSA_P256_SHA384_ASN1,
};
/// ECDSA on P-384 with SHA-256 (TLS 1.2 and certificates only).
pub static ECDSA_P384_SHA256: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P384,
    signature_alg_id: alg_id::ECDSA_SHA256,
    verification_alg: &signature::ECDSA_P384_SHA256_ASN1,
};
/// ECDSA on P-384 with SHA-384.
pub static ECDSA_P384_SHA384: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P384,
    signature_alg_id: alg_id::ECDSA_SHA384,
    verification_alg: &signature::ECDSA_P384_SHA384_ASN1,
};
/// ECDSA on P-256 with SHA-512 (TLS 1.2 and certificates only).
pub static ECDSA_P256_SHA512: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P256,
    signature_alg_id: alg_id::ECDSA_SHA512,
    verification_alg: &signature::ECDSA_P256_SHA512_ASN1,
};
/// ECDSA on P-384 with SHA-512 (TLS 1.2 and certificates only).
pub static ECDSA_P384_SHA512: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P384,
    signature_alg_id: alg_id::ECDSA_SHA512,
    verification_alg: &signature::ECDSA_P384_SHA512_ASN1,
};
/// ECDSA on P-521 with SHA-256 (TLS 1.2 and certificates only).
pub static ECDSA_P521_SHA256: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P521,
    signature_alg_id: alg_id::ECDSA_SHA256,
    verification_alg: &signature::ECDSA_P521_SHA256_ASN1,
};
/// ECDSA on P-521 with SHA-384 (TLS 1.2 and certificates only).
pub static ECDSA_P521_SHA384: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P521,
    signature_alg_id: alg_id::ECDSA_SHA384,
    verification_alg: &signature::ECDSA_P521_SHA384_ASN1,
};
/// ECDSA on P-521 with SHA-512.
pub static ECDSA_P521_SHA512: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ECDSA_P521,
    signature_alg_id: alg_id::ECDSA_SHA512,
    verification_alg: &signature::ECDSA_P521_SHA512_ASN1,
};
/// Ed25519 (RFC 8032, RFC 8410).
pub static ED25519: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::ED25519,
    signature_alg_id: alg_id::ED25519,
    verification_alg: &signature::ED25519,
};
/// RSASSA-PKCS1-v1_5 with SHA-256, 2048..8192-bit keys.
pub static RSA_PKCS1_SHA256: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::RSA_ENCRYPTION,
    signature_alg_id: alg_id::RSA_PKCS1_SHA256,
    verification_alg: &signature::RSA_PKCS1_2048_8192_SHA256,
};
/// RSASSA-PKCS1-v1_5 with SHA-384, 2048..8192-bit keys.
pub static RSA_PKCS1_SHA384: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::RSA_ENCRYPTION,
    signature_alg_id: alg_id::RSA_PKCS1_SHA384,
    verification_alg: &signature::RSA_PKCS1_2048_8192_SHA384,
};
/// RSASSA-PKCS1-v1_5 with SHA-512, 2048..8192-bit keys.
pub static RSA_PKCS1_SHA512: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::RSA_ENCRYPTION,
    signature_alg_id: alg_id::RSA_PKCS1_SHA512,
    verification_alg: &signature::RSA_PKCS1_2048_8192_SHA512,
};
/// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt = hash length, rsaEncryption keys (`rsa_pss_rsae`).
pub static RSA_PSS_SHA256: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::RSA_ENCRYPTION,
    signature_alg_id: alg_id::RSA_PSS_SHA256,
    verification_alg: &signature::RSA_PSS_2048_8192_SHA256,
};
/// RSASSA-PSS with SHA-384 (`rsa_pss_rsae_sha384`).
pub static RSA_PSS_SHA384: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::RSA_ENCRYPTION,
    signature_alg_id: alg_id::RSA_PSS_SHA384,
    verification_alg: &signature::RSA_PSS_2048_8192_SHA384,
};
/// RSASSA-PSS with SHA-512 (`rsa_pss_rsae_sha512`).
pub static RSA_PSS_SHA512: &dyn SignatureVerificationAlgorithm = &Alg {
    public_key_alg_id: alg_id::RSA_ENCRYPTION,
    signature_alg_id: alg_id::RSA_PSS_SHA512,
    verification_alg: &signature::RSA_PSS_2048_8192_SHA512,
};

/// Everything accepted inside certificate chains.
static ALL: &[&dyn SignatureVerificationAlgorithm] = &[
    ECDSA_P256_SHA256,
    ECDSA_P256_SHA384,
    ECDSA_P384_SHA256,
    ECDSA_P384_SHA384,
    ECDSA_P256_SHA512,
    ECDSA_P384_SHA512,
    ECDSA_P521_SHA256,
    ECDSA_P521_SHA384,
    ECDSA_P521_SHA512,
    ED25519,
    RSA_PSS_SHA256,
    RSA_PSS_SHA384,
    RSA_PSS_SHA512,
    RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384,
    RSA_PKCS1_SHA512,
];

// One slice per answer of `for_scheme`.
static FOR_ECDSA_P256_SHA256: &[&dyn SignatureVerificationAlgorithm] = &[ECDSA_P256_SHA256];
static FOR_ECDSA_P384_SHA384: &[&dyn SignatureVerificationAlgorithm] = &[ECDSA_P384_SHA384];
static FOR_ECDSA_ANY_CURVE_SHA256: &[&dyn SignatureVerificationAlgorithm] =
    &[ECDSA_P256_SHA256, ECDSA_P384_SHA256, ECDSA_P521_SHA256];
static FOR_ECDSA_ANY_CURVE_SHA384: &[&dyn SignatureVerificationAlgorithm] =
    &[ECDSA_P384_SHA384, ECDSA_P256_SHA384, ECDSA_P521_SHA384];
static FOR_ECDSA_P521_SHA512: &[&dyn SignatureVerificationAlgorithm] = &[ECDSA_P521_SHA512];
static FOR_ECDSA_ANY_CURVE_SHA512: &[&dyn SignatureVerificationAlgorithm] =
    &[ECDSA_P521_SHA512, ECDSA_P256_SHA512, ECDSA_P384_SHA512];
static FOR_ED25519: &[&dyn SignatureVerificationAlgorithm] = &[ED25519];
static FOR_RSA_PSS_SHA256: &[&dyn SignatureVerificationAlgorithm] = &[RSA_PSS_SHA256];
static FOR_RSA_PSS_SHA384: &[&dyn SignatureVerificationAlgorithm] = &[RSA_PSS_SHA384];
static FOR_RSA_PSS_SHA512: &[&dyn SignatureVerificationAlgorithm] = &[RSA_PSS_SHA512];
static FOR_RSA_PKCS1_SHA256: &[&dyn SignatureVerificationAlgorithm] = &[RSA_PKCS1_SHA256];
static FOR_RSA_PKCS1_SHA384: &[&dyn SignatureVerificationAlgorithm] = &[RSA_PKCS1_SHA384];
static FOR_RSA_PKCS1_SHA512: &[&dyn SignatureVerificationAlgorithm] = &[RSA_PKCS1_SHA512];

/// Schemes we verify, in our preference order (for `signature_algorithms`).
static SUPPORTED_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::ECDSA_NISTP521_SHA512,
];

/// Signature verification by TLS scheme, backed by aws-lc.
#[derive(Debug)]
pub struct AwsLcVerifiers;

/// The provider's verifiers.
pub static VERIFIERS: AwsLcVerifiers = AwsLcVerifiers;

impl SignatureVerifiers for AwsLcVerifiers {
    fn all(&self) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
        ALL
    }

    fn for_scheme(
        &self,
        scheme: SignatureScheme,
        tls13: bool,
    ) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
        use SignatureScheme as S;
        match (scheme, tls13) {
            // RFC 8446 §4.2.3: in TLS 1.3 an ECDSA scheme fixes the curve as well as the hash.
            (S::ECDSA_NISTP256_SHA256, true) => FOR_ECDSA_P256_SHA256,
            (S::ECDSA_NISTP384_SHA384, true) => FOR_ECDSA_P384_SHA384,
            // RFC 8422 §5.1.3 / RFC 5246 §7.4.1.4.1: in TLS 1.2 the scheme names only the hash;
            // the curve is the certificate's (OpenSSL signs a TLS 1.2 ServerKeyExchange with a
            // P-521 key as ecdsa_secp256r1_sha256 when the client lists that first).
            (S::ECDSA_NISTP256_SHA256, false) => FOR_ECDSA_ANY_CURVE_SHA256,
            (S::ECDSA_NISTP384_SHA384, false) => FOR_ECDSA_ANY_CURVE_SHA384,
            (S::ECDSA_NISTP521_SHA512, true) => FOR_ECDSA_P521_SHA512,
            (S::ECDSA_NISTP521_SHA512, false) => FOR_ECDSA_ANY_CURVE_SHA512,
            (S::ED25519, _) => FOR_ED25519,
            (S::RSA_PSS_SHA256, _) => FOR_RSA_PSS_SHA256,
            (S::RSA_PSS_SHA384, _) => FOR_RSA_PSS_SHA384,
            (S::RSA_PSS_SHA512, _) => FOR_RSA_PSS_SHA512,
            // RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 "MUST NOT" be used for TLS 1.3 handshake
            // signatures (CertificateVerify); it is refused here as well as by the caller.
            (S::RSA_PKCS1_SHA256, false) => FOR_RSA_PKCS1_SHA256,
            (S::RSA_PKCS1_SHA384, false) => FOR_RSA_PKCS1_SHA384,
            (S::RSA_PKCS1_SHA512, false) => FOR_RSA_PKCS1_SHA512,
            _ => &[],
        }
    }

    fn supported_schemes(&self) -> &'static [SignatureScheme] {
        SUPPORTED_SCHEMES
    }
}
