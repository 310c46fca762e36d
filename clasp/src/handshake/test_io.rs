//! In-memory plumbing shared by the handshake's unit tests (`*_tests.rs`): moving TLS bytes
//! between two connections without a socket, and the usual test configs.

use clasp_testkit::{KeyType, TestPki};

use crate::config::{ClientConfig, ClientConfigBuilder, ServerConfig, ServerConfigBuilder};
use crate::conn::ConnectionCommon;
use crate::error::Error;
use crate::verify::RootCertStore;

/// Everything `conn` has to send, taken out of it.
pub(crate) fn take(conn: &mut ConnectionCommon) -> Vec<u8> {
    let out = conn.pending_tls().to_vec();
    conn.consume_tls(out.len());
    out
}

/// Gives `data` to `conn`, processing records as they fit; the first error stops it.
pub(crate) fn give(conn: &mut ConnectionCommon, mut data: &[u8]) -> Result<(), Error> {
    while !data.is_empty() {
        let n = conn.push_tls(data);
        data = &data[n..];
        conn.process_new_packets()?;
    }
    Ok(())
}

/// [`give`], then one more processing pass, so an error already recorded (or an empty `data`)
/// is reported too.
pub(crate) fn give_processed(conn: &mut ConnectionCommon, data: &[u8]) -> Result<(), Error> {
    give(conn, data)?;
    conn.process_new_packets().map(|_| ())
}

/// A client trusting the shared test CA.
pub(crate) fn client_builder() -> ClientConfigBuilder {
    let mut roots = RootCertStore::empty();
    roots.add(&TestPki::shared().ca_cert()).unwrap();
    ClientConfig::builder().with_root_certificates(roots)
}

/// A server with the shared test PKI's ECDSA P-256 certificate.
pub(crate) fn server_builder() -> ServerConfigBuilder {
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    ServerConfig::builder().with_single_cert(id.cert_chain(), id.private_key())
}
