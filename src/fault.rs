//! Fault injection for tests (cargo feature `fault-injection`): makes the
//! next operation at a given point panic, to prove that panics are caught at
//! the C boundary and on the worker. Without the feature, `hit` is empty.

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
}

#[cfg(feature = "fault-injection")]
mod armed {
    use std::sync::atomic::{AtomicBool, Ordering};

    static ARMED: [AtomicBool; 3] = [
        AtomicBool::new(false),
        AtomicBool::new(false),
        AtomicBool::new(false),
    ];

    /// Makes the next pass through `point` panic.
    pub fn arm(point: super::Point) {
        ARMED[point as usize].store(true, Ordering::SeqCst);
    }

    thread_local! {
        static ARMED_HERE: [std::cell::Cell<bool>; 3] = const {
            [std::cell::Cell::new(false), std::cell::Cell::new(false), std::cell::Cell::new(false)]
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
pub use armed::{arm, arm_here, hit};

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn hit(_point: Point) {}
