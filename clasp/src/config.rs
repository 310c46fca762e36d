//! Client and server configuration: safe defaults, every list overridable, validated by `build()`.
//!
//! Plain structs with a validating builder (STYLE: no typestate builders). A config is shared by
//! many connections through an `Arc`; nothing in it changes per connection.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::crypto::{aws_lc, CryptoProvider, SupportedKxGroup};
use crate::error::{ConfigError, Error};
use crate::keylog::{KeyLog, KeyLogFile};
use crate::msgs::enums::{
    CertificateCompressionAlgorithm, CipherSuite, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
};
use crate::ocsp::{OcspResponder, StaticOcspResponse};
use crate::psk::{ExternalPsk, ExternalPskStore, ResolvesExternalPsk};
use crate::sign::{
    CertifiedKey, ResolvesClientCert, ResolvesServerCert, SingleCert, SingleClientCert,
};
use crate::suites::{self, KeyExchange, SuiteInfo};
use crate::time::{SystemTimeProvider, TimeProvider};
use crate::verify::{
    ClientAuthMode, ClientCertVerifier, RootCertStore, ServerCertVerifier, WebPkiClientVerifier,
    WebPkiServerVerifier,
};

/// Versions enabled by default, in preference order.
pub const DEFAULT_VERSIONS: &[ProtocolVersion] =
    &[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2];

/// Groups enabled by default, in preference order. FFDHE is off by default (slow, and TLS 1.2
/// DHE only matters for old peers); enable it with `with_groups`.
///
/// secp521r1 is not here: like rustls (and unlike OpenSSL and Go), a default client does not
/// offer it. P-521 ECDHE costs several times P-384 for no practical gain, and offering it only
/// lengthens the ClientHello. A default *server* accepts it ([`DEFAULT_SERVER_EXTRA_GROUPS`],
/// last in preference), so a client configured for P-521 only (e.g. a CNSA-style policy) still
/// connects; a client enables it with `with_groups`.
pub const DEFAULT_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519MLKEM768,
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// Groups a default server accepts after [`DEFAULT_GROUPS`] (least preferred): secp521r1.
pub const DEFAULT_SERVER_EXTRA_GROUPS: &[NamedGroup] = &[NamedGroup::secp521r1];

/// The NIST-curve post-quantum hybrids (draft-ietf-tls-ecdhe-mlkem: SecP256r1MLKEM768 0x11EB,
/// SecP384r1MLKEM1024 0x11ED). A default *server* accepts them, right after X25519MLKEM768 (a
/// client that sends one of their shares gets a post-quantum exchange rather than a classical
/// one); a default *client* neither offers them in supported_groups nor sends their shares:
/// each share costs 1.2–1.7 KB of ClientHello, and browsers and most servers use
/// X25519MLKEM768. A client that needs them (a FIPS policy: both halves are FIPS-approved)
/// enables them with `with_groups` and `with_key_shares`.
pub const DEFAULT_SERVER_PQ_GROUPS: &[NamedGroup] = &[
    NamedGroup::secp256r1MLKEM768,
    NamedGroup::secp384r1MLKEM1024,
];

/// The default server group list: [`DEFAULT_GROUPS`] with [`DEFAULT_SERVER_PQ_GROUPS`] after
/// X25519MLKEM768, then [`DEFAULT_SERVER_EXTRA_GROUPS`].
fn default_server_groups() -> Vec<NamedGroup> {
    let mut g = Vec::new();
    for name in DEFAULT_GROUPS {
        g.push(*name);
        if *name == NamedGroup::X25519MLKEM768 {
            g.extend_from_slice(DEFAULT_SERVER_PQ_GROUPS);
        }
    }
    g.extend_from_slice(DEFAULT_SERVER_EXTRA_GROUPS);
    g
}

/// The PSK key exchange modes used unless configured (RFC 8446 §4.2.9): psk_dhe_ke only, so a
/// PSK handshake still has forward secrecy.
pub const DEFAULT_PSK_MODES: &[PskKeyExchangeMode] = &[PskKeyExchangeMode::PskDheKe];

/// Checks a PSK mode list: non-empty, only psk_ke and psk_dhe_ke, no repeats.
fn check_psk_modes(modes: Option<&[PskKeyExchangeMode]>) -> Result<Vec<PskKeyExchangeMode>, Error> {
    let modes = modes.unwrap_or(DEFAULT_PSK_MODES);
    let known = |m: &PskKeyExchangeMode| {
        *m == PskKeyExchangeMode::PskKe || *m == PskKeyExchangeMode::PskDheKe
    };
    let mut out: Vec<PskKeyExchangeMode> = Vec::with_capacity(2);
    for m in modes {
        if !known(m) {
            return Err(ConfigError::BadExternalPsk("unknown PSK key exchange mode").into());
        }
        if !out.contains(m) {
            out.push(*m);
        }
    }
    if out.is_empty() {
        return Err(ConfigError::BadExternalPsk("no PSK key exchange mode").into());
    }
    Ok(out)
}

/// Groups the client sends key shares for in its first ClientHello (one post-quantum hybrid and
/// one classical share; a server preferring another group costs one HelloRetryRequest).
pub const DEFAULT_KEY_SHARES: &[NamedGroup] = &[NamedGroup::X25519MLKEM768, NamedGroup::X25519];

fn default_suites(allow_rsa_kx: bool, allow_dhe: bool) -> Vec<&'static SuiteInfo> {
    suites::ALL_SUITES
        .iter()
        .filter(|s| match s.kx {
            KeyExchange::Rsa => allow_rsa_kx,
            KeyExchange::Dhe => allow_dhe,
            _ => true,
        })
        .collect()
}

fn pick_suites(
    names: Option<&[CipherSuite]>,
    versions: &[ProtocolVersion],
    allow_rsa_kx: bool,
    allow_dhe: bool,
) -> Result<Vec<&'static SuiteInfo>, Error> {
    let suites: Vec<&'static SuiteInfo> = match names {
        Some(names) => names.iter().filter_map(|n| suites::lookup(*n)).collect(),
        None => default_suites(allow_rsa_kx, allow_dhe),
    };
    let suites: Vec<_> = suites
        .into_iter()
        .filter(|s| versions.contains(&s.version))
        .filter(|s| s.kx != KeyExchange::Rsa || allow_rsa_kx)
        .collect();
    if suites.is_empty() {
        return Err(ConfigError::NoCipherSuites.into());
    }
    Ok(suites)
}

fn pick_groups(
    provider: &CryptoProvider,
    names: &[NamedGroup],
) -> Result<Vec<&'static dyn SupportedKxGroup>, Error> {
    let groups: Vec<_> = names.iter().filter_map(|n| provider.kx_group(*n)).collect();
    if groups.is_empty() {
        return Err(ConfigError::NoGroups.into());
    }
    Ok(groups)
}

fn check_versions(versions: &[ProtocolVersion]) -> Result<Vec<ProtocolVersion>, Error> {
    let v: Vec<_> = versions
        .iter()
        .copied()
        .filter(|v| *v == ProtocolVersion::TLSv1_3 || *v == ProtocolVersion::TLSv1_2)
        .collect();
    if v.is_empty() {
        return Err(ConfigError::NoVersions.into());
    }
    Ok(v)
}

/// `SSLKEYLOGFILE` as a key log, if the variable names a file.
fn key_log_from_env() -> Option<Arc<dyn KeyLog>> {
    KeyLogFile::from_env().map(|k| Arc::new(k) as Arc<dyn KeyLog>)
}

/// The options [`ClientConfigBuilder`] and [`ServerConfigBuilder`] share, and the `build()`
/// steps that turn them into config fields.
#[derive(Debug, Default)]
struct CommonBuilder {
    provider: Option<CryptoProvider>,
    versions: Option<Vec<ProtocolVersion>>,
    suites: Option<Vec<CipherSuite>>,
    groups: Option<Vec<NamedGroup>>,
    alpn: Vec<Vec<u8>>,
    allow_rsa_kx: bool,
    require_ems: bool,
    key_log: Option<Arc<dyn KeyLog>>,
    time: Option<Arc<dyn TimeProvider>>,
    disable_resumption: bool,
}

/// The provider and what it may negotiate, defaulted and validated.
struct Negotiable {
    provider: CryptoProvider,
    versions: Vec<ProtocolVersion>,
    suites: Vec<&'static SuiteInfo>,
    groups: Vec<&'static dyn SupportedKxGroup>,
}

impl CommonBuilder {
    /// The first `build()` steps: provider (default aws-lc-rs), versions, suites (DHE suites
    /// only with `allow_dhe`) and groups (`default_groups` unless set).
    ///
    /// # Errors
    /// `ConfigError` when no versions, suites or groups remain.
    fn negotiable(
        &mut self,
        allow_dhe: bool,
        default_groups: &[NamedGroup],
    ) -> Result<Negotiable, Error> {
        let provider = self
            .provider
            .take()
            .unwrap_or_else(aws_lc::default_provider);
        let versions = check_versions(self.versions.as_deref().unwrap_or(DEFAULT_VERSIONS))?;
        let suites = pick_suites(
            self.suites.as_deref(),
            &versions,
            self.allow_rsa_kx,
            allow_dhe,
        )?;
        let groups = pick_groups(&provider, self.groups.as_deref().unwrap_or(default_groups))?;
        Ok(Negotiable {
            provider,
            versions,
            suites,
            groups,
        })
    }

    /// The key log set with `with_key_log` or `with_env_key_log`; none by default (the
    /// environment is read only when asked: issue 9 item 5).
    fn take_key_log(&mut self) -> Option<Arc<dyn KeyLog>> {
        self.key_log.take()
    }

    /// The clock set with `with_time_provider`, else the system clock.
    fn take_time(&mut self) -> Arc<dyn TimeProvider> {
        self.time
            .take()
            .unwrap_or_else(|| Arc::new(SystemTimeProvider))
    }
}

/// Configuration for client connections. Build with [`ClientConfig::builder`].
#[derive(Debug)]
pub struct ClientConfig {
    pub(crate) provider: CryptoProvider,
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<&'static SuiteInfo>,
    pub(crate) groups: Vec<&'static dyn SupportedKxGroup>,
    pub(crate) key_share_groups: Vec<NamedGroup>,
    pub(crate) verifier: Arc<dyn ServerCertVerifier>,
    pub(crate) client_cert: Option<Arc<dyn ResolvesClientCert>>,
    pub(crate) alpn_protocols: Vec<Vec<u8>>,
    pub(crate) enable_sni: bool,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) time: Arc<dyn TimeProvider>,
    pub(crate) session_cache: Arc<crate::session::ClientSessionCache>,
    pub(crate) enable_tickets: bool,
    pub(crate) enable_early_data: bool,
    pub(crate) record_size_limit: Option<u16>,
    /// TLS 1.2: refuse a server that does not negotiate the extended master secret (RFC 7627).
    pub(crate) require_ems: bool,
    /// External PSKs offered in every TLS 1.3 ClientHello, in order (RFC 8446 §4.2.11).
    pub(crate) external_psks: Vec<Arc<ExternalPsk>>,
    /// psk_key_exchange_modes as sent (RFC 8446 §4.2.9).
    pub(crate) psk_modes: Vec<PskKeyExchangeMode>,
    /// Verify a stored session's server chain again before offering the session (default on).
    pub(crate) reverify_on_resumption: bool,
    /// Send status_request (RFC 6066 §8) asking for a stapled OCSP response.
    pub(crate) request_ocsp: bool,
    /// Put GREASE values (RFC 8701) into the ClientHello.
    pub(crate) grease: bool,
    /// compress_certificate as offered (RFC 8879 §3), our preference first; empty: not sent.
    pub(crate) cert_compression: Vec<CertificateCompressionAlgorithm>,
    /// Test-only: rewrites the ClientHello before it is sent (RFC 8448 replays use it to
    /// reproduce the trace's extension list). Not part of the public API.
    #[cfg(test)]
    pub(crate) test_hello_hook: Option<fn(&mut crate::msgs::handshake::ClientHello)>,
}

impl ClientConfig {
    /// A builder with safe defaults: TLS 1.3 and 1.2, AEAD suites with forward secrecy,
    /// X25519MLKEM768 / X25519 / P-256 / P-384, no roots (add some, or use the system store).
    #[must_use]
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// The enabled cipher suites, in preference order.
    #[must_use]
    pub fn cipher_suites(&self) -> Vec<CipherSuite> {
        self.suites.iter().map(|s| s.suite).collect()
    }
}

/// Builder for [`ClientConfig`].
#[derive(Debug, Default)]
pub struct ClientConfigBuilder {
    common: CommonBuilder,
    key_shares: Option<Vec<NamedGroup>>,
    roots: Option<RootCertStore>,
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    client_cert: Option<Arc<dyn ResolvesClientCert>>,
    client_cert_pending: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    client_cert_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
    allow_dhe: bool,
    disable_sni: bool,
    session_cache: Option<Arc<crate::session::ClientSessionCache>>,
    enable_early_data: bool,
    record_size_limit: Option<u16>,
    external_psks: Vec<Arc<ExternalPsk>>,
    psk_modes: Option<Vec<PskKeyExchangeMode>>,
    no_resumption_reverification: bool,
    no_ocsp_request: bool,
    no_grease: bool,
    cert_compression: Option<Vec<CertificateCompressionAlgorithm>>,
    chain_cache_capacity: Option<usize>,
}

impl ClientConfigBuilder {
    /// Uses `provider` for all cryptography (default: aws-lc-rs).
    #[must_use]
    pub fn with_provider(mut self, provider: CryptoProvider) -> Self {
        self.common.provider = Some(provider);
        self
    }

    /// Trusts the certificates in `roots`.
    #[must_use]
    pub fn with_root_certificates(mut self, roots: RootCertStore) -> Self {
        self.roots = Some(roots);
        self
    }

    /// Trusts the CA certificates in a PEM file.
    ///
    /// # Errors
    /// When the file cannot be read or holds no certificate.
    pub fn with_ca_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let mut roots = self.roots.take().unwrap_or_default();
        roots.add_pem_file(path.as_ref())?;
        self.roots = Some(roots);
        Ok(self)
    }

    /// Trusts the operating system's certificate store (cargo feature `native-roots`, which the
    /// `clasp` tool enables; a library user who ships its own roots does not pay for it).
    ///
    /// # Errors
    /// When the system store cannot be read.
    #[cfg(feature = "native-roots")]
    pub fn with_native_roots(mut self) -> Result<Self, Error> {
        let native = RootCertStore::with_native_roots()?;
        let mut roots = self.roots.take().unwrap_or_default();
        roots.extend(native);
        self.roots = Some(roots);
        Ok(self)
    }

    /// Replaces certificate verification with `verifier`.
    #[must_use]
    pub fn with_verifier(mut self, verifier: Arc<dyn ServerCertVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Restricts protocol versions (TLS 1.2 and 1.3 are the only ones clasp speaks).
    #[must_use]
    pub fn with_protocol_versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.common.versions = Some(versions.to_vec());
        self
    }

    /// Sets the cipher suites, in preference order. Unknown suites are ignored.
    #[must_use]
    pub fn with_cipher_suites(mut self, suites: &[CipherSuite]) -> Self {
        self.common.suites = Some(suites.to_vec());
        self
    }

    /// Sets the key-exchange groups, in preference order.
    #[must_use]
    pub fn with_groups(mut self, groups: &[NamedGroup]) -> Self {
        self.common.groups = Some(groups.to_vec());
        self
    }

    /// Sets which groups get a key share in the first ClientHello (default: X25519MLKEM768 and X25519,
    /// where enabled; otherwise the first enabled group).
    #[must_use]
    pub fn with_key_shares(mut self, groups: &[NamedGroup]) -> Self {
        self.key_shares = Some(groups.to_vec());
        self
    }

    /// Offers these ALPN protocols (RFC 7301), e.g. `[b"h2".to_vec(), b"http/1.1".to_vec()]`.
    #[must_use]
    pub fn with_alpn_protocols(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.common.alpn = protocols;
        self
    }

    /// Presents this certificate chain and key when the server asks for one.
    #[must_use]
    pub fn with_client_auth_cert(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.client_cert_pending = Some((chain, key));
        self
    }

    /// Presents the certificate chain (end-entity first) and private key from these PEM files
    /// when the server asks for one; the files are read by [`Self::build`]. The client-side
    /// twin of [`ServerConfigBuilder::with_cert_files`].
    #[must_use]
    pub fn with_client_cert_files(
        mut self,
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Self {
        self.client_cert_files = Some((
            cert_path.as_ref().to_path_buf(),
            key_path.as_ref().to_path_buf(),
        ));
        self
    }

    /// Offers the TLS 1.2 finite-field DHE suites (RFC 5246 §7.4.3, with the RFC 7919 groups)
    /// in the default suite list. Off by default, as on the server: DHE only matters for old
    /// peers and costs far more than ECDHE. Naming DHE suites in [`Self::with_cipher_suites`]
    /// offers them too.
    #[must_use]
    pub fn allow_dhe(mut self, allow: bool) -> Self {
        self.allow_dhe = allow;
        self
    }

    /// Picks a client certificate with `resolver` when the server asks for one.
    #[must_use]
    pub fn with_client_cert_resolver(mut self, resolver: Arc<dyn ResolvesClientCert>) -> Self {
        self.client_cert = Some(resolver);
        self
    }

    /// Does not send server_name (SNI).
    #[must_use]
    pub fn without_sni(mut self) -> Self {
        self.disable_sni = true;
        self
    }

    /// Offers the TLS 1.2 RSA key exchange suites (no forward secrecy; off by default).
    #[must_use]
    pub fn allow_rsa_key_exchange(mut self, allow: bool) -> Self {
        self.common.allow_rsa_kx = allow;
        self
    }

    /// TLS 1.2: refuses a server that does not negotiate the extended master secret
    /// (RFC 7627), with [`PeerMisbehaved::MissingExtendedMasterSecret`] and a
    /// `handshake_failure` alert. Off by default, as in rustls and Go outside FIPS mode: a
    /// session without it is still completed, but is never resumed and has no exporter
    /// (RFC 7627 §5.3–5.4), so what the triple-handshake attack needs is not available.
    ///
    /// [`PeerMisbehaved::MissingExtendedMasterSecret`]: crate::error::PeerMisbehaved::MissingExtendedMasterSecret
    #[must_use]
    pub fn require_ems(mut self) -> Self {
        self.common.require_ems = true;
        self
    }

    /// Logs secrets to `key_log` (NSS key log format). Key logging is off unless this or
    /// [`Self::with_env_key_log`] is called: anyone holding the log can decrypt the traffic.
    #[must_use]
    pub fn with_key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.common.key_log = Some(key_log);
        self
    }

    /// Logs secrets to the file named by the `SSLKEYLOGFILE` environment variable (created
    /// owner-only, appended to), if it is set and non-empty; otherwise changes nothing. The
    /// library never reads the variable unless asked to here.
    #[must_use]
    pub fn with_env_key_log(mut self) -> Self {
        if let Some(k) = key_log_from_env() {
            self.common.key_log = Some(k);
        }
        self
    }

    /// Does nothing: `SSLKEYLOGFILE` is read only through [`Self::with_env_key_log`].
    #[deprecated(
        since = "0.1.0",
        note = "key logging is opt-in; the environment is never read unless with_env_key_log() is called, so this does nothing"
    )]
    #[must_use]
    pub fn without_env_key_log(self) -> Self {
        self
    }

    /// Reads the time from `time` (tests use a fixed clock).
    #[must_use]
    pub fn with_time_provider(mut self, time: Arc<dyn TimeProvider>) -> Self {
        self.common.time = Some(time);
        self
    }

    /// Never resumes sessions (no tickets are stored or offered).
    #[must_use]
    pub fn without_resumption(mut self) -> Self {
        self.common.disable_resumption = true;
        self
    }

    /// Asks the server to send protected records of at most `limit` bytes (RFC 8449; for
    /// memory-constrained clients). `limit` counts the TLS 1.3 content type byte; it is clamped
    /// to 64..=16385. Default: full-size records.
    #[must_use]
    pub fn with_record_size_limit(mut self, limit: u16) -> Self {
        self.record_size_limit = Some(limit.clamp(64, 16385));
        self
    }

    /// Offers a stored session without verifying its server chain again.
    ///
    /// By default, before a session is offered for resumption, the server certificate chain
    /// it was made with is verified again by this config's verifier, for the server name and
    /// at the current time (DESIGN: every decision cached across connections is re-checked
    /// when reused): a certificate that has expired, or that the verifier no longer accepts,
    /// then gets a full handshake instead of riding on the session. The check costs one chain
    /// verification per resumption; this turns it off, as BoringSSL and OpenSSL clients do.
    ///
    /// ```
    /// # let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let mut roots = clasp::verify::RootCertStore::empty();
    /// roots.add(ca.cert.der())?;
    /// let config = clasp::ClientConfig::builder()
    ///     .with_root_certificates(roots)
    ///     .without_resumption_reverification()
    ///     .build()?;
    /// # Ok::<(), clasp::Error>(())
    /// ```
    #[must_use]
    pub fn without_resumption_reverification(mut self) -> Self {
        self.no_resumption_reverification = true;
        self
    }

    /// Whether to ask the server for a stapled OCSP response (RFC 6066 §8 status_request;
    /// in TLS 1.3 it arrives in the end-entity CertificateEntry, RFC 8446 §4.4.2.1). On by
    /// default, as in browsers. The response is not judged by clasp (see [`crate::ocsp`]); read
    /// it with [`crate::ConnectionCommon::ocsp_response`]. A server that staples without being
    /// asked is refused either way.
    #[must_use]
    pub fn request_ocsp_stapling(mut self, request: bool) -> Self {
        self.no_ocsp_request = !request;
        self
    }

    /// Whether to put GREASE values (RFC 8701) into the ClientHello: a reserved cipher suite,
    /// group (with a one-byte key share), signature scheme, version, PSK mode and two
    /// extensions, drawn per connection from the provider's random source. On by default, as in
    /// browsers: a server that breaks on code points it does not know is found now, not when a
    /// new real one ships. Values are the same in a second ClientHello after
    /// HelloRetryRequest (RFC 8446 §4.1.2); a server selecting any of them is refused.
    #[must_use]
    pub fn with_grease(mut self, enabled: bool) -> Self {
        self.no_grease = !enabled;
        self
    }

    /// Certificate compression (RFC 8879) the client offers, in preference order: the server may
    /// then send its chain as a CompressedCertificate, and the client compresses its own
    /// certificate with one of these when the server's CertificateRequest accepts it. Default
    /// brotli, zstd and zlib; an empty list turns compression off. TLS 1.3 only.
    /// Decompression is bounded by the declared length (and at most the 256 KiB chain cap).
    #[must_use]
    pub fn with_certificate_compression(
        mut self,
        algorithms: &[CertificateCompressionAlgorithm],
    ) -> Self {
        self.cert_compression = Some(algorithms.to_vec());
        self
    }

    /// Offers 0-RTT data on resumed connections whose ticket allows it (see
    /// [`crate::ClientConnection::write_early_data`]). Off by default: early data can be
    /// replayed (RFC 8446 §8).
    #[must_use]
    pub fn with_early_data(mut self) -> Self {
        self.enable_early_data = true;
        self
    }

    /// Offers `psk` in every TLS 1.3 ClientHello (RFC 8446 §4.2.11); call again to offer more,
    /// in order, after any resumption ticket (which goes first: only the first PSK may carry
    /// 0-RTT data, and clasp sends 0-RTT data only under tickets).
    ///
    /// When the server accepts it, the PSK authenticates the server: no certificate is sent or
    /// verified (RFC 8446 §2.2). When the server does not, the handshake falls back to
    /// certificate authentication, verified as usual: a certificate-less handshake is accepted
    /// only when the server selected one of these PSKs. Read the security properties in
    /// [`crate::psk`] first: identities travel in clear, a key shared by several servers lets
    /// one impersonate another, and the psk_ke mode has no forward secrecy. External PSKs are
    /// TLS 1.3 only.
    #[must_use]
    pub fn with_external_psk(mut self, psk: ExternalPsk) -> Self {
        self.external_psks.push(Arc::new(psk));
        self
    }

    /// Sets psk_key_exchange_modes (RFC 8446 §4.2.9). Default `[psk_dhe_ke]`: a PSK handshake
    /// still runs an (EC)DHE exchange, so it keeps forward secrecy. Adding
    /// [`PskKeyExchangeMode::PskKe`] lets a server skip the key exchange: **no forward
    /// secrecy**, anyone who later learns the PSK decrypts every recorded session. A key share
    /// is still sent, for a server that accepts no PSK.
    #[must_use]
    pub fn with_psk_key_exchange_modes(mut self, modes: &[PskKeyExchangeMode]) -> Self {
        self.psk_modes = Some(modes.to_vec());
        self
    }

    /// Stores tickets in `cache`. Configs may share one cache, but a session is resumed only by
    /// a config with the same verifier and client-certificate resolver (the same `Arc`s) as the
    /// one that made it: a session another config verified differently, or made with another
    /// client certificate, is never offered.
    #[must_use]
    pub fn with_session_cache(mut self, cache: Arc<crate::session::ClientSessionCache>) -> Self {
        self.session_cache = Some(cache);
        self
    }

    /// Keeps at most `capacity` verified server chains (default 64; 0 turns the cache off), so a
    /// client reconnecting to a server skips re-verifying the chain's signatures; the server's
    /// handshake signature is still verified every time. An entry is used for at most an hour
    /// and never past the earliest `notAfter` on its path; see [`WebPkiServerVerifier`]. Applies
    /// to the built-in verifier only (not to one given with [`Self::with_verifier`]).
    #[must_use]
    pub fn with_verified_chain_cache(mut self, capacity: usize) -> Self {
        self.chain_cache_capacity = Some(capacity);
        self
    }

    /// Dangerous options, for tests only.
    #[must_use]
    pub fn dangerous(self) -> DangerousClientConfigBuilder {
        DangerousClientConfigBuilder(self)
    }

    /// Validates and builds the config.
    ///
    /// # Errors
    /// `ConfigError` when no versions, suites or groups remain, a key is unusable, or the client
    /// has no roots, no custom verifier and no external PSK ([`ConfigError::NoRootCertificates`]).
    pub fn build(self) -> Result<ClientConfig, Error> {
        let mut common = self.common;
        let Negotiable {
            provider,
            versions,
            suites,
            groups,
        } = common.negotiable(self.allow_dhe, DEFAULT_GROUPS)?;
        let key_share_groups = choose_key_shares(&groups, self.key_shares.as_deref());
        let psk_modes = check_psk_modes(self.psk_modes.as_deref())?;
        if !self.external_psks.is_empty() && !versions.contains(&ProtocolVersion::TLSv1_3) {
            return Err(ConfigError::BadExternalPsk("external PSKs need TLS 1.3").into());
        }
        let verifier: Arc<dyn ServerCertVerifier> = match self.verifier {
            Some(v) => v,
            // A client that can accept no server is refused here rather than at every handshake
            // (a client with external PSKs may still be refused a certificate later: correct).
            None if self.roots.as_ref().is_none_or(RootCertStore::is_empty)
                && self.external_psks.is_empty() =>
            {
                return Err(ConfigError::NoRootCertificates.into());
            }
            None => {
                let v =
                    WebPkiServerVerifier::new(Arc::new(self.roots.unwrap_or_default()), &provider);
                Arc::new(match self.chain_cache_capacity {
                    Some(n) => v.with_chain_cache(n, crate::verify::CHAIN_CACHE_MAX_AGE_SECS),
                    None => v,
                })
            }
        };
        let client_cert = match (self.client_cert, self.client_cert_pending) {
            (Some(r), _) => Some(r),
            (None, Some((chain, key))) => {
                let ck = CertifiedKey::from_der(chain, key, &provider)?;
                Some(Arc::new(SingleClientCert(Arc::new(ck))) as Arc<dyn ResolvesClientCert>)
            }
            (None, None) => match self.client_cert_files {
                Some((chain, key)) => {
                    let ck = CertifiedKey::from_pem_files(&chain, &key, &provider)?;
                    Some(Arc::new(SingleClientCert(Arc::new(ck))) as Arc<dyn ResolvesClientCert>)
                }
                None => None,
            },
        };
        let key_log = common.take_key_log();
        let time = common.take_time();
        Ok(ClientConfig {
            provider,
            versions,
            suites,
            groups,
            key_share_groups,
            verifier,
            client_cert,
            alpn_protocols: common.alpn,
            enable_sni: !self.disable_sni,
            key_log,
            time,
            session_cache: self
                .session_cache
                .unwrap_or_else(|| Arc::new(crate::session::ClientSessionCache::new(256))),
            enable_tickets: !common.disable_resumption,
            enable_early_data: self.enable_early_data,
            reverify_on_resumption: !self.no_resumption_reverification,
            record_size_limit: self.record_size_limit,
            require_ems: common.require_ems,
            external_psks: self.external_psks,
            psk_modes,
            request_ocsp: !self.no_ocsp_request,
            grease: !self.no_grease,
            cert_compression: check_cert_compression(self.cert_compression)?,
            #[cfg(test)]
            test_hello_hook: None,
        })
    }
}

/// The certificate compression list for a config: the default, or the caller's, which may
/// hold only algorithms clasp implements, each once (RFC 8879 §3).
fn check_cert_compression(
    list: Option<Vec<CertificateCompressionAlgorithm>>,
) -> Result<Vec<CertificateCompressionAlgorithm>, Error> {
    let Some(list) = list else {
        return Ok(crate::cert_compression::DEFAULT_ALGORITHMS.to_vec());
    };
    for (i, a) in list.iter().enumerate() {
        if !crate::cert_compression::DEFAULT_ALGORITHMS.contains(a) || list[..i].contains(a) {
            return Err(ConfigError::BadCertificateCompression.into());
        }
    }
    Ok(list)
}

fn choose_key_shares(
    groups: &[&'static dyn SupportedKxGroup],
    wanted: Option<&[NamedGroup]>,
) -> Vec<NamedGroup> {
    let wanted = wanted.unwrap_or(DEFAULT_KEY_SHARES);
    let mut out: Vec<NamedGroup> = wanted
        .iter()
        .copied()
        .filter(|w| groups.iter().any(|g| g.name() == *w) && !w.is_ffdhe())
        .collect();
    if out.is_empty() {
        if let Some(first) = groups.iter().find(|g| !g.name().is_ffdhe()) {
            out.push(first.name());
        } else if let Some(first) = groups.first() {
            out.push(first.name());
        }
    }
    out
}

/// Options that weaken security; for tests and debugging only.
#[derive(Debug)]
pub struct DangerousClientConfigBuilder(ClientConfigBuilder);

impl DangerousClientConfigBuilder {
    /// Accepts any server certificate. **Insecure**: anyone can impersonate the server.
    #[must_use]
    pub fn with_no_certificate_verification(mut self) -> ClientConfigBuilder {
        self.0.verifier = Some(Arc::new(crate::verify::dangerous::NoServerVerification));
        self.0
    }
}

/// Whether and how the server asks for client certificates.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// No CertificateRequest is sent.
    None,
    /// A certificate is requested; a client without one may still connect.
    Optional(RootCertStore),
    /// A certificate chaining to these roots is required.
    Required(RootCertStore),
}

/// Configuration for server connections. Build with [`ServerConfig::builder`].
#[derive(Debug)]
pub struct ServerConfig {
    pub(crate) provider: CryptoProvider,
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<&'static SuiteInfo>,
    pub(crate) groups: Vec<&'static dyn SupportedKxGroup>,
    pub(crate) cert_resolver: Arc<dyn ResolvesServerCert>,
    pub(crate) client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    pub(crate) alpn_protocols: Vec<Vec<u8>>,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) time: Arc<dyn TimeProvider>,
    pub(crate) allow_rsa_kx: bool,
    pub(crate) require_ems: bool,
    pub(crate) tickets: Option<Arc<crate::session::TicketKeys>>,
    pub(crate) send_tickets: usize,
    /// TLS 1.2 session-ID cache (RFC 5246 §7.4.1.2); capacity 0 when resumption is off.
    pub(crate) session_ids: Arc<crate::session::ServerSessionCache>,
    /// Issue and accept RFC 5077 tickets in TLS 1.2 (with `tickets`).
    pub(crate) tls12_tickets: bool,
    /// Seconds a session may be resumed after the full handshake that authenticated it,
    /// however often it is resumed (TLS 1.3 tickets, TLS 1.2 tickets and session IDs).
    pub(crate) max_session_age: u64,
    pub(crate) max_early_data: u32,
    /// Send application data after our Finished when 0-RTT was accepted (0.5-RTT).
    pub(crate) half_rtt_data: bool,
    pub(crate) anti_replay: Arc<crate::session::AntiReplay>,
    /// Keep each connection's ClientHello for [`crate::ServerConnection::client_hello`].
    pub(crate) retain_client_hello: bool,
    /// External PSKs by identity (RFC 8446 §4.2.11), if any.
    pub(crate) external_psks: Option<Arc<dyn ResolvesExternalPsk>>,
    /// PSK key exchange modes we accept, in preference order (RFC 8446 §4.2.9).
    pub(crate) psk_modes: Vec<PskKeyExchangeMode>,
    /// Refuse a client whose offered PSKs are all unknown instead of falling back to the
    /// certificate (`unknown_psk_identity`).
    pub(crate) refuse_unknown_psk: bool,
    /// Whether there is a certificate to fall back to (false: PSK-only server).
    pub(crate) has_certificate: bool,
    /// Where the OCSP response to staple comes from (RFC 6066 §8, RFC 8446 §4.4.2.1).
    pub(crate) ocsp: Option<Arc<dyn OcspResponder>>,
    /// Certificate compression we use and accept (RFC 8879), our preference first.
    pub(crate) cert_compression: Vec<CertificateCompressionAlgorithm>,
    /// Our chains, compressed once per algorithm (RFC 8879).
    pub(crate) cert_compression_cache: crate::cert_compression::CompressionCache,
    /// Test-only: rewrites EncryptedExtensions before it is sent (RFC 8448 replays).
    #[cfg(test)]
    pub(crate) test_ee_hook: Option<fn(&mut crate::msgs::handshake::EncryptedExtensions)>,
    /// Test-only: rewrites the TLS 1.3 Certificate message before it is sent.
    #[cfg(test)]
    pub(crate) test_cert_hook: Option<fn(&mut crate::msgs::handshake::CertificateTls13)>,
    /// Test-only: rewrites each sealed ticket (TLS 1.3 and 1.2) before it is sent.
    #[cfg(test)]
    pub(crate) test_ticket_hook: Option<fn(&mut Vec<u8>)>,
    /// Test-only: rewrites the CompressedCertificate (RFC 8879) before it is sent.
    #[cfg(test)]
    pub(crate) test_compressed_cert_hook:
        Option<fn(&mut crate::msgs::handshake::CompressedCertificate)>,
}

impl ServerConfig {
    /// A builder with safe defaults (see [`ClientConfig::builder`]); a certificate is required.
    #[must_use]
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder::default()
    }

    /// The TLS 1.2 session-ID cache connections made with this config share (RFC 5246
    /// §7.4.1.2): its [`len`](crate::session::ServerSessionCache::len) tells whether full
    /// handshakes left sessions to resume by ID (TLS 1.3 and ticket resumption never use it).
    #[must_use]
    pub fn session_id_cache(&self) -> &crate::session::ServerSessionCache {
        &self.session_ids
    }
}

/// Builder for [`ServerConfig`].
#[derive(Debug, Default)]
pub struct ServerConfigBuilder {
    common: CommonBuilder,
    cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    cert_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
    resolver: Option<Arc<dyn ResolvesServerCert>>,
    client_auth: Option<ClientAuth>,
    client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    allow_dhe: bool,
    ticket_keys: Option<Arc<crate::session::TicketKeys>>,
    ticket_rotation: Option<u64>,
    send_tickets: Option<usize>,
    max_early_data: u32,
    half_rtt_data: bool,
    session_id_capacity: Option<usize>,
    no_tls12_tickets: bool,
    retain_client_hello: bool,
    max_session_age: Option<u64>,
    external_psks: ExternalPskStore,
    psk_resolver: Option<Arc<dyn ResolvesExternalPsk>>,
    psk_modes: Option<Vec<PskKeyExchangeMode>>,
    refuse_unknown_psk: bool,
    ocsp_response: Option<Vec<u8>>,
    ocsp_responder: Option<Arc<dyn OcspResponder>>,
    cert_compression: Option<Vec<CertificateCompressionAlgorithm>>,
}

impl ServerConfigBuilder {
    /// Uses `provider` for all cryptography (default: aws-lc-rs).
    #[must_use]
    pub fn with_provider(mut self, provider: CryptoProvider) -> Self {
        self.common.provider = Some(provider);
        self
    }

    /// Serves this certificate chain (end-entity first) with its private key.
    #[must_use]
    pub fn with_single_cert(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.cert = Some((chain, key));
        self
    }

    /// Serves the certificate chain and key from PEM files.
    #[must_use]
    pub fn with_cert_files(mut self, chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        self.cert_files = Some((chain.as_ref().to_path_buf(), key.as_ref().to_path_buf()));
        self
    }

    /// Chooses the certificate per connection (e.g. by SNI).
    #[must_use]
    pub fn with_cert_resolver(mut self, resolver: Arc<dyn ResolvesServerCert>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Requests client certificates (see [`ClientAuth`]).
    #[must_use]
    pub fn with_client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = Some(auth);
        self
    }

    /// Verifies client certificates with a custom verifier.
    #[must_use]
    pub fn with_client_cert_verifier(mut self, verifier: Arc<dyn ClientCertVerifier>) -> Self {
        self.client_verifier = Some(verifier);
        self
    }

    /// Restricts protocol versions.
    #[must_use]
    pub fn with_protocol_versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.common.versions = Some(versions.to_vec());
        self
    }

    /// Sets the cipher suites, in the server's preference order.
    #[must_use]
    pub fn with_cipher_suites(mut self, suites: &[CipherSuite]) -> Self {
        self.common.suites = Some(suites.to_vec());
        self
    }

    /// Sets the key-exchange groups, in the server's preference order.
    #[must_use]
    pub fn with_groups(mut self, groups: &[NamedGroup]) -> Self {
        self.common.groups = Some(groups.to_vec());
        self
    }

    /// Accepts these ALPN protocols, in the server's preference order.
    #[must_use]
    pub fn with_alpn_protocols(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.common.alpn = protocols;
        self
    }

    /// Enables the TLS 1.2 RSA key exchange (no forward secrecy; off by default). The server's
    /// decryption of the pre-master secret does not reveal padding or version errors
    /// (RFC 5246 §7.4.7.1).
    #[must_use]
    pub fn allow_rsa_key_exchange(mut self, allow: bool) -> Self {
        self.common.allow_rsa_kx = allow;
        self
    }

    /// TLS 1.2: refuses a ClientHello without the extended_master_secret extension
    /// (RFC 7627 §5.3 lets a server abort), with
    /// [`PeerMisbehaved::MissingExtendedMasterSecret`] and a `handshake_failure` alert. Off by
    /// default, so that older clients and scanners still connect: such a session is never
    /// resumed and has no exporter (RFC 7627 §5.3–5.4).
    ///
    /// [`PeerMisbehaved::MissingExtendedMasterSecret`]: crate::error::PeerMisbehaved::MissingExtendedMasterSecret
    #[must_use]
    pub fn require_ems(mut self) -> Self {
        self.common.require_ems = true;
        self
    }

    /// Enables TLS 1.2 finite-field DHE with the RFC 7919 groups (off by default).
    #[must_use]
    pub fn allow_dhe(mut self, allow: bool) -> Self {
        self.allow_dhe = allow;
        self
    }

    /// Logs secrets to `key_log` (NSS key log format). Key logging is off unless this or
    /// [`Self::with_env_key_log`] is called: anyone holding the log can decrypt the traffic.
    #[must_use]
    pub fn with_key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.common.key_log = Some(key_log);
        self
    }

    /// Logs secrets to the file named by the `SSLKEYLOGFILE` environment variable (created
    /// owner-only, appended to), if it is set and non-empty; otherwise changes nothing. The
    /// library never reads the variable unless asked to here.
    #[must_use]
    pub fn with_env_key_log(mut self) -> Self {
        if let Some(k) = key_log_from_env() {
            self.common.key_log = Some(k);
        }
        self
    }

    /// Does nothing: `SSLKEYLOGFILE` is read only through [`Self::with_env_key_log`].
    #[deprecated(
        since = "0.1.0",
        note = "key logging is opt-in; the environment is never read unless with_env_key_log() is called, so this does nothing"
    )]
    #[must_use]
    pub fn without_env_key_log(self) -> Self {
        self
    }

    /// Reads the time from `time`.
    #[must_use]
    pub fn with_time_provider(mut self, time: Arc<dyn TimeProvider>) -> Self {
        self.common.time = Some(time);
        self
    }

    /// Issues no session tickets.
    #[must_use]
    pub fn without_resumption(mut self) -> Self {
        self.common.disable_resumption = true;
        self
    }

    /// Encrypts tickets with `keys` (share one [`crate::session::TicketKeys`] between servers so
    /// any of them can resume a session another issued).
    #[must_use]
    pub fn with_ticket_keys(mut self, keys: Arc<crate::session::TicketKeys>) -> Self {
        self.ticket_keys = Some(keys);
        self
    }

    /// Rotates the ticket key every `secs` seconds (default 6 hours); the previous key still
    /// decrypts, so a ticket lives between one and two periods.
    #[must_use]
    pub fn with_ticket_rotation(mut self, secs: u64) -> Self {
        self.ticket_rotation = Some(secs);
        self
    }

    /// Accepts up to `max` bytes of 0-RTT data on resumed TLS 1.3 connections (default 0: off).
    /// Early data can be replayed by an attacker (RFC 8446 §8); clasp refuses replays it can
    /// see with a 10-second freshness window and a strike register
    /// ([`crate::session::AntiReplay`]), but only accept it for idempotent requests. It is
    /// delivered through [`crate::ServerConnection::early_data`], never through `reader()`, and
    /// `max` also bounds how much of it a connection buffers unread.
    #[must_use]
    pub fn with_max_early_data(mut self, max: u32) -> Self {
        self.max_early_data = max;
        self
    }

    /// On a connection that accepted 0-RTT data, lets the application write data right after
    /// the server's Finished, before the client's Finished arrives ("0.5-RTT data"; default
    /// off: data waits for the handshake to complete). RFC 8446 §4.4.4: "Servers MAY send data
    /// after sending their first flight, but because the handshake is not yet complete, they
    /// have no assurance of either the peer's identity or its liveness (i.e., the ClientHello
    /// might have been replayed)": answer only what may go to an unauthenticated, possibly
    /// replayed request (the reply to idempotent early data), as the early data itself.
    #[must_use]
    pub fn with_half_rtt_data(mut self, on: bool) -> Self {
        self.half_rtt_data = on;
        self
    }

    /// Keeps at most `capacity` TLS 1.2 sessions for session-ID resumption (default 1024;
    /// 0 issues no session IDs).
    #[must_use]
    pub fn with_session_id_cache(mut self, capacity: usize) -> Self {
        self.session_id_capacity = Some(capacity);
        self
    }

    /// Issues and accepts no TLS 1.2 session tickets (RFC 5077); session IDs still work.
    #[must_use]
    pub fn without_tls12_tickets(mut self) -> Self {
        self.no_tls12_tickets = true;
        self
    }

    /// Resumes a session for at most `secs` seconds after the full handshake that authenticated
    /// it, however often it was resumed since (each resumption issues fresh tickets, which keep
    /// the original time). Default [`crate::session::DEFAULT_MAX_SESSION_AGE_SECS`] (24 hours);
    /// clamped to 1 s ..= 7 days ([`crate::session::MAX_SESSION_AGE_SECS`], RFC 8446 §4.6.1).
    /// Applies to TLS 1.3 tickets and TLS 1.2 tickets and session IDs alike.
    #[must_use]
    pub fn with_max_session_age(mut self, secs: u64) -> Self {
        self.max_session_age = Some(secs.clamp(1, crate::session::MAX_SESSION_AGE_SECS));
        self
    }

    /// Number of TLS 1.3 NewSessionTickets sent after each full handshake (default 2).
    #[must_use]
    pub fn with_tickets(mut self, n: usize) -> Self {
        self.send_tickets = Some(n);
        self
    }

    /// Accepts `psk` from clients that offer its identity (RFC 8446 §4.2.11); call again for
    /// more keys, or use [`Self::with_external_psk_resolver`]. A client that offers a known
    /// identity with a wrong key fails its binder: `decrypt_error` (RFC 8446 §4.2.11.2).
    ///
    /// A connection that accepts an external PSK is authenticated by it: the server sends no
    /// Certificate, CertificateVerify or CertificateRequest (RFC 8446 §2.2, §4.3.2, §E.1). A
    /// server with external PSKs needs no certificate; without one it speaks TLS 1.3 only and
    /// refuses a client that offers no known PSK with `unknown_psk_identity`. With a
    /// certificate, such a client gets a certificate handshake unless
    /// [`Self::refuse_unknown_psk_identities`] is set.
    ///
    /// 0-RTT data is never accepted under an external PSK (RFC 8446 §8: a key that never
    /// changes gives a replay window that never closes). See [`crate::psk`] for the security
    /// properties: one key per client–server pair; psk_ke has no forward secrecy.
    #[must_use]
    pub fn with_external_psk(mut self, psk: ExternalPsk) -> Self {
        self.external_psks.insert(psk);
        self
    }

    /// Looks up external PSKs with `resolver` (replaces the keys given to
    /// [`Self::with_external_psk`]).
    #[must_use]
    pub fn with_external_psk_resolver(mut self, resolver: Arc<dyn ResolvesExternalPsk>) -> Self {
        self.psk_resolver = Some(resolver);
        self
    }

    /// PSK key exchange modes accepted for external PSKs, in preference order (RFC 8446
    /// §4.2.9). Default `[psk_dhe_ke]`. With [`PskKeyExchangeMode::PskKe`] listed, a client that
    /// offers psk_ke may get a handshake without (EC)DHE: **no forward secrecy**. Resumption
    /// tickets are always resumed with psk_dhe_ke.
    #[must_use]
    pub fn with_psk_key_exchange_modes(mut self, modes: &[PskKeyExchangeMode]) -> Self {
        self.psk_modes = Some(modes.to_vec());
        self
    }

    /// A client that offers PSKs, none of which is accepted (unknown identity, another hash,
    /// no common PSK mode, or an expired ticket), is refused with `unknown_psk_identity`
    /// (RFC 8446 §6.2) instead of falling back to a certificate handshake. Only with external
    /// PSKs configured; a client that offers no PSK still gets the certificate.
    #[must_use]
    pub fn refuse_unknown_psk_identities(mut self) -> Self {
        self.refuse_unknown_psk = true;
        self
    }

    /// Keeps each connection's ClientHello, decoded and raw, for
    /// [`crate::ServerConnection::client_hello`] (fingerprinting, "your handshake" pages).
    /// Off by default: it costs an idle connection about 700 bytes for its whole life.
    #[must_use]
    pub fn retain_client_hello(mut self, retain: bool) -> Self {
        self.retain_client_hello = retain;
        self
    }

    /// Certificate compression (RFC 8879) the server uses, in preference order, for clients
    /// that offer it (its chain then goes out as a CompressedCertificate, compressed once per
    /// algorithm and cached), and accepts for client certificates (sent in CertificateRequest).
    /// Default brotli, zstd and zlib; an empty list turns compression off. TLS 1.3 only.
    #[must_use]
    pub fn with_certificate_compression(
        mut self,
        algorithms: &[CertificateCompressionAlgorithm],
    ) -> Self {
        self.cert_compression = Some(algorithms.to_vec());
        self
    }

    /// Staples this DER OCSP response (RFC 6960) for the end-entity certificate, to clients
    /// that ask for one (RFC 6066 §8 status_request; in TLS 1.3 inside the end-entity
    /// CertificateEntry, RFC 8446 §4.4.2.1). clasp does not parse or judge it (see
    /// [`crate::ocsp`]): keep it fresh yourself, or use [`Self::with_ocsp_responder`].
    /// `build()` refuses an empty or over-64 KiB response (`ConfigError::BadOcspResponse`).
    #[must_use]
    pub fn with_ocsp_response(mut self, der: Vec<u8>) -> Self {
        self.ocsp_response = Some(der);
        self
    }

    /// Asks `responder` for the response to staple on each full handshake where the client
    /// requested one (takes precedence over [`Self::with_ocsp_response`]).
    #[must_use]
    pub fn with_ocsp_responder(mut self, responder: Arc<dyn OcspResponder>) -> Self {
        self.ocsp_responder = Some(responder);
        self
    }

    /// Validates and builds the config.
    ///
    /// # Errors
    /// `ConfigError` when no versions, suites or groups remain, a key is unusable, there is
    /// neither a certificate nor an external PSK ([`ConfigError::NoServerCertificate`]), or
    /// client authentication has an empty root store ([`ConfigError::EmptyClientAuthRoots`]).
    pub fn build(self) -> Result<ServerConfig, Error> {
        let mut common = self.common;
        let default_groups: Vec<NamedGroup> = if self.allow_dhe {
            let mut g = default_server_groups();
            g.extend([
                NamedGroup::FFDHE2048,
                NamedGroup::FFDHE3072,
                NamedGroup::FFDHE4096,
            ]);
            g
        } else {
            default_server_groups()
        };
        let external_psks: Option<Arc<dyn ResolvesExternalPsk>> = match self.psk_resolver {
            Some(r) => Some(r),
            None if !self.external_psks.is_empty() => Some(Arc::new(self.external_psks)),
            None => None,
        };
        let psk_modes = check_psk_modes(self.psk_modes.as_deref())?;
        let has_certificate =
            self.resolver.is_some() || self.cert.is_some() || self.cert_files.is_some();
        // A PSK-only server speaks TLS 1.3 only: TLS 1.2 would need a certificate.
        if !has_certificate && external_psks.is_some() {
            let v = common.versions.take().unwrap_or(DEFAULT_VERSIONS.to_vec());
            common.versions = Some(
                v.into_iter()
                    .filter(|v| *v == ProtocolVersion::TLSv1_3)
                    .collect(),
            );
        }
        let Negotiable {
            provider,
            versions,
            suites,
            groups,
        } = common.negotiable(self.allow_dhe, &default_groups)?;
        // The one certificate of a single-certificate server, whose compressed forms are made
        // now rather than in the first handshake (RFC 8879).
        let mut single: Option<Arc<CertifiedKey>> = None;
        let cert_resolver: Arc<dyn ResolvesServerCert> = if let Some(r) = self.resolver {
            r
        } else if let Some((chain, key)) = self.cert {
            let ck = Arc::new(CertifiedKey::from_der(chain, key, &provider)?);
            single = Some(Arc::clone(&ck));
            Arc::new(SingleCert(ck))
        } else if let Some((chain, key)) = self.cert_files {
            let ck = Arc::new(CertifiedKey::from_pem_files(&chain, &key, &provider)?);
            single = Some(Arc::clone(&ck));
            Arc::new(SingleCert(ck))
        } else if external_psks.is_some() {
            Arc::new(crate::sign::NoServerCert)
        } else {
            return Err(ConfigError::NoServerCertificate.into());
        };
        let cert_compression = check_cert_compression(self.cert_compression)?;
        let cert_compression_cache = crate::cert_compression::CompressionCache::warmed(
            single
                .as_deref()
                .filter(|_| versions.contains(&ProtocolVersion::TLSv1_3)),
            &cert_compression,
        )?;
        let client_verifier: Option<Arc<dyn ClientCertVerifier>> =
            match (self.client_verifier, self.client_auth) {
                (Some(v), _) => Some(v),
                (None, None | Some(ClientAuth::None)) => None,
                (None, Some(ClientAuth::Required(roots))) if roots.is_empty() => {
                    return Err(ConfigError::EmptyClientAuthRoots.into());
                }
                (None, Some(ClientAuth::Optional(roots))) => Some(Arc::new(
                    WebPkiClientVerifier::new(Arc::new(roots), &provider, ClientAuthMode::Optional),
                )),
                (None, Some(ClientAuth::Required(roots))) => Some(Arc::new(
                    WebPkiClientVerifier::new(Arc::new(roots), &provider, ClientAuthMode::Required),
                )),
            };
        let ocsp: Option<Arc<dyn OcspResponder>> = match (self.ocsp_responder, self.ocsp_response) {
            (Some(r), _) => Some(r),
            (None, Some(der)) => Some(Arc::new(StaticOcspResponse::new(der)?)),
            (None, None) => None,
        };
        let key_log = common.take_key_log();
        let time = common.take_time();
        let tickets = match (common.disable_resumption, self.ticket_keys) {
            (true, _) => None,
            (false, Some(k)) => Some(k),
            (false, None) => Some(Arc::new(crate::session::TicketKeys::new(
                &provider,
                time.now().as_secs(),
                self.ticket_rotation
                    .unwrap_or(crate::session::DEFAULT_ROTATION_SECS),
            )?)),
        };
        let send_tickets = if tickets.is_some() {
            self.send_tickets.unwrap_or(2)
        } else {
            0
        };
        let session_id_capacity = if common.disable_resumption {
            0
        } else {
            self.session_id_capacity.unwrap_or(1024)
        };
        Ok(ServerConfig {
            tls12_tickets: tickets.is_some() && !self.no_tls12_tickets,
            max_session_age: self
                .max_session_age
                .unwrap_or(crate::session::DEFAULT_MAX_SESSION_AGE_SECS),
            tickets,
            send_tickets,
            session_ids: Arc::new(crate::session::ServerSessionCache::new(session_id_capacity)),
            max_early_data: self.max_early_data,
            half_rtt_data: self.half_rtt_data,
            anti_replay: Arc::new(crate::session::AntiReplay::new(10, 100_000)),
            provider,
            versions,
            suites,
            groups,
            cert_resolver,
            client_verifier,
            alpn_protocols: common.alpn,
            key_log,
            time,
            allow_rsa_kx: common.allow_rsa_kx,
            require_ems: common.require_ems,
            retain_client_hello: self.retain_client_hello,
            external_psks,
            psk_modes,
            refuse_unknown_psk: self.refuse_unknown_psk,
            has_certificate,
            ocsp,
            cert_compression_cache,
            cert_compression,
            #[cfg(test)]
            test_ee_hook: None,
            #[cfg(test)]
            test_cert_hook: None,
            #[cfg(test)]
            test_ticket_hook: None,
            #[cfg(test)]
            test_compressed_cert_hook: None,
        })
    }
}
