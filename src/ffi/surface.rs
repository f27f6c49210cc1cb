//! The functions that `build.rs` writes from the table (`table.rs`): every
//! vendor function that is not written by hand is one of these two kinds.
//!
//! - *Listener*: keeps its slot (`TIMSet…Callback`: a later call replaces,
//!   NULL clears; `TIMAdd…`/`TIMRemove…`: a list, see
//!   [`Listeners::add`](super::listeners::Listeners::add)). This library
//!   produces none of their events, so they are never called.
//! - *Not available*: checks its arguments as far as their C types go
//!   (a string NULL where the vendor gives NULL no meaning, over 256 KiB or
//!   not UTF-8, an enum value the enum does not have: `TIM_ERR_PARAM`), then
//!   returns `TIM_SUCC` and calls back once with
//!   `ERR_SDK_INTERFACE_NOT_SUPPORT` (7013) and a `desc` naming the function.
//!   A function with no `TIMCommCallback` returns `TIM_ERR_PARAM` instead.

use std::borrow::Cow;
use std::ffi::{c_char, c_int, c_void, CString};

use super::args::{guard, guard_void, str_arg, MAX_JSON_PARAM};
use super::callback::raw_listener;
use super::table::{Function, ENUMS, FUNCTIONS};
use crate::error::{Error, Result};
use crate::listeners::LISTENERS;
use crate::sdk::{self, failed_with, with_dispatcher};
use crate::sink::ReplySink;

/// One argument of a not-available function, as far as it can be checked.
pub enum Arg {
    /// A `const char*`, and whether the vendor lets it be NULL.
    Str(*const c_char, bool),
    /// A `char*` output buffer (NULL allowed): gets `""` when the call is
    /// accepted.
    Buf(*mut c_char),
    /// An `enum` parameter and the enum's name.
    Enum(c_int, &'static str),
}

fn check(arg: &Arg) -> Result<()> {
    match *arg {
        Arg::Str(p, nullable) => {
            if !(p.is_null() && nullable) {
                // SAFETY: the caller's C string or NULL (NULL is checked).
                unsafe { str_arg(p, MAX_JSON_PARAM) }?;
            }
            Ok(())
        }
        Arg::Buf(_) => Ok(()),
        Arg::Enum(v, name) => {
            let e = ENUMS.iter().find(|e| e.name == name);
            match e.map(|e| e.items.iter().any(|&(_, x)| x == i64::from(v))) {
                Some(true) => Ok(()),
                _ => Err(Error::InvalidParam),
            }
        }
    }
}

/// The `desc` of a not-available function's callback.
pub fn not_available_desc(name: &str) -> CString {
    CString::new(format!(
        "{name} is not available: this library implements the conversation module \
         on the device and has no IM server"
    ))
    .unwrap_or_default()
}

/// The body of every not-available function. `reply` is `Some` when the
/// function takes a `TIMCommCallback` (holding `None` for a NULL one).
///
/// # Safety
/// Every pointer in `args` is NULL or valid as the vendor documents it (a C
/// string; a buffer of at least 128 bytes).
pub unsafe fn not_available(index: usize, args: &[Arg], reply: Option<Option<ReplySink>>) -> c_int {
    guard(|| {
        let f: &Function = &FUNCTIONS[index];
        args.iter().try_for_each(check)?;
        for a in args {
            if let Arg::Buf(p) = *a {
                if !p.is_null() {
                    // SAFETY: the caller's buffer (at least 128 bytes).
                    unsafe { *p = 0 };
                }
            }
        }
        let Some(reply) = reply else {
            return Err(Error::NotSupported);
        };
        let desc = Cow::Owned(not_available_desc(f.name));
        with_dispatcher(|d| sdk::reply(d, failed_with(reply, Error::NotSupported, desc)));
        Ok(())
    })
}

/// The body of every generated `TIMSet…Callback`.
pub fn set_listener(index: usize, f: Option<usize>, user_data: *const c_void) {
    guard_void(|| LISTENERS.set_raw(FUNCTIONS[index].name, raw_listener(f, user_data)))
}

/// The list a `TIMAdd…Callback` / `TIMRemove…Callback` pair shares:
/// `RecvNewMsgCallback` for both `TIMAddRecvNewMsgCallback` and
/// `TIMRemoveRecvNewMsgCallback`.
pub fn family(name: &str) -> &str {
    name.strip_prefix("TIMAdd")
        .or_else(|| name.strip_prefix("TIMRemove"))
        .unwrap_or(name)
}

/// The body of every generated `TIMAdd…Callback`. NULL adds nothing.
pub fn add_listener(index: usize, f: Option<usize>, user_data: *const c_void) {
    guard_void(|| {
        if let Some(l) = raw_listener(f, user_data) {
            LISTENERS.add(family(FUNCTIONS[index].name), l)
        }
    })
}

/// The body of every generated `TIMRemove…Callback`. NULL removes nothing.
pub fn remove_listener(index: usize, f: Option<usize>) {
    guard_void(|| {
        if let Some(f) = f {
            LISTENERS.remove(family(FUNCTIONS[index].name), f)
        }
    })
}

/// The functions written from the table, one module per header.
#[allow(unused_imports, unused_variables)]
pub mod generated {
    use super::super::args::CBool;
    use super::super::callback::reply_sink;
    use super::super::types::*;
    use super::{add_listener, not_available, remove_listener, set_listener, Arg};
    use std::ffi::{c_char, c_int, c_void};

    include!(concat!(env!("OUT_DIR"), "/gen/functions.rs"));
}
