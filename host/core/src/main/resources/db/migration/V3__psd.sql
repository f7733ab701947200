-- seed 001: personal security devices (PSD) on the access server. Never a key, never the
-- per-PSD random number: only the RSA-OAEP cryptogram of the random (claims 5-6), key
-- version numbers and the replacement state.
CREATE TABLE psd_device (
    psd_id              VARCHAR(32)   NOT NULL PRIMARY KEY, -- hex of the non-mutable unique ID
    cryptogram          VARCHAR(1100) NOT NULL,             -- hex RSA-OAEP(random) under the KMS public key
    rsa_key_label       VARCHAR(64)   NOT NULL,             -- the KMS key pair that can open it
    krk_version         INTEGER       NOT NULL,
    mk_version          INTEGER,                            -- confirmed active MK version on the card
    pending_mk_version  INTEGER,                            -- intent: replacement to this version in flight
    state               VARCHAR(16)   NOT NULL,             -- ISSUING, ISSUED, REPLACING
    created_at          VARCHAR(40)   NOT NULL,
    updated_at          VARCHAR(40)   NOT NULL
);

-- Key-management data blocks the access server's HSM holds (transferred from the KMS, claim 16).
CREATE TABLE psd_key_block (
    kind        VARCHAR(8)  NOT NULL,   -- MK or KRK
    version     INTEGER     NOT NULL,
    hsm_label   VARCHAR(64) NOT NULL,
    created_at  VARCHAR(40) NOT NULL,
    PRIMARY KEY (kind, version)
);

-- Audit trail of PSD flows (no secrets).
CREATE TABLE psd_event (
    psd_id      VARCHAR(32) NOT NULL,
    occurred_at VARCHAR(40) NOT NULL,
    event_name  VARCHAR(32) NOT NULL,
    detail      VARCHAR(256)
);
CREATE INDEX psd_event_psd ON psd_event (psd_id, occurred_at);
