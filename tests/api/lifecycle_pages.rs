//! The life of a token on the pages: the token's page with its chart, the
//! edit and regenerate forms, revoking all with a confirmation, finding
//! tokens in the list, and the reveal dialog's snippets.

use serde_json::Value;

use crate::helpers::{Browser, TestApp, assert_see_other};

#[tokio::test]
async fn the_token_page_draws_its_usage_and_marks_stripped_scopes() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let secret = app.labelled_token(&user.account, "chart <me>", &["profile:read"]);
    for _ in 0..2 {
        assert_eq!(app.get("/profile.json", &secret).await.status(), 200);
    }
    app.db.flush_usage().await;
    let id = app.token_id(&secret);
    let browser = Browser::signed_in(&app, &user).await;
    let page = browser.page(&format!("/profile/tokens/{id}")).await;
    assert!(page.contains("chart &lt;me&gt;"), "escaped label");
    assert!(page.contains(
        r#"<svg id="usage-chart" role="img" aria-labelledby="usage-chart-title usage-chart-desc""#
    ));
    assert_eq!(page.matches("<rect class=\"bar\"").count(), 30);
    assert!(page.contains("2 uses from"), "the text alternative");
    assert!(page.contains(r#"<table class="visually-hidden" id="usage-table">"#));
    assert!(page.contains("127.0.0.1"));
    assert!(page.contains("no expiration"));
    assert!(
        page.contains(r#"<span class="relative">(just now)</span>"#),
        "relative times beside absolute ones"
    );
    // The list links to it.
    assert!(
        browser
            .page("/profile")
            .await
            .contains(&format!("href=\"/profile/tokens/{id}\""))
    );
    // Someone else's page does not exist for them; an admin has their own.
    let other = Browser::signed_in(&app, &app.user()).await;
    let (status, _) = other.fetch(&format!("/profile/tokens/{id}")).await;
    assert_eq!(status, 404);
    let admin = app.admin();
    let page = Browser::signed_in(&app, &admin)
        .await
        .page(&format!("/admin/tokens/{id}"))
        .await;
    assert!(page.contains(&user.account.username));
    assert!(
        !page.contains("id=\"edit-form\""),
        "admins read, owners edit"
    );

    // A demoted admin's admin scope is marked as not in effect.
    app.admin();
    let held = app.token(&admin.account, &["profile:read", "admin:read"]);
    app.with_conn(|c| {
        tessera::actions::change_account(
            c,
            &admin.account.account_id,
            tessera::actions::AccountChange::Role(tessera::tokens::Role::User),
            tessera::actions::Actor::console(),
        )
        .unwrap()
    });
    let page = Browser::signed_in(&app, &admin)
        .await
        .page(&format!("/profile/tokens/{}", app.token_id(&held)))
        .await;
    assert!(
        page.contains(r#"<code class="stripped">admin:read</code>"#),
        "{page}"
    );
}

#[tokio::test]
async fn the_edit_form_narrows_and_names_the_field_at_fault() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let secret = app.token(&user.account, &["profile:read", "tokens:read"]);
    let id = app.token_id(&secret);
    let browser = Browser::signed_in(&app, &user).await;
    let path = format!("/profile/tokens/{id}/edit");
    let resp = browser
        .submit(
            &path,
            &[
                ("label", "renamed"),
                ("description", "reads the list"),
                ("scopes", "tokens:read"),
                ("expires_at", ""),
                ("expires_was", ""),
                ("allowed_ips", "127.0.0.1, 192.0.2.0/24"),
                ("rate_limit_per_minute", "600"),
            ],
        )
        .await;
    assert_see_other(&resp, &format!("/profile/tokens/{id}"));
    let token: Value = app
        .get_json(&format!("/profile/tokens/{id}.json"), &secret)
        .await;
    assert_eq!(token["label"], "renamed");
    assert_eq!(token["scopes"], serde_json::json!(["tokens:read"]));
    assert_eq!(
        token["allowed_ips"],
        serde_json::json!(["127.0.0.1", "192.0.2.0/24"])
    );
    assert_eq!(token["rate_limit_per_minute"], 600);
    let page = browser.page(&format!("/profile/tokens/{id}")).await;
    assert!(page.contains("600 requests per minute"), "{page}");
    assert!(page.contains("<code>192.0.2.0/24</code>"));
    let resp = browser
        .submit(
            &path,
            &[
                ("label", "x"),
                ("scopes", "tokens:read"),
                ("scopes", "tokens:write"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
    let page = resp.text().await.unwrap();
    assert!(page.contains(r#"id="edit-scopes-error""#), "{page}");
    // A rate limit that is no number is named, and what was typed stays.
    let resp = browser
        .submit(
            &path,
            &[
                ("label", "renamed"),
                ("scopes", "tokens:read"),
                ("rate_limit_per_minute", "lots"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
    let page = resp.text().await.unwrap();
    assert!(page.contains(r#"id="edit-rate-limit-error""#), "{page}");
    assert!(page.contains(r#"value="lots""#));
}

#[tokio::test]
async fn regenerating_reveals_the_new_secret_once_and_shows_the_grace() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let old = app.token(&user.account, &["profile:read"]);
    let id = app.token_id(&old);
    let browser = Browser::signed_in(&app, &user).await;
    let resp = browser
        .submit(
            &format!("/profile/tokens/{id}/regenerate"),
            &[("grace_period_hours", "24")],
        )
        .await;
    assert_see_other(&resp, "/profile");
    let page = browser.page("/profile").await;
    let start = page.find(r#"<code id="token-secret""#).unwrap();
    let secret = &page[start..];
    let secret = &secret[secret.find("tsr_").unwrap()..][..42];
    assert!(page.contains(r#"<select id="snippet-form""#));
    assert!(page.contains(&format!("{secret}\" data-url=")));
    assert!(page.contains("/profile.json</code>"));
    assert!(page.contains("old secret valid until"));
    assert_eq!(app.get("/profile.json", secret).await.status(), 200);
    assert_eq!(app.get("/profile.json", &old).await.status(), 200);
    // Shown once.
    assert!(!browser.page("/profile").await.contains(secret));
}

#[tokio::test]
async fn deleting_all_asks_first_without_javascript() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let secrets: Vec<String> = (0..2)
        .map(|_| app.token(&user.account, &["profile:read"]))
        .collect();
    let browser = Browser::signed_in(&app, &user).await;
    let resp = browser.submit("/profile/tokens/delete-all", &[]).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Delete all 2 tokens of your account?")
    );
    assert_eq!(app.get("/profile.json", &secrets[0]).await.status(), 200);
    let resp = browser
        .submit("/profile/tokens/delete-all", &[("confirmed", "yes")])
        .await;
    assert_see_other(&resp, "/profile");
    assert!(browser.page("/profile").await.contains("2 tokens deleted."));
    for secret in &secrets {
        app.assert_refused("/profile.json", secret).await;
    }
}

#[tokio::test]
async fn the_list_is_found_by_its_url() {
    let app = TestApp::spawn().await;
    let user = app.user();
    for label in ["zeta deploy", "alpha", "beta deploy"] {
        app.labelled_token(&user.account, label, &["profile:read"]);
    }
    let browser = Browser::signed_in(&app, &user).await;
    let page = browser.page("/profile?q=deploy&sort=label").await;
    let beta = page.find(">beta deploy<").unwrap();
    let zeta = page.find(">zeta deploy<").unwrap();
    assert!(beta < zeta);
    assert!(!page.contains(">alpha<"));
    assert!(
        page.contains(r#"value="deploy""#),
        "the search stays in the box"
    );
    let page = browser.page("/profile?status=expired").await;
    assert!(page.contains("No token matches."));
    let (status, page) = browser.fetch("/profile?sort=nonsense").await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Sort by created"),
        "the page names the parameter"
    );
}

#[tokio::test]
async fn the_audit_log_reads_as_sentences_with_usernames() {
    let app = TestApp::spawn().await;
    let user = app.user();
    // Made on the command line: no actor, no address.
    let secret = app.token(&user.account, &["tokens:read", "tokens:write"]);
    let id = app.token_id(&secret);
    let resp = app
        .request(
            reqwest::Method::PATCH,
            &format!("/profile/tokens/{id}.json"),
            Some(&secret),
        )
        .json(&serde_json::json!({"label": "renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let admin = app.admin();
    let page = Browser::signed_in(&app, &admin)
        .await
        .page("/admin/audit")
        .await;
    assert!(
        page.contains(r#"<span title="token.updated">Token edited</span>"#),
        "{page}"
    );
    assert!(page.contains(r#"<span class="audit-detail muted">label</span>"#));
    assert!(page.contains(&format!(
        r#"<a href="/admin/users/{}">{}</a>"#,
        user.account.account_id, user.account.username
    )));
    assert!(page.contains("command line"));
    // The codes stay in the JSON.
    let json = app
        .get_json(
            "/admin/audit.json?event=token.updated",
            &app.token(&admin.account, &["admin:read"]),
        )
        .await;
    assert_eq!(json["items"][0]["event"], "token.updated");
    assert_eq!(json["items"][0]["detail"], "label");
}

#[tokio::test]
async fn admins_find_tokens_by_username() {
    let app = TestApp::spawn().await;
    let (dana, erin) = (
        app.create_user("dana", tessera::tokens::Role::User),
        app.user(),
    );
    app.labelled_token(&dana.account, "dana's", &["profile:read"]);
    app.labelled_token(&erin.account, "erin's", &["profile:read"]);
    let admin = app.admin();
    let reader = app.token(&admin.account, &["admin:read"]);
    let list = app.get_json("/admin/tokens.json?user=dana", &reader).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["label"], "dana's");
    let page = Browser::signed_in(&app, &admin)
        .await
        .page("/admin/tokens?user=dana")
        .await;
    assert!(page.contains("dana&#x27;s") || page.contains("dana's"));
    assert!(!page.contains("erin&#x27;s") && !page.contains("erin's"));
    assert!(page.contains(r#"name="user" type="text" maxlength="64" value="dana""#));
    let list = app
        .get_json("/admin/tokens.json?user=nobody", &reader)
        .await;
    assert_eq!(list["total"], 0);
    let resp = app.get("/admin/tokens.json?user=no%20body", &reader).await;
    crate::helpers::assert_error(resp, 400, "invalid_input", Some("user")).await;
}

#[tokio::test]
async fn an_expired_token_offers_no_deactivate_and_keeps_saying_expired() {
    use diesel::prelude::*;
    use tessera::db::schema::api_tokens;
    let app = TestApp::spawn().await;
    let user = app.user();
    let (gone, both) = (
        app.token_id(&app.labelled_token(&user.account, "gone", &["profile:read"])),
        app.token_id(&app.labelled_token(&user.account, "both", &["profile:read"])),
    );
    let past = tessera::db::now() - time::Duration::days(1);
    app.with_conn(|c| {
        diesel::update(api_tokens::table.filter(api_tokens::id.eq_any([gone, both])))
            .set(api_tokens::expires_at.eq(Some(past)))
            .execute(c)
            .unwrap();
        tessera::db::models::tokens::set_active(c, both, false).unwrap();
    });
    let page = Browser::signed_in(&app, &user).await.page("/profile").await;
    let row = |id: i64| {
        let start = page.find(&format!(r#"data-token-id="{id}""#)).unwrap();
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(!row(gone).contains("/deactivate"), "{}", row(gone));
    assert!(row(gone).contains("badge-expired"));
    assert!(row(both).contains(">deactivated<") && row(both).contains(">expired<"));
}
