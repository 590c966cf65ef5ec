//! The last two admins step down at the same moment (SPEC §4: an account
//! change that would leave no active admin is a 409 conflict, and no
//! request gets a 500).
//!
//! Each admin removes their own admin power, so each request is
//! authenticated whatever the other does: the only refusal left is the
//! "last active admin" rule, and the loser must see it as a 409, not as a
//! deadlock that PostgreSQL broke by failing one of them.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, QueryableByName};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tessera::db::models::accounts;

use tokio::task::block_in_place;

use crate::helpers::TestApp;

const ROUNDS: usize = 50;

/// The two answers of one round: one 200 and one 409, nothing else.
/// Returns the loser's body.
async fn one_wins(ra: reqwest::Response, rb: reqwest::Response, round: usize) -> String {
    let (sa, sb) = (ra.status(), rb.status());
    let (ba, bb) = (ra.text().await.unwrap(), rb.text().await.unwrap());
    let mut statuses = [sa, sb];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "round {round}: a {sa} {ba}, b {sb} {bb}"
    );
    if sa == StatusCode::CONFLICT { ba } else { bb }
}

#[tokio::test]
async fn the_last_two_admins_stepping_down_at_once_leave_one() {
    let app = TestApp::spawn().await;
    for round in 0..ROUNDS {
        let a = app.admin();
        let b = app.admin();
        // Everyone else steps down first, so a and b are the only active
        // admins.
        app.leave_only_admins(&[&a, &b]);
        let ta = app.token(&a.account, &["admin:write"]);
        let tb = app.token(&b.account, &["admin:write"]);
        // b deactivates their account in odd rounds, so demotion races
        // deactivation as well as itself.
        let path_a = format!("/admin/users/{}/role.json", a.account.account_id);
        let path_b = if round % 2 == 0 {
            format!("/admin/users/{}/role.json", b.account.account_id)
        } else {
            format!("/admin/users/{}/deactivate.json", b.account.account_id)
        };
        let body = json!({"role": "user"});
        let (ra, rb) = tokio::join!(
            app.post_json(&path_a, &ta, &body),
            app.post_json(&path_b, &tb, &body),
        );
        let loser = one_wins(ra, rb, round).await;
        assert!(loser.contains("\"conflict\""), "round {round}: {loser}");
        let admins = app.with_conn(|c| accounts::count_active_admins(c).unwrap());
        assert_eq!(admins, 1, "round {round}: active admins left");
    }
}

/// The same race on PostgreSQL, with the rows laid out so that the two
/// changes find the admins in opposite orders: one request starts reading
/// while a third admin is stepping down, and before the other starts, a
/// sign-in rewrites the first admin's row (PostgreSQL writes the new row
/// version after the second admin's, so a scan started later meets the
/// second admin first) and still holds it. Taking the locks in the order
/// the rows happen to lie would then have each request hold the row the
/// other waits for: a deadlock that PostgreSQL breaks by failing one of
/// them (a 500). Every step waits until the server's requests are where
/// they must be, so each round meets this layout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stepping_down_while_rows_move_never_deadlocks() {
    let app = TestApp::spawn().await;
    if app.test_db.is_sqlite() {
        return; // SQLite runs one writer at a time (db::write_transaction)
    }
    let url = app.test_db.url_string.clone();
    let connect = || PgConnection::establish(&url).expect("connect to the test schema");
    let (mut third, mut sign_in, mut watch) = (connect(), connect(), connect());
    for round in 0..10 {
        // An empty table, so new rows lie in the order they are written.
        block_in_place(|| {
            watch
                .batch_execute("TRUNCATE accounts CASCADE")
                .expect("truncate")
        });
        let z = app.admin();
        let a = app.admin();
        let b = app.admin();
        let ta = app.token(&a.account, &["admin:write"]);
        let tb = app.token(&b.account, &["admin:write"]);
        let (z, a, b) = (z.account, a.account, b.account);
        assert!(
            block_in_place(
                || lies_before(&mut watch, z.id, a.id) && lies_before(&mut watch, a.id, b.id)
            ),
            "round {round}: the rows lie in the order z, a, b"
        );

        // A third admin steps down and has not committed yet.
        let third_pid = block_in_place(|| {
            third.batch_execute("BEGIN").unwrap();
            third
                .batch_execute(&format!(
                    "UPDATE accounts SET role = 'user' WHERE id = {}",
                    z.id
                ))
                .unwrap();
            backend_pid(&mut third)
        });
        let step_a = tokio::spawn(
            app.request(
                Method::POST,
                &format!("/admin/users/{}/role.json", a.account_id),
                Some(&ta),
            )
            .json(&json!({"role": "user"}))
            .send(),
        );
        block_in_place(|| wait_for_blocked(&mut watch, third_pid, 1, round));
        // a signs in twice: once done, once holding the row.
        let sign_in_pid = block_in_place(|| {
            let touch = format!(
                "UPDATE accounts SET last_login_at = CURRENT_TIMESTAMP WHERE id = {}",
                a.id
            );
            sign_in.batch_execute(&touch).unwrap();
            assert!(
                lies_before(&mut sign_in, b.id, a.id),
                "round {round}: a's new row lies after b's"
            );
            sign_in.batch_execute("BEGIN").unwrap();
            sign_in.batch_execute(&touch).unwrap();
            third.batch_execute("COMMIT").unwrap();
            backend_pid(&mut sign_in)
        });
        block_in_place(|| wait_for_blocked(&mut watch, sign_in_pid, 1, round));
        let step_b = tokio::spawn(
            app.request(
                Method::POST,
                &format!("/admin/users/{}/role.json", b.account_id),
                Some(&tb),
            )
            .json(&json!({"role": "user"}))
            .send(),
        );
        block_in_place(|| {
            wait_for_blocked(&mut watch, sign_in_pid, 2, round);
            sign_in.batch_execute("COMMIT").unwrap();
        });

        let (ra, rb) = (
            step_a.await.unwrap().unwrap(),
            step_b.await.unwrap().unwrap(),
        );
        one_wins(ra, rb, round).await;
        let admins = app.with_conn(|c| accounts::count_active_admins(c).unwrap());
        assert_eq!(admins, 1, "round {round}: active admins left");
    }
}

#[derive(QueryableByName)]
struct Answer {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    yes: bool,
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Whether the row of account `first` lies before that of `second` in the
/// table's file, the order in which a scan meets them.
fn lies_before(conn: &mut PgConnection, first: i64, second: i64) -> bool {
    diesel::sql_query(format!(
        "SELECT (SELECT ctid FROM accounts WHERE id = {first}) \
              < (SELECT ctid FROM accounts WHERE id = {second}) AS yes"
    ))
    .get_result::<Answer>(conn)
    .unwrap()
    .yes
}

fn backend_pid(conn: &mut PgConnection) -> i32 {
    diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(conn)
        .unwrap()
        .pid
}

/// Waits until `n` server connections wait, directly or through each
/// other, for the transaction of backend `holder`.
fn wait_for_blocked(conn: &mut PgConnection, holder: i32, n: i64, round: usize) {
    let query = format!(
        "WITH RECURSIVE blocked(pid) AS ( \
           SELECT pid FROM pg_stat_activity WHERE {holder} = ANY(pg_blocking_pids(pid)) \
           UNION SELECT a.pid FROM pg_stat_activity a, blocked \
             WHERE blocked.pid = ANY(pg_blocking_pids(a.pid))) \
         SELECT count(*) AS n FROM blocked"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let blocked = diesel::sql_query(&query)
            .get_result::<Count>(conn)
            .unwrap()
            .n;
        if blocked >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "round {round}: {blocked} of {n} requests waited for backend {holder}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
