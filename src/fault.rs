//! Fault injection for tests (cargo feature `fault-injection`): makes the
//! next operation at a given point panic, to prove that panics are caught at
//! the C boundary and on the worker, or (`Journal`) makes the next durable
//! write fail as a full disk would. Without the feature, `hit` is empty and
//! `fails` is false.

#[derive(Clone, Copy)]
pub enum Point {
    /// In a conversation function, after its arguments were checked and
    /// before anything changed.
    Store = 0,
    /// On the worker, while rendering a callback's JSON.
    Render = 1,
    /// In a store transaction, right after its first change was applied
    /// (to prove that a batch applies whole or not at all).
    Batch = 2,
    /// In the durable store's write, after its first record was written and
    /// before the commit: the write fails (see [`fails`]).
    Journal = 3,
}

#[cfg(feature = "fault-injection")]
mod armed {
    use std::sync::atomic::{AtomicBool, Ordering};

    static ARMED: [AtomicBool; 4] = [
        AtomicBool::new(false),
        AtomicBool::new(false),
        AtomicBool::new(false),
        AtomicBool::new(false),
    ];
    /// Failures still to come at [`super::Point::Journal`].
    static FAILURES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    /// Makes the next `n` durable writes fail.
    pub fn fail_writes(n: u32) {
        FAILURES.store(n, Ordering::SeqCst);
    }

    /// True when this pass through `point` is to fail (counted down).
    pub fn fails(_point: super::Point) -> bool {
        FAILURES
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Makes the next pass through `point` panic.
    pub fn arm(point: super::Point) {
        ARMED[point as usize].store(true, Ordering::SeqCst);
    }

    thread_local! {
        static ARMED_HERE: [std::cell::Cell<bool>; 4] = const {
            [
                std::cell::Cell::new(false),
                std::cell::Cell::new(false),
                std::cell::Cell::new(false),
                std::cell::Cell::new(false),
            ]
        };
    }

    /// Makes the next pass through `point` on this thread panic (for unit
    /// tests, which run in parallel threads).
    pub fn arm_here(point: super::Point) {
        ARMED_HERE.with(|a| a[point as usize].set(true));
    }

    #[inline]
    pub fn hit(point: super::Point) {
        let here = ARMED_HERE.with(|a| a[point as usize].replace(false));
        if here || ARMED[point as usize].swap(false, Ordering::SeqCst) {
            panic!("injected fault");
        }
    }
}

#[cfg(feature = "fault-injection")]
pub use armed::{arm, arm_here, fail_writes, fails, hit};

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn hit(_point: Point) {}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn fails(_point: Point) -> bool {
    false
}
