// One schema for both backends; only SQL types common to SQLite and
// PostgreSQL appear here (see diesel.toml).

diesel::table! {
    accounts (id) {
        id -> BigInt,
        account_id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        oidc_issuer -> Nullable<Text>,
        oidc_subject -> Nullable<Text>,
        email -> Nullable<Text>,
        email_verified -> Bool,
        pending_email -> Nullable<Text>,
        time_zone -> Text,
        language -> Nullable<Text>,
        notifications -> Text,
        must_change_password -> Bool,
        leak_notice -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        account_id -> BigInt,
        label -> Text,
        prefix -> Text,
        token_hash -> Binary,
        scopes -> Text,
        active -> Bool,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        last_used_ip -> Nullable<Text>,
        key_id -> Nullable<Text>,
        allowed_ips -> Text,
        rate_limit_per_minute -> Nullable<Integer>,
        ip_refused_at -> Nullable<Timestamp>,
        description -> Text,
        previous_hash -> Nullable<Binary>,
        previous_valid_until -> Nullable<Timestamp>,
        last_used_user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        session_hash -> Binary,
        account_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_seen_at -> Nullable<Timestamp>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        event -> Text,
        at -> Timestamp,
        actor_account_id -> Nullable<Text>,
        target_account_id -> Nullable<Text>,
        token_prefix -> Nullable<Text>,
        ip -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    app_scopes (name) {
        name -> Text,
        description -> Text,
        grantable_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    token_rate_counts (token_id, minute) {
        token_id -> BigInt,
        minute -> BigInt,
        count -> BigInt,
    }
}

diesel::table! {
    token_usage_days (token_id, day) {
        token_id -> BigInt,
        day -> Text,
        uses -> BigInt,
    }
}

diesel::table! {
    notices (id) {
        id -> BigInt,
        account_id -> BigInt,
        kind -> Text,
        subject -> Text,
        detail -> Text,
        state -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    token_usage_ips (token_id, ip) {
        token_id -> BigInt,
        ip -> Text,
        last_seen_at -> Timestamp,
    }
}

diesel::joinable!(api_tokens -> accounts (account_id));
diesel::joinable!(notices -> accounts (account_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    api_tokens,
    sessions,
    audit_events,
    login_failures,
    settings,
    app_scopes,
    token_rate_counts,
    notices,
    token_usage_days,
    token_usage_ips,
);
