use crate::config::Config;
use crate::db::Db;
use crate::oidc::Sso;
use crate::routes::kept::KeptResponses;
use crate::scopes::GrantableRoles;

/// What every handler can reach: the settings, the database, and the
/// responses kept while the rows they show are current.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub kept: KeptResponses,
    /// The roles that may grant each application scope.
    pub grantable: GrantableRoles,
    /// Single sign-on: the provider's settings and what it published.
    pub sso: Sso,
}
