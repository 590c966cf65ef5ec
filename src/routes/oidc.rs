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
use crate::oidc::{Callback, FlowError, PENDING_KEY, Pending, TokenProblem};
use crate::routes::errors::message_page;
use crate::routes::{Ctx, see_other};
use crate::sso::{self, METHOD_OIDC, Outcome};
use crate::views::page::Flash;

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `GET /login/oidc`: 303 to the provider's authorization endpoint, with
/// what the way back needs kept in the session cookie.
pub async fn start(Ctx { session, state, .. }: Ctx) -> Result<HttpResponse, AppError> {
    match state.sso.start(unix_now()).await {
        Ok((url, pending)) => {
            session
                .insert(PENDING_KEY, pending)
                .map_err(|e| AppError::Internal(format!("session: {e}")))?;
            Ok(see_other(&url))
        }
        Err(e) => Ok(flow_error_page(&state.sso, &e)),
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
            return Ok(flow_error_page(&state.sso, &e));
        }
    };
    let Some(oidc) = state.sso.settings().cloned() else {
        return Ok(flow_error_page(&state.sso, &FlowError::NotConfigured));
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
            Flash::set(
                &session,
                "success",
                format!("Signed in as {}.", account.username),
            );
            Ok(see_other("/profile"))
        }
        Outcome::Deactivated => Ok(message_page(
            StatusCode::FORBIDDEN,
            "Account deactivated",
            "Your tessera account is deactivated, so you cannot sign in. Ask an administrator to activate it again.".into(),
            "/login",
            "en",
        )),
    }
}

/// What a person reads when signing in through the provider failed.
fn flow_error_page(sso: &crate::oidc::Sso, e: &FlowError) -> HttpResponse {
    let name = sso.settings().map_or("single sign-on", |s| s.name.as_str());
    let (status, heading, message) = match e {
        FlowError::NotConfigured => (
            StatusCode::NOT_FOUND,
            "Single sign-on is not set up",
            "This tessera server has no identity provider configured. Sign in with your password.".to_owned(),
        ),
        FlowError::Unavailable(_) => (
            StatusCode::BAD_GATEWAY,
            "Sign-in service unavailable",
            format!("tessera could not reach {name}. Try again in a few minutes; if it keeps happening, tell your administrator."),
        ),
        FlowError::Cancelled => (
            StatusCode::FORBIDDEN,
            "Sign-in cancelled",
            format!("You did not allow tessera to sign you in with {name}. Nothing was changed."),
        ),
        FlowError::Provider(detail) => (
            StatusCode::BAD_GATEWAY,
            "Sign-in refused",
            format!(
                "{name} did not sign you in ({}). Please try again.",
                error_code(detail)
            ),
        ),
        FlowError::State => (
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in was already completed, took too long, or did not start on this page. Please sign in again.".to_owned(),
        ),
        FlowError::CodeRefused(_) => (
            StatusCode::BAD_REQUEST,
            "Sign-in could not be completed",
            format!("{name} did not confirm this sign-in; its link may have been used already. Please sign in again."),
        ),
        FlowError::Token(problem) => (
            StatusCode::BAD_REQUEST,
            "Sign-in could not be verified",
            format!(
                "The answer from {name} could not be trusted: {}. Please sign in again; if it keeps happening, tell your administrator.",
                match problem {
                    TokenProblem::Missing => "it carried no ID token",
                    TokenProblem::Expired => "it has expired (is this server's clock right?)",
                    TokenProblem::Issuer => "it comes from an unexpected issuer",
                    TokenProblem::Audience => "it was made for another application",
                    TokenProblem::Nonce => "it was not made for this sign-in",
                    TokenProblem::Signature => "its signature does not match the provider's keys",
                    TokenProblem::Other => "it failed a check",
                }
            ),
        ),
    };
    message_page(status, heading, message, "/login", "en")
}

/// The provider's error code (RFC 6749 §4.1.2.1), for the page. Its free
/// text, like anything in the redirect, could have been written by anyone
/// who sends a link, so only a well-formed code is shown; the log has all.
fn error_code(detail: &str) -> &str {
    let code = detail.split(':').next().unwrap_or("");
    let well_formed =
        (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if well_formed { code } else { "an error" }
}

#[cfg(test)]
mod tests {
    use super::error_code;

    #[test]
    fn only_a_well_formed_error_code_reaches_the_page() {
        assert_eq!(
            error_code("login_required: the user is not signed in"),
            "login_required"
        );
        assert_eq!(error_code("server_error"), "server_error");
        assert_eq!(
            error_code("Call +1 555 0100 to restore your account"),
            "an error"
        );
        assert_eq!(error_code(""), "an error");
    }
}
