ALTER TABLE accounts DROP COLUMN leak_notice;
DROP TABLE token_usage_ips;
DROP TABLE token_usage_days;
DROP INDEX api_tokens_previous_hash_idx;
ALTER TABLE api_tokens DROP COLUMN last_used_user_agent;
ALTER TABLE api_tokens DROP COLUMN previous_valid_until;
ALTER TABLE api_tokens DROP COLUMN previous_hash;
ALTER TABLE api_tokens DROP COLUMN description;
