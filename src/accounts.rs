//! Account names, parsed once where they come in (the JSON API, the admin
//! form, the command line), so that everything past the edge holds a name
//! already known to be good.

use std::fmt;

use crate::error::AppError;

/// A username: 1-64 characters of `[A-Za-z0-9._-]` (SPEC §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(name: &str) -> Result<Self, AppError> {
        let ok = (1..=Self::MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(AppError::invalid(
                "username",
                "a username is 1-64 characters of letters, digits, '.', '_' and '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name: trimmed, at most 100 characters, no control characters.
/// Empty means "none": the username stands in for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    /// `None` for a blank name.
    pub fn parse(name: &str) -> Result<Option<Self>, AppError> {
        let name = name.trim();
        if name.chars().count() > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "display_name",
                "a display name is at most 100 characters, without control characters",
            ));
        }
        Ok((!name.is_empty()).then(|| Self(name.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain() {
        assert!(Username::parse("Dot.dash-under_score9").is_ok());
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "ünïcode", "<b>", &"a".repeat(65)] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.field(), Some("username"), "{bad:?}");
        }
    }

    #[test]
    fn display_names_are_trimmed_and_blank_is_none() {
        assert_eq!(
            DisplayName::parse("  Ada  ").unwrap().unwrap().as_str(),
            "Ada"
        );
        assert_eq!(DisplayName::parse("   ").unwrap(), None);
        for bad in ["a\u{7}b", &"x".repeat(101)] {
            let err = DisplayName::parse(bad).unwrap_err();
            assert_eq!(err.field(), Some("display_name"), "{bad:?}");
        }
    }
}
