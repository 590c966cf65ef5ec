-- Which secret key made each token's hash: a fingerprint of the key
-- (crate::keys::fingerprint), never the key. NULL for tokens made before
-- key rotation existed; the check fills it in when it re-hashes one.
ALTER TABLE api_tokens ADD COLUMN key_id TEXT;
