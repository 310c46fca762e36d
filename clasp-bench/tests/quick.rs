//! `clasp-bench --quick --json` runs every row a tiny number of times and prints JSON that
//! parses, with every handshake kind's client and server rows and their floors. Nothing about
//! time is asserted: this checks that the benchmark runs (CI), not what it measures.

use std::process::Command;

#[test]
fn quick_json_runs_and_parses() {
    let out = Command::new(env!("CARGO_BIN_EXE_clasp-bench"))
        .args(["--quick", "--json"])
        .output()
        .expect("run clasp-bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "clasp-bench failed: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    assert!(
        v["cpu"].is_string() && v["load_average_before"].is_string(),
        "{v}"
    );
    let rows = v["rows"].as_array().expect("rows");
    let handshake: Vec<_> = rows.iter().filter(|r| r["median_us"].is_object()).collect();
    // Ten kinds × client and server.
    assert_eq!(handshake.len(), 20, "{v:#}");
    for r in &handshake {
        let m = &r["median_us"];
        assert!(m["clasp"].is_f64() && m["floor"].is_f64(), "{r}");
        // rustls lacks only DHE; OpenSSL 3.0 lacks only X25519MLKEM768.
        let scenario = r["scenario"].as_str().unwrap_or_default();
        assert_eq!(
            m["rustls"].is_null(),
            scenario.contains("DHE ffdhe2048"),
            "{r}"
        );
        assert_eq!(m["openssl"].is_null(), scenario.contains("MLKEM"), "{r}");
    }
    // The bulk and memory rows are there too.
    assert!(rows.len() > handshake.len() + 20, "{v:#}");
}
