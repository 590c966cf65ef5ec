ALTER TABLE audit_events DROP COLUMN detail;
DROP TABLE app_scopes;
