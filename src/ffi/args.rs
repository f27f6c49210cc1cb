//! Argument decoding and the panic guard shared by every exported function.
//! Here the C side of an argument is read and checked (NULL, length, UTF-8,
//! enum values); what a JSON text or an id string asks for is decoded in
//! `crate::model::request` (messages and drafts in `model::message` and
//! `model::draft`, which `crate::sdk` calls with the session's context).

use std::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};
use crate::model::ConvType;

use super::def::TIMResult;

/// Longest `conv_id` accepted, in bytes (the vendor's user ids are at most 32
/// bytes, group ids 48; its user-id buffers are 128 bytes).
pub const MAX_CONV_ID: usize = 128;

/// Longest JSON parameter accepted, in bytes (the vendor's messages are at
/// most 12 KB; this leaves room for any real draft).
pub const MAX_JSON_PARAM: usize = 256 * 1024;

/// Runs `f`, turning its result into a `TIMResult`. A panic inside is caught
/// here and answered with `TIM_ERR_PARAM`: it never unwinds into C.
pub fn guard(f: impl FnOnce() -> Result<()>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => TIMResult::TIM_SUCC as c_int,
        Ok(Err(e)) => e.result_code(),
        Err(_) => Error::Internal.result_code(),
    }
}

/// Runs `f` for a function that returns nothing, catching any panic.
pub fn guard_void(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// A string argument: not NULL, at most `max` bytes (nothing past `max + 1`
/// bytes is read), valid UTF-8. Otherwise `InvalidParam`.
///
/// # Safety
/// `p` is NULL or points to memory readable up to its NUL byte or to
/// `max + 1` bytes, whichever comes first, that stays valid for `'a`.
pub unsafe fn str_arg<'a>(p: *const c_char, max: usize) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::InvalidParam);
    }
    // SAFETY: the caller's promise; strnlen reads at most max + 1 bytes.
    let len = unsafe { libc::strnlen(p, max + 1) };
    if len > max {
        return Err(Error::InvalidParam);
    }
    // SAFETY: `len` bytes from `p` were just read by strnlen.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|_| Error::InvalidParam)
}

/// A `conv_id`: as [`str_arg`] with [`MAX_CONV_ID`], and not empty.
///
/// # Safety
/// As for [`str_arg`].
pub unsafe fn conv_id_arg<'a>(p: *const c_char) -> Result<&'a str> {
    // SAFETY: forwarded.
    let s = unsafe { str_arg(p, MAX_CONV_ID) }?;
    if s.is_empty() {
        return Err(Error::InvalidParam);
    }
    Ok(s)
}

/// A JSON text argument: as [`str_arg`] with [`MAX_JSON_PARAM`].
///
/// # Safety
/// As for [`str_arg`].
pub unsafe fn json_arg<'a>(p: *const c_char) -> Result<&'a str> {
    // SAFETY: forwarded.
    unsafe { str_arg(p, MAX_JSON_PARAM) }
}

/// A `conv_type`: only `kTIMConv_C2C` and `kTIMConv_Group`.
pub fn conv_type_arg(v: c_int) -> Result<ConvType> {
    ConvType::try_from(v).map_err(|_| Error::InvalidParam)
}

/// The `(conv_id, conv_type)` pair that names a conversation, checked in
/// that order.
///
/// # Safety
/// As for [`str_arg`], for `conv_id`.
pub unsafe fn conv_arg<'a>(
    conv_id: *const c_char,
    conv_type: c_int,
) -> Result<(&'a str, ConvType)> {
    // SAFETY: forwarded.
    let id = unsafe { conv_id_arg(conv_id) }?;
    Ok((id, conv_type_arg(conv_type)?))
}

/// Longest user id accepted, in bytes: `TIMGetLoginUserID` writes it and its
/// NUL into the caller's buffer of at least 128 bytes.
pub const MAX_USER_ID: usize = 127;

/// A C `bool` parameter, received as its byte: a C caller whose `bool` is the
/// vendor's `unsigned char` may pass any value, and a Rust `bool` other than
/// 0 or 1 would be undefined behaviour. Any non-zero value is true. The
/// header shows `bool`.
pub type CBool = u8;

/// A string argument the vendor lets be NULL: `None` for NULL, otherwise as
/// [`str_arg`].
///
/// # Safety
/// As for [`str_arg`].
pub unsafe fn opt_str_arg<'a>(p: *const c_char, max: usize) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded.
    unsafe { str_arg(p, max) }.map(Some)
}

/// A user id: as [`str_arg`] with [`MAX_USER_ID`], and not empty.
///
/// # Safety
/// As for [`str_arg`].
pub unsafe fn user_id_arg<'a>(p: *const c_char) -> Result<&'a str> {
    // SAFETY: forwarded.
    let s = unsafe { str_arg(p, MAX_USER_ID) }?;
    if s.is_empty() {
        return Err(Error::InvalidParam);
    }
    Ok(s)
}
