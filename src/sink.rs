//! What the callback worker calls: the app's callbacks, as the core sees
//! them. A sink is a plain Rust function (a trampoline that `ffi` provides)
//! with the two words it needs: the app's function and its `user_data`. So
//! the core queues, orders and delivers callbacks without knowing any C
//! type; only `ffi` turns the words back into the vendor's function type.

use std::ffi::CStr;

/// The kinds of `TIMConvEventCallback` events (the vendor's values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ConvEventKind {
    Add = 0,
    Del = 1,
    Update = 2,
}

/// Network states (the vendor's `TIMNetworkStatus` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum NetworkStatus {
    Connected = 0,
    Connecting = 2,
}

/// Log levels (the vendor's `TIMLogLevel` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum LogLevel {
    Off = 0,
    Info = 4,
    Error = 6,
    Assert = 7,
}

/// Login states (the vendor's `TIMLoginStatus` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum LoginStatus {
    Logined = 1,
    UnLogined = 3,
}

macro_rules! sinks {
    ($( $(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ); )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name {
            call: fn(usize, usize $(, $ty)*),
            f: usize,
            user_data: usize,
        }

        impl $name {
            /// # Safety
            /// `call(f, user_data, ...)` must be sound to run on the callback
            /// thread for as long as the sink is kept (`ffi` passes its
            /// trampoline with the app's function and `user_data`).
            pub unsafe fn new(call: fn(usize, usize $(, $ty)*), f: usize, user_data: usize) -> Self {
                $name { call, f, user_data }
            }

            /// Calls the app. May unwind (a host's forced unwind): nothing
            /// here catches it.
            pub fn call(&self $(, $arg: $ty)*) {
                (self.call)(self.f, self.user_data $(, $arg)*)
            }
        }
    )*};
}

sinks! {
    /// A `TIMCommCallback`: the answer to one call. `json` ends with NUL.
    ReplySink(code: i32, desc: &CStr, json: &[u8]);
    /// `TIMConvEventCallback`. `json` ends with NUL.
    ConvEventSink(kind: i32, json: &[u8]);
    /// `TIMNetworkStatusListenerCallback`.
    NetworkSink(status: i32, code: i32, desc: &CStr);
    /// `TIMLogCallback`.
    LogSink(level: i32, line: &CStr);
    /// `TIMConvConversationGroupCreatedCallback` and
    /// `TIMConvConversationsAddedToGroupCallback`: a group name and a JSON
    /// array of ConvInfo (ends with NUL).
    GroupConvsSink(group: &CStr, json: &[u8]);
    /// `TIMConvConversationGroupDeletedCallback`.
    GroupSink(group: &CStr);
    /// `TIMConvConversationGroupNameChangedCallback`.
    GroupRenameSink(old: &CStr, new: &CStr);
    /// `TIMConvConversationsDeletedFromGroupCallback` (8.2+, with `reason`).
    GroupRemovedSink(group: &CStr, json: &[u8], reason: u32);
    /// `TIMConvTotalUnreadMessageCountChangedCallback`.
    TotalUnreadSink(total: i32);
    /// `TIMConvTotalUnreadMessageCountChangedByFilterCallback`: the filter
    /// as subscribed and its count.
    FilterUnreadSink(filter: &CStr, total: i32);
}

/// A listener this library keeps but never calls (its events come from the
/// vendor's servers): the function's address and its `user_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawListener {
    pub f: usize,
    pub user_data: usize,
}
