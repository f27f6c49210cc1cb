//! The durable store: each user's conversation state in one SQLite database
//! under the folder given as `sdk_config_config_file_path`.
//!
//! # Where
//! `<path>/imsdk-conv/<app id>/<user id in base32>/conv.db` (with SQLite's
//! `conv.db-wal` beside it) and a `lock` file. The user id is encoded, so no
//! id can name a path outside its folder; folders are made 0700, files
//! 0600.
//!
//! # What is kept, and how
//! Memory stays the store every call reads; the database mirrors it. At
//! login the whole user is loaded and every index rebuilt by
//! [`Store::restore`]; from then on each committed transaction hands its
//! records to [`Sqlite::write`], one SQLite transaction per call (WAL,
//! `synchronous=NORMAL` unless the app asked for `FULL`), which returns once
//! the change would survive the process being killed.
//!
//! # Refusals
//! A database that is not SQLite, fails `PRAGMA quick_check`, holds
//! another program's tables, or has a schema newer than this library's is
//! refused, and left byte for byte as it was; so is a folder where a file
//! should be. A user already open in another process is refused while that
//! process holds the lock (an advisory `flock`, released by the kernel when
//! the process ends, however it ends).

mod codec;
mod schema;

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OpenFlags};

use crate::error::{Error, Result, TIMErrCode};
use crate::store::{Journal, Put, Store};

/// How hard a commit pushes to the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sync {
    /// `synchronous=NORMAL`: a commit survives the process being killed; a
    /// power loss may take the last commits back (never leaves a damaged
    /// file).
    #[default]
    Normal,
    /// `synchronous=FULL`: a commit also survives a power loss, at the cost
    /// of a flush to the disk per commit.
    Full,
}

/// Why a user's store could not be opened: the callback's code and a `desc`
/// that names the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    pub code: i32,
    pub desc: String,
}

impl OpenError {
    fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> OpenError {
        OpenError {
            code: TIMErrCode::ERR_IO_OPERATION_FAILED as i32,
            desc: format!("{what} {}: {e}", path.display()),
        }
    }

    fn db(path: &Path, e: impl std::fmt::Display) -> OpenError {
        OpenError {
            code: TIMErrCode::ERR_SDK_COMM_DATABASE_FAILURE as i32,
            desc: format!(
                "{}: {e}; the file was left as it is (move it away to start afresh)",
                path.display()
            ),
        }
    }
}

/// The lowercase base32 (RFC 4648, no padding) of `bytes`: letters and
/// digits only, reversible, and at most 204 characters for a 127-byte id,
/// within every filesystem's 255-byte name limit.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[(acc >> bits) as usize & 31] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[(acc << (5 - bits)) as usize & 31] as char);
    }
    out
}

/// The folder holding every user's store of one app.
pub fn app_dir(root: &Path, app_id: u64) -> PathBuf {
    root.join("imsdk-conv").join(app_id.to_string())
}

/// The folder holding one user's store.
pub fn user_dir(root: &Path, app_id: u64, user: &str) -> PathBuf {
    app_dir(root, app_id).join(format!("u{}", base32(user.as_bytes())))
}

/// The database file inside [`user_dir`].
pub const DB_FILE: &str = "conv.db";
/// The lock file inside [`user_dir`].
pub const LOCK_FILE: &str = "lock";

/// Opens (creating if needed) `user`'s store under `root` and loads it.
pub fn open(
    root: &Path,
    app_id: u64,
    user: &str,
    sync: Sync,
) -> std::result::Result<Store, OpenError> {
    let dir = user_dir(root, app_id, user);
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| OpenError::io("cannot create the folder", &dir, e))?;
    let lock = lock(&dir.join(LOCK_FILE))?;
    let path = dir.join(DB_FILE);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if !m.file_type().is_file() => {
            return Err(OpenError::io(
                "cannot open",
                &path,
                "it is not a regular file",
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Made here, 0600, so that SQLite's files beside it get the same
            // mode.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| OpenError::io("cannot create", &path, e))?;
        }
        Err(e) => return Err(OpenError::io("cannot open", &path, e)),
    }
    let wal = dir.join(format!("{DB_FILE}-wal"));
    let wal_before = wal.exists();
    let (conn, mut store) = load(&path, sync).inspect_err(|_| {
        // Refused: the files stay as they were. SQLite leaves an empty WAL
        // behind when it opened a WAL-mode file that had none; that one is
        // ours to take away.
        if !wal_before && std::fs::metadata(&wal).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&wal);
        }
    })?;
    store.attach(Box::new(Sqlite {
        conn,
        open: false,
        _lock: lock,
    }));
    Ok(store)
}

/// Opens, checks, migrates and loads the database at `path`. Until it is
/// accepted, closing the connection folds nothing into the file.
fn load(path: &Path, sync: Sync) -> std::result::Result<(Connection, Store), OpenError> {
    let db = |e: &dyn std::fmt::Display| OpenError::db(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| db(&e))?;
    // A file refused below must be left as it was: no checkpoint when the
    // connection closes on the way out (it would fold the WAL into it).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .map_err(|e| db(&e))?;
    schema::prepare(&conn, sync).map_err(|e| db(&e))?;
    let restored = codec::load(&conn).map_err(|e| db(&e))?;
    let store = Store::restore(restored).map_err(|e| db(&e))?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)
        .map_err(|e| db(&e))?;
    Ok((conn, store))
}

/// Takes the user's lock file, or says which process holds it.
fn lock(path: &Path) -> std::result::Result<File, OpenError> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| OpenError::io("cannot open the lock file", path, e))?;
    // SAFETY: a valid descriptor owned by `f`.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let holder = std::fs::read_to_string(path).unwrap_or_default();
            return Err(OpenError {
                code: TIMErrCode::ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS as i32,
                desc: format!(
                    "{}: this user is logged in by another process ({}); one process at a time",
                    path.display(),
                    match holder.trim() {
                        "" => "pid unknown".to_owned(),
                        pid => format!("pid {pid}"),
                    }
                ),
            });
        }
        return Err(OpenError::io("cannot lock", path, e));
    }
    // Who holds it, for the message another process gets (best effort).
    let _ = f.set_len(0);
    let _ = write!(f, "{}", std::process::id());
    Ok(f)
}

/// The journal: one SQLite connection, and the user's lock while it lives.
/// A batch is one SQLite transaction left open across calls.
pub struct Sqlite {
    conn: Connection,
    /// A transaction is open (the batch).
    open: bool,
    _lock: File,
}

impl Journal for Sqlite {
    fn write(&mut self, puts: &[Put<'_>], now: bool) -> Result<()> {
        let written = self.write_rows(puts).and_then(|()| match now {
            true => self.commit(),
            false => Ok(()),
        });
        written.map_err(|_| self.lose_batch())
    }

    fn flush(&mut self) -> Result<()> {
        self.commit().map_err(|_| self.lose_batch())
    }
}

impl Sqlite {
    /// Commits the open transaction, if any.
    fn commit(&mut self) -> rusqlite::Result<()> {
        if !self.open {
            return Ok(());
        }
        if crate::fault::fails(crate::fault::Point::Journal) {
            // As a full disk would.
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                Some("injected: database or disk is full".into()),
            ));
        }
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    /// After any error: the open transaction is rolled back (SQLite may
    /// have done so already), so the batch is lost whole.
    fn lose_batch(&mut self) -> Error {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.open = false;
        Error::Storage
    }

    fn write_rows(&mut self, puts: &[Put<'_>]) -> rusqlite::Result<()> {
        if !self.open {
            self.conn.execute_batch("BEGIN")?;
            self.open = true;
        }
        let tx = &self.conn;
        for p in puts {
            match p {
                Put::Conv(ty, id, Some(row)) => {
                    let mut st = tx.prepare_cached(codec::UPSERT_CONV)?;
                    codec::bind_conv(&mut st, *ty, id, row)?;
                    st.raw_execute()?;
                }
                Put::Conv(ty, id, None) => {
                    tx.prepare_cached("DELETE FROM conv WHERE type = ?1 AND id = ?2")?
                        .execute(params![*ty as u8, id.as_bytes()])?;
                }
                Put::RecvOpt(ty, id, 0) => {
                    tx.prepare_cached("DELETE FROM recv_opt WHERE type = ?1 AND id = ?2")?
                        .execute(params![*ty as u8, id.as_bytes()])?;
                }
                Put::RecvOpt(ty, id, opt) => {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO recv_opt (type, id, opt) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![*ty as u8, id.as_bytes(), opt])?;
                }
                Put::Group(name, Some(created)) => {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO conv_group (name, created) VALUES (?1, ?2)",
                    )?
                    .execute(params![name, *created as i64])?;
                }
                Put::Group(name, None) => {
                    tx.prepare_cached("DELETE FROM conv_group WHERE name = ?1")?
                        .execute(params![name])?;
                }
                Put::Counters { seq, group_seq } => {
                    let mut st = tx.prepare_cached(
                        "INSERT OR REPLACE INTO counter (name, value) VALUES (?1, ?2)",
                    )?;
                    st.execute(params!["seq", *seq as i64])?;
                    st.execute(params!["group_seq", *group_seq as i64])?;
                }
            }
        }
        Ok(())
    }
}
