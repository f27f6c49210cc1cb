//! The lifecycle rules, through the exported functions: the embedded default,
//! `TIMInit`, `TIMLogin` / `TIMLogout` with per-user state, `TIMUninit`
//! (callbacks delivered, none after, from inside a callback, racing calls),
//! the version, the server time, `TIMSetConfig`, `callExperimentalAPI`, and
//! the network-status and log listeners.
//!
//! The SDK state is per process, so these tests take turns (`serial`).

mod common;

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use parking_lot::{Mutex, MutexGuard};
use ImSDK::ffi::experimental::callExperimentalAPI;
use ImSDK::ffi::manager::*;

const APP: u64 = 1_400_000_000;
const ERR_SDKUNINIT: i32 = TIM_ERR_SDKUNINIT as i32;
const ERR_NOTLOGIN: i32 = TIM_ERR_NOTLOGIN as i32;

/// One test at a time, each starting from the embedded default.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let g = LOCK.lock();
    unsafe { TIMUninit() };
    g
}

fn init(config: Option<&str>) -> i32 {
    let c = config.map(c);
    unsafe { TIMInit(APP, c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())) }
}

fn login(user: &str) -> Reply {
    let p = Pending::new();
    let rc = unsafe { TIMLogin(c(user).as_ptr(), c("sig").as_ptr(), Some(on_reply), p.ud()) };
    assert_eq!(rc, SUCC, "TIMLogin({user})");
    p.wait()
}

fn logout() -> (i32, Option<Reply>) {
    let p = Pending::new();
    let rc = unsafe { TIMLogout(Some(on_reply), p.ud()) };
    (rc, (rc == SUCC).then(|| p.wait()))
}

fn login_user_id() -> (i32, String) {
    let mut buf = [0x55u8; 128];
    let rc = unsafe { TIMGetLoginUserID(buf.as_mut_ptr().cast()) };
    let s = CStr::from_bytes_until_nul(&buf)
        .expect("NUL-terminated")
        .to_str()
        .unwrap();
    (rc, s.to_owned())
}

fn ids() -> Vec<String> {
    list()
        .into_iter()
        .map(|v| v["conv_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_embedded_default_needs_no_set_up_and_has_no_user() {
    let _g = serial();
    assert_eq!(create("embedded-1", C2C).0, SUCC);
    assert_eq!(ids(), ["embedded-1"]);
    assert_eq!(
        unsafe { TIMGetLoginStatus() },
        TIMLoginStatus::kTIMLoginStatus_UnLogined as c_int
    );
    assert_eq!(login_user_id(), (ERR_SDKUNINIT, String::new()));
    // Login and logout need TIMInit.
    let p = Pending::new();
    let rc = unsafe { TIMLogin(c("u").as_ptr(), c("s").as_ptr(), Some(on_reply), p.ud()) };
    assert_eq!(rc, ERR_SDKUNINIT);
    assert_eq!(unsafe { TIMLogout(Some(on_reply), p.ud()) }, ERR_SDKUNINIT);
    list();
    assert_eq!(p.count(), 0);
}

#[test]
fn after_init_conversation_calls_before_login_are_refused_before_their_arguments() {
    let _g = serial();
    create("dropped-by-init", C2C);
    assert_eq!(init(None), SUCC);
    let p = Pending::new();
    // Even with bad arguments: the state is checked first (C4.1).
    let calls: [i32; 5] = unsafe {
        [
            TIMConvCreate(std::ptr::null(), 99, Some(on_reply), p.ud()),
            TIMConvDelete(c("x").as_ptr(), C2C, Some(on_reply), p.ud()),
            TIMConvGetConvList(Some(on_reply), p.ud()),
            TIMConvSetDraft(c("x").as_ptr(), C2C, std::ptr::null()),
            TIMConvCancelDraft(c("x").as_ptr(), C2C),
        ]
    };
    assert_eq!(calls, [ERR_NOTLOGIN; 5]);
    assert_eq!(login_user_id(), (ERR_NOTLOGIN, String::new()));
    login("alice");
    // The embedded store was dropped by TIMInit.
    assert!(ids().is_empty());
    assert_eq!(p.count(), 0, "a refused call was called back");
}

#[test]
fn each_user_has_their_own_conversations_kept_until_uninit() {
    let _g = serial();
    assert_eq!(init(Some("")), SUCC);
    let r = login("alice");
    assert_eq!((r.code, r.desc.as_str(), r.json.as_str()), (0, "", ""));
    assert_eq!(
        unsafe { TIMGetLoginStatus() },
        TIMLoginStatus::kTIMLoginStatus_Logined as c_int
    );
    assert_eq!(login_user_id(), (SUCC, "alice".to_owned()));
    create_ok("a1", C2C);
    create_ok("a2", GROUP);
    assert_eq!(set_draft("a1", C2C, &draft("hi")), SUCC);

    let (rc, r) = logout();
    assert_eq!((rc, r.unwrap().code), (SUCC, 0));
    assert_eq!(
        unsafe { TIMGetLoginStatus() },
        TIMLoginStatus::kTIMLoginStatus_UnLogined as c_int
    );
    assert_eq!(
        unsafe { TIMConvGetConvList(Some(on_reply), std::ptr::null()) },
        ERR_NOTLOGIN
    );

    login("bob");
    assert!(ids().is_empty(), "bob sees alice's conversations");
    create_ok("b1", C2C);
    // Logging in as another user while logged in: switches.
    assert_eq!(login("alice").code, 0);
    assert_eq!(login_user_id(), (SUCC, "alice".to_owned()));
    assert_eq!(ids(), ["a1", "a2"]);
    assert_eq!(find("a1", C2C).unwrap()["conv_is_has_draft"], true);
    // The same user again: nothing changes.
    assert_eq!(login("alice").code, 0);
    assert_eq!(ids(), ["a1", "a2"]);
    login("bob");
    assert_eq!(ids(), ["b1"]);

    // Logged out twice: the second is answered 6014.
    logout();
    let (rc, r) = logout();
    assert_eq!((rc, r.unwrap().code), (SUCC, ERR_SDK_NOT_LOGGED_IN as i32));

    // After TIMUninit, a new TIMInit starts afresh.
    unsafe { TIMUninit() };
    assert_eq!(init(None), SUCC);
    login("alice");
    assert!(ids().is_empty());
}

#[test]
fn init_checks_its_arguments_and_a_second_init_changes_nothing() {
    let _g = serial();
    let bad = |id: u64, cfg: &[u8]| unsafe { TIMInit(id, cfg.as_ptr().cast()) };
    assert_eq!(bad(0, b"\0"), ERR_PARAM);
    assert_eq!(bad(APP, b"{\0"), ERR_JSON);
    assert_eq!(bad(APP, b"[]\0"), ERR_JSON);
    assert_eq!(bad(APP, b"{\"sdk_config_config_file_path\":1}\0"), ERR_JSON);
    assert_eq!(bad(APP, b"\xff\0"), ERR_PARAM);
    // Refused calls changed nothing: still the embedded default.
    assert_eq!(create("still-embedded", C2C).0, SUCC);
    // A durable store in a folder of this process's own.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lifecycle-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = serde_json::json!({
        "sdk_config_config_file_path": dir,
        "sdk_config_log_file_path": "/tmp",
        "x": [1],
    });
    assert_eq!(init(Some(&config.to_string())), SUCC);
    login("carol");
    create_ok("c1", C2C);
    assert_eq!(init(None), SUCC, "TIMInit again, same app id");
    assert_eq!(login_user_id(), (SUCC, "carol".to_owned()));
    assert_eq!(ids(), ["c1"]);
    assert_eq!(
        unsafe { TIMInit(APP + 1, std::ptr::null()) },
        ERR_PARAM,
        "another app id"
    );
    assert_eq!(ids(), ["c1"]);
    unsafe { TIMUninit() };
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn login_checks_its_arguments() {
    let _g = serial();
    init(None);
    let p = Pending::new();
    let long = "u".repeat(128);
    let cases: [(*const c_char, *const c_char); 5] = [
        (std::ptr::null(), c"s".as_ptr()),
        (c"".as_ptr(), c"s".as_ptr()),
        (c"\xff".as_ptr(), c"s".as_ptr()),
        (c("u").into_raw(), std::ptr::null()),
        (c(&long).into_raw(), c"s".as_ptr()),
    ];
    for (u, s) in cases {
        assert_eq!(unsafe { TIMLogin(u, s, Some(on_reply), p.ud()) }, ERR_PARAM);
    }
    assert_eq!(
        unsafe { TIMGetLoginUserID(std::ptr::null_mut()) },
        ERR_PARAM
    );
    // 127 bytes fit TIMGetLoginUserID's 128-byte buffer with the NUL.
    login(&"u".repeat(127));
    assert_eq!(login_user_id(), (SUCC, "u".repeat(127)));
    assert_eq!(p.count(), 0);
}

#[test]
fn uninit_delivers_every_accepted_callback_and_none_runs_after() {
    let _g = serial();
    init(None);
    login("dave");
    static SEEN: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn slow(_: i32, _: *const c_char, _: *const c_char, _: *const c_void) {
        std::thread::sleep(Duration::from_micros(50));
        SEEN.fetch_add(1, SeqCst);
    }
    SEEN.store(0, SeqCst);
    let n = 2_000;
    for i in 0..n {
        let id = c(&format!("d{i}"));
        assert_eq!(
            unsafe { TIMConvCreate(id.as_ptr(), C2C, Some(slow), std::ptr::null()) },
            SUCC
        );
    }
    assert_eq!(unsafe { TIMUninit() }, SUCC);
    assert_eq!(
        SEEN.load(SeqCst),
        n,
        "TIMUninit returned before every callback ran"
    );
    // Back to the embedded default, empty.
    assert_eq!(
        unsafe { TIMGetLoginStatus() },
        TIMLoginStatus::kTIMLoginStatus_UnLogined as c_int
    );
    assert!(ids().is_empty());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(SEEN.load(SeqCst), n, "a callback ran after TIMUninit");
}

#[test]
fn uninit_from_inside_a_callback_does_not_deadlock_and_still_delivers() {
    let _g = serial();
    init(None);
    login("erin");
    static DONE: AtomicBool = AtomicBool::new(false);
    static RC: AtomicU32 = AtomicU32::new(u32::MAX);
    // Set once the second call was accepted: the callback waits for it, so
    // that call is surely accepted before TIMUninit runs.
    static SECOND_ACCEPTED: AtomicBool = AtomicBool::new(false);
    unsafe extern "C" fn uninit_here(_: i32, _: *const c_char, _: *const c_char, _: *const c_void) {
        let t0 = Instant::now();
        while !SECOND_ACCEPTED.load(SeqCst) && t0.elapsed() < TIMEOUT {
            std::thread::sleep(Duration::from_millis(1));
        }
        RC.store(unsafe { TIMUninit() } as u32, SeqCst);
        DONE.store(true, SeqCst);
    }
    DONE.store(false, SeqCst);
    SECOND_ACCEPTED.store(false, SeqCst);
    let later = Pending::new();
    unsafe {
        assert_eq!(
            TIMConvCreate(c"e1".as_ptr(), C2C, Some(uninit_here), std::ptr::null()),
            SUCC
        );
        // Accepted before TIMUninit ran: still called back, after it.
        assert_eq!(
            TIMConvCreate(c"e2".as_ptr(), C2C, Some(on_reply), later.ud()),
            SUCC
        );
    }
    SECOND_ACCEPTED.store(true, SeqCst);
    let t0 = Instant::now();
    while !DONE.load(SeqCst) {
        assert!(
            t0.elapsed() < TIMEOUT,
            "TIMUninit inside a callback deadlocked"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(RC.load(SeqCst), 0);
    assert_eq!(later.wait().code, 0);
    // The state switched at once: the embedded default.
    assert_eq!(login_user_id(), (ERR_SDKUNINIT, String::new()));
    assert!(ids().is_empty());
}

#[test]
fn calls_racing_with_init_login_and_uninit_are_called_back_exactly_once() {
    let _g = serial();
    const THREADS: usize = 4;
    const CALLS: usize = 3_000;
    let counts: Arc<Vec<AtomicU32>> =
        Arc::new((0..THREADS * CALLS).map(|_| AtomicU32::new(0)).collect());
    unsafe extern "C" fn count(_: i32, _: *const c_char, _: *const c_char, ud: *const c_void) {
        // SAFETY: user_data is a counter of the test's vector, alive until
        // after the final TIMUninit.
        unsafe { &*(ud as *const AtomicU32) }.fetch_add(1, SeqCst);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let counts = counts.clone();
            std::thread::spawn(move || {
                let mut accepted = vec![false; CALLS];
                for (i, acc) in accepted.iter_mut().enumerate() {
                    let ud = &counts[t * CALLS + i] as *const AtomicU32 as *const c_void;
                    let id = c(&format!("r{t}-{i}"));
                    let rc = unsafe {
                        if i % 3 == 0 {
                            TIMConvGetConvList(Some(count), ud)
                        } else {
                            TIMConvCreate(id.as_ptr(), C2C, Some(count), ud)
                        }
                    };
                    *acc = rc == SUCC;
                    assert!(rc == SUCC || rc == ERR_NOTLOGIN, "rc {rc}");
                }
                accepted
            })
        })
        .collect();
    let s2 = stop.clone();
    let switcher = std::thread::spawn(move || {
        let mut rounds = 0;
        while !s2.load(SeqCst) {
            init(None);
            login(if rounds % 2 == 0 {
                "racer-a"
            } else {
                "racer-b"
            });
            std::thread::yield_now();
            if rounds % 3 == 0 {
                logout();
            }
            unsafe { TIMUninit() };
            rounds += 1;
        }
        rounds
    });
    let accepted: Vec<Vec<bool>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    stop.store(true, SeqCst);
    let rounds = switcher.join().unwrap();
    unsafe { TIMUninit() };
    let mut n_accepted = 0;
    for (t, acc) in accepted.iter().enumerate() {
        for (i, &a) in acc.iter().enumerate() {
            let n = counts[t * CALLS + i].load(SeqCst);
            assert_eq!(
                n,
                u32::from(a),
                "thread {t} call {i}: accepted {a}, called back {n} times"
            );
            n_accepted += usize::from(a);
        }
    }
    assert!(
        rounds > 0 && n_accepted > 0,
        "rounds {rounds}, accepted {n_accepted}"
    );
}

struct Events {
    network: Mutex<Vec<(c_int, i32, String)>>,
    log: Mutex<Vec<(c_int, String)>>,
}

unsafe extern "C" fn on_network(status: c_int, code: i32, desc: *const c_char, ud: *const c_void) {
    let e = unsafe { &*(ud as *const Events) };
    e.network.lock().push((status, code, cstr_lossy(desc)));
}

unsafe extern "C" fn on_log(level: c_int, line: *const c_char, ud: *const c_void) {
    let e = unsafe { &*(ud as *const Events) };
    e.log.lock().push((level, cstr_lossy(line)));
}

#[test]
fn the_network_and_log_listeners_hear_the_lifecycle_and_survive_it() {
    let _g = serial();
    let ev: &'static Events = Box::leak(Box::new(Events {
        network: Mutex::new(Vec::new()),
        log: Mutex::new(Vec::new()),
    }));
    let ud = ev as *const Events as *const c_void;
    unsafe {
        TIMSetNetworkStatusListenerCallback(Some(on_network), ud);
        TIMSetLogCallback(Some(on_log), ud);
    }
    init(None);
    login("frank");
    logout();
    unsafe { TIMUninit() };
    let net = ev.network.lock().clone();
    assert_eq!(
        net,
        [
            (TIMNetworkStatus::kTIMConnecting as c_int, 0, String::new()),
            (TIMNetworkStatus::kTIMConnected as c_int, 0, String::new())
        ]
    );
    let log = ev.log.lock().clone();
    let info = TIMLogLevel::kTIMLog_Info as c_int;
    assert!(log.len() >= 4, "{log:?}");
    assert!(log.iter().all(|(l, _)| *l == info));
    for want in [
        "TIMInit",
        "TIMLogin: frank",
        "TIMLogout: frank",
        "TIMUninit",
    ] {
        assert!(
            log.iter().any(|(_, s)| s.starts_with(want)),
            "no {want} in {log:?}"
        );
    }
    // Listeners stay set through TIMUninit; the callback log level filters.
    let p = Pending::new();
    let off = c(r#"{"set_config_callback_log_level":0}"#);
    assert_eq!(
        unsafe { TIMSetConfig(off.as_ptr(), Some(on_reply), p.ud()) },
        SUCC
    );
    assert_eq!(p.wait().code, 0);
    init(None);
    unsafe { TIMUninit() };
    assert_eq!(
        ev.network.lock().len(),
        4,
        "the network listener was dropped"
    );
    assert_eq!(ev.log.lock().len(), log.len(), "log level Off still logged");
    let info_level = c(r#"{"set_config_callback_log_level":4}"#);
    unsafe {
        TIMSetConfig(info_level.as_ptr(), None, std::ptr::null());
        TIMSetNetworkStatusListenerCallback(None, std::ptr::null());
        TIMSetLogCallback(None, std::ptr::null());
    }
    init(None);
    unsafe { TIMUninit() };
    assert_eq!(ev.network.lock().len(), 4, "a cleared listener was called");
}

#[test]
fn set_config_and_experimental_requests_check_their_json() {
    let _g = serial();
    let p = Pending::new();
    for (json, rc) in [
        (&b"{}\0"[..], SUCC),
        (b"{\"set_config_callback_log_level\":9}\0", ERR_JSON),
        (b"{\"set_config_callback_log_level\":\"4\"}\0", ERR_JSON),
        (b"[]\0", ERR_JSON),
        (b"{\0", ERR_JSON),
        (b"\xff\0", ERR_PARAM),
    ] {
        assert_eq!(
            unsafe { TIMSetConfig(json.as_ptr().cast(), None, p.ud()) },
            rc,
            "{json:?}"
        );
    }
    assert_eq!(
        unsafe { TIMSetConfig(std::ptr::null(), None, p.ud()) },
        ERR_PARAM
    );

    let exp = |json: &str| {
        let p = Pending::new();
        let rc = unsafe { callExperimentalAPI(c(json).as_ptr(), Some(on_reply), p.ud()) };
        (rc, (rc == SUCC).then(|| p.wait()))
    };
    let (rc, r) = exp(
        r#"{"request_internal_operation":"internal_operation_set_ui_platform","request_set_ui_platform_param":27}"#,
    );
    assert_eq!((rc, r.unwrap().code), (SUCC, 0));
    let (rc, r) = exp(r#"{"request_internal_operation":"internal_operation_sso_data"}"#);
    let r = r.unwrap();
    assert_eq!((rc, r.code), (SUCC, ERR_SDK_INTERFACE_NOT_SUPPORT as i32));
    assert!(r.desc.contains("internal_operation_sso_data"), "{}", r.desc);
    assert_eq!(exp("{}").0, ERR_JSON);
    assert_eq!(exp(r#"{"request_internal_operation":1}"#).0, ERR_JSON);
    assert_eq!(
        unsafe { callExperimentalAPI(std::ptr::null(), None, std::ptr::null()) },
        ERR_PARAM
    );
}

#[test]
fn version_and_server_time() {
    let v = unsafe { CStr::from_ptr(TIMGetSDKVersion()) }
        .to_str()
        .unwrap();
    assert!(v.starts_with("8.0.5906-imsdk-conv-"), "{v}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t = unsafe { TIMGetServerTime() };
    assert!(t.abs_diff(now) <= 2, "{t} vs {now}");
}

#[test]
fn listeners_set_before_init_fire_for_the_logged_in_user() {
    let _g = serial();
    static EVENTS: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn on_event(_: c_int, _: *const c_char, _: *const c_void) {
        EVENTS.fetch_add(1, SeqCst);
    }
    unsafe { TIMSetConvEventCallback(Some(on_event), std::ptr::null()) };
    init(None);
    login("gina");
    EVENTS.store(0, SeqCst);
    create_ok("g1", C2C);
    delete("g1", C2C);
    list();
    assert_eq!(EVENTS.load(SeqCst), 2);
    unsafe { TIMSetConvEventCallback(None, std::ptr::null()) };
}
