use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::timestamps::Stamp;

use crate::db::connection::DbConn;
use crate::db::schema::audit_events;

/// The events of SPEC §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    TokenCreated,
    TokenDeleted,
    TokenDeactivated,
    TokenActivated,
    LoginSucceeded,
    LoginFailed,
    AccountCreated,
    AccountRoleChanged,
    AccountDeactivated,
    AccountActivated,
    ScopeCreated,
    ScopeDeleted,
    TokenIpRefused,
    AccountPasswordChanged,
    AccountPasswordReset,
    AccountEmailChanged,
    TokenUpdated,
    TokenRegenerated,
    TokenLeaked,
}

impl Event {
    pub const ALL: [Event; 19] = [
        Event::TokenCreated,
        Event::TokenDeleted,
        Event::TokenDeactivated,
        Event::TokenActivated,
        Event::LoginSucceeded,
        Event::LoginFailed,
        Event::AccountCreated,
        Event::AccountRoleChanged,
        Event::AccountDeactivated,
        Event::AccountActivated,
        Event::ScopeCreated,
        Event::ScopeDeleted,
        Event::TokenIpRefused,
        Event::AccountPasswordChanged,
        Event::AccountPasswordReset,
        Event::AccountEmailChanged,
        Event::TokenUpdated,
        Event::TokenRegenerated,
        Event::TokenLeaked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::TokenCreated => "token.created",
            Event::TokenDeleted => "token.deleted",
            Event::TokenDeactivated => "token.deactivated",
            Event::TokenActivated => "token.activated",
            Event::LoginSucceeded => "login.succeeded",
            Event::LoginFailed => "login.failed",
            Event::AccountCreated => "account.created",
            Event::AccountRoleChanged => "account.role_changed",
            Event::AccountDeactivated => "account.deactivated",
            Event::AccountActivated => "account.activated",
            Event::ScopeCreated => "scope.created",
            Event::ScopeDeleted => "scope.deleted",
            Event::TokenIpRefused => "token.ip_refused",
            Event::AccountPasswordChanged => "account.password_changed",
            Event::AccountPasswordReset => "account.password_reset",
            Event::AccountEmailChanged => "account.email_changed",
            Event::TokenUpdated => "token.updated",
            Event::TokenRegenerated => "token.regenerated",
            Event::TokenLeaked => "token.leaked",
        }
    }

    /// The message in the catalogues that says the event for people
    /// ("Token created"): `admin-event-` and its code, with "-" for "."
    /// and "_".
    pub fn message_key(self) -> String {
        format!("admin-event-{}", self.as_str().replace(['.', '_'], "-"))
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub event: String,
    #[diesel(deserialize_as = Stamp)]
    pub at: PrimitiveDateTime,
    pub actor_account_id: Option<String>,
    pub target_account_id: Option<String>,
    pub token_prefix: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// One entry to record. Holds public ids and a token's prefix only: never a
/// secret.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub event: &'a str,
    pub at: PrimitiveDateTime,
    pub actor_account_id: Option<&'a str>,
    pub target_account_id: Option<&'a str>,
    pub token_prefix: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub fn record(conn: &mut DbConn, entry: &NewAuditEvent<'_>) -> QueryResult<usize> {
    diesel::insert_into(audit_events::table)
        .values(entry)
        .execute(conn)
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub event: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
}

/// One page of the log, newest first, and the number of matching entries.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<AuditEvent>, i64)> {
    let build = || {
        let mut q = audit_events::table.into_boxed();
        if let Some(e) = &filter.event {
            q = q.filter(audit_events::event.eq(e.clone()));
        }
        if let Some(a) = &filter.actor {
            q = q.filter(audit_events::actor_account_id.eq(a.clone()));
        }
        if let Some(t) = &filter.target {
            q = q.filter(audit_events::target_account_id.eq(t.clone()));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let items = build()
        .select(AuditEvent::as_select())
        .order(audit_events::id.desc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((items, total))
}
