-- Scopes that admins create for their own services (SPEC section 8).
-- grantable_by holds the roles that may grant the scope, space separated.
CREATE TABLE app_scopes (
    name TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    grantable_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- What an audit entry says beyond its fixed fields (the number of tokens
-- a deleted scope was taken from, the fields an edit changed, ...).
ALTER TABLE audit_events ADD COLUMN detail TEXT;
