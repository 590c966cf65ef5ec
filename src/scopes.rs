//! Application scopes (SPEC section 8): created and deleted by admins, and
//! capped at request time by the roles that may grant them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actions::{Actor, record_detail};
use crate::db::models::app_scopes::{self as scope_db, AppScopeRow};
use crate::db::models::audit::Event;
use crate::db::{self, Db, DbConn};
use crate::error::AppError;
use crate::tokens::{Role, Scope, ScopeSet, is_app_scope_name};

/// How long an instance trusts its copy of the roles that may grant each
/// application scope; as long as the read cache trusts a token's row.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// Each application scope's name and the roles that may grant it.
type RolesByScope = Arc<HashMap<String, Vec<Role>>>;

/// The roles that may grant each application scope, as this instance last
/// read them, and when.
#[derive(Default)]
pub struct GrantableRoles {
    read: RwLock<Option<(Instant, RolesByScope)>>,
}

impl GrantableRoles {
    /// What `held` allows an owner of `role` now: the built-in scopes the
    /// role allows, and the application scopes it may grant. Tokens without
    /// application scopes never reach the database here.
    pub async fn effective(
        &self,
        db: &Db,
        held: &ScopeSet,
        role: Role,
    ) -> Result<ScopeSet, AppError> {
        let by_role = ScopeSet::for_role(role);
        if held.app().is_empty() {
            return Ok(held.intersect(&by_role));
        }
        let roles = self.current(db).await?;
        Ok(held.restrict(&by_role, |name| {
            roles.get(name).is_some_and(|r| r.contains(&role))
        }))
    }

    /// The application scopes `role` may grant, with their descriptions.
    pub async fn grantable(&self, db: &Db, role: Role) -> Result<Vec<AppScopeRow>, AppError> {
        let rows = db.run(|conn| Ok(scope_db::list(conn)?)).await?;
        Ok(rows
            .into_iter()
            .filter(|r| grantable_by(&r.grantable_by).contains(&role))
            .collect())
    }

    async fn current(&self, db: &Db) -> Result<RolesByScope, AppError> {
        if let Some((at, roles)) = &*self.read.read().unwrap_or_else(|e| e.into_inner())
            && at.elapsed() < FRESH_FOR
        {
            return Ok(roles.clone());
        }
        let rows = db.run(|conn| Ok(scope_db::list(conn)?)).await?;
        let roles: Arc<HashMap<_, _>> = Arc::new(
            rows.into_iter()
                .map(|r| {
                    let roles = grantable_by(&r.grantable_by);
                    (r.name, roles)
                })
                .collect(),
        );
        *self.read.write().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), roles.clone()));
        Ok(roles)
    }

    /// Forgets the copy, after this instance changed the scopes.
    pub fn forget(&self) {
        *self.read.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

fn grantable_by(stored: &str) -> Vec<Role> {
    stored.split_whitespace().filter_map(Role::parse).collect()
}

/// A scope as the admin pages and `GET /admin/scopes.json` show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopeView {
    /// `service:action`, or a built-in name.
    #[schema(example = "billing:read")]
    pub name: String,
    pub description: String,
    #[schema(example = json!(["user", "admin"]))]
    pub grantable_by: Vec<&'static str>,
    pub builtin: bool,
    /// How many tokens hold it.
    pub token_count: i64,
}

/// `{"items": [..]}`: built-in scopes first, then application scopes by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeList {
    pub items: Vec<ScopeView>,
}

/// Every scope, built-in and application, with how many tokens hold each.
pub fn list(conn: &mut DbConn) -> Result<ScopeList, AppError> {
    let rows = scope_db::list(conn)?;
    let mut counts: HashMap<String, i64> = HashMap::new();
    for stored in scope_db::token_scopes(conn)? {
        for name in stored.split_whitespace() {
            *counts.entry(name.to_owned()).or_default() += 1;
        }
    }
    let count = |name: &str| counts.get(name).copied().unwrap_or(0);
    let builtin = Scope::ALL.into_iter().map(|s| ScopeView {
        name: s.as_str().to_owned(),
        description: builtin_description(s).to_owned(),
        grantable_by: if s.admin_only() {
            vec!["admin"]
        } else {
            vec!["user", "admin"]
        },
        builtin: true,
        token_count: count(s.as_str()),
    });
    let app = rows.into_iter().map(|r| ScopeView {
        token_count: count(&r.name),
        grantable_by: grantable_by(&r.grantable_by)
            .into_iter()
            .map(Role::as_str)
            .collect(),
        name: r.name,
        description: r.description,
        builtin: false,
    });
    Ok(ScopeList {
        items: builtin.chain(app).collect(),
    })
}

pub fn builtin_description(scope: Scope) -> &'static str {
    match scope {
        Scope::ProfileRead => "Read your account details",
        Scope::ProfileWrite => "Change your display name, time zone, language and notifications",
        Scope::TokensRead => "List your tokens",
        Scope::TokensWrite => "Create, deactivate and delete your tokens",
        Scope::AdminRead => "Read every account, token and the audit log",
        Scope::AdminWrite => "Manage every account and token",
        Scope::Introspect => "Ask whether a token is valid (RFC 7662)",
        Scope::MetricsRead => "Read the server's metrics",
    }
}

/// What an admin asks for when creating a scope (JSON, and the form's
/// fields of the same names).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScope {
    /// `service:action`; not a built-in scope's name.
    #[schema(required = true, value_type = String, example = "billing:read",
        pattern = "^[a-z][a-z0-9_-]{0,31}:[a-z][a-z0-9_.-]{0,31}$")]
    pub name: Option<String>,
    /// Shown beside the scope on the generate form.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// The roles that may put the scope on a token; both when absent.
    #[schema(value_type = Option<Vec<RoleName>>, min_items = 1, example = json!(["user", "admin"]))]
    pub grantable_by: Option<Vec<String>>,
}

/// A role's name.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // only describes the strings in the OpenAPI document
pub enum RoleName {
    User,
    Admin,
}

const MAX_DESCRIPTION: usize = 200;

impl NewScope {
    /// The row to insert, or the first field that is wrong.
    fn check(&self) -> Result<AppScopeRow, AppError> {
        let name = self.name.as_deref().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            return Err(AppError::invalid(
                "name",
                "give the scope a name, like billing:read",
            ));
        }
        if Scope::parse(name).is_some() {
            return Err(AppError::taken(
                "name",
                format!("{name} is a built-in scope; choose another name"),
            ));
        }
        if !is_app_scope_name(name) {
            return Err(AppError::invalid(
                "name",
                "a scope name is service:action: lowercase letters, digits, _ and - (and . after the colon), each part starting with a letter and at most 32 characters, like billing:read",
            ));
        }
        let description = self
            .description
            .as_deref()
            .map(str::trim)
            .unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(AppError::invalid(
                "description",
                format!("at most {MAX_DESCRIPTION} characters"),
            ));
        }
        let roles = match &self.grantable_by {
            None => vec![Role::User, Role::Admin],
            Some(names) => {
                let mut roles = Vec::new();
                for n in names {
                    let role = Role::parse(n).ok_or_else(|| {
                        AppError::invalid(
                            "grantable_by",
                            format!("unknown role {n:?}; roles are user and admin"),
                        )
                    })?;
                    if !roles.contains(&role) {
                        roles.push(role);
                    }
                }
                if roles.is_empty() {
                    return Err(AppError::invalid(
                        "grantable_by",
                        "choose at least one role that may grant the scope",
                    ));
                }
                roles.sort_by_key(|r| *r == Role::Admin);
                roles
            }
        };
        Ok(AppScopeRow {
            name: name.to_owned(),
            description: description.to_owned(),
            grantable_by: roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            created_at: db::now(),
        })
    }
}

/// Creates an application scope; 409 when the name is taken or built in.
pub fn create(conn: &mut DbConn, spec: &NewScope, actor: Actor<'_>) -> Result<ScopeView, AppError> {
    let row = spec.check()?;
    db::write_transaction::<_, AppError, _>(conn, |conn| {
        match scope_db::insert(conn, &row) {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(AppError::taken(
                    "name",
                    format!("the scope {} already exists", row.name),
                ));
            }
            other => other?,
        }
        record_detail(
            conn,
            Event::ScopeCreated,
            actor,
            None,
            None,
            Some(&row.name),
        )
    })?;
    Ok(ScopeView {
        grantable_by: grantable_by(&row.grantable_by)
            .into_iter()
            .map(Role::as_str)
            .collect(),
        name: row.name,
        description: row.description,
        builtin: false,
        token_count: 0,
    })
}

/// Deletes an application scope and takes it from every token, in one
/// transaction; the number of tokens touched. 409 for a built-in name, 404
/// for an unknown one.
pub fn delete(conn: &mut DbConn, name: &str, actor: Actor<'_>) -> Result<usize, AppError> {
    if Scope::parse(name).is_some() {
        return Err(AppError::taken(
            "name",
            format!("{name} is a built-in scope and cannot be deleted"),
        ));
    }
    db::write_transaction::<_, AppError, _>(conn, |conn| {
        if scope_db::find(conn, name)?.is_none() {
            return Err(AppError::NotFound);
        }
        let touched = scope_db::delete(conn, name)?;
        record_detail(
            conn,
            Event::ScopeDeleted,
            actor,
            None,
            None,
            Some(&format!("{name}: taken from {touched} tokens")),
        )?;
        Ok(touched)
    })
}

/// Checks the application scopes of a new token's `scopes`: each must
/// exist and be grantable by `role`.
pub fn check_grantable(conn: &mut DbConn, scopes: &ScopeSet, role: Role) -> Result<(), AppError> {
    for name in scopes.app() {
        let row = scope_db::find(conn, name)?;
        match row {
            None => {
                return Err(AppError::invalid(
                    "scopes",
                    format!(
                        "unknown scope {name:?}; an admin creates application scopes at /admin/scopes"
                    ),
                ));
            }
            Some(row) if !grantable_by(&row.grantable_by).contains(&role) => {
                return Err(AppError::forbidden(
                    Some("scopes"),
                    format!("your role may not grant the scope {name}"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
