//! `/admin/tokens...`: every account's tokens, and the buttons that
//! deactivate, activate and delete any of them.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Json};
use serde::Deserialize;

use crate::accounts::Username;
use crate::actions::{Activation, Reach, TokenChange};
use crate::auth::guards::{AdminPage, CsrfForm};
use crate::auth::{Need, scope};
use crate::db::models::accounts;
use crate::db::models::tokens::{self as token_db, TokenFilter, TokenSort, TokenStatus};
use crate::db::{self};
use crate::error::AppError;
use crate::routes::admin::{
    PageQuery, Paging, account_filter, given, page_ctx, query, safe_next, tr,
};
use crate::routes::preferences::{confirm_delete, confirmed};
use crate::routes::tokens::{change_token, token_id};
use crate::routes::{Ctx, JsonResult, html, see_other};
use crate::state::AppState;
use crate::views::admin::{Choice, Paged, Pager, TokensPage};
use crate::views::page::Flash;
use crate::views::tokens::TokenView;

#[derive(Debug, Default, Deserialize)]
pub struct TokensQuery {
    pub account_id: Option<String>,
    /// The owner's username: what people know an account by.
    pub user: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    #[serde(flatten)]
    pub paging: PageQuery,
}

struct Filter {
    account_id: Option<String>,
    username: Option<String>,
    status: Option<TokenStatus>,
    sort: TokenSort,
    paging: Paging,
}

impl TokensQuery {
    fn check(&self) -> Result<Filter, AppError> {
        let status = given(&self.status)
            .map(|s| {
                TokenStatus::parse(s).ok_or_else(|| {
                    AppError::invalid("status", "status is active, deactivated or expired")
                })
            })
            .transpose()?;
        let sort = match given(&self.sort) {
            None | Some("created") => TokenSort::Created,
            Some("last_used") => TokenSort::LastUsed,
            Some(_) => return Err(AppError::invalid("sort", "sort is created or last_used")),
        };
        Ok(Filter {
            account_id: account_filter(&self.account_id, "account_id")?,
            username: given(&self.user)
                .map(|name| {
                    Username::parse(name)
                        .map(|u| u.as_str().to_owned())
                        .map_err(|_| {
                            AppError::invalid(
                                "user",
                                "user is a username: letters, digits, “.”, “_” or “-”",
                            )
                        })
                })
                .transpose()?,
            status,
            sort,
            paging: self.paging.check()?,
        })
    }
}

/// A page of tokens and the usernames of their owners.
async fn load(
    state: &AppState,
    filter: &Filter,
) -> Result<(Paged<TokenView>, Vec<(String, String)>), AppError> {
    let paging = filter.paging;
    let (account_id, status, sort) = (filter.account_id.clone(), filter.status, filter.sort);
    let username = filter.username.clone();
    let now = db::now();
    let (rows, total, owners) = state
        .db
        .run(move |conn| {
            let found = match (&account_id, &username) {
                (Some(public), _) => Some(accounts::find_by_account_id(conn, public)?),
                (None, Some(name)) => Some(accounts::find_by_username(conn, name)?),
                (None, None) => None,
            };
            let owner = match found {
                Some(Some(account)) => Some(account.id),
                // Nobody by that id or name holds any token.
                Some(None) => return Ok((Vec::new(), 0, Vec::new())),
                None => None,
            };
            let (rows, total) = token_db::list_all(
                conn,
                &TokenFilter { owner, status },
                sort,
                now,
                paging.offset(),
                paging.per_page,
            )?;
            let mut ids: Vec<String> = rows.iter().map(|(_, owner)| owner.clone()).collect();
            ids.sort();
            ids.dedup();
            let owners = accounts::usernames(conn, &ids)?;
            Ok((rows, total, owners))
        })
        .await?;
    let list = Paged {
        items: rows
            .iter()
            .map(|(t, owner)| TokenView::new(t, owner, now))
            .collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    };
    Ok((list, owners))
}

/// `GET /admin/tokens.json`.
#[utoipa::path(get, path = "/admin/tokens.json", tag = "admin",
    description = "Every account's tokens.",
    params(
        PageQuery,
        ("account_id" = Option<String>, Query, description = "only this account's", pattern = "^\\s*([A-Za-z0-9_-]{1,64})?\\s*$"),
        ("user" = Option<String>, Query, description = "only the tokens of the account with this username", pattern = "^\\s*([A-Za-z0-9._-]{1,64})?\\s*$"),
        ("status" = Option<String>, Query, description = "blank: any status", pattern = "^\\s*(active|deactivated|expired)?\\s*$"),
        ("sort" = Option<String>, Query, description = "blank: created", pattern = "^\\s*(created|last_used)?\\s*$"),
    ),
    responses((status = 200, body = Paged<TokenView>)),
    security(("admin:read" = [])))]
pub async fn list_json(cx: Ctx, _: Need<scope::AdminRead>) -> JsonResult<Paged<TokenView>> {
    let filter = query::<TokensQuery>(&cx.req)?.check()?;
    Ok(Json(load(&cx.state, &filter).await?.0))
}

/// `GET /admin/tokens`.
pub async fn list_page(cx: Ctx, user: AdminPage) -> Result<HttpResponse, AppError> {
    let filter = query::<TokensQuery>(&cx.req)?.check()?;
    let (list, owners) = load(&cx.state, &filter).await?;
    let account_id = filter.account_id.clone().unwrap_or_default();
    let username = filter.username.clone().unwrap_or_default();
    let status = filter.status.map_or("", TokenStatus::as_str);
    let sort = match filter.sort {
        TokenSort::Created => "created",
        TokenSort::LastUsed => "last_used",
    };
    let pager = Pager::new(
        &list,
        "/admin/tokens",
        &[
            ("account_id", &account_id),
            ("user", &username),
            ("status", status),
            ("sort", sort),
        ],
    );
    let next = match cx.req.query_string() {
        "" => "/admin/tokens".to_owned(),
        q => format!("/admin/tokens?{q}"),
    };
    let ctx = page_ctx("title-all-tokens", &cx.session, &user);
    let tr = ctx.tr();
    let page = TokensPage {
        list,
        pager,
        account_id,
        username,
        statuses: Choice::list(
            &[
                ("", tr.t("admin-any-status")),
                ("active", tr.t("list-active")),
                ("deactivated", tr.t("list-deactivated")),
                ("expired", tr.t("list-expired")),
            ],
            status,
        ),
        sorts: Choice::list(
            &[
                ("created", tr.t("admin-sort-newest")),
                ("last_used", tr.t("admin-sort-recent")),
            ],
            sort,
        ),
        ctx,
        owners,
        next,
    };
    html(StatusCode::OK, &page)
}

/// `DELETE /admin/tokens/{id}.json`: 204.
#[utoipa::path(delete, path = "/admin/tokens/{id}.json", tag = "admin",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "deleted; it stops working at once")),
    security(("admin:write" = [])))]
pub async fn delete_json(
    state: web::Data<AppState>,
    caller: Need<scope::AdminWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = token_id(&id)?;
    change_token(&state, &caller.caller, Reach::Any, id, TokenChange::Delete).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/tokens/{id}/deactivate.json` and `activate.json`: the token
/// as it is now.
#[utoipa::path(post, path = "/admin/tokens/{id}/{action}.json", tag = "admin",
    params(("id" = i64, Path, minimum = 1), ("action" = Activation, Path)),
    responses((status = 200, body = TokenView)),
    security(("admin:write" = [])))]
pub async fn activation_json(
    state: web::Data<AppState>,
    caller: Need<scope::AdminWrite>,
    path: web::Path<(String, Activation)>,
) -> Result<Json<TokenView>, AppError> {
    let (raw_id, action) = path.into_inner();
    let id = token_id(&raw_id)?;
    let token = change_token(&state, &caller.caller, Reach::Any, id, action.into()).await?;
    Ok(Json(token))
}

/// The `next` of a token button: a form field, or the action's query.
#[derive(Debug, Default, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `POST /admin/tokens/{id}/{deactivate|activate|delete}`, then 303 back to
/// the admin page the button was on. A deletion without `confirmed=yes`
/// (no JavaScript to ask) gets a confirmation page first.
pub async fn action_form(
    Ctx {
        req,
        session,
        state,
    }: Ctx,
    path: web::Path<(String, TokenChange)>,
    CsrfForm { user, form }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, change) = path.into_inner();
    let id = token_id(&raw_id)?;
    let from_query: NextQuery = query(&req).unwrap_or_default();
    let next = safe_next(form.get("next").or(from_query.next.as_deref())).to_owned();
    if change == TokenChange::Delete && !confirmed(&form) {
        let mut back = form_urlencoded::Serializer::new(String::new());
        back.append_pair("next", &next);
        let action = format!("/admin/tokens/{id}/delete?{}", back.finish());
        let ctx = page_ctx("title-delete-token", &session, &user);
        return confirm_delete(&state, Reach::Any, id, ctx, action, next).await;
    }
    let token = change_token(&state, &user.0.0, Reach::Any, id, change).await?;
    Flash::set(
        &session,
        "success",
        tr(&user).ta(
            &format!("admin-flash-token-{}", change.done()),
            &[("label", token.label), ("prefix", token.prefix)],
        ),
    );
    Ok(see_other(&next))
}
