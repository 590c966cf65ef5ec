//! Mail notices (SPEC §10 "Delivery"): made once, claimed in the database
//! before sending, so that two instances on one database and any number of
//! restarts send each exactly once; retried while the mail server is down;
//! failures shown to admins; never a secret in a message. Runs on SQLite,
//! and on PostgreSQL when TEST_DATABASE_URL says so.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::Value;
use tessera::actions::Actor;
use tessera::db::schema::{api_tokens, notices};
use tessera::preferences;

use crate::helpers::mail::{Mail, MailSink, OwnSink, configure, free_port, fresh_address};
use crate::helpers::{TestApp, TestUser};

/// A user whose confirmed address is `email`, as an admin would set it.
fn with_address(app: &TestApp, email: &str) -> TestUser {
    let user = app.user();
    app.with_conn(|c| {
        preferences::set_email_now(c, &user.account.account_id, Some(email), Actor::console())
            .unwrap()
    });
    user
}

/// Nothing in `mails` shows any of `secrets`.
fn no_secret_in(mails: &[Mail], secrets: &[&str]) {
    for mail in mails {
        for secret in secrets {
            assert!(!mail.raw.contains(secret), "a secret in {}", mail.raw);
            assert!(!mail.text().contains(secret));
            assert!(!mail.html().contains(secret));
        }
    }
}

/// Waits a few scheduler rounds (the interval is a second in tests).
async fn a_few_rounds() {
    tokio::time::sleep(Duration::from_secs(3)).await;
}

#[tokio::test]
async fn each_notice_arrives_once_from_two_instances_and_across_a_restart() {
    let Some(mail) = MailSink::shared("each_notice_arrives_once_from_two_instances") else {
        return;
    };
    let a = TestApp::spawn_with(|c| {
        mail.configure(c);
        c.sso.public_url = Some("https://tokens.example.com".into());
    })
    .await;
    let b = TestApp::start(a.test_db.share(), a.config.clone());
    let email = fresh_address("twice");
    let user = with_address(&a, &email);
    let boot = a.token(&user.account, &["tokens:write", "profile:read"]);
    // A token made through instance B: one "created" notice (and one for
    // the token made above).
    let made = b
        .mint(
            &boot,
            serde_json::json!({"label": "deploy <key>", "scopes": ["profile:read"]}),
        )
        .await;
    let secret = made["secret"].as_str().unwrap();
    // Tokens about to expire: made long ago, ending in 3 days, in 12 hours,
    // and one that ended an hour ago.
    let soon = a.token(&user.account, &["profile:read"]);
    let sooner = a.token(&user.account, &["profile:read"]);
    let ended = a.token(&user.account, &["profile:read"]);
    let now = tessera::db::now();
    for (token, ends_in) in [(&soon, 72), (&sooner, 12), (&ended, -1)] {
        let id = a.token_id(token);
        a.with_conn(|c| {
            diesel::update(api_tokens::table.find(id))
                .set((
                    api_tokens::created_at.eq(now - time::Duration::days(30)),
                    api_tokens::expires_at.eq(Some(now + time::Duration::hours(ends_in))),
                ))
                .execute(c)
                .unwrap()
        });
    }
    // 5 created, 7 days for two, 1 day for one, expired for one.
    let got = mail.wait_for(&email, 9, 20).await;
    a_few_rounds().await;
    let got_after = mail.to(&email);
    assert_eq!(
        got_after.len(),
        9,
        "{:#?}",
        got.iter().map(Mail::subject).collect::<Vec<_>>()
    );
    let subjects: Vec<String> = got_after.iter().map(Mail::subject).collect();
    let count = |part: &str| subjects.iter().filter(|s| s.contains(part)).count();
    assert_eq!(count("was created"), 5, "{subjects:?}");
    assert_eq!(count("expires in 7 days"), 2, "{subjects:?}");
    assert_eq!(count("expires in 1 day"), 1, "{subjects:?}");
    assert_eq!(count("has expired"), 1, "{subjects:?}");
    // Mail made by the scheduler links to the configured public URL.
    for mail in got_after
        .iter()
        .filter(|m| m.subject().contains("expires in"))
    {
        assert!(
            mail.text().contains("https://tokens.example.com/profile"),
            "{}",
            mail.text()
        );
    }
    let created = got_after
        .iter()
        .find(|m| m.text().contains("deploy <key>"))
        .expect("the created notice names the label");
    assert!(
        created.html().contains("deploy &lt;key&gt;"),
        "escaped in HTML"
    );
    assert!(created.text().contains(&secret[..12]), "names the prefix");
    no_secret_in(
        &got_after,
        &[secret, &boot, &soon, &sooner, &ended, &user.password],
    );

    // A restart: both instances stop, a new one starts on the same data.
    let (test_db, config) = (a.test_db.share(), a.config.clone());
    drop(b);
    let keep = a;
    let c = TestApp::start(test_db, config);
    a_few_rounds().await;
    assert_eq!(
        mail.to(&email).len(),
        9,
        "nothing sent twice after a restart"
    );
    let states: Vec<String> =
        c.with_conn(|conn| notices::table.select(notices::state).load(conn).unwrap());
    assert!(states.iter().all(|s| s == "sent"), "{states:?}");
    drop(keep);
}

#[tokio::test]
async fn a_mail_server_down_at_first_still_gets_the_notice() {
    let Some(_) = MailSink::shared("a_mail_server_down_at_first_still_gets_the_notice") else {
        return;
    };
    let port = free_port();
    let app = TestApp::spawn_with(|c| configure(c, &format!("127.0.0.1:{port}"))).await;
    let admin = app.with_admin().await;
    let email = fresh_address("later");
    let user = with_address(&app, &email);
    let metrics = app.token(&admin.user.account, &["metrics:read"]);
    let mails = |result: &'static str| {
        let (app, metrics) = (&app, &metrics);
        async move {
            let text = app.get_text("/metrics", metrics).await;
            let series = format!("tessera_mails_total{{result=\"{result}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(series.as_str()))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        }
    };
    let (sent_before, failed_before) = (mails("sent").await, mails("failed").await);
    let secret = app.token(&user.account, &["profile:read"]);
    // Tried and failed, with the failure recorded and shown to admins.
    let mut attempts = 0;
    for _ in 0..100 {
        attempts = app.with_conn(|c| {
            notices::table
                .select(notices::attempts)
                .first::<i32>(c)
                .unwrap_or(0)
        });
        if attempts >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(attempts >= 2, "retried while the server was down");
    let failed: Value = app.get_json("/admin/notices.json", &admin.token).await;
    let item = &failed["items"][0];
    assert_eq!(item["kind"], "token_created");
    assert_eq!(item["state"], "pending");
    assert!(
        item["last_error"].as_str().unwrap().contains("mail server"),
        "{item}"
    );
    let page = admin.browser.page("/admin/notices").await;
    assert!(page.contains("token_created"));
    assert!(page.contains(">Retrying</span>"), "{page}");

    // The server comes up: the notice arrives, once.
    let own = OwnSink::start(port);
    let got = own.sink.wait_for(&email, 1, 30).await;
    assert_eq!(got.len(), 1);
    a_few_rounds().await;
    assert_eq!(own.sink.to(&email).len(), 1, "exactly once");
    no_secret_in(&got, &[&secret, &admin.token]);
    let after: Value = app.get_json("/admin/notices.json", &admin.token).await;
    assert_eq!(
        after["items"][0]["state"], "sent",
        "its failures stay visible"
    );
    // Counted in /metrics (other tests' mails may count too: at least).
    assert!(mails("failed").await >= failed_before + 2.0);
    assert!(mails("sent").await >= sent_before + 1.0);
}

#[tokio::test]
async fn nobody_is_mailed_who_did_not_ask_for_it() {
    let Some(mail) = MailSink::shared("nobody_is_mailed_who_did_not_ask_for_it") else {
        return;
    };
    let app = TestApp::spawn_with(|c| mail.configure(c)).await;
    // Notices switched off, and an address never confirmed.
    let off = fresh_address("off");
    let quiet = with_address(&app, &off);
    let token = app.token(&quiet.account, &["profile:write", "profile:read"]);
    assert_eq!(mail.wait_for(&off, 1, 15).await.len(), 1, "on by default");
    let resp = app
        .request(reqwest::Method::PATCH, "/profile.json", Some(&token))
        .json(&serde_json::json!({"notifications": {"expiry_7d": true, "expiry_1d": true, "expired": true, "token_created": false, "token_leaked": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.token(&quiet.account, &["profile:read"]);
    let unconfirmed = app.user();
    app.with_conn(|c| {
        tessera::db::models::accounts::set_pending_email(
            c,
            unconfirmed.account.id,
            Some("pending@example.test"),
        )
        .unwrap()
    });
    app.token(&unconfirmed.account, &["profile:read"]);
    a_few_rounds().await;
    // The first token (made before the switch) was announced; the one
    // after was not.
    assert_eq!(mail.to(&off).len(), 1);
    assert!(mail.to("pending@example.test").is_empty());
}

#[tokio::test]
async fn without_mail_settings_nothing_is_queued_and_nothing_fails() {
    let app = TestApp::spawn().await;
    let user = with_address(&app, "someone@example.test");
    app.token(&user.account, &["profile:read"]);
    let queued: i64 = app.with_conn(|c| notices::table.count().get_result(c).unwrap());
    assert_eq!(queued, 0);
    let admin = app.with_admin().await;
    let page = admin.browser.page("/admin/notices").await;
    assert!(
        page.contains("TESSERA_SMTP_URL"),
        "says why nothing is sent"
    );
}

#[tokio::test]
async fn of_many_senders_at_once_exactly_one_claims_a_notice() {
    const SENDERS: usize = 8;
    let Some(mail) = MailSink::shared("of_many_senders_at_once_exactly_one_claims_a_notice") else {
        return;
    };
    // The server sends no mail (so it runs no scheduler): the senders
    // below are the only ones, all at once, as several instances' rounds
    // can be.
    let app = TestApp::spawn_with(|c| c.pool_size = 12).await;
    let mut config = app.config.clone();
    mail.configure(&mut config);
    let email = fresh_address("race");
    let user = with_address(&app, &email);
    let id: i64 = app.with_conn(|c| {
        tessera::notices::enqueue(
            c,
            &config,
            user.account.id,
            tessera::notices::Kind::TokenCreated,
            "1",
            &tessera::notices::Detail::default(),
        )
        .unwrap();
        notices::table.select(notices::id).first(c).unwrap()
    });
    let mailer = tessera::notices::mail::Mailer::new(config.mail.as_ref().unwrap()).unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(SENDERS));
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (db, config, mailer, barrier) = (
                app.db.clone(),
                config.clone(),
                mailer.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let mut conn = db.get().unwrap();
                barrier.wait();
                tessera::notices::deliver(
                    &mut conn,
                    &config,
                    &mailer,
                    id,
                    time::Duration::seconds(1),
                )
                .unwrap()
            })
        })
        .collect();
    let outcomes: Vec<_> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    let sent = outcomes
        .iter()
        .filter(|o| **o == tessera::notices::Outcome::Sent)
        .count();
    assert_eq!(sent, 1, "{outcomes:?}");
    assert_eq!(mail.wait_for(&email, 1, 10).await.len(), 1);
}

#[tokio::test]
async fn a_token_reported_leaked_is_mailed_to_its_owner() {
    let Some(mail) = MailSink::shared("a_token_reported_leaked_is_mailed_to_its_owner") else {
        return;
    };
    let app = TestApp::spawn_with(|c| mail.configure(c)).await;
    let email = fresh_address("leaked");
    let user = with_address(&app, &email);
    let secret = app.token(&user.account, &["profile:read"]);
    // The "token created" notice first.
    assert_eq!(mail.wait_for(&email, 1, 15).await.len(), 1);
    let resp = reqwest::Client::new()
        .post(app.url("/leaks.json"))
        .json(&serde_json::json!({"tokens": [secret], "url": "https://paste.example/abc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let got = mail.wait_for(&email, 2, 15).await;
    assert_eq!(got.len(), 2);
    let leaked = got
        .iter()
        .find(|m| m.text().contains("https://paste.example/abc"))
        .expect("a mail naming where it was found");
    assert!(
        leaked.subject().contains("found in public and deleted"),
        "{}",
        leaked.subject()
    );
    no_secret_in(&got, &[&secret]);
}
