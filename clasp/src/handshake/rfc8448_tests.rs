//! Deterministic replay of RFC 8448 §3 ("Simple 1-RTT Handshake") against clasp's TLS 1.3
//! client and server.
//!
//! Randomness and the ephemeral X25519 keys are injected through a test [`CryptoProvider`]; the
//! trace's NSS-specific ClientHello and EncryptedExtensions are reproduced with the cfg(test)
//! hooks `ClientConfig::test_hello_hook` / `ServerConfig::test_ee_hook`.
//!
//! The trace's server key is RSA-1024. aws-lc-rs refuses it both ways:
//! * loading an RSA private key requires 2048..=8192 bits (`rsa::key::validate_rsa_key`;
//!   `rsa_1024_key_is_refused_by_the_provider` below proves it through our provider), and
//! * every public RSA-PSS verification algorithm (`RSA_PSS_2048_8192_SHA*`) requires 2048 bits,
//!   and `RsaParameters::new` is crate-private, so no 1024-bit PSS verifier can be built.
//!
//! Hence neither side can run the real RSA operation on this key. Instead:
//! * the client's test verifier checks that clasp asks it to verify exactly the trace's
//!   CertificateVerify signature, under scheme rsa_pss_rsae_sha256, over exactly the RFC 8446
//!   §4.4.3 message built from the trace's transcript hash (ClientHello..Certificate). The
//!   signature itself was verified with the RSA key when the vectors were transcribed (see the
//!   header of `testdata/rfc8448.txt`); here we prove that clasp computes the signed content
//!   correctly and would pass it with the right key.
//! * the server's test signing key is a replay oracle: it returns the trace's signature only if
//!   asked to sign exactly the expected message, and fails otherwise. (RSA-PSS is randomized, so
//!   even a real RSA-1024 signer could not reproduce the trace byte-for-byte.) This lets the
//!   whole server flight, Finished included, be compared with the trace.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, ServerName, UnixTime};

use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{ClientConnection, ServerConnection};
use crate::crypto::aws_lc::kx::x25519_from_private;
use crate::crypto::{
    aws_lc, ActiveKeyExchange, CryptoError, CryptoProvider, KeyKind, SecureRandom, Signer,
    SigningKey, SupportedKxGroup,
};
use crate::error::Error;
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::msgs::handshake::{
    ClientHello, EncryptedExtensions, HandshakeMessage, HandshakePayload,
};
use crate::sign::{CertifiedKey, SingleCert};
use crate::testdata::rfc8448;
use crate::verify::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};

// ---------------------------------------------------------------------------------------------
// Injected randomness and key shares.

/// Returns queued bytes first, then a fixed filler (later draws, e.g. ticket material, do not
/// appear in the compared bytes).
#[derive(Debug)]
struct QueuedRandom(Mutex<VecDeque<u8>>);

impl SecureRandom for QueuedRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        let mut q = self.0.lock().map_err(|_| CryptoError)?;
        for b in buf.iter_mut() {
            *b = q.pop_front().unwrap_or(0x5a);
        }
        Ok(())
    }
}

/// X25519 whose "ephemeral" key is the trace's fixed private key.
#[derive(Debug)]
struct FixedX25519([u8; 32]);

impl SupportedKxGroup for FixedX25519 {
    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }

    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        x25519_from_private(&self.0)
    }
}

fn arr32(v: &[u8]) -> [u8; 32] {
    v.try_into().expect("test vector is 32 bytes")
}

/// The default provider with X25519 fixed to `x25519_private`.
fn replay_provider(x25519_private: &[u8]) -> CryptoProvider {
    let mut p = aws_lc::default_provider();
    p.kx_groups = vec![Box::leak(Box::new(FixedX25519(arr32(x25519_private))))];
    p
}

/// A random source that yields `random` first. Installed after `build()`, so that draws made
/// while building (e.g. session-ticket keys) cannot consume the hello random.
fn queued_random(random: &[u8]) -> &'static dyn SecureRandom {
    Box::leak(Box::new(QueuedRandom(Mutex::new(
        random.iter().copied().collect(),
    ))))
}

// ---------------------------------------------------------------------------------------------
// Trace-derived values.

fn decode(name: &str) -> HandshakePayload {
    let bytes = rfc8448(name);
    let msg = HandshakeMessage::read_version(&bytes, ProtocolVersion::TLSv1_3).expect("decodes");
    assert_eq!(msg.encoded(), bytes.as_slice(), "{name} round-trips");
    msg.into_parts().0
}

fn trace_client_hello() -> ClientHello {
    match decode("s3.client_hello") {
        HandshakePayload::ClientHello(ch) => ch,
        other => panic!("s3.client_hello is {other:?}"),
    }
}

fn trace_server_cert() -> CertificateDer<'static> {
    match decode("s3.certificate") {
        HandshakePayload::CertificateTls13(c) => {
            assert_eq!(c.certificate_list.len(), 1);
            c.certificate_list[0].cert_data.clone()
        }
        other => panic!("s3.certificate is {other:?}"),
    }
}

/// (scheme, signature) of the trace's CertificateVerify.
fn trace_cv() -> (SignatureScheme, Vec<u8>) {
    match decode("s3.certificate_verify") {
        HandshakePayload::CertificateVerify(ds) => (ds.scheme, ds.signature),
        other => panic!("s3.certificate_verify is {other:?}"),
    }
}

/// RFC 8446 §4.4.3 content the server signs: over Transcript-Hash(ClientHello..Certificate),
/// computed here independently of clasp's transcript code.
fn expected_cv_message() -> Vec<u8> {
    let p = aws_lc::default_provider();
    let mut h = p.hash(crate::crypto::HashAlgorithm::Sha256).start();
    for name in [
        "s3.client_hello",
        "s3.server_hello",
        "s3.encrypted_extensions",
        "s3.certificate",
    ] {
        h.update(&rfc8448(name));
    }
    super::tls13_signed_message(true, h.finish().as_ref())
}

/// The hook for the client: the trace's NSS ClientHello, keeping clasp's random and key share
/// (which must equal the trace's, since both are injected).
fn nss_client_hello(hello: &mut ClientHello) {
    let trace = trace_client_hello();
    assert_eq!(hello.random, trace.random, "injected client random");
    let ours = hello.extensions.iter().find_map(|e| match e {
        crate::msgs::extensions::ClientExtension::KeyShare(k) => Some(k.clone()),
        _ => None,
    });
    let theirs = trace.extensions.iter().find_map(|e| match e {
        crate::msgs::extensions::ClientExtension::KeyShare(k) => Some(k.clone()),
        _ => None,
    });
    assert_eq!(ours, theirs, "injected client key share");
    hello.legacy_session_id = trace.legacy_session_id;
    hello.cipher_suites = trace.cipher_suites;
    hello.extensions = trace.extensions;
}

/// The hook for the server: the trace's EncryptedExtensions.
fn nss_encrypted_extensions(ee: &mut EncryptedExtensions) {
    match decode("s3.encrypted_extensions") {
        HandshakePayload::EncryptedExtensions(t) => *ee = t,
        other => panic!("s3.encrypted_extensions is {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Test verifier (client side) and replay signer (server side).

#[derive(Debug)]
struct TraceVerifier;

impl ServerCertVerifier for TraceVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // The trace's self-signed certificate expired in 2016: chain checks are not the point
        // here, but the chain must be the trace's.
        assert_eq!(end_entity.as_ref(), trace_server_cert().as_ref());
        assert!(intermediates.is_empty());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _scheme: SignatureScheme,
        _sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        Err(crate::error::PeerMisbehaved::BadSignature.into())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        // aws-lc-rs cannot verify RSA-PSS under a 1024-bit key (module docs). Accept exactly the
        // trace's signature over exactly the expected content under the trace's certificate.
        let (t_scheme, t_sig) = trace_cv();
        if scheme == t_scheme
            && scheme == SignatureScheme::RSA_PSS_SHA256
            && sig == t_sig.as_slice()
            && message == expected_cv_message().as_slice()
            && cert.as_ref() == trace_server_cert().as_ref()
        {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(crate::error::PeerMisbehaved::BadSignature.into())
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::RSA_PSS_SHA256]
    }
}

/// A stand-in for the trace's RSA-1024 key: signs only the expected message, with the trace's
/// signature (module docs explain why).
#[derive(Debug)]
struct ReplaySigningKey;

impl SigningKey for ReplaySigningKey {
    fn kind(&self) -> KeyKind {
        KeyKind::Rsa
    }

    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::RSA_PSS_SHA256)
            .then(|| Box::new(ReplaySigner) as Box<dyn Signer>)
    }
}

struct ReplaySigner;

impl Signer for ReplaySigner {
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::RSA_PSS_SHA256
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        if message == expected_cv_message().as_slice() {
            Ok(trace_cv().1)
        } else {
            Err(CryptoError.into())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn take_pending(pending: &[u8]) -> Vec<u8> {
    pending.to_vec()
}

fn client_config() -> ClientConfig {
    let provider = replay_provider(&rfc8448("s3.client_x25519_private"));
    let mut cfg = ClientConfig::builder()
        .with_provider(provider)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .with_groups(&[NamedGroup::X25519])
        .with_key_shares(&[NamedGroup::X25519])
        .with_verifier(Arc::new(TraceVerifier))
        // The trace has no GREASE (RFC 8701), and its random queue holds only the trace's.
        .with_grease(false)
        .build()
        .expect("client config");
    cfg.provider.secure_random = queued_random(&trace_client_hello().random);
    cfg.test_hello_hook = Some(nss_client_hello);
    cfg
}

/// The trace's ServerHello random (bytes 6..38 of the message: type, u24 length, version).
fn trace_server_random() -> Vec<u8> {
    rfc8448("s3.server_hello")[6..38].to_vec()
}

fn server_config() -> ServerConfig {
    let provider = replay_provider(&rfc8448("s3.server_x25519_private"));
    let certified = CertifiedKey::new(vec![trace_server_cert()], Arc::new(ReplaySigningKey))
        .expect("certified key");
    let mut cfg = ServerConfig::builder()
        .with_provider(provider)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_cipher_suites(&[CipherSuite::TLS_AES_128_GCM_SHA256])
        .with_groups(&[NamedGroup::X25519])
        .with_cert_resolver(Arc::new(SingleCert(Arc::new(certified))))
        .build()
        .expect("server config");
    cfg.provider.secure_random = queued_random(&trace_server_random());
    cfg.test_ee_hook = Some(nss_encrypted_extensions);
    cfg
}

fn feed_client(c: &mut ClientConnection, bytes: &[u8]) {
    assert_eq!(c.push_tls(bytes), bytes.len());
    c.process_new_packets().expect("client accepts the trace");
}

fn feed_server(s: &mut ServerConnection, bytes: &[u8]) {
    assert_eq!(s.push_tls(bytes), bytes.len());
    s.process_new_packets().expect("server accepts the trace");
}

fn read_all(c: &mut crate::conn::ConnectionCommon) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match c.reader().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("read: {e}"),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// Why the server below uses a replay signer: our provider (aws-lc-rs) refuses the trace's
/// RSA-1024 key, built here as a PKCS#1 RSAPrivateKey from the RFC 8448 §2/§3 components.
#[test]
fn rsa_1024_key_is_refused_by_the_provider() {
    let key = PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(trace_rsa_pkcs1_der()));
    let p = aws_lc::default_provider();
    assert_eq!(
        p.key_provider.load_private_key(key).map(|_| ()),
        Err(crate::error::Error::InvalidConfig(
            crate::error::ConfigError::BadPrivateKey
        ))
    );
}

/// PKCS#1 RSAPrivateKey (RFC 8017 §A.1.2) DER from the trace's components.
fn trace_rsa_pkcs1_der() -> Vec<u8> {
    fn der_len(len: usize, out: &mut Vec<u8>) {
        if len < 0x80 {
            out.push(u8::try_from(len).expect("below 0x80"));
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | u8::try_from(bytes.len()).expect("at most 8 length bytes"));
            out.extend_from_slice(&bytes);
        }
    }
    fn integer(v: &[u8], out: &mut Vec<u8>) {
        let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
        let mut body = Vec::new();
        if v.is_empty() || v[0] & 0x80 != 0 {
            body.push(0);
        }
        body.extend_from_slice(&v);
        out.push(0x02);
        der_len(body.len(), out);
        out.extend_from_slice(&body);
    }
    let mut body = Vec::new();
    integer(&[0], &mut body);
    for name in [
        "s3.rsa_modulus",
        "s3.rsa_public_exponent",
        "s3.rsa_private_exponent",
        "s3.rsa_prime1",
        "s3.rsa_prime2",
        "s3.rsa_exponent1",
        "s3.rsa_exponent2",
        "s3.rsa_coefficient",
    ] {
        integer(&rfc8448(name), &mut body);
    }
    let mut out = vec![0x30];
    der_len(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

#[test]
fn client_replays_rfc8448_section3() {
    let mut c = ClientConnection::new(
        Arc::new(client_config()),
        ServerName::try_from("server").expect("name"),
    )
    .expect("client");

    // 1. ClientHello, byte-for-byte (record version 03 01, no compat session ID, no CCS).
    let out = take_pending(c.pending_tls());
    assert_eq!(out, rfc8448("s3.client_hello_record"));
    c.consume_tls(out.len());

    // 2. ServerHello, then the encrypted EE/Certificate/CertificateVerify/Finished record.
    feed_client(&mut c, &rfc8448("s3.server_hello_record"));
    assert!(
        c.pending_tls().is_empty(),
        "no compat CCS without a session ID"
    );
    feed_client(&mut c, &rfc8448("s3.server_handshake_record"));

    // 3. The client's Finished, byte-for-byte; handshake complete.
    let out = take_pending(c.pending_tls());
    assert_eq!(out, rfc8448("s3.client_finished_record"));
    c.consume_tls(out.len());
    assert!(!c.is_handshaking());
    assert_eq!(
        c.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_AES_128_GCM_SHA256)
    );
    assert_eq!(c.negotiated_key_exchange_group(), Some(NamedGroup::X25519));
    assert_eq!(
        c.negotiated().signature_scheme,
        Some(SignatureScheme::RSA_PSS_SHA256)
    );

    // 4. NewSessionTicket (server app key seq 0), then application data (seq 1).
    feed_client(&mut c, &rfc8448("s3.new_session_ticket_record"));
    feed_client(&mut c, &rfc8448("s3.server_application_data_record"));
    assert_eq!(read_all(&mut c), rfc8448("s3.application_data"));

    // 5. The client's own application data record (client app key seq 0) matches too.
    {
        use std::io::Write;
        c.writer()
            .write_all(&rfc8448("s3.application_data"))
            .expect("write");
    }
    let out = take_pending(c.pending_tls());
    assert_eq!(out, rfc8448("s3.client_application_data_record"));
    c.consume_tls(out.len());
}

#[test]
fn server_replays_rfc8448_section3() {
    let mut s = ServerConnection::new(Arc::new(server_config())).expect("server");
    feed_server(&mut s, &rfc8448("s3.client_hello_record"));

    let out = take_pending(s.pending_tls());
    let sh_record = rfc8448("s3.server_hello_record");
    let hs_record = rfc8448("s3.server_handshake_record");

    // 1. ServerHello record, byte-for-byte.
    assert!(
        out.len() >= sh_record.len(),
        "server wrote {} bytes",
        out.len()
    );
    assert_eq!(&out[..sh_record.len()], sh_record.as_slice());

    // 2. The encrypted flight. AES-GCM is a stream cipher: the record header and the
    // ciphertext covering EncryptedExtensions + Certificate depend only on those bytes, so
    // check that prefix first (a mismatch there points at EE/Certificate encoding) ...
    let rest = &out[sh_record.len()..];
    let prefix = 5 + rfc8448("s3.encrypted_extensions").len() + rfc8448("s3.certificate").len();
    assert!(
        rest.len() >= prefix,
        "server flight too short: {}",
        rest.len()
    );
    assert_eq!(&rest[..prefix], &hs_record[..prefix]);
    // ... then the whole record: the replay signer yields the trace's CertificateVerify, so
    // the Finished and the tag must match too.
    assert_eq!(rest, hs_record.as_slice());
    s.consume_tls(out.len());

    // 3. The trace's client Finished completes the handshake.
    feed_server(&mut s, &rfc8448("s3.client_finished_record"));
    assert!(!s.is_handshaking());
    assert_eq!(
        s.negotiated_cipher_suite(),
        Some(CipherSuite::TLS_AES_128_GCM_SHA256)
    );

    // 4. The client's application data decrypts (client app key seq 0).
    feed_server(&mut s, &rfc8448("s3.client_application_data_record"));
    assert_eq!(read_all(&mut s), rfc8448("s3.application_data"));
}

/// The replay signer refuses any other content, so the server test above cannot pass by
/// accident with a wrong transcript.
#[test]
fn replay_signer_refuses_other_messages() {
    let signer = ReplaySigningKey
        .choose_scheme(&[SignatureScheme::RSA_PSS_SHA256])
        .expect("scheme");
    assert!(signer.sign(&expected_cv_message()).is_ok());
    let mut other = expected_cv_message();
    if let Some(b) = other.last_mut() {
        *b ^= 1;
    }
    assert_eq!(
        signer.sign(&other).map(|_| ()),
        Err(crate::error::Error::Internal(
            crate::error::InternalError::Crypto
        ))
    );
    assert!(ReplaySigningKey
        .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
        .is_none());
}

// ---------------------------------------------------------------------------------------------
// Tampered server flights (STYLE.md "Negative tests": tamper tests). The trace's server
// handshake record is opened with the trace's keys, one bit is flipped, and the record is
// re-sealed at the same sequence number (0), so that only the targeted check can notice.

/// Opens `s3.server_handshake_record` (server handshake keys, seq 0), lets `tamper` change the
/// plaintext (EE ‖ Certificate ‖ CertificateVerify ‖ Finished), and re-seals it at seq 0.
fn tampered_server_flight(tamper: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    use crate::crypto::aws_lc::AES_128_GCM;
    use crate::msgs::enums::ContentType;
    use crate::record::{RecordDecrypter, RecordEncrypter, RecordHeader, HEADER_LEN};

    let record = rfc8448("s3.server_handshake_record");
    let header = RecordHeader::parse(&record)
        .expect("header")
        .expect("complete");
    let mut body = record[HEADER_LEN..].to_vec();
    let mut dec = RecordDecrypter::tls13(
        &AES_128_GCM,
        &rfc8448("s3.server_handshake_key"),
        &rfc8448("s3.server_handshake_iv"),
    )
    .expect("decrypter");
    let (typ, range) = dec
        .open_in_place(header, &mut body)
        .expect("trace record opens");
    assert_eq!(typ, ContentType::Handshake);
    let mut plain = body[range].to_vec();
    // Sanity: the plaintext is exactly the four trace messages.
    let expected: Vec<u8> = [
        "s3.encrypted_extensions",
        "s3.certificate",
        "s3.certificate_verify",
        "s3.server_finished",
    ]
    .iter()
    .flat_map(|n| rfc8448(n))
    .collect();
    assert_eq!(plain, expected);

    tamper(&mut plain);

    let mut enc = RecordEncrypter::tls13(
        &AES_128_GCM,
        &rfc8448("s3.server_handshake_key"),
        &rfc8448("s3.server_handshake_iv"),
    )
    .expect("encrypter");
    let mut out = Vec::new();
    enc.seal_record(ContentType::Handshake, &plain, &mut out)
        .expect("seal");
    out
}

/// A client that has sent the trace's ClientHello and accepted the trace's ServerHello.
fn client_after_server_hello() -> ClientConnection {
    let mut c = ClientConnection::new(
        Arc::new(client_config()),
        ServerName::try_from("server").expect("name"),
    )
    .expect("client");
    let out = take_pending(c.pending_tls());
    assert_eq!(out, rfc8448("s3.client_hello_record"));
    c.consume_tls(out.len());
    feed_client(&mut c, &rfc8448("s3.server_hello_record"));
    c
}

/// Feeds `flight` to `c`, expects `want`, and returns the single alert the client then writes,
/// opened with the client's handshake keys at seq 0 (RFC 8446 §5: alerts are protected under
/// the current write keys, which are the client handshake keys at this point).
fn fatal_alert_after(c: &mut ClientConnection, flight: &[u8], want: &Error) -> Vec<u8> {
    use crate::crypto::aws_lc::AES_128_GCM;
    use crate::msgs::enums::ContentType;
    use crate::record::{RecordDecrypter, RecordHeader, HEADER_LEN};

    assert_eq!(c.push_tls(flight), flight.len());
    let err = c.process_new_packets().expect_err("client must refuse");
    assert_eq!(&err, want);
    // Failure is sticky (STYLE.md).
    assert_eq!(&c.process_new_packets().expect_err("sticky"), want);

    let out = take_pending(c.pending_tls());
    c.consume_tls(out.len());
    let header = RecordHeader::parse(&out)
        .expect("alert record header")
        .expect("complete alert record");
    assert_eq!(
        header.typ,
        ContentType::ApplicationData,
        "alert is encrypted"
    );
    assert_eq!(
        out.len(),
        HEADER_LEN + usize::from(header.len),
        "exactly one record follows the failure"
    );
    let mut body = out[HEADER_LEN..].to_vec();
    let mut dec = RecordDecrypter::tls13(
        &AES_128_GCM,
        &rfc8448("s3.client_handshake_key"),
        &rfc8448("s3.client_handshake_iv"),
    )
    .expect("decrypter");
    let (typ, range) = dec
        .open_in_place(header, &mut body)
        .expect("alert opens under client handshake keys, seq 0");
    assert_eq!(typ, ContentType::Alert);
    body[range].to_vec()
}

/// RFC 8446 §4.4.4: "Recipients of Finished messages MUST verify that the contents are
/// correct and if incorrect MUST terminate the connection with a "decrypt_error" alert."
#[test]
fn client_refuses_tampered_server_finished() {
    let flight = tampered_server_flight(|plain| {
        // verify_data is the last 32 bytes of the plaintext (Finished is last).
        let n = plain.len();
        plain[n - 32] ^= 0x01;
    });
    let mut c = client_after_server_hello();
    let alert = fatal_alert_after(
        &mut c,
        &flight,
        &crate::error::PeerMisbehaved::IncorrectFinished.into(),
    );
    assert_eq!(alert, [2, 51], "fatal decrypt_error");
    assert!(c.is_handshaking());
}

/// RFC 8446 §4.4.3: "If the verification fails, the receiver MUST terminate the handshake
/// with a "decrypt_error" alert." The test verifier accepts only the trace's exact signature,
/// so one flipped signature bit is a failed verification.
#[test]
fn client_refuses_tampered_certificate_verify_signature() {
    let flight = tampered_server_flight(|plain| {
        // The CertificateVerify signature ends just before the Finished message (36 bytes).
        let n = plain.len();
        plain[n - 36 - 1] ^= 0x80;
    });
    let mut c = client_after_server_hello();
    let alert = fatal_alert_after(
        &mut c,
        &flight,
        &crate::error::PeerMisbehaved::BadSignature.into(),
    );
    assert_eq!(alert, [2, 51], "fatal decrypt_error");
}

/// RFC 8446 §5.2: "If the decryption fails, the receiver MUST terminate the connection with a
/// "bad_record_mac" alert."
#[test]
fn client_refuses_flipped_ciphertext_bit() {
    let mut flight = rfc8448("s3.server_handshake_record");
    flight[5 + 100] ^= 0x04;
    let mut c = client_after_server_hello();
    let alert = fatal_alert_after(&mut c, &flight, &Error::DecryptError);
    assert_eq!(alert, [2, 20], "fatal bad_record_mac");
}
