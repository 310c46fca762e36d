//! Certificates generated at run time with rcgen, also written to files for the external peers.
//!
//! One [`TestPki`] holds a CA, a "localhost" server leaf and a client leaf for each [`KeyType`],
//! and three leaves that a correct verifier must reject. Every [`Identity`] lives in its own
//! folder under a fresh temporary directory (removed on drop) as `cert.pem` (the leaf),
//! `key.pem` (PKCS#8), `chain.pem` (leaf then issuing CA) and `ca.pem` (the CA that issued it).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SignatureAlgorithm,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The key types the kit issues certificates for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// ECDSA on P-256 (secp256r1); TLS 1.3 scheme `ecdsa_secp256r1_sha256`.
    EcdsaP256,
    /// ECDSA on P-384 (secp384r1); TLS 1.3 scheme `ecdsa_secp384r1_sha384`.
    EcdsaP384,
    /// Ed25519; TLS scheme `ed25519` (RFC 8422 for TLS 1.2).
    Ed25519,
    /// RSA with a 2048-bit modulus (rsaEncryption key: PSS in TLS 1.3, PKCS#1 or PSS in 1.2).
    Rsa2048,
    /// ECDSA on P-521 (secp521r1); TLS scheme `ecdsa_secp521r1_sha512`.
    EcdsaP521,
}

impl KeyType {
    /// Every key type, in a fixed order.
    pub const ALL: [KeyType; 5] = [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
        KeyType::Rsa2048,
        KeyType::EcdsaP521,
    ];

    /// A short lowercase name, used for folder names and test messages.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa2048 => "rsa2048",
            KeyType::EcdsaP521 => "ecdsa-p521",
        }
    }

    /// True for RSA keys (which TLS 1.2 pairs with `ECDHE_RSA` suites, not `ECDHE_ECDSA`).
    pub fn is_rsa(self) -> bool {
        self == KeyType::Rsa2048
    }

    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Ed25519 => &rcgen::PKCS_ED25519,
            // aws-lc-rs generates RSA keys (2048 bits for `generate_for`).
            KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
            KeyType::EcdsaP521 => &rcgen::PKCS_ECDSA_P521_SHA512,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A certificate chain with its private key, as DER, PEM and files.
pub struct Identity {
    key_type: KeyType,
    chain_der: Vec<Vec<u8>>,
    chain_pem: Vec<String>,
    key_der: Vec<u8>,
    key_pem: String,
    ca_der: Vec<u8>,
    ca_pem: String,
    dir: PathBuf,
}

impl fmt::Debug for Identity {
    // The key stays out of Debug output even though it is a throwaway test key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("key_type", &self.key_type)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The leaf's key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }
    /// The leaf certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.chain_der[0]
    }
    /// The leaf certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.chain_pem[0]
    }
    /// Leaf then issuing CA, DER (what a server sends in its Certificate message).
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }
    /// Leaf then issuing CA, concatenated PEM.
    pub fn chain_pem(&self) -> String {
        self.chain_pem.concat()
    }
    /// The private key, PKCS#8 DER.
    pub fn key_der(&self) -> &[u8] {
        &self.key_der
    }
    /// The private key, PKCS#8 PEM ("PRIVATE KEY").
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
    /// The CA certificate that issued this leaf, DER (for the "untrusted" leaf this is the
    /// unrelated CA, not [`TestPki::ca_der`]).
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }
    /// The issuing CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
    /// The chain as `rustls-pki-types` values.
    pub fn cert_chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain_der
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect()
    }
    /// The private key as a `rustls-pki-types` value.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
    /// The folder holding this identity's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// `cert.pem`: the leaf alone.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }
    /// `key.pem`: the PKCS#8 private key.
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
    /// `chain.pem`: the leaf followed by the issuing CA.
    pub fn chain_path(&self) -> PathBuf {
        self.dir.join("chain.pem")
    }
    /// `ca.pem`: the issuing CA.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

struct Ca {
    cert: Certificate,
    key: KeyPair,
}

/// A complete throwaway PKI: one trusted CA, server and client leaves of every key type, and
/// bad leaves for negative tests. Its files are removed when it is dropped.
///
/// ```
/// let pki = clasp_testkit::TestPki::new();
/// let server = pki.server(clasp_testkit::KeyType::Ed25519);
/// assert!(server.cert_path().exists());
/// assert!(std::fs::read_to_string(pki.ca_path()).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
/// ```
pub struct TestPki {
    root: PathBuf,
    ca_der: Vec<u8>,
    ca_pem: String,
    servers: Vec<Identity>,
    clients: Vec<Identity>,
    expired: Identity,
    wrong_host: Identity,
    untrusted: Identity,
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

static DIR_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The hostname every good server leaf is issued for (plus the IP SAN 127.0.0.1).
pub const SERVER_NAME: &str = "localhost";
/// The only name the wrong-host leaf carries.
pub const OTHER_SERVER_NAME: &str = "other.invalid";

impl TestPki {
    /// Generates everything and writes the files.
    ///
    /// # Panics
    /// If key generation or a file write fails: this is test support, and a broken environment
    /// should fail the test at once with the reason.
    pub fn new() -> Self {
        let root = make_unique_dir();
        match Self::build(root.clone()) {
            Ok(pki) => pki,
            Err(e) => {
                let _ = fs::remove_dir_all(&root);
                panic!("TestPki::new failed: {e}");
            }
        }
    }

    fn build(root: PathBuf) -> Result<Self, String> {
        let ca = new_ca("clasp test CA")?;
        let other_ca = new_ca("clasp unrelated CA")?;
        fs::write(root.join("ca.pem"), ca.cert.pem()).map_err(|e| e.to_string())?;

        let mut servers = Vec::new();
        let mut clients = Vec::new();
        for kt in KeyType::ALL {
            servers.push(issue(
                &root,
                &format!("server-{kt}"),
                kt,
                server_params(&[SERVER_NAME, "127.0.0.1"], kt)?,
                &ca,
            )?);
            clients.push(issue(
                &root,
                &format!("client-{kt}"),
                kt,
                client_params(kt)?,
                &ca,
            )?);
        }

        let mut expired_params = server_params(&[SERVER_NAME, "127.0.0.1"], KeyType::EcdsaP256)?;
        expired_params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        expired_params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let expired = issue(&root, "expired", KeyType::EcdsaP256, expired_params, &ca)?;

        let wrong_host = issue(
            &root,
            "wrong-host",
            KeyType::EcdsaP256,
            server_params(&[OTHER_SERVER_NAME], KeyType::EcdsaP256)?,
            &ca,
        )?;
        let untrusted = issue(
            &root,
            "untrusted",
            KeyType::EcdsaP256,
            server_params(&[SERVER_NAME, "127.0.0.1"], KeyType::EcdsaP256)?,
            &other_ca,
        )?;

        Ok(TestPki {
            root,
            ca_der: ca.cert.der().to_vec(),
            ca_pem: ca.cert.pem(),
            servers,
            clients,
            expired,
            wrong_host,
            untrusted,
        })
    }

    /// One PKI for the whole test process, generated on first use (RSA key generation makes
    /// [`TestPki::new`] cost a few hundred milliseconds, so test binaries share this one).
    ///
    /// A static is never dropped, so its directory outlives the process; each call to
    /// [`TestPki::new`] or the first call here removes the directories of earlier test
    /// processes that are no longer running.
    pub fn shared() -> &'static TestPki {
        static SHARED: OnceLock<TestPki> = OnceLock::new();
        SHARED.get_or_init(TestPki::new)
    }

    /// The trusted CA certificate, DER.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }
    /// The trusted CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
    /// The trusted CA certificate as a `rustls-pki-types` value (a trust anchor source).
    pub fn ca_cert(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.ca_der.clone())
    }
    /// File holding the trusted CA (PEM): pass to `-CAfile` / `--x509cafile`.
    pub fn ca_path(&self) -> PathBuf {
        self.root.join("ca.pem")
    }
    /// The temporary directory holding all files.
    pub fn dir(&self) -> &Path {
        &self.root
    }
    /// Server leaf for "localhost" and 127.0.0.1 (serverAuth EKU) of the given key type.
    pub fn server(&self, key_type: KeyType) -> &Identity {
        &self.servers[key_index(key_type)]
    }
    /// Client leaf (clientAuth EKU, CN "clasp test client") of the given key type.
    pub fn client(&self, key_type: KeyType) -> &Identity {
        &self.clients[key_index(key_type)]
    }
    /// ECDSA P-256 "localhost" leaf that expired on 2001-01-01 (valid from 2000-01-01).
    pub fn expired(&self) -> &Identity {
        &self.expired
    }
    /// ECDSA P-256 leaf from the trusted CA for [`OTHER_SERVER_NAME`] only.
    pub fn wrong_host(&self) -> &Identity {
        &self.wrong_host
    }
    /// ECDSA P-256 "localhost" leaf issued by an unrelated CA (its own `ca.pem` is that CA).
    pub fn untrusted(&self) -> &Identity {
        &self.untrusted
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn key_index(kt: KeyType) -> usize {
    match kt {
        KeyType::EcdsaP256 => 0,
        KeyType::EcdsaP384 => 1,
        KeyType::Ed25519 => 2,
        KeyType::Rsa2048 => 3,
        KeyType::EcdsaP521 => 4,
    }
}

/// Removes `clasp-testkit-<pid>-<n>` directories whose process is gone (left by
/// [`TestPki::shared`] or by a killed test process). Linux only (`/proc/<pid>`).
fn remove_stale_dirs(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("clasp-testkit-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn make_unique_dir() -> PathBuf {
    let base = std::env::temp_dir();
    let pid = std::process::id();
    if DIR_COUNTER.load(Ordering::Relaxed) == 0 {
        remove_stale_dirs(&base);
    }
    loop {
        let n = DIR_COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("clasp-testkit-{pid}-{n}"));
        match fs::create_dir(&dir) {
            Ok(()) => return dir,
            // A leftover from an earlier process with the same pid: take the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("cannot create {}: {e}", dir.display()),
        }
    }
}

#[allow(clippy::needless_pass_by_value)] // shaped for `map_err`
fn err(e: rcgen::Error) -> String {
    e.to_string()
}

fn new_ca(cn: &str) -> Result<Ca, String> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).map_err(err)?;
    Ok(Ca { cert, key })
}

fn leaf_key_usages(kt: KeyType) -> Vec<KeyUsagePurpose> {
    let mut ku = vec![KeyUsagePurpose::DigitalSignature];
    if kt.is_rsa() {
        // TLS 1.2 RSA key exchange encrypts the premaster secret to this key.
        ku.push(KeyUsagePurpose::KeyEncipherment);
    }
    ku
}

fn server_params(names: &[&str], kt: KeyType) -> Result<CertificateParams, String> {
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).map_err(err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, names[0].as_str());
    params.distinguished_name = dn;
    params.key_usages = leaf_key_usages(kt);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

fn client_params(kt: KeyType) -> Result<CertificateParams, String> {
    let mut params = CertificateParams::new(vec!["client.localhost".to_owned()]).map_err(err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "clasp test client");
    params.distinguished_name = dn;
    params.key_usages = leaf_key_usages(kt);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// The fixed DER prefix of an Ed25519 PKCS#8 v2 key as aws-lc-rs writes it (RFC 8410 §7:
/// version 1, algorithm id-Ed25519, privateKey OCTET STRING(OCTET STRING(32-byte seed)),
/// then [1] publicKey).
const ED25519_V2_PREFIX: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// The same for PKCS#8 v1 (no public key), with the lengths for a 48-byte structure.
const ED25519_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn generate_key(kt: KeyType) -> Result<KeyPair, String> {
    let key = KeyPair::generate_for(kt.algorithm()).map_err(err)?;
    if kt != KeyType::Ed25519 {
        return Ok(key);
    }
    // OpenSSL 3.0 ("unsupported" from the store loader) and GnuTLS 3.7 ("ASN1 parser: Error in
    // DER parsing") both refuse the PKCS#8 v2 Ed25519 key that aws-lc-rs generates, so rewrite
    // it as v1: same seed, public key dropped (it is derived from the seed).
    let v2 = key.serialize_der();
    let seed = match v2.strip_prefix(&ED25519_V2_PREFIX[..]) {
        Some(rest) if rest.len() >= 32 => &rest[..32],
        _ => {
            return Err(format!(
                "unexpected Ed25519 PKCS#8 layout from rcgen: {v2:02x?}"
            ))
        }
    };
    let mut v1 = ED25519_V1_PREFIX.to_vec();
    v1.extend_from_slice(seed);
    KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(v1), &rcgen::PKCS_ED25519)
        .map_err(err)
}

fn issue(
    root: &Path,
    name: &str,
    kt: KeyType,
    params: CertificateParams,
    ca: &Ca,
) -> Result<Identity, String> {
    let key = generate_key(kt)?;
    let cert = params.signed_by(&key, &ca.cert, &ca.key).map_err(err)?;
    let dir = root.join(name);
    let id = Identity {
        key_type: kt,
        chain_der: vec![cert.der().to_vec(), ca.cert.der().to_vec()],
        chain_pem: vec![cert.pem(), ca.cert.pem()],
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
        ca_der: ca.cert.der().to_vec(),
        ca_pem: ca.cert.pem(),
        dir,
    };
    let write = |file: &str, text: &str| {
        fs::write(id.dir.join(file), text).map_err(|e| format!("{name}/{file}: {e}"))
    };
    fs::create_dir(&id.dir).map_err(|e| format!("{name}: {e}"))?;
    write("cert.pem", id.cert_pem())?;
    write("key.pem", id.key_pem())?;
    write("chain.pem", &id.chain_pem())?;
    write("ca.pem", id.ca_pem())?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn files_exist_and_are_removed_on_drop() {
        let pki = TestPki::new();
        let root = pki.dir().to_path_buf();
        for kt in KeyType::ALL {
            let s = pki.server(kt);
            assert_eq!(s.key_type(), kt);
            for p in [s.cert_path(), s.key_path(), s.chain_path(), s.ca_path()] {
                assert!(p.is_file(), "{}", p.display());
            }
            assert_eq!(fs::read_to_string(s.ca_path()).unwrap(), pki.ca_pem());
            assert_eq!(s.chain_der().len(), 2);
            assert_eq!(s.chain_der()[1], pki.ca_der());
            assert!(s.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        }
        assert_ne!(pki.untrusted().ca_der(), pki.ca_der());
        let other = TestPki::new();
        assert_ne!(other.dir(), pki.dir());
        drop(pki);
        assert!(!root.exists());
    }

    /// `openssl verify` is an independent check that the chains and bad variants are what they
    /// claim to be.
    #[test]
    fn openssl_verify_agrees() {
        if !crate::require_peer("openssl") {
            return;
        }
        let pki = TestPki::new();
        let verify = |id: &Identity, extra: &[&str]| {
            let out = Command::new("openssl")
                .arg("verify")
                .arg("-CAfile")
                .arg(pki.ca_path())
                .args(extra)
                .arg(id.cert_path())
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        };
        for kt in KeyType::ALL {
            let (ok, text) = verify(
                pki.server(kt),
                &[
                    "-purpose",
                    "sslserver",
                    "-verify_hostname",
                    "localhost",
                    "-verify_ip",
                    "127.0.0.1",
                ],
            );
            assert!(ok, "{kt}: {text}");
            let (ok, text) = verify(pki.client(kt), &["-purpose", "sslclient"]);
            assert!(ok, "{kt}: {text}");
            let (ok, _) = verify(pki.client(kt), &["-purpose", "sslserver"]);
            assert!(!ok, "{kt}: client cert accepted for serverAuth");
        }
        let (ok, text) = verify(pki.expired(), &[]);
        assert!(!ok && text.contains("expired"), "{text}");
        let (ok, text) = verify(pki.wrong_host(), &["-verify_hostname", "localhost"]);
        assert!(!ok && text.contains("mismatch"), "{text}");
        let (ok, text) = verify(pki.untrusted(), &[]);
        assert!(!ok && text.contains("unable to get local issuer"), "{text}");
    }
}
