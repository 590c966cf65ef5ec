//! Error messages for people in their language. `AppError` words its
//! messages in English for the JSON API (which stays English, SPEC §10);
//! a page shows the catalogue's words for the same message, found here by
//! its English shape. A message not in [`MESSAGES`] stays as it is.

use crate::i18n::Tr;

/// Each message as `AppError` words it, with `{name}` where it carries a
/// value, and its catalogue key (whose arguments are those names). The
/// English catalogue reads exactly as the shape (a test holds them to it).
const MESSAGES: &[(&str, &str)] = &[
    // Account Preferences.
    (
        "a password is at least 12 characters",
        "field-password-short",
    ),
    (
        "a password cannot be your username",
        "field-password-username",
    ),
    ("the two new passwords differ", "field-passwords-differ"),
    ("the current password is not right", "field-current-wrong"),
    (
        "this account signs in through single sign-on and has no password to change",
        "field-no-password",
    ),
    (
        "a display name is at most 100 characters, without control characters",
        "field-display-name",
    ),
    (
        "an email address is at most 254 characters",
        "field-email-long",
    ),
    ("\"{address}\" is not an email address", "field-email"),
    ("choose en (English) or nl (Nederlands)", "field-language"),
    (
        "unknown time zone \"{name}\"; use an IANA name such as Europe/Amsterdam",
        "field-time-zone",
    ),
    (
        "this verification link is not valid; ask for a new one",
        "msg-link-invalid",
    ),
    (
        "this verification link has expired; enter the address again for a new one",
        "msg-link-expired",
    ),
    ("Enter your username and password.", "login-missing"),
    // Tokens.
    ("a label is required", "field-label-required"),
    ("a label is at most 100 characters", "field-label-long"),
    (
        "a label cannot contain control characters",
        "field-label-control",
    ),
    ("choose at least one scope", "field-scopes-none"),
    ("only admins may grant {scope}", "msg-admin-scope"),
    (
        "your role may not grant the scope {scope}",
        "msg-role-scope",
    ),
    (
        "expires_in_hours must be between 0 (never) and {max}",
        "msg-expiry-range",
    ),
    (
        "tokens on this server must expire within {days} days; \"never\" is not allowed",
        "msg-expiry-never",
    ),
    (
        "tokens on this server must expire within {days} days ({hours} hours)",
        "msg-expiry-max",
    ),
    (
        "this account already holds {held} tokens, the most allowed ({max}); delete one first",
        "msg-too-many-tokens",
    ),
    (
        "\"{item}\" is neither an IPv4/IPv6 address nor a CIDR range",
        "msg-bad-ip",
    ),
    (
        "at most {max} addresses or ranges per token",
        "msg-too-many-ips",
    ),
    (
        "a rate limit is 1-{max} requests per minute, or null for none",
        "msg-rate-limit",
    ),
    (
        "scopes can only be removed, not added ({scope} is not on this token)",
        "msg-scopes-only-removed",
    ),
    (
        "an expiry can be brought earlier, not removed",
        "msg-expiry-not-removed",
    ),
    (
        "an expiry can only be brought earlier",
        "msg-expiry-earlier",
    ),
    (
        "choose a time in the future (deactivate or delete the token to stop it now)",
        "msg-expiry-future",
    ),
    (
        "a description is at most {max} characters",
        "msg-description-long",
    ),
    (
        "a description cannot contain control characters",
        "msg-description-control",
    ),
    // Accounts and scopes (admin).
    (
        "a username is 1-64 characters of letters, digits, '.', '_' and '-'",
        "admin-err-username",
    ),
    ("the role is \"user\" or \"admin\"", "admin-err-role"),
    (
        "the username \"{username}\" is taken",
        "admin-err-username-taken",
    ),
    (
        "{username} is the last active admin; make another account an admin first",
        "admin-err-last-admin",
    ),
    (
        "give the scope a name, like billing:read",
        "admin-err-scope-name-missing",
    ),
    (
        "a scope name is service:action: lowercase letters, digits, _ and - (and . after the colon), each part starting with a letter and at most 32 characters, like billing:read",
        "admin-err-scope-name",
    ),
    (
        "{name} is a built-in scope; choose another name",
        "admin-err-scope-builtin",
    ),
    ("the scope {name} already exists", "msg-scope-exists"),
    (
        "choose at least one role that may grant the scope",
        "admin-err-no-role",
    ),
    ("at most {n} characters", "admin-err-description-long"),
    // Whole error pages.
    ("not found", "msg-not-found"),
    (
        "the admin pages are for admins; ask one to change your role if you need them",
        "msg-admins-only",
    ),
    (
        "the form has expired or did not come from this site; reload the page and try again",
        "msg-form-expired",
    ),
    (
        "too many attempts; try again in {seconds} seconds",
        "msg-too-many-attempts",
    ),
];

/// The catalogue's words for an error's English message. `None`: no
/// translation known.
pub fn field_message(tr: Tr, english: &str) -> Option<String> {
    MESSAGES.iter().find_map(|(shape, key)| {
        let args = matches(shape, english)?;
        Some(tr.ta(key, &args))
    })
}

/// The values of `shape`'s `{name}`s if `text` has its shape. A value is
/// never empty and runs to the first place where the shape's next fixed
/// words follow.
fn matches(shape: &str, text: &str) -> Option<Vec<(&'static str, String)>> {
    let mut args = Vec::new();
    let mut rest = text;
    let mut shape_rest = shape;
    while let Some(open) = shape_rest.find('{') {
        let close = open + shape_rest[open..].find('}')?;
        rest = rest.strip_prefix(&shape_rest[..open])?;
        let name = &shape_rest[open + 1..close];
        shape_rest = &shape_rest[close + 1..];
        let fixed_end = shape_rest.find('{').unwrap_or(shape_rest.len());
        let next = &shape_rest[..fixed_end];
        let len = if next.is_empty() {
            rest.len()
        } else {
            rest.find(next)?
        };
        if len == 0 {
            return None;
        }
        args.push((arg_name(name)?, rest[..len].to_owned()));
        rest = &rest[len..];
    }
    (rest == shape_rest).then_some(args)
}

/// The argument names the shapes use, as the `'static` names Fluent takes.
fn arg_name(name: &str) -> Option<&'static str> {
    [
        "address", "name", "scope", "max", "days", "hours", "held", "item", "seconds", "username",
        "n",
    ]
    .into_iter()
    .find(|n| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_their_messages_only() {
        assert_eq!(
            matches(
                "the scope {name} already exists",
                "the scope b:r already exists"
            ),
            Some(vec![("name", "b:r".to_owned())])
        );
        assert_eq!(
            matches(
                "this account already holds {held} tokens, the most allowed ({max}); delete one first",
                "this account already holds 5 tokens, the most allowed (5); delete one first"
            ),
            Some(vec![("held", "5".to_owned()), ("max", "5".to_owned())])
        );
        assert_eq!(matches("not found", "not found"), Some(vec![]));
        assert_eq!(matches("not found", "not found at all"), None);
        assert_eq!(
            matches(
                "the scope {name} already exists",
                "the scope  already exists"
            ),
            None
        );
    }

    /// The English catalogue says exactly what `AppError` says, so an
    /// English page reads as the JSON error does; every key has its Dutch.
    #[test]
    fn english_catalogue_reads_as_the_shapes() {
        for &(shape, key) in MESSAGES {
            let mut example = shape.to_owned();
            let mut args = Vec::new();
            while let Some(open) = example.find('{') {
                let close = open + example[open..].find('}').unwrap();
                let name = arg_name(&example[open + 1..close]).expect("known argument name");
                let value = format!("v{}", args.len());
                example.replace_range(open..=close, &value);
                args.push((name, value));
            }
            assert_eq!(Tr("en").ta(key, &args), example, "{key}");
            assert_eq!(
                field_message(Tr("en"), &example).as_deref(),
                Some(example.as_str())
            );
            let dutch = field_message(Tr("nl"), &example).unwrap();
            assert_ne!(dutch, example, "{key} has no Dutch");
        }
    }

    #[test]
    fn messages_read_in_dutch() {
        assert_eq!(
            field_message(Tr("nl"), "too many attempts; try again in 30 seconds").as_deref(),
            Some("te veel pogingen; probeer het over 30 seconden opnieuw")
        );
        assert_eq!(
            field_message(Tr("nl"), "\"x@\" is not an email address").as_deref(),
            Some("\"x@\" is geen e-mailadres")
        );
        assert_eq!(field_message(Tr("nl"), "something else"), None);
    }
}
