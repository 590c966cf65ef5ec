//! Sending mail over SMTP with lettre: `TESSERA_SMTP_URL`
//! (`smtp://user:pass@host:port`, STARTTLS when the server offers it;
//! `smtps://` for TLS from the start) and `TESSERA_MAIL_FROM`.
//!
//! The transport is lettre's blocking one: a notice is claimed, sent and
//! recorded on one blocking thread (`notices::deliver`), which a stopping
//! server waits for, so no message is cut off between sending and writing
//! down that it was sent.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use super::Message;

/// The mail settings, checked at start.
#[derive(Clone)]
pub struct MailSettings {
    url: String,
    from: Mailbox,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("url", &crate::config::redact_url(&self.url))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl MailSettings {
    /// Both or neither: mail needs a server and a sender.
    pub fn parse(url: Option<&str>, from: Option<&str>) -> Result<Option<Self>, String> {
        let (url, from) = match (url.filter(|u| !u.is_empty()), from.filter(|f| !f.is_empty())) {
            (None, None) => return Ok(None),
            (Some(_), None) => return Err("TESSERA_MAIL_FROM is required with TESSERA_SMTP_URL: the address mail is sent from".into()),
            (None, Some(_)) => return Err("TESSERA_SMTP_URL is required with TESSERA_MAIL_FROM: the mail server to send through, e.g. smtp://user:pass@mail.example.org:587".into()),
            (Some(u), Some(f)) => (u, f),
        };
        let from = Mailbox::from_str(from)
            .map_err(|e| format!("TESSERA_MAIL_FROM: {from:?} is not a mail address: {e}"))?;
        let settings = Self {
            url: url.to_owned(),
            from,
        };
        settings.transport()?;
        Ok(Some(settings))
    }

    /// The transport the URL describes.
    fn transport(&self) -> Result<SmtpTransport, String> {
        let bad = |why: String| {
            format!(
                "TESSERA_SMTP_URL {:?}: {why}",
                crate::config::redact_url(&self.url)
            )
        };
        let url = url::Url::parse(&self.url).map_err(|e| bad(e.to_string()))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host".into()))?
            .to_owned();
        let tls = TlsParameters::new(host.clone()).map_err(|e| bad(e.to_string()))?;
        let (tls, default_port) = match url.scheme() {
            "smtp" => (Tls::Opportunistic(tls), 587),
            "smtps" => (Tls::Wrapper(tls), 465),
            other => {
                return Err(bad(format!(
                    "unknown scheme {other:?}; use smtp:// (STARTTLS when offered) or smtps://"
                )));
            }
        };
        let mut builder = SmtpTransport::builder_dangerous(&host)
            .port(url.port().unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if !url.username().is_empty() {
            let decode = |s: &str| {
                percent_decode(s)
                    .ok_or_else(|| bad("the user or password is not valid UTF-8".into()))
            };
            builder = builder.credentials(Credentials::new(
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            ));
        }
        Ok(builder.build())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// What sends the messages.
#[derive(Clone)]
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        Ok(Self {
            transport: settings.transport()?,
            from: settings.from.clone(),
        })
    }

    /// Sends `message` to `to` (blocks); the error says why not, for the
    /// log and the admins' list, and never holds the server's password.
    pub fn send(&self, to: &str, message: &Message) -> Result<(), String> {
        let to = Mailbox::from_str(to).map_err(|e| format!("bad recipient address: {e}"))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        let sent = self
            .transport
            .send(&email)
            .map(|_| ())
            .map_err(|e| format!("the mail server refused or could not be reached: {e}"));
        crate::metrics::mail(sent.is_ok());
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_settings_come_in_pairs_and_name_the_variable() {
        assert!(MailSettings::parse(None, None).unwrap().is_none());
        let e = MailSettings::parse(Some("smtp://h"), None).unwrap_err();
        assert!(e.contains("TESSERA_MAIL_FROM"), "{e}");
        let e = MailSettings::parse(None, Some("a@b.c")).unwrap_err();
        assert!(e.contains("TESSERA_SMTP_URL"), "{e}");
        let e = MailSettings::parse(Some("ftp://u:hunter2@h"), Some("a@b.c")).unwrap_err();
        assert!(
            e.contains("TESSERA_SMTP_URL") && !e.contains("hunter2"),
            "{e}"
        );
        let e = MailSettings::parse(Some("smtp://h"), Some("not an address")).unwrap_err();
        assert!(e.contains("TESSERA_MAIL_FROM"), "{e}");
        let ok = MailSettings::parse(
            Some("smtp://u:p%40ss@h:2525"),
            Some("tessera <t@example.org>"),
        )
        .unwrap()
        .unwrap();
        assert!(!format!("{ok:?}").contains("p%40ss"));
        assert_eq!(percent_decode("p%40ss").as_deref(), Some("p@ss"));
        assert!(MailSettings::parse(Some("smtps://h"), Some("t@example.org")).is_ok());
    }
}
