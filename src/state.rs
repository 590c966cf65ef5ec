use crate::config::Config;
use crate::db::Db;

/// What every handler can reach: the settings and the database pool.
pub struct AppState {
    pub config: Config,
    pub db: Db,
}
