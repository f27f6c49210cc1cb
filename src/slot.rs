//! One global callback slot (contract C2.8): a later `set` replaces the
//! earlier value, `None` clears it, and once `set` has returned no delivery
//! reaches the replaced value. Plain Rust; the values are whatever the caller
//! stores (the C callbacks, in `ffi`).

use parking_lot::{Condvar, Mutex};

pub struct Slot<T: Copy> {
    state: Mutex<SlotState<T>>,
    idle: Condvar,
}

struct SlotState<T> {
    current: Option<T>,
    /// Deliveries to this slot under way (on worker threads).
    delivering: usize,
}

impl<T: Copy> Default for Slot<T> {
    fn default() -> Self {
        Slot::new()
    }
}

impl<T: Copy> Slot<T> {
    pub const fn new() -> Slot<T> {
        Slot {
            state: Mutex::new(SlotState {
                current: None,
                delivering: 0,
            }),
            idle: Condvar::new(),
        }
    }

    /// Replaces the value. Unless `on_worker` (called from inside a
    /// delivery, which must not wait for itself), waits until the
    /// deliveries under way have ended.
    pub fn set(&self, value: Option<T>, on_worker: bool) {
        let mut s = self.state.lock();
        s.current = value;
        if !on_worker {
            while s.delivering > 0 {
                self.idle.wait(&mut s);
            }
        }
    }

    /// The value now.
    pub fn get(&self) -> Option<T> {
        self.state.lock().current
    }

    /// Runs `f` with the current value, if any, with no lock held. `f` may
    /// call into C: nothing here catches unwinding, and the delivery is
    /// marked ended however `f` ends.
    pub fn deliver(&self, f: impl FnOnce(T)) {
        let current = {
            let mut s = self.state.lock();
            let Some(v) = s.current else { return };
            s.delivering += 1;
            v
        };
        let _ended = Ended(self);
        f(current);
    }
}

/// Marks a delivery ended when dropped (also by an unwind through it).
struct Ended<'a, T: Copy>(&'a Slot<T>);

impl<T: Copy> Drop for Ended<'_, T> {
    fn drop(&mut self) {
        self.0.state.lock().delivering -= 1;
        self.0.idle.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_later_set_replaces_and_none_clears() {
        let s = Slot::new();
        assert_eq!(s.get(), None);
        s.set(Some(1), false);
        s.set(Some(2), false);
        let mut got = None;
        s.deliver(|v| got = Some(v));
        assert_eq!(got, Some(2));
        s.set(None, false);
        s.deliver(|_| panic!("delivered to a cleared slot"));
    }

    #[test]
    fn set_waits_for_a_delivery_under_way_unless_on_the_worker() {
        let s = Arc::new(Slot::new());
        s.set(Some(7), false);
        let in_delivery = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (s2, d2, f2) = (s.clone(), in_delivery.clone(), finished.clone());
        let t = std::thread::spawn(move || {
            s2.deliver(|_| {
                // From inside the delivery: does not wait for itself.
                s2.set(Some(8), true);
                d2.store(true, SeqCst);
                std::thread::sleep(Duration::from_millis(100));
                f2.store(true, SeqCst);
            })
        });
        while !in_delivery.load(SeqCst) {
            std::thread::yield_now();
        }
        s.set(None, false);
        assert!(
            finished.load(SeqCst),
            "set returned while a delivery was under way"
        );
        t.join().unwrap();
    }
}
