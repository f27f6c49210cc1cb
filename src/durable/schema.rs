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
        let found = conn
            .prepare("PRAGMA quick_check(4)")
            .and_then(|mut st| {
                st.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .map_err(|err| format!("failed its integrity check ({err})"))?;
        if found != ["ok"] {
            let what: Vec<&str> = found
                .iter()
                .map(String::as_str)
                .filter(|l| !l.starts_with("***"))
                .collect();
            return Err(format!("failed its integrity check: {}", what.join("; ")));
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

#[cfg(test)]
mod tests {
    //! The migration runner with a test-only second version: a v1 file and
    //! its rows taken to v2, and a failing step that leaves the file at the
    //! version before it.

    use std::path::PathBuf;

    use rusqlite::Connection;

    use super::*;

    /// A test-only version 2: a column and a table, filled from v1's rows.
    const V2: &str = "ALTER TABLE conv_group ADD COLUMN color TEXT NOT NULL DEFAULT 'none';
        CREATE TABLE group_note (name TEXT NOT NULL PRIMARY KEY, note TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO group_note (name, note) SELECT name, 'from v1' FROM conv_group";

    /// A step that fails half way: its first statement works, its second
    /// names a table that does not exist.
    const FAILING: &str = "ALTER TABLE conv_group ADD COLUMN half TEXT;
        INSERT INTO no_such_table VALUES (1)";

    /// A database file of its own (unit tests run in parallel threads), and
    /// its WAL, removed when dropped.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(name: &str) -> TempDb {
            let p = std::env::temp_dir().join(format!(
                "imsdk-conv-schema-{}-{name}.db",
                std::process::id()
            ));
            let db = TempDb(p);
            db.remove();
            db
        }

        fn open(&self) -> Connection {
            Connection::open(&self.0).unwrap()
        }

        fn remove(&self) {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut p = self.0.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            self.remove();
        }
    }

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    fn application_id(conn: &Connection) -> i32 {
        conn.pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap()
    }

    fn columns(conn: &Connection, table: &str) -> Vec<String> {
        let mut st = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap();
        let names = st.query_map([], |r| r.get(0)).unwrap();
        names.map(Result::unwrap).collect()
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names = st.query_map([], |r| r.get(0)).unwrap();
        names.map(Result::unwrap).collect()
    }

    /// A v1 file with a group and a conversation in it, closed.
    fn v1_with_rows(db: &TempDb) {
        let conn = db.open();
        prepare_with(&conn, Sync::Normal, &MIGRATIONS[..1]).unwrap();
        conn.execute_batch(
            "INSERT INTO conv_group (name, created) VALUES ('work', 1);
             INSERT INTO conv (type, id, seq, pinned, marks, unread, max_seq, groups)
                 VALUES (1, x'61', 1, 0, 0, 0, 0, CAST('work' AS BLOB));",
        )
        .unwrap();
        assert_eq!(version(&conn), 1);
        assert_eq!(application_id(&conn), APPLICATION_ID);
    }

    fn rows_of_v1(conn: &Connection) -> (String, i64, Vec<u8>) {
        conn.query_row(
            "SELECT g.name, c.seq, c.groups FROM conv_group g, conv c",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    #[test]
    fn a_v1_file_with_rows_is_migrated_to_v2_keeping_them() {
        let db = TempDb::new("v1-to-v2");
        v1_with_rows(&db);
        let v2 = [MIGRATIONS[0], V2];
        let conn = db.open();
        prepare_with(&conn, Sync::Normal, &v2).unwrap();
        assert_eq!(version(&conn), 2);
        assert_eq!(application_id(&conn), APPLICATION_ID);
        assert_eq!(rows_of_v1(&conn), ("work".into(), 1, b"work".to_vec()));
        let note: (String, String) = conn
            .query_row(
                "SELECT g.color, n.note FROM conv_group g JOIN group_note n USING (name)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(note, ("none".into(), "from v1".into()));
        drop(conn);

        // At v2 already: no step runs again (v2's INSERT would fail on its
        // primary key if it did).
        let conn = db.open();
        prepare_with(&conn, Sync::Normal, &v2).unwrap();
        assert_eq!(version(&conn), 2);
        let notes: i64 = conn
            .query_row("SELECT count(*) FROM group_note", [], |r| r.get(0))
            .unwrap();
        assert_eq!(notes, 1);
        drop(conn);

        // A library that knows only v1 refuses the v2 file, unchanged.
        let before = std::fs::read(&db.0).unwrap();
        let conn = db.open();
        let e = prepare_with(&conn, Sync::Normal, MIGRATIONS).unwrap_err();
        assert!(e.contains("newer"), "{e}");
        drop(conn);
        assert_eq!(std::fs::read(&db.0).unwrap(), before);
    }

    #[test]
    fn a_fresh_file_takes_every_step_in_order() {
        let db = TempDb::new("fresh-to-v2");
        let conn = db.open();
        prepare_with(&conn, Sync::Full, &[MIGRATIONS[0], V2]).unwrap();
        assert_eq!(version(&conn), 2);
        assert_eq!(application_id(&conn), APPLICATION_ID);
        assert_eq!(
            tables(&conn),
            ["conv", "conv_group", "counter", "group_note", "recv_opt"]
        );
        assert!(columns(&conn, "conv_group").contains(&"color".to_owned()));
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_failing_step_leaves_the_file_at_the_version_before() {
        let db = TempDb::new("v1-failing-v2");
        v1_with_rows(&db);
        let conn = db.open();
        let e = prepare_with(&conn, Sync::Normal, &[MIGRATIONS[0], FAILING]).unwrap_err();
        assert!(e.contains("cannot migrate it to schema 2"), "{e}");
        assert!(e.contains("no_such_table"), "{e}");
        // Nothing of the step stays, and the connection is not left in a
        // transaction.
        assert!(conn.is_autocommit());
        assert_eq!(version(&conn), 1);
        drop(conn);
        let conn = db.open();
        assert_eq!(version(&conn), 1);
        assert_eq!(application_id(&conn), APPLICATION_ID);
        assert_eq!(columns(&conn, "conv_group"), ["name", "created"]);
        assert_eq!(rows_of_v1(&conn), ("work".into(), 1, b"work".to_vec()));
        drop(conn);

        // The file still opens at v1, and a working v2 takes it on.
        let conn = db.open();
        prepare_with(&conn, Sync::Normal, MIGRATIONS).unwrap();
        drop(conn);
        let conn = db.open();
        prepare_with(&conn, Sync::Normal, &[MIGRATIONS[0], V2]).unwrap();
        assert_eq!(version(&conn), 2);
        assert_eq!(rows_of_v1(&conn), ("work".into(), 1, b"work".to_vec()));
    }

    #[test]
    fn a_failing_later_step_keeps_the_steps_before_it() {
        let db = TempDb::new("v1-v2-failing-v3");
        v1_with_rows(&db);
        let conn = db.open();
        let e = prepare_with(&conn, Sync::Normal, &[MIGRATIONS[0], V2, FAILING]).unwrap_err();
        assert!(e.contains("cannot migrate it to schema 3"), "{e}");
        drop(conn);
        let conn = db.open();
        assert_eq!(version(&conn), 2);
        let cols = columns(&conn, "conv_group");
        assert_eq!(cols, ["name", "created", "color"]);
        assert!(tables(&conn).contains(&"group_note".to_owned()));
    }

    #[test]
    fn a_failing_first_step_leaves_a_fresh_file_fresh() {
        let db = TempDb::new("fresh-failing");
        let conn = db.open();
        let e = prepare_with(&conn, Sync::Normal, &[FAILING]).unwrap_err();
        assert!(e.contains("cannot migrate it to schema 1"), "{e}");
        drop(conn);
        let conn = db.open();
        assert_eq!(version(&conn), 0);
        assert_eq!(application_id(&conn), 0);
        assert_eq!(tables(&conn), Vec::<String>::new());
        // Still taken as a new store.
        prepare_with(&conn, Sync::Normal, MIGRATIONS).unwrap();
        assert_eq!(version(&conn), 1);
    }
}
