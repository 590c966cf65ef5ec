//! `/admin/scopes...`: the application scopes admins create for their own
//! services (SPEC section 8), beside the built-in ones.

use actix_web::HttpResponse;
use actix_web::ResponseError;
use actix_web::http::StatusCode;
use actix_web::web::{self, Json};

use crate::actions::Actor;
use crate::auth::guards::{AdminPage, CsrfForm};
use crate::auth::{Caller, Need, NeedJson, scope};
use crate::error::AppError;
use crate::routes::admin::{page_ctx, tr};
use crate::routes::{Ctx, JsonResult, html, see_other};
use crate::scopes::{self, NewScope, ScopeList, ScopeView};
use crate::state::AppState;
use crate::views::admin::{ScopeForm, ScopesPage};
use crate::views::page::{FieldErrors, Flash};

async fn load(state: &AppState) -> Result<ScopeList, AppError> {
    state.db.run(scopes::list).await
}

async fn create(state: &AppState, caller: Caller, spec: NewScope) -> Result<ScopeView, AppError> {
    let view = state
        .db
        .run(move |conn| {
            scopes::create(
                conn,
                &spec,
                Actor::new(&caller.account, caller.ip.as_deref()),
            )
        })
        .await?;
    state.grantable.forget();
    Ok(view)
}

async fn delete(state: &AppState, caller: Caller, name: String) -> Result<usize, AppError> {
    let touched = state
        .db
        .run(move |conn| {
            scopes::delete(
                conn,
                &name,
                Actor::new(&caller.account, caller.ip.as_deref()),
            )
        })
        .await?;
    state.grantable.forget();
    Ok(touched)
}

/// `GET /admin/scopes.json`.
#[utoipa::path(get, path = "/admin/scopes.json", tag = "admin",
    description = "Every scope: the built-in ones, then the application scopes by name.",
    responses((status = 200, body = ScopeList)),
    security(("admin:read" = [])))]
pub async fn list_json(
    state: web::Data<AppState>,
    _: Need<scope::AdminRead>,
) -> JsonResult<ScopeList> {
    Ok(Json(load(&state).await?))
}

/// `POST /admin/scopes.json`: 201 with the new scope.
#[utoipa::path(post, path = "/admin/scopes.json", tag = "admin",
    request_body = NewScope,
    responses(
        (status = 201, body = ScopeView),
        (status = 409, body = crate::error::ErrorBody, description = "the name is taken or built in"),
    ),
    security(("admin:write" = [])))]
pub async fn create_json(
    state: web::Data<AppState>,
    need: NeedJson<scope::AdminWrite, NewScope>,
) -> Result<HttpResponse, AppError> {
    let view = create(&state, need.caller, need.body).await?;
    Ok(HttpResponse::Created().json(view))
}

/// `DELETE /admin/scopes/{name}.json`: 204; the scope is taken from every
/// token that held it.
#[utoipa::path(delete, path = "/admin/scopes/{name}.json", tag = "admin",
    params(("name" = String, Path, example = "billing:read")),
    responses(
        (status = 204, description = "deleted, and taken from every token"),
        (status = 409, body = crate::error::ErrorBody, description = "a built-in scope"),
    ),
    security(("admin:write" = [])))]
pub async fn delete_json(
    state: web::Data<AppState>,
    caller: Need<scope::AdminWrite>,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    delete(&state, caller.caller, name.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn page(cx: &Ctx, user: &AdminPage, form: ScopeForm) -> Result<ScopesPage, AppError> {
    Ok(ScopesPage {
        ctx: page_ctx("title-scopes", &cx.session, user),
        list: load(&cx.state).await?,
        form,
    })
}

/// `GET /admin/scopes`.
pub async fn list_page(cx: Ctx, user: AdminPage) -> Result<HttpResponse, AppError> {
    html(StatusCode::OK, &page(&cx, &user, ScopeForm::fresh()).await?)
}

/// `POST /admin/scopes`: the "Create scope" form (`name`, `description`,
/// one `grantable_by` checkbox per role).
pub async fn create_form(
    cx: Ctx,
    CsrfForm { user, form }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let roles: Vec<String> = form.all("grantable_by");
    let spec = NewScope {
        name: form.get("name").map(str::to_owned),
        description: form.get("description").map(str::to_owned),
        grantable_by: Some(roles.clone()),
    };
    let typed = ScopeForm {
        open: true,
        name: spec.name.clone().unwrap_or_default(),
        description: spec.description.clone().unwrap_or_default(),
        user_may_grant: roles.iter().any(|r| r == "user"),
        admin_may_grant: roles.iter().any(|r| r == "admin"),
        errors: FieldErrors::default(),
    };
    match create(&cx.state, user.0.0.clone(), spec).await {
        Ok(view) => {
            Flash::set(
                &cx.session,
                "success",
                tr(&user).t1("admin-flash-scope-created", "name", &view.name),
            );
            Ok(see_other("/admin/scopes"))
        }
        Err(err @ (AppError::Invalid { .. } | AppError::Taken { .. })) => {
            let form = ScopeForm {
                errors: FieldErrors::new(
                    std::slice::from_ref(&err),
                    &["name", "description", "grantable_by"],
                )
                .translated(tr(&user)),
                ..typed
            };
            html(err.status_code(), &page(&cx, &user, form).await?)
        }
        Err(other) => Err(other),
    }
}

/// `POST /admin/scopes/{name}/delete`.
pub async fn delete_form(
    cx: Ctx,
    name: web::Path<String>,
    CsrfForm { user, .. }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    let touched = delete(&cx.state, user.0.0.clone(), name.clone()).await?;
    Flash::set(
        &cx.session,
        "success",
        tr(&user).t2("admin-flash-scope-deleted", "name", name, "n", touched),
    );
    Ok(see_other("/admin/scopes"))
}
