//! Mail to people (SPEC §10): what is worth telling, made into `notices`
//! rows, and how one notice is delivered.
//!
//! A notice is made once: the table's unique key (account, kind, subject)
//! turns a second "this token expires in 7 days" from another instance or
//! a later run into nothing. It is sent once: [`deliver`] claims its row
//! with a conditional UPDATE that one instance wins, then sends, then
//! writes down how it went, all on one blocking thread, so a server that
//! stops waits for the message in flight and its outcome is kept. A
//! failing mail server means a retry with backoff; after
//! [`MAX_ATTEMPTS`] the notice is given up, logged, and shown to admins
//! at `/admin/notices`. Messages never hold a secret: a token is named by
//! its label and prefix.

pub mod mail;
pub mod scheduler;

use askama::Template;
use serde::{Deserialize, Serialize};
use time::PrimitiveDateTime;

use crate::config::Config;
use crate::db::DbConn;
use crate::db::models::accounts::{self, Account};
use crate::db::models::notices as rows;
use crate::db::models::tokens::ApiToken;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::preferences::{Notifications, Zone};
use crate::views::page::rfc3339;

/// What a notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    VerifyEmail,
    TokenCreated,
    Expiry7d,
    Expiry1d,
    Expired,
    TokenLeaked,
}

impl Kind {
    /// The notices an owner may switch off (the `notify` checkboxes).
    pub const CHOSEN: [Kind; 5] = [
        Kind::Expiry7d,
        Kind::Expiry1d,
        Kind::Expired,
        Kind::TokenCreated,
        Kind::TokenLeaked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "verify_email",
            Kind::TokenCreated => "token_created",
            Kind::Expiry7d => "expiry_7d",
            Kind::Expiry1d => "expiry_1d",
            Kind::Expired => "expired",
            Kind::TokenLeaked => "token_leaked",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::VerifyEmail]
            .into_iter()
            .chain(Kind::CHOSEN)
            .find(|k| k.as_str() == s)
    }

    /// What the checkbox for it says.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "Confirm a new email address",
            Kind::TokenCreated => "A token is created on my account",
            Kind::Expiry7d => "A token will expire in 7 days",
            Kind::Expiry1d => "A token will expire in 1 day",
            Kind::Expired => "A token has expired",
            Kind::TokenLeaked => "A token is reported leaked",
        }
    }
}

/// What a notice's message needs besides its account, kept with it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Detail {
    /// Where this server is reached, for links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// A verification link's end (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Where a leaked token was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Detail {
    fn of_token(label: &str, prefix: &str, expires_at: Option<PrimitiveDateTime>) -> Self {
        Self {
            label: Some(label.to_owned()),
            prefix: Some(prefix.to_owned()),
            expires_at: expires_at.map(rfc3339),
            ..Default::default()
        }
    }
}

/// Whether the account should hear of `kind` now: mail is set up, it has
/// a confirmed address and wants this notice.
fn wanted(config: &Config, account: &Account, kind: Kind) -> bool {
    config.mail.is_some()
        && (kind == Kind::VerifyEmail
            || (account.email_verified
                && account.email.is_some()
                && Notifications::from_stored(&account.notifications).wants(kind)))
}

/// Makes notice `kind` about `subject` for the account, once; nothing when
/// nobody would receive it. Call inside the transaction of the change it
/// tells of, so the two commit together.
pub fn enqueue(
    conn: &mut DbConn,
    config: &Config,
    account_id: i64,
    kind: Kind,
    subject: &str,
    detail: &Detail,
) -> Result<bool, AppError> {
    let Some(account) = accounts::find_by_id(conn, account_id)? else {
        return Ok(false);
    };
    if !wanted(config, &account, kind) {
        return Ok(false);
    }
    let detail = serde_json::to_string(detail)
        .map_err(|e| AppError::Internal(format!("notice detail: {e}")))?;
    Ok(rows::insert_once(
        conn,
        account_id,
        kind.as_str(),
        subject,
        &detail,
        crate::db::now(),
    )?)
}

/// "A token was created on your account".
pub fn token_created(
    conn: &mut DbConn,
    config: &Config,
    token: &ApiToken,
) -> Result<bool, AppError> {
    let detail = Detail::of_token(&token.label, &token.prefix, token.expires_at);
    enqueue(
        conn,
        config,
        token.account_id,
        Kind::TokenCreated,
        &token.id.to_string(),
        &detail,
    )
}

/// "A token of yours was reported leaked at `url`": for the leak report
/// (`POST /leaks.json`) to call for each live token it deletes, in its
/// transaction, with the row as it was.
pub fn leaked(
    conn: &mut DbConn,
    config: &Config,
    token: &ApiToken,
    url: Option<&str>,
) -> Result<bool, AppError> {
    let detail = Detail {
        url: url.map(str::to_owned),
        ..Detail::of_token(&token.label, &token.prefix, token.expires_at)
    };
    enqueue(
        conn,
        config,
        token.account_id,
        Kind::TokenLeaked,
        &token.id.to_string(),
        &detail,
    )
}

/// Makes the expiry notices now due: 7 days and 1 day before a token
/// expires (for a token that was made to last longer than that), and once
/// it has expired (within the last day, so turning mail on does not bring
/// up every token that expired years ago). Returns how many were made.
pub fn find_expiring(
    conn: &mut DbConn,
    config: &Config,
    now: PrimitiveDateTime,
) -> Result<usize, AppError> {
    let day = time::Duration::days(1);
    let windows = [
        (Kind::Expiry7d, now, now + 7 * day, Some(7 * day)),
        (Kind::Expiry1d, now, now + day, Some(day)),
        (Kind::Expired, now - day, now, None),
    ];
    let mut made = 0;
    for (kind, from, to, notice_before) in windows {
        for t in rows::expiring(conn, from, to)? {
            let lifetime = t.expires_at.map(|e| e - t.created_at);
            if let (Some(before), Some(lifetime)) = (notice_before, lifetime)
                && lifetime <= before
            {
                continue;
            }
            let detail = Detail::of_token(&t.label, &t.prefix, t.expires_at);
            if enqueue(
                conn,
                config,
                t.account_id,
                kind,
                &t.token_id.to_string(),
                &detail,
            )? {
                made += 1;
            }
        }
    }
    Ok(made)
}

/// How often a notice is tried before it is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// How long an instance holds a claim while sending: longer than the mail
/// server's timeout, so a slow send is never taken for an abandoned one.
const CLAIM_FOR: time::Duration = time::Duration::minutes(5);

/// What became of a due notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Another instance claimed it first.
    Taken,
    Sent,
    Skipped,
    Retry,
    Failed(String),
}

/// Claims notice `id`, sends it and writes down the outcome, on this one
/// connection (run it through `Db::run`: it blocks). `backoff` is the wait
/// before the first retry, doubled for each one after.
pub fn deliver(
    conn: &mut DbConn,
    config: &Config,
    mailer: &mail::Mailer,
    id: i64,
    backoff: time::Duration,
) -> Result<Outcome, AppError> {
    let now = crate::db::now();
    if rows::claim(conn, id, now, now + CLAIM_FOR)? == 0 {
        return Ok(Outcome::Taken);
    }
    let Some(notice) = rows::find(conn, id)? else {
        return Ok(Outcome::Taken);
    };
    let account = accounts::find_by_id(conn, notice.account_id)?;
    let message = account
        .as_ref()
        .and_then(|a| compose(config, a, &notice).transpose())
        .transpose()?;
    let Some((to, message)) = message else {
        rows::finish(conn, id, "skipped", now, None)?;
        return Ok(Outcome::Skipped);
    };
    match mailer.send(&to, &message) {
        Ok(()) => {
            rows::finish(conn, id, "sent", crate::db::now(), None)?;
            Ok(Outcome::Sent)
        }
        Err(error) if notice.attempts >= MAX_ATTEMPTS => {
            rows::finish(conn, id, "failed", crate::db::now(), Some(&error))?;
            Ok(Outcome::Failed(error))
        }
        Err(error) => {
            let wait = backoff * 2_i32.pow((notice.attempts - 1).clamp(0, 12) as u32);
            let wait = wait.min(time::Duration::hours(1));
            rows::retry_at(conn, id, crate::db::now() + wait, &error)?;
            Ok(Outcome::Retry)
        }
    }
}

/// A message ready to send.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The words of a message, which its text and HTML templates both show.
pub struct MailBody {
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// A link and what it does.
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct TextMail<'a> {
    tr: Tr,
    body: &'a MailBody,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct HtmlMail<'a> {
    tr: Tr,
    subject: &'a str,
    body: &'a MailBody,
}

/// The address and message for a notice; `None` when it should not be sent
/// any more (its owner turned it off, has no address now, or asked for
/// another address since a verification mail was queued).
fn compose(
    config: &Config,
    account: &Account,
    notice: &rows::Notice,
) -> Result<Option<(String, Message)>, AppError> {
    let Some(kind) = Kind::parse(&notice.kind) else {
        return Ok(None);
    };
    if !account.active || !wanted(config, account, kind) {
        return Ok(None);
    }
    let detail: Detail = serde_json::from_str(&notice.detail).unwrap_or_default();
    let zone = Zone::of(account);
    // In the owner's language; English until they choose one (a mail has
    // no browser to ask).
    let tr = Tr::chosen(account.language.as_deref(), "en");
    let when = |at: &Option<String>| {
        at.as_deref()
            .map(|at| crate::views::page::human_date_in(at, &zone, tr))
            .unwrap_or_else(|| tr.t("mail-never"))
    };
    let label = detail.label.as_deref().unwrap_or("");
    let token = format!(
        "“{}” ({}…)",
        detail.label.as_deref().unwrap_or(""),
        detail.prefix.as_deref().unwrap_or("")
    );
    // Links go to `TESSERA_PUBLIC_URL` when it is set: the request a notice
    // was made on could have named any host. Without it, to where that
    // request came; a notice the scheduler made (expiry) then has none.
    let base_url = config
        .sso
        .public_url
        .clone()
        .or_else(|| detail.base_url.clone());
    let profile_link = base_url
        .as_ref()
        .map(|b| (format!("{b}/profile"), tr.t("mail-open-preferences")));
    let (to, subject, paragraphs, link) = match kind {
        Kind::VerifyEmail => {
            let Some((email, until)) = notice.subject.split_once(' ') else {
                return Ok(None);
            };
            if account.pending_email.as_deref() != Some(email) {
                return Ok(None);
            }
            let until: i64 = until.parse().unwrap_or(0);
            let token =
                crate::preferences::verification_token(config, &account.account_id, email, until);
            let base = base_url.unwrap_or_default();
            (
                email.to_owned(),
                tr.t("mail-verify-subject"),
                vec![
                    tr.t1("mail-verify-asked", "username", &account.username),
                    tr.t("mail-verify-follow"),
                ],
                Some((
                    format!("{base}/profile/email/verify?token={token}"),
                    tr.t("mail-verify-link"),
                )),
            )
        }
        _ => {
            let Some(to) = account.email.clone() else {
                return Ok(None);
            };
            let (subject, lines) = match kind {
                Kind::TokenCreated => (
                    tr.t("mail-created-subject"),
                    vec![
                        tr.t1("mail-created-body", "token", &token),
                        tr.t1("mail-created-expires", "when", when(&detail.expires_at)),
                        tr.t("mail-created-not-you"),
                    ],
                ),
                Kind::Expiry7d | Kind::Expiry1d => (
                    tr.t2(
                        "mail-expiry-subject",
                        "label",
                        label,
                        "days",
                        if kind == Kind::Expiry7d { 7 } else { 1 },
                    ),
                    vec![
                        tr.t2(
                            "mail-expiry-body",
                            "token",
                            &token,
                            "when",
                            when(&detail.expires_at),
                        ),
                        tr.t("mail-expiry-advice"),
                    ],
                ),
                Kind::Expired => (
                    tr.t1("mail-expired-subject", "label", label),
                    vec![
                        tr.t2(
                            "mail-expired-body",
                            "token",
                            &token,
                            "when",
                            when(&detail.expires_at),
                        ),
                        tr.t("mail-expired-advice"),
                    ],
                ),
                Kind::TokenLeaked => (
                    tr.t1("mail-leaked-subject", "label", label),
                    vec![
                        match detail.url.as_deref() {
                            Some(url) => tr.t2("mail-leaked-body-at", "token", &token, "url", url),
                            None => tr.t1("mail-leaked-body", "token", &token),
                        },
                        tr.t("mail-leaked-advice"),
                    ],
                ),
                Kind::VerifyEmail => unreachable!("handled above"),
            };
            (to, subject, lines, profile_link)
        }
    };
    let body = MailBody {
        greeting: tr.t1("mail-hello", "name", &account.display_name),
        paragraphs,
        link,
    };
    let render = |r: Result<String, askama::Error>| {
        r.map_err(|e| AppError::Internal(format!("mail template: {e}")))
    };
    let text = render(TextMail { tr, body: &body }.render())?;
    let html = render(
        HtmlMail {
            tr,
            subject: &subject,
            body: &body,
        }
        .render(),
    )?;
    Ok(Some((
        to,
        Message {
            subject,
            text,
            html,
        },
    )))
}
