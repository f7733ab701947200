-- The factory line's piv stage (issue 16): the line's PIV certificate authority and, per device,
-- the sealed PIN mailer blob. Nothing here is secret in clear: the PIN, PUK and card management
-- key exist only inside `sealed`, a CMS EnvelopedData to the operator's PIN mailer public key.
-- Portable SQLite / PostgreSQL.

-- The CA certificates of the HSM keys that sign 9A certificates (one key, one purpose), one per
-- key: stations sharing a database each have their own CA key in their own HSM.
CREATE TABLE factory_piv_ca (
    key_sha256   VARCHAR(64)   NOT NULL PRIMARY KEY,  -- hex SHA-256 of the CA public key (DER SubjectPublicKeyInfo)
    label        VARCHAR(64)   NOT NULL,              -- the HSM key label
    certificate  TEXT          NOT NULL,              -- hex DER X.509, self-signed
    created_at   VARCHAR(40)   NOT NULL
);

-- One row per device: SEALED (intent: written before the first secret reaches the card), DONE
-- (the card holds the sealed secrets, its 9A key and certificate), LOST (the card's PIN changed
-- without a completion record: set aside; the last sealed blob stays for the operator).
CREATE TABLE factory_piv (
    run_id       VARCHAR(36)   NOT NULL,
    slot         INTEGER       NOT NULL,
    state        VARCHAR(16)   NOT NULL,
    certificate  TEXT          NOT NULL,              -- hex DER X.509 of the 9A key
    cert_sha256  VARCHAR(64)   NOT NULL,
    mailer       VARCHAR(64)   NOT NULL,              -- hex SHA-256 of the PIN mailer public key
    sealed       TEXT          NOT NULL,              -- base64 CMS EnvelopedData (PIN, PUK, management key)
    detail       VARCHAR(1024),
    updated_at   VARCHAR(40)   NOT NULL,
    CONSTRAINT factory_piv_pk PRIMARY KEY (run_id, slot)
);
