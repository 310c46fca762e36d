//! `clasp demo`: a real handshake between a clasp client and a clasp server over loopback TCP,
//! shown as a ladder of decoded messages with what each one proves.

use std::io::{IsTerminal, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use clasp::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use clasp::suites::{KeyExchange, ALL_SUITES};
use clasp::verify::RootCertStore;
use clasp::{ClientAuth, ClientConfig, ClientConnection, ServerConfig, ServerConnection, Stream};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

use crate::exit;
use crate::i18n::{Lang, Msg};
use crate::ladder::{self, Peer, Recorder, Step, Style};

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
  clasp demo --tls12 --kx rsa     TLS 1.2 with RSA key transport (RSA certificate)
  clasp demo --json | jq .        machine-readable output
  clasp demo --lang ru            explanations in Russian (default follows LANG / LC_ALL)

Everything runs on this machine: a throwaway CA and certificates are generated with rcgen, a
clasp server listens on a free 127.0.0.1 port, and a clasp client connects to it over TCP,
sends one request and reads one response. Colour is used only when stdout is a terminal and
NO_COLOR is unset.

Exit codes: 0 success; 2 usage error or unsupported option (e.g. --resume); 5 the handshake
failed.";

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
    /// Mutual TLS: the server requests a client certificate (e.g. `clasp demo --mutual`).
    #[arg(long)]
    pub mutual: bool,
    /// Run a second, resumed handshake (not implemented yet: exits with code 2).
    #[arg(long)]
    pub resume: bool,
    /// Print JSON instead of the ladder: {"handshakes":[{"messages":[…],"negotiated":{…}}]}.
    #[arg(long)]
    pub json: bool,
    /// Language of the explanations: en or ru (default: from LC_ALL / LANG, ru_* → ru).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// A throwaway PKI: CA, server leaf for "localhost", optional client leaf.
struct DemoPki {
    ca: CertificateDer<'static>,
    server: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
    client: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
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

fn make_pki(rsa: bool) -> Result<DemoPki, rcgen::Error> {
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

fn fail(lang: Lang, what: &str, e: &dyn std::fmt::Display) -> u8 {
    let prefix = if lang == Lang::Ru {
        "ошибка"
    } else {
        "error"
    };
    eprintln!("clasp demo: {prefix}: {what}: {e}");
    exit::PROTOCOL
}

/// Runs `clasp demo`.
#[allow(clippy::too_many_lines)]
pub fn run(args: &Args) -> u8 {
    let lang = args.lang.unwrap_or_else(Lang::from_env);
    if args.resume {
        eprintln!("clasp demo --resume: {}", Msg::ResumeUnsupported.text(lang));
        return exit::USAGE;
    }
    let group = match args.group.as_deref().map(|g| (g, parse_group(g))) {
        None => None,
        Some((_, Some(g))) => Some(g),
        Some((name, None)) => {
            eprintln!("clasp demo: unknown group {name:?} (try x25519, secp256r1, secp384r1, X25519MLKEM768, ffdhe2048)");
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
    if args.mutual {
        cb = cb.with_client_auth_cert(pki.client.0.clone(), pki.client.1.clone_key());
        sb = sb.with_client_auth(ClientAuth::Required(roots));
    }
    let ccfg = match cb.build() {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(lang, "client configuration", &e),
    };
    let scfg = match sb.build() {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(lang, "server configuration", &e),
    };

    // 3. The server: one connection on a free loopback port, in a thread.
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => return fail(lang, "binding 127.0.0.1", &e),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return fail(lang, "binding 127.0.0.1", &e),
    };
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        let (sock, _) = listener.accept()?;
        let conn = ServerConnection::new(scfg).map_err(std::io::Error::other)?;
        let mut s = Stream::new(conn, sock);
        let mut req = [0u8; 1024];
        let n = s.read(&mut req)?;
        let body = format!("hello from the clasp server; you sent {n} bytes\n");
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
    });

    // 4. The client, observed.
    let rec = Recorder::new(Peer::Client);
    let sock = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => return fail(lang, "connecting to the demo server", &e),
    };
    rec.push(Step {
        from: Peer::Client,
        kind: "TCP connect".into(),
        protection: None,
        fields: vec![("address", ladder::Value::Text(addr.to_string()))],
        note: Some(Msg::TcpConnect),
    });
    // ServerName: "localhost" is a valid DNS name; the literal cannot fail to parse.
    let name = ServerName::try_from("localhost").map(|n| n.to_owned());
    let conn = match name.map_err(|e| e.to_string()).and_then(|n| {
        ClientConnection::with_observer(ccfg, n, Some(rec.clone())).map_err(|e| e.to_string())
    }) {
        Ok(c) => c,
        Err(e) => return fail(lang, "starting the client", &e),
    };
    let mut c = Stream::new(conn, sock);
    let result = (|| -> std::io::Result<Vec<u8>> {
        c.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
        let mut resp = Vec::new();
        c.read_to_end(&mut resp)?;
        c.send_close_notify()?;
        Ok(resp)
    })();
    let server_result = server.join();
    let negotiated = ladder::negotiated_fields(c.conn().negotiated());
    let entries = rec.entries();

    if args.json {
        println!(
            "{{\"handshakes\":[{}]}}",
            ladder::render_json(&entries, &negotiated, lang)
        );
    } else {
        let out = std::io::stdout();
        let st = Style {
            color: out.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        let mut text = String::new();
        text.push_str(&st.bold(Msg::DemoTitle.text(lang)));
        text.push_str("\n\n");
        text.push_str(&ladder::render_text(&entries, lang, st));
        text.push('\n');
        text.push_str(&st.bold(&format!("{}:", Msg::Negotiated.text(lang))));
        text.push('\n');
        for (k, v) in &negotiated {
            text.push_str(&format!(
                "  {}: {}\n",
                crate::i18n::label(k, lang),
                st.yellow(v)
            ));
        }
        let mut lock = out.lock();
        let _ = lock.write_all(text.as_bytes());
    }

    match (result, server_result) {
        (Ok(_), Ok(Ok(()))) => exit::OK,
        (Err(e), _) => fail(lang, "client", &e),
        (_, Ok(Err(e))) => fail(lang, "server", &e),
        (_, Err(_)) => fail(lang, "server", &"the server thread panicked"),
    }
}
