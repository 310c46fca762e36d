//! `clasp-bench marvin`: does the server's handling of an RSA ClientKeyExchange take longer or
//! shorter depending on the PKCS#1 v1.5 padding of the pre-master secret (the Bleichenbacher /
//! "Marvin" class of timing side channels)? RFC 5246 §7.4.7.1 requires the server to continue
//! with a random pre-master secret whatever the padding; clasp selects in constant time, but the
//! provider's decryption could still take a different path.
//!
//! Method: one TLS 1.2 `TLS_RSA_WITH_AES_128_GCM_SHA256` handshake per sample up to the point
//! where the server waits for ClientKeyExchange; then a ClientKeyExchange whose ciphertext is
//! built by raw RSA (no padding, OpenSSL's `public_encrypt`) from one of five plaintext classes,
//! and the time of the server's `process_new_packets` for that one record. The classes are
//! interleaved in a shuffled order per round so load drift hits all alike. The result is a
//! Kruskal–Wallis test over the five classes and a Mann–Whitney U test of each invalid class
//! against the valid one: a small p-value means the classes' timing distributions differ.
//! This is a measurement, not a CI test: it asserts nothing about time.

use std::sync::Arc;
use std::time::Instant;

use clasp::msgs::enums::{CipherSuite, ProtocolVersion};
use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::setup::server_name;

/// The plaintext classes (RFC 8017 §7.2.2 EM = 0x00 ‖ 0x02 ‖ PS ‖ 0x00 ‖ M).
pub const CLASSES: [&str; 5] = [
    "valid",
    "wrong first bytes (00 01)",
    "no zero separator",
    "wrong version (03 02)",
    "short (47-byte M)",
];

/// One class's timings, nanoseconds.
#[derive(Debug)]
pub struct ClassTimes {
    pub name: &'static str,
    pub ns: Vec<f64>,
}

/// What the measurement found.
#[derive(Debug)]
pub struct Report {
    pub classes: Vec<ClassTimes>,
    /// Kruskal–Wallis H over all classes and its p-value (χ², k − 1 degrees of freedom).
    pub kruskal_h: f64,
    pub kruskal_p: f64,
    /// Mann–Whitney z and two-sided p of each invalid class against "valid".
    pub mann_whitney: Vec<(&'static str, f64, f64)>,
}

struct Rig {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    rsa: openssl::rsa::Rsa<openssl::pkey::Public>,
}

impl Rig {
    fn new() -> Result<Self, String> {
        let e = |e: rcgen::Error| e.to_string();
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(e)?;
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(e)?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).map_err(e)?;
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(e)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(e)?;
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = params.signed_by(&key, &ca, &ca_key).map_err(e)?;

        let mut roots = RootCertStore::empty();
        roots
            .add(&CertificateDer::from(ca.der().to_vec()))
            .map_err(|e| e.to_string())?;
        let suite = [CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256];
        let client = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .with_cipher_suites(&suite)
            .allow_rsa_key_exchange(true)
            .without_resumption()
            .build()
            .map_err(|e| e.to_string())?;
        let server = ServerConfig::builder()
            .with_single_cert(
                vec![CertificateDer::from(leaf.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .with_protocol_versions(&[ProtocolVersion::TLSv1_2])
            .with_cipher_suites(&suite)
            .allow_rsa_key_exchange(true)
            .without_resumption()
            .build()
            .map_err(|e| e.to_string())?;
        let rsa = openssl::x509::X509::from_der(leaf.der())
            .and_then(|x| x.public_key())
            .and_then(|k| k.rsa())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client: Arc::new(client),
            server: Arc::new(server),
            rsa,
        })
    }

    /// A server waiting for ClientKeyExchange.
    fn server_at_cke(&self) -> Result<ServerConnection, String> {
        let mut c = ClientConnection::new(Arc::clone(&self.client), server_name())
            .map_err(|e| e.to_string())?;
        let mut s = ServerConnection::new(Arc::clone(&self.server)).map_err(|e| e.to_string())?;
        move_all(&mut c, &mut s)?;
        move_all(&mut s, &mut c)?;
        Ok(s)
    }

    /// The ClientKeyExchange record for `em` (k bytes), encrypted with raw RSA.
    fn cke_record(&self, em: &[u8]) -> Result<Vec<u8>, String> {
        let k = em.len();
        let mut ct = vec![0u8; k];
        let n = self
            .rsa
            .public_encrypt(em, &mut ct, openssl::rsa::Padding::NONE)
            .map_err(|e| e.to_string())?;
        ct.truncate(n);
        // RFC 5246 §7.4.7.1: EncryptedPreMasterSecret is opaque<0..2^16-1>.
        let body_len = ct.len() + 2;
        let mut msg = vec![16];
        msg.extend_from_slice(
            &u32::try_from(body_len)
                .map_err(|e| e.to_string())?
                .to_be_bytes()[1..],
        );
        msg.extend_from_slice(
            &u16::try_from(ct.len())
                .map_err(|e| e.to_string())?
                .to_be_bytes(),
        );
        msg.extend_from_slice(&ct);
        let mut rec = vec![22, 3, 3];
        rec.extend_from_slice(
            &u16::try_from(msg.len())
                .map_err(|e| e.to_string())?
                .to_be_bytes(),
        );
        rec.extend_from_slice(&msg);
        Ok(rec)
    }
}

fn move_all(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<(), String> {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).map_err(|e| e.to_string())?;
    }
    let mut rd = &buf[..];
    while !rd.is_empty() {
        to.read_tls(&mut rd).map_err(|e| e.to_string())?;
        to.process_new_packets().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// xorshift64*: enough for shuffling and filler bytes (not for secrets).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn nonzero_byte(&mut self) -> u8 {
        loop {
            let b = self.next().to_le_bytes()[0];
            if b != 0 {
                return b;
            }
        }
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }
}

/// EM for `class` (index into [`CLASSES`]), `k` bytes.
fn encoded_message(class: usize, k: usize, rng: &mut Rng) -> Vec<u8> {
    let m_len = if class == 4 { 47 } else { 48 };
    let mut em = vec![0u8; k];
    em[1] = 2;
    for b in &mut em[2..] {
        *b = rng.nonzero_byte();
    }
    let sep = k - m_len - 1;
    match class {
        // 00 02 PS 00 03 03 ‖ 46 random bytes.
        0 | 4 => {
            em[sep] = 0;
            em[sep + 1] = 3;
            em[sep + 2] = 3;
        }
        1 => {
            em[1] = 1;
            em[sep] = 0;
            em[sep + 1] = 3;
            em[sep + 2] = 3;
        }
        // PS runs to the end: no separator.
        2 => {}
        3 => {
            em[sep] = 0;
            em[sep + 1] = 3;
            em[sep + 2] = 2;
        }
        _ => {}
    }
    em
}

/// Times `per_class` samples of each class.
///
/// # Errors
/// If the handshake setup fails (not a timing finding).
pub fn measure(per_class: usize) -> Result<Report, String> {
    let rig = Rig::new()?;
    let k = usize::try_from(rig.rsa.size()).map_err(|e| e.to_string())?;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::from(d.subsec_nanos()) | 1);
    let mut rng = Rng(seed);
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(per_class); CLASSES.len()];
    // Warm-up: one round not recorded.
    for round in 0..=per_class {
        let mut order: Vec<usize> = (0..CLASSES.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for class in order {
            let record = rig.cke_record(&encoded_message(class, k, &mut rng))?;
            let mut server = rig.server_at_cke()?;
            let start = Instant::now();
            server.push_tls(&record);
            let r = server.process_new_packets();
            let elapsed = start.elapsed();
            // RFC 5246 §7.4.7.1: every class must be accepted here (failure comes only at the
            // client's Finished); an error would itself be an oracle.
            r.map_err(|e| {
                format!(
                    "class {:?} was refused at ClientKeyExchange: {e}",
                    CLASSES[class]
                )
            })?;
            if round > 0 {
                #[allow(clippy::cast_precision_loss)]
                times[class].push(elapsed.as_nanos() as f64);
            }
        }
    }
    let (kruskal_h, kruskal_p) = kruskal_wallis(&times);
    let mann_whitney = (1..CLASSES.len())
        .map(|c| {
            let (z, p) = mann_whitney(&times[0], &times[c]);
            (CLASSES[c], z, p)
        })
        .collect();
    Ok(Report {
        classes: CLASSES
            .iter()
            .zip(times)
            .map(|(name, ns)| ClassTimes { name, ns })
            .collect(),
        kruskal_h,
        kruskal_p,
        mann_whitney,
    })
}

/// Ranks of all values pooled (1-based, ties get their average rank), and Σ(t³ − t) over tie
/// groups for the tie correction.
fn pooled_ranks(groups: &[&[f64]]) -> (Vec<Vec<f64>>, f64) {
    let mut all: Vec<(f64, usize, usize)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, v)| v.iter().enumerate().map(move |(i, x)| (*x, g, i)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut ranks: Vec<Vec<f64>> = groups.iter().map(|v| vec![0.0; v.len()]).collect();
    let mut ties = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss)]
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for item in &all[i..=j] {
            ranks[item.1][item.2] = avg;
        }
        #[allow(clippy::cast_precision_loss)]
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    (ranks, ties)
}

/// Kruskal–Wallis H (tie-corrected) and its p-value from χ² with k − 1 degrees of freedom.
#[must_use]
pub fn kruskal_wallis(groups: &[Vec<f64>]) -> (f64, f64) {
    let refs: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
    let (ranks, ties) = pooled_ranks(&refs);
    #[allow(clippy::cast_precision_loss)]
    let n = groups.iter().map(Vec::len).sum::<usize>() as f64;
    #[allow(clippy::cast_precision_loss)]
    let sum: f64 = ranks
        .iter()
        .map(|r| {
            let s: f64 = r.iter().sum();
            s * s / r.len() as f64
        })
        .sum();
    let mut h = 12.0 / (n * (n + 1.0)) * sum - 3.0 * (n + 1.0);
    let correction = 1.0 - ties / (n * n * n - n);
    if correction > 0.0 {
        h /= correction;
    }
    let df = groups.len().saturating_sub(1);
    (h, chi2_sf(h, df))
}

/// Mann–Whitney U as a normal z (tie-corrected variance) and its two-sided p-value.
#[must_use]
pub fn mann_whitney(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (ranks, ties) = pooled_ranks(&[a, b]);
    #[allow(clippy::cast_precision_loss)]
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let r1: f64 = ranks[0].iter().sum();
    let u = r1 - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    let z = (u - n1 * n2 / 2.0) / var.sqrt();
    (z, erfc(z.abs() / std::f64::consts::SQRT_2))
}

/// χ² survival function for even degrees of freedom (closed form:
/// e^(−x/2) Σ_{i<df/2} (x/2)^i / i!), and via the Wilson–Hilferty normal approximation for odd.
fn chi2_sf(x: f64, df: usize) -> f64 {
    if df == 0 {
        return 1.0;
    }
    if df % 2 == 0 {
        let half = x / 2.0;
        let mut term = 1.0;
        let mut sum = 1.0;
        for i in 1..df / 2 {
            #[allow(clippy::cast_precision_loss)]
            let fi = i as f64;
            term *= half / fi;
            sum += term;
        }
        return ((-half).exp() * sum).min(1.0);
    }
    #[allow(clippy::cast_precision_loss)]
    let k = df as f64;
    let z = ((x / k).cbrt() - (1.0 - 2.0 / (9.0 * k))) / (2.0 / (9.0 * k)).sqrt();
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes `erfcc`, fractional error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}

/// Prints the report.
pub fn print(r: &Report) {
    println!();
    println!(
        "RSA ClientKeyExchange handling time by PKCS#1 v1.5 plaintext class (server, TLS 1.2,"
    );
    println!(
        "TLS_RSA_WITH_AES_128_GCM_SHA256, RSA-2048). {}",
        openssl::version::version()
    );
    println!();
    println!(
        "{:<28} {:>8} {:>12} {:>12}",
        "class", "samples", "median µs", "p10–p90 µs"
    );
    for c in &r.classes {
        let mut s = c.ns.clone();
        s.sort_by(f64::total_cmp);
        let q = |f: f64| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let i = ((s.len() as f64 - 1.0) * f) as usize;
            s.get(i).copied().unwrap_or(0.0) / 1000.0
        };
        println!(
            "{:<28} {:>8} {:>12.2} {:>6.1}–{:<6.1}",
            c.name,
            c.ns.len(),
            median(&c.ns) / 1000.0,
            q(0.1),
            q(0.9)
        );
    }
    println!();
    println!(
        "Kruskal–Wallis over all {} classes: H = {:.3}, p = {:.4} (χ², {} df)",
        r.classes.len(),
        r.kruskal_h,
        r.kruskal_p,
        r.classes.len() - 1
    );
    for (name, z, p) in &r.mann_whitney {
        println!("Mann–Whitney valid vs {name:<26}: z = {z:+.3}, p = {p:.4}");
    }
    println!();
    println!("A p-value below 0.01 means the timing distributions of those classes differ");
    println!("(a possible padding oracle); above it, no difference was detected at this");
    println!("sample size (which bounds, but does not exclude, a smaller leak).");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_tests_separate_shifted_samples_and_not_equal_ones() {
        let a: Vec<f64> = (0..200).map(f64::from).collect();
        let b: Vec<f64> = (0..200).map(|i| f64::from(i) + 100.0).collect();
        let (z, p) = mann_whitney(&a, &b);
        assert!(z < -5.0 && p < 1e-6, "z={z} p={p}");
        let (z, p) = mann_whitney(&a, &a.clone());
        assert!(z.abs() < 1e-9 && p > 0.99, "z={z} p={p}");
        let (h, p) = kruskal_wallis(&[a.clone(), a.clone(), a]);
        assert!(h.abs() < 1e-9 && p > 0.99, "h={h} p={p}");
        // χ² with 4 df: the 5% critical value is 9.488.
        assert!((chi2_sf(9.488, 4) - 0.05).abs() < 1e-3);
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.959_964 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-5);
    }

    #[test]
    fn every_class_is_accepted_at_client_key_exchange() {
        let r = measure(2).unwrap();
        assert_eq!(r.classes.len(), CLASSES.len());
        assert!(r.classes.iter().all(|c| c.ns.len() == 2));
    }
}
