//! A poller thread's door bell: wake-ups and the stop request, coalesced into flags.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// What a wait on the bell ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ring {
    /// Someone asked for a cycle (any number of wakes since the last wait count once).
    Wake,
    /// The thread must stop.
    Stop,
    /// The wait ran out.
    Timeout,
}

#[derive(Debug, Default)]
struct Flags {
    wake: bool,
    stop: bool,
}

/// Coalescing signals for one thread.
#[derive(Debug, Default)]
pub struct Bell {
    flags: Mutex<Flags>,
    rung: Condvar,
}

impl Bell {
    fn flags(&self) -> std::sync::MutexGuard<'_, Flags> {
        self.flags.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for a cycle.
    pub fn wake(&self) {
        self.flags().wake = true;
        self.rung.notify_all();
    }

    /// Asks the thread to stop.
    pub fn stop(&self) {
        self.flags().stop = true;
        self.rung.notify_all();
    }

    /// Waits up to `timeout` for a ring; a wake is consumed, a stop stays.
    pub fn wait(&self, timeout: Duration) -> Ring {
        let guard = self.flags();
        let (mut flags, _) = self
            .rung
            .wait_timeout_while(guard, timeout, |f| !f.wake && !f.stop)
            .unwrap_or_else(|p| p.into_inner());
        if flags.stop {
            Ring::Stop
        } else if std::mem::take(&mut flags.wake) {
            Ring::Wake
        } else {
            Ring::Timeout
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_wakes_before_a_wait_ring_once_and_a_stop_stays() {
        let bell = Bell::default();
        for _ in 0..50 {
            bell.wake();
        }
        assert_eq!(bell.wait(Duration::ZERO), Ring::Wake);
        assert_eq!(bell.wait(Duration::from_millis(5)), Ring::Timeout);
        bell.wake();
        bell.stop();
        assert_eq!(bell.wait(Duration::ZERO), Ring::Stop);
        assert_eq!(bell.wait(Duration::ZERO), Ring::Stop);
    }
}
