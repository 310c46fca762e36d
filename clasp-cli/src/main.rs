//! `clasp`: a readable TLS tool built on the clasp library.
//!
//! One module per subcommand (`demo`, `client`, `server`), plus the shared ladder
//! renderer (`ladder`), certificate summaries (`x509`) and translations (`i18n`). The tool is a
//! thin driver: every protocol decision is the library's.

mod client;
mod cost;
mod demo;
mod escape;
mod i18n;
mod iana;
mod ja4;
mod knobs;
mod ladder;
mod local;
mod ocsp;
mod out;
mod secrets;
mod server;
mod server_files;
mod server_limits;
mod server_ocsp;
mod server_page;
mod steal_key;
mod wire;
mod x509;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes shared by the subcommands (documented in `--help`).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Usage error (bad flags, unreadable files).
    pub const USAGE: u8 = 2;
    /// TCP connection or DNS failure.
    pub const CONNECT: u8 = 3;
    /// The peer's certificate was rejected.
    pub const CERTIFICATE: u8 = 4;
    /// TLS protocol failure (alert received, handshake failure, truncation).
    pub const PROTOCOL: u8 = 5;
    /// A timeout fired (`clasp client --connect-timeout` / `--handshake-timeout`).
    pub const TIMEOUT: u8 = 6;
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  2  usage error (bad flags, unreadable files, unsupported option)
  3  connection failure (TCP refused, DNS lookup failed)
  4  certificate verification failure (wrong hostname, expired, unknown CA)
  5  TLS protocol failure (e.g. a handshake_failure alert, or the peer closed without close_notify)
  6  timeout (clasp client: --connect-timeout or --handshake-timeout)

When stdout is closed early (`clasp server | head -1`), the tool stops quietly with exit 0.";

#[derive(Parser, Debug)]
#[command(
    name = "clasp",
    version,
    about = "A TLS 1.3 / 1.2 toolkit that shows what the handshake does",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a TLS handshake between a clasp client and a clasp server on this machine and explain
    /// every message.
    Demo(demo::Args),
    /// Connect to a TLS server, show what was negotiated, then pipe stdin/stdout through it.
    Client(client::Args),
    /// Serve HTTPS with clasp (HTTP/1.1 and HTTP/2); the default page shows each visitor their
    /// own handshake and JA4 fingerprint.
    Server(server::Args),
}

/// `openssl s_client` spellings `clasp client` accepts, and what they are called here.
/// `-connect HOST:PORT` (and `--connect`) is the positional target: the flag is dropped.
const S_CLIENT_ALIASES: &[(&str, &str)] = &[
    ("-servername", "--servername"),
    ("-alpn", "--alpn"),
    ("-showcerts", "--showcerts"),
    ("-CAfile", "--ca"),
    ("--CAfile", "--ca"),
    ("--cafile", "--ca"),
    ("-cert", "--cert"),
    ("-key", "--key"),
    ("-keylogfile", "--keylog"),
    ("--keylogfile", "--keylog"),
    ("-tls1_2", "--tls12"),
    ("-tls1_3", "--tls13"),
    ("-ign_eof", "--ign-eof"),
    ("-groups", "--groups"),
    ("-curves", "--groups"),
    ("-ciphersuites", "--suites"),
    ("-sigalgs", "--sigalgs"),
    ("-noservername", "--no-sni"),
];

/// Rewrites the s_client spellings after `client` into this tool's flags (issue 12 item 7:
/// `-connect h:p` used to be answered with a suggestion of `-- -c`).
fn s_client_spellings(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is_client = args.get(1).is_some_and(|a| a == "client");
    if !is_client {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        let Some(s) = a.to_str() else {
            out.push(a);
            continue;
        };
        if s == "-connect" || s == "--connect" {
            continue;
        }
        if let Some(v) = s
            .strip_prefix("-connect=")
            .or_else(|| s.strip_prefix("--connect="))
        {
            out.push(v.into());
            continue;
        }
        let (flag, value) = match s.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (s, None),
        };
        match S_CLIENT_ALIASES.iter().find(|(from, _)| *from == flag) {
            Some((_, to)) => out.push(match value {
                Some(v) => format!("{to}={v}").into(),
                None => (*to).into(),
            }),
            None => out.push(a),
        }
    }
    out
}

fn main() -> ExitCode {
    let argv = s_client_spellings(std::env::args_os().collect());
    let is_client = argv.get(1).is_some_and(|a| a == "client");
    // A single-dash word left after the rewrite is an s_client flag we do not take
    // (`-verify_return_error`); clap would read it as `-v` and suggest something unrelated.
    let odd = argv
        .iter()
        .skip(2)
        .filter_map(|a| a.to_str())
        .find(|a| a.starts_with('-') && !a.starts_with("--") && a.len() > 2)
        .map(str::to_string);
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            if let (true, Some(flag)) = (is_client, odd) {
                if e.kind() != clap::error::ErrorKind::DisplayHelp {
                    eprintln!(
                        "clasp client: '{flag}' is not a flag of this tool: it takes GNU-style \
                         flags (--servername, --ca, --alpn, --showcerts, --keylog, --tls12, ...; \
                         see clasp client --help). Accepted s_client spellings: -connect, {}",
                        S_CLIENT_ALIASES
                            .iter()
                            .filter(|(f, _)| !f.starts_with("--"))
                            .map(|(f, _)| *f)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    return ExitCode::from(exit::USAGE);
                }
            }
            e.exit()
        }
    };
    let code = match cli.command {
        Command::Demo(a) => demo::run(&a),
        Command::Client(a) => client::run(&a),
        Command::Server(a) => server::run(&a),
    };
    ExitCode::from(code)
}
