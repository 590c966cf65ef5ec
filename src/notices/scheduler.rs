//! The scheduler inside every server: every `TESSERA_NOTIFY_INTERVAL_SECONDS`
//! it makes the expiry notices now due, gives up claims that an instance
//! abandoned, and delivers what is due. Any number of instances may run
//! it on one database: `notices::deliver` claims each notice first.
//!
//! It runs on the server's own runtime and needs no stopping of its own:
//! when the server stops, the task ends at its next wait, and a notice in
//! flight is on a blocking thread that the runtime lets finish.

use std::time::Duration;

use actix_web::web;

use super::mail::Mailer;
use super::{Outcome, deliver, find_expiring};
use crate::db::models::notices as rows;
use crate::error::AppError;
use crate::state::AppState;

/// Starts the scheduler on the current runtime, if mail is set up;
/// without it, says so once in the log.
pub fn spawn(state: web::Data<AppState>) {
    let Some(settings) = state.config.mail.clone() else {
        tracing::info!(
            "mail is off: TESSERA_SMTP_URL and TESSERA_MAIL_FROM are not set, so no notices or verification links are sent"
        );
        return;
    };
    let mailer = match Mailer::new(&settings) {
        Ok(mailer) => mailer,
        Err(e) => {
            tracing::error!("mail is off: {e}");
            return;
        }
    };
    actix_web::rt::spawn(async move {
        let every = Duration::from_secs(state.config.notify_interval_secs.max(1));
        loop {
            if let Err(e) = tick(&state, &mailer).await {
                tracing::warn!("notices: {e}; trying again in {}s", every.as_secs());
            }
            actix_web::rt::time::sleep(every).await;
        }
    });
}

/// One round: due notices made, abandoned claims failed, due ones sent.
pub async fn tick(state: &web::Data<AppState>, mailer: &Mailer) -> Result<(), AppError> {
    let config = state.config.clone();
    state
        .db
        .run(move |conn| {
            let now = crate::db::now();
            let abandoned = rows::fail_abandoned(conn, now)?;
            if abandoned > 0 {
                tracing::error!(
                    "notices: {abandoned} notice(s) were being sent when their server stopped; marked failed (see /admin/notices)"
                );
            }
            find_expiring(conn, &config, now)
        })
        .await?;
    let due = state
        .db
        .run(|conn| Ok(rows::due(conn, crate::db::now(), 100)?))
        .await?;
    let backoff = time::Duration::seconds(state.config.notify_interval_secs.max(1) as i64);
    for id in due {
        let (config, mailer) = (state.config.clone(), mailer.clone());
        let outcome = state
            .db
            .run(move |conn| deliver(conn, &config, &mailer, id, backoff))
            .await?;
        match outcome {
            Outcome::Retry => tracing::warn!("notice {id}: sending failed; will try again"),
            Outcome::Failed(why) => {
                tracing::error!("notice {id}: given up after repeated failures: {why}")
            }
            Outcome::Sent | Outcome::Skipped | Outcome::Taken => {}
        }
    }
    Ok(())
}
