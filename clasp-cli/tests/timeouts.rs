//! `clasp client` timeouts (issue 9 item 14): a server that accepts and never answers, one that
//! drips its handshake a byte at a time, and a listener whose backlog is full (the TCP connect
//! never completes) are each given up on with exit code 6 and a message naming the flag, within
//! the configured time. Bad values are usage errors.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_clasp");

fn spawn_client(args: &[&str]) -> Child {
    Command::new(BIN)
        .arg("client")
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the client at most `limit`; kills it (and fails) if it is still running.
fn wait_within(mut child: Child, limit: Duration) -> (Output, Duration) {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return (child.wait_with_output().unwrap(), start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "clasp client still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A listener that accepts one connection and then runs `behave` on it.
fn server(behave: fn(TcpStream)) -> (u16, JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        if let Ok((s, _)) = l.accept() {
            behave(s);
        }
    });
    (port, t)
}

fn silent(mut s: TcpStream) {
    // Read the ClientHello and say nothing until the client goes away.
    let mut buf = [0u8; 4096];
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
}

fn drip(mut s: TcpStream) {
    let _ = s.read(&mut [0u8; 4096]);
    // A handshake record header announcing 16 KiB, then one byte every 200 ms: each read
    // returns data, so only a deadline for the whole handshake stops it.
    let mut bytes = vec![0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0x3f, 0xfc];
    bytes.resize(16 * 1024, 0);
    for b in bytes {
        if s.write_all(&[b]).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn handshake_timeout_fires_against_a_silent_server() {
    let (port, t) = server(silent);
    let target = format!("127.0.0.1:{port}");
    let child = spawn_client(&[
        &target,
        "--servername",
        "localhost",
        "--handshake-timeout",
        "1",
    ]);
    let (out, took) = wait_within(child, Duration::from_secs(10));
    t.join().unwrap();
    let se = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{se}");
    assert!(
        se.contains("did not complete within 1 s (--handshake-timeout)"),
        "{se}"
    );
    assert!(took >= Duration::from_millis(900), "{took:?}");
}

#[test]
fn handshake_timeout_fires_against_a_dripping_server() {
    let (port, t) = server(drip);
    let target = format!("127.0.0.1:{port}");
    let child = spawn_client(&[
        &target,
        "--servername",
        "localhost",
        "--handshake-timeout",
        "1.5",
    ]);
    let (out, took) = wait_within(child, Duration::from_secs(10));
    t.join().unwrap();
    let se = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{se}");
    assert!(se.contains("within 1.5 s (--handshake-timeout)"), "{se}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn connect_timeout_fires_when_the_backlog_is_full() {
    // A listener that never accepts: once its accept queue is full, Linux drops further SYNs,
    // so a connect neither succeeds nor fails.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let mut held = Vec::new();
    let mut full = false;
    for _ in 0..2000 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => held.push(s),
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    if !full {
        eprintln!("skipped: this kernel accepted 2000 connections into a never-read backlog");
        return;
    }
    let target = addr.to_string();
    // (--handshake-timeout too, so that a backlog that was not quite full fails fast.)
    let child = spawn_client(&[
        &target,
        "--connect-timeout",
        "0.5",
        "--handshake-timeout",
        "1",
    ]);
    let (out, took) = wait_within(child, Duration::from_secs(10));
    let se = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{se}");
    assert!(
        se.contains("no answer within 0.5 s (--connect-timeout)"),
        "{se}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    drop(held);
}

#[test]
fn bad_timeout_values_are_usage_errors() {
    for (flag, value) in [
        ("--connect-timeout", "0"),
        ("--connect-timeout", "-1"),
        ("--handshake-timeout", "soon"),
        ("--handshake-timeout", "1e9"),
    ] {
        let child = spawn_client(&["localhost:1", &format!("{flag}={value}")]);
        let (out, _) = wait_within(child, Duration::from_secs(10));
        let se = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {se}");
        assert!(se.contains(flag), "{se}");
        assert!(se.contains("is not a number of seconds"), "{se}");
    }
}
