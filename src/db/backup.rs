//! `tessera backup PATH`: a consistent copy of a SQLite database, taken
//! while servers use it (SPEC §12).
//!
//! SQLite's online backup API copies the pages in one step, inside one read
//! transaction: in WAL mode writers go on meanwhile, and the copy is the
//! database as of the moment that transaction began, with every change
//! committed before it and none after. (Copied in several steps, a write by
//! another process would restart the copy, which a busy server could do
//! forever.) diesel gives no handle for it, so this one command opens its
//! own connection through rusqlite, on the same bundled SQLite.
//!
//! PostgreSQL is backed up with its own tools (`pg_dump`, docs/DEPLOY.md).

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::config::DatabaseUrl;

/// How long to wait while another connection holds a lock the copy needs.
const BUSY_WAIT: Duration = Duration::from_millis(50);
const MAX_BUSY_WAITS: u32 = 200;

/// Copies the database at `url` to a new file at `dest`.
pub fn backup(url: &DatabaseUrl, dest: &Path) -> Result<(), String> {
    let source = match url {
        DatabaseUrl::Sqlite(path) => path,
        DatabaseUrl::Postgres(_) => {
            return Err(
                "tessera backup copies SQLite databases; back up PostgreSQL \
                 with pg_dump (e.g. `pg_dump --format=custom --file=tessera.dump \
                 \"$TESSERA_DATABASE_URL\"`, see docs/DEPLOY.md), and keep the \
                 secret key with it"
                    .into(),
            );
        }
    };
    if !source.exists() {
        return Err(format!("no database at {}", source.display()));
    }
    // Never over a file that exists: `tessera backup tessera.db` must not
    // overwrite the live database.
    if dest.exists() {
        return Err(format!(
            "{} exists; give the path of a new file",
            dest.display()
        ));
    }
    let partial = dest.with_extension("partial");
    let copied = copy(source, &partial);
    let placed = copied.and_then(|()| {
        std::fs::rename(&partial, dest)
            .map_err(|e| format!("cannot move the copy to {}: {e}", dest.display()))
    });
    if placed.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    placed
}

fn copy(source: &Path, dest: &Path) -> Result<(), String> {
    let fail = |what: &str, e: rusqlite::Error| format!("{what}: {e}");
    // Read-write, though it only reads: a read-only connection cannot
    // open a WAL database whose shared-memory file is not there.
    let from = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| fail(&format!("cannot open {}", source.display()), e))?;
    from.busy_timeout(Duration::from_secs(5))
        .map_err(|e| fail("cannot set a busy timeout", e))?;
    let mut to = Connection::open(dest)
        .map_err(|e| fail(&format!("cannot create {}", dest.display()), e))?;
    {
        let backup = Backup::new(&from, &mut to).map_err(|e| fail("cannot start the copy", e))?;
        let mut waits = 0;
        loop {
            // -1: every page in one step, so in one read transaction.
            match backup.step(-1).map_err(|e| fail("copy failed", e))? {
                StepResult::Done => break,
                StepResult::More => continue,
                StepResult::Busy | StepResult::Locked if waits < MAX_BUSY_WAITS => {
                    waits += 1;
                    std::thread::sleep(BUSY_WAIT);
                }
                _ => return Err("the database stayed locked; try again".into()),
            }
        }
    }
    // The copy is a file of its own: fold its journal in before it moves.
    to.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(|e| fail("cannot finish the copy", e))?;
    to.close()
        .map_err(|(_, e)| fail("cannot close the copy", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_postgres_and_an_existing_file() {
        let pg = DatabaseUrl::Postgres("postgres://u@h/db".into());
        let said = backup(&pg, Path::new("/tmp/x")).unwrap_err();
        assert!(said.contains("pg_dump"), "{said}");

        let dir = std::env::temp_dir().join(format!(
            "tessera-backup-{}",
            crate::tokens::random_base62(8)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("t.db");
        Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42);")
            .unwrap();
        let url = DatabaseUrl::Sqlite(db.clone());
        let said = backup(&url, &db).unwrap_err();
        assert!(said.contains("exists"), "{said}");
        let copy = dir.join("copy.db");
        backup(&url, &copy).unwrap();
        let x: i64 = Connection::open(&copy)
            .unwrap()
            .query_row("SELECT x FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, 42);
        assert!(!dir.join("copy.partial").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
