//! The real `tessera` binary, run as users and operators run it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};

use super::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

/// `tessera` with `args` on `db`, with nothing of the test's environment
/// but PATH (PostgreSQL needs the secret key configured: a fixed one).
pub fn tessera(db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TESSERA_DATABASE_URL", &db.url_string);
    if !db.is_sqlite() {
        cmd.env("TESSERA_SECRET_KEY", "ab".repeat(32));
    }
    cmd.args(args);
    cmd
}

/// Runs `tessera` with `args`, expecting success; returns its stdout.
pub fn run_ok(db: &TestDb, args: &[&str]) -> String {
    let out = tessera(db, args).output().unwrap();
    assert!(
        out.status.success(),
        "tessera {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `cmd` expecting it to fail; returns what it said on stderr.
pub fn run_refused(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{cmd:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

/// A running `tessera serve`, killed when dropped.
pub struct Served {
    pub child: Child,
    /// Where it listens: `http://127.0.0.1:<port>`.
    pub base: String,
    /// What it printed up to and including its listening line.
    pub stdout: Vec<String>,
    /// Kept open: a server writing to a closed pipe would fail.
    _rest: BufReader<ChildStdout>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `tessera serve` on `db`, on a port of its own, with `tweak`
    /// applied to the command (settings, where stderr goes), and waits for
    /// its listening line.
    // The child is reaped by Drop, or by the test process's exit on a panic.
    #[allow(clippy::zombie_processes)]
    pub fn start(db: &TestDb, tweak: impl FnOnce(&mut Command)) -> Self {
        let mut cmd = tessera(db, &["serve", "--bind", "127.0.0.1:0"]);
        cmd.stdout(Stdio::piped());
        tweak(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut stdout = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "server exited early: {stdout:?}"
            );
            let line = line.trim_end().to_owned();
            stdout.push(line.clone());
            if let Some(base) = line.strip_prefix("tessera listening on ") {
                return Served {
                    child,
                    base: base.to_owned(),
                    stdout,
                    _rest: reader,
                };
            }
        }
    }

    /// The first account's password, as the very first start prints it.
    pub fn first_password(&self) -> Option<String> {
        self.stdout.iter().find_map(|line| {
            let rest = line.split("username admin, password ").nth(1)?;
            rest.split_whitespace().next().map(str::to_owned)
        })
    }

    /// Stops the server and returns everything it logged (its stderr,
    /// which `tweak` must have piped).
    pub fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let mut log = String::new();
        self.child
            .stderr
            .take()
            .expect("stderr piped")
            .read_to_string(&mut log)
            .unwrap();
        log
    }
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
