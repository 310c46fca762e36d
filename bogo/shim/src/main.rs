//! `clasp-bogo-shim`: lets BoringSSL's TLS test runner ("BoGo", `ssl/test/runner`) drive clasp.
//!
//! The protocol (BoringSSL `ssl/test/PORTING.md`): the runner starts the shim with flags, the
//! shim connects to `127.0.0.1:-port` (or `[::1]` with `-ipv6`) in either role, sends `-shim-id`
//! as a little-endian u64, runs the handshake and the test's data exchange, and exits 0 on
//! success, 1 with a BoringSSL-style reason code on stderr on failure, and 89 for anything clasp
//! does not implement. Only clasp's public API is used here; see `bogo/README.md`.

mod errors;
mod flags;
mod ocsp;
mod run;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let confs = match flags::parse(&args) {
        Ok(flags::Command::HandshakerSupported) => {
            println!("No");
            return ExitCode::SUCCESS;
        }
        Ok(flags::Command::Run(c)) => c,
        Err(flags::FlagError::Unimplemented(f)) => {
            note_unimplemented(&f);
            eprintln!("unimplemented flag: {f}");
            return ExitCode::from(run::UNIMPLEMENTED);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match run::run(&confs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(run::Failure::Unimplemented(why)) => {
            note_unimplemented(&why);
            eprintln!("unimplemented: {why}");
            ExitCode::from(run::UNIMPLEMENTED)
        }
        Err(f) => {
            eprintln!("{f}");
            ExitCode::FAILURE
        }
    }
}

/// With `CLASP_BOGO_UNIMPLEMENTED_LOG=path`, appends what made a test unimplemented to `path`,
/// one line per test (the runner does not show a skipped test's stderr), so `bogo/run` can
/// count which missing features cost the most tests.
fn note_unimplemented(what: &str) {
    use std::io::Write;
    if let Some(path) = std::env::var_os("CLASP_BOGO_UNIMPLEMENTED_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{what}");
        }
    }
}
