//! The limits of `clasp server`: how many connections it holds, for how long, and what it does
//! when a limit is reached (issue 10). Owns the connection registry, the counters and the
//! per-connection watchdog; never decides anything about TLS or HTTP itself.
//!
//! The policy, in one place:
//! - **Caps.** At most `max_connections` connections in total and `max_connections_per_ip` from
//!   one address. A connection is *idle* when no HTTP request is in flight on it: still in the
//!   TLS handshake, waiting for (or dripping) a request head, or between keep-alive requests. At a
//!   cap, a newcomer takes the place of the connection that has been idle longest (it is closed
//!   at once, as nginx reuses idle keep-alive connections); only when every connection at the cap
//!   is busy is the newcomer closed instead, before a byte is read. So a cap's worth of idle
//!   connections, however they were opened, never keeps a real client out, and a refusal costs
//!   one `accept` and one `close`.
//! - **Timeouts.** The TLS handshake must finish within `handshake_timeout`; an HTTP/1 request
//!   head within `header_timeout` (hyper's own timer); a connection idle for `idle_timeout` is
//!   closed (HTTP/1 keep-alive and HTTP/2 alike: HTTP/2 PINGs do not count as use); and a busy
//!   connection on which no byte moved either way for `idle_timeout` (a client that stopped
//!   reading its response or sending its upload) is closed as stalled.
//! - **Descriptor exhaustion.** When `accept` fails for lack of descriptors or memory, the idle
//!   connection oldest in the registry is closed to make room and the loop backs off; the error is
//!   logged at most once per [`STORM_LOG_INTERVAL`], with the count of repeats.
//! - **Counters** for each of these, logged every `stats_interval` when they changed.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// How often a storm of identical errors (e.g. `accept` failing with EMFILE) is logged at most.
pub const STORM_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Largest piece of a response body handed to hyper at once, so a large body is pulled as the
/// client reads it and the connection counts as busy until little of it is left.
const BODY_CHUNK: usize = 64 * 1024;

/// The configured limits (flags of `clasp server`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed for one HTTP/1 request head (from the first wait for it).
    pub header_timeout: Duration,
    /// Idle (no request in flight) or stalled (nothing moving) time before a connection is cut.
    pub idle_timeout: Duration,
    /// HTTP/2 PING interval and the time to wait for its answer (`None`: no PINGs).
    pub h2_keepalive: Option<Duration>,
    /// Largest HTTP request head (HTTP/1 read buffer, HTTP/2 header list).
    pub max_head_bytes: usize,
    /// Connections held at once, in total.
    pub max_connections: usize,
    /// Connections held at once from one client address.
    pub max_connections_per_ip: usize,
    /// How often counters are logged (`None`: never).
    pub stats_interval: Option<Duration>,
}

/// Why the server ended a connection on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Idle for the idle timeout.
    Idle,
    /// Busy, but no byte moved for the idle timeout.
    Stalled,
    /// Closed to make room for a newcomer at a cap, or for a descriptor.
    Evicted,
}

/// Counters, logged periodically.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted and admitted.
    pub accepted: AtomicU64,
    /// Connections closed at once because every connection at a cap was busy.
    pub refused: AtomicU64,
    /// Idle connections closed to make room.
    pub evicted: AtomicU64,
    /// Handshakes that did not finish in time.
    pub handshake_timeouts: AtomicU64,
    /// Handshakes that failed.
    pub handshake_failures: AtomicU64,
    /// HTTP/1 request heads that did not arrive in time.
    pub header_timeouts: AtomicU64,
    /// Connections cut for being idle.
    pub idle_cuts: AtomicU64,
    /// Connections cut for being stalled.
    pub stall_cuts: AtomicU64,
    /// Request bodies refused as too large.
    pub too_large: AtomicU64,
    /// Failed `accept` calls.
    pub accept_errors: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    /// Counts a cut.
    pub fn count_cut(&self, cut: Cut) {
        bump(match cut {
            Cut::Idle => &self.idle_cuts,
            Cut::Stalled => &self.stall_cuts,
            // Counted when the eviction is decided (`Registry::admit`, `evict_one`).
            Cut::Evicted => return,
        });
    }

    /// One log line of all counters plus the connections open now.
    fn line(&self, open: usize) -> String {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "open={open} accepted={} refused={} evicted={} handshake_timeout={} \
             handshake_failed={} header_timeout={} idle_cut={} stall_cut={} too_large={} \
             accept_errors={}",
            g(&self.accepted),
            g(&self.refused),
            g(&self.evicted),
            g(&self.handshake_timeouts),
            g(&self.handshake_failures),
            g(&self.header_timeouts),
            g(&self.idle_cuts),
            g(&self.stall_cuts),
            g(&self.too_large),
            g(&self.accept_errors),
        )
    }
}

/// One admitted connection, as the registry sees it.
#[derive(Debug)]
struct Slot {
    ip: IpAddr,
    /// Requests in flight (HTTP/2 may have several).
    busy: usize,
    /// When `busy` last dropped to zero (or the connection was accepted).
    idle_since: Instant,
    evict: Arc<Notify>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    slots: HashMap<u64, Slot>,
    per_ip: HashMap<IpAddr, usize>,
}

impl Inner {
    fn remove(&mut self, id: u64) -> Option<Slot> {
        let slot = self.slots.remove(&id)?;
        if let Some(n) = self.per_ip.get_mut(&slot.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_ip.remove(&slot.ip);
            }
        }
        Some(slot)
    }

    /// Closes the connection idle longest (from `ip` only, if given). Linear in the connections
    /// held, which the cap bounds; runs only when a cap or the descriptors are exhausted.
    fn evict_oldest_idle(&mut self, ip: Option<IpAddr>) -> bool {
        let oldest = self
            .slots
            .iter()
            .filter(|(_, s)| s.busy == 0 && ip.is_none_or(|ip| s.ip == ip))
            .min_by_key(|(_, s)| s.idle_since)
            .map(|(&id, _)| id);
        match oldest.and_then(|id| self.remove(id)) {
            Some(slot) => {
                // A stored permit: the connection's watchdog sees it even if not waiting yet.
                slot.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// All connections held, their state, and the counters.
#[derive(Debug)]
pub struct Registry {
    limits: Limits,
    inner: Mutex<Inner>,
    stats: Stats,
    epoch: Instant,
}

impl Registry {
    /// An empty registry enforcing `limits`.
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            inner: Mutex::new(Inner::default()),
            stats: Stats::default(),
            epoch: Instant::now(),
        })
    }

    /// The limits enforced.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves only counts behind, still consistent enough to
        // go on with.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admits a connection from `ip`, evicting the longest-idle connection if a cap is reached.
    /// `None` when every connection at the cap is busy: close the newcomer at once.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ConnSlot> {
        let mut inner = self.lock();
        let from_ip = inner.per_ip.get(&ip).copied().unwrap_or(0);
        if from_ip >= self.limits.max_connections_per_ip {
            if !inner.evict_oldest_idle(Some(ip)) {
                bump(&self.stats.refused);
                return None;
            }
            bump(&self.stats.evicted);
        }
        if inner.slots.len() >= self.limits.max_connections {
            if !inner.evict_oldest_idle(None) {
                bump(&self.stats.refused);
                return None;
            }
            bump(&self.stats.evicted);
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let evict = Arc::new(Notify::new());
        inner.slots.insert(
            id,
            Slot {
                ip,
                busy: 0,
                idle_since: Instant::now(),
                evict: evict.clone(),
            },
        );
        *inner.per_ip.entry(ip).or_insert(0) += 1;
        drop(inner);
        bump(&self.stats.accepted);
        Some(ConnSlot {
            registry: self.clone(),
            id,
            evict,
            progress: Arc::new(AtomicU64::new(self.now_ms())),
        })
    }

    /// Closes the idle connection that has waited longest, to free its descriptor.
    pub fn evict_one(&self) -> bool {
        let evicted = self.lock().evict_oldest_idle(None);
        if evicted {
            bump(&self.stats.evicted);
        }
        evicted
    }

    /// Connections held now.
    pub fn open(&self) -> usize {
        self.lock().slots.len()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Logs the counters every `stats_interval` when they changed; runs for the server's life.
    pub async fn log_stats(self: Arc<Self>) {
        let Some(every) = self.limits.stats_interval else {
            return;
        };
        let mut last = String::new();
        loop {
            tokio::time::sleep(every).await;
            let line = self.stats.line(self.open());
            if line != last {
                eprintln!("clasp server: stats: {line}");
                last = line;
            }
        }
    }
}

/// A connection's place in the registry; dropping it frees the place.
#[derive(Debug)]
pub struct ConnSlot {
    registry: Arc<Registry>,
    id: u64,
    evict: Arc<Notify>,
    /// Milliseconds since the registry's epoch when a byte last moved on the transport.
    progress: Arc<AtomicU64>,
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.registry.lock().remove(self.id);
    }
}

impl ConnSlot {
    /// Marks a request in flight until the returned guard is dropped.
    pub fn busy(&self) -> BusyGuard {
        if let Some(slot) = self.registry.lock().slots.get_mut(&self.id) {
            slot.busy += 1;
        }
        BusyGuard {
            registry: self.registry.clone(),
            id: self.id,
        }
    }

    /// Wraps the transport so that every byte moved counts as progress.
    pub fn track<IO>(&self, io: IO) -> Progress<IO> {
        Progress {
            io,
            progress: self.progress.clone(),
            registry: self.registry.clone(),
        }
    }

    /// Resolves when the connection must be cut: idle or stalled for the idle timeout, or
    /// evicted. Run it next to the connection's work and drop the work when it resolves.
    pub async fn watchdog(&self) -> Cut {
        let timeout = self.registry.limits.idle_timeout;
        loop {
            let idle_since = {
                let inner = self.registry.lock();
                match inner.slots.get(&self.id) {
                    None => return Cut::Evicted,
                    Some(s) if s.busy == 0 => Some(s.idle_since),
                    Some(_) => None,
                }
            };
            let now = Instant::now();
            let moved_ms = self.progress.load(Ordering::Relaxed);
            let moved = self.registry.epoch + Duration::from_millis(moved_ms);
            if idle_since.is_some_and(|t| now >= t + timeout) {
                return Cut::Idle;
            }
            if now >= moved + timeout {
                return Cut::Stalled;
            }
            let next = idle_since.map_or(moved, |t| t.min(moved)) + timeout;
            let next = next.max(now + Duration::from_millis(10));
            tokio::select! {
                () = tokio::time::sleep_until(next.into()) => {}
                () = self.evict.notified() => return Cut::Evicted,
            }
        }
    }
}

/// A request in flight on a connection; dropping it (when the response body is handed over)
/// makes the connection idle again if it was the last.
#[derive(Debug)]
pub struct BusyGuard {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        if let Some(slot) = self.registry.lock().slots.get_mut(&self.id) {
            slot.busy = slot.busy.saturating_sub(1);
            if slot.busy == 0 {
                slot.idle_since = Instant::now();
            }
        }
    }
}

/// A transport that records when a byte last moved (for the stall rule).
#[derive(Debug)]
pub struct Progress<IO> {
    io: IO,
    progress: Arc<AtomicU64>,
    registry: Arc<Registry>,
}

impl<IO> Progress<IO> {
    fn moved(&self) {
        self.progress
            .store(self.registry.now_ms(), Ordering::Relaxed);
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Progress<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.moved();
        }
        r
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Progress<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.moved();
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A response body handed to hyper in pieces of at most [`BODY_CHUNK`], holding the request's
/// [`BusyGuard`] until the last piece is taken, and the request's unread body (if the answer
/// came before it, see [`UnreadBody`]) until the response body is dropped.
#[derive(Debug)]
pub struct TrackedBody {
    data: Bytes,
    busy: Option<BusyGuard>,
    _unread: Option<UnreadBody>,
}

impl TrackedBody {
    /// `data`, keeping `busy` until it is all handed over.
    pub fn new(data: Bytes, busy: BusyGuard) -> Self {
        Self {
            data,
            busy: Some(busy),
            _unread: None,
        }
    }

    /// Keeps `unread` alive until this body is dropped, i.e. after its last piece was sent.
    #[must_use]
    pub fn holding(mut self, unread: Option<UnreadBody>) -> Self {
        self._unread = unread;
        self
    }
}

/// A request body the server answered before reading it all (413). It must outlive the
/// response: in HTTP/2 dropping it makes the stream reset, with CANCEL while the response is
/// still unsent (curl then reports a framing error and no status), with NO_ERROR once the
/// response is complete, which RFC 9113 §8.1 says asks the client to stop sending "without
/// error". Carried from the handler to [`TrackedBody`] in the response's extensions (hence the
/// `Arc<Mutex<…>>`: extensions must be `Clone + Sync`).
#[derive(Debug, Clone)]
pub struct UnreadBody {
    _body: Arc<Mutex<hyper::body::Incoming>>,
}

impl UnreadBody {
    /// Holds `body` (dropped with the last clone).
    pub fn new(body: hyper::body::Incoming) -> Self {
        Self {
            _body: Arc::new(Mutex::new(body)),
        }
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.data.is_empty() {
            this.busy = None;
            return Poll::Ready(None);
        }
        let n = this.data.len().min(BODY_CHUNK);
        let piece = this.data.split_to(n);
        if this.data.is_empty() {
            this.busy = None;
        }
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

/// Logs a repeating error at most once per [`STORM_LOG_INTERVAL`], with the number of repeats
/// not logged.
#[derive(Debug, Default)]
pub struct StormLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl StormLog {
    /// Logs `msg` unless a line was logged less than the interval ago.
    pub fn log(&mut self, msg: &str) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < STORM_LOG_INTERVAL)
        {
            self.suppressed += 1;
            return;
        }
        let repeats = std::mem::take(&mut self.suppressed);
        if repeats > 0 {
            eprintln!(
                "clasp server: {msg} (and {repeats} more times in the last {} s)",
                STORM_LOG_INTERVAL.as_secs()
            );
        } else {
            eprintln!("clasp server: {msg}");
        }
        self.last = Some(now);
    }
}

/// Whether an `accept` error means the process or system is out of descriptors or memory
/// (EMFILE, ENFILE, ENOBUFS, ENOMEM on Linux): keep the server up and back off.
pub fn is_resource_exhaustion(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize, per_ip: usize) -> Limits {
        Limits {
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            h2_keepalive: None,
            max_head_bytes: 16 * 1024,
            max_connections: max,
            max_connections_per_ip: per_ip,
            stats_interval: None,
        }
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn at_the_cap_the_longest_idle_makes_room_and_busy_ones_refuse() {
        let reg = Registry::new(limits(2, 10));
        let first = reg.admit(A).expect("first");
        let second = reg.admit(B).expect("second");
        let _busy = second.busy();
        // Third: the idle first one is evicted.
        let third = reg.admit(A).expect("third");
        assert_eq!(reg.open(), 2);
        assert_eq!(reg.stats.evicted.load(Ordering::Relaxed), 1);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(first.watchdog()), Cut::Evicted);
        drop(first); // its slot is already gone: nothing else changes
        assert_eq!(reg.open(), 2);
        // Both held are now busy: the next is refused.
        let _busy3 = third.busy();
        assert!(reg.admit(A).is_none());
        assert_eq!(reg.stats.refused.load(Ordering::Relaxed), 1);
        drop(third);
        assert!(reg.admit(B).is_some());
    }

    #[test]
    fn per_ip_cap_evicts_only_that_address() {
        let reg = Registry::new(limits(10, 1));
        let a = reg.admit(A).expect("a");
        let b = reg.admit(B).expect("b");
        let _a2 = reg.admit(A).expect("a2 replaces a");
        assert!(!reg.lock().slots.contains_key(&a.id));
        assert!(reg.lock().slots.contains_key(&b.id));
        let _busy = _a2.busy();
        assert!(reg.admit(A).is_none());
    }

    #[test]
    fn busy_ends_when_the_body_is_handed_over() {
        let reg = Registry::new(limits(1, 1));
        let conn = reg.admit(A).expect("a");
        let mut body = TrackedBody::new(Bytes::from(vec![7u8; BODY_CHUNK + 1]), conn.busy());
        assert!(reg.admit(B).is_none(), "busy connection evicted");
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut got = 0;
        while let Poll::Ready(Some(Ok(f))) = Pin::new(&mut body).poll_frame(&mut cx) {
            got += f.into_data().map_or(0, |d| d.len());
        }
        assert_eq!(got, BODY_CHUNK + 1);
        assert!(reg.admit(B).is_some(), "idle connection not evicted");
    }
}
