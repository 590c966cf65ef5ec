//! How every tessera process on one SQLite database learns that it changed.
//!
//! Beside the database lies its change stamp, `<database>.changes`: eight
//! bytes that every process rewrites with a new random value after it
//! commits a change to a row that the read cache ([`super::cache`]) may
//! hold: a token, an account, a session. Reading the stamp is one `pread`,
//! so a request knows without asking the database whether what it cached
//! is still current.
//!
//! The write path bumps the stamp itself: the model functions that change
//! such rows [`mark`] the work they run in when a row really changed, and
//! [`super::Db::run`] (or a [`super::Conn`] being given back) bumps the
//! stamp once that work has returned, after its transaction committed and
//! before the response that reports it is sent. A request that changed
//! nothing (refused, anonymous, or asking for what already is) leaves the
//! stamp alone, so nobody can empty the caches of every instance by
//! posting nonsense.
//!
//! The mark is per thread: diesel is synchronous, and one unit of work runs
//! on one blocking thread from start to end.

use std::cell::Cell;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

thread_local! {
    static CHANGED: Cell<bool> = const { Cell::new(false) };
}

/// Notes that the work running on this thread changed `rows` rows the read
/// cache may hold; returns `rows`, to wrap a model's `execute`.
pub fn mark(rows: usize) -> usize {
    if rows > 0 {
        CHANGED.set(true);
    }
    rows
}

/// Whether the work on this thread changed anything since the last call;
/// clears the mark.
pub fn take() -> bool {
    CHANGED.replace(false)
}

/// The mark as it is, to put back with [`restore`] when a transaction
/// rolls back (what it changed never happened).
pub fn peek() -> bool {
    CHANGED.get()
}

pub fn restore(changed: bool) {
    CHANGED.set(changed);
}

/// The change stamp file of the SQLite database at `db`.
pub fn stamp_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".changes");
    PathBuf::from(name)
}

/// The open change stamp of one database.
pub struct ChangeStamp {
    file: File,
}

impl ChangeStamp {
    /// Opens (creating if need be) the stamp beside the database.
    pub fn open(db: &Path) -> std::io::Result<Self> {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(stamp_path(db))?;
        Ok(Self { file })
    }

    /// The stamp as it reads now. Take it before the query whose answer
    /// will be kept with it. An unreadable stamp reads as a change.
    pub fn read(&self) -> u64 {
        let mut bytes = [0u8; 8];
        match self.file.read_at(&mut bytes, 0) {
            Ok(8) => u64::from_le_bytes(bytes),
            Ok(_) => 0,
            Err(_) => rand::random(),
        }
    }

    /// Marks the database changed, for every process using it.
    pub fn bump(&self) {
        if let Err(e) = self.file.write_at(&rand::random::<u64>().to_le_bytes(), 0) {
            tracing::warn!(error = %e, "cannot write the database's change stamp");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_changes_for_every_process_on_the_file() {
        let dir = std::env::temp_dir().join(format!("tessera-stamp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("t.db");
        let here = ChangeStamp::open(&db).unwrap();
        let there = ChangeStamp::open(&db).unwrap();
        let before = here.read();
        assert_eq!(there.read(), before);
        there.bump();
        let after = here.read();
        assert_ne!(after, before);
        assert_eq!(there.read(), after);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_a_change_marks_the_work() {
        take();
        mark(0);
        assert!(!take());
        mark(2);
        assert!(peek());
        assert!(take());
        assert!(!take(), "taking clears the mark");
    }
}
