//! The admin area: every account (`users`), every token (`tokens`) and the
//! audit log (`audit`), as pages for admins signed in with a browser and as
//! `.json` twins for callers holding `admin:read` / `admin:write`.
//!
//! Query strings and bodies are parsed inside the handlers, after the
//! caller is known, so that nobody learns anything from the validation of a
//! request they may not make.

pub mod audit;
pub mod credentials;
pub mod notices;
pub mod scopes;
pub mod tokens;
pub mod users;

use actix_session::Session;
use actix_web::{HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::auth::guards::AdminPage;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::views::page::{PageCtx, language};

pub fn page_ctx(title: &str, session: &Session, admin: &AdminPage) -> PageCtx {
    PageCtx::signed_in(title, "admin", session, &admin.0)
}

/// The admin's language, for the messages after a change.
pub fn tr(admin: &AdminPage) -> Tr {
    Tr(language(&admin.0))
}

/// The query string as `T` (whose fields are all optional strings, so only
/// a malformed query fails here; the values are checked by the caller).
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, AppError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| AppError::invalid("query", e.to_string()))
}

/// A filter value: absent and blank (as an empty filter form sends) are
/// the same.
pub fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// An account id from a path: anything that cannot be one is an account
/// that does not exist (and never reaches the database, where a NUL byte
/// would be an error rather than a miss).
pub fn account_id(raw: &str) -> Result<String, AppError> {
    if is_account_id(raw) {
        Ok(raw.to_owned())
    } else {
        Err(AppError::NotFound)
    }
}

/// Account ids are `acc_` and 12 letters or digits; anything of the same
/// alphabet is looked up (and simply not found).
pub fn is_account_id(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// An account id given as a filter (`?account_id=`, `?actor=`): 400 naming
/// the parameter if it cannot be one.
pub fn account_filter(value: &Option<String>, field: &str) -> Result<Option<String>, AppError> {
    match given(value) {
        None => Ok(None),
        Some(id) if is_account_id(id) => Ok(Some(id.to_owned())),
        Some(_) => Err(AppError::invalid(
            field,
            format!("{field} is an account id, such as acc_7f3kq9d2m1x8"),
        )),
    }
}

/// `?page=&per_page=` of a list as sent, and as `/openapi.json` describes
/// them (each list's `params` names this type).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<String>,
    /// at most 100; more is lowered to 100
    #[param(value_type = Option<i64>, minimum = 1)]
    pub per_page: Option<String>,
}

impl PageQuery {
    pub fn check(&self) -> Result<Paging, AppError> {
        Paging::parse(given(&self.page), given(&self.per_page))
    }
}

/// `?page=&per_page=` of a list, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub const DEFAULT_PER_PAGE: i64 = 50;
    pub const MAX_PER_PAGE: i64 = 100;
    /// Far beyond any real list, and small enough that the offset fits.
    const MAX_PAGE: i64 = 1_000_000_000;

    /// `page` counts from 1; `per_page` is 1-100, and a larger one is
    /// lowered to 100 (the answer's `per_page` says so). Anything else is
    /// a 400 naming the parameter.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, AppError> {
        let page = match page {
            None => 1,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=Self::MAX_PAGE).contains(p))
                .ok_or_else(|| {
                    AppError::invalid("page", "page is a whole number, 1 for the first page")
                })?,
        };
        let per_page = match per_page {
            None => Self::DEFAULT_PER_PAGE,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .map(|n| n.min(Self::MAX_PER_PAGE))
                .ok_or_else(|| {
                    AppError::invalid(
                        "per_page",
                        format!(
                            "per_page is a whole number from 1 to {}",
                            Self::MAX_PER_PAGE
                        ),
                    )
                })?,
        };
        Ok(Self { page, per_page })
    }

    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// Where an admin's token button goes back to: the `next` it names if that
/// is an admin page, else the token list. Never another site.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with("/admin/")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path
        }
        _ => "/admin/tokens",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_clamps_and_names_the_field() {
        assert_eq!(
            Paging::parse(None, None).unwrap(),
            Paging {
                page: 1,
                per_page: 50
            }
        );
        let p = Paging::parse(Some("3"), Some("1000")).unwrap();
        assert_eq!((p.page, p.per_page, p.offset()), (3, 100, 200));
        for bad in ["0", "-1", "x", "1.5", "99999999999999999999", "1000000001"] {
            let err = Paging::parse(Some(bad), None).unwrap_err();
            assert_eq!(err.field(), Some("page"), "{bad}");
        }
        for bad in ["0", "-5", "ten", ""] {
            let err = Paging::parse(None, Some(bad)).unwrap_err();
            assert_eq!(err.field(), Some("per_page"), "{bad}");
        }
        let far = Paging::parse(Some("1000000000"), Some("100")).unwrap();
        assert!(far.offset() > 0);
    }

    #[test]
    fn account_ids_are_checked_before_any_lookup() {
        assert_eq!(account_id("acc_7f3kq9d2m1x8").unwrap(), "acc_7f3kq9d2m1x8");
        for bad in ["", "acc\0x", "acc x", "acc_%00", "a/b", &"a".repeat(65)] {
            assert!(account_id(bad).is_err(), "{bad:?}");
        }
        let bad = Some("acc\u{0}".to_owned());
        assert_eq!(
            account_filter(&bad, "actor").unwrap_err().field(),
            Some("actor")
        );
        assert_eq!(account_filter(&Some(" ".into()), "actor").unwrap(), None);
    }

    #[test]
    fn next_stays_in_the_admin_area() {
        assert_eq!(
            safe_next(Some("/admin/users/acc_1?page=2")),
            "/admin/users/acc_1?page=2"
        );
        for bad in [
            None,
            Some("https://evil.example/admin/"),
            Some("//evil.example/admin/"),
            Some("/profile"),
            Some("/admin"),
            Some("/admin/\r\nSet-Cookie: x"),
            Some("/admin/\\evil"),
            Some(""),
        ] {
            assert_eq!(safe_next(bad), "/admin/tokens", "{bad:?}");
        }
    }
}
