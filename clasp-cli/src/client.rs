//! `clasp client HOST[:PORT]`: connect, show what was negotiated, then pipe stdin/stdout.

use std::fmt;
use std::io::{self, IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clasp::crypto::aws_lc::SHA256;
use clasp::crypto::Hash as _;
use clasp::msgs::enums::{NamedGroup, ProtocolVersion, SignatureScheme};
use clasp::suites::KeyExchange;
use clasp::verify::{
    HandshakeSignatureValid, RootCertStore, ServerCertVerified, ServerCertVerifier,
    WebPkiServerVerifier,
};
use clasp::{ClientConfig, ClientConnection, Error, Stream};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::escape::printable;
use crate::exit;
use crate::i18n::Lang;
use crate::knobs::{self, NameList};
use crate::ladder::{self, Entry, Peer, Recorder, Style};
use crate::{local, ocsp, out, x509};

const CLIENT_HELP: &str = "\
Examples:
  clasp client example.com                         connect to example.com:443, show the summary
  printf 'GET / HTTP/1.1\\r\\nHost: example.com\\r\\nConnection: close\\r\\n\\r\\n' | clasp client example.com
  clasp client localhost:8443 --ca ca.pem          trust only ca.pem
  clasp client 127.0.0.1:8443 --servername localhost --ca ca.pem
  clasp client example.com --alpn h2,http/1.1 --trace
  clasp client mtls.example:443 --cert me.pem --key me.key
  clasp client example.com --resume                connect twice; the second connection resumes
  clasp client example.com --showcerts </dev/null  print the server's chain as PEM on stdout
  clasp client [::1]:8443 --ca ca.pem --servername localhost       IPv6, in brackets
  clasp client 127.0.0.1:4433 --tls12 --allow-dhe  also offer the RFC 7919 DHE groups
  clasp client host --groups ffdhe2048 --tls13     TLS 1.3 with finite-field DH only
  clasp client host --suites TLS_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384

openssl s_client spellings are accepted too: -connect HOST:PORT, -servername, -alpn, -showcerts,
-CAfile (--ca), -cert, -key, -keylogfile/--keylogfile (--keylog), -tls1_2, -tls1_3, -ign_eof,
-groups/-curves, -ciphersuites (--suites), -sigalgs, -noservername (--no-sni).

The summary and any --trace ladder go to stderr; only the peer's data goes to stdout. Text the
server chose (certificate names, ALPN) is printed with control characters escaped (\x1b). The
summary lists the certificate path that was verified; certificates the server sent beyond it are
listed after it, marked as unverified. After the
handshake, stdin is sent to the server and the server's data is written to stdout. When stdin
ends (e.g. `</dev/null`), the client sends close_notify, keeps reading what the server still
sends for --wait seconds (2 by default), and exits 0, whether or not the server answered with
its own close_notify in that time; with --ign-eof it keeps reading until the server closes, like
s_client's -ign_eof. A server that closes without close_notify is reported as a possible
truncation (exit 5). If stdout is closed (`| head -1`), the client sends close_notify and exits 0.

OCSP stapling: the client asks for a stapled OCSP response (RFC 6066 §8 status_request, as
browsers do). If the server staples one, the summary shows the certificate's status (good, revoked,
unknown), producedAt, thisUpdate and nextUpdate, whether it is current, whether it is signed by the
certificate's issuer (found in the verified path, the chain the server sent, or --ca) or by a
responder the issuer delegated to, and a verdict: VALID, or INVALID with the reasons (a forged
signature, another certificate's serial, revoked, expired). The verdict is shown, not enforced: the
connection goes on either way. --json also prints the summary, the OCSP reading included, as one
JSON object on stdout before any data from the server.

When the certificate is refused, the certificates the server sent are listed (subject, issuer,
validity, names, key, SHA-256 fingerprint) before the reason, so you see what was received.
--showcerts also prints them as PEM on stdout, before any data from the server.

Algorithms: --groups, --suites and --sigalgs take comma-separated IANA names (an unknown name is a
usage error that lists the valid ones). --allow-dhe adds the RFC 7919 groups ffdhe2048/3072/4096
to the offer (TLS 1.3 key exchange, and the hint a TLS 1.2 DHE server needs); --allow-rsa-kx
offers the TLS 1.2 RSA key exchange suites (no forward secrecy); --require-ems refuses a TLS 1.2
server that does not negotiate the extended master secret (RFC 7627).

With --resume the client connects twice with one configuration (and so one session cache). The
first connection sends nothing: after the handshake it reads for up to 2 seconds, until a TLS 1.3
NewSessionTicket arrives (servers send tickets after the handshake, so a client that closed at
once would have none), discards any application data, and closes with close_notify. The second
connection offers the ticket, prints `resumed: yes (TLS 1.3 PSK)` or `resumed: no (...)`, and is
the one that pipes stdin/stdout. A server that sends no ticket or refuses it gives `resumed: no`
and the run goes on (exit 0). Over TLS 1.2 (tickets arrive inside the handshake, so nothing is
waited for) the second connection resumes by RFC 5077 ticket or session ID: `resumed: yes (TLS 1.2
abbreviated handshake)`. Should the TLS 1.2 ClientHello offer nothing to resume, the client says
that TLS 1.2 resumption is not available and exits 2.

Key logging: with --keylog FILE, or when the SSLKEYLOGFILE environment variable names a file (as
curl does), the TLS secrets are appended to that file (created owner-only) in the NSS key log
format, for Wireshark; a warning naming the file is printed whenever this is on.

Timeouts: the name lookup and the TCP connection must be done within --connect-timeout seconds,
and the TLS handshake must complete within --handshake-timeout seconds after that (10 each by
default; fractions such as 0.5 are allowed). A server that answers slowly, or drips its handshake a byte
at a time, is given up on with exit code 6. After the handshake there is no timeout: the client
pipes data for as long as both sides keep the connection open.

Exit codes:
  0  success
  2  usage error (bad flags, unreadable or unusable --ca/--cert/--key/--keylog files, invalid
     host name or port, unknown --groups/--suites/--sigalgs names, a TLS 1.3-only group or
     suite with --tls12; --resume where TLS 1.2 resumption is not available)
  3  connection failure (TCP refused, DNS lookup failed)
  4  certificate verification failure (wrong hostname, expired, unknown CA)
  5  TLS protocol failure (e.g. a handshake_failure alert, or no close_notify)
  6  timeout (--connect-timeout or --handshake-timeout)";

/// `clasp client` flags.
#[derive(clap::Args, Debug)]
#[command(after_help = CLIENT_HELP)]
pub struct Args {
    /// Server to connect to: HOST or HOST:PORT (default port 443), e.g. `example.com:443`.
    pub target: String,
    /// Trust only the CA certificates in this PEM file instead of the system trust store
    /// (e.g. `--ca ca.pem`).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<String>,
    /// Name to send in SNI and to verify the certificate against, instead of HOST
    /// (e.g. `clasp client 127.0.0.1:8443 --servername localhost`).
    #[arg(long, value_name = "NAME")]
    pub servername: Option<String>,
    /// ALPN protocols to offer, comma-separated, in preference order (e.g. `--alpn h2,http/1.1`).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub alpn: Vec<String>,
    /// Client certificate chain (PEM) for mutual TLS; needs --key (e.g. `--cert me.pem`).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<String>,
    /// Private key (PEM, PKCS#8/PKCS#1/SEC1) for --cert (e.g. `--key me.key`).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<String>,
    /// Offer only TLS 1.2 (e.g. `clasp client example.com --tls12`).
    #[arg(long, conflicts_with = "tls13")]
    pub tls12: bool,
    /// Offer only TLS 1.3 (e.g. `clasp client example.com --tls13`).
    #[arg(long)]
    pub tls13: bool,
    /// Print the handshake as a ladder diagram on stderr (e.g. `clasp client example.com --trace`).
    #[arg(long)]
    pub trace: bool,
    /// Connect twice and resume the first session on the second connection; only the second
    /// connection carries stdin/stdout (e.g. `clasp client example.com --resume`; see below).
    #[arg(long)]
    pub resume: bool,
    /// Language of the --trace explanations: en or ru (default: from LC_ALL / LANG).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Append the TLS secrets to FILE in the NSS key log format, for Wireshark (the
    /// SSLKEYLOGFILE environment variable does the same; a warning is printed).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Give up (exit 6) when the TCP connection, name lookup included, is not established
    /// within SECS seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub connect_timeout: Duration,
    /// Give up (exit 6) when the TLS handshake has not completed SECS seconds after the TCP
    /// connection was established.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub handshake_timeout: Duration,
    /// After stdin ends: send close_notify, then read what still arrives for SECS seconds
    /// before exiting (e.g. `--wait 0.5`).
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = parse_secs)]
    pub wait: Duration,
    /// At stdin EOF keep reading until the server closes (s_client's -ign_eof).
    #[arg(long)]
    pub ign_eof: bool,
    /// Print the certificates the server sent as PEM on stdout (s_client's -showcerts).
    #[arg(long)]
    pub showcerts: bool,
    /// Key-exchange groups to offer, in preference order, as IANA names
    /// (e.g. `--groups x25519,secp256r1` or `--groups ffdhe2048`).
    #[arg(long, value_name = "LIST", value_parser = knobs::parse_list)]
    pub groups: Option<NameList>,
    /// Cipher suites to offer, in preference order, as IANA names (e.g.
    /// `--suites TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`).
    #[arg(long, value_name = "LIST", value_parser = knobs::parse_list)]
    pub suites: Option<NameList>,
    /// Signature schemes to offer, as IANA names (e.g. `--sigalgs ecdsa_secp256r1_sha256`).
    #[arg(long, value_name = "LIST", value_parser = knobs::parse_list)]
    pub sigalgs: Option<NameList>,
    /// Also offer the TLS 1.2 DHE suites and the RFC 7919 finite-field groups
    /// (ffdhe2048/3072/4096): TLS 1.3 FFDHE and the hint a TLS 1.2 DHE server needs.
    #[arg(long)]
    pub allow_dhe: bool,
    /// Offer the TLS 1.2 RSA key exchange suites (no forward secrecy; off by default).
    #[arg(long)]
    pub allow_rsa_kx: bool,
    /// TLS 1.2: refuse a server that does not negotiate the extended master secret (RFC 7627).
    #[arg(long)]
    pub require_ems: bool,
    /// Send no server_name (SNI) extension; the certificate is still checked against HOST
    /// (or --servername).
    #[arg(long)]
    pub no_sni: bool,
    /// External PSK (TLS 1.3): when the server accepts it, it is the server's authentication
    /// and no certificate is sent; otherwise the certificate is verified as usual.
    #[command(flatten)]
    pub psk: knobs::PskArgs,
    /// Also print the summary as one JSON object on stdout, before any data from the server
    /// (what was negotiated and the stapled OCSP response, if any).
    #[arg(long)]
    pub json: bool,
}

/// The certificate verifier with `signature_algorithms` restricted to `--sigalgs`.
#[derive(Debug)]
struct OnlySchemes {
    inner: WebPkiServerVerifier,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for OnlySchemes {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner
            .verify_tls12_signature(message, cert, scheme, sig)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        sig: &[u8],
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner
            .verify_tls13_signature(message, cert, scheme, sig)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // The user's order; the library refuses a server signature outside this list
        // (RFC 8446 §4.2.3).
        self.schemes.clone()
    }
}

/// A timeout flag: a positive number of seconds, at most a day (fractions allowed).
fn parse_secs(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!(
            "'{}' is not a number of seconds between 0 and 86400 (e.g. 10 or 0.5)",
            printable(s)
        )),
    }
}

/// Splits HOST[:PORT] (IPv6 as [addr]:port), defaulting the port to 443.
///
/// # Errors
/// A message saying what is wrong with the port or the brackets.
fn split_target(t: &str) -> Result<(String, u16), String> {
    if let Some(rest) = t.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!(
                "'{}': an IPv6 address in brackets needs its closing ']' (e.g. [::1]:8443)",
                printable(t)
            ));
        };
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => 443,
            None => {
                return Err(format!(
                    "'{}': expected ':PORT' after ']' (e.g. [::1]:8443)",
                    printable(t)
                ))
            }
        };
        return Ok((host.to_string(), port));
    }
    match t.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((h.to_string(), parse_port(p)?)),
        Some(_) => Ok((t.to_string(), 443)), // a bare IPv6 address
        None => Ok((t.to_string(), 443)),
    }
}

/// A port to connect to: 1 to 65535.
fn parse_port(p: &str) -> Result<u16, String> {
    match p.parse::<u64>() {
        Ok(n) => match u16::try_from(n) {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(format!(
                "port {n} is out of range; a port is a number from 1 to 65535"
            )),
        },
        Err(_) => Err(format!(
            "'{}' is not a port number; give HOST or HOST:PORT with PORT from 1 to 65535 \
             (e.g. example.com:443)",
            printable(p)
        )),
    }
}

fn usage(msg: &str) -> u8 {
    eprintln!("clasp client: {msg}");
    exit::USAGE
}

/// The socket under the TLS stream gave up: the handshake deadline passed.
#[derive(Debug)]
struct DeadlinePassed;

impl fmt::Display for DeadlinePassed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the handshake deadline passed")
    }
}

impl std::error::Error for DeadlinePassed {}

/// Maps a handshake/transfer error to an exit code and a plain-English line. The error text is
/// escaped: a certificate's names in it come from the server.
fn report(e: &io::Error) -> u8 {
    let (code, line) = match e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        Some(Error::InvalidCertificate(c)) => (
            exit::CERTIFICATE,
            format!("certificate verification failed: {c}"),
        ),
        Some(Error::AlertReceived(a)) => (
            exit::PROTOCOL,
            format!("the server refused the connection: it sent the {a} alert"),
        ),
        Some(other) => (exit::PROTOCOL, format!("TLS failure: {other}")),
        None => (exit::CONNECT, format!("connection failed: {e}")),
    };
    eprintln!("clasp client: {}", printable(&line));
    code
}

fn build_config(args: &Args) -> Result<ClientConfig, u8> {
    let mut b = ClientConfig::builder();
    let roots = match &args.ca {
        Some(path) => local::load_roots("--ca", Path::new(path)).map_err(|m| usage(&m))?,
        None => RootCertStore::with_native_roots().map_err(|e| {
            usage(&format!(
                "cannot load the system trust store: {e}; give --ca FILE"
            ))
        })?,
    };
    b = match &args.sigalgs {
        Some(list) => {
            let schemes = knobs::sigalgs(list).map_err(|m| usage(&m))?;
            let provider = clasp::crypto::aws_lc::default_provider();
            b.with_verifier(Arc::new(OnlySchemes {
                inner: WebPkiServerVerifier::new(Arc::new(roots), &provider),
                schemes,
            }))
        }
        None => b.with_root_certificates(roots),
    };
    let groups = match &args.groups {
        Some(list) => Some(knobs::groups(list, args.tls12).map_err(|m| usage(&m))?),
        None if args.allow_dhe => {
            // RFC 7919 §4: listing FFDHE groups in supported_groups is how a client asks a
            // TLS 1.2 server for DHE with a known group (and offers FFDHE in TLS 1.3).
            let mut g = clasp::config::DEFAULT_GROUPS.to_vec();
            g.extend([
                NamedGroup::FFDHE2048,
                NamedGroup::FFDHE3072,
                NamedGroup::FFDHE4096,
            ]);
            Some(g)
        }
        None => None,
    };
    if let Some(g) = &groups {
        b = b.with_groups(g);
    }
    // The TLS 1.2 DHE suites are off by default in the library, on the client as on the server.
    b = b.allow_dhe(args.allow_dhe);
    if let Some(list) = &args.suites {
        let suites = knobs::suites(list, args.tls12, args.tls13).map_err(|m| usage(&m))?;
        if let (Some(s), false) = (knobs::needs(&suites, KeyExchange::Rsa), args.allow_rsa_kx) {
            return Err(usage(&format!(
                "--suites: {s} uses RSA key exchange; add --allow-rsa-kx"
            )));
        }
        b = b.with_cipher_suites(&suites);
    }
    b = b.allow_rsa_key_exchange(args.allow_rsa_kx);
    if args.require_ems {
        b = b.require_ems();
    }
    if args.no_sni {
        b = b.without_sni();
    }
    if args.tls12 {
        b = b.with_protocol_versions(&[ProtocolVersion::TLSv1_2]);
    } else if args.tls13 {
        b = b.with_protocol_versions(&[ProtocolVersion::TLSv1_3]);
    }
    if !args.alpn.is_empty() {
        // RFC 7301 §3.1: ProtocolName<1..2^8-1>.
        if let Some(bad) = args.alpn.iter().find(|a| a.is_empty() || a.len() > 255) {
            return Err(usage(&format!(
                "--alpn: '{}' is not a protocol name (1 to 255 bytes each, comma-separated, \
                 e.g. --alpn h2,http/1.1)",
                printable(bad)
            )));
        }
        b = b.with_alpn_protocols(args.alpn.iter().map(|a| a.as_bytes().to_vec()).collect());
    }
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let provider = clasp::crypto::aws_lc::default_provider();
        let (chain, key) = local::load_identity(
            ("--cert", Path::new(cert)),
            ("--key", Path::new(key)),
            &provider,
        )
        .map_err(|m| usage(&m))?;
        b = b.with_client_auth_cert(chain, key);
    }
    if let Some(k) =
        local::key_log("clasp client", args.keylog.as_deref()).map_err(|m| usage(&m))?
    {
        b = b.with_key_log(k);
    }
    if let Some(psk) = args.psk.external_psk().map_err(|m| usage(&m))? {
        if args.tls12 {
            return Err(usage(
                "--psk-identity: external PSKs are TLS 1.3 only; drop --tls12",
            ));
        }
        b = b
            .with_external_psk(psk)
            .with_psk_key_exchange_modes(&args.psk.modes());
    }
    b.build()
        .map_err(|e| usage(&format!("invalid configuration: {e}")))
}

/// One certificate of the summary; every name in it is the server's, so it is escaped.
fn print_cert(tag: &str, der: &[u8], st: Style) {
    match x509::summarize(der) {
        Some(s) => {
            eprintln!("  {tag} subject: {}", st.cyan(&printable(&s.subject)));
            let pad = " ".repeat(tag.chars().count());
            eprintln!("  {pad} issuer:  {}", printable(&s.issuer));
            eprintln!(
                "  {pad} valid:   {} .. {}",
                printable(&s.not_before),
                printable(&s.not_after)
            );
            eprintln!("  {pad} key:     {}", printable(&s.key));
            if !s.sans.is_empty() {
                eprintln!("  {pad} names:   {}", printable(&s.sans.join(", ")));
            }
            eprintln!("  {pad} sha256:  {}", fingerprint(der));
        }
        None => eprintln!(
            "  {tag} (unparsed, {} bytes) sha256: {}",
            der.len(),
            fingerprint(der)
        ),
    }
}

/// The SHA-256 fingerprint of a certificate, as `openssl x509 -fingerprint -sha256` prints it.
fn fingerprint(der: &[u8]) -> String {
    SHA256
        .hash(der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `--showcerts`: the certificates as PEM on stdout (RFC 7468 §5 "CERTIFICATE" blocks).
fn print_pem(certs: &[Vec<u8>]) {
    for der in certs {
        let block = pem::Pem::new("CERTIFICATE", der.clone());
        let text = pem::encode_config(
            &block,
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        );
        out::write_all(text.as_bytes());
    }
}

/// HOST:PORT for messages, with an IPv6 address in brackets (`[::1]:443`).
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{}]:{port}", printable(host))
    } else {
        format!("{}:{port}", printable(host))
    }
}

/// The certificates the server sent (`received`) that are not in the verified path, in the
/// order sent. Each one is compared with each verified certificate: the path is a handful of
/// certificates and the received list is capped by the library's handshake size limit.
fn unverified_extras<'a>(
    received: &'a [Vec<u8>],
    verified: &[rustls_pki_types::CertificateDer<'_>],
) -> Vec<&'a [u8]> {
    received
        .iter()
        .filter(|r| !verified.iter().any(|v| v.as_ref() == r.as_slice()))
        .map(Vec::as_slice)
        .collect()
}

/// Prints what was negotiated and the server's certificates: first the path the library verified
/// (`peer_certificates()`), then, marked unverified, anything else the server sent in its
/// Certificate message (`received`, from the trace).
fn print_summary(c: &ClientConnection, received: &[Vec<u8>], resumed: Option<&str>, st: Style) {
    let n = c.negotiated();
    for (k, v) in ladder::negotiated_fields(n) {
        let v = match resumed {
            Some(r) if k == "resumed" => r.to_string(),
            _ => v,
        };
        eprintln!("{:>18}: {}", k, st.yellow(&printable(&v)));
    }
    let verified = c.peer_certificates();
    eprintln!("{:>18}:", "peer certificates");
    if n.resumed && verified.is_empty() {
        // RFC 8446 §2.2: a PSK handshake sends no Certificate.
        eprintln!("  (none sent: the server was authenticated by the resumed session's PSK)");
    }
    if n.external_psk_identity.is_some() {
        // RFC 8446 §2.2: the external PSK is the server's authentication.
        eprintln!("  (none sent: the server proved it holds the external PSK)");
    }
    for (i, der) in verified.iter().enumerate() {
        print_cert(&format!("[{i}]"), der, st);
    }
    let extra = unverified_extras(received, verified);
    let last_issuer = verified
        .last()
        .and_then(|c| x509::summarize(c))
        .map(|s| s.issuer);
    if !extra.is_empty() {
        eprintln!(
            "{:>18}: {} more sent by the server, not part of the verified path",
            "unverified",
            extra.len()
        );
        for (i, der) in extra.iter().enumerate() {
            print_cert(&format!("[unverified {i}]"), der, st);
            // Servers often send the root their chain ends at; the verified path names it as
            // the last certificate's issuer. Say so, so a trusted root is not mistaken for junk
            // (a hint from names only: the bytes were not checked).
            let subject = x509::summarize(der).map(|s| s.subject);
            if subject.is_some() && subject == last_issuer {
                eprintln!(
                    "  {} note:    its name is the issuer of the verified path's last \
                     certificate (likely the root the path ends at, sent again)",
                    " ".repeat(format!("[unverified {i}]").chars().count())
                );
            }
        }
    }
    eprintln!("{:>18}: {}", "verified", st.green("yes"));
}

/// The stapled OCSP response read against the server's certificates; `None` when there is none.
/// The issuer is looked for among the verified path, what the server sent and the --ca file.
fn ocsp_report(
    c: &ClientConnection,
    received: &[Vec<u8>],
    ca: Option<&str>,
) -> Option<ocsp::Report> {
    let response = c.ocsp_response()?;
    let path = c.peer_certificates();
    let leaf = path.first()?;
    let mut candidates: Vec<CertificateDer<'static>> = path.iter().skip(1).cloned().collect();
    candidates.extend(received.iter().map(|d| CertificateDer::from(d.clone())));
    if let Some(ca) = ca.and_then(|p| std::fs::read(p).ok()) {
        candidates.extend(
            pem::parse_many(ca)
                .unwrap_or_default()
                .into_iter()
                .filter(|p| p.tag() == "CERTIFICATE")
                .map(|p| CertificateDer::from(p.into_contents())),
        );
    }
    Some(ocsp::examine(
        response,
        leaf,
        &candidates,
        UnixTime::now(),
        &clasp::crypto::aws_lc::default_provider(),
    ))
}

/// The OCSP lines of the summary.
fn print_ocsp(c: &ClientConnection, report: Option<&ocsp::Report>, st: Style) {
    let Some(r) = report else {
        let why = if c.negotiated().resumed {
            "none (none was stapled when this session was made)"
        } else {
            "none stapled"
        };
        eprintln!("{:>18}: {why}", "ocsp");
        return;
    };
    for (k, v) in r.lines() {
        let v = printable(&v);
        let v = if k != "ocsp response" {
            st.yellow(&v)
        } else if r.valid() {
            st.green(&v)
        } else {
            st.yellow(&v)
        };
        eprintln!("{k:>18}: {v}");
    }
}

/// `--json`: the summary as one JSON object.
fn summary_json(c: &ClientConnection, report: Option<&ocsp::Report>) -> String {
    const BOOLEANS: [&str; 4] = [
        "resumed",
        "hello_retry",
        "early_data_accepted",
        "ocsp_stapled",
    ];
    let fields: Vec<String> = ladder::negotiated_fields(c.negotiated())
        .into_iter()
        .map(|(k, v)| {
            let v = if BOOLEANS.contains(&k) && (v == "true" || v == "false") {
                v
            } else {
                ladder::json_str(&v)
            };
            format!("{}:{v}", ladder::json_str(k))
        })
        .collect();
    format!(
        "{{\"negotiated\":{{{}}},\"peer_certificates\":{},\"ocsp\":{}}}\n",
        fields.join(","),
        c.peer_certificates().len(),
        report.map_or_else(|| "null".to_string(), ocsp::Report::json)
    )
}

/// The TCP socket under the TLS stream, with an optional deadline: while the handshake runs,
/// each read and write may wait only for the time left, so a server that drips its handshake
/// a byte at a time cannot stretch it past `--handshake-timeout`.
#[derive(Debug)]
struct Sock {
    tcp: TcpStream,
    deadline: Option<Instant>,
}

impl Sock {
    /// The time left before the deadline (`None`: no deadline), or the deadline error.
    fn left(&self) -> io::Result<Option<Duration>> {
        let Some(d) = self.deadline else {
            return Ok(None);
        };
        let left = d.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, DeadlinePassed));
        }
        Ok(Some(left))
    }

    /// A socket timeout while a deadline is set is the deadline passing.
    fn timed_out(&self, e: io::Error) -> io::Error {
        if self.deadline.is_some()
            && matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            )
        {
            io::Error::new(io::ErrorKind::TimedOut, DeadlinePassed)
        } else {
            e
        }
    }
}

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(left) = self.left()? {
            self.tcp.set_read_timeout(Some(left))?;
        }
        self.tcp.read(buf).map_err(|e| self.timed_out(e))
    }
}

impl Write for Sock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(left) = self.left()? {
            self.tcp.set_write_timeout(Some(left))?;
        }
        self.tcp.write(buf).map_err(|e| self.timed_out(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Connects to the first address of `host:port` that answers; the name lookup and the TCP
/// connects together get `timeout`.
fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, u8> {
    let shown = printable(host);
    let deadline = Instant::now() + timeout;
    // The system resolver has no timeout of its own: ask it on a thread and stop waiting at
    // the deadline (the thread ends with the process).
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(
            (name.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<SocketAddr>>),
        );
    });
    let addrs = match rx.recv_timeout(timeout) {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            eprintln!("clasp client: cannot resolve {shown}: {e}");
            return Err(exit::CONNECT);
        }
        Err(_) => {
            eprintln!(
                "clasp client: cannot resolve {shown}: no answer within {} s (--connect-timeout)",
                secs(timeout)
            );
            return Err(exit::TIMEOUT);
        }
    };
    let mut last = None;
    for addr in &addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e) if e.kind() != io::ErrorKind::TimedOut && e.kind() != io::ErrorKind::WouldBlock => {
            eprintln!(
                "clasp client: cannot connect to {}: {e}",
                host_port(host, port)
            );
            Err(exit::CONNECT)
        }
        None if addrs.is_empty() => {
            eprintln!("clasp client: {shown} has no address");
            Err(exit::CONNECT)
        }
        _ => {
            eprintln!(
                "clasp client: cannot connect to {}: no answer within {} s \
                 (--connect-timeout)",
                host_port(host, port),
                secs(timeout)
            );
            Err(exit::TIMEOUT)
        }
    }
}

/// A duration as seconds for messages: "10", "0.5".
fn secs(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Where and how to connect (shared by both connections of `--resume`).
struct Dial<'a> {
    config: &'a Arc<ClientConfig>,
    host: &'a str,
    port: u16,
    name: &'a ServerName<'static>,
    trace: bool,
    lang: Lang,
    st: Style,
    connect_timeout: Duration,
    handshake_timeout: Duration,
    showcerts: bool,
}

type Tls = Stream<ClientConnection, Sock>;

impl Dial<'_> {
    /// Connects over TCP and completes the handshake (printing the ladder with --trace), each
    /// within its timeout. The recorder always observes: `--resume` reads tickets and the
    /// offered PSK from it, and the summary the certificates the server sent.
    fn handshake(&self) -> Result<(Tls, Arc<Recorder>), u8> {
        let tcp = connect(self.host, self.port, self.connect_timeout)?;
        if let Ok(addr) = tcp.peer_addr() {
            // SocketAddr prints an IPv6 address in brackets: [::1]:443.
            eprintln!("{:>18}: {addr}", "connected to");
        }
        let rec = Recorder::new(Peer::Client);
        let observer = rec.clone() as Arc<dyn clasp::trace::Observer>;
        let conn = ClientConnection::with_observer(
            Arc::clone(self.config),
            self.name.clone(),
            Some(observer),
        )
        .map_err(|e| usage(&format!("cannot start the connection: {e}")))?;
        let sock = Sock {
            tcp,
            deadline: Some(Instant::now() + self.handshake_timeout),
        };
        let mut tls = Stream::new(conn, sock);
        let hs = tls.complete_handshake();
        if self.trace {
            // Also printed when the handshake failed; every peer-chosen string in it is escaped.
            eprint!(
                "{}",
                ladder::render_text(&rec.entries(), self.lang, self.st)
            );
        }
        if let Err(e) = hs {
            if e.get_ref()
                .and_then(|i| i.downcast_ref::<DeadlinePassed>())
                .is_some()
            {
                eprintln!(
                    "clasp client: the TLS handshake with {} did not complete within {} s \
                     (--handshake-timeout)",
                    host_port(self.host, self.port),
                    secs(self.handshake_timeout)
                );
                return Err(exit::TIMEOUT);
            }
            // Show what was received before saying why it was refused (issue 12 item 7).
            let received = rec.received_certificates();
            if !received.is_empty() {
                eprintln!(
                    "{:>18}: {} sent by the server (not verified)",
                    "received",
                    received.len()
                );
                for (i, der) in received.iter().enumerate() {
                    print_cert(&format!("[{i}]"), der, self.st);
                }
                if self.showcerts {
                    print_pem(&received);
                }
            }
            return Err(report(&e));
        }
        let sock = tls.get_mut();
        sock.deadline = None;
        let cleared = sock
            .tcp
            .set_read_timeout(None)
            .and_then(|()| sock.tcp.set_write_timeout(None));
        if let Err(e) = cleared {
            return Err(report(&e));
        }
        Ok((tls, rec))
    }
}

/// How many NewSessionTickets the recorder saw.
fn tickets_seen(rec: &Recorder) -> usize {
    rec.entries()
        .iter()
        .filter(|e| matches!(e, Entry::Step(s) if s.kind == "NewSessionTicket"))
        .count()
}

/// The first `--resume` connection: send nothing, read (discarding data) until a ticket has
/// arrived, the server closes, or 2 seconds pass; then close with close_notify. TLS 1.3 servers
/// send NewSessionTicket after the handshake (RFC 8446 §4.6.1), so it must be read before the
/// connection ends. Returns the number of tickets seen.
fn wait_for_tickets(mut tls: Tls, rec: &Recorder) -> io::Result<usize> {
    let tls12 = tls.conn().negotiated().version == Some(ProtocolVersion::TLSv1_2);
    let deadline = Instant::now() + Duration::from_secs(2);
    tls.get_mut()
        .tcp
        .set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut buf = vec![0u8; 16 * 1024];
    // TLS 1.2 tickets (RFC 5077) arrive inside the handshake: nothing to wait for.
    while !tls12 && tickets_seen(rec) == 0 && Instant::now() < deadline {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            // The server went away without close_notify: the tickets we have still count.
            Err(_) if tickets_seen(rec) > 0 => break,
            Err(e) => return Err(e),
        }
    }
    let _ = tls.send_close_notify();
    Ok(tickets_seen(rec))
}

/// Runs `clasp client`.
pub fn run(args: &Args) -> u8 {
    let lang = args.lang.unwrap_or_else(Lang::from_env);
    let (host, port) = match split_target(&args.target) {
        Ok(t) => t,
        Err(m) => return usage(&m),
    };
    let sni = args.servername.clone().unwrap_or_else(|| host.clone());
    let Ok(name) = ServerName::try_from(sni.clone()) else {
        let flag = if args.servername.is_some() {
            "--servername "
        } else {
            ""
        };
        return usage(&format!(
            "{flag}'{}' is not a valid host name: use letters, digits, '-' and '.' \
             (e.g. example.com), or an IP address",
            printable(&sni)
        ));
    };
    let config = match build_config(args) {
        Ok(c) => Arc::new(c),
        Err(code) => return code,
    };
    let err_st = Style {
        color: io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let dial = Dial {
        config: &config,
        host: &host,
        port,
        name: &name,
        trace: args.trace,
        lang,
        st: err_st,
        connect_timeout: args.connect_timeout,
        handshake_timeout: args.handshake_timeout,
        showcerts: args.showcerts,
    };
    let (mut tls, rec, resumed) = if args.resume {
        // Connection 1: a full handshake whose only job is to collect tickets.
        let (first, rec) = match dial.handshake() {
            Ok(t) => t,
            Err(code) => return code,
        };
        let tickets = match wait_for_tickets(first, &rec) {
            Ok(n) => n,
            Err(e) => return report(&e),
        };
        eprintln!(
            "{:>18}: full handshake, {tickets} session ticket(s) received",
            "connection 1"
        );
        eprintln!("{:>18}:", "connection 2");
        // Connection 2: the same config, so the same session cache.
        let (tls, rec) = match dial.handshake() {
            Ok(t) => t,
            Err(code) => return code,
        };
        let n = tls.conn().negotiated();
        let tls12 = n.version == Some(ProtocolVersion::TLSv1_2);
        let line = match (n.resumed, tls12) {
            (true, false) => "yes (TLS 1.3 PSK)".to_string(),
            (true, true) => "yes (TLS 1.2 abbreviated handshake)".to_string(),
            (false, true) if !rec.offered_resumption() => {
                print_summary(tls.conn(), &rec.received_certificates(), Some("no"), err_st);
                eprintln!(
                    "clasp client --resume: TLS 1.2 was negotiated and TLS 1.2 session resumption is \
                     not available: the ClientHello offered no session ID or ticket, so the \
                     second connection ran a full handshake"
                );
                return exit::USAGE;
            }
            (false, _) if rec.offered_resumption() => {
                "no (the server did not accept the ticket; full handshake)".to_string()
            }
            (false, _) => {
                "no (the server sent no ticket on connection 1; full handshake)".to_string()
            }
        };
        (tls, rec, Some(line))
    } else {
        match dial.handshake() {
            Ok((tls, rec)) => (tls, rec, None),
            Err(code) => return code,
        }
    };
    print_summary(
        tls.conn(),
        &rec.received_certificates(),
        resumed.as_deref(),
        err_st,
    );
    let report = ocsp_report(tls.conn(), &rec.received_certificates(), args.ca.as_deref());
    print_ocsp(tls.conn(), report.as_ref(), err_st);
    if args.json {
        out::write_all(summary_json(tls.conn(), report.as_ref()).as_bytes());
    }
    if args.showcerts {
        print_pem(&rec.received_certificates());
    }
    pipe(&mut tls, args)
}

/// After the handshake: stdin → TLS, TLS → stdout, until the server closes or stdin ends and
/// the `--wait` grace period passes (never, with `--ign-eof`).
fn pipe(tls: &mut Tls, args: &Args) -> u8 {
    // stdin → TLS on a thread; TLS → stdout here, polling with a short read timeout so stdin
    // data is forwarded while we wait for the server. The channel is bounded: a fast stdin
    // waits for the socket instead of piling up in memory.
    let (tx, rx) = mpsc::sync_channel::<Option<Vec<u8>>>(4);
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(buf.get(..n).map(<[u8]>::to_vec)).is_err() {
                        return;
                    }
                }
            }
        }
    });
    if let Err(e) = tls
        .get_mut()
        .tcp
        .set_read_timeout(Some(Duration::from_millis(50)))
    {
        eprintln!("clasp client: {e}");
        return exit::CONNECT;
    }
    let mut stdin_open = true;
    // Set when stdin ended (without --ign-eof): close_notify is sent and the server has until
    // then to finish what it is sending.
    let mut grace: Option<Instant> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while stdin_open {
            match rx.try_recv() {
                Ok(Some(data)) => {
                    if let Err(e) = tls.write_all(&data) {
                        return report(&e);
                    }
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                    stdin_open = false;
                    if !args.ign_eof {
                        // RFC 8446 §6.1: close_notify says we will send nothing more; the
                        // server may still answer (it ends its side with its own
                        // close_notify), so keep reading for the grace period.
                        if let Err(e) = tls.send_close_notify() {
                            return report(&e);
                        }
                        grace = Some(Instant::now() + args.wait);
                    }
                }
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        if grace.is_some_and(|g| Instant::now() >= g) {
            return exit::OK;
        }
        match tls.read(&mut buf) {
            Ok(0) => {
                if grace.is_none() {
                    let _ = tls.send_close_notify();
                }
                return exit::OK;
            }
            Ok(n) => {
                let data = buf.get(..n).unwrap_or_default();
                let mut o = io::stdout().lock();
                if o.write_all(data).and_then(|()| o.flush()).is_err() {
                    // The reader of stdout is gone (`| head -1`): say goodbye properly and stop
                    // quietly (documented: exit 0).
                    if grace.is_none() {
                        let _ = tls.send_close_notify();
                    }
                    out::closed();
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = io::stdout().flush();
                return report(&e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{split_target, unverified_extras};
    use rustls_pki_types::CertificateDer;

    #[test]
    fn extras_are_what_the_verified_path_lacks() {
        let received = vec![b"leaf".to_vec(), b"evil".to_vec(), b"ca".to_vec()];
        let verified = vec![
            CertificateDer::from(b"leaf".to_vec()),
            CertificateDer::from(b"ca".to_vec()),
        ];
        assert_eq!(unverified_extras(&received, &verified), vec![&b"evil"[..]]);
        // A library that returns everything received as the path leaves no extras.
        let all: Vec<CertificateDer<'_>> = received
            .iter()
            .map(|d| CertificateDer::from(d.clone()))
            .collect();
        assert!(unverified_extras(&received, &all).is_empty());
        // A resumed connection: nothing received, nothing extra.
        assert!(unverified_extras(&[], &verified).is_empty());
    }

    #[test]
    fn targets() {
        assert_eq!(split_target("example.com"), Ok(("example.com".into(), 443)));
        assert_eq!(
            split_target("example.com:8443"),
            Ok(("example.com".into(), 8443))
        );
        assert_eq!(split_target("[::1]:8443"), Ok(("::1".into(), 8443)));
        assert_eq!(split_target("[::1]"), Ok(("::1".into(), 443)));
        assert_eq!(split_target("::1"), Ok(("::1".into(), 443)));
        assert!(split_target("host:notaport")
            .unwrap_err()
            .contains("'notaport' is not a port number"));
        assert!(split_target("host:70000")
            .unwrap_err()
            .contains("port 70000 is out of range"));
        assert!(split_target("host:0")
            .unwrap_err()
            .contains("port 0 is out of range"));
        assert!(split_target("[::1").unwrap_err().contains("closing ']'"));
    }
}
