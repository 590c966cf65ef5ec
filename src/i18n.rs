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

    /// The message `key`, if the catalogues have it.
    pub fn try_t(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(self.id(), key)
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
                // Only a number written as Rust writes it: a label "007"
                // stays text.
                let value = match v.parse::<i64>() {
                    Ok(n) if n.to_string() == *v => FluentValue::from(n),
                    _ => FluentValue::from(v.clone()),
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
            Tr("nl").t1("flash-token-saved", "label", "007"),
            "Token “007” opgeslagen."
        );
        assert_eq!(
            Tr("nl").t1("nav-signed-in-as", "name", "ada"),
            "Aangemeld als ada"
        );
    }
}

/// Templates must say everything through the catalogues: what is left of a
/// template once its askama tags, its markup and its code samples are gone
/// holds no English words.
#[cfg(test)]
mod template_text {
    use std::path::{Path, PathBuf};

    /// Words that are the same in every language: names, code, units.
    const ALLOWED: [&str; 12] = [
        "tessera",
        "curl",
        "authorization",
        "bearer",
        "token",
        "apitoken",
        "api",
        "key",
        "tsr",
        "acc",
        "min",
        "utc",
    ];

    /// Attributes people read (or hear) rather than programs.
    const SHOWN: [&str; 6] = [
        "title",
        "placeholder",
        "aria-label",
        "alt",
        "data-confirm",
        "data-label",
    ];

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("templates") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// `text` without what lies between each `open` and the next `close`
    /// (both included), a space in its place.
    fn without(text: &str, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(open) {
            out.push_str(&rest[..at]);
            out.push(' ');
            rest = match rest[at + open.len()..].find(close) {
                Some(end) => &rest[at + open.len() + end + close.len()..],
                None => "",
            };
        }
        out.push_str(rest);
        out
    }

    /// The text of markup a person sees: between the tags, and the values
    /// of the attributes in [`SHOWN`] (and a button's `value`).
    fn visible(html: &str) -> String {
        let mut out = String::new();
        let mut rest = html;
        while let Some(at) = rest.find('<') {
            out.push_str(&rest[..at]);
            out.push(' ');
            let Some(end) = rest[at..].find('>') else {
                break;
            };
            let tag = &rest[at + 1..at + end];
            let is_button = tag.starts_with("button")
                || (tag.starts_with("input")
                    && (tag.contains(r#"type="submit""#) || tag.contains(r#"type="button""#)));
            let mut attrs = tag;
            while let Some(eq) = attrs.find("=\"") {
                let name = attrs[..eq].rsplit(' ').next().unwrap_or("");
                let value_end = attrs[eq + 2..]
                    .find('"')
                    .map_or(attrs.len(), |e| eq + 2 + e);
                if SHOWN.contains(&name) || (name == "value" && is_button) {
                    out.push_str(&attrs[eq + 2..value_end]);
                    out.push(' ');
                }
                attrs = &attrs[(value_end + 1).min(attrs.len())..];
            }
            rest = &rest[at + end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The English words left in a template.
    fn english_in(template: &str) -> Vec<String> {
        let mut text = template.to_owned();
        for (open, close) in [("{#", "#}"), ("{%", "%}"), ("{{", "}}"), ("<!--", "-->")] {
            text = without(&text, open, close);
        }
        // Code samples are the same in every language.
        for (open, close) in [("<code", "</code>"), ("<pre", "</pre>")] {
            text = without(&text, open, close);
        }
        let text = without(&visible(&text), "&", ";");
        text.split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| w.len() > 1 && !ALLOWED.contains(&w.to_lowercase().as_str()))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn templates_hold_no_english_of_their_own() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut all = Vec::new();
        files(&root, &mut all);
        let mut found = Vec::new();
        for path in all {
            let name = path
                .strip_prefix(&root)
                .expect("under templates")
                .to_string_lossy()
                .replace('\\', "/");
            let words = english_in(&std::fs::read_to_string(&path).expect("template"));
            if !words.is_empty() {
                found.push(format!("{name}: {}", words.join(" ")));
            }
        }
        assert!(
            found.is_empty(),
            "untranslated text in templates:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_check_sees_text_and_shown_attributes() {
        assert_eq!(
            english_in("<p>{{ ctx.t(\"x\") }}</p>"),
            Vec::<String>::new()
        );
        assert_eq!(english_in("<h1>Hello</h1>"), ["Hello"]);
        assert_eq!(
            english_in(r#"<a title="Go home" href="/x">"#),
            ["Go", "home"]
        );
        assert_eq!(english_in(r#"<button value="Save">"#), ["Save"]);
        assert_eq!(
            english_in(r#"<input type="hidden" value="yes">"#),
            Vec::<String>::new()
        );
        assert_eq!(
            english_in("<code>profile:read</code> {# note #}"),
            Vec::<String>::new()
        );
    }
}
