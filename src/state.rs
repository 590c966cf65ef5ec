use crate::config::Config;
use crate::db::Db;
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
    /// Leak reports per client address (`POST /leaks.json`).
    pub leak_limit: crate::routes::lifecycle::LeakLimiter,
}
