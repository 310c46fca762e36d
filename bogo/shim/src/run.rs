//! One shim run: build clasp configs from the flags, then for each connection (the initial one
//! and `-resume-count` resumptions) connect to the runner, handshake, check the `-expect-*`
//! flags, and do the data exchange of BoringSSL's `bssl_shim.cc` `DoExchange`: optional exporter
//! output, "hello" if the shim writes first, then echo every byte read XOR 0xff until the peer
//! closes, then close_notify.

use core::cell::RefCell;
use core::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clasp::conn::ConnectionCommon;
use clasp::crypto::{
    aws_lc, CryptoProvider, KeyKind, RsaDecrypter, SignatureVerifiers, Signer, SigningKey,
};
use clasp::error::CertificateError;
use clasp::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use clasp::session::{ClientSessionCache, TicketKeys};
use clasp::sign::CertifiedKey;
use clasp::time::TimeProvider;
use clasp::verify::{
    ClientCertVerified, ClientCertVerifier, DistinguishedName, HandshakeSignatureValid,
    ServerCertVerified, ServerCertVerifier,
};
use clasp::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::errors;
use crate::flags::Conn;

/// The runner's "unimplemented" exit code.
pub const UNIMPLEMENTED: u8 = 89;

/// Why a run failed.
#[derive(Debug)]
pub enum Failure {
    /// clasp cannot do what the test asks (exit 89).
    Unimplemented(String),
    /// clasp reported an error (printed with its BoringSSL reason code).
    Tls(Error),
    /// An `-expect-*` check failed, or the exchange went wrong.
    Check(String),
    /// Socket I/O failed.
    Io(io::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unimplemented(s) => write!(f, "unimplemented: {s}"),
            Self::Tls(e) => write!(f, "{} {e}", errors::code(e)),
            Self::Check(s) => f.write_str(s),
            Self::Io(e) => write!(f, ":IO_ERROR: {e}"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        // The connection's own errors travel inside io::Error from reader()/writer().
        match e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
            Some(tls) => Self::Tls(tls.clone()),
            None => Self::Io(e),
        }
    }
}

fn unimplemented(s: &str) -> Failure {
    Failure::Unimplemented(s.to_owned())
}

fn check(ok: bool, msg: impl FnOnce() -> String) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure::Check(msg()))
    }
}

/// A clock the shim can move forward (`-resumption-delay`), shared by configs and ticket keys.
#[derive(Debug, Default)]
struct Clock {
    offset_secs: AtomicU64,
}

impl Clock {
    fn secs(&self) -> u64 {
        UnixTime::now().as_secs() + self.offset_secs.load(Ordering::Relaxed)
    }
}

impl TimeProvider for Clock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.secs()))
    }
}

/// State kept across the connections of one run, as BoringSSL keeps its `SSL_CTX`.
struct Shared {
    provider: CryptoProvider,
    clock: Arc<Clock>,
    client_cache: Arc<ClientSessionCache>,
    ticket_keys: Arc<TicketKeys>,
    /// The server config and the flags it was built from: a resumption with the same settings
    /// reuses it (and so its TLS 1.2 session-ID cache).
    server: Option<(Conn, Arc<ServerConfig>)>,
    /// The client's verifier and certificate resolver, with the settings they were built from.
    /// clasp offers a cached session only to a config with the same verifier and resolver (by
    /// identity), so a resumption with the same settings must reuse them, as BoringSSL reuses
    /// its `SSL_CTX`; a resumption that changes them is (rightly) not offered the session.
    client_verifier: RefCell<Option<(VerifierKey, Arc<TestVerifier>)>>,
    client_cert: RefCell<Option<(ClientCertKey, Arc<clasp::sign::SingleClientCert>)>>,
    /// The ALPN protocol the previous client connection negotiated (its session's).
    last_alpn: Option<Vec<u8>>,
}

type VerifierKey = Vec<SignatureScheme>;
type ClientCertKey = (Option<String>, Option<String>, Vec<u16>);

/// Runs every connection the flags ask for.
///
/// # Errors
/// The first connection's failure.
pub fn run(confs: &[Conn; 3]) -> Result<(), Failure> {
    let provider = aws_lc::default_provider();
    let clock = Arc::new(Clock::default());
    let ticket_keys = TicketKeys::new(&provider, clock.secs(), 24 * 3600).map_err(Failure::Tls)?;
    let mut shared = Shared {
        provider,
        clock,
        client_cache: Arc::new(ClientSessionCache::new(8)),
        ticket_keys: Arc::new(ticket_keys),
        server: None,
        client_verifier: RefCell::new(None),
        client_cert: RefCell::new(None),
        last_alpn: None,
    };
    for conf in confs {
        reject_unimplemented(conf)?;
    }
    // BoringSSL verifies again with the retry flags after a 0-RTT reject; clasp's connection
    // keeps the verifier it started with, which (re-)verifies before the 0-RTT offer. So a retry
    // that fails where the resumption passes cannot be played. (The reverse is: the resumption's
    // verifier fails first, before any retry, as BoringSSL's does when 0-RTT is accepted. Only a
    // 0-RTT offer can be retried: without -enable-early-data the retry flags are unused.)
    if !confs[0].server
        && confs[1].enable_early_data
        && confs[2].verify_fail
        && !confs[1].verify_fail
    {
        return Err(unimplemented("verify settings changed for the 0-RTT retry"));
    }
    for i in 0..=confs[0].resume_count {
        let is_resume = i > 0;
        let conf = if is_resume { &confs[1] } else { &confs[0] };
        if let Err(f) = connection(&mut shared, conf, &confs[2], is_resume) {
            return Err(match f {
                Failure::Unimplemented(_) => f,
                f => Failure::Check(format!("{f}\nConnection {} failed.", i + 1)),
            });
        }
        shared
            .clock
            .offset_secs
            .fetch_add(conf.resumption_delay, Ordering::Relaxed);
    }
    Ok(())
}

/// Combinations clasp cannot do, refused before any connection is made.
fn reject_unimplemented(c: &Conn) -> Result<(), Failure> {
    if c.max_version.is_some_and(|v| v < 0x0303) {
        return Err(unimplemented("TLS versions below 1.2"));
    }
    if !c.server && c.no_ticket {
        return Err(unimplemented("clients cannot turn off session tickets"));
    }
    Ok(())
}

fn versions(c: &Conn) -> Result<Vec<ProtocolVersion>, Failure> {
    let min = c.min_version.unwrap_or(0);
    let max = c.max_version.unwrap_or(0xffff);
    let mut v = Vec::new();
    if !c.no_tls13 && min <= 0x0304 && max >= 0x0304 {
        v.push(ProtocolVersion::TLSv1_3);
    }
    if !c.no_tls12 && min <= 0x0303 && max >= 0x0303 {
        v.push(ProtocolVersion::TLSv1_2);
    }
    if v.is_empty() {
        return Err(unimplemented("no TLS version clasp has is enabled"));
    }
    Ok(v)
}

/// BoringSSL's compliance policies (`ssl_compliance_policy_*` in its `ssl_lib.cc`): what each
/// allows, applied on top of the other flags.
struct Policy {
    suites: &'static [CipherSuite],
    groups: &'static [NamedGroup],
    schemes: &'static [SignatureScheme],
}

/// `-fips-202205`: AES-GCM suites with ECDHE (or TLS 1.3), P-256/P-384, RSA and ECDSA
/// P-256/P-384 with SHA-2.
const FIPS_202205: Policy = Policy {
    suites: &[
        CipherSuite::TLS_AES_128_GCM_SHA256,
        CipherSuite::TLS_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ],
    groups: &[NamedGroup::secp256r1, NamedGroup::secp384r1],
    schemes: &[
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
        SignatureScheme::ECDSA_NISTP256_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384,
        SignatureScheme::RSA_PSS_SHA256,
        SignatureScheme::RSA_PSS_SHA384,
        SignatureScheme::RSA_PSS_SHA512,
    ],
};

/// `-wpa-202304` (WPA3 192-bit): AES-256-GCM, P-384, SHA-384/512 signatures.
const WPA_202304: Policy = Policy {
    suites: &[
        CipherSuite::TLS_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ],
    groups: &[NamedGroup::secp384r1],
    schemes: &[
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
        SignatureScheme::ECDSA_NISTP384_SHA384,
        SignatureScheme::RSA_PSS_SHA384,
        SignatureScheme::RSA_PSS_SHA512,
    ],
};

fn policy(c: &Conn) -> Option<&'static Policy> {
    if c.wpa_202304 {
        Some(&WPA_202304)
    } else if c.fips_202205 {
        Some(&FIPS_202205)
    } else {
        None
    }
}

/// BoringSSL's default groups (X25519, P-256, P-384), or `-curves`, within the policy.
fn groups(c: &Conn, provider: &CryptoProvider) -> Result<Vec<NamedGroup>, Failure> {
    let allowed = |g: &NamedGroup| policy(c).is_none_or(|p| p.groups.contains(g));
    if c.curves.is_empty() {
        return Ok([
            NamedGroup::X25519,
            NamedGroup::secp256r1,
            NamedGroup::secp384r1,
        ]
        .into_iter()
        .filter(allowed)
        .collect());
    }
    let mut out = Vec::new();
    for &id in &c.curves {
        let g = NamedGroup(id);
        if !allowed(&g) {
            continue;
        }
        if provider.kx_group(g).is_none() {
            return Err(Failure::Unimplemented(format!("group {id:#06x}")));
        }
        out.push(g);
    }
    if out.is_empty() {
        // Every -curves group is outside the policy: BoringSSL then has none to offer.
        return Err(Failure::Check(":NO_SHARED_GROUP: no group allowed".into()));
    }
    Ok(out)
}

/// `-signing-prefs` within the policy (the policy's own list when none is given).
fn signing_prefs(c: &Conn) -> Vec<u16> {
    match policy(c) {
        None => c.signing_prefs.clone(),
        Some(p) if c.signing_prefs.is_empty() => p.schemes.iter().map(|s| s.0).collect(),
        Some(p) => c
            .signing_prefs
            .iter()
            .copied()
            .filter(|s| p.schemes.contains(&SignatureScheme(*s)))
            .collect(),
    }
}

/// The ALPN wire list (`\x03foo\x03bar`) as names.
fn alpn_list(wire: &[u8]) -> Result<Vec<Vec<u8>>, Failure> {
    let mut out = Vec::new();
    let mut rest = wire;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if tail.len() < len {
            return Err(Failure::Check(format!("bad ALPN list {wire:?}")));
        }
        out.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    Ok(out)
}

fn load_key(c: &Conn, provider: &CryptoProvider) -> Result<Option<Arc<CertifiedKey>>, Failure> {
    let (Some(cert), Some(key)) = (&c.cert_file, &c.key_file) else {
        return Ok(None);
    };
    let prefs = signing_prefs(c);
    match CertifiedKey::from_pem_files(cert, key, provider) {
        Ok(k) if prefs.is_empty() && policy(c).is_none() => Ok(Some(Arc::new(k))),
        Ok(k) => {
            let key = Arc::new(PreferredSchemes {
                inner: k.key.clone(),
                prefs: prefs.iter().map(|&s| SignatureScheme(s)).collect(),
            });
            Ok(Some(Arc::new(
                CertifiedKey::new(k.cert.clone(), key).map_err(Failure::Tls)?,
            )))
        }
        // P-224/P-521 keys and the like: not something clasp signs with.
        Err(e) => Err(Failure::Unimplemented(format!("key {key}: {e}"))),
    }
}

/// `-verify-prefs`, without the schemes clasp cannot verify (BoringSSL refuses to configure
/// those; a peer that uses one anyway must then be rejected).
/// `-signing-prefs`: the key signs only with these schemes, in this order of preference
/// (BoringSSL's `SSL_set_signing_algorithm_prefs`), through clasp's public `SigningKey` trait.
#[derive(Debug)]
struct PreferredSchemes {
    inner: Arc<dyn SigningKey>,
    prefs: Vec<SignatureScheme>,
}

impl SigningKey for PreferredSchemes {
    fn kind(&self) -> KeyKind {
        self.inner.kind()
    }

    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        self.prefs
            .iter()
            .filter(|p| offered.contains(p))
            .find_map(|p| self.inner.choose_scheme(core::slice::from_ref(p)))
    }

    fn rsa_decrypter(&self) -> Option<&dyn RsaDecrypter> {
        self.inner.rsa_decrypter()
    }

    fn public_key(&self) -> Option<rustls_pki_types::SubjectPublicKeyInfoDer<'static>> {
        self.inner.public_key()
    }
}

/// BoringSSL's default list of signature schemes it verifies, in its order.
const BORINGSSL_DEFAULT_VERIFY: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA512,
];

fn verify_schemes(c: &Conn, provider: &CryptoProvider) -> Result<Vec<SignatureScheme>, Failure> {
    let supported: Vec<SignatureScheme> = provider
        .verifiers
        .supported_schemes()
        .iter()
        .copied()
        .filter(|s| policy(c).is_none_or(|p| p.schemes.contains(s)))
        .collect();
    if c.verify_prefs.is_empty() {
        if policy(c).is_some() {
            return Ok(supported);
        }
        // BoringSSL's default (`kVerifySignatureAlgorithms` in its extensions.cc): no Ed25519
        // and no ecdsa_secp521r1_sha512 unless asked for, as BoringSSL's SSL_CTX; its
        // rsa_pkcs1_sha1 is left out, as clasp verifies no SHA-1 signature.
        return Ok(BORINGSSL_DEFAULT_VERIFY
            .iter()
            .copied()
            .filter(|s| supported.contains(s))
            .collect());
    }
    let prefs: Vec<_> = c
        .verify_prefs
        .iter()
        .map(|&s| SignatureScheme(s))
        .filter(|s| supported.contains(s))
        .collect();
    if prefs.is_empty() {
        return Err(unimplemented("no -verify-prefs scheme clasp can verify"));
    }
    Ok(prefs)
}

/// BoringSSL's shim accepts any certificate (its verify callback says yes unless `-verify-fail`)
/// but handshake signatures are still checked, with clasp's own verification functions.
#[derive(Debug)]
struct TestVerifier {
    /// `-verify-fail`: the verify callback says no. Set per connection on the client's
    /// verifier, which is kept across connections (see `Shared::client_verifier`), as
    /// BoringSSL's `-on-resume-verify-fail` changes the callback of the same `SSL_CTX`.
    fail: core::sync::atomic::AtomicBool,
    /// `-verify-fail` without `-verify-peer` on the client (BoringSSL's SSL_VERIFY_NONE): the
    /// callback says no, the handshake goes on, and the verify result records the failure.
    soft_fail: core::sync::atomic::AtomicBool,
    /// `-use-ocsp-callback -fail-ocsp-callback` on the client: BoringSSL's legacy OCSP
    /// callback, an extra check of the server's certificate, says no.
    ocsp_fail: core::sync::atomic::AtomicBool,
    /// The verify result of the last verification: whether the callback said no.
    last_failed: core::sync::atomic::AtomicBool,
    mandatory: bool,
    verifiers: &'static dyn SignatureVerifiers,
    schemes: Vec<SignatureScheme>,
}

impl TestVerifier {
    fn verdict(&self) -> Result<(), Error> {
        let fail = self.fail.load(Ordering::Relaxed);
        self.last_failed.store(
            fail || self.soft_fail.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        if fail {
            return Err(CertificateError::Other("-verify-fail".into()).into());
        }
        Ok(())
    }
}

impl ServerCertVerifier for TestVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.verdict()?;
        if self.ocsp_fail.load(Ordering::Relaxed) {
            return Err(CertificateError::BadStatusResponse.into());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        clasp::verify::verify_tls12_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        clasp::verify::verify_tls13_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

impl ClientCertVerifier for TestVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.verdict().map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        clasp::verify::verify_tls12_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        clasp::verify::verify_tls13_signature(self.verifiers, message, cert, scheme, sig)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

fn client_config(shared: &Shared, c: &Conn) -> Result<Arc<ClientConfig>, Failure> {
    let p = &shared.provider;
    let groups = groups(c, p)?;
    let mut b = ClientConfig::builder()
        .with_provider(p.clone())
        .with_protocol_versions(&versions(c)?)
        .with_key_shares(&groups[..1])
        // BoringSSL enables TLS 1.2 RSA key exchange by default; BoGo tests it.
        .allow_rsa_key_exchange(true)
        .with_groups(&groups)
        .with_verifier(client_verifier(shared, c)?)
        .with_time_provider(shared.clock.clone())
        .with_session_cache(shared.client_cache.clone());
    if let Some(p) = policy(c) {
        b = b.with_cipher_suites(p.suites);
    }
    if let Some(wire) = &c.advertise_alpn {
        b = b.with_alpn_protocols(alpn_list(wire)?);
    }
    if let Some(resolver) = client_cert(shared, c)? {
        b = b.with_client_cert_resolver(resolver);
    }
    if c.host_name.is_none() {
        b = b.without_sni();
    }
    if c.enable_early_data {
        b = b.with_early_data();
    }
    if !c.reverify_on_resume {
        // BoringSSL's client trusts a session's verification by default; clasp's re-verifies
        // the stored chain before offering it unless told not to.
        b = b.without_resumption_reverification();
    }
    b = crate::ocsp::client(&c.ocsp, b);
    b.build().map(Arc::new).map_err(Failure::Tls)
}

/// The client's verifier: the previous connection's if built from the same settings.
fn client_verifier(shared: &Shared, c: &Conn) -> Result<Arc<TestVerifier>, Failure> {
    let p = &shared.provider;
    // Without -verify-peer BoringSSL's client runs in SSL_VERIFY_NONE mode: a failing verify
    // callback is ignored ("soft fail").
    let fail = c.verify_fail && c.verify_peer;
    let soft_fail = c.verify_fail && !c.verify_peer;
    let ocsp_fail = crate::ocsp::client_callback_fails(&c.ocsp);
    let key: VerifierKey = verify_schemes(c, p)?;
    let mut slot = shared.client_verifier.borrow_mut();
    if let Some((k, v)) = &*slot {
        if *k == key {
            v.fail.store(fail, Ordering::Relaxed);
            v.soft_fail.store(soft_fail, Ordering::Relaxed);
            v.last_failed.store(false, Ordering::Relaxed);
            v.ocsp_fail.store(ocsp_fail, Ordering::Relaxed);
            return Ok(v.clone());
        }
    }
    let v = Arc::new(TestVerifier {
        fail: fail.into(),
        soft_fail: soft_fail.into(),
        ocsp_fail: ocsp_fail.into(),
        last_failed: false.into(),
        mandatory: false,
        verifiers: p.verifiers,
        schemes: key.clone(),
    });
    *slot = Some((key, v.clone()));
    Ok(v)
}

/// The client's certificate resolver: the previous connection's if built from the same files.
fn client_cert(
    shared: &Shared,
    c: &Conn,
) -> Result<Option<Arc<clasp::sign::SingleClientCert>>, Failure> {
    let key: ClientCertKey = (c.cert_file.clone(), c.key_file.clone(), signing_prefs(c));
    let mut slot = shared.client_cert.borrow_mut();
    if let Some((k, r)) = &*slot {
        if *k == key {
            return Ok(Some(r.clone()));
        }
    }
    let Some(certified) = load_key(c, &shared.provider)? else {
        return Ok(None);
    };
    let r = Arc::new(clasp::sign::SingleClientCert(certified));
    *slot = Some((key, r.clone()));
    Ok(Some(r))
}

fn server_config(shared: &mut Shared, c: &Conn) -> Result<Arc<ServerConfig>, Failure> {
    // Everything but the per-connection expectations decides the config.
    let key = Conn {
        expect_session_miss: false,
        expect_version: None,
        expect_alpn: None,
        expect_hrr: false,
        expect_no_hrr: false,
        expect_curve_id: None,
        expect_cipher: None,
        expect_server_name: None,
        shim_writes_first: false,
        shim_shuts_down: false,
        resumption_delay: 0,
        ..c.clone()
    };
    if let Some((k, cfg)) = &shared.server {
        if *k == key {
            return Ok(cfg.clone());
        }
    }
    let p = &shared.provider;
    let cert = load_key(c, p)?.ok_or_else(|| Failure::Check("server without -cert-file".into()))?;
    let mut b = ServerConfig::builder()
        .with_provider(p.clone())
        .with_protocol_versions(&versions(c)?)
        .with_groups(&groups(c, p)?)
        .with_cert_resolver(Arc::new(clasp::sign::SingleCert(cert)))
        .allow_rsa_key_exchange(true)
        .with_time_provider(shared.clock.clone())
        .with_ticket_keys(shared.ticket_keys.clone());
    if c.require_any_client_certificate || c.verify_peer {
        b = b.with_client_cert_verifier(Arc::new(TestVerifier {
            fail: c.verify_fail.into(),
            soft_fail: false.into(),
            ocsp_fail: false.into(),
            last_failed: false.into(),
            mandatory: c.require_any_client_certificate,
            verifiers: p.verifiers,
            schemes: verify_schemes(c, p)?,
        }));
    }
    if let Some(p) = policy(c) {
        b = b.with_cipher_suites(p.suites);
    }
    if let (Some(alpn), false) = (&c.select_alpn, c.decline_alpn) {
        b = b.with_alpn_protocols(vec![alpn.clone()]);
    }
    if c.no_ticket {
        // BoringSSL's SSL_OP_NO_TICKET: no tickets issued or accepted in either version; TLS 1.2
        // session IDs stay. clasp's without_tls12_tickets refuses TLS 1.2 tickets; for TLS 1.3
        // the config gets ticket keys of its own, under which no ticket was ever issued, so
        // every ticket offered fails to decrypt and the handshake is a full one.
        let own = TicketKeys::new(p, shared.clock.secs(), 24 * 3600).map_err(Failure::Tls)?;
        b = b
            .without_tls12_tickets()
            .with_tickets(0)
            .with_ticket_keys(Arc::new(own));
    }
    if c.expect_advertised_alpn.is_some() {
        b = b.retain_client_hello(true);
    }
    if c.enable_early_data {
        // BoringSSL's max_early_data_size (`kMaxEarlyDataAccepted`, 14336); the early data is
        // answered as 0.5-RTT data.
        b = b.with_max_early_data(14336).with_half_rtt_data(true);
    }
    b = crate::ocsp::server(&c.ocsp, b);
    let cfg = Arc::new(b.build().map_err(Failure::Tls)?);
    shared.server = Some((key, cfg.clone()));
    Ok(cfg)
}

fn connect(c: &Conn) -> Result<TcpStream, Failure> {
    let addr = if c.ipv6 {
        SocketAddr::from((Ipv6Addr::LOCALHOST, c.port))
    } else {
        SocketAddr::from((Ipv4Addr::LOCALHOST, c.port))
    };
    let mut sock = TcpStream::connect(addr)?;
    sock.set_nodelay(true)?;
    // Every wait is bounded: the runner's own idle timeout is 15 s.
    sock.set_read_timeout(Some(Duration::from_secs(30)))?;
    sock.set_write_timeout(Some(Duration::from_secs(30)))?;
    sock.write_all(&c.shim_id.to_le_bytes())?;
    Ok(sock)
}

/// Moves bytes between a clasp connection and the runner's socket.
struct Io<'a> {
    conn: &'a mut ConnectionCommon,
    sock: &'a mut TcpStream,
}

impl Io<'_> {
    fn flush(&mut self) -> Result<(), Failure> {
        while self.conn.wants_write() {
            self.conn.write_tls(self.sock)?;
        }
        Ok(())
    }

    /// Reads and processes one batch of TLS bytes. `Ok(false)` at end of stream.
    fn read_more(&mut self) -> Result<bool, Failure> {
        if self.conn.read_tls(self.sock)? == 0 {
            return Ok(false);
        }
        if let Err(e) = self.conn.process_new_packets() {
            // The alert describing the error is queued: send it before failing.
            let _ = self.flush();
            return Err(Failure::Tls(e));
        }
        Ok(true)
    }

    fn handshake(&mut self) -> Result<(), Failure> {
        loop {
            self.flush()?;
            if !self.conn.is_handshaking() {
                return Ok(());
            }
            if !self.read_more()? {
                return Err(Failure::Tls(Error::UnexpectedEof));
            }
        }
    }

    /// Reads application data; `Ok(0)` once the peer has closed (close_notify or end of stream).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.flush()?;
                    if !self.read_more()? {
                        return Ok(0);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.conn.writer().write_all(data)?;
        self.flush()
    }

    /// Waits for the peer's close_notify. `Ok(false)` if the stream ended without one.
    fn await_close_notify(&mut self) -> Result<bool, Failure> {
        let mut buf = [0u8; 512];
        loop {
            match self.conn.reader().read(&mut buf) {
                Ok(0) => return Ok(true),
                // BoringSSL's SSL_shutdown fails on data after our close_notify; so does the shim.
                Ok(_) => {
                    return Err(Failure::Check(
                        ":APPLICATION_DATA_ON_SHUTDOWN: data after close_notify".into(),
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !self.read_more()? {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn has_aes_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("aes")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// BoringSSL `CheckHandshakeProperties`, for what clasp reports.
fn check_properties(
    conn: &ConnectionCommon,
    c: &Conn,
    is_resume: bool,
    server_name: Option<&str>,
) -> Result<(), Failure> {
    let n = conn.negotiated();
    let version = n.version.map_or(0, |v| v.0);
    if let Some(want) = c.expect_version {
        check(version == want, || {
            format!("want version {want:04x}, got {version:04x}")
        })?;
    }
    let expect_resume = is_resume && !c.expect_session_miss;
    check(n.resumed == expect_resume, || {
        format!(
            "session unexpectedly was{} reused",
            if n.resumed { "" } else { " not" }
        )
    })?;
    if let Some(want) = &c.expect_server_name {
        check(server_name == Some(want.as_str()), || {
            format!("servername mismatch (got {server_name:?}; want {want})")
        })?;
    }
    let want_alpn = if c.server {
        &c.select_alpn
    } else {
        &c.expect_alpn
    };
    // An empty `-expect-alpn ""` expects no protocol, as an absent one does.
    let want_alpn = want_alpn
        .as_deref()
        .filter(|a| !a.is_empty())
        .filter(|_| !(c.server && c.decline_alpn));
    check(n.alpn_protocol.as_deref() == want_alpn, || {
        format!("negotiated alpn proto mismatch: {:?}", n.alpn_protocol)
    })?;
    // clasp does not keep the peer's certificates, signature scheme or (TLS 1.2) group in a
    // session: on a resumed connection there is nothing to compare (BoringSSL reports the
    // original connection's values).
    let fresh = !n.resumed;
    if let (Some(want), true) = (c.expect_peer_signature_algorithm, fresh) {
        // The server checks the client's CertificateVerify scheme.
        let got = if c.server {
            n.client_signature_scheme
        } else {
            n.signature_scheme
        };
        let got = got.map_or(0, |s| s.0);
        check(got == want, || {
            format!("Peer signature algorithm was {got:04x}, wanted {want:04x}.")
        })?;
    }
    let tls12_resumed = n.resumed && version == 0x0303;
    if let (Some(want), false) = (c.expect_curve_id, tls12_resumed) {
        let got = n.group.map_or(0, |g| g.0);
        check(got == want, || {
            format!("curve_id was {got:04x}, wanted {want:04x}")
        })?;
    }
    let cipher = n.cipher_suite.map_or(0, |s| s.0);
    let aes = has_aes_hardware();
    for (want, applies) in [
        (c.expect_cipher, true),
        (c.expect_cipher_aes, aes),
        (c.expect_cipher_no_aes, !aes),
    ] {
        if let (Some(want), true) = (want, applies) {
            check(cipher == want, || {
                format!("Cipher ID was {cipher:04x}, wanted {want:04x}")
            })?;
        }
    }
    if fresh && (!c.server || c.require_any_client_certificate) {
        check(!n.peer_certificates.is_empty(), || {
            "Received no peer certificate but expected one.".into()
        })?;
    }
    if let (Some(path), true) = (&c.expect_peer_cert_file, fresh) {
        let want: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| Failure::Check(format!("{path}: {e}")))?
            .collect::<Result<_, _>>()
            .map_err(|e| Failure::Check(format!("{path}: {e}")))?;
        check(n.peer_certificates == want, || {
            "peer certificate mismatch".into()
        })?;
    }
    // BoringSSL's SSL_get_extms_support: RFC 7627 in TLS 1.2, always true in TLS 1.3.
    if c.expect_extended_master_secret {
        check(version == 0x0304 || n.extended_master_secret, || {
            "No EMS for connection when expected".into()
        })?;
    }
    check(!c.expect_hrr || n.hello_retry, || {
        "Got no HRR, but wanted opposite.".into()
    })?;
    check(!(c.expect_no_hrr && n.hello_retry), || {
        "Got HRR, but wanted opposite.".into()
    })?;
    crate::ocsp::check(conn, &c.ocsp)?;
    Ok(())
}

/// The server's handshake. With 0-RTT enabled, early data is echoed as it arrives (XOR 0xff,
/// as the exchange echoes), as 0.5-RTT data before the client's Finished, which is what
/// BoringSSL's shim does (`SSL_read` in the early-data state) and the runner waits for.
fn server_handshake(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    c: &Conn,
) -> Result<(), Failure> {
    loop {
        if c.enable_early_data {
            echo_early_data(conn)?;
        }
        Io {
            conn: &mut *conn,
            sock: &mut *sock,
        }
        .flush()?;
        if !conn.is_handshaking() {
            return Ok(());
        }
        let more = Io {
            conn: &mut *conn,
            sock: &mut *sock,
        }
        .read_more()?;
        if !more {
            return Err(Failure::Tls(Error::UnexpectedEof));
        }
    }
}

/// Writes back (XOR 0xff) the 0-RTT data the server has received so far.
fn echo_early_data(conn: &mut ServerConnection) -> Result<(), Failure> {
    let mut got = Vec::new();
    if let Some(mut early) = conn.early_data() {
        let mut buf = [0u8; 4096];
        loop {
            match early.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend(buf[..n].iter().map(|b| b ^ 0xff)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e.into()),
            }
        }
    }
    if !got.is_empty() {
        conn.writer().write_all(&got)?;
    }
    Ok(())
}

/// Why the server's 0-RTT was used or not, in BoringSSL's words (`ssl_early_data_reason_t`),
/// derived from what clasp reports; `alpn_changed`: the session's ALPN protocol (the previous
/// connection's) is not this connection's, which makes clasp's server refuse the early data.
fn server_early_data_reason(
    c: &Conn,
    n: &clasp::conn::Negotiated,
    alpn_changed: bool,
) -> &'static str {
    if !c.enable_early_data {
        return "disabled";
    }
    if n.version == Some(ProtocolVersion::TLSv1_2) {
        return "protocol_version";
    }
    match n.early_data_accepted {
        Some(true) => "accept",
        Some(false) if !n.resumed => "session_not_resumed",
        None if !n.resumed => "no_session_offered",
        _ if n.hello_retry => "hello_retry_request",
        _ if alpn_changed => "alpn_mismatch",
        _ => "unsupported_for_session",
    }
}

/// Why the client's 0-RTT was used or not, in BoringSSL's words (`ssl_early_data_reason_t`),
/// derived from what clasp reports: whether early data was enabled, offered and accepted, the
/// version, whether a HelloRetryRequest came and whether the session was resumed.
fn client_early_data_reason(
    c: &Conn,
    n: &clasp::conn::Negotiated,
    is_resume: bool,
    alpn_dropped: bool,
) -> &'static str {
    if !c.enable_early_data {
        return "disabled";
    }
    if n.version == Some(ProtocolVersion::TLSv1_2) {
        return "protocol_version";
    }
    match n.early_data_accepted {
        Some(true) => "accept",
        Some(false) if n.hello_retry => "hello_retry_request",
        Some(false) if !n.resumed => "session_not_resumed",
        Some(false) => "peer_declined",
        // Not offered: no session, the session's ALPN no longer offered, or (resumed) a
        // session whose ticket allows no 0-RTT.
        None if is_resume && n.resumed && alpn_dropped => "alpn_mismatch",
        None if is_resume && n.resumed => "unsupported_for_session",
        None => "no_session_offered",
    }
}

fn check_early_data_reason(c: &Conn, got: &str) -> Result<(), Failure> {
    match &c.expect_early_data_reason {
        Some(want) if want != got => Err(Failure::Check(format!(
            "Early data reason was \"{got}\", expected \"{want}\""
        ))),
        _ => Ok(()),
    }
}

/// One connection: BoringSSL's `DoConnection` + `DoExchange`.
fn connection(shared: &mut Shared, c: &Conn, retry: &Conn, is_resume: bool) -> Result<(), Failure> {
    let mut sock = connect(c)?;
    if c.server {
        let config = server_config(shared, c)?;
        let mut conn = ServerConnection::new(config).map_err(Failure::Tls)?;
        server_handshake(&mut conn, &mut sock, c)?;
        if let Some(want) = &c.expect_advertised_alpn {
            // What BoringSSL's ALPN select callback is given: the client's list in wire form.
            // It runs only when the client offers ALPN.
            let got = conn.client_hello().and_then(|(ch, _)| {
                ch.alpn_protocols().map(|l| {
                    l.iter()
                        .flat_map(|p| {
                            core::iter::once(u8::try_from(p.0.len()).unwrap_or(u8::MAX))
                                .chain(p.0.iter().copied())
                        })
                        .collect::<Vec<u8>>()
                })
            });
            check(got.is_none() || got.as_ref() == Some(want), || {
                format!("bad ALPN select callback inputs: {got:?}")
            })?;
        }
        conn.take_client_hello();
        let name = conn.server_name().map(str::to_owned);
        check_properties(&conn, c, is_resume, name.as_deref())?;
        let accepted = conn.negotiated().early_data_accepted;
        if c.expect_accept_early_data {
            check(accepted == Some(true), || {
                "Early data was not accepted, but we expected the opposite".into()
            })?;
        }
        if c.expect_reject_early_data {
            check(accepted != Some(true), || {
                "Early data was accepted, but we expected the opposite".into()
            })?;
        }
        let alpn_changed = shared.last_alpn != conn.negotiated().alpn_protocol;
        check_early_data_reason(
            c,
            server_early_data_reason(c, conn.negotiated(), alpn_changed),
        )?;
        shared
            .last_alpn
            .clone_from(&conn.negotiated().alpn_protocol);
        // BoringSSL's server-side new-session callback: the initial connection's session was
        // cached statefully (a TLS 1.2 session ID). The config is fresh for the initial
        // connection, so its session-ID cache holds only this connection's session.
        if !is_resume && (c.expect_session_id || c.expect_no_session_id) {
            let cached = shared
                .server
                .as_ref()
                .is_some_and(|(_, cfg)| !cfg.session_id_cache().is_empty());
            check(cached || !c.expect_session_id, || {
                "session was not cached on the server.".into()
            })?;
            check(!cached || !c.expect_no_session_id, || {
                "session was unexpectedly cached on the server.".into()
            })?;
        }
        exchange(&mut conn, &mut sock, c, 0)?;
    } else {
        let config = client_config(shared, c)?;
        let host = c.host_name.as_deref().unwrap_or("clasp.bogo.test");
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| Failure::Unimplemented(format!("server name {host:?}")))?;
        let mut conn = ClientConnection::new(config, name).map_err(Failure::Tls)?;
        let stored_before = shared.client_cache.sessions_stored();
        // 0-RTT: the "hello" the shim writes first goes out as early data when a ticket allows.
        // (Up to the ticket's limit; the rest follows the handshake, as SSL_write does.)
        let mut early_sent = 0;
        if is_resume && c.enable_early_data && c.shim_writes_first {
            early_sent = conn.write_early_data(b"hello").map_err(Failure::Tls)?;
        }
        Io {
            conn: &mut conn,
            sock: &mut sock,
        }
        .handshake()?;
        // Checked after the handshake: a session whose re-verification failed is not offered
        // (so no 0-RTT), and the full handshake then fails verification, as BoringSSL does.
        if is_resume
            && c.enable_early_data
            && c.shim_writes_first
            && c.expect_ticket_supports_early_data
            && !c.expect_no_offer_early_data
        {
            check(early_sent > 0, || {
                "new session did not support early data, but we expected the opposite".into()
            })?;
        }
        let accepted = conn.negotiated().early_data_accepted;
        if is_resume && c.expect_no_offer_early_data {
            check(accepted.is_none(), || {
                "Client unexpectedly offered early data.".into()
            })?;
        }
        if c.expect_accept_early_data {
            check(accepted == Some(true), || {
                "Early data was not accepted, but we expected the opposite".into()
            })?;
        }
        if c.expect_reject_early_data {
            check(accepted == Some(false), || {
                "Early data was accepted, but we expected the opposite".into()
            })?;
        }
        // After a 0-RTT rejection BoringSSL resets and continues at 1-RTT with the retry flags.
        let c = if accepted == Some(false) { retry } else { c };
        check_properties(&conn, c, is_resume, None)?;
        // The session's ALPN protocol is no longer offered: clasp then offers no 0-RTT.
        let alpn_dropped = shared.last_alpn.as_ref().is_some_and(|a| {
            !c.advertise_alpn
                .as_deref()
                .and_then(|w| alpn_list(w).ok())
                .is_some_and(|l| l.contains(a))
        });
        let reason = client_early_data_reason(c, conn.negotiated(), is_resume, alpn_dropped);
        // BoringSSL's SSL_get_verify_result: the callback's verdict on this connection's chain
        // (a resumption without re-verification reports the original one, not kept here).
        if c.expect_verify_result && !conn.negotiated().resumed {
            let failed = shared
                .client_verifier
                .borrow()
                .as_ref()
                .is_some_and(|(_, v)| v.last_failed.load(Ordering::Relaxed));
            check(failed == c.verify_fail, || {
                "Wrong certificate verification result".into()
            })?;
        }
        check_early_data_reason(c, reason)?;
        shared
            .last_alpn
            .clone_from(&conn.negotiated().alpn_protocol);
        let hello_sent = if accepted == Some(true) {
            early_sent
        } else {
            0
        };
        exchange(&mut conn, &mut sock, c, hello_sent)?;
        // BoringSSL's new-session callback, checked after the exchange (TLS 1.3 tickets arrive
        // after the handshake): whether the connection left a session to resume.
        let got_new_session = shared.client_cache.sessions_stored() != stored_before;
        check(!(c.expect_no_session && got_new_session), || {
            "new session was cached, but we expected the opposite".into()
        })?;
        let n = conn.negotiated();
        if c.expect_ticket_renewal && n.resumed && n.version == Some(ProtocolVersion::TLSv1_2) {
            check(got_new_session, || {
                "new session was not cached, but we expected the opposite".into()
            })?;
        }
    }
    // Half-close and drain so the runner sees all our bytes before the socket goes away.
    let _ = sock.shutdown(Shutdown::Write);
    let mut sink = [0u8; 1024];
    while matches!(sock.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

/// The data exchange after the handshake (`DoExchange` in `bssl_shim.cc`).
fn exchange(
    conn: &mut ConnectionCommon,
    sock: &mut TcpStream,
    c: &Conn,
    hello_already_sent: usize,
) -> Result<(), Failure> {
    let mut io = Io { conn, sock };
    if c.export_keying_material > 0 {
        let mut out = vec![0u8; c.export_keying_material];
        let context = c.use_export_context.then_some(&c.export_context[..]);
        io.conn
            .export_keying_material(&mut out, &c.export_label, context)
            .map_err(Failure::Tls)?;
        io.write_all(&out)?;
    }
    if c.write_different_record_sizes {
        let buf = vec![0x42u8; 32769];
        for len in [
            0, 1, 255, 256, 257, 16383, 16384, 16385, 32767, 32768, 32769,
        ] {
            io.write_all(&buf[..len])?;
        }
    } else {
        if c.shim_writes_first && hello_already_sent < 5 {
            io.write_all(&b"hello"[hello_already_sent..])?;
        }
        if !c.shim_shuts_down {
            let mut buf = vec![0u8; c.read_size.unwrap_or(512).max(1)];
            loop {
                let n = io.read(&mut buf)?;
                if c.use_exporter_between_reads {
                    let mut one = [0u8; 1];
                    io.conn
                        .export_keying_material(&mut one, b"", None)
                        .map_err(Failure::Tls)?;
                }
                if n == 0 {
                    break;
                }
                if c.key_update {
                    io.conn.refresh_traffic_keys().map_err(Failure::Tls)?;
                }
                for b in &mut buf[..n] {
                    *b ^= 0xff;
                }
                let data = buf[..n].to_vec();
                io.write_all(&data)?;
            }
        }
    }
    io.conn.send_close_notify();
    io.flush()?;
    if c.shim_shuts_down && c.check_close_notify && !io.await_close_notify()? {
        return Err(Failure::Check(
            "Unexpected SSL_shutdown result: peer closed without close_notify".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_verify_schemes_are_boringssls() {
        let p = aws_lc::default_provider();
        let got = verify_schemes(&Conn::default(), &p).unwrap();
        assert_eq!(got, BORINGSSL_DEFAULT_VERIFY);
        let c = Conn {
            verify_prefs: vec![0x0807],
            ..Conn::default()
        };
        assert_eq!(
            verify_schemes(&c, &p).unwrap(),
            vec![SignatureScheme::ED25519]
        );
    }

    #[test]
    fn server_early_data_reasons() {
        let on = Conn {
            enable_early_data: true,
            ..Conn::default()
        };
        let mut n = clasp::conn::Negotiated::default();
        assert_eq!(
            server_early_data_reason(&Conn::default(), &n, false),
            "disabled"
        );
        assert_eq!(
            server_early_data_reason(&on, &n, false),
            "no_session_offered"
        );
        n.early_data_accepted = Some(false);
        assert_eq!(
            server_early_data_reason(&on, &n, false),
            "session_not_resumed"
        );
        n.resumed = true;
        assert_eq!(server_early_data_reason(&on, &n, true), "alpn_mismatch");
        assert_eq!(
            server_early_data_reason(&on, &n, false),
            "unsupported_for_session"
        );
        n.hello_retry = true;
        assert_eq!(
            server_early_data_reason(&on, &n, true),
            "hello_retry_request"
        );
        n.early_data_accepted = Some(true);
        assert_eq!(server_early_data_reason(&on, &n, false), "accept");
    }

    #[test]
    fn alpn_wire_list() {
        assert_eq!(
            alpn_list(b"\x03foo\x02h2").unwrap(),
            vec![b"foo".to_vec(), b"h2".to_vec()]
        );
        assert!(alpn_list(b"\x05ab").is_err());
    }

    #[test]
    fn version_flags() {
        let c = Conn {
            max_version: Some(0x0303),
            ..Conn::default()
        };
        assert_eq!(versions(&c).unwrap(), vec![ProtocolVersion::TLSv1_2]);
        let c = Conn {
            no_tls13: true,
            no_tls12: true,
            ..Conn::default()
        };
        assert!(matches!(versions(&c), Err(Failure::Unimplemented(_))));
        let c = Conn {
            max_version: Some(0x0302),
            ..Conn::default()
        };
        assert!(matches!(
            reject_unimplemented(&c),
            Err(Failure::Unimplemented(_))
        ));
    }
}
