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
}

#[cfg(feature = "fault-injection")]
mod armed {
    use std::sync::atomic::{AtomicBool, Ordering};

    static ARMED: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

    /// Makes the next pass through `point` panic.
    pub fn arm(point: super::Point) {
        ARMED[point as usize].store(true, Ordering::SeqCst);
    }

    #[inline]
    pub fn hit(point: super::Point) {
        if ARMED[point as usize].swap(false, Ordering::SeqCst) {
            panic!("injected fault");
        }
    }
}

#[cfg(feature = "fault-injection")]
pub use armed::{arm, hit};

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn hit(_point: Point) {}
