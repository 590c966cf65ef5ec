//! `/admin/users...`: every account; creating accounts, changing their role,
//! deactivating and activating them.

use actix_web::http::StatusCode;
use actix_web::web::{self, Json};
use actix_web::{HttpResponse, ResponseError};
use serde::Deserialize;

use crate::accounts::{DisplayName, Username};
use crate::actions::{self, AccountAction, AccountChange, Activation, Actor};
use crate::auth::guards::{AdminPage, CsrfForm};
use crate::auth::{Caller, Need, NeedJson, scope};
use crate::db::models::{accounts, tokens as token_db};
use crate::db::{self};
use crate::error::AppError;
use crate::routes::admin::{PageQuery, Paging, account_id, given, page_ctx, query, tr};
use crate::routes::{Ctx, JsonResult, html, no_store_json, see_other};
use crate::state::AppState;
use crate::tokens::Role;
use crate::views::admin::{
    AccountDetail, AccountForm, AccountView, CreatedAccount, Paged, Pager, PasswordReveal,
    UserPage, UsersPage, role_key,
};
use crate::views::messages::field_message;
use crate::views::page::{FieldErrors, Flash};
use crate::views::tokens::TokenView;

pub(crate) const REVEAL_KEY: &str = "admin_password_reveal";

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    pub q: Option<String>,
    #[serde(flatten)]
    pub paging: PageQuery,
}

struct UsersFilter {
    search: Option<String>,
    paging: Paging,
}

impl UsersQuery {
    fn check(&self) -> Result<UsersFilter, AppError> {
        let search = given(&self.q).map(str::to_owned);
        if search
            .as_ref()
            .is_some_and(|s| s.chars().count() > 64 || s.chars().any(char::is_control))
        {
            return Err(AppError::invalid(
                "q",
                "search for part of a username: at most 64 characters, no control characters",
            ));
        }
        Ok(UsersFilter {
            search,
            paging: self.paging.check()?,
        })
    }
}

async fn load_users(state: &AppState, filter: UsersFilter) -> Result<Paged<AccountView>, AppError> {
    let paging = filter.paging;
    let (rows, total) = state
        .db
        .run(move |conn| {
            Ok(accounts::list_with_token_counts(
                conn,
                filter.search.as_deref(),
                paging.offset(),
                paging.per_page,
            )?)
        })
        .await?;
    Ok(Paged {
        items: rows.iter().map(|(a, n)| AccountView::new(a, *n)).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

async fn users_page(cx: &Ctx, user: &AdminPage, form: AccountForm) -> Result<UsersPage, AppError> {
    let filter = query::<UsersQuery>(&cx.req)?.check()?;
    let q = filter.search.clone().unwrap_or_default();
    let list = load_users(&cx.state, filter).await?;
    Ok(UsersPage {
        ctx: page_ctx("title-users", &cx.session, user),
        pager: Pager::new(&list, "/admin/users", &[("q", &q)]),
        list,
        q,
        form,
    })
}

/// `GET /admin/users.json`.
#[utoipa::path(get, path = "/admin/users.json", tag = "admin",
    description = "Every account, by username; `q` matches part of a username.",
    params(
        PageQuery,
        ("q" = Option<String>, Query, max_length = 64, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"),
    ),
    responses((status = 200, body = Paged<AccountView>)),
    security(("admin:read" = [])))]
pub async fn list_json(cx: Ctx, _: Need<scope::AdminRead>) -> JsonResult<Paged<AccountView>> {
    let filter = query::<UsersQuery>(&cx.req)?.check()?;
    Ok(Json(load_users(&cx.state, filter).await?))
}

/// `GET /admin/users`.
pub async fn list_page(cx: Ctx, user: AdminPage) -> Result<HttpResponse, AppError> {
    let form = AccountForm {
        role: "user".into(),
        ..AccountForm::default()
    };
    html(StatusCode::OK, &users_page(&cx, &user, form).await?)
}

async fn load_detail(state: &AppState, raw_id: String) -> Result<AccountDetail, AppError> {
    let account_id = account_id(&raw_id)?;
    let (account, tokens) = state
        .db
        .run(move |conn| {
            let account =
                accounts::find_by_account_id(conn, &account_id)?.ok_or(AppError::NotFound)?;
            let tokens = token_db::list_for_account(conn, account.id)?;
            Ok((account, tokens))
        })
        .await?;
    let now = db::now();
    Ok(AccountDetail {
        account: AccountView::new(&account, tokens.len() as i64),
        tokens: tokens
            .iter()
            .map(|t| TokenView::new(t, &account.account_id, now))
            .collect(),
    })
}

/// `GET /admin/users/{account_id}.json`.
#[utoipa::path(get, path = "/admin/users/{account_id}.json", tag = "admin",
    params(("account_id" = String, Path)),
    responses((status = 200, body = AccountDetail)),
    security(("admin:read" = [])))]
pub async fn show_json(
    state: web::Data<AppState>,
    _caller: Need<scope::AdminRead>,
    path: web::Path<String>,
) -> Result<Json<AccountDetail>, AppError> {
    Ok(Json(load_detail(&state, path.into_inner()).await?))
}

async fn user_page(cx: &Ctx, user: &AdminPage, account_id: String) -> Result<UserPage, AppError> {
    let (session, state) = (&cx.session, &cx.state);
    let detail = load_detail(state, account_id).await?;
    // The password is shown once, on its account's page: the first admin
    // page of that account after the post that made it.
    let reveal = crate::views::page::take::<PasswordReveal>(session, REVEAL_KEY)
        .filter(|r| r.account_id == detail.account.account_id);
    Ok(UserPage {
        ctx: page_ctx("title-users", session, user).retitled(|_| detail.account.username.clone()),
        is_self: detail.account.account_id == user.0.0.account.account_id,
        next: format!("/admin/users/{}", detail.account.account_id),
        detail,
        reveal,
    })
}

/// `GET /admin/users/{account_id}`.
pub async fn show_page(
    cx: Ctx,
    user: AdminPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = user_page(&cx, &user, path.into_inner()).await?;
    html(StatusCode::OK, &page)
}

/// `POST /admin/users.json` and the form: `{"username", "display_name",
/// "role"}`; the role defaults to `user`. Unknown fields are refused, as
/// for tokens: a misspelt `rol` must not quietly make a plain user.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAccount)]
pub struct AccountRequest {
    /// Unique; 1-64 characters of `A-Z a-z 0-9 . _ -`.
    #[schema(required = true, value_type = String, pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub username: Option<String>,
    /// At most 100 characters; the username when absent.
    #[schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub display_name: Option<String>,
    /// `user` when absent.
    #[schema(value_type = Option<String>, pattern = "^\\s*(user|admin)?\\s*$", example = "user")]
    pub role: Option<String>,
}

/// `{"role": "user" | "admin"}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RoleChange)]
pub struct RoleRequest {
    #[schema(required = true, value_type = String, pattern = "^\\s*(user|admin)\\s*$", example = "admin")]
    pub role: Option<String>,
}

fn parse_role(raw: Option<&str>, default: Option<Role>) -> Result<Role, AppError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(name) => Role::parse(name),
        None => default,
    }
    .ok_or_else(|| AppError::invalid("role", "the role is \"user\" or \"admin\""))
}

async fn create(
    state: &AppState,
    caller: Caller,
    request: AccountRequest,
) -> Result<(AccountView, String), AppError> {
    let role = parse_role(request.role.as_deref(), Some(Role::User))?;
    let username = Username::parse(request.username.as_deref().unwrap_or_default())?;
    let display_name = request
        .display_name
        .as_deref()
        .map(DisplayName::parse)
        .transpose()?
        .flatten();
    let cost = state.config.password_cost;
    let (account, password) = state
        .db
        .run(move |conn| {
            actions::create_account(
                conn,
                cost,
                &username,
                display_name.as_ref(),
                role,
                Actor::new(&caller.account, caller.ip.as_deref()),
            )
        })
        .await?;
    Ok((AccountView::new(&account, 0), password))
}

/// `POST /admin/users.json`: 201 with the initial password, shown once.
#[utoipa::path(post, path = "/admin/users.json", tag = "admin",
    request_body = AccountRequest,
    responses(
        (status = 201, body = CreatedAccount, description = "the account and its initial password, shown this once"),
        (status = 409, body = crate::error::ErrorBody, description = "the username is taken"),
    ),
    security(("admin:write" = [])))]
pub async fn create_json(
    state: web::Data<AppState>,
    need: NeedJson<scope::AdminWrite, AccountRequest>,
) -> Result<HttpResponse, AppError> {
    let (account, password) = create(&state, need.caller, need.body).await?;
    Ok(no_store_json(
        StatusCode::CREATED,
        &CreatedAccount { account, password },
    ))
}

/// `POST /admin/users`: the "Create account" form. On success the new
/// account's page shows the password once; on a mistake the form comes
/// back with what was typed.
pub async fn create_form(
    cx: Ctx,
    CsrfForm { user, form }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let (session, state) = (&cx.session, &cx.state);
    let request = AccountRequest {
        username: form.get("username").map(|u| u.trim().to_owned()),
        display_name: form.get("display_name").map(str::to_owned),
        role: form.get("role").map(str::to_owned),
    };
    let typed = AccountForm {
        open: true,
        username: request.username.clone().unwrap_or_default(),
        display_name: request.display_name.clone().unwrap_or_default(),
        role: request.role.clone().unwrap_or_default(),
        errors: FieldErrors::default(),
    };
    match create(state, user.0.0.clone(), request).await {
        Ok((account, password)) => {
            session
                .insert(
                    REVEAL_KEY,
                    PasswordReveal {
                        account_id: account.account_id.clone(),
                        username: account.username.clone(),
                        password,
                        reset: false,
                    },
                )
                .map_err(|e| AppError::Internal(format!("session: {e}")))?;
            Flash::set(
                session,
                "success",
                tr(&user).t1("admin-flash-account-created", "username", &account.username),
            );
            Ok(see_other(&format!("/admin/users/{}", account.account_id)))
        }
        Err(err @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let form = AccountForm {
                errors: FieldErrors::new(
                    std::slice::from_ref(&err),
                    &["username", "display_name", "role"],
                )
                .translated(tr(&user)),
                ..typed
            };
            let page = users_page(&cx, &user, form).await?;
            html(err.status_code(), &page)
        }
        Err(other) => Err(other),
    }
}

async fn change(
    state: &AppState,
    caller: Caller,
    raw_id: String,
    change: AccountChange,
) -> Result<AccountView, AppError> {
    let account_id = account_id(&raw_id)?;
    let account = state
        .db
        .run(move |conn| {
            let actor = Actor::new(&caller.account, caller.ip.as_deref());
            let account = actions::change_account(conn, &account_id, change, actor)?;
            let tokens = token_db::count_for_account(conn, account.id)?;
            Ok((account, tokens))
        })
        .await?;
    Ok(AccountView::new(&account.0, account.1))
}

/// `POST /admin/users/{account_id}/role.json`.
#[utoipa::path(post, path = "/admin/users/{account_id}/role.json", tag = "admin",
    params(("account_id" = String, Path)),
    request_body = RoleRequest,
    responses(
        (status = 200, body = AccountView),
        (status = 409, body = crate::error::ErrorBody, description = "it would leave no active admin"),
    ),
    security(("admin:write" = [])))]
pub async fn role_json(
    cx: Ctx,
    path: web::Path<String>,
    need: NeedJson<scope::AdminWrite, RoleRequest>,
) -> Result<Json<AccountView>, AppError> {
    let role = parse_role(need.body.role.as_deref(), None)?;
    let account = change(
        &cx.state,
        need.caller,
        path.into_inner(),
        AccountChange::Role(role),
    )
    .await?;
    Ok(Json(account))
}

/// `POST /admin/users/{account_id}/deactivate.json` and `activate.json`.
#[utoipa::path(post, path = "/admin/users/{account_id}/{action}.json", tag = "admin",
    description = "Deactivating signs the account out everywhere and stops its tokens at once.",
    params(("account_id" = String, Path), ("action" = Activation, Path)),
    responses(
        (status = 200, body = AccountView),
        (status = 409, body = crate::error::ErrorBody, description = "it would leave no active admin"),
    ),
    security(("admin:write" = [])))]
pub async fn activation_json(
    state: web::Data<AppState>,
    caller: Need<scope::AdminWrite>,
    path: web::Path<(String, Activation)>,
) -> Result<Json<AccountView>, AppError> {
    let (account_id, action) = path.into_inner();
    Ok(Json(
        change(&state, caller.caller, account_id, action.into()).await?,
    ))
}

/// `POST /admin/users/{account_id}/{role|deactivate|activate}`: the buttons
/// on an account's page. A refusal (the last admin) shows the page again
/// with the reason.
pub async fn change_form(
    cx: Ctx,
    path: web::Path<(String, AccountAction)>,
    CsrfForm { user, form }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let (account_id, action) = path.into_inner();
    let account_change = match action {
        AccountAction::Role => AccountChange::Role(parse_role(form.get("role"), None)?),
        AccountAction::Deactivate => AccountChange::Deactivate,
        AccountAction::Activate => AccountChange::Activate,
    };
    match change(
        &cx.state,
        user.0.0.clone(),
        account_id.clone(),
        account_change,
    )
    .await
    {
        Ok(account) => {
            let tr = tr(&user);
            let name = &account.username;
            let done = match account_change {
                AccountChange::Role(role) => tr.t2(
                    "admin-flash-role",
                    "username",
                    name,
                    "role",
                    tr.t(&role_key(role.as_str())),
                ),
                AccountChange::Deactivate => {
                    tr.t1("admin-flash-account-deactivated", "username", name)
                }
                AccountChange::Activate => tr.t1("admin-flash-account-activated", "username", name),
            };
            Flash::set(&cx.session, "success", done);
            let is_self = account.account_id == user.0.0.account.account_id;
            if is_self && (!account.is_admin() || !account.active) {
                // No longer an admin (or signed out): the admin pages are gone.
                return Ok(see_other("/profile"));
            }
            Ok(see_other(&format!("/admin/users/{}", account.account_id)))
        }
        Err(err @ AppError::Conflict(_)) => {
            let mut page = user_page(&cx, &user, account_id).await?;
            let english = err.to_string();
            page.ctx.flash = Some(Flash {
                kind: "error".into(),
                message: field_message(page.ctx.tr(), &english).unwrap_or(english),
            });
            html(err.status_code(), &page)
        }
        Err(other) => Err(other),
    }
}
