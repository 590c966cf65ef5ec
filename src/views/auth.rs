use askama::Template;

use crate::views::page::PageCtx;

/// `GET /login`.
#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub ctx: PageCtx,
    pub username: String,
    pub error: Option<String>,
    /// The provider's name on the single sign-on button, when there is one.
    pub sso_name: Option<String>,
    /// Whether the password form is shown (`TESSERA_PASSWORD_LOGIN`).
    pub password_login: bool,
}

/// Any error, as a page.
#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub status: u16,
    pub heading: String,
    pub message: String,
    /// Where the page's button leads: `/login` or `/profile`.
    pub back: &'static str,
}

/// `GET /logout`: the button that signs out.
#[derive(Template)]
#[template(path = "auth/logout.html")]
pub struct LogoutPage {
    pub ctx: PageCtx,
}
