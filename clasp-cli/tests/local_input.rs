//! Bad local input to the tools (issue 10 item 4): every file and flag `clasp client` and
//! `clasp server` take, given a missing, unreadable, empty, wrong-type, DER, encrypted,
//! unsupported or mismatched file, an invalid host name or an out-of-range port, gives a clear
//! message (naming the file and saying what to do; Display, never Debug) and exit code 2, never
//! a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use clasp_testkit::{peer_available, KeyType, TestPki};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

/// A fresh scratch directory for this test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("clasp-local-input-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.to_str().unwrap().to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// Runs the tool and checks: exit 2, every `want` in stderr, no panic, no Debug output.
fn expect_usage(args: &[&str], want: &[&str]) {
    let out = run(args);
    let se = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {se}");
    for w in want {
        assert!(se.contains(w), "{args:?}: {w:?} missing from: {se}");
    }
    for debug in [
        "panicked",
        "Pem(",
        "KeyMismatch",
        "BadPrivateKey",
        "Os {",
        "kind:",
    ] {
        assert!(!se.contains(debug), "{args:?}: Debug/panic output: {se}");
    }
}

struct Files {
    dir: PathBuf,
    cert: String,
    key: String,
    ca: String,
}

fn files(name: &str) -> Files {
    let dir = scratch(name);
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    Files {
        cert: write(&dir, "cert.pem", id.chain_pem()),
        key: write(&dir, "key.pem", id.key_pem()),
        ca: write(&dir, "ca.pem", TestPki::shared().ca_pem()),
        dir,
    }
}

/// `clasp client` with `--cert`/`--key` (mutual TLS) and `--ca`, and `clasp server` with
/// `--cert`/`--key` and `--client-auth`: the same file problem through every flag.
fn each_flag(f: &Files, cert: &str, key: &str, ca: &str) -> Vec<(Vec<String>, &'static str)> {
    let s = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    vec![
        (s(&["client", "localhost:1", "--ca", ca]), "--ca"),
        (
            s(&[
                "client",
                "localhost:1",
                "--ca",
                &f.ca,
                "--cert",
                cert,
                "--key",
                &f.key,
            ]),
            "--cert",
        ),
        (
            s(&[
                "client",
                "localhost:1",
                "--ca",
                &f.ca,
                "--cert",
                &f.cert,
                "--key",
                key,
            ]),
            "--key",
        ),
        (
            s(&["server", "--port", "0", "--cert", cert, "--key", &f.key]),
            "--cert",
        ),
        (
            s(&["server", "--port", "0", "--cert", &f.cert, "--key", key]),
            "--key",
        ),
        (
            s(&["server", "--port", "0", "--client-auth", ca]),
            "--client-auth",
        ),
    ]
}

fn check_every_flag(f: &Files, path: &str, want: &[&str]) {
    for (args, flag) in each_flag(f, path, path, path) {
        // The message names the flag and the file.
        let named = format!("{flag} {path}");
        let mut w = vec![named.as_str()];
        w.extend_from_slice(want);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        expect_usage(&args, &w);
    }
}

#[test]
fn missing_file() {
    let f = files("missing");
    let p = f.dir.join("nope.pem");
    check_every_flag(&f, p.to_str().unwrap(), &["no such file", "check the path"]);
}

#[test]
fn unreadable_file_and_directory() {
    let f = files("unreadable");
    // A directory where a file belongs.
    check_every_flag(&f, f.dir.to_str().unwrap(), &["is a directory"]);
    // A file without read permission (root reads it anyway: then there is nothing to test).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = write(&f.dir, "secret.pem", TestPki::shared().ca_pem());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&p).is_err() {
            check_every_flag(&f, &p, &["permission denied"]);
        } else {
            eprintln!("skipped the mode-000 case: running as root");
        }
    }
}

#[test]
fn empty_file() {
    let f = files("empty");
    let p = write(&f.dir, "empty.pem", "");
    check_every_flag(&f, &p, &["the file is empty"]);
    let p = write(&f.dir, "blank.pem", "\n  \n");
    check_every_flag(&f, &p, &["the file is empty"]);
}

#[test]
fn not_pem_at_all() {
    let f = files("text");
    let p = write(&f.dir, "notes.txt", "hello, this is not a certificate\n");
    check_every_flag(&f, &p, &["no PEM section"]);
}

#[test]
fn wrong_pem_type() {
    let f = files("swapped");
    // A key where a certificate belongs, and a certificate where a key belongs.
    expect_usage(
        &["client", "localhost:1", "--ca", &f.key],
        &[
            "--ca",
            &f.key,
            "holds only a PRIVATE KEY section, not a CERTIFICATE",
            "swap",
        ],
    );
    expect_usage(
        &["server", "--port", "0", "--cert", &f.key, "--key", &f.cert],
        &[
            "--cert",
            "not a CERTIFICATE",
            "did you swap the certificate and the key?",
        ],
    );
    expect_usage(
        &["server", "--port", "0", "--cert", &f.cert, "--key", &f.cert],
        &[
            "--key",
            "holds only",
            "CERTIFICATE",
            "not a PRIVATE KEY",
            "swap",
        ],
    );
    let csr = write(
        &f.dir,
        "req.pem",
        "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n",
    );
    expect_usage(
        &["client", "localhost:1", "--ca", &csr],
        &["holds only a CERTIFICATE REQUEST section, not a CERTIFICATE"],
    );
}

#[test]
fn der_instead_of_pem() {
    let f = files("der");
    let id = TestPki::shared().server(KeyType::EcdsaP256);
    let cert = write(&f.dir, "cert.der", id.cert_der());
    let key = write(&f.dir, "key.der", id.key_der());
    expect_usage(
        &["client", "localhost:1", "--ca", &cert],
        &[
            "--ca",
            &cert,
            "binary (DER)",
            "openssl x509 -inform der -in",
        ],
    );
    expect_usage(
        &["server", "--port", "0", "--cert", &cert, "--key", &f.key],
        &["--cert", "binary (DER)", "openssl x509 -inform der"],
    );
    expect_usage(
        &["server", "--port", "0", "--cert", &f.cert, "--key", &key],
        &[
            "--key",
            &key,
            "binary (DER) key",
            "openssl pkey -inform der -in",
        ],
    );
}

#[test]
fn encrypted_key() {
    let f = files("encrypted");
    // PKCS#8 EncryptedPrivateKeyInfo, made by openssl when it is installed.
    let enc = f.dir.join("enc.pem");
    let made = peer_available("openssl")
        && Command::new("openssl")
            .args([
                "pkey",
                "-in",
                &f.key,
                "-aes256",
                "-passout",
                "pass:secret",
                "-out",
            ])
            .arg(&enc)
            .status()
            .is_ok_and(|s| s.success());
    if !made {
        std::fs::write(
            &enc,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap();
    }
    let enc = enc.to_str().unwrap();
    for tool in [
        vec![
            "client",
            "localhost:1",
            "--ca",
            &f.ca,
            "--cert",
            &f.cert,
            "--key",
            enc,
        ],
        vec!["server", "--port", "0", "--cert", &f.cert, "--key", enc],
    ] {
        expect_usage(
            &tool,
            &[
                "--key",
                enc,
                "the key is encrypted",
                &format!("openssl pkey -in {enc} -out"),
            ],
        );
    }
    // OpenSSL's legacy encrypted PEM ("Proc-Type: 4,ENCRYPTED").
    let legacy = write(
        &f.dir,
        "legacy.pem",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAA=\n-----END RSA PRIVATE KEY-----\n",
    );
    expect_usage(
        &["server", "--port", "0", "--cert", &f.cert, "--key", &legacy],
        &["the key is encrypted", "openssl pkey -in"],
    );
}

#[test]
fn mismatched_key_and_certificate() {
    let f = files("mismatch");
    let other = TestPki::shared().server(KeyType::Rsa2048);
    let key = write(&f.dir, "other-key.pem", other.key_pem());
    let want = [
        "--key",
        key.as_str(),
        "is not the private key of the certificate in --cert",
        f.cert.as_str(),
    ];
    expect_usage(
        &[
            "client",
            "localhost:1",
            "--ca",
            &f.ca,
            "--cert",
            &f.cert,
            "--key",
            &key,
        ],
        &want,
    );
    expect_usage(
        &["server", "--port", "0", "--cert", &f.cert, "--key", &key],
        &want,
    );
}

#[test]
fn unsupported_key_type() {
    let f = files("unsupported");
    // A DSA key (label only: clasp never gets as far as its contents).
    let dsa = write(
        &f.dir,
        "dsa.pem",
        "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n",
    );
    expect_usage(
        &["server", "--port", "0", "--cert", &f.cert, "--key", &dsa],
        &["--key", &dsa, "DSA PRIVATE KEY", "not supported", "ECDSA"],
    );
    // An Ed448 PKCS#8 key, made by openssl when it is installed: a PRIVATE KEY clasp cannot use.
    let ed448 = f.dir.join("ed448.pem");
    if peer_available("openssl")
        && Command::new("openssl")
            .args(["genpkey", "-algorithm", "ed448", "-out"])
            .arg(&ed448)
            .status()
            .is_ok_and(|s| s.success())
    {
        let k = ed448.to_str().unwrap();
        expect_usage(
            &["server", "--port", "0", "--cert", &f.cert, "--key", k],
            &[
                "--key",
                k,
                "unsupported or malformed private key",
                "Ed25519",
            ],
        );
    }
}

#[test]
fn invalid_host_names() {
    expect_usage(
        &["client", "bad host!:443"],
        &["'bad host!' is not a valid host name"],
    );
    expect_usage(
        &["client", "127.0.0.1:443", "--servername", "a b"],
        &["--servername 'a b' is not a valid host name"],
    );
    // A control character in a name is shown escaped, not sent to the terminal.
    let out = run(&["client", "evil\u{1b}[31m:443"]);
    let se = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("evil\\x1b[31m"), "{se}");
    assert!(!se.contains('\u{1b}'), "{se}");
    expect_usage(&["client", "[::1"], &["closing ']'"]);
}

#[test]
fn out_of_range_ports() {
    expect_usage(
        &["client", "localhost:70000"],
        &["port 70000 is out of range", "1 to 65535"],
    );
    expect_usage(&["client", "localhost:0"], &["port 0 is out of range"]);
    expect_usage(
        &["client", "localhost:http"],
        &["'http' is not a port number"],
    );
    expect_usage(&["client", "[::1]:99999"], &["port 99999 is out of range"]);
    expect_usage(&["server", "--port", "70000"], &["--port", "70000"]);
    expect_usage(&["server", "--listen", "localhost:80"], &["--listen"]);
}

#[test]
fn other_flags() {
    let f = files("flags");
    expect_usage(
        &[
            "client",
            "localhost:1",
            "--ca",
            &f.ca,
            "--alpn",
            "h2,,http/1.1",
        ],
        &["--alpn", "is not a protocol name"],
    );
    let long = "x".repeat(300);
    expect_usage(
        &["client", "localhost:1", "--ca", &f.ca, "--alpn", &long],
        &["--alpn", "1 to 255 bytes"],
    );
    let missing = f.dir.join("none").join("keys.txt");
    let missing = missing.to_str().unwrap();
    expect_usage(
        &["server", "--port", "0", "--keylog", missing],
        &["--keylog", missing, "cannot open the key log"],
    );
    expect_usage(
        &["server", "--port", "0", "--root", &f.ca],
        &["--root", "not a directory"],
    );
}
