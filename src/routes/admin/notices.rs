//! `/admin/notices(.json)`: mail that failed at least once, so that no
//! failure is lost silently.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Json;

use crate::auth::guards::AdminPage;
use crate::auth::{Need, scope};
use crate::db::models::notices;
use crate::error::AppError;
use crate::routes::admin::{PageQuery, Paging, page_ctx, query};
use crate::routes::{Ctx, JsonResult, html};
use crate::state::AppState;
use crate::views::admin::{Paged, Pager};
use crate::views::notices::{NoticeView, NoticesPage};
use crate::views::profile::MAIL_OFF;

async fn load(state: &AppState, paging: Paging) -> Result<Paged<NoticeView>, AppError> {
    let (rows, total) = state
        .db
        .run(move |conn| Ok(notices::troubled(conn, paging.offset(), paging.per_page)?))
        .await?;
    Ok(Paged {
        items: rows
            .iter()
            .map(|(notice, account)| NoticeView::new(notice, account))
            .collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

/// `GET /admin/notices.json`.
#[utoipa::path(get, path = "/admin/notices.json", tag = "admin",
    description = "Notices (mail) whose sending failed at least once, newest first.",
    params(PageQuery),
    responses((status = 200, body = Paged<NoticeView>)),
    security(("admin:read" = [])))]
pub async fn list_json(cx: Ctx, _: Need<scope::AdminRead>) -> JsonResult<Paged<NoticeView>> {
    let paging = query::<PageQuery>(&cx.req)?.check()?;
    Ok(Json(load(&cx.state, paging).await?))
}

/// `GET /admin/notices`.
pub async fn list_page(cx: Ctx, user: AdminPage) -> Result<HttpResponse, AppError> {
    let paging = query::<PageQuery>(&cx.req)?.check()?;
    let list = load(&cx.state, paging).await?;
    let pager = Pager::new(&list, "/admin/notices", &[]);
    let page = NoticesPage {
        ctx: page_ctx("title-mail", &cx.session, &user),
        list,
        pager,
        mail_off: cx.state.config.mail.is_none().then_some(MAIL_OFF),
    };
    html(StatusCode::OK, &page)
}
