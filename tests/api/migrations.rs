use std::collections::BTreeSet;

use tessera::db::{self, Db};

use crate::helpers::TestDb;

fn names(tree: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!("{}/migrations/{tree}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_trees_have_the_same_migrations() {
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
    for name in &sqlite {
        for tree in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!(
                    "{}/migrations/{tree}/{name}/{file}",
                    env!("CARGO_MANIFEST_DIR")
                );
                assert!(std::path::Path::new(&path).exists(), "{path} missing");
            }
        }
    }
}

#[test]
fn up_down_up_works() {
    let test_db = TestDb::new();
    let db = Db::open(&test_db.url, 1).unwrap();
    let mut conn = db.get().unwrap();
    db::revert_all_migrations(&mut conn).unwrap();
    db::run_migrations(&mut conn).unwrap();
    // The tables are usable after the second run.
    let n = db::models::accounts::count(&mut conn).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn every_postgres_foreign_key_has_an_index() {
    let up = std::fs::read_to_string(format!(
        "{}/migrations/postgres/2026-11-23-000001_create_tables/up.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for (table, column) in [("api_tokens", "account_id"), ("sessions", "account_id")] {
        assert!(
            up.contains(&format!("ON {table} ({column})")),
            "{table}.{column} lacks an index"
        );
    }
}
