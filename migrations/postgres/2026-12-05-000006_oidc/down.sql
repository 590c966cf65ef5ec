DROP INDEX accounts_oidc_identity;
ALTER TABLE accounts DROP COLUMN oidc_subject;
ALTER TABLE accounts DROP COLUMN oidc_issuer;
