//! The test over the whole function table (`src/ffi/table.rs`): every
//! not-available function answers exactly once with 7013, with valid and
//! with NULL arguments, and refuses bad ones; every listener keeps its slot;
//! the exported-symbol list, the README's function table and the code's
//! enums agree with the table.

mod common;

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;

use common::*;
use ImSDK::ffi::table::{Function, Kind, ENUMS, FUNCTIONS};
use ImSDK::ffi::types::TIMCommCallback;
use ImSDK::ffi::{conversation, def, error_code, manager, message};
use ImSDK::listeners::LISTENERS;
use ImSDK::sink::RawListener;
use ImSDK::{error, sink};

/// Which argument a probe spoils.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Valid,
    Null(usize),
    BadUtf8(usize),
    TooLong(usize),
    BadEnum(usize),
    NullCallback,
}

/// The arguments a probe passes, chosen by `mode`.
struct Args {
    mode: Mode,
    valid: CString,
    bad_utf8: Vec<u8>,
    too_long: Vec<u8>,
    buf: UnsafeCell<[u8; 128]>,
    pending: Box<Pending>,
}

impl Args {
    fn new(mode: Mode) -> Args {
        Args {
            mode,
            valid: c("{}"),
            bad_utf8: b"\xff\xfe{}\0".to_vec(),
            too_long: [vec![b'a'; 256 * 1024 + 1], vec![0]].concat(),
            buf: UnsafeCell::new([b'Z'; 128]),
            pending: Pending::new(),
        }
    }

    fn str(&self, i: usize) -> *const c_char {
        match self.mode {
            Mode::Null(j) if j == i => std::ptr::null(),
            Mode::BadUtf8(j) if j == i => self.bad_utf8.as_ptr().cast(),
            Mode::TooLong(j) if j == i => self.too_long.as_ptr().cast(),
            _ => self.valid.as_ptr(),
        }
    }

    fn buf(&self, i: usize) -> *mut c_char {
        match self.mode {
            Mode::Null(j) if j == i => std::ptr::null_mut(),
            _ => self.buf.get().cast(),
        }
    }

    fn enum_value(&self, i: usize, name: &str) -> c_int {
        match self.mode {
            Mode::BadEnum(j) if j == i => 0x7eadbeef,
            _ => {
                let e = ENUMS
                    .iter()
                    .find(|e| e.name == name)
                    .expect("enum in table");
                e.items[e.items.len() - 1].1 as c_int
            }
        }
    }

    fn cb(&self) -> TIMCommCallback {
        match self.mode {
            Mode::NullCallback => None,
            _ => Some(on_reply),
        }
    }

    fn ud(&self) -> *const c_void {
        self.pending.ud()
    }

    fn buf_first(&self) -> u8 {
        // SAFETY: no call is running with the buffer.
        unsafe { (*self.buf.get())[0] }
    }
}

struct Probe {
    name: &'static str,
    call: fn(&Args) -> c_int,
}

struct ListenerProbe {
    name: &'static str,
    call: fn(usize, *const c_void),
}

include!(concat!(env!("OUT_DIR"), "/gen/probes.rs"));

fn function(name: &str) -> &'static Function {
    FUNCTIONS
        .iter()
        .find(|f| f.name == name)
        .expect("in the table")
}

/// Callbacks are FIFO: once a conversation list has come back, every
/// callback queued before it has run.
fn barrier() {
    list();
}

/// Calls `probe` with `mode` and checks the outcome: `Some(expected rc)`
/// with its callback count, or the not-available answer.
fn run(probe: &Probe, mode: Mode) -> (c_int, usize, Args) {
    let a = Args::new(mode);
    let rc = (probe.call)(&a);
    barrier();
    let n = a.pending.count();
    (rc, n, a)
}

#[test]
fn every_not_available_function_answers_once_with_7013_and_refuses_bad_arguments() {
    let mut checked = 0;
    for probe in PROBES {
        let f = function(probe.name);
        assert_eq!(f.kind, Kind::NotAvailable, "{}", f.name);
        let has_cb = f.params.iter().any(|p| p.ty == "TIMCommCallback");

        // Valid arguments.
        let (rc, n, a) = run(probe, Mode::Valid);
        if has_cb {
            assert_eq!(rc, SUCC, "{}", f.name);
            assert_eq!(n, 1, "{}: one callback", f.name);
            let r = a.pending.wait();
            assert_eq!(r.code, ERR_SDK_INTERFACE_NOT_SUPPORT as i32, "{}", f.name);
            assert!(r.desc.contains(f.name), "{}: desc {:?}", f.name, r.desc);
            assert_eq!(r.json, "", "{}", f.name);
            assert_eq!(r.thread_name.as_deref(), Some("ImSDK-callback"));
        } else {
            assert_eq!(
                rc, ERR_PARAM,
                "{}: no callback to say it, so a refusal",
                f.name
            );
            assert_eq!(n, 0);
        }
        // Output buffers get "".
        if f.params.iter().any(|p| p.ty == "char*") {
            assert_eq!(a.buf_first(), 0, "{}: buffer not written", f.name);
        }
        // A NULL callback: accepted, nothing called back.
        if has_cb {
            let (rc, n, _) = run(probe, Mode::NullCallback);
            assert_eq!((rc, n), (SUCC, 0), "{}: NULL cb", f.name);
        }

        for (i, p) in f.params.iter().enumerate() {
            let refused = |mode: Mode| {
                let (rc, n, a) = run(probe, mode);
                assert_eq!((rc, n), (ERR_PARAM, 0), "{} {mode:?} ({})", f.name, p.name);
                if f.params.iter().any(|p| p.ty == "char*") {
                    assert_eq!(
                        a.buf_first(),
                        b'Z',
                        "{}: buffer written by a refused call",
                        f.name
                    );
                }
            };
            match p.ty {
                "const char*" => {
                    if p.nullable {
                        let (rc, n, _) = run(probe, Mode::Null(i));
                        let want = if has_cb { (SUCC, 1) } else { (ERR_PARAM, 0) };
                        assert_eq!((rc, n), want, "{}: NULL {} has a meaning", f.name, p.name);
                    } else {
                        refused(Mode::Null(i));
                    }
                    refused(Mode::BadUtf8(i));
                    refused(Mode::TooLong(i));
                }
                "char*" => {
                    let (rc, n, _) = run(probe, Mode::Null(i));
                    let want = if has_cb { (SUCC, 1) } else { (ERR_PARAM, 0) };
                    assert_eq!((rc, n), want, "{}: NULL {}", f.name, p.name);
                }
                t if t.starts_with("enum ") => refused(Mode::BadEnum(i)),
                _ => {}
            }
        }
        checked += 1;
    }
    let expected = FUNCTIONS
        .iter()
        .filter(|f| f.kind == Kind::NotAvailable)
        .count();
    assert_eq!(checked, expected);
    assert!(checked > 100, "only {checked} functions");
}

unsafe extern "C" fn listener_a() {}
unsafe extern "C" fn listener_b() {}

#[test]
fn every_generated_listener_keeps_its_slot() {
    let a = listener_a as unsafe extern "C" fn() as usize;
    let b = listener_b as unsafe extern "C" fn() as usize;
    // Two distinct user_data values, never dereferenced.
    let (ud1, ud2) = (
        std::ptr::dangling::<c_void>(),
        std::ptr::dangling::<u16>().cast::<c_void>(),
    );
    let l = |f, ud: *const c_void| RawListener {
        f,
        user_data: ud as usize,
    };
    let mut pairs = 0;
    for p in LISTENER_PROBES {
        let f = function(p.name);
        assert_eq!(f.kind, Kind::Listener, "{}", f.name);
        if let Some(family) = f.name.strip_prefix("TIMAdd") {
            let remove = LISTENER_PROBES
                .iter()
                .find(|r| r.name.strip_prefix("TIMRemove") == Some(family))
                .unwrap_or_else(|| panic!("{} has no Remove", f.name));
            (p.call)(a, ud1);
            (p.call)(b, ud2);
            (p.call)(a, ud2); // again: one entry, the newer user_data
            (p.call)(0, ud1); // NULL adds nothing
            assert_eq!(
                LISTENERS.list(family),
                vec![l(a, ud2), l(b, ud2)],
                "{}",
                f.name
            );
            (remove.call)(a, std::ptr::null());
            (remove.call)(0, std::ptr::null());
            assert_eq!(LISTENERS.list(family), vec![l(b, ud2)], "{}", f.name);
            (remove.call)(b, std::ptr::null());
            assert!(LISTENERS.list(family).is_empty());
            pairs += 1;
        } else if f.name.starts_with("TIMSet") {
            assert_eq!(LISTENERS.raw(f.name), None, "{}", f.name);
            (p.call)(a, ud1);
            assert_eq!(LISTENERS.raw(f.name), Some(l(a, ud1)), "{}", f.name);
            (p.call)(b, ud2);
            assert_eq!(
                LISTENERS.raw(f.name),
                Some(l(b, ud2)),
                "{}: replaced",
                f.name
            );
            (p.call)(0, ud1);
            assert_eq!(LISTENERS.raw(f.name), None, "{}: cleared", f.name);
        } else {
            assert!(f.name.starts_with("TIMRemove"), "{}", f.name);
        }
    }
    assert_eq!(
        pairs, 1,
        "TIMAddRecvNewMsgCallback / TIMRemoveRecvNewMsgCallback"
    );
    // Every listener of the table is generated here or written by hand.
    let hand = [
        "TIMSetConvEventCallback",
        "TIMSetNetworkStatusListenerCallback",
        "TIMSetLogCallback",
        "TIMSetConvConversationGroupCreatedCallback",
        "TIMSetConvConversationGroupDeletedCallback",
        "TIMSetConvConversationGroupNameChangedCallback",
        "TIMSetConvConversationsAddedToGroupCallback",
        "TIMSetConvConversationsDeletedFromGroupCallback",
    ];
    for f in FUNCTIONS.iter().filter(|f| f.kind == Kind::Listener) {
        let generated = LISTENER_PROBES.iter().any(|p| p.name == f.name);
        assert!(generated != hand.contains(&f.name), "{}", f.name);
    }
}

#[test]
fn the_exported_symbol_list_is_the_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/exported_symbols.txt");
    let committed = std::fs::read_to_string(path).unwrap();
    let mut names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
    names.sort_unstable();
    let want: String = names.iter().map(|n| format!("{n}\n")).collect();
    assert_eq!(
        committed, want,
        "tests/c/exported_symbols.txt is not the table's function list"
    );
    assert_eq!(names.len(), 240);
}

/// The README's function table, written from the table.
fn readme_table() -> String {
    let mut s = String::from("| header | function | here |\n|---|---|---|\n");
    for f in FUNCTIONS {
        let kind = match f.kind {
            Kind::Implemented => "implemented",
            Kind::Listener => "listener",
            Kind::NotAvailable => "not available",
        };
        s += &format!("| `{}` | `{}` | {kind} |\n", f.header.file(), f.name);
    }
    s
}

const BEGIN: &str = "<!-- function table: begin (written by tests/surface.rs) -->\n";
const END: &str = "<!-- function table: end -->\n";

#[test]
fn the_readme_function_table_is_the_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the function table markers");
    };
    // The counts in "What is implemented" are the table's.
    for (word, kind) in [
        ("implemented", Kind::Implemented),
        ("listener", Kind::Listener),
        ("not available", Kind::NotAvailable),
    ] {
        let n = FUNCTIONS.iter().filter(|f| f.kind == kind).count();
        let line = format!("- **{word}** ({n}):");
        assert!(readme.contains(&line), "README.md lacks {line:?}");
    }
    let current = &readme[b + BEGIN.len()..e];
    let fresh = readme_table();
    if current != fresh {
        if std::env::var_os("TIMSDK_UPDATE_README").is_some() {
            let new = format!("{}{BEGIN}{fresh}{}", &readme[..b], &readme[e..]);
            std::fs::write(&path, new).unwrap();
        } else {
            panic!("README.md's function table is out of date: TIMSDK_UPDATE_README=1 cargo test --test surface");
        }
    }
}

/// A Rust enum of the code: each variant's value is the table's.
macro_rules! same {
    ($m:ident :: $e:ident : $($v:ident),+ $(,)?) => {{
        let t = ENUMS.iter().find(|t| t.name == stringify!($e)).expect(stringify!($e));
        $(
            let want = t.items.iter().find(|(n, _)| *n == stringify!($v)).map(|&(_, v)| v);
            assert_eq!(Some($m::$e::$v as i64), want, "{}::{}", stringify!($e), stringify!($v));
        )+
    }};
}

#[test]
fn the_codes_enums_agree_with_the_table() {
    same!(def::TIMResult: TIM_SUCC, TIM_ERR_SDKUNINIT, TIM_ERR_NOTLOGIN, TIM_ERR_JSON, TIM_ERR_PARAM, TIM_ERR_CONV, TIM_ERR_GROUP);
    same!(def::TIMConvType: kTIMConv_Invalid, kTIMConv_C2C, kTIMConv_Group, kTIMConv_System);
    same!(def::TIMReceiveMessageOpt: kTIMRecvMsgOpt_Receive, kTIMRecvMsgOpt_Not_Receive, kTIMRecvMsgOpt_Not_Notify, kTIMRecvMsgOpt_Not_Notify_Except_At, kTIMRecvMsgOpt_Not_Receive_Except_At);
    same!(error_code::TIMErrCode: ERR_SUCC, ERR_INVALID_CONVERSATION, ERR_LOADMSG_FAILED, ERR_SDK_NOT_INITIALIZED, ERR_SDK_NOT_LOGGED_IN, ERR_IN_PROGESS, ERR_INVALID_PARAMETERS, ERR_DATABASE_OPERATE_FAILED, ERR_IO_OPERATION_FAILED, ERR_NO_PREVIOUS_LOGIN, ERR_INVALID_JSON, ERR_OUT_OF_MEMORY, ERR_USER_SIG_EXPIRED, ERR_LOGIN_KICKED_OFF_BY_OTHER, ERR_SDK_COMM_API_CALL_FREQUENCY_LIMIT, ERR_SDK_COMM_INTERRUPT, ERR_SDK_COMM_DATABASE_FAILURE, ERR_SDK_COMM_DATABASE_NOTFOUND, ERR_SDK_INTERNAL_ERROR, ERR_SDK_INTERFACE_NOT_SUPPORT, ERR_SDK_INVALID_OPERATION, ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS, ERR_SDK_ACCOUNT_LOGOUT_IN_PROCESS, ERR_SDK_NET_DISCONNECT, ERR_SDK_NET_WAIT_ACK_TIMEOUT, ERR_SVR_CONV_ACCOUNT_NOT_FOUND, ERR_SVR_CONV_INVALID_PARAMETERS, ERR_SVR_CONV_ADMIN_REQUIRED, ERR_SVR_CONV_INTERNAL_ERROR, ERR_SVR_CONV_NET_TIMEOUT, ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, ERR_SVR_CONV_CONV_MARK_OPERATE_FAILED, ERR_SVR_CONV_CONV_MARK_TOTAL_COUNT_EXCEED_LIMIT, ERR_SVR_CONV_CONV_GROUP_NOT_EXIST, ERR_SVR_CONV_CONV_GROUP_TOTAL_COUNT_EXCEED_LIMIT, ERR_SVR_CONV_CONV_GROUP_NAME_EXCEED_LENGTH, ERR_SVR_ACCOUNT_USERSIG_EXPIRED);
    same!(conversation::TIMConvEvent: kTIMConvEvent_Add, kTIMConvEvent_Del, kTIMConvEvent_Update, kTIMConvEvent_Start, kTIMConvEvent_Finish);
    same!(conversation::TIMConversationMarkType: kTIMConversationMarkTypeStar, kTIMConversationMarkTypeUnread, kTIMConversationMarkTypeFold, kTIMConversationMarkTypeHide);
    same!(conversation::TIMGroupAtType: kTIMGroup_At_Me, kTIMGroup_At_All, kTIMGroup_At_All_At_ME);
    same!(message::TIMElemType: kTIMElem_Text, kTIMElem_Image, kTIMElem_Sound, kTIMElem_Custom, kTIMElem_File, kTIMElem_GroupTips, kTIMElem_Face, kTIMElem_Location, kTIMElem_GroupReport, kTIMElem_Video, kTIMElem_FriendChange, kTIMElem_ProfileChange, kTIMElem_Merge, kTIMElem_Invalid);
    same!(message::TIMMsgStatus: kTIMMsg_Sending, kTIMMsg_SendSucc, kTIMMsg_SendFail, kTIMMsg_Deleted, kTIMMsg_LocalImported, kTIMMsg_Revoked, kTIMMsg_Cancel);
    same!(message::TIMMsgPriority: kTIMMsgPriority_High, kTIMMsgPriority_Normal, kTIMMsgPriority_Low, kTIMMsgPriority_Lowest);
    same!(message::TIMPlatform: kTIMPlatform_Other, kTIMPlatform_Windows, kTIMPlatform_Android, kTIMPlatform_IOS, kTIMPlatform_Mac, kTIMPlatform_Simulator);
    same!(manager::TIMNetworkStatus: kTIMConnected, kTIMDisconnected, kTIMConnecting, kTIMConnectFailed);
    same!(manager::TIMLoginStatus: kTIMLoginStatus_Logined, kTIMLoginStatus_Logining, kTIMLoginStatus_UnLogined, kTIMLoginStatus_Logouting);
    same!(manager::TIMLogLevel: kTIMLog_Off, kTIMLog_Test, kTIMLog_Verbose, kTIMLog_Debug, kTIMLog_Info, kTIMLog_Warn, kTIMLog_Error, kTIMLog_Assert);
    // The core's error table is the same enums (ffi re-exports them).
    let _: error::TIMResult = def::TIMResult::TIM_SUCC;
    let _: error::TIMErrCode = error_code::TIMErrCode::ERR_SUCC;
    let kinds = [
        (sink::ConvEventKind::Add, "kTIMConvEvent_Add"),
        (sink::ConvEventKind::Del, "kTIMConvEvent_Del"),
        (sink::ConvEventKind::Update, "kTIMConvEvent_Update"),
    ];
    let nets = [
        (sink::NetworkStatus::Connected as i32, "kTIMConnected"),
        (sink::NetworkStatus::Connecting as i32, "kTIMConnecting"),
    ];
    let logs = [
        (sink::LogLevel::Off as i32, "kTIMLog_Off"),
        (sink::LogLevel::Info as i32, "kTIMLog_Info"),
        (sink::LogLevel::Assert as i32, "kTIMLog_Assert"),
    ];
    let logins = [
        (sink::LoginStatus::Logined as i32, "kTIMLoginStatus_Logined"),
        (
            sink::LoginStatus::UnLogined as i32,
            "kTIMLoginStatus_UnLogined",
        ),
    ];
    let value = |name: &str| {
        ENUMS
            .iter()
            .flat_map(|e| e.items.iter())
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
    };
    for (v, name) in kinds
        .map(|(k, n)| (k as i32, n))
        .into_iter()
        .chain(nets)
        .chain(logs)
        .chain(logins)
    {
        assert_eq!(Some(i64::from(v)), value(name), "{name}");
    }
}
