//! The account's own JSON: `GET`/`PATCH /profile.json` and
//! `GET /profile/sessions.json`.

use actix_web::HttpRequest;
use actix_web::web::Json;
use serde::Deserialize;

use crate::accounts::DisplayName;
use crate::auth::{Need, NeedJson, scope};
use crate::db::models::sessions;
use crate::error::AppError;
use crate::preferences::{self, Changes, Choices, Notifications, Zone, browser_language};
use crate::routes::{Ctx, JsonResult};
use crate::views::profile::{ProfileView, SessionList, SessionView};

/// `GET /profile.json`.
#[utoipa::path(get, path = "/profile.json", tag = "profile",
    responses((status = 200, body = ProfileView)),
    security(("profile:read" = [])))]
pub async fn profile_json(req: HttpRequest, caller: Need<scope::ProfileRead>) -> Json<ProfileView> {
    Json(ProfileView::new(
        &caller.caller.account,
        browser_language(&req),
    ))
}

/// What `PATCH /profile.json` may change; absent fields stay as they are.
/// The email address is not among them: it is used only once its owner
/// follows a link mailed to it (the Details form).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProfileChanges)]
pub struct ProfilePatch {
    /// At most 100 characters; blank: the username.
    #[schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub display_name: Option<String>,
    /// An IANA time zone name.
    #[schema(value_type = Option<TimeZoneName>, example = "Europe/Amsterdam")]
    pub time_zone: Option<String>,
    /// `en` or `nl`.
    #[schema(value_type = Option<String>, pattern = "^\\s*(en|nl)\\s*$", example = "nl")]
    pub language: Option<String>,
    /// All five, each true or false.
    pub notifications: Option<Notifications>,
    /// Refused: an address needs its owner to follow the link.
    #[schema(value_type = Option<String>, read_only)]
    pub email: Option<serde_json::Value>,
}

/// The time zones tessera knows, by their IANA names, for the OpenAPI
/// document.
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Zone::names()))
            .description(Some("An IANA time zone name."))
            .into()
    }
}

impl utoipa::ToSchema for TimeZoneName {}

impl ProfilePatch {
    /// Checks every field against the account as it is.
    fn check(self, account: &crate::db::models::accounts::Account) -> Result<Changes, AppError> {
        if self.email.is_some() {
            return Err(AppError::invalid(
                "email",
                "an email address is changed with the Details form of Account Preferences, which mails a link to confirm it",
            ));
        }
        let display_name = self
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?;
        let wants_choices =
            self.time_zone.is_some() || self.language.is_some() || self.notifications.is_some();
        let choices = if wants_choices {
            let zone = match &self.time_zone {
                Some(z) => Zone::parse(z)?,
                None => Zone::of(account),
            };
            let language = match &self.language {
                Some(l) => Some(preferences::parse_language(l)?),
                None => account
                    .language
                    .as_deref()
                    .and_then(|l| preferences::parse_language(l).ok()),
            };
            Some(Choices {
                zone,
                language,
                notifications: self
                    .notifications
                    .unwrap_or_else(|| Notifications::from_stored(&account.notifications)),
            })
        } else {
            None
        };
        Ok(Changes {
            display_name,
            choices,
        })
    }
}

/// `PATCH /profile.json`.
#[utoipa::path(patch, path = "/profile.json", tag = "profile",
    request_body = ProfilePatch,
    responses((status = 200, body = ProfileView)),
    security(("profile:write" = [])))]
pub async fn patch_profile(
    cx: Ctx,
    caller: NeedJson<scope::ProfileWrite, ProfilePatch>,
) -> JsonResult<ProfileView> {
    let account = caller.caller.account.clone();
    let changes = caller.body.check(&account)?;
    let account = cx
        .state
        .db
        .run(move |conn| preferences::change(conn, &account, changes))
        .await?;
    Ok(Json(ProfileView::new(&account, browser_language(&cx.req))))
}

/// `GET /profile/sessions.json`: the account's signed-in browsers.
#[utoipa::path(get, path = "/profile/sessions.json", tag = "profile",
    responses((status = 200, body = SessionList)),
    security(("profile:read" = [])))]
pub async fn sessions_json(cx: Ctx, caller: Need<scope::ProfileRead>) -> JsonResult<SessionList> {
    let current = caller.caller.session_id();
    let id = caller.caller.account.id;
    let rows = cx
        .state
        .db
        .run(move |conn| Ok(sessions::list_for_account(conn, id, crate::db::now())?))
        .await?;
    Ok(Json(SessionList {
        sessions: rows.iter().map(|r| SessionView::new(r, current)).collect(),
    }))
}
