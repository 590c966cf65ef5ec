//! The test run's mail server (scripts/smtp.sh: aiosmtpd writing each
//! message it accepts to a directory), and mail servers of a test's own
//! that it starts and stops (a server that is down, then up).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tessera::config::Config;
use tessera::notices::mail::MailSettings;

/// One message as the mail server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    /// Headers and body as sent (both parts, as transferred).
    pub raw: String,
}

impl Mail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .expect("a message")
    }

    /// The plain text part, decoded.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .expect("a text part")
            .into_owned()
    }

    /// The HTML part, decoded.
    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .expect("an HTML part")
            .into_owned()
    }

    #[allow(dead_code)] // used by some test modules only
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or("").to_owned()
    }
}

/// Where the test run's mail server is and where its messages land.
#[derive(Debug, Clone)]
pub struct MailSink {
    pub addr: String,
    pub dir: PathBuf,
}

impl MailSink {
    /// The run's mail server, or `None` after saying SKIP loudly; with
    /// `CI=true` a missing one fails the test.
    pub fn shared(test: &str) -> Option<MailSink> {
        match (
            std::env::var("TESSERA_TEST_SMTP"),
            std::env::var("TESSERA_TEST_SMTP_DIR"),
        ) {
            (Ok(addr), Ok(dir)) if !addr.is_empty() => Some(MailSink {
                addr,
                dir: dir.into(),
            }),
            _ => {
                let why = format!(
                    "{test}: no mail server; run `eval \"$(scripts/smtp.sh up)\"` first (scripts/test.sh does)"
                );
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{why} (required when CI=true)");
                }
                eprintln!("\n!!! SKIP {why}\n");
                None
            }
        }
    }

    /// `config` set to send through this server, looking for due notices
    /// every second.
    pub fn configure(&self, config: &mut Config) {
        configure(config, &self.addr);
    }

    /// Every message to `to` received so far.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        read_dir(&self.dir)
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits up to `secs` seconds for `n` messages to `to`, then returns
    /// what arrived (fewer if they did not).
    pub async fn wait_for(&self, to: &str, n: usize, secs: u64) -> Vec<Mail> {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.to(to);
            if got.len() >= n || Instant::now() > end {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `config` sending through the mail server at `addr` (plain SMTP: the
/// test server offers no STARTTLS, so none is used).
pub fn configure(config: &mut Config, addr: &str) {
    config.mail = MailSettings::parse(
        Some(&format!("smtp://{addr}")),
        Some("tessera <tessera@example.test>"),
    )
    .expect("mail settings");
    config.notify_interval_secs = 1;
}

fn read_dir(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|raw| Mail {
            to: raw
                .lines()
                .map_while(|l| l.strip_prefix("X-Envelope-To: "))
                .map(str::to_owned)
                .collect(),
            raw,
        })
        .collect()
}

/// A mail server of the test's own, on `port`, stopped when dropped.
#[allow(dead_code)] // used by some test modules only
pub struct OwnSink {
    child: Child,
    pub sink: MailSink,
    _dir: tempdir::Dir,
}

mod tempdir {
    /// A directory removed when dropped.
    #[allow(dead_code)] // used by some test modules only
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[allow(dead_code)] // used by some test modules only
impl OwnSink {
    /// Starts one with the interpreter scripts/smtp.sh installed.
    pub fn start(port: u16) -> OwnSink {
        let python = std::env::var("TESSERA_TEST_SMTP_PYTHON")
            .expect("TESSERA_TEST_SMTP_PYTHON (set by scripts/smtp.sh)");
        let dir = std::env::temp_dir().join(format!("tessera-mail-{port}-{}", std::process::id()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp_sink.py");
        let mut child = Command::new(python)
            .args([script, "--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a mail server");
        let mut ready = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "the mail server did not start");
        OwnSink {
            child,
            sink: MailSink {
                addr: format!("127.0.0.1:{port}"),
                dir: dir.clone(),
            },
            _dir: tempdir::Dir(dir),
        }
    }
}

impl Drop for OwnSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (yet).
#[allow(dead_code)] // used by some test modules only
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh address no other test sends to.
pub fn fresh_address(who: &str) -> String {
    format!(
        "{who}-{}@example.test",
        tessera::tokens::random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 10)
    )
}
