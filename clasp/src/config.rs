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
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
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
    disable_sni: bool,
    session_cache: Option<Arc<crate::session::ClientSessionCache>>,
    enable_early_data: bool,
    record_size_limit: Option<u16>,
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

    /// Trusts the operating system's certificate store.
    ///
    /// # Errors
    /// When the system store cannot be read.
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

    /// Offers 0-RTT data on resumed connections whose ticket allows it (see
    /// [`crate::ClientConnection::write_early_data`]). Off by default: early data can be
    /// replayed (RFC 8446 §8).
    #[must_use]
    pub fn with_early_data(mut self) -> Self {
        self.enable_early_data = true;
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
    /// `ConfigError` when no versions, suites or groups remain, or a key is unusable.
    pub fn build(self) -> Result<ClientConfig, Error> {
        let mut common = self.common;
        let Negotiable {
            provider,
            versions,
            suites,
            groups,
        } = common.negotiable(true, DEFAULT_GROUPS)?;
        let key_share_groups = choose_key_shares(&groups, self.key_shares.as_deref());
        let verifier: Arc<dyn ServerCertVerifier> = match self.verifier {
            Some(v) => v,
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
            (None, None) => None,
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
            record_size_limit: self.record_size_limit,
            require_ems: common.require_ems,
            #[cfg(test)]
            test_hello_hook: None,
        })
    }
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
    pub(crate) anti_replay: Arc<crate::session::AntiReplay>,
    /// Keep each connection's ClientHello for [`crate::ServerConnection::client_hello`].
    pub(crate) retain_client_hello: bool,
    /// Test-only: rewrites EncryptedExtensions before it is sent (RFC 8448 replays).
    #[cfg(test)]
    pub(crate) test_ee_hook: Option<fn(&mut crate::msgs::handshake::EncryptedExtensions)>,
    /// Test-only: rewrites the TLS 1.3 Certificate message before it is sent.
    #[cfg(test)]
    pub(crate) test_cert_hook: Option<fn(&mut crate::msgs::handshake::CertificateTls13)>,
    /// Test-only: rewrites each sealed ticket (TLS 1.3 and 1.2) before it is sent.
    #[cfg(test)]
    pub(crate) test_ticket_hook: Option<fn(&mut Vec<u8>)>,
}

impl ServerConfig {
    /// A builder with safe defaults (see [`ClientConfig::builder`]); a certificate is required.
    #[must_use]
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder::default()
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
    session_id_capacity: Option<usize>,
    no_tls12_tickets: bool,
    retain_client_hello: bool,
    max_session_age: Option<u64>,
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

    /// Keeps each connection's ClientHello, decoded and raw, for
    /// [`crate::ServerConnection::client_hello`] (fingerprinting, "your handshake" pages).
    /// Off by default: it costs an idle connection about 700 bytes for its whole life.
    #[must_use]
    pub fn retain_client_hello(mut self, retain: bool) -> Self {
        self.retain_client_hello = retain;
        self
    }

    /// Validates and builds the config.
    ///
    /// # Errors
    /// `ConfigError` when no certificate, versions, suites or groups remain.
    pub fn build(self) -> Result<ServerConfig, Error> {
        let mut common = self.common;
        let default_groups: Vec<NamedGroup> = if self.allow_dhe {
            let mut g = DEFAULT_GROUPS.to_vec();
            g.extend_from_slice(DEFAULT_SERVER_EXTRA_GROUPS);
            g.extend([
                NamedGroup::FFDHE2048,
                NamedGroup::FFDHE3072,
                NamedGroup::FFDHE4096,
            ]);
            g
        } else {
            [DEFAULT_GROUPS, DEFAULT_SERVER_EXTRA_GROUPS].concat()
        };
        let Negotiable {
            provider,
            versions,
            suites,
            groups,
        } = common.negotiable(self.allow_dhe, &default_groups)?;
        let cert_resolver: Arc<dyn ResolvesServerCert> = if let Some(r) = self.resolver {
            r
        } else if let Some((chain, key)) = self.cert {
            Arc::new(SingleCert(Arc::new(CertifiedKey::from_der(
                chain, key, &provider,
            )?)))
        } else if let Some((chain, key)) = self.cert_files {
            Arc::new(SingleCert(Arc::new(CertifiedKey::from_pem_files(
                &chain, &key, &provider,
            )?)))
        } else {
            return Err(ConfigError::BadCertificateChain.into());
        };
        let client_verifier: Option<Arc<dyn ClientCertVerifier>> =
            match (self.client_verifier, self.client_auth) {
                (Some(v), _) => Some(v),
                (None, None | Some(ClientAuth::None)) => None,
                (None, Some(ClientAuth::Optional(roots))) => Some(Arc::new(
                    WebPkiClientVerifier::new(Arc::new(roots), &provider, ClientAuthMode::Optional),
                )),
                (None, Some(ClientAuth::Required(roots))) => Some(Arc::new(
                    WebPkiClientVerifier::new(Arc::new(roots), &provider, ClientAuthMode::Required),
                )),
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
            #[cfg(test)]
            test_ee_hook: None,
            #[cfg(test)]
            test_cert_hook: None,
            #[cfg(test)]
            test_ticket_hook: None,
        })
    }
}
