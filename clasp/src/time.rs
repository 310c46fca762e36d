//! Time: the one place clasp reads the clock.
//!
//! The protocol core never calls `SystemTime::now()` itself (STYLE: "no clocks read directly"):
//! certificate validity and ticket ages use a [`TimeProvider`] held by the config, so tests can
//! fix the time and get the same answer every run.

use core::fmt::Debug;
use core::time::Duration;

use rustls_pki_types::UnixTime;

/// A source of the current time.
pub trait TimeProvider: Send + Sync + Debug {
    /// The current time, as seconds since the Unix epoch.
    fn now(&self) -> UnixTime;
}

/// The system clock (`std::time::SystemTime`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTimeProvider;

impl TimeProvider for SystemTimeProvider {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
}

/// A clock stopped at one instant: for tests, replays and reproducible traces.
#[derive(Debug, Clone, Copy)]
pub struct FixedTimeProvider(pub UnixTime);

impl FixedTimeProvider {
    /// A clock stopped at `secs` seconds after the Unix epoch.
    #[must_use]
    pub fn from_secs(secs: u64) -> Self {
        Self(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
    }
}

impl TimeProvider for FixedTimeProvider {
    fn now(&self) -> UnixTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_time_is_fixed() {
        let t = FixedTimeProvider::from_secs(1_700_000_000);
        assert_eq!(t.now().as_secs(), 1_700_000_000);
        assert_eq!(t.now(), t.now());
    }

    #[test]
    fn system_time_is_after_2024() {
        // 2024-01-01T00:00:00Z: a clock before this is broken, not just slow.
        assert!(SystemTimeProvider.now().as_secs() > 1_704_067_200);
    }
}
