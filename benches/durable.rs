//! Benchmarks of the durable store, each figure next to a floor measured in
//! the same run with SQLite alone (rusqlite's bundled SQLite, the same
//! pragmas: WAL, `synchronous=NORMAL`, exclusive locking), on rows of about
//! 300 bytes.
//!
//! ```text
//! cargo bench --bench durable                  # full run
//! BENCH_SMOKE=1 cargo bench --bench durable    # tiny sizes, in seconds
//! ```
//!
//! Figures and floors:
//! - creates with callbacks, issued back to back from one thread, timed
//!   until the last callback has run (group commit). Floor: new rows, 1000
//!   per commit.
//! - `TIMConvSetDraft` (synchronous: one commit per call) on a store of 10k,
//!   p50 and p99. Floor: one upsert per commit, p50 and p99.
//! - login (`TIMInit` + `TIMLogin`: open, check, load, index) with 100k and
//!   1M conversations (10k in the smoke run). Floor: reading the same number
//!   of rows into structs.
//! - bytes on disk per conversation without a draft (database and WAL after
//!   logout), and the WAL's size while logged in.
//!
//! The library's state is a process-wide singleton, so each measurement
//! runs in a fresh child process (this binary with `--child ...`) that prints
//! `R <name> <value>` lines. No figure is asserted on.

use std::ffi::{c_char, c_void, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::time::Instant;

use rusqlite::{params, Connection};
use ImSDK::ffi::conversation::{TIMConvCreate, TIMConvSetDraft};
use ImSDK::ffi::manager::{TIMInit, TIMLogin, TIMLogout, TIMUninit};

const APP: u64 = 1_400_000_099;

fn report(name: &str, value: f64) {
    println!("R {name} {value}");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn bench_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-durable-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------------------
// The library

static DONE: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" fn count(code: i32, _: *const c_char, _: *const c_char, _: *const c_void) {
    if code != 0 {
        FAILED.fetch_add(1, Relaxed);
    }
    DONE.fetch_add(1, Release);
}

fn wait_done(n: u64) {
    while DONE.load(Acquire) < n {
        std::thread::yield_now();
    }
    assert_eq!(FAILED.load(Relaxed), 0, "a callback failed");
}

fn login(dir: &Path) {
    let cfg = CString::new(serde_json::json!({ "sdk_config_config_file_path": dir }).to_string())
        .unwrap();
    // SAFETY: valid C strings; `count` is a valid callback.
    unsafe {
        assert_eq!(TIMInit(APP, cfg.as_ptr()), 0);
        let before = DONE.load(Acquire);
        assert_eq!(
            TIMLogin(
                c"me".as_ptr(),
                c"sig".as_ptr(),
                Some(count),
                std::ptr::null()
            ),
            0
        );
        wait_done(before + 1);
    }
}

fn id(prefix: &str, i: usize) -> CString {
    CString::new(format!("{prefix}{i:08}")).unwrap()
}

/// Creates `n` conversations back to back; seconds until the last callback.
fn create_many(prefix: &str, n: usize) -> f64 {
    let ids: Vec<CString> = (0..n).map(|i| id(prefix, i)).collect();
    let before = DONE.load(Acquire);
    let t0 = Instant::now();
    for c in &ids {
        // SAFETY: a valid C string; `count` is a valid callback.
        assert_eq!(
            unsafe { TIMConvCreate(c.as_ptr(), 1, Some(count), std::ptr::null()) },
            0
        );
    }
    wait_done(before + n as u64);
    t0.elapsed().as_secs_f64()
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        total += if m.is_dir() {
            dir_bytes(&e.path())
        } else {
            m.len()
        };
    }
    total
}

fn wal_bytes(dir: &Path) -> u64 {
    let mut found = 0;
    for e in walk(dir) {
        if e.to_string_lossy().ends_with("conv.db-wal") {
            found += std::fs::metadata(&e).map_or(0, |m| m.len());
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Creates with callbacks, back to back: creates per second.
fn child_creates(n: usize) {
    let dir = bench_dir("creates");
    login(&dir);
    let secs = create_many("c", n);
    report("creates_per_s", n as f64 / secs);
    report("wal_bytes_logged_in", wal_bytes(&dir) as f64);
    // SAFETY: plain calls.
    unsafe { TIMUninit() };
    report("disk_bytes_per_conv", dir_bytes(&dir) as f64 / n as f64);
}

/// Synchronous drafts on a store of `base`: p50 and p99, microseconds.
fn child_drafts(base: usize, samples: usize) {
    let dir = bench_dir("drafts");
    login(&dir);
    create_many("d", base);
    let ids: Vec<CString> = (0..base).map(|i| id("d", i)).collect();
    let draft = CString::new(format!(
        r#"{{"draft_msg":{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"{}"}}]}},"draft_edit_time":1700000000}}"#,
        "x".repeat(120)
    ))
    .unwrap();
    let mut lat = Vec::with_capacity(samples);
    for i in 0..samples {
        let c = &ids[(i * 7919) % base];
        let t0 = Instant::now();
        // SAFETY: valid C strings.
        let rc = unsafe { TIMConvSetDraft(c.as_ptr(), 1, draft.as_ptr()) };
        lat.push(t0.elapsed().as_nanos() as f64 / 1e3);
        assert_eq!(rc, 0);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    report("draft_p50_us", percentile(&lat, 50.0));
    report("draft_p99_us", percentile(&lat, 99.0));
    // SAFETY: plain call.
    unsafe { TIMUninit() };
}

/// Makes a store of `n` conversations, then times a login in a fresh
/// process (see [`child_login`]).
fn child_fill(n: usize, dir: &Path) {
    login(dir);
    create_many("l", n);
    // SAFETY: plain calls.
    unsafe {
        TIMLogout(None, std::ptr::null());
        TIMUninit();
    }
}

fn child_login(n: usize, dir: &Path) {
    let t0 = Instant::now();
    login(dir);
    report(&format!("login_ms_{n}"), t0.elapsed().as_secs_f64() * 1e3);
    // SAFETY: plain call.
    unsafe { TIMUninit() };
}

// ---------------------------------------------------------------------------
// Floors: SQLite alone

fn floor_conn(path: &Path) -> Connection {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let c = Connection::open(path).unwrap();
    c.pragma_update(None, "locking_mode", "EXCLUSIVE").unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "NORMAL").unwrap();
    c.execute_batch(
        "CREATE TABLE t (k BLOB PRIMARY KEY, a INTEGER, b INTEGER, c TEXT) WITHOUT ROWID",
    )
    .unwrap();
    c
}

fn payload() -> String {
    "p".repeat(270)
}

/// New rows, `per` per commit: rows per second.
fn floor_batched(n: usize, per: usize) -> f64 {
    let dir = bench_dir("floor-batched");
    let mut c = floor_conn(&dir.join("f.db"));
    let p = payload();
    let t0 = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(per) {
        let tx = c.transaction().unwrap();
        {
            let mut st = tx
                .prepare_cached("INSERT INTO t (k, a, b, c) VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            for &i in chunk {
                st.execute(params![format!("k{i:08}").as_bytes(), i as i64, 7, &p])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

/// One upsert per commit into a table of `base` rows: p50, p99 (us).
fn floor_single(base: usize, samples: usize) -> (f64, f64) {
    let dir = bench_dir("floor-single");
    let mut c = floor_conn(&dir.join("f.db"));
    let p = payload();
    {
        let tx = c.transaction().unwrap();
        for i in 0..base {
            tx.execute(
                "INSERT INTO t (k, a, b, c) VALUES (?1, ?2, ?3, ?4)",
                params![format!("k{i:08}").as_bytes(), i as i64, 7, &p],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let mut lat = Vec::with_capacity(samples);
    for s in 0..samples {
        let i = (s * 7919) % base;
        let t0 = Instant::now();
        let tx = c.transaction().unwrap();
        tx.prepare_cached("INSERT OR REPLACE INTO t (k, a, b, c) VALUES (?1, ?2, ?3, ?4)")
            .unwrap()
            .execute(params![
                format!("k{i:08}").as_bytes(),
                i as i64,
                s as i64,
                &p
            ])
            .unwrap();
        tx.commit().unwrap();
        lat.push(t0.elapsed().as_nanos() as f64 / 1e3);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (percentile(&lat, 50.0), percentile(&lat, 99.0))
}

/// Reads `n` rows into structs: milliseconds.
fn floor_load(n: usize) -> f64 {
    let dir = bench_dir("floor-load");
    let path = dir.join("f.db");
    let p = payload();
    {
        let mut c = floor_conn(&path);
        let tx = c.transaction().unwrap();
        {
            let mut st = tx
                .prepare("INSERT INTO t (k, a, b, c) VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            for i in 0..n {
                st.execute(params![format!("k{i:08}").as_bytes(), i as i64, 7, &p])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    struct Row {
        _k: Vec<u8>,
        _a: i64,
        _b: i64,
        _c: String,
    }
    let t0 = Instant::now();
    let c = Connection::open(&path).unwrap();
    let mut st = c.prepare("SELECT k, a, b, c FROM t").unwrap();
    let rows: Vec<Row> = st
        .query_map([], |r| {
            Ok(Row {
                _k: r.get(0)?,
                _a: r.get(1)?,
                _b: r.get(2)?,
                _c: r.get(3)?,
            })
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(rows.len(), n);
    t0.elapsed().as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------
// The parent

fn run_child(args: &[String]) -> Vec<(String, f64)> {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .arg("--child")
        .args(args)
        .output()
        .expect("child");
    assert!(
        out.status.success(),
        "child {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("R ")?.split_whitespace();
            Some((w.next()?.to_owned(), w.next()?.parse().ok()?))
        })
        .collect()
}

fn get(rs: &[(String, f64)], name: &str) -> f64 {
    rs.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no figure {name}"))
}

fn parent(smoke: bool) {
    let creates = if smoke { 2_000 } else { 200_000 };
    let draft_base = if smoke { 1_000 } else { 10_000 };
    let draft_samples = if smoke { 500 } else { 20_000 };
    let login_sizes: &[usize] = if smoke {
        &[10_000]
    } else {
        &[100_000, 1_000_000]
    };

    println!("durable store (WAL, synchronous=NORMAL), figures next to SQLite alone:");
    let c = run_child(&["creates".into(), creates.to_string()]);
    let floor_rows = floor_batched(creates, 1000);
    let rate = get(&c, "creates_per_s");
    println!(
        "  creates with callbacks, back to back ({creates}): {:>9.0}/s   floor (new rows, 1000/commit) {:>9.0}/s   ratio {:.2}",
        rate,
        floor_rows,
        rate / floor_rows
    );
    println!(
        "  disk per conversation (no draft): {:.0} B   WAL while logged in: {:.0} KiB",
        get(&c, "disk_bytes_per_conv"),
        get(&c, "wal_bytes_logged_in") / 1024.0
    );

    let d = run_child(&[
        "drafts".into(),
        draft_base.to_string(),
        draft_samples.to_string(),
    ]);
    let (f50, f99) = floor_single(draft_base, draft_samples);
    println!(
        "  TIMConvSetDraft (sync, store of {draft_base}): p50 {:.1} us  p99 {:.1} us   floor (one upsert per commit) p50 {:.1} us  p99 {:.1} us   p50 ratio {:.2}",
        get(&d, "draft_p50_us"),
        get(&d, "draft_p99_us"),
        f50,
        f99,
        get(&d, "draft_p50_us") / f50
    );

    for &n in login_sizes {
        let dir = bench_dir(&format!("login-{n}"));
        let dirs = dir.to_string_lossy().into_owned();
        run_child(&["fill".into(), n.to_string(), dirs.clone()]);
        let l = run_child(&["login".into(), n.to_string(), dirs]);
        let floor = floor_load(n);
        println!(
            "  login with {n} conversations: {:.0} ms   floor (read {n} rows into structs) {:.0} ms   ratio {:.2}",
            get(&l, &format!("login_ms_{n}")),
            floor,
            get(&l, &format!("login_ms_{n}")) / floor
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let a = &args[at + 1..];
        let num = |i: usize| -> usize { a[i].parse().expect("number") };
        match a[0].as_str() {
            "creates" => child_creates(num(1)),
            "drafts" => child_drafts(num(1), num(2)),
            "fill" => child_fill(num(1), Path::new(&a[2])),
            "login" => child_login(num(1), Path::new(&a[2])),
            other => panic!("unknown child {other}"),
        }
        return;
    }
    let smoke = std::env::var("BENCH_SMOKE").is_ok_and(|v| v != "0")
        || args.iter().any(|a| a == "--smoke")
        || !args.iter().any(|a| a == "--bench");
    parent(smoke);
}
