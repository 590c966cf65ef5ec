//! A token's own page and its forms: edit, regenerate, and revoking every
//! token of an account (the owner's, and an admin's per user).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};

use crate::actions::Reach;
use crate::auth::guards::{AdminPage, CsrfForm, SignedIn};
use crate::error::AppError;
use crate::extract::FormBody;
use crate::lifecycle::{RegenerateRequest, TokenEdit};
use crate::preferences::Zone;
use crate::restrictions::AllowedIps;
use crate::routes::admin::page_ctx;
use crate::routes::lifecycle::{account, delete_all, detail_of, edit_token, regenerate_token};
use crate::routes::preferences::{REVEAL_KEY, confirmed, parse_whole};
use crate::routes::tokens::token_id;
use crate::routes::{Ctx, html, see_other};
use crate::views::page::{FieldErrors, Flash, PageCtx};
use crate::views::profile::Reveal;
use crate::views::token_page::{ConfirmDeleteAllPage, TokenPage};

/// `GET /profile/tokens/{id}`: the owner's view, with its forms.
pub async fn show(
    Ctx { session, state, .. }: Ctx,
    user: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let reach = Reach::Own(user.0.account.id);
    let (detail, _) = detail_of(&state, reach, token_id(&id)?).await?;
    let ctx = PageCtx::signed_in("title-token", "profile", &session, &user)
        .retitled(|tr| tr.t1("title-token-named", "label", &detail.token.label));
    html(StatusCode::OK, &TokenPage::new(ctx, detail, None))
}

/// `GET /admin/tokens/{id}`: anyone's token, read-only, with its owner.
pub async fn admin_show(
    Ctx { session, state, .. }: Ctx,
    admin: AdminPage,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (detail, owner) = detail_of(&state, Reach::Any, token_id(&id)?).await?;
    let ctx = page_ctx("title-token", &session, &admin)
        .retitled(|tr| tr.t1("title-token-named", "label", &detail.token.label));
    html(StatusCode::OK, &TokenPage::new(ctx, detail, Some(owner)))
}

/// The edit form as a [`TokenEdit`]: every field is sent, so each is
/// present, except an expiry date left as it was shown.
fn edit_of(form: &FormBody) -> Result<TokenEdit, AppError> {
    let expires = form.get("expires_at").unwrap_or("").trim();
    let was = form.get("expires_was").unwrap_or("").trim();
    let rate = parse_whole(
        form.get("rate_limit_per_minute").unwrap_or("").trim(),
        "rate_limit_per_minute",
        "a rate limit is a whole number of requests per minute, or blank for none",
    )?;
    Ok(TokenEdit {
        label: Some(form.get("label").unwrap_or("").to_owned()),
        description: Some(form.get("description").unwrap_or("").to_owned()),
        scopes: Some(form.all("scopes")),
        // A date is the start of that day (UTC).
        expires_at: (expires != was && !expires.is_empty())
            .then(|| Some(format!("{expires}T00:00:00Z"))),
        allowed_ips: Some(
            AllowedIps::split_text(form.get("allowed_ips").unwrap_or(""))
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
        // Blank: no limit.
        rate_limit_per_minute: Some(rate),
    })
}

/// `POST /profile/tokens/{id}/edit`.
pub async fn edit_form(
    Ctx { session, state, .. }: Ctx,
    id: web::Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let id = token_id(&id)?;
    let reach = Reach::Own(user.0.account.id);
    let edited = match edit_of(&form) {
        Ok(edit) => edit_token(&state, &user.0, reach, id, edit).await,
        Err(e) => Err(e),
    };
    match edited {
        Ok(token) => {
            Flash::set(
                &session,
                "success",
                crate::i18n::Tr(crate::views::page::language(&user)).t1(
                    "flash-token-saved",
                    "label",
                    &token.label,
                ),
            );
            Ok(see_other(&format!("/profile/tokens/{id}")))
        }
        Err(e @ AppError::Invalid { .. }) => {
            let (detail, _) = detail_of(&state, reach, id).await?;
            let ctx = PageCtx::signed_in("title-edit-token", "profile", &session, &user);
            let mut page = TokenPage::new(ctx, detail, None);
            page.edit.label = form.get("label").unwrap_or("").to_owned();
            page.edit.description = form.get("description").unwrap_or("").to_owned();
            page.edit.allowed_ips = form.get("allowed_ips").unwrap_or("").to_owned();
            page.edit.rate_limit_per_minute =
                form.get("rate_limit_per_minute").unwrap_or("").to_owned();
            page.edit.errors = FieldErrors::new(
                std::slice::from_ref(&e),
                &[
                    "label",
                    "description",
                    "scopes",
                    "expires_at",
                    "allowed_ips",
                    "rate_limit_per_minute",
                ],
            );
            html(e.status_code(), &page)
        }
        Err(e) => Err(e),
    }
}

/// `POST /profile/tokens/{id}/regenerate`: the new secret is shown once,
/// in the same dialog as a new token's, on Account Preferences.
pub async fn regenerate_form(
    Ctx { session, state, .. }: Ctx,
    id: web::Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let id = token_id(&id)?;
    let grace = form.get("grace_period_hours").unwrap_or("0");
    let request = RegenerateRequest {
        grace_period_hours: Some(grace.parse().map_err(|_| {
            AppError::invalid("grace_period_hours", "choose how long the old secret works")
        })?),
        expires_in_hours: None,
    };
    let created = regenerate_token(&state, &user.0, id, request).await?;
    let tr = crate::i18n::Tr(crate::views::page::language(&user));
    let label = &created.token.label;
    let message = match &created.token.previous_secret_valid_until {
        Some(until) => tr.t2(
            "flash-token-regenerated-grace",
            "label",
            label,
            "until",
            crate::views::page::human_date_in(until, &Zone::of(&user.0.account), tr),
        ),
        None => tr.t1("flash-token-regenerated", "label", label),
    };
    session
        .insert(
            REVEAL_KEY,
            Reveal {
                secret: created.secret,
                account_id: created.account_id,
            },
        )
        .map_err(|e| AppError::Internal(format!("session: {e}")))?;
    Flash::set(&session, "success", message);
    Ok(see_other("/profile"))
}

/// `POST /profile/tokens/delete-all`: after a confirmation (the page
/// without JavaScript, a dialog with it).
pub async fn delete_all_form(
    Ctx { session, state, .. }: Ctx,
    CsrfForm { user, form }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let caller = &user.0;
    if !confirmed(&form) {
        let count = state.db.tokens_of(caller.account.id).await?.rows.len();
        let page = ConfirmDeleteAllPage {
            ctx: PageCtx::signed_in("title-delete-all", "profile", &session, &user),
            count,
            // Empty: "your account", in the page's language.
            whose: String::new(),
            action: "/profile/tokens/delete-all".into(),
            cancel: "/profile".into(),
        };
        return html(StatusCode::OK, &page);
    }
    let deleted = delete_all(&state, caller, (*caller.account).clone()).await?;
    Flash::set(
        &session,
        "success",
        deleted_message(
            deleted,
            crate::i18n::Tr(crate::views::page::language(&user)),
        ),
    );
    Ok(see_other("/profile"))
}

fn deleted_message(n: usize, tr: crate::i18n::Tr) -> String {
    tr.t1("flash-tokens-deleted", "n", n)
}

/// `POST /admin/users/{account_id}/tokens/delete-all`.
pub async fn admin_delete_all_form(
    Ctx { session, state, .. }: Ctx,
    account_id: web::Path<String>,
    CsrfForm { user, form }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let owner = account(&state, account_id.into_inner()).await?;
    let back = format!("/admin/users/{}", owner.account_id);
    if !confirmed(&form) {
        let count = state.db.tokens_of(owner.id).await?.rows.len();
        let page = ConfirmDeleteAllPage {
            ctx: page_ctx("title-delete-all", &session, &user),
            count,
            whose: owner.username.clone(),
            action: format!("{back}/tokens/delete-all"),
            cancel: back,
        };
        return html(StatusCode::OK, &page);
    }
    let deleted = delete_all(&state, &user.0.0, owner).await?;
    Flash::set(
        &session,
        "success",
        deleted_message(
            deleted,
            crate::i18n::Tr(crate::views::page::language(&user.0)),
        ),
    );
    Ok(see_other(&back))
}
