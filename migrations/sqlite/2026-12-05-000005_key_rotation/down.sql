ALTER TABLE api_tokens DROP COLUMN key_id;
