//! Issue 12 item 5: `clasp demo` explains every handshake path truthfully, in English and in
//! Russian. Every path (TLS 1.3, 1.3 + HelloRetryRequest, 1.3 resumed, 0-RTT, TLS 1.2 × ECDHE,
//! DHE, RSA, mutual, resumed) is rendered in both languages with `--secrets`, and the test fails
//! - on an English word left in the Russian output (our words; protocol names, RFC formulas and
//!   certificate names stay as the registries and the peer spell them);
//! - on a TLS 1.3-only phrase in a TLS 1.2 ladder, and on Diffie-Hellman words with RSA key
//!   transport;
//! - on the wrong Finished order (RFC 5246 §7.3: client first in a full TLS 1.2 handshake,
//!   server first when resumed);
//! - on a secret derived by the RFC formulas that differs from the one the library logged, and
//!   on two connections sharing a record key.

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null())
        .output()
        .expect("spawn clasp")
}

/// The paths the issue lists, as demo flags.
const PATHS: &[(&str, &[&str])] = &[
    ("1.3", &[]),
    ("1.3 mutual", &["--mutual"]),
    ("1.3 + HRR", &["--hrr"]),
    ("1.3 resumed", &["--resume"]),
    ("0-RTT", &["--early-data"]),
    ("1.2 ecdhe", &["--tls12", "--kx", "ecdhe"]),
    ("1.2 dhe", &["--tls12", "--kx", "dhe"]),
    ("1.2 rsa", &["--tls12", "--kx", "rsa"]),
    ("1.2 mutual", &["--tls12", "--mutual"]),
    ("1.2 resumed", &["--tls12", "--resume"]),
];

/// Our English words, as they would leak into Russian output.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "of",
    "to",
    "is",
    "are",
    "with",
    "from",
    "for",
    "by",
    "key",
    "keys",
    "share",
    "shares",
    "secret",
    "secrets",
    "server",
    "client",
    "address",
    "requested",
    "offered",
    "accepted",
    "acknowledged",
    "resuming",
    "encrypted",
    "application",
    "handshake",
    "plaintext",
    "early",
    "none",
    "true",
    "false",
    "bytes",
    "error",
    "yes",
    "no",
    "identity",
    "warning",
    "fatal",
    "derived",
    "master",
    "traffic",
    "random",
    "record",
    "write",
    "took",
    "level",
    "description",
    "versions",
    "suites",
    "groups",
    "chosen",
    "session",
    "ticket",
    "data",
    "new",
    "each",
    "this",
    "that",
    "not",
    "only",
    "shared",
    "checked",
    "logged",
    "value",
    "equals",
    "differs",
    "connection",
    "certificate",
    "certificates",
    "signature",
    "algorithms",
    "valid",
    "subject",
    "issuer",
    "lifetime",
    "length",
    "public",
    "private",
    "fresh",
    "every",
    "now",
    "in",
    "use",
    "negotiated",
    "resumed",
    "sent",
    "time",
    "not",
    "ms",
];

/// English words of ours left in `ru`. Exempt: certificate subject/issuer values (the demo's
/// names), RFC formula lines (`master_secret = PRF(…)`), quoted RFC labels, and protocol
/// identifiers (message names, anything with `_`, `-` or a digit, or capitals after the first
/// letter: ClientHello, TLS, ECDHE).
fn english_left(ru: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in ru.lines() {
        if line.contains("субъект:") || line.contains("издатель:") {
            continue;
        }
        let trimmed = line.trim_start_matches(|c: char| c.is_whitespace() || c == '│');
        if trimmed
            .split_whitespace()
            .next()
            .is_some_and(|w| w.contains('_'))
        {
            continue;
        }
        // Drop "quoted" RFC labels.
        let mut plain = String::new();
        for (i, part) in line.split('"').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        for tok in plain.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            // Message names are protocol names (RFC 8446 §4, RFC 5246 §7.4).
            if tok.is_empty()
                || ["Certificate", "Finished", "Alert"].contains(&tok)
                || tok.contains(['_', '-'])
                || tok.chars().any(|c| c.is_ascii_digit())
                || tok.chars().skip(1).any(|c| c.is_ascii_uppercase())
            {
                continue;
            }
            let w = tok.to_ascii_lowercase();
            if ENGLISH.contains(&w.as_str()) {
                found.push(format!("{w:?} in {line:?}"));
            }
        }
    }
    found
}

/// Phrases that exist only in TLS 1.3 (RFC 8446 §4.2.8, §7.1, §4.1.4, §4.3.1).
const TLS13_ONLY: &[&str] = &[
    "key share",
    "handshake secret",
    "handshake traffic",
    "application traffic",
    "HelloRetryRequest",
    "EncryptedExtensions",
    "early secret",
    "after one round trip",
    "psk_dhe_ke",
    "HKDF",
    "доля ключа",
    "долю ключа",
    "доли ключа",
    "секрет рукопожатия",
    "ключи рукопожатия",
    "прикладного трафика",
    "ранний секрет",
];

/// Words that say Diffie-Hellman, wrong for RSA key transport.
const DIFFIE_HELLMAN: &[&str] = &[
    "Diffie",
    "ECDHE",
    "DHE",
    "(EC)DH",
    "key share",
    "ephemeral",
    "public value",
    "g^",
    "Диффи",
    "доля",
    "доли",
];

/// The first hex line after each line that starts with `name` (in the --secrets sections).
fn hex_after(out: &str, name: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut lines = out.lines();
    while let Some(l) = lines.next() {
        if l.trim_start().starts_with(name) {
            if let Some(h) = lines.next() {
                v.push(h.trim().to_string());
            }
        }
    }
    v
}

#[test]
fn every_path_reads_true_in_english_and_russian() {
    let results: Vec<(&str, &[&str], Output, Output)> = std::thread::scope(|s| {
        let handles: Vec<_> = PATHS
            .iter()
            .map(|(name, flags)| {
                s.spawn(move || {
                    let mut en: Vec<&str> = vec!["demo", "--secrets", "--lang", "en"];
                    en.extend_from_slice(flags);
                    let mut ru: Vec<&str> = vec!["demo", "--secrets", "--lang", "ru"];
                    ru.extend_from_slice(flags);
                    (*name, *flags, run(&en), run(&ru))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let mut failures = Vec::new();
    for (name, flags, en, ru) in &results {
        for (lang, out) in [("en", en), ("ru", ru)] {
            if !out.status.success() {
                failures.push(format!(
                    "{name} ({lang}) failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        let en = String::from_utf8_lossy(&en.stdout).into_owned();
        let ru = String::from_utf8_lossy(&ru.stdout).into_owned();
        for w in english_left(&ru) {
            failures.push(format!("{name}: English left in Russian: {w}"));
        }
        let tls12 = flags.contains(&"--tls12");
        for (lang, out) in [("en", &en), ("ru", &ru)] {
            // The story starts before TLS: the TCP three-way handshake, timed.
            let syn = out.find("TCP SYN ");
            let synack = out.find("TCP SYN-ACK");
            let ack = out.find("TCP ACK");
            let hello = out.find("ClientHello");
            if !(syn < synack && synack < ack && ack < hello && syn.is_some()) {
                failures.push(format!(
                    "{name} ({lang}): no SYN, SYN-ACK, ACK before ClientHello"
                ));
            }
            // Secrets: every derived value that the key log also has must match it.
            if out.contains('✗') {
                failures.push(format!(
                    "{name} ({lang}): a derived secret differs from the key log"
                ));
            }
            if !out.contains('✓') {
                failures.push(format!(
                    "{name} ({lang}): no secret was checked against the key log"
                ));
            }
            if tls12 {
                for p in TLS13_ONLY {
                    if out.contains(p) {
                        failures.push(format!("{name} ({lang}): TLS 1.3-only phrase {p:?}"));
                    }
                }
            }
            if flags.contains(&"rsa") {
                for p in DIFFIE_HELLMAN {
                    if out.contains(p) {
                        failures.push(format!(
                            "{name} ({lang}): Diffie-Hellman word {p:?} with RSA key transport"
                        ));
                    }
                }
            }
            // A new symmetric key for each session: no record key appears twice.
            let keys = hex_after(out, "client_write_key");
            let mut dedup = keys.clone();
            dedup.sort();
            dedup.dedup();
            if keys.is_empty() || dedup.len() != keys.len() {
                failures.push(format!(
                    "{name} ({lang}): record keys missing or repeated: {keys:?}"
                ));
            }
        }
        // What each path must say (English).
        let must: &[&str] = match *name {
            "1.3" | "1.3 mutual" => &["sends its key share", "handshake secret"],
            "1.3 + HRR" => &["HelloRetryRequest", "a key share for a different group"],
            "1.3 resumed" | "0-RTT" => &["pre-shared key (PSK)", "psk_dhe_ke"],
            "1.2 ecdhe" | "1.2 mutual" => &[
                "no key exchange yet",
                "ECDHE public value on the chosen curve",
                "the server's ChangeCipherSpec and Finished still follow",
                "pre_master_secret = shared_secret",
            ],
            "1.2 dhe" => &["(p, g)", "g^xy mod p", "pre_master_secret = shared_secret"],
            "1.2 rsa" => &[
                "no ServerKeyExchange",
                "48-byte pre-master secret, encrypted to the RSA key",
                "No forward secrecy",
                "only a server that decrypted the pre-master secret",
                "pre_master_secret\n",
            ],
            "1.2 resumed" => &[
                "the server finishes first",
                "the abbreviated handshake is complete",
                "recovered from the ticket",
            ],
            _ => &[],
        };
        for m in must {
            if !en.contains(m) {
                failures.push(format!("{name}: missing {m:?}"));
            }
        }
        // Finished order in TLS 1.2 (RFC 5246 §7.3): full, client first; resumed, server first.
        if tls12 {
            let (first, resumed) = match en.split_once("2. Resumed handshake") {
                Some((a, b)) => (a, Some(b)),
                None => (en.as_str(), None),
            };
            let client_first = |t: &str| {
                let c = t.find("├── Finished");
                let s = t.find("─ Finished 🔒 ──┤");
                c.is_some() && s.is_some() && c < s
            };
            if !client_first(first) {
                failures.push(format!(
                    "{name}: the client does not finish first in the full handshake"
                ));
            }
            if let Some(r) = resumed {
                if client_first(r) {
                    failures.push(format!("{name}: the resumed server does not finish first"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_word_check_catches_english() {
    let leaks = english_left("    │   ⇒ сервер выбирает the key share\n  адрес: 127.0.0.1");
    assert_eq!(leaks.len(), 3, "{leaks:?}");
    assert!(english_left(
        "    │   уровень: предупреждение\n  master_secret = PRF(x, \"master secret\")"
    )
    .is_empty());
}
