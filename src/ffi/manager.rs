//! `TIMManager.h`: the lifecycle, written by hand, and the enums the code
//! uses. (The header's enums, typedefs and keys come from the table; the
//! listener functions not written here come from `build.rs`.)
//!
//! No network: `TIMLogin` accepts `user_sig` as given, and after `TIMInit`
//! the network-status listener hears "connecting" then "connected" at once.

use std::ffi::{c_char, c_int, c_void};

use super::args::{guard, guard_void, opt_str_arg, str_arg, user_id_arg, MAX_JSON_PARAM};
use super::callback::{log_sink, network_sink, reply_sink};
use super::types::{
    TIMCommCallback, TIMLogCallback, TIMLoginStatusParam, TIMNetworkStatusListenerCallback,
};
use crate::dispatch::on_any_worker;
use crate::error::{Error, Result};
use crate::listeners::LISTENERS;
use crate::model::config::{parse_object, SdkConfig, SetConfig};
use crate::sdk;

/// The network state given to `TIMNetworkStatusListenerCallback`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TIMNetworkStatus {
    kTIMConnected = 0,
    kTIMDisconnected = 1,
    kTIMConnecting = 2,
    kTIMConnectFailed = 3,
}

/// What `TIMGetLoginStatus` returns.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TIMLoginStatus {
    kTIMLoginStatus_Logined = 1,
    kTIMLoginStatus_Logining = 2,
    kTIMLoginStatus_UnLogined = 3,
    kTIMLoginStatus_Logouting = 4,
}

/// Log levels (`TIMLogCallback`, `set_config_callback_log_level`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TIMLogLevel {
    kTIMLog_Off = 0,
    kTIMLog_Test = 1,
    kTIMLog_Verbose = 2,
    kTIMLog_Debug = 3,
    kTIMLog_Info = 4,
    kTIMLog_Warn = 5,
    kTIMLog_Error = 6,
    kTIMLog_Assert = 7,
}

/// What `TIMGetSDKVersion` returns: the vendor version whose API this
/// library follows, then this library's name and version.
pub const SDK_VERSION: &str = concat!("8.0.5906-imsdk-conv-", env!("CARGO_PKG_VERSION"), "\0");

/// Initializes the SDK (synchronous). `json_sdk_config`: NULL, `""` or a
/// JSON object. With `sdk_config_config_file_path`, each user's
/// conversations are kept durably under that folder (see `TIMLogin`);
/// without it, in memory. `sdk_config_storage_full_sync: true` (this
/// library's key) makes every commit also survive a power loss.
/// `sdk_config_log_file_path` is accepted and unused. `sdk_app_id` 0:
/// `TIM_ERR_PARAM`.
///
/// Starts with no user logged in: the conversation functions return
/// `TIM_ERR_NOTLOGIN` until `TIMLogin`. The state served before (the
/// embedded default) is dropped. Called again with the same app id it
/// changes nothing; with another, `TIM_ERR_PARAM` (call `TIMUninit` first).
/// The network-status listener then hears `kTIMConnecting`, `kTIMConnected`.
#[no_mangle]
pub unsafe extern "C" fn TIMInit(sdk_app_id: u64, json_sdk_config: *const c_char) -> c_int {
    guard(|| {
        // SAFETY: the caller's C string or NULL.
        let config = unsafe { opt_str_arg(json_sdk_config, MAX_JSON_PARAM) }?;
        let config = match config.filter(|s| !s.trim().is_empty()) {
            Some(json) => parse_object::<SdkConfig>(json)?,
            None => SdkConfig::default(),
        };
        sdk::init(sdk_app_id, &config)
    })
}

/// Delivers every callback already accepted, stops the callback thread, and
/// returns to the embedded default (an empty in-memory store). Once it has
/// returned, no callback of anything accepted before runs. Listeners stay
/// set. A later `TIMInit` starts afresh.
///
/// From inside a callback it does not wait (it would wait for itself): it
/// switches state and returns; the callbacks still queued run after the
/// current callback returns, then the thread ends.
#[no_mangle]
pub unsafe extern "C" fn TIMUninit() -> c_int {
    guard(|| {
        sdk::uninit();
        Ok(())
    })
}

/// The version: `"8.0.5906-imsdk-conv-<version>"`, a static string.
#[no_mangle]
pub unsafe extern "C" fn TIMGetSDKVersion() -> *const c_char {
    SDK_VERSION.as_ptr().cast()
}

/// The Unix time in seconds (there is no server: the local clock).
#[no_mangle]
pub unsafe extern "C" fn TIMGetServerTime() -> u64 {
    sdk::server_time()
}

/// Sets SDK options. `json_config`: a JSON object; `set_config_callback_log_level`
/// (0 to 7, `kTIMLog_Off` silences the log listener) is kept, the other keys
/// are accepted and have no effect. `cb` gets code 0 and `""`. Works before
/// and after `TIMInit`.
#[no_mangle]
pub unsafe extern "C" fn TIMSetConfig(
    json_config: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        // SAFETY: the caller's C string (NULL is checked).
        let json = unsafe { str_arg(json_config, MAX_JSON_PARAM) }?;
        let config: SetConfig = parse_object(json)?;
        let level = config.set_config_callback_log_level;
        if level.is_some_and(|l| l > TIMLogLevel::kTIMLog_Assert as u8) {
            return Err(Error::InvalidJson);
        }
        sdk::set_config(level.map(i32::from), reply_sink(cb, user_data));
        Ok(())
    })
}

/// Logs in (no network: `user_sig` is accepted as given). `user_id`: 1 to
/// 127 bytes of UTF-8; `user_sig`: a string up to 256 KiB. Before `TIMInit`:
/// `TIM_ERR_SDKUNINIT`. `cb` gets code 0 and `""`.
///
/// Each user has their own conversations: in memory until `TIMUninit`, or,
/// with `sdk_config_config_file_path`, in the user's store under that folder
/// (opened, checked and loaded here; a change is on disk before its callback
/// runs). Logging in again finds them. Logging in as the user already logged
/// in changes nothing; as another user, logs the current one out first. A
/// store that cannot be opened: `cb` gets 7010 (not SQLite, damaged, another
/// program's, a newer schema), 6022 (a folder or file in the way, no
/// permission) or 7501 (another process has this user logged in), with a
/// `desc` naming the file; the files are left as they were and nobody is
/// logged in.
#[no_mangle]
pub unsafe extern "C" fn TIMLogin(
    user_id: *const c_char,
    user_sig: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        require_init()?;
        // SAFETY: the caller's C strings (NULL is checked).
        let user = unsafe { user_id_arg(user_id) }?;
        // SAFETY: as above.
        unsafe { str_arg(user_sig, MAX_JSON_PARAM) }?;
        sdk::login(user, reply_sink(cb, user_data))
    })
}

/// Logs out; the user's conversations are kept for a later login (a durable
/// store is committed and closed, and its lock released). Before
/// `TIMInit`: `TIM_ERR_SDKUNINIT`. `cb` gets code 0 and `""`, or
/// `ERR_SDK_NOT_LOGGED_IN` (6014) when no user was logged in.
#[no_mangle]
pub unsafe extern "C" fn TIMLogout(cb: TIMCommCallback, user_data: *const c_void) -> c_int {
    guard(|| sdk::logout(reply_sink(cb, user_data)))
}

/// Writes the logged-in user's id and a NUL into `user_id_buffer` (at least
/// 128 bytes). With no user logged in it writes `""` and returns
/// `TIM_ERR_NOTLOGIN` (`TIM_ERR_SDKUNINIT` before `TIMInit`). NULL:
/// `TIM_ERR_PARAM`.
#[no_mangle]
pub unsafe extern "C" fn TIMGetLoginUserID(user_id_buffer: *mut c_char) -> c_int {
    guard(|| {
        if user_id_buffer.is_null() {
            return Err(Error::InvalidParam);
        }
        let user = sdk::login_user();
        let id = user.as_deref().unwrap_or("");
        // SAFETY: the caller's buffer holds at least 128 bytes; `id` is at
        // most 127 (`MAX_USER_ID`), so it fits with its NUL.
        unsafe {
            std::ptr::copy_nonoverlapping(id.as_ptr(), user_id_buffer.cast::<u8>(), id.len());
            *user_id_buffer.add(id.len()) = 0;
        }
        user.map(drop)
    })
}

/// `kTIMLoginStatus_Logined` while a user is logged in, otherwise
/// `kTIMLoginStatus_UnLogined` (also before `TIMInit`).
#[no_mangle]
pub unsafe extern "C" fn TIMGetLoginStatus() -> TIMLoginStatusParam {
    sdk::login_status() as TIMLoginStatusParam
}

/// Sets the network-status listener (one slot: a later call replaces, NULL
/// clears). It hears `kTIMConnecting` then `kTIMConnected` after `TIMInit`.
#[no_mangle]
pub unsafe extern "C" fn TIMSetNetworkStatusListenerCallback(
    cb: TIMNetworkStatusListenerCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .network
            .set(network_sink(cb, user_data), on_any_worker())
    })
}

/// Sets the log listener (one slot). It hears a line at `kTIMLog_Info` for
/// each `TIMInit`, `TIMLogin`, `TIMLogout` and `TIMUninit`, on the callback
/// thread, filtered by `set_config_callback_log_level`.
#[no_mangle]
pub unsafe extern "C" fn TIMSetLogCallback(cb: TIMLogCallback, user_data: *const c_void) {
    guard_void(|| LISTENERS.log.set(log_sink(cb, user_data), on_any_worker()))
}

fn require_init() -> Result<()> {
    match sdk::login_user() {
        Err(Error::NotInitialized) => Err(Error::NotInitialized),
        _ => Ok(()),
    }
}
