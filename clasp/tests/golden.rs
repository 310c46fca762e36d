//! Golden transcripts: handshakes recorded against `openssl s_server`, replayed offline.
//!
//! Each `clasp/testdata/golden/<scenario>.hex` holds every byte a clasp client on the
//! deterministic provider sent and received in one real connection (recorded by
//! `cargo run -p xtask -- golden`). Here a fresh client gets the recorded server bytes and must
//! write exactly the recorded client bytes, complete the handshake with the negotiated
//! version/suite/group the scenario names, and decrypt the server's reply. No OpenSSL needed.
//!
//! A failure here means the client's wire output changed. If the change is intended (a new
//! extension, another order), re-record and review the diff of the golden files; see
//! `clasp/testdata/golden/README.md`.

#[path = "golden/provider.rs"]
mod provider;
#[path = "golden/transcript.rs"]
mod transcript;

use std::path::{Path, PathBuf};

use transcript::{expected_reply, replay, scenario_header, Golden, Scenario, SCENARIOS};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden")
}

fn read(name: &str) -> Vec<u8> {
    let p = dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn load(sc: &Scenario) -> Golden {
    let text = String::from_utf8(read(&format!("{}.hex", sc.name))).expect("golden file is UTF-8");
    Golden::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", sc.name))
}

fn scenario(name: &str) -> &'static Scenario {
    transcript::scenario(name).expect("scenario in the table")
}

/// Replays one scenario and checks everything the recording promises.
fn check(name: &str) {
    let sc = scenario(name);
    let golden = load(sc);
    // The file was recorded for this scenario: every header line the code would write now
    // (parameters, fixed time, application data) is in the file unchanged.
    for (k, v) in scenario_header(sc) {
        assert_eq!(
            golden.get(&k),
            Some(v.as_str()),
            "{name}: header `{k}` differs from the scenario table; re-record (README.md)"
        );
    }
    let out = replay(&golden, &read("ca.der")).unwrap_or_else(|e| {
        panic!("{name}: {e}\nIf this wire change is intended, re-record (README.md).")
    });
    assert_eq!(out.version, Some(sc.version), "{name}: version");
    assert_eq!(out.suite, Some(sc.suite), "{name}: cipher suite");
    assert_eq!(out.group, Some(sc.group), "{name}: group");
    assert_eq!(out.hello_retry, sc.hello_retry, "{name}: HelloRetryRequest");
    assert_eq!(
        out.leaf,
        Some(read("server.der")),
        "{name}: server certificate"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.app_received),
        String::from_utf8_lossy(&expected_reply()),
        "{name}: decrypted reply"
    );
}

#[test]
fn golden_tls13_x25519_aes128gcm() {
    check("tls13-x25519-aes128gcm");
}

#[test]
fn golden_tls13_p384_hello_retry_request() {
    check("tls13-p384-hrr");
}

#[test]
fn golden_tls12_ecdhe_ecdsa_aes128gcm() {
    check("tls12-ecdhe-ecdsa-aes128gcm");
}

#[test]
fn every_scenario_has_a_test_and_every_file_a_scenario() {
    let tested = [
        "tls13-x25519-aes128gcm",
        "tls13-p384-hrr",
        "tls12-ecdhe-ecdsa-aes128gcm",
    ];
    let mut names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    names.sort_unstable();
    let mut want = tested.to_vec();
    want.sort_unstable();
    assert_eq!(names, want, "add a #[test] for each new scenario");

    let mut files: Vec<String> = std::fs::read_dir(dir())
        .expect("golden dir")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".hex").map(str::to_owned)
        })
        .collect();
    files.sort_unstable();
    assert_eq!(
        files, want,
        "a .hex file without a scenario (or the reverse)"
    );
}

/// The replay really compares the client's bytes: one changed byte in the recorded
/// ClientHello (the last byte of the first record) is reported with its position.
#[test]
fn a_changed_client_hello_byte_is_caught() {
    let mut golden = load(scenario("tls13-x25519-aes128gcm"));
    let first = transcript::split_records(&golden.client)[0].len();
    golden.client[first - 1] ^= 0x01;
    let err = replay(&golden, &read("ca.der")).expect_err("tampered recording must not replay");
    assert!(
        err.contains(&format!("client byte {}", first - 1)) && err.contains("record 1"),
        "{err}"
    );
}

/// A shorter recording (a client message dropped) is caught too: the client writes past the
/// end of what was recorded.
#[test]
fn a_missing_client_record_is_caught() {
    let mut golden = load(scenario("tls12-ecdhe-ecdsa-aes128gcm"));
    let last = transcript::split_records(&golden.client)
        .last()
        .expect("records")
        .len();
    golden.client.truncate(golden.client.len() - last);
    let err = replay(&golden, &read("ca.der")).expect_err("truncated recording must not replay");
    assert!(err.contains("past the end of the recording"), "{err}");
}

/// The server bytes matter: a flipped bit in the server's encrypted flight fails the
/// handshake (AEAD), so a replay cannot pass on a corrupted file.
#[test]
fn a_corrupted_server_record_fails_the_handshake() {
    let mut golden = load(scenario("tls13-p384-hrr"));
    let records = transcript::split_records(&golden.server);
    // The first encrypted record after the second ServerHello (HRR, CCS, ServerHello, …).
    let offset: usize = records.iter().take(3).map(|r| r.len()).sum::<usize>() + 5;
    golden.server[offset] ^= 0x80;
    let err = replay(&golden, &read("ca.der")).expect_err("corrupted server bytes");
    assert!(err.contains("client error"), "{err}");
}

/// The file format round-trips and the annotations name the HelloRetryRequest.
#[test]
fn golden_files_parse_back_to_the_same_bytes() {
    for sc in SCENARIOS {
        let g = load(sc);
        let again = Golden::parse(&g.render(sc.version)).expect("rendered file parses");
        assert_eq!(again.client, g.client, "{}", sc.name);
        assert_eq!(again.server, g.server, "{}", sc.name);
        assert_eq!(again.header, g.header, "{}", sc.name);
    }
    let hrr = g_text("tls13-p384-hrr");
    assert!(hrr.contains("server_hello (HelloRetryRequest)"), "{hrr}");
}

fn g_text(name: &str) -> String {
    String::from_utf8(read(&format!("{name}.hex"))).expect("UTF-8")
}

/// Two fresh deterministic providers give the same "random" bytes, and consecutive fills of
/// one provider differ (a client random equal to its session id would hide a mix-up).
#[test]
fn deterministic_provider_repeats_across_configs() {
    let (a, b) = (
        provider::deterministic_provider(),
        provider::deterministic_provider(),
    );
    let (mut x, mut y, mut z) = ([0u8; 32], [0u8; 32], [0u8; 32]);
    a.secure_random.fill(&mut x).unwrap();
    b.secure_random.fill(&mut y).unwrap();
    a.secure_random.fill(&mut z).unwrap();
    assert_eq!(x, y);
    assert_ne!(x, z);
}
