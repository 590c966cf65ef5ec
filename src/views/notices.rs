//! `/admin/notices`: the mail that failed at least once, for admins.

use askama::Template;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::notices::Notice;
use crate::views::admin::{AdminList, Paged, Pager};
use crate::views::page::{PageCtx, rfc3339};

/// A notice as admins see it: what it was about and how sending went,
/// never its message (a verification link is its owner's alone).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Notice)]
pub struct NoticeView {
    pub id: i64,
    /// `verify_email`, `token_created`, `expiry_7d`, `expiry_1d`,
    /// `expired` or `token_leaked`.
    pub kind: String,
    pub account_id: String,
    /// `pending` (to be tried again), `sending`, `sent`, `failed` or
    /// `skipped`.
    pub state: String,
    pub attempts: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub next_attempt_at: String,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
    /// Why the last failed attempt failed.
    pub last_error: Option<String>,
}

impl NoticeView {
    pub fn new(notice: &Notice, account_id: &str) -> Self {
        Self {
            id: notice.id,
            kind: notice.kind.clone(),
            account_id: account_id.to_owned(),
            state: notice.state.clone(),
            attempts: notice.attempts,
            created_at: rfc3339(notice.created_at),
            next_attempt_at: rfc3339(notice.next_attempt_at),
            sent_at: notice.sent_at.map(rfc3339),
            last_error: notice.last_error.clone(),
        }
    }

    /// The catalogue's name for the state, as the page shows it.
    pub fn state_key(&self) -> &'static str {
        match self.state.as_str() {
            "pending" => "notices-state-pending",
            "sending" => "notices-state-sending",
            "sent" => "notices-state-sent",
            "failed" => "notices-state-failed",
            _ => "notices-state-skipped",
        }
    }
}

/// `GET /admin/notices`.
#[derive(Template)]
#[template(path = "admin/notices.html")]
pub struct NoticesPage {
    pub ctx: PageCtx,
    pub list: Paged<NoticeView>,
    pub pager: Pager,
    /// Why nothing is sent, on a server without mail.
    pub mail_off: Option<&'static str>,
}

impl AdminList for NoticesPage {
    const TAB: &'static str = "notices";
    const TABLE_CLASS: &'static str = "tokens admin-table";

    fn columns(&self) -> Vec<&'static str> {
        vec![
            "col-created",
            "notices-col-notice",
            "notices-col-account",
            "notices-col-state",
            "notices-col-attempts",
            "notices-col-last-error",
        ]
    }

    fn submit_label(&self) -> &'static str {
        "admin-refresh"
    }

    fn clear(&self) -> bool {
        false
    }
}
