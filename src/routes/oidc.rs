//! Signing in through the OpenID provider (SPEC §11): `GET /login/oidc`
//! sends the person there, `GET /login/oidc/callback` is where it sends
//! them back. Whatever goes wrong ends on a page that says what happened
//! and leads back to the sign-in page; the details go to the log.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::actions::{Actor, record_detail};
use crate::auth::{client_ip, session, user_agent};
use crate::db::models::audit::Event;
use crate::db::models::sessions::Origin;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::oidc::{Callback, FlowError, PENDING_KEY, Pending, TokenProblem};
use crate::preferences::browser_language;
use crate::routes::errors::message_page;
use crate::routes::{Ctx, see_other};
use crate::sso::{self, METHOD_OIDC, Outcome};
use crate::views::page::Flash;

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `GET /login/oidc`: 303 to the provider's authorization endpoint, with
/// what the way back needs kept in the session cookie.
pub async fn start(
    Ctx {
        req,
        session,
        state,
    }: Ctx,
) -> Result<HttpResponse, AppError> {
    match state.sso.start(unix_now()).await {
        Ok((url, pending)) => {
            session
                .insert(PENDING_KEY, pending)
                .map_err(|e| AppError::Internal(format!("session: {e}")))?;
            Ok(see_other(&url))
        }
        Err(e) => Ok(flow_error_page(&state.sso, &e, browser_language(&req))),
    }
}

/// `GET /login/oidc/callback`: 303 to Account Preferences, or a page that
/// says why not.
pub async fn callback(
    Ctx {
        req,
        session,
        state,
    }: Ctx,
    query: web::Query<Callback>,
) -> Result<HttpResponse, AppError> {
    // Taken out first: whatever happens next, it is not used again.
    let pending = session
        .remove_as::<Pending>(PENDING_KEY)
        .and_then(Result::ok);
    let ip = client_ip(&req, &state);
    let identity = match state
        .sso
        .finish(pending, query.into_inner(), unix_now())
        .await
    {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on refused");
            // Failures that got as far as the provider's answer are sign-in
            // attempts; a stray visit to this URL is not.
            if matches!(e, FlowError::Token(_) | FlowError::CodeRefused(_)) {
                let ip = ip.clone();
                state
                    .db
                    .run(move |conn| {
                        let actor = Actor {
                            account: None,
                            ip: ip.as_deref(),
                        };
                        record_detail(
                            conn,
                            Event::LoginFailed,
                            actor,
                            None,
                            None,
                            Some(METHOD_OIDC),
                        )
                    })
                    .await?;
            }
            return Ok(flow_error_page(&state.sso, &e, browser_language(&req)));
        }
    };
    let Some(oidc) = state.sso.settings().cloned() else {
        return Ok(flow_error_page(
            &state.sso,
            &FlowError::NotConfigured,
            browser_language(&req),
        ));
    };
    let origin = Origin {
        ip,
        user_agent: user_agent(&req),
    };
    let state2 = state.clone();
    let outcome = state
        .db
        .run(move |conn| sso::sign_in(conn, &state2.config, &oidc, &identity, &origin))
        .await?;
    match outcome {
        Outcome::SignedIn { sid, account } => {
            session::attach(&session, sid)?;
            let tr = Tr::chosen(account.language.as_deref(), browser_language(&req));
            Flash::set(
                &session,
                "success",
                tr.t1("flash-signed-in-as", "name", &account.username),
            );
            Ok(see_other("/profile"))
        }
        Outcome::Deactivated => {
            let lang = browser_language(&req);
            let tr = Tr(lang);
            Ok(message_page(
                StatusCode::FORBIDDEN,
                &tr.t("sso-deactivated-title"),
                tr.t("sso-deactivated"),
                "/login",
                lang,
            ))
        }
    }
}

/// What a person reads when signing in through the provider failed, in
/// their browser's language.
fn flow_error_page(sso: &crate::oidc::Sso, e: &FlowError, lang: &'static str) -> HttpResponse {
    let tr = Tr(lang);
    let name = sso
        .settings()
        .map_or_else(|| tr.t("sso-default-name"), |s| s.name.clone());
    let with_name = |key: &str| tr.t1(key, "name", &name);
    let (status, heading, message) = match e {
        FlowError::NotConfigured => (
            StatusCode::NOT_FOUND,
            "sso-not-set-up-title",
            tr.t("sso-not-set-up"),
        ),
        FlowError::Unavailable(_) => (
            StatusCode::BAD_GATEWAY,
            "sso-unavailable-title",
            with_name("sso-unavailable"),
        ),
        FlowError::Cancelled => (
            StatusCode::FORBIDDEN,
            "sso-cancelled-title",
            with_name("sso-cancelled"),
        ),
        FlowError::Provider(detail) => (
            StatusCode::BAD_GATEWAY,
            "sso-refused-title",
            match error_code(detail) {
                Some(code) => tr.t2("sso-refused", "name", &name, "code", code),
                None => with_name("sso-refused-unknown"),
            },
        ),
        FlowError::State => (
            StatusCode::BAD_REQUEST,
            "sso-expired-title",
            tr.t("sso-expired"),
        ),
        FlowError::CodeRefused(_) => (
            StatusCode::BAD_REQUEST,
            "sso-code-refused-title",
            with_name("sso-code-refused"),
        ),
        FlowError::Token(problem) => (
            StatusCode::BAD_REQUEST,
            "sso-unverified-title",
            tr.t2(
                "sso-unverified",
                "name",
                &name,
                "reason",
                tr.t(match problem {
                    TokenProblem::Missing => "sso-problem-missing",
                    TokenProblem::Expired => "sso-problem-expired",
                    TokenProblem::Issuer => "sso-problem-issuer",
                    TokenProblem::Audience => "sso-problem-audience",
                    TokenProblem::Nonce => "sso-problem-nonce",
                    TokenProblem::Signature => "sso-problem-signature",
                    TokenProblem::Other => "sso-problem-other",
                }),
            ),
        ),
    };
    message_page(status, &tr.t(heading), message, "/login", lang)
}

/// The provider's error code (RFC 6749 §4.1.2.1), for the page. Its free
/// text, like anything in the redirect, could have been written by anyone
/// who sends a link, so only a well-formed code is shown; the log has all.
fn error_code(detail: &str) -> Option<&str> {
    let code = detail.split(':').next().unwrap_or("");
    let well_formed =
        (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    well_formed.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::error_code;

    #[test]
    fn only_a_well_formed_error_code_reaches_the_page() {
        assert_eq!(
            error_code("login_required: the user is not signed in"),
            Some("login_required")
        );
        assert_eq!(error_code("server_error"), Some("server_error"));
        assert_eq!(error_code("Call +1 555 0100 to restore your account"), None);
        assert_eq!(error_code(""), None);
    }
}
