//! `TIMExperimentalAPI.h`: `callExperimentalAPI`, written by hand. (Its
//! listener comes from `build.rs`.)

use std::borrow::Cow;
use std::ffi::{c_char, c_int, c_void, CString};

use super::args::{guard, str_arg, MAX_JSON_PARAM};
use super::callback::reply_sink;
use super::types::TIMCommCallback;
use crate::error::Error;
use crate::model::config::{parse_object, ExperimentalRequest};
use crate::sdk::{self, failed_with, ok, with_dispatcher, Body};

/// The requests vendor bindings and apps send while they start and set
/// themselves up: answered with code 0 (they change nothing here).
pub const ACCEPTED_OPERATIONS: &[&str] = &[
    "internal_operation_set_ui_platform",
    "internal_operation_set_application_id",
    "internal_operation_report_tuicomponent_usage",
    "internal_operation_write_log",
    "internal_operation_set_env",
    "internal_operation_set_ipv6_prior",
    "internal_operation_set_max_retry_count",
    "internal_operation_set_packet_request_timeout",
    "internal_operation_set_ignore_repeat_login",
    "internal_operation_init_local_storage",
];

/// Answers an experimental request. `json_param`: a JSON object with a
/// string `request_internal_operation` (else `TIM_ERR_JSON`; NULL:
/// `TIM_ERR_PARAM`). The set-up requests in [`ACCEPTED_OPERATIONS`] get code
/// 0 and `""`; every other operation gets `ERR_SDK_INTERFACE_NOT_SUPPORT`
/// (7013) with a `desc` that names it.
#[no_mangle]
pub unsafe extern "C" fn callExperimentalAPI(
    json_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's C string (NULL is checked).
        let json = unsafe { str_arg(json_param, MAX_JSON_PARAM) }?;
        let req: ExperimentalRequest = parse_object(json)?;
        let op = req.request_internal_operation;
        let reply = reply_sink(cb, user_data);
        let job = if ACCEPTED_OPERATIONS.contains(&op.as_str()) {
            ok(reply, Body::Empty)
        } else {
            let desc = format!(
                "callExperimentalAPI: {op} is not available: this library implements the \
                 conversation module on the device and has no IM server"
            );
            let desc = CString::new(desc).unwrap_or_default();
            failed_with(reply, Error::NotSupported, Cow::Owned(desc))
        };
        with_dispatcher(|d| sdk::reply(d, job));
        Ok(())
    })
}
