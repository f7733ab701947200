-- System 000, the device key vault. Portable SQLite / PostgreSQL: bytes as upper-case hex text.

-- The permanent public database (claims 1, 2, 17): chip ID -> backup package, device identity,
-- device-identity certificate. Holds no secret: the backup is encrypted and authenticated under
-- a chip key that never leaves the chip. Append-only: a re-provision inserts version n+1; the
-- code has no UPDATE or DELETE path for this table and (chip_id, version) is unique, so an
-- attempt to rewrite a version fails in the database itself.
CREATE TABLE vault_device (
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
CREATE INDEX vault_device_identity ON vault_device (device_identity);

-- The secure store's key pool (claims 7, 15): device key pairs generated before assembly.
-- It lives in a SEPARATE database (cardsmith --secure-db, default $CARDSMITH_HOME/secure.db);
-- the schema is shared so one migration set serves both, and in the public database this table
-- stays empty (the code refuses a pool whose URL is the public database's). Private keys are
-- never stored in clear: wrapped_private_hex = nonce || AES-256-GCM(K_wrap, S) with
-- K_wrap = SP 800-108 KDF(HSM key vault.pool, "cardsmith vault pool wrap", id), AAD id || public key.
-- A row is deleted once the backup of the device that received its key pair is stored.
CREATE TABLE vault_key_pool (
    id                   VARCHAR(36)  NOT NULL PRIMARY KEY,
    public_key_hex       VARCHAR(130) NOT NULL,
    wrapped_private_hex  VARCHAR(160) NOT NULL,
    wrap_key_label       VARCHAR(64)  NOT NULL,
    state                VARCHAR(16)  NOT NULL,
    reserved_for         VARCHAR(32),
    created_at           VARCHAR(40)  NOT NULL
);
CREATE INDEX vault_key_pool_state ON vault_key_pool (state, created_at);
