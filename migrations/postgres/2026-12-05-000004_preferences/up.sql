-- Account Preferences (SPEC §10): the address mail goes to once its owner
-- has followed the link sent to it (`pending_email` until then), the time
-- zone and language pages are shown in (NULL language: the browser's),
-- the notices the owner wants (their names, space separated), and whether
-- an admin's reset obliges them to choose a new password.
ALTER TABLE accounts ADD COLUMN email TEXT;
ALTER TABLE accounts ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN pending_email TEXT;
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE accounts ADD COLUMN language TEXT;
ALTER TABLE accounts ADD COLUMN notifications TEXT NOT NULL DEFAULT 'expiry_7d expiry_1d expired token_created token_leaked';
ALTER TABLE accounts ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- What the Sessions section shows of each signed-in browser.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;

-- Mail to send, one row per notice: the unique key makes each notice
-- exist once however many instances find it due, and `state` is claimed
-- with a conditional UPDATE before the message is sent, so only one
-- instance sends it (src/notices/).
CREATE TABLE notices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP,
    last_error TEXT,
    UNIQUE (account_id, kind, subject)
);
CREATE INDEX notices_due_idx ON notices (state, next_attempt_at);
