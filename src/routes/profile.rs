use actix_web::web::Json;

use crate::auth::{Need, scope};
use crate::views::profile::ProfileView;

/// `GET /profile.json`.
#[utoipa::path(get, path = "/profile.json", tag = "profile",
    responses((status = 200, body = ProfileView)),
    security(("profile:read" = [])))]
pub async fn profile_json(caller: Need<scope::ProfileRead>) -> Json<ProfileView> {
    Json(ProfileView::new(&caller.caller.account))
}
