//! The database's schema, its version, and the checks made before anything
//! is written to a file.

use rusqlite::Connection;

use super::Sync;

/// `PRAGMA application_id` of this library's databases ("IMCV").
pub const APPLICATION_ID: i32 = 0x494d_4356;

/// Migration `i` takes a database from version `i` to `i + 1`; the schema
/// version is their count. Each runs in one transaction with the new
/// version number, so a database is always at one version or the next.
pub const MIGRATIONS: &[&str] = &[
    // 1: conversations (with their unread points), conversation groups,
    // receive options kept per id, and the counters.
    "CREATE TABLE conv (
        type INTEGER NOT NULL,
        id BLOB NOT NULL,
        seq INTEGER NOT NULL,
        pinned INTEGER NOT NULL,
        marks INTEGER NOT NULL,
        unread INTEGER NOT NULL,
        max_seq INTEGER NOT NULL,
        draft TEXT,
        custom TEXT,
        groups BLOB,
        last_text TEXT,
        last_time INTEGER,
        at BLOB,
        points BLOB,
        PRIMARY KEY (type, id)
    ) WITHOUT ROWID;
    CREATE TABLE conv_group (
        name TEXT NOT NULL PRIMARY KEY,
        created INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE recv_opt (
        type INTEGER NOT NULL,
        id BLOB NOT NULL,
        opt INTEGER NOT NULL,
        PRIMARY KEY (type, id)
    ) WITHOUT ROWID;
    CREATE TABLE counter (
        name TEXT NOT NULL PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;",
];

/// Checks the file, sets every pragma this library relies on, and migrates
/// it to the current version. Nothing is written to a file refused here.
pub fn prepare(conn: &Connection, sync: Sync) -> Result<(), String> {
    prepare_with(conn, sync, MIGRATIONS)
}

pub(super) fn prepare_with(
    conn: &Connection,
    sync: Sync,
    migrations: &[&str],
) -> Result<(), String> {
    let e = |e: rusqlite::Error| e.to_string();
    // Held from the first read or write until the connection closes: no
    // shared-memory file, and no other connection can slip in.
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .map_err(e)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|err| format!("not an SQLite database this library can read ({err})"))?;
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(e)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(e)?;
    let fresh = version == 0 && app == 0 && tables == 0;
    if !fresh && app != APPLICATION_ID {
        return Err(format!(
            "not a conversation store of this library (application_id {app:#x}, {tables} schema entries)"
        ));
    }
    let latest = migrations.len() as i64;
    if version > latest {
        return Err(format!(
            "written by a newer version of this library (schema {version}; this library knows up to {latest})"
        ));
    }
    if !fresh {
        let check: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(|err| format!("failed its integrity check ({err})"))?;
        if check != "ok" {
            return Err(format!("failed its integrity check: {check}"));
        }
    }
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(e)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!(
            "cannot use write-ahead logging (journal_mode {mode})"
        ));
    }
    let sync = match sync {
        Sync::Normal => "NORMAL",
        Sync::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync).map_err(e)?;
    conn.pragma_update(None, "foreign_keys", "OFF").map_err(e)?;
    // The WAL is folded back into the database every 1000 pages (SQLite's
    // default, set here explicitly) and cut back to 4 MiB afterwards.
    conn.pragma_update(None, "wal_autocheckpoint", 1000)
        .map_err(e)?;
    conn.pragma_update(None, "journal_size_limit", 4 << 20)
        .map_err(e)?;
    for (v, step) in migrations.iter().enumerate().skip(version as usize) {
        let next = v + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             {step};
             PRAGMA application_id = {APPLICATION_ID};
             PRAGMA user_version = {next};
             COMMIT;"
        ))
        .map_err(|err| {
            let _ = conn.execute_batch("ROLLBACK");
            format!("cannot migrate it to schema {next}: {err}")
        })?;
    }
    Ok(())
}
