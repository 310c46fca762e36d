//! A child process with captured output, timeouts on every wait, and a kill on drop.

use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long starts, expectations and exits wait by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Bufs {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Streams that reached end of file: at 2 the process has exited (or closed both), and
    /// nothing more can appear.
    closed: u8,
}

#[derive(Default)]
struct Captured {
    bufs: Mutex<Bufs>,
    changed: Condvar,
}

impl Captured {
    fn lock(&self) -> MutexGuard<'_, Bufs> {
        // A reader thread cannot panic while holding the lock (it only extends a Vec), but a
        // poisoned lock still holds valid bytes, so take them either way.
        self.bufs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Which output stream(s) an expectation looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output only.
    Stdout,
    /// Standard error only.
    Stderr,
    /// Either stream.
    Either,
}

/// A running peer program.
///
/// Its stdout and stderr are read by background threads into buffers that can be inspected
/// at any time; stdin is a pipe the test writes to. Dropping it kills the process.
pub struct PeerProcess {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    captured: Arc<Captured>,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

impl fmt::Debug for PeerProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerProcess")
            .field("command", &self.command)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

/// Quotes a command line for messages (not for a shell).
fn render(program: &OsStr, args: &[std::ffi::OsString]) -> String {
    let mut s = program.to_string_lossy().into_owned();
    for a in args {
        s.push(' ');
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(' ') {
            s.push('\'');
            s.push_str(&a);
            s.push('\'');
        } else {
            s.push_str(&a);
        }
    }
    s
}

impl PeerProcess {
    /// Starts `program args…` with piped stdin/stdout/stderr.
    ///
    /// When `stdbuf` (coreutils) is on PATH the program runs under `stdbuf -oL -eL`, so that
    /// peers which print through stdio (gnutls-serv) flush each line to the pipe instead of
    /// holding it in a 4 KiB buffer until exit.
    pub fn spawn<S: AsRef<OsStr>>(program: &str, args: &[S]) -> io::Result<Self> {
        let args: Vec<std::ffi::OsString> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        let command = render(OsStr::new(program), &args);
        let mut cmd = if crate::peer_available("stdbuf") {
            let mut c = Command::new("stdbuf");
            c.arg("-oL").arg("-eL").arg(program);
            c
        } else {
            Command::new(program)
        };
        cmd.args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        let captured = Arc::new(Captured::default());
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(reader_thread(out, Arc::clone(&captured), Stream::Stdout));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(reader_thread(err, Arc::clone(&captured), Stream::Stderr));
        }
        let stdin = child.stdin.take();
        Ok(PeerProcess {
            command,
            child,
            stdin,
            captured,
            readers,
            status: None,
        })
    }

    /// The command line, for messages.
    pub fn command_line(&self) -> &str {
        &self.command
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything read from stdout so far (lossy UTF-8).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.captured.lock().stdout).into_owned()
    }

    /// Everything read from stderr so far (lossy UTF-8).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.captured.lock().stderr).into_owned()
    }

    /// Raw stdout bytes so far.
    pub fn stdout_bytes(&self) -> Vec<u8> {
        self.captured.lock().stdout.clone()
    }

    /// A dump of the command line and both streams, for failure messages.
    pub fn dump(&self) -> String {
        format!(
            "command: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.command,
            self.stdout(),
            self.stderr()
        )
    }

    /// Writes bytes to the peer's stdin (for s_client / s_server / gnutls-cli: data to send).
    ///
    /// # Panics
    /// If stdin was closed or the peer is gone.
    pub fn send(&mut self, data: &[u8]) {
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("stdin already closed: {}", self.command));
        if let Err(e) = stdin.write_all(data).and_then(|()| stdin.flush()) {
            panic!("writing to stdin failed ({e}):\n{}", self.dump());
        }
    }

    /// Closes stdin (EOF makes s_client / gnutls-cli close the connection and exit).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits until `needle` appears in `stream`, the process closes its output (exits), or
    /// `timeout` passes.
    /// Returns whether it appeared.
    pub fn wait_for_in(&self, stream: Stream, needle: &str, timeout: Duration) -> bool {
        self.wait_until(timeout, |b| {
            let hay = |v: &[u8]| String::from_utf8_lossy(v).contains(needle);
            match stream {
                Stream::Stdout => hay(&b.stdout),
                Stream::Stderr => hay(&b.stderr),
                Stream::Either => hay(&b.stdout) || hay(&b.stderr),
            }
        })
    }

    /// [`wait_for_in`](Self::wait_for_in) on either stream.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        self.wait_for_in(Stream::Either, needle, timeout)
    }

    /// Like [`wait_for`](Self::wait_for) but panics with a full dump when `needle` does not
    /// appear within `timeout`.
    pub fn expect_output(&self, needle: &str, timeout: Duration) {
        if !self.wait_for(needle, timeout) {
            panic!(
                "expected {needle:?} within {timeout:?}, not seen:\n{}",
                self.dump()
            );
        }
    }

    fn wait_until(&self, timeout: Duration, mut done: impl FnMut(&Bufs) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut bufs = self.captured.lock();
        loop {
            if done(&bufs) {
                return true;
            }
            if bufs.closed >= 2 {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            // Short slices so an exited process (whose output will not grow) is noticed even
            // without a notification.
            let slice = (deadline - now).min(Duration::from_millis(50));
            bufs = self
                .captured
                .changed
                .wait_timeout(bufs, slice)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// The exit status if the process has exited, without waiting.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_status() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Kills the process (SIGKILL) if still running and reaps it.
    pub fn kill(&mut self) {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// Closes stdin, waits up to `timeout` for exit (killing the process if it does not),
    /// and returns everything it printed.
    pub fn finish(mut self, timeout: Duration) -> PeerOutput {
        self.close_stdin();
        let status = self.wait_exit(timeout);
        let timed_out = status.is_none();
        self.kill();
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let bufs = self.captured.lock();
        PeerOutput {
            command: self.command.clone(),
            status: if timed_out { None } else { status },
            timed_out,
            stdout: String::from_utf8_lossy(&bufs.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&bufs.stderr).into_owned(),
            expectation: None,
        }
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.stdin = None;
        self.kill();
    }
}

fn reader_thread<R: Read + Send + 'static>(
    mut r: R,
    captured: Arc<Captured>,
    stream: Stream,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut b = captured.lock();
                    let v = if stream == Stream::Stdout {
                        &mut b.stdout
                    } else {
                        &mut b.stderr
                    };
                    v.extend_from_slice(&buf[..n]);
                    drop(b);
                    captured.changed.notify_all();
                }
            }
        }
        captured.lock().closed += 1;
        captured.changed.notify_all();
    })
}

/// What a finished peer printed, and how it ended.
#[derive(Clone, Debug)]
pub struct PeerOutput {
    /// The command line that ran.
    pub command: String,
    /// Exit status; `None` when it had to be killed after the timeout.
    pub status: Option<ExitStatus>,
    /// True when the process did not exit within the timeout and was killed.
    pub timed_out: bool,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// For `run` with an expectation: the expected text and whether it appeared in stdout.
    pub expectation: Option<(String, bool)>,
}

impl PeerOutput {
    /// Exited by itself with status 0, and the expectation (if any) was met.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success()) && self.expectation.as_ref().is_none_or(|e| e.1)
    }

    /// Panics with a full dump unless [`success`](Self::success).
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "peer did not succeed:\n{self}");
        self
    }

    /// Panics with a full dump unless the peer failed (non-zero exit, or expectation unmet).
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success(), "peer unexpectedly succeeded:\n{self}");
        self
    }

    /// Both streams, stdout first.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Whether either stream contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.stdout.contains(needle) || self.stderr.contains(needle)
    }

    /// Panics with a full dump unless either stream contains `needle`.
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.contains(needle),
            "expected {needle:?} in output:\n{self}"
        );
        self
    }

    /// The negotiated protocol ("TLSv1.3", "TLS1.2", …) as the peer printed it; see
    /// [`crate::parse::negotiated_version`].
    pub fn version(&self) -> Option<crate::TlsVersion> {
        crate::parse::negotiated_version(&self.combined())
    }

    /// The negotiated cipher suite as the peer printed it; see [`crate::parse::cipher`].
    pub fn cipher(&self) -> Option<String> {
        crate::parse::cipher(&self.combined())
    }
}

impl fmt::Display for PeerOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.command)?;
        writeln!(
            f,
            "status: {:?}{}",
            self.status,
            if self.timed_out {
                " (timed out, killed)"
            } else {
                ""
            }
        )?;
        if let Some((e, seen)) = &self.expectation {
            writeln!(f, "expected in stdout: {e:?} seen: {seen}")?;
        }
        write!(
            f,
            "--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.stdout, self.stderr
        )
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it).
///
/// Another process may take it before the peer binds it; the servers retry with a fresh port
/// when that happens.
///
/// # Panics
/// If binding a loopback socket fails.
pub fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
    l.local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .port()
}

/// Runs a one-shot client: spawn, send `stdin`, wait for `expect` in stdout (if any), close
/// stdin, and wait for exit — every wait bounded by `timeout`.
pub(crate) fn run_client(
    program: &str,
    args: &[String],
    stdin: &[u8],
    expect: Option<&str>,
    timeout: Duration,
) -> PeerOutput {
    let mut p =
        PeerProcess::spawn(program, args).unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let start = Instant::now();
    if !stdin.is_empty() {
        // A client that failed its handshake may already be gone: a broken pipe here is part
        // of the outcome, which the exit status reports.
        if let Some(s) = p.stdin.as_mut() {
            let _ = s.write_all(stdin).and_then(|()| s.flush());
        }
    }
    let expectation = expect.map(|e| {
        let seen = p.wait_for_in(Stream::Stdout, e, timeout);
        (e.to_owned(), seen)
    });
    let left = timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_secs(1));
    let mut out = p.finish(left);
    out.expectation = expectation;
    out
}

/// Whether process `pid` holds a listening IPv4 TCP socket on `port` (the clients connect to
/// 127.0.0.1; gnutls-serv also binds `[::]` but only after 0.0.0.0).
///
/// Reads `/proc/net/tcp` for LISTEN sockets on the port and matches their inodes against
/// `/proc/<pid>/fd`. This tells "our server is ready" apart from "someone else owns the port"
/// without connecting (a probe connection would use up an `s_server -naccept 1`).
/// Returns false where `/proc` is unavailable.
pub fn pid_listens_on(pid: u32, port: u16) -> bool {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st ... inode (field 9); st 0A = TCP_LISTEN
            if f.len() < 10 || f[3] != "0A" {
                continue;
            }
            let Some((_, p)) = f[1].rsplit_once(':') else {
                continue;
            };
            if u16::from_str_radix(p, 16) == Ok(port) {
                inodes.push(format!("socket:[{}]", f[9]));
            }
        }
    }
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|l| inodes.iter().any(|i| l.as_os_str() == i.as_str()))
    })
}

/// Starts a server on a fresh port, retrying on a port collision.
///
/// `args_for(port)` builds the argument list; `bind_failed` is text the program prints when
/// the port is taken. Readiness is [`pid_listens_on`]. Panics with a dump if the server exits
/// or does not get ready within `timeout`.
pub(crate) fn start_server(
    program: &str,
    args_for: &dyn Fn(u16) -> Vec<String>,
    bind_failed: &str,
    timeout: Duration,
) -> (PeerProcess, u16) {
    const ATTEMPTS: usize = 5;
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        let port = free_port();
        let mut p = PeerProcess::spawn(program, &args_for(port))
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let deadline = Instant::now() + timeout;
        loop {
            if p.stderr().contains(bind_failed) || p.stdout().contains(bind_failed) {
                // Lost the race for the port: try another one.
                last = p.dump();
                break;
            }
            if pid_listens_on(p.pid(), port) {
                return (p, port);
            }
            if let Some(status) = p.try_status() {
                panic!(
                    "{program} exited ({status}) before listening:\n{}",
                    p.dump()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "{program} not listening on port {port} after {timeout:?}:\n{}",
                    p.dump()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    panic!("{program}: no free port after {ATTEMPTS} attempts; last try:\n{last}");
}
