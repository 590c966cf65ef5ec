-- Accounts made by single sign-on are linked to the provider's (issuer,
-- subject) pair; later sign-ins match on the pair alone, never on a
-- username or an email. Accounts made here have neither.
ALTER TABLE accounts ADD COLUMN oidc_issuer TEXT;
ALTER TABLE accounts ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX accounts_oidc_identity ON accounts (oidc_issuer, oidc_subject);
