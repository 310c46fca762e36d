//! Certificates (generated once) and the matching clasp, rustls and OpenSSL configurations.
//!
//! All three stacks get the same choices so the comparison is like for like: TLS 1.3 only, one key
//! exchange group (X25519), one cipher suite, an ECDSA P-256 leaf signed by an ECDSA P-256 CA,
//! verified against that CA, SNI "localhost". Resumption is off on both sides of every stack:
//! no NewSessionTicket is issued or stored, so every handshake is a full one and no ticket work
//! or ticket-cache memory enters the numbers.

use std::sync::Arc;

use clasp::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

/// A CA and a leaf certificate for "localhost", both ECDSA P-256.
#[derive(Debug)]
pub struct Pki {
    /// The CA certificate (the client's only trust anchor).
    pub ca: CertificateDer<'static>,
    /// The server's chain: the leaf only.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key, PKCS#8.
    pub key: PrivatePkcs8KeyDer<'static>,
    /// An RSA-2048 leaf for "localhost" signed by the same CA (the RSA handshake kinds).
    pub rsa_chain: Vec<CertificateDer<'static>>,
    /// Its private key, PKCS#8.
    pub rsa_key: PrivatePkcs8KeyDer<'static>,
    /// A client certificate (ECDSA P-256, clientAuth) from the same CA.
    pub client_chain: Vec<CertificateDer<'static>>,
    /// Its private key, PKCS#8.
    pub client_key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    /// Generates a fresh CA and leaf.
    ///
    /// # Panics
    /// If rcgen fails (not peer input: a broken benchmark setup).
    #[must_use]
    pub fn generate() -> Self {
        let ca_key =
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("generate CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "clasp-bench CA");
        let ca = ca_params.self_signed(&ca_key).expect("self-sign CA");
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .expect("generate leaf key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("leaf params");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = params
            .clone()
            .signed_by(&key, &ca, &ca_key)
            .expect("sign leaf");
        let rsa_key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("generate RSA leaf key");
        let rsa_leaf = params
            .signed_by(&rsa_key, &ca, &ca_key)
            .expect("sign RSA leaf");
        let client_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .expect("generate client key");
        let mut client_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("client params");
        client_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "clasp-bench client");
        client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client_leaf = client_params
            .signed_by(&client_key, &ca, &ca_key)
            .expect("sign client leaf");
        Self {
            ca: ca.der().clone(),
            chain: vec![leaf.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
            rsa_chain: vec![rsa_leaf.der().clone()],
            rsa_key: PrivatePkcs8KeyDer::from(rsa_key.serialize_der()),
            client_chain: vec![client_leaf.der().clone()],
            client_key: PrivatePkcs8KeyDer::from(client_key.serialize_der()),
        }
    }
}

/// The two TLS 1.3 suites the benchmark uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// TLS_AES_128_GCM_SHA256
    Aes128Gcm,
    /// TLS_CHACHA20_POLY1305_SHA256
    Chacha20Poly1305,
}

impl Suite {
    /// The IANA name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128Gcm => "TLS_AES_128_GCM_SHA256",
            Self::Chacha20Poly1305 => "TLS_CHACHA20_POLY1305_SHA256",
        }
    }

    fn clasp(self) -> CipherSuite {
        match self {
            Self::Aes128Gcm => CipherSuite::TLS_AES_128_GCM_SHA256,
            Self::Chacha20Poly1305 => CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        }
    }

    fn rustls(self) -> rustls::SupportedCipherSuite {
        use rustls::crypto::aws_lc_rs::cipher_suite as cs;
        match self {
            Self::Aes128Gcm => cs::TLS13_AES_128_GCM_SHA256,
            Self::Chacha20Poly1305 => cs::TLS13_CHACHA20_POLY1305_SHA256,
        }
    }
}

/// Client and server configurations of one stack.
#[derive(Debug, Clone)]
pub struct Configs<C, S> {
    /// Client side.
    pub client: Arc<C>,
    /// Server side.
    pub server: Arc<S>,
}

/// clasp configurations for `suite`.
///
/// # Panics
/// If a builder rejects the fixed settings (a benchmark bug).
#[must_use]
pub fn clasp_configs(pki: &Pki, suite: Suite) -> Configs<clasp::ClientConfig, clasp::ServerConfig> {
    let mut roots = clasp::verify::RootCertStore::empty();
    roots.add(&pki.ca).expect("add CA");
    let client = clasp::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_cipher_suites(&[suite.clasp()])
        .with_groups(&[NamedGroup::X25519])
        .without_resumption()
        // Like rustls here (built without its compression features): the chain goes plain.
        // `clasp-bench cert-compression` measures compression.
        .with_certificate_compression(&[])
        .build()
        .expect("clasp client config");
    let server = clasp::ServerConfig::builder()
        .with_single_cert(pki.chain.clone(), PrivateKeyDer::Pkcs8(pki.key.clone_key()))
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_cipher_suites(&[suite.clasp()])
        .with_groups(&[NamedGroup::X25519])
        .without_resumption()
        .with_certificate_compression(&[])
        .build()
        .expect("clasp server config");
    Configs {
        client: Arc::new(client),
        server: Arc::new(server),
    }
}

/// rustls configurations for `suite` on its aws-lc-rs provider.
///
/// # Panics
/// If a builder rejects the fixed settings (a benchmark bug).
#[must_use]
pub fn rustls_configs(
    pki: &Pki,
    suite: Suite,
) -> Configs<rustls::ClientConfig, rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![suite.rustls()],
        kx_groups: vec![rustls::crypto::aws_lc_rs::kx_group::X25519],
        ..rustls::crypto::aws_lc_rs::default_provider()
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).expect("add CA");
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("rustls versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = rustls::client::Resumption::disabled();
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("rustls versions")
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), PrivateKeyDer::Pkcs8(pki.key.clone_key()))
        .expect("rustls server cert");
    server.send_tls13_tickets = 0;
    Configs {
        client: Arc::new(client),
        server: Arc::new(server),
    }
}

/// OpenSSL (the system libssl, through rust-openssl) contexts for `suite`, with the same choices:
/// TLS 1.3 only, X25519 only, one suite, the same CA and leaf (loaded from their DER), the client
/// verifying the chain (`SSL_VERIFY_PEER`; the host name is set per connection in
/// [`crate::endpoint`]), no tickets (`SSL_OP_NO_TICKET` and `SSL_CTX_set_num_tickets(0)`: with
/// `NO_TICKET` alone a TLS 1.3 server still sends stateful tickets) and no session cache on
/// either side.
///
/// `release_buffers` sets `SSL_MODE_RELEASE_BUFFERS`, which frees a connection's record read and
/// write buffers while they are empty (OpenSSL's default keeps them for the connection's life).
///
/// # Panics
/// If OpenSSL rejects the fixed settings (a benchmark bug or a libssl without TLS 1.3).
#[must_use]
pub fn openssl_configs(
    pki: &Pki,
    suite: Suite,
    release_buffers: bool,
) -> Configs<openssl::ssl::SslContext, openssl::ssl::SslContext> {
    use openssl::ssl::{
        SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslSessionCacheMode,
        SslVerifyMode, SslVersion,
    };
    let common = |b: &mut SslContextBuilder| -> Result<(), openssl::error::ErrorStack> {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))?;
        b.set_max_proto_version(Some(SslVersion::TLS1_3))?;
        b.set_ciphersuites(suite.name())?;
        b.set_groups_list("X25519")?;
        b.set_options(SslOptions::NO_TICKET);
        b.set_num_tickets(0)?;
        b.set_session_cache_mode(SslSessionCacheMode::OFF);
        if release_buffers {
            b.set_mode(SslMode::RELEASE_BUFFERS);
        }
        Ok(())
    };
    let ca = openssl::x509::X509::from_der(&pki.ca).expect("CA DER");
    let mut client = SslContext::builder(SslMethod::tls_client()).expect("openssl client ctx");
    common(&mut client).expect("openssl client settings");
    client.cert_store_mut().add_cert(ca).expect("add CA");
    client.set_verify(SslVerifyMode::PEER);

    let mut server = SslContext::builder(SslMethod::tls_server()).expect("openssl server ctx");
    common(&mut server).expect("openssl server settings");
    for (i, der) in pki.chain.iter().enumerate() {
        let cert = openssl::x509::X509::from_der(der).expect("chain DER");
        if i == 0 {
            server.set_certificate(&cert).expect("leaf");
        } else {
            server.add_extra_chain_cert(cert).expect("chain cert");
        }
    }
    let key = openssl::pkey::PKey::private_key_from_pkcs8(pki.key.secret_pkcs8_der())
        .expect("leaf key PKCS#8");
    server.set_private_key(&key).expect("leaf key");
    server.check_private_key().expect("key matches leaf");
    Configs {
        client: Arc::new(client.build()),
        server: Arc::new(server.build()),
    }
}

/// The server name both clients connect to.
#[must_use]
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("valid DNS name")
}
