//! The words of every page and mail, in each language tessera speaks
//! (`preferences::LANGUAGES`): one Fluent catalogue per language under
//! `locales/`, built into the binary. JSON answers, logs and the command
//! line stay English.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Fluent wraps each argument in Unicode isolation marks by default;
        // names and dates in these two left-to-right languages need none,
        // and they would show up in copied text and in mail subjects.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| "en".parse().expect("en"));
static NL: LazyLock<LanguageIdentifier> = LazyLock::new(|| "nl".parse().expect("nl"));

/// A language to write in: `en` or `nl`; anything else reads as English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr(pub &'static str);

impl Tr {
    /// The account's chosen language, else `fallback` (the browser's).
    pub fn chosen(choice: Option<&str>, fallback: &'static str) -> Self {
        Self(
            choice
                .and_then(|l| crate::preferences::parse_language(l).ok())
                .unwrap_or(fallback),
        )
    }

    pub fn code(self) -> &'static str {
        if self.0 == "nl" { "nl" } else { "en" }
    }

    fn id(self) -> &'static LanguageIdentifier {
        if self.0 == "nl" { &NL } else { &EN }
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The message `key` with one argument.
    pub fn t1(self, key: &str, name: &'static str, value: impl Display) -> String {
        self.ta(key, &[(name, value.to_string())])
    }

    /// The message `key` with two arguments.
    pub fn t2(
        self,
        key: &str,
        name: &'static str,
        value: impl Display,
        name2: &'static str,
        value2: impl Display,
    ) -> String {
        self.ta(
            key,
            &[(name, value.to_string()), (name2, value2.to_string())],
        )
    }

    /// The message `key` with its arguments; a number-like value is passed
    /// as a number, so that the catalogue can choose a plural form.
    pub fn ta(self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(n, v)| {
                let value = match v.parse::<i64>() {
                    Ok(n) => FluentValue::from(n),
                    Err(_) => FluentValue::from(v.clone()),
                };
                (Cow::Borrowed(*n), value)
            })
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &args)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// Every message key (`key =` at the start of a line) of a language's
    /// catalogue files.
    fn keys(lang: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("catalogue directory") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("catalogue");
            for line in text.lines() {
                if let Some((key, _)) = line.split_once('=') {
                    let key = key.trim_end();
                    let starts_well =
                        key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-');
                    if starts_well && !key.contains(' ') && !line.starts_with(' ') {
                        keys.insert(key.to_owned());
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn every_message_is_in_every_language() {
        let en = keys("en");
        let nl = keys("nl");
        assert!(!en.is_empty());
        let only_en: Vec<_> = en.difference(&nl).collect();
        let only_nl: Vec<_> = nl.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_nl.is_empty(),
            "keys only in en: {only_en:?}; keys only in nl: {only_nl:?}"
        );
    }

    #[test]
    fn messages_read_in_their_language() {
        assert_eq!(Tr("en").t("nav-sign-out"), "Sign out");
        assert_eq!(Tr("nl").t("nav-sign-out"), "Afmelden");
        assert_eq!(Tr("xx").code(), "en");
        assert_eq!(
            Tr("nl").t1("nav-signed-in-as", "name", "ada"),
            "Aangemeld als ada"
        );
    }
}
