-- The permanent public database (Database.Schema.PUBLIC): public data only. Nothing in this
-- migration set may hold a secret, a journal, a TAN hash, a cryptogram or audit data; those
-- live in the operations store (db/migration, default $CARDSMITH_HOME/cardsmith.db).
-- Every statement is idempotent (IF NOT EXISTS): the same set also applies to a database that
-- already carries db/migration (an operator who names one database for both, --db only).

-- Chip ID -> backup package, device identity, certificate; the same table as V2 of db/migration
-- (claims 1, 2, 17). Append-only: (chip_id, version) is unique.
CREATE TABLE IF NOT EXISTS vault_device (
    chip_id          VARCHAR(32)   NOT NULL,
    version          INTEGER       NOT NULL,
    device_identity  VARCHAR(64)   NOT NULL,
    package_version  INTEGER       NOT NULL,
    backup_hex       VARCHAR(512)  NOT NULL,
    certificate_hex  VARCHAR(512)  NOT NULL,
    created_at       VARCHAR(40)   NOT NULL,
    CONSTRAINT vault_device_pk PRIMARY KEY (chip_id, version),
    CONSTRAINT vault_device_version_positive CHECK (version > 0)
);
CREATE INDEX IF NOT EXISTS vault_device_identity ON vault_device (device_identity);
