//! Signing in and out (HTML forms).

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;

use crate::actions;
use crate::auth::guards::SignedIn;
use crate::auth::session;
use crate::auth::{client_ip, user_agent};
use crate::config::SsoConfig;
use crate::db::models::sessions::Origin;
use crate::error::AppError;
use crate::extract::FormBody;
use crate::i18n::Tr;
use crate::preferences::browser_language;
use crate::routes::account::CHANGE_PASSWORD;
use crate::routes::{Ctx, html, see_other};
use crate::views::auth::{LoginPage, LogoutPage};
use crate::views::page::{Flash, PageCtx};

fn login_page(
    sso: &SsoConfig,
    lang: &'static str,
    status: StatusCode,
    session: &Session,
    username: &str,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let csrf = session::anonymous_csrf(session);
    html(
        status,
        &LoginPage {
            ctx: PageCtx::new("title-sign-in", "login", session, None, &csrf, lang),
            username: username.to_owned(),
            error,
            sso_name: sso.oidc.as_ref().map(|o| o.name.clone()),
            password_login: sso.password_login,
        },
    )
}

/// `GET /login`.
pub async fn show(cx: Ctx) -> Result<HttpResponse, AppError> {
    let Ctx {
        req,
        session,
        state,
    } = cx;
    if session::current(&req, &state).await?.is_some() {
        return Ok(see_other("/profile"));
    }
    login_page(
        &state.config.sso,
        browser_language(&req),
        StatusCode::OK,
        &session,
        "",
        None,
    )
}

/// `POST /login`: 303 to Account Preferences, or the form again with a
/// message (401 wrong credentials, 403 stale form or passwords turned off,
/// 429 throttled).
pub async fn submit(
    Ctx {
        req,
        session,
        state,
    }: Ctx,
    form: FormBody,
) -> Result<HttpResponse, AppError> {
    let username = form.get("username").unwrap_or("").trim().to_owned();
    if !state.config.sso.password_login {
        return login_page(
            &state.config.sso,
            browser_language(&req),
            StatusCode::FORBIDDEN,
            &session,
            "",
            Some(Tr(browser_language(&req)).t("login-turned-off")),
        );
    }
    let password = form.get("password").unwrap_or("").to_owned();
    let expected = session
        .get::<String>("csrf")
        .ok()
        .flatten()
        .unwrap_or_default();
    if expected.is_empty() || session::check_csrf(form.get("csrf_token"), &expected).is_err() {
        return login_page(
            &state.config.sso,
            browser_language(&req),
            StatusCode::FORBIDDEN,
            &session,
            &username,
            Some(Tr(browser_language(&req)).t("login-expired")),
        );
    }
    if username.is_empty() || password.is_empty() {
        return login_page(
            &state.config.sso,
            browser_language(&req),
            StatusCode::BAD_REQUEST,
            &session,
            &username,
            Some(Tr(browser_language(&req)).t("login-missing")),
        );
    }
    let origin = Origin {
        ip: client_ip(&req, &state),
        user_agent: user_agent(&req),
    };
    let name = username.clone();
    let state2 = state.clone();
    let outcome = state
        .db
        .run(move |conn| actions::sign_in(conn, &state2.config, &name, &password, &origin))
        .await;
    match outcome {
        Ok(Some(signed_in)) => {
            session::attach(&session, signed_in.sid)?;
            let tr = Tr::chosen(signed_in.language.as_deref(), browser_language(&req));
            if signed_in.must_change_password {
                Flash::set(&session, "error", tr.t("flash-password-was-reset"));
                return Ok(see_other(CHANGE_PASSWORD));
            }
            Flash::set(
                &session,
                "success",
                tr.t1("flash-signed-in-as", "name", &username),
            );
            Ok(see_other("/profile"))
        }
        Ok(None) => login_page(
            &state.config.sso,
            browser_language(&req),
            StatusCode::UNAUTHORIZED,
            &session,
            &username,
            Some(Tr(browser_language(&req)).t("login-incorrect")),
        ),
        Err(AppError::TooManyRequests { retry_after }) => {
            let mut resp = login_page(
                &state.config.sso,
                browser_language(&req),
                StatusCode::TOO_MANY_REQUESTS,
                &session,
                &username,
                Some(Tr(browser_language(&req)).t1(
                    "login-throttled",
                    "minutes",
                    retry_after.div_ceil(60),
                )),
            )?;
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

/// `GET /logout`: a page with the button that signs out. Signing out is a
/// form post (with the CSRF token), so that a link, a prefetch or another
/// site cannot sign anyone out; someone not signed in goes to `/login`.
pub async fn confirm_logout(session: Session, user: SignedIn) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::signed_in("title-sign-out", "logout", &session, &user);
    html(StatusCode::OK, &LogoutPage { ctx })
}

/// `POST /logout`: ends the session everywhere, back to the sign-in page.
pub async fn logout(cx: Ctx, form: FormBody) -> Result<HttpResponse, AppError> {
    let Ctx {
        req,
        session,
        state,
    } = cx;
    if let Some((row, _)) = session::current(&req, &state).await? {
        session::check_csrf(form.get("csrf_token"), &row.csrf_token)?;
        session::destroy(&req, &state).await?;
    } else {
        session.purge();
    }
    Ok(see_other("/login"))
}
