-- Settings that bind every writer of this database, the command line as
-- much as each server instance; a server records its own when it starts.
CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
