//! `clasp demo`: a real handshake between a clasp client and a clasp server over loopback TCP,
//! shown as a ladder of decoded messages with what each one proves.

use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;

use clasp::conn::Negotiated;
use clasp::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use clasp::suites::{KeyExchange, ALL_SUITES};
use clasp::verify::RootCertStore;
use clasp::{ClientAuth, ClientConfig, ClientConnection, ServerConfig, ServerConnection, Stream};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

use crate::exit;
use crate::i18n::{Lang, Msg};
use crate::ladder::{self, Entry, Peer, Recorder, Step, Style};

/// Key exchange for TLS 1.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kx {
    /// Ephemeral elliptic-curve Diffie-Hellman (forward secret).
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman with RFC 7919 groups (forward secret, slower).
    Dhe,
    /// RSA key transport (no forward secrecy; off by default in clasp).
    Rsa,
}

const DEMO_HELP: &str = "\
Examples:
  clasp demo                      TLS 1.3 with the default groups and an ECDSA P-256 certificate
  clasp demo --mutual             the server also asks for and checks a client certificate
  clasp demo --group secp384r1    restrict key exchange to one group
  clasp demo --hrr                the server asks for a second ClientHello (HelloRetryRequest)
  clasp demo --tls12 --kx rsa     TLS 1.2 with RSA key transport (RSA certificate)
  clasp demo --resume             a full handshake, then a resumed one (TLS 1.3 PSK from a ticket)
  clasp demo --early-data         the resumed connection sends its request as 0-RTT data
  clasp demo --tls12 --resume     TLS 1.2 abbreviated handshake with a session ticket
  clasp demo --json | jq .        machine-readable output
  clasp demo --secrets            also print this demo's randoms, secrets and record keys
  clasp demo --wire               also show every record as an eavesdropper on the wire sees it
  clasp demo --tls12 --kx rsa --steal-key
                                  record, steal the server key later, decrypt the request
  clasp demo --steal-key          the same attack against TLS 1.3 fails (forward secrecy)
  clasp demo --delay 50           50 ms each way: round trips show in milliseconds
  clasp demo --lang ru            explanations in Russian (default follows LANG / LC_ALL)

Everything runs on this machine: a throwaway CA and certificates are generated with rcgen, a
clasp server listens on a free 127.0.0.1 port, and a clasp client connects to it over TCP,
sends one request and reads one response. With --resume the client connects a second time, on
a new TCP connection with the same client configuration: the tickets the server sent after the
first handshake let it resume, skipping the certificate and its signature. Colour is used only
when stdout is a terminal and NO_COLOR is unset.

With --tls12 --resume the second connection is a TLS 1.2 abbreviated handshake (RFC 5246 §7.3)
resumed by the RFC 5077 ticket from the first.

With --secrets the demo also prints, for its own throwaway connections only, the values every key
is derived from: both randoms, the (EC)DHE shared secret or the RSA pre-master secret, the TLS 1.3
early, handshake and master secrets (or the TLS 1.2 master secret and key block), the traffic
secrets and the record keys and IVs. Secrets from the key log are checked against the RFC
formulas. Never print the keys of a real connection: they decrypt it.

After each ladder the cost is printed: round trips before the first application byte (TCP
included), the time of each flight and its bytes on the wire, measured on the client's socket.

Exit codes: 0 success; 2 usage error or unsupported option (--early-data with --tls12; --tls12
--resume if the TLS 1.2 client offered no session ID or ticket); 5 a handshake failed or the
second one did not resume.";

/// `clasp demo` flags.
#[derive(clap::Args, Debug)]
#[command(after_help = DEMO_HELP)]
pub struct Args {
    /// Use TLS 1.2 instead of TLS 1.3 (e.g. `clasp demo --tls12`).
    #[arg(long)]
    pub tls12: bool,
    /// TLS 1.2 key exchange: ecdhe, dhe or rsa (needs --tls12; e.g. `--tls12 --kx dhe`).
    #[arg(long, value_enum, requires = "tls12")]
    pub kx: Option<Kx>,
    /// Restrict key exchange to one group, e.g. `--group x25519`, `--group secp256r1`,
    /// `--group X25519MLKEM768`, `--group ffdhe2048`.
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Cipher suites for both sides, as IANA names (TLS 1.3 names, or TLS 1.2 names with
    /// --tls12; e.g. `--suites TLS_CHACHA20_POLY1305_SHA256`).
    #[arg(long, value_name = "LIST", value_parser = crate::knobs::parse_list)]
    pub suites: Option<crate::knobs::NameList>,
    /// Both sides require the TLS 1.2 extended master secret (RFC 7627).
    #[arg(long)]
    pub require_ems: bool,
    /// Force a HelloRetryRequest: the client sends an x25519 key share, the server accepts only
    /// secp256r1, so it asks for another ClientHello (TLS 1.3; e.g. `clasp demo --hrr`).
    #[arg(long, conflicts_with_all = ["tls12", "group"])]
    pub hrr: bool,
    /// Mutual TLS: the server requests a client certificate (e.g. `clasp demo --mutual`).
    #[arg(long)]
    pub mutual: bool,
    /// Then run a second handshake on a new TCP connection that resumes the first session
    /// (TLS 1.3 PSK from a NewSessionTicket; with --tls12 an RFC 5077 ticket), and show what it
    /// skipped (e.g. `clasp demo --resume`).
    #[arg(long)]
    pub resume: bool,
    /// Like --resume, and the second connection sends its request as 0-RTT early data, before
    /// the server answers (TLS 1.3 only; e.g. `clasp demo --early-data`). Early data can be
    /// replayed by an attacker: servers should accept it only for idempotent requests.
    #[arg(long, conflicts_with = "tls12")]
    pub early_data: bool,
    /// Print JSON instead of the ladder: {"handshakes":[{"messages":[…],"negotiated":{…}}]}
    /// (with --resume: two handshakes and a "resumption" summary).
    #[arg(long)]
    pub json: bool,
    /// Language of the explanations: en or ru (default: from LC_ALL / LANG, ru_* → ru).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Append the client's TLS secrets to FILE in the NSS key log format, for Wireshark (the
    /// SSLKEYLOGFILE environment variable does the same; a warning is printed).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<std::path::PathBuf>,
    /// Print the secrets of this local demo as they are derived: randoms, the (EC)DHE shared
    /// secret or RSA pre-master, master/traffic secrets and record keys, so you can see a new
    /// symmetric key for each session (demo connections only; a warning is printed).
    #[arg(long, conflicts_with = "json")]
    pub secrets: bool,
    /// Also show every record as an eavesdropper on the wire sees it: type, version, length,
    /// time, the hellos' plaintext fields (SNI, ALPN, JA4), and for encrypted records only
    /// their size; beside it what the endpoints saw and which service each step provides.
    #[arg(long)]
    pub wire: bool,
    /// Then act as an attacker who recorded the connection and later steals the server's
    /// private key: with `--tls12 --kx rsa` it decrypts the recorded request; with ECDHE, DHE
    /// or TLS 1.3 the attempt fails, and the demo says why.
    #[arg(long)]
    pub steal_key: bool,
    /// Simulated one-way latency on the loopback path, in milliseconds (0 to 2000), so the
    /// round trips show in the timings (e.g. `--delay 50`).
    #[arg(long, value_name = "MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=crate::wire::MAX_DELAY_MS))]
    pub delay: u64,
    /// A header line added to the demo's HTTP request (tests send a distinctive secret).
    #[arg(long, hide = true, value_name = "TEXT")]
    pub request_note: Option<String>,
}

/// A throwaway PKI: CA, server leaf for "localhost", optional client leaf.
pub(crate) struct DemoPki {
    pub(crate) ca: CertificateDer<'static>,
    pub(crate) server: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
    pub(crate) client: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
}

fn leaf(
    ca: &rcgen::Certificate,
    ca_key: &rcgen::KeyPair,
    alg: &'static rcgen::SignatureAlgorithm,
    cn: &str,
    server: bool,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(alg)?;
    let names = if server {
        vec!["localhost".to_string()]
    } else {
        Vec::new()
    };
    let mut p = rcgen::CertificateParams::new(names)?;
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "clasp demo");
    p.extended_key_usages = vec![if server {
        rcgen::ExtendedKeyUsagePurpose::ServerAuth
    } else {
        rcgen::ExtendedKeyUsagePurpose::ClientAuth
    }];
    let cert = p.signed_by(&key, ca, ca_key)?;
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

pub(crate) fn make_pki(rsa: bool) -> Result<DemoPki, rcgen::Error> {
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new())?;
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "clasp demo CA");
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "clasp demo");
    let ca = p.self_signed(&ca_key)?;
    let alg = if rsa {
        &rcgen::PKCS_RSA_SHA256
    } else {
        &rcgen::PKCS_ECDSA_P256_SHA256
    };
    Ok(DemoPki {
        server: leaf(&ca, &ca_key, alg, "localhost", true)?,
        client: leaf(
            &ca,
            &ca_key,
            &rcgen::PKCS_ECDSA_P256_SHA256,
            "demo client",
            false,
        )?,
        ca: ca.der().clone(),
    })
}

/// Parses a group name as the IANA registry spells it (case-insensitive), plus P-256 style aliases.
pub fn parse_group(name: &str) -> Option<NamedGroup> {
    let alias = match name.to_ascii_lowercase().as_str() {
        "p-256" | "p256" | "prime256v1" => "secp256r1".to_string(),
        "p-384" | "p384" => "secp384r1".to_string(),
        "p-521" | "p521" => "secp521r1".to_string(),
        other => other.to_string(),
    };
    (0u16..=0x11ff)
        .map(NamedGroup)
        .find(|g| g.name().is_some_and(|n| n.eq_ignore_ascii_case(&alias)))
}

/// The step that failed, in `lang` (the library's own error text stays English).
fn step_name(lang: Lang, what: &str) -> &str {
    if lang == Lang::En {
        return what;
    }
    match what {
        "generating certificates" => "создание сертификатов",
        "loading the demo CA" => "загрузка демонстрационного УЦ",
        "client configuration" => "настройка клиента",
        "server configuration" => "настройка сервера",
        "binding 127.0.0.1" => "открытие порта на 127.0.0.1",
        "client" => "клиент",
        "client (second connection)" => "клиент (второе соединение)",
        "server" => "сервер",
        "connecting to the demo server" => "подключение к демонстрационному серверу",
        "starting the client" => "запуск клиента",
        "writing early data" => "отправка ранних данных",
        "the server thread panicked" => "поток сервера аварийно завершился",
        other => other,
    }
}

fn fail(lang: Lang, what: &str, e: &dyn std::fmt::Display) -> u8 {
    let prefix = if lang == Lang::Ru {
        "ошибка"
    } else {
        "error"
    };
    let what = step_name(lang, what);
    eprintln!("clasp demo: {prefix}: {what}: {e}");
    exit::PROTOCOL
}

/// Runs `clasp demo`.
#[allow(clippy::too_many_lines)]
pub fn run(args: &Args) -> u8 {
    let lang = args.lang.unwrap_or_else(Lang::from_env);
    let resume = args.resume || args.early_data;
    // The same check as `--groups` of client and server: an unknown name, or a TLS 1.3-only
    // group with --tls12, is a usage error listing the valid names.
    let group = match args
        .group
        .as_deref()
        .map(|g| crate::knobs::groups(&crate::knobs::NameList(vec![g.to_string()]), args.tls12))
    {
        None => None,
        Some(Ok(g)) => g.first().copied(),
        Some(Err(m)) => {
            eprintln!("clasp demo: {}", m.replacen("--groups", "--group", 1));
            return exit::USAGE;
        }
    };
    let kx = if args.tls12 {
        Some(args.kx.unwrap_or(Kx::Ecdhe))
    } else {
        None
    };

    // 1. A throwaway PKI.
    // TLS 1.2 RSA key transport and DHE suites (TLS_DHE_RSA_*) need an RSA certificate.
    let pki = match make_pki(matches!(kx, Some(Kx::Rsa | Kx::Dhe))) {
        Ok(p) => p,
        Err(e) => return fail(lang, "generating certificates", &e),
    };
    let mut roots = RootCertStore::empty();
    if let Err(e) = roots.add(&pki.ca) {
        return fail(lang, "loading the demo CA", &e);
    }

    // 2. Configs: TLS 1.3 by default; TLS 1.2 with the chosen key exchange.
    let versions: &[ProtocolVersion] = if args.tls12 {
        &[ProtocolVersion::TLSv1_2]
    } else {
        &[ProtocolVersion::TLSv1_3]
    };
    // --secrets: both sides get a provider whose key exchange (server) and RSA encryption
    // (client) also hand their result to `capture`; see `crate::secrets` for why.
    let capture = args.secrets.then(crate::secrets::Capture::new);
    let mut cb = ClientConfig::builder()
        .with_root_certificates(roots.clone())
        .with_protocol_versions(versions)
        .with_alpn_protocols(vec![b"http/1.1".to_vec()]);
    let mut sb = ServerConfig::builder()
        .with_single_cert(pki.server.0.clone(), pki.server.1.clone_key())
        .with_protocol_versions(versions)
        .with_alpn_protocols(vec![b"http/1.1".to_vec()]);
    if let Some(kx) = kx {
        let want = match kx {
            Kx::Ecdhe => KeyExchange::Ecdhe,
            Kx::Dhe => KeyExchange::Dhe,
            Kx::Rsa => KeyExchange::Rsa,
        };
        let suites: Vec<CipherSuite> = ALL_SUITES
            .iter()
            .filter(|s| s.version == ProtocolVersion::TLSv1_2 && s.kx == want)
            .map(|s| s.suite)
            .collect();
        cb = cb.with_cipher_suites(&suites);
        sb = sb.with_cipher_suites(&suites);
        match kx {
            Kx::Rsa => {
                cb = cb.allow_rsa_key_exchange(true);
                sb = sb.allow_rsa_key_exchange(true);
            }
            Kx::Dhe => {
                sb = sb.allow_dhe(true);
                if group.is_none() {
                    let g = [
                        NamedGroup::FFDHE2048,
                        NamedGroup::FFDHE3072,
                        NamedGroup::FFDHE4096,
                    ];
                    cb = cb.with_groups(&g);
                    sb = sb.with_groups(&g);
                }
            }
            Kx::Ecdhe => {}
        }
    }
    if let Some(g) = group {
        cb = cb.with_groups(&[g]).with_key_shares(&[g]);
        sb = sb.with_groups(&[g]);
    }
    if args.hrr {
        // RFC 8446 §4.1.4: no acceptable key share, but a group both support.
        cb = cb
            .with_groups(&[NamedGroup::X25519, NamedGroup::secp256r1])
            .with_key_shares(&[NamedGroup::X25519]);
        sb = sb.with_groups(&[NamedGroup::secp256r1]);
    }
    // --suites overrides the suites --kx chose (both sides); the key exchanges they need are
    // enabled on both sides. --require-ems makes both sides strict (RFC 7627).
    if let Some(list) = &args.suites {
        let suites = match crate::knobs::suites(list, args.tls12, !args.tls12) {
            Ok(s) => s,
            Err(m) => {
                eprintln!("clasp demo: {m}");
                return exit::USAGE;
            }
        };
        if crate::knobs::needs(&suites, KeyExchange::Rsa).is_some() {
            cb = cb.allow_rsa_key_exchange(true);
            sb = sb.allow_rsa_key_exchange(true);
        }
        if crate::knobs::needs(&suites, KeyExchange::Dhe).is_some() {
            sb = sb.allow_dhe(true);
        }
        cb = cb.with_cipher_suites(&suites);
        sb = sb.with_cipher_suites(&suites);
    }
    if args.require_ems {
        cb = cb.require_ems();
        sb = sb.require_ems();
    }
    if args.early_data {
        // Both sides opt in: 0-RTT is off by default in clasp (RFC 8446 §8 replays).
        cb = cb.with_early_data();
        sb = sb.with_max_early_data(16384);
    }
    if args.mutual {
        cb = cb.with_client_auth_cert(pki.client.0.clone(), pki.client.1.clone_key());
        sb = sb.with_client_auth(ClientAuth::Required(roots));
    }
    // The client side logs (both sides derive the same secrets).
    let file_log = match crate::local::key_log("clasp demo", args.keylog.as_deref()) {
        Ok(k) => k,
        Err(m) => {
            eprintln!("clasp demo: {m}");
            return exit::USAGE;
        }
    };
    if let Some(c) = &capture {
        eprintln!("clasp demo: {}", crate::secrets::Text::Warning.text(lang));
        cb = cb
            .with_provider(c.client_provider())
            .with_key_log(c.key_log(file_log));
        sb = sb.with_provider(c.server_provider());
    } else if let Some(k) = file_log {
        cb = cb.with_key_log(k);
    }
    let ccfg = match cb.build() {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(lang, "client configuration", &e),
    };
    let scfg = match sb.build() {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(lang, "server configuration", &e),
    };

    // 3. The server: one connection per handshake on a free loopback port, in a thread.
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => return fail(lang, "binding 127.0.0.1", &e),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return fail(lang, "binding 127.0.0.1", &e),
    };
    let rounds = if resume { 2 } else { 1 };
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        for _ in 0..rounds {
            let (sock, _) = listener.accept()?;
            // As the client's socket (crate::wire::connect): no Nagle delay in the timings.
            sock.set_nodelay(true)?;
            serve_one(Arc::clone(&scfg), sock)?;
        }
        Ok(())
    });
    // --delay: the client talks to a relay that holds each chunk for the delay (issue 16).
    let delay = std::time::Duration::from_millis(args.delay);
    let addr = if args.delay > 0 {
        match TcpListener::bind("127.0.0.1:0").and_then(|l| Ok((l.local_addr()?, l))) {
            Ok((relay_addr, l)) => {
                crate::wire::relay(l, addr, delay, rounds);
                relay_addr
            }
            Err(e) => return fail(lang, "binding 127.0.0.1", &e),
        }
    } else {
        addr
    };
    let request = request(args.request_note.as_deref());

    // 4. The client, observed: one full handshake, then (with --resume) a second one on a new
    // TCP connection from the same ClientConfig, whose session cache now holds the tickets
    // that arrived with the first connection's response.
    let first = match connect_once(&ccfg, addr, false, lang, capture.as_ref(), &request, delay) {
        Ok(h) => h,
        Err(code) => return code,
    };
    if let Err(e) = &first.result {
        // The server thread may be waiting for a second connection: do not join it.
        return fail(lang, "client", e);
    }
    let second = if resume {
        match connect_once(
            &ccfg,
            addr,
            args.early_data,
            lang,
            capture.as_ref(),
            &request,
            delay,
        ) {
            Ok(h) => Some(h),
            Err(code) => return code,
        }
    } else {
        None
    };
    let server_result = server.join();

    let mut handshakes = vec![&first];
    handshakes.extend(second.as_ref());
    let summary = second.as_ref().map(|s| ResumeSummary::new(&first, s));
    let observed: Vec<crate::wire::Observation> = handshakes
        .iter()
        .map(|h| crate::wire::observe(&h.capture))
        .collect();
    let stolen = if args.steal_key {
        steal(&pki.server.1, &observed)
    } else {
        Vec::new()
    };
    if args.json {
        let hs: Vec<String> = handshakes
            .iter()
            .zip(&observed)
            .map(|(h, o)| {
                let j = ladder::render_json(
                    &h.entries,
                    &ladder::negotiated_fields(&h.negotiated),
                    lang,
                );
                crate::wire::splice_json(j, &h.entries, &h.capture, o, args.wire, lang)
            })
            .collect();
        let mut extra = summary
            .as_ref()
            .filter(|s| s.resumed)
            .map_or_else(String::new, |s| format!(",\"resumption\":{}", s.json(lang)));
        if args.steal_key {
            let s: Vec<serde_json::Value> = stolen.iter().map(|o| o.json(lang)).collect();
            extra.push_str(&format!(",\"steal_key\":{}", serde_json::Value::from(s)));
        }
        crate::out::outln!("{{\"handshakes\":[{}]{extra}}}", hs.join(","));
    } else {
        let out = std::io::stdout();
        let st = Style {
            color: out.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        let mut text = String::new();
        text.push_str(&st.bold(Msg::DemoTitle.text(lang)));
        text.push_str("\n\n");
        for (i, h) in handshakes.iter().enumerate() {
            if resume {
                let title = if i == 0 && args.tls12 {
                    Msg::FullTitle12
                } else if i == 0 {
                    Msg::FullTitle
                } else {
                    Msg::ResumedTitle
                };
                text.push_str(&st.bold(title.text(lang)));
                text.push('\n');
            }
            text.push_str(&render_one(h, lang, st));
            text.push('\n');
            if let Some(sec) = &h.secrets {
                text.push_str(&sec.render(lang, st));
                text.push('\n');
            }
            if let Some(o) = observed.get(i) {
                text.push_str(&crate::wire::render_extra(
                    &h.entries, &h.capture, o, args.wire, lang, st,
                ));
            }
        }
        if let Some(s) = summary.as_ref().filter(|s| s.resumed) {
            text.push_str(&s.text(lang, st));
        }
        if args.steal_key {
            text.push('\n');
            text.push_str(&st.bold(crate::i18n::WireMsg::StealTitle.text(lang)));
            text.push('\n');
            for o in &stolen {
                text.push_str(&o.text(lang, st));
            }
        }
        crate::out::write_all(text.as_bytes());
    }

    // 5. Exit status: the second handshake must have resumed.
    if let Some(s) = &second {
        if let Err(e) = &s.result {
            return fail(lang, "client (second connection)", e);
        }
        if !s.negotiated.resumed {
            if args.tls12 && !s.offered_resumption {
                // A TLS 1.2 client that offered no session ID or ticket cannot resume: say so
                // plainly; this combination (and only it) is an unsupported option.
                eprintln!(
                    "clasp demo --tls12 --resume: {}",
                    Msg::ResumeTls12Unavailable.text(lang)
                );
                return exit::USAGE;
            }
            return fail(lang, "--resume", &Msg::NotResumed.text(lang));
        }
    }
    match server_result {
        Ok(Ok(())) => exit::OK,
        Ok(Err(e)) => fail(lang, "server", &e),
        Err(_) => fail(
            lang,
            "server",
            &step_name(lang, "the server thread panicked"),
        ),
    }
}

/// The request the demo client sends (as 0-RTT data with `--early-data`).
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// [`REQUEST`], with `note` as an extra header line (tests send a distinctive secret).
fn request(note: Option<&str>) -> Vec<u8> {
    match note {
        None => REQUEST.to_vec(),
        Some(n) => format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Note: {n}\r\n\r\n").into_bytes(),
    }
}

/// `--steal-key` on every recorded connection, in order: a TLS 1.2 resumed session is opened
/// with the master secret recovered from the one before it.
fn steal(
    key: &PrivateKeyDer<'static>,
    observed: &[crate::wire::Observation],
) -> Vec<crate::steal_key::Outcome> {
    let mut earlier: Option<clasp::recorded::Tls12MasterSecret> = None;
    observed
        .iter()
        .map(|o| {
            let out = crate::steal_key::attack(o, key, earlier.as_ref());
            if let crate::steal_key::Outcome::Recovered(r) = &out {
                earlier = Some(r.master.duplicate());
            }
            out
        })
        .collect()
}

/// Answers one demo connection: read the request, send a short HTTP response, close.
fn serve_one(cfg: Arc<ServerConfig>, sock: TcpStream) -> std::io::Result<()> {
    let conn = ServerConnection::new(cfg).map_err(std::io::Error::other)?;
    let mut s = Stream::new(conn, sock);
    s.complete_handshake()?;
    // Accepted 0-RTT data has its own reader: it may be a replay (RFC 8446 §8). The demo's
    // request is a GET, safe to answer twice; it is read only now that the handshake is
    // complete, and it is all there (it ends before the client's Finished).
    let mut early = Vec::new();
    if let Some(mut e) = s.conn_mut().early_data() {
        e.read_to_end(&mut early)?;
    }
    let mut req = [0u8; 1024];
    let (n, how) = if early.is_empty() {
        (s.read(&mut req)?, "")
    } else {
        (early.len(), " as 0-RTT early data")
    };
    // The request's X-Note line (`--request-note`) is echoed, so that a test's secret travels
    // both ways (issue 16: the wire view must show neither).
    let got = if early.is_empty() {
        req.get(..n).unwrap_or_default()
    } else {
        &early
    };
    let note = String::from_utf8_lossy(got)
        .lines()
        .find_map(|l| l.strip_prefix("X-Note: ").map(|v| format!("; note: {v}")))
        .unwrap_or_default();
    let body = format!("hello from the clasp server; you sent {n} bytes{how}{note}\n");
    s.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )?;
    s.send_close_notify()?;
    // Wait for the client's close_notify (or its socket closing).
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    Ok(())
}

/// One client connection as the demo saw it.
struct Handshake {
    entries: Vec<Entry>,
    /// With --secrets: what this connection's keys were derived from.
    secrets: Option<crate::secrets::Derivation>,
    /// The bytes on the wire (issue 16).
    capture: crate::wire::Capture,
    negotiated: Negotiated,
    offered_resumption: bool,
    result: std::io::Result<Vec<u8>>,
}

/// Connects once, sends [`REQUEST`] (as 0-RTT data first when `early`), reads the response to
/// the server's close_notify — which also processes the NewSessionTickets that follow the
/// server's handshake, so a later connection from the same config can resume.
fn connect_once(
    ccfg: &Arc<ClientConfig>,
    addr: SocketAddr,
    early: bool,
    lang: Lang,
    capture: Option<&Arc<crate::secrets::Capture>>,
    request: &[u8],
    delay: std::time::Duration,
) -> Result<Handshake, u8> {
    let rec = if capture.is_some() {
        Recorder::with_transcript(Peer::Client)
    } else {
        Recorder::new(Peer::Client)
    };
    // RFC 9293 §3.5: the three-way handshake happens inside connect(); only its duration is
    // visible here, so the three segments are drawn from what the RFC says they carry.
    let started = std::time::Instant::now();
    let (sock, tap) = crate::wire::connect(addr, delay, Arc::clone(&rec))
        .map_err(|e| fail(lang, "connecting to the demo server", &e))?;
    let took = started.elapsed();
    for (from, kind, fields, note) in [
        (
            Peer::Client,
            "TCP SYN",
            vec![("address", ladder::Value::Text(addr.to_string()))],
            Msg::TcpSyn,
        ),
        (Peer::Server, "TCP SYN-ACK", Vec::new(), Msg::TcpSynAck),
        (
            Peer::Client,
            "TCP ACK",
            vec![(
                "connect_time",
                ladder::Value::Said(
                    Msg::ValMillis,
                    format!("{:.3}", took.as_secs_f64() * 1000.0),
                ),
            )],
            Msg::TcpAck,
        ),
    ] {
        rec.push(Step {
            from,
            kind: kind.into(),
            protection: None,
            fields,
            note: Some(note),
        });
    }
    // "localhost" is a valid DNS name; the literal cannot fail to parse.
    let name = ServerName::try_from("localhost").map(|n| n.to_owned());
    let mut conn = name
        .map_err(|e| e.to_string())
        .and_then(|n| {
            ClientConnection::with_observer(Arc::clone(ccfg), n, Some(rec.clone()))
                .map_err(|e| e.to_string())
        })
        .map_err(|e| fail(lang, "starting the client", &e))?;
    // RFC 8446 §2.3: 0-RTT data goes out right behind the ClientHello, before any answer.
    let early_sent = if early {
        conn.write_early_data(request)
            .map_err(|e| fail(lang, "writing early data", &e))?
    } else {
        0
    };
    tap.set_app(early_sent > 0);
    let mut c = Stream::new(conn, sock);
    let result = (|| -> std::io::Result<Vec<u8>> {
        c.complete_handshake()?;
        tap.handshake_done();
        // Data the server refused (or that did not fit the ticket's limit) is sent again
        // now, under the application keys (RFC 8446 §4.2.10).
        let taken = if c.conn().negotiated().early_data_accepted == Some(true) {
            early_sent
        } else {
            // Refused 0-RTT data did not deliver the first application byte.
            tap.set_app(false);
            0
        };
        if let Some(rest) = request.get(taken..).filter(|r| !r.is_empty()) {
            tap.set_app(true);
            c.write_all(rest)?;
        }
        let mut resp = Vec::new();
        c.read_to_end(&mut resp)?;
        c.send_close_notify()?;
        Ok(resp)
    })();
    let negotiated = c.conn().negotiated().clone();
    let secrets = capture.map(|cap| cap.derive(&rec.transcript(), &negotiated));
    Ok(Handshake {
        secrets,
        capture: tap.capture(),
        entries: rec.entries(),
        negotiated: c.conn().negotiated().clone(),
        offered_resumption: rec.offered_resumption(),
        result,
    })
}

/// One handshake's ladder and what it negotiated, as text.
fn render_one(h: &Handshake, lang: Lang, st: Style) -> String {
    let mut text = ladder::render_text(&h.entries, lang, st);
    text.push('\n');
    text.push_str(&st.bold(&format!("{}:", Msg::Negotiated.text(lang))));
    text.push('\n');
    let tls12 = h.negotiated.version == Some(ProtocolVersion::TLSv1_2);
    for (k, v) in ladder::negotiated_fields(&h.negotiated) {
        // HelloRetryRequest exists only in TLS 1.3 (RFC 8446 §4.1.4).
        if tls12 && k == "hello_retry" {
            continue;
        }
        // Our own words are translated; protocol names stay as the registries spell them.
        let v = match (lang, v.as_str()) {
            (Lang::Ru, "true") => Msg::ValYes.text(lang).to_string(),
            (Lang::Ru, "false") => Msg::ValNo.text(lang).to_string(),
            (Lang::Ru, "none") => Msg::ValNone.text(lang).to_string(),
            _ => v,
        };
        text.push_str(&format!(
            "  {}: {}\n",
            crate::i18n::label(k, lang),
            st.yellow(&v)
        ));
    }
    text
}

/// What the resumed handshake did differently from the full one.
struct ResumeSummary {
    resumed: bool,
    /// Authentication messages of the first handshake absent from the second: `(sender, type)`.
    skipped: Vec<(Peer, String)>,
    /// The key-exchange group of the resumed handshake (`None`: psk_ke, no fresh DH).
    group: Option<String>,
    early_data_accepted: Option<bool>,
    /// A TLS 1.2 abbreviated handshake rather than a TLS 1.3 PSK handshake.
    tls12: bool,
}

impl ResumeSummary {
    fn new(first: &Handshake, second: &Handshake) -> Self {
        let steps = |h: &Handshake| -> Vec<(Peer, String)> {
            h.entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Step(s) if s.protection.is_some() => Some((s.from, s.kind.clone())),
                    _ => None,
                })
                .collect()
        };
        let later = steps(second);
        let mut skipped: Vec<(Peer, String)> = Vec::new();
        for step in steps(first) {
            // RFC 8446 §2.2: a PSK handshake carries no certificate-based authentication.
            let auth = matches!(
                step.1.as_str(),
                "Certificate"
                    | "CompressedCertificate"
                    | "CertificateVerify"
                    | "CertificateRequest"
                    | "ServerKeyExchange"
                    | "ServerHelloDone"
                    | "ClientKeyExchange"
            );
            if auth && !later.contains(&step) && !skipped.contains(&step) {
                skipped.push(step);
            }
        }
        Self {
            resumed: second.negotiated.resumed,
            skipped,
            group: second.negotiated.group.map(|g| g.to_string()),
            early_data_accepted: second.negotiated.early_data_accepted,
            tls12: second.negotiated.version == Some(ProtocolVersion::TLSv1_2),
        }
    }

    fn peer_name(p: Peer, lang: Lang) -> &'static str {
        match p {
            Peer::Client => Msg::Client.text(lang),
            Peer::Server => Msg::Server.text(lang),
        }
    }

    fn why(&self) -> Msg {
        if self.tls12 {
            Msg::SkippedWhy12
        } else {
            Msg::SkippedWhy
        }
    }

    fn kx_name(&self) -> &'static str {
        match (self.tls12, self.group.is_some()) {
            (true, _) => "none (TLS 1.2 abbreviated handshake)",
            (false, true) => "psk_dhe_ke",
            (false, false) => "psk_ke",
        }
    }

    fn kx_line(&self, lang: Lang) -> String {
        if self.tls12 {
            return Msg::KxTls12Abbreviated.text(lang).to_string();
        }
        match &self.group {
            Some(g) => format!("{} [{g}]", Msg::KxStillRan.text(lang)),
            None => Msg::KxPskOnly.text(lang).to_string(),
        }
    }

    fn text(&self, lang: Lang, st: Style) -> String {
        let mut t = String::new();
        let skipped: Vec<String> = self
            .skipped
            .iter()
            .map(|(p, k)| format!("{k} ({})", Self::peer_name(*p, lang)))
            .collect();
        if !skipped.is_empty() {
            t.push_str(&format!(
                "{} {}\n  {}\n",
                st.bold(&format!("{}:", Msg::Skipped.text(lang))),
                st.yellow(&skipped.join(", ")),
                st.green(&format!("⇒ {}", self.why().text(lang)))
            ));
        }
        t.push_str(&format!("{}\n", st.bold(&self.kx_line(lang))));
        match self.early_data_accepted {
            Some(true) => t.push_str(&format!("{}\n", st.bold(Msg::EarlyAccepted.text(lang)))),
            Some(false) => t.push_str(&format!("{}\n", st.bold(Msg::EarlyRefused.text(lang)))),
            None => {}
        }
        t
    }

    /// `{"skipped":[{"from":…,"type":…}],"skipped_why":…,"key_exchange":…,…}`.
    fn json(&self, lang: Lang) -> String {
        let skipped: Vec<String> = self
            .skipped
            .iter()
            .map(|(p, k)| {
                let from = if *p == Peer::Client {
                    "client"
                } else {
                    "server"
                };
                format!(
                    "{{\"from\":{},\"type\":{}}}",
                    ladder::json_str(from),
                    ladder::json_str(k)
                )
            })
            .collect();
        let mut j = format!(
            "{{\"skipped\":[{}],\"skipped_why\":{},\"key_exchange\":{},\"key_exchange_explanation\":{}",
            skipped.join(","),
            ladder::json_str(self.why().text(lang)),
            ladder::json_str(self.kx_name()),
            ladder::json_str(&self.kx_line(lang)),
        );
        if let Some(a) = self.early_data_accepted {
            j.push_str(&format!(
                ",\"early_data_accepted\":{a},\"replay_warning\":{}",
                ladder::json_str(Msg::ReplayCaveat.text(lang))
            ));
        }
        j.push('}');
        j
    }
}

/// `--steal-key` against recordings of real demo connections (issue 16): the typed outcome.
#[cfg(test)]
mod steal_key_tests {
    use super::*;
    use crate::steal_key::{attack, Ephemeral, Outcome};

    /// One demo connection (TLS 1.3 when `kx` is `None`), recorded; and the server's key.
    fn record(kx: Option<Kx>) -> (Handshake, PrivateKeyDer<'static>) {
        let pki = make_pki(matches!(kx, Some(Kx::Rsa | Kx::Dhe))).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(&pki.ca).unwrap();
        let versions: &[ProtocolVersion] = if kx.is_some() {
            &[ProtocolVersion::TLSv1_2]
        } else {
            &[ProtocolVersion::TLSv1_3]
        };
        let mut cb = ClientConfig::builder()
            .with_root_certificates(roots)
            .with_protocol_versions(versions);
        let mut sb = ServerConfig::builder()
            .with_single_cert(pki.server.0.clone(), pki.server.1.clone_key())
            .with_protocol_versions(versions);
        if let Some(kx) = kx {
            let want = match kx {
                Kx::Ecdhe => KeyExchange::Ecdhe,
                Kx::Dhe => KeyExchange::Dhe,
                Kx::Rsa => KeyExchange::Rsa,
            };
            let suites: Vec<CipherSuite> = ALL_SUITES
                .iter()
                .filter(|s| s.version == ProtocolVersion::TLSv1_2 && s.kx == want)
                .map(|s| s.suite)
                .collect();
            cb = cb.with_cipher_suites(&suites);
            sb = sb.with_cipher_suites(&suites);
            match kx {
                Kx::Rsa => {
                    cb = cb.allow_rsa_key_exchange(true);
                    sb = sb.allow_rsa_key_exchange(true);
                }
                Kx::Dhe => {
                    sb = sb.allow_dhe(true);
                    cb = cb.with_groups(&[NamedGroup::FFDHE2048]);
                    sb = sb.with_groups(&[NamedGroup::FFDHE2048]);
                }
                Kx::Ecdhe => {}
            }
        }
        let ccfg = Arc::new(cb.build().unwrap());
        let scfg = Arc::new(sb.build().unwrap());
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            serve_one(scfg, s).unwrap();
        });
        let Ok(h) = connect_once(
            &ccfg,
            addr,
            false,
            Lang::En,
            None,
            REQUEST,
            std::time::Duration::ZERO,
        ) else {
            panic!("demo connection failed")
        };
        server.join().unwrap();
        (h, pki.server.1.clone_key())
    }

    #[test]
    fn rsa_key_transport_gives_up_the_request_and_the_response() {
        let (h, key) = record(Some(Kx::Rsa));
        let response = h.result.as_ref().unwrap().clone();
        let o = crate::wire::observe(&h.capture);
        let Outcome::Recovered(r) = attack(&o, &key, None) else {
            panic!("not recovered")
        };
        assert_eq!(r.client, REQUEST);
        assert_eq!(r.server, response);
        assert!(r.ems);
        assert!(!r.resumed);
        // The key of another server opens nothing.
        let (_, other) = record(Some(Kx::Rsa));
        assert!(matches!(
            attack(&o, &other, None),
            Outcome::Failed(
                crate::steal_key::Failure::KeyDoesNotDecrypt | crate::steal_key::Failure::Library
            )
        ));
    }

    #[test]
    fn ephemeral_key_exchange_leaves_nothing_to_decrypt() {
        for (kx, want) in [
            (None, Ephemeral::Tls13),
            (Some(Kx::Ecdhe), Ephemeral::Ecdhe),
            (Some(Kx::Dhe), Ephemeral::Dhe),
        ] {
            let (h, key) = record(kx);
            assert!(h.result.is_ok());
            let o = crate::wire::observe(&h.capture);
            match attack(&o, &key, None) {
                Outcome::NoKeyTransport(e) => assert_eq!(e, want, "{kx:?}"),
                other => panic!("{kx:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn ja4_from_the_decoded_hello_matches_the_raw_parser() {
        let (h, _) = record(None);
        let o = crate::wire::observe(&h.capture);
        let ch = &o.records[0].messages[0];
        assert_eq!(ch.kind, "ClientHello");
        let raw = crate::ja4::ja4(&crate::ja4::summarize(&ch.raw).unwrap()).ja4;
        let decoded = ch.fields.iter().find(|(k, _)| *k == "ja4").unwrap();
        assert_eq!(decoded.1, raw);
    }
}
