-- System 002 (security-module personalization). Portable SQL: SQLite and PostgreSQL.
-- Bytes are stored as hex text. No secret is stored: TANs only as salted PBKDF2 hashes,
-- private keys live in the HSM or on the card.

-- Every certificate the CA and the personalization unit issued (manufacturer, perso unit,
-- central system, module identity, module key).
CREATE TABLE module_certificate (
    cert_id         VARCHAR(64)  NOT NULL PRIMARY KEY,   -- SHA-256 of the encoded certificate
    seq             BIGINT       NOT NULL,               -- issue order
    role            VARCHAR(16)  NOT NULL,
    car             VARCHAR(16)  NOT NULL,
    chr             VARCHAR(16)  NOT NULL,
    public_key      VARCHAR(130) NOT NULL,
    effective_date  VARCHAR(10)  NOT NULL,
    expiry_date     VARCHAR(10)  NOT NULL,
    certificate     VARCHAR(1024) NOT NULL,
    issued_at       VARCHAR(40)  NOT NULL
);
CREATE INDEX module_certificate_role ON module_certificate (role, car, chr);

-- Module registry: one row per module, keyed by the identity certificate's holder.
CREATE TABLE module_registry (
    module_id             VARCHAR(16)  NOT NULL PRIMARY KEY,
    identity_chr          VARCHAR(16)  NOT NULL,
    identity_certificate  VARCHAR(1024) NOT NULL,
    state                 VARCHAR(16)  NOT NULL,       -- ENROLLED, PERSONALIZED, RESET
    module_chr            VARCHAR(16),
    module_public_key     VARCHAR(130),
    perso_unit            VARCHAR(16),
    appliance             VARCHAR(64),
    personalizations      INTEGER      NOT NULL,
    tan_failures          INTEGER      NOT NULL,
    updated_at            VARCHAR(40)  NOT NULL
);

-- One-time transaction numbers issued by the perso unit (claims 13, 16-18); hashed, never clear.
CREATE TABLE module_tan (
    tan_id      VARCHAR(36)  NOT NULL PRIMARY KEY,
    module_id   VARCHAR(16)  NOT NULL REFERENCES module_registry (module_id),
    salt        VARCHAR(32)  NOT NULL,
    hash        VARCHAR(64)  NOT NULL,
    status      VARCHAR(16)  NOT NULL,                 -- ISSUED, USED, BLOCKED
    issued_at   VARCHAR(40)  NOT NULL,
    used_at     VARCHAR(40)
);
CREATE INDEX module_tan_module ON module_tan (module_id, status);

-- Sessions of the perso unit and the central system (audit; keys are never stored here).
CREATE TABLE module_session (
    session_id  VARCHAR(36)  NOT NULL PRIMARY KEY,
    module_id   VARCHAR(16)  NOT NULL,
    kind        VARCHAR(16)  NOT NULL,                 -- PERSONALIZE, CENTRAL_AUTH, TRANSACTION
    outcome     VARCHAR(16)  NOT NULL,                 -- OK, FAILED
    appliance   VARCHAR(64),
    detail      VARCHAR(512),
    created_at  VARCHAR(40)  NOT NULL
);
CREATE INDEX module_session_module ON module_session (module_id, kind);
