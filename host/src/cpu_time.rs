//! The guest's own CPU time, measured honestly.
//!
//! A call's future is wrapped in [`Metered`], which reads the thread's CPU
//! clock (`CLOCK_THREAD_CPUTIME_ID`) before and after each poll and sums
//! the difference: time the future spends waiting (for the network, a WASI
//! sleep, or a scheduler busy with other tasks) is not on the thread's
//! clock, so it is never charged. The host's own imports run inside those
//! polls; they are wrapped too and their CPU is subtracted, so a connector
//! is charged only for its own instructions.
//!
//! Where no thread CPU clock exists (non-Unix), wall time stands in.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// One call's CPU account, shared by the wrapper and the store.
#[derive(Debug, Default)]
pub(crate) struct CpuAccount {
    /// CPU of finished polls of the whole call, in ns.
    call_ns: AtomicU64,
    /// Thread CPU clock when the current poll started; 0 outside a poll.
    poll_started_ns: AtomicU64,
    /// CPU the host's imports used, in ns.
    host_ns: AtomicU64,
}

impl CpuAccount {
    /// The guest's CPU so far, including the poll in progress (the epoch
    /// callback asks from inside it, on the polling thread).
    pub(crate) fn guest_time(&self) -> Duration {
        let mut call = self.call_ns.load(Ordering::Relaxed);
        let started = self.poll_started_ns.load(Ordering::Relaxed);
        if started != 0 {
            call = call.saturating_add(thread_cpu_ns().saturating_sub(started));
        }
        Duration::from_nanos(call.saturating_sub(self.host_ns.load(Ordering::Relaxed)))
    }
}

/// Which counter a [`Metered`] future adds to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Meter {
    /// The whole call (guest and host imports).
    Call,
    /// One host import, subtracted from the guest's share.
    Host,
}

pin_project_lite::pin_project! {
    /// A future whose polls are charged to a [`CpuAccount`].
    pub(crate) struct Metered<F> {
        #[pin]
        inner: F,
        account: Arc<CpuAccount>,
        meter: Meter,
    }
}

/// Wraps `inner` so its CPU is charged to `account`.
pub(crate) fn metered<F: Future>(inner: F, account: Arc<CpuAccount>, meter: Meter) -> Metered<F> {
    Metered { inner, account, meter }
}

impl<F: Future> Future for Metered<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let started = thread_cpu_ns().max(1);
        if let Meter::Call = this.meter {
            this.account.poll_started_ns.store(started, Ordering::Relaxed);
        }
        let result = this.inner.poll(cx);
        let used = thread_cpu_ns().saturating_sub(started);
        match this.meter {
            Meter::Call => {
                this.account.poll_started_ns.store(0, Ordering::Relaxed);
                this.account.call_ns.fetch_add(used, Ordering::Relaxed);
            }
            Meter::Host => {
                this.account.host_ns.fetch_add(used, Ordering::Relaxed);
            }
        }
        result
    }
}

#[cfg(unix)]
fn thread_cpu_ns() -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a
    // constant every supported Unix defines.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return 0;
    }
    (now.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(now.tv_nsec as u64)
}

#[cfg(not(unix))]
fn thread_cpu_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Burns `cpu` of this thread's CPU time (not wall time: the machine
    /// may be busy with other tests).
    fn spin(cpu: Duration) {
        let start = thread_cpu_ns();
        while thread_cpu_ns() - start < cpu.as_nanos() as u64 {
            std::hint::black_box(0);
        }
    }

    #[tokio::test]
    async fn waiting_is_free_and_spinning_is_charged() {
        let account = Arc::new(CpuAccount::default());
        metered(
            tokio::time::sleep(Duration::from_millis(200)),
            account.clone(),
            Meter::Call,
        )
        .await;
        assert!(
            account.guest_time() < Duration::from_millis(50),
            "{:?}",
            account.guest_time()
        );
        metered(
            async {
                spin(Duration::from_millis(100));
            },
            account.clone(),
            Meter::Call,
        )
        .await;
        assert!(
            account.guest_time() >= Duration::from_millis(60),
            "{:?}",
            account.guest_time()
        );
        // CPU inside a host import is not the guest's.
        let before = account.guest_time();
        metered(
            metered(
                async {
                    let until = std::time::Instant::now() + Duration::from_millis(100);
                    while std::time::Instant::now() < until {
                        std::hint::black_box(0);
                    }
                },
                account.clone(),
                Meter::Host,
            ),
            account.clone(),
            Meter::Call,
        )
        .await;
        assert!(account.guest_time() < before + Duration::from_millis(30));
    }
}
