//! `clasp-bench cert-compression`: what certificate compression (RFC 8879) buys and costs with a
//! 3-certificate RSA chain (RSA-2048 root → intermediate → leaf, the server sending leaf and
//! intermediate): the bytes of the server's first flight and the time of a full clasp ↔ clasp
//! TLS 1.3 handshake, uncompressed and with each algorithm. clasp only: rustls in this bench is
//! built without its compression features.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clasp::msgs::enums::{CertificateCompressionAlgorithm as Alg, NamedGroup, ProtocolVersion};
use clasp::verify::RootCertStore;
use clasp::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A 3-certificate RSA-2048 PKI: root, intermediate, leaf for "localhost".
struct RsaChain {
    root: CertificateDer<'static>,
    /// Leaf, then intermediate.
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn rsa_key() -> Result<rcgen::KeyPair, String> {
    rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(|e| format!("RSA key: {e}"))
}

fn ca_params(name: &str) -> Result<rcgen::CertificateParams, String> {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "clasp-bench");
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    Ok(p)
}

fn rsa_chain() -> Result<RsaChain, String> {
    let root_key = rsa_key()?;
    let root = ca_params("clasp-bench RSA root")?
        .self_signed(&root_key)
        .map_err(|e| e.to_string())?;
    let mid_key = rsa_key()?;
    let mid = ca_params("clasp-bench RSA intermediate")?
        .signed_by(&mid_key, &root, &root_key)
        .map_err(|e| e.to_string())?;
    let leaf_key = rsa_key()?;
    let mut lp =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| e.to_string())?;
    lp.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = lp
        .signed_by(&leaf_key, &mid, &mid_key)
        .map_err(|e| e.to_string())?;
    Ok(RsaChain {
        root: root.der().clone(),
        chain: vec![leaf.der().clone(), mid.der().clone()],
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
    })
}

/// One row: the algorithm (`None`: uncompressed), server first-flight bytes, median and best
/// handshake time.
#[derive(Debug)]
pub struct Row {
    pub algorithm: Option<Alg>,
    pub flight_bytes: usize,
    pub median: Duration,
    pub best: Duration,
}

fn configs(
    pki: &RsaChain,
    alg: Option<Alg>,
) -> Result<(Arc<ClientConfig>, Arc<ServerConfig>), String> {
    let algs: Vec<Alg> = alg.into_iter().collect();
    let mut roots = RootCertStore::empty();
    roots.add(&pki.root).map_err(|e| e.to_string())?;
    let client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_groups(&[NamedGroup::X25519])
        .with_verified_chain_cache(0)
        .without_resumption()
        .with_certificate_compression(&algs)
        .build()
        .map_err(|e| e.to_string())?;
    let server = ServerConfig::builder()
        .with_single_cert(pki.chain.clone(), PrivateKeyDer::Pkcs8(pki.key.clone_key()))
        .with_protocol_versions(&[ProtocolVersion::TLSv1_3])
        .with_groups(&[NamedGroup::X25519])
        .without_resumption()
        .with_certificate_compression(&algs)
        .build()
        .map_err(|e| e.to_string())?;
    Ok((Arc::new(client), Arc::new(server)))
}

fn out(conn: &mut clasp::ConnectionCommon) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut v).map_err(|e| e.to_string())?;
    }
    Ok(v)
}

fn give(conn: &mut clasp::ConnectionCommon, mut data: &[u8]) -> Result<(), String> {
    while !data.is_empty() {
        conn.read_tls(&mut data).map_err(|e| e.to_string())?;
        conn.process_new_packets().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One full handshake; the bytes of the server's first flight.
fn handshake(
    c: &Arc<ClientConfig>,
    s: &Arc<ServerConfig>,
    alg: Option<Alg>,
) -> Result<usize, String> {
    let mut client = ClientConnection::new(Arc::clone(c), crate::setup::server_name())
        .map_err(|e| e.to_string())?;
    let mut server = ServerConnection::new(Arc::clone(s)).map_err(|e| e.to_string())?;
    let hello = out(&mut client)?;
    give(&mut server, &hello)?;
    let flight = out(&mut server)?;
    give(&mut client, &flight)?;
    let fin = out(&mut client)?;
    give(&mut server, &fin)?;
    if client.is_handshaking() || server.is_handshaking() {
        return Err("handshake did not complete".into());
    }
    if client.negotiated().certificate_compression != alg {
        return Err(format!(
            "expected compression {alg:?}, got {:?}",
            client.negotiated().certificate_compression
        ));
    }
    Ok(flight.len())
}

/// Runs `handshakes` handshakes (after one warm-up that fills the server's compression cache)
/// for no compression and each algorithm.
///
/// # Errors
/// A setup or handshake failure.
pub fn measure(handshakes: usize) -> Result<Vec<Row>, String> {
    let pki = rsa_chain()?;
    let mut rows = Vec::new();
    for alg in [None, Some(Alg::Brotli), Some(Alg::Zstd), Some(Alg::Zlib)] {
        let (c, s) = configs(&pki, alg)?;
        let flight_bytes = handshake(&c, &s, alg)?;
        let mut times = Vec::with_capacity(handshakes);
        for _ in 0..handshakes.max(1) {
            let t = Instant::now();
            handshake(&c, &s, alg)?;
            times.push(t.elapsed());
        }
        times.sort();
        rows.push(Row {
            algorithm: alg,
            flight_bytes,
            median: times[times.len() / 2],
            best: times[0],
        });
    }
    Ok(rows)
}

/// Prints the rows as a table.
pub fn print(rows: &[Row]) {
    let base = rows.first().map_or(1, |r| r.flight_bytes).max(1);
    println!("3-certificate RSA-2048 chain (server sends leaf + intermediate), TLS 1.3, X25519");
    println!(
        "{:<14} {:>20} {:>10} {:>26}",
        "compression", "server flight bytes", "÷ none", "handshake µs median (best)"
    );
    for r in rows {
        #[allow(clippy::cast_precision_loss)]
        let ratio = r.flight_bytes as f64 / base as f64;
        println!(
            "{:<14} {:>20} {:>10.2} {:>18.1} ({:.1})",
            r.algorithm
                .map_or_else(|| "none".to_string(), |a| a.to_string()),
            r.flight_bytes,
            ratio,
            r.median.as_secs_f64() * 1e6,
            r.best.as_secs_f64() * 1e6
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row completes with the algorithm it names, and each compressed flight is smaller.
    #[test]
    fn compression_rows_run_and_shrink_the_flight() {
        let rows = measure(1).unwrap();
        assert_eq!(rows.len(), 4);
        let none = rows[0].flight_bytes;
        for r in &rows[1..] {
            assert!(r.flight_bytes < none, "{r:?} vs {none}");
        }
    }
}
