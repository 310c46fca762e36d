//! `clasp demo --wire`, `--steal-key`, the cost summary and `--delay` (issue 16), end to end.

use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

/// A string that appears nowhere in a handshake: if the wire view printed it (or its hex), it
/// printed decrypted content.
const SECRET: &str = "clasp-wire-secret-7f3a9c";
/// The demo server's response body starts with this.
const RESPONSE: &str = "hello from the clasp server";

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("demo")
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("SSLKEYLOGFILE")
        .output()
        .expect("run clasp demo")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "clasp demo {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let s = ok(&a);
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{args:?}: {e}: {s}"))
}

fn hex(s: &str, upper: bool) -> String {
    s.bytes()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect()
}

fn assert_no_content(out: &str, what: &str) {
    for needle in [
        SECRET.to_string(),
        hex(SECRET, false),
        hex(SECRET, true),
        RESPONSE.to_string(),
        hex(RESPONSE, false),
        hex(RESPONSE, true),
        // Any 8 bytes of the secret in hex, in case a view printed a slice.
        hex(&SECRET[4..12], false),
    ] {
        assert!(!out.contains(&needle), "{what}: printed {needle:?}:\n{out}");
    }
}

#[test]
fn wire_view_never_prints_decrypted_content() {
    let modes: &[&[&str]] = &[
        &[],
        &["--tls12"],
        &["--tls12", "--kx", "rsa"],
        &["--tls12", "--kx", "dhe"],
        &["--resume"],
        &["--early-data"],
        &["--tls12", "--resume"],
        &["--mutual"],
    ];
    for mode in modes {
        let mut args = vec!["--wire", "--request-note", SECRET];
        args.extend_from_slice(mode);
        let text = ok(&args);
        assert!(text.contains("On the wire"), "{mode:?}: {text}");
        assert!(text.contains("JA4"), "{mode:?}: {text}");
        assert!(text.contains("SNI: localhost"), "{mode:?}: {text}");
        assert!(text.contains("http/1.1"), "{mode:?}: {text}");
        assert!(text.contains("application_data"), "{mode:?}: {text}");
        assert_no_content(&text, &format!("{mode:?} text"));
        args.push("--json");
        let j = ok(&args);
        assert_no_content(&j, &format!("{mode:?} json"));
        let v: Value = serde_json::from_str(&j).unwrap();
        let recs = v["handshakes"][0]["wire"]["records"].as_array().unwrap();
        assert!(recs.iter().any(|r| r["encrypted"] == true), "{mode:?}");
        // Encrypted records carry only their size: no decoded messages.
        for r in recs.iter().filter(|r| r["encrypted"] == true) {
            assert_eq!(r["plaintext_messages"].as_array().unwrap().len(), 0);
        }
    }
    // The secret really was sent: the RSA attacker finds it (so the check above is not vacuous).
    let v = json(&[
        "--tls12",
        "--kx",
        "rsa",
        "--steal-key",
        "--request-note",
        SECRET,
    ]);
    assert!(v["steal_key"][0]["client_application_data"]
        .as_str()
        .unwrap()
        .contains(SECRET));
}

#[test]
fn wire_view_shows_the_hellos_services_and_ja4() {
    let v = json(&["--wire"]);
    let w = &v["handshakes"][0]["wire"];
    let first = &w["records"][0];
    assert_eq!(first["direction"], "client->server");
    assert_eq!(first["content_type"], "handshake");
    let ch = &first["plaintext_messages"][0];
    assert_eq!(ch["type"], "ClientHello");
    assert_eq!(ch["fields"]["sni"], "localhost");
    assert_eq!(ch["fields"]["alpn"], "http/1.1");
    let ja4 = ch["fields"]["ja4"].as_str().unwrap();
    // JA4 `a_b_c`: TLS 1.3 over TCP with SNI, ALPN "h1"; two 12-digit hashes.
    let parts: Vec<&str> = ja4.split('_').collect();
    assert!(ja4.starts_with("t13d") && parts[0].ends_with("h1"), "{ja4}");
    assert_eq!(
        (parts.len(), parts[1].len(), parts[2].len()),
        (3, 12, 12),
        "{ja4}"
    );
    // TLS 1.3: everything after the ServerHello (and the compatibility CCS) is application_data.
    let sh_idx = w["records"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["plaintext_messages"][0]["type"] == "ServerHello")
        .unwrap();
    for r in &w["records"].as_array().unwrap()[sh_idx + 1..] {
        assert!(
            r["content_type"] == "application_data" || r["content_type"] == "change_cipher_spec",
            "{r}"
        );
    }
    let steps = w["endpoint_steps"].as_array().unwrap();
    let svc = |t: &str| -> Vec<String> {
        steps
            .iter()
            .find(|s| s["type"] == t)
            .unwrap_or_else(|| panic!("{t}"))["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert!(svc("ClientHello").is_empty());
    assert_eq!(svc("CertificateVerify"), ["authentication"]);
    assert_eq!(svc("Finished"), ["integrity", "authentication"]);
    assert_eq!(svc("ApplicationData"), ["confidentiality", "integrity"]);
    // Every step was placed in a flight.
    assert!(steps
        .iter()
        .filter(|s| !s["type"].as_str().unwrap_or("").starts_with("TCP "))
        .all(|s| s["flight"].is_u64()));

    // TLS 1.2: the certificate crosses the wire in the clear.
    let v = json(&["--wire", "--tls12"]);
    let recs = v["handshakes"][0]["wire"]["records"].as_array().unwrap();
    assert!(recs.iter().any(
        |r| r["plaintext_messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["type"] == "Certificate"
                && m["fields"]["certificates"]
                    .as_str()
                    .unwrap()
                    .contains("localhost"))
    ));

    let ru = ok(&["--wire", "--lang", "ru"]);
    assert!(ru.contains("На линии") && ru.contains("Цена"), "{ru}");
}

#[test]
fn steal_key_recovers_the_rsa_request_and_nothing_else() {
    let v = json(&[
        "--tls12",
        "--kx",
        "rsa",
        "--steal-key",
        "--request-note",
        SECRET,
    ]);
    let s = &v["steal_key"][0];
    assert_eq!(s["outcome"], "recovered", "{s}");
    assert_eq!(
        s["client_application_data"],
        format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Note: {SECRET}\r\n\r\n")
    );
    let response = s["server_application_data"].as_str().unwrap();
    assert!(
        response.contains(RESPONSE) && response.contains(SECRET),
        "{response}"
    );
    assert_eq!(s["extended_master_secret"], true);

    // A resumed RSA session falls with the first one (same master secret, RFC 5246 §7.3).
    let v = json(&["--tls12", "--kx", "rsa", "--resume", "--steal-key"]);
    assert_eq!(v["steal_key"][1]["outcome"], "recovered");
    assert_eq!(v["steal_key"][1]["resumed_session"], true);

    for (mode, kx) in [
        (&[][..], "tls13"),
        (&["--tls12"][..], "ecdhe"),
        (&["--tls12", "--kx", "dhe"][..], "dhe"),
        (&["--early-data"][..], "tls13"),
    ] {
        let mut args = mode.to_vec();
        args.push("--steal-key");
        let v = json(&args);
        for s in v["steal_key"].as_array().unwrap() {
            assert_eq!(s["outcome"], "no_key_transport", "{mode:?}: {s}");
            assert_eq!(s["key_exchange"], kx, "{mode:?}");
        }
        let text = ok(&args);
        assert!(text.contains("never stored"), "{mode:?}: {text}");
    }
}

fn cost(v: &Value, i: usize) -> &Value {
    &v["handshakes"][i]["cost"]
}

#[test]
fn round_trips_before_the_first_application_byte_per_mode() {
    let rt = |v: &Value, i: usize| {
        cost(v, i)["round_trips_before_first_application_byte"]
            .as_u64()
            .unwrap_or_else(|| panic!("{v}"))
    };
    assert_eq!(rt(&json(&[]), 0), 2, "TLS 1.3 full");
    assert_eq!(rt(&json(&["--tls12"]), 0), 3, "TLS 1.2 full");
    assert_eq!(rt(&json(&["--tls12", "--kx", "rsa"]), 0), 3, "TLS 1.2 RSA");
    let v = json(&["--tls12", "--resume"]);
    assert_eq!((rt(&v, 0), rt(&v, 1)), (3, 2), "TLS 1.2 resumed");
    let v = json(&["--resume"]);
    assert_eq!((rt(&v, 0), rt(&v, 1)), (2, 2), "TLS 1.3 resumed");
    let v = json(&["--early-data"]);
    assert_eq!((rt(&v, 0), rt(&v, 1)), (2, 1), "TLS 1.3 0-RTT");
    // Bytes per flight: the ClientHello flight is a few hundred bytes; TCP's flights count none.
    let f = cost(&v, 0)["flights"].as_array().unwrap();
    assert_eq!(f[0]["tcp"], true);
    assert_eq!(f[0]["bytes"], 0);
    assert!(f[2]["bytes"].as_u64().unwrap() > 100);
    let text = ok(&[]);
    assert!(
        text.contains("round trips before the first application byte (TCP included): 2"),
        "{text}"
    );
}

#[test]
fn delay_makes_tls13_finish_a_round_trip_before_tls12() {
    let t = |args: &[&str]| {
        let v = json(args);
        let c = cost(&v, 0);
        assert_eq!(c["delay_ms"], 50);
        c["handshake_ms"].as_f64().unwrap()
    };
    // Each version's time is the least of its runs: a loaded machine only ever adds time
    // (scheduling; seen: +5 to +50 ms at load 30 on 2 cores), the flights are what is compared.
    // The runs alternate so that both versions see the same load from the tests alongside, and
    // stop as soon as the minimums show the round trip (at most 10 pairs). Both use the same
    // key exchange (x25519) and certificate: with the default hybrid X25519MLKEM768 the TLS 1.3
    // side also computes more (two key shares and ML-KEM), which is not what this compares.
    let (mut t13, mut t12) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..10 {
        t13 = t13.min(t(&["--group", "x25519", "--delay", "50"]));
        // TLS 1.2 picks x25519 first by default; P-256 stays offered for the ECDSA leaf
        // (RFC 4492 §5.1).
        t12 = t12.min(t(&["--tls12", "--delay", "50"]));
        if t12 - t13 >= 100.0 {
            break;
        }
    }
    // One round trip is two one-way delays: 100 ms.
    assert!(t12 - t13 >= 100.0, "TLS 1.3 {t13} ms, TLS 1.2 {t12} ms");
    // TCP (1 RTT) + TLS 1.3 (1 RTT) at least.
    assert!(t13 >= 200.0, "{t13}");

    let out = run(&["--delay", "2001"]);
    assert_eq!(out.status.code(), Some(2));
}
