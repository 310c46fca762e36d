//! RFC 8448 ("Example Handshake Traces for TLS 1.3") test vectors, for tests only.
//!
//! The vectors live in `clasp/testdata/rfc8448.txt`; its header lists every name with a
//! one-line description. Look one up with [`rfc8448`]:
//!
//! ```ignore
//! let ch = crate::testdata::rfc8448("s3.client_hello");
//! ```
//!
//! Integration tests can use this file too, without `crate::` paths:
//!
//! ```ignore
//! #[path = "../src/testdata.rs"]
//! mod testdata;
//! ```
#![allow(dead_code)] // Each test binary that includes this file uses only part of it.

/// The vector file, compiled in so tests need no working directory.
const RFC8448: &str = include_str!("../testdata/rfc8448.txt");

/// The bytes of the RFC 8448 vector called `name` (for example `"s3.client_hello"`).
///
/// Panics with the list of known names if `name` is not in the file: this is test-only code
/// and a typo should fail loudly.
pub(crate) fn rfc8448(name: &str) -> Vec<u8> {
    match rfc8448_entries().into_iter().find(|(n, _)| *n == name) {
        Some((_, bytes)) => bytes,
        None => {
            let known: Vec<&str> = rfc8448_entries().into_iter().map(|(n, _)| n).collect();
            panic!(
                "no RFC 8448 vector named {name:?} in clasp/testdata/rfc8448.txt; known names: {}",
                known.join(", ")
            )
        }
    }
}

/// Every entry of the vector file, in file order, as `(name, bytes)`.
///
/// Panics on a malformed file (a hex token that is not two hex digits, or hex before the
/// first name), naming the entry and line.
pub(crate) fn rfc8448_entries() -> Vec<(&'static str, Vec<u8>)> {
    let mut entries: Vec<(&'static str, Vec<u8>)> = Vec::new();
    for (index, raw) in RFC8448.lines().enumerate() {
        let line_no = index + 1;
        let mut line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, rest)) = line.split_once(':') {
            entries.push((name.trim(), Vec::new()));
            line = rest;
        }
        let Some((name, bytes)) = entries.last_mut() else {
            panic!("rfc8448.txt line {line_no}: hex before the first `name:` line");
        };
        for token in line.split_whitespace() {
            bytes.push(parse_hex_byte(token).unwrap_or_else(|| {
                panic!("rfc8448.txt line {line_no} (entry {name}): bad hex byte {token:?}")
            }));
        }
    }
    entries
}

/// Bytes from a string of hex digits, ignoring whitespace (for vectors copied from RFCs).
///
/// Panics on an odd number of digits or a non-hex digit: this is test-only code.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let digits: String = s.split_whitespace().collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits in {s:?}");
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                .and_then(parse_hex_byte)
                .unwrap_or_else(|| panic!("bad hex digits at offset {i} in {s:?}"))
        })
        .collect()
}

/// One byte written as exactly two hex digits.
fn parse_hex_byte(token: &str) -> Option<u8> {
    if token.len() == 2 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        u8::from_str_radix(token, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_parses_and_is_unique_and_non_empty() {
        let entries = rfc8448_entries();
        assert!(entries.len() >= 50, "only {} entries", entries.len());
        let mut names: Vec<&str> = entries.iter().map(|(n, _)| *n).collect();
        for (name, bytes) in &entries {
            assert!(!bytes.is_empty(), "{name} is empty");
            let (section, rest) = name.split_once('.').expect("name is s<section>.<name>");
            assert!(section.starts_with('s') && section[1..].bytes().all(|b| b.is_ascii_digit()));
            assert!(
                rest.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name} is not snake_case"
            );
        }
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate names");
    }

    #[test]
    fn header_lists_every_name() {
        for (name, _) in rfc8448_entries() {
            let listed = RFC8448
                .lines()
                .take_while(|l| l.starts_with('#') || l.trim().is_empty())
                .any(|l| l.split_whitespace().nth(1) == Some(name));
            assert!(listed, "{name} missing from the file header");
        }
    }

    #[test]
    fn section3_lengths() {
        let len = |n: &str| rfc8448(n).len();
        assert_eq!(len("s3.client_hello"), 196);
        assert_eq!(len("s3.client_hello_record"), 201);
        assert_eq!(len("s3.client_x25519_private"), 32);
        assert_eq!(len("s3.server_x25519_public"), 32);
        assert_eq!(len("s3.server_hello"), 90);
        assert_eq!(len("s3.certificate"), 445);
        assert_eq!(len("s3.certificate_verify"), 136);
        assert_eq!(len("s3.server_handshake_record"), 679);
        assert_eq!(len("s3.client_finished_record"), 58);
        assert_eq!(len("s3.new_session_ticket"), 205);
        assert_eq!(len("s3.server_handshake_key"), 16);
        assert_eq!(len("s3.server_handshake_iv"), 12);
        assert_eq!(len("s3.rsa_modulus"), 128);
        assert_eq!(len("s3.rsa_prime1"), 64);
    }

    #[test]
    fn section4_lengths_and_binder_layout() {
        let len = |n: &str| rfc8448(n).len();
        assert_eq!(len("s4.client_hello_prefix"), 477);
        assert_eq!(len("s4.client_hello"), 512);
        assert_eq!(len("s4.binder"), 32);
        assert_eq!(len("s4.server_hello"), 96);
        assert_eq!(len("s4.early_data"), 6);
        assert_eq!(rfc8448("s4.psk"), rfc8448("s3.resumption_psk"));
        // ClientHello = prefix || binders list (u16 length 0x21, u8 length 0x20, binder).
        let mut ch = rfc8448("s4.client_hello_prefix");
        ch.extend_from_slice(&[0x00, 0x21, 0x20]);
        ch.extend_from_slice(&rfc8448("s4.binder"));
        assert_eq!(ch, rfc8448("s4.client_hello"));
    }

    #[test]
    fn section5_lengths() {
        let len = |n: &str| rfc8448(n).len();
        assert_eq!(len("s5.client_hello_1"), 180);
        assert_eq!(len("s5.hello_retry_request"), 176);
        assert_eq!(len("s5.client_hello_2"), 512);
        assert_eq!(len("s5.client_p256_public"), 65);
        assert_eq!(len("s5.server_hello"), 123);
        assert_eq!(len("s5.server_handshake_record"), 667);
        assert_eq!(len("s5.shared_secret"), 32);
        assert_eq!(rfc8448("s5.certificate"), rfc8448("s3.certificate"));
    }

    #[test]
    fn section3_structure() {
        // Handshake headers carry the right type and length (RFC 8446 §4).
        for (name, msg_type) in [
            ("s3.client_hello", 1u8),
            ("s3.server_hello", 2),
            ("s3.new_session_ticket", 4),
            ("s3.encrypted_extensions", 8),
            ("s3.certificate", 11),
            ("s3.certificate_verify", 15),
            ("s3.server_finished", 20),
            ("s3.client_finished", 20),
        ] {
            let m = rfc8448(name);
            assert_eq!(m[0], msg_type, "{name}");
            let len = usize::from(m[1]) << 16 | usize::from(m[2]) << 8 | usize::from(m[3]);
            assert_eq!(len + 4, m.len(), "{name}");
        }
        // The plaintext records wrap exactly the messages.
        assert_eq!(
            rfc8448("s3.client_hello_record")[5..],
            rfc8448("s3.client_hello")[..]
        );
        assert_eq!(
            rfc8448("s3.server_hello_record")[5..],
            rfc8448("s3.server_hello")[..]
        );
        // Records' length fields match.
        for (name, _) in rfc8448_entries() {
            if name.ends_with("_record") {
                let r = rfc8448(name);
                assert_eq!(
                    usize::from(r[3]) << 8 | usize::from(r[4]),
                    r.len() - 5,
                    "{name}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "no RFC 8448 vector named \"s3.no_such_thing\"")]
    fn unknown_name_panics_clearly() {
        let _ = rfc8448("s3.no_such_thing");
    }

    #[test]
    fn hex_byte_parser() {
        assert_eq!(parse_hex_byte("0a"), Some(0x0a));
        assert_eq!(parse_hex_byte("FF"), Some(0xff));
        assert_eq!(parse_hex_byte("+1"), None);
        assert_eq!(parse_hex_byte("abc"), None);
        assert_eq!(parse_hex_byte("g0"), None);
    }

    #[test]
    fn hex_string_parser() {
        assert_eq!(hex("00 0aFF\n10"), vec![0x00, 0x0a, 0xff, 0x10]);
        assert_eq!(hex(""), Vec::<u8>::new());
    }

    #[test]
    #[should_panic(expected = "odd number of hex digits")]
    fn hex_string_parser_rejects_odd_length() {
        let _ = hex("abc");
    }
}
