-- Per-token restrictions (SPEC section 8): the addresses a token may be
-- used from (networks separated by spaces; empty: anywhere), its rate limit
-- per minute, and when a refused address was last audited (at most once a
-- minute per token).
ALTER TABLE api_tokens ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN rate_limit_per_minute INTEGER;
ALTER TABLE api_tokens ADD COLUMN ip_refused_at TIMESTAMP;

-- The uses of a rate-limited token per minute, added up by every instance
-- (PostgreSQL); kept here too so both backends have the same tables.
CREATE TABLE token_rate_counts (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    minute BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (token_id, minute)
);
