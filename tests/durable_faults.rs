//! The durable store when things go wrong, through the exported functions:
//! stores that cannot be opened (not SQLite, damaged, another program's,
//! newer, impossible rows, a folder or a file in the wrong place, a second
//! process) are refused with their codes and left byte for byte as they
//! were; a write that fails (injected, or a real file-size limit) changes
//! neither memory nor disk; hostile user ids stay in their own folders.
//!
//! Built only with the `fault-injection` feature (see Cargo.toml). The SDK
//! state is per process, so these tests take turns (`serial`); the
//! two-process tests re-run this binary with [`CHILD`] set, which runs only
//! [`child_process_part`].

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_int, c_void};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::durable::{login, logout};
use common::log::*;
use common::*;
use rusqlite::Connection;
use serde_json::Value;
use ImSDK::ffi::manager::*;
use ImSDK::ffi::message::*;
use ImSDK::ffi::types::TIMCommCallback;

const APP: u64 = 1_400_000_077;
const DB_FAILURE: i32 = ERR_SDK_COMM_DATABASE_FAILURE as i32;
const IO_FAILED: i32 = ERR_IO_OPERATION_FAILED as i32;
const IN_PROCESS: i32 = ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS as i32;
const NOT_LOGGED_IN: i32 = TIM_ERR_NOTLOGIN as i32;
/// This library's `PRAGMA application_id` ("IMCV").
const OUR_APPLICATION_ID: i32 = 0x494d_4356;

/// Set in a child process: which part it plays (see [`child_process_part`]).
const CHILD: &str = "IMSDK_DURABLE_FAULTS_CHILD";
/// The child's `sdk_config_config_file_path`.
const CHILD_DIR: &str = "IMSDK_DURABLE_FAULTS_DIR";
/// What a child prints before each line meant for the parent.
const MARK: &str = "@@ ";

// ---------------------------------------------------------------------------
// Helpers

fn temp_dir(name: &str) -> PathBuf {
    durable::temp_dir(&format!("durable-faults-{name}"))
}

fn init(dir: &Path) {
    durable::init(APP, dir);
}

fn restart(dir: &Path, user: &str) {
    unsafe { TIMUninit() };
    init(dir);
    login(user).only(0);
}

fn app_dir(root: &Path) -> PathBuf {
    root.join("imsdk-conv").join(APP.to_string())
}

fn user_dir(root: &Path, user: &str) -> PathBuf {
    store_dir(root, APP, user)
}

fn db_path(root: &Path, user: &str) -> PathBuf {
    user_dir(root, user).join("conv.db")
}

fn wal_of(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

/// The bytes of a database and of its WAL (`None`: no such file).
#[derive(PartialEq, Eq)]
struct Bytes {
    db: Option<Vec<u8>>,
    wal: Option<Vec<u8>>,
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = |b: &Option<Vec<u8>>| b.as_ref().map(Vec::len);
        write!(
            f,
            "db {:?} bytes, wal {:?} bytes",
            len(&self.db),
            len(&self.wal)
        )
    }
}

fn bytes(db: &Path) -> Bytes {
    let read = |p: &Path| std::fs::read(p).ok();
    Bytes {
        db: read(db),
        wal: read(&wal_of(db)),
    }
}

/// No user is logged in: conversation calls answer `TIM_ERR_NOTLOGIN`.
fn assert_not_logged_in(what: &str) {
    call("list", |cb, ud| unsafe { TIMConvGetConvList(cb, ud) }).refused(NOT_LOGGED_IN);
    let (rc, _) = sync_call(|| set_draft("a", C2C, &draft("x")));
    assert_eq!(rc, NOT_LOGGED_IN, "{what}: a draft after the refusal");
    assert_eq!(
        unsafe { TIMGetLoginStatus() },
        TIMLoginStatus::kTIMLoginStatus_UnLogined as c_int,
        "{what}: login status"
    );
}

/// `TIMLogin(user)` (on the store under `root`) is accepted and called back
/// with `code`, nothing else delivered; the desc names `path` and each of
/// `says`; no user is logged in afterwards; the user's database and its WAL
/// are byte for byte as they were.
fn refused_login(root: &Path, user: &str, code: i32, path: &Path, says: &[&str]) -> String {
    let db = db_path(root, user);
    let before = bytes(&db);
    let r = login(user).only(code);
    let shown = path.display().to_string();
    assert!(
        r.desc.contains(&shown),
        "login({user:?}): the desc names {shown}: {:?}",
        r.desc
    );
    for s in says {
        assert!(
            r.desc.contains(s),
            "login({user:?}): the desc says {s:?}: {:?}",
            r.desc
        );
    }
    assert_not_logged_in(&format!("login({user:?})"));
    assert!(
        r.desc.replace(&shown, "").trim().len() > 10,
        "login({user:?}): the desc says what is wrong: {:?}",
        r.desc
    );
    assert_eq!(
        bytes(&db),
        before,
        "login({user:?}): the files were changed"
    );
    r.desc
}

fn msg(extra: &str) -> String {
    format!(r#"{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"hi"}}]{extra}}}"#)
}

/// Everything a user can observe of the state, to compare memory before and
/// after a failure, and memory with the disk after a restart.
fn observe() -> Value {
    durable::observe(r#"["a","b","c","d","e","new","x"]"#)
}

/// A database made by the library for `user` under `root`, with a few
/// conversations, a draft, a group and unread messages; closed again.
fn make_store(root: &Path, user: &str) -> PathBuf {
    init(root);
    login(user).only(0);
    for (id, ty) in [("a", C2C), ("b", C2C), ("team", GROUP)] {
        create_ok(id, ty);
    }
    assert_eq!(set_draft("a", C2C, &draft("kept")), SUCC);
    let (g, members) = (cs("work"), cs(r#"["c2c_a","group_team"]"#));
    call("group", |cb, ud| unsafe {
        TIMConvCreateConversationGroup(g.as_ptr(), members.as_ptr(), cb, ud)
    })
    .code(0);
    let (b, items) = (
        cs("b"),
        cs(&format!(
            "[{},{}]",
            msg(r#","message_sender":"b","message_client_time":100"#),
            msg(r#","message_sender":"b","message_client_time":200"#)
        )),
    );
    call("import", |cb, ud| unsafe {
        TIMMsgImportMsgList(b.as_ptr(), C2C, items.as_ptr(), cb, ud)
    })
    .code(0);
    unsafe { TIMUninit() };
    let db = db_path(root, user);
    assert!(db.is_file());
    assert!(
        !wal_of(&db).exists(),
        "a closed store has no WAL left beside it"
    );
    db
}

/// Copies the database `src` to `dst` (making its folder), after running
/// `sql` on a copy. With `keep_wal`, the change is left in a WAL beside
/// `dst`, as a process killed after its commit leaves it; otherwise it is
/// in `dst` itself.
fn plant(src: &Path, dst: &Path, sql: &str, keep_wal: bool) {
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    let work = dst.with_file_name("planting.db");
    std::fs::copy(src, &work).unwrap();
    let conn = Connection::open(&work).unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn.execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    if keep_wal {
        let work_wal = wal_of(&work);
        assert!(work_wal.is_file(), "{sql}: the change is in a WAL");
        std::fs::copy(&work, dst).unwrap();
        std::fs::copy(&work_wal, wal_of(dst)).unwrap();
        drop(conn);
    } else {
        drop(conn);
        assert!(!wal_of(&work).exists());
        std::fs::copy(&work, dst).unwrap();
    }
    for p in [
        work.clone(),
        wal_of(&work),
        work.with_file_name("planting.db-shm"),
    ] {
        let _ = std::fs::remove_file(p);
    }
}

// ---------------------------------------------------------------------------
// Stores that cannot be opened

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_as_it_was() {
    let _s = serial();
    let dir = temp_dir("not-sqlite");
    init(&dir);
    let mut garbage = b"SQLite format 3\0".to_vec();
    garbage.extend((0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let cases: [(&str, Vec<u8>); 4] = [
        (
            "text",
            "these are my notes, not a database\n".repeat(300).into(),
        ),
        ("zeros", vec![0; 8192]),
        ("header-then-noise", garbage),
        ("short", b"SQLite".to_vec()),
    ];
    for (user, content) in cases {
        let db = db_path(&dir, user);
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        std::fs::write(&db, &content).unwrap();
        refused_login(&dir, user, DB_FAILURE, &db, &["SQLite"]);
        assert_eq!(std::fs::read(&db).unwrap(), content, "{user}");
        assert!(!wal_of(&db).exists(), "{user}: no WAL was made");
    }
    // An empty file is what a crash right after creating it leaves: a new
    // store.
    let db = db_path(&dir, "empty");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::write(&db, b"").unwrap();
    login("empty").only(0);
    create_ok("a", C2C);
    restart(&dir, "empty");
    assert_eq!(listed(""), [("a".to_owned(), 1)]);
    unsafe { TIMUninit() };
}

#[test]
fn a_store_that_fails_its_integrity_check_is_refused_and_left_as_it_was() {
    let _s = serial();
    let dir = temp_dir("damaged");
    let db = make_store(&dir, "me");
    // Damages the conversation table's root page (not the first page, which
    // holds the header and the schema).
    let (root_page, page_size) = {
        let conn = Connection::open(&db).unwrap();
        let root: i64 = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'conv'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size: i64 = conn
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .unwrap();
        (root as usize, size as usize)
    };
    assert!(root_page > 1);
    let mut content = std::fs::read(&db).unwrap();
    let at = (root_page - 1) * page_size;
    // An invalid b-tree page type, and its cell count made impossible.
    content[at] = 0x07;
    content[at + 3] = 0xff;
    content[at + 4] = 0xff;
    std::fs::write(&db, &content).unwrap();
    init(&dir);
    refused_login(&dir, "me", DB_FAILURE, &db, &["integrity"]);
    assert_eq!(std::fs::read(&db).unwrap(), content);
    unsafe { TIMUninit() };
}

#[test]
fn another_programs_database_is_refused_and_left_as_it_was() {
    let _s = serial();
    let dir = temp_dir("foreign");
    let cases = [
        // A plain SQLite file with a table (application_id 0).
        (
            "plain",
            "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');",
        ),
        // Another program's id, in WAL mode.
        (
            "other-id",
            "PRAGMA application_id = 305419896; PRAGMA journal_mode = WAL;
             CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');",
        ),
        // Our table names, but not our application id.
        (
            "lookalike",
            "CREATE TABLE conv (type INTEGER, id BLOB); PRAGMA user_version = 1;",
        ),
        // No tables, but a schema version set by someone.
        ("versioned", "PRAGMA user_version = 5;"),
    ];
    for (user, sql) in cases {
        let db = db_path(&dir, user);
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        Connection::open(&db).unwrap().execute_batch(sql).unwrap();
        init(&dir);
        refused_login(&dir, user, DB_FAILURE, &db, &["application_id"]);
        unsafe { TIMUninit() };
        let app: i32 = Connection::open(&db)
            .unwrap()
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_ne!(app, OUR_APPLICATION_ID, "{user}");
    }
}

#[test]
fn a_store_of_a_newer_schema_is_refused_and_left_as_it_was() {
    let _s = serial();
    let dir = temp_dir("newer");
    let clean = make_store(&dir, "base");
    for (user, version) in [("newer", 9_999), ("newest", i32::MAX)] {
        let db = db_path(&dir, user);
        // A newer library would change the schema and the version together.
        let sql =
            format!("ALTER TABLE conv ADD COLUMN later TEXT; PRAGMA user_version = {version};");
        plant(&clean, &db, &sql, false);
        init(&dir);
        let desc = refused_login(&dir, user, DB_FAILURE, &db, &["newer"]);
        assert!(
            desc.contains(&version.to_string()),
            "{user}: the desc gives the version found: {desc}"
        );
        unsafe { TIMUninit() };
    }
}

#[test]
fn rows_no_store_could_have_written_are_refused_and_left_as_they_were() {
    let _s = serial();
    let dir = temp_dir("rows");
    let clean = make_store(&dir, "base");
    // Each makes one impossible row in the store made above (ids are blobs:
    // x'61' is "a", x'62' is "b").
    let cases = [
        (
            "draft-not-json",
            "UPDATE conv SET draft = 'not json' WHERE id = x'61'",
        ),
        (
            "draft-an-array",
            "UPDATE conv SET draft = '[1,2]' WHERE id = x'61'",
        ),
        (
            "last-not-json",
            "UPDATE conv SET last_text = '{\"a\":' WHERE id = x'62'",
        ),
        ("unknown-type", "UPDATE conv SET type = 9 WHERE id = x'61'"),
        ("empty-id", "UPDATE conv SET id = x'' WHERE id = x'61'"),
        ("id-not-utf8", "UPDATE conv SET id = x'ff' WHERE id = x'61'"),
        ("id-as-a-number", "UPDATE conv SET id = 97 WHERE id = x'61'"),
        (
            "no-such-group",
            "UPDATE conv SET groups = CAST('nosuch' AS BLOB) WHERE id = x'61'",
        ),
        (
            "group-twice",
            "UPDATE conv SET groups = CAST('work' || char(0) || 'work' AS BLOB) WHERE id = x'61'",
        ),
        (
            "unread-without-points",
            "UPDATE conv SET unread = 5 WHERE id = x'61'",
        ),
        (
            "points-without-unread",
            "UPDATE conv SET unread = 0 WHERE id = x'62'",
        ),
        ("zero-order-key", "UPDATE conv SET seq = 0 WHERE id = x'61'"),
        (
            "shared-order-key",
            "UPDATE conv SET seq = (SELECT seq FROM conv WHERE id = x'62') WHERE id = x'61'",
        ),
        (
            "truncated-at-list",
            "UPDATE conv SET at = x'80' WHERE id = x'61'",
        ),
        (
            "text-where-a-number-is",
            "UPDATE conv SET marks = 'many' WHERE id = x'61'",
        ),
        (
            "group-name-a-blob",
            "INSERT INTO conv_group (name, created) VALUES (x'6e', 9)",
        ),
        (
            "group-name-not-utf8",
            "INSERT INTO conv_group (name, created) VALUES (CAST(x'ff' AS TEXT), 9)",
        ),
        (
            "last-time-missing",
            "UPDATE conv SET last_time = NULL WHERE id = x'62'",
        ),
        (
            "recv-opt-negative",
            "INSERT INTO recv_opt (type, id, opt) VALUES (1, x'63', -1)",
        ),
        (
            "recv-opt-empty-id",
            "INSERT INTO recv_opt (type, id, opt) VALUES (1, x'', 1)",
        ),
        (
            "recv-opt-over-255",
            "INSERT INTO recv_opt (type, id, opt) VALUES (1, x'63', 300)",
        ),
    ];
    for (user, sql) in cases {
        let db = db_path(&dir, user);
        plant(&clean, &db, sql, false);
        init(&dir);
        refused_login(&dir, user, DB_FAILURE, &db, &[]);
        unsafe { TIMUninit() };
    }
    // The untouched store still opens.
    init(&dir);
    login("base").only(0);
    assert_eq!(list().len(), 3);
    unsafe { TIMUninit() };
}

/// Rows that decode, but hold what no call can make: a store never wrote
/// them, so they are refused like the rows above (and some would break
/// the next call: a counter at its end cannot be counted on).
#[test]
fn rows_outside_what_any_call_can_make_are_refused() {
    let _s = serial();
    let dir = temp_dir("rows-out-of-range");
    let clean = make_store(&dir, "base");
    let cases = [
        // u64::MAX: the next activation overflows.
        (
            "seq-counter-at-its-end",
            "INSERT OR REPLACE INTO counter (name, value) VALUES ('seq', -1)",
        ),
        // 2^62 - 1: the next activation makes the order key 2^62, which the
        // next login refuses.
        (
            "seq-counter-below-the-pinned-bit",
            "INSERT OR REPLACE INTO counter (name, value) VALUES ('seq', 4611686018427387903)",
        ),
        // The next group's creation number overflows.
        (
            "group-counter-at-its-end",
            "INSERT OR REPLACE INTO counter (name, value) VALUES ('group_seq', -1)",
        ),
        (
            "group-created-at-its-end",
            "INSERT INTO conv_group (name, created) VALUES ('z', -1)",
        ),
        // TIMReceiveMessageOpt is 0 to 4.
        (
            "recv-opt-9",
            "INSERT INTO recv_opt (type, id, opt) VALUES (1, x'61', 9)",
        ),
        // Only bits 0 to 3 and 32 to 63 can be marked.
        ("mark-bit-4", "UPDATE conv SET marks = 16 WHERE id = x'61'"),
        // A group name is at most 32 bytes; at most 20 groups.
        (
            "group-name-of-40-bytes",
            "INSERT INTO conv_group (name, created) VALUES (printf('%.40c', 'n'), 9)",
        ),
        (
            "21-groups",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
             INSERT INTO conv_group (name, created) SELECT 'g' || i, 100 + i FROM n",
        ),
        // Custom data is at most 256 bytes.
        (
            "custom-data-of-300-bytes",
            "UPDATE conv SET custom = printf('%.300c', 'x') WHERE id = x'61'",
        ),
    ];
    let mut accepted = Vec::new();
    for (user, sql) in cases {
        let db = db_path(&dir, user);
        plant(&clean, &db, sql, false);
        let before = bytes(&db);
        init(&dir);
        let r = login(user).reply();
        if r.code == 0 {
            accepted.push(user);
        } else {
            assert_eq!(r.code, DB_FAILURE, "{user}: {}", r.desc);
            assert_not_logged_in(user);
        }
        unsafe { TIMUninit() };
        if r.code != 0 {
            assert_eq!(bytes(&db), before, "{user}");
        }
    }
    assert_eq!(accepted, Vec::<&str>::new(), "impossible rows were loaded");
}

/// The same refusals with the file's last commits still in its WAL, as a
/// process killed (or another program) leaves them: the WAL is neither
/// folded into the database nor removed.
#[test]
fn a_refused_store_with_commits_in_its_wal_is_left_as_it_was() {
    let _s = serial();
    let dir = temp_dir("refused-wal");
    let clean = make_store(&dir, "base");
    let foreign = dir.join("foreign.db");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch(
            "PRAGMA application_id = 305419896; PRAGMA journal_mode = WAL;
             CREATE TABLE notes (x TEXT);",
        )
        .unwrap();
    let cases = [
        (
            "foreign",
            &foreign,
            "INSERT INTO notes VALUES ('in the wal')",
        ),
        (
            "newer",
            &clean,
            "ALTER TABLE conv ADD COLUMN later TEXT; PRAGMA user_version = 9999;",
        ),
        (
            "bad-row",
            &clean,
            "UPDATE conv SET draft = 'not json' WHERE id = x'61'",
        ),
    ];
    let mut changed = Vec::new();
    for (user, src, sql) in cases {
        let db = db_path(&dir, user);
        plant(src, &db, sql, true);
        let before = bytes(&db);
        init(&dir);
        let r = login(user).only(DB_FAILURE);
        assert!(
            r.desc.contains(&db.display().to_string()),
            "{user}: {}",
            r.desc
        );
        assert_not_logged_in(user);
        unsafe { TIMUninit() };
        let after = bytes(&db);
        if after != before {
            changed.push(format!(
                "{user}: database {}, WAL {}",
                if after.db == before.db {
                    "unchanged"
                } else {
                    "changed"
                },
                match (&before.wal, &after.wal) {
                    (Some(_), None) => "removed",
                    (a, b) if a == b => "unchanged",
                    _ => "changed",
                }
            ));
        }
    }
    assert_eq!(changed, Vec::<String>::new(), "refused files were changed");
}

#[test]
fn a_folder_or_a_link_where_a_file_belongs_is_refused_and_left_as_it_was() {
    let _s = serial();
    let dir = temp_dir("wrong-kind");
    init(&dir);
    // Logged in as someone with a conversation: a refused login leaves no
    // user logged in, not the previous one.
    login("good").only(0);
    create_ok("kept", C2C);

    // A folder where conv.db belongs.
    let db = db_path(&dir, "folder");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("inside"), b"mine").unwrap();
    refused_login(&dir, "folder", IO_FAILED, &db, &["not a regular file"]);
    assert_eq!(std::fs::read(db.join("inside")).unwrap(), b"mine");
    assert_eq!(std::fs::read_dir(&db).unwrap().count(), 1);

    // A link where conv.db belongs, to another user's store: not followed.
    login("good").only(0);
    let good = db_path(&dir, "good");
    unsafe { TIMUninit() };
    let good_before = bytes(&good);
    init(&dir);
    let db = db_path(&dir, "link");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&good, &db).unwrap();
    refused_login(&dir, "link", IO_FAILED, &db, &["not a regular file"]);
    assert_eq!(bytes(&good), good_before);
    assert!(std::fs::symlink_metadata(&db).unwrap().is_symlink());

    // A folder where the lock file belongs.
    let lock = user_dir(&dir, "lockdir").join("lock");
    std::fs::create_dir_all(&lock).unwrap();
    refused_login(&dir, "lockdir", IO_FAILED, &lock, &[]);
    assert!(lock.is_dir());
    assert!(!lock.with_file_name("conv.db").exists());

    // A file where the user's folder belongs.
    let udir = user_dir(&dir, "filedir");
    std::fs::write(&udir, b"a file").unwrap();
    refused_login(&dir, "filedir", IO_FAILED, &udir, &[]);
    assert_eq!(std::fs::read(&udir).unwrap(), b"a file");

    // Moved away, the folder's user starts afresh.
    std::fs::remove_dir_all(db_path(&dir, "folder")).unwrap();
    login("folder").only(0);
    assert_eq!(list(), Vec::<Value>::new());
    // The previous user's store is intact.
    login("good").only(0);
    assert_eq!(listed(""), [("kept".to_owned(), 1)]);
    unsafe { TIMUninit() };

    // A file where the imsdk-conv folder belongs: no user can log in.
    let dir = temp_dir("file-for-folder");
    let top = dir.join("imsdk-conv");
    std::fs::write(&top, b"not a folder").unwrap();
    init(&dir);
    for user in ["me", "you"] {
        refused_login(&dir, user, IO_FAILED, &top, &[]);
    }
    assert_eq!(std::fs::read(&top).unwrap(), b"not a folder");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    unsafe { TIMUninit() };
}

// ---------------------------------------------------------------------------
// Injected write failures

static GROUP_EVENTS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn on_group_event(_: *const c_char, _: *const c_char, _: *const c_void) {
    GROUP_EVENTS.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn on_group_deleted(_: *const c_char, _: *const c_void) {
    GROUP_EVENTS.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn on_group_renamed(_: *const c_char, _: *const c_char, _: *const c_void) {
    GROUP_EVENTS.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn on_group_removed_from(
    _: *const c_char,
    _: *const c_char,
    _: u32,
    _: *const c_void,
) {
    GROUP_EVENTS.fetch_add(1, Ordering::SeqCst);
}

/// Counts every conversation-group event in [`GROUP_EVENTS`].
fn listen_to_groups() {
    unsafe {
        TIMSetConvConversationGroupCreatedCallback(Some(on_group_event), std::ptr::null());
        TIMSetConvConversationGroupDeletedCallback(Some(on_group_deleted), std::ptr::null());
        TIMSetConvConversationGroupNameChangedCallback(Some(on_group_renamed), std::ptr::null());
        TIMSetConvConversationsAddedToGroupCallback(Some(on_group_event), std::ptr::null());
        TIMSetConvConversationsDeletedFromGroupCallback(
            Some(on_group_removed_from),
            std::ptr::null(),
        );
    }
}

/// Undoes [`listen_to_groups`] (the listeners outlive `TIMUninit`).
fn stop_listening_to_groups() {
    unsafe {
        TIMSetConvConversationGroupCreatedCallback(None, std::ptr::null());
        TIMSetConvConversationGroupDeletedCallback(None, std::ptr::null());
        TIMSetConvConversationGroupNameChangedCallback(None, std::ptr::null());
        TIMSetConvConversationsAddedToGroupCallback(None, std::ptr::null());
        TIMSetConvConversationsDeletedFromGroupCallback(None, std::ptr::null());
    }
}

/// The next `n` durable writes fail; set back to none when dropped, so that
/// a failure that did not happen cannot fall on a later call or test.
struct FailWrites;

fn fail_writes(n: u32) -> FailWrites {
    ImSDK::fault::fail_writes(n);
    FailWrites
}

impl Drop for FailWrites {
    fn drop(&mut self) {
        ImSDK::fault::fail_writes(0);
    }
}

/// With the next write failing, an accepted call is called back with 7010
/// and delivers nothing else (no conversation, unread-count or group
/// event), and the state reads as before.
fn fails_with_callback(what: &str, f: impl FnOnce(TIMCommCallback, *const c_void) -> c_int) {
    let before = observe();
    let groups = GROUP_EVENTS.load(Ordering::SeqCst);
    let out = {
        let _f = fail_writes(1);
        call(what, f)
    };
    let r = out.reply();
    assert_eq!(
        r.code, DB_FAILURE,
        "{what}: the write failed, so the call did ({r:?}; delivered {:?})",
        out.log
    );
    assert!(!r.desc.is_empty(), "{what}: an error has a desc");
    assert_eq!(out.events(), [], "{what}: nothing is delivered");
    assert_eq!(
        GROUP_EVENTS.load(Ordering::SeqCst),
        groups,
        "{what}: no group event"
    );
    assert_eq!(observe(), before, "{what}: memory is as it was");
}

/// With the next write failing, a synchronous change returns
/// `TIM_ERR_PARAM`, delivers nothing, and the state reads as before.
fn fails_synchronously(what: &str, f: impl FnOnce() -> c_int) {
    let before = observe();
    let (rc, log) = {
        let _f = fail_writes(1);
        sync_call(f)
    };
    assert_eq!(rc, ERR_PARAM, "{what}: the write failed, so the call did");
    assert_eq!(log, [], "{what}: nothing is delivered");
    assert_eq!(observe(), before, "{what}: memory is as it was");
}

/// Memory, then the disk after a restart, read the same.
fn disk_matches_memory(dir: &Path, what: &str) -> Value {
    let memory = observe();
    restart(dir, "me");
    let disk = observe();
    assert_eq!(disk, memory, "{what}: the disk holds what memory held");
    disk
}

fn ids_listed() -> Vec<String> {
    list()
        .iter()
        .map(|v| v["conv_id"].as_str().unwrap().to_owned())
        .collect()
}

fn total_unread(state: &Value) -> u64 {
    state["total"]["conv_get_total_unread_message_count_result_unread_count"]
        .as_u64()
        .unwrap_or_else(|| panic!("no total in {state}"))
}

fn draft_text(v: &Value) -> Option<&str> {
    v["conv_draft"]["draft_msg"]["message_elem_array"][0]["text_elem_content"].as_str()
}

#[test]
fn a_single_change_that_cannot_be_written_changes_nothing() {
    let _s = serial();
    listen_to_groups();
    let dir = temp_dir("inject-single");
    init(&dir);
    login("me").only(0);
    create_ok("a", C2C);
    create_ok("b", C2C);
    assert_eq!(set_draft("a", C2C, &draft("first")), SUCC);
    disk_matches_memory(&dir, "the start");

    // A new conversation.
    let x = cs("x");
    fails_with_callback("create x", |cb, ud| unsafe {
        TIMConvCreate(x.as_ptr(), C2C, cb, ud)
    });
    assert!(!ids_listed().contains(&"x".to_owned()));
    // The same without a callback: it commits at once, and nothing fires.
    let (rc, log) = {
        let _f = fail_writes(1);
        sync_call(|| unsafe { TIMConvCreate(x.as_ptr(), C2C, None, std::ptr::null()) })
    };
    assert_eq!(rc, SUCC, "accepted");
    assert_eq!(log, [], "no event for a change that was undone");
    assert!(!ids_listed().contains(&"x".to_owned()));
    // A draft set, and one cancelled.
    fails_synchronously("set draft", || set_draft("a", C2C, &draft("second")));
    fails_synchronously("set draft on b", || set_draft("b", C2C, &draft("new")));
    fails_synchronously("cancel draft", || cancel_draft("a", C2C));
    // A pin.
    let b = cs("b");
    fails_with_callback("pin b", |cb, ud| unsafe {
        TIMConvPinConversation(b.as_ptr(), C2C, true, cb, ud)
    });
    let state = disk_matches_memory(&dir, "after the failures");
    assert_eq!(draft_text(&find("a", C2C).unwrap()), Some("first"));
    assert_eq!(state["list"].as_array().unwrap().len(), 2);

    // The next calls work, and are kept.
    create_ok("x", C2C);
    assert_eq!(set_draft("b", C2C, &draft("new")), SUCC);
    assert_eq!(cancel_draft("a", C2C), SUCC);
    call("pin b", |cb, ud| unsafe {
        TIMConvPinConversation(b.as_ptr(), C2C, true, cb, ud)
    })
    .code(0);
    disk_matches_memory(&dir, "after the next calls");
    assert_eq!(ids_listed(), ["b", "x", "a"]);
    assert_eq!(draft_text(&find("b", C2C).unwrap()), Some("new"));
    assert_eq!(draft_text(&find("a", C2C).unwrap()), None);
    unsafe { TIMUninit() };
    stop_listening_to_groups();
}

#[test]
fn a_batch_that_cannot_be_written_changes_nothing() {
    let _s = serial();
    listen_to_groups();
    let dir = temp_dir("inject-batch");
    init(&dir);
    login("me").only(0);
    for id in ["a", "b", "c", "d", "e"] {
        create_ok(id, C2C);
    }
    create_ok("team", GROUP);
    let (work, members) = (cs("work"), cs(r#"["c2c_a","c2c_b"]"#));
    call("group work", |cb, ud| unsafe {
        TIMConvCreateConversationGroup(work.as_ptr(), members.as_ptr(), cb, ud)
    })
    .code(0);
    let marks = cs(r#"["c2c_a","c2c_b","group_team"]"#);
    let gone = cs(r#"["c2c_c","c2c_d"]"#);
    let (team, three) = (
        cs("team"),
        cs(&format!(
            "[{},{},{}]",
            msg(r#","message_sender":"x","message_seq":5"#),
            msg(r#","message_sender":"x","message_seq":6,"message_group_at_user_array":["me"]"#),
            msg(r#","message_sender":"x","message_seq":7"#)
        )),
    );
    let (new, two) = (
        cs("new"),
        cs(&format!(
            "[{},{}]",
            msg(r#","message_sender":"new","message_client_time":10"#),
            msg(r#","message_sender":"new","message_client_time":20"#)
        )),
    );
    let (friends, friend_members) = (cs("friends"), cs(r#"["c2c_c","c2c_e"]"#));
    let opt_ids = cs(r#"["a","e","x"]"#);
    let e = cs("e");
    disk_matches_memory(&dir, "the start");

    fails_with_callback("mark three", |cb, ud| unsafe {
        TIMConvMarkConversation(marks.as_ptr(), 1, true, cb, ud)
    });
    fails_with_callback("delete two", |cb, ud| unsafe {
        TIMConvDeleteConversationList(gone.as_ptr(), false, cb, ud)
    });
    fails_with_callback("delete one", |cb, ud| unsafe {
        TIMConvDelete(e.as_ptr(), C2C, cb, ud)
    });
    fails_with_callback("import three", |cb, ud| unsafe {
        TIMMsgImportMsgList(team.as_ptr(), GROUP, three.as_ptr(), cb, ud)
    });
    fails_with_callback("import into a new conversation", |cb, ud| unsafe {
        TIMMsgImportMsgList(new.as_ptr(), C2C, two.as_ptr(), cb, ud)
    });
    fails_with_callback("create a group", |cb, ud| unsafe {
        TIMConvCreateConversationGroup(friends.as_ptr(), friend_members.as_ptr(), cb, ud)
    });
    fails_with_callback("delete a group", |cb, ud| unsafe {
        TIMConvDeleteConversationGroup(work.as_ptr(), cb, ud)
    });
    fails_with_callback("receive options", |cb, ud| unsafe {
        TIMMsgSetC2CReceiveMessageOpt(opt_ids.as_ptr(), 2, cb, ud)
    });
    // Two failures in a row, then the call goes through.
    {
        let _f = fail_writes(2);
        for _ in 0..2 {
            call("mark, failing", |cb, ud| unsafe {
                TIMConvMarkConversation(marks.as_ptr(), 1, true, cb, ud)
            })
            .only(DB_FAILURE);
        }
        let r = call("mark, third time", |cb, ud| unsafe {
            TIMConvMarkConversation(marks.as_ptr(), 1, true, cb, ud)
        })
        .code(0);
        assert_eq!(op_results(&r.json).len(), 3);
    }
    let state = disk_matches_memory(&dir, "after the failures");
    let groups = state["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "only work: {groups:?}");
    assert_eq!(state["list"].as_array().unwrap().len(), 6);
    assert_eq!(total_unread(&state), 0);

    // Each call works the next time, and is kept.
    call("delete two", |cb, ud| unsafe {
        TIMConvDeleteConversationList(gone.as_ptr(), false, cb, ud)
    })
    .code(0);
    call("import three", |cb, ud| unsafe {
        TIMMsgImportMsgList(team.as_ptr(), GROUP, three.as_ptr(), cb, ud)
    })
    .code(0);
    call("import into a new conversation", |cb, ud| unsafe {
        TIMMsgImportMsgList(new.as_ptr(), C2C, two.as_ptr(), cb, ud)
    })
    .code(0);
    call("create a group", |cb, ud| unsafe {
        TIMConvCreateConversationGroup(friends.as_ptr(), friend_members.as_ptr(), cb, ud)
    })
    .code(0);
    call("receive options", |cb, ud| unsafe {
        TIMMsgSetC2CReceiveMessageOpt(opt_ids.as_ptr(), 2, cb, ud)
    })
    .code(0);
    call("delete one", |cb, ud| unsafe {
        TIMConvDelete(e.as_ptr(), C2C, cb, ud)
    })
    .code(0);
    let state = disk_matches_memory(&dir, "after the next calls");
    let mut ids = ids_listed();
    ids.sort();
    assert_eq!(ids, ["a", "b", "new", "team"]);
    assert_eq!(total_unread(&state), 5);
    assert_eq!(state["groups"].as_array().unwrap().len(), 2);
    unsafe { TIMUninit() };
    stop_listening_to_groups();
}

/// Calls issued back to back share commits (group commit); when one
/// commit fails, whatever it held is undone, and each caller hears the
/// truth: a callback with code 0 (and its event) for a change that is on
/// disk, 7010 (and no event) for one that is not; a synchronous change that
/// failed returns `TIM_ERR_PARAM` and is not kept.
#[test]
fn a_failed_group_commit_tells_each_caller_the_truth() {
    let _s = serial();
    let dir = temp_dir("inject-group-commit");
    init(&dir);
    login("me").only(0);
    create_ok("base", C2C);
    let ids: Vec<String> = (0..80).map(|i| format!("g{i:02}")).collect();
    let pending: Vec<Box<Pending>> = ids.iter().map(|_| Pending::new()).collect();
    let mut draft_rc = SUCC;
    let (rc, log) = {
        let _f = fail_writes(1);
        sync_call(|| {
            for (i, (id, p)) in ids.iter().zip(&pending).enumerate() {
                let c = cs(id);
                let rc = unsafe { TIMConvCreate(c.as_ptr(), C2C, Some(on_reply), p.ud()) };
                assert_eq!(rc, SUCC);
                if i == ids.len() / 2 {
                    // A synchronous change commits at once, with what is open.
                    draft_rc = set_draft("base", C2C, &draft("mid-way"));
                }
            }
            SUCC
        })
    };
    assert_eq!(rc, SUCC);
    let mut ok = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for (id, p) in ids.iter().zip(&pending) {
        let r = p.wait();
        match r.code {
            0 => ok.insert(id.clone()),
            DB_FAILURE => failed.insert(id.clone()),
            code => panic!("{id}: code {code} ({})", r.desc),
        };
    }
    assert!(
        draft_rc == ERR_PARAM || !failed.is_empty(),
        "the injected failure fell on some change (draft {draft_rc})"
    );
    assert!(
        draft_rc == SUCC || draft_rc == ERR_PARAM,
        "draft {draft_rc}"
    );
    // Events only for the changes that were kept.
    let mut added = BTreeSet::new();
    for e in &log {
        if let Entry::Event { kind, json } = e {
            let convs: Vec<Value> = serde_json::from_str(json).unwrap();
            for c in convs {
                let id = c["conv_id"].as_str().unwrap().to_owned();
                if *kind == ADD {
                    added.insert(id);
                } else {
                    assert_eq!(id, "base", "only the draft updates a conversation");
                    assert_eq!(draft_rc, SUCC, "no event for a failed draft");
                }
            }
        }
    }
    assert_eq!(
        added, ok,
        "an Add event for each kept change, none for the others"
    );
    let mut want = ok.clone();
    want.insert("base".to_owned());
    let listed: BTreeSet<String> = ids_listed().into_iter().collect();
    assert_eq!(
        listed, want,
        "memory holds exactly the acknowledged changes"
    );
    let base_draft = draft_text(&find("base", C2C).unwrap()).map(str::to_owned);
    assert_eq!(base_draft.is_some(), draft_rc == SUCC);
    disk_matches_memory(&dir, "after the failed commit");
    unsafe { TIMUninit() };
}

// ---------------------------------------------------------------------------
// Two processes

/// Re-runs this binary to run only [`child_process_part`] as `role`, on the
/// store under `dir`, with its stdin and stdout piped to us.
fn spawn_child(role: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_part",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, role)
        .env(CHILD_DIR, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The child's lines meant for us (the harness's own are left out).
fn child_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find(MARK).map(|at| l[at + MARK.len()..].to_owned()))
        .collect()
}

/// Prints one line for the parent, at once.
fn tell(line: impl std::fmt::Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{MARK}{line}").unwrap();
    out.flush().unwrap();
}

/// The part a child process plays in a two-process test; does nothing in
/// an ordinary run.
#[test]
fn child_process_part() {
    let Ok(role) = std::env::var(CHILD) else {
        return;
    };
    let dir = PathBuf::from(std::env::var_os(CHILD_DIR).unwrap());
    let _s = serial();
    init(&dir);
    login("me").only(0);
    match role.as_str() {
        "hold" => {
            create_ok("from-child", C2C);
            tell("ready");
            // Holds the user until killed (or until the parent is gone).
            let mut rest = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut rest);
        }
        "fsize-uninit" | "fsize-exit" => {
            fill_under_a_size_limit(&dir);
            if role == "fsize-exit" {
                // As if killed: nothing closes the store.
                unsafe { libc::_exit(0) };
            }
            unsafe { TIMUninit() };
            tell("closed");
        }
        other => panic!("no such child part: {other}"),
    }
}

#[test]
fn a_user_open_in_another_process_is_refused_until_that_process_dies() {
    let _s = serial();
    let dir = temp_dir("second-process");
    let mut child = spawn_child("hold", &dir);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert_ne!(
            out.read_line(&mut line).unwrap(),
            0,
            "the child ended before it was ready"
        );
        if child_lines(&line) == ["ready"] {
            break;
        }
    }
    let lock = user_dir(&dir, "me").join("lock");
    init(&dir);
    let desc = refused_login(&dir, "me", IN_PROCESS, &lock, &[]);
    assert!(
        desc.contains(&child.id().to_string()),
        "the desc names the process holding the lock: {desc}"
    );
    // Another user is not held up, and logging in the held one again is
    // refused again (and leaves no one logged in).
    login("other").only(0);
    create_ok("mine", C2C);
    refused_login(&dir, "me", IN_PROCESS, &lock, &[]);

    child.kill().unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    // The kernel released the lock with the process; what the child wrote
    // before it was killed is there.
    login("me").only(0);
    assert_eq!(listed(""), [("from-child".to_owned(), 1)]);
    create_ok("from-parent", C2C);
    restart(&dir, "me");
    assert_eq!(ids_listed(), ["from-parent", "from-child"]);
    unsafe { TIMUninit() };
}

// ---------------------------------------------------------------------------
// A real failing disk: a file-size limit

/// In the child: lowers the file-size limit a little above the store's
/// size, then makes changes until some fail, telling the parent each one
/// and whether it was acknowledged, and at the end the whole list.
fn fill_under_a_size_limit(dir: &Path) {
    create_ok("c-base", C2C);
    let db = db_path(dir, "me");
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let limit = size(&db).max(size(&wal_of(&db))) + 96 * 1024;
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let mut r: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut r), 0);
        r.rlim_cur = limit as libc::rlim_t;
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &r), 0);
    }
    tell(format!("limit {limit}"));
    let mut failures = 0;
    let mut i = 0;
    // Until well past the first failure: later, smaller changes may fit.
    while failures < 12 && i < 2_000 {
        let id = format!("c{i:04}");
        let (rc, reply) = create(&id, C2C);
        assert_eq!(rc, SUCC, "{id}: accepted");
        let code = reply.unwrap().code;
        if code == 0 {
            tell(format!("ok create {id}"));
        } else {
            assert_eq!(code, DB_FAILURE, "{id}: a failed write answers 7010");
            tell(format!("failed create {id}"));
            failures += 1;
        }
        // A large draft on the base conversation, changed each time.
        let text = format!("{id}-{}", "d".repeat(3000));
        match set_draft("c-base", C2C, &draft(&text)) {
            SUCC => tell(format!("ok draft {id}")),
            rc => {
                assert_eq!(rc, ERR_PARAM, "{id}: a failed draft");
                tell(format!("failed draft {id}"));
                failures += 1;
            }
        }
        i += 1;
    }
    tell(format!("list {}", serde_json::to_string(&list()).unwrap()));
}

fn a_size_limit_keeps_every_acknowledged_change(role: &str) {
    let _s = serial();
    let dir = temp_dir(role);
    let child = spawn_child(role, &dir);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the child failed: {text}");
    let lines = child_lines(&text);
    let mut created: BTreeMap<String, bool> = BTreeMap::new();
    let mut last_draft = None;
    let mut failed_drafts = BTreeSet::new();
    let mut child_list = None;
    for l in &lines {
        let words: Vec<&str> = l.splitn(3, ' ').collect();
        match words[..] {
            ["ok", "create", id] => {
                created.insert(id.to_owned(), true);
            }
            ["failed", "create", id] => {
                created.insert(id.to_owned(), false);
            }
            ["ok", "draft", id] => last_draft = Some(id.to_owned()),
            ["failed", "draft", id] => {
                failed_drafts.insert(id.to_owned());
            }
            ["list", ..] => {
                child_list = Some(serde_json::from_str::<Value>(&l["list ".len()..]).unwrap())
            }
            _ => {}
        }
    }
    let child_list = child_list.expect("the child listed its conversations");
    let failed = created.values().filter(|ok| !**ok).count() + failed_drafts.len();
    assert!(
        failed > 0,
        "the file-size limit made no write fail: {lines:?}"
    );
    assert!(
        created.values().any(|ok| *ok),
        "something was written under the limit: {lines:?}"
    );
    if role == "fsize-uninit" {
        assert_eq!(lines.last().map(String::as_str), Some("closed"));
    }

    // The parent, without the limit, opens what the child left.
    init(&dir);
    login("me").only(0);
    let here = list();
    assert_eq!(
        Value::Array(here.clone()),
        child_list,
        "the disk holds what the child's memory held"
    );
    let listed: BTreeSet<String> = here
        .iter()
        .map(|v| v["conv_id"].as_str().unwrap().to_owned())
        .collect();
    for (id, ok) in &created {
        assert_eq!(listed.contains(id), *ok, "{id}: acknowledged {ok}");
    }
    let base = find("c-base", C2C).unwrap();
    let want = last_draft.map(|id| format!("{id}-{}", "d".repeat(3000)));
    assert_eq!(
        draft_text(&base).map(str::to_owned),
        want,
        "the last acknowledged draft"
    );
    // And writes again.
    create_ok("after", C2C);
    restart(&dir, "me");
    assert!(ids_listed().contains(&"after".to_owned()));
    unsafe { TIMUninit() };
    let conn = Connection::open(db_path(&dir, "me")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_file_size_limit_keeps_every_acknowledged_change_and_nothing_else() {
    a_size_limit_keeps_every_acknowledged_change("fsize-uninit");
}

#[test]
fn a_file_size_limit_then_a_kill_keeps_every_acknowledged_change_and_nothing_else() {
    a_size_limit_keeps_every_acknowledged_change("fsize-exit");
}

// ---------------------------------------------------------------------------
// Hostile user ids

#[test]
fn hostile_user_ids_each_stay_in_their_own_folder() {
    let _s = serial();
    let base = temp_dir("hostile");
    let root = base.join("root");
    std::fs::create_dir(&root).unwrap();
    let long_ascii = "x".repeat(127);
    let long_utf8 = format!("{}a", "\u{e9}".repeat(63));
    assert_eq!(long_utf8.len(), 127);
    let users: Vec<String> = [
        "../../x",
        "../../../../x",
        "/abs",
        "a/b",
        "..",
        ".",
        "./.",
        "a\\b",
        "~",
        "con",
        long_ascii.as_str(),
        long_utf8.as_str(),
        "\u{7528}\u{6237}\u{1f600}",
        "caf\u{e9}",
        "cafe\u{301}",
        "Alice",
        "alice",
        "ALICE",
        " alice",
        "alice\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let abs_before = Path::new("/abs").exists();
    init(&root);
    for (i, user) in users.iter().enumerate() {
        login(user).only(0);
        create_ok(&format!("own-{i}"), C2C);
        assert_eq!(
            set_draft(&format!("own-{i}"), C2C, &draft(&format!("of {i}"))),
            SUCC
        );
        if i % 2 == 0 {
            logout().only(0);
        }
    }
    // Each sees only its own, now and after a restart.
    for pass in 0..2 {
        for (i, user) in users.iter().enumerate() {
            login(user).only(0);
            assert_eq!(
                listed(""),
                [(format!("own-{i}"), 1)],
                "pass {pass}: {user:?}"
            );
        }
        unsafe { TIMUninit() };
        init(&root);
    }
    unsafe { TIMUninit() };

    // Nothing but root in the folder around it, nothing but our folder in
    // root, and one folder per user, named as documented.
    let names = |p: &Path| -> BTreeSet<String> {
        std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    };
    assert_eq!(names(&base), BTreeSet::from(["root".to_owned()]));
    assert_eq!(names(&root), BTreeSet::from(["imsdk-conv".to_owned()]));
    assert_eq!(
        names(&root.join("imsdk-conv")),
        BTreeSet::from([APP.to_string()])
    );
    let want: BTreeSet<String> = users
        .iter()
        .map(|u| {
            let d = user_dir(&root, u);
            d.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    assert_eq!(want.len(), users.len(), "one folder each");
    assert_eq!(names(&app_dir(&root)), want);
    for user in &users {
        let files = names(&user_dir(&root, user));
        assert!(
            files.contains("conv.db") && files.contains("lock"),
            "{user:?}: {files:?}"
        );
        let allowed = BTreeSet::from(["conv.db", "conv.db-wal", "lock"].map(String::from));
        assert!(files.is_subset(&allowed), "{user:?}: {files:?}");
    }
    // Every folder the library made is 0700, every file 0600.
    let mut stack = vec![root.join("imsdk-conv")];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let mode = m.permissions().mode() & 0o777;
        if m.is_dir() {
            assert_eq!(mode, 0o700, "{}", p.display());
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert!(m.is_file(), "{}", p.display());
            assert_eq!(mode, 0o600, "{}", p.display());
        }
    }
    assert_eq!(
        Path::new("/abs").exists(),
        abs_before,
        "nothing made at /abs"
    );
}
