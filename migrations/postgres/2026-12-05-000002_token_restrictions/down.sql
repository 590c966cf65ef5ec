DROP TABLE token_rate_counts;
ALTER TABLE api_tokens DROP COLUMN ip_refused_at;
ALTER TABLE api_tokens DROP COLUMN rate_limit_per_minute;
ALTER TABLE api_tokens DROP COLUMN allowed_ips;
