use crate::auth::restrict::RateLimits;
use crate::config::Config;
use crate::db::Db;
use crate::oidc::Sso;
use crate::routes::kept::KeptResponses;
use crate::scopes::GrantableRoles;
use crate::shutdown::ShutdownHooks;

/// What every handler can reach: the settings, the database, the
/// responses kept while the rows they show are current, and what must be
/// finished before the process exits.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub kept: KeptResponses,
    /// The roles that may grant each application scope.
    pub grantable: GrantableRoles,
    pub on_shutdown: ShutdownHooks,
    /// The tokens' rate limits, in process (`auth::restrict`).
    pub limits: RateLimits,
    /// Single sign-on: the provider's settings and what it published.
    pub sso: Sso,
    /// Leak reports per client address (`POST /leaks.json`).
    pub leak_limit: crate::routes::lifecycle::LeakLimiter,
}
