//! The running SDK: which state the process is in (the embedded default, an
//! initialized SDK with or without a logged-in user), each user's store, and
//! the callback worker. Every function of the C API lands on one function
//! here.
//!
//! # Locking
//! One process-wide `RwLock` holds the [`Core`]. A conversation call holds
//! it for reading while it checks the state, changes its session's store
//! (under that store's own mutex) and queues what the change produced; the
//! lifecycle functions take it for writing to switch state. So a switch
//! waits for the calls under way, and no call queues a callback into a
//! worker that `TIMUninit` has already stopped: every accepted call is
//! called back exactly once. Nothing is locked while a callback runs, so
//! every function may be called from inside a callback.
//!
//! # Layout
//! This file holds the state and the lifecycle (`TIMInit`, `TIMLogin`, ...)
//! and hands a call its session ([`with_session`]); [`calls`] has one
//! function per conversation or message call, [`deliver`] what the callback
//! worker runs (a change's events, then the call's reply), and [`render`]
//! the JSON those callbacks carry.

mod calls;
mod deliver;
mod render;

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::CString;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock, RwLockReadGuard};

use crate::dispatch::Dispatcher;
use crate::durable;
use crate::error::{Error, Result};
use crate::model::config::SdkConfig;
use crate::sink::{LogLevel, LoginStatus, NetworkStatus, ReplySink};
use crate::store::Store;
use deliver::{failed, submit};

// The submodules' items that src/ffi/ calls or meets in a signature.
pub use deliver::{failed_with, ok, reply, Job, ReplyJob};
pub use render::Body;

/// One user's conversations (or the embedded default's).
#[derive(Default)]
pub struct Session {
    store: Mutex<Store>,
    /// Every ticket up to this one is known committed (see
    /// [`Ticket`](deliver::Ticket)).
    clean: AtomicU64,
    /// The last ticket handed out (a hint, read without the store's lock).
    issued: AtomicU64,
}

impl Session {
    fn new(store: Store) -> Session {
        Session {
            store: Mutex::new(store),
            clean: AtomicU64::new(0),
            issued: AtomicU64::new(0),
        }
    }

    /// Commits what is open and closes the durable store (at logout, at a
    /// switch of user, at uninit); callbacks still queued find their
    /// tickets settled.
    fn close(&self) {
        self.store.lock().close();
    }
}

enum Mode {
    /// No `TIMInit` (or after `TIMUninit`): one in-memory store, served from
    /// the first call on.
    Embedded(Arc<Session>),
    /// After `TIMInit`.
    Initialized {
        app_id: u64,
        /// Where each user's durable store lives (`None`: in memory).
        /// (Boxed: a plain pointer is all this variant adds to the core's
        /// layout, whose tag valgrind then reads as initialized.)
        storage: Option<Box<(PathBuf, durable::Sync)>>,
        /// In memory: every user logged in since `TIMInit`, with their
        /// state. Durable: the user logged in now (closed at logout).
        users: HashMap<String, Arc<Session>>,
        /// The user logged in now.
        login: Option<String>,
    },
}

pub struct Core {
    mode: Mode,
    /// Delivers every callback of this state; replaced by `TIMUninit`.
    dispatcher: Arc<Dispatcher<Job>>,
    /// `set_config_callback_log_level`: lines above it reach the log listener.
    callback_log_level: i32,
}

static CORE: LazyLock<RwLock<Core>> = LazyLock::new(|| {
    RwLock::new(Core {
        mode: Mode::Embedded(Arc::default()),
        dispatcher: Arc::new(Dispatcher::new()),
        callback_log_level: LogLevel::Info as i32,
    })
});

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The Unix time in seconds (`TIMGetServerTime`: there is no server).
pub fn server_time() -> u64 {
    unix_now()
}

/// A C string from text the library writes (no NUL inside).
fn line(s: String) -> CString {
    CString::new(s).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// The state a call runs against.

/// What a call needs: its session and the worker that answers it. Holds the
/// core for reading (see the module docs).
pub struct Ctx<'a> {
    core: RwLockReadGuard<'a, Core>,
    session: Arc<Session>,
}

/// Runs `f` against the current session: the embedded default, or the
/// logged-in user after `TIMInit` (`TIM_ERR_NOTLOGIN` without one). The
/// state is checked before `f` runs, so before any argument (C4.1).
pub fn with_session<R>(f: impl FnOnce(&Ctx) -> Result<R>) -> Result<R> {
    let core = CORE.read();
    let session = match &core.mode {
        Mode::Embedded(s) => s.clone(),
        Mode::Initialized { users, login, .. } => login
            .as_ref()
            .and_then(|u| users.get(u))
            .cloned()
            .ok_or(Error::NotLoggedIn)?,
    };
    f(&Ctx { core, session })
}

/// Runs `f` with the current worker, whatever the state (for the functions
/// that answer without a session).
pub fn with_dispatcher<R>(f: impl FnOnce(&Dispatcher<Job>) -> R) -> R {
    f(&CORE.read().dispatcher)
}

// ---------------------------------------------------------------------------
// The lifecycle (`TIMManager.h`).

impl Core {
    fn log(&self, level: LogLevel, text: String) {
        let lvl = level as i32;
        if self.callback_log_level != LogLevel::Off as i32 && lvl >= self.callback_log_level {
            submit(&self.dispatcher, Job::Log(level, line(text)));
        }
    }
}

/// `TIMInit`: from the embedded default, starts an initialized SDK with no
/// user logged in (the embedded store is dropped). Again with the same app
/// id: nothing changes; with another: `InvalidParam` (call `TIMUninit`
/// first).
pub fn init(app_id: u64, config: &SdkConfig) -> Result<()> {
    if app_id == 0 {
        return Err(Error::InvalidParam);
    }
    let mut core = CORE.write();
    match core.mode {
        Mode::Initialized { app_id: a, .. } if a == app_id => return Ok(()),
        Mode::Initialized { .. } => return Err(Error::InvalidParam),
        Mode::Embedded(_) => {}
    }
    let storage = config
        .sdk_config_config_file_path
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| {
            let sync = match config.sdk_config_storage_full_sync {
                Some(true) => durable::Sync::Full,
                _ => durable::Sync::Normal,
            };
            Box::new((PathBuf::from(p), sync))
        });
    let text = match storage.as_deref() {
        None => format!("TIMInit: sdk_app_id {app_id}; conversations are kept in memory, per user"),
        Some((p, sync)) => format!(
            "TIMInit: sdk_app_id {app_id}; conversations are kept under {} ({sync:?} sync)",
            durable::app_dir(p, app_id).display()
        ),
    };
    core.mode = Mode::Initialized {
        app_id,
        storage,
        users: HashMap::new(),
        login: None,
    };
    core.log(LogLevel::Info, text);
    // No network: "connected" at once, so that an app waiting for it goes on.
    submit(&core.dispatcher, Job::Network(NetworkStatus::Connecting));
    submit(&core.dispatcher, Job::Network(NetworkStatus::Connected));
    Ok(())
}

/// `TIMUninit`: back to the embedded default (a new, empty store); delivers
/// every callback already accepted, then stops the worker, and waits for
/// that unless called from inside a callback (then the remaining callbacks
/// run after the current one returns, and `TIMUninit` returns at once).
pub fn uninit() {
    let old = {
        let mut core = CORE.write();
        core.log(LogLevel::Info, "TIMUninit".to_owned());
        if let Mode::Initialized { users, .. } = &mut core.mode {
            close_all(users);
        }
        core.mode = Mode::Embedded(Arc::default());
        std::mem::replace(&mut core.dispatcher, Arc::new(Dispatcher::new()))
    };
    old.shutdown();
}

/// `TIMLogin`: opens `user`'s state (kept in memory since `TIMInit`, or
/// loaded from the user's durable store). The same user again: nothing
/// changes; another user: the current one is logged out first. Both answer
/// code 0; a durable store that cannot be opened answers its own code, and
/// then no user is logged in.
pub fn login(user: &str, reply: Option<ReplySink>) -> Result<()> {
    let mut core = CORE.write();
    let Core {
        mode, dispatcher, ..
    } = &mut *core;
    let Mode::Initialized {
        app_id,
        storage,
        users,
        login,
    } = mode
    else {
        return Err(Error::NotInitialized);
    };
    let d = dispatcher.clone();
    if login.as_deref() == Some(user) {
        core.log(
            LogLevel::Info,
            format!("TIMLogin: {user} is already logged in"),
        );
        self::reply(&d, ok(reply, Body::Empty));
        return Ok(());
    }
    let before = login.take();
    let opened = match storage.as_deref() {
        None => {
            users.entry(user.to_owned()).or_default();
            Ok(())
        }
        Some((root, sync)) => {
            // One durable store open at a time: the previous user's closes
            // (and its lock is released) before the next opens.
            close_all(users);
            durable::open(root, *app_id, user, *sync).map(|store| {
                users.insert(user.to_owned(), Arc::new(Session::new(store)));
            })
        }
    };
    let out = match opened {
        Ok(()) => {
            *login = Some(user.to_owned());
            let text = match before {
                Some(u) => format!("TIMLogin: {u} logged out, {user} logged in"),
                None => format!("TIMLogin: {user} logged in"),
            };
            core.log(LogLevel::Info, text);
            ok(reply, Body::Empty)
        }
        Err(e) => {
            let text = format!("TIMLogin: {user} not logged in: {}", e.desc);
            core.log(LogLevel::Error, text);
            reply.map(|reply| ReplyJob {
                reply,
                code: e.code,
                desc: Cow::Owned(line(e.desc)),
                body: Body::Empty,
            })
        }
    };
    self::reply(&d, out);
    Ok(())
}

/// Commits and closes every session's durable store, and forgets them.
fn close_all(users: &mut HashMap<String, Arc<Session>>) {
    for (_, s) in users.drain() {
        s.close();
    }
}

/// `TIMLogout`: closes the user's state (kept for a later login). With no
/// user logged in, the callback gets `ERR_SDK_NOT_LOGGED_IN`.
pub fn logout(reply: Option<ReplySink>) -> Result<()> {
    let mut core = CORE.write();
    let Mode::Initialized {
        login,
        storage,
        users,
        ..
    } = &mut core.mode
    else {
        return Err(Error::NotInitialized);
    };
    if storage.is_some() {
        // Closes the durable store and releases its lock.
        close_all(users);
    }
    match login.take() {
        Some(u) => {
            core.log(LogLevel::Info, format!("TIMLogout: {u} logged out"));
            self::reply(&core.dispatcher, ok(reply, Body::Empty));
        }
        None => self::reply(&core.dispatcher, failed(reply, Error::NotLoggedIn)),
    }
    Ok(())
}

/// `TIMGetLoginStatus`.
pub fn login_status() -> LoginStatus {
    match &CORE.read().mode {
        Mode::Initialized { login: Some(_), .. } => LoginStatus::Logined,
        _ => LoginStatus::UnLogined,
    }
}

/// `TIMGetLoginUserID`: the logged-in user.
pub fn login_user() -> Result<String> {
    match &CORE.read().mode {
        Mode::Embedded(_) => Err(Error::NotInitialized),
        Mode::Initialized { login, .. } => login.clone().ok_or(Error::NotLoggedIn),
    }
}

/// `TIMSetConfig`: the callback log level is kept (every other key is
/// accepted and has no effect here); the reply gets code 0.
pub fn set_config(callback_log_level: Option<i32>, reply: Option<ReplySink>) {
    let mut core = CORE.write();
    if let Some(l) = callback_log_level {
        core.callback_log_level = l;
    }
    self::reply(&core.dispatcher, ok(reply, Body::Empty));
}
