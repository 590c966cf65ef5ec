//! `/admin/audit`: the audit log, newest first.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Json;
use serde::Deserialize;

use crate::auth::guards::AdminPage;
use crate::auth::{Need, scope};
use crate::db::models::accounts;
use crate::db::models::audit::{self, AuditFilter, Event};
use crate::error::AppError;
use crate::routes::admin::{PageQuery, Paging, account_filter, given, page_ctx, query};
use crate::routes::{Ctx, JsonResult, html};
use crate::state::AppState;
use crate::views::admin::{AuditEntryView, AuditPage, Paged, Pager, event_choices};

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub event: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    #[serde(flatten)]
    pub paging: PageQuery,
}

impl AuditQuery {
    fn check(&self) -> Result<(AuditFilter, Paging), AppError> {
        let event = given(&self.event)
            .map(|e| {
                Event::parse(e)
                    .map(|e| e.as_str().to_owned())
                    .ok_or_else(|| {
                        AppError::invalid(
                            "event",
                            format!(
                                "unknown event {e:?}; events: {}",
                                Event::ALL.map(Event::as_str).join(", ")
                            ),
                        )
                    })
            })
            .transpose()?;
        let filter = AuditFilter {
            event,
            actor: account_filter(&self.actor, "actor")?,
            target: account_filter(&self.target, "target")?,
        };
        Ok((filter, self.paging.check()?))
    }
}

async fn load(
    state: &AppState,
    filter: AuditFilter,
    paging: Paging,
) -> Result<Paged<AuditEntryView>, AppError> {
    let (rows, total) = state
        .db
        .run(move |conn| {
            Ok(audit::list(
                conn,
                &filter,
                paging.offset(),
                paging.per_page,
            )?)
        })
        .await?;
    Ok(Paged {
        items: rows.iter().map(AuditEntryView::new).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

/// `GET /admin/audit.json`.
#[utoipa::path(get, path = "/admin/audit.json", tag = "admin",
    description = "The audit log, newest first.",
    params(
        PageQuery,
        ("event" = Option<String>, Query, description = "blank: any event", pattern = "^\\s*(token\\.created|token\\.deleted|token\\.deactivated|token\\.activated|login\\.succeeded|login\\.failed|account\\.created|account\\.role_changed|account\\.deactivated|account\\.activated|scope\\.created|scope\\.deleted|token\\.ip_refused|account\\.password_changed|account\\.password_reset|account\\.email_changed|token\\.updated|token\\.regenerated|token\\.leaked)?\\s*$"),
        ("actor" = Option<String>, Query, description = "an account id", pattern = "^\\s*([A-Za-z0-9_-]{1,64})?\\s*$"),
        ("target" = Option<String>, Query, description = "an account id", pattern = "^\\s*([A-Za-z0-9_-]{1,64})?\\s*$"),
    ),
    responses((status = 200, body = Paged<AuditEntryView>)),
    security(("admin:read" = [])))]
pub async fn list_json(cx: Ctx, _: Need<scope::AdminRead>) -> JsonResult<Paged<AuditEntryView>> {
    let (filter, paging) = query::<AuditQuery>(&cx.req)?.check()?;
    Ok(Json(load(&cx.state, filter, paging).await?))
}

/// `GET /admin/audit`.
pub async fn list_page(cx: Ctx, user: AdminPage) -> Result<HttpResponse, AppError> {
    let (filter, paging) = query::<AuditQuery>(&cx.req)?.check()?;
    let event = filter.event.clone().unwrap_or_default();
    let actor = filter.actor.clone().unwrap_or_default();
    let target = filter.target.clone().unwrap_or_default();
    let list = load(&cx.state, filter, paging).await?;
    let mut ids: Vec<String> = list
        .items
        .iter()
        .flat_map(|e| [e.actor_account_id.clone(), e.target_account_id.clone()])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names = cx
        .state
        .db
        .run(move |conn| Ok(accounts::usernames(conn, &ids)?))
        .await?;
    let pager = Pager::new(
        &list,
        "/admin/audit",
        &[("event", &event), ("actor", &actor), ("target", &target)],
    );
    let ctx = page_ctx("title-audit", &cx.session, &user);
    let page = AuditPage {
        events: event_choices(&event, ctx.tr()),
        ctx,
        list,
        pager,
        actor,
        target,
        names,
    };
    html(StatusCode::OK, &page)
}
