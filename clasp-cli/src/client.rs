//! `clasp client HOST[:PORT]`: connect, show what was negotiated, then pipe stdin/stdout.

use std::io::{self, IsTerminal, Read, Write};
use std::net::TcpStream;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clasp::msgs::enums::ProtocolVersion;
use clasp::sign::CertifiedKey;
use clasp::{ClientConfig, ClientConnection, Error, Stream};
use rustls_pki_types::ServerName;

use crate::exit;
use crate::i18n::Lang;
use crate::ladder::{self, Entry, Peer, Recorder, Style};
use crate::x509;

const CLIENT_HELP: &str = "\
Examples:
  clasp client example.com                         connect to example.com:443, show the summary
  printf 'GET / HTTP/1.1\\r\\nHost: example.com\\r\\nConnection: close\\r\\n\\r\\n' | clasp client example.com
  clasp client localhost:8443 --ca ca.pem          trust only ca.pem
  clasp client 127.0.0.1:8443 --servername localhost --ca ca.pem
  clasp client example.com --alpn h2,http/1.1 --trace
  clasp client mtls.example:443 --cert me.pem --key me.key
  clasp client example.com --resume                connect twice; the second connection resumes

The summary and any --trace ladder go to stderr; only the peer's data goes to stdout. After the
handshake, stdin is sent to the server and the server's data is written to stdout; when stdin ends
the client keeps reading until the server closes the connection. A server that closes without
close_notify is reported as a possible truncation (exit 5).

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

Exit codes:
  0  success
  2  usage error (bad flags, unreadable --ca/--cert/--key files; --resume where TLS 1.2 resumption
     is not available)
  3  connection failure (TCP refused, DNS lookup failed)
  4  certificate verification failure (wrong hostname, expired, unknown CA)
  5  TLS protocol failure (e.g. a handshake_failure alert, or no close_notify)";

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
}

/// Splits HOST[:PORT] (IPv6 as [addr]:port), defaulting the port to 443.
fn split_target(t: &str) -> Option<(String, u16)> {
    if let Some(rest) = t.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 443,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match t.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        Some(_) => Some((t.to_string(), 443)), // a bare IPv6 address
        None => Some((t.to_string(), 443)),
    }
}

fn usage(msg: &str) -> u8 {
    eprintln!("clasp client: {msg}");
    exit::USAGE
}

/// Maps a handshake/transfer error to an exit code and a plain-English line.
fn report(e: &io::Error) -> u8 {
    match e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        Some(Error::InvalidCertificate(c)) => {
            eprintln!("clasp client: certificate verification failed: {c}");
            exit::CERTIFICATE
        }
        Some(Error::AlertReceived(a)) => {
            eprintln!("clasp client: the server refused the connection: it sent the {a} alert");
            exit::PROTOCOL
        }
        Some(other) => {
            eprintln!("clasp client: TLS failure: {other}");
            exit::PROTOCOL
        }
        None => {
            eprintln!("clasp client: connection failed: {e}");
            exit::CONNECT
        }
    }
}

fn build_config(args: &Args) -> Result<ClientConfig, u8> {
    let mut b = ClientConfig::builder();
    b = match &args.ca {
        Some(path) => b
            .with_ca_file(path)
            .map_err(|e| usage(&format!("cannot load --ca {path}: {e}")))?,
        None => b
            .with_native_roots()
            .map_err(|e| usage(&format!("cannot load the system trust store: {e}")))?,
    };
    if args.tls12 {
        b = b.with_protocol_versions(&[ProtocolVersion::TLSv1_2]);
    } else if args.tls13 {
        b = b.with_protocol_versions(&[ProtocolVersion::TLSv1_3]);
    }
    if !args.alpn.is_empty() {
        b = b.with_alpn_protocols(args.alpn.iter().map(|a| a.as_bytes().to_vec()).collect());
    }
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let provider = clasp::crypto::aws_lc::default_provider();
        let ck = CertifiedKey::from_pem_files(cert, key, &provider)
            .map_err(|e| usage(&format!("cannot load --cert/--key: {e}")))?;
        b = b.with_client_cert_resolver(Arc::new(clasp::sign::SingleClientCert(Arc::new(ck))));
    }
    b.build()
        .map_err(|e| usage(&format!("invalid configuration: {e}")))
}

fn print_summary(c: &ClientConnection, resumed: Option<&str>, st: Style) {
    let n = c.negotiated();
    for (k, v) in ladder::negotiated_fields(n) {
        let v = match resumed {
            Some(r) if k == "resumed" => r.to_string(),
            _ => v,
        };
        eprintln!("{:>18}: {}", k, st.yellow(&v));
    }
    eprintln!("{:>18}:", "peer certificates");
    if n.resumed && c.peer_certificates().is_empty() {
        // RFC 8446 §2.2: a PSK handshake sends no Certificate.
        eprintln!("  (none sent: the server was authenticated by the resumed session's PSK)");
    }
    for (i, der) in c.peer_certificates().iter().enumerate() {
        match x509::summarize(der) {
            Some(s) => {
                eprintln!("  [{i}] subject: {}", st.cyan(&s.subject));
                eprintln!("      issuer:  {}", s.issuer);
                eprintln!("      valid:   {} .. {}", s.not_before, s.not_after);
                eprintln!("      key:     {}", s.key);
            }
            None => eprintln!("  [{i}] (unparsed, {} bytes)", der.len()),
        }
    }
    eprintln!("{:>18}: {}", "verified", st.green("yes"));
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
}

type Tls = Stream<ClientConnection, TcpStream>;

impl Dial<'_> {
    /// Connects over TCP and completes the handshake (printing the ladder with --trace). The
    /// recorder always observes: `--resume` reads tickets and the offered PSK from it.
    fn handshake(&self) -> Result<(Tls, Arc<Recorder>), u8> {
        let sock = TcpStream::connect((self.host, self.port)).map_err(|e| {
            eprintln!(
                "clasp client: cannot connect to {}:{}: {e}",
                self.host, self.port
            );
            exit::CONNECT
        })?;
        let rec = Recorder::new(Peer::Client);
        let observer = rec.clone() as Arc<dyn clasp::trace::Observer>;
        let conn = ClientConnection::with_observer(
            Arc::clone(self.config),
            self.name.clone(),
            Some(observer),
        )
        .map_err(|e| usage(&format!("cannot start the connection: {e}")))?;
        let mut tls = Stream::new(conn, sock);
        let hs = tls.complete_handshake();
        if self.trace {
            eprint!(
                "{}",
                ladder::render_text(&rec.entries(), self.lang, self.st)
            );
        }
        hs.map_err(|e| report(&e))?;
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
    let Some((host, port)) = split_target(&args.target) else {
        return usage(&format!("cannot parse {:?} as HOST[:PORT]", args.target));
    };
    let sni = args.servername.clone().unwrap_or_else(|| host.clone());
    let name = match ServerName::try_from(sni.clone()) {
        Ok(n) => n,
        Err(e) => return usage(&format!("{sni:?} is not a valid server name: {e}")),
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
    };
    let (mut tls, resumed) = if args.resume {
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
                print_summary(tls.conn(), Some("no"), err_st);
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
        (tls, Some(line))
    } else {
        match dial.handshake() {
            Ok((tls, _)) => (tls, None),
            Err(code) => return code,
        }
    };
    print_summary(tls.conn(), resumed.as_deref(), err_st);

    // stdin → TLS on a thread; TLS → stdout here, polling with a short read timeout so stdin
    // data is forwarded while we wait for the server.
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
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
        .set_read_timeout(Some(Duration::from_millis(50)))
    {
        eprintln!("clasp client: {e}");
        return exit::CONNECT;
    }
    let mut stdin_open = true;
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while stdin_open {
            match rx.try_recv() {
                Ok(Some(data)) => {
                    if let Err(e) = tls.write_all(&data) {
                        return report(&e);
                    }
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => stdin_open = false,
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        match tls.read(&mut buf) {
            Ok(0) => {
                let _ = tls.send_close_notify();
                let _ = out.flush();
                return exit::OK;
            }
            Ok(n) => {
                let _ = out.write_all(buf.get(..n).unwrap_or_default());
                let _ = out.flush();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = out.flush();
                return report(&e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_target;

    #[test]
    fn targets() {
        assert_eq!(
            split_target("example.com"),
            Some(("example.com".into(), 443))
        );
        assert_eq!(
            split_target("example.com:8443"),
            Some(("example.com".into(), 8443))
        );
        assert_eq!(split_target("[::1]:8443"), Some(("::1".into(), 8443)));
        assert_eq!(split_target("[::1]"), Some(("::1".into(), 443)));
        assert_eq!(split_target("::1"), Some(("::1".into(), 443)));
        assert_eq!(split_target("host:notaport"), None);
    }
}
