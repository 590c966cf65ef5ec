//! Guards for the HTML side, as extractors: a handler that takes one cannot
//! run without its check, so no form or admin page can forget it. (The
//! JSON side states its scope with [`super::Need`].)
//!
//! - [`SignedIn`]: someone signed in with a browser session; the sign-in
//!   page for anyone else.
//! - [`AdminPage`]: a signed-in admin; 403 for anyone else signed in, the
//!   sign-in page for nobody.
//! - [`CsrfForm`]: a form post whose `csrf_token` is the session's, from
//!   whoever its guard lets in; the guard is checked before the body is
//!   read, so nobody learns anything from the validation of a form they may
//!   not send.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::session;
use crate::auth::{Caller, Via, session_caller, state};
use crate::error::AppError;
use crate::extract::{FormBody, from_read};
use crate::routes::account::CHANGE_PASSWORD;

/// A signed-in browser user, for the HTML pages. Unlike [`super::Need`] it
/// ignores API tokens: pages are for people.
pub struct SignedIn(pub Caller);

impl SignedIn {
    pub fn csrf_token(&self) -> &str {
        match &self.0.via {
            Via::Session { csrf_token, .. } => csrf_token,
            Via::Token { .. } => "",
        }
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = session_caller(&req, &state(&req)).await?;
            // After an admin's reset, the one-time password opens only the
            // form that replaces it (and signing out).
            if caller.account.must_change_password
                && ![CHANGE_PASSWORD, "/logout"].contains(&req.path())
            {
                return Err(AppError::PasswordChangeRequired);
            }
            Ok(SignedIn(caller))
        })
    }
}

/// A signed-in admin, for the admin pages.
pub struct AdminPage(pub SignedIn);

impl FromRequest for AdminPage {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if user.0.account.is_admin() {
                Ok(AdminPage(user))
            } else {
                Err(AppError::forbidden(
                    None,
                    "the admin pages are for admins; ask one to change your role if you need them",
                ))
            }
        })
    }
}

/// Someone let in to send a page's forms, and the CSRF token their pages
/// carry.
pub trait FormSender: FromRequest<Error = AppError> + 'static {
    fn csrf_token(&self) -> &str;
    fn signed_in(&self) -> &SignedIn;
}

impl FormSender for SignedIn {
    fn csrf_token(&self) -> &str {
        SignedIn::csrf_token(self)
    }

    fn signed_in(&self) -> &SignedIn {
        self
    }
}

impl FormSender for AdminPage {
    fn csrf_token(&self) -> &str {
        self.0.csrf_token()
    }

    fn signed_in(&self) -> &SignedIn {
        &self.0
    }
}

/// A form post from whoever `G` lets in, its `csrf_token` checked against
/// the session's.
pub struct CsrfForm<G = SignedIn> {
    pub user: G,
    pub form: FormBody,
}

impl<G: FormSender> CsrfForm<G> {
    pub async fn read(req: &HttpRequest, payload: &mut Payload) -> Result<Self, AppError> {
        let user = G::from_request(req, &mut Payload::None).await?;
        let form = FormBody::read(req, payload).await?;
        session::check_csrf(form.get("csrf_token"), user.csrf_token())?;
        Ok(CsrfForm { user, form })
    }
}

from_read!([G: FormSender] CsrfForm<G>);
