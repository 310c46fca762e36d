//! The handshake kinds of the table (one entry of [`KINDS`] per kind), the configurations each
//! stack gets for a kind, and each kind's *primitive floor*: the same public-key operations the
//! handshake needs (key generation and agreement, signing, verifying, chain verification), called
//! directly through aws-lc-rs and rustls-webpki, with no protocol around them.
//!
//! To add a kind, add a [`Kind`] to [`KINDS`]; the configuration functions below read its fields.
//! A stack that cannot do a kind returns `None` and its cell reads "—".

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::{agreement, kem, rand, signature};
use clasp::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use openssl::ssl::{SslContext, SslSession};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

use crate::endpoint::{OpensslConn, Stack};
use crate::setup::{server_name, Configs, Pki};

/// Protocol version of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// TLS 1.3.
    Tls13,
    /// TLS 1.2.
    Tls12,
}

/// Key exchange of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kx {
    /// X25519.
    X25519,
    /// secp256r1.
    P256,
    /// The X25519 + ML-KEM-768 hybrid.
    X25519MlKem768,
    /// RFC 7919 ffdhe2048 (TLS 1.2 DHE).
    Ffdhe2048,
}

/// The server certificate's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cert {
    /// ECDSA P-256 (signs with ecdsa_secp256r1_sha256).
    EcdsaP256,
    /// RSA 2048 (signs with rsa_pss_rsae_sha256, TLS 1.2 too).
    Rsa2048,
}

/// One handshake kind: one group of rows in the table.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// The scenario column.
    pub name: &'static str,
    /// Short id for `--json` and `--only`.
    pub id: &'static str,
    /// Protocol version.
    pub version: Version,
    /// Key exchange.
    pub kx: Kx,
    /// Server certificate.
    pub cert: Cert,
    /// Each timed handshake resumes the session of the one before (an untimed full handshake
    /// primes it); the run fails if one does not resume.
    pub resumed: bool,
    /// The server requires a client certificate (ECDSA P-256, same CA).
    pub client_auth: bool,
    /// clasp's client keeps its verified-chain cache on, as by default: a client reconnecting
    /// to the same server, and the resumed kinds, where clasp's client checks the stored chain
    /// again before it offers the session (DESIGN: cached decisions are re-checked) and the
    /// cache answers that check. The full-handshake kinds turn it off so clasp verifies the
    /// chain like the other stacks.
    pub chain_cache: bool,
}

const FULL: Kind = Kind {
    name: "",
    id: "",
    version: Version::Tls13,
    kx: Kx::X25519,
    cert: Cert::EcdsaP256,
    resumed: false,
    client_auth: false,
    chain_cache: false,
};

/// Every handshake kind, in table order.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "TLS 1.3 full, X25519, ECDSA P-256",
        id: "tls13-x25519-ecdsa",
        ..FULL
    },
    Kind {
        name: "TLS 1.3 full, P-256, ECDSA P-256",
        id: "tls13-p256-ecdsa",
        kx: Kx::P256,
        ..FULL
    },
    Kind {
        name: "TLS 1.3 full, X25519MLKEM768, ECDSA P-256",
        id: "tls13-x25519mlkem768-ecdsa",
        kx: Kx::X25519MlKem768,
        ..FULL
    },
    Kind {
        name: "TLS 1.3 full, X25519, RSA-2048",
        id: "tls13-x25519-rsa",
        cert: Cert::Rsa2048,
        ..FULL
    },
    Kind {
        name: "TLS 1.3 full, X25519, ECDSA P-256, repeat visit (clasp: verified-chain cache on)",
        id: "tls13-x25519-ecdsa-repeat",
        chain_cache: true,
        ..FULL
    },
    Kind {
        name: "TLS 1.3 resumed (psk_dhe_ke, X25519)",
        id: "tls13-resumed",
        chain_cache: true,
        resumed: true,
        ..FULL
    },
    Kind {
        name: "TLS 1.3 full with client certificate, X25519, ECDSA P-256 both",
        id: "tls13-client-auth",
        client_auth: true,
        ..FULL
    },
    Kind {
        name: "TLS 1.2 ECDHE full, X25519, ECDSA P-256",
        id: "tls12-ecdhe-ecdsa",
        version: Version::Tls12,
        ..FULL
    },
    Kind {
        name: "TLS 1.2 ECDHE resumed by ticket",
        id: "tls12-ecdhe-resumed",
        chain_cache: true,
        version: Version::Tls12,
        resumed: true,
        ..FULL
    },
    Kind {
        name: "TLS 1.2 DHE ffdhe2048, RSA-2048 (rustls has no DHE)",
        id: "tls12-dhe-ffdhe2048-rsa",
        version: Version::Tls12,
        kx: Kx::Ffdhe2048,
        cert: Cert::Rsa2048,
        ..FULL
    },
];

impl Kind {
    /// The client's groups: the kind's group, and in TLS 1.2 with an ECDSA P-256 certificate
    /// P-256 too (RFC 4492 §5.1: the certificate's curve must be one the client offered; the
    /// server still picks the kind's group, the only one it has).
    fn clasp_client_groups(self) -> Vec<NamedGroup> {
        let mut groups = vec![self.clasp_group()];
        if self.version == Version::Tls12
            && self.cert == Cert::EcdsaP256
            && self.clasp_group() != NamedGroup::secp256r1
        {
            groups.push(NamedGroup::secp256r1);
        }
        groups
    }

    fn clasp_group(self) -> NamedGroup {
        match self.kx {
            Kx::X25519 => NamedGroup::X25519,
            Kx::P256 => NamedGroup::secp256r1,
            Kx::X25519MlKem768 => NamedGroup::X25519MLKEM768,
            Kx::Ffdhe2048 => NamedGroup::FFDHE2048,
        }
    }

    fn clasp_suite(self) -> CipherSuite {
        match (self.version, self.kx, self.cert) {
            (Version::Tls13, _, _) => CipherSuite::TLS_AES_128_GCM_SHA256,
            (Version::Tls12, Kx::Ffdhe2048, _) => CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
            (Version::Tls12, _, Cert::EcdsaP256) => {
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            }
            (Version::Tls12, _, Cert::Rsa2048) => {
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            }
        }
    }

    fn server_chain(self, pki: &Pki) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        match self.cert {
            Cert::EcdsaP256 => (pki.chain.clone(), PrivateKeyDer::Pkcs8(pki.key.clone_key())),
            Cert::Rsa2048 => (
                pki.rsa_chain.clone(),
                PrivateKeyDer::Pkcs8(pki.rsa_key.clone_key()),
            ),
        }
    }
}

/// clasp configurations for `kind`.
///
/// # Panics
/// If a builder rejects the settings (a benchmark bug).
#[must_use]
pub fn clasp_configs(pki: &Pki, kind: Kind) -> Configs<clasp::ClientConfig, clasp::ServerConfig> {
    let version = match kind.version {
        Version::Tls13 => ProtocolVersion::TLSv1_3,
        Version::Tls12 => ProtocolVersion::TLSv1_2,
    };
    let mut roots = clasp::verify::RootCertStore::empty();
    roots.add(&pki.ca).expect("add CA");
    let mut client = clasp::ClientConfig::builder()
        .with_root_certificates(roots.clone())
        .with_protocol_versions(&[version])
        .with_cipher_suites(&[kind.clasp_suite()])
        .with_groups(&kind.clasp_client_groups());
    if !kind.chain_cache {
        client = client.with_verified_chain_cache(0);
    }
    if !kind.resumed {
        client = client.without_resumption();
    }
    if kind.client_auth {
        client = client.with_client_auth_cert(
            pki.client_chain.clone(),
            PrivateKeyDer::Pkcs8(pki.client_key.clone_key()),
        );
    }
    let (chain, key) = kind.server_chain(pki);
    let mut server = clasp::ServerConfig::builder()
        .with_single_cert(chain, key)
        .with_protocol_versions(&[version])
        .with_cipher_suites(&[kind.clasp_suite()])
        .with_groups(&[kind.clasp_group()]);
    if kind.kx == Kx::Ffdhe2048 {
        server = server.allow_dhe(true);
    }
    server = if kind.resumed {
        server.with_tickets(1)
    } else {
        server.without_resumption()
    };
    if kind.client_auth {
        server = server.with_client_auth(clasp::ClientAuth::Required(roots));
    }
    Configs {
        client: Arc::new(client.build().expect("clasp client config")),
        server: Arc::new(server.build().expect("clasp server config")),
    }
}

/// rustls configurations for `kind` on its aws-lc-rs provider; `None` for DHE.
///
/// # Panics
/// If a builder rejects the settings (a benchmark bug).
#[must_use]
pub fn rustls_configs(
    pki: &Pki,
    kind: Kind,
) -> Option<Configs<rustls::ClientConfig, rustls::ServerConfig>> {
    use rustls::crypto::aws_lc_rs::{cipher_suite as cs, kx_group, Ticketer};
    let kx = match kind.kx {
        Kx::X25519 => kx_group::X25519,
        Kx::P256 => kx_group::SECP256R1,
        Kx::X25519MlKem768 => kx_group::X25519MLKEM768,
        Kx::Ffdhe2048 => return None,
    };
    let (suite, version) = match (kind.version, kind.cert) {
        (Version::Tls13, _) => (cs::TLS13_AES_128_GCM_SHA256, &rustls::version::TLS13),
        (Version::Tls12, Cert::EcdsaP256) => (
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            &rustls::version::TLS12,
        ),
        (Version::Tls12, Cert::Rsa2048) => (
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            &rustls::version::TLS12,
        ),
    };
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![suite],
        kx_groups: vec![kx],
        ..rustls::crypto::aws_lc_rs::default_provider()
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).expect("add CA");
    let roots = Arc::new(roots);
    let client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .expect("rustls versions")
        .with_root_certificates(roots.clone());
    let mut client = if kind.client_auth {
        client
            .with_client_auth_cert(
                pki.client_chain.clone(),
                PrivateKeyDer::Pkcs8(pki.client_key.clone_key()),
            )
            .expect("rustls client cert")
    } else {
        client.with_no_client_auth()
    };
    if !kind.resumed {
        client.resumption = rustls::client::Resumption::disabled();
    }
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .expect("rustls versions");
    let server = if kind.client_auth {
        let v = rustls::server::WebPkiClientVerifier::builder_with_provider(roots, provider)
            .build()
            .expect("rustls client verifier");
        server.with_client_cert_verifier(v)
    } else {
        server.with_no_client_auth()
    };
    let (chain, key) = kind.server_chain(pki);
    let mut server = server
        .with_single_cert(chain, key)
        .expect("rustls server cert");
    if kind.resumed {
        server.send_tls13_tickets = 1;
        server.ticketer = Ticketer::new().expect("rustls ticketer");
    } else {
        server.send_tls13_tickets = 0;
    }
    Some(Configs {
        client: Arc::new(client),
        server: Arc::new(server),
    })
}

/// OpenSSL contexts for `kind` (as [`crate::setup::openssl_configs`], release-buffers off), with
/// the client remembering the last session when `kind.resumed`; `None` where OpenSSL 3.0 lacks
/// the group (X25519MLKEM768 needs 3.5).
///
/// # Panics
/// If OpenSSL rejects the settings (a benchmark bug).
#[must_use]
pub fn openssl_stack(pki: &Pki, kind: Kind) -> Option<OpensslStack> {
    use openssl::ssl::{
        SslContextBuilder, SslMethod, SslOptions, SslSessionCacheMode, SslVerifyMode, SslVersion,
    };
    let groups = match kind.kx {
        Kx::X25519 => "X25519",
        Kx::P256 => "P-256",
        Kx::X25519MlKem768 => return None,
        Kx::Ffdhe2048 => "ffdhe2048",
    };
    let version = match kind.version {
        Version::Tls13 => SslVersion::TLS1_3,
        Version::Tls12 => SslVersion::TLS1_2,
    };
    let common = |b: &mut SslContextBuilder| -> Result<(), openssl::error::ErrorStack> {
        b.set_min_proto_version(Some(version))?;
        b.set_max_proto_version(Some(version))?;
        match kind.version {
            Version::Tls13 => b.set_ciphersuites("TLS_AES_128_GCM_SHA256")?,
            Version::Tls12 => b.set_cipher_list(match (kind.kx, kind.cert) {
                (Kx::Ffdhe2048, _) => "DHE-RSA-AES128-GCM-SHA256",
                (_, Cert::EcdsaP256) => "ECDHE-ECDSA-AES128-GCM-SHA256",
                (_, Cert::Rsa2048) => "ECDHE-RSA-AES128-GCM-SHA256",
            })?,
        }
        if kind.kx != Kx::Ffdhe2048 {
            // TLS 1.2: an ECDSA certificate's curve must be among the client's groups too
            // (RFC 8422 §5.1), so P-256 follows X25519 (which the server still picks).
            let list = if kind.version == Version::Tls12 && kind.cert == Cert::EcdsaP256 {
                format!("{groups}:P-256")
            } else {
                groups.to_string()
            };
            b.set_groups_list(&list)?;
        }
        if kind.resumed {
            b.set_num_tickets(1)?;
            // Stateless tickets only, like the other two stacks; the client holds the session.
            b.set_session_cache_mode(SslSessionCacheMode::OFF);
        } else {
            b.set_options(SslOptions::NO_TICKET);
            b.set_num_tickets(0)?;
            b.set_session_cache_mode(SslSessionCacheMode::OFF);
        }
        Ok(())
    };
    let x509 = |der: &CertificateDer<'_>| openssl::x509::X509::from_der(der).expect("DER");
    let pkey = |k: &rustls_pki_types::PrivatePkcs8KeyDer<'_>| {
        openssl::pkey::PKey::private_key_from_pkcs8(k.secret_pkcs8_der()).expect("PKCS#8")
    };
    let mut client = SslContext::builder(SslMethod::tls_client()).expect("openssl client ctx");
    common(&mut client).expect("openssl client settings");
    client
        .cert_store_mut()
        .add_cert(x509(&pki.ca))
        .expect("add CA");
    client.set_verify(SslVerifyMode::PEER);
    if kind.client_auth {
        client
            .set_certificate(&x509(&pki.client_chain[0]))
            .expect("client leaf");
        client
            .set_private_key(&pkey(&pki.client_key))
            .expect("client key");
    }
    let mut server = SslContext::builder(SslMethod::tls_server()).expect("openssl server ctx");
    common(&mut server).expect("openssl server settings");
    if kind.kx == Kx::Ffdhe2048 {
        // RFC 7919 ffdhe2048, the group the other stacks use (OpenSSL 3.0 would otherwise pick
        // a group by key size).
        let dh = openssl::dh::Dh::params_from_pem(FFDHE2048_PEM).expect("ffdhe2048 PEM");
        server.set_tmp_dh(&dh).expect("tmp dh");
    }
    let (chain, key) = match kind.cert {
        Cert::EcdsaP256 => (&pki.chain, &pki.key),
        Cert::Rsa2048 => (&pki.rsa_chain, &pki.rsa_key),
    };
    server.set_certificate(&x509(&chain[0])).expect("leaf");
    server.set_private_key(&pkey(key)).expect("leaf key");
    if kind.client_auth {
        server
            .cert_store_mut()
            .add_cert(x509(&pki.ca))
            .expect("add CA");
        server.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    }
    server
        .set_session_id_context(b"clasp-bench")
        .expect("session id context");
    Some(OpensslStack {
        configs: Configs {
            client: Arc::new(client.build()),
            server: Arc::new(server.build()),
        },
        resume: kind.resumed,
        session: RefCell::new(None),
    })
}

/// RFC 7919 ffdhe2048 as PKCS#3 PEM (`openssl genpkey -genparam -algorithm DH -pkeyopt
/// group:ffdhe2048`).
const FFDHE2048_PEM: &[u8] = b"-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
";

/// OpenSSL's stack for one kind: its contexts and, when resuming, the client's last session
/// (OpenSSL's client does not pick a session by itself: `SSL_set_session` on each new client).
pub struct OpensslStack {
    configs: Configs<SslContext, SslContext>,
    resume: bool,
    session: RefCell<Option<SslSession>>,
}

impl std::fmt::Debug for OpensslStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpensslStack")
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl Stack for OpensslStack {
    type Client = OpensslConn;
    type Server = OpensslConn;
    fn new_client(&self) -> Self::Client {
        let session = if self.resume {
            self.session.borrow().clone()
        } else {
            None
        };
        OpensslConn::client_with_session(&self.configs.client, session.as_deref())
            .expect("openssl client")
    }
    fn new_server(&self) -> Self::Server {
        self.configs.new_server()
    }
    fn remember(&self, client: &mut Self::Client) {
        if self.resume {
            *self.session.borrow_mut() = client.session();
            // As after a clean close: OpenSSL marks the session of a connection freed without
            // a shutdown not resumable.
            client.mark_closed();
        }
    }
}

/// Time per handshake of each side's primitives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Floor {
    /// Client side.
    pub client: Duration,
    /// Server side.
    pub server: Duration,
}

/// Keys and certificates for the floor, prepared once (untimed).
pub struct FloorKit {
    ecdsa: signature::EcdsaKeyPair,
    ecdsa_client: signature::EcdsaKeyPair,
    rsa: signature::RsaKeyPair,
    ca: CertificateDer<'static>,
    ecdsa_leaf: CertificateDer<'static>,
    rsa_leaf: CertificateDer<'static>,
    client_leaf: CertificateDer<'static>,
    algs: &'static [&'static dyn rustls_pki_types::SignatureVerificationAlgorithm],
    rng: rand::SystemRandom,
}

impl std::fmt::Debug for FloorKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FloorKit")
    }
}

impl FloorKit {
    /// Loads the benchmark's keys.
    ///
    /// # Panics
    /// If aws-lc-rs refuses the generated keys (a benchmark bug).
    #[must_use]
    pub fn new(pki: &Pki) -> Self {
        let ecdsa = |k: &rustls_pki_types::PrivatePkcs8KeyDer<'_>| {
            signature::EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                k.secret_pkcs8_der(),
            )
            .expect("ECDSA key")
        };
        Self {
            ecdsa: ecdsa(&pki.key),
            ecdsa_client: ecdsa(&pki.client_key),
            rsa: signature::RsaKeyPair::from_pkcs8(pki.rsa_key.secret_pkcs8_der())
                .expect("RSA key"),
            ca: pki.ca.clone(),
            ecdsa_leaf: pki.chain[0].clone(),
            rsa_leaf: pki.rsa_chain[0].clone(),
            client_leaf: pki.client_chain[0].clone(),
            algs: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms
                .all,
            rng: rand::SystemRandom::new(),
        }
    }

    /// `n` handshakes' worth of `kind`'s primitives on each side.
    ///
    /// Never inlined, so `valgrind --tool=callgrind
    /// --toggle-collect='clasp_bench::kinds::FloorKit::measure'` can count it alone.
    ///
    /// # Errors
    /// A primitive fails.
    #[inline(never)]
    pub fn measure(&self, kind: Kind, n: usize) -> Result<Floor, String> {
        let mut f = Floor::default();
        let msg = [0x20u8; 130];
        // What the peer's signatures would be, made once.
        let (leaf, server_sig) = match kind.cert {
            Cert::EcdsaP256 => (&self.ecdsa_leaf, self.sign(Cert::EcdsaP256, &msg, false)?),
            Cert::Rsa2048 => (&self.rsa_leaf, self.sign(Cert::Rsa2048, &msg, false)?),
        };
        let client_sig = self.sign(Cert::EcdsaP256, &msg, true)?;
        let tls12_resumed = kind.resumed && kind.version == Version::Tls12;
        for _ in 0..n {
            if tls12_resumed {
                // An abbreviated TLS 1.2 handshake has no public-key operation.
                break;
            }
            // Key exchange, both sides.
            let (c, s) = kx(kind.kx)?;
            f.client += c;
            f.server += s;
            if kind.resumed {
                continue;
            }
            // Server signs; client verifies the signature and the chain.
            f.server += timed(|| self.sign(kind.cert, &msg, false).map(black_box))?;
            f.client += timed(|| verify(kind.cert, leaf, &msg, &server_sig))?;
            f.client += timed(|| self.chain(leaf, webpki::KeyUsage::server_auth()))?;
            if kind.client_auth {
                f.client += timed(|| self.sign(Cert::EcdsaP256, &msg, true).map(black_box))?;
                f.server +=
                    timed(|| verify(Cert::EcdsaP256, &self.client_leaf, &msg, &client_sig))?;
                f.server +=
                    timed(|| self.chain(&self.client_leaf, webpki::KeyUsage::client_auth()))?;
            }
        }
        Ok(f)
    }

    fn sign(&self, cert: Cert, msg: &[u8], client: bool) -> Result<Vec<u8>, String> {
        match cert {
            Cert::EcdsaP256 => {
                let k = if client {
                    &self.ecdsa_client
                } else {
                    &self.ecdsa
                };
                k.sign(&self.rng, msg)
                    .map(|s| s.as_ref().to_vec())
                    .map_err(|e| format!("ecdsa sign: {e}"))
            }
            Cert::Rsa2048 => {
                let mut sig = vec![0; self.rsa.public_modulus_len()];
                self.rsa
                    .sign(&signature::RSA_PSS_SHA256, &self.rng, msg, &mut sig)
                    .map_err(|e| format!("rsa sign: {e}"))?;
                Ok(sig)
            }
        }
    }

    /// The path check a client does: parse the leaf, build and verify the path to the CA
    /// (one signature), check the name (for server certificates).
    fn chain(&self, leaf: &CertificateDer<'_>, usage: webpki::KeyUsage) -> Result<(), String> {
        let anchors = [webpki::anchor_from_trusted_cert(&self.ca).map_err(|e| e.to_string())?];
        let ee = webpki::EndEntityCert::try_from(leaf).map_err(|e| e.to_string())?;
        ee.verify_for_usage(self.algs, &anchors, &[], UnixTime::now(), usage, None, None)
            .map_err(|e| format!("chain: {e}"))?;
        if leaf != &self.client_leaf {
            ee.verify_is_valid_for_subject_name(&server_name())
                .map_err(|e| format!("name: {e}"))?;
        }
        Ok(())
    }
}

/// Verifies `sig` over `msg` with the public key of `leaf` (parsed from the certificate, as a
/// handshake does).
fn verify(cert: Cert, leaf: &CertificateDer<'_>, msg: &[u8], sig: &[u8]) -> Result<(), String> {
    let ee = webpki::EndEntityCert::try_from(leaf).map_err(|e| e.to_string())?;
    let alg: &dyn rustls_pki_types::SignatureVerificationAlgorithm = match cert {
        Cert::EcdsaP256 => webpki::aws_lc_rs::ECDSA_P256_SHA256,
        Cert::Rsa2048 => webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    };
    ee.verify_signature(alg, msg, sig)
        .map_err(|e| format!("verify: {e}"))
}

fn timed<R>(f: impl FnOnce() -> Result<R, String>) -> Result<Duration, String> {
    let t = Instant::now();
    f()?;
    Ok(t.elapsed())
}

/// One key exchange, as each side does it: (client time, server time). The client's share is
/// made first (it travels in the ClientHello), the server answers, the client completes.
fn kx(kx: Kx) -> Result<(Duration, Duration), String> {
    let err = |e: aws_lc_rs::error::Unspecified| format!("kx: {e}");
    let ecdh = |alg: &'static agreement::Algorithm| -> Result<(Duration, Duration), String> {
        let t = Instant::now();
        let c = agreement::PrivateKey::generate(alg).map_err(err)?;
        let c_pub = c.compute_public_key().map_err(err)?;
        let mut tc = t.elapsed();
        let t = Instant::now();
        let s = agreement::PrivateKey::generate(alg).map_err(err)?;
        let s_pub = s.compute_public_key().map_err(err)?;
        agreement::agree(
            &s,
            agreement::UnparsedPublicKey::new(alg, c_pub.as_ref()),
            aws_lc_rs::error::Unspecified,
            |z| Ok(black_box(z.len())),
        )
        .map_err(err)?;
        let ts = t.elapsed();
        let t = Instant::now();
        agreement::agree(
            &c,
            agreement::UnparsedPublicKey::new(alg, s_pub.as_ref()),
            aws_lc_rs::error::Unspecified,
            |z| Ok(black_box(z.len())),
        )
        .map_err(err)?;
        tc += t.elapsed();
        Ok((tc, ts))
    };
    match kx {
        Kx::X25519 => ecdh(&agreement::X25519),
        Kx::P256 => ecdh(&agreement::ECDH_P256),
        Kx::X25519MlKem768 => {
            let (xc, xs) = ecdh(&agreement::X25519)?;
            let t = Instant::now();
            let dk = kem::DecapsulationKey::generate(&kem::ML_KEM_768).map_err(err)?;
            let ek = dk.encapsulation_key().map_err(err)?;
            let ek_bytes = ek.key_bytes().map_err(err)?;
            let mut tc = t.elapsed();
            let t = Instant::now();
            let ek = kem::EncapsulationKey::new(&kem::ML_KEM_768, ek_bytes.as_ref())
                .map_err(|e| format!("kx: {e}"))?;
            let (ct, ss) = ek.encapsulate().map_err(err)?;
            black_box(ss);
            let ts = t.elapsed();
            let t = Instant::now();
            black_box(dk.decapsulate(ct.as_ref().into()).map_err(err)?);
            tc += t.elapsed();
            Ok((xc + tc, xs + ts))
        }
        Kx::Ffdhe2048 => {
            // aws-lc-rs has no finite-field DH: the floor is clasp's own RFC 7919 modexp
            // (crypto-bigint), the primitive clasp's handshake calls.
            use clasp::crypto::SupportedKxGroup;
            let g = &clasp::crypto::aws_lc::FFDHE2048;
            let t = Instant::now();
            let c = g.start().map_err(|e| format!("{e:?}"))?;
            let mut tc = t.elapsed();
            let t = Instant::now();
            let s = g.start().map_err(|e| format!("{e:?}"))?;
            let s_pub = s.pub_key().to_vec();
            black_box(s.complete(c.pub_key()).map_err(|e| format!("{e:?}"))?);
            let ts = t.elapsed();
            let t = Instant::now();
            black_box(c.complete(&s_pub).map_err(|e| format!("{e:?}"))?);
            tc += t.elapsed();
            Ok((tc, ts))
        }
    }
}
