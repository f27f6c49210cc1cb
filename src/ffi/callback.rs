//! The app's C callbacks, turned into the core's sinks (`crate::sink`): each
//! sink holds a trampoline from here and the app's function and `user_data`
//! as two words. Only these trampolines turn the words back into the
//! vendor's function types.
//!
//! The trampolines call the app's `extern "C"` functions as
//! `extern "C-unwind"` (the same calling convention): a host may end the
//! callback thread from inside a callback with a forced unwind
//! (`pthread_exit`), and that unwind must be allowed through our frames (see
//! `crate::dispatch`).

use std::ffi::{c_char, c_int, c_void, CStr};

use super::types::{
    TIMCommCallback, TIMConvConversationGroupCreatedCallback,
    TIMConvConversationGroupDeletedCallback, TIMConvConversationGroupNameChangedCallback,
    TIMConvConversationsAddedToGroupCallback, TIMConvConversationsDeletedFromGroupCallback,
    TIMConvEventCallback, TIMConvTotalUnreadMessageCountChangedByFilterCallback,
    TIMConvTotalUnreadMessageCountChangedCallback, TIMLogCallback,
    TIMNetworkStatusListenerCallback,
};
use crate::sink::{
    ConvEventSink, FilterUnreadSink, GroupConvsSink, GroupRemovedSink, GroupRenameSink, GroupSink,
    LogSink, NetworkSink, RawListener, ReplySink, TotalUnreadSink,
};

/// Defines, for one vendor callback typedef, the function that makes its
/// sink and the trampoline that calls it.
macro_rules! sink_of {
    (
        $(#[$doc:meta])* $make:ident($c:ty) -> $sink:ident,
        fn($($arg:ident: $rty:ty => $cty:ty = $conv:expr),*)
    ) => {
        $(#[$doc])*
        pub fn $make(cb: $c, user_data: *const c_void) -> Option<$sink> {
            fn trampoline(f: usize, user_data: usize $(, $arg: $rty)*) {
                type CFn = unsafe extern "C-unwind" fn($($cty,)* *const c_void);
                // SAFETY: `f` is the address of the app's function of this
                // typedef (see `$make`); "C" and "C-unwind" are one calling
                // convention. The arguments are valid for the call: strings
                // are NUL-terminated and outlive it.
                unsafe {
                    let f = std::mem::transmute::<usize, CFn>(f);
                    f($($conv,)* user_data as *const c_void)
                }
            }
            // SAFETY: `trampoline` calls `f` as the function type it came as.
            cb.map(|f| unsafe { $sink::new(trampoline, f as usize, user_data as usize) })
        }
    };
}

sink_of!(
    /// `None` for a NULL callback: the call runs, nothing is called back.
    reply_sink(TIMCommCallback) -> ReplySink,
    fn(code: i32 => i32 = code,
       desc: &CStr => *const c_char = desc.as_ptr(),
       json: &[u8] => *const c_char = nul_terminated(json))
);
sink_of!(conv_event_sink(TIMConvEventCallback) -> ConvEventSink,
    fn(kind: i32 => c_int = kind, json: &[u8] => *const c_char = nul_terminated(json)));
sink_of!(network_sink(TIMNetworkStatusListenerCallback) -> NetworkSink,
    fn(status: i32 => c_int = status, code: i32 => i32 = code,
       desc: &CStr => *const c_char = desc.as_ptr()));
sink_of!(log_sink(TIMLogCallback) -> LogSink,
    fn(level: i32 => c_int = level, line: &CStr => *const c_char = line.as_ptr()));
sink_of!(group_created_sink(TIMConvConversationGroupCreatedCallback) -> GroupConvsSink,
    fn(group: &CStr => *const c_char = group.as_ptr(),
       json: &[u8] => *const c_char = nul_terminated(json)));
sink_of!(added_to_group_sink(TIMConvConversationsAddedToGroupCallback) -> GroupConvsSink,
    fn(group: &CStr => *const c_char = group.as_ptr(),
       json: &[u8] => *const c_char = nul_terminated(json)));
sink_of!(group_deleted_sink(TIMConvConversationGroupDeletedCallback) -> GroupSink,
    fn(group: &CStr => *const c_char = group.as_ptr()));
sink_of!(group_renamed_sink(TIMConvConversationGroupNameChangedCallback) -> GroupRenameSink,
    fn(old: &CStr => *const c_char = old.as_ptr(), new: &CStr => *const c_char = new.as_ptr()));
sink_of!(removed_from_group_sink(TIMConvConversationsDeletedFromGroupCallback) -> GroupRemovedSink,
    fn(group: &CStr => *const c_char = group.as_ptr(),
       json: &[u8] => *const c_char = nul_terminated(json),
       reason: u32 => u32 = reason));

sink_of!(total_unread_sink(TIMConvTotalUnreadMessageCountChangedCallback) -> TotalUnreadSink,
    fn(total: i32 => c_int = total));
sink_of!(filter_unread_sink(TIMConvTotalUnreadMessageCountChangedByFilterCallback) -> FilterUnreadSink,
    fn(filter: &CStr => *const c_char = filter.as_ptr(), total: i32 => c_int = total));

/// The pointer to JSON text the worker wrote with its NUL.
fn nul_terminated(json: &[u8]) -> *const c_char {
    debug_assert_eq!(json.last(), Some(&0));
    json.as_ptr().cast()
}

/// A listener kept but never called: its function's address and
/// `user_data`, never dereferenced.
pub fn raw_listener(f: Option<usize>, user_data: *const c_void) -> Option<RawListener> {
    f.map(|f| RawListener {
        f,
        user_data: user_data as usize,
    })
}
