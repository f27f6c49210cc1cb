//! The C callbacks the worker invokes, and `user_data`, which only travels.

use std::ffi::{c_char, c_int, c_void, CStr};

use super::conversation::{TIMConvEvent, TIMConvEventCallback};
use super::def::TIMCommCallback;

/// The app's `user_data`: handed back bit for bit, never dereferenced.
#[derive(Clone, Copy, Debug)]
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

type CommFn = unsafe extern "C" fn(i32, *const c_char, *const c_char, *const c_void);
type ConvEventFn = unsafe extern "C" fn(c_int, *const c_char, *const c_void);

/// A `TIMCommCallback` with its `user_data`: the answer to one call.
#[derive(Clone, Copy)]
pub struct Reply {
    f: CommFn,
    user_data: UserData,
}

impl Reply {
    /// `None` for a NULL callback: the call runs, nothing is called back.
    pub fn new(cb: TIMCommCallback, user_data: *const c_void) -> Option<Reply> {
        cb.map(|f| Reply {
            f,
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
#[derive(Clone, Copy)]
pub struct ConvEventListener {
    f: ConvEventFn,
    user_data: UserData,
}

impl ConvEventListener {
    pub fn new(cb: TIMConvEventCallback, user_data: *const c_void) -> Option<ConvEventListener> {
        cb.map(|f| ConvEventListener {
            f,
            user_data: UserData::new(user_data),
        })
    }

    /// Calls the app. `json` must end with a NUL byte.
    pub fn invoke(&self, event: TIMConvEvent, json: &[u8]) {
        debug_assert_eq!(json.last(), Some(&0));
        // SAFETY: as for `Reply::invoke`.
        unsafe {
            (self.f)(
                event as c_int,
                json.as_ptr().cast(),
                self.user_data.as_ptr(),
            )
        }
    }
}
