//! The C callbacks the worker invokes, and `user_data`, which only travels.
//!
//! The app's function pointers arrive with the vendor's `extern "C"` types
//! and are kept as `extern "C-unwind"` (the same calling convention): a host
//! may end the callback thread from inside a callback with a forced unwind
//! (`pthread_exit`), and that unwind must be allowed through our frames (see
//! `crate::dispatch`).

use std::ffi::{c_char, c_int, c_void, CStr};

use super::types::{
    TIMCommCallback, TIMConvEventCallback, TIMLogCallback, TIMNetworkStatusListenerCallback,
};

/// The app's `user_data`: handed back bit for bit, never dereferenced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserData(*const c_void);

// SAFETY: the pointer is never dereferenced by the library, only passed back
// to the app's own callback; what it points to is the app's business.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    pub fn new(p: *const c_void) -> UserData {
        UserData(p)
    }

    pub fn as_ptr(self) -> *const c_void {
        self.0
    }
}

/// `type $name` is the `"C-unwind"` twin of the function type inside the
/// vendor typedef `$c` (an `Option<unsafe extern "C" fn(...)>`), and
/// `$name::from_c` converts.
macro_rules! unwind_fn {
    ($name:ident, $from_c:ident, $c:ty, fn($($arg:ty),*)) => {
        type $name = unsafe extern "C-unwind" fn($($arg),*);
        fn $from_c(f: unsafe extern "C" fn($($arg),*)) -> $name {
            // Checks that `$c` wraps exactly this function type.
            let _: $c = Some(f);
            // SAFETY: "C" and "C-unwind" are the same calling convention;
            // only what Rust assumes about unwinding out of the call differs.
            unsafe { std::mem::transmute::<unsafe extern "C" fn($($arg),*), $name>(f) }
        }
    };
}

unwind_fn!(
    CommFn,
    comm_fn,
    TIMCommCallback,
    fn(i32, *const c_char, *const c_char, *const c_void)
);
unwind_fn!(
    ConvEventFn,
    conv_event_fn,
    TIMConvEventCallback,
    fn(c_int, *const c_char, *const c_void)
);
unwind_fn!(
    NetworkFn,
    network_fn,
    TIMNetworkStatusListenerCallback,
    fn(c_int, i32, *const c_char, *const c_void)
);
unwind_fn!(
    LogFn,
    log_fn,
    TIMLogCallback,
    fn(c_int, *const c_char, *const c_void)
);

/// A `TIMCommCallback` with its `user_data`: the answer to one call.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    f: CommFn,
    user_data: UserData,
}

impl Reply {
    /// `None` for a NULL callback: the call runs, nothing is called back.
    pub fn new(cb: TIMCommCallback, user_data: *const c_void) -> Option<Reply> {
        cb.map(|f| Reply {
            f: comm_fn(f),
            user_data: UserData::new(user_data),
        })
    }

    /// Calls the app. `json` must end with a NUL byte.
    pub fn invoke(&self, code: i32, desc: &CStr, json: &[u8]) {
        debug_assert_eq!(json.last(), Some(&0));
        // SAFETY: `f` is the app's function of the vendor's callback type;
        // both strings are NUL-terminated and outlive the call.
        unsafe {
            (self.f)(
                code,
                desc.as_ptr(),
                json.as_ptr().cast(),
                self.user_data.as_ptr(),
            )
        }
    }
}

/// The app's `TIMConvEventCallback` with its `user_data`.
#[derive(Clone, Copy, Debug)]
pub struct ConvEventListener {
    f: ConvEventFn,
    user_data: UserData,
}

impl ConvEventListener {
    pub fn new(cb: TIMConvEventCallback, user_data: *const c_void) -> Option<ConvEventListener> {
        cb.map(|f| ConvEventListener {
            f: conv_event_fn(f),
            user_data: UserData::new(user_data),
        })
    }

    /// Calls the app. `json` must end with a NUL byte.
    pub fn invoke(&self, event: c_int, json: &[u8]) {
        debug_assert_eq!(json.last(), Some(&0));
        // SAFETY: as for `Reply::invoke`.
        unsafe { (self.f)(event, json.as_ptr().cast(), self.user_data.as_ptr()) }
    }
}

/// The app's `TIMNetworkStatusListenerCallback` with its `user_data`.
#[derive(Clone, Copy, Debug)]
pub struct NetworkListener {
    f: NetworkFn,
    user_data: UserData,
}

impl NetworkListener {
    pub fn new(
        cb: TIMNetworkStatusListenerCallback,
        user_data: *const c_void,
    ) -> Option<NetworkListener> {
        cb.map(|f| NetworkListener {
            f: network_fn(f),
            user_data: UserData::new(user_data),
        })
    }

    pub fn invoke(&self, status: c_int, code: i32, desc: &CStr) {
        // SAFETY: as for `Reply::invoke`.
        unsafe { (self.f)(status, code, desc.as_ptr(), self.user_data.as_ptr()) }
    }
}

/// The app's `TIMLogCallback` with its `user_data`.
#[derive(Clone, Copy, Debug)]
pub struct LogListener {
    f: LogFn,
    user_data: UserData,
}

impl LogListener {
    pub fn new(cb: TIMLogCallback, user_data: *const c_void) -> Option<LogListener> {
        cb.map(|f| LogListener {
            f: log_fn(f),
            user_data: UserData::new(user_data),
        })
    }

    pub fn invoke(&self, level: c_int, line: &CStr) {
        // SAFETY: as for `Reply::invoke`.
        unsafe { (self.f)(level, line.as_ptr(), self.user_data.as_ptr()) }
    }
}

/// A listener this library keeps but never calls (its events come from the
/// vendor's servers): the function's address and its `user_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawListener {
    pub f: usize,
    pub user_data: UserData,
}
