-- The whole life of a token (SPEC section 9).

-- What the token is for, beside its label (up to 1000 characters).
ALTER TABLE api_tokens ADD COLUMN description TEXT NOT NULL DEFAULT '';
-- After a regeneration with a grace period: the HMAC of the secret it
-- replaced, keyed as token_hash, and until when that secret still works.
ALTER TABLE api_tokens ADD COLUMN previous_hash BYTEA;
ALTER TABLE api_tokens ADD COLUMN previous_valid_until TIMESTAMP;
-- The user agent of the latest use, written with the usage counts.
ALTER TABLE api_tokens ADD COLUMN last_used_user_agent TEXT;
CREATE INDEX api_tokens_previous_hash_idx ON api_tokens (previous_hash);

-- Uses per token and day (UTC), counted in memory and added here in batches.
CREATE TABLE token_usage_days (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    uses BIGINT NOT NULL,
    PRIMARY KEY (token_id, day)
);

-- The client addresses a token was used from, and when last.
CREATE TABLE token_usage_ips (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    ip TEXT NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_id, ip)
);

-- What the owner is told on their next visit to Account Preferences about
-- tokens reported leaked and deleted (shown once, then cleared).
ALTER TABLE accounts ADD COLUMN leak_notice TEXT;
-- The primary keys lead with token_id, which serves their foreign keys.
